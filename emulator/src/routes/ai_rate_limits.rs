//! AI model rate limits (media type 2025-03-12):
//! `getGroupAiModelApiCloudGeographyModelGroupNameRateLimits`,
//! `updateGroupAiModelApiCloudGeographyModelGroupNameRateLimits`,
//! `resetGroupAiModelApiCloudGeographyModelGroupNameRateLimits` (POST `…/rateLimits:reset`),
//! `getGroupAiModelApiRateLimits`, `resetGroupAiModelApiRateLimits` (POST
//! `…/aiModelApiRateLimits:reset`), `getOrgAiModelApiCloudGeographyModelGroupNameRateLimits`
//! and `getOrgAiModelApiRateLimits`; plus the admin routes that change limits outside
//! Terraform.
//!
//! `cloud` and `geography` other than `ANY` get 400 `INVALID_ENUM_VALUE`; an unknown model
//! group gets 404 `RESOURCE_NOT_FOUND`. The PATCH body needs both limits (400
//! `MISSING_ATTRIBUTE`), as integers (400 `INVALID_JSON_ATTRIBUTE`), positive, at most
//! `int32` and at most the organization's limit (400 `VALIDATION_ERROR` naming each field and
//! the organization's value). The lists page without `includeCount`; the reset of every group
//! answers the whole list in one page. The rules themselves live in `crate::ai_rate_limits`.
//!
//! `:reset` is part of the last path segment (Google's custom-method style); axum 0.8 routes
//! only `{name}` as a parameter, so `rateLimits:reset` is a literal segment of its own route.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::ai_rate_limits::{self, model_group, Limits, MODEL_GROUPS, REQUESTS_FIELD, TOKENS_FIELD};
use crate::body::{Fields, JsonBody};
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::routes::AtlasPath;
use crate::state::AppState;
use crate::store::Store;

const GROUP_LIMIT: &str = "/api/atlas/v2/groups/{group_id}/aiModelApiClouds/{cloud}/geographies/{geography}/modelGroupNames/{model_group_name}/rateLimits";
const GROUP_LIMIT_RESET: &str = "/api/atlas/v2/groups/{group_id}/aiModelApiClouds/{cloud}/geographies/{geography}/modelGroupNames/{model_group_name}/rateLimits:reset";
const ORG_LIMIT: &str = "/api/atlas/v2/orgs/{org_id}/aiModelApiClouds/{cloud}/geographies/{geography}/modelGroupNames/{model_group_name}/rateLimits";

/// Routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(GROUP_LIMIT, get(get_group_limit).patch(update_group_limit))
        .route(GROUP_LIMIT_RESET, post(reset_group_limit))
        .route(
            "/api/atlas/v2/groups/{group_id}/aiModelApiRateLimits",
            get(list_group_limits),
        )
        .route(
            "/api/atlas/v2/groups/{group_id}/aiModelApiRateLimits:reset",
            post(reset_group_limits),
        )
        .route(ORG_LIMIT, get(get_org_limit))
        .route("/api/atlas/v2/orgs/{org_id}/aiModelApiRateLimits", get(list_org_limits))
}

/// Admin routes: `POST /__emulator/orgs/{org_id}/aiModelRateLimits/{model_group_name}` sets the
/// organization's limits (which the API cannot); `POST
/// /__emulator/groups/{group_id}/aiModelRateLimits/{model_group_name}` sets a project's limits
/// with the API's rules, as a change made outside Terraform. Both take
/// `{"requests_per_minute_limit": n, "tokens_per_minute_limit": n}` and answer the new view.
pub fn admin_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/__emulator/orgs/{org_id}/aiModelRateLimits/{model_group_name}",
            post(admin_set_org_limit),
        )
        .route(
            "/__emulator/groups/{group_id}/aiModelRateLimits/{model_group_name}",
            post(admin_set_group_limit),
        )
}

/// The state dump's `ai_model_rate_limits`: organization and project limits set away from
/// their defaults.
pub fn state_json(store: &Store) -> Value {
    let entry = |(id, group): &(String, String), limits: &Limits, id_name: &str| {
        json!({
            id_name: id, "model_group_name": group,
            "requests_per_minute_limit": limits.requests_per_minute_limit,
            "tokens_per_minute_limit": limits.tokens_per_minute_limit,
        })
    };
    let org: Vec<Value> = store
        .rate_limits
        .org
        .iter()
        .map(|(key, limits)| entry(key, limits, "org_id"))
        .collect();
    let project: Vec<Value> = store
        .rate_limits
        .project
        .iter()
        .map(|(key, limits)| entry(key, limits, "group_id"))
        .collect();
    json!({"org": org, "project": project})
}

/// The path of one group's limit: owner id, cloud, geography, model group name.
type LimitPath = (String, String, String, String);

/// Checks cloud and geography and finds the model group.
fn scoped(cloud: &str, geography: &str, name: &str) -> Result<&'static ai_rate_limits::ModelGroup, ApiError> {
    ai_rate_limits::check_scope("cloud", cloud)?;
    ai_rate_limits::check_scope("geography", geography)?;
    model_group(name)
}

async fn get_group_limit(
    cx: Ctx,
    AtlasPath((group_id, cloud, geography, name)): AtlasPath<LimitPath>,
) -> Result<Response, ApiError> {
    let group = scoped(&cloud, &geography, &name)?;
    let limits = cx
        .state
        .with_store(|store| store.project_rate_limit(&group_id, group.name))?;
    cx.ok(&ai_rate_limits::view(group, limits))
}

async fn update_group_limit(
    cx: Ctx,
    AtlasPath((group_id, cloud, geography, name)): AtlasPath<LimitPath>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let group = scoped(&cloud, &geography, &name)?;
    let fields = body.object(&[REQUESTS_FIELD, TOKENS_FIELD])?;
    let wanted = Limits {
        requests_per_minute_limit: required_integer(&fields, REQUESTS_FIELD)?,
        tokens_per_minute_limit: required_integer(&fields, TOKENS_FIELD)?,
    };
    let limits = cx
        .state
        .with_store(|store| store.set_project_rate_limit(&group_id, group.name, wanted))?;
    cx.ok(&ai_rate_limits::view(group, limits))
}

async fn reset_group_limit(
    cx: Ctx,
    AtlasPath((group_id, cloud, geography, name)): AtlasPath<LimitPath>,
) -> Result<Response, ApiError> {
    let group = scoped(&cloud, &geography, &name)?;
    let limits = cx
        .state
        .with_store(|store| store.reset_project_rate_limit(&group_id, group.name))?;
    cx.ok(&ai_rate_limits::view(group, limits))
}

async fn list_group_limits(cx: Ctx, AtlasPath(group_id): AtlasPath<String>) -> Result<Response, ApiError> {
    let page = cx.page()?;
    let views = cx.state.with_store(|store| group_views(store, &group_id))?;
    cx.list(views, page)
}

// The contract declares no paging parameters here: the whole list comes back in one page.
async fn reset_group_limits(cx: Ctx, AtlasPath(group_id): AtlasPath<String>) -> Result<Response, ApiError> {
    let page = cx.page()?;
    let views = cx.state.with_store(|store| {
        store.reset_project_rate_limits(&group_id)?;
        group_views(store, &group_id)
    })?;
    let whole = crate::ctx::Page {
        items_per_page: views.len().max(1),
        ..page
    };
    cx.list(views, whole)
}

async fn get_org_limit(
    cx: Ctx,
    AtlasPath((org_id, cloud, geography, name)): AtlasPath<LimitPath>,
) -> Result<Response, ApiError> {
    let group = scoped(&cloud, &geography, &name)?;
    let limits = cx.state.with_store(|store| store.org_rate_limit(&org_id, group.name))?;
    cx.ok(&ai_rate_limits::view(group, limits))
}

async fn list_org_limits(cx: Ctx, AtlasPath(org_id): AtlasPath<String>) -> Result<Response, ApiError> {
    let page = cx.page()?;
    let views = cx.state.with_store(|store| {
        MODEL_GROUPS
            .iter()
            .map(|group| Ok(ai_rate_limits::view(group, store.org_rate_limit(&org_id, group.name)?)))
            .collect::<Result<Vec<_>, ApiError>>()
    })?;
    cx.list(views, page)
}

fn group_views(store: &Store, group_id: &str) -> Result<Vec<Value>, ApiError> {
    MODEL_GROUPS
        .iter()
        .map(|group| {
            Ok(ai_rate_limits::view(
                group,
                store.project_rate_limit(group_id, group.name)?,
            ))
        })
        .collect()
}

fn required_integer(fields: &Fields<'_>, name: &str) -> Result<i64, ApiError> {
    fields.integer(name)?.ok_or_else(|| {
        ApiError::bad_request(
            "MISSING_ATTRIBUTE",
            format!("The required attribute {name} was not specified."),
        )
        .param(name)
        .field(name, "Required.")
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminLimits {
    requests_per_minute_limit: i64,
    tokens_per_minute_limit: i64,
}

impl From<AdminLimits> for Limits {
    fn from(admin: AdminLimits) -> Limits {
        Limits {
            requests_per_minute_limit: admin.requests_per_minute_limit,
            tokens_per_minute_limit: admin.tokens_per_minute_limit,
        }
    }
}

async fn admin_set_org_limit(
    State(state): State<AppState>,
    AtlasPath((org_id, name)): AtlasPath<(String, String)>,
    body: JsonBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let wanted: AdminLimits = body.decode()?;
    let group = model_group(&name)?;
    let limits = state.with_store(|store| store.set_org_rate_limit(&org_id, group.name, wanted.into()))?;
    Ok((StatusCode::OK, Json(ai_rate_limits::view(group, limits))))
}

async fn admin_set_group_limit(
    State(state): State<AppState>,
    AtlasPath((group_id, name)): AtlasPath<(String, String)>,
    body: JsonBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let wanted: AdminLimits = body.decode()?;
    let group = model_group(&name)?;
    let limits = state.with_store(|store| store.set_project_rate_limit(&group_id, group.name, wanted.into()))?;
    Ok((StatusCode::OK, Json(ai_rate_limits::view(group, limits))))
}
