//! Ephemeral resource types, one file each, and what they share: the marker in a key's
//! description or name, and cleaning up a key Terraform will never close.
//!
//! An ephemeral key is created when Terraform opens it (once during plan and once more during
//! apply) and deleted when Terraform closes it at the end of that run; nothing of it reaches
//! the plan file or the state. A crash between the two (the provider killed, the machine gone)
//! leaves the key in Atlas, so its description (organization keys) or name (AI model keys)
//! ends with a [`marker`] that says it is ephemeral and when it was opened:
//!
//! ```text
//! <description> (ephemeral, opened 2026-11-30T05:27:56Z, ref 3f9a1c)
//! ```
//!
//! The `ref` is 6 random hexadecimal digits, so the marked text names exactly one key; after a
//! create whose answer was lost, the key it made is found by that text and deleted.

pub mod ai_model_api_key;
pub mod api_key;

use std::future::Future;
use std::time::Duration;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::atlas;
use crate::framework::{Cx, Diagnostic, Diagnostics};
use crate::provider::errors;
use crate::value::Quoted;

/// What every marker starts with, as the docs tell users to search for it.
pub const MARKER_START: &str = " (ephemeral, opened ";

/// Characters a marker adds: [`MARKER_START`], a timestamp of 20, `, ref `, 6 digits and `)`.
pub const MARKER_CHARS: usize = MARKER_START.len() + 20 + ", ref ".len() + 6 + 1;

/// Longest description or name a user may give: Atlas takes 250 characters (`desc` of
/// `CreateAtlasOrganizationApiKey`, `name` of `AiModelApiKeyCreateRequest`), the marker takes
/// the rest.
pub const MAX_GIVEN_CHARS: usize = 250 - MARKER_CHARS;

/// Longest time the cleanup of a key that Terraform will not close may take (listing and
/// deleting, retries included). It runs on a client that StopProvider does not cancel.
pub const CLEANUP_DEADLINE: Duration = Duration::from_secs(30);

/// When a key was opened and the reference that makes its marked text unique.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    /// RFC 3339 in UTC to the second, such as `2026-11-30T05:27:56Z`.
    pub opened_at: String,
    /// 6 lowercase hexadecimal digits.
    pub reference: String,
}

impl Marker {
    /// A marker for a key opened now, with a random reference.
    pub fn now() -> Marker {
        Marker::at(OffsetDateTime::now_utc(), rand::random::<u32>())
    }

    /// A marker for `time`, with the low 24 bits of `random` as its reference.
    pub fn at(time: OffsetDateTime, random: u32) -> Marker {
        let opened_at = time
            .replace_nanosecond(0)
            .unwrap_or(time)
            .format(&Rfc3339)
            .unwrap_or_default();
        Marker {
            opened_at,
            reference: format!("{:06x}", random & 0x00ff_ffff),
        }
    }

    /// `given` followed by the marker: the description or name Atlas holds.
    pub fn mark(&self, given: &str) -> String {
        format!("{given}{MARKER_START}{}, ref {})", self.opened_at, self.reference)
    }
}

/// A client for cleaning up after an open that failed or was interrupted: StopProvider does not
/// cancel it, since Terraform will never close a key an open did not return.
pub fn cleanup_client(cx: &Cx<atlas::Client>) -> atlas::Client {
    cx.client.with_cancellation(CancellationToken::new())
}

/// Runs `cleanup` within [`CLEANUP_DEADLINE`]; a timeout is an error like any other.
pub async fn within_deadline<T>(cleanup: impl Future<Output = Result<T, atlas::Error>>) -> Result<T, String> {
    match tokio::time::timeout(CLEANUP_DEADLINE, cleanup).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!(
            "the cleanup did not finish within {} s",
            CLEANUP_DEADLINE.as_secs()
        )),
    }
}

/// A key the open made, in words for messages: `noun` (`API key`), its id and what else names it.
pub struct Made<'a> {
    pub noun: &'a str,
    pub id: &'a str,
    /// Such as `public key abcdefgh, description "…"`.
    pub names: String,
    /// How to delete it by hand, full sentences.
    pub by_hand: String,
}

/// The diagnostics of an open that failed after `made` was created: `failure`, then a note that
/// the key was deleted, or an error naming it when `deleted` says the delete failed too.
pub fn after_cleanup(failure: Diagnostic, made: &Made<'_>, deleted: Result<(), String>) -> Diagnostics {
    let Made {
        noun,
        id,
        names,
        by_hand,
    } = made;
    let mut diags = Diagnostics::new();
    match deleted {
        Ok(()) => {
            let mut failure = failure;
            failure.detail.push_str(&format!(
                " The {noun} the open had created ({id}, {names}) was deleted, so nothing is left behind."
            ));
            diags.push(failure);
        }
        Err(why) => {
            diags.push(failure);
            diags.push(left_behind(made, &why, by_hand));
        }
    }
    diags
}

/// The error for a key that could not be deleted: it names the key and how to delete it.
pub fn left_behind(made: &Made<'_>, why: &str, by_hand: &str) -> Diagnostic {
    let Made { noun, id, names, .. } = made;
    Diagnostic::error(
        format!("Ephemeral {noun} left in Atlas"),
        format!(
            "Atlas still holds the ephemeral {noun} {} ({names}): deleting it failed: {} {by_hand}",
            Quoted(id),
            errors::sentence(why)
        ),
    )
}

/// The diagnostic for a create whose answer was lost: `failure` is what happened; `deleted` the
/// ids of the keys found by `marked` (the description or name sent) and deleted, or why the
/// lookup failed; `by_hand` how to find and delete such a key by hand.
pub fn lost_create(
    summary: &str,
    noun: &str,
    failure: &atlas::Error,
    marked: &str,
    deleted: Result<Vec<String>, String>,
    by_hand: &str,
) -> Diagnostic {
    let failure = errors::sentence(&failure.to_string());
    let marked = Quoted(marked);
    let outcome = match deleted {
        Ok(ids) if ids.is_empty() => format!(
            "No {noun} named {marked} exists, so most likely none was created and nothing is left behind."
        ),
        Ok(ids) => format!(
            "The {noun} it made ({}) was found by its marked text {marked} and deleted, so nothing is left behind.",
            ids.join(", ")
        ),
        Err(why) => format!(
            "Looking for the {noun} it may have made ({marked}) failed: {} If such a key exists, it is left in Atlas. {by_hand}",
            errors::sentence(&why)
        ),
    };
    Diagnostic::error(
        summary,
        format!(
            "{failure} The request may have reached Atlas, so Atlas may have created the {noun}. {outcome} Run \
             Terraform again to open a new one."
        ),
    )
}

/// The diagnostic for an open interrupted by Ctrl-C after Atlas created the key.
pub fn interrupted(summary: &str, noun: &str) -> Diagnostic {
    Diagnostic::error(
        summary,
        format!(
            "Terraform stopped the provider (for example after Ctrl-C) while the ephemeral {noun} was being created. \
             Terraform will not use or close it."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_has_the_documented_shape_and_length() {
        let time = OffsetDateTime::from_unix_timestamp(1_796_016_476).unwrap() + time::Duration::milliseconds(789);
        let marker = Marker::at(time, 0xff3f_9a1c);
        assert_eq!(marker.opened_at, "2026-11-30T05:27:56Z");
        assert_eq!(marker.reference, "3f9a1c");
        let marked = marker.mark("ci");
        assert_eq!(marked, "ci (ephemeral, opened 2026-11-30T05:27:56Z, ref 3f9a1c)");
        assert_eq!(marked.chars().count(), 2 + MARKER_CHARS);
        assert!(marked.contains(MARKER_START));
        assert_eq!(MAX_GIVEN_CHARS, 197);
        assert_eq!(Marker::at(time, 5).reference, "000005");
    }

    #[test]
    fn the_longest_given_text_fits_atlas_with_its_marker() {
        let given = "d".repeat(MAX_GIVEN_CHARS);
        assert_eq!(Marker::now().mark(&given).chars().count(), 250);
    }

    fn made() -> Made<'static> {
        Made {
            noun: "API key",
            id: "6576974933969669aaaaaaaa",
            names: "public key abcdefgh".to_string(),
            by_hand: "Delete it in the Atlas UI.".to_string(),
        }
    }

    #[test]
    fn after_cleanup_says_the_key_is_gone_or_names_it() {
        let failure = || Diagnostic::error("Could not open", "The access list was refused.");
        let diags = after_cleanup(failure(), &made(), Ok(()));
        let only: Vec<&Diagnostic> = diags.iter().collect();
        assert_eq!(only.len(), 1);
        assert!(only[0].detail.contains("was deleted"), "{}", only[0].detail);
        assert!(only[0].detail.contains("6576974933969669aaaaaaaa"));

        let diags = after_cleanup(failure(), &made(), Err("atlas answered 500".to_string()));
        let both: Vec<&Diagnostic> = diags.iter().collect();
        assert_eq!(both.len(), 2);
        assert_eq!(both[1].summary, "Ephemeral API key left in Atlas");
        for part in [
            "6576974933969669aaaaaaaa",
            "abcdefgh",
            "Atlas answered 500.",
            "Atlas UI",
        ] {
            assert!(both[1].detail.contains(part), "{part}: {}", both[1].detail);
        }
    }

    #[test]
    fn a_lost_create_says_what_was_found() {
        let err = atlas::Error::Cancelled;
        let none = lost_create("s", "API key", &err, "d (ephemeral…)", Ok(Vec::new()), "by hand");
        assert!(none.detail.contains("most likely none was created"), "{}", none.detail);
        let found = lost_create("s", "API key", &err, "d", Ok(vec!["k1".to_string()]), "by hand");
        assert!(found.detail.contains("(k1) was found"), "{}", found.detail);
        let failed = lost_create("s", "API key", &err, "d", Err("timeout".to_string()), "by hand");
        assert!(
            failed.detail.contains("Timeout.") && failed.detail.contains("by hand"),
            "{}",
            failed.detail
        );
    }
}
