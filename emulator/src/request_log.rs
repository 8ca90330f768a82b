//! The request log: one entry per `/api/` request (Atlas and OAuth), for tests to assert call
//! sequences, auth schemes and injected faults. Admin routes (`/__emulator/`) are not logged.
//!
//! Entries keep method, path, raw query, status, auth scheme, the Digest user name (a public
//! key, not a secret), fault and the `User-Agent`; no other header value (credentials travel in
//! headers).

use std::collections::VecDeque;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use crate::state::AppState;

// A long-running emulator keeps only the most recent entries.
const CAPACITY: usize = 10_000;

/// Response extension naming the fault injected into a request ("rate_limit", "fail_before",
/// "fail_after", "close", "close_after", "delay", "delay_after").
#[derive(Debug, Clone, Copy)]
pub struct FaultMark(pub &'static str);

/// Response extension asking the server loop to drop the connection without answering.
#[derive(Debug, Clone, Copy)]
pub struct AbortConnection;

/// One logged request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LoggedRequest {
    /// Arrival order, from 1.
    pub seq: u64,
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string, empty when none.
    pub query: String,
    /// Response status; null when the connection was dropped without a response.
    pub status: Option<u16>,
    /// `digest`, `bearer`, `basic` or `none`, from the `Authorization` scheme.
    pub auth: &'static str,
    /// The Digest `username` (the caller's public key) for Digest requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The `User-Agent` header as sent (lossy UTF-8), empty when absent.
    pub user_agent: String,
    /// The injected fault, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<&'static str>,
}

/// The bounded list of logged requests.
#[derive(Debug, Default)]
pub struct RequestLog {
    last_seq: u64,
    entries: VecDeque<LoggedRequest>,
}

impl RequestLog {
    /// Reserves the next sequence number.
    pub fn next_seq(&mut self) -> u64 {
        self.last_seq += 1;
        self.last_seq
    }

    /// Appends an entry, dropping the oldest beyond capacity.
    pub fn push(&mut self, entry: LoggedRequest) {
        if self.entries.len() >= CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// The entries in sequence order.
    pub fn entries(&self) -> Vec<LoggedRequest> {
        let mut entries: Vec<LoggedRequest> = self.entries.iter().cloned().collect();
        entries.sort_by_key(|entry| entry.seq);
        entries
    }

    /// Forgets every entry (sequence numbers keep growing).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Middleware: records the request after the inner service answered.
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let seq = state.log().next_seq();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let auth = auth_kind(&req);
    let user = digest_user(&req);
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .unwrap_or_default();
    let response = next.run(req).await;
    let aborted = response.extensions().get::<AbortConnection>().is_some();
    let entry = LoggedRequest {
        seq,
        method,
        path,
        query,
        status: (!aborted).then_some(response.status().as_u16()),
        auth,
        user,
        user_agent,
        fault: response.extensions().get::<FaultMark>().map(|mark| mark.0),
    };
    tracing::info!(
        seq,
        method = %entry.method,
        path = %entry.path,
        status = ?entry.status,
        auth,
        fault = ?entry.fault,
        "request"
    );
    state.log().push(entry);
    response
}

/// The `username` parameter of a Digest `Authorization` header.
fn digest_user(req: &Request) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, params) = value.trim_start().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("digest") {
        return None;
    }
    params.split(',').find_map(|param| {
        let (name, value) = param.split_once('=')?;
        (name.trim().eq_ignore_ascii_case("username")).then(|| value.trim().trim_matches('"').to_string())
    })
}

fn auth_kind(req: &Request) -> &'static str {
    let scheme = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_whitespace().next())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match scheme.as_str() {
        "digest" => "digest",
        "bearer" => "bearer",
        "basic" => "basic",
        _ => "none",
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    fn with_authorization(value: &str) -> Request {
        Request::builder()
            .header(header::AUTHORIZATION, value)
            .body(Body::empty())
            .unwrap()
    }

    #[test]
    fn the_digest_user_is_the_username_of_digest_requests_only() {
        let cases = [
            (
                r#"Digest username="abcdefgh", realm="MMS Public API", nonce="n", uri="/", response="r""#,
                Some("abcdefgh"),
            ),
            (r#"digest realm="MMS Public API",username="qrstuvwx""#, Some("qrstuvwx")),
            ("Bearer token", None),
            ("Basic dXNlcjpwYXNz", None),
        ];
        for (header_value, expected) in cases {
            assert_eq!(
                digest_user(&with_authorization(header_value)).as_deref(),
                expected,
                "{header_value}"
            );
        }
        let anonymous = Request::builder().body(Body::empty()).unwrap();
        assert_eq!(digest_user(&anonymous), None);
    }
}
