//! Request checks shared by every route: `Content-Type` of bodies (415), the body size limit
//! (413, and bodies over axum's old 2 MB default accepted), and query parameters the
//! operation does not declare (400 `INVALID_QUERY_PARAMETER`).

use atlas_emulator::Options;
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{Api, TestResponse, V2023, V2025};

fn create_body() -> String {
    json!({"desc": "typed", "roles": ["ORG_MEMBER"]}).to_string()
}

async fn create_with(api: &mut Api, content_type: Option<&str>, body: String) -> TestResponse {
    let uri = api.org_path("/apiKeys");
    let mut headers = vec![("accept", V2023)];
    if let Some(content_type) = content_type {
        headers.push(("content-type", content_type));
    }
    api.call_with(Method::POST, &uri, &headers, Some(body)).await
}

fn assert_atlas_error(response: &TestResponse, status: StatusCode, code: &str) {
    assert_eq!(response.status, status, "{response:?}");
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body["error"], status.as_u16());
    assert_eq!(response.code(), code);
    assert_eq!(response.body["reason"], status.canonical_reason().unwrap_or_default());
    assert!(response.body["detail"].is_string(), "{response:?}");
}

#[tokio::test]
async fn bodies_need_a_json_content_type() {
    let mut api = Api::new();
    for accepted in [
        V2023,
        "application/json",
        "application/vnd.atlas.2023-01-01+json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
    ] {
        let response = create_with(&mut api, Some(accepted), create_body()).await;
        assert_eq!(response.status, StatusCode::OK, "{accepted}: {response:?}");
    }
    for refused in [
        "text/plain",
        "application/x-www-form-urlencoded",
        V2025,
        "application/jsonx",
    ] {
        let response = create_with(&mut api, Some(refused), create_body()).await;
        assert_atlas_error(&response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE");
        assert_eq!(response.body["parameters"], json!([refused]));
        let detail = response.body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(V2023) && detail.contains("application/json"),
            "{detail}"
        );
    }
    let missing = create_with(&mut api, None, create_body()).await;
    assert_atlas_error(&missing, StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE");
    let no_body = create_with(&mut api, None, String::new()).await;
    assert_eq!(no_body.code(), "MALFORMED_JSON", "no body, no Content-Type needed");
    let keys = api.state.with_store(|store| store.keys_in_org(&api.seed.org_id).len());
    assert_eq!(keys, 5, "the seeded key and the four accepted creates only");

    let ai = api.group_path(0, "/aiModelApiKeys");
    let body = json!({"name": "n", "cloud": "ANY", "geography": "ANY"}).to_string();
    let wrong = api
        .call_with(
            Method::POST,
            &ai,
            &[("accept", V2025), ("content-type", V2023)],
            Some(body),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{wrong:?}");

    let admin = api
        .send(
            Method::POST,
            "/__emulator/config",
            &[("content-type", "text/plain")],
            None,
            Some(json!({"token_ttl_secs": 5}).to_string()),
        )
        .await;
    assert_atlas_error(&admin, StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE");
}

#[tokio::test]
async fn bodies_up_to_the_limit_are_read_and_larger_ones_get_413() {
    let mut api = Api::new();
    let default_limit = Options::default().max_body_bytes;
    assert_eq!(default_limit, 4 << 20);
    // Over axum's implicit 2 MB, which used to turn valid JSON into MALFORMED_JSON.
    let big = format!("{}{}", create_body(), " ".repeat(3 << 20));
    let accepted = create_with(&mut api, Some(V2023), big).await;
    assert_eq!(accepted.status, StatusCode::OK, "{accepted:?}");
    assert_eq!(accepted.body["desc"], "typed");
    let exact = format!("{}{}", create_body(), " ".repeat(default_limit - create_body().len()));
    assert_eq!(exact.len(), default_limit);
    let accepted = create_with(&mut api, Some(V2023), exact).await;
    assert_eq!(
        accepted.status,
        StatusCode::OK,
        "a body of exactly the limit: {accepted:?}"
    );

    let over = format!(
        "{}{}",
        create_body(),
        " ".repeat(default_limit + 1 - create_body().len())
    );
    let refused = create_with(&mut api, Some(V2023), over).await;
    assert_atlas_error(&refused, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE");
    assert_eq!(refused.body["parameters"], json!([default_limit]));
    let keys = api.state.with_store(|store| store.keys_in_org(&api.seed.org_id).len());
    assert_eq!(keys, 3, "nothing was created from the oversized body");

    let mut small = Api::with_options(Options {
        max_body_bytes: 64,
        ..Options::default()
    });
    let refused = create_with(&mut small, Some(V2023), format!("{}{}", create_body(), " ".repeat(64))).await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE, "{refused:?}");
    let far_over = create_with(&mut small, Some(V2023), " ".repeat(10_000)).await;
    assert_eq!(far_over.status, StatusCode::PAYLOAD_TOO_LARGE, "past the drain cap too");
}

#[tokio::test]
async fn undeclared_query_parameters_are_refused() {
    let mut api = Api::new();
    let keys = api.org_path("/apiKeys");
    let cases = [
        (format!("{keys}?foo=1"), "foo"),
        (format!("{keys}?pageNum=1&itemsperpage=5"), "itemsperpage"),
        (api.org_path("?pageNum=1"), "pageNum"),
        (api.group_path(0, "/aiModelApiKeys?includeCount=true"), "includeCount"),
        (format!("{}?name=x", api.group_path(0, "")), "name"),
    ];
    for (uri, name) in cases {
        let response = api.get(&uri).await;
        assert_atlas_error(&response, StatusCode::BAD_REQUEST, "INVALID_QUERY_PARAMETER");
        assert_eq!(response.body["parameters"], json!([name]), "{uri}");
    }
    let create = api
        .post(
            &format!("{keys}?itemsPerPage=5"),
            json!({"desc": "d", "roles": ["ORG_MEMBER"]}),
        )
        .await;
    assert_eq!(create.code(), "INVALID_QUERY_PARAMETER", "a create takes no paging");
    assert_eq!(
        api.state.with_store(|store| store.keys_in_org(&api.seed.org_id).len()),
        1,
        "refused before it ran"
    );

    // What the contract declares stays accepted.
    let declared = [
        format!("{keys}?pageNum=1&itemsPerPage=5&includeCount=false&envelope=false&pretty=true"),
        "/api/atlas/v2/orgs?name=emu&pageNum=1&itemsPerPage=10&includeCount=true".to_owned(),
        api.group_path(0, "/aiModelApiKeys?pageNum=1&itemsPerPage=100"),
        api.group_path(0, "/apiKeys?pageNum=1&itemsPerPage=100&includeCount=true"),
        api.org_path("?envelope=true&pretty=false"),
    ];
    for uri in declared {
        let response = api.get(&uri).await;
        assert_eq!(response.status, StatusCode::OK, "{uri}: {response:?}");
    }
    let project = api.seed.project_ids[0].clone();
    let created = api
        .post(
            &api.group_path(0, "/apiKeys?envelope=false"),
            json!({"desc": "p", "roles": ["GROUP_READ_ONLY"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{created:?}");
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let patched = api
        .patch(
            &format!("/api/atlas/v2/groups/{project}/apiKeys/{id}?pageNum=1&itemsPerPage=100&includeCount=true"),
            json!({"roles": ["GROUP_OWNER"]}),
        )
        .await;
    assert_eq!(
        patched.status,
        StatusCode::OK,
        "the spec declares paging on this PATCH: {patched:?}"
    );
    let unauthenticated = api
        .send(Method::GET, &format!("{keys}?foo=1"), &[("accept", V2023)], None, None)
        .await;
    assert_eq!(
        unauthenticated.status,
        StatusCode::UNAUTHORIZED,
        "authentication comes first"
    );
}
