//! AI model (Voyage AI) rate limits: models and calls.
//!
//! Atlas (tag "AI Model Rate Limits", media type `application/vnd.atlas.2025-03-12+json`):
//! - one model group of a project:
//!   `/api/atlas/v2/groups/{groupId}/aiModelApiClouds/{cloud}/geographies/{geography}/modelGroupNames/{modelGroupName}/rateLimits`
//!   (GET `getGroupAiModelApiCloudGeographyModelGroupNameRateLimits`, PATCH
//!   `updateGroupAiModelApiCloudGeographyModelGroupNameRateLimits`) and the same path with
//!   `:reset` (POST `resetGroupAiModelApiCloudGeographyModelGroupNameRateLimits`);
//! - every model group of a project: `/api/atlas/v2/groups/{groupId}/aiModelApiRateLimits`
//!   (GET `getGroupAiModelApiRateLimits`, paged without `includeCount`) and `…:reset` (POST
//!   `resetGroupAiModelApiRateLimits`, answering the whole list);
//! - the organization's limits, read-only: `/api/atlas/v2/orgs/{orgId}/aiModelApiClouds/…/rateLimits`
//!   (`getOrgAiModelApiCloudGeographyModelGroupNameRateLimits`) and
//!   `/api/atlas/v2/orgs/{orgId}/aiModelApiRateLimits` (`getOrgAiModelApiRateLimits`).
//!
//! Every model group always has a limit: a project's limit starts at (and resets to) the
//! organization's limit for that group, and a project limit may not exceed it. Limits are
//! positive `int32`s, per minute. `cloud` and `geography` accept only `ANY` in this API version.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::{segment, Client, Request, MEDIA_2025_03_12};
use super::error::{Error, OrAbsent};
use super::pagination::{null_as_empty, Page};

/// The rate limit of one model group (`AiModelRateLimitResponse`). Every field is optional in
/// the contract.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AiModelRateLimit {
    /// Cloud scope, such as `ANY`.
    #[serde(default)]
    pub cloud: Option<String>,
    /// Geography scope, such as `ANY`.
    #[serde(default)]
    pub geography: Option<String>,
    /// The model group, such as `embed_large`.
    #[serde(default)]
    pub model_group_name: Option<String>,
    /// Host name derived from cloud and geography, such as `ai.mongodb.com`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The embedding models in the group (at most 100), in Atlas's order.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub model_names: Vec<String>,
    /// Requests per minute, at least 1.
    #[serde(default)]
    pub requests_per_minute_limit: Option<i64>,
    /// Tokens per minute, at least 1.
    #[serde(default)]
    pub tokens_per_minute_limit: Option<i64>,
}

/// Body of `updateGroupAiModelApiCloudGeographyModelGroupNameRateLimits`
/// (`AiModelsRateLimitUpdateRequest`): both limits are required, each from 1 to the
/// organization's limit for the group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAiModelRateLimit {
    /// Requests per minute.
    pub requests_per_minute_limit: i64,
    /// Tokens per minute.
    pub tokens_per_minute_limit: i64,
}

/// Which model group a limit belongs to: the three path parameters after the project or
/// organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelGroupScope<'a> {
    /// Cloud scope; `ANY` is the only value of this API version.
    pub cloud: &'a str,
    /// Geography scope; `ANY` is the only value of this API version.
    pub geography: &'a str,
    /// The model group, such as `embed_large`.
    pub model_group_name: &'a str,
}

impl Client {
    /// Reads the project's limit of one model group. Errors on a missing project or an unknown
    /// group (404); use [`Client::get_ai_model_rate_limit_opt`] to treat that as absence.
    pub async fn get_ai_model_rate_limit(
        &self,
        group_id: &str,
        scope: ModelGroupScope<'_>,
    ) -> Result<AiModelRateLimit, Error> {
        self.send_json(&get_ai_model_rate_limit_request(group_id, scope)?).await
    }

    /// Reads the project's limit of one model group; `Ok(None)` only for a genuine not-found
    /// (the project or the model group does not exist).
    pub async fn get_ai_model_rate_limit_opt(
        &self,
        group_id: &str,
        scope: ModelGroupScope<'_>,
    ) -> Result<Option<AiModelRateLimit>, Error> {
        self.get_ai_model_rate_limit(group_id, scope).await.or_absent()
    }

    /// Sets the project's limit of one model group and returns it. Atlas answers 400 with
    /// `badRequestDetail.fields` naming `requestsPerMinuteLimit` or `tokensPerMinuteLimit` when
    /// a value is not positive or above the organization's limit for the group.
    pub async fn update_ai_model_rate_limit(
        &self,
        group_id: &str,
        scope: ModelGroupScope<'_>,
        request: &UpdateAiModelRateLimit,
    ) -> Result<AiModelRateLimit, Error> {
        self.send_json(&update_ai_model_rate_limit_request(group_id, scope, request)?)
            .await
    }

    /// Restores the organization's limit as the project's limit of one model group and returns
    /// it. Resetting twice has the same effect as once, so unlike other POSTs it is retried.
    pub async fn reset_ai_model_rate_limit(
        &self,
        group_id: &str,
        scope: ModelGroupScope<'_>,
    ) -> Result<AiModelRateLimit, Error> {
        self.send_json(&reset_ai_model_rate_limit_request(group_id, scope)?)
            .await
    }

    /// Lists the project's limit of every model group (all pages).
    pub async fn list_ai_model_rate_limits(&self, group_id: &str) -> Result<Vec<AiModelRateLimit>, Error> {
        self.collect_pages(|page_num, items_per_page| {
            list_ai_model_rate_limits_request(group_id, page_num, items_per_page)
        })
        .await
    }

    /// Lists one page of the project's limits (`page_num` starts at 1).
    pub async fn list_ai_model_rate_limits_page(
        &self,
        group_id: &str,
        page_num: u32,
        items_per_page: u32,
    ) -> Result<Page<AiModelRateLimit>, Error> {
        self.send_json(&list_ai_model_rate_limits_request(group_id, page_num, items_per_page)?)
            .await
    }

    /// Restores the organization's limits for every model group of the project and returns
    /// them all (one answer, not paged). Retried like [`Client::reset_ai_model_rate_limit`].
    pub async fn reset_ai_model_rate_limits(&self, group_id: &str) -> Result<Vec<AiModelRateLimit>, Error> {
        let page: Page<AiModelRateLimit> = self.send_json(&reset_ai_model_rate_limits_request(group_id)?).await?;
        Ok(page.results)
    }

    /// Reads the organization's limit of one model group. Errors on a missing organization or
    /// an unknown group (404).
    pub async fn get_org_ai_model_rate_limit(
        &self,
        org_id: &str,
        scope: ModelGroupScope<'_>,
    ) -> Result<AiModelRateLimit, Error> {
        self.send_json(&get_org_ai_model_rate_limit_request(org_id, scope)?)
            .await
    }

    /// Reads the organization's limit of one model group; `Ok(None)` only for a genuine not-found.
    pub async fn get_org_ai_model_rate_limit_opt(
        &self,
        org_id: &str,
        scope: ModelGroupScope<'_>,
    ) -> Result<Option<AiModelRateLimit>, Error> {
        self.get_org_ai_model_rate_limit(org_id, scope).await.or_absent()
    }

    /// Lists the organization's limit of every model group (all pages).
    pub async fn list_org_ai_model_rate_limits(&self, org_id: &str) -> Result<Vec<AiModelRateLimit>, Error> {
        self.collect_pages(|page_num, items_per_page| {
            list_org_ai_model_rate_limits_request(org_id, page_num, items_per_page)
        })
        .await
    }

    /// Lists one page of the organization's limits (`page_num` starts at 1).
    pub async fn list_org_ai_model_rate_limits_page(
        &self,
        org_id: &str,
        page_num: u32,
        items_per_page: u32,
    ) -> Result<Page<AiModelRateLimit>, Error> {
        self.send_json(&list_org_ai_model_rate_limits_request(
            org_id,
            page_num,
            items_per_page,
        )?)
        .await
    }
}

/// `/api/atlas/v2/{owner}/{id}/aiModelApiClouds/{cloud}/geographies/{geography}/modelGroupNames/{name}/rateLimits`.
fn limit_path(owner: &str, id: &str, what: &str, scope: ModelGroupScope<'_>) -> Result<String, Error> {
    Ok(format!(
        "/api/atlas/v2/{owner}/{}/aiModelApiClouds/{}/geographies/{}/modelGroupNames/{}/rateLimits",
        segment(id, what)?,
        segment(scope.cloud, "cloud")?,
        segment(scope.geography, "geography")?,
        segment(scope.model_group_name, "model group name")?,
    ))
}

fn limits_path(owner: &str, id: &str, what: &str) -> Result<String, Error> {
    Ok(format!(
        "/api/atlas/v2/{owner}/{}/aiModelApiRateLimits",
        segment(id, what)?
    ))
}

fn get_ai_model_rate_limit_request(group_id: &str, scope: ModelGroupScope<'_>) -> Result<Request, Error> {
    Ok(Request::new(
        Method::GET,
        MEDIA_2025_03_12,
        limit_path("groups", group_id, "project id", scope)?,
    ))
}

fn update_ai_model_rate_limit_request(
    group_id: &str,
    scope: ModelGroupScope<'_>,
    body: &UpdateAiModelRateLimit,
) -> Result<Request, Error> {
    Request::new(
        Method::PATCH,
        MEDIA_2025_03_12,
        limit_path("groups", group_id, "project id", scope)?,
    )
    .json(body)
}

fn reset_ai_model_rate_limit_request(group_id: &str, scope: ModelGroupScope<'_>) -> Result<Request, Error> {
    let path = format!("{}:reset", limit_path("groups", group_id, "project id", scope)?);
    Ok(Request::new(Method::POST, MEDIA_2025_03_12, path).idempotent())
}

fn list_ai_model_rate_limits_request(group_id: &str, page_num: u32, items_per_page: u32) -> Result<Request, Error> {
    Ok(Request::new(
        Method::GET,
        MEDIA_2025_03_12,
        limits_path("groups", group_id, "project id")?,
    )
    .page(page_num, items_per_page))
}

fn reset_ai_model_rate_limits_request(group_id: &str) -> Result<Request, Error> {
    let path = format!("{}:reset", limits_path("groups", group_id, "project id")?);
    Ok(Request::new(Method::POST, MEDIA_2025_03_12, path).idempotent())
}

fn get_org_ai_model_rate_limit_request(org_id: &str, scope: ModelGroupScope<'_>) -> Result<Request, Error> {
    Ok(Request::new(
        Method::GET,
        MEDIA_2025_03_12,
        limit_path("orgs", org_id, "org id", scope)?,
    ))
}

fn list_org_ai_model_rate_limits_request(org_id: &str, page_num: u32, items_per_page: u32) -> Result<Request, Error> {
    Ok(
        Request::new(Method::GET, MEDIA_2025_03_12, limits_path("orgs", org_id, "org id")?)
            .page(page_num, items_per_page),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::atlas::testing::fixture;

    const GROUP: &str = "69681d39c9e8cfd375386316";
    const ORG: &str = "32b6e34b3d91647abb20e7b9";
    const SCOPE: ModelGroupScope<'static> = ModelGroupScope {
        cloud: "ANY",
        geography: "ANY",
        model_group_name: "embed_large",
    };

    fn check(
        request: Result<Request, Error>,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: serde_json::Value,
        idempotent: bool,
    ) {
        let request = request.unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(request.method, method, "{path}");
        assert_eq!(request.path, path);
        assert_eq!(request.media_type, "application/vnd.atlas.2025-03-12+json", "{path}");
        let actual_query: Vec<(&str, &str)> = request.query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(actual_query, query, "{path}");
        assert_eq!(request.body_json(), body, "{path}");
        assert_eq!(request.is_idempotent(), idempotent, "{path}");
    }

    #[test]
    fn requests() {
        let limit = format!(
            "/api/atlas/v2/groups/{GROUP}/aiModelApiClouds/ANY/geographies/ANY/modelGroupNames/embed_large/rateLimits"
        );
        let limits = format!("/api/atlas/v2/groups/{GROUP}/aiModelApiRateLimits");
        let none: &[(&str, &str)] = &[];
        check(
            get_ai_model_rate_limit_request(GROUP, SCOPE),
            Method::GET,
            &limit,
            none,
            json!(null),
            true,
        );
        let update = UpdateAiModelRateLimit {
            requests_per_minute_limit: 2000,
            tokens_per_minute_limit: 3_000_000,
        };
        check(
            update_ai_model_rate_limit_request(GROUP, SCOPE, &update),
            Method::PATCH,
            &limit,
            none,
            json!({"requestsPerMinuteLimit": 2000, "tokensPerMinuteLimit": 3_000_000}),
            true,
        );
        check(
            reset_ai_model_rate_limit_request(GROUP, SCOPE),
            Method::POST,
            &format!("{limit}:reset"),
            none,
            json!(null),
            true,
        );
        check(
            list_ai_model_rate_limits_request(GROUP, 2, 100),
            Method::GET,
            &limits,
            &[("pageNum", "2"), ("itemsPerPage", "100")],
            json!(null),
            true,
        );
        check(
            reset_ai_model_rate_limits_request(GROUP),
            Method::POST,
            &format!("{limits}:reset"),
            none,
            json!(null),
            true,
        );
        check(
            get_org_ai_model_rate_limit_request(ORG, SCOPE),
            Method::GET,
            &format!(
                "/api/atlas/v2/orgs/{ORG}/aiModelApiClouds/ANY/geographies/ANY/modelGroupNames/embed_large/rateLimits"
            ),
            none,
            json!(null),
            true,
        );
        check(
            list_org_ai_model_rate_limits_request(ORG, 1, 50),
            Method::GET,
            &format!("/api/atlas/v2/orgs/{ORG}/aiModelApiRateLimits"),
            &[("pageNum", "1"), ("itemsPerPage", "50")],
            json!(null),
            true,
        );
    }

    #[test]
    fn path_parameters_are_one_segment_each() {
        let scope = ModelGroupScope {
            cloud: "ANY",
            geography: "ANY",
            model_group_name: "a/b:reset",
        };
        let request = get_ai_model_rate_limit_request(GROUP, scope).unwrap_or_else(|err| panic!("{err}"));
        assert!(
            request.path.ends_with("/modelGroupNames/a%2Fb%3Areset/rateLimits"),
            "{}",
            request.path
        );
        let empty = ModelGroupScope {
            model_group_name: "",
            ..SCOPE
        };
        assert!(matches!(
            get_ai_model_rate_limit_request(GROUP, empty),
            Err(Error::Request(_))
        ));
    }

    #[test]
    fn decodes_a_limit_and_a_page() {
        let limit: AiModelRateLimit =
            serde_json::from_slice(&fixture("ai-model-rate-limit.json")).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(limit.model_group_name.as_deref(), Some("embed_large"));
        assert_eq!(limit.cloud.as_deref(), Some("ANY"));
        assert_eq!(limit.geography.as_deref(), Some("ANY"));
        assert_eq!(limit.endpoint.as_deref(), Some("ai.mongodb.com"));
        assert_eq!(limit.requests_per_minute_limit, Some(2000));
        assert_eq!(limit.tokens_per_minute_limit, Some(3_000_000));
        assert_eq!(limit.model_names, vec!["voyage-3-large".to_string()]);
        let page: Page<AiModelRateLimit> =
            serde_json::from_slice(&fixture("ai-model-rate-limits-page.json")).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(page.total_count, Some(1));
        assert_eq!(page.results, vec![limit]);
    }

    #[test]
    fn absent_or_null_model_names_read_as_empty() {
        for body in [json!({}), json!({"modelNames": null})] {
            let limit: AiModelRateLimit = serde_json::from_value(body).unwrap_or_else(|err| panic!("{err}"));
            assert!(limit.model_names.is_empty());
            assert_eq!(limit.requests_per_minute_limit, None);
        }
    }
}
