//! Fault injection for `/api/` requests: added latency, Atlas-style 429s, failures before or
//! after processing, held (delayed) requests, and connections dropped without an answer.
//!
//! A `FaultPlan` is a latency plus an ordered list of rules.
//! - `latency_ms` ([`latency`]) delays every `/api/` request, authenticated or not.
//! - Rules ([`apply`]) see only requests that passed authentication: Atlas requests with valid
//!   digest or bearer credentials, OAuth requests with valid client credentials. A digest
//!   client's unauthenticated first leg (the 401 challenge) is neither counted nor faulted, so
//!   "every 2nd POST" means the 2nd, 4th, … authenticated POST however many challenges came
//!   between.
//! - Each rule counts the requests that match its method and path filter and fires on every
//!   `every`-th one, at most `times` times. When several rules fire on one request, the first
//!   one wins; every matching rule still counts the request.
//!
//! Kinds: `rate_limit` (429, not processed), `fail` (an error status, before or after
//! processing), `close` (no answer at all, before or after processing) and `delay` (hold the
//! request `delay_ms` milliseconds before or after processing, then answer normally).
//! The plan is set by `Options::faults`, CLI flags or `POST /__emulator/faults`, and cleared by
//! `DELETE /__emulator/faults`.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::request_log::{AbortConnection, FaultMark};
use crate::state::AppState;

// The bucket figures reported in a 429, shaped like Atlas's documented example.
const BUCKET_CAPACITY: u64 = 100;
const BUCKET_REFILL: u64 = 50;
const BUCKET_REFILL_SECS: u64 = 60;

/// The faults to inject.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    /// Delay added to every `/api/` request, in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// Rules, first match wins.
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

/// What a rule does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 `RATE_LIMITED_TOKEN_BUCKET` with `Retry-After`; the request is not processed.
    RateLimit,
    /// An error status, before or after processing.
    Fail,
    /// Close the connection without a response, before or after processing.
    Close,
    /// Hold the request for `delay_ms` milliseconds, before or after processing, then answer
    /// normally (for example to make a listing slow enough to interrupt).
    Delay,
}

/// Whether the request is processed before the fault.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The request is not processed.
    #[default]
    Before,
    /// The request is processed (its effect stays), then the fault replaces the response.
    After,
}

/// One fault rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// What to do.
    pub kind: FaultKind,
    /// Fire on every N-th matching request (N ≥ 1).
    #[serde(default = "one")]
    pub every: u64,
    /// Only requests with this method (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Only requests whose path contains this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_contains: Option<String>,
    /// Fire at most this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// `fail`: the status, 400..=599 (default 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `fail`, `close` and `delay`: before (default) or after processing.
    #[serde(default)]
    pub phase: Phase,
    /// `delay` (required there): how long to hold the request, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// `fail`: the errorCode (default from the status, such as `UNEXPECTED_ERROR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `fail`: a raw `text/html` body instead of Atlas JSON (for proxy-style errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// `rate_limit`: the `Retry-After` seconds (default 1; 0 allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// Matching requests seen so far (reported, not accepted).
    #[serde(default, skip_deserializing)]
    pub seen: u64,
    /// Times fired so far (reported, not accepted).
    #[serde(default, skip_deserializing)]
    pub fired: u64,
}

fn one() -> u64 {
    1
}

impl FaultRule {
    /// A rule of `kind` firing on every `every`-th request, with no filters.
    pub fn new(kind: FaultKind, every: u64) -> FaultRule {
        FaultRule {
            kind,
            every,
            method: None,
            path_contains: None,
            times: None,
            status: None,
            phase: Phase::Before,
            error_code: None,
            body: None,
            retry_after_secs: None,
            delay_ms: None,
            seen: 0,
            fired: 0,
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|wanted| wanted.eq_ignore_ascii_case(method))
            && self.path_contains.as_deref().is_none_or(|part| path.contains(part))
    }
}

impl FaultPlan {
    /// Checks the plan.
    ///
    /// Errors: 400 `INVALID_ATTRIBUTE` for `every` of 0, a `fail` status outside 400..=599, or a
    /// `delay` rule without `delay_ms`.
    pub fn validate(&self) -> Result<(), ApiError> {
        for rule in &self.rules {
            if rule.kind == FaultKind::Delay && rule.delay_ms.is_none() {
                return Err(ApiError::bad_request(
                    "INVALID_ATTRIBUTE",
                    "delay_ms is required for a delay rule.",
                ));
            }
            if rule.every == 0 {
                return Err(ApiError::bad_request("INVALID_ATTRIBUTE", "every must be at least 1."));
            }
            if rule.status.is_some_and(|status| !(400..=599).contains(&status)) {
                return Err(ApiError::bad_request(
                    "INVALID_ATTRIBUTE",
                    "status must be from 400 to 599.",
                ));
            }
        }
        Ok(())
    }

    /// Counts the request against every matching rule and returns the first rule that fires.
    pub fn decide(&mut self, method: &str, path: &str) -> Option<FaultRule> {
        let mut chosen = None;
        for rule in self.rules.iter_mut().filter(|rule| rule.matches(method, path)) {
            rule.seen += 1;
            let exhausted = rule.times.is_some_and(|times| rule.fired >= times);
            if chosen.is_none() && !exhausted && rule.seen % rule.every.max(1) == 0 {
                rule.fired += 1;
                chosen = Some(rule.clone());
            }
        }
        chosen
    }
}

/// Middleware for every `/api/` request: the plan's `latency_ms`.
pub async fn latency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let latency_ms = state.faults().latency_ms;
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    next.run(req).await
}

/// Middleware for authenticated requests only (it must sit inside authentication): counts the
/// request against the rules and applies the rule that fires, if any.
pub async fn apply(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let decision = state.faults().decide(&method, &path);
    let Some(rule) = decision else {
        return next.run(req).await;
    };
    let (mut response, mark) = match rule.kind {
        FaultKind::Delay => held(&rule, req, next).await,
        FaultKind::RateLimit => (rate_limited(&path, &rule), "rate_limit"),
        FaultKind::Fail | FaultKind::Close => {
            if rule.phase == Phase::After {
                // The operation happens; only its answer is lost or replaced.
                let _processed = next.run(req).await;
            }
            replaced(&rule)
        }
    };
    response.extensions_mut().insert(FaultMark(mark));
    response
}

// `delay`: the request is processed and answered normally, `delay_ms` later.
async fn held(rule: &FaultRule, req: Request, next: Next) -> (Response, &'static str) {
    let hold = Duration::from_millis(rule.delay_ms.unwrap_or_default());
    match rule.phase {
        Phase::Before => {
            tokio::time::sleep(hold).await;
            (next.run(req).await, "delay")
        }
        Phase::After => {
            let response = next.run(req).await;
            tokio::time::sleep(hold).await;
            (response, "delay_after")
        }
    }
}

// `fail` and `close`: the answer that replaces the operation's.
fn replaced(rule: &FaultRule) -> (Response, &'static str) {
    match (rule.kind, rule.phase) {
        (FaultKind::Close, phase) => {
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(AbortConnection);
            let mark = if phase == Phase::Before { "close" } else { "close_after" };
            (response, mark)
        }
        (_, Phase::Before) => (failure(rule), "fail_before"),
        (_, Phase::After) => (failure(rule), "fail_after"),
    }
}

fn rate_limited(path: &str, rule: &FaultRule) -> Response {
    let retry_after = rule.retry_after_secs.unwrap_or(1);
    let endpoint = path.trim_start_matches('/');
    let detail = format!(
        "Rate limit exceeded for {endpoint}. Please retry after {retry_after} seconds. \
         Request capacity: {BUCKET_CAPACITY}. Refill rate: {BUCKET_REFILL} per {BUCKET_REFILL_SECS} seconds."
    );
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED_TOKEN_BUCKET", detail)
        .param(endpoint)
        .param(retry_after)
        .param(BUCKET_CAPACITY)
        .param(BUCKET_REFILL)
        .param(BUCKET_REFILL_SECS)
        .header(header::RETRY_AFTER, &retry_after.to_string())
        .header(
            header::HeaderName::from_static("ratelimit-limit"),
            &BUCKET_CAPACITY.to_string(),
        )
        .header(header::HeaderName::from_static("ratelimit-remaining"), "0")
        .into_response()
}

fn failure(rule: &FaultRule) -> Response {
    let status = rule
        .status
        .and_then(|status| StatusCode::from_u16(status).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(body) = &rule.body {
        let content_type = HeaderValue::from_static("text/html");
        return (status, [(header::CONTENT_TYPE, content_type)], body.clone()).into_response();
    }
    let error_code = rule
        .error_code
        .clone()
        .unwrap_or_else(|| default_error_code(status).to_owned());
    ApiError::new(status, &error_code, "Injected by the emulator's fault plan.").into_response()
}

fn default_error_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        500 => "UNEXPECTED_ERROR",
        502 => "BAD_GATEWAY",
        503 => "SERVICE_UNAVAILABLE",
        504 => "GATEWAY_TIMEOUT",
        409 => "CONFLICT",
        404 => "RESOURCE_NOT_FOUND",
        _ => "INJECTED_FAULT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_count_matching_requests_and_fire_every_nth() {
        let mut rule = FaultRule::new(FaultKind::Fail, 2);
        rule.method = Some("post".into());
        rule.path_contains = Some("/apiKeys".into());
        rule.times = Some(2);
        let mut plan = FaultPlan {
            latency_ms: 0,
            rules: vec![rule, FaultRule::new(FaultKind::Close, 3)],
        };
        let fired: Vec<Option<FaultKind>> = (0..7)
            .map(|_| {
                plan.decide("POST", "/api/atlas/v2/orgs/x/apiKeys")
                    .map(|rule| rule.kind)
            })
            .collect();
        use FaultKind::{Close, Fail};
        assert_eq!(
            fired,
            [None, Some(Fail), Some(Close), Some(Fail), None, Some(Close), None]
        );
        assert_eq!(plan.decide("GET", "/api/atlas/v2/orgs/x/apiKeys"), None);
        assert_eq!(plan.rules[0].seen, 7);
        assert_eq!(plan.rules[0].fired, 2);
    }

    #[test]
    fn validation_refuses_zero_every_and_odd_statuses() {
        let mut plan = FaultPlan::default();
        plan.rules.push(FaultRule::new(FaultKind::RateLimit, 0));
        assert!(plan.validate().is_err());
        let mut rule = FaultRule::new(FaultKind::Fail, 1);
        rule.status = Some(200);
        plan.rules = vec![rule];
        assert!(plan.validate().is_err());
        plan.rules = vec![FaultRule::new(FaultKind::Delay, 1)];
        assert!(plan.validate().is_err(), "a delay needs delay_ms");
        plan.rules[0].delay_ms = Some(0);
        assert!(plan.validate().is_ok());
    }

    #[test]
    fn delay_rules_are_read_from_json() {
        let plan: FaultPlan = serde_json::from_str(
            r#"{"rules":[{"kind":"delay","delay_ms":1500,"method":"GET","path_contains":"/apiKeys","every":2,"times":1,"phase":"after"}]}"#,
        )
        .expect("a delay rule parses");
        let rule = &plan.rules[0];
        assert_eq!(rule.kind, FaultKind::Delay);
        assert_eq!(rule.delay_ms, Some(1500));
        assert_eq!((rule.every, rule.times, rule.phase), (2, Some(1), Phase::After));
        assert!(plan.validate().is_ok());
    }
}
