//! Organization programmatic API keys: models and calls.
//!
//! Atlas: `/api/atlas/v2/orgs/{orgId}/apiKeys[/{apiUserId}]` (GET list, POST, GET, PATCH,
//! DELETE), media type `application/vnd.atlas.2023-01-01+json`.
//! - Create answers 200 (not 201) and is the only call that returns the full private key;
//!   every later read returns it redacted (`********-****-****-<last 12>`).
//! - `roles` lists every role of the key: org roles carry `orgId`, project roles `groupId`.
//! - A missing key is `API_KEY_NOT_FOUND`, documented as 400 and sent as 404 in practice;
//!   [`Error::is_not_found`] accepts both.

use reqwest::Method;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::client::{segment, Client, Request, MEDIA_2023_01_01};
use super::error::{Error, OrAbsent};
use super::pagination::{null_as_empty, Page};

/// A programmatic API key (`ApiKeyUserDetails`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    /// The key's id (24 hex digits), called `apiUserId` in paths.
    pub id: String,
    /// The description.
    #[serde(default)]
    pub desc: Option<String>,
    /// The public key (8 lowercase letters).
    #[serde(default)]
    pub public_key: Option<String>,
    /// The private key: complete only in create responses, redacted elsewhere. Debug hides it.
    #[serde(default)]
    pub private_key: Option<SecretString>,
    /// Every role of the key, in its organization and in each project it is assigned to.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub roles: Vec<RoleAssignment>,
}

/// One role of a key, scoped to an organization or a project (`CloudAccessRoleAssignment`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    /// The role, such as `ORG_OWNER` or `GROUP_READ_ONLY`.
    pub role_name: String,
    /// Set for organization roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// Set for project roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
}

/// Body of `createOrgApiKey` (`CreateAtlasOrganizationApiKey`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateApiKey {
    /// The description, 1 to 250 characters.
    pub desc: String,
    /// Organization roles (`ORG_*`), at least one.
    pub roles: Vec<String>,
}

/// Body of `updateOrgApiKey` (`UpdateAtlasOrganizationApiKey`); `None` fields are left as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UpdateApiKey {
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// New organization roles; replaces the key's org roles, its project roles are untouched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

impl Client {
    /// Lists every API key of the organization (all pages). Private keys are redacted.
    pub async fn list_api_keys(&self, org_id: &str) -> Result<Vec<ApiKey>, Error> {
        self.collect_pages(|page_num, items_per_page| list_api_keys_request(org_id, page_num, items_per_page))
            .await
    }

    /// Lists one page of the organization's API keys (`page_num` starts at 1).
    pub async fn list_api_keys_page(
        &self,
        org_id: &str,
        page_num: u32,
        items_per_page: u32,
    ) -> Result<Page<ApiKey>, Error> {
        self.send_json(&list_api_keys_request(org_id, page_num, items_per_page)?)
            .await
    }

    /// Creates an organization API key. The response is the only place the full private key
    /// ever appears. Not retried once it may have reached Atlas; on an error for which
    /// [`Error::may_have_been_processed`] is true, look for the key before creating another.
    pub async fn create_api_key(&self, org_id: &str, request: &CreateApiKey) -> Result<ApiKey, Error> {
        self.send_json(&create_api_key_request(org_id, request)?).await
    }

    /// Reads one key. Errors on a missing key; use [`Client::get_api_key_opt`] to treat that as absence.
    pub async fn get_api_key(&self, org_id: &str, api_key_id: &str) -> Result<ApiKey, Error> {
        self.send_json(&get_api_key_request(org_id, api_key_id)?).await
    }

    /// Reads one key; `Ok(None)` only for a genuine not-found ([`Error::is_not_found`]).
    pub async fn get_api_key_opt(&self, org_id: &str, api_key_id: &str) -> Result<Option<ApiKey>, Error> {
        self.get_api_key(org_id, api_key_id).await.or_absent()
    }

    /// Changes a key's description and/or organization roles.
    pub async fn update_api_key(
        &self,
        org_id: &str,
        api_key_id: &str,
        request: &UpdateApiKey,
    ) -> Result<ApiKey, Error> {
        self.send_json(&update_api_key_request(org_id, api_key_id, request)?)
            .await
    }

    /// Deletes a key (also from every project). Errors on a missing key; check
    /// [`Error::is_not_found`] to treat that as success.
    pub async fn delete_api_key(&self, org_id: &str, api_key_id: &str) -> Result<(), Error> {
        self.send_no_content(&delete_api_key_request(org_id, api_key_id)?).await
    }
}

fn keys_path(org_id: &str) -> Result<String, Error> {
    Ok(format!("/api/atlas/v2/orgs/{}/apiKeys", segment(org_id, "org id")?))
}

fn key_path(org_id: &str, api_key_id: &str) -> Result<String, Error> {
    Ok(format!("{}/{}", keys_path(org_id)?, segment(api_key_id, "api key id")?))
}

fn list_api_keys_request(org_id: &str, page_num: u32, items_per_page: u32) -> Result<Request, Error> {
    Ok(Request::new(Method::GET, MEDIA_2023_01_01, keys_path(org_id)?).page(page_num, items_per_page))
}

fn create_api_key_request(org_id: &str, body: &CreateApiKey) -> Result<Request, Error> {
    Request::new(Method::POST, MEDIA_2023_01_01, keys_path(org_id)?).json(body)
}

fn get_api_key_request(org_id: &str, api_key_id: &str) -> Result<Request, Error> {
    Ok(Request::new(
        Method::GET,
        MEDIA_2023_01_01,
        key_path(org_id, api_key_id)?,
    ))
}

fn update_api_key_request(org_id: &str, api_key_id: &str, body: &UpdateApiKey) -> Result<Request, Error> {
    Request::new(Method::PATCH, MEDIA_2023_01_01, key_path(org_id, api_key_id)?).json(body)
}

fn delete_api_key_request(org_id: &str, api_key_id: &str) -> Result<Request, Error> {
    Ok(Request::new(
        Method::DELETE,
        MEDIA_2023_01_01,
        key_path(org_id, api_key_id)?,
    ))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;
    use serde_json::json;

    use super::*;
    use crate::atlas::testing::fixture;

    const ORG: &str = "32b6e34b3d91647abb20e7b9";
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
        let keys = format!("/api/atlas/v2/orgs/{ORG}/apiKeys");
        let key = format!("{keys}/{KEY}");
        check(
            list_api_keys_request(ORG, 3, 100),
            Method::GET,
            &keys,
            &[("pageNum", "3"), ("itemsPerPage", "100")],
            json!(null),
        );
        let create = CreateApiKey {
            desc: "ci".into(),
            roles: vec!["ORG_MEMBER".into()],
        };
        check(
            create_api_key_request(ORG, &create),
            Method::POST,
            &keys,
            &[],
            json!({"desc": "ci", "roles": ["ORG_MEMBER"]}),
        );
        check(get_api_key_request(ORG, KEY), Method::GET, &key, &[], json!(null));
        let rename = UpdateApiKey {
            desc: Some("renamed".into()),
            roles: None,
        };
        check(
            update_api_key_request(ORG, KEY, &rename),
            Method::PATCH,
            &key,
            &[],
            json!({"desc": "renamed"}),
        );
        let both = UpdateApiKey {
            desc: Some("d".into()),
            roles: Some(vec!["ORG_OWNER".into()]),
        };
        check(
            update_api_key_request(ORG, KEY, &both),
            Method::PATCH,
            &key,
            &[],
            json!({"desc": "d", "roles": ["ORG_OWNER"]}),
        );
        check(delete_api_key_request(ORG, KEY), Method::DELETE, &key, &[], json!(null));
    }

    #[test]
    fn ids_cannot_escape_their_path_segment() {
        check(
            get_api_key_request(ORG, "../../groups/x"),
            Method::GET,
            &format!("/api/atlas/v2/orgs/{ORG}/apiKeys/..%2F..%2Fgroups%2Fx"),
            &[],
            json!(null),
        );
        assert!(matches!(delete_api_key_request("", KEY), Err(Error::Request(_))));
        assert!(matches!(delete_api_key_request(ORG, ".."), Err(Error::Request(_))));
    }

    #[test]
    fn decodes_key_with_mixed_org_and_group_roles() {
        let key: ApiKey =
            serde_json::from_slice(&fixture("api-key-user-details.json")).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(key.id, KEY);
        assert_eq!(key.desc.as_deref(), Some("Terraform key for the payments team"));
        assert_eq!(key.public_key.as_deref(), Some("zmmrboas"));
        assert_eq!(
            key.private_key.as_ref().map(|secret| secret.expose_secret()),
            Some("********-****-****-c4e26334754f")
        );
        assert_eq!(
            key.roles,
            vec![
                RoleAssignment {
                    role_name: "ORG_MEMBER".into(),
                    org_id: Some(ORG.into()),
                    group_id: None
                },
                RoleAssignment {
                    role_name: "GROUP_READ_ONLY".into(),
                    org_id: None,
                    group_id: Some("69681d39c9e8cfd375386316".into())
                },
                RoleAssignment {
                    role_name: "GROUP_OWNER".into(),
                    org_id: None,
                    group_id: Some("69681d39c9e8cfd375386316".into())
                },
            ]
        );
    }

    #[test]
    fn created_key_keeps_private_key_but_debug_hides_it() {
        let key: ApiKey =
            serde_json::from_slice(&fixture("api-key-created.json")).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            key.private_key.as_ref().map(|secret| secret.expose_secret()),
            Some("55c3bbb6-b4bb-0be1-e66d20841f3e")
        );
        let debug = format!("{key:?}");
        assert!(!debug.contains("55c3bbb6"), "{debug}");
        assert!(debug.contains("zmmrboas"));
    }

    #[test]
    fn decodes_a_page_and_a_sparse_key() {
        let page: Page<ApiKey> =
            serde_json::from_slice(&fixture("api-keys-page.json")).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(page.total_count, Some(1));
        assert_eq!(page.results.len(), 1);
        let sparse: ApiKey =
            serde_json::from_value(json!({"id": KEY, "roles": null})).unwrap_or_else(|err| panic!("{err}"));
        assert!(sparse.roles.is_empty() && sparse.desc.is_none() && sparse.private_key.is_none());
    }
}
