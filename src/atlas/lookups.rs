//! Project and organization lookups: `getGroup` and `listOrgs`.
//!
//! Atlas: `GET /api/atlas/v2/groups/{groupId}` and `GET /api/atlas/v2/orgs`, media type
//! `application/vnd.atlas.2023-01-01+json`. `getGroup` tells which organization owns a project;
//! `listOrgs` lists the organizations the credentials can see (an API key belongs to one).

use reqwest::Method;
use serde::Deserialize;

use super::client::{segment, Client, Request, MEDIA_2023_01_01};
use super::error::Error;

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

impl Client {
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
