//! Project, organization and caller lookups: `getGroup`, `listOrgs` and `getSystemStatus`.
//!
//! Atlas: `GET /api/atlas/v2/groups/{groupId}`, `GET /api/atlas/v2/orgs` and `GET /api/atlas/v2`,
//! media type `application/vnd.atlas.2023-01-01+json`. `getGroup` tells which organization owns
//! a project; `listOrgs` lists the organizations the credentials can see (an API key belongs to
//! one); `getSystemStatus` describes the calling API key, with its roles (`apiKey` is null when
//! the caller is not an API key, such as a service account).

use reqwest::Method;
use serde::Deserialize;

use super::api_keys::RoleAssignment;
use super::client::{segment, Client, Request, MEDIA_2023_01_01};
use super::error::Error;
use super::pagination::null_as_empty;

/// A project (`Group`), reduced to what the provider needs.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// The project id (24 hex digits).
    pub id: String,
    /// The organization that owns the project.
    pub org_id: String,
    /// The project name.
    #[serde(default)]
    pub name: Option<String>,
}

/// An organization (`AtlasOrganization`), reduced to what the provider needs.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// The organization id (24 hex digits).
    pub id: String,
    /// The organization name.
    #[serde(default)]
    pub name: Option<String>,
}

/// `SystemStatus`, reduced to what the provider needs.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemStatus {
    /// The calling API key; `None` when the caller is not one (a service account or token).
    #[serde(default)]
    pub api_key: Option<CallerApiKey>,
    /// Always `MongoDB Atlas`.
    #[serde(default)]
    pub app_name: Option<String>,
}

/// The calling API key as `getSystemStatus` shows it (`ApiKey`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallerApiKey {
    /// The key's id (24 hex digits).
    pub id: String,
    /// The public key (8 lowercase letters).
    #[serde(default)]
    pub public_key: Option<String>,
    /// Every role of the key: organization roles with `orgId`, project roles with `groupId`.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub roles: Vec<RoleAssignment>,
}

impl Client {
    /// Describes the caller (`getSystemStatus`): one request, no path parameters.
    pub async fn get_system_status(&self) -> Result<SystemStatus, Error> {
        self.send_json(&system_status_request()).await
    }

    /// Reads a project. Errors on a missing project (`GROUP_NOT_FOUND`, see [`Error::is_not_found`]).
    pub async fn get_group(&self, group_id: &str) -> Result<Group, Error> {
        self.send_json(&get_group_request(group_id)?).await
    }

    /// Lists every organization the credentials can see (all pages).
    pub async fn list_orgs(&self) -> Result<Vec<Organization>, Error> {
        self.collect_pages(|page_num, items_per_page| Ok(list_orgs_request(page_num, items_per_page)))
            .await
    }
}

fn get_group_request(group_id: &str) -> Result<Request, Error> {
    let path = format!("/api/atlas/v2/groups/{}", segment(group_id, "project id")?);
    Ok(Request::new(Method::GET, MEDIA_2023_01_01, path))
}

fn system_status_request() -> Request {
    Request::new(Method::GET, MEDIA_2023_01_01, "/api/atlas/v2".to_owned())
}

fn list_orgs_request(page_num: u32, items_per_page: u32) -> Request {
    Request::new(Method::GET, MEDIA_2023_01_01, "/api/atlas/v2/orgs".to_owned()).page(page_num, items_per_page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::pagination::Page;
    use crate::atlas::testing::fixture;

    #[test]
    fn requests() {
        let request = get_group_request("69681d39c9e8cfd375386316").unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(request.method, Method::GET);
        assert_eq!(request.path, "/api/atlas/v2/groups/69681d39c9e8cfd375386316");
        assert_eq!(request.media_type, "application/vnd.atlas.2023-01-01+json");
        assert!(request.query.is_empty() && request.body.is_none());
        let request = list_orgs_request(2, 100);
        assert_eq!(request.path, "/api/atlas/v2/orgs");
        assert_eq!(
            request.query,
            vec![("pageNum", "2".to_owned()), ("itemsPerPage", "100".to_owned())]
        );
        assert_eq!(request.media_type, "application/vnd.atlas.2023-01-01+json");
        let request = system_status_request();
        assert_eq!(
            (request.method.clone(), request.path.as_str()),
            (Method::GET, "/api/atlas/v2")
        );
        assert_eq!(request.media_type, "application/vnd.atlas.2023-01-01+json");
        assert!(request.query.is_empty() && request.body.is_none());
    }

    #[test]
    fn decodes_system_status_with_and_without_a_key() {
        let status: SystemStatus =
            serde_json::from_slice(&fixture("system-status.json")).unwrap_or_else(|err| panic!("{err}"));
        let key = status.api_key.unwrap_or_else(|| panic!("the fixture has an apiKey"));
        assert_eq!(key.id, "32b6e34b3d91647abb20e7b8");
        assert_eq!(key.public_key.as_deref(), Some("zmmrboas"));
        assert_eq!(key.roles.len(), 2);
        assert_eq!(key.roles[1].org_id.as_deref(), Some("32b6e34b3d91647abb20e7b9"));
        let status: SystemStatus = serde_json::from_value(serde_json::json!({
            "apiKey": null, "appName": "MongoDB Atlas", "build": "x", "throttling": false
        }))
        .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(status.api_key, None);
    }

    #[test]
    fn decodes_group_and_orgs() {
        let group: Group = serde_json::from_slice(&fixture("group.json")).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            group,
            Group {
                id: "69681d39c9e8cfd375386316".into(),
                org_id: "32b6e34b3d91647abb20e7b9".into(),
                name: Some("payments".into()),
            }
        );
        let page: Page<Organization> =
            serde_json::from_slice(&fixture("orgs-page.json")).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            page.results,
            vec![Organization {
                id: "32b6e34b3d91647abb20e7b9".into(),
                name: Some("payments-org".into()),
            }]
        );
    }
}
