//! Authentication of `/api/atlas/v2` requests: HTTP Digest with API keys the emulator issued,
//! and OAuth bearer tokens minted by `/api/oauth/token`; then the path's org/project check.
//!
//! Digest follows RFC 7616 with MD5 and `qop="auth"` in realm `MMS Public API`, as Atlas does.
//! A nonce stays valid for `Config::nonce_ttl` and may be reused with a strictly increasing `nc`,
//! so a client pays the challenge once per nonce. A replayed or non-increasing `nc` or a wrong
//! `response` gets a fresh challenge with `stale=false`. A correct `response` on a nonce that
//! expired, or that the book no longer holds, gets `stale=true` (RFC 7616 §3.3: the client knows
//! the password, only the nonce is stale).
//!
//! The nonce book is bounded: it keeps at most [`NONCE_CAPACITY`] nonces and forgets the oldest
//! first, so issuing and checking a nonce cost O(1) however many challenges a flood of
//! unauthenticated requests has caused.
//! Passwords and tokens are never written to logs or error details.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use md5::{Digest as _, Md5};

use crate::error::ApiError;
use crate::ids;
use crate::state::AppState;

/// The digest realm Atlas uses.
pub const REALM: &str = "MMS Public API";

/// Who made an authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A programmatic API key (digest).
    ApiKey {
        /// The key's id.
        key_id: String,
        /// The key's organization.
        org_id: String,
        /// The key's public key (digest user name).
        public_key: String,
    },
    /// A service account (bearer token).
    ServiceAccount {
        /// The account's client id.
        client_id: String,
        /// The account's organization.
        org_id: String,
    },
}

impl Principal {
    /// The organization the caller belongs to.
    pub fn org_id(&self) -> &str {
        match self {
            Principal::ApiKey { org_id, .. } | Principal::ServiceAccount { org_id, .. } => org_id,
        }
    }

    /// The name Atlas reports as `createdBy`: the public key or the client id.
    pub fn display_name(&self) -> &str {
        match self {
            Principal::ApiKey { public_key, .. } => public_key,
            Principal::ServiceAccount { client_id, .. } => client_id,
        }
    }
}

/// How many digest nonces the emulator remembers at most (each about 150 bytes).
pub const NONCE_CAPACITY: usize = 10_000;

/// Issued digest nonces and the highest `nc` seen for each, oldest forgotten first.
#[derive(Debug)]
pub struct NonceBook {
    capacity: usize,
    entries: HashMap<String, NonceEntry>,
    // Issue order, for eviction: each nonce enters and leaves once, so upkeep is O(1) amortized.
    order: VecDeque<(Instant, String)>,
}

impl Default for NonceBook {
    fn default() -> NonceBook {
        NonceBook::with_capacity(NONCE_CAPACITY)
    }
}

/// How far below the highest `nc` seen a count may still arrive: concurrent requests sharing a
/// nonce travel on several connections, so their counts may arrive out of order.
pub const NC_WINDOW: u32 = 128;

#[derive(Debug)]
struct NonceEntry {
    issued: Instant,
    // The highest `nc` accepted, 0 before the first.
    highest_nc: u32,
    // Bit `i` set: `highest_nc - i` was accepted (a sliding window of NC_WINDOW counts).
    seen: u128,
    // Set by `expire_all`: the next use gets `stale=true`, as after its lifetime.
    expired: bool,
}

/// Why a nonce was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceProblem {
    /// Never issued, or forgotten (evicted by newer nonces or long past its lifetime).
    Unknown,
    /// Issued but older than the nonce lifetime.
    Expired,
    /// `nc` not greater than the last accepted one.
    Replayed,
}

impl NonceBook {
    /// An empty book remembering at most `capacity` nonces (at least 1).
    pub fn with_capacity(capacity: usize) -> NonceBook {
        NonceBook {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Marks every remembered nonce expired, as if its lifetime had passed (Atlas rotating its
    /// nonces): the next answer to any of them gets `stale=true`.
    pub fn expire_all(&mut self) {
        for entry in self.entries.values_mut() {
            entry.expired = true;
        }
    }

    /// Nonces currently remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no nonce is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Issues a new nonce, first forgetting nonces far past their lifetime (four times `ttl`,
    /// at least a minute) and, when full, the oldest ones. O(1) amortized.
    pub fn issue(&mut self, ttl: Duration) -> String {
        let horizon = ttl.saturating_mul(4).max(Duration::from_secs(60));
        while let Some((issued, _)) = self.order.front() {
            if self.order.len() < self.capacity && issued.elapsed() <= horizon {
                break;
            }
            if let Some((_, old)) = self.order.pop_front() {
                self.entries.remove(&old);
            }
        }
        let nonce = ids::nonce();
        let issued = Instant::now();
        let entry = NonceEntry {
            issued,
            highest_nc: 0,
            seen: 0,
            expired: false,
        };
        self.entries.insert(nonce.clone(), entry);
        self.order.push_back((issued, nonce.clone()));
        nonce
    }

    /// Accepts `nc` for `nonce` if the nonce is live and `nc` was never accepted for it.
    ///
    /// RFC 7616 §3.4: a server detects replays by the same `nc` seen twice. Counts may arrive
    /// out of order (concurrent requests on several connections) within [`NC_WINDOW`] of the
    /// highest one; older counts cannot be told from replays and are refused too.
    pub fn consume(&mut self, nonce: &str, nc: u32, ttl: Duration) -> Result<(), NonceProblem> {
        let entry = self.entries.get_mut(nonce).ok_or(NonceProblem::Unknown)?;
        if entry.expired || entry.issued.elapsed() >= ttl {
            return Err(NonceProblem::Expired);
        }
        if nc == 0 {
            return Err(NonceProblem::Replayed);
        }
        if nc > entry.highest_nc {
            let shift = nc - entry.highest_nc;
            entry.seen = if shift >= NC_WINDOW { 0 } else { entry.seen << shift };
            entry.seen |= 1;
            entry.highest_nc = nc;
            return Ok(());
        }
        let behind = entry.highest_nc - nc;
        if behind >= NC_WINDOW || entry.seen & (1u128 << behind) != 0 {
            return Err(NonceProblem::Replayed);
        }
        entry.seen |= 1u128 << behind;
        Ok(())
    }
}

/// Authenticates a request from its `Authorization` header.
///
/// Errors: 401 with a fresh `WWW-Authenticate` digest challenge for missing or bad credentials.
pub fn authenticate(state: &AppState, method: &Method, uri: &Uri, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(challenge(state, false, "credentials are missing"));
    };
    let Ok(value) = value.to_str() else {
        return Err(challenge(state, false, "the Authorization header is not ASCII"));
    };
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("Digest") {
        digest(state, method, uri, rest)
    } else if scheme.eq_ignore_ascii_case("Bearer") {
        bearer(state, rest.trim())
    } else {
        Err(challenge(state, false, "unsupported authorization scheme"))
    }
}

/// Checks that the caller may use the organization or project named in the path.
///
/// Errors: 400 `PATH_PARAM_PARSE_ERROR` for a non-hex id, 404 `ORG_NOT_FOUND` or
/// `GROUP_NOT_FOUND`, 401 `USER_CANNOT_ACCESS_ORG` or `NOT_IN_GROUP` for another organization.
pub fn authorize_path(state: &AppState, principal: &Principal, path: &str) -> Result<(), ApiError> {
    let mut segments = path.strip_prefix("/api/atlas/v2/").unwrap_or_default().split('/');
    let (Some(kind), Some(id)) = (segments.next(), segments.next()) else {
        return Ok(());
    };
    if kind != "orgs" && kind != "groups" {
        return Ok(());
    }
    if !ids::is_object_id(id) {
        return Err(ApiError::path_param(path));
    }
    let owner = state.with_store(|store| {
        if kind == "orgs" {
            store.org(id).map(|org| org.id.clone())
        } else {
            store.project(id).map(|project| project.org_id.clone())
        }
    })?;
    if owner == principal.org_id() {
        return Ok(());
    }
    Err(if kind == "orgs" {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "USER_CANNOT_ACCESS_ORG",
            format!("The current user cannot access organization {id}."),
        )
        .param(id)
    } else {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "NOT_IN_GROUP",
            format!("The current user is not in the group {id}."),
        )
        .param(id)
    })
}

/// A 401 with a fresh digest challenge; `why` goes into the detail (never a secret).
pub fn challenge(state: &AppState, stale: bool, why: &str) -> ApiError {
    let ttl = state.config().nonce_ttl;
    let nonce = state.nonces().issue(ttl);
    let value =
        format!("Digest realm=\"{REALM}\", domain=\"\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\", stale={stale}");
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        format!("You are not authorized for this resource: {why}."),
    )
    .header(header::WWW_AUTHENTICATE, &value)
}

fn digest(state: &AppState, method: &Method, uri: &Uri, params: &str) -> Result<Principal, ApiError> {
    let Some(params) = parse_params(params) else {
        return Err(challenge(state, false, "the digest header is malformed"));
    };
    let fields = match DigestFields::from_params(&params) {
        Ok(fields) => fields,
        Err(why) => return Err(challenge(state, false, why)),
    };
    if !uri_matches(&fields.uri, uri) {
        return Err(challenge(state, false, "the digest uri does not match the request"));
    }
    let found = state.with_store(|store| {
        store.key_by_public(&fields.username).map(|key| {
            let principal = Principal::ApiKey {
                key_id: key.id.clone(),
                org_id: key.org_id.clone(),
                public_key: key.public_key.clone(),
            };
            (principal, fields.expected_response(method, key.private_key.expose()))
        })
    });
    let Some((principal, expected)) = found else {
        return Err(challenge(state, false, "unknown API key"));
    };
    if expected != fields.response.to_ascii_lowercase() {
        return Err(challenge(state, false, "the digest response is wrong"));
    }
    let ttl = state.config().nonce_ttl;
    let outcome = state.nonces().consume(&fields.nonce, fields.nc, ttl);
    match outcome {
        Ok(()) => Ok(principal),
        Err(NonceProblem::Expired) => Err(challenge(state, true, "the nonce has expired")),
        // The response was right for this nonce, so the client knows the password: a nonce we
        // forgot (or never issued) is stale, and the client may retry on the fresh one.
        Err(NonceProblem::Unknown) => Err(challenge(state, true, "the nonce is unknown or was forgotten")),
        Err(NonceProblem::Replayed) => Err(challenge(state, false, "the nonce count was replayed")),
    }
}

fn bearer(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    let found = state.with_store(|store| store.tokens.get(token).cloned());
    match found {
        None => Err(challenge(state, false, "the access token is unknown")),
        Some(issued) if issued.revoked => Err(challenge(state, false, "the access token was revoked")),
        Some(issued) if issued.expires_at <= Instant::now() => {
            Err(challenge(state, false, "the access token has expired"))
        }
        Some(issued) => Ok(Principal::ServiceAccount {
            client_id: issued.client_id,
            org_id: issued.org_id,
        }),
    }
}

// A client may sign the full request target or only its path; both name this request.
fn uri_matches(signed: &str, uri: &Uri) -> bool {
    let target = uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
    signed == target || signed == uri.path()
}

struct DigestFields {
    username: String,
    nonce: String,
    uri: String,
    response: String,
    cnonce: String,
    nc_text: String,
    nc: u32,
}

impl DigestFields {
    fn from_params(params: &HashMap<String, String>) -> Result<DigestFields, &'static str> {
        let get = |name: &str| params.get(name).cloned();
        if get("realm").as_deref() != Some(REALM) {
            return Err("the digest realm is wrong");
        }
        if get("algorithm").is_some_and(|algorithm| !algorithm.eq_ignore_ascii_case("MD5")) {
            return Err("only algorithm MD5 is supported");
        }
        if get("qop").as_deref() != Some("auth") {
            return Err("qop must be auth");
        }
        let nc_text = get("nc").ok_or("the nonce count is missing")?;
        let nc = u32::from_str_radix(&nc_text, 16).map_err(|_| "the nonce count is malformed")?;
        Ok(DigestFields {
            username: get("username").ok_or("the user name is missing")?,
            nonce: get("nonce").ok_or("the nonce is missing")?,
            uri: get("uri").ok_or("the digest uri is missing")?,
            response: get("response").ok_or("the digest response is missing")?,
            cnonce: get("cnonce").ok_or("the client nonce is missing")?,
            nc_text,
            nc,
        })
    }

    fn expected_response(&self, method: &Method, password: &str) -> String {
        let ha1 = md5_hex(&format!("{}:{REALM}:{password}", self.username));
        let ha2 = md5_hex(&format!("{}:{}", method.as_str(), self.uri));
        md5_hex(&format!(
            "{ha1}:{}:{}:{}:auth:{ha2}",
            self.nonce, self.nc_text, self.cnonce
        ))
    }
}

/// Lowercase hex MD5 of `text`.
pub fn md5_hex(text: &str) -> String {
    ids::hex(&Md5::digest(text.as_bytes()))
}

/// Parses `key=value, key="quoted value", …` auth parameters; `None` when malformed.
pub fn parse_params(input: &str) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    let mut rest = input.trim_start();
    while !rest.is_empty() {
        let (name, after_name) = rest.split_once('=')?;
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return None;
        }
        let after_name = after_name.trim_start();
        let (value, after_value) = if let Some(quoted) = after_name.strip_prefix('"') {
            read_quoted(quoted)?
        } else {
            let end = after_name.find(',').unwrap_or(after_name.len());
            (after_name[..end].trim().to_owned(), &after_name[end..])
        };
        params.insert(name, value);
        rest = after_value.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Some(params)
}

fn read_quoted(input: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = input.char_indices();
    while let Some((index, ch)) = chars.next() {
        match ch {
            '\\' => value.push(chars.next()?.1),
            '"' => return Some((value, &input[index + 1..])),
            other => value.push(other),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_digest_parameters() {
        let params = parse_params(
            r#"username="abcdefgh", realm="MMS Public API", nonce="n1", uri="/a?b=1,2", algorithm=MD5, response="r", qop=auth, nc=00000001, cnonce="c\"x""#,
        )
        .expect("parses");
        assert_eq!(params["username"], "abcdefgh");
        assert_eq!(params["uri"], "/a?b=1,2");
        assert_eq!(params["qop"], "auth");
        assert_eq!(params["nc"], "00000001");
        assert_eq!(params["cnonce"], "c\"x");
        assert!(parse_params(r#"username="unterminated"#).is_none());
        assert!(parse_params("novalue").is_none());
    }

    #[test]
    fn nonce_counts_are_used_once() {
        let mut book = NonceBook::default();
        let ttl = Duration::from_secs(300);
        let nonce = book.issue(ttl);
        assert_eq!(book.consume(&nonce, 1, ttl), Ok(()));
        assert_eq!(book.consume(&nonce, 2, ttl), Ok(()));
        assert_eq!(book.consume(&nonce, 2, ttl), Err(NonceProblem::Replayed));
        assert_eq!(book.consume(&nonce, 1, ttl), Err(NonceProblem::Replayed));
        assert_eq!(book.consume(&nonce, 0, ttl), Err(NonceProblem::Replayed));
        assert_eq!(book.consume("other", 1, ttl), Err(NonceProblem::Unknown));
        assert_eq!(book.consume(&nonce, 3, Duration::ZERO), Err(NonceProblem::Expired));
    }

    #[test]
    fn counts_may_arrive_out_of_order_within_the_window() {
        let mut book = NonceBook::default();
        let ttl = Duration::from_secs(300);
        let nonce = book.issue(ttl);
        for nc in [3, 1, 2, 5, 4] {
            assert_eq!(book.consume(&nonce, nc, ttl), Ok(()), "nc={nc}");
        }
        for nc in 1..=5 {
            assert_eq!(book.consume(&nonce, nc, ttl), Err(NonceProblem::Replayed), "nc={nc}");
        }
        let far = 5 + NC_WINDOW;
        assert_eq!(book.consume(&nonce, far, ttl), Ok(()));
        assert_eq!(
            book.consume(&nonce, far - NC_WINDOW, ttl),
            Err(NonceProblem::Replayed),
            "below the window"
        );
        assert_eq!(
            book.consume(&nonce, far - NC_WINDOW + 1, ttl),
            Ok(()),
            "at the window's edge"
        );
        assert_eq!(book.consume(&nonce, far - 1, ttl), Ok(()), "inside the window");
        assert_eq!(book.consume(&nonce, u32::MAX, ttl), Ok(()));
        assert_eq!(book.consume(&nonce, u32::MAX, ttl), Err(NonceProblem::Replayed));
    }

    #[test]
    fn expire_all_makes_every_nonce_stale() {
        let mut book = NonceBook::default();
        let ttl = Duration::from_secs(300);
        let nonce = book.issue(ttl);
        assert_eq!(book.consume(&nonce, 1, ttl), Ok(()));
        book.expire_all();
        assert_eq!(book.consume(&nonce, 2, ttl), Err(NonceProblem::Expired));
        let fresh = book.issue(ttl);
        assert_eq!(book.consume(&fresh, 1, ttl), Ok(()), "later nonces are not affected");
    }

    #[test]
    fn the_book_is_bounded_and_forgets_the_oldest_first() {
        let ttl = Duration::from_secs(300);
        let mut book = NonceBook::with_capacity(3);
        let issued: Vec<String> = (0..5).map(|_| book.issue(ttl)).collect();
        assert_eq!(book.len(), 3);
        for old in &issued[..2] {
            assert_eq!(book.consume(old, 1, ttl), Err(NonceProblem::Unknown), "evicted");
        }
        for live in &issued[2..] {
            assert_eq!(book.consume(live, 1, ttl), Ok(()), "still known");
        }
    }

    #[test]
    fn a_flood_of_challenges_stays_within_capacity() {
        let ttl = Duration::from_secs(300);
        let mut book = NonceBook::default();
        let first = book.issue(ttl);
        for _ in 0..3 * NONCE_CAPACITY {
            book.issue(ttl);
        }
        assert_eq!(book.len(), NONCE_CAPACITY);
        assert_eq!(book.order.len(), NONCE_CAPACITY, "the eviction queue is bounded too");
        assert_eq!(book.consume(&first, 1, ttl), Err(NonceProblem::Unknown));
        let fresh = book.issue(ttl);
        assert_eq!(book.consume(&fresh, 1, ttl), Ok(()));
    }

    #[test]
    fn md5_matches_rfc_2617_example() {
        // RFC 2617 section 3.5: Mufasa / "Circle Of Life".
        let ha1 = md5_hex("Mufasa:testrealm@host.com:Circle Of Life");
        let ha2 = md5_hex("GET:/dir/index.html");
        let response = md5_hex(&format!(
            "{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:00000001:0a4f113b:auth:{ha2}"
        ));
        assert_eq!(response, "6629fae49393a05397450978507c4ef1");
    }
}
