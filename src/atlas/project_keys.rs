//! Project assignment of organization API keys: calls and request bodies.
//!
//! Atlas: `/api/atlas/v2/groups/{groupId}/apiKeys[/{apiUserId}]`, media type
//! `application/vnd.atlas.2023-01-01+json`.
//! - `createGroupApiKey` (POST, 200) creates an *organization* key assigned to the project and
//!   returns its full private key; Atlas adds `ORG_MEMBER` when no org role is given.
//! - `addGroupApiKey` (POST `…/{apiUserId}`, 204) takes a JSON **array** `[{"roles": [...]}]`.
//! - `updateGroupApiKeyRoles` (PATCH, 200) sets the key's roles in this project exactly.
//! - `removeGroupApiKey` (DELETE, 204) removes the assignment only; the key survives.
//! - There is no GET for one assignment: list the project's keys and filter by id.

use reqwest::Method;
use serde::Serialize;

use super::api_keys::ApiKey;
use super::client::{segment, Client, Request, MEDIA_2023_01_01};
use super::error::Error;
use super::pagination::Page;

/// Body of `createGroupApiKey` (`CreateAtlasProjectApiKey`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateProjectApiKey {
    /// The description, 1 to 250 characters.
    pub desc: String,
    /// Project roles (`GROUP_*`), at least one; org roles may be added too.
    pub roles: Vec<String>,
}

/// Body of `updateGroupApiKeyRoles` (`UpdateAtlasProjectApiKey`); `None` fields are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UpdateProjectApiKey {
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// The key's complete set of roles in this project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

/// One element of the `addGroupApiKey` body (`UserAccessRoleAssignment`).
#[derive(Serialize)]
struct RoleAssignmentRequest<'a> {
    roles: &'a [String],
}

impl Client {
    /// Lists every organization key assigned to the project (all pages), each with all its roles.
    pub async fn list_project_api_keys(&self, group_id: &str) -> Result<Vec<ApiKey>, Error> {
        self.collect_pages(|page_num, items_per_page| list_project_api_keys_request(group_id, page_num, items_per_page))
            .await
    }

    /// Lists one page of the project's keys (`page_num` starts at 1).
    pub async fn list_project_api_keys_page(
        &self,
        group_id: &str,
        page_num: u32,
        items_per_page: u32,
    ) -> Result<Page<ApiKey>, Error> {
        self.send_json(&list_project_api_keys_request(group_id, page_num, items_per_page)?)
            .await
    }

    /// Creates an organization key assigned to the project. The response carries the full
    /// private key. Not retried once it may have reached Atlas (see [`Error::may_have_been_processed`]).
    pub async fn create_project_api_key(&self, group_id: &str, request: &CreateProjectApiKey) -> Result<ApiKey, Error> {
        self.send_json(&create_project_api_key_request(group_id, request)?)
            .await
    }

    /// Assigns an existing organization key to the project with `roles`.
    pub async fn add_project_api_key(&self, group_id: &str, api_key_id: &str, roles: &[String]) -> Result<(), Error> {
        self.send_no_content(&add_project_api_key_request(group_id, api_key_id, roles)?)
            .await
    }

    /// Replaces the key's roles in the project (and optionally its description).
    pub async fn update_project_api_key_roles(
        &self,
        group_id: &str,
        api_key_id: &str,
        request: &UpdateProjectApiKey,
    ) -> Result<ApiKey, Error> {
        self.send_json(&update_project_api_key_roles_request(group_id, api_key_id, request)?)
            .await
    }

    /// Removes the key from the project; the organization key itself remains.
    pub async fn remove_project_api_key(&self, group_id: &str, api_key_id: &str) -> Result<(), Error> {
        self.send_no_content(&remove_project_api_key_request(group_id, api_key_id)?)
            .await
    }
}

fn keys_path(group_id: &str) -> Result<String, Error> {
    Ok(format!(
        "/api/atlas/v2/groups/{}/apiKeys",
        segment(group_id, "project id")?
    ))
}

fn key_path(group_id: &str, api_key_id: &str) -> Result<String, Error> {
    Ok(format!(
        "{}/{}",
        keys_path(group_id)?,
        segment(api_key_id, "api key id")?
    ))
}

fn list_project_api_keys_request(group_id: &str, page_num: u32, items_per_page: u32) -> Result<Request, Error> {
    Ok(Request::new(Method::GET, MEDIA_2023_01_01, keys_path(group_id)?).page(page_num, items_per_page))
}

fn create_project_api_key_request(group_id: &str, body: &CreateProjectApiKey) -> Result<Request, Error> {
    Request::new(Method::POST, MEDIA_2023_01_01, keys_path(group_id)?).json(body)
}

fn add_project_api_key_request(group_id: &str, api_key_id: &str, roles: &[String]) -> Result<Request, Error> {
    Request::new(Method::POST, MEDIA_2023_01_01, key_path(group_id, api_key_id)?)
        .json(&[RoleAssignmentRequest { roles }])
}

fn update_project_api_key_roles_request(
    group_id: &str,
    api_key_id: &str,
    body: &UpdateProjectApiKey,
) -> Result<Request, Error> {
    Request::new(Method::PATCH, MEDIA_2023_01_01, key_path(group_id, api_key_id)?).json(body)
}

fn remove_project_api_key_request(group_id: &str, api_key_id: &str) -> Result<Request, Error> {
    Ok(Request::new(
        Method::DELETE,
        MEDIA_2023_01_01,
        key_path(group_id, api_key_id)?,
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const GROUP: &str = "69681d39c9e8cfd375386316";
    const KEY: &str = "32b6e34b3d91647abb20e7b8";

    fn check(
        request: Result<Request, Error>,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: serde_json::Value,
    ) {
        let request = request.unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(request.method, method, "{path}");
        assert_eq!(request.path, path);
        assert_eq!(request.media_type, "application/vnd.atlas.2023-01-01+json", "{path}");
        let actual_query: Vec<(&str, &str)> = request.query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(actual_query, query, "{path}");
        assert_eq!(request.body_json(), body, "{path}");
    }

    #[test]
    fn requests() {
        let keys = format!("/api/atlas/v2/groups/{GROUP}/apiKeys");
        let key = format!("{keys}/{KEY}");
        let roles = vec!["GROUP_READ_ONLY".to_owned(), "GROUP_OWNER".to_owned()];
        check(
            list_project_api_keys_request(GROUP, 1, 100),
            Method::GET,
            &keys,
            &[("pageNum", "1"), ("itemsPerPage", "100")],
            json!(null),
        );
        let create = CreateProjectApiKey {
            desc: "ci".into(),
            roles: roles.clone(),
        };
        check(
            create_project_api_key_request(GROUP, &create),
            Method::POST,
            &keys,
            &[],
            json!({"desc": "ci", "roles": ["GROUP_READ_ONLY", "GROUP_OWNER"]}),
        );
        // The body is a JSON array with one assignment, as the spec requires.
        check(
            add_project_api_key_request(GROUP, KEY, &roles),
            Method::POST,
            &key,
            &[],
            json!([{"roles": ["GROUP_READ_ONLY", "GROUP_OWNER"]}]),
        );
        let update = UpdateProjectApiKey {
            desc: None,
            roles: Some(vec!["GROUP_OWNER".into()]),
        };
        check(
            update_project_api_key_roles_request(GROUP, KEY, &update),
            Method::PATCH,
            &key,
            &[],
            json!({"roles": ["GROUP_OWNER"]}),
        );
        check(
            remove_project_api_key_request(GROUP, KEY),
            Method::DELETE,
            &key,
            &[],
            json!(null),
        );
    }
}
