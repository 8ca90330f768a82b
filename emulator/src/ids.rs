//! Identifier, credential and timestamp generators.
//!
//! Atlas ids are ObjectIds: 24 lowercase hex for 12 bytes, the first 4 being the creation time in
//! big-endian Unix seconds, as in Atlas. The other 8 bytes are random here (Atlas uses a process
//! part and a counter), so ids made within one second do not sort in creation order: tests and
//! clients cannot lean on id order. Listings keep creation order by other means (see `store`).
//! Timestamps are formatted from the `time` crate's calendar.

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rand::Rng as _;
use time::OffsetDateTime;

/// Makes ObjectId-shaped ids: creation second, then 8 random bytes; never the same id twice.
#[derive(Debug, Default)]
pub struct IdGen {
    // Every id handed out, so a random collision is retried and a deleted record's id is never
    // reused (12 bytes per id ever made).
    issued: HashSet<[u8; 12]>,
}

impl IdGen {
    /// A generator that has issued nothing yet.
    pub fn new() -> IdGen {
        IdGen::default()
    }

    /// A new 24-lowercase-hex id whose first 8 hex digits are the current Unix time in seconds;
    /// unique among the ids of this generator.
    pub fn object_id(&mut self) -> String {
        let secs = (unix_secs() as u32).to_be_bytes();
        let mut rng = rand::rng();
        loop {
            let mut bytes = [0u8; 12];
            bytes[..4].copy_from_slice(&secs);
            rng.fill(&mut bytes[4..]);
            if self.issued.insert(bytes) {
                return hex(&bytes);
            }
        }
    }
}

/// The creation time of an ObjectId in Unix seconds, or `None` when `id` is not one (tests).
#[cfg(test)]
fn object_id_secs(id: &str) -> Option<u32> {
    if !is_object_id(id) {
        return None;
    }
    u32::from_str_radix(&id[..8], 16).ok()
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// True when `text` is exactly 24 lowercase hex characters, the pattern of every Atlas path id.
pub fn is_object_id(text: &str) -> bool {
    text.len() == 24 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A programmatic API key's public key: 8 lowercase letters.
pub fn public_key() -> String {
    random_from(b"abcdefghijklmnopqrstuvwxyz", 8)
}

/// A version 4 UUID in lowercase, the shape of a programmatic API key's private key.
pub fn uuid_v4() -> String {
    let mut bytes: [u8; 16] = rand::rng().random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let text = hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &text[0..8],
        &text[8..12],
        &text[12..16],
        &text[16..20],
        &text[20..32]
    )
}

/// An AI model API key id: 24 lowercase alphanumerics with at least one non-hex letter.
pub fn ai_key_id() -> String {
    loop {
        let id = random_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 24);
        // The spec's example id is not hex; keep ours visibly different from ObjectIds.
        if !is_object_id(&id) {
            return id;
        }
    }
}

/// An AI model API key secret: `al-` and 43 URL-safe characters.
pub fn ai_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    let tail = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    format!("al-{tail}")
}

/// A service account client id: `mdb_sa_id_` and 24 hex.
pub fn client_id(ids: &mut IdGen) -> String {
    format!("mdb_sa_id_{}", ids.object_id())
}

/// A service account client secret: `mdb_sa_sk_` and 40 random lowercase alphanumerics.
pub fn client_secret() -> String {
    format!("mdb_sa_sk_{}", random_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 40))
}

/// An opaque access token shaped like a JWT (three base64url parts).
pub fn access_token(subject: &str) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = engine.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let jti = hex(&rand::rng().random::<[u8; 12]>());
    let payload = engine.encode(format!(r#"{{"sub":"{subject}","jti":"{jti}"}}"#));
    let signature = engine.encode(rand::rng().random::<[u8; 32]>());
    format!("{header}.{payload}.{signature}")
}

/// A digest nonce: 32 random hex characters.
pub fn nonce() -> String {
    hex(&rand::rng().random::<[u8; 16]>())
}

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// A point in time, kept as microseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Timestamp {
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_micros() as i64)
            .unwrap_or(0);
        Timestamp(micros)
    }

    /// A timestamp from microseconds since the epoch (for tests).
    pub fn from_micros(micros: i64) -> Timestamp {
        Timestamp(micros)
    }

    /// RFC 3339 in UTC with a `Z` and no fraction, as Atlas writes `date-time` fields.
    pub fn to_rfc3339(self) -> String {
        let at = self.utc();
        format!("{}T{}Z", date(at), clock(at))
    }

    /// ISO 8601 with microseconds and a `+00:00` offset, as the AI model key API writes `createdAt`.
    pub fn to_iso_micros(self) -> String {
        let at = self.utc();
        format!("{}T{}.{:06}+00:00", date(at), clock(at), at.microsecond())
    }

    fn utc(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

fn date(at: OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02}", at.year(), u8::from(at.month()), at.day())
}

fn clock(at: OffsetDateTime) -> String {
    format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_like_atlas() {
        // 2026-01-15T16:47:49.855Z, the spec's createdAt example.
        let stamp = Timestamp::from_micros(1_768_495_669_855_000);
        assert_eq!(stamp.to_iso_micros(), "2026-01-15T16:47:49.855000+00:00");
        assert_eq!(stamp.to_rfc3339(), "2026-01-15T16:47:49Z");
        assert_eq!(Timestamp::from_micros(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        let leap_day = Timestamp::from_micros(951_782_400_000_000);
        assert_eq!(leap_day.to_rfc3339(), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn generated_values_have_atlas_shapes() {
        let mut ids = IdGen::new();
        let first = ids.object_id();
        assert!(is_object_id(&first));
        let public = public_key();
        assert!(public.len() == 8 && public.bytes().all(|b| b.is_ascii_lowercase()));
        let uuid = uuid_v4();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        let ai = ai_key_id();
        assert!(ai.len() == 24 && !is_object_id(&ai));
        let secret = ai_secret();
        assert_eq!(secret.len(), 46);
        assert!(secret.starts_with("al-"));
        let client = client_id(&mut ids);
        assert!(client.starts_with("mdb_sa_id_") && is_object_id(&client[10..]));
    }

    #[test]
    fn object_ids_carry_their_creation_time_but_not_their_order() {
        let mut ids = IdGen::new();
        let before = unix_secs() as u32;
        let made: Vec<String> = (0..200).map(|_| ids.object_id()).collect();
        let after = unix_secs() as u32;
        for id in &made {
            let secs = object_id_secs(id).expect("an ObjectId");
            assert!(
                (before..=after).contains(&secs),
                "{id} was not made between {before} and {after}"
            );
        }
        assert!(
            made.windows(2).any(|pair| pair[0] > pair[1]),
            "200 ids in a row came out sorted: the random part is not random"
        );
        let distinct: HashSet<&String> = made.iter().collect();
        assert_eq!(distinct.len(), made.len());
        assert_eq!(object_id_secs("0123456789abcdef0123456g"), None);
        assert_eq!(object_id_secs("6966fd35ffffffffffffffff"), Some(0x6966_fd35));
    }

    #[test]
    fn object_id_check_rejects_other_shapes() {
        assert!(is_object_id("0123456789abcdef01234567"));
        assert!(!is_object_id("0123456789ABCDEF01234567"));
        assert!(!is_object_id("0123456789abcdef0123456"));
        assert!(!is_object_id("0123456789abcdef0123456g"));
    }
}
