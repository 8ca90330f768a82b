//! Creating a key so that none is ever lost or shared.
//!
//! A create whose answer is lost (a 5xx, a timeout, a dropped connection, an answer we cannot
//! read) may still have made the key in Atlas. Retrying could make a duplicate and giving up
//! could leave a live credential that no state tracks. [`create_or_adopt`] sends the create and,
//! when the failure may have been processed, looks for the key it made:
//!
//! - **Candidates** are keys that match the request (description and roles, or name), were
//!   made inside the attempt's window, and are not in this process's [`claimed`] book: keys the
//!   provider has already handed to Terraform as another resource's (created, adopted, read,
//!   updated or imported) are never candidates.
//! - **Window.** Atlas stamps a key with its own clock: the first 4 bytes of an ObjectId are the
//!   creation second, and AI model keys carry `createdAt`. The client learns Atlas's clock from
//!   the `Date` header of every answer, so the window runs from the moment the create was sent
//!   to the moment its failure arrived, both on Atlas's clock, widened by [`MARGIN`] for the
//!   one-second resolution of `Date` and ObjectIds. Before any `Date` header has been seen the
//!   local clock is used, widened by [`UNKNOWN_CLOCK_MARGIN`].
//! - **Decision.** Exactly one candidate is adopted (the secret was in the lost answer, so it is
//!   null, with a warning). None or several is an error that says Atlas may have created the
//!   key and lists every candidate with its creation time and the `terraform import` ID, so
//!   the resource stays out of state and the user knows exactly which keys to import or delete.
//! - **Ordering.** Creates share a gate; a recovery holds it alone. A recovery therefore waits
//!   for every create already in flight to finish and record its key, and no new create starts
//!   until the recovery has chosen, so a sibling's key can never look like ours.
//! - **Ctrl-C.** The lookup is part of finishing a create that was sent. It runs on a client that
//!   `StopProvider` does not cancel, bounded by [`LOOKUP_DEADLINE`]. A create still waiting to
//!   be sent when Terraform stops is abandoned and creates nothing.
//!
//! A failure Atlas certainly did not process (a 4xx such as 429, or a request never sent; see
//! `atlas::Error::may_have_been_processed`) creates nothing and looks for nothing.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio::sync::RwLock;
use tokio_util::sync::CancellationToken;

use crate::atlas;
use crate::framework::{Cx, Diagnostic, Diagnostics};
use crate::provider::errors;

/// Widening of the window's end when Atlas's clock is known: one second for the resolution of
/// the `Date` header and one for that of ObjectIds. The start needs none: `Date` is truncated
/// to the second and arrives after it was stamped, so the learnt offset is never ahead of
/// Atlas's clock (it may lag by up to a second), and an ObjectId second is truncated too.
pub const MARGIN: Duration = Duration::from_secs(2);

/// Widening of the window on each side before any answer told us Atlas's clock.
pub const UNKNOWN_CLOCK_MARGIN: Duration = Duration::from_secs(60);

/// Longest time the lookup after a lost answer may take, waiting for the gate included.
pub const LOOKUP_DEADLINE: Duration = Duration::from_secs(30);

/// Most candidates listed in one diagnostic; the rest are counted.
const LISTED_CANDIDATES: usize = 100;

/// A kind of key, as recovery names it to the user.
#[derive(Debug)]
pub struct Kind {
    /// What the key is called in messages, such as `API key`.
    pub noun: &'static str,
    /// The attribute Atlas returns only on create, such as `private key`.
    pub secret: &'static str,
    /// What a candidate must match, such as `description and organization roles`.
    pub matched_by: &'static str,
    /// Where the keys were listed, such as `the organization` (for messages).
    pub listed_in: &'static str,
}

/// A key as Atlas lists it: its id and, where Atlas says, when it was made.
pub trait Made {
    /// The id Terraform tracks the key by.
    fn id(&self) -> &str;
    /// Creation time on Atlas's clock: an ObjectId's seconds, or `createdAt`.
    fn made_at(&self) -> Option<SystemTime>;
    /// The key as a listing shows it, without its secret: a listing holds only the masked
    /// form, which must never reach state as if it were the secret.
    fn without_secret(self) -> Self;
}

impl Made for atlas::ApiKey {
    fn id(&self) -> &str {
        &self.id
    }

    fn made_at(&self) -> Option<SystemTime> {
        object_id_time(&self.id)
    }

    fn without_secret(self) -> Self {
        atlas::ApiKey {
            private_key: None,
            ..self
        }
    }
}

impl Made for atlas::AiModelApiKey {
    fn id(&self) -> &str {
        &self.api_key_id
    }

    fn made_at(&self) -> Option<SystemTime> {
        self.created_at.as_deref().and_then(rfc3339_time)
    }

    fn without_secret(self) -> Self {
        atlas::AiModelApiKey { secret: None, ..self }
    }
}

/// The per-process book of keys handed to Terraform, and the gate that orders creates and
/// recoveries. One provider process serves one configuration, so one book per process.
struct Book {
    claimed: Mutex<HashSet<String>>,
    gate: RwLock<()>,
}

static BOOK: LazyLock<Book> = LazyLock::new(|| Book {
    claimed: Mutex::new(HashSet::new()),
    gate: RwLock::new(()),
});

/// Records that `id` now belongs to a resource in Terraform (created, adopted, read, updated or
/// imported), so recovery never offers it to another resource of this process.
pub fn claim(id: &str) {
    if id.is_empty() {
        return;
    }
    if let Ok(mut claimed) = BOOK.claimed.lock() {
        claimed.insert(id.to_string());
    }
}

/// True when `id` was handed to Terraform by this process.
pub fn claimed(id: &str) -> bool {
    BOOK.claimed.lock().map(|claimed| claimed.contains(id)).unwrap_or(false)
}

/// Sends `create` and, if its answer was lost, adopts the one key it made.
///
/// - `create`: the create call, on the call's (cancellable) client.
/// - `list`: lists the keys the create could have made; it gets a client that `StopProvider`
///   does not cancel.
/// - `matches`: whether a listed key has the attributes the create sent.
/// - `import_id`: the `terraform import` ID of a key, from its id.
///
/// Returns the key made, or the one adopted (with a warning through `cx`: its secret is gone).
/// Errors: the create's own diagnostic when Atlas certainly did not process it; otherwise a
/// diagnostic that names every candidate (or says none was found, or that the keys could not
/// be listed) with what to import or delete. A successful create or adoption is claimed.
#[allow(clippy::too_many_arguments)]
pub async fn create_or_adopt<K, C, L, F>(
    cx: &Cx<atlas::Client>,
    kind: &Kind,
    summary: &str,
    error_attrs: &[(&str, &str)],
    create: C,
    list: L,
    matches: impl Fn(&K) -> bool,
    import_id: impl Fn(&str) -> String,
) -> Result<K, Diagnostics>
where
    K: Made,
    C: Future<Output = Result<K, atlas::Error>>,
    L: FnOnce(atlas::Client) -> F,
    F: Future<Output = Result<Vec<K>, atlas::Error>>,
{
    let (err, sent) = {
        // Shared with other creates; a recovery waits for this create to finish.
        let _create_slot = tokio::select! {
            biased;
            _ = cx.cancel.cancelled() => {
                return Err(errors::diagnose(&atlas::Error::Cancelled, summary, error_attrs).into());
            }
            slot = BOOK.gate.read() => slot,
        };
        let sent = SystemTime::now();
        match create.await {
            Ok(key) => {
                claim(key.id());
                return Ok(key);
            }
            Err(err) => (err, sent),
        }
    };
    if !err.may_have_been_processed() {
        return Err(errors::diagnose(&err, summary, error_attrs).into());
    }
    // What went wrong, without the generic "retry later" advice: retrying blindly is what
    // this lookup exists to prevent.
    let failure = errors::sentence(&err.to_string());
    let answered = SystemTime::now();
    tracing::debug!(
        what = kind.noun,
        "create answer lost ({}); looking for the key it may have made",
        err
    );
    // Finishing a create that was sent: not cancelled by StopProvider, bounded on its own.
    let client = cx.client.with_cancellation(CancellationToken::new());
    let lookup = async {
        let _alone = BOOK.gate.write().await;
        let window = Window::new(sent, answered, client.server_clock_offset());
        let keys = list(client).await?;
        let candidates: Vec<K> = keys
            .into_iter()
            .filter(|key| !claimed(key.id()) && matches(key))
            .filter(|key| key.made_at().is_some_and(|at| window.contains(at)))
            .collect();
        if let [only] = candidates.as_slice() {
            claim(only.id());
        }
        Ok::<_, atlas::Error>((window, candidates))
    };
    match tokio::time::timeout(LOOKUP_DEADLINE, lookup).await {
        Ok(Ok((_, mut candidates))) if candidates.len() == 1 => {
            cx.warn(adopted_warning(kind));
            Ok(candidates.remove(0).without_secret())
        }
        Ok(Ok((window, candidates))) => {
            Err(undecided(kind, summary, &failure, &window, &candidates, &import_id).into())
        }
        Ok(Err(list_err)) => Err(unlisted(kind, summary, &failure, &list_err.to_string()).into()),
        Err(_) => Err(unlisted(
            kind,
            summary,
            &failure,
            &format!("the lookup did not finish within {} s", LOOKUP_DEADLINE.as_secs()),
        )
        .into()),
    }
}

/// The time span, on Atlas's clock, in which a lost create could have made its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: SystemTime,
    pub to: SystemTime,
}

impl Window {
    /// From `sent` to `answered` (local clock), moved onto Atlas's clock by `offset`: from the
    /// whole second the request was sent in to [`MARGIN`] after the answer. With no known
    /// offset, the local clock widened by [`UNKNOWN_CLOCK_MARGIN`] on both sides.
    pub fn new(sent: SystemTime, answered: SystemTime, offset: Option<atlas::SignedDuration>) -> Window {
        match offset {
            Some(offset) => Window {
                from: whole_second(offset.shift(sent)),
                to: offset.shift(answered) + MARGIN,
            },
            None => Window {
                from: UNIX_EPOCH
                    + sent
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default()
                        .saturating_sub(UNKNOWN_CLOCK_MARGIN),
                to: answered + UNKNOWN_CLOCK_MARGIN,
            },
        }
    }

    /// True when `at` falls inside the window, ends included.
    pub fn contains(&self, at: SystemTime) -> bool {
        self.from <= at && at <= self.to
    }
}

/// `time` truncated to its whole second, as ObjectIds and `Date` headers are.
fn whole_second(time: SystemTime) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(time.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs())
}

/// The warning for an adopted key whose secret was in the lost answer.
fn adopted_warning(kind: &Kind) -> Diagnostic {
    let Kind { noun, secret, .. } = kind;
    Diagnostic::warning(
        format!("{noun} created, but its {secret} was lost"),
        format!(
            "Atlas's answer to the create request was lost. Exactly one {noun} made during the request matches this \
             resource and belongs to no other, so the provider tracks it instead of creating a duplicate. Atlas shows \
             the {secret} only in that answer, so it is null in state; to get one, replace the key with \
             `terraform apply -replace=<this resource's address>`."
        ),
    )
}

/// The error when recovery found no candidate, or several.
fn undecided<K: Made>(
    kind: &Kind,
    summary: &str,
    failure: &str,
    window: &Window,
    candidates: &[K],
    import_id: &dyn Fn(&str) -> String,
) -> Diagnostic {
    let Kind {
        noun,
        matched_by,
        listed_in,
        ..
    } = kind;
    let span = format!("between {} and {}", format_time(window.from), format_time(window.to));
    let detail = if candidates.is_empty() {
        format!(
            "{} The request may have reached Atlas, so Atlas may have created the {noun}. The provider listed {listed_in} \
             and found no {noun} with this resource's {matched_by} made {span} that is not already another resource's, \
             so most likely none was created and nothing is tracked. If a matching {noun} shows up later, import it \
             with `terraform import <this resource's address> <import ID>` or delete it in Atlas.",
            failure
        )
    } else {
        let mut lines: Vec<String> = candidates
            .iter()
            .take(LISTED_CANDIDATES)
            .map(|key| {
                let made = key.made_at().map(format_time).unwrap_or_else(|| "unknown".to_string());
                format!(
                    "  - {} made {made}: terraform import <this resource's address> {}",
                    key.id(),
                    import_id(key.id())
                )
            })
            .collect();
        if candidates.len() > LISTED_CANDIDATES {
            lines.push(format!("  - and {} more", candidates.len() - LISTED_CANDIDATES));
        }
        format!(
            "{} The request may have reached Atlas, so Atlas may have created the {noun}. {} {noun}s in {listed_in} have \
             this resource's {matched_by}, were made {span} and belong to no other resource, so the provider cannot \
             tell which one is this resource's and tracks none:\n{}\nImport the one this resource should own with the \
             command shown (an `import` block works too) and delete the others in Atlas, or delete them all and apply \
             again.",
            failure,
            candidates.len(),
            lines.join("\n")
        )
    };
    Diagnostic::error(format!("{summary}: Atlas may have created it"), detail)
}

/// The error when the keys could not be listed after a lost answer.
fn unlisted(kind: &Kind, summary: &str, failure: &str, why: &str) -> Diagnostic {
    let Kind {
        noun,
        matched_by,
        listed_in,
        ..
    } = kind;
    Diagnostic::error(
        format!("{summary}: Atlas may have created it"),
        format!(
            "{} The request may have reached Atlas, so Atlas may have created the {noun}, and the provider could not \
             list {listed_in} to find it: {why}. Before applying again, look for a {noun} with this resource's \
             {matched_by} made in the last minutes (the plural data source or the Atlas UI lists them), then import it \
             with `terraform import <this resource's address> <import ID>` or delete it in Atlas.",
            failure
        ),
    )
}

/// The creation time of an ObjectId: its first 8 hex digits are seconds since the epoch.
pub fn object_id_time(id: &str) -> Option<SystemTime> {
    let seconds = u32::from_str_radix(id.get(..8)?, 16).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(u64::from(seconds)))
}

/// An RFC 3339 timestamp such as `2026-11-22T00:00:00.855Z` or `…+02:00`.
pub fn rfc3339_time(text: &str) -> Option<SystemTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok().map(SystemTime::from)
}

/// `time` as RFC 3339 in UTC, to the second.
fn format_time(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    OffsetDateTime::from_unix_timestamp(seconds as i64)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{seconds} s after the epoch"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn object_id_timestamps() {
        assert_eq!(object_id_time("5d09d6a59ccf6445652a444a"), Some(at(0x5d09d6a5)));
        assert_eq!(object_id_time("zz"), None);
        assert_eq!(object_id_time("zzzzzzzz9ccf6445652a444a"), None);
    }

    #[test]
    fn rfc3339_timestamps() {
        assert_eq!(rfc3339_time("1970-01-01T00:00:00Z"), Some(at(0)));
        assert_eq!(
            rfc3339_time("2026-11-22T00:00:00.855+00:00"),
            Some(at(1_795_305_600) + Duration::from_millis(855))
        );
        assert_eq!(rfc3339_time("2026-11-22T02:00:00+02:00"), Some(at(1_795_305_600)));
        for bad in ["", "2026", "2026-11-22", "2026/11/22T00:00:00Z", "é026-11-22T00:00:00Z"] {
            assert_eq!(rfc3339_time(bad), None, "{bad}");
        }
        assert_eq!(format_time(at(1_795_305_600)), "2026-11-22T00:00:00Z");
    }

    #[test]
    fn window_follows_atlas_clock_with_a_small_margin() {
        let ahead = Window::new(at(1000), at(1003), Some(atlas::SignedDuration::from_millis(10_000)));
        assert_eq!(
            ahead,
            Window {
                from: at(1010),
                to: at(1015)
            }
        );
        assert!(ahead.contains(at(1010)) && ahead.contains(at(1015)));
        assert!(!ahead.contains(at(1009)) && !ahead.contains(at(1016)));
        // A key made a second before the request, or thirty, is outside.
        let same = Window::new(at(1000), at(1001), Some(atlas::SignedDuration::from_millis(0)));
        assert!(!same.contains(at(999)) && !same.contains(at(970)));
        // The start is the whole second the request was sent in, on Atlas's clock.
        let sent = at(1000) + Duration::from_millis(300);
        let behind = Window::new(sent, at(1001), Some(atlas::SignedDuration::from_millis(-5_500)));
        assert_eq!(behind.from, at(994));
    }

    #[test]
    fn unknown_clock_widens_the_window() {
        let window = Window::new(at(1000), at(1001), None);
        assert_eq!(
            window,
            Window {
                from: at(940),
                to: at(1061)
            }
        );
    }

    #[test]
    fn claims_are_remembered() {
        let id = "6a0000000000000000000001";
        assert!(!claimed(id));
        claim(id);
        assert!(claimed(id));
        claim("");
        assert!(!claimed(""));
    }

    struct Key(&'static str);

    impl Made for Key {
        fn id(&self) -> &str {
            self.0
        }
        fn made_at(&self) -> Option<SystemTime> {
            object_id_time(self.0)
        }
        fn without_secret(self) -> Self {
            self
        }
    }

    const KIND: Kind = Kind {
        noun: "API key",
        secret: "private key",
        matched_by: "description and roles",
        listed_in: "the organization",
    };

    #[test]
    fn undecided_lists_every_candidate_with_its_import_id() {
        let failure = errors::sentence("atlas answered 500");
        let window = Window::new(
            at(0x6a000000),
            at(0x6a000001),
            Some(atlas::SignedDuration::from_millis(0)),
        );
        let keys = [Key("6a000000aaaaaaaaaaaaaaaa"), Key("6a000001bbbbbbbbbbbbbbbb")];
        let diagnostic = undecided(&KIND, "Could not create API key", &failure, &window, &keys, &|id| {
            format!("ORG-{id}")
        });
        assert_eq!(
            diagnostic.summary,
            "Could not create API key: Atlas may have created it"
        );
        assert!(diagnostic.detail.starts_with("Atlas answered 500."));
        for key in &keys {
            assert!(diagnostic.detail.contains(&format!("{} made ", key.0)));
            assert!(diagnostic
                .detail
                .contains(&format!("terraform import <this resource's address> ORG-{}", key.0)));
        }
        assert!(diagnostic.detail.contains("made 2026-"));
        let none = undecided::<Key>(&KIND, "Could not create API key", &failure, &window, &[], &|id| {
            id.to_string()
        });
        assert!(none.detail.contains("found no API key"));
    }

    #[test]
    fn undecided_bounds_the_list() {
        let failure = errors::sentence("atlas answered 500");
        let window = Window::new(at(0x6a000000), at(0x6a000001), None);
        let keys: Vec<Key> = (0..130).map(|_| Key("6a000000aaaaaaaaaaaaaaaa")).collect();
        let diagnostic = undecided(&KIND, "s", &failure, &window, &keys, &|id| id.to_string());
        assert_eq!(
            diagnostic.detail.matches("terraform import <this").count(),
            LISTED_CANDIDATES
        );
        assert!(diagnostic.detail.contains("and 30 more"));
    }
}
