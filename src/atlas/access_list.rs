//! Access lists of organization API keys: models and calls.
//!
//! Atlas: `/api/atlas/v2/orgs/{orgId}/apiKeys/{apiUserId}/accessList[/{ipAddress}]` (GET list,
//! POST, GET, DELETE), media type `application/vnd.atlas.2023-01-01+json`
//! (`listOrgApiKeyAccessListEntries`, `createOrgApiKeyAccessListEntry`,
//! `getOrgApiKeyAccessListEntry`, `deleteOrgApiKeyAccessListEntry`).
//! - The POST body is a JSON **array** of entries, each with `ipAddress` or `cidrBlock`; it
//!   answers 200 with the key's whole list (paginated). A POST of an entry that is already there
//!   succeeds and changes nothing, so the answer does not say whether the entry was created.
//! - The `{ipAddress}` path segment is an address or a CIDR whose `/` is sent as `%2F` (the
//!   whole value is one percent-encoded segment). Atlas stores an address as its `/32`
//!   (`/128`) and finds it under either form.
//! - `count`, `lastUsed` and `lastUsedAddress` appear only once the key was used from the entry.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::{segment, Client, Request, MEDIA_2023_01_01};
use super::error::{Error, OrAbsent};
use super::pagination::Page;

/// One entry of an API key's access list (`UserAccessListResponse`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessListEntry {
    /// The network in CIDR notation, such as `203.0.113.0/24` or `203.0.113.10/32`.
    #[serde(default)]
    pub cidr_block: Option<String>,
    /// The address, for an entry of one address.
    #[serde(default)]
    pub ip_address: Option<String>,
    /// Requests seen from `last_used_address`; absent until used.
    #[serde(default)]
    pub count: Option<i64>,
    /// When the entry was added, ISO 8601 UTC.
    #[serde(default)]
    pub created: Option<String>,
    /// The last request from this entry, ISO 8601 UTC; absent until used.
    #[serde(default)]
    pub last_used: Option<String>,
    /// The address of the last request; absent until used.
    #[serde(default)]
    pub last_used_address: Option<String>,
}

/// One element of the `createOrgApiKeyAccessListEntry` body (`UserAccessListRequest`): exactly
/// one of the two is set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateAccessListEntry {
    /// A network in canonical CIDR notation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<String>,
    /// One IPv4 or IPv6 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
}

impl Client {
    /// Lists every entry of the key's access list (all pages).
    pub async fn list_access_list_entries(
        &self,
        org_id: &str,
        api_key_id: &str,
    ) -> Result<Vec<AccessListEntry>, Error> {
        self.collect_pages(|page_num, items_per_page| {
            list_entries_request(org_id, api_key_id, page_num, items_per_page)
        })
        .await
    }

    /// Lists one page of the key's access list (`page_num` starts at 1).
    pub async fn list_access_list_entries_page(
        &self,
        org_id: &str,
        api_key_id: &str,
        page_num: u32,
        items_per_page: u32,
    ) -> Result<Page<AccessListEntry>, Error> {
        self.send_json(&list_entries_request(org_id, api_key_id, page_num, items_per_page)?)
            .await
    }

    /// Adds `entries` to the key's access list and returns the first page of the whole list.
    /// Entries already there are left as they are, without an error. Not retried once it may
    /// have reached Atlas (see [`Error::may_have_been_processed`]).
    pub async fn create_access_list_entries(
        &self,
        org_id: &str,
        api_key_id: &str,
        entries: &[CreateAccessListEntry],
    ) -> Result<Page<AccessListEntry>, Error> {
        self.send_json(&create_entries_request(org_id, api_key_id, entries)?)
            .await
    }

    /// Reads one entry; `entry` is an address or a CIDR (sent percent-encoded). Errors on a
    /// missing entry; use [`Client::get_access_list_entry_opt`] to treat that as absence.
    pub async fn get_access_list_entry(
        &self,
        org_id: &str,
        api_key_id: &str,
        entry: &str,
    ) -> Result<AccessListEntry, Error> {
        self.send_json(&entry_request(Method::GET, org_id, api_key_id, entry)?)
            .await
    }

    /// Reads one entry; `Ok(None)` only for a genuine not-found ([`Error::is_not_found`]: the
    /// entry or its key is gone), never for a 400 (the official provider treats 400 as gone).
    pub async fn get_access_list_entry_opt(
        &self,
        org_id: &str,
        api_key_id: &str,
        entry: &str,
    ) -> Result<Option<AccessListEntry>, Error> {
        self.get_access_list_entry(org_id, api_key_id, entry).await.or_absent()
    }

    /// Removes one entry. Errors on a missing entry; check [`Error::is_not_found`] to treat that
    /// as success.
    pub async fn delete_access_list_entry(&self, org_id: &str, api_key_id: &str, entry: &str) -> Result<(), Error> {
        self.send_no_content(&entry_request(Method::DELETE, org_id, api_key_id, entry)?)
            .await
    }
}

fn list_path(org_id: &str, api_key_id: &str) -> Result<String, Error> {
    Ok(format!(
        "/api/atlas/v2/orgs/{}/apiKeys/{}/accessList",
        segment(org_id, "org id")?,
        segment(api_key_id, "api key id")?
    ))
}

fn list_entries_request(org_id: &str, api_key_id: &str, page_num: u32, items_per_page: u32) -> Result<Request, Error> {
    Ok(Request::new(Method::GET, MEDIA_2023_01_01, list_path(org_id, api_key_id)?).page(page_num, items_per_page))
}

fn create_entries_request(org_id: &str, api_key_id: &str, entries: &[CreateAccessListEntry]) -> Result<Request, Error> {
    Request::new(Method::POST, MEDIA_2023_01_01, list_path(org_id, api_key_id)?).json(entries)
}

fn entry_request(method: Method, org_id: &str, api_key_id: &str, entry: &str) -> Result<Request, Error> {
    let path = format!(
        "{}/{}",
        list_path(org_id, api_key_id)?,
        segment(entry, "access list entry")?
    );
    Ok(Request::new(method, MEDIA_2023_01_01, path))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::atlas::testing::fixture;

    const ORG: &str = "32b6e34b3d91647abb20e7b9";
    const KEY: &str = "32b6e34b3d91647abb20e7b8";

    #[test]
    fn requests_encode_a_cidr_as_one_segment() {
        let list = format!("/api/atlas/v2/orgs/{ORG}/apiKeys/{KEY}/accessList");
        let request = list_entries_request(ORG, KEY, 2, 100).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            (request.method.clone(), request.path.as_str()),
            (Method::GET, list.as_str())
        );
        assert_eq!(
            request.query,
            vec![("pageNum", "2".to_owned()), ("itemsPerPage", "100".to_owned())]
        );
        assert_eq!(request.media_type, "application/vnd.atlas.2023-01-01+json");
        let entries = [
            CreateAccessListEntry {
                cidr_block: None,
                ip_address: Some("203.0.113.10".into()),
            },
            CreateAccessListEntry {
                cidr_block: Some("203.0.113.0/24".into()),
                ip_address: None,
            },
        ];
        let request = create_entries_request(ORG, KEY, &entries).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            (request.method.clone(), request.path.as_str()),
            (Method::POST, list.as_str())
        );
        assert_eq!(
            request.body_json(),
            json!([{"ipAddress": "203.0.113.10"}, {"cidrBlock": "203.0.113.0/24"}])
        );
        for (entry, sent) in [
            ("203.0.113.10", "203.0.113.10"),
            ("203.0.113.0/24", "203.0.113.0%2F24"),
            ("2001:db8::/48", "2001%3Adb8%3A%3A%2F48"),
        ] {
            for method in [Method::GET, Method::DELETE] {
                let request = entry_request(method.clone(), ORG, KEY, entry).unwrap_or_else(|err| panic!("{err}"));
                assert_eq!(request.path, format!("{list}/{sent}"), "{method} {entry}");
                assert!(request.body.is_none());
            }
        }
        assert!(entry_request(Method::GET, ORG, KEY, "..").is_err());
    }

    #[test]
    fn decodes_used_and_unused_entries() {
        let page: Page<AccessListEntry> =
            serde_json::from_slice(&fixture("access-list-page.json")).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(page.total_count, Some(2));
        assert_eq!(
            page.results,
            vec![
                AccessListEntry {
                    cidr_block: Some("203.0.113.10/32".into()),
                    ip_address: Some("203.0.113.10".into()),
                    count: Some(7),
                    created: Some("2026-01-15T16:47:49Z".into()),
                    last_used: Some("2026-01-16T08:00:00Z".into()),
                    last_used_address: Some("203.0.113.10".into()),
                },
                AccessListEntry {
                    cidr_block: Some("203.0.113.0/24".into()),
                    ip_address: None,
                    count: None,
                    created: Some("2026-01-15T16:47:50Z".into()),
                    last_used: None,
                    last_used_address: None,
                },
            ]
        );
    }
}
