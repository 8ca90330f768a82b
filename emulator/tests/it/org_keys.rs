//! Organization API keys and lookups: create/get/update/delete shapes, secrets only on create,
//! validation errors, pagination, not-found and path errors, envelope and pretty, headers.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{Api, V2023};

fn is_uuid_v4(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = parts.iter().map(|part| part.len()).collect();
    lengths == [8, 4, 4, 4, 12]
        && text
            .chars()
            .all(|ch| ch == '-' || ch.is_ascii_digit() || ('a'..='f').contains(&ch))
        && parts[2].starts_with('4')
}

async fn create(api: &mut Api, body: Value) -> Value {
    let response = api.post(&api.org_path("/apiKeys"), body).await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    response.body
}

#[tokio::test]
async fn create_reveals_the_private_key_once() {
    let mut api = Api::new();
    let created = create(
        &mut api,
        json!({"desc": "ci key", "roles": ["ORG_READ_ONLY", "ORG_BILLING_ADMIN"]}),
    )
    .await;
    let private_key = created["privateKey"].as_str().unwrap_or_default().to_owned();
    assert!(is_uuid_v4(&private_key), "private key is a lowercase v4 UUID");
    let public_key = created["publicKey"].as_str().unwrap_or_default();
    assert!(public_key.len() == 8 && public_key.bytes().all(|b| b.is_ascii_lowercase()));
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(created["desc"], "ci key");
    assert_eq!(
        created["roles"],
        json!([
            {"orgId": api.seed.org_id, "roleName": "ORG_READ_ONLY"},
            {"orgId": api.seed.org_id, "roleName": "ORG_BILLING_ADMIN"}
        ])
    );
    let fetched = api.get(&api.org_path(&format!("/apiKeys/{id}"))).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(
        fetched.body["privateKey"],
        format!("********-****-****-{}", &private_key[24..])
    );
    assert_eq!(fetched.body["publicKey"], public_key);
    assert_eq!(
        fetched.body["links"][0]["href"],
        format!(
            "http://emulator.test/api/atlas/v2/orgs/{}/apiKeys/{id}",
            api.seed.org_id
        )
    );
    let listed = api.get(&api.org_path("/apiKeys")).await;
    assert!(!listed.text.contains(&private_key), "list must not reveal private keys");
    let state = api.admin(Method::GET, "/__emulator/state", None).await;
    assert!(
        !state.text.contains(&private_key),
        "admin state must not reveal private keys"
    );
    assert!(!state.text.contains(&api.seed.private_key));
}

#[tokio::test]
async fn create_validates_the_body() {
    let mut api = Api::new();
    let long = "x".repeat(251);
    let cases = [
        (json!({"roles": ["ORG_OWNER"]}), "API_KEY_REQUIRES_DESCRIPTION", "desc"),
        (
            json!({"desc": "  ", "roles": ["ORG_OWNER"]}),
            "API_KEY_REQUIRES_DESCRIPTION",
            "desc",
        ),
        (
            json!({"desc": long, "roles": ["ORG_OWNER"]}),
            "INVALID_API_KEY_DESC",
            "desc",
        ),
        (json!({"desc": "d"}), "MISSING_API_KEY_ROLES", "roles"),
        (json!({"desc": "d", "roles": []}), "MISSING_API_KEY_ROLES", "roles"),
        (
            json!({"desc": "d", "roles": ["GROUP_OWNER"]}),
            "INVALID_ROLE_FOR_ORG",
            "",
        ),
        (
            json!({"desc": "d", "roles": ["ORG_NOPE"]}),
            "INVALID_ENUM_VALUE",
            "roles",
        ),
        (
            json!({"desc": 5, "roles": ["ORG_OWNER"]}),
            "INVALID_JSON_ATTRIBUTE",
            "desc",
        ),
        (
            json!({"desc": "d", "roles": ["ORG_OWNER"], "name": "x"}),
            "INVALID_ATTRIBUTE",
            "name",
        ),
        (json!(["not", "an", "object"]), "INVALID_JSON", ""),
    ];
    for (body, code, field) in cases {
        let response = api.post(&api.org_path("/apiKeys"), body.clone()).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.code(), code, "{body}: {response:?}");
        assert_eq!(response.body["error"], 400);
        assert_eq!(response.body["reason"], "Bad Request");
        if !field.is_empty() {
            assert_eq!(response.body["badRequestDetail"]["fields"][0]["field"], field, "{body}");
        }
    }
    let unknown = api
        .post(&api.org_path("/apiKeys"), json!({"desc": "d", "roles": ["ORG_NOPE"]}))
        .await;
    assert!(unknown.body["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("Invalid role"));
    let group = api
        .post(
            &api.org_path("/apiKeys"),
            json!({"desc": "d", "roles": ["GROUP_OWNER"]}),
        )
        .await;
    assert_eq!(group.body["parameters"], json!(["GROUP_OWNER", api.seed.org_id]));
    let uri = api.org_path("/apiKeys");
    for raw in ["{not json", ""] {
        let response = api.call(Method::POST, &uri, Some(raw.to_owned())).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert_eq!(response.code(), "MALFORMED_JSON", "{raw:?}");
    }
    let keys = api.get(&uri).await;
    assert_eq!(keys.body["totalCount"], 1, "nothing was created");
}

#[tokio::test]
async fn update_changes_desc_and_replaces_only_org_roles() {
    let mut api = Api::new();
    let created = create(&mut api, json!({"desc": "before", "roles": ["ORG_OWNER"]})).await;
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let project = api.seed.project_ids[0].clone();
    api.state.with_store(|store| {
        let key = store.org_key_mut(&api.seed.org_id, &id).expect("key");
        key.project_roles
            .insert(project.clone(), vec!["GROUP_READ_ONLY".into()]);
    });
    let uri = api.org_path(&format!("/apiKeys/{id}"));
    let updated = api.patch(&uri, json!({"desc": "after", "roles": ["ORG_MEMBER"]})).await;
    assert_eq!(updated.status, StatusCode::OK, "{updated:?}");
    assert_eq!(updated.body["desc"], "after");
    assert!(updated.body["privateKey"]
        .as_str()
        .unwrap_or_default()
        .starts_with("********-"));
    assert_eq!(
        updated.body["roles"],
        json!([
            {"orgId": api.seed.org_id, "roleName": "ORG_MEMBER"},
            {"groupId": project, "roleName": "GROUP_READ_ONLY"}
        ])
    );
    let desc_only = api.patch(&uri, json!({"desc": "again"})).await;
    assert_eq!(desc_only.body["roles"][0]["roleName"], "ORG_MEMBER");
    let empty = api.patch(&uri, json!({})).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    let no_roles = api.patch(&uri, json!({"roles": []})).await;
    assert_eq!(no_roles.code(), "MISSING_API_KEY_ROLES");
    let missing = api
        .patch(&api.org_path("/apiKeys/0123456789abcdef01234567"), json!({"desc": "x"}))
        .await;
    assert_eq!(missing.code(), "API_KEY_NOT_FOUND");
}

#[tokio::test]
async fn delete_answers_204_without_body_then_404() {
    let mut api = Api::new();
    let created = create(&mut api, json!({"desc": "doomed", "roles": ["ORG_MEMBER"]})).await;
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    let uri = api.org_path(&format!("/apiKeys/{id}"));
    let deleted = api.delete(&uri).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.text.is_empty());
    assert!(deleted.headers.get("content-type").is_none());
    assert!(!deleted.header("ratelimit-remaining").is_empty());
    for response in [api.get(&uri).await, api.delete(&uri).await] {
        assert_eq!(response.status, StatusCode::NOT_FOUND);
        assert_eq!(response.code(), "API_KEY_NOT_FOUND");
        assert_eq!(response.body["detail"], format!("No API key with ID {id} exists."));
        assert_eq!(response.body["parameters"], json!([id]));
    }
}

#[tokio::test]
async fn unknown_orgs_and_malformed_ids_are_reported() {
    let mut api = Api::new();
    let response = api.get("/api/atlas/v2/orgs/0123456789abcdef01234567/apiKeys").await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.code(), "ORG_NOT_FOUND");
    for uri in [
        "/api/atlas/v2/orgs/NOT-HEX/apiKeys".to_owned(),
        api.org_path("/apiKeys/xyz"),
        "/api/atlas/v2/groups/0123456789ABCDEF01234567".to_owned(),
    ] {
        let response = api.get(&uri).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(response.code(), "PATH_PARAM_PARSE_ERROR");
        assert_eq!(response.body["parameters"], json!([uri]));
    }
    let response = api.get("/api/atlas/v2/groups/0123456789abcdef01234567").await;
    assert_eq!(response.code(), "GROUP_NOT_FOUND");
    let response = api.get("/api/atlas/v2/nothing/here").await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.code(), "RESOURCE_NOT_FOUND");
    let undecodable = api.get(&api.org_path("/apiKeys/%FF%FE")).await;
    assert_eq!(undecodable.status, StatusCode::BAD_REQUEST);
    assert_eq!(undecodable.code(), "PATH_PARAM_PARSE_ERROR");
    let ai = api.get(&api.group_path(0, "/aiModelApiKeys/%FF")).await;
    assert_eq!(ai.code(), "PATH_PARAM_PARSE_ERROR");
    let wrong_method = api.call(Method::PUT, &api.org_path("/apiKeys"), None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.code(), "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn lists_paginate_with_total_count_and_links() {
    let mut api = Api::new();
    let bulk = api
        .admin(
            Method::POST,
            &format!("/__emulator/orgs/{}/apiKeys", api.seed.org_id),
            Some(json!({"count": 150, "desc_prefix": "bulk", "roles": ["ORG_READ_ONLY"]})),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::CREATED, "{bulk:?}");
    assert_eq!(bulk.body["ids"].as_array().map(Vec::len), Some(150));
    let uri = api.org_path("/apiKeys");
    let first = api.get(&uri).await;
    assert_eq!(first.body["results"].as_array().map(Vec::len), Some(100));
    assert_eq!(first.body["totalCount"], 151);
    let rels: Vec<&str> = first.body["links"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|link| link["rel"].as_str())
        .collect();
    assert_eq!(rels, ["self", "next"]);
    let second = api.get(&format!("{uri}?pageNum=2")).await;
    assert_eq!(second.body["results"].as_array().map(Vec::len), Some(51));
    assert_eq!(second.body["results"][50]["desc"], "bulk-0150");
    let rels: Vec<&str> = second.body["links"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|link| link["rel"].as_str())
        .collect();
    assert_eq!(rels, ["self", "previous"]);
    let past_end = api.get(&format!("{uri}?pageNum=9")).await;
    assert_eq!(past_end.body["results"], json!([]));
    let small = api
        .get(&format!("{uri}?itemsPerPage=7&pageNum=3&includeCount=false"))
        .await;
    assert_eq!(small.body["results"].as_array().map(Vec::len), Some(7));
    assert_eq!(small.body["results"][0]["desc"], "bulk-0014");
    assert!(small.body.get("totalCount").is_none());
    let everything = api.get(&format!("{uri}?itemsPerPage=500")).await;
    assert_eq!(everything.body["results"].as_array().map(Vec::len), Some(151));
    for bad in [
        "pageNum=0",
        "itemsPerPage=0",
        "itemsPerPage=501",
        "pageNum=x",
        "includeCount=maybe",
        "envelope=1",
    ] {
        let response = api.get(&format!("{uri}?{bad}")).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(response.code(), "INVALID_QUERY_PARAMETER", "{bad}");
    }
}

#[tokio::test]
async fn envelope_and_pretty_shape_the_body() {
    let mut api = Api::new();
    let single = api.get(&api.org_path("?envelope=true")).await;
    assert_eq!(single.status, StatusCode::OK);
    assert_eq!(single.body["status"], 200);
    assert_eq!(single.body["content"]["id"], api.seed.org_id);
    let list = api.get(&api.org_path("/apiKeys?envelope=true")).await;
    assert_eq!(list.body["status"], 200);
    assert_eq!(list.body["totalCount"], 1);
    let pretty = api.get(&api.org_path("?pretty=true")).await;
    assert!(pretty.text.contains("\n  \"id\""), "{}", pretty.text);
    let compact = api.get(&api.org_path("")).await;
    assert!(!compact.text.contains('\n'));
    let error = api
        .get(&api.org_path("/apiKeys/0123456789abcdef01234567?envelope=true"))
        .await;
    assert_eq!(error.status, StatusCode::NOT_FOUND, "errors are not wrapped");
    assert_eq!(error.code(), "API_KEY_NOT_FOUND");
}

#[tokio::test]
async fn org_and_group_lookups() {
    let mut api = Api::new();
    let org = api.get(&api.org_path("")).await;
    assert_eq!(org.header("content-type"), V2023);
    assert_eq!(org.header("ratelimit-limit"), "100");
    assert!(!org.header("ratelimit-remaining").is_empty());
    assert_eq!(org.body["id"], api.seed.org_id);
    assert_eq!(org.body["isDeleted"], false);
    assert!(org.body["name"].is_string());
    let orgs = api.get("/api/atlas/v2/orgs").await;
    assert_eq!(orgs.body["totalCount"], 1);
    assert_eq!(orgs.body["results"][0]["id"], api.seed.org_id);
    let filtered = api.get("/api/atlas/v2/orgs?name=zzz").await;
    assert_eq!(filtered.body["results"], json!([]));
    let group = api.get(&api.group_path(1, "")).await;
    assert_eq!(group.status, StatusCode::OK);
    assert_eq!(group.body["id"], api.seed.project_ids[1]);
    assert_eq!(group.body["orgId"], api.seed.org_id);
    assert_eq!(group.body["clusterCount"], 0);
    let created = group.body["created"].as_str().unwrap_or_default();
    assert!(created.len() == 20 && created.ends_with('Z'), "{created}");
}
