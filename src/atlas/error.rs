//! Errors of the Atlas client, grouped by the phase in which a call failed.
//!
//! A caller can tell "never sent" (`Request`), "sent but no answer" (`Timeout`, `Transport`),
//! "answered but unreadable" (`Decode`) and "Atlas said no" (`Api`) apart, because each phase
//! calls for a different reaction: fix the configuration, retry, report a provider bug, or show
//! Atlas's own explanation. Display strings never contain credentials, `Authorization` headers,
//! query strings or secrets from response bodies.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// Boxed error used as the `source` of transport failures.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Longest raw (non-Atlas-JSON) error body kept in [`ApiError::raw_body`], in bytes.
pub(crate) const RAW_BODY_LIMIT: usize = 1024;

/// Every way an Atlas call can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request was never sent: bad configuration, an unusable id, a body that did not serialize.
    #[error(transparent)]
    Request(RequestError),
    /// The request may have been sent, but no complete response arrived in time.
    #[error(transparent)]
    Timeout(TransportError),
    /// No response: connection refused or reset, TLS failure, DNS failure.
    #[error(transparent)]
    Transport(TransportError),
    /// Atlas answered 2xx, but the body was not the JSON this client expects.
    #[error(transparent)]
    Decode(DecodeError),
    /// Atlas (or the token endpoint) answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// Authentication could not be attempted, for example because the Digest challenge was malformed.
    #[error(transparent)]
    Auth(AuthError),
    /// The call was abandoned before it finished.
    #[error("the Atlas request was cancelled")]
    Cancelled,
}

/// A read whose not-found means "absent": [`Error::is_not_found`] becomes `Ok(None)`, every
/// other failure stays an error. Used by the client's `*_opt` reads.
pub trait OrAbsent<T> {
    /// `Ok(Some(value))`, `Ok(None)` for a genuine not-found, or the error.
    fn or_absent(self) -> Result<Option<T>, Error>;
}

impl<T> OrAbsent<T> for Result<T, Error> {
    fn or_absent(self) -> Result<Option<T>, Error> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(err),
        }
    }
}

impl Error {
    /// True for a genuine "this resource does not exist" answer from Atlas: a 404 carrying an
    /// Atlas error body, or the errorCode `API_KEY_NOT_FOUND` (which Atlas documents as a 400).
    ///
    /// A 404 whose body is not Atlas JSON (for example a proxy's HTML page because `base_url`
    /// points to the wrong host) is *not* a not-found: dropping state on it would lose resources.
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::Api(api) => api.is_not_found(),
            _ => false,
        }
    }

    /// Atlas's `errorCode`, when Atlas answered with its error JSON.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Error::Api(api) => api.error_code.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(api) => Some(api.status),
            Error::Decode(decode) => Some(decode.status),
            _ => None,
        }
    }

    /// True when Atlas throttled the call (429, or a `RATE_LIMITED*` errorCode).
    pub fn is_rate_limited(&self) -> bool {
        match self {
            Error::Api(api) => {
                api.status == 429
                    || api
                        .error_code
                        .as_deref()
                        .is_some_and(|code| code.starts_with("RATE_LIMITED"))
            }
            _ => false,
        }
    }

    /// How long Atlas asked us to wait: the `Retry-After` header, or else the seconds named in a
    /// `RATE_LIMITED_TOKEN_BUCKET` body (`parameters[1]`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(api) => api.retry_after,
            _ => None,
        }
    }

    /// True unless the request certainly did not take effect in Atlas.
    ///
    /// A create that fails with `true` may have created the object anyway (the response was lost
    /// or Atlas failed after committing), so the caller should look for it before creating again.
    /// `false` cases: never sent, refused before the connection was made, an Atlas answer that
    /// rejects the request (4xx: Atlas validates before it acts, and a 429 is refused before
    /// processing, per the rate-limit docs), or cancelled (the client cancels a create only
    /// while it waits to be sent; once sent, a create runs to its answer).
    pub fn may_have_been_processed(&self) -> bool {
        match self {
            Error::Request(_) | Error::Auth(_) | Error::Cancelled => false,
            Error::Timeout(transport) | Error::Transport(transport) => !transport.connect,
            Error::Decode(_) => true,
            Error::Api(api) => api.status >= 500,
        }
    }

    /// The Atlas error details, when Atlas answered with an error status.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }
}

/// Why a request could not be built or sent.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RequestError {
    /// What was wrong, in lowercase, naming the offending setting or argument.
    pub message: String,
    #[source]
    source: Option<BoxError>,
}

impl RequestError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        RequestError {
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn with_source(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        RequestError {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

impl Error {
    /// The one mapping from a `reqwest` failure (no complete response) to our phases:
    /// [`Error::Timeout`] when reqwest's timer fired, otherwise [`Error::Transport`], each with
    /// its [`TransportCause`] read from the error's source chain.
    ///
    /// `method` and `path` (API path, no query) name the request in the message; of the URL
    /// inside `err` only the host and port are kept, because the rest may carry a query.
    /// `proxy` is the `host:port` of the proxy the request went through, if any: a failure to
    /// connect then is the proxy's. The result's `connect` flag is true when the failure
    /// happened while connecting, so nothing was sent.
    pub(crate) fn from_reqwest(method: &str, path: &str, err: reqwest::Error, proxy: Option<&str>) -> Error {
        let connect = err.is_connect();
        let timeout = err.is_timeout();
        let endpoint = err.url().map(host_port).unwrap_or_default();
        // Without the URL, so that no description of the cause can repeat its query.
        let err = err.without_url();
        let mut cause = TransportCause::of(&err, timeout, connect);
        if let Some(proxy) = proxy {
            // hyper-util's tunnel error for a CONNECT answered 407 is not a public type; its
            // text is all there is to tell it by.
            if let TransportCause::Other(what) = &cause {
                if what.contains("proxy authorization required") {
                    cause = TransportCause::ProxyAuthenticationRequired {
                        proxy: proxy.to_owned(),
                    };
                }
            }
            let reaching_proxy = connect
                && matches!(
                    cause,
                    TransportCause::ConnectionRefused
                        | TransportCause::NameNotResolved
                        | TransportCause::TimedOut { .. }
                        | TransportCause::ConnectionClosed
                        | TransportCause::Other(_)
                );
            if reaching_proxy {
                cause = TransportCause::ProxyUnreachable {
                    proxy: proxy.to_owned(),
                    why: Box::new(cause),
                };
            }
        }
        let source = TransportError::new(method, path, connect, timeout, err)
            .at(endpoint)
            .because(cause);
        if timeout {
            Error::Timeout(source)
        } else {
            Error::Transport(source)
        }
    }
}

/// `host:port` of `url`, with the scheme's default port when it names none.
pub(crate) fn host_port(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

impl From<RequestError> for Error {
    fn from(err: RequestError) -> Self {
        Error::Request(err)
    }
}

/// Why a request got no response, in words a reader can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportCause {
    /// The host answered the TCP connection with a refusal: nothing listens on that port.
    ConnectionRefused,
    /// DNS could not resolve the host name. Not retried.
    NameNotResolved,
    /// The server's TLS certificate is not signed by a trusted certificate authority. Not retried.
    CertificateNotTrusted,
    /// The server's TLS certificate has expired or is not valid yet. Not retried.
    CertificateExpired,
    /// The server's TLS certificate is for another host name. Not retried.
    CertificateNameMismatch,
    /// Another TLS certificate problem, in rustls's words. Not retried.
    CertificateRejected(String),
    /// The timer ran out: while connecting (TCP and TLS), or waiting for the answer.
    TimedOut {
        /// True when the connection was not yet established.
        connecting: bool,
    },
    /// The proxy (`host:port`) could not be reached, and why.
    ProxyUnreachable {
        /// `host:port` of the proxy, without credentials.
        proxy: String,
        /// What went wrong reaching it.
        why: Box<TransportCause>,
    },
    /// The proxy (`host:port`) was reached but asked for credentials it did not get or did not
    /// accept (407). Not retried.
    ProxyAuthenticationRequired {
        /// `host:port` of the proxy, without credentials.
        proxy: String,
    },
    /// The connection was closed or reset before the answer was complete.
    ConnectionClosed,
    /// Anything else, described by the innermost error.
    Other(String),
}

impl TransportCause {
    /// True when retrying cannot help: a name that does not resolve, or a certificate that is
    /// not accepted; both fail the same way until someone changes the setup.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            TransportCause::NameNotResolved
                | TransportCause::CertificateNotTrusted
                | TransportCause::CertificateExpired
                | TransportCause::CertificateNameMismatch
                | TransportCause::CertificateRejected(_)
                | TransportCause::ProxyAuthenticationRequired { .. }
        )
    }

    /// Reads the cause from `err`'s source chain: rustls certificate errors, our resolver's
    /// [`NameNotResolved`], then the I/O error kinds.
    fn of(err: &(dyn std::error::Error + 'static), timeout: bool, connect: bool) -> TransportCause {
        let mut innermost = err.to_string();
        let mut io_cause = None;
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
        while let Some(error) = current {
            // An `io::Error` hides the error it wraps from `source()`; look inside, at any depth.
            let mut candidate = Some(error);
            while let Some(inner) = candidate {
                if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                    if let Some(cause) = TransportCause::of_tls(tls) {
                        return cause;
                    }
                }
                if inner.downcast_ref::<NameNotResolved>().is_some() {
                    return TransportCause::NameNotResolved;
                }
                candidate = inner
                    .downcast_ref::<std::io::Error>()
                    .and_then(|io| io.get_ref())
                    .map(|wrapped| wrapped as &(dyn std::error::Error + 'static));
            }
            if let Some(io) = error.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind;
                io_cause = io_cause.or(match io.kind() {
                    ErrorKind::ConnectionRefused => Some(TransportCause::ConnectionRefused),
                    ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof => Some(TransportCause::ConnectionClosed),
                    _ => None,
                });
            }
            innermost = error.to_string();
            current = error.source();
        }
        if timeout {
            return TransportCause::TimedOut { connecting: connect };
        }
        if let Some(cause) = io_cause {
            return cause;
        }
        if !connect && (innermost.contains("closed") || innermost.contains("incomplete")) {
            return TransportCause::ConnectionClosed;
        }
        TransportCause::Other(innermost)
    }

    fn of_tls(err: &rustls::Error) -> Option<TransportCause> {
        use rustls::CertificateError;
        let rustls::Error::InvalidCertificate(certificate) = err else {
            return None;
        };
        Some(match certificate {
            CertificateError::UnknownIssuer => TransportCause::CertificateNotTrusted,
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TransportCause::CertificateExpired,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TransportCause::CertificateNameMismatch
            }
            other => TransportCause::CertificateRejected(format!("{other:?}")),
        })
    }
}

impl fmt::Display for TransportCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportCause::ConnectionRefused => {
                f.write_str("connection refused (nothing accepts connections on that port)")
            }
            TransportCause::NameNotResolved => f.write_str("the host name could not be resolved (DNS)"),
            TransportCause::CertificateNotTrusted => f.write_str(
                "the TLS certificate is not trusted: no certificate authority in the system store, SSL_CERT_FILE \
                 or SSL_CERT_DIR signed it",
            ),
            TransportCause::CertificateExpired => f.write_str("the TLS certificate has expired or is not valid yet"),
            TransportCause::CertificateNameMismatch => f.write_str("the TLS certificate is for another host name"),
            TransportCause::CertificateRejected(why) => write!(f, "the TLS certificate was rejected ({why})"),
            TransportCause::TimedOut { connecting: true } => f.write_str("timed out while connecting"),
            TransportCause::TimedOut { connecting: false } => f.write_str("timed out waiting for the answer"),
            TransportCause::ProxyUnreachable { proxy, why } => write!(f, "the proxy {proxy} is unreachable: {why}"),
            TransportCause::ProxyAuthenticationRequired { proxy } => {
                write!(
                    f,
                    "the proxy {proxy} refused the request: it requires authentication (407)"
                )
            }
            TransportCause::ConnectionClosed => f.write_str("the connection was closed before the answer was complete"),
            TransportCause::Other(what) => f.write_str(what),
        }
    }
}

/// The error our resolver gives for a host name DNS cannot resolve, so that the cause is read
/// from its type rather than from an error message.
#[derive(Debug, thiserror::Error)]
#[error("could not resolve {host}")]
pub(crate) struct NameNotResolved {
    pub(crate) host: String,
    #[source]
    pub(crate) source: Option<std::io::Error>,
}

/// A request that got no usable response (used by both `Timeout` and `Transport`).
#[derive(Debug)]
pub struct TransportError {
    /// HTTP method of the failed request.
    pub method: String,
    /// API path of the failed request, without query or host.
    pub path: String,
    /// `host:port` the request went to (empty when unknown).
    pub endpoint: String,
    /// True when the failure happened while connecting, so the request was certainly not sent.
    pub connect: bool,
    // Boxed to keep `Error` small.
    cause: Box<TransportCause>,
    source: BoxError,
}

impl TransportError {
    /// The error for `source`, its cause read from it (see [`Error::from_reqwest`]).
    pub(crate) fn new(method: &str, path: &str, connect: bool, timeout: bool, source: impl Into<BoxError>) -> Self {
        let source: BoxError = source.into();
        TransportError {
            method: method.to_owned(),
            path: path.to_owned(),
            endpoint: String::new(),
            connect,
            cause: Box::new(TransportCause::of(source.as_ref(), timeout, connect)),
            source,
        }
    }

    pub(crate) fn at(mut self, endpoint: String) -> Self {
        self.endpoint = endpoint;
        self
    }

    pub(crate) fn because(mut self, cause: TransportCause) -> Self {
        self.cause = Box::new(cause);
        self
    }

    /// Why there was no response.
    pub fn cause(&self) -> &TransportCause {
        &self.cause
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.endpoint.is_empty() {
            String::new()
        } else {
            format!(" at {}", self.endpoint)
        };
        write!(
            f,
            "could not reach Atlas{at} for {} {}: {}",
            self.method, self.path, self.cause
        )
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

/// A 2xx response whose body was not the expected JSON.
///
/// Only the position and a value-free description of the problem are kept: serde's own messages
/// can quote body values, and a create response body holds a private key or secret.
#[derive(Debug, thiserror::Error)]
#[error("could not decode the Atlas response to {method} {path} (status {status}): {problem} at line {line} column {column}")]
pub struct DecodeError {
    /// HTTP method of the request.
    pub method: String,
    /// API path of the request, without query or host.
    pub path: String,
    /// HTTP status of the response.
    pub status: u16,
    /// What was wrong, without any value taken from the body.
    pub problem: String,
    /// Line of the problem in the body (1-based; 0 when unknown).
    pub line: usize,
    /// Column of the problem in the body (1-based; 0 when unknown).
    pub column: usize,
}

impl DecodeError {
    pub(crate) fn from_json(method: &str, path: &str, status: u16, err: &serde_json::Error) -> Self {
        DecodeError {
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            problem: value_free_problem(err),
            line: err.line(),
            column: err.column(),
        }
    }

    pub(crate) fn other(method: &str, path: &str, status: u16, problem: impl Into<String>) -> Self {
        DecodeError {
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            problem: problem.into(),
            line: 0,
            column: 0,
        }
    }
}

/// Describes a serde_json error without quoting any value from the input.
fn value_free_problem(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let message = err.to_string();
    // These serde messages name only field names that come from our own structs.
    for safe_prefix in ["missing field `", "duplicate field `"] {
        if let Some(rest) = message.strip_prefix(safe_prefix) {
            if let Some(end) = rest.find('`') {
                return format!("{safe_prefix}{}`", &rest[..end]);
            }
        }
    }
    match err.classify() {
        Category::Io => "the body could not be read".to_owned(),
        Category::Syntax => "the body is not valid JSON".to_owned(),
        Category::Data => "a value has an unexpected type or format".to_owned(),
        Category::Eof => "the body ended early".to_owned(),
    }
}

/// Authentication could not be carried out (as opposed to Atlas rejecting the credentials,
/// which is an [`ApiError`] with status 401).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Atlas's `WWW-Authenticate` Digest challenge could not be parsed or answered.
    #[error("Atlas sent a digest challenge this client cannot answer for {method} {path}: {problem}")]
    MalformedChallenge {
        /// HTTP method of the request that was challenged.
        method: String,
        /// API path of the request that was challenged.
        path: String,
        /// What was wrong with the challenge.
        problem: String,
    },
    /// The OAuth token endpoint answered 2xx with something that is not a usable token.
    #[error("the Atlas token endpoint returned an unusable token: {problem}")]
    InvalidToken {
        /// What was wrong, without the token itself.
        problem: String,
    },
}

/// An error answer from Atlas: its status plus the fields of Atlas's `ApiError` body.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// HTTP status of the response; always kept, even when the body is not Atlas JSON.
    pub status: u16,
    /// Atlas's `errorCode`, such as `API_KEY_NOT_FOUND`.
    pub error_code: Option<String>,
    /// Atlas's `detail`: the human explanation.
    pub detail: Option<String>,
    /// Atlas's `reason`: the HTTP reason phrase.
    pub reason: Option<String>,
    /// Atlas's `parameters` (usually scalars, such as the id that was not found).
    pub parameters: Vec<serde_json::Value>,
    /// Atlas's `badRequestDetail.fields`: which request fields were invalid.
    pub fields: Vec<FieldViolation>,
    /// HTTP method of the request.
    pub method: String,
    /// API path of the request, without query, host or credentials.
    pub path: String,
    /// The body, truncated, when it was not Atlas's error JSON (for example an HTML 502 page).
    pub raw_body: Option<String>,
    /// How long Atlas asked us to wait before retrying (`Retry-After`, or the token-bucket body).
    pub retry_after: Option<Duration>,
    /// For a `401`: the credential method the request was sent with (set by the client).
    pub auth_method: Option<super::auth::AuthMethod>,
}

/// One invalid field reported in `badRequestDetail.fields`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FieldViolation {
    /// Path to the field in the request body, such as `desc`.
    pub field: String,
    /// Why the field was rejected.
    pub description: String,
}

impl ApiError {
    /// See [`Error::is_not_found`].
    pub fn is_not_found(&self) -> bool {
        match self.error_code.as_deref() {
            Some("API_KEY_NOT_FOUND") => true,
            // Atlas's answer for a path no route serves (a `base_url` with a wrong path, a
            // mis-encoded segment) names the whole path: that says nothing about the object.
            Some("RESOURCE_NOT_FOUND") if self.names_a_path() => false,
            Some(_) => self.status == 404,
            None => false,
        }
    }

    /// True when a parameter is a request path (`/api/...`), as in "Cannot find resource
    /// /api/atlas/v2/wrong.".
    fn names_a_path(&self) -> bool {
        self.parameters
            .iter()
            .any(|parameter| parameter.as_str().is_some_and(|text| text.starts_with('/')))
    }

    /// Builds an `ApiError` from an error response. `retry_after_header` is the raw
    /// `Retry-After` value, if any.
    pub(crate) fn from_response(
        method: &str,
        path: &str,
        status: u16,
        body: &[u8],
        retry_after_header: Option<&str>,
    ) -> ApiError {
        let mut error = ApiError {
            status,
            error_code: None,
            detail: None,
            reason: None,
            parameters: Vec::new(),
            fields: Vec::new(),
            method: method.to_owned(),
            path: path.to_owned(),
            raw_body: None,
            retry_after: retry_after_header.and_then(parse_retry_after),
            auth_method: None,
        };
        match serde_json::from_slice::<AtlasErrorBody>(body) {
            Ok(parsed) if parsed.error_code.is_some() => {
                error.error_code = parsed.error_code;
                error.detail = parsed.detail;
                error.reason = parsed.reason;
                error.parameters = parsed.parameters.unwrap_or_default();
                error.fields = parsed.bad_request_detail.and_then(|d| d.fields).unwrap_or_default();
            }
            _ => {
                if !body.is_empty() {
                    error.raw_body = Some(truncate(&String::from_utf8_lossy(body), RAW_BODY_LIMIT));
                }
            }
        }
        if error.retry_after.is_none() && error.error_code.as_deref() == Some("RATE_LIMITED_TOKEN_BUCKET") {
            // Atlas documents `parameters` as [endpoint, retryAfterSeconds, capacity, refill, refillSeconds].
            error.retry_after = error
                .parameters
                .get(1)
                .and_then(serde_json::Value::as_u64)
                .map(Duration::from_secs);
        }
        error
    }

    /// Builds an `ApiError` from an OAuth token endpoint error, whose body is
    /// `{"error": "...", "error_description": "..."}` rather than Atlas's shape.
    pub(crate) fn from_oauth_response(
        method: &str,
        path: &str,
        status: u16,
        body: &[u8],
        retry_after_header: Option<&str>,
    ) -> ApiError {
        let mut error = ApiError::from_response(method, path, status, body, retry_after_header);
        if error.error_code.is_none() {
            if let Ok(parsed) = serde_json::from_slice::<OAuthErrorBody>(body) {
                if let Some(code) = parsed.error {
                    error.error_code = Some(code);
                    error.detail = parsed.error_description;
                    error.raw_body = None;
                }
            }
        }
        error
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .error_code
            .as_deref()
            .map(|code| format!(" {code}"))
            .unwrap_or_default();
        if self.status == 401 {
            write!(
                f,
                "Atlas rejected the credentials with {}{code} for {} {}",
                self.status, self.method, self.path
            )?;
        } else {
            write!(
                f,
                "Atlas returned {}{code} for {} {}",
                self.status, self.method, self.path
            )?;
        }
        match self.detail.as_deref().map(str::trim) {
            Some(detail) if !detail.is_empty() => {
                write!(f, ": {}", detail.trim_end_matches('.'))
            }
            _ if self.raw_body.is_some() => write!(f, " with a body that is not Atlas error JSON"),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for ApiError {}

impl From<ApiError> for Error {
    fn from(err: ApiError) -> Self {
        Error::Api(Box::new(err))
    }
}

/// Atlas's `ApiError` JSON, read leniently: every field optional, since we also try it on
/// bodies that may not be Atlas's.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AtlasErrorBody {
    error_code: Option<String>,
    detail: Option<String>,
    reason: Option<String>,
    parameters: Option<Vec<serde_json::Value>>,
    bad_request_detail: Option<BadRequestDetail>,
}

#[derive(Deserialize)]
struct BadRequestDetail {
    fields: Option<Vec<FieldViolation>>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

/// The raw `Retry-After` value of an answer (Atlas and its token endpoint), copied out because
/// reading the body consumes the response; `None` when absent or not visible ASCII.
pub(crate) fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Parses `Retry-After` in its delay-seconds form. The HTTP-date form is not used by Atlas.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Cuts `text` to at most `limit` bytes on a character boundary, marking the cut.
pub(crate) fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::testing::fixture;

    fn decode(status: u16, name: &str) -> ApiError {
        ApiError::from_response("GET", "/api/atlas/v2/orgs/x", status, &fixture(name), None)
    }

    #[test]
    fn decodes_spec_not_found_example() {
        let error = decode(404, "error-not-found.json");
        assert_eq!(error.status, 404);
        assert_eq!(error.error_code.as_deref(), Some("RESOURCE_NOT_FOUND"));
        assert_eq!(error.reason.as_deref(), Some("Not Found"));
        assert!(error
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("Cannot find resource AWS"));
        assert!(error.raw_body.is_none());
        assert!(error.is_not_found());
    }

    #[test]
    fn decodes_api_key_not_found_with_parameters() {
        let error = decode(404, "error-api-key-not-found.json");
        assert_eq!(error.error_code.as_deref(), Some("API_KEY_NOT_FOUND"));
        assert_eq!(error.parameters, vec![serde_json::json!("5d1113b25a115342acc2d1aa")]);
        assert_eq!(
            error.to_string(),
            "Atlas returned 404 API_KEY_NOT_FOUND for GET /api/atlas/v2/orgs/x: No API key with ID 5d1113b25a115342acc2d1aa exists"
        );
    }

    #[test]
    fn decodes_bad_request_fields() {
        let error = decode(400, "error-validation-fields.json");
        assert_eq!(error.error_code.as_deref(), Some("VALIDATION_ERROR"));
        assert_eq!(
            error.fields,
            vec![FieldViolation {
                field: "desc".into(),
                description: "must be between 1 and 250 characters".into()
            }]
        );
    }

    #[test]
    fn decodes_token_bucket_rate_limit_and_its_wait() {
        let error = decode(429, "error-rate-limited.json");
        assert_eq!(error.error_code.as_deref(), Some("RATE_LIMITED_TOKEN_BUCKET"));
        assert_eq!(error.retry_after, Some(Duration::from_secs(55)));
        let error = Error::from(error);
        assert!(error.is_rate_limited());
        assert_eq!(error.retry_after(), Some(Duration::from_secs(55)));
    }

    #[test]
    fn retry_after_header_wins_over_body() {
        let error = ApiError::from_response("GET", "/p", 429, &fixture("error-rate-limited.json"), Some("7"));
        assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
    }

    #[test]
    fn keeps_status_and_truncated_raw_body_for_html() {
        let mut html = String::from("<html><body>502 Bad Gateway");
        html.push_str(&"é".repeat(2000));
        let error = ApiError::from_response("DELETE", "/api/atlas/v2/groups/g", 502, html.as_bytes(), None);
        assert_eq!(error.status, 502);
        assert_eq!(error.error_code, None);
        let raw = error.raw_body.clone().unwrap_or_default();
        assert!(raw.starts_with("<html>"));
        assert!(raw.len() <= RAW_BODY_LIMIT + '…'.len_utf8());
        assert_eq!(
            error.to_string(),
            "Atlas returned 502 for DELETE /api/atlas/v2/groups/g with a body that is not Atlas error JSON"
        );
        assert!(!error.is_not_found());
    }

    #[test]
    fn unauthorized_display_says_credentials_were_rejected() {
        let error = decode(401, "error-unauthorized.json");
        assert_eq!(
            error.to_string(),
            "Atlas rejected the credentials with 401 NOT_ORG_GROUP_CREATOR for GET /api/atlas/v2/orgs/x: (This is just an example, the exception may not be related to this endpoint)"
        );
    }

    #[test]
    fn oauth_error_body_becomes_error_code_and_detail() {
        let body = fixture("oauth-invalid-client.json");
        let error = ApiError::from_oauth_response("POST", "/api/oauth/token", 401, &body, None);
        assert_eq!(error.error_code.as_deref(), Some("invalid_client"));
        assert_eq!(error.detail.as_deref(), Some("Invalid credentials provided."));
        assert_eq!(
            error.to_string(),
            "Atlas rejected the credentials with 401 invalid_client for POST /api/oauth/token: Invalid credentials provided"
        );
    }

    fn api(status: u16, code: Option<&str>) -> Error {
        Error::from(ApiError {
            status,
            error_code: code.map(str::to_owned),
            detail: None,
            reason: None,
            parameters: vec![],
            fields: vec![],
            method: "GET".into(),
            path: "/p".into(),
            raw_body: if code.is_none() { Some("<html/>".into()) } else { None },
            retry_after: None,
            auth_method: None,
        })
    }

    #[test]
    fn is_not_found_cases() {
        // Atlas's answer when `base_url` has a wrong path: "Cannot find resource /api/...".
        let mut unrouted = api(404, Some("RESOURCE_NOT_FOUND"));
        if let Error::Api(api) = &mut unrouted {
            api.parameters = vec![serde_json::json!("/wrong/api/atlas/v2/orgs/x/apiKeys/y")];
        }
        let cases: &[(&str, Error, bool)] = &[
            ("404 with atlas body", api(404, Some("RESOURCE_NOT_FOUND")), true),
            ("404 for a path no route serves", unrouted, false),
            ("404 api key not found", api(404, Some("API_KEY_NOT_FOUND")), true),
            (
                "400 api key not found (documented code)",
                api(400, Some("API_KEY_NOT_FOUND")),
                true,
            ),
            ("404 group not found", api(404, Some("GROUP_NOT_FOUND")), true),
            ("404 html page from a proxy", api(404, None), false),
            ("400 validation", api(400, Some("VALIDATION_ERROR")), false),
            ("401 not in group", api(401, Some("NOT_IN_GROUP")), false),
            ("403 forbidden", api(403, Some("ACCESS_FORBIDDEN")), false),
            ("500", api(500, Some("UNEXPECTED_ERROR")), false),
            ("request error", Error::Request(RequestError::new("bad")), false),
            ("cancelled", Error::Cancelled, false),
        ];
        for (name, error, expected) in cases {
            assert_eq!(error.is_not_found(), *expected, "{name}");
        }
    }

    #[test]
    fn predicates_on_non_api_errors() {
        let transport = Error::Transport(TransportError::new(
            "POST",
            "/p",
            true,
            false,
            std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        ));
        assert_eq!(transport.status(), None);
        assert_eq!(transport.error_code(), None);
        assert!(!transport.is_rate_limited());
        assert!(!transport.may_have_been_processed());
        assert_eq!(
            transport.to_string(),
            "could not reach Atlas for POST /p: connection refused (nothing accepts connections on that port)"
        );
        let reset = Error::Transport(TransportError::new(
            "POST",
            "/p",
            false,
            false,
            std::io::Error::from(std::io::ErrorKind::ConnectionReset),
        ));
        assert!(reset.may_have_been_processed());
        assert!(std::error::Error::source(&reset).is_some());
        assert!(!api(429, Some("RATE_LIMITED")).may_have_been_processed());
        assert!(api(502, None).may_have_been_processed());
        assert!(!api(400, Some("VALIDATION_ERROR")).may_have_been_processed());
    }

    #[test]
    fn decode_error_does_not_quote_body_values() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Key {
            id: u32,
        }
        let secret = "55c3bbb6-b4bb-0be1-e66d20841f3e";
        let body = format!(r#"{{"id": "{secret}"}}"#);
        let err = match serde_json::from_str::<Key>(&body) {
            Ok(_) => panic!("decoding must fail"),
            Err(err) => err,
        };
        let decode = DecodeError::from_json("POST", "/p", 200, &err);
        assert!(!decode.to_string().contains(secret), "{decode}");
        assert_eq!(decode.problem, "a value has an unexpected type or format");

        let err = match serde_json::from_str::<Key>("{}") {
            Ok(_) => panic!("decoding must fail"),
            Err(err) => err,
        };
        let decode = DecodeError::from_json("POST", "/p", 200, &err);
        assert_eq!(decode.problem, "missing field `id`");
    }
}
