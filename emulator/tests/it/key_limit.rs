//! Atlas's limit of API keys per organization: both routes that create an organization key
//! refuse one past the limit with 400 `MAX_API_KEYS_PER_ORG_EXCEEDED`; the default is 500; the
//! limit can be lowered through `Options` or `/__emulator/config`; admin bulk creation ignores it.

use atlas_emulator::Options;
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{Api, TestResponse};

fn assert_limit_error(response: &TestResponse, org_id: &str, limit: usize) {
    assert_eq!(response.status, StatusCode::BAD_REQUEST, "{response:?}");
    assert_eq!(response.code(), "MAX_API_KEYS_PER_ORG_EXCEEDED");
    assert_eq!(response.body["error"], 400);
    assert_eq!(response.body["reason"], "Bad Request");
    assert_eq!(response.body["parameters"], json!([org_id, limit]));
    let detail = response.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(&format!("maximum of {limit} API keys")), "{detail}");
}

fn key_count(api: &Api) -> usize {
    api.state.with_store(|store| store.keys_in_org(&api.seed.org_id).len())
}

#[tokio::test]
async fn org_and_project_creates_stop_at_the_limit() {
    let mut api = Api::with_options(Options {
        max_api_keys_per_org: 3,
        ..Options::default()
    });
    let org = api.seed.org_id.clone();
    let org_keys = api.org_path("/apiKeys");
    let project_keys = api.group_path(1, "/apiKeys");
    let first = api
        .post(&org_keys, json!({"desc": "one", "roles": ["ORG_MEMBER"]}))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    let second = api
        .post(&project_keys, json!({"desc": "two", "roles": ["GROUP_READ_ONLY"]}))
        .await;
    assert_eq!(second.status, StatusCode::OK, "{second:?}");
    assert_eq!(key_count(&api), 3, "the seeded key counts");

    let refused = api
        .post(&org_keys, json!({"desc": "three", "roles": ["ORG_MEMBER"]}))
        .await;
    assert_limit_error(&refused, &org, 3);
    let refused = api
        .post(&project_keys, json!({"desc": "three", "roles": ["GROUP_READ_ONLY"]}))
        .await;
    assert_limit_error(&refused, &org, 3);
    assert_eq!(key_count(&api), 3);
    assert!(
        api.state
            .with_store(|store| store.keys_in_project(&api.seed.project_ids[1]).len())
            == 1,
        "the refused project key was not assigned either"
    );

    // Assigning an existing key creates none, so it still works at the limit.
    let id = first.body["id"].as_str().unwrap_or_default().to_owned();
    let assigned = api
        .post(
            &api.group_path(0, &format!("/apiKeys/{id}")),
            json!([{"roles": ["GROUP_OWNER"]}]),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::NO_CONTENT, "{assigned:?}");

    let deleted = api.delete(&api.org_path(&format!("/apiKeys/{id}"))).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = api
        .post(&org_keys, json!({"desc": "three", "roles": ["ORG_MEMBER"]}))
        .await;
    assert_eq!(again.status, StatusCode::OK, "a freed slot can be used: {again:?}");
}

#[tokio::test]
async fn the_default_limit_is_atlass_500_and_admin_can_change_it() {
    let mut api = Api::new();
    let org = api.seed.org_id.clone();
    let config = api.admin(Method::GET, "/__emulator/config", None).await;
    assert_eq!(config.body["max_api_keys_per_org"], 500);
    let bulk = api
        .admin(
            Method::POST,
            &format!("/__emulator/orgs/{org}/apiKeys"),
            Some(json!({"count": 499})),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::CREATED, "{bulk:?}");
    assert_eq!(key_count(&api), 500);
    let uri = api.org_path("/apiKeys");
    let refused = api.post(&uri, json!({"desc": "501st", "roles": ["ORG_MEMBER"]})).await;
    assert_limit_error(&refused, &org, 500);

    let past = api
        .admin(
            Method::POST,
            &format!("/__emulator/orgs/{org}/apiKeys"),
            Some(json!({"count": 2})),
        )
        .await;
    assert_eq!(
        past.status,
        StatusCode::CREATED,
        "admin bulk creation ignores the limit"
    );
    assert_eq!(key_count(&api), 502);

    let raised = api
        .admin(
            Method::POST,
            "/__emulator/config",
            Some(json!({"max_api_keys_per_org": 503})),
        )
        .await;
    assert_eq!(raised.body["max_api_keys_per_org"], 503);
    let created = api.post(&uri, json!({"desc": "503rd", "roles": ["ORG_MEMBER"]})).await;
    assert_eq!(created.status, StatusCode::OK, "{created:?}");
    let refused = api.post(&uri, json!({"desc": "504th", "roles": ["ORG_MEMBER"]})).await;
    assert_limit_error(&refused, &org, 503);
}

#[tokio::test]
async fn the_limit_is_per_organization() {
    let mut api = Api::with_options(Options {
        max_api_keys_per_org: 1,
        ..Options::default()
    });
    let refused = api
        .post(&api.org_path("/apiKeys"), json!({"desc": "x", "roles": ["ORG_MEMBER"]}))
        .await;
    assert_eq!(refused.code(), "MAX_API_KEYS_PER_ORG_EXCEEDED");
    let other = api
        .admin(Method::POST, "/__emulator/orgs", Some(json!({"name": "second"})))
        .await;
    assert_eq!(other.status, StatusCode::CREATED);
    // The other organization is at its own limit of one (its seeded key), not ours.
    let creds = crate::support::Credentials {
        public_key: other.body["public_key"].as_str().unwrap_or_default().to_owned(),
        private_key: other.body["private_key"].as_str().unwrap_or_default().to_owned(),
    };
    let other_org = other.body["org_id"].as_str().unwrap_or_default().to_owned();
    let mut second = api.as_other(creds);
    let refused = second
        .post(
            &format!("/api/atlas/v2/orgs/{other_org}/apiKeys"),
            json!({"desc": "x", "roles": ["ORG_MEMBER"]}),
        )
        .await;
    assert_limit_error(&refused, &other_org, 1);
    api.admin(
        Method::POST,
        "/__emulator/config",
        Some(json!({"max_api_keys_per_org": 2})),
    )
    .await;
    let created = second
        .post(
            &format!("/api/atlas/v2/orgs/{other_org}/apiKeys"),
            json!({"desc": "x", "roles": ["ORG_MEMBER"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{created:?}");
    assert_eq!(key_count(&api), 1, "our organization is unchanged");
}
