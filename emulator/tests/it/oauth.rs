//! Service accounts: token minting, bearer authentication, expiry, revocation and the OAuth
//! error shape.

use std::time::Duration;

use atlas_emulator::Options;
use axum::http::{Method, StatusCode};
use base64::Engine as _;
use serde_json::json;

use crate::support::{Api, TestResponse};

async fn token_request(api: &Api, basic: Option<String>, form: &str) -> TestResponse {
    let auth = basic.map(|basic| format!("Basic {basic}"));
    api.send(
        Method::POST,
        "/api/oauth/token",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("accept", "application/json"),
        ],
        auth.as_deref(),
        Some(form.to_owned()),
    )
    .await
}

fn basic(id: &str, secret: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
}

#[tokio::test]
async fn client_credentials_mint_a_bearer_token() {
    let mut api = Api::new();
    let response = token_request(
        &api,
        Some(basic(&api.seed.client_id, &api.seed.client_secret)),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    assert_eq!(response.header("content-type"), "application/json");
    assert_eq!(response.body["expires_in"], 3600);
    assert_eq!(response.body["token_type"], "Bearer");
    let token = response.body["access_token"].as_str().unwrap_or_default().to_owned();
    assert_eq!(token.split('.').count(), 3, "JWT-shaped");
    api.use_bearer(token);
    let org = api.get(&api.org_path("")).await;
    assert_eq!(org.status, StatusCode::OK, "{org:?}");
    let created = api
        .post(
            &api.group_path(0, "/aiModelApiKeys"),
            json!({"name": "n", "cloud": "ANY", "geography": "ANY"}),
        )
        .await;
    assert_eq!(created.body["createdBy"], api.seed.client_id);
    let log = api.admin(Method::GET, "/__emulator/requests", None).await;
    let auths: Vec<&str> = log
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["auth"].as_str())
        .collect();
    assert_eq!(auths, ["basic", "bearer", "bearer"]);
}

#[tokio::test]
async fn url_escaped_credentials_are_accepted() {
    let api = Api::new();
    let escaped_id = api.seed.client_id.replace('_', "%5F");
    let response = token_request(
        &api,
        Some(basic(&escaped_id, &api.seed.client_secret)),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_credentials_and_grants_get_oauth_errors() {
    let api = Api::new();
    let good = basic(&api.seed.client_id, &api.seed.client_secret);
    let cases = [
        (
            None,
            "grant_type=client_credentials",
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            Some(basic(&api.seed.client_id, "wrong")),
            "grant_type=client_credentials",
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            Some("!!notbase64".to_owned()),
            "grant_type=client_credentials",
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            Some(good.clone()),
            "grant_type=password",
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (Some(good), "", StatusCode::BAD_REQUEST, "invalid_request"),
    ];
    for (auth, form, status, error) in cases {
        let response = token_request(&api, auth, form).await;
        assert_eq!(response.status, status, "{form}");
        assert_eq!(response.body["error"], error, "{form}");
    }
    let response = token_request(&api, None, "grant_type=client_credentials").await;
    assert_eq!(response.body["error_description"], "Invalid credentials provided.");
}

#[tokio::test]
async fn unknown_expired_and_revoked_tokens_are_refused() {
    let mut api = Api::with_options(Options {
        token_ttl: Duration::ZERO,
        ..Options::default()
    });
    let expired = api.token().await;
    api.use_bearer(expired);
    let response = api.get(&api.org_path("")).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert!(response.body["detail"].as_str().unwrap_or_default().contains("expired"));

    let config = api
        .admin(Method::POST, "/__emulator/config", Some(json!({"token_ttl_secs": 60})))
        .await;
    assert_eq!(config.body["token_ttl_secs"], 60);
    let token = api.token().await;
    api.use_bearer(token.clone());
    assert_eq!(api.get(&api.org_path("")).await.status, StatusCode::OK);
    let revoked = api
        .send(
            Method::POST,
            "/api/oauth/revoke",
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(&format!(
                "Basic {}",
                basic(&api.seed.client_id, &api.seed.client_secret)
            )),
            Some(format!("token={token}&token_type_hint=access_token")),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(revoked.text.is_empty());
    let response = api.get(&api.org_path("")).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    api.use_bearer("made-up".to_owned());
    assert_eq!(api.get(&api.org_path("")).await.status, StatusCode::UNAUTHORIZED);
    let refused = api
        .send(
            Method::POST,
            "/api/oauth/revoke",
            &[],
            None,
            Some(format!("token={token}")),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.body["error"], "invalid_client");
}

#[tokio::test]
async fn service_accounts_are_scoped_to_their_organization() {
    let mut api = Api::new();
    let other = api.admin(Method::POST, "/__emulator/orgs", Some(json!({}))).await;
    let other_org = other.body["org_id"].as_str().unwrap_or_default().to_owned();
    let token = api.token().await;
    api.use_bearer(token);
    let response = api.get(&format!("/api/atlas/v2/orgs/{other_org}")).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.code(), "USER_CANNOT_ACCESS_ORG");
    let orgs = api.get("/api/atlas/v2/orgs").await;
    assert_eq!(orgs.body["results"][0]["id"], api.seed.org_id);
}
