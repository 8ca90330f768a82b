//! AI model API keys: create shape (201, secret once), reads without the secret, name-only
//! updates, validation, deletion, org-level reads, pagination and the admin routes.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{Api, V2023, V2025};

async fn create(api: &mut Api, index: usize, name: &str) -> Value {
    let uri = api.group_path(index, "/aiModelApiKeys");
    let created = api
        .post(&uri, json!({"name": name, "cloud": "ANY", "geography": "ANY"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.header("content-type"), V2025);
    created.body
}

fn is_iso_micros(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.len() == 32
        && text.ends_with("+00:00")
        && bytes[4] == b'-'
        && bytes[10] == b'T'
        && bytes[19] == b'.'
        && text[20..26].bytes().all(|b| b.is_ascii_digit())
}

#[tokio::test]
async fn create_answers_201_with_the_secret_once() {
    let mut api = Api::new();
    let created = create(&mut api, 0, "prod").await;
    let id = created["apiKeyId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(id.len(), 24);
    assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    let secret = created["secret"].as_str().unwrap_or_default().to_owned();
    assert!(secret.starts_with("al-") && secret.len() == 46);
    assert!(secret[3..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(created["maskedSecret"], format!("al-****{}", &secret[42..]));
    assert_eq!(created["status"], "ACTIVE");
    assert_eq!(created["endpoint"], "ai.mongodb.com");
    assert_eq!(created["cloud"], "ANY");
    assert_eq!(created["geography"], "ANY");
    assert_eq!(created["groupId"], api.seed.project_ids[0]);
    assert_eq!(created["name"], "prod");
    assert_eq!(created["createdBy"], api.seed.public_key);
    assert!(created.get("lastUsedAt").is_some_and(Value::is_null));
    assert!(
        is_iso_micros(created["createdAt"].as_str().unwrap_or_default()),
        "{}",
        created["createdAt"]
    );

    let uri = api.group_path(0, &format!("/aiModelApiKeys/{id}"));
    let fetched = api.get(&uri).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert!(fetched.body.get("secret").is_none(), "GET never shows the secret");
    assert!(!fetched.text.contains(&secret));
    let mut expected = created.clone();
    if let Some(map) = expected.as_object_mut() {
        map.remove("secret");
    }
    assert_eq!(fetched.body, expected);
    let org_uri = api.org_path(&format!("/aiModelApiKeys/{id}"));
    let by_org = api.get(&org_uri).await;
    assert_eq!(by_org.body, expected);
    let listed = api.get(&api.group_path(0, "/aiModelApiKeys")).await;
    assert_eq!(listed.body["results"], json!([expected]));
    assert_eq!(listed.body["totalCount"], 1);
    let state = api.admin(Method::GET, "/__emulator/state", None).await;
    assert!(!state.text.contains(&secret));
}

#[tokio::test]
async fn update_changes_only_the_name() {
    let mut api = Api::new();
    let created = create(&mut api, 1, "before").await;
    let id = created["apiKeyId"].as_str().unwrap_or_default();
    let uri = api.group_path(1, &format!("/aiModelApiKeys/{id}"));
    let updated = api.patch(&uri, json!({"name": "after"})).await;
    assert_eq!(updated.status, StatusCode::OK, "{updated:?}");
    assert_eq!(updated.body["name"], "after");
    assert!(updated.body.get("secret").is_none());
    assert_eq!(updated.body["createdAt"], created["createdAt"]);
    let cases = [
        (json!({"name": "x", "cloud": "ANY"}), "INVALID_ATTRIBUTE"),
        (json!({}), "MISSING_ATTRIBUTE"),
        (json!({"name": ""}), "VALIDATION_ERROR"),
    ];
    for (body, code) in cases {
        let response = api.patch(&uri, body.clone()).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.code(), code, "{body}");
    }
    let missing = api
        .patch(&api.group_path(1, "/aiModelApiKeys/nosuchkey"), json!({"name": "x"}))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn create_validates_the_body() {
    let mut api = Api::new();
    let uri = api.group_path(0, "/aiModelApiKeys");
    let cases = [
        (json!({"cloud": "ANY", "geography": "ANY"}), "MISSING_ATTRIBUTE", "name"),
        (json!({"name": "n", "geography": "ANY"}), "MISSING_ATTRIBUTE", "cloud"),
        (json!({"name": "n", "cloud": "ANY"}), "MISSING_ATTRIBUTE", "geography"),
        (
            json!({"name": "n", "cloud": "AWS", "geography": "ANY"}),
            "INVALID_ENUM_VALUE",
            "cloud",
        ),
        (
            json!({"name": "n", "cloud": "ANY", "geography": "EU"}),
            "INVALID_ENUM_VALUE",
            "geography",
        ),
        (
            json!({"name": "x".repeat(251), "cloud": "ANY", "geography": "ANY"}),
            "VALIDATION_ERROR",
            "name",
        ),
        (
            json!({"name": "n", "cloud": "ANY", "geography": "ANY", "secret": "s"}),
            "INVALID_ATTRIBUTE",
            "secret",
        ),
    ];
    for (body, code, field) in cases {
        let response = api.post(&uri, body.clone()).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.code(), code, "{body}");
        assert_eq!(response.body["badRequestDetail"]["fields"][0]["field"], field, "{body}");
    }
    let listed = api.get(&uri).await;
    assert_eq!(listed.body["totalCount"], 0);
}

#[tokio::test]
async fn delete_answers_204_then_not_found() {
    let mut api = Api::new();
    let created = create(&mut api, 2, "doomed").await;
    let id = created["apiKeyId"].as_str().unwrap_or_default();
    let uri = api.group_path(2, &format!("/aiModelApiKeys/{id}"));
    let wrong_project = api.get(&api.group_path(0, &format!("/aiModelApiKeys/{id}"))).await;
    assert_eq!(wrong_project.code(), "RESOURCE_NOT_FOUND");
    let deleted = api.delete(&uri).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.text.is_empty());
    for response in [api.get(&uri).await, api.delete(&uri).await] {
        assert_eq!(response.status, StatusCode::NOT_FOUND);
        assert_eq!(response.code(), "RESOURCE_NOT_FOUND");
        assert_eq!(response.body["parameters"], json!([id]));
    }
}

#[tokio::test]
async fn ai_routes_need_the_2025_media_type() {
    let mut api = Api::new();
    let uri = api.group_path(0, "/aiModelApiKeys");
    let response = api.call_with(Method::GET, &uri, &[("accept", V2023)], None).await;
    assert_eq!(response.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(response.code(), "INVALID_VERSION");
    let response = api
        .call_with(Method::GET, &api.org_path("/aiModelApiKeys"), &[], None)
        .await;
    assert_eq!(response.status, StatusCode::NOT_ACCEPTABLE);
}

#[tokio::test]
async fn bulk_keys_paginate_at_group_and_org_level() {
    let mut api = Api::new();
    let project = api.seed.project_ids[1].clone();
    let bulk = api
        .admin(
            Method::POST,
            &format!("/__emulator/groups/{project}/aiModelApiKeys"),
            Some(json!({"count": 120, "name_prefix": "seeded"})),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::CREATED, "{bulk:?}");
    let _ = create(&mut api, 2, "elsewhere").await;
    let group_uri = api.group_path(1, "/aiModelApiKeys");
    let first = api.get(&group_uri).await;
    assert_eq!(first.body["totalCount"], 120);
    assert_eq!(first.body["results"].as_array().map(Vec::len), Some(100));
    assert_eq!(first.body["results"][0]["name"], "seeded-0001");
    assert_eq!(first.body["results"][0]["createdBy"], "emulator-admin");
    let second = api.get(&format!("{group_uri}?pageNum=2")).await;
    assert_eq!(second.body["results"].as_array().map(Vec::len), Some(20));
    let org = api.get(&api.org_path("/aiModelApiKeys?itemsPerPage=500")).await;
    assert_eq!(org.body["totalCount"], 121);
    assert_eq!(org.body["results"][120]["groupId"], api.seed.project_ids[2]);
    let doomed = bulk.body["ids"][0].as_str().unwrap_or_default();
    let admin_uri = format!("/__emulator/groups/{project}/aiModelApiKeys/{doomed}");
    let deleted = api.admin(Method::DELETE, &admin_uri, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let again = api.admin(Method::DELETE, &admin_uri, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let after = api.get(&group_uri).await;
    assert_eq!(after.body["totalCount"], 119);
    let state = api.admin(Method::GET, "/__emulator/state", None).await;
    assert_eq!(state.body["ai_model_api_keys"].as_array().map(Vec::len), Some(120));
}
