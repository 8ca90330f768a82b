//! Fault injection: 429s with Retry-After, failures before and after processing, latency,
//! dropped connections (over a real socket), limits, raw bodies, and the admin API.

use std::time::{Duration, Instant};

use atlas_emulator::{start, FaultKind, FaultPlan, FaultRule, Options};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{raw_http, raw_token, Api, V2023};

async fn bearer_api() -> Api {
    let mut api = Api::new();
    let token = api.token().await;
    api.use_bearer(token);
    api
}

async fn set_faults(api: &Api, plan: Value) {
    let response = api.admin(Method::POST, "/__emulator/faults", Some(plan)).await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
}

async fn key_count(api: &mut Api) -> usize {
    api.state.with_store(|store| store.keys_in_org(&api.seed.org_id).len())
}

async fn log(api: &Api) -> Vec<Value> {
    let log = api.admin(Method::GET, "/__emulator/requests", None).await;
    log.body.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn every_nth_request_is_rate_limited_and_not_processed() {
    let mut api = bearer_api().await;
    set_faults(
        &api,
        json!({"rules": [{"kind": "rate_limit", "every": 2, "retry_after_secs": 0, "path_contains": "/apiKeys"}]}),
    )
    .await;
    let uri = api.org_path("/apiKeys");
    let first = api.post(&uri, json!({"desc": "a", "roles": ["ORG_MEMBER"]})).await;
    assert_eq!(first.status, StatusCode::OK);
    let second = api.post(&uri, json!({"desc": "b", "roles": ["ORG_MEMBER"]})).await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.header("retry-after"), "0");
    assert_eq!(second.header("ratelimit-remaining"), "0");
    assert_eq!(second.header("ratelimit-limit"), "100");
    assert_eq!(second.code(), "RATE_LIMITED_TOKEN_BUCKET");
    assert_eq!(second.body["reason"], "Too Many Requests");
    let endpoint = uri.trim_start_matches('/');
    assert_eq!(second.body["parameters"], json!([endpoint, 0, 100, 50, 60]));
    assert_eq!(
        second.body["detail"],
        format!("Rate limit exceeded for {endpoint}. Please retry after 0 seconds. Request capacity: 100. Refill rate: 50 per 60 seconds.")
    );
    assert_eq!(key_count(&mut api).await, 2, "seeded + first only");
    let third = api.get(&api.org_path("")).await;
    assert_eq!(third.status, StatusCode::OK, "other paths are not counted");
    let entries = log(&api).await;
    let faults: Vec<Value> = entries.iter().map(|entry| entry["fault"].clone()).collect();
    assert_eq!(faults, [Value::Null, Value::Null, json!("rate_limit"), Value::Null]);
    assert_eq!(entries[2]["status"], 429);
}

#[tokio::test]
async fn failures_before_processing_leave_no_trace() {
    let mut api = bearer_api().await;
    set_faults(
        &api,
        json!({"rules": [{"kind": "fail", "method": "POST", "path_contains": "/apiKeys", "status": 503}]}),
    )
    .await;
    let response = api
        .post(&api.org_path("/apiKeys"), json!({"desc": "a", "roles": ["ORG_MEMBER"]}))
        .await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.code(), "SERVICE_UNAVAILABLE");
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(key_count(&mut api).await, 1);
    assert_eq!(
        api.get(&api.org_path("/apiKeys")).await.status,
        StatusCode::OK,
        "GET is not matched"
    );
    assert_eq!(log(&api).await[1]["fault"], "fail_before");
}

#[tokio::test]
async fn failures_after_processing_keep_the_effect() {
    let mut api = bearer_api().await;
    set_faults(&api, json!({"rules": [{"kind": "fail", "method": "post", "phase": "after", "times": 1, "error_code": "UNEXPECTED_ERROR"}]})).await;
    let uri = api.org_path("/apiKeys");
    let failed = api.post(&uri, json!({"desc": "a", "roles": ["ORG_MEMBER"]})).await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(failed.code(), "UNEXPECTED_ERROR");
    assert_eq!(key_count(&mut api).await, 2, "the key was created anyway");
    let retried = api.post(&uri, json!({"desc": "b", "roles": ["ORG_MEMBER"]})).await;
    assert_eq!(retried.status, StatusCode::OK, "times: 1 limits the rule");
    let plan = api.admin(Method::GET, "/__emulator/faults", None).await;
    assert_eq!(plan.body["rules"][0]["fired"], 1);
    assert_eq!(plan.body["rules"][0]["seen"], 2);
    assert_eq!(log(&api).await[1]["fault"], "fail_after");
}

#[tokio::test]
async fn failures_can_carry_a_raw_html_body() {
    let mut api = bearer_api().await;
    set_faults(
        &api,
        json!({"rules": [{"kind": "fail", "status": 502, "body": "<html>Bad Gateway</html>"}]}),
    )
    .await;
    let response = api.get(&api.org_path("")).await;
    assert_eq!(response.status, StatusCode::BAD_GATEWAY);
    assert_eq!(response.header("content-type"), "text/html");
    assert_eq!(response.text, "<html>Bad Gateway</html>");
}

#[tokio::test]
async fn latency_delays_every_api_request() {
    let mut api = bearer_api().await;
    set_faults(&api, json!({"latency_ms": 150})).await;
    let started = Instant::now();
    let response = api.get(&api.org_path("")).await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    let _ = api.admin(Method::GET, "/__emulator/state", None).await;
    assert!(
        started.elapsed() < Duration::from_millis(150),
        "admin routes are not delayed"
    );
    let cleared = api.admin(Method::DELETE, "/__emulator/faults", None).await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    let plan = api.admin(Method::GET, "/__emulator/faults", None).await;
    assert_eq!(plan.body, json!({"latency_ms": 0, "rules": []}));
}

#[tokio::test]
async fn invalid_plans_are_refused() {
    let api = Api::new();
    for plan in [
        json!({"rules": [{"kind": "explode"}]}),
        json!({"rules": [{"kind": "fail", "every": 0}]}),
        json!({"rules": [{"kind": "fail", "status": 200}]}),
        json!({"latency": 5}),
    ] {
        let response = api.admin(Method::POST, "/__emulator/faults", Some(plan.clone())).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{plan}");
    }
    let mut rule = FaultRule::new(FaultKind::Fail, 0);
    rule.status = Some(500);
    let options = Options {
        faults: FaultPlan {
            latency_ms: 0,
            rules: vec![rule],
        },
        ..Options::default()
    };
    assert!(start(options).await.is_err(), "start refuses an invalid plan");
}

#[tokio::test]
async fn close_drops_the_connection_without_an_answer() {
    let mut rule = FaultRule::new(FaultKind::Close, 2);
    rule.path_contains = Some("/api/atlas/v2/orgs".into());
    let options = Options {
        faults: FaultPlan {
            latency_ms: 0,
            rules: vec![rule],
        },
        ..Options::default()
    };
    let running = start(options).await.expect("start");
    let token = raw_token(&running).await;
    let request = |auth: &str| {
        format!("GET /api/atlas/v2/orgs HTTP/1.1\r\nHost: x\r\nAccept: {V2023}\r\n{auth}Connection: close\r\n\r\n")
    };
    let bearer = request(&format!("Authorization: Bearer {token}\r\n"));
    let first = raw_http(running.addr, &bearer).await;
    assert_eq!(
        first.map(|(status, _, _)| status),
        Some(200),
        "first request is answered"
    );
    let unauthenticated = raw_http(running.addr, &request("")).await;
    assert_eq!(
        unauthenticated.map(|(status, _, _)| status),
        Some(401),
        "a challenge is neither counted nor faulted"
    );
    let second = raw_http(running.addr, &bearer).await;
    assert!(second.is_none(), "second authenticated request gets no answer");
    let third = raw_http(running.addr, &bearer).await;
    assert_eq!(third.map(|(status, _, _)| status), Some(200));
    let admin = "GET /__emulator/requests HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let (_, _, body) = raw_http(running.addr, admin).await.expect("admin answers");
    let entries: Value = serde_json::from_str(&body).unwrap_or_default();
    // [token, first, challenge, second (closed), third]
    assert_eq!(entries[2]["status"], 401);
    assert!(entries[2].get("fault").is_none());
    assert_eq!(entries[3]["fault"], "close");
    assert!(entries[3]["status"].is_null());
    assert_eq!(entries[4]["status"], 200);
    running.shutdown();
}

#[tokio::test]
async fn close_after_processing_applies_the_change() {
    let mut api = bearer_api().await;
    set_faults(
        &api,
        json!({"rules": [{"kind": "close", "phase": "after", "method": "DELETE"}]}),
    )
    .await;
    let created = api
        .post(&api.org_path("/apiKeys"), json!({"desc": "a", "roles": ["ORG_MEMBER"]}))
        .await;
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let dropped = api.delete(&api.org_path(&format!("/apiKeys/{id}"))).await;
    assert!(
        dropped.status.is_server_error(),
        "in-process the marker response is a 500"
    );
    assert_eq!(key_count(&mut api).await, 1, "the delete happened");
    let entries = log(&api).await;
    assert_eq!(
        entries.last().map(|entry| entry["fault"].clone()),
        Some(json!("close_after"))
    );
}

#[tokio::test]
async fn rules_count_authenticated_requests_only() {
    let mut api = Api::new();
    set_faults(
        &api,
        json!({"rules": [{"kind": "fail", "method": "POST", "every": 2, "status": 503}]}),
    )
    .await;
    let uri = api.org_path("/apiKeys");
    let mut statuses = Vec::new();
    for index in 0..4 {
        // Every POST pays a digest challenge first: an unauthenticated POST the rule must ignore.
        api.forget_nonce();
        let response = api
            .post(&uri, json!({"desc": format!("k{index}"), "roles": ["ORG_MEMBER"]}))
            .await;
        statuses.push(response.status.as_u16());
    }
    assert_eq!(
        statuses,
        [200, 503, 200, 503],
        "the 2nd and 4th authenticated POST fail"
    );
    let entries = log(&api).await;
    let summary: Vec<(Value, Value)> = entries
        .iter()
        .map(|entry| (entry["status"].clone(), entry["fault"].clone()))
        .collect();
    let challenge = (json!(401), Value::Null);
    assert_eq!(
        summary,
        [
            challenge.clone(),
            (json!(200), Value::Null),
            challenge.clone(),
            (json!(503), json!("fail_before")),
            challenge.clone(),
            (json!(200), Value::Null),
            challenge,
            (json!(503), json!("fail_before")),
        ]
    );
    let plan = api.admin(Method::GET, "/__emulator/faults", None).await;
    assert_eq!(plan.body["rules"][0]["seen"], 4, "challenges are not counted");
    assert_eq!(plan.body["rules"][0]["fired"], 2);
}

#[tokio::test]
async fn oauth_requests_count_only_with_valid_client_credentials() {
    let api = Api::new();
    set_faults(
        &api,
        json!({"rules": [{"kind": "rate_limit", "path_contains": "/api/oauth/token", "retry_after_secs": 0}]}),
    )
    .await;
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let bad = api
        .send(
            Method::POST,
            "/api/oauth/token",
            &form,
            Some("Basic bm9ib2R5Om5vdGhpbmc="),
            Some("grant_type=client_credentials".into()),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNAUTHORIZED,
        "bad credentials are refused, not faulted"
    );
    let plan = api.admin(Method::GET, "/__emulator/faults", None).await;
    assert_eq!(plan.body["rules"][0]["seen"], 0);
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{}:{}", api.seed.client_id, api.seed.client_secret),
    );
    let good = api
        .send(
            Method::POST,
            "/api/oauth/token",
            &form,
            Some(&format!("Basic {basic}")),
            Some("grant_type=client_credentials".into()),
        )
        .await;
    assert_eq!(good.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(start_paused = true)]
async fn delay_holds_a_matching_request_then_answers_normally() {
    let mut api = bearer_api().await;
    set_faults(
        &api,
        json!({"rules": [{"kind": "delay", "delay_ms": 5000, "method": "GET", "path_contains": "/apiKeys"}]}),
    )
    .await;
    let started = tokio::time::Instant::now();
    let listed = api.get(&api.org_path("/apiKeys")).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["totalCount"], 1, "a normal answer");
    assert!(
        started.elapsed() >= Duration::from_millis(5000),
        "{:?}",
        started.elapsed()
    );
    let started = tokio::time::Instant::now();
    let org = api.get(&api.org_path("")).await;
    assert_eq!(org.status, StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_millis(5000),
        "other paths are not held"
    );
    assert_eq!(log(&api).await[1]["fault"], "delay");
    assert!(log(&api).await[2].get("fault").is_none());
}

#[tokio::test(start_paused = true)]
async fn a_delay_after_processing_holds_only_the_answer() {
    let mut api = bearer_api().await;
    let token = api.token().await;
    set_faults(
        &api,
        json!({"rules": [{"kind": "delay", "delay_ms": 5000, "phase": "after", "method": "POST", "times": 1}]}),
    )
    .await;
    let mut writer = api.as_other(api.creds.clone());
    writer.use_bearer(token);
    let uri = api.org_path("/apiKeys");
    let started = tokio::time::Instant::now();
    let pending = tokio::spawn(async move {
        writer
            .post(&uri, json!({"desc": "held", "roles": ["ORG_MEMBER"]}))
            .await
    });
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(key_count(&mut api).await, 2, "created while the answer is held");
    let created = pending.await.expect("the request task");
    assert_eq!(created.status, StatusCode::OK);
    assert_eq!(created.body["desc"], "held");
    assert!(started.elapsed() >= Duration::from_millis(5000));
    assert_eq!(
        log(&api).await.last().map(|entry| entry["fault"].clone()),
        Some(json!("delay_after"))
    );
}

#[tokio::test]
async fn delay_rules_need_delay_ms() {
    let api = Api::new();
    let refused = api
        .admin(
            Method::POST,
            "/__emulator/faults",
            Some(json!({"rules": [{"kind": "delay"}]})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{refused:?}");
    let accepted = api
        .admin(
            Method::POST,
            "/__emulator/faults",
            Some(json!({"rules": [{"kind": "delay", "delay_ms": 10, "every": 3}]})),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK);
    assert_eq!(accepted.body["rules"][0]["delay_ms"], 10);
    assert_eq!(accepted.body["rules"][0]["kind"], "delay");
}
