//! The one door from `atlas::Error` to diagnostics.
//!
//! The summary names the action that failed; the detail carries Atlas's status,
//! errorCode and detail plus what to do next; the attribute path comes from the
//! resource's `ERROR_ATTRS` table or from Atlas's `badRequestDetail.fields`, translated to
//! Terraform names. Atlas error bodies never contain our credentials, and the client
//! never puts request headers into errors, so nothing here can leak a secret.

use crate::atlas;
use crate::framework::Diagnostic;
use crate::value::AttributePath;

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

/// The diagnostic for one Atlas error.
pub fn diagnose(err: &atlas::Error, summary: &str, attrs: &[(&str, &str)]) -> Diagnostic {
    let mut detail = err.to_string();
    if let Some(first) = detail.get(..1) {
        detail = first.to_uppercase() + &detail[1..];
    }
    if !detail.ends_with('.') {
        detail.push('.');
    }
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

fn hint(err: &atlas::Error) -> Option<&'static str> {
    if matches!(err, atlas::Error::Cancelled) {
        return Some(
            "Terraform stopped the provider (for example after Ctrl-C), so the call was abandoned. \
             Whatever was already done in Atlas is kept in state; run terraform apply again to finish.",
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
