//! OAuth 2.0 client credentials for service accounts: `POST /api/oauth/token` and
//! `POST /api/oauth/revoke`.
//!
//! Clients authenticate with HTTP Basic (`client_id:client_secret`, each optionally
//! URL-escaped, as the Atlas SDK sends them). Errors use the OAuth shape
//! `{"error", "error_description"}`, not Atlas's `ApiError`.

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::json;

use crate::state::AppState;

/// Routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/oauth/token", post(token))
        .route("/api/oauth/revoke", post(revoke))
}

/// Middleware: answers 401 `invalid_client` unless the request carries valid client
/// credentials, so that what runs after it (the fault rules) sees authenticated requests only.
pub async fn require_client(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if client(&state, req.headers()).is_none() {
        return invalid_client();
    }
    next.run(req).await
}

async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some((client_id, org_id)) = client(&state, &headers) else {
        return invalid_client();
    };
    let form = form_pairs(&body);
    let grant_type = form.iter().find(|(key, _)| key == "grant_type");
    match grant_type.map(|(_, value)| value.as_str()) {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Only client_credentials is supported.",
            )
        }
        None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required."),
    }
    let ttl = state.config().token_ttl;
    let access_token = state.with_store(|store| store.issue_token(&client_id, &org_id, ttl));
    let body = json!({
        "access_token": access_token,
        "expires_in": ttl.as_secs(),
        "token_type": "Bearer",
    });
    (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

// RFC 7009: an unknown token or one of another client is not an error; nothing happens.
async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some((client_id, _)) = client(&state, &headers) else {
        return invalid_client();
    };
    let form = form_pairs(&body);
    if let Some((_, token)) = form.iter().find(|(key, _)| key == "token") {
        state.with_store(|store| {
            if let Some(issued) = store.tokens.get_mut(token) {
                if issued.client_id == client_id {
                    issued.revoked = true;
                }
            }
        });
    }
    StatusCode::OK.into_response()
}

/// The service account (client id, org id) named by valid Basic credentials.
fn client(state: &AppState, headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("Basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let (id, secret) = (unescape(id), unescape(secret));
    state.with_store(|store| {
        store
            .service_account(&id, &secret)
            .map(|account| (account.client_id.clone(), account.org_id.clone()))
    })
}

fn unescape(text: &str) -> String {
    form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn invalid_client() -> Response {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Invalid credentials provided.",
    )
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    (status, Json(body)).into_response()
}
