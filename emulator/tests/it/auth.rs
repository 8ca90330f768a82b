//! Authentication and negotiation: digest challenge format, nonce reuse and replay, stale
//! nonces, key lifecycle versus authentication, cross-organization access, 406s, and a digest
//! exchange over a real socket (our tiny client and the `digest_auth` crate).

use std::time::Duration;

use atlas_emulator::{start, start_in_background, Options};
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{challenge_nonce, digest_header, raw_http, Api, Credentials, V2023, V2025};

#[tokio::test]
async fn missing_credentials_get_a_digest_challenge() {
    let api = Api::new();
    let uri = api.org_path("/apiKeys");
    let response = api.send(Method::GET, &uri, &[("accept", V2023)], None, None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    let challenge = response.header("www-authenticate");
    let nonce = challenge_nonce(&response.headers);
    assert_eq!(nonce.len(), 32, "{challenge}");
    assert_eq!(
        challenge,
        format!(
            "Digest realm=\"MMS Public API\", domain=\"\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\", stale=false"
        )
    );
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body["error"], 401);
    assert_eq!(response.body["reason"], "Unauthorized");
    assert_eq!(response.code(), "UNAUTHORIZED");
}

#[tokio::test]
async fn a_nonce_is_reused_with_increasing_counts_and_replays_are_refused() {
    let api = Api::new();
    let uri = api.org_path("");
    let accept = [("accept", V2023)];
    let challenge = api.send(Method::GET, &uri, &accept, None, None).await;
    let nonce = challenge_nonce(&challenge.headers);
    for nc in [1, 2, 3] {
        let auth = digest_header(&api.creds, "GET", &uri, &nonce, nc);
        let response = api.send(Method::GET, &uri, &accept, Some(&auth), None).await;
        assert_eq!(response.status, StatusCode::OK, "nc={nc}: {response:?}");
    }
    for nc in [3, 2] {
        let auth = digest_header(&api.creds, "GET", &uri, &nonce, nc);
        let replay = api.send(Method::GET, &uri, &accept, Some(&auth), None).await;
        assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "nc={nc}");
        assert!(replay.header("www-authenticate").ends_with("stale=false"));
    }
    let later = digest_header(&api.creds, "GET", &uri, &nonce, 7);
    let response = api.send(Method::GET, &uri, &accept, Some(&later), None).await;
    assert_eq!(response.status, StatusCode::OK, "gaps in nc are fine");
}

#[tokio::test]
async fn wrong_password_wrong_uri_and_unknown_nonce_are_refused() {
    let api = Api::new();
    let uri = api.org_path("");
    let accept = [("accept", V2023)];
    let challenge = api.send(Method::GET, &uri, &accept, None, None).await;
    let nonce = challenge_nonce(&challenge.headers);
    let wrong = Credentials {
        public_key: api.creds.public_key.clone(),
        private_key: "00000000-0000-4000-8000-000000000000".into(),
    };
    let cases = [
        digest_header(&wrong, "GET", &uri, &nonce, 1),
        digest_header(&api.creds, "GET", "/api/atlas/v2/orgs", &nonce, 2),
        digest_header(&api.creds, "POST", &uri, &nonce, 3),
        digest_header(&api.creds, "GET", &uri, "not-a-nonce-we-issued", 1),
        "Digest garbage".to_owned(),
        "Basic YTpi".to_owned(),
    ];
    for auth in cases {
        let response = api.send(Method::GET, &uri, &accept, Some(&auth), None).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{response:?}");
        assert!(!challenge_nonce(&response.headers).is_empty());
    }
    // The refused attempts did not burn the nonce.
    let auth = digest_header(&api.creds, "GET", &uri, &nonce, 1);
    let response = api.send(Method::GET, &uri, &accept, Some(&auth), None).await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
}

#[tokio::test]
async fn an_expired_nonce_is_stale() {
    let api = Api::with_options(Options {
        nonce_ttl: Duration::ZERO,
        ..Options::default()
    });
    let uri = api.org_path("");
    let accept = [("accept", V2023)];
    let challenge = api.send(Method::GET, &uri, &accept, None, None).await;
    let auth = digest_header(&api.creds, "GET", &uri, &challenge_nonce(&challenge.headers), 1);
    let response = api.send(Method::GET, &uri, &accept, Some(&auth), None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert!(
        response.header("www-authenticate").ends_with("stale=true"),
        "{}",
        response.header("www-authenticate")
    );
}

#[tokio::test]
async fn created_keys_authenticate_and_deleted_keys_do_not() {
    let mut api = Api::new();
    let created = api
        .post(
            &api.org_path("/apiKeys"),
            json!({"desc": "second", "roles": ["ORG_READ_ONLY"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{created:?}");
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let mut other = api.as_other(Api::credentials_of(&created));
    let own = other.get(&other.org_path(&format!("/apiKeys/{id}"))).await;
    assert_eq!(own.status, StatusCode::OK, "{own:?}");
    let deleted = api.delete(&api.org_path(&format!("/apiKeys/{id}"))).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let refused = other.get(&other.org_path("")).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{refused:?}");
    assert!(refused.body["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("unknown API key"));
}

#[tokio::test]
async fn keys_cannot_reach_another_organization() {
    let mut api = Api::new();
    let other = api
        .admin(
            Method::POST,
            "/__emulator/orgs",
            Some(json!({"name": "rival", "projects": 1})),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{other:?}");
    let org = other.body["org_id"].as_str().unwrap_or_default().to_owned();
    let project = other.body["project_ids"][0].as_str().unwrap_or_default().to_owned();
    let response = api.get(&format!("/api/atlas/v2/orgs/{org}/apiKeys")).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.code(), "USER_CANNOT_ACCESS_ORG");
    assert!(response.headers.get("www-authenticate").is_none());
    let response = api.get(&format!("/api/atlas/v2/groups/{project}")).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.code(), "NOT_IN_GROUP");
}

#[tokio::test]
async fn the_accept_header_must_name_the_resource_version() {
    let mut api = Api::new();
    let keys = api.org_path("/apiKeys");
    let cases: &[&[(&str, &str)]] = &[&[], &[("accept", "application/json")], &[("accept", V2025)]];
    for headers in cases {
        let response = api.call_with(Method::GET, &keys, headers, None).await;
        assert_eq!(response.status, StatusCode::NOT_ACCEPTABLE, "{headers:?}");
        assert_eq!(response.code(), "INVALID_VERSION");
        assert_eq!(response.body["reason"], "Not Acceptable");
        assert_eq!(response.header("content-type"), "application/json");
    }
    let response = api.get(&keys).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), V2023);
}

#[tokio::test]
async fn digest_over_a_real_socket_reuses_the_nonce() {
    let running = start(Options::default()).await.expect("start");
    let creds = Credentials {
        public_key: running.seed.public_key.clone(),
        private_key: running.seed.private_key.clone(),
    };
    let path = format!("/api/atlas/v2/orgs/{}", running.seed.org_id);
    let request = |auth: Option<String>| {
        let auth = auth
            .map(|auth| format!("Authorization: {auth}\r\n"))
            .unwrap_or_default();
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nAccept: {V2023}\r\n{auth}Connection: close\r\n\r\n")
    };
    let (status, head, _) = raw_http(running.addr, &request(None)).await.expect("answer");
    assert_eq!(status, 401);
    let nonce = head
        .lines()
        .find_map(|line| line.strip_prefix("www-authenticate: "))
        .and_then(|value| value.split("nonce=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    for nc in [1, 2] {
        let auth = digest_header(&creds, "GET", &path, &nonce, nc);
        let (status, head, body) = raw_http(running.addr, &request(Some(auth))).await.expect("answer");
        assert_eq!(status, 200, "nc={nc}");
        assert!(head.contains(&format!("content-type: {V2023}")), "{head}");
        assert!(head.to_ascii_lowercase().contains("ratelimit-limit: "), "{head}");
        assert!(body.contains(&running.seed.org_id));
    }
    let replay = digest_header(&creds, "GET", &path, &nonce, 2);
    let (status, _, _) = raw_http(running.addr, &request(Some(replay))).await.expect("answer");
    assert_eq!(status, 401);

    // The digest_auth crate (the provider's dependency) must agree with our hashing.
    let (_, head, _) = raw_http(running.addr, &request(None)).await.expect("answer");
    let challenge = head
        .lines()
        .find_map(|line| line.strip_prefix("www-authenticate: "))
        .unwrap_or_default();
    let mut prompt = digest_auth::parse(challenge).expect("challenge parses");
    let context = digest_auth::AuthContext::new(creds.public_key.as_str(), creds.private_key.as_str(), path.as_str());
    let answer = prompt.respond(&context).expect("respond").to_string();
    let (status, _, _) = raw_http(running.addr, &request(Some(answer))).await.expect("answer");
    assert_eq!(status, 200);
    running.shutdown();
}

#[test]
fn background_emulator_serves_and_shuts_down() {
    let running = start_in_background(Options::default()).expect("start");
    let addr = running.addr;
    assert_eq!(running.base_url(), format!("http://{addr}"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let request = "GET /__emulator/state HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let answer = runtime.block_on(raw_http(addr, request));
    assert_eq!(answer.map(|(status, _, _)| status), Some(200));
    running.shutdown();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "port still open after shutdown"
    );
}

#[tokio::test]
async fn counts_out_of_order_are_accepted_and_expire_makes_every_nonce_stale() {
    let api = Api::new();
    let uri = api.org_path("");
    let accept = [("accept", V2023)];
    let challenge = api.send(Method::GET, &uri, &accept, None, None).await;
    let nonce = challenge_nonce(&challenge.headers);
    for nc in [2, 1, 3] {
        let auth = digest_header(&api.creds, "GET", &uri, &nonce, nc);
        let response = api.send(Method::GET, &uri, &accept, Some(&auth), None).await;
        assert_eq!(response.status, StatusCode::OK, "nc={nc}: {response:?}");
    }
    let expired = api.admin(Method::POST, "/__emulator/nonces/expire", None).await;
    assert_eq!(expired.status, StatusCode::NO_CONTENT);
    let auth = digest_header(&api.creds, "GET", &uri, &nonce, 4);
    let stale = api.send(Method::GET, &uri, &accept, Some(&auth), None).await;
    assert_eq!(stale.status, StatusCode::UNAUTHORIZED);
    assert!(stale.header("www-authenticate").ends_with("stale=true"), "{stale:?}");
    let fresh = digest_header(&api.creds, "GET", &uri, &challenge_nonce(&stale.headers), 1);
    let response = api.send(Method::GET, &uri, &accept, Some(&fresh), None).await;
    assert_eq!(response.status, StatusCode::OK, "the fresh nonce works");
}

#[tokio::test]
async fn a_correct_response_on_a_forgotten_nonce_is_stale() {
    let api = Api::new();
    let uri = api.org_path("");
    let accept = [("accept", V2023)];
    // Never issued here, like a nonce the bounded book has evicted.
    let forgotten = "0123456789abcdef0123456789abcdef";
    let auth = digest_header(&api.creds, "GET", &uri, forgotten, 1);
    let response = api.send(Method::GET, &uri, &accept, Some(&auth), None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert!(
        response.header("www-authenticate").ends_with("stale=true"),
        "{response:?}"
    );
    let retried = digest_header(&api.creds, "GET", &uri, &challenge_nonce(&response.headers), 1);
    let response = api.send(Method::GET, &uri, &accept, Some(&retried), None).await;
    assert_eq!(response.status, StatusCode::OK, "the fresh nonce works");

    let wrong = Credentials {
        public_key: api.creds.public_key.clone(),
        private_key: "00000000-0000-4000-8000-000000000000".into(),
    };
    let auth = digest_header(&wrong, "GET", &uri, forgotten, 1);
    let response = api.send(Method::GET, &uri, &accept, Some(&auth), None).await;
    assert!(
        response.header("www-authenticate").ends_with("stale=false"),
        "a wrong password is never stale"
    );
}
