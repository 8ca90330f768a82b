//! Organization and project lookups: `listOrgs`, `getOrg`, `getGroup` (media type 2023-01-01).
//!
//! `listOrgs` returns only the caller's organization: an API key or service account belongs to
//! exactly one, and the official provider reads `results[0].id` to learn it.

use crate::routes::AtlasPath;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views;

/// Routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/atlas/v2/orgs", get(list_orgs))
        .route("/api/atlas/v2/orgs/{org_id}", get(get_org))
        .route("/api/atlas/v2/groups/{group_id}", get(get_group))
}

async fn list_orgs(cx: Ctx) -> Result<Response, ApiError> {
    let page = cx.page()?;
    let prefix = cx.query("name").map(str::to_lowercase);
    let orgs = cx.state.with_store(|store| {
        store
            .orgs
            .values()
            .filter(|org| org.id == cx.principal.org_id())
            .filter(|org| {
                prefix
                    .as_deref()
                    .is_none_or(|prefix| org.name.to_lowercase().starts_with(prefix))
            })
            .map(|org| views::org(org, cx.state.base_url()))
            .collect::<Vec<_>>()
    });
    cx.list(orgs, page)
}

async fn get_org(cx: Ctx, AtlasPath(org_id): AtlasPath<String>) -> Result<Response, ApiError> {
    let org = cx
        .state
        .with_store(|store| store.org(&org_id).map(|org| views::org(org, cx.state.base_url())))?;
    cx.ok(&org)
}

async fn get_group(cx: Ctx, AtlasPath(group_id): AtlasPath<String>) -> Result<Response, ApiError> {
    let group = cx.state.with_store(|store| {
        store
            .project(&group_id)
            .map(|project| views::group(project, cx.state.base_url()))
    })?;
    cx.ok(&group)
}
