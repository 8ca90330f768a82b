//! Fault injection for `/api/` requests: added latency, Atlas-style 429s, failures before or
//! after processing, and connections dropped without an answer.
//!
//! A `FaultPlan` is a latency plus an ordered list of rules. Each rule counts the requests that
//! match its method and path filter (401 challenges included) and fires on every `every`-th one,
//! at most `times` times. When several rules fire on one request, the first one wins; every
//! matching rule still counts the request. The plan is set by `Options::faults`, CLI flags or
//! `POST /__emulator/faults`, and cleared by `DELETE /__emulator/faults`.

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
    /// `fail` and `close`: before (default) or after processing.
    #[serde(default)]
    pub phase: Phase,
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
    /// Errors: 400 `INVALID_ATTRIBUTE` for `every` of 0 or a `fail` status outside 400..=599.
    pub fn validate(&self) -> Result<(), ApiError> {
        for rule in &self.rules {
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

/// Middleware: applies the plan to one `/api/` request.
pub async fn apply(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let (latency_ms, decision) = {
        let mut plan = state.faults();
        (plan.latency_ms, plan.decide(&method, &path))
    };
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    let Some(rule) = decision else {
        return next.run(req).await;
    };
    if rule.phase == Phase::After && rule.kind != FaultKind::RateLimit {
        // The operation happens; only its answer is lost or replaced.
        let _processed = next.run(req).await;
    }
    let (mut response, mark) = match (rule.kind, rule.phase) {
        (FaultKind::RateLimit, _) => (rate_limited(&path, &rule), "rate_limit"),
        (FaultKind::Fail, Phase::Before) => (failure(&rule), "fail_before"),
        (FaultKind::Fail, Phase::After) => (failure(&rule), "fail_after"),
        (FaultKind::Close, phase) => {
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(AbortConnection);
            let mark = if phase == Phase::Before { "close" } else { "close_after" };
            (response, mark)
        }
    };
    response.extensions_mut().insert(FaultMark(mark));
    response
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
    }
}
