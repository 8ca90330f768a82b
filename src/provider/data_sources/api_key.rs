//! `mongodbatlas_api_key` and `mongodbatlas_api_keys` data sources: organization API keys,
//! one by ID or every key of an organization (all pages, one call per page).
//!
//! Atlas: `GET /orgs/{orgId}/apiKeys/{apiUserId}`, `GET /orgs/{orgId}/apiKeys`. Both read the
//! organization's listing that every read of the process shares (see [`listings`]; the one key
//! gets its own GET when the listing lacks it), unless `page_num` or `items_per_page` ask for
//! one page.
//! No private key: Atlas only ever returns it masked after creation.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::{
    nested, string, string_set, Attribute, Cx, DataSource, Diagnostic, Diagnostics, Nesting, Schema,
};
use crate::provider::data_sources::{all_or_one_page, org_role_names, paging_attributes};
use crate::provider::errors::OrDiagnose;
use crate::provider::{listings, validators};
use crate::value::{AttributePath, Quoted};

/// One organization API key by ID.
pub struct ApiKeyData;

/// Every API key of an organization.
pub struct ApiKeysData;

#[derive(Debug, Serialize, Deserialize)]
pub struct ApiKeyDataState {
    id: Option<String>,
    org_id: String,
    api_key_id: String,
    description: Option<String>,
    public_key: Option<String>,
    role_names: Option<BTreeSet<String>>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ApiKeysDataState {
    id: Option<String>,
    org_id: String,
    page_num: Option<u32>,
    items_per_page: Option<u32>,
    results: Option<Vec<ApiKeyResult>>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ApiKeyResult {
    api_key_id: String,
    description: Option<String>,
    public_key: Option<String>,
    role_names: BTreeSet<String>,
}

const ERROR_ATTRS: &[(&str, &str)] = &[("ORG_NOT_FOUND", "org_id"), ("INVALID_ORG_ID", "org_id")];

#[async_trait]
impl DataSource for ApiKeyData {
    type Client = atlas::Client;
    type State = ApiKeyDataState;
    const NAME: &'static str = "api_key";

    fn schema() -> Schema {
        Schema::new("One organization programmatic API key, without its private key.")
            .attributes([
                string("id")
                    .computed()
                    .doc("`{org_id}-{api_key_id}`, the key's import ID."),
                string("org_id")
                    .required()
                    .validate(validators::object_id())
                    .doc("Organization that owns the key."),
                string("api_key_id")
                    .required()
                    .validate(validators::object_id())
                    .doc("Unique 24-hexadecimal digit string that identifies the key."),
            ])
            .attributes(key_details())
    }

    async fn read(&self, cx: &Cx<atlas::Client>, config: ApiKeyDataState) -> Result<ApiKeyDataState, Diagnostics> {
        let key = listings::org_key(&cx.client, &config.org_id, &config.api_key_id)
            .await
            .or_diagnose("Could not read API key", ERROR_ATTRS)?
            .ok_or_else(|| {
                Diagnostic::error(
                    "API key not found",
                    format!(
                        "No API key with ID {} exists in organization {}.",
                        Quoted(&config.api_key_id),
                        Quoted(&config.org_id)
                    ),
                )
                .at(AttributePath::attr("api_key_id"))
            })?;
        Ok(ApiKeyDataState {
            id: Some(format!("{}-{}", config.org_id, config.api_key_id)),
            role_names: Some(org_role_names(&key, &config.org_id)),
            description: key.desc,
            public_key: key.public_key,
            ..config
        })
    }
}

/// What both data sources report of a key besides its ID.
fn key_details() -> [Attribute; 3] {
    [
        string("description").computed().doc("Description of the key."),
        string("public_key").computed().doc("Public part of the key."),
        string_set("role_names")
            .computed()
            .doc("Organization roles of the key in `org_id`."),
    ]
}

/// The attributes of each element of `results`.
fn api_key_result_attributes() -> Vec<Attribute> {
    let id = string("api_key_id")
        .computed()
        .doc("Unique 24-hexadecimal digit string that identifies the key.");
    std::iter::once(id).chain(key_details()).collect()
}

#[async_trait]
impl DataSource for ApiKeysData {
    type Client = atlas::Client;
    type State = ApiKeysDataState;
    const NAME: &'static str = "api_keys";

    fn schema() -> Schema {
        Schema::new("Every programmatic API key of an organization, read across all pages (or one page, with `page_num` or `items_per_page`), without private keys.").attributes([
            string("id").computed().doc("The organization ID."),
            string("org_id").required().validate(validators::object_id()).doc("Organization whose keys to list."),
            nested("results", Nesting::List, api_key_result_attributes())
                .computed()
                .doc("The keys, in the order Atlas lists them: `api_key_id`, `description`, `public_key` and `role_names` (organization roles)."),
        ])
        .attributes(paging_attributes())
    }

    async fn read(&self, cx: &Cx<atlas::Client>, config: ApiKeysDataState) -> Result<ApiKeysDataState, Diagnostics> {
        let keys = all_or_one_page(
            config.page_num,
            config.items_per_page,
            listings::org_keys(&cx.client, &config.org_id),
            |page, size| cx.client.list_api_keys_page(&config.org_id, page, size),
        )
        .await
        .or_diagnose("Could not list API keys", ERROR_ATTRS)?;
        let results = keys
            .into_iter()
            .map(|key| ApiKeyResult {
                role_names: org_role_names(&key, &config.org_id),
                api_key_id: key.id,
                description: key.desc,
                public_key: key.public_key,
            })
            .collect();
        Ok(ApiKeysDataState {
            id: Some(config.org_id.clone()),
            results: Some(results),
            ..config
        })
    }
}
