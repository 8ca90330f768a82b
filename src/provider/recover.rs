//! Finding an object an ambiguous create may have made.
//!
//! When a create fails in a way that may still have reached Atlas (a 5xx, a timeout, a
//! dropped connection), retrying could make a duplicate and giving up could leave an
//! orphan. Resources instead look for an object matching the request that was created
//! since the attempt started, and adopt it. Atlas ids are ObjectIds whose first 8 hex
//! digits are the creation time in seconds; AI model keys carry `createdAt` instead.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::framework::Diagnostic;

/// Clock difference tolerated between this machine and Atlas.
const CLOCK_SLACK: Duration = Duration::from_secs(30);

/// When an ambiguous create attempt started.
#[derive(Clone, Copy, Debug)]
pub struct Attempt {
    started_secs: u64,
}

impl Attempt {
    /// Marks the start of an attempt.
    pub fn start() -> Self {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Attempt {
            started_secs: now.saturating_sub(CLOCK_SLACK).as_secs(),
        }
    }

    /// True when the ObjectId `id` was made at or after the attempt (within the clock slack).
    pub fn made_object_id(&self, id: &str) -> bool {
        object_id_seconds(id).is_some_and(|seconds| seconds >= self.started_secs)
    }

    /// True when the ISO 8601 timestamp `created_at` is at or after the attempt.
    pub fn made_at(&self, created_at: &str) -> bool {
        iso8601_seconds(created_at).is_some_and(|seconds| seconds >= self.started_secs)
    }
}

/// The warning for an adopted object whose secret was in the lost answer.
pub fn adopted_warning(what: &str, secret: &str) -> Diagnostic {
    Diagnostic::warning(
        format!("{what} created, but its {secret} was lost"),
        format!(
            "Atlas's answer to the create request was lost, so the provider found the new {what} by its attributes and \
             now tracks it instead of creating a duplicate. Atlas shows the {secret} only in that answer, so it is null in \
             state; to get one, replace the key with `terraform apply -replace=<resource address>`."
        ),
    )
}

/// The creation time, in seconds since the epoch, of an ObjectId.
pub fn object_id_seconds(id: &str) -> Option<u64> {
    let prefix = id.get(..8)?;
    u32::from_str_radix(prefix, 16).ok().map(u64::from)
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`.
pub fn iso8601_seconds(text: &str) -> Option<u64> {
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if text.get(4..5) != Some("-") || text.get(10..11).map(|t| t == "T" || t == " ") != Some(true) {
        return None;
    }
    let rest = text
        .get(19..)?
        .trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = match rest {
        "" | "Z" => 0,
        _ => {
            let sign = match rest.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let hours = rest.get(1..3)?.parse::<i64>().ok()?;
            let minutes = rest.get(4..6)?.parse::<i64>().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    u64::try_from(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_id_timestamps() {
        assert_eq!(object_id_seconds("5d09d6a59ccf6445652a444a"), Some(0x5d09d6a5));
        assert_eq!(object_id_seconds("zz"), None);
        assert_eq!(object_id_seconds("zzzzzzzz9ccf6445652a444a"), None);
    }

    #[test]
    fn iso_timestamps() {
        assert_eq!(iso8601_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(iso8601_seconds("2026-11-22T00:00:00.855000+00:00"), Some(1_795_305_600));
        assert_eq!(iso8601_seconds("2026-11-22T02:00:00+02:00"), Some(1_795_305_600));
        assert_eq!(iso8601_seconds("2000-02-29T12:30:15Z"), Some(951_827_415));
        for bad in [
            "",
            "2026",
            "2026-11-22",
            "2026/11/22T00:00:00Z",
            "2026-11-22T00:00:00X",
            "é026-11-22T00:00:00Z",
        ] {
            assert_eq!(iso8601_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn attempts_accept_only_newer_objects() {
        let attempt = Attempt::start();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let fresh = format!("{:08x}9ccf6445652a444a", now);
        let old = format!("{:08x}9ccf6445652a444a", now - 3600);
        assert!(attempt.made_object_id(&fresh));
        assert!(!attempt.made_object_id(&old));
    }
}
