//! AI model (Voyage AI) API keys (media type 2025-03-12): `listGroupAiModelApiKeys`,
//! `createGroupAiModelApiKey`, `getGroupAiModelApiKey`, `updateGroupAiModelApiKey`,
//! `deleteGroupAiModelApiKey`, `listOrgAiModelApiKeys`, `getOrgAiModelApiKey`.
//!
//! Create answers 201 and is the only response with `secret`; the others carry `maskedSecret`.
//! Only `name` can change. A missing key is 404 `RESOURCE_NOT_FOUND`. `apiKeyId` is a plain
//! string in the spec, so any path value is looked up rather than refused.

use crate::routes::AtlasPath;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::body::{Fields, JsonBody};
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::{self, Reveal};

/// Routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/atlas/v2/groups/{group_id}/aiModelApiKeys",
            get(list_group_keys).post(create_key),
        )
        .route(
            "/api/atlas/v2/groups/{group_id}/aiModelApiKeys/{api_key_id}",
            get(get_group_key).patch(update_key).delete(delete_key),
        )
        .route("/api/atlas/v2/orgs/{org_id}/aiModelApiKeys", get(list_org_keys))
        .route(
            "/api/atlas/v2/orgs/{org_id}/aiModelApiKeys/{api_key_id}",
            get(get_org_key),
        )
}

/// A valid key name: a string of 1..250 characters.
///
/// Errors: 400 `MISSING_ATTRIBUTE` when absent, `VALIDATION_ERROR` when empty or too long.
pub fn key_name(fields: &Fields<'_>) -> Result<String, ApiError> {
    let name = required(fields, "name")?;
    let length = name.chars().count();
    if !(1..=250).contains(&length) {
        let detail = "name must be between 1 and 250 characters.";
        return Err(ApiError::bad_request("VALIDATION_ERROR", detail).field("name", detail));
    }
    Ok(name.to_owned())
}

async fn list_group_keys(cx: Ctx, AtlasPath(group_id): AtlasPath<String>) -> Result<Response, ApiError> {
    let page = cx.page()?;
    let keys = cx.state.with_store(|store| {
        store
            .ai_keys
            .iter()
            .filter(|key| key.group_id == group_id)
            .map(|key| views::ai_key(key, Reveal::Redacted))
            .collect::<Vec<_>>()
    });
    cx.list(keys, page)
}

async fn create_key(cx: Ctx, AtlasPath(group_id): AtlasPath<String>, body: JsonBody) -> Result<Response, ApiError> {
    let fields = body.object(&["name", "cloud", "geography"])?;
    let name = key_name(&fields)?;
    any_only(&fields, "cloud")?;
    any_only(&fields, "geography")?;
    let created_by = cx.principal.display_name().to_owned();
    let created = cx.state.with_store(|store| {
        store.project(&group_id)?;
        let key = store.create_ai_key(&group_id, &name, &created_by);
        Ok::<_, ApiError>(views::ai_key(key, Reveal::Full))
    })?;
    cx.created(&created)
}

async fn get_group_key(cx: Ctx, AtlasPath((group_id, id)): AtlasPath<(String, String)>) -> Result<Response, ApiError> {
    let key = cx.state.with_store(|store| {
        store
            .ai_key_mut(&group_id, &id)
            .map(|key| views::ai_key(key, Reveal::Redacted))
    })?;
    cx.ok(&key)
}

async fn update_key(
    cx: Ctx,
    AtlasPath((group_id, id)): AtlasPath<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let name = key_name(&body.object(&["name"])?)?;
    let updated = cx.state.with_store(|store| {
        let key = store.ai_key_mut(&group_id, &id)?;
        key.name = name;
        Ok::<_, ApiError>(views::ai_key(key, Reveal::Redacted))
    })?;
    cx.ok(&updated)
}

async fn delete_key(cx: Ctx, AtlasPath((group_id, id)): AtlasPath<(String, String)>) -> Result<Response, ApiError> {
    cx.state.with_store(|store| store.delete_ai_key(&group_id, &id))?;
    cx.no_content()
}

async fn list_org_keys(cx: Ctx, AtlasPath(org_id): AtlasPath<String>) -> Result<Response, ApiError> {
    let page = cx.page()?;
    let keys = cx.state.with_store(|store| {
        store
            .ai_keys_in_org(&org_id)
            .into_iter()
            .map(|key| views::ai_key(key, Reveal::Redacted))
            .collect::<Vec<_>>()
    });
    cx.list(keys, page)
}

async fn get_org_key(cx: Ctx, AtlasPath((org_id, id)): AtlasPath<(String, String)>) -> Result<Response, ApiError> {
    let key = cx.state.with_store(|store| {
        store
            .ai_keys_in_org(&org_id)
            .into_iter()
            .find(|key| key.id == id)
            .map(|key| views::ai_key(key, Reveal::Redacted))
            .ok_or_else(|| ApiError::resource_not_found(&id))
    })?;
    cx.ok(&key)
}

fn required<'a>(fields: &Fields<'a>, name: &str) -> Result<&'a str, ApiError> {
    fields.string(name)?.ok_or_else(|| {
        let detail = format!("The required attribute {name} was not specified.");
        ApiError::new(StatusCode::BAD_REQUEST, "MISSING_ATTRIBUTE", detail)
            .param(name)
            .field(name, "Required.")
    })
}

// The spec's enums for cloud and geography hold only "ANY".
fn any_only(fields: &Fields<'_>, name: &str) -> Result<(), ApiError> {
    let value = required(fields, name)?;
    if value == "ANY" {
        return Ok(());
    }
    Err(ApiError::bad_request(
        "INVALID_ENUM_VALUE",
        format!("An invalid enumeration value {value} was specified for {name}."),
    )
    .param(value)
    .param(name)
    .field(name, "Must be ANY."))
}
