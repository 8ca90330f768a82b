//! OAuth 2.0 client-credentials tokens for Atlas service accounts.
//!
//! `POST <base_url>/api/oauth/token` with HTTP Basic client authentication (id and secret
//! form-URL-encoded first, as Atlas's Go SDK does) and the form body
//! `grant_type=client_credentials` returns `{access_token, expires_in, token_type}`; tokens last
//! an hour. The token is cached and replaced shortly before it expires. Concurrent requests
//! share one fetch: the cache sits behind an async mutex held across the fetch.

use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::auth::bearer_value;
use super::error::{ApiError, AuthError, Error, TransportError};

/// Fetches and caches service-account access tokens.
pub(crate) struct TokenSource {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    client_secret: SecretString,
    timeout: Duration,
    cached: Mutex<Option<CachedToken>>,
}

struct CachedToken {
    header: HeaderValue,
    fetched_at: Instant,
    lifetime: Duration,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: SecretString,
    expires_in: Option<u64>,
    token_type: Option<String>,
}

impl TokenSource {
    /// Path of the token endpoint below the base URL.
    pub(crate) const PATH: &'static str = "/api/oauth/token";

    /// Lifetime assumed when the token response has no `expires_in`.
    const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

    pub(crate) fn new(
        http: reqwest::Client,
        token_url: String,
        client_id: String,
        client_secret: SecretString,
        timeout: Duration,
    ) -> TokenSource {
        TokenSource {
            http,
            token_url,
            client_id,
            client_secret,
            timeout,
            cached: Mutex::new(None),
        }
    }

    /// The `Authorization: Bearer` value to use now, and whether it was fetched by this call.
    pub(crate) async fn authorization(&self) -> Result<(HeaderValue, bool), Error> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref() {
            if !needs_refresh(token.lifetime, token.fetched_at.elapsed()) {
                return Ok((token.header.clone(), false));
            }
        }
        let token = self.fetch().await?;
        let header = token.header.clone();
        *cached = Some(token);
        Ok((header, true))
    }

    /// Forgets the cached token if it is still `used` (Atlas rejected it).
    pub(crate) async fn invalidate(&self, used: &HeaderValue) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|token| token.header == *used) {
            *cached = None;
        }
    }

    async fn fetch(&self) -> Result<CachedToken, Error> {
        let method = "POST";
        let path = Self::PATH;
        let fetched_at = Instant::now();
        let response = self
            .http
            .post(&self.token_url)
            .timeout(self.timeout)
            .header(AUTHORIZATION, basic_authorization(&self.client_id, &self.client_secret))
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(|err| transport(method, path, err))?;
        let status = response.status().as_u16();
        tracing::debug!(
            method,
            path,
            status,
            elapsed_ms = fetched_at.elapsed().as_millis() as u64,
            "atlas token request"
        );
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(|err| transport(method, path, err))?;
        if !(200..300).contains(&status) {
            return Err(ApiError::from_oauth_response(method, path, status, &body, retry_after.as_deref()).into());
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|_| invalid("the body is not a token response"))?;
        if parsed
            .token_type
            .as_deref()
            .is_some_and(|token_type| !token_type.eq_ignore_ascii_case("bearer"))
        {
            return Err(invalid("the token type is not bearer"));
        }
        if parsed.access_token.expose_secret().is_empty() {
            return Err(invalid("the access token is empty"));
        }
        let header = bearer_value(parsed.access_token.expose_secret())
            .map_err(|_| invalid("the access token contains characters not allowed in a header"))?;
        let lifetime = parsed
            .expires_in
            .map(Duration::from_secs)
            .unwrap_or(Self::DEFAULT_LIFETIME);
        Ok(CachedToken {
            header,
            fetched_at,
            lifetime,
        })
    }
}

/// Whether a token of `lifetime`, fetched `age` ago, should be replaced before the next use.
///
/// The margin is a tenth of the lifetime but at least a minute (capped at half the lifetime for
/// very short tokens), so a request never starts with a token about to expire mid-flight.
pub(crate) fn needs_refresh(lifetime: Duration, age: Duration) -> bool {
    let margin = (lifetime / 10).max(Duration::from_secs(60).min(lifetime / 2));
    age + margin >= lifetime
}

/// `Basic base64(urlencode(id):urlencode(secret))`, marked sensitive.
fn basic_authorization(client_id: &str, client_secret: &SecretString) -> HeaderValue {
    let id: String = url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect();
    let secret: String = url::form_urlencoded::byte_serialize(client_secret.expose_secret().as_bytes()).collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    // Base64 output is always a valid header value.
    let mut value =
        HeaderValue::from_str(&format!("Basic {encoded}")).unwrap_or_else(|_| HeaderValue::from_static("Basic"));
    value.set_sensitive(true);
    value
}

fn transport(method: &str, path: &str, err: reqwest::Error) -> Error {
    let connect = err.is_connect();
    let timeout = err.is_timeout();
    let source = TransportError::new(method, path, connect, timeout, err.without_url());
    if timeout {
        Error::Timeout(source)
    } else {
        Error::Transport(source)
    }
}

fn invalid(problem: &str) -> Error {
    Error::Auth(AuthError::InvalidToken {
        problem: problem.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_margin() {
        let hour = Duration::from_secs(3600);
        let cases = [
            // (lifetime s, age s, refresh?)
            (3600, 0, false),
            (3600, 3239, false),
            (3600, 3240, true), // 10% of an hour left
            (3600, 4000, true),
            (300, 239, false),
            (300, 240, true), // at least a minute
            (10, 4, false),
            (10, 5, true), // at most half of a tiny lifetime
            (0, 0, true),
        ];
        for (lifetime, age, expected) in cases {
            assert_eq!(
                needs_refresh(Duration::from_secs(lifetime), Duration::from_secs(age)),
                expected,
                "lifetime {lifetime} age {age}"
            );
        }
        assert!(!needs_refresh(hour, Duration::ZERO));
    }

    #[test]
    fn basic_authorization_encodes_like_the_sdk() {
        let value = basic_authorization("mdb_sa_id_1", &SecretString::from("a b:c"));
        assert!(value.is_sensitive());
        let expected = base64::engine::general_purpose::STANDARD.encode("mdb_sa_id_1:a+b%3Ac");
        assert_eq!(value.to_str().ok(), Some(format!("Basic {expected}").as_str()));
    }
}
