//! OAuth 2.0 client-credentials tokens for Atlas service accounts, and the bearer header.
//!
//! `POST <base_url>/api/oauth/token` with HTTP Basic client authentication (id and secret
//! form-URL-encoded first, as Atlas's Go SDK does) and the form body
//! `grant_type=client_credentials` returns `{access_token, expires_in, token_type}`; tokens last
//! an hour. [`TokenSource`] caches the token and replaces it shortly before it expires, or when
//! Atlas rejects it. Concurrent requests share one fetch: the cache sits behind an async mutex
//! held across the fetch. Where tokens come from is a [`FetchToken`], so the cache and refresh
//! rules are tested without HTTP.
//!
//! This file knows nothing of the client or of the other schemes.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures::future::BoxFuture;
use reqwest::header::{HeaderValue, InvalidHeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::error::{retry_after_header, ApiError, AuthError, Error};
use super::network::LazyHttp;

/// A usable access token: its ready `Authorization` value and how long it lives.
pub(crate) struct Token {
    /// `Bearer <access_token>`, marked sensitive.
    pub(crate) header: HeaderValue,
    /// When the fetch started (Tokio time), so the lifetime is never overestimated.
    pub(crate) fetched_at: Instant,
    /// `expires_in` of the token response, or [`TokenEndpoint::DEFAULT_LIFETIME`] without one.
    pub(crate) lifetime: Duration,
}

/// Fetches a new token; [`TokenEndpoint`] in production, canned tokens in tests.
pub(crate) trait FetchToken: Send + Sync {
    /// One fetch. Errors as [`TokenEndpoint::request_token`] documents.
    fn fetch(&self) -> BoxFuture<'_, Result<Token, Error>>;
}

/// Caches a service account's token; one per client, shared by its clones.
pub(crate) struct TokenSource {
    fetcher: Box<dyn FetchToken>,
    cached: Mutex<Option<Token>>,
}

/// One request's use of a [`TokenSource`]: which token it sent and whether it was new.
pub(crate) struct TokenRequest<'a> {
    source: &'a TokenSource,
    used: Option<HeaderValue>,
    // The token was fetched for this request, so a 401 is not about its age.
    fresh: bool,
}

impl TokenSource {
    /// An empty cache in front of `fetcher`.
    pub(crate) fn new(fetcher: impl FetchToken + 'static) -> TokenSource {
        TokenSource {
            fetcher: Box::new(fetcher),
            cached: Mutex::new(None),
        }
    }

    /// Starts one request's use of the token.
    pub(crate) fn request(&self) -> TokenRequest<'_> {
        TokenRequest {
            source: self,
            used: None,
            fresh: false,
        }
    }

    /// The `Authorization: Bearer` value to use now, and whether it was fetched by this call.
    async fn current(&self) -> Result<(HeaderValue, bool), Error> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref() {
            if !needs_refresh(token.lifetime, token.fetched_at.elapsed()) {
                return Ok((token.header.clone(), false));
            }
        }
        let token = self.fetcher.fetch().await?;
        let header = token.header.clone();
        *cached = Some(token);
        Ok((header, true))
    }

    /// Forgets the cached token if it is still `used` (Atlas rejected it); a token another
    /// request fetched meanwhile is kept.
    async fn invalidate(&self, used: &HeaderValue) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|token| token.header == *used) {
            *cached = None;
        }
    }
}

impl TokenRequest<'_> {
    /// The `Authorization` value for the next exchange: the cached token, or a new one when
    /// none is cached or the cached one is about to expire (see [`needs_refresh`]).
    ///
    /// Errors with the token endpoint's failure, see [`TokenEndpoint::request_token`].
    pub(crate) async fn header(&mut self) -> Result<HeaderValue, Error> {
        let (header, fresh) = self.source.current().await?;
        self.used = Some(header.clone());
        self.fresh = fresh;
        Ok(header)
    }

    /// Atlas answered `401` to the latest header. When that token came from the cache it may
    /// have been revoked: it is forgotten and `true` says the next header will be a new one.
    /// A token fetched for this very request is not replaced (`false`): a new one would fare
    /// no better.
    pub(crate) async fn rejected(&mut self) -> bool {
        match &self.used {
            Some(used) if !self.fresh => {
                self.source.invalidate(used).await;
                true
            }
            _ => false,
        }
    }
}

/// Atlas's token endpoint with a service account's client credentials.
pub(crate) struct TokenEndpoint {
    // The client's connection pool, built on first use.
    http: Arc<LazyHttp>,
    url: String,
    client_id: String,
    client_secret: SecretString,
    timeout: Duration,
    // `host:port` of the proxy requests go through, to name it when it cannot be reached.
    proxy: Option<String>,
}

impl TokenEndpoint {
    /// Path of the token endpoint below the base URL.
    pub(crate) const PATH: &'static str = "/api/oauth/token";

    /// Lifetime assumed when the token response has no `expires_in` (Atlas documents an hour).
    const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

    /// The endpoint below `base_url` (no trailing slash), fetched through `http` with a
    /// `timeout` for the whole exchange.
    pub(crate) fn new(
        http: Arc<LazyHttp>,
        base_url: &str,
        client_id: String,
        client_secret: SecretString,
        timeout: Duration,
    ) -> TokenEndpoint {
        TokenEndpoint {
            http,
            url: format!("{base_url}{}", Self::PATH),
            client_id,
            client_secret,
            timeout,
            proxy: None,
        }
    }

    /// The same endpoint, reached through the proxy at `proxy` (`host:port`).
    pub(crate) fn through_proxy(mut self, proxy: Option<String>) -> TokenEndpoint {
        self.proxy = proxy;
        self
    }

    /// Fetches a token. Errors: `Transport`/`Timeout` without an answer, `Api` (401
    /// `invalid_client` for wrong credentials) for an error status, `Auth(InvalidToken)` for a
    /// 2xx that is not a bearer token.
    async fn request_token(&self) -> Result<Token, Error> {
        let method = "POST";
        let path = Self::PATH;
        let fetched_at = Instant::now();
        let response = self
            .http
            .get()
            .await?
            .post(&self.url)
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
            .map_err(|err| Error::from_reqwest(method, path, err, self.proxy.as_deref()))?;
        let status = response.status().as_u16();
        tracing::debug!(
            method,
            path,
            status,
            elapsed_ms = fetched_at.elapsed().as_millis() as u64,
            "atlas token request"
        );
        let retry_after = retry_after_header(response.headers());
        let body = response
            .bytes()
            .await
            .map_err(|err| Error::from_reqwest(method, path, err, self.proxy.as_deref()))?;
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
        let header = bearer_header(parsed.access_token.expose_secret())
            .map_err(|_| invalid("the access token contains characters not allowed in a header"))?;
        let lifetime = parsed
            .expires_in
            .map(Duration::from_secs)
            .unwrap_or(Self::DEFAULT_LIFETIME);
        Ok(Token {
            header,
            fetched_at,
            lifetime,
        })
    }
}

impl FetchToken for TokenEndpoint {
    fn fetch(&self) -> BoxFuture<'_, Result<Token, Error>> {
        Box::pin(self.request_token())
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: SecretString,
    expires_in: Option<u64>,
    token_type: Option<String>,
}

/// `Bearer <token>` (RFC 6750) as a sensitive header value; errors on characters a header
/// cannot carry.
pub(crate) fn bearer_header(token: &str) -> Result<HeaderValue, InvalidHeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))?;
    value.set_sensitive(true);
    Ok(value)
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

fn invalid(problem: &str) -> Error {
    Error::Auth(AuthError::InvalidToken {
        problem: problem.to_owned(),
    })
}

#[cfg(test)]
pub(crate) mod testing {
    //! Canned tokens instead of the token endpoint.

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// Hands out `t1`, `t2`, … each `lifetime` long, counting the fetches; each fetch takes
    /// a second of (Tokio) time, so concurrent callers really overlap.
    pub(crate) struct Canned {
        pub(crate) lifetime: Duration,
        pub(crate) fetches: Arc<AtomicUsize>,
    }

    impl FetchToken for Canned {
        fn fetch(&self) -> BoxFuture<'_, Result<Token, Error>> {
            Box::pin(async move {
                let fetched_at = Instant::now();
                tokio::time::sleep(Duration::from_secs(1)).await;
                let number = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
                let header = bearer_header(&format!("t{number}")).unwrap_or_else(|err| panic!("{err}"));
                Ok(Token {
                    header,
                    fetched_at,
                    lifetime: self.lifetime,
                })
            })
        }
    }

    /// A token source of hour-long canned tokens and its fetch counter.
    pub(crate) fn canned_source() -> (TokenSource, Arc<AtomicUsize>) {
        let fetches = Arc::new(AtomicUsize::new(0));
        let canned = Canned {
            lifetime: Duration::from_secs(3600),
            fetches: Arc::clone(&fetches),
        };
        (TokenSource::new(canned), fetches)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::testing::canned_source;
    use super::*;

    async fn header(request: &mut TokenRequest<'_>) -> String {
        let value = request.header().await.unwrap_or_else(|err| panic!("{err}"));
        assert!(value.is_sensitive());
        value.to_str().unwrap_or_default().to_owned()
    }

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

    #[test]
    fn bearer_header_is_sensitive_and_rejects_control_characters() {
        let value = bearer_header("eyJ-token").unwrap_or_else(|err| panic!("{err}"));
        assert!(value.is_sensitive());
        assert_eq!(value.to_str().ok(), Some("Bearer eyJ-token"));
        assert!(bearer_header("a\nb").is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn token_is_cached_then_refreshed_before_expiry() {
        let (source, fetches) = canned_source();
        assert_eq!(header(&mut source.request()).await, "Bearer t1");
        tokio::time::sleep(Duration::from_secs(30 * 60)).await;
        assert_eq!(header(&mut source.request()).await, "Bearer t1");
        // After 55 minutes the token has less than a tenth of its hour left.
        tokio::time::sleep(Duration::from_secs(25 * 60)).await;
        assert_eq!(header(&mut source.request()).await, "Bearer t2");
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_rejected_cached_token_is_replaced_once() {
        let (source, fetches) = canned_source();
        header(&mut source.request()).await;
        let mut request = source.request();
        assert_eq!(header(&mut request).await, "Bearer t1");
        assert!(request.rejected().await, "a cached token may have been revoked");
        assert_eq!(header(&mut request).await, "Bearer t2");
        assert!(!request.rejected().await, "a token fetched just now is not replaced");
        assert_eq!(header(&mut source.request()).await, "Bearer t2");
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn invalidation_keeps_a_token_fetched_meanwhile() {
        let (source, _) = canned_source();
        header(&mut source.request()).await;
        let mut slow = source.request();
        header(&mut slow).await;
        let mut other = source.request();
        header(&mut other).await;
        assert!(other.rejected().await);
        assert_eq!(header(&mut other).await, "Bearer t2");
        // The slow request's rejection is about t1, which is gone already: t2 stays.
        assert!(slow.rejected().await);
        assert_eq!(header(&mut slow).await, "Bearer t2");
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_requests_share_one_fetch() {
        let (source, fetches) = canned_source();
        let requests = (0..8).map(|_| async {
            let mut request = source.request();
            header(&mut request).await
        });
        let headers = futures::future::join_all(requests).await;
        assert!(headers.iter().all(|header| header == "Bearer t1"), "{headers:?}");
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }
}
