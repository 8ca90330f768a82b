//! Project assignment of organization API keys (media type 2023-01-01):
//! `listGroupApiKeys`, `createGroupApiKey`, `addGroupApiKey`, `updateGroupApiKeyRoles`,
//! `removeGroupApiKey`.
//!
//! Decisions where the spec is silent:
//! - `createGroupApiKey` needs at least one `GROUP_` role; its `ORG_` roles become the key's
//!   organization roles, and without any the key gets `ORG_MEMBER`. It creates an organization
//!   key, so the organization's key limit applies (400 `MAX_API_KEYS_PER_ORG_EXCEEDED`).
//! - `addGroupApiKey` on a key already in the project answers 400 `API_KEY_ALREADY_IN_GROUP`
//!   and changes nothing (observed from Atlas: terraform-provider-mongodbatlas issue #2645);
//!   role changes go through `updateGroupApiKeyRoles`. A `userId` other than the path's key id
//!   is refused.
//! - `updateGroupApiKeyRoles` and `removeGroupApiKey` on a key of the organization that is not
//!   assigned to the project answer 404 `API_KEY_NOT_FOUND`.

use crate::routes::AtlasPath;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::body::{self, JsonBody};
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::roles;
use crate::routes::check_id;
use crate::routes::org_keys::required_desc;
use crate::state::AppState;
use crate::store::{not_assigned, Store};
use crate::views::{self, ApiKeyView, Reveal};

/// Routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/atlas/v2/groups/{group_id}/apiKeys",
            get(list_keys).post(create_key),
        )
        .route(
            "/api/atlas/v2/groups/{group_id}/apiKeys/{api_user_id}",
            post(add_key).patch(update_roles).delete(remove_key),
        )
}

async fn list_keys(cx: Ctx, AtlasPath(group_id): AtlasPath<String>) -> Result<Response, ApiError> {
    let page = cx.page()?;
    let keys = cx.state.with_store(|store| {
        store
            .keys_in_project(&group_id)
            .into_iter()
            .map(|key| views::api_key(key, cx.state.base_url(), Reveal::Redacted))
            .collect::<Vec<_>>()
    });
    cx.list(keys, page)
}

async fn create_key(cx: Ctx, AtlasPath(group_id): AtlasPath<String>, body: JsonBody) -> Result<Response, ApiError> {
    let fields = body.object(&["desc", "roles"])?;
    let desc = required_desc(fields.string("desc")?)?;
    let split = roles::mixed_roles(&fields.strings("roles")?.unwrap_or_default())?;
    let org_roles = if split.org.is_empty() {
        vec!["ORG_MEMBER".to_owned()]
    } else {
        split.org
    };
    let limit = cx.state.config().max_api_keys_per_org;
    let created = cx.state.with_store(|store| {
        let org_id = store.project(&group_id)?.org_id.clone();
        let key = store.create_api_key_within(&org_id, &desc, org_roles, limit)?;
        key.project_roles.insert(group_id.clone(), split.group);
        Ok::<_, ApiError>(views::api_key(key, cx.state.base_url(), Reveal::Full))
    })?;
    cx.ok(&created)
}

async fn add_key(
    cx: Ctx,
    AtlasPath((group_id, id)): AtlasPath<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    check_id(&cx, &id)?;
    let mut requested = Vec::new();
    for item in body.array()? {
        let fields = body::element(item, &["roles", "userId"])?;
        if fields.string("userId")?.is_some_and(|user_id| user_id != id) {
            return Err(
                ApiError::bad_request("INVALID_ATTRIBUTE", "userId must be the apiUserId of the path.")
                    .param("userId")
                    .field("userId", "Must match the API key in the path."),
            );
        }
        requested.extend(fields.strings("roles")?.unwrap_or_default());
    }
    let group_roles = roles::group_roles(&requested)?;
    cx.state.with_store(|store| {
        let org_id = store.project(&group_id)?.org_id.clone();
        let key = store.org_key_mut(&org_id, &id)?;
        if key.project_roles.contains_key(&group_id) {
            return Err(already_in_group(&id, &group_id));
        }
        key.project_roles.insert(group_id.clone(), group_roles);
        Ok::<_, ApiError>(())
    })?;
    cx.no_content()
}

async fn update_roles(
    cx: Ctx,
    AtlasPath((group_id, id)): AtlasPath<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    check_id(&cx, &id)?;
    let fields = body.object(&["desc", "roles"])?;
    let desc = fields
        .string("desc")?
        .map(|desc| required_desc(Some(desc)))
        .transpose()?;
    let group_roles = fields
        .strings("roles")?
        .map(|roles| roles::group_roles(&roles))
        .transpose()?;
    if desc.is_none() && group_roles.is_none() {
        return Err(ApiError::bad_request(
            "MISSING_ATTRIBUTE",
            "The request body must contain desc, roles or both.",
        ));
    }
    let updated = cx
        .state
        .with_store(|store| update_assignment(store, &group_id, &id, desc, group_roles, cx.state.base_url()))?;
    cx.ok(&updated)
}

async fn remove_key(cx: Ctx, AtlasPath((group_id, id)): AtlasPath<(String, String)>) -> Result<Response, ApiError> {
    check_id(&cx, &id)?;
    cx.state.with_store(|store| store.unassign(&group_id, &id))?;
    cx.no_content()
}

/// 400 `API_KEY_ALREADY_IN_GROUP`: `addGroupApiKey` for a key the project already holds.
fn already_in_group(id: &str, group_id: &str) -> ApiError {
    ApiError::bad_request(
        "API_KEY_ALREADY_IN_GROUP",
        format!("API key {id} is already assigned to group {group_id}."),
    )
    .param(id)
    .param(group_id)
}

fn update_assignment(
    store: &mut Store,
    group_id: &str,
    id: &str,
    desc: Option<String>,
    group_roles: Option<Vec<String>>,
    base_url: &str,
) -> Result<ApiKeyView, ApiError> {
    let org_id = store.project(group_id)?.org_id.clone();
    let key = store.org_key_mut(&org_id, id)?;
    let Some(assigned) = key.project_roles.get_mut(group_id) else {
        return Err(not_assigned(id, group_id));
    };
    if let Some(group_roles) = group_roles {
        *assigned = group_roles;
    }
    if let Some(desc) = desc {
        key.desc = desc;
    }
    Ok(views::api_key(key, base_url, Reveal::Redacted))
}
