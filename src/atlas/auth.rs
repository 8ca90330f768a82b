//! Credentials, and the one authentication interface the request loop sees.
//!
//! Atlas accepts three schemes:
//! - HTTP Digest with a programmatic API key pair, see `digest.rs`;
//! - a service account (OAuth 2.0 client credentials, tokens fetched and refreshed), see
//!   `oauth.rs`;
//! - a ready-made OAuth access token, sent as `Authorization: Bearer` and never refreshed.
//!
//! The client never names a scheme. Per request it asks a [`RequestAuth`] for the
//! `Authorization` header of each exchange, hands it every `401` to learn whether to try once
//! more with new credentials, and tells it when Atlas accepted the credentials (any other
//! status). The Digest challenge, nonce count and stale handling, and the token cache and its
//! refresh, stay behind those three calls.
//!
//! Secrets stay in [`SecretString`] and are exposed only while computing a header; the header
//! values are marked sensitive so that HTTP-level debug output hides them.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, WWW_AUTHENTICATE};
use secrecy::{ExposeSecret, SecretString};

use super::digest::{Digest, DigestRequest};
use super::error::{AuthError, Error, RequestError};
use super::network::LazyHttp;
use super::oauth::{bearer_header, TokenEndpoint, TokenRequest, TokenSource};

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

/// Which credentials a request was sent with, as a `401` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// A programmatic API key pair (HTTP Digest).
    ApiKey,
    /// A service account (OAuth client credentials).
    ServiceAccount,
    /// A ready access token.
    AccessToken {
        /// True when the token's `exp` is past or Atlas said it expired.
        expired: bool,
    },
}

/// True when `token` is a JWT whose payload has an `exp` (Unix seconds) at or before `now`.
/// Nothing is verified: the answer only chooses the words of an error. Never logs the token.
fn jwt_expired(token: &str, now: std::time::SystemTime) -> bool {
    use base64::Engine as _;
    let Some(payload) = token.split('.').nth(1) else {
        return false;
    };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')) else {
        return false;
    };
    let Ok(claims) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return false;
    };
    let Some(exp) = claims.get("exp").and_then(serde_json::Value::as_u64) else {
        return false;
    };
    now.duration_since(std::time::UNIX_EPOCH)
        .is_ok_and(|since| since.as_secs() >= exp)
}

/// The per-client authentication state built from [`Credentials`]; shared by the client's
/// clones, so they share one Digest challenge and one token cache.
pub(crate) struct Auth {
    scheme: Scheme,
}

enum Scheme {
    Digest(Digest),
    Bearer(SecretString),
    ServiceAccount(TokenSource),
}

/// What authentication needs to know about the request being sent.
#[derive(Clone, Copy)]
pub(crate) struct Signing<'a> {
    /// HTTP method, such as `GET`.
    pub(crate) method: &'a str,
    /// API path without query, used to name the request in errors.
    pub(crate) path: &'a str,
    /// Request target (path and query) exactly as sent; Digest signs it.
    pub(crate) target: &'a str,
    /// The request body (empty for none); Digest would sign it for `qop=auth-int`.
    pub(crate) body: &'a [u8],
}

/// One request's authentication across the exchanges of one attempt: at most two, the second
/// only after a `401` that [`unauthorized`](Self::unauthorized) said to retry.
pub(crate) struct RequestAuth<'a> {
    request: Signing<'a>,
    state: State<'a>,
    retried: bool,
}

enum State<'a> {
    Digest(DigestRequest<'a>),
    Bearer(&'a SecretString),
    ServiceAccount(TokenRequest<'a>),
}

/// What to do after a `401`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unauthorized {
    /// New credentials are ready: send the request once more with the next header.
    Retry,
    /// Report the `401` as Atlas's answer.
    GiveUp,
}

impl Auth {
    /// The credential method in use, for a `401` whose Atlas `detail` is `detail`: an access
    /// token counts as expired when its JWT `exp` claim is past, or when Atlas's detail says so.
    pub(crate) fn method(&self, detail: Option<&str>) -> AuthMethod {
        match &self.scheme {
            Scheme::Digest(_) => AuthMethod::ApiKey,
            Scheme::ServiceAccount(_) => AuthMethod::ServiceAccount,
            Scheme::Bearer(token) => {
                let said_expired = detail.is_some_and(|detail| detail.to_ascii_lowercase().contains("expired"));
                AuthMethod::AccessToken {
                    expired: said_expired || jwt_expired(token.expose_secret(), std::time::SystemTime::now()),
                }
            }
        }
    }

    /// Checks `credentials` and builds the state for them. A service account's tokens come
    /// from `<base_url>/api/oauth/token` (`base_url` without trailing slash) through `http`,
    /// each exchange limited by `timeout`. Sends nothing.
    ///
    /// Errors (`Error::Request`) on an empty key, secret or token, or a token that cannot be a
    /// header value.
    pub(crate) fn from_credentials(
        credentials: Credentials,
        http: &Arc<LazyHttp>,
        base_url: &str,
        timeout: Duration,
        proxy: Option<&str>,
    ) -> Result<Auth, Error> {
        let scheme = match credentials {
            Credentials::Digest {
                public_key,
                private_key,
            } => {
                if public_key.is_empty() || private_key.expose_secret().is_empty() {
                    return Err(
                        RequestError::new("the digest credentials need both a public and a private key").into(),
                    );
                }
                Scheme::Digest(Digest::new(public_key, private_key))
            }
            Credentials::AccessToken(token) => {
                if token.expose_secret().is_empty() {
                    return Err(RequestError::new("the access token is empty").into());
                }
                bearer_header(token.expose_secret()).map_err(|_| {
                    Error::from(RequestError::new(
                        "the access token contains characters not allowed in a header",
                    ))
                })?;
                Scheme::Bearer(token)
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
                let endpoint = TokenEndpoint::new(Arc::clone(http), base_url, client_id, client_secret, timeout)
                    .through_proxy(proxy.map(str::to_owned));
                Scheme::ServiceAccount(TokenSource::new(endpoint))
            }
        };
        Ok(Auth { scheme })
    }

    /// Starts authenticating one attempt of `request`.
    pub(crate) fn for_request<'a>(&'a self, request: Signing<'a>) -> RequestAuth<'a> {
        let state = match &self.scheme {
            Scheme::Digest(digest) => State::Digest(digest.request()),
            Scheme::Bearer(token) => State::Bearer(token),
            Scheme::ServiceAccount(source) => State::ServiceAccount(source.request()),
        };
        RequestAuth {
            request,
            state,
            retried: false,
        }
    }
}

impl RequestAuth<'_> {
    /// The `Authorization` value for the next exchange, marked sensitive; `None` only for the
    /// Digest request that leads the fetch of a challenge (it goes out bare).
    ///
    /// May wait: for the Digest request leading a challenge fetch or renewal (see `digest.rs`),
    /// or for a service-account token. Nothing has been sent while it waits, so callers may
    /// drop it on cancellation.
    ///
    /// Errors are never sent: `Auth(MalformedChallenge)` when a Digest challenge cannot be
    /// answered, the token endpoint's error when a service-account token cannot be fetched.
    pub(crate) async fn header(&mut self) -> Result<Option<HeaderValue>, Error> {
        let request = self.request;
        match &mut self.state {
            State::Digest(digest) => digest
                .header(request.method, request.target, request.body)
                .await
                .map_err(|problem| malformed(request, problem)),
            State::Bearer(token) => bearer_header(token.expose_secret())
                .map(Some)
                .map_err(|_| RequestError::new("the access token is not a valid header value").into()),
            State::ServiceAccount(token) => token.header().await.map(Some),
        }
    }

    /// Atlas answered `401` with `headers`: [`Unauthorized::Retry`] at most once per attempt,
    /// when new credentials are ready (a fresh Digest challenge, or a new token in place of a
    /// cached one that may have been revoked); otherwise [`Unauthorized::GiveUp`].
    ///
    /// Errors with `Auth(MalformedChallenge)` when the Digest challenge is malformed.
    pub(crate) async fn unauthorized(&mut self, headers: &HeaderMap) -> Result<Unauthorized, Error> {
        if self.retried {
            return Ok(Unauthorized::GiveUp);
        }
        let request = self.request;
        let retry = match &mut self.state {
            State::Digest(digest) => digest
                .challenged(headers.get_all(WWW_AUTHENTICATE).iter())
                .map_err(|problem| malformed(request, problem))?,
            State::Bearer(_) => false,
            State::ServiceAccount(token) => token.rejected().await,
        };
        self.retried = retry;
        if retry {
            // The expected first step of Digest (or a refreshed token), not a failure: the
            // exchange line before this one shows the 401 it answers.
            let challenge = if matches!(self.state, State::Digest(_)) {
                "digest challenge: Atlas asked for credentials (401 with a nonce); answering it"
            } else {
                "access token refused; sending the request again with a new one"
            };
            tracing::debug!(method = request.method, path = request.path, "{challenge}");
        }
        Ok(if retry {
            Unauthorized::Retry
        } else {
            Unauthorized::GiveUp
        })
    }

    /// Atlas answered with a status other than `401`, so it accepted the credentials: a fresh
    /// Digest challenge becomes the shared cached nonce for later requests.
    pub(crate) fn accepted(&mut self) {
        if let State::Digest(digest) = &mut self.state {
            digest.accepted();
        }
    }
}

/// A Digest challenge `request` cannot answer, as the error callers see.
fn malformed(request: Signing<'_>, problem: String) -> Error {
    Error::Auth(AuthError::MalformedChallenge {
        method: request.method.to_owned(),
        path: request.path.to_owned(),
        problem,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::atlas::oauth::testing::canned_source;

    const REQUEST: Signing<'static> = Signing {
        method: "GET",
        path: "/api/atlas/v2/orgs",
        target: "/api/atlas/v2/orgs?pageNum=1",
        body: b"",
    };

    #[test]
    fn jwt_expiry_is_read_from_exp() {
        use base64::Engine as _;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let token = |payload: &str| format!("e30.{}.sig", engine.encode(payload));
        let at = std::time::UNIX_EPOCH + Duration::from_secs(2_000);
        assert!(jwt_expired(&token(r#"{"exp":1000}"#), at));
        assert!(!jwt_expired(&token(r#"{"exp":3000}"#), at));
        assert!(!jwt_expired(&token(r#"{"sub":"x"}"#), at));
        assert!(!jwt_expired("not-a-jwt", at));
        let bearer = auth(Credentials::AccessToken(token(r#"{"exp":1}"#).into())).expect("auth");
        assert_eq!(bearer.method(None), AuthMethod::AccessToken { expired: true });
        let fresh = auth(Credentials::AccessToken("opaque".to_owned().into())).expect("auth");
        assert_eq!(fresh.method(None), AuthMethod::AccessToken { expired: false });
        assert_eq!(
            fresh.method(Some("You are not authorized: the access token has expired.")),
            AuthMethod::AccessToken { expired: true }
        );
        assert_eq!(digest_auth().method(None), AuthMethod::ApiKey);
    }

    fn auth(credentials: Credentials) -> Result<Auth, Error> {
        Auth::from_credentials(
            credentials,
            &LazyHttp::plain(),
            "http://127.0.0.1:9",
            Duration::from_secs(1),
            None,
        )
    }

    fn digest_auth() -> Auth {
        auth(Credentials::Digest {
            public_key: "zmmrboas".into(),
            private_key: SecretString::from("55c3bbb6-b4bb-0be1-e66d20841f3e"),
        })
        .unwrap_or_else(|err| panic!("{err}"))
    }

    fn headers(www_authenticate: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in www_authenticate {
            headers.append(
                WWW_AUTHENTICATE,
                HeaderValue::from_str(value).unwrap_or_else(|err| panic!("{err}")),
            );
        }
        headers
    }

    fn challenge(nonce: &str) -> String {
        format!(r#"Digest realm="MMS Public API", nonce="{nonce}", algorithm=MD5, qop="auth", stale=true"#)
    }

    async fn header_text(request: &mut RequestAuth<'_>) -> String {
        match request.header().await {
            Ok(Some(value)) => {
                assert!(value.is_sensitive());
                value.to_str().unwrap_or_default().to_owned()
            }
            Ok(None) => String::new(),
            Err(err) => panic!("{err}"),
        }
    }

    #[test]
    fn from_credentials_rejects_empty_or_unusable_secrets() {
        let cases = [
            Credentials::Digest {
                public_key: "k".into(),
                private_key: SecretString::from(""),
            },
            Credentials::Digest {
                public_key: String::new(),
                private_key: SecretString::from("p"),
            },
            Credentials::ServiceAccount {
                client_id: "mdb_sa_id_1".into(),
                client_secret: SecretString::from(""),
            },
            Credentials::AccessToken(SecretString::from("")),
            Credentials::AccessToken(SecretString::from("a\nb")),
        ];
        for credentials in cases {
            let shown = format!("{credentials:?}");
            assert!(matches!(auth(credentials), Err(Error::Request(_))), "{shown}");
        }
    }

    #[test]
    fn from_credentials_picks_the_scheme() {
        assert!(matches!(digest_auth().scheme, Scheme::Digest(_)));
        let token = auth(Credentials::AccessToken(SecretString::from("t")));
        assert!(token.is_ok_and(|auth| matches!(auth.scheme, Scheme::Bearer(_))));
        let service_account = auth(Credentials::ServiceAccount {
            client_id: "mdb_sa_id_1".into(),
            client_secret: SecretString::from("s"),
        });
        assert!(service_account.is_ok_and(|auth| matches!(auth.scheme, Scheme::ServiceAccount(_))));
    }

    #[tokio::test]
    async fn digest_retries_a_fresh_challenge_once_then_gives_up() {
        let auth = digest_auth();
        let mut request = auth.for_request(REQUEST);
        assert_eq!(header_text(&mut request).await, "", "nothing cached yet");
        let first = request.unauthorized(&headers(&[&challenge("n1")])).await;
        assert!(matches!(first, Ok(Unauthorized::Retry)));
        let answer = header_text(&mut request).await;
        assert!(
            answer.contains("nonce=\"n1\"") && answer.contains("nc=00000001"),
            "{answer}"
        );
        assert!(answer.contains("uri=\"/api/atlas/v2/orgs?pageNum=1\""), "{answer}");
        // A second 401 in the same attempt is Atlas's answer, even with a new challenge.
        let second = request.unauthorized(&headers(&[&challenge("n2")])).await;
        assert!(matches!(second, Ok(Unauthorized::GiveUp)));
    }

    #[tokio::test]
    async fn digest_accepted_answer_publishes_the_nonce_for_the_next_request() {
        let auth = digest_auth();
        let mut request = auth.for_request(REQUEST);
        header_text(&mut request).await;
        let retry = request.unauthorized(&headers(&[&challenge("n1")])).await;
        assert!(matches!(retry, Ok(Unauthorized::Retry)));
        header_text(&mut request).await;
        request.accepted();
        let next = header_text(&mut auth.for_request(REQUEST)).await;
        assert!(next.contains("nonce=\"n1\"") && next.contains("nc=00000002"), "{next}");
    }

    #[tokio::test]
    async fn digest_401_without_challenge_gives_up_and_malformed_one_is_an_auth_error() {
        let auth = digest_auth();
        let mut request = auth.for_request(REQUEST);
        let plain = request.unauthorized(&HeaderMap::new()).await;
        assert!(matches!(plain, Ok(Unauthorized::GiveUp)));
        let malformed = request
            .unauthorized(&headers(&[r#"Digest realm="MMS Public API", algorithm=MD5"#]))
            .await;
        let err = match malformed {
            Err(err) => err,
            Ok(next) => panic!("{next:?}"),
        };
        assert!(matches!(err, Error::Auth(_)), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("Atlas sent a digest challenge this client cannot answer for GET /api/atlas/v2/orgs:"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn bearer_token_is_sent_as_is_and_a_401_gives_up() {
        let auth =
            auth(Credentials::AccessToken(SecretString::from("eyJ-token"))).unwrap_or_else(|err| panic!("{err}"));
        let mut request = auth.for_request(REQUEST);
        assert_eq!(header_text(&mut request).await, "Bearer eyJ-token");
        let next = request.unauthorized(&headers(&[&challenge("n1")])).await;
        assert!(matches!(next, Ok(Unauthorized::GiveUp)));
        request.accepted();
        assert_eq!(header_text(&mut auth.for_request(REQUEST)).await, "Bearer eyJ-token");
    }

    #[tokio::test(start_paused = true)]
    async fn service_account_replaces_a_rejected_cached_token_once() {
        let (source, fetches) = canned_source();
        let auth = Auth {
            scheme: Scheme::ServiceAccount(source),
        };
        assert_eq!(header_text(&mut auth.for_request(REQUEST)).await, "Bearer t1");
        let mut request = auth.for_request(REQUEST);
        assert_eq!(header_text(&mut request).await, "Bearer t1");
        let retry = request.unauthorized(&HeaderMap::new()).await;
        assert!(matches!(retry, Ok(Unauthorized::Retry)));
        assert_eq!(header_text(&mut request).await, "Bearer t2");
        let second = request.unauthorized(&HeaderMap::new()).await;
        assert!(matches!(second, Ok(Unauthorized::GiveUp)));
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn service_account_gives_up_when_a_new_token_is_rejected() {
        let (source, fetches) = canned_source();
        let auth = Auth {
            scheme: Scheme::ServiceAccount(source),
        };
        let mut request = auth.for_request(REQUEST);
        assert_eq!(header_text(&mut request).await, "Bearer t1");
        let next = request.unauthorized(&HeaderMap::new()).await;
        assert!(matches!(next, Ok(Unauthorized::GiveUp)));
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
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
}
