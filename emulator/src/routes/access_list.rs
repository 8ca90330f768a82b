//! Access lists of organization API keys (media type 2023-01-01):
//! `listOrgApiKeyAccessListEntries`, `createOrgApiKeyAccessListEntry`,
//! `getOrgApiKeyAccessListEntry`, `deleteOrgApiKeyAccessListEntry`.
//!
//! - The POST body is a JSON array of `{ipAddress}` or `{cidrBlock}` objects (never both); it
//!   answers 200 with the key's whole access list, paginated like the GET. An entry that is
//!   already there is kept unchanged and the POST still succeeds, so a client cannot tell from
//!   the answer whether it created the entry.
//! - `ipAddress` must be one IPv4 or IPv6 address (400 `INVALID_IP_ADDRESS_OR_CIDR_NOTATION`);
//!   `cidrBlock` must be `address/prefix` with the host bits clear (400 `INVALID_CIDR_BLOCK`,
//!   whose detail names the canonical form); one entry twice in a body is 400
//!   `DUPLICATE_ADDRESSES_IN_INPUT`; both or neither attribute is 400
//!   `MULTIPLE_VALUES_SPECIFIED_FOR_ONE_NETWORK_PERMISSION_ENTRY` / `INVALID_IP_ADDRESS_OR_CIDR_NOTATION`.
//! - An address is the same entry as its `/32` (`/128`) block. Responses carry `cidrBlock`
//!   always and `ipAddress` for single-address entries only.
//! - In the `{ipAddress}` path segment a CIDR's `/` is sent as `%2F`; a raw `/` makes two
//!   segments and matches no route (404 `RESOURCE_NOT_FOUND`). A missing entry is 404
//!   `API_KEY_WHITELIST_NOT_FOUND`; a segment that is no address or CIDR is 400
//!   `PATH_PARAM_PARSE_ERROR`.
//! - Deleting a key deletes its access list. The emulator does not enforce access lists, so it
//!   never refuses to remove the caller's own address.

use std::net::IpAddr;

use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use serde_json::Value;

use crate::body::{self, JsonBody};
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::routes::{check_id, AtlasPath};
use crate::state::AppState;
use crate::store::AccessEntry;

/// Routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/atlas/v2/orgs/{org_id}/apiKeys/{api_user_id}/accessList",
            get(list_entries).post(create_entries),
        )
        .route(
            "/api/atlas/v2/orgs/{org_id}/apiKeys/{api_user_id}/accessList/{ip_address}",
            get(get_entry).delete(delete_entry),
        )
}

/// `UserAccessListResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessEntryView {
    /// `address/prefix`.
    pub cidr_block: String,
    /// Requests seen from `lastUsedAddress`; absent until used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// RFC 3339.
    pub created: String,
    /// The address, for single-address entries only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// RFC 3339; absent until used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used: Option<String>,
    /// Absent until used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_address: Option<String>,
    /// Self link.
    pub links: Value,
}

/// The view of `entry` of key `key_id` in `org_id`.
pub fn entry_view(cx_link: impl Fn(&str) -> Value, org_id: &str, key_id: &str, entry: &AccessEntry) -> AccessEntryView {
    let encoded = entry.cidr().replace('/', "%2F");
    AccessEntryView {
        cidr_block: entry.cidr(),
        count: entry.count,
        created: entry.created.to_rfc3339(),
        ip_address: entry.is_single_address().then(|| entry.address.to_string()),
        last_used: entry.last_used.map(|at| at.to_rfc3339()),
        last_used_address: entry.last_used_address.clone(),
        links: cx_link(&format!(
            "/api/atlas/v2/orgs/{org_id}/apiKeys/{key_id}/accessList/{encoded}"
        )),
    }
}

/// `address` parsed as one IPv4 or IPv6 address, as a single-address network.
pub fn parse_address(text: &str) -> Option<(IpAddr, u8)> {
    let address: IpAddr = text.parse().ok()?;
    Some((address, full_prefix(address)))
}

/// `text` parsed as `address/prefix`: `Ok` with the network when canonical, `Err(Some(canonical))`
/// when host bits are set, `Err(None)` when it is no CIDR at all.
pub fn parse_cidr(text: &str) -> Result<(IpAddr, u8), Option<String>> {
    let (address, prefix) = text.split_once('/').ok_or(None)?;
    let address: IpAddr = address.parse().map_err(|_| None)?;
    if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(None);
    }
    let prefix: u8 = prefix.parse().map_err(|_| None)?;
    if prefix > full_prefix(address) {
        return Err(None);
    }
    let network = network_of(address, prefix);
    if network == address {
        Ok((address, prefix))
    } else {
        Err(Some(format!("{network}/{prefix}")))
    }
}

/// 32 for IPv4, 128 for IPv6.
fn full_prefix(address: IpAddr) -> u8 {
    if address.is_ipv4() {
        32
    } else {
        128
    }
}

/// `address` with every bit past `prefix` cleared.
fn network_of(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

/// The network a path segment names: an address (its `/32` or `/128`) or a canonical CIDR.
///
/// Errors: 400 `PATH_PARAM_PARSE_ERROR` for anything else.
fn path_network(cx: &Ctx, segment: &str) -> Result<(IpAddr, u8), ApiError> {
    parse_address(segment)
        .or_else(|| parse_cidr(segment).ok())
        .ok_or_else(|| ApiError::path_param(cx.path()))
}

/// One element of the POST body as a network.
fn requested_entry(item: &Value) -> Result<(IpAddr, u8), ApiError> {
    let fields = body::element(item, &["ipAddress", "cidrBlock"])?;
    match (fields.string("ipAddress")?, fields.string("cidrBlock")?) {
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "MULTIPLE_VALUES_SPECIFIED_FOR_ONE_NETWORK_PERMISSION_ENTRY",
            "Only one of ipAddress and cidrBlock may be specified for one access list entry.",
        )),
        (Some(ip), None) => parse_address(ip).ok_or_else(|| {
            ApiError::bad_request(
                "INVALID_IP_ADDRESS_OR_CIDR_NOTATION",
                format!("The address {ip} must be in valid IP address or CIDR notation."),
            )
            .param(ip)
            .field("ipAddress", "Must be one IPv4 or IPv6 address.")
        }),
        (None, Some(cidr)) => parse_cidr(cidr).map_err(|canonical| {
            let detail = match canonical {
                Some(canonical) => format!("The CIDR block {cidr} is not a network address; use {canonical}."),
                None => format!("The CIDR block {cidr} is not in valid CIDR notation."),
            };
            ApiError::bad_request("INVALID_CIDR_BLOCK", detail.clone())
                .param(cidr)
                .field("cidrBlock", detail)
        }),
        (None, None) => Err(ApiError::bad_request(
            "INVALID_IP_ADDRESS_OR_CIDR_NOTATION",
            "Each access list entry needs an ipAddress or a cidrBlock.",
        )),
    }
}

async fn list_entries(cx: Ctx, AtlasPath((org_id, id)): AtlasPath<(String, String)>) -> Result<Response, ApiError> {
    check_id(&cx, &id)?;
    let page = cx.page()?;
    let entries = whole_list(&cx, &org_id, &id)?;
    cx.list(entries, page)
}

async fn create_entries(
    cx: Ctx,
    AtlasPath((org_id, id)): AtlasPath<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    check_id(&cx, &id)?;
    let page = cx.page()?;
    let mut entries: Vec<AccessEntry> = Vec::new();
    for item in body.array()? {
        let (address, prefix) = requested_entry(item)?;
        if entries
            .iter()
            .any(|entry| entry.address == address && entry.prefix == prefix)
        {
            return Err(ApiError::bad_request(
                "DUPLICATE_ADDRESSES_IN_INPUT",
                format!("The address {address}/{prefix} appears more than once in the request."),
            )
            .param(format!("{address}/{prefix}")));
        }
        entries.push(AccessEntry::new(address, prefix));
    }
    cx.state
        .with_store(|store| store.add_access_entries(&org_id, &id, entries))?;
    let listed = whole_list(&cx, &org_id, &id)?;
    cx.list(listed, page)
}

async fn get_entry(
    cx: Ctx,
    AtlasPath((org_id, id, ip_address)): AtlasPath<(String, String, String)>,
) -> Result<Response, ApiError> {
    check_id(&cx, &id)?;
    let (address, prefix) = path_network(&cx, &ip_address)?;
    let view = cx.state.with_store(|store| {
        store
            .access_entry(&org_id, &id, address, prefix)
            .map(|entry| entry_view(|path| cx.link_to(path), &org_id, &id, entry))
    })?;
    cx.ok(&view)
}

async fn delete_entry(
    cx: Ctx,
    AtlasPath((org_id, id, ip_address)): AtlasPath<(String, String, String)>,
) -> Result<Response, ApiError> {
    check_id(&cx, &id)?;
    let (address, prefix) = path_network(&cx, &ip_address)?;
    cx.state
        .with_store(|store| store.remove_access_entry(&org_id, &id, address, prefix))?;
    cx.no_content()
}

fn whole_list(cx: &Ctx, org_id: &str, id: &str) -> Result<Vec<AccessEntryView>, ApiError> {
    cx.state.with_store(|store| {
        Ok(store
            .access_list(org_id, id)?
            .iter()
            .map(|entry| entry_view(|path| cx.link_to(path), org_id, id, entry))
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_parse_canonical_only() {
        let v4 = |text: &str| text.parse::<IpAddr>().unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(parse_address("10.0.0.1"), Some((v4("10.0.0.1"), 32)));
        assert_eq!(parse_address("2001:db8::1"), Some((v4("2001:db8::1"), 128)));
        assert_eq!(parse_address("10.0.0.1/32"), None);
        assert_eq!(parse_address("300.0.0.1"), None);
        assert_eq!(parse_cidr("10.0.0.0/24"), Ok((v4("10.0.0.0"), 24)));
        assert_eq!(parse_cidr("0.0.0.0/0"), Ok((v4("0.0.0.0"), 0)));
        assert_eq!(parse_cidr("10.0.0.1/24"), Err(Some("10.0.0.0/24".to_owned())));
        assert_eq!(parse_cidr("2001:db8::1/64"), Err(Some("2001:db8::/64".to_owned())));
        assert_eq!(parse_cidr("2001:db8::/64"), Ok((v4("2001:db8::"), 64)));
        for bad in [
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0",
            "/24",
            "10.0.0.0/+4",
            "::/129",
            "x/1",
        ] {
            assert_eq!(parse_cidr(bad), Err(None), "{bad}");
        }
    }
}
