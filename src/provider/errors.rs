//! The one door from `atlas::Error` to diagnostics.
//!
//! The summary names the action that failed; the detail carries Atlas's status,
//! errorCode and detail plus what to do next; the attribute path comes from the
//! resource's `ERROR_ATTRS` table or from Atlas's `badRequestDetail.fields`, translated to
//! Terraform names. Atlas error bodies never contain our credentials, and the client
//! never puts request headers into errors, so nothing here can leak a secret.

use crate::atlas;
use crate::framework::Diagnostic;
use crate::value::{truncate, AttributePath};

/// Atlas request-body field names and the Terraform attributes they come from.
const FIELD_NAMES: &[(&str, &str)] = &[("desc", "description"), ("roles", "role_names"), ("name", "name")];

/// Adds `or_diagnose` to Atlas results.
pub trait OrDiagnose<T> {
    /// Turns an Atlas error into a diagnostic whose summary is `summary`. `attrs` maps
    /// Atlas errorCodes to the Terraform attribute they blame.
    fn or_diagnose(self, summary: &str, attrs: &[(&str, &str)]) -> Result<T, Diagnostic>;
}

impl<T> OrDiagnose<T> for Result<T, atlas::Error> {
    fn or_diagnose(self, summary: &str, attrs: &[(&str, &str)]) -> Result<T, Diagnostic> {
        self.map_err(|err| diagnose(&err, summary, attrs))
    }
}

/// Most characters of an Atlas error's own text in a diagnostic. The text names the request
/// path and Atlas's detail, and both can repeat IDs from the configuration, of any length.
pub const ATLAS_ERROR_MAX_CHARS: usize = 1_000;

/// `text` with its first letter upper-cased.
pub(crate) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `text` as a sentence: first letter upper-cased, ending with a full stop.
pub(crate) fn sentence(text: &str) -> String {
    let mut out = capitalized(text);
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// The diagnostic for one Atlas error; its text is cut after [`ATLAS_ERROR_MAX_CHARS`]
/// characters, before the hint on what to do.
pub fn diagnose(err: &atlas::Error, summary: &str, attrs: &[(&str, &str)]) -> Diagnostic {
    let mut detail = sentence(&truncate(&err.to_string(), ATLAS_ERROR_MAX_CHARS));
    if let Some(hint) = hint(err) {
        detail.push(' ');
        detail.push_str(hint);
    }
    let diagnostic = Diagnostic::error(summary, detail);
    match blamed_attribute(err, attrs) {
        Some(name) => diagnostic.at(AttributePath::attr(name)),
        None => diagnostic,
    }
}

fn blamed_attribute<'a>(err: &'a atlas::Error, attrs: &[(&str, &'a str)]) -> Option<&'a str> {
    if let Some(code) = err.error_code() {
        if let Some((_, name)) = attrs.iter().find(|(c, _)| *c == code) {
            return Some(name);
        }
    }
    let atlas::Error::Api(api) = err else {
        return None;
    };
    api.fields.iter().find_map(|field| {
        FIELD_NAMES
            .iter()
            .find(|(atlas_name, _)| *atlas_name == field.field)
            .map(|(_, terraform_name)| *terraform_name)
    })
}

/// Atlas errorCodes for the organization's API key limit (400 and 403 variants).
const KEY_LIMIT_CODES: &[&str] = &["MAX_API_KEYS_PER_ORG_EXCEEDED", "MAX_PUBLIC_API_KEY_REACHED"];

/// What to do when an organization is at its API key limit.
const KEY_LIMIT_HINT: &str = "Atlas allows at most 500 API keys per organization. Find keys that are no longer used \
     with the mongodbatlas_api_keys data source or in the Atlas UI (Organization Access Manager, Applications, \
     API Keys), delete them, then run terraform apply again.";

fn hint(err: &atlas::Error) -> Option<&'static str> {
    if err.error_code().is_some_and(|code| KEY_LIMIT_CODES.contains(&code)) {
        return Some(KEY_LIMIT_HINT);
    }
    if matches!(err, atlas::Error::Cancelled) {
        return Some(
            "Terraform stopped the provider (for example after Ctrl-C), so the call was abandoned; Atlas may \
             or may not have carried it out. The next terraform plan or apply reads what Atlas holds and shows \
             what is left to do.",
        );
    }
    match err.status()? {
        401 => Some(
            "Check the provider credentials (public_key/private_key or the MONGODB_ATLAS_PUBLIC_KEY and \
             MONGODB_ATLAS_PRIVATE_KEY environment variables) and that the key belongs to this organization.",
        ),
        403 => Some(
            "The credentials lack a role this action needs (Organization Owner for organization API keys, \
             Project Owner for project assignments), or the caller's IP address is not on the key's access list.",
        ),
        429 => Some("Atlas rate-limited the request; wait and retry."),
        500..=599 => Some("Atlas failed to process the request; retry later."),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(status: u16, body: &str) -> atlas::Error {
        atlas::ApiError::from_response("POST", "/api/atlas/v2/orgs/o/apiKeys", status, body.as_bytes(), None).into()
    }

    #[test]
    fn the_key_limit_diagnostic_names_the_limit_and_the_way_out() {
        for (status, code) in [
            (400, "MAX_API_KEYS_PER_ORG_EXCEEDED"),
            (403, "MAX_PUBLIC_API_KEY_REACHED"),
        ] {
            let body = format!(r#"{{"error":{status},"errorCode":"{code}","detail":"Too many keys.","reason":"x"}}"#);
            let diagnostic = diagnose(&api_error(status, &body), "Could not create API key", &[]);
            assert!(diagnostic.detail.contains(code), "{}", diagnostic.detail);
            assert!(
                diagnostic.detail.contains("at most 500 API keys per organization"),
                "{}",
                diagnostic.detail
            );
            assert!(
                diagnostic.detail.contains("mongodbatlas_api_keys"),
                "{}",
                diagnostic.detail
            );
            assert!(!diagnostic.detail.contains("lack a role"), "not the generic 403 hint");
        }
        let other = diagnose(
            &api_error(400, r#"{"error":400,"errorCode":"INVALID_API_KEY_DESC","detail":"d"}"#),
            "Could not create API key",
            &[],
        );
        assert!(!other.detail.contains("500 API keys"), "{}", other.detail);
    }

    #[test]
    fn long_atlas_errors_are_cut_before_the_hint() {
        let err = atlas::Error::Cancelled;
        let short = diagnose(&err, "Could not read API key", &[]);
        assert!(
            short.detail.starts_with("The atlas request was cancelled."),
            "{}",
            short.detail
        );
        let long = atlas::Error::Request(atlas::RequestError::new(format!("bad id {}", "a".repeat(100_000))));
        let diagnostic = diagnose(&long, "Could not read API key", &[]);
        assert!(
            diagnostic.detail.len() < ATLAS_ERROR_MAX_CHARS + 100,
            "{} bytes",
            diagnostic.detail.len()
        );
        assert!(
            diagnostic.detail.ends_with("… (100007 characters)."),
            "{}",
            diagnostic.detail
        );
    }
}
