//! `mongodbatlas_ai_model_rate_limit(s)` and `mongodbatlas_ai_model_org_rate_limit(s)` data
//! sources: Voyage AI rate limits of a project or of an organization, for one model group or
//! for all of them (every page, unless `page_num` or `items_per_page` names one).
//!
//! Atlas: `GET /groups/{groupId}/aiModelApiClouds/{cloud}/geographies/{geography}/modelGroupNames/{modelGroupName}/rateLimits`,
//! `GET /groups/{groupId}/aiModelApiRateLimits`, and the same two under `/orgs/{orgId}`. The
//! project's two read the project's listing that every read of the process shares (see
//! [`listings`]; the one group gets its own GET when the listing lacks it), unless `page_num`
//! or `items_per_page` ask for one page.
//! `cloud` and `geography` default to `ANY`, the only value of this API version. An unknown
//! model group is an error on `model_group_name`, not an empty result.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::{
    attribute, nested, one_of, string, Attribute, Cx, DataSource, Diagnostic, Diagnostics, Nesting, Schema,
};
use crate::provider::data_sources::{all_or_one_page, paging_attributes};
use crate::provider::errors::OrDiagnose;
use crate::provider::resources::ai_model_rate_limit::SCOPES;
use crate::provider::{listings, validators};
use crate::value::{AttributePath, Quoted, Type};

/// One model group's limit in a project.
pub struct AiModelRateLimitData;

/// Every model group's limit in a project.
pub struct AiModelRateLimitsData;

/// One model group's limit in an organization.
pub struct AiModelOrgRateLimitData;

/// Every model group's limit in an organization.
pub struct AiModelOrgRateLimitsData;

/// `mongodbatlas_ai_model_rate_limit`.
#[derive(Debug, Serialize, Deserialize)]
pub struct AiModelRateLimitDataState {
    project_id: String,
    cloud: Option<String>,
    geography: Option<String>,
    model_group_name: String,
    requests_per_minute_limit: Option<i64>,
    tokens_per_minute_limit: Option<i64>,
    endpoint: Option<String>,
    model_names: Option<Vec<String>>,
}

/// `mongodbatlas_ai_model_org_rate_limit`.
#[derive(Debug, Serialize, Deserialize)]
pub struct AiModelOrgRateLimitDataState {
    org_id: String,
    cloud: Option<String>,
    geography: Option<String>,
    model_group_name: String,
    requests_per_minute_limit: Option<i64>,
    tokens_per_minute_limit: Option<i64>,
    endpoint: Option<String>,
    model_names: Option<Vec<String>>,
}

/// `mongodbatlas_ai_model_rate_limits`.
#[derive(Debug, Serialize, Deserialize)]
pub struct AiModelRateLimitsDataState {
    project_id: String,
    page_num: Option<u32>,
    items_per_page: Option<u32>,
    results: Option<Vec<RateLimitResult>>,
}

/// `mongodbatlas_ai_model_org_rate_limits`.
#[derive(Debug, Serialize, Deserialize)]
pub struct AiModelOrgRateLimitsDataState {
    org_id: String,
    page_num: Option<u32>,
    items_per_page: Option<u32>,
    results: Option<Vec<RateLimitResult>>,
}

/// One element of `results`.
#[derive(Debug, Serialize, Deserialize)]
pub struct RateLimitResult {
    cloud: Option<String>,
    geography: Option<String>,
    model_group_name: Option<String>,
    requests_per_minute_limit: Option<i64>,
    tokens_per_minute_limit: Option<i64>,
    endpoint: Option<String>,
    model_names: Option<Vec<String>>,
}

const PROJECT_ERROR_ATTRS: &[(&str, &str)] = &[
    ("GROUP_NOT_FOUND", "project_id"),
    ("INVALID_GROUP_ID", "project_id"),
    ("INVALID_ENUM_VALUE", "cloud"),
];

const ORG_ERROR_ATTRS: &[(&str, &str)] = &[
    ("ORG_NOT_FOUND", "org_id"),
    ("INVALID_ORG_ID", "org_id"),
    ("INVALID_ENUM_VALUE", "cloud"),
];

const ANY: &str = "ANY";

fn project_id() -> Attribute {
    string("project_id")
        .required()
        .validate(validators::object_id())
        .doc("Unique 24-hexadecimal digit string that identifies your project.")
}

fn org_id() -> Attribute {
    string("org_id")
        .required()
        .validate(validators::object_id())
        .doc("Unique 24-hexadecimal digit string that identifies your organization.")
}

/// `cloud`, `geography` and `model_group_name` as the singular data sources take them.
fn scope_attributes() -> [Attribute; 3] {
    [
        string("cloud")
            .optional()
            .computed()
            .validate(one_of(SCOPES))
            .doc("Cloud provider scope of the limit; `ANY` (the default and the only value Atlas accepts today)."),
        string("geography")
            .optional()
            .computed()
            .validate(one_of(SCOPES))
            .doc("Geography scope of the limit; `ANY` (the default and the only value Atlas accepts today)."),
        string("model_group_name")
            .required()
            .validate(validators::model_group_name())
            .doc("The model group, such as `embed_large`."),
    ]
}

/// The attributes Atlas reports for a limit besides its scope.
fn limit_attributes(owner: &str) -> [Attribute; 4] {
    [
        attribute("requests_per_minute_limit", Type::Number)
            .computed()
            .doc(&format!(
                "Requests per minute allowed for the model group in the {owner}."
            )),
        attribute("tokens_per_minute_limit", Type::Number)
            .computed()
            .doc(&format!(
                "Tokens per minute allowed for the model group in the {owner}."
            )),
        string("endpoint")
            .computed()
            .doc("Host name of the service endpoint for this cloud and geography, such as `ai.mongodb.com`."),
        attribute("model_names", Type::List(Box::new(Type::String)))
            .computed()
            .doc("The embedding models in the model group."),
    ]
}

/// `results` of the plural data sources.
fn results(owner: &str) -> Attribute {
    let mut fields = vec![
        string("cloud").computed().doc("Cloud provider scope of the limit."),
        string("geography").computed().doc("Geography scope of the limit."),
        string("model_group_name").computed().doc("The model group."),
    ];
    fields.extend(limit_attributes(owner));
    nested("results", Nesting::List, fields)
        .computed()
        .doc("The limit of every model group, in Atlas's order, each with the attributes of the singular data source.")
}

fn result(limit: atlas::AiModelRateLimit) -> RateLimitResult {
    RateLimitResult {
        cloud: limit.cloud,
        geography: limit.geography,
        model_group_name: limit.model_group_name,
        requests_per_minute_limit: limit.requests_per_minute_limit,
        tokens_per_minute_limit: limit.tokens_per_minute_limit,
        endpoint: limit.endpoint,
        model_names: Some(limit.model_names),
    }
}

/// The error for a model group Atlas does not know in `owner`.
fn unknown_group(model_group_name: &str, owner: &str, plural: &str) -> Diagnostic {
    Diagnostic::error(
        "AI model rate limit not found",
        format!(
            "Atlas has no model group {} in {owner}. The {plural} data source lists the model groups.",
            Quoted(model_group_name)
        ),
    )
    .at(AttributePath::attr("model_group_name"))
}

#[async_trait]
impl DataSource for AiModelRateLimitData {
    type Client = atlas::Client;
    type State = AiModelRateLimitDataState;
    const NAME: &'static str = "ai_model_rate_limit";

    fn schema() -> Schema {
        Schema::new("The Voyage AI rate limit of one model group in a project.")
            .attributes([project_id()])
            .attributes(scope_attributes())
            .attributes(limit_attributes("project"))
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        config: AiModelRateLimitDataState,
    ) -> Result<AiModelRateLimitDataState, Diagnostics> {
        let cloud = config.cloud.clone().unwrap_or_else(|| ANY.to_string());
        let geography = config.geography.clone().unwrap_or_else(|| ANY.to_string());
        let scope = atlas::ModelGroupScope {
            cloud: &cloud,
            geography: &geography,
            model_group_name: &config.model_group_name,
        };
        let listed = listings::listed_ai_model_rate_limit(&cx.client, &config.project_id, scope).await;
        let fetched = match listed {
            Ok(Some(limit)) => Ok(limit),
            Ok(None) => cx.client.get_ai_model_rate_limit(&config.project_id, scope).await,
            Err(refused) => Err(refused),
        };
        let limit = fetched.map_err(|err| match err.error_code() {
            Some("RESOURCE_NOT_FOUND") => unknown_group(
                &config.model_group_name,
                &format!("project {}", Quoted(&config.project_id)),
                "mongodbatlas_ai_model_rate_limits",
            ),
            _ => crate::provider::errors::diagnose(&err, "Could not read AI model rate limit", PROJECT_ERROR_ATTRS),
        })?;
        Ok(AiModelRateLimitDataState {
            project_id: config.project_id,
            cloud: limit.cloud.or(Some(cloud)),
            geography: limit.geography.or(Some(geography)),
            model_group_name: limit.model_group_name.unwrap_or(config.model_group_name),
            requests_per_minute_limit: limit.requests_per_minute_limit,
            tokens_per_minute_limit: limit.tokens_per_minute_limit,
            endpoint: limit.endpoint,
            model_names: Some(limit.model_names),
        })
    }
}

#[async_trait]
impl DataSource for AiModelOrgRateLimitData {
    type Client = atlas::Client;
    type State = AiModelOrgRateLimitDataState;
    const NAME: &'static str = "ai_model_org_rate_limit";

    fn schema() -> Schema {
        Schema::new(
            "The Voyage AI rate limit of one model group in an organization: the most any of its projects may allow, \
             and the limit of every project that sets none.",
        )
        .attributes([org_id()])
        .attributes(scope_attributes())
        .attributes(limit_attributes("organization"))
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        config: AiModelOrgRateLimitDataState,
    ) -> Result<AiModelOrgRateLimitDataState, Diagnostics> {
        let cloud = config.cloud.clone().unwrap_or_else(|| ANY.to_string());
        let geography = config.geography.clone().unwrap_or_else(|| ANY.to_string());
        let scope = atlas::ModelGroupScope {
            cloud: &cloud,
            geography: &geography,
            model_group_name: &config.model_group_name,
        };
        let limit = cx
            .client
            .get_org_ai_model_rate_limit(&config.org_id, scope)
            .await
            .map_err(|err| match err.error_code() {
                Some("RESOURCE_NOT_FOUND") => unknown_group(
                    &config.model_group_name,
                    &format!("organization {}", Quoted(&config.org_id)),
                    "mongodbatlas_ai_model_org_rate_limits",
                ),
                _ => crate::provider::errors::diagnose(&err, "Could not read AI model rate limit", ORG_ERROR_ATTRS),
            })?;
        Ok(AiModelOrgRateLimitDataState {
            org_id: config.org_id,
            cloud: limit.cloud.or(Some(cloud)),
            geography: limit.geography.or(Some(geography)),
            model_group_name: limit.model_group_name.unwrap_or(config.model_group_name),
            requests_per_minute_limit: limit.requests_per_minute_limit,
            tokens_per_minute_limit: limit.tokens_per_minute_limit,
            endpoint: limit.endpoint,
            model_names: Some(limit.model_names),
        })
    }
}

#[async_trait]
impl DataSource for AiModelRateLimitsData {
    type Client = atlas::Client;
    type State = AiModelRateLimitsDataState;
    const NAME: &'static str = "ai_model_rate_limits";

    fn schema() -> Schema {
        Schema::new("The Voyage AI rate limit of every model group in a project, read across all pages (or one page, with `page_num` or `items_per_page`).")
            .attributes([project_id(), results("project")])
            .attributes(paging_attributes())
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        config: AiModelRateLimitsDataState,
    ) -> Result<AiModelRateLimitsDataState, Diagnostics> {
        let limits = all_or_one_page(
            config.page_num,
            config.items_per_page,
            listings::ai_model_rate_limits(&cx.client, &config.project_id),
            |page, size| cx.client.list_ai_model_rate_limits_page(&config.project_id, page, size),
        )
        .await
        .or_diagnose("Could not list AI model rate limits", PROJECT_ERROR_ATTRS)?;
        Ok(AiModelRateLimitsDataState {
            results: Some(limits.into_iter().map(result).collect()),
            ..config
        })
    }
}

#[async_trait]
impl DataSource for AiModelOrgRateLimitsData {
    type Client = atlas::Client;
    type State = AiModelOrgRateLimitsDataState;
    const NAME: &'static str = "ai_model_org_rate_limits";

    fn schema() -> Schema {
        Schema::new("The Voyage AI rate limit of every model group in an organization, read across all pages (or one page, with `page_num` or `items_per_page`).")
            .attributes([org_id(), results("organization")])
            .attributes(paging_attributes())
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        config: AiModelOrgRateLimitsDataState,
    ) -> Result<AiModelOrgRateLimitsDataState, Diagnostics> {
        let limits = all_or_one_page(
            config.page_num,
            config.items_per_page,
            cx.client.list_org_ai_model_rate_limits(&config.org_id),
            |page, size| cx.client.list_org_ai_model_rate_limits_page(&config.org_id, page, size),
        )
        .await
        .or_diagnose("Could not list AI model rate limits", ORG_ERROR_ATTRS)?;
        Ok(AiModelOrgRateLimitsDataState {
            results: Some(limits.into_iter().map(result).collect()),
            ..config
        })
    }
}
