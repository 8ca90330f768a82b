//! AI model rate limits: defaults from the organization, PATCH validation (positive, within the
//! organization's limit), the `:reset` custom methods, the lists, the org reads, media types
//! and the admin routes.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{Api, V2023, V2025};

fn limit_path(api: &Api, index: usize, group: &str) -> String {
    api.group_path(
        index,
        &format!("/aiModelApiClouds/ANY/geographies/ANY/modelGroupNames/{group}/rateLimits"),
    )
}

fn limits(requests: i64, tokens: i64) -> Value {
    json!({"requestsPerMinuteLimit": requests, "tokensPerMinuteLimit": tokens})
}

#[tokio::test]
async fn a_project_limit_starts_at_the_org_limit_and_patch_sets_it() {
    let mut api = Api::new();
    let uri = limit_path(&api, 0, "embed_large");
    let fetched = api.get(&uri).await;
    assert_eq!(fetched.status, StatusCode::OK, "{fetched:?}");
    assert_eq!(fetched.header("content-type"), V2025);
    assert_eq!(
        fetched.body,
        json!({
            "cloud": "ANY", "geography": "ANY", "endpoint": "ai.mongodb.com",
            "modelGroupName": "embed_large", "modelNames": ["voyage-3-large", "voyage-context-3"],
            "requestsPerMinuteLimit": 2000, "tokensPerMinuteLimit": 3_000_000,
        })
    );
    let org = api
        .get(&api.org_path("/aiModelApiClouds/ANY/geographies/ANY/modelGroupNames/embed_large/rateLimits"))
        .await;
    assert_eq!(org.body, fetched.body);

    let patched = api.patch(&uri, limits(1500, 1_000_000)).await;
    assert_eq!(patched.status, StatusCode::OK, "{patched:?}");
    assert_eq!(patched.body["requestsPerMinuteLimit"], 1500);
    assert_eq!(patched.body["tokensPerMinuteLimit"], 1_000_000);
    assert_eq!(patched.body["modelNames"], fetched.body["modelNames"]);
    assert_eq!(api.get(&uri).await.body, patched.body);
    let other_project = api.get(&limit_path(&api, 1, "embed_large")).await;
    assert_eq!(
        other_project.body["requestsPerMinuteLimit"], 2000,
        "projects are separate"
    );
    let org = api
        .get(&api.org_path("/aiModelApiClouds/ANY/geographies/ANY/modelGroupNames/embed_large/rateLimits"))
        .await;
    assert_eq!(org.body["requestsPerMinuteLimit"], 2000, "the org keeps its limit");

    let reset = api.call(Method::POST, &format!("{uri}:reset"), None).await;
    assert_eq!(reset.status, StatusCode::OK, "{reset:?}");
    assert_eq!(reset.body, fetched.body);
    let again = api.call(Method::POST, &format!("{uri}:reset"), None).await;
    assert_eq!(again.body, fetched.body, "reset is idempotent");
}

#[tokio::test]
async fn patch_validates_limits_against_the_org_with_field_details() {
    let mut api = Api::new();
    let org_id = api.seed.org_id.clone();
    let set_org = api
        .admin(
            Method::POST,
            &format!("/__emulator/orgs/{org_id}/aiModelRateLimits/rerank"),
            Some(json!({"requests_per_minute_limit": 100, "tokens_per_minute_limit": 5000})),
        )
        .await;
    assert_eq!(set_org.status, StatusCode::OK, "{set_org:?}");
    let uri = limit_path(&api, 0, "rerank");
    assert_eq!(
        api.get(&uri).await.body["requestsPerMinuteLimit"],
        100,
        "follows the org"
    );

    let over = api.patch(&uri, limits(101, 5000)).await;
    assert_eq!(over.status, StatusCode::BAD_REQUEST, "{over:?}");
    assert_eq!(over.code(), "VALIDATION_ERROR");
    assert_eq!(over.header("content-type"), "application/json");
    assert!(
        over.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("exceeds the organization's limit of 100 for model group rerank"),
        "{over:?}"
    );
    assert_eq!(over.body["parameters"], json!(["requestsPerMinuteLimit"]));
    assert_eq!(
        over.body["badRequestDetail"]["fields"][0]["field"],
        "requestsPerMinuteLimit"
    );

    let both = api.patch(&uri, limits(0, 5001)).await;
    let fields: Vec<&str> = both.body["badRequestDetail"]["fields"]
        .as_array()
        .map(|fields| fields.iter().filter_map(|f| f["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["requestsPerMinuteLimit", "tokensPerMinuteLimit"], "{both:?}");

    let cases = [
        (json!({"requestsPerMinuteLimit": 5}), "MISSING_ATTRIBUTE"),
        (
            json!({"requestsPerMinuteLimit": "5", "tokensPerMinuteLimit": 5}),
            "INVALID_JSON_ATTRIBUTE",
        ),
        (
            json!({"requestsPerMinuteLimit": 1.5, "tokensPerMinuteLimit": 5}),
            "INVALID_JSON_ATTRIBUTE",
        ),
        (limits(-1, 5), "VALIDATION_ERROR"),
        (limits(5, 2_147_483_648), "VALIDATION_ERROR"),
        (
            json!({"requestsPerMinuteLimit": 5, "tokensPerMinuteLimit": 5, "endpoint": "x"}),
            "INVALID_ATTRIBUTE",
        ),
    ];
    for (body, code) in cases {
        let refused = api.patch(&uri, body.clone()).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}: {refused:?}");
        assert_eq!(refused.code(), code, "{body}");
    }
    assert_eq!(
        api.get(&uri).await.body["requestsPerMinuteLimit"],
        100,
        "nothing changed"
    );
    let at_limit = api.patch(&uri, limits(100, 5000)).await;
    assert_eq!(at_limit.status, StatusCode::OK, "the org's value itself is allowed");
}

#[tokio::test]
async fn scopes_groups_and_media_types_are_checked() {
    let mut api = Api::new();
    let aws = api.group_path(
        0,
        "/aiModelApiClouds/AWS/geographies/ANY/modelGroupNames/embed_large/rateLimits",
    );
    let refused = api.get(&aws).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.code(), "INVALID_ENUM_VALUE");
    assert_eq!(refused.body["parameters"], json!(["AWS", "cloud"]));
    let eu = api.group_path(
        0,
        "/aiModelApiClouds/ANY/geographies/EU/modelGroupNames/embed_large/rateLimits:reset",
    );
    assert_eq!(api.call(Method::POST, &eu, None).await.code(), "INVALID_ENUM_VALUE");

    let unknown = limit_path(&api, 0, "embed_huge");
    for response in [
        api.get(&unknown).await,
        api.patch(&unknown, limits(1, 1)).await,
        api.call(Method::POST, &format!("{unknown}:reset"), None).await,
    ] {
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{response:?}");
        assert_eq!(response.code(), "RESOURCE_NOT_FOUND");
    }
    let missing_project = "/api/atlas/v2/groups/0123456789abcdef01234567/aiModelApiClouds/ANY/geographies/ANY/modelGroupNames/embed_large/rateLimits";
    assert_eq!(api.get(missing_project).await.code(), "GROUP_NOT_FOUND");

    let uri = limit_path(&api, 0, "embed_large");
    let wrong_version = api.call_with(Method::GET, &uri, &[("accept", V2023)], None).await;
    assert_eq!(wrong_version.status, StatusCode::NOT_ACCEPTABLE);
    let paged = api.get(&format!("{uri}?pageNum=1")).await;
    assert_eq!(
        paged.code(),
        "INVALID_QUERY_PARAMETER",
        "the single read takes no paging"
    );
    let wrong_method = api.delete(&uri).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn lists_page_and_reset_every_group() {
    let mut api = Api::new();
    let list = api.group_path(0, "/aiModelApiRateLimits");
    let all = api.get(&list).await;
    assert_eq!(all.status, StatusCode::OK, "{all:?}");
    assert_eq!(all.header("content-type"), V2025);
    assert_eq!(all.body["totalCount"], 4);
    let names: Vec<&str> = all.body["results"]
        .as_array()
        .map(|results| results.iter().filter_map(|r| r["modelGroupName"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["embed_large", "embed_medium", "embed_small", "rerank"]);
    let second = api.get(&format!("{list}?pageNum=2&itemsPerPage=3")).await;
    assert_eq!(second.body["results"].as_array().map(Vec::len), Some(1));
    assert_eq!(second.body["results"][0]["modelGroupName"], "rerank");
    assert_eq!(
        api.get(&format!("{list}?includeCount=false")).await.code(),
        "INVALID_QUERY_PARAMETER",
        "the contract declares no includeCount here"
    );

    for group in ["embed_small", "rerank"] {
        let patched = api.patch(&limit_path(&api, 0, group), limits(7, 7)).await;
        assert_eq!(patched.status, StatusCode::OK);
    }
    let state = api.admin(Method::GET, "/__emulator/state", None).await;
    assert_eq!(
        state.body["ai_model_rate_limits"]["project"].as_array().map(Vec::len),
        Some(2)
    );
    let reset = api.call(Method::POST, &format!("{list}:reset"), None).await;
    assert_eq!(reset.status, StatusCode::OK, "{reset:?}");
    assert_eq!(reset.body["results"], all.body["results"]);
    assert_eq!(reset.body["totalCount"], 4);
    let state = api.admin(Method::GET, "/__emulator/state", None).await;
    assert_eq!(state.body["ai_model_rate_limits"]["project"], json!([]));

    let org = api.get(&api.org_path("/aiModelApiRateLimits?itemsPerPage=2")).await;
    assert_eq!(org.status, StatusCode::OK, "{org:?}");
    assert_eq!(org.body["totalCount"], 4);
    assert_eq!(org.body["results"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn the_admin_route_changes_a_project_limit_with_the_api_rules() {
    let mut api = Api::new();
    let group_id = api.seed.project_ids[2].clone();
    let changed = api
        .admin(
            Method::POST,
            &format!("/__emulator/groups/{group_id}/aiModelRateLimits/embed_medium"),
            Some(json!({"requests_per_minute_limit": 10, "tokens_per_minute_limit": 20})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    let read = api.get(&limit_path(&api, 2, "embed_medium")).await;
    assert_eq!(read.body["requestsPerMinuteLimit"], 10);
    assert_eq!(read.body["tokensPerMinuteLimit"], 20);
    let refused = api
        .admin(
            Method::POST,
            &format!("/__emulator/groups/{group_id}/aiModelRateLimits/embed_medium"),
            Some(json!({"requests_per_minute_limit": 1_000_000, "tokens_per_minute_limit": 20})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.code(), "VALIDATION_ERROR");
    let requests = api.admin(Method::GET, "/__emulator/requests", None).await;
    let logged: Vec<&str> = requests
        .body
        .as_array()
        .map(|entries| entries.iter().filter_map(|e| e["path"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        logged.iter().all(|path| path.starts_with("/api/")),
        "admin calls are not logged: {logged:?}"
    );
}
