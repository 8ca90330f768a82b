//! AI model (Voyage AI) API keys: models and calls.
//!
//! Atlas: `/api/atlas/v2/groups/{groupId}/aiModelApiKeys[/{apiKeyId}]` (GET list, POST, GET,
//! PATCH, DELETE) and the read-only `/api/atlas/v2/orgs/{orgId}/aiModelApiKeys[/{apiKeyId}]`,
//! media type `application/vnd.atlas.2025-03-12+json`.
//! - Create answers **201** and is the only response with `secret`; `maskedSecret` is always there.
//! - Only `name` can change; `cloud` and `geography` (currently only `ANY`) are fixed at creation.
//! - `apiKeyId` is not a 24-hex ObjectId (for example `a86r5kwrfsk5r5ku5tgvhmpj`).
//! - `lastUsedAt` is null until the key is used.

use reqwest::Method;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::client::{segment, Client, Request, MEDIA_2025_03_12};
use super::error::{Error, OrAbsent};
use super::pagination::Page;

/// An AI model API key (`AiModelApiKeyResponse`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AiModelApiKey {
    /// The key's id, used in paths.
    pub api_key_id: String,
    /// The name, 1 to 250 characters.
    pub name: String,
    /// Cloud scope, such as `ANY`.
    #[serde(default)]
    pub cloud: Option<String>,
    /// Geography scope, such as `ANY`.
    #[serde(default)]
    pub geography: Option<String>,
    /// Hostname the key works against, such as `ai.mongodb.com`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The owning project.
    #[serde(default)]
    pub group_id: Option<String>,
    /// Creation time, ISO 8601 with offset.
    #[serde(default)]
    pub created_at: Option<String>,
    /// User name or id of the creator.
    #[serde(default)]
    pub created_by: Option<String>,
    /// Last use, ISO 8601; `None` until first use.
    #[serde(default)]
    pub last_used_at: Option<String>,
    /// Status, such as `ACTIVE` (open set).
    #[serde(default)]
    pub status: Option<String>,
    /// The secret with all but its prefix and last 4 characters hidden, such as `al-****odu2`.
    #[serde(default)]
    pub masked_secret: Option<String>,
    /// The full secret; only in the create response. Debug hides it.
    #[serde(default)]
    pub secret: Option<SecretString>,
}

/// Body of `createGroupAiModelApiKey` (`AiModelApiKeyCreateRequest`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateAiModelApiKey {
    /// The name, 1 to 250 characters.
    pub name: String,
    /// Cloud scope; Atlas accepts only `ANY` today.
    pub cloud: String,
    /// Geography scope; Atlas accepts only `ANY` today.
    pub geography: String,
}

/// Body of `updateGroupAiModelApiKey` (`AiModelApiKeyUpdateRequest`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpdateAiModelApiKey {
    /// The new name.
    pub name: String,
}

impl Client {
    /// Lists every AI model key of the project (all pages). No secrets.
    pub async fn list_ai_model_api_keys(&self, group_id: &str) -> Result<Vec<AiModelApiKey>, Error> {
        self.collect_pages(|page_num, items_per_page| {
            list_ai_model_api_keys_request(group_id, page_num, items_per_page)
        })
        .await
    }

    /// Lists one page of the project's AI model keys (`page_num` starts at 1).
    pub async fn list_ai_model_api_keys_page(
        &self,
        group_id: &str,
        page_num: u32,
        items_per_page: u32,
    ) -> Result<Page<AiModelApiKey>, Error> {
        self.send_json(&list_ai_model_api_keys_request(group_id, page_num, items_per_page)?)
            .await
    }

    /// Creates an AI model key; the response is the only one carrying `secret`. Not retried
    /// once it may have reached Atlas (see [`Error::may_have_been_processed`]).
    pub async fn create_ai_model_api_key(
        &self,
        group_id: &str,
        request: &CreateAiModelApiKey,
    ) -> Result<AiModelApiKey, Error> {
        self.send_json(&create_ai_model_api_key_request(group_id, request)?)
            .await
    }

    /// Reads one key. Errors on a missing key; use [`Client::get_ai_model_api_key_opt`] to treat
    /// that as absence.
    pub async fn get_ai_model_api_key(&self, group_id: &str, api_key_id: &str) -> Result<AiModelApiKey, Error> {
        self.send_json(&get_ai_model_api_key_request(group_id, api_key_id)?)
            .await
    }

    /// Reads one key; `Ok(None)` only for a genuine not-found ([`Error::is_not_found`]), never
    /// for other failures (unlike the official provider, which drops state on any error).
    pub async fn get_ai_model_api_key_opt(
        &self,
        group_id: &str,
        api_key_id: &str,
    ) -> Result<Option<AiModelApiKey>, Error> {
        self.get_ai_model_api_key(group_id, api_key_id).await.or_absent()
    }

    /// Renames a key.
    pub async fn update_ai_model_api_key(
        &self,
        group_id: &str,
        api_key_id: &str,
        request: &UpdateAiModelApiKey,
    ) -> Result<AiModelApiKey, Error> {
        self.send_json(&update_ai_model_api_key_request(group_id, api_key_id, request)?)
            .await
    }

    /// Deletes a key. Errors on a missing key; check [`Error::is_not_found`] to treat that as success.
    pub async fn delete_ai_model_api_key(&self, group_id: &str, api_key_id: &str) -> Result<(), Error> {
        self.send_no_content(&delete_ai_model_api_key_request(group_id, api_key_id)?)
            .await
    }

    /// Lists every AI model key across the organization's projects (all pages).
    pub async fn list_org_ai_model_api_keys(&self, org_id: &str) -> Result<Vec<AiModelApiKey>, Error> {
        self.collect_pages(|page_num, items_per_page| {
            list_org_ai_model_api_keys_request(org_id, page_num, items_per_page)
        })
        .await
    }

    /// Lists one page of the organization's AI model keys (`page_num` starts at 1).
    pub async fn list_org_ai_model_api_keys_page(
        &self,
        org_id: &str,
        page_num: u32,
        items_per_page: u32,
    ) -> Result<Page<AiModelApiKey>, Error> {
        self.send_json(&list_org_ai_model_api_keys_request(org_id, page_num, items_per_page)?)
            .await
    }

    /// Reads one AI model key through its organization. Errors on a missing key.
    pub async fn get_org_ai_model_api_key(&self, org_id: &str, api_key_id: &str) -> Result<AiModelApiKey, Error> {
        self.send_json(&get_org_ai_model_api_key_request(org_id, api_key_id)?)
            .await
    }
}

fn keys_path(group_id: &str) -> Result<String, Error> {
    Ok(format!(
        "/api/atlas/v2/groups/{}/aiModelApiKeys",
        segment(group_id, "project id")?
    ))
}

fn key_path(group_id: &str, api_key_id: &str) -> Result<String, Error> {
    Ok(format!(
        "{}/{}",
        keys_path(group_id)?,
        segment(api_key_id, "ai model api key id")?
    ))
}

fn org_keys_path(org_id: &str) -> Result<String, Error> {
    Ok(format!(
        "/api/atlas/v2/orgs/{}/aiModelApiKeys",
        segment(org_id, "org id")?
    ))
}

fn list_ai_model_api_keys_request(group_id: &str, page_num: u32, items_per_page: u32) -> Result<Request, Error> {
    Ok(Request::new(Method::GET, MEDIA_2025_03_12, keys_path(group_id)?).page(page_num, items_per_page))
}

fn create_ai_model_api_key_request(group_id: &str, body: &CreateAiModelApiKey) -> Result<Request, Error> {
    Request::new(Method::POST, MEDIA_2025_03_12, keys_path(group_id)?).json(body)
}

fn get_ai_model_api_key_request(group_id: &str, api_key_id: &str) -> Result<Request, Error> {
    Ok(Request::new(
        Method::GET,
        MEDIA_2025_03_12,
        key_path(group_id, api_key_id)?,
    ))
}

fn update_ai_model_api_key_request(
    group_id: &str,
    api_key_id: &str,
    body: &UpdateAiModelApiKey,
) -> Result<Request, Error> {
    Request::new(Method::PATCH, MEDIA_2025_03_12, key_path(group_id, api_key_id)?).json(body)
}

fn delete_ai_model_api_key_request(group_id: &str, api_key_id: &str) -> Result<Request, Error> {
    Ok(Request::new(
        Method::DELETE,
        MEDIA_2025_03_12,
        key_path(group_id, api_key_id)?,
    ))
}

fn list_org_ai_model_api_keys_request(org_id: &str, page_num: u32, items_per_page: u32) -> Result<Request, Error> {
    Ok(Request::new(Method::GET, MEDIA_2025_03_12, org_keys_path(org_id)?).page(page_num, items_per_page))
}

fn get_org_ai_model_api_key_request(org_id: &str, api_key_id: &str) -> Result<Request, Error> {
    let path = format!(
        "{}/{}",
        org_keys_path(org_id)?,
        segment(api_key_id, "ai model api key id")?
    );
    Ok(Request::new(Method::GET, MEDIA_2025_03_12, path))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;
    use serde_json::json;

    use super::*;
    use crate::atlas::testing::fixture;

    const GROUP: &str = "69681d39c9e8cfd375386316";
    const ORG: &str = "32b6e34b3d91647abb20e7b9";
    const KEY: &str = "a86r5kwrfsk5r5ku5tgvhmpj";

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
        assert_eq!(request.media_type, "application/vnd.atlas.2025-03-12+json", "{path}");
        let actual_query: Vec<(&str, &str)> = request.query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(actual_query, query, "{path}");
        assert_eq!(request.body_json(), body, "{path}");
    }

    #[test]
    fn requests() {
        let keys = format!("/api/atlas/v2/groups/{GROUP}/aiModelApiKeys");
        let key = format!("{keys}/{KEY}");
        check(
            list_ai_model_api_keys_request(GROUP, 2, 100),
            Method::GET,
            &keys,
            &[("pageNum", "2"), ("itemsPerPage", "100")],
            json!(null),
        );
        let create = CreateAiModelApiKey {
            name: "Production key".into(),
            cloud: "ANY".into(),
            geography: "ANY".into(),
        };
        check(
            create_ai_model_api_key_request(GROUP, &create),
            Method::POST,
            &keys,
            &[],
            json!({"name": "Production key", "cloud": "ANY", "geography": "ANY"}),
        );
        check(
            get_ai_model_api_key_request(GROUP, KEY),
            Method::GET,
            &key,
            &[],
            json!(null),
        );
        let rename = UpdateAiModelApiKey { name: "renamed".into() };
        check(
            update_ai_model_api_key_request(GROUP, KEY, &rename),
            Method::PATCH,
            &key,
            &[],
            json!({"name": "renamed"}),
        );
        check(
            delete_ai_model_api_key_request(GROUP, KEY),
            Method::DELETE,
            &key,
            &[],
            json!(null),
        );
        let org_keys = format!("/api/atlas/v2/orgs/{ORG}/aiModelApiKeys");
        check(
            list_org_ai_model_api_keys_request(ORG, 1, 100),
            Method::GET,
            &org_keys,
            &[("pageNum", "1"), ("itemsPerPage", "100")],
            json!(null),
        );
        check(
            get_org_ai_model_api_key_request(ORG, KEY),
            Method::GET,
            &format!("{org_keys}/{KEY}"),
            &[],
            json!(null),
        );
    }

    #[test]
    fn decodes_response_with_null_last_used_and_no_secret() {
        let key: AiModelApiKey =
            serde_json::from_slice(&fixture("ai-model-api-key.json")).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(key.api_key_id, KEY);
        assert_eq!(key.name, "Production key");
        assert_eq!(key.cloud.as_deref(), Some("ANY"));
        assert_eq!(key.geography.as_deref(), Some("ANY"));
        assert_eq!(key.endpoint.as_deref(), Some("ai.mongodb.com"));
        assert_eq!(key.group_id.as_deref(), Some(GROUP));
        assert_eq!(key.created_at.as_deref(), Some("2026-01-15T16:47:49.855000+00:00"));
        assert_eq!(key.created_by.as_deref(), Some("John Doe"));
        assert_eq!(key.last_used_at, None);
        assert_eq!(key.status.as_deref(), Some("ACTIVE"));
        assert_eq!(key.masked_secret.as_deref(), Some("al-****odu2"));
        assert!(key.secret.is_none());
    }

    #[test]
    fn decodes_create_response_secret_and_hides_it_from_debug() {
        let key: AiModelApiKey =
            serde_json::from_slice(&fixture("ai-model-api-key-created.json")).unwrap_or_else(|err| panic!("{err}"));
        let secret = "al-jZsluhPMzPM9CFXepRWwMwvpZDDra6tZMgoAZKdodu2";
        assert_eq!(key.secret.as_ref().map(|s| s.expose_secret()), Some(secret));
        let debug = format!("{key:?}");
        assert!(!debug.contains(secret), "{debug}");
    }

    #[test]
    fn decodes_list_with_null_secret() {
        let page: Page<AiModelApiKey> =
            serde_json::from_slice(&fixture("ai-model-api-keys-page.json")).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(page.total_count, Some(1));
        assert_eq!(page.results.len(), 1);
        assert!(page.results[0].secret.is_none());
        assert_eq!(
            page.results[0].last_used_at.as_deref(),
            Some("2026-01-15T16:47:49.855000+00:00")
        );
    }

    #[test]
    fn empty_object_is_a_decode_error_not_absence() {
        // The official provider reads `{}` as "deleted"; we refuse to guess.
        assert!(serde_json::from_value::<AiModelApiKey>(json!({})).is_err());
    }
}
