//! When to retry an Atlas call, and how long to wait first.
//!
//! Both decisions are pure functions so that tests can feed them tables:
//! - [`classify`] sorts a failure into throttled (429, honour `Retry-After`), transient (5xx,
//!   connection failures, timeouts) or final (also a host name that does not resolve and a TLS
//!   certificate that is not accepted: both fail the same way until the setup changes). A request that may already have taken effect
//!   (a POST create that reached Atlas) is never replayed: a second create would make a second key.
//! - [`backoff`] is exponential with a cap; the jitter is an argument.
//! - [`next_delay`] combines both with the attempt and time budget of a [`RetryPolicy`].

use std::time::Duration;

use super::error::Error;

/// How persistently the client retries throttled and transient failures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts per call, the first included (1 disables retries).
    pub max_attempts: u32,
    /// No retry starts if it would begin later than this after the first attempt.
    pub max_elapsed: Duration,
    /// Wait before the second attempt; doubled for each further attempt.
    pub base_delay: Duration,
    /// Longest computed backoff (a longer `Retry-After` from Atlas is still honoured).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Five attempts within a minute, waiting 1 s, 2 s, 4 s, 8 s (up to 30 s) between them.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_elapsed: Duration::from_secs(60),
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }
}

/// What to do about a failed attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetryAction {
    /// Atlas throttled the call; wait at least `retry_after` when it is known.
    Throttled {
        /// Atlas's requested wait.
        retry_after: Option<Duration>,
    },
    /// A failure that may go away by itself: 5xx, a lost connection, a timeout.
    Transient,
    /// Retrying would not help, or could repeat a change that already happened.
    None,
}

/// Decides whether `error` is worth another attempt.
///
/// `replay_safe` is true when sending the request again cannot repeat an effect: the operation
/// is idempotent (GET, PATCH, DELETE), or the request never left the client.
pub fn classify(error: &Error, replay_safe: bool) -> RetryAction {
    match error {
        // A 429 is rejected before processing, so even a create may be retried.
        Error::Api(api) if api.status == 429 => RetryAction::Throttled {
            retry_after: api.retry_after,
        },
        Error::Api(api) if matches!(api.status, 500 | 502 | 503 | 504) && replay_safe => RetryAction::Transient,
        // A name that does not resolve or a certificate that is not accepted stays so.
        Error::Transport(transport) | Error::Timeout(transport) if transport.cause().is_permanent() => {
            RetryAction::None
        }
        Error::Transport(transport) | Error::Timeout(transport) if replay_safe || transport.connect => {
            RetryAction::Transient
        }
        _ => RetryAction::None,
    }
}

/// Exponential backoff before attempt `attempt + 1`: `base * 2^(attempt-1)`, capped at `max`,
/// then scaled by `jitter` (clamped to 0..=1; pass 1.0 for the full delay).
pub fn backoff(attempt: u32, jitter: f64, base: Duration, max: Duration) -> Duration {
    let exponent = attempt.saturating_sub(1).min(31);
    let delay = base.saturating_mul(1u32 << exponent).min(max);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        1.0
    };
    delay.mul_f64(jitter)
}

/// How long to wait before the next attempt, or `None` to give up and return the error.
///
/// `attempt` is the number of the attempt that just failed (1 for the first), `elapsed` the time
/// since the first attempt started.
pub fn next_delay(
    policy: &RetryPolicy,
    action: &RetryAction,
    attempt: u32,
    elapsed: Duration,
    jitter: f64,
) -> Option<Duration> {
    if attempt >= policy.max_attempts {
        return None;
    }
    let computed = backoff(attempt, jitter, policy.base_delay, policy.max_delay);
    let delay = match action {
        RetryAction::None => return None,
        RetryAction::Transient => computed,
        RetryAction::Throttled { retry_after } => computed.max(retry_after.unwrap_or_default()),
    };
    if elapsed.saturating_add(delay) > policy.max_elapsed {
        return None;
    }
    Some(delay)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::error::{ApiError, RequestError, TransportError};

    fn api(status: u16, code: &str, retry_after: Option<u64>) -> Error {
        Error::from(ApiError {
            status,
            error_code: Some(code.to_owned()),
            detail: None,
            reason: None,
            parameters: vec![],
            fields: vec![],
            method: "GET".into(),
            path: "/p".into(),
            raw_body: None,
            retry_after: retry_after.map(Duration::from_secs),
            auth_method: None,
        })
    }

    fn transport(connect: bool, timeout: bool) -> Error {
        let source = TransportError::new(
            "GET",
            "/p",
            connect,
            timeout,
            std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        );
        if timeout {
            Error::Timeout(source)
        } else {
            Error::Transport(source)
        }
    }

    fn throttled(seconds: Option<u64>) -> RetryAction {
        RetryAction::Throttled {
            retry_after: seconds.map(Duration::from_secs),
        }
    }

    #[test]
    fn names_that_do_not_resolve_and_rejected_certificates_are_not_retried() {
        use crate::atlas::error::TransportCause;
        let with = |cause: TransportCause| {
            let source = TransportError::new("GET", "/p", true, false, std::io::Error::other("x")).because(cause);
            classify(&Error::Transport(source), true)
        };
        for permanent in [
            TransportCause::NameNotResolved,
            TransportCause::CertificateNotTrusted,
            TransportCause::CertificateExpired,
            TransportCause::CertificateNameMismatch,
            TransportCause::CertificateRejected("BadEncoding".into()),
        ] {
            assert_eq!(with(permanent.clone()), RetryAction::None, "{permanent:?}");
        }
        for transient in [
            TransportCause::ConnectionRefused,
            TransportCause::ConnectionClosed,
            TransportCause::TimedOut { connecting: true },
            TransportCause::ProxyUnreachable {
                proxy: "p:1".into(),
                why: Box::new(TransportCause::NameNotResolved),
            },
        ] {
            assert_eq!(with(transient.clone()), RetryAction::Transient, "{transient:?}");
        }
    }

    #[test]
    fn classify_table() {
        let cases: Vec<(&str, Error, bool, RetryAction)> = vec![
            (
                "429 with retry-after",
                api(429, "RATE_LIMITED_TOKEN_BUCKET", Some(55)),
                true,
                throttled(Some(55)),
            ),
            (
                "429 on a create",
                api(429, "RATE_LIMITED", None),
                false,
                throttled(None),
            ),
            (
                "500 on a read",
                api(500, "UNEXPECTED_ERROR", None),
                true,
                RetryAction::Transient,
            ),
            (
                "502 on a read",
                api(502, "BAD_GATEWAY", None),
                true,
                RetryAction::Transient,
            ),
            (
                "503 on a delete",
                api(503, "SERVICE_UNAVAILABLE", None),
                true,
                RetryAction::Transient,
            ),
            (
                "504 on a patch",
                api(504, "GATEWAY_TIMEOUT", None),
                true,
                RetryAction::Transient,
            ),
            (
                "500 on a create that reached atlas",
                api(500, "UNEXPECTED_ERROR", None),
                false,
                RetryAction::None,
            ),
            (
                "501 is not transient",
                api(501, "NOT_IMPLEMENTED", None),
                true,
                RetryAction::None,
            ),
            ("400", api(400, "VALIDATION_ERROR", None), true, RetryAction::None),
            ("401", api(401, "NOT_IN_GROUP", None), true, RetryAction::None),
            ("404", api(404, "API_KEY_NOT_FOUND", None), true, RetryAction::None),
            ("409", api(409, "CONFLICT", None), true, RetryAction::None),
            (
                "connection refused on a create",
                transport(true, false),
                false,
                RetryAction::Transient,
            ),
            (
                "connection reset on a create",
                transport(false, false),
                false,
                RetryAction::None,
            ),
            (
                "connection reset on a read",
                transport(false, false),
                true,
                RetryAction::Transient,
            ),
            (
                "timeout on a read",
                transport(false, true),
                true,
                RetryAction::Transient,
            ),
            ("timeout on a create", transport(false, true), false, RetryAction::None),
            (
                "connect timeout on a create",
                transport(true, true),
                false,
                RetryAction::Transient,
            ),
            (
                "bad request",
                Error::Request(RequestError::new("x")),
                true,
                RetryAction::None,
            ),
            ("cancelled", Error::Cancelled, true, RetryAction::None),
        ];
        for (name, error, replay_safe, expected) in cases {
            assert_eq!(classify(&error, replay_safe), expected, "{name}");
        }
    }

    #[test]
    fn backoff_doubles_caps_and_scales() {
        let base = Duration::from_secs(1);
        let max = Duration::from_secs(30);
        let cases = [
            (1, 1.0, 1_000),
            (2, 1.0, 2_000),
            (3, 1.0, 4_000),
            (5, 1.0, 16_000),
            (6, 1.0, 30_000),
            (40, 1.0, 30_000),
            (u32::MAX, 1.0, 30_000),
            (0, 1.0, 1_000),
            (3, 0.5, 2_000),
            (3, 0.0, 0),
            (3, 7.0, 4_000),
            (3, -1.0, 0),
            (3, f64::NAN, 4_000),
        ];
        for (attempt, jitter, expected_ms) in cases {
            assert_eq!(
                backoff(attempt, jitter, base, max),
                Duration::from_millis(expected_ms),
                "attempt {attempt} jitter {jitter}"
            );
        }
    }

    #[test]
    fn next_delay_respects_attempts_time_budget_and_retry_after() {
        let policy = RetryPolicy::default();
        let none = Duration::ZERO;
        assert_eq!(
            next_delay(&policy, &RetryAction::Transient, 1, none, 1.0),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            next_delay(&policy, &RetryAction::Transient, 4, none, 1.0),
            Some(Duration::from_secs(8))
        );
        assert_eq!(next_delay(&policy, &RetryAction::Transient, 5, none, 1.0), None);
        assert_eq!(next_delay(&policy, &RetryAction::None, 1, none, 1.0), None);
        assert_eq!(
            next_delay(&policy, &throttled(Some(20)), 1, none, 1.0),
            Some(Duration::from_secs(20))
        );
        assert_eq!(
            next_delay(&policy, &throttled(None), 2, none, 1.0),
            Some(Duration::from_secs(2))
        );
        // 55 s requested after 10 s spent would end past the 60 s budget.
        assert_eq!(
            next_delay(&policy, &throttled(Some(55)), 1, Duration::from_secs(10), 1.0),
            None
        );
        assert_eq!(
            next_delay(&RetryPolicy::none(), &RetryAction::Transient, 1, none, 1.0),
            None
        );
    }
}
