//! HTTP Digest with a programmatic API key pair (RFC 7616 with `qop=auth`, MD5), the way Atlas
//! documents it for programmatic API keys.
//!
//! The first request goes out without `Authorization` and is answered with a `401` challenge.
//! Once a challenge has worked it is cached, and later requests answer it preemptively with an
//! increasing nonce count (`nc`), so steady-state calls cost one round trip instead of the two
//! the official provider pays. A `401` with a fresh challenge (the first one, or a new nonce
//! after Atlas rotated or staled ours) is answered once more.
//!
//! The state machine has two halves: [`Digest`] holds the shared cache, [`DigestRequest`] what
//! one request learnt. A fresh challenge stays private to the request that received it until an
//! answer other than `401` confirms it; only then is it published to the cache. Concurrent
//! requests therefore cannot use its nonce with a higher count and overtake us, which servers
//! that require strictly increasing counts (as RFC 7616 allows) would punish.
//!
//! One challenge per client, whatever the concurrency (single flight): when nothing is cached,
//! exactly one request (the leader) goes out bare, answers the `401` challenge and publishes it
//! once Atlas accepted the answer; concurrent requests wait meanwhile and then answer the
//! published challenge with increasing counts. A cached nonce that Atlas refuses (a `401` with a
//! fresh challenge, `stale=true` or not) is renewed the same way, once: the first request to see
//! the refusal leads with the challenge it received, later requests wait instead of spending
//! another `401` on the refused nonce. Waiters go only once the leader's answer was *accepted*,
//! not as soon as the challenge arrived: this costs them one round trip once per client, but
//! keeps the no-overtaking property above, and a challenge whose answer is refused (wrong key)
//! is never used by anyone else. A leader that ends without publishing (transport error,
//! cancellation, a `401` without a challenge, a refused answer) hands over: one waiter leads
//! next. Nothing about a failure is cached.
//!
//! This file knows nothing of the client or of the other schemes; problems are plain text that
//! `auth.rs` turns into an error naming the request.

use std::sync::{Mutex, MutexGuard};

use digest_auth::{AuthContext, HttpMethod, WwwAuthenticateHeader};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Notify;

/// Digest credentials plus the shared cached challenge; one per client, shared by its clones.
pub(crate) struct Digest {
    username: String,
    password: SecretString,
    // A std Mutex is enough: it is held only to compute one MD5 response or switch state,
    // never across `.await`.
    cache: Mutex<Cache>,
    // Woken whenever the cache leaves `Cache::Renewing` (published, or handed over).
    settled: Notify,
}

/// What the shared cache holds.
enum Cache {
    /// No challenge and nobody fetching one: the next request leads.
    Empty,
    /// A leader is getting a challenge accepted; other requests wait for it.
    Renewing,
    /// The last challenge that worked; `nc` inside counts the answers given to its nonce.
    Ready(WwwAuthenticateHeader),
}

/// One request's side of the Digest exchange: at most one private challenge and the cached
/// nonce it replaces. Dropping a leader that has not published hands the lead over.
pub(crate) struct DigestRequest<'a> {
    digest: &'a Digest,
    // The challenge that came with this request's own 401, answered privately.
    private: Option<WwwAuthenticateHeader>,
    // The cached nonce the latest header answered, if it came from the cache.
    answered_nonce: Option<String>,
    // The cached nonce Atlas rejected, so a working private challenge may replace it.
    failed_nonce: Option<String>,
    // True while this request is the one fetching or renewing the challenge for everyone.
    leading: bool,
}

/// What a request does when it needs the cached challenge.
enum Step {
    /// Send this preemptive answer to the cached nonce (the second field).
    Answer(HeaderValue, String),
    /// Nothing is cached and this request now leads: go out bare for a challenge.
    Lead,
    /// Another request leads: wait until it publishes or hands over.
    Wait,
}

impl Digest {
    /// Digest state for `username` (the public key) and `password` (the private key) with an
    /// empty cache. Callers check that neither is empty.
    pub(crate) fn new(username: String, password: SecretString) -> Digest {
        Digest {
            username,
            password,
            cache: Mutex::new(Cache::Empty),
            settled: Notify::new(),
        }
    }

    /// Starts the exchange for one request (all its HTTP exchanges within one attempt).
    pub(crate) fn request(&self) -> DigestRequest<'_> {
        DigestRequest {
            digest: self,
            private: None,
            answered_nonce: None,
            failed_nonce: None,
            leading: false,
        }
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The preemptive answer to the cached challenge; or the lead when nothing is cached (or
    /// the nonce count would wrap, which drops the challenge); or wait while another leads.
    fn next_step(&self, method: &str, uri: &str, body: &[u8]) -> Result<Step, String> {
        let mut cache = self.cache();
        match &mut *cache {
            Cache::Renewing => Ok(Step::Wait),
            Cache::Ready(challenge) if challenge.nc < u32::MAX => {
                let value = self.answer(challenge, method, uri, body)?;
                Ok(Step::Answer(value, challenge.nonce.clone()))
            }
            // Empty, or the nonce count would wrap: start over with a fresh challenge.
            Cache::Ready(_) | Cache::Empty => {
                *cache = Cache::Renewing;
                Ok(Step::Lead)
            }
        }
    }

    /// Computes the `Authorization: Digest …` value for one request and advances `nc`.
    ///
    /// `uri` is the request target (path and query) exactly as sent; `body` is the request
    /// body (used only if Atlas ever asks for `qop=auth-int`).
    fn answer(
        &self,
        challenge: &mut WwwAuthenticateHeader,
        method: &str,
        uri: &str,
        body: &[u8],
    ) -> Result<HeaderValue, String> {
        let context = AuthContext::new_with_method(
            self.username.as_str(),
            self.password.expose_secret(),
            uri,
            Some(body),
            HttpMethod::from(method),
        );
        let header = challenge.respond(&context).map_err(|err| err.to_string())?;
        let mut value = HeaderValue::from_str(&header.to_header_string())
            .map_err(|_| "the challenge produced an invalid header value".to_owned())?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// Turns the cached `nonce` into a renewal led by the caller, when it is still the cached
    /// one; false when the cache moved on (another request renews or already renewed it).
    fn start_renewal(&self, nonce: &str) -> bool {
        let mut cache = self.cache();
        let still_cached = matches!(&*cache, Cache::Ready(current) if current.nonce == nonce);
        if still_cached {
            *cache = Cache::Renewing;
        }
        still_cached
    }

    /// Shares a challenge that just worked, so later requests can answer it preemptively, and
    /// wakes the requests waiting for one.
    ///
    /// It replaces the cache only when no challenge is cached or the cache still holds
    /// `replaced_nonce` (the nonce this request failed with), so a challenge another request
    /// published meanwhile is kept.
    fn publish(&self, challenge: WwwAuthenticateHeader, replaced_nonce: Option<&str>) {
        let mut cache = self.cache();
        let replace = match &*cache {
            Cache::Empty | Cache::Renewing => true,
            Cache::Ready(current) => replaced_nonce == Some(current.nonce.as_str()),
        };
        if replace {
            *cache = Cache::Ready(challenge);
            drop(cache);
            self.settled.notify_waiters();
        }
    }

    /// A leader ends: if it published nothing, the cache is empty again and one waiter leads.
    fn hand_over(&self) {
        let mut cache = self.cache();
        if matches!(*cache, Cache::Renewing) {
            *cache = Cache::Empty;
        }
        drop(cache);
        self.settled.notify_waiters();
    }

    #[cfg(test)]
    fn cached(&self) -> Option<(String, u32)> {
        match &*self.cache() {
            Cache::Ready(challenge) => Some((challenge.nonce.clone(), challenge.nc)),
            Cache::Empty | Cache::Renewing => None,
        }
    }
}

impl DigestRequest<'_> {
    /// The `Authorization` value for the next exchange: the answer to this request's private
    /// challenge if it has one, else the preemptive answer to the cached challenge, else `None`
    /// (the request leads: it goes out bare to fetch a challenge).
    ///
    /// Waits while another request leads, until it published its challenge or handed over; the
    /// wait ends when the future is dropped, so callers race it against their cancellation.
    ///
    /// `target` is the request target (path and query) exactly as sent, since Digest signs it.
    /// Errors with a description when the challenge cannot be answered.
    pub(crate) async fn header(
        &mut self,
        method: &str,
        target: &str,
        body: &[u8],
    ) -> Result<Option<HeaderValue>, String> {
        if let Some(challenge) = self.private.as_mut() {
            self.answered_nonce = None;
            return self.digest.answer(challenge, method, target, body).map(Some);
        }
        self.answered_nonce = None;
        if self.leading {
            // Only after a 401 without a challenge; never wait for ourselves.
            return Ok(None);
        }
        loop {
            // Registered before looking, so a publish in between still wakes us.
            let settled = self.digest.settled.notified();
            match self.digest.next_step(method, target, body)? {
                Step::Answer(value, nonce) => {
                    self.answered_nonce = Some(nonce);
                    return Ok(Some(value));
                }
                Step::Lead => {
                    self.leading = true;
                    return Ok(None);
                }
                Step::Wait => settled.await,
            }
        }
    }

    /// Atlas answered `401` with these `WWW-Authenticate` values: keeps their Digest challenge
    /// privately for the next [`header`](Self::header) and says whether there is one to answer.
    /// When the refused answer was to the cached nonce, this request leads its renewal (unless
    /// another request already does), so later requests wait instead of repeating the refusal.
    ///
    /// `Ok(false)` when there is no Digest challenge at all (Atlas rejected the request for
    /// another reason, so answering again would not help). Errors when the challenge is
    /// malformed.
    pub(crate) fn challenged<'h>(&mut self, values: impl Iterator<Item = &'h HeaderValue>) -> Result<bool, String> {
        let Some(challenge) = find_challenge(values) else {
            return Ok(false);
        };
        self.private = Some(challenge?);
        self.failed_nonce = self.answered_nonce.take();
        if let Some(failed) = &self.failed_nonce {
            if !self.leading && self.digest.start_renewal(failed) {
                self.leading = true;
            }
        }
        Ok(true)
    }

    /// Atlas answered with anything but `401`: the private challenge, if any, worked, so it
    /// becomes the shared cache in place of the nonce this request failed with, and the
    /// waiting requests go on.
    pub(crate) fn accepted(&mut self) {
        if let Some(challenge) = self.private.take() {
            self.digest.publish(challenge, self.failed_nonce.as_deref());
        }
        if std::mem::take(&mut self.leading) {
            self.digest.hand_over();
        }
    }
}

impl Drop for DigestRequest<'_> {
    fn drop(&mut self) {
        if self.leading {
            self.digest.hand_over();
        }
    }
}

/// Parses a `WWW-Authenticate` header value into a Digest challenge.
///
/// Errors (never panics) on anything that is not a usable Digest challenge: another scheme,
/// missing realm or nonce, unknown algorithm or qop, unbalanced quotes, non-ASCII text.
pub(crate) fn parse_challenge(value: &str) -> Result<WwwAuthenticateHeader, String> {
    let value = value.trim();
    // The parser in `digest_auth` slices by character index, so non-ASCII input could make it
    // panic; HTTP header values are ASCII anyway.
    if !value.is_ascii() {
        return Err("the challenge contains non-ascii characters".to_owned());
    }
    let scheme_end = value.find(|c: char| c.is_ascii_whitespace()).unwrap_or(value.len());
    let (scheme, params) = value.split_at(scheme_end);
    if !scheme.eq_ignore_ascii_case("digest") {
        return Err(format!("expected a digest challenge, got scheme {scheme:?}"));
    }
    let challenge = WwwAuthenticateHeader::parse(params).map_err(|err| err.to_string())?;
    if challenge.nonce.is_empty() {
        return Err("the challenge has an empty nonce".to_owned());
    }
    Ok(challenge)
}

/// Picks the Digest challenge among a response's `WWW-Authenticate` values.
///
/// Returns `None` when there is no Digest challenge at all (Atlas rejected the request for
/// another reason), and an error when there is one but it is malformed.
fn find_challenge<'a>(values: impl Iterator<Item = &'a HeaderValue>) -> Option<Result<WwwAuthenticateHeader, String>> {
    for value in values {
        let Ok(text) = value.to_str() else {
            return Some(Err("the challenge is not visible ascii".to_owned()));
        };
        let looks_digest = text
            .trim_start()
            .get(..6)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("digest"));
        if looks_digest {
            return Some(parse_challenge(text));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use futures::FutureExt as _;

    use super::*;

    const ATLAS_CHALLENGE: &str = r#"Digest realm="MMS Public API", domain="", nonce="OTc0ZDQ2YzMtNmE1Yy00", algorithm=MD5, qop="auth", stale=false"#;
    const PRIVATE_KEY: &str = "55c3bbb6-b4bb-0be1-e66d20841f3e";
    const PATH: &str = "/api/atlas/v2/orgs";

    fn digest() -> Digest {
        Digest::new("zmmrboas".into(), SecretString::from(PRIVATE_KEY))
    }

    /// A `WWW-Authenticate` value as Atlas sends it.
    fn www_authenticate(nonce: &str, stale: bool) -> HeaderValue {
        let text = format!(
            r#"Digest realm="MMS Public API", domain="", nonce="{nonce}", algorithm=MD5, qop="auth", stale={stale}"#
        );
        HeaderValue::from_str(&text).unwrap_or_else(|err| panic!("{err}"))
    }

    /// The next header of `request` as text, `""` for none; panics when it would wait.
    fn next_header(request: &mut DigestRequest<'_>) -> String {
        let Some(header) = request.header("GET", PATH, b"").now_or_never() else {
            panic!("the request waits for another one");
        };
        match header {
            Ok(Some(value)) => {
                assert!(value.is_sensitive());
                value.to_str().unwrap_or_else(|err| panic!("{err}")).to_owned()
            }
            Ok(None) => String::new(),
            Err(problem) => panic!("{problem}"),
        }
    }

    /// `name=value` (quotes removed) from a Digest answer.
    fn field<'h>(header: &'h str, name: &str) -> Option<&'h str> {
        let start = header.find(&format!("{name}="))? + name.len() + 1;
        let rest = &header[start..];
        let rest = rest.strip_prefix('"').unwrap_or(rest);
        let end = rest.find(['"', ',']).unwrap_or(rest.len());
        Some(&rest[..end])
    }

    /// One request: its headers' (nonce, nc) for each exchange, answering with 401 `challenges`
    /// in turn and confirming after the last one.
    fn exchange(digest: &Digest, challenges: &[HeaderValue]) -> Vec<(String, String)> {
        let mut request = digest.request();
        let mut sent = Vec::new();
        let mut record = |header: String| {
            let nonce = field(&header, "nonce").unwrap_or("-").to_owned();
            let nc = field(&header, "nc").unwrap_or("-").to_owned();
            sent.push((nonce, nc));
        };
        record(next_header(&mut request));
        for challenge in challenges {
            assert_eq!(request.challenged([challenge].into_iter()), Ok(true));
            record(next_header(&mut request));
        }
        request.accepted();
        sent
    }

    fn pair(nonce: &str, nc: &str) -> (String, String) {
        (nonce.to_owned(), nc.to_owned())
    }

    fn check_malformed(input: &str) {
        assert!(parse_challenge(input).is_err(), "expected an error for {input:?}");
    }

    #[test]
    fn parses_the_documented_atlas_challenge() {
        let challenge = match parse_challenge(ATLAS_CHALLENGE) {
            Ok(challenge) => challenge,
            Err(err) => panic!("{err}"),
        };
        assert_eq!(challenge.realm, "MMS Public API");
        assert_eq!(challenge.nonce, "OTc0ZDQ2YzMtNmE1Yy00");
        assert!(!challenge.stale);
        assert_eq!(challenge.qop, Some(vec![digest_auth::Qop::AUTH]));
    }

    #[test]
    fn parses_lowercase_scheme_and_stale_flag() {
        let challenge = parse_challenge(r#"digest realm="r", nonce="n2", qop="auth", stale=true"#);
        assert!(challenge.is_ok_and(|c| c.stale && c.nonce == "n2"));
    }

    #[test]
    fn malformed_challenges_are_errors_not_panics() {
        for input in [
            "",
            "Digest",
            "Basic realm=\"x\"",
            "Bearer error=\"invalid_token\"",
            "Digest nonce=\"n\"",
            "Digest realm=\"r\"",
            "Digest realm=\"r\", nonce=\"",
            "Digest realm=\"r\", nonce=\"\"",
            "Digest realm=\"r\", nonce=\"n\", algorithm=ROT13",
            "Digest realm=\"r\", nonce=\"n\", qop=\"auth-conf\"",
            "Digest realm=\"r\", nonce=\"n\", charset=EBCDIC",
            "Digest réalm=\"r\", nonce=\"n\"",
            "Digest realm=\"é\", nonce=\"n\"",
            "Digestrealm=\"r\", nonce=\"n\"",
            "Digest ======",
            "Digest realm=\"r\", nonce=\"n\", realm=",
        ] {
            check_malformed(input);
        }
    }

    #[test]
    fn find_challenge_ignores_other_schemes() {
        let bearer = HeaderValue::from_static("Bearer realm=\"x\"");
        let digest = HeaderValue::from_str(ATLAS_CHALLENGE).unwrap_or_else(|_| HeaderValue::from_static(""));
        assert!(find_challenge([&bearer].into_iter()).is_none());
        assert!(matches!(find_challenge([&bearer, &digest].into_iter()), Some(Ok(_))));
        let broken = HeaderValue::from_static("Digest realm=\"r\"");
        assert!(matches!(find_challenge([&broken].into_iter()), Some(Err(_))));
    }

    #[test]
    fn answers_reuse_the_nonce_with_increasing_nc() {
        let digest = digest();
        assert_eq!(next_header(&mut digest.request()), "", "nothing cached yet");
        let challenge = parse_challenge(ATLAS_CHALLENGE).unwrap_or_else(|err| panic!("{err}"));
        digest.publish(challenge, None);
        let first = next_header(&mut digest.request());
        let second = next_header(&mut digest.request());
        assert!(first.starts_with("Digest "), "{first}");
        assert!(first.contains("nc=00000001"), "{first}");
        assert!(second.contains("nc=00000002"), "{second}");
        assert!(first.contains("username=\"zmmrboas\""));
        assert!(first.contains("nonce=\"OTc0ZDQ2YzMtNmE1Yy00\""));
        assert!(first.contains("qop=auth"));
        assert!(!first.contains("55c3bbb6"), "the password must never be sent");
        assert_eq!(digest.cached(), Some(("OTc0ZDQ2YzMtNmE1Yy00".to_owned(), 2)));
    }

    #[test]
    fn answer_matches_rfc_2617_example() {
        // RFC 2617 §3.5: Mufasa / "Circle Of Life", GET /dir/index.html, nc=1, cnonce 0a4f113b.
        let mut challenge = parse_challenge(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .unwrap_or_else(|err| panic!("{err}"));
        challenge.qop = Some(vec![digest_auth::Qop::AUTH]);
        let mut context = AuthContext::new("Mufasa", "Circle Of Life", "/dir/index.html");
        context.set_custom_cnonce("0a4f113b");
        let header = challenge.respond(&context).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(header.response, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn first_challenge_is_answered_then_cached_for_one_round_trip_calls() {
        let digest = digest();
        assert_eq!(
            exchange(&digest, &[www_authenticate("nonceA", false)]),
            [pair("-", "-"), pair("nonceA", "00000001")]
        );
        assert_eq!(exchange(&digest, &[]), [pair("nonceA", "00000002")]);
        assert_eq!(exchange(&digest, &[]), [pair("nonceA", "00000003")]);
    }

    #[test]
    fn stale_nonce_is_answered_once_and_replaces_the_cache() {
        let digest = digest();
        exchange(&digest, &[www_authenticate("nonceA", false)]);
        assert_eq!(
            exchange(&digest, &[www_authenticate("nonceB", true)]),
            [pair("nonceA", "00000002"), pair("nonceB", "00000001")]
        );
        assert_eq!(digest.cached(), Some(("nonceB".to_owned(), 1)));
        assert_eq!(exchange(&digest, &[]), [pair("nonceB", "00000002")]);
    }

    #[test]
    fn a_private_challenge_is_invisible_to_others_until_accepted() {
        let digest = digest();
        exchange(&digest, &[www_authenticate("nonceA", false)]);
        let mut slow = digest.request();
        next_header(&mut slow);
        assert_eq!(
            slow.challenged([&www_authenticate("nonceB", true)].into_iter()),
            Ok(true)
        );
        // nonceA was refused, so another request meanwhile waits for the renewal instead of
        // answering nonceA or taking nonceB ...
        let mut other = digest.request();
        assert!(other.header("GET", PATH, b"").now_or_never().is_none(), "waits");
        assert_eq!(digest.cached(), None);
        // ... so the private answer is the first use of nonceB, with nc 1.
        let private = next_header(&mut slow);
        assert_eq!(field(&private, "nonce"), Some("nonceB"));
        assert_eq!(field(&private, "nc"), Some("00000001"));
        slow.accepted();
        assert_eq!(digest.cached(), Some(("nonceB".to_owned(), 1)));
        assert_eq!(exchange(&digest, &[]), [pair("nonceB", "00000002")]);
    }

    #[test]
    fn a_request_refused_while_another_renews_answers_its_own_challenge() {
        let digest = digest();
        exchange(&digest, &[www_authenticate("nonceA", false)]);
        let mut first = digest.request();
        let mut second = digest.request();
        next_header(&mut first);
        next_header(&mut second);
        // Both were in flight with nonceA; the first refusal leads the renewal ...
        assert_eq!(
            first.challenged([&www_authenticate("nonceB", true)].into_iter()),
            Ok(true)
        );
        assert_eq!(
            second.challenged([&www_authenticate("nonceC", true)].into_iter()),
            Ok(true)
        );
        // ... the second answers its own challenge without waiting, and whoever is accepted
        // first is published; the other keeps it.
        let answer = next_header(&mut second);
        assert_eq!(field(&answer, "nonce"), Some("nonceC"));
        second.accepted();
        assert_eq!(digest.cached(), Some(("nonceC".to_owned(), 1)));
        next_header(&mut first);
        first.accepted();
        assert_eq!(digest.cached(), Some(("nonceC".to_owned(), 1)));
    }

    #[test]
    fn only_one_request_leads_and_the_others_wait_for_its_accepted_answer() {
        let digest = digest();
        let mut leader = digest.request();
        assert_eq!(next_header(&mut leader), "", "the leader goes out bare");
        let mut waiters: Vec<_> = (0..3).map(|_| digest.request()).collect();
        for waiter in &mut waiters {
            assert!(waiter.header("GET", PATH, b"").now_or_never().is_none());
        }
        assert_eq!(
            leader.challenged([&www_authenticate("nonceA", false)].into_iter()),
            Ok(true)
        );
        next_header(&mut leader);
        for waiter in &mut waiters {
            assert!(
                waiter.header("GET", PATH, b"").now_or_never().is_none(),
                "still waiting: the answer is not accepted yet"
            );
        }
        leader.accepted();
        let counts: Vec<_> = waiters
            .iter_mut()
            .map(|waiter| field(&next_header(waiter), "nc").map(str::to_owned))
            .collect();
        assert_eq!(
            counts,
            [
                Some("00000002".to_owned()),
                Some("00000003".to_owned()),
                Some("00000004".to_owned())
            ]
        );
    }

    #[test]
    fn a_leader_that_ends_without_publishing_hands_over_to_one_waiter() {
        let digest = digest();
        let mut leader = digest.request();
        next_header(&mut leader);
        assert_eq!(
            leader.challenged([&www_authenticate("nonceA", false)].into_iter()),
            Ok(true)
        );
        next_header(&mut leader);
        // Its answer was refused (or it failed, or was cancelled): nothing is cached.
        drop(leader);
        assert_eq!(digest.cached(), None);
        let mut next = digest.request();
        assert_eq!(next_header(&mut next), "", "the next request leads");
        let mut waiter = digest.request();
        assert!(waiter.header("GET", PATH, b"").now_or_never().is_none());
    }

    #[tokio::test]
    async fn a_waiter_wakes_when_the_leader_publishes_or_hands_over() {
        let digest = std::sync::Arc::new(digest());
        let mut leader = digest.request();
        next_header(&mut leader);
        let waiting = {
            let digest = std::sync::Arc::clone(&digest);
            tokio::spawn(async move {
                let mut request = digest.request();
                let header = request.header("GET", PATH, b"").await;
                header.map(|value| value.is_none())
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "waits while the leader leads");
        drop(leader);
        // The waiter takes over the lead: it goes out bare.
        let led = tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await;
        assert!(matches!(led, Ok(Ok(Ok(true)))), "{led:?}");
        assert_eq!(digest.cached(), None);
    }

    #[test]
    fn an_unconfirmed_private_challenge_is_never_published() {
        let digest = digest();
        let mut request = digest.request();
        next_header(&mut request);
        assert_eq!(
            request.challenged([&www_authenticate("nonceA", false)].into_iter()),
            Ok(true)
        );
        next_header(&mut request);
        drop(request);
        assert_eq!(digest.cached(), None);
    }

    #[test]
    fn a_401_without_a_digest_challenge_is_not_answered() {
        let digest = digest();
        let mut request = digest.request();
        let bearer = HeaderValue::from_static("Bearer realm=\"x\"");
        assert_eq!(request.challenged(std::iter::empty()), Ok(false));
        assert_eq!(request.challenged([&bearer].into_iter()), Ok(false));
        assert_eq!(next_header(&mut request), "");
        let broken = HeaderValue::from_static("Digest realm=\"MMS Public API\", algorithm=MD5");
        assert!(request.challenged([&broken].into_iter()).is_err());
    }

    #[test]
    fn publish_keeps_a_challenge_published_meanwhile() {
        let digest = Digest::new("u".into(), SecretString::from("p"));
        let with_nonce = |nonce: &str| {
            parse_challenge(&format!("Digest realm=\"r\", nonce=\"{nonce}\", qop=\"auth\""))
                .unwrap_or_else(|err| panic!("{err}"))
        };
        let used = || field(&next_header(&mut digest.request()), "nonce").map(str::to_owned);
        digest.publish(with_nonce("first"), None);
        // A request that failed with "stale" replaces it ...
        digest.publish(with_nonce("second"), Some("first"));
        assert_eq!(used().as_deref(), Some("second"));
        // ... but one that failed with an older nonce, or had none, leaves it alone.
        digest.publish(with_nonce("third"), Some("first"));
        digest.publish(with_nonce("fourth"), None);
        assert_eq!(used().as_deref(), Some("second"));
    }

    #[test]
    fn nonce_count_exhaustion_drops_the_challenge() {
        let digest = Digest::new("u".into(), SecretString::from("p"));
        let mut challenge = parse_challenge(ATLAS_CHALLENGE).unwrap_or_else(|err| panic!("{err}"));
        challenge.nc = u32::MAX;
        digest.publish(challenge, None);
        assert_eq!(next_header(&mut digest.request()), "");
        assert_eq!(digest.cached(), None);
    }

    proptest::proptest! {
        #[test]
        fn parse_challenge_never_panics(input in "\\PC{0,80}") {
            let _ = parse_challenge(&input);
            let _ = parse_challenge(&format!("Digest {input}"));
        }

        #[test]
        fn parse_challenge_never_panics_on_ascii_params(input in "[ -~]{0,80}") {
            let _ = parse_challenge(&format!("Digest realm=\"r\", {input}"));
        }
    }
}
