//! Admin routes: state dump, request log, deleting keys behind Terraform's back, bulk creation.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::Api;

#[tokio::test]
async fn request_log_records_api_calls_only() {
    let mut api = Api::new();
    let _ = api.get(&api.org_path("?pretty=true")).await;
    let _ = api.admin(Method::GET, "/__emulator/state", None).await;
    let log = api.admin(Method::GET, "/__emulator/requests", None).await;
    let entries = log.body.as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 2, "challenge + signed call: {entries:?}");
    assert_eq!(entries[0]["auth"], "none");
    assert_eq!(entries[0]["status"], 401);
    assert_eq!(entries[1]["auth"], "digest");
    assert_eq!(entries[1]["status"], 200);
    assert_eq!(entries[1]["method"], "GET");
    assert_eq!(entries[1]["path"], api.org_path(""));
    assert_eq!(entries[1]["query"], "pretty=true");
    assert!(entries[1]["seq"].as_u64() > entries[0]["seq"].as_u64());
    assert!(entries[1].get("fault").is_none());
    let cleared = api.admin(Method::DELETE, "/__emulator/requests", None).await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    let log = api.admin(Method::GET, "/__emulator/requests", None).await;
    assert_eq!(log.body, json!([]));
}

#[tokio::test]
async fn keys_can_be_deleted_behind_terraforms_back() {
    let mut api = Api::new();
    let created = api
        .post(&api.org_path("/apiKeys"), json!({"desc": "d", "roles": ["ORG_MEMBER"]}))
        .await;
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let admin_uri = format!("/__emulator/orgs/{}/apiKeys/{id}", api.seed.org_id);
    let deleted = api.admin(Method::DELETE, &admin_uri, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = api.admin(Method::DELETE, &admin_uri, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let fetched = api.get(&api.org_path(&format!("/apiKeys/{id}"))).await;
    assert_eq!(fetched.code(), "API_KEY_NOT_FOUND");
}

#[tokio::test]
async fn state_dump_lists_records_without_secrets() {
    let api = Api::new();
    let state = api.admin(Method::GET, "/__emulator/state", None).await;
    assert_eq!(state.status, StatusCode::OK);
    assert_eq!(state.body["orgs"][0]["id"], api.seed.org_id);
    assert_eq!(state.body["projects"].as_array().map(Vec::len), Some(3));
    assert_eq!(state.body["api_keys"][0]["org_roles"], json!(["ORG_OWNER"]));
    assert_eq!(state.body["api_keys"][0]["public_key"], api.seed.public_key);
    assert_eq!(state.body["service_accounts"][0]["client_id"], api.seed.client_id);
    assert!(!state.text.contains(&api.seed.client_secret));
}

#[tokio::test]
async fn bulk_creation_validates_its_body() {
    let api = Api::new();
    let uri = format!("/__emulator/orgs/{}/apiKeys", api.seed.org_id);
    for body in [
        json!({"count": 0}),
        json!({"count": 2, "roles": ["GROUP_OWNER"]}),
        json!({"count": 1, "bogus": 1}),
    ] {
        let response = api.admin(Method::POST, &uri, Some(body.clone())).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
    }
    let missing_org = api
        .admin(
            Method::POST,
            "/__emulator/orgs/0123456789abcdef01234567/apiKeys",
            Some(json!({"count": 1})),
        )
        .await;
    assert_eq!(missing_org.status, StatusCode::NOT_FOUND);
    let project = api.seed.project_ids[2].clone();
    let with_project = api
        .admin(
            Method::POST,
            &uri,
            Some(json!({"count": 2, "project_id": project, "project_roles": ["GROUP_OWNER"]})),
        )
        .await;
    assert_eq!(with_project.status, StatusCode::CREATED);
    let assigned = api.state.with_store(|store| store.keys_in_project(&project).len());
    assert_eq!(assigned, 2);
}

#[tokio::test]
async fn request_log_records_the_user_agent() {
    let api = Api::new();
    let agent = "terraform-provider-mongodbatlas/0.1.0 ModuleName/m";
    let _ = api
        .send(Method::GET, &api.org_path(""), &[("user-agent", agent)], None, None)
        .await;
    let _ = api.send(Method::GET, &api.org_path(""), &[], None, None).await;
    let log = api.admin(Method::GET, "/__emulator/requests", None).await;
    let agents: Vec<_> = log
        .body
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|entry| entry["user_agent"].clone())
        .collect();
    assert_eq!(agents, [json!(agent), json!("")]);
}
