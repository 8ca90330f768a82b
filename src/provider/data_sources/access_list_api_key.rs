//! `mongodbatlas_access_list_api_key` and `mongodbatlas_access_list_api_keys` data sources: one
//! entry of an organization API key's access list, or every entry (all pages, one call per
//! page, or the one page `page_num` / `items_per_page` ask for).
//!
//! Atlas: `GET /orgs/{orgId}/apiKeys/{apiUserId}/accessList/{ipAddress}` (a CIDR sent as one
//! `%2F`-encoded segment) and `GET /orgs/{orgId}/apiKeys/{apiUserId}/accessList`. Both read the
//! key's access-list listing that every read of the process shares (see [`listings`]; the one
//! entry gets its own GET when the listing lacks it), unless `page_num` or `items_per_page` ask
//! for one page.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::{
    attribute, nested, string, Attribute, Cx, DataSource, Diagnostic, Diagnostics, Nesting, Schema,
};
use crate::provider::data_sources::{all_or_one_page, paging_attributes};
use crate::provider::errors::OrDiagnose;
use crate::provider::network::Network;
use crate::provider::{listings, validators};
use crate::value::{AttributePath, Quoted, Type};

/// One access-list entry by address.
pub struct AccessListApiKeyData;

/// Every access-list entry of a key.
pub struct AccessListApiKeysData;

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessListApiKeyDataState {
    id: Option<String>,
    org_id: String,
    api_key_id: String,
    ip_address: String,
    cidr_block: Option<String>,
    created: Option<String>,
    access_count: Option<i64>,
    last_used: Option<String>,
    last_used_address: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessListApiKeysDataState {
    id: Option<String>,
    org_id: String,
    api_key_id: String,
    page_num: Option<u32>,
    items_per_page: Option<u32>,
    results: Option<Vec<AccessListEntryResult>>,
}

/// One element of `results`.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessListEntryResult {
    ip_address: Option<String>,
    cidr_block: Option<String>,
    created: Option<String>,
    access_count: Option<i64>,
    last_used: Option<String>,
    last_used_address: Option<String>,
}

const ERROR_ATTRS: &[(&str, &str)] = &[
    ("ORG_NOT_FOUND", "org_id"),
    ("INVALID_ORG_ID", "org_id"),
    ("USER_CANNOT_ACCESS_ORG", "org_id"),
    ("API_KEY_NOT_FOUND", "api_key_id"),
    ("PATH_PARAM_PARSE_ERROR", "api_key_id"),
];

/// Not-found codes that name the key or the organization, not the entry.
const MISSING_PARENT: &[&str] = &["API_KEY_NOT_FOUND", "ORG_NOT_FOUND"];

/// The key attributes both data sources take.
fn key_attributes() -> [Attribute; 2] {
    [
        string("org_id")
            .required()
            .validate(validators::object_id())
            .doc("Unique 24-hexadecimal digit string that identifies the organization that owns the API key."),
        string("api_key_id")
            .required()
            .validate(validators::api_key_id())
            .doc("Unique 24-hexadecimal digit string that identifies the organization API key."),
    ]
}

/// What Atlas reports of an entry besides its address.
fn usage_attributes() -> [Attribute; 4] {
    [
        string("created")
            .computed()
            .doc("When the entry was added, as an ISO 8601 timestamp in UTC."),
        attribute("access_count", Type::Number).computed().doc(
            "Number of requests the key made from `last_used_address`; null until the key is used from this entry.",
        ),
        string("last_used")
            .computed()
            .doc("When the key last made a request from this entry, as an ISO 8601 timestamp in UTC; null until used."),
        string("last_used_address")
            .computed()
            .doc("The address of the key's last request from this entry; null until used."),
    ]
}

/// The entry's `ip_address` (single addresses only) and `cidr_block`, from what Atlas reports.
fn addresses(entry: &atlas::AccessListEntry) -> (Option<String>, Option<String>) {
    let network = entry
        .cidr_block
        .as_deref()
        .and_then(Network::entry)
        .or_else(|| entry.ip_address.as_deref().and_then(Network::entry));
    match network {
        Some(network) => (network.single_address(), Some(network.to_cidr())),
        None => (entry.ip_address.clone(), entry.cidr_block.clone()),
    }
}

#[async_trait]
impl DataSource for AccessListApiKeyData {
    type Client = atlas::Client;
    type State = AccessListApiKeyDataState;
    const NAME: &'static str = "access_list_api_key";

    fn schema() -> Schema {
        Schema::new("One entry of an organization API key's access list, with its use.")
            .attributes([string("id")
                .computed()
                .doc("`{org_id}-{api_key_id}-{ip_address_or_cidr_block}`, the entry's import ID.")])
            .attributes(key_attributes())
            .attributes([
                string("ip_address")
                    .required()
                    .validate(validators::access_list_entry())
                    .doc("The entry to read: an IPv4 or IPv6 address (the same entry as its `/32` or `/128`), or a CIDR block in canonical form to read a wider entry."),
                string("cidr_block")
                    .computed()
                    .doc("The entry in CIDR notation, such as `203.0.113.10/32`."),
            ])
            .attributes(usage_attributes())
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        config: AccessListApiKeyDataState,
    ) -> Result<AccessListApiKeyDataState, Diagnostics> {
        let network = Network::entry(&config.ip_address).ok_or_else(|| {
            Diagnostic::bug(
                "Could not read access list entry",
                "ip_address passed validation but does not parse",
            )
        })?;
        let listed = listings::listed_access_list_entry(&cx.client, &config.org_id, &config.api_key_id, &network).await;
        let fetched = match listed {
            Ok(Some(entry)) => Ok(entry),
            Ok(None) => {
                cx.client
                    .get_access_list_entry(&config.org_id, &config.api_key_id, &network.to_entry())
                    .await
            }
            Err(refused) => Err(refused),
        };
        let found = match fetched {
            Ok(entry) => Some(entry),
            // The entry alone is missing; a missing key or organization is Atlas's own error,
            // on its attribute.
            Err(err) if err.is_not_found() && !MISSING_PARENT.contains(&err.error_code().unwrap_or_default()) => None,
            Err(err) => return Err(err).or_diagnose("Could not read access list entry", ERROR_ATTRS)?,
        };
        let entry = found.ok_or_else(|| {
            Diagnostic::error(
                "Access list entry not found",
                format!(
                    "API key {} of organization {} has no access list entry {}.",
                    Quoted(&config.api_key_id),
                    Quoted(&config.org_id),
                    network.to_cidr()
                ),
            )
            .at(AttributePath::attr("ip_address"))
        })?;
        let (_, cidr_block) = addresses(&entry);
        Ok(AccessListApiKeyDataState {
            id: Some(format!("{}-{}-{network}", config.org_id, config.api_key_id)),
            cidr_block,
            created: entry.created,
            access_count: entry.count,
            last_used: entry.last_used,
            last_used_address: entry.last_used_address,
            ..config
        })
    }
}

#[async_trait]
impl DataSource for AccessListApiKeysData {
    type Client = atlas::Client;
    type State = AccessListApiKeysDataState;
    const NAME: &'static str = "access_list_api_keys";

    fn schema() -> Schema {
        let mut result = vec![
            string("ip_address")
                .computed()
                .doc("The address, for an entry of one address; null for a wider block."),
            string("cidr_block").computed().doc("The entry in CIDR notation."),
        ];
        result.extend(usage_attributes());
        Schema::new("Every entry of an organization API key's access list, read across all pages (or one page, with `page_num` or `items_per_page`).")
            .attributes([string("id").computed().doc("`{org_id}-{api_key_id}`.")])
            .attributes(key_attributes())
            .attributes([nested("results", Nesting::List, result)
                .computed()
                .doc("The entries, in the order Atlas lists them.")])
            .attributes(paging_attributes())
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        config: AccessListApiKeysDataState,
    ) -> Result<AccessListApiKeysDataState, Diagnostics> {
        let (org_id, api_key_id) = (&config.org_id, &config.api_key_id);
        let entries = all_or_one_page(
            config.page_num,
            config.items_per_page,
            listings::access_list(&cx.client, org_id, api_key_id),
            |page, size| cx.client.list_access_list_entries_page(org_id, api_key_id, page, size),
        )
        .await
        .or_diagnose("Could not list access list entries", ERROR_ATTRS)?;
        let results = entries
            .into_iter()
            .map(|entry| {
                let (ip_address, cidr_block) = addresses(&entry);
                AccessListEntryResult {
                    ip_address,
                    cidr_block,
                    created: entry.created,
                    access_count: entry.count,
                    last_used: entry.last_used,
                    last_used_address: entry.last_used_address,
                }
            })
            .collect();
        Ok(AccessListApiKeysDataState {
            id: Some(format!("{org_id}-{api_key_id}")),
            results: Some(results),
            ..config
        })
    }
}
