//! Project assignment of organization keys: create-and-assign, add, update roles, remove,
//! listing with all roles, validation, and removal through the org key and the admin route.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{Api, TestResponse};

fn role_pairs(body: &Value) -> Vec<(String, String)> {
    body["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|role| {
            let scope = role["groupId"].as_str().or(role["orgId"].as_str()).unwrap_or_default();
            (
                role["roleName"].as_str().unwrap_or_default().to_owned(),
                scope.to_owned(),
            )
        })
        .collect()
}

fn pair(role: &str, scope: &str) -> (String, String) {
    (role.to_owned(), scope.to_owned())
}

async fn org_key(api: &mut Api, desc: &str) -> String {
    let created = api
        .post(
            &api.org_path("/apiKeys"),
            json!({"desc": desc, "roles": ["ORG_READ_ONLY"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{created:?}");
    created.body["id"].as_str().unwrap_or_default().to_owned()
}

fn ids(list: &TestResponse) -> Vec<String> {
    list.body["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|key| key["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn create_assigns_a_new_org_key_with_implicit_org_member() {
    let mut api = Api::new();
    let project = api.seed.project_ids[0].clone();
    let created = api
        .post(
            &api.group_path(0, "/apiKeys"),
            json!({"desc": "proj", "roles": ["GROUP_OWNER", "GROUP_READ_ONLY"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{created:?}");
    let private_key = created.body["privateKey"].as_str().unwrap_or_default().to_owned();
    assert_eq!(private_key.len(), 36, "full private key on create");
    assert_eq!(
        role_pairs(&created.body),
        [
            pair("ORG_MEMBER", &api.seed.org_id),
            pair("GROUP_OWNER", &project),
            pair("GROUP_READ_ONLY", &project)
        ]
    );
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let org_view = api.get(&api.org_path(&format!("/apiKeys/{id}"))).await;
    assert_eq!(role_pairs(&org_view.body), role_pairs(&created.body));
    let listed = api.get(&api.group_path(0, "/apiKeys")).await;
    assert_eq!(ids(&listed), [id]);
    assert_eq!(listed.body["totalCount"], 1);
    assert!(!listed.text.contains(&private_key));
    let mut as_new_key = api.as_other(Api::credentials_of(&created));
    let response = as_new_key.get(&as_new_key.group_path(0, "")).await;
    assert_eq!(response.status, StatusCode::OK, "the new key authenticates");
}

#[tokio::test]
async fn create_keeps_given_org_roles_and_validates() {
    let mut api = Api::new();
    let uri = api.group_path(1, "/apiKeys");
    let created = api
        .post(
            &uri,
            json!({"desc": "d", "roles": ["ORG_BILLING_ADMIN", "GROUP_READ_ONLY"]}),
        )
        .await;
    assert_eq!(
        role_pairs(&created.body),
        [
            pair("ORG_BILLING_ADMIN", &api.seed.org_id),
            pair("GROUP_READ_ONLY", &api.seed.project_ids[1])
        ]
    );
    let cases = [
        (json!({"desc": "d", "roles": ["INVALID_ROLE"]}), "INVALID_ENUM_VALUE"),
        (json!({"desc": "d", "roles": ["ORG_OWNER"]}), "MISSING_API_KEY_ROLES"),
        (json!({"desc": "d", "roles": []}), "MISSING_API_KEY_ROLES"),
        (json!({"roles": ["GROUP_OWNER"]}), "API_KEY_REQUIRES_DESCRIPTION"),
        (
            json!({"desc": "x".repeat(251), "roles": ["GROUP_OWNER"]}),
            "INVALID_API_KEY_DESC",
        ),
    ];
    for (body, code) in cases {
        let response = api.post(&uri, body.clone()).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.code(), code, "{body}");
    }
    let invalid = api.post(&uri, json!({"desc": "d", "roles": ["INVALID_ROLE"]})).await;
    assert!(invalid.body["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("Invalid role"));
    let missing = api
        .post(
            "/api/atlas/v2/groups/0123456789abcdef01234567/apiKeys",
            json!({"desc": "d", "roles": ["GROUP_OWNER"]}),
        )
        .await;
    assert_eq!(missing.code(), "GROUP_NOT_FOUND");
}

#[tokio::test]
async fn add_assigns_an_existing_key_and_refuses_a_key_already_assigned() {
    let mut api = Api::new();
    let id = org_key(&mut api, "shared").await;
    let project = api.seed.project_ids[1].clone();
    let uri = api.group_path(1, &format!("/apiKeys/{id}"));
    let added = api
        .post(
            &uri,
            json!([{"roles": ["GROUP_READ_ONLY", "GROUP_OWNER"], "userId": id}]),
        )
        .await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{added:?}");
    assert!(added.text.is_empty());
    let listed = api.get(&api.group_path(1, "/apiKeys")).await;
    assert_eq!(ids(&listed), std::slice::from_ref(&id));
    assert_eq!(
        role_pairs(&listed.body["results"][0]),
        [
            pair("ORG_READ_ONLY", &api.seed.org_id),
            pair("GROUP_READ_ONLY", &project),
            pair("GROUP_OWNER", &project)
        ]
    );
    let again = api.post(&uri, json!([{"roles": ["GROUP_CLUSTER_MANAGER"]}])).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{again:?}");
    assert_eq!(again.code(), "API_KEY_ALREADY_IN_GROUP");
    assert_eq!(again.body["parameters"], json!([id, project]));
    let fetched = api.get(&api.org_path(&format!("/apiKeys/{id}"))).await;
    assert_eq!(
        role_pairs(&fetched.body),
        [
            pair("ORG_READ_ONLY", &api.seed.org_id),
            pair("GROUP_READ_ONLY", &project),
            pair("GROUP_OWNER", &project)
        ],
        "a refused add changes nothing"
    );
    let unassigned = api.delete(&uri).await;
    assert_eq!(unassigned.status, StatusCode::NO_CONTENT);
    let cases = [
        (json!([{"roles": ["ORG_OWNER"]}]), "CANNOT_ADD_ORG_ROLE"),
        (json!([{"roles": ["GROUP_NOPE"]}]), "INVALID_ENUM_VALUE"),
        (json!([]), "MISSING_API_KEY_ROLES"),
        (
            json!([{"roles": ["GROUP_OWNER"], "userId": "0123456789abcdef01234567"}]),
            "INVALID_ATTRIBUTE",
        ),
        (json!({"roles": ["GROUP_OWNER"]}), "INVALID_JSON"),
    ];
    for (body, code) in cases {
        let response = api.post(&uri, body.clone()).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.code(), code, "{body}");
    }
    let unknown = api
        .post(
            &api.group_path(1, "/apiKeys/0123456789abcdef01234567"),
            json!([{"roles": ["GROUP_OWNER"]}]),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.code(), "API_KEY_NOT_FOUND");
}

#[tokio::test]
async fn update_roles_sets_exactly_the_given_project_roles() {
    let mut api = Api::new();
    let id = org_key(&mut api, "before").await;
    let project = api.seed.project_ids[2].clone();
    let uri = api.group_path(2, &format!("/apiKeys/{id}"));
    let not_assigned = api.patch(&uri, json!({"roles": ["GROUP_OWNER"]})).await;
    assert_eq!(not_assigned.status, StatusCode::NOT_FOUND);
    assert_eq!(not_assigned.code(), "API_KEY_NOT_FOUND");
    let _ = api
        .post(&uri, json!([{"roles": ["GROUP_OWNER", "GROUP_READ_ONLY"]}]))
        .await;
    let updated = api
        .patch(
            &format!("{uri}?pageNum=1&itemsPerPage=10"),
            json!({"roles": ["GROUP_DATA_ACCESS_READ_ONLY"], "desc": "after"}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{updated:?}");
    assert_eq!(updated.body["desc"], "after");
    assert!(updated.body["privateKey"]
        .as_str()
        .unwrap_or_default()
        .starts_with("********"));
    assert_eq!(
        role_pairs(&updated.body),
        [
            pair("ORG_READ_ONLY", &api.seed.org_id),
            pair("GROUP_DATA_ACCESS_READ_ONLY", &project)
        ]
    );
    let cases = [
        (json!({}), "MISSING_ATTRIBUTE"),
        (json!({"roles": []}), "MISSING_API_KEY_ROLES"),
        (json!({"roles": ["ORG_MEMBER"]}), "CANNOT_ADD_ORG_ROLE"),
        (json!({"roles": ["BAD"]}), "INVALID_ENUM_VALUE"),
    ];
    for (body, code) in cases {
        let response = api.patch(&uri, body.clone()).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.code(), code, "{body}");
    }
}

#[tokio::test]
async fn remove_unassigns_but_keeps_the_org_key() {
    let mut api = Api::new();
    let id = org_key(&mut api, "k").await;
    let uri = api.group_path(0, &format!("/apiKeys/{id}"));
    let _ = api.post(&uri, json!([{"roles": ["GROUP_OWNER"]}])).await;
    let removed = api.delete(&uri).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert!(removed.text.is_empty());
    let listed = api.get(&api.group_path(0, "/apiKeys")).await;
    assert!(ids(&listed).is_empty());
    let org_view = api.get(&api.org_path(&format!("/apiKeys/{id}"))).await;
    assert_eq!(org_view.status, StatusCode::OK);
    assert_eq!(role_pairs(&org_view.body), [pair("ORG_READ_ONLY", &api.seed.org_id)]);
    let again = api.delete(&uri).await;
    assert_eq!(again.code(), "API_KEY_NOT_FOUND");
    let gone_project = api
        .delete(&format!("/api/atlas/v2/groups/0123456789abcdef01234567/apiKeys/{id}"))
        .await;
    assert_eq!(gone_project.status, StatusCode::NOT_FOUND);
    assert_eq!(gone_project.code(), "GROUP_NOT_FOUND");
}

#[tokio::test]
async fn deleting_the_org_key_removes_every_assignment() {
    let mut api = Api::new();
    let id = org_key(&mut api, "k").await;
    for index in 0..3 {
        let uri = api.group_path(index, &format!("/apiKeys/{id}"));
        let added = api.post(&uri, json!([{"roles": ["GROUP_READ_ONLY"]}])).await;
        assert_eq!(added.status, StatusCode::NO_CONTENT);
    }
    let deleted = api.delete(&api.org_path(&format!("/apiKeys/{id}"))).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    for index in 0..3 {
        let listed = api.get(&api.group_path(index, "/apiKeys")).await;
        assert!(ids(&listed).is_empty(), "project {index}");
    }
}

#[tokio::test]
async fn admin_unassign_and_project_list_pagination() {
    let mut api = Api::new();
    let project = api.seed.project_ids[1].clone();
    let bulk = api
        .admin(
            Method::POST,
            &format!("/__emulator/orgs/{}/apiKeys", api.seed.org_id),
            Some(json!({"count": 120, "project_id": project, "project_roles": ["GROUP_OWNER"]})),
        )
        .await;
    let first_id = bulk.body["ids"][0].as_str().unwrap_or_default().to_owned();
    let page = api.get(&api.group_path(1, "/apiKeys?itemsPerPage=100&pageNum=2")).await;
    assert_eq!(page.body["totalCount"], 120);
    assert_eq!(page.body["results"].as_array().map(Vec::len), Some(20));
    let admin_uri = format!("/__emulator/groups/{project}/apiKeys/{first_id}");
    let unassigned = api.admin(Method::DELETE, &admin_uri, None).await;
    assert_eq!(unassigned.status, StatusCode::NO_CONTENT);
    let again = api.admin(Method::DELETE, &admin_uri, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let page = api.get(&api.group_path(1, "/apiKeys")).await;
    assert_eq!(page.body["totalCount"], 119);
    assert!(!ids(&page).contains(&first_id));
}

#[tokio::test]
async fn admin_sets_project_roles_and_deletes_a_project() {
    let mut api = Api::new();
    let id = org_key(&mut api, "outside").await;
    let project = api.seed.project_ids[1].clone();
    let roles_uri = format!("/__emulator/groups/{project}/apiKeys/{id}");
    for roles in [json!(["GROUP_OWNER"]), json!(["GROUP_READ_ONLY"])] {
        let set = api.admin(Method::PUT, &roles_uri, Some(json!({"roles": roles}))).await;
        assert_eq!(set.status, StatusCode::NO_CONTENT, "{set:?}");
        let fetched = api.get(&api.org_path(&format!("/apiKeys/{id}"))).await;
        let expected = vec![
            pair("ORG_READ_ONLY", &api.seed.org_id),
            pair(roles[0].as_str().unwrap_or_default(), &project),
        ];
        assert_eq!(role_pairs(&fetched.body), expected);
    }
    let org_role = api
        .admin(Method::PUT, &roles_uri, Some(json!({"roles": ["ORG_OWNER"]})))
        .await;
    assert_eq!(org_role.status, StatusCode::BAD_REQUEST);
    assert_eq!(org_role.code(), "CANNOT_ADD_ORG_ROLE");

    let deleted = api
        .admin(Method::DELETE, &format!("/__emulator/groups/{project}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let fetched = api.get(&api.org_path(&format!("/apiKeys/{id}"))).await;
    assert_eq!(
        role_pairs(&fetched.body),
        [pair("ORG_READ_ONLY", &api.seed.org_id)],
        "the key survives without the assignment"
    );
    let gone = api.get(&api.group_path(1, "/apiKeys")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.code(), "GROUP_NOT_FOUND");
    let again = api
        .admin(Method::DELETE, &format!("/__emulator/groups/{project}"), None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}
