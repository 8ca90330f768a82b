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
    if let Some(hint) = hint(err).or_else(|| transport_hint(err)) {
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
        401 => Some(unauthorized_hint(err.api().and_then(|api| api.auth_method))),
        403 => Some(
            "The credentials lack a role this action needs (Organization Owner for organization API keys, \
             Project Owner for project assignments), or the caller's IP address is not on the key's access list.",
        ),
        407 => Some(PROXY_AUTH_HINT),
        429 => Some("Atlas rate-limited the request; wait and retry."),
        500..=599 => Some("Atlas failed to process the request; retry later."),
        _ => None,
    }
}

/// What to check when a proxy answers 407: its credentials are in the proxy URL.
const PROXY_AUTH_HINT: &str = "A proxy between this machine and Atlas asked for credentials (407 Proxy Authentication \
     Required), not Atlas. Check the user name and password in HTTPS_PROXY (HTTP_PROXY for an http base_url, or \
     ALL_PROXY): write them as http://user:password@proxy:port, percent-encoding special characters.";

/// What to check after a `401`, for the credential method the request was sent with.
fn unauthorized_hint(method: Option<atlas::AuthMethod>) -> &'static str {
    match method {
        Some(atlas::AuthMethod::ApiKey) => {
            "The provider used a programmatic API key (public_key and private_key, or MONGODB_ATLAS_PUBLIC_KEY and \
             MONGODB_ATLAS_PRIVATE_KEY). Check that both parts are of the same key, that the key still exists, and \
             that it belongs to this organization."
        }
        Some(atlas::AuthMethod::ServiceAccount) => {
            "The provider used a service account (client_id and client_secret, or MONGODB_ATLAS_CLIENT_ID and \
             MONGODB_ATLAS_CLIENT_SECRET). Check that the secret is of this client ID and has not expired or been \
             revoked, and that the service account belongs to this organization."
        }
        Some(atlas::AuthMethod::AccessToken { expired: true }) => {
            "The access token (access_token or MONGODB_ATLAS_ACCESS_TOKEN) has expired: Atlas access tokens last an \
             hour and this provider never renews one. Get a new token, or configure a service account (client_id \
             and client_secret) so that the provider fetches fresh tokens itself."
        }
        Some(atlas::AuthMethod::AccessToken { expired: false }) => {
            "The provider used an access token (access_token or MONGODB_ATLAS_ACCESS_TOKEN). Check that it is \
             complete, was issued by this Atlas (base_url) and was not revoked; tokens expire after an hour and this \
             provider never renews one."
        }
        None => {
            "Check the provider credentials (public_key/private_key, client_id/client_secret or access_token, or \
             their MONGODB_ATLAS_* environment variables) and that they belong to this organization."
        }
    }
}

/// What to check when no answer came, by cause.
fn transport_hint(err: &atlas::Error) -> Option<&'static str> {
    use atlas::TransportCause as Cause;
    let (atlas::Error::Transport(transport) | atlas::Error::Timeout(transport)) = err else {
        return None;
    };
    Some(match transport.cause() {
        Cause::ConnectionRefused => {
            "Check the host and port of base_url (or MONGODB_ATLAS_BASE_URL) and that no firewall rejects the connection."
        }
        Cause::NameNotResolved => "Check the host name in base_url (or MONGODB_ATLAS_BASE_URL) and the DNS settings.",
        Cause::CertificateNotTrusted => {
            "When a proxy or TLS inspection re-signs the traffic, set SSL_CERT_FILE (a PEM bundle) or SSL_CERT_DIR \
             to include its CA certificate, as for Terraform itself. When either is set, it replaces the system \
             certificate store, so check that the file exists and holds PEM certificates; the public root \
             certificates (Mozilla's list) are always trusted."
        }
        Cause::CertificateExpired => "Check this machine's clock, and the certificate of the host in base_url.",
        Cause::CertificateNameMismatch => {
            "Check base_url: its host name must be one that the server's certificate names."
        }
        Cause::TimedOut { connecting: true } => {
            "Check network access to the host; connect_timeout_seconds sets how long to wait for a connection."
        }
        Cause::TimedOut { connecting: false } => {
            "Atlas did not answer in time; http_timeout_seconds sets how long one request may take."
        }
        Cause::ProxyAuthenticationRequired { .. } => PROXY_AUTH_HINT,
        Cause::ProxyUnreachable { .. } => {
            "Check HTTPS_PROXY (HTTP_PROXY for an http base_url, or ALL_PROXY) and NO_PROXY."
        }
        _ => return None,
    })
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
    fn a_407_is_the_proxy_asking_for_credentials_not_atlas() {
        let diagnostic = diagnose(
            &api_error(407, "<html>Proxy Authentication Required</html>"),
            "Could not read API key",
            &[],
        );
        assert!(
            diagnostic.detail.contains("407 Proxy Authentication Required"),
            "{}",
            diagnostic.detail
        );
        assert!(diagnostic.detail.contains("HTTPS_PROXY"), "{}", diagnostic.detail);
    }

    #[test]
    fn the_401_hint_names_the_credential_method_in_use() {
        let body = r#"{"error":401,"errorCode":"UNAUTHORIZED","detail":"You are not authorized."}"#;
        let with = |method: Option<atlas::AuthMethod>| {
            let mut api = atlas::ApiError::from_response("GET", "/api/atlas/v2/orgs/o", 401, body.as_bytes(), None);
            api.auth_method = method;
            diagnose(&atlas::Error::from(api), "Could not read API key", &[]).detail
        };
        let key = with(Some(atlas::AuthMethod::ApiKey));
        assert!(
            key.contains("programmatic API key (public_key and private_key"),
            "{key}"
        );
        assert!(!key.contains("client_id"), "{key}");
        let account = with(Some(atlas::AuthMethod::ServiceAccount));
        assert!(
            account.contains("service account (client_id and client_secret"),
            "{account}"
        );
        assert!(!account.contains("public_key"), "{account}");
        let token = with(Some(atlas::AuthMethod::AccessToken { expired: false }));
        assert!(token.contains("an access token (access_token"), "{token}");
        assert!(!token.contains("has expired"), "{token}");
        let expired = with(Some(atlas::AuthMethod::AccessToken { expired: true }));
        assert!(
            expired.contains("access token (access_token or MONGODB_ATLAS_ACCESS_TOKEN) has expired"),
            "{expired}"
        );
        let unknown = with(None);
        assert!(
            unknown.contains("public_key/private_key, client_id/client_secret or access_token"),
            "{unknown}"
        );
    }

    #[test]
    fn long_atlas_errors_are_cut_before_the_hint() {
        let err = atlas::Error::Cancelled;
        let short = diagnose(&err, "Could not read API key", &[]);
        assert!(
            short.detail.starts_with("The Atlas request was cancelled."),
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
