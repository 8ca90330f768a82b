//! The Atlas client: configuration, the shared HTTP connection pool and `send()`.
//!
//! Every operation is first described as a [`Request`] (method, API path, versioned media type,
//! query, JSON body bytes) by a pure function in its API-area file, so that tests can check it
//! without a network. `execute` then sends it: base URL, `Accept` and `Content-Type` with the
//! operation's media type (Atlas answers 406 without them), authentication, a concurrency
//! limit, and the retry policy of `retry.rs`.

use std::fmt;
use std::sync::Arc;

use std::time::Duration;
use tokio_util::sync::CancellationToken;

use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, DATE, USER_AGENT};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use url::Url;

use super::auth::{Auth, Credentials, Signing, Unauthorized};
use super::clock::{ServerClock, SignedDuration};
use super::error::{retry_after_header, ApiError, DecodeError, Error, RequestError};
use super::network;
use super::pagination::{self, Page};
use super::retry::{self, RetryPolicy};

/// Media type of the Programmatic API Keys, Projects and Organizations operations.
pub(crate) const MEDIA_2023_01_01: &str = "application/vnd.atlas.2023-01-01+json";
/// Media type of the AI Model API Keys operations.
pub(crate) const MEDIA_2025_03_12: &str = "application/vnd.atlas.2025-03-12+json";

/// Settings for [`Client::new`]. Build it with [`Config::new`] and adjust fields as needed.
/// `Debug` leaves out any user info in `base_url`; the credentials redact their own secrets.
#[derive(Clone)]
pub struct Config {
    /// Scheme and host of Atlas, such as `https://cloud.mongodb.com` (a trailing `/` is ignored;
    /// a path prefix is kept). The OAuth token endpoint is `<base_url>/api/oauth/token`.
    pub base_url: String,
    /// How to authenticate.
    pub credentials: Credentials,
    /// The `User-Agent` header sent with every request.
    pub user_agent: String,
    /// When and how long to retry throttled and transient failures.
    pub retry: RetryPolicy,
    /// Most requests in flight at once across all clones of the client (at least 1).
    pub max_concurrent_requests: usize,
    /// Limit for one HTTP exchange, from sending to the end of the response body.
    pub request_timeout: Duration,
    /// Limit for establishing a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Certificate authorities trusted besides the platform's (tests use it for a CA of their own).
    pub(crate) extra_roots: Vec<reqwest::Certificate>,
}

/// Default of [`Config::request_timeout`]: 60 seconds.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default of [`Config::connect_timeout`]: 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &without_user_info(&self.base_url))
            .field("credentials", &self.credentials)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

/// `url` with any user name and password removed; unparsable text is not shown at all.
fn without_user_info(url: &str) -> String {
    match Url::parse(url.trim()) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => "<not a url>".to_string(),
    }
}

impl Config {
    /// Default URL of Atlas.
    pub const DEFAULT_BASE_URL: &'static str = "https://cloud.mongodb.com";

    /// A configuration with the default retry policy, 10 concurrent requests, a 60 s request
    /// timeout and a 10 s connect timeout.
    pub fn new(base_url: impl Into<String>, credentials: Credentials, user_agent: impl Into<String>) -> Config {
        Config {
            base_url: base_url.into(),
            credentials,
            user_agent: user_agent.into(),
            retry: RetryPolicy::default(),
            max_concurrent_requests: 10,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            extra_roots: Vec::new(),
        }
    }
}

/// An Atlas Admin API v2 client. Cheap to clone: clones share one connection pool, one
/// authentication cache and one concurrency limit.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    // Cancels this clone's calls (Terraform's StopProvider); never cancelled by default.
    cancel: CancellationToken,
    // This clone's `User-Agent` when it differs from the configured one.
    user_agent: Option<HeaderValue>,
}

struct Inner {
    // Built by the first request (see `network::LazyHttp`).
    http: Arc<network::LazyHttp>,
    // `Config::user_agent`, which every request carries unless a clone extends it.
    user_agent: String,
    // `base_url` without its trailing slash; API paths are appended to it.
    base_url: String,
    auth: Auth,
    retry: RetryPolicy,
    limiter: Semaphore,
    request_timeout: Duration,
    clock: ServerClock,
    // `host:port` of the proxy requests go through, if any (see `network.rs`).
    proxy: Option<String>,
    resolver: Arc<network::Resolver>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client. Sends nothing; errors (`Error::Request`) on an unusable base URL,
    /// user agent, empty credentials or proxy URL.
    ///
    /// The connection pool itself (and with it the platform's certificate store) is built by
    /// the first request, so a process that never calls Atlas never loads it; should building
    /// it fail, that request (and each later one) fails with `Error::Request`.
    ///
    /// TLS trusts the platform's certificate store, or the PEM file `SSL_CERT_FILE` and the
    /// directories `SSL_CERT_DIR` instead when set (as Go programs such as Terraform do), plus
    /// the Mozilla roots built in. The proxy comes from `HTTPS_PROXY` (`HTTP_PROXY` for an
    /// `http://` base URL) or `ALL_PROXY`, unless `NO_PROXY` names the host (see `network.rs`).
    pub fn new(config: Config) -> Result<Client, Error> {
        Client::new_with_env(config, |name| std::env::var(name).ok())
    }

    /// [`Client::new`] reading the proxy variables from `env` instead of the process.
    pub(crate) fn new_with_env(config: Config, env: impl Fn(&str) -> Option<String>) -> Result<Client, Error> {
        let base_url = validate_base_url(&config.base_url)?;
        let user_agent = HeaderValue::from_str(&config.user_agent)
            .map_err(|err| RequestError::with_source("the user agent is not a valid header value", err))?;
        let parsed_base = Url::parse(&base_url)
            .map_err(|err| RequestError::with_source("the atlas base url is not a valid url", err))?;
        let proxy = network::proxy_for(&parsed_base, env);
        let resolver = Arc::new(network::Resolver::default());
        let proxy_setting = match &proxy {
            Some(proxy) => Some(reqwest::Proxy::all(proxy.clone()).map_err(|_| {
                RequestError::new("the proxy url (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY) is not usable")
            })?),
            None => None,
        };
        let http = Arc::new(network::LazyHttp::new(network::HttpSettings {
            user_agent,
            connect_timeout: config.connect_timeout,
            resolver: resolver.clone(),
            extra_roots: config.extra_roots,
            proxy: proxy_setting,
        }));
        let proxy = proxy.as_ref().map(super::error::host_port);
        let request_timeout = config.request_timeout;
        let auth = Auth::from_credentials(config.credentials, &http, &base_url, request_timeout, proxy.as_deref())?;
        Ok(Client {
            cancel: CancellationToken::new(),
            user_agent: None,
            inner: Arc::new(Inner {
                http,
                user_agent: config.user_agent,
                base_url,
                auth,
                retry: config.retry,
                limiter: Semaphore::new(config.max_concurrent_requests.max(1)),
                request_timeout,
                clock: ServerClock::default(),
                proxy,
                resolver,
            }),
        })
    }

    /// A clone whose calls end with `Error::Cancelled` once `cancel` is cancelled: waits for a
    /// request slot and between retries end at once, and idempotent exchanges are abandoned.
    /// A create already sent is allowed to finish, so the caller learns what it made.
    pub fn with_cancellation(&self, cancel: CancellationToken) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            cancel,
            user_agent: self.user_agent.clone(),
        }
    }

    /// A clone whose Atlas requests send `User-Agent: <Config::user_agent> <extra>`, such as
    /// `terraform-provider-mongodbatlas-rs/0.1.0 Terraform/1.11.4 ModuleName/m`; an `extra` that is
    /// empty or only spaces leaves the configured agent. OAuth token requests keep the
    /// configured agent. Sends nothing.
    ///
    /// Errors (`Error::Request`) when the result is not a valid header value (only visible
    /// ASCII, spaces and tabs are); the error does not quote `extra`.
    pub fn with_user_agent_extra(&self, extra: &str) -> Result<Client, Error> {
        let extra = extra.trim();
        let user_agent = if extra.is_empty() {
            None
        } else {
            let agent = format!("{} {extra}", self.inner.user_agent);
            Some(
                HeaderValue::from_str(&agent)
                    .map_err(|err| RequestError::with_source("the user agent is not a valid header value", err))?,
            )
        };
        Ok(Client {
            inner: Arc::clone(&self.inner),
            cancel: self.cancel.clone(),
            user_agent,
        })
    }

    /// The `User-Agent` this clone's Atlas requests send.
    pub fn user_agent(&self) -> &str {
        match &self.user_agent {
            Some(agent) => agent.to_str().unwrap_or(&self.inner.user_agent),
            None => &self.inner.user_agent,
        }
    }

    /// Atlas's clock minus ours, from the `Date` header of the newest answer; `None` until an
    /// answer with one arrived. Accurate to about a second (see `clock.rs`).
    pub fn server_clock_offset(&self) -> Option<SignedDuration> {
        self.inner.clock.offset()
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// True once the first request built the connection pool (and loaded the trust store).
    pub fn http_built(&self) -> bool {
        self.inner.http.is_built()
    }

    /// Host names looked up in DNS so far (IP addresses need none), across all clones.
    pub fn name_lookups(&self) -> u64 {
        self.inner.resolver.lookups()
    }

    /// Sends `request` and decodes the 2xx JSON body.
    pub(crate) async fn send_json<T: DeserializeOwned>(&self, request: &Request) -> Result<T, Error> {
        let success = self.execute(request).await?;
        serde_json::from_slice(&success.body).map_err(|err| {
            Error::Decode(DecodeError::from_json(
                request.method.as_str(),
                &request.path,
                success.status,
                &err,
            ))
        })
    }

    /// Sends `request` and ignores the 2xx body (Atlas sends none on 204).
    pub(crate) async fn send_no_content(&self, request: &Request) -> Result<(), Error> {
        self.execute(request).await.map(|_| ())
    }

    /// Fetches every page of a list operation. `page_request(page_num, items_per_page)` builds
    /// the request for one page.
    pub(crate) async fn collect_pages<T: DeserializeOwned>(
        &self,
        page_request: impl Fn(u32, u32) -> Result<Request, Error>,
    ) -> Result<Vec<T>, Error> {
        let items_per_page = pagination::ITEMS_PER_PAGE;
        let mut collected = Vec::new();
        for page_num in 1..=pagination::MAX_PAGES {
            let request = page_request(page_num, items_per_page)?;
            let page: Page<T> = self.send_json(&request).await?;
            let page_len = page.results.len();
            collected.extend(page.results);
            if pagination::is_last_page(collected.len(), page_len, items_per_page, page.total_count) {
                return Ok(collected);
            }
        }
        let request = page_request(pagination::MAX_PAGES, items_per_page)?;
        Err(Error::Decode(DecodeError::other(
            request.method.as_str(),
            &request.path,
            200,
            format!("the list did not end after {} pages", pagination::MAX_PAGES),
        )))
    }

    /// Sends `request` under the concurrency limit, retrying as `retry::classify` allows.
    async fn execute(&self, request: &Request) -> Result<Success, Error> {
        let started = Instant::now();
        let mut attempt: u32 = 1;
        loop {
            let outcome = {
                let _permit = tokio::select! {
                    biased;
                    _ = self.cancel.cancelled() => return Err(Error::Cancelled),
                    permit = self.inner.limiter.acquire() => permit.map_err(|_| Error::Cancelled)?,
                };
                if request.is_idempotent() {
                    tokio::select! {
                        biased;
                        _ = self.cancel.cancelled() => return Err(Error::Cancelled),
                        outcome = self.attempt(request, attempt) => outcome,
                    }
                } else {
                    self.attempt(request, attempt).await
                }
            };
            let mut failure = match outcome {
                Ok(success) => return Ok(success),
                Err(failure) => failure,
            };
            if let Error::Api(api) = &mut failure.error {
                if api.status == 401 {
                    api.auth_method = Some(self.inner.auth.method(api.detail.as_deref()));
                }
            }
            // A request that never left us can be replayed even when it is not idempotent.
            let replay_safe = request.is_idempotent() || !failure.sent;
            let action = retry::classify(&failure.error, replay_safe);
            let jitter = rand::random_range(0.5..=1.0);
            let Some(delay) = retry::next_delay(&self.inner.retry, &action, attempt, started.elapsed(), jitter) else {
                return Err(failure.error);
            };
            tracing::debug!(
                method = %request.method,
                path = %request.path,
                attempt,
                delay_ms = delay.as_millis() as u64,
                reason = ?action,
                cause = %failure.error,
                "retrying atlas request"
            );
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return Err(Error::Cancelled),
                _ = tokio::time::sleep(delay) => {}
            }
            attempt += 1;
        }
    }

    /// One attempt: send, classify, retry. At most two HTTP exchanges; the second only when
    /// authentication has new credentials for a `401` (see `auth.rs`).
    async fn attempt(&self, request: &Request, attempt: u32) -> Result<Success, Failure> {
        let url = self.url(request).map_err(Failure::unsent)?;
        let target = request_target(&url);
        let mut auth = self.inner.auth.for_request(Signing {
            method: request.method.as_str(),
            path: &request.path,
            target: &target,
            body: request.body.as_deref().unwrap_or_default(),
        });
        loop {
            // The header may wait (for the Digest challenge another request is fetching, or a
            // token); nothing is sent meanwhile, so even a create honours cancellation here.
            let authorization = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return Err(Failure::unsent(Error::Cancelled)),
                header = auth.header() => header.map_err(Failure::unsent)?,
            };
            let response = self.exchange(request, &url, authorization, attempt).await?;
            if response.status().as_u16() != 401 {
                auth.accepted();
            } else if auth.unauthorized(response.headers()).await.map_err(Failure::unsent)? == Unauthorized::Retry {
                // Read the body so the connection goes back to the pool.
                let _ = response.bytes().await;
                continue;
            }
            return read_answer(request, response, self.inner.proxy.as_deref()).await;
        }
    }

    /// One HTTP exchange up to the response head; records Atlas's clock from its `Date`.
    async fn exchange(
        &self,
        request: &Request,
        url: &Url,
        authorization: Option<HeaderValue>,
        attempt: u32,
    ) -> Result<reqwest::Response, Failure> {
        let method = request.method.as_str();
        let http = self.inner.http.get().await.map_err(Failure::unsent)?;
        let mut builder = http
            .request(request.method.clone(), url.clone())
            .timeout(self.inner.request_timeout)
            .header(ACCEPT, HeaderValue::from_static(request.media_type));
        if let Some(bytes) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, HeaderValue::from_static(request.media_type))
                .body(bytes.clone());
        }
        if let Some(value) = authorization {
            builder = builder.header(AUTHORIZATION, value);
        }
        if let Some(agent) = &self.user_agent {
            // A request header replaces the client's default one.
            builder = builder.header(USER_AGENT, agent.clone());
        }
        let exchange_started = Instant::now();
        let response = match builder.send().await {
            Ok(response) => response,
            Err(err) => {
                tracing::debug!(
                    method,
                    path = %request.path,
                    attempt,
                    elapsed_ms = exchange_started.elapsed().as_millis() as u64,
                    connect = err.is_connect(),
                    timeout = err.is_timeout(),
                    "atlas request failed without a response"
                );
                return Err(Failure::transport(
                    method,
                    &request.path,
                    err,
                    self.inner.proxy.as_deref(),
                ));
            }
        };
        self.inner.clock.observe(
            response.headers().get(DATE).and_then(|value| value.to_str().ok()),
            std::time::SystemTime::now(),
        );
        tracing::debug!(
            method,
            path = %request.path,
            status = response.status().as_u16(),
            attempt,
            elapsed_ms = exchange_started.elapsed().as_millis() as u64,
            "atlas request"
        );
        Ok(response)
    }

    fn url(&self, request: &Request) -> Result<Url, Error> {
        let mut url = Url::parse(&format!("{}{}", self.inner.base_url, request.path))
            .map_err(|err| RequestError::with_source(format!("could not build the url for {}", request.path), err))?;
        if !request.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &request.query {
                pairs.append_pair(name, value);
            }
        }
        Ok(url)
    }
}

/// Reads the body: a 2xx is a [`Success`], anything else Atlas's [`ApiError`].
async fn read_answer(request: &Request, response: reqwest::Response, proxy: Option<&str>) -> Result<Success, Failure> {
    let method = request.method.as_str();
    let status = response.status().as_u16();
    let retry_after = retry_after_header(response.headers());
    let bytes = response
        .bytes()
        .await
        .map_err(|err| Failure::transport(method, &request.path, err, proxy))?;
    if (200..300).contains(&status) {
        return Ok(Success {
            status,
            body: bytes.to_vec(),
        });
    }
    let api_error = ApiError::from_response(method, &request.path, status, &bytes, retry_after.as_deref());
    Err(Failure {
        error: api_error.into(),
        sent: true,
    })
}

/// A described, not yet sent, Atlas operation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Request {
    pub(crate) method: Method,
    /// The API path with percent-encoded ids, such as `/api/atlas/v2/orgs/{orgId}/apiKeys`.
    pub(crate) path: String,
    /// The versioned media type for `Accept` (and `Content-Type` when there is a body).
    pub(crate) media_type: &'static str,
    pub(crate) query: Vec<(&'static str, String)>,
    /// The JSON body, serialized once so that retries and Digest answers resend the same bytes.
    pub(crate) body: Option<Vec<u8>>,
    /// Set by [`Request::idempotent`] for a POST that may safely be sent twice.
    pub(crate) idempotent_post: bool,
}

impl Request {
    pub(crate) fn new(method: Method, media_type: &'static str, path: String) -> Request {
        Request {
            method,
            path,
            media_type,
            query: Vec::new(),
            body: None,
            idempotent_post: false,
        }
    }

    /// Marks a POST whose repetition has the same effect as one call (Atlas's `:reset` custom
    /// methods), so it is retried like a GET.
    pub(crate) fn idempotent(mut self) -> Request {
        self.idempotent_post = true;
        self
    }

    pub(crate) fn query(mut self, name: &'static str, value: impl ToString) -> Request {
        self.query.push((name, value.to_string()));
        self
    }

    pub(crate) fn page(self, page_num: u32, items_per_page: u32) -> Request {
        self.query("pageNum", page_num).query("itemsPerPage", items_per_page)
    }

    pub(crate) fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Request, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|err| RequestError::with_source(format!("could not serialize the body for {}", self.path), err))?;
        self.body = Some(bytes);
        Ok(self)
    }

    /// Whether sending the request twice has the same effect as sending it once. All our
    /// GET, PATCH and DELETE calls set or remove state; POST creates, unless marked with
    /// [`Request::idempotent`].
    pub(crate) fn is_idempotent(&self) -> bool {
        self.method != Method::POST || self.idempotent_post
    }

    #[cfg(test)]
    pub(crate) fn body_json(&self) -> serde_json::Value {
        self.body
            .as_deref()
            .and_then(|bytes| serde_json::from_slice(bytes).ok())
            .unwrap_or(serde_json::Value::Null)
    }
}

/// Percent-encodes one path segment taken from a caller (an org, project or key id).
///
/// Only RFC 3986 unreserved characters pass through, so an id can never add path segments or
/// a query; empty, `.` and `..` are rejected because they would change the path's meaning.
/// Atlas itself validates the id's format (for example 24 hex digits).
pub(crate) fn segment(value: &str, what: &str) -> Result<String, Error> {
    if value.is_empty() || value == "." || value == ".." {
        return Err(RequestError::new(format!("{what} {value:?} is not a valid id")).into());
    }
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    Ok(encoded)
}

/// The request target (path and query) as it goes on the wire; Digest signs exactly this.
fn request_target(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Checks `base_url` as [`Client::new`] does (http or https, a host, no credentials, query or
/// fragment) and returns it without a trailing slash. Errors (`Error::Request`) never repeat
/// the URL, which may carry credentials.
pub fn validate_base_url(base_url: &str) -> Result<String, Error> {
    // The message never repeats the URL: a mistyped URL may carry credentials.
    let parsed = Url::parse(base_url.trim())
        .map_err(|err| RequestError::with_source("the atlas base url is not a valid url", err))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(RequestError::new("the atlas base url must start with http:// or https://").into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(RequestError::new("the atlas base url must not contain credentials").into());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(RequestError::new("the atlas base url must not have a query or fragment").into());
    }
    if parsed.cannot_be_a_base() || parsed.host_str().is_none() {
        return Err(RequestError::new("the atlas base url must name a host").into());
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// A 2xx response.
pub(crate) struct Success {
    status: u16,
    body: Vec<u8>,
}

/// A failed attempt, and whether the request may have reached Atlas.
struct Failure {
    error: Error,
    sent: bool,
}

impl Failure {
    fn unsent(error: Error) -> Failure {
        Failure { error, sent: false }
    }

    /// No (complete) response; sent unless the connection was never made.
    fn transport(method: &str, path: &str, err: reqwest::Error, proxy: Option<&str>) -> Failure {
        let sent = !err.is_connect();
        Failure {
            error: Error::from_reqwest(method, path, err, proxy),
            sent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_debug_hides_user_info_and_secrets() {
        let config = Config::new(
            "https://user:s3cr3t@cloud.example.com/",
            Credentials::Digest {
                public_key: "public".to_string(),
                private_key: secrecy::SecretString::from("private-part"),
            },
            "agent",
        );
        let shown = format!("{config:?}");
        assert!(shown.contains("cloud.example.com"), "{shown}");
        for secret in ["s3cr3t", "user:", "private-part"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    fn digest() -> Credentials {
        Credentials::Digest {
            public_key: "zmmrboas".into(),
            private_key: "55c3bbb6-b4bb-0be1-e66d20841f3e".to_owned().into(),
        }
    }

    #[test]
    fn segment_encodes_everything_but_unreserved() {
        let cases = [
            ("32b6e34b3d91647abb20e7b8", Some("32b6e34b3d91647abb20e7b8")),
            ("a86r5kwrfsk5r5ku5tgvhmpj", Some("a86r5kwrfsk5r5ku5tgvhmpj")),
            ("../groups/x", Some("..%2Fgroups%2Fx")),
            ("a?b#c", Some("a%3Fb%23c")),
            ("10.0.0.0/24", Some("10.0.0.0%2F24")),
            ("é", Some("%C3%A9")),
            ("", None),
            (".", None),
            ("..", None),
        ];
        for (input, expected) in cases {
            assert_eq!(segment(input, "id").ok().as_deref(), expected, "{input:?}");
        }
    }

    #[test]
    fn base_url_is_validated_without_echoing_it() {
        let ok = [
            ("https://cloud.mongodb.com", "https://cloud.mongodb.com"),
            ("https://cloud.mongodb.com/", "https://cloud.mongodb.com"),
            ("http://127.0.0.1:8080/prefix/", "http://127.0.0.1:8080/prefix"),
        ];
        for (input, expected) in ok {
            assert_eq!(validate_base_url(input).ok().as_deref(), Some(expected), "{input}");
        }
        for input in [
            "cloud.mongodb.com",
            "ftp://x",
            "https://user:hunter2@x",
            "https://x/?a=b",
            "not a url",
        ] {
            let err = match validate_base_url(input) {
                Ok(url) => panic!("{input} accepted as {url}"),
                Err(err) => err.to_string(),
            };
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn new_rejects_bad_settings() {
        let mut config = Config::new("https://cloud.mongodb.com", digest(), "tf/1.0");
        config.user_agent = "bad\nagent".into();
        assert!(matches!(Client::new(config), Err(Error::Request(_))));
        let config = Config::new(
            "https://cloud.mongodb.com",
            Credentials::Digest {
                public_key: "k".into(),
                private_key: String::new().into(),
            },
            "tf/1.0",
        );
        assert!(matches!(Client::new(config), Err(Error::Request(_))));
        let client = Client::new(Config::new("https://cloud.mongodb.com/", digest(), "tf/1.0"));
        assert!(client.is_ok_and(|c| c.base_url() == "https://cloud.mongodb.com"));
    }

    #[test]
    fn user_agent_extra_extends_the_configured_agent_per_clone() {
        let client = Client::new(Config::new("https://cloud.mongodb.com", digest(), "tf/1.0"))
            .unwrap_or_else(|err| panic!("{err}"));
        let extended = client
            .with_user_agent_extra(" ModuleName/m ")
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(extended.user_agent(), "tf/1.0 ModuleName/m");
        assert_eq!(client.user_agent(), "tf/1.0", "the original clone is unchanged");
        let cancellable = extended.with_cancellation(CancellationToken::new());
        assert_eq!(cancellable.user_agent(), "tf/1.0 ModuleName/m", "kept across clones");
        let plain = extended
            .with_user_agent_extra("  ")
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(plain.user_agent(), "tf/1.0");
        let err = match client.with_user_agent_extra("secret\nline") {
            Ok(_) => panic!("a newline was accepted"),
            Err(err) => err.to_string(),
        };
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn url_carries_query_and_target_is_signed_as_sent() {
        let client = match Client::new(Config::new("http://127.0.0.1:9/pre/", digest(), "tf/1.0")) {
            Ok(client) => client,
            Err(err) => panic!("{err}"),
        };
        let request = Request::new(Method::GET, MEDIA_2023_01_01, "/api/atlas/v2/orgs".into()).page(2, 100);
        let url = client.url(&request).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/pre/api/atlas/v2/orgs?pageNum=2&itemsPerPage=100"
        );
        assert_eq!(
            request_target(&url),
            "/pre/api/atlas/v2/orgs?pageNum=2&itemsPerPage=100"
        );
    }

    #[test]
    fn config_debug_hides_the_private_key() {
        let config = Config::new("https://cloud.mongodb.com", digest(), "tf/1.0");
        let debug = format!("{config:?}");
        assert!(!debug.contains("55c3bbb6"), "{debug}");
        assert!(debug.contains("zmmrboas"));
    }

    #[test]
    fn only_post_is_not_idempotent() {
        for (method, idempotent) in [
            (Method::GET, true),
            (Method::PATCH, true),
            (Method::DELETE, true),
            (Method::POST, false),
        ] {
            let request = Request::new(method, MEDIA_2023_01_01, "/p".into());
            assert_eq!(request.is_idempotent(), idempotent);
        }
    }
}
