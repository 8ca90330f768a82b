//! `getSystemStatus` (media type 2023-01-01): `GET /api/atlas/v2`.
//!
//! Answers the spec's `SystemStatus`: `appName` (`MongoDB Atlas`), `build` (40 hex digits),
//! `throttling` (false), `links`, and `apiKey`, the calling programmatic key with its `id`,
//! `publicKey`, every role (organization roles with `orgId`, project roles with `groupId`) and
//! its `accessList` (`{cidrBlock, ipAddress}`). The spec marks `apiKey` nullable: a service
//! account's token is not an API key, so for it `apiKey` is `null`.

use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::state::AppState;
use crate::views::{self, Reveal};

/// The `build` the emulator reports: a fixed 40-hex commit hash.
pub const BUILD: &str = "83be55e140f493c88e7f578aae96548dd881587b";

/// Routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/atlas/v2", get(system_status))
}

async fn system_status(cx: Ctx) -> Result<Response, ApiError> {
    let api_key = match &cx.principal {
        Principal::ApiKey { key_id, org_id, .. } => caller_key(&cx, org_id, key_id)?,
        Principal::ServiceAccount { .. } => Value::Null,
    };
    cx.ok(&json!({
        "apiKey": api_key,
        "appName": "MongoDB Atlas",
        "build": BUILD,
        "links": cx.self_link(),
        "throttling": false,
    }))
}

/// The spec's `ApiKey` for the caller's key.
fn caller_key(cx: &Ctx, org_id: &str, key_id: &str) -> Result<Value, ApiError> {
    cx.state.with_store(|store| {
        let key = store.org_key(org_id, key_id)?;
        let view = views::api_key(key, cx.state.base_url(), Reveal::Redacted);
        let access_list: Vec<Value> = store
            .access_list(org_id, key_id)?
            .iter()
            .map(|entry| {
                let ip = entry.is_single_address().then(|| entry.address.to_string());
                json!({"cidrBlock": entry.cidr(), "ipAddress": ip})
            })
            .collect();
        Ok(json!({
            "accessList": access_list,
            "id": view.id,
            "publicKey": view.public_key,
            "roles": view.roles,
        }))
    })
}
