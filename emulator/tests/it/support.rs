//! Test helpers: an in-process digest client over `router(state).oneshot(...)`, a raw HTTP/1.1
//! client for real-socket tests, and response wrappers whose `Debug` hides secrets so a failing
//! assertion never prints a private key.

use std::fmt;
use std::time::Duration;

use atlas_emulator::auth::{md5_hex, parse_params};
use atlas_emulator::{router, AppState, Options, Seed};
use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use base64::Engine as _;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tower::ServiceExt as _;

/// Media type of key, org and group routes.
pub const V2023: &str = "application/vnd.atlas.2023-01-01+json";
/// Media type of AI model key routes.
pub const V2025: &str = "application/vnd.atlas.2025-03-12+json";

/// A response, decoded.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl TestResponse {
    /// The `errorCode` of an error body.
    pub fn code(&self) -> &str {
        self.body["errorCode"].as_str().unwrap_or_default()
    }

    /// A header as text, empty when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }
}

impl fmt::Debug for TestResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, redacted(&self.body))
    }
}

/// `value` with every secret-bearing field replaced.
pub fn redacted(value: &Value) -> Value {
    const SECRET_FIELDS: &[&str] = &["privateKey", "private_key", "secret", "client_secret", "access_token"];
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| {
                    let shown = if SECRET_FIELDS.contains(&key.as_str()) {
                        Value::String("<redacted>".into())
                    } else {
                        redacted(item)
                    };
                    (key.clone(), shown)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redacted).collect()),
        other => other.clone(),
    }
}

/// Digest credentials, with a `Debug` that hides the password.
#[derive(Clone)]
pub struct Credentials {
    pub public_key: String,
    pub private_key: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({}, <redacted>)", self.public_key)
    }
}

/// The `Authorization: Digest …` value for one request.
pub fn digest_header(creds: &Credentials, method: &str, uri: &str, nonce: &str, nc: u32) -> String {
    let cnonce = "0a4f113b";
    let ha1 = md5_hex(&format!("{}:MMS Public API:{}", creds.public_key, creds.private_key));
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    let response = md5_hex(&format!("{ha1}:{nonce}:{nc:08x}:{cnonce}:auth:{ha2}"));
    format!(
        "Digest username=\"{}\", realm=\"MMS Public API\", nonce=\"{nonce}\", uri=\"{uri}\", \
         algorithm=MD5, response=\"{response}\", qop=auth, nc={nc:08x}, cnonce=\"{cnonce}\"",
        creds.public_key
    )
}

/// The nonce of a `WWW-Authenticate` digest challenge.
pub fn challenge_nonce(headers: &HeaderMap) -> String {
    let value = headers
        .get(header::WWW_AUTHENTICATE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let params = parse_params(value.trim_start_matches("Digest ")).unwrap_or_default();
    params.get("nonce").cloned().unwrap_or_default()
}

/// An in-process client: the emulator's router plus a digest session.
pub struct Api {
    pub app: Router,
    pub state: AppState,
    pub seed: Seed,
    pub creds: Credentials,
    nonce: Option<(String, u32)>,
    bearer: Option<String>,
}

impl Api {
    /// A fresh emulator with default options.
    pub fn new() -> Api {
        Api::with_options(Options::default())
    }

    /// A fresh emulator with `options`.
    pub fn with_options(options: Options) -> Api {
        let state = AppState::new("http://emulator.test", &options);
        let seed = state.seed();
        let creds = Credentials {
            public_key: seed.public_key.clone(),
            private_key: seed.private_key.clone(),
        };
        Api {
            app: router(state.clone()),
            state,
            seed,
            creds,
            nonce: None,
            bearer: None,
        }
    }

    /// Another client of the same emulator, signing in with `creds`.
    pub fn as_other(&self, creds: Credentials) -> Api {
        Api {
            app: self.app.clone(),
            state: self.state.clone(),
            seed: self.seed.clone(),
            creds,
            nonce: None,
            bearer: None,
        }
    }

    /// Mints an access token for the seeded service account.
    pub async fn token(&self) -> String {
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.seed.client_id, self.seed.client_secret));
        let response = self
            .send(
                Method::POST,
                "/api/oauth/token",
                &[("content-type", "application/x-www-form-urlencoded")],
                Some(&format!("Basic {basic}")),
                Some("grant_type=client_credentials".to_owned()),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{response:?}");
        response.body["access_token"].as_str().unwrap_or_default().to_owned()
    }

    /// Authenticates later calls with `Authorization: Bearer <token>` instead of digest.
    pub fn use_bearer(&mut self, token: String) {
        self.bearer = Some(token);
    }

    /// Credentials from a create response (`publicKey`, `privateKey`).
    pub fn credentials_of(created: &TestResponse) -> Credentials {
        Credentials {
            public_key: created.body["publicKey"].as_str().unwrap_or_default().to_owned(),
            private_key: created.body["privateKey"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// `/api/atlas/v2/orgs/{seeded org}` + `rest`.
    pub fn org_path(&self, rest: &str) -> String {
        format!("/api/atlas/v2/orgs/{}{rest}", self.seed.org_id)
    }

    /// `/api/atlas/v2/groups/{seeded project index}` + `rest`.
    pub fn group_path(&self, index: usize, rest: &str) -> String {
        format!(
            "/api/atlas/v2/groups/{}{rest}",
            self.seed.project_ids[index],
            rest = rest
        )
    }

    pub async fn get(&mut self, uri: &str) -> TestResponse {
        self.call(Method::GET, uri, None).await
    }

    pub async fn post(&mut self, uri: &str, body: Value) -> TestResponse {
        self.call(Method::POST, uri, Some(body.to_string())).await
    }

    pub async fn patch(&mut self, uri: &str, body: Value) -> TestResponse {
        self.call(Method::PATCH, uri, Some(body.to_string())).await
    }

    pub async fn delete(&mut self, uri: &str) -> TestResponse {
        self.call(Method::DELETE, uri, None).await
    }

    /// An authenticated call with the path's media type in `Accept` and `Content-Type`.
    pub async fn call(&mut self, method: Method, uri: &str, body: Option<String>) -> TestResponse {
        let media = if uri.contains("/aiModelApi") { V2025 } else { V2023 };
        self.call_with(method, uri, &[("accept", media), ("content-type", media)], body)
            .await
    }

    /// An authenticated call with explicit headers; pays the challenge only when there is no
    /// usable nonce, and retries once on a fresh challenge.
    pub async fn call_with(
        &mut self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> TestResponse {
        if let Some(token) = &self.bearer {
            let auth = format!("Bearer {token}");
            return self.send(method, uri, headers, Some(&auth), body).await;
        }
        if self.nonce.is_none() {
            let challenge = self.send(method.clone(), uri, headers, None, body.clone()).await;
            assert_eq!(challenge.status, StatusCode::UNAUTHORIZED, "{challenge:?}");
            self.nonce = Some((challenge_nonce(&challenge.headers), 0));
        }
        let auth = self.next_authorization(&method, uri);
        let response = self.send(method.clone(), uri, headers, Some(&auth), body.clone()).await;
        if response.status != StatusCode::UNAUTHORIZED || !response.headers.contains_key(header::WWW_AUTHENTICATE) {
            return response;
        }
        self.nonce = Some((challenge_nonce(&response.headers), 0));
        let auth = self.next_authorization(&method, uri);
        self.send(method, uri, headers, Some(&auth), body).await
    }

    /// Forgets the digest nonce, so the next call pays a fresh 401 challenge first.
    pub fn forget_nonce(&mut self) {
        self.nonce = None;
    }

    fn next_authorization(&mut self, method: &Method, uri: &str) -> String {
        let (nonce, nc) = self.nonce.clone().unwrap_or_default();
        self.nonce = Some((nonce.clone(), nc + 1));
        digest_header(&self.creds, method.as_str(), uri, &nonce, nc + 1)
    }

    /// One request as given, no retries.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        authorization: Option<&str>,
        body: Option<String>,
    ) -> TestResponse {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(authorization) = authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        let request = request
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .expect("valid request");
        let response = self.app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        TestResponse {
            status,
            headers,
            text,
            body,
        }
    }

    /// An admin (`/__emulator/…`) call.
    pub async fn admin(&self, method: Method, uri: &str, body: Option<Value>) -> TestResponse {
        let content = [("content-type", "application/json")];
        self.send(method, uri, &content, None, body.map(|body| body.to_string()))
            .await
    }
}

/// A raw HTTP/1.1 exchange over a real socket; `None` when the server closed the connection
/// without answering.
pub async fn raw_http(addr: std::net::SocketAddr, request: &str) -> Option<(u16, String, String)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut received)).await;
    assert!(read.is_ok(), "the server neither answered nor closed in time");
    let text = String::from_utf8_lossy(&received).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, head.to_owned(), body.to_owned()))
}

/// An access token for the seeded service account, minted over a real socket.
pub async fn raw_token(running: &atlas_emulator::Running) -> String {
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", running.seed.client_id, running.seed.client_secret));
    let body = "grant_type=client_credentials";
    let request = format!(
        "POST /api/oauth/token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {basic}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (status, _, answer) = raw_http(running.addr, &request).await.expect("token answer");
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap_or_default();
    answer["access_token"].as_str().unwrap_or_default().to_owned()
}

/// Reads one response from a keep-alive connection: status, head and body (by
/// `Content-Length`); `None` when the server closed the connection first.
pub async fn read_response(stream: &mut tokio::net::TcpStream) -> Option<(u16, String, String)> {
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    let read = async {
        loop {
            if let Some(end) = find(&received, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&received[..end]).into_owned();
                let length: usize = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if received.len() >= end + 4 + length {
                    let body = String::from_utf8_lossy(&received[end + 4..end + 4 + length]).into_owned();
                    let status = head.split_whitespace().nth(1)?.parse().ok()?;
                    return Some((status, head, body));
                }
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the server neither answered nor closed in time")
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}
