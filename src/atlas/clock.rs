//! Atlas's clock as seen through the `Date` header of its answers.
//!
//! Atlas stamps every object it creates with its own clock (the first four bytes of an
//! ObjectId, `createdAt`). To ask "was this made since my request?" the caller needs Atlas's
//! time at the moment it sent the request, not its own. Every answer carries a `Date` header
//! (RFC 9110 IMF-fixdate, whole seconds), so the client records the offset between that header
//! and the local clock at arrival. `Date` is truncated to the second and stamped before the
//! answer arrives, so each such offset is a lower bound of the true one, short by up to a
//! second plus the network delay; the client keeps the largest it has seen, which tightens as
//! answers arrive at different fractions of a second.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The offset of Atlas's clock from ours, learnt from `Date` headers; shared by clones of a client.
#[derive(Debug)]
pub(crate) struct ServerClock {
    /// Atlas time minus local time, in milliseconds: the largest lower bound seen, or
    /// [`UNKNOWN`] before any `Date` header.
    offset_ms: AtomicI64,
}

/// `offset_ms` before any answer carried a `Date` header.
const UNKNOWN: i64 = i64::MIN;

impl Default for ServerClock {
    fn default() -> Self {
        ServerClock {
            offset_ms: AtomicI64::new(UNKNOWN),
        }
    }
}

impl ServerClock {
    /// Records the `Date` header of an answer that arrived at local time `received`, keeping the
    /// largest offset seen (each one is a lower bound). Headers that do not parse are ignored.
    pub(crate) fn observe(&self, date: Option<&str>, received: SystemTime) {
        let Some(server) = date.and_then(|text| httpdate::parse_http_date(text.trim()).ok()) else {
            return;
        };
        let offset = (millis(server) - millis(received)).max(i64::MIN + 1);
        self.offset_ms.fetch_max(offset, Ordering::AcqRel);
    }

    /// Atlas time minus local time, once an answer with a `Date` header has been seen.
    pub(crate) fn offset(&self) -> Option<SignedDuration> {
        let offset = self.offset_ms.load(Ordering::Acquire);
        (offset != UNKNOWN).then(|| SignedDuration::from_millis(offset))
    }
}

/// A duration that may be negative (Atlas's clock behind ours), in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedDuration {
    millis: i64,
}

impl SignedDuration {
    /// `millis` milliseconds; negative means "earlier".
    pub fn from_millis(millis: i64) -> Self {
        SignedDuration { millis }
    }

    /// `time` moved by this duration (saturating at the epoch).
    pub fn shift(self, time: SystemTime) -> SystemTime {
        let magnitude = Duration::from_millis(self.millis.unsigned_abs());
        if self.millis >= 0 {
            time + magnitude
        } else {
            let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
            UNIX_EPOCH + since_epoch.saturating_sub(magnitude)
        }
    }
}

fn millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_is_unknown_until_a_date_arrives() {
        let clock = ServerClock::default();
        assert_eq!(clock.offset(), None);
        clock.observe(Some("not a date"), SystemTime::now());
        assert_eq!(clock.offset(), None);
        clock.observe(None, SystemTime::now());
        assert_eq!(clock.offset(), None);
    }

    #[test]
    fn offset_is_server_minus_local() {
        let clock = ServerClock::default();
        let received = UNIX_EPOCH + Duration::from_millis(784_111_777_500);
        // Sun, 06 Nov 1994 08:49:37 GMT is 784111777 s after the epoch.
        clock.observe(Some("Sun, 06 Nov 1994 08:49:37 GMT"), received);
        assert_eq!(clock.offset(), Some(SignedDuration::from_millis(-500)));
        clock.observe(Some("Sun, 06 Nov 1994 08:50:37 GMT"), received);
        assert_eq!(clock.offset(), Some(SignedDuration::from_millis(59_500)));
        // A later, looser bound does not lower the estimate.
        clock.observe(Some("Sun, 06 Nov 1994 08:50:36 GMT"), received);
        assert_eq!(clock.offset(), Some(SignedDuration::from_millis(59_500)));
    }

    #[test]
    fn shifting_moves_both_ways_and_saturates() {
        let at = UNIX_EPOCH + Duration::from_secs(100);
        assert_eq!(
            SignedDuration::from_millis(1500).shift(at),
            UNIX_EPOCH + Duration::from_millis(101_500)
        );
        assert_eq!(
            SignedDuration::from_millis(-1500).shift(at),
            UNIX_EPOCH + Duration::from_millis(98_500)
        );
        assert_eq!(SignedDuration::from_millis(-200_000).shift(at), UNIX_EPOCH);
    }
}
