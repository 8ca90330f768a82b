//! Organization programmatic API keys (media type 2023-01-01):
//! `listOrgApiKeys`, `createOrgApiKey`, `getOrgApiKey`, `updateOrgApiKey`, `deleteOrgApiKey`.
//!
//! Only create returns the full `privateKey`; every other response redacts it. Responses list
//! all of a key's roles, organization and project ones. `updateOrgApiKey` replaces only the
//! organization roles; deleting a key also removes it from every project. Create refuses a key
//! past `Config::max_api_keys_per_org` (Atlas: 500) with 400 `MAX_API_KEYS_PER_ORG_EXCEEDED`.

use crate::routes::AtlasPath;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::body::JsonBody;
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::roles;
use crate::routes::check_id;
use crate::state::AppState;
use crate::views::{self, Reveal};

/// Routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/atlas/v2/orgs/{org_id}/apiKeys", get(list_keys).post(create_key))
        .route(
            "/api/atlas/v2/orgs/{org_id}/apiKeys/{api_user_id}",
            get(get_key).patch(update_key).delete(delete_key),
        )
}

/// A required description: present, not blank, at most 250 characters.
///
/// Errors: 400 `API_KEY_REQUIRES_DESCRIPTION` when absent or blank, `INVALID_API_KEY_DESC` when
/// too long.
pub fn required_desc(desc: Option<&str>) -> Result<String, ApiError> {
    let desc = desc.unwrap_or_default();
    if desc.trim().is_empty() {
        let detail = "API Key description is required.";
        return Err(ApiError::bad_request("API_KEY_REQUIRES_DESCRIPTION", detail).field("desc", detail));
    }
    if desc.chars().count() > 250 {
        let detail = "The API Key description is invalid. It must be between 1 and 250 characters.";
        return Err(ApiError::bad_request("INVALID_API_KEY_DESC", detail).field("desc", detail));
    }
    Ok(desc.to_owned())
}

async fn list_keys(cx: Ctx, AtlasPath(org_id): AtlasPath<String>) -> Result<Response, ApiError> {
    let page = cx.page()?;
    let keys = cx.state.with_store(|store| {
        store
            .keys_in_org(&org_id)
            .into_iter()
            .map(|key| views::api_key(key, cx.state.base_url(), Reveal::Redacted))
            .collect::<Vec<_>>()
    });
    cx.list(keys, page)
}

async fn create_key(cx: Ctx, AtlasPath(org_id): AtlasPath<String>, body: JsonBody) -> Result<Response, ApiError> {
    let fields = body.object(&["desc", "roles"])?;
    let desc = required_desc(fields.string("desc")?)?;
    let roles = roles::org_roles(&fields.strings("roles")?.unwrap_or_default(), &org_id)?;
    let limit = cx.state.config().max_api_keys_per_org;
    let created = cx.state.with_store(|store| {
        let key = store.create_api_key_within(&org_id, &desc, roles, limit)?;
        Ok::<_, ApiError>(views::api_key(key, cx.state.base_url(), Reveal::Full))
    })?;
    cx.ok(&created)
}

async fn get_key(cx: Ctx, AtlasPath((org_id, id)): AtlasPath<(String, String)>) -> Result<Response, ApiError> {
    check_id(&cx, &id)?;
    let key = cx.state.with_store(|store| {
        store
            .org_key(&org_id, &id)
            .map(|key| views::api_key(key, cx.state.base_url(), Reveal::Redacted))
    })?;
    cx.ok(&key)
}

async fn update_key(
    cx: Ctx,
    AtlasPath((org_id, id)): AtlasPath<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    check_id(&cx, &id)?;
    let fields = body.object(&["desc", "roles"])?;
    let desc = fields
        .string("desc")?
        .map(|desc| required_desc(Some(desc)))
        .transpose()?;
    let roles = fields
        .strings("roles")?
        .map(|roles| roles::org_roles(&roles, &org_id))
        .transpose()?;
    if desc.is_none() && roles.is_none() {
        return Err(ApiError::bad_request(
            "MISSING_ATTRIBUTE",
            "The request body must contain desc, roles or both.",
        ));
    }
    let updated = cx.state.with_store(|store| {
        let key = store.org_key_mut(&org_id, &id)?;
        if let Some(desc) = desc {
            key.desc = desc;
        }
        if let Some(roles) = roles {
            key.org_roles = roles;
        }
        Ok::<_, ApiError>(views::api_key(key, cx.state.base_url(), Reveal::Redacted))
    })?;
    cx.ok(&updated)
}

async fn delete_key(cx: Ctx, AtlasPath((org_id, id)): AtlasPath<(String, String)>) -> Result<Response, ApiError> {
    check_id(&cx, &id)?;
    cx.state.with_store(|store| store.delete_org_key(&org_id, &id))?;
    cx.no_content()
}
