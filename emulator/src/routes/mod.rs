//! The HTTP surface: Atlas routes under `/api/atlas/v2`, and the emulator's own admin routes
//! under `/__emulator`.
//!
//! Every Atlas route passes, in order: authentication (401); the fault plan's rules, which thus
//! see authenticated requests only; `Accept` negotiation (406); the org/project check of the
//! path (400/404/401); the query parameter check (400 `INVALID_QUERY_PARAMETER`). OAuth routes
//! pass the fault rules once their client credentials check out. Every `/api/` request (Atlas
//! and OAuth, authenticated or not) is logged and delayed by the plan's `latency_ms` first.

pub mod access_list;
pub mod admin;
pub mod ai_keys;
pub mod ai_rate_limits;
pub mod oauth;
pub mod org_keys;
pub mod orgs;
pub mod project_keys;
pub mod system;

use axum::extract::{FromRequestParts, MatchedPath, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::de::DeserializeOwned;

use crate::auth;
use crate::ctx::{self, RequestInfo};
use crate::error::ApiError;
use crate::faults;
use crate::request_log;
use crate::state::AppState;

/// Prefix of every Atlas Admin API v2 path.
pub const V2: &str = "/api/atlas/v2";

/// The full router over `state`.
pub fn router(state: AppState) -> Router {
    let atlas = Router::new()
        .merge(orgs::routes())
        .merge(org_keys::routes())
        .merge(project_keys::routes())
        .merge(ai_keys::routes())
        .merge(ai_rate_limits::routes())
        .merge(access_list::routes())
        .merge(system::routes())
        .route_layer(middleware::from_fn_with_state(state.clone(), guard))
        .route_layer(middleware::from_fn_with_state(state.clone(), faults::apply))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    let oauth = oauth::routes()
        .route_layer(middleware::from_fn_with_state(state.clone(), faults::apply))
        .route_layer(middleware::from_fn_with_state(state.clone(), oauth::require_client));
    let api = atlas
        .merge(oauth)
        .layer(middleware::from_fn(rate_limit_headers))
        .layer(middleware::from_fn_with_state(state.clone(), faults::latency))
        .layer(middleware::from_fn_with_state(state.clone(), request_log::record));
    Router::new()
        .merge(api)
        .merge(admin::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

// The caller, proved by `authenticate` for `guard`.
#[derive(Clone)]
struct Authenticated(auth::Principal);

async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    match auth::authenticate(&state, req.method(), req.uri(), req.headers()) {
        Ok(principal) => {
            req.extensions_mut().insert(Authenticated(principal));
            next.run(req).await
        }
        Err(err) => err.into_response(),
    }
}

async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(Authenticated(principal)) = req.extensions().get::<Authenticated>().cloned() else {
        return ApiError::internal("request reached the guard unauthenticated").into_response();
    };
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned())
        .unwrap_or_default();
    let checked = ctx::negotiate(req.uri().path(), req.headers()).and_then(|media_type| {
        auth::authorize_path(&state, &principal, req.uri().path())?;
        ctx::check_query(req.method(), &template, req.uri().query())?;
        Ok(RequestInfo { principal, media_type })
    });
    match checked {
        Ok(info) => {
            req.extensions_mut().insert(info);
            next.run(req).await
        }
        Err(err) => err.into_response(),
    }
}

// Atlas declares RateLimit-Limit and RateLimit-Remaining on every 2xx; the emulator does not
// throttle by itself (see the faults API), so it reports a full bucket.
async fn rate_limit_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if response.status().is_success() {
        let headers = response.headers_mut();
        headers.insert("RateLimit-Limit", HeaderValue::from_static("100"));
        headers.insert("RateLimit-Remaining", HeaderValue::from_static("99"));
    }
    response
}

async fn not_found(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "RESOURCE_NOT_FOUND",
        format!("Cannot find resource {}.", req.uri().path()),
    )
    .param(req.uri().path())
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("Method {} is not allowed on {}.", req.method(), req.uri().path()),
    )
}

/// Checks a path id other than the org/project one (which `guard` already checked).
///
/// Errors: 400 `PATH_PARAM_PARSE_ERROR` unless it is 24 lowercase hex.
pub fn check_id(cx: &ctx::Ctx, id: &str) -> Result<(), ApiError> {
    if crate::ids::is_object_id(id) {
        Ok(())
    } else {
        Err(ApiError::path_param(cx.path()))
    }
}

/// `axum::extract::Path` whose rejection (for example an id that is not valid UTF-8 once
/// percent-decoded) is Atlas's 400 `PATH_PARAM_PARSE_ERROR` instead of axum's plain text.
pub struct AtlasPath<T>(pub T);

impl<T, S> FromRequestParts<S> for AtlasPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<AtlasPath<T>, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(AtlasPath(value)),
            Err(_) => Err(ApiError::path_param(parts.uri.path())),
        }
    }
}
