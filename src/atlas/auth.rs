//! Credentials and the authentication schemes Atlas accepts.
//!
//! - HTTP Digest with a programmatic API key pair (RFC 7616 with `qop=auth`, MD5). The first
//!   request is answered with a `401` challenge; we cache that challenge and then send
//!   `Authorization` preemptively with an increasing nonce count, so steady-state calls cost one
//!   round trip instead of the two the official provider pays. A second `401` with a fresh
//!   challenge (Atlas rotated or staled the nonce) is answered once more.
//! - A static OAuth access token (`Authorization: Bearer`).
//! - A service account (OAuth 2.0 client credentials), see `oauth.rs`.
//!
//! Secrets stay in [`SecretString`] and are exposed only while computing a header; the header
//! values are marked sensitive so that HTTP-level debug output hides them.

use std::fmt;
use std::sync::Mutex;

use digest_auth::{AuthContext, HttpMethod, WwwAuthenticateHeader};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use super::error::{AuthError, Error, RequestError};
use super::oauth::TokenSource;

/// How the client proves its identity to Atlas.
#[derive(Clone)]
pub enum Credentials {
    /// A programmatic API key pair, used with HTTP Digest.
    Digest {
        /// The public key (8 lowercase letters); the Digest username.
        public_key: String,
        /// The private key (a UUID); the Digest password.
        private_key: SecretString,
    },
    /// A service account; the client fetches and refreshes OAuth tokens itself.
    ServiceAccount {
        /// The client id, such as `mdb_sa_id_…`.
        client_id: String,
        /// The client secret.
        client_secret: SecretString,
    },
    /// A ready-made OAuth access token, sent as `Authorization: Bearer`; never refreshed.
    AccessToken(SecretString),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Digest { public_key, .. } => f
                .debug_struct("Digest")
                .field("public_key", public_key)
                .field("private_key", &"<redacted>")
                .finish(),
            Credentials::ServiceAccount { client_id, .. } => f
                .debug_struct("ServiceAccount")
                .field("client_id", client_id)
                .field("client_secret", &"<redacted>")
                .finish(),
            Credentials::AccessToken(_) => f.debug_tuple("AccessToken").field(&"<redacted>").finish(),
        }
    }
}

/// The per-client authentication state built from [`Credentials`].
pub(crate) enum Auth {
    Digest(DigestAuth),
    Bearer(SecretString),
    ServiceAccount(TokenSource),
}

/// Digest credentials plus the cached challenge.
pub(crate) struct DigestAuth {
    username: String,
    password: SecretString,
    // The last challenge Atlas sent; `nc` inside counts the answers given to its nonce.
    // A std Mutex is enough: it is held only to compute one MD5 response, never across `.await`.
    challenge: Mutex<Option<WwwAuthenticateHeader>>,
}

impl DigestAuth {
    pub(crate) fn new(username: String, password: SecretString) -> Self {
        DigestAuth {
            username,
            password,
            challenge: Mutex::new(None),
        }
    }

    /// The preemptive `Authorization` header for a request, when a challenge is cached, with
    /// the nonce it answers.
    ///
    /// `uri` is the request target (path and query) exactly as sent; `body` is the request
    /// body (used only if Atlas ever asks for `qop=auth-int`).
    pub(crate) fn authorization(
        &self,
        method: &str,
        uri: &str,
        body: &[u8],
    ) -> Result<Option<(HeaderValue, String)>, String> {
        let mut cached = self.challenge.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(challenge) = cached.as_mut() else {
            return Ok(None);
        };
        if challenge.nc == u32::MAX {
            // The nonce count would wrap; start over with a fresh challenge.
            *cached = None;
            return Ok(None);
        }
        let value = answer(
            challenge,
            &self.username,
            self.password.expose_secret(),
            method,
            uri,
            body,
        )?;
        Ok(Some((value, challenge.nonce.clone())))
    }

    /// Answers a challenge that only this request knows (it came with this request's 401).
    ///
    /// Answering a fresh challenge privately, rather than through the shared cache, means no
    /// concurrent request can use its nonce with a higher count and overtake us: servers that
    /// require strictly increasing counts (as RFC 7616 allows) would reject the slower one.
    pub(crate) fn answer_private(
        &self,
        challenge: &mut WwwAuthenticateHeader,
        method: &str,
        uri: &str,
        body: &[u8],
    ) -> Result<HeaderValue, String> {
        answer(
            challenge,
            &self.username,
            self.password.expose_secret(),
            method,
            uri,
            body,
        )
    }

    /// Shares a challenge that just worked, so later requests can answer it preemptively.
    ///
    /// It replaces the cache only when the cache is empty or still holds `replaced_nonce`
    /// (the nonce this request failed with), so a challenge another request published
    /// meanwhile is kept.
    pub(crate) fn publish(&self, challenge: WwwAuthenticateHeader, replaced_nonce: Option<&str>) {
        let mut cached = self.challenge.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let replace = match cached.as_ref() {
            None => true,
            Some(current) => replaced_nonce == Some(current.nonce.as_str()),
        };
        if replace {
            *cached = Some(challenge);
        }
    }

    #[cfg(test)]
    pub(crate) fn cached_nc(&self) -> Option<u32> {
        let cached = self.challenge.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cached.as_ref().map(|challenge| challenge.nc)
    }
}

/// Computes the `Authorization: Digest …` value for one request and advances the nonce count.
fn answer(
    challenge: &mut WwwAuthenticateHeader,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    body: &[u8],
) -> Result<HeaderValue, String> {
    let context = AuthContext::new_with_method(username, password, uri, Some(body), HttpMethod::from(method));
    let header = challenge.respond(&context).map_err(|err| err.to_string())?;
    let mut value = HeaderValue::from_str(&header.to_header_string())
        .map_err(|_| "the challenge produced an invalid header value".to_owned())?;
    value.set_sensitive(true);
    Ok(value)
}

/// Parses a `WWW-Authenticate` header value into a Digest challenge.
///
/// Errors (never panics) on anything that is not a usable Digest challenge: another scheme,
/// missing realm or nonce, unknown algorithm or qop, unbalanced quotes, non-ASCII text.
pub(crate) fn parse_challenge(value: &str) -> Result<WwwAuthenticateHeader, String> {
    let value = value.trim();
    // The parser in `digest_auth` slices by character index, so non-ASCII input could make it
    // panic; HTTP header values are ASCII anyway.
    if !value.is_ascii() {
        return Err("the challenge contains non-ascii characters".to_owned());
    }
    let scheme_end = value.find(|c: char| c.is_ascii_whitespace()).unwrap_or(value.len());
    let (scheme, params) = value.split_at(scheme_end);
    if !scheme.eq_ignore_ascii_case("digest") {
        return Err(format!("expected a digest challenge, got scheme {scheme:?}"));
    }
    let challenge = WwwAuthenticateHeader::parse(params).map_err(|err| err.to_string())?;
    if challenge.nonce.is_empty() {
        return Err("the challenge has an empty nonce".to_owned());
    }
    Ok(challenge)
}

/// Picks the Digest challenge among a response's `WWW-Authenticate` values.
///
/// Returns `None` when there is no Digest challenge at all (Atlas rejected the request for
/// another reason), and an error when there is one but it is malformed.
pub(crate) fn find_challenge<'a>(
    values: impl Iterator<Item = &'a HeaderValue>,
) -> Option<Result<WwwAuthenticateHeader, String>> {
    for value in values {
        let Ok(text) = value.to_str() else {
            return Some(Err("the challenge is not visible ascii".to_owned()));
        };
        let looks_digest = text
            .trim_start()
            .get(..6)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("digest"));
        if looks_digest {
            return Some(parse_challenge(text));
        }
    }
    None
}

impl Auth {
    pub(crate) fn from_credentials(
        credentials: Credentials,
        token_source: impl FnOnce(String, SecretString) -> TokenSource,
    ) -> Result<Auth, Error> {
        match credentials {
            Credentials::Digest {
                public_key,
                private_key,
            } => {
                if public_key.is_empty() || private_key.expose_secret().is_empty() {
                    return Err(
                        RequestError::new("the digest credentials need both a public and a private key").into(),
                    );
                }
                Ok(Auth::Digest(DigestAuth::new(public_key, private_key)))
            }
            Credentials::AccessToken(token) => {
                if token.expose_secret().is_empty() {
                    return Err(RequestError::new("the access token is empty").into());
                }
                bearer_value(token.expose_secret()).map_err(|_| {
                    Error::from(RequestError::new(
                        "the access token contains characters not allowed in a header",
                    ))
                })?;
                Ok(Auth::Bearer(token))
            }
            Credentials::ServiceAccount {
                client_id,
                client_secret,
            } => {
                if client_id.is_empty() || client_secret.expose_secret().is_empty() {
                    return Err(
                        RequestError::new("the service account needs both a client id and a client secret").into(),
                    );
                }
                Ok(Auth::ServiceAccount(token_source(client_id, client_secret)))
            }
        }
    }
}

/// `Bearer <token>` as a sensitive header value.
pub(crate) fn bearer_value(token: &str) -> Result<HeaderValue, reqwest::header::InvalidHeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// Turns a challenge problem into the error callers see.
pub(crate) fn malformed_challenge(method: &str, path: &str, problem: String) -> Error {
    Error::Auth(AuthError::MalformedChallenge {
        method: method.to_owned(),
        path: path.to_owned(),
        problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATLAS_CHALLENGE: &str = r#"Digest realm="MMS Public API", domain="", nonce="OTc0ZDQ2YzMtNmE1Yy00", algorithm=MD5, qop="auth", stale=false"#;

    fn check_malformed(input: &str) {
        assert!(parse_challenge(input).is_err(), "expected an error for {input:?}");
    }

    #[test]
    fn parses_the_documented_atlas_challenge() {
        let challenge = match parse_challenge(ATLAS_CHALLENGE) {
            Ok(challenge) => challenge,
            Err(err) => panic!("{err}"),
        };
        assert_eq!(challenge.realm, "MMS Public API");
        assert_eq!(challenge.nonce, "OTc0ZDQ2YzMtNmE1Yy00");
        assert!(!challenge.stale);
        assert_eq!(challenge.qop, Some(vec![digest_auth::Qop::AUTH]));
    }

    #[test]
    fn parses_lowercase_scheme_and_stale_flag() {
        let challenge = parse_challenge(r#"digest realm="r", nonce="n2", qop="auth", stale=true"#);
        assert!(challenge.is_ok_and(|c| c.stale && c.nonce == "n2"));
    }

    #[test]
    fn malformed_challenges_are_errors_not_panics() {
        for input in [
            "",
            "Digest",
            "Basic realm=\"x\"",
            "Bearer error=\"invalid_token\"",
            "Digest nonce=\"n\"",
            "Digest realm=\"r\"",
            "Digest realm=\"r\", nonce=\"",
            "Digest realm=\"r\", nonce=\"\"",
            "Digest realm=\"r\", nonce=\"n\", algorithm=ROT13",
            "Digest realm=\"r\", nonce=\"n\", qop=\"auth-conf\"",
            "Digest realm=\"r\", nonce=\"n\", charset=EBCDIC",
            "Digest réalm=\"r\", nonce=\"n\"",
            "Digest realm=\"é\", nonce=\"n\"",
            "Digestrealm=\"r\", nonce=\"n\"",
            "Digest ======",
            "Digest realm=\"r\", nonce=\"n\", realm=",
        ] {
            check_malformed(input);
        }
    }

    #[test]
    fn find_challenge_ignores_other_schemes() {
        let bearer = HeaderValue::from_static("Bearer realm=\"x\"");
        let digest = HeaderValue::from_str(ATLAS_CHALLENGE).unwrap_or_else(|_| HeaderValue::from_static(""));
        assert!(find_challenge([&bearer].into_iter()).is_none());
        assert!(matches!(find_challenge([&bearer, &digest].into_iter()), Some(Ok(_))));
        let broken = HeaderValue::from_static("Digest realm=\"r\"");
        assert!(matches!(find_challenge([&broken].into_iter()), Some(Err(_))));
    }

    #[test]
    fn answers_reuse_the_nonce_with_increasing_nc() {
        let digest = DigestAuth::new("zmmrboas".into(), SecretString::from("55c3bbb6-b4bb-0be1-e66d20841f3e"));
        assert!(matches!(digest.authorization("GET", "/x", b""), Ok(None)));
        let challenge = parse_challenge(ATLAS_CHALLENGE).unwrap_or_else(|err| panic!("{err}"));
        digest.publish(challenge, None);
        let first = digest
            .authorization("GET", "/api/atlas/v2/orgs", b"")
            .ok()
            .flatten()
            .map(|(value, _)| value);
        let second = digest
            .authorization("GET", "/api/atlas/v2/orgs", b"")
            .ok()
            .flatten()
            .map(|(value, _)| value);
        let (Some(first), Some(second)) = (first, second) else {
            panic!("both requests must carry a header");
        };
        assert!(first.is_sensitive());
        let first = first.to_str().unwrap_or_default().to_owned();
        let second = second.to_str().unwrap_or_default().to_owned();
        assert!(first.starts_with("Digest "), "{first}");
        assert!(first.contains("nc=00000001"), "{first}");
        assert!(second.contains("nc=00000002"), "{second}");
        assert!(first.contains("username=\"zmmrboas\""));
        assert!(first.contains("nonce=\"OTc0ZDQ2YzMtNmE1Yy00\""));
        assert!(first.contains("qop=auth"));
        assert!(!first.contains("55c3bbb6"), "the password must never be sent");
        assert_eq!(digest.cached_nc(), Some(2));
    }

    #[test]
    fn answer_matches_rfc_2617_example() {
        // RFC 2617 §3.5: Mufasa / "Circle Of Life", GET /dir/index.html, nc=1, cnonce 0a4f113b.
        let mut challenge = parse_challenge(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .unwrap_or_else(|err| panic!("{err}"));
        challenge.qop = Some(vec![digest_auth::Qop::AUTH]);
        let mut context = AuthContext::new("Mufasa", "Circle Of Life", "/dir/index.html");
        context.set_custom_cnonce("0a4f113b");
        let header = challenge.respond(&context).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(header.response, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn publish_keeps_a_challenge_published_meanwhile() {
        let digest = DigestAuth::new("u".into(), SecretString::from("p"));
        let with_nonce = |nonce: &str| {
            parse_challenge(&format!("Digest realm=\"r\", nonce=\"{nonce}\", qop=\"auth\""))
                .unwrap_or_else(|err| panic!("{err}"))
        };
        digest.publish(with_nonce("first"), None);
        // A request that failed with "stale" replaces it ...
        digest.publish(with_nonce("second"), Some("first"));
        let used = digest
            .authorization("GET", "/x", b"")
            .ok()
            .flatten()
            .map(|(_, nonce)| nonce);
        assert_eq!(used.as_deref(), Some("second"));
        // ... but one that failed with an older nonce, or had none, leaves it alone.
        digest.publish(with_nonce("third"), Some("first"));
        digest.publish(with_nonce("fourth"), None);
        let used = digest
            .authorization("GET", "/x", b"")
            .ok()
            .flatten()
            .map(|(_, nonce)| nonce);
        assert_eq!(used.as_deref(), Some("second"));
    }

    #[test]
    fn nonce_count_exhaustion_drops_the_challenge() {
        let digest = DigestAuth::new("u".into(), SecretString::from("p"));
        let mut challenge = parse_challenge(ATLAS_CHALLENGE).unwrap_or_else(|err| panic!("{err}"));
        challenge.nc = u32::MAX;
        digest.publish(challenge, None);
        assert!(matches!(digest.authorization("GET", "/x", b""), Ok(None)));
        assert_eq!(digest.cached_nc(), None);
    }

    #[test]
    fn debug_of_credentials_hides_secrets() {
        let all = [
            (
                Credentials::Digest {
                    public_key: "zmmrboas".into(),
                    private_key: SecretString::from("55c3bbb6-private"),
                },
                "55c3bbb6-private",
            ),
            (
                Credentials::ServiceAccount {
                    client_id: "mdb_sa_id_1".into(),
                    client_secret: SecretString::from("mdb_sa_sk_hidden"),
                },
                "mdb_sa_sk_hidden",
            ),
            (Credentials::AccessToken(SecretString::from("eyJ-token")), "eyJ-token"),
        ];
        for (credentials, secret) in all {
            let debug = format!("{credentials:?}");
            assert!(!debug.contains(secret), "{debug}");
            assert!(debug.contains("<redacted>"), "{debug}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_challenge_never_panics(input in "\\PC{0,80}") {
            let _ = parse_challenge(&input);
            let _ = parse_challenge(&format!("Digest {input}"));
        }

        #[test]
        fn parse_challenge_never_panics_on_ascii_params(input in "[ -~]{0,80}") {
            let _ = parse_challenge(&format!("Digest realm=\"r\", {input}"));
        }
    }
}
