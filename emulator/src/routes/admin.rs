//! Emulator admin routes under `/__emulator/`: no authentication, plain `application/json`,
//! not recorded in the request log. They let tests inspect state, change it behind
//! Terraform's back, bulk-create records and read the request log.
//! Bulk key creation ignores the per-organization key limit, so a test can fill an
//! organization up to (or past) it; lists and the state dump are in creation order.
//!
//! No route here returns a private key, AI secret or client secret.

use crate::routes::AtlasPath;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::body::JsonBody;
use crate::error::ApiError;
use crate::faults::FaultPlan;
use crate::ids::Timestamp;
use crate::roles;
use crate::routes::access_list;
use crate::state::{AppState, Config};
use crate::store::{AccessEntry, Store};

/// Routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/__emulator/state", get(dump_state))
        .route("/__emulator/requests", get(list_requests).delete(clear_requests))
        .route("/__emulator/orgs", post(create_org))
        .route("/__emulator/config", get(get_config).post(set_config))
        .route("/__emulator/nonces/expire", post(expire_nonces))
        .route(
            "/__emulator/faults",
            get(get_faults).post(set_faults).delete(clear_faults),
        )
        .route("/__emulator/orgs/{org_id}/apiKeys", post(bulk_create_keys))
        .route(
            "/__emulator/orgs/{org_id}/apiKeys/{id}",
            delete(delete_key).patch(describe_key),
        )
        .route(
            "/__emulator/groups/{group_id}/apiKeys/{id}",
            delete(unassign_key).put(set_project_roles),
        )
        .route("/__emulator/groups/{group_id}", delete(delete_project))
        .route(
            "/__emulator/groups/{group_id}/aiModelApiKeys",
            post(bulk_create_ai_keys),
        )
        .route(
            "/__emulator/groups/{group_id}/aiModelApiKeys/{id}",
            delete(delete_ai_key),
        )
        .route(
            "/__emulator/orgs/{org_id}/apiKeys/{id}/accessList",
            post(add_access_entry),
        )
        .route(
            "/__emulator/orgs/{org_id}/apiKeys/{id}/accessList/{entry}",
            delete(remove_access_entry),
        )
        .merge(super::ai_rate_limits::admin_routes())
}

async fn dump_state(State(state): State<AppState>) -> Json<Value> {
    Json(state.with_store(|store| state_json(store)))
}

async fn list_requests(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.log().entries()))
}

async fn clear_requests(State(state): State<AppState>) -> StatusCode {
    state.log().clear();
    StatusCode::NO_CONTENT
}

async fn get_config(State(state): State<AppState>) -> Json<Value> {
    Json(config_json(state.config()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigChange {
    token_ttl_secs: Option<u64>,
    nonce_ttl_secs: Option<u64>,
    max_api_keys_per_org: Option<usize>,
}

// Changes apply to tokens and nonces issued afterwards; a shorter nonce lifetime also applies
// to nonces already issued, since their age is checked at use.
async fn set_config(State(state): State<AppState>, body: JsonBody) -> Result<Json<Value>, ApiError> {
    let change: ConfigChange = body.decode()?;
    let mut config = state.config();
    if let Some(secs) = change.token_ttl_secs {
        config.token_ttl = std::time::Duration::from_secs(secs);
    }
    if let Some(secs) = change.nonce_ttl_secs {
        config.nonce_ttl = std::time::Duration::from_secs(secs);
    }
    if let Some(limit) = change.max_api_keys_per_org {
        config.max_api_keys_per_org = limit;
    }
    state.set_config(config);
    Ok(Json(config_json(config)))
}

// Every digest nonce issued so far expires now, as when Atlas rotates its nonces: the next
// answer to one gets a 401 with `stale=true` and a fresh challenge.
async fn expire_nonces(State(state): State<AppState>) -> StatusCode {
    state.nonces().expire_all();
    StatusCode::NO_CONTENT
}

fn config_json(config: Config) -> Value {
    json!({
        "token_ttl_secs": config.token_ttl.as_secs(),
        "nonce_ttl_secs": config.nonce_ttl.as_secs(),
        "max_api_keys_per_org": config.max_api_keys_per_org,
    })
}

async fn get_faults(State(state): State<AppState>) -> Json<FaultPlan> {
    Json(state.faults().clone())
}

async fn set_faults(State(state): State<AppState>, body: JsonBody) -> Result<Json<FaultPlan>, ApiError> {
    let plan: FaultPlan = body.decode()?;
    plan.validate()?;
    *state.faults() = plan.clone();
    Ok(Json(plan))
}

async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    *state.faults() = FaultPlan::default();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOrg {
    #[serde(default = "default_org_name")]
    name: String,
    #[serde(default = "default_project_count")]
    projects: usize,
}

fn default_org_name() -> String {
    "other-org".to_owned()
}

fn default_project_count() -> usize {
    1
}

// Another organization with its own key and service account, for cross-organization tests.
// Its credentials are returned because tests need them to call the API as that organization.
async fn create_org(State(state): State<AppState>, body: JsonBody) -> Result<Response, ApiError> {
    let new_org: NewOrg = body.decode()?;
    if new_org.projects > 100 {
        return Err(ApiError::bad_request(
            "INVALID_ATTRIBUTE",
            "projects must be at most 100.",
        ));
    }
    let seeded = state.with_store(|store| store.create_org(&new_org.name, new_org.projects));
    let body = json!({
        "org_id": seeded.org_id,
        "project_ids": seeded.project_ids,
        "public_key": seeded.public_key,
        "private_key": seeded.private_key.expose(),
        "client_id": seeded.client_id,
        "client_secret": seeded.client_secret.expose(),
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkKeys {
    count: usize,
    #[serde(default = "default_desc_prefix")]
    desc_prefix: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default)]
    project_roles: Vec<String>,
}

fn default_desc_prefix() -> String {
    "seeded".to_owned()
}

async fn bulk_create_keys(
    State(state): State<AppState>,
    AtlasPath(org_id): AtlasPath<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let bulk: BulkKeys = body.decode()?;
    if !(1..=5000).contains(&bulk.count) {
        return Err(ApiError::bad_request(
            "INVALID_ATTRIBUTE",
            "count must be from 1 to 5000.",
        ));
    }
    let org_roles = if bulk.roles.is_empty() {
        vec!["ORG_MEMBER".to_owned()]
    } else {
        roles::org_roles(&bulk.roles, &org_id)?
    };
    let project_roles = match (&bulk.project_id, bulk.project_roles.is_empty()) {
        (None, _) => Vec::new(),
        (Some(_), true) => vec!["GROUP_READ_ONLY".to_owned()],
        (Some(_), false) => roles::group_roles(&bulk.project_roles)?,
    };
    let ids = state.with_store(|store| {
        store.org(&org_id)?;
        if let Some(project_id) = &bulk.project_id {
            if store.project(project_id)?.org_id != org_id {
                return Err(ApiError::group_not_found(project_id));
            }
        }
        let ids: Vec<String> = (1..=bulk.count)
            .map(|index| {
                let desc = format!("{}-{index:04}", bulk.desc_prefix);
                let id = store.create_api_key(&org_id, &desc, org_roles.clone()).id.clone();
                if let (Some(project_id), Ok(key)) = (&bulk.project_id, store.org_key_mut(&org_id, &id)) {
                    key.project_roles.insert(project_id.clone(), project_roles.clone());
                }
                id
            })
            .collect();
        Ok(ids)
    })?;
    Ok((StatusCode::CREATED, Json(json!({ "ids": ids }))).into_response())
}

async fn delete_key(
    State(state): State<AppState>,
    AtlasPath((org_id, id)): AtlasPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.with_store(|store| store.delete_org_key(&org_id, &id))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyDescription {
    desc: String,
}

// Changes a key's description, as someone editing it in the Atlas UI would.
async fn describe_key(
    State(state): State<AppState>,
    AtlasPath((org_id, id)): AtlasPath<(String, String)>,
    body: JsonBody,
) -> Result<StatusCode, ApiError> {
    let change: KeyDescription = body.decode()?;
    state.with_store(|store| {
        store.org_key_mut(&org_id, &id)?.desc = change.desc;
        Ok::<_, ApiError>(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn unassign_key(
    State(state): State<AppState>,
    AtlasPath((group_id, id)): AtlasPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.with_store(|store| store.unassign(&group_id, &id))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectRoles {
    roles: Vec<String>,
}

// Assigns the key to the project with exactly `roles`, or replaces its roles there: a change
// made outside Terraform (another tool, or Atlas making a project's creator its owner).
async fn set_project_roles(
    State(state): State<AppState>,
    AtlasPath((group_id, id)): AtlasPath<(String, String)>,
    body: JsonBody,
) -> Result<StatusCode, ApiError> {
    let change: ProjectRoles = body.decode()?;
    let group_roles = roles::group_roles(&change.roles)?;
    state.with_store(|store| {
        let org_id = store.project(&group_id)?.org_id.clone();
        store
            .org_key_mut(&org_id, &id)?
            .project_roles
            .insert(group_id.clone(), group_roles);
        Ok::<_, ApiError>(())
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_project(
    State(state): State<AppState>,
    AtlasPath(group_id): AtlasPath<String>,
) -> Result<StatusCode, ApiError> {
    state.with_store(|store| store.delete_project(&group_id))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkAiKeys {
    count: usize,
    #[serde(default = "default_desc_prefix")]
    name_prefix: String,
}

async fn bulk_create_ai_keys(
    State(state): State<AppState>,
    AtlasPath(group_id): AtlasPath<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let bulk: BulkAiKeys = body.decode()?;
    if !(1..=5000).contains(&bulk.count) {
        return Err(ApiError::bad_request(
            "INVALID_ATTRIBUTE",
            "count must be from 1 to 5000.",
        ));
    }
    let ids = state.with_store(|store| {
        store.project(&group_id)?;
        let ids: Vec<String> = (1..=bulk.count)
            .map(|index| {
                let name = format!("{}-{index:04}", bulk.name_prefix);
                store.create_ai_key(&group_id, &name, "emulator-admin").id.clone()
            })
            .collect();
        Ok::<_, ApiError>(ids)
    })?;
    Ok((StatusCode::CREATED, Json(json!({ "ids": ids }))).into_response())
}

async fn delete_ai_key(
    State(state): State<AppState>,
    AtlasPath((group_id, id)): AtlasPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.with_store(|store| store.delete_ai_key(&group_id, &id))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of the admin access-list route: one entry, optionally already used.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AdminAccessEntry {
    #[serde(default)]
    ip_address: Option<String>,
    #[serde(default)]
    cidr_block: Option<String>,
    /// Requests seen; when set, the entry also gets `lastUsed` (now) and `lastUsedAddress`.
    #[serde(default)]
    count: Option<u64>,
    #[serde(default)]
    last_used_address: Option<String>,
}

/// Adds one entry (`{"ipAddress"}` or `{"cidrBlock"}`, plus optional `count` and
/// `lastUsedAddress` to make it look used) to a key's access list, as someone outside
/// Terraform would. 201 `{"cidrBlock"}`; an entry already there is replaced.
async fn add_access_entry(
    State(state): State<AppState>,
    AtlasPath((org_id, id)): AtlasPath<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let wanted: AdminAccessEntry = body.decode()?;
    let network = match (&wanted.ip_address, &wanted.cidr_block) {
        (Some(ip), None) => access_list::parse_address(ip),
        (None, Some(cidr)) => access_list::parse_cidr(cidr).ok(),
        _ => None,
    };
    let Some((address, prefix)) = network else {
        return Err(ApiError::bad_request(
            "INVALID_IP_ADDRESS_OR_CIDR_NOTATION",
            "Give exactly one of ipAddress (an address) and cidrBlock (a canonical CIDR).",
        ));
    };
    let mut entry = AccessEntry::new(address, prefix);
    if let Some(count) = wanted.count {
        entry.count = Some(count);
        entry.last_used = Some(Timestamp::now());
        entry.last_used_address = Some(wanted.last_used_address.unwrap_or_else(|| address.to_string()));
    }
    let cidr = entry.cidr();
    state.with_store(|store| {
        store.remove_access_entry(&org_id, &id, address, prefix).ok();
        store.add_access_entries(&org_id, &id, vec![entry])
    })?;
    Ok((StatusCode::CREATED, Json(json!({ "cidrBlock": cidr }))).into_response())
}

/// Removes one entry (an address, or a CIDR with `%2F`) from a key's access list.
async fn remove_access_entry(
    State(state): State<AppState>,
    AtlasPath((org_id, id, entry)): AtlasPath<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let (address, prefix) = access_list::parse_address(&entry)
        .or_else(|| access_list::parse_cidr(&entry).ok())
        .ok_or_else(|| ApiError::path_param(&entry))?;
    state.with_store(|store| store.remove_access_entry(&org_id, &id, address, prefix))?;
    Ok(StatusCode::NO_CONTENT)
}

fn state_json(store: &Store) -> Value {
    let orgs: Vec<Value> = store
        .orgs_in_order()
        .into_iter()
        .map(|org| json!({"id": org.id, "name": org.name}))
        .collect();
    let projects: Vec<Value> = store
        .projects_in_order()
        .into_iter()
        .map(|project| json!({"id": project.id, "org_id": project.org_id, "name": project.name}))
        .collect();
    let api_keys: Vec<Value> = store
        .keys_in_order()
        .into_iter()
        .map(|key| {
            json!({
                "id": key.id, "org_id": key.org_id, "desc": key.desc,
                "public_key": key.public_key, "org_roles": key.org_roles,
                "project_roles": key.project_roles,
                "access_list": store
                    .access_lists
                    .get(&key.id)
                    .map(|entries| entries.iter().map(AccessEntry::cidr).collect::<Vec<_>>())
                    .unwrap_or_default(),
            })
        })
        .collect();
    let ai_keys: Vec<Value> = store
        .ai_keys
        .iter()
        .map(|key| {
            json!({
                "api_key_id": key.id, "group_id": key.group_id, "name": key.name,
                "created_by": key.created_by, "created_at": key.created_at.to_iso_micros(),
            })
        })
        .collect();
    let service_accounts: Vec<Value> = store
        .service_accounts
        .iter()
        .map(|account| json!({"client_id": account.client_id, "org_id": account.org_id}))
        .collect();
    json!({
        "orgs": orgs, "projects": projects, "api_keys": api_keys,
        "ai_model_api_keys": ai_keys, "service_accounts": service_accounts,
        "ai_model_rate_limits": super::ai_rate_limits::state_json(store),
    })
}
