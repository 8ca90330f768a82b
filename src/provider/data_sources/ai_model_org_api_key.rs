//! `mongodbatlas_ai_model_org_api_key` and `mongodbatlas_ai_model_org_api_keys` data sources:
//! the AI model API keys of every project of an organization, one by ID or all of them (every
//! page, or the one page `page_num` / `items_per_page` ask for), each with its `project_id`.
//! No `secret`.
//!
//! Atlas: `GET /orgs/{orgId}/aiModelApiKeys/{apiKeyId}` (`getOrgAiModelApiKey`) and
//! `GET /orgs/{orgId}/aiModelApiKeys` (`listOrgAiModelApiKeys`), media type 2025-03-12.
//! Only a 404 is "not found"; the official provider reports any failed read as not found.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::{nested, string, Cx, DataSource, Diagnostic, Diagnostics, Nesting, Schema};
use crate::provider::data_sources::ai_model_api_key::{computed_attributes, fields, AiModelApiKeyFields};
use crate::provider::data_sources::{all_or_one_page, paging_attributes};
use crate::provider::errors::OrDiagnose;
use crate::provider::validators;
use crate::value::{AttributePath, Quoted};

/// One AI model API key of an organization by ID.
pub struct AiModelOrgApiKeyData;

/// Every AI model API key of an organization.
pub struct AiModelOrgApiKeysData;

#[derive(Debug, Serialize, Deserialize)]
pub struct AiModelOrgApiKeyDataState {
    org_id: String,
    api_key_id: String,
    project_id: Option<String>,
    name: Option<String>,
    cloud: Option<String>,
    geography: Option<String>,
    created_at: Option<String>,
    created_by: Option<String>,
    last_used_at: Option<String>,
    masked_secret: Option<String>,
    status: Option<String>,
    endpoint: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AiModelOrgApiKeysDataState {
    org_id: String,
    page_num: Option<u32>,
    items_per_page: Option<u32>,
    results: Option<Vec<AiModelApiKeyFields>>,
}

const ERROR_ATTRS: &[(&str, &str)] = &[
    ("ORG_NOT_FOUND", "org_id"),
    ("INVALID_ORG_ID", "org_id"),
    ("USER_CANNOT_ACCESS_ORG", "org_id"),
];

fn org_id_attribute() -> crate::framework::Attribute {
    string("org_id")
        .required()
        .validate(validators::object_id())
        .doc("Unique 24-hexadecimal digit string that identifies your organization.")
}

#[async_trait]
impl DataSource for AiModelOrgApiKeyData {
    type Client = atlas::Client;
    type State = AiModelOrgApiKeyDataState;
    const NAME: &'static str = "ai_model_org_api_key";

    fn schema() -> Schema {
        Schema::new("One AI Model API key of any project of an organization, without its secret.")
            .attributes([
                org_id_attribute(),
                string("api_key_id")
                    .required()
                    .validate(validators::ai_model_api_key_id())
                    .doc("Identifier of the API key."),
                string("project_id")
                    .computed()
                    .doc("Unique 24-hexadecimal digit string that identifies the key's project."),
            ])
            .attributes(computed_attributes())
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        config: AiModelOrgApiKeyDataState,
    ) -> Result<AiModelOrgApiKeyDataState, Diagnostics> {
        let found = match cx
            .client
            .get_org_ai_model_api_key(&config.org_id, &config.api_key_id)
            .await
        {
            Ok(key) => Some(key),
            // The key alone is missing; a missing organization is Atlas's own error, on org_id.
            Err(err) if err.is_not_found() && err.error_code() != Some("ORG_NOT_FOUND") => None,
            Err(err) => return Err(err).or_diagnose("Could not read AI model API key", ERROR_ATTRS)?,
        };
        let key = found.ok_or_else(|| {
            Diagnostic::error(
                "AI model API key not found",
                format!(
                    "No AI model API key with ID {} exists in any project of organization {}.",
                    Quoted(&config.api_key_id),
                    Quoted(&config.org_id)
                ),
            )
            .at(AttributePath::attr("api_key_id"))
        })?;
        Ok(AiModelOrgApiKeyDataState {
            org_id: config.org_id,
            api_key_id: key.api_key_id,
            project_id: key.group_id,
            name: Some(key.name),
            cloud: key.cloud,
            geography: key.geography,
            created_at: key.created_at,
            created_by: key.created_by,
            last_used_at: key.last_used_at,
            masked_secret: key.masked_secret,
            status: key.status,
            endpoint: key.endpoint,
        })
    }
}

#[async_trait]
impl DataSource for AiModelOrgApiKeysData {
    type Client = atlas::Client;
    type State = AiModelOrgApiKeysDataState;
    const NAME: &'static str = "ai_model_org_api_keys";

    fn schema() -> Schema {
        let mut result = vec![
            string("project_id")
                .computed()
                .doc("Unique 24-hexadecimal digit string that identifies the key's project."),
            string("api_key_id").computed().doc("Identifier of the API key."),
        ];
        result.extend(computed_attributes());
        Schema::new("Every AI Model API key of every project of an organization, read across all pages (or one page, with `page_num` or `items_per_page`), without secrets.")
            .attributes([
                org_id_attribute(),
                nested("results", Nesting::List, result)
                    .computed()
                    .doc("The keys, each with its `project_id`, `api_key_id` and every attribute of the singular data source."),
            ])
            .attributes(paging_attributes())
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        config: AiModelOrgApiKeysDataState,
    ) -> Result<AiModelOrgApiKeysDataState, Diagnostics> {
        let keys = all_or_one_page(
            config.page_num,
            config.items_per_page,
            cx.client.list_org_ai_model_api_keys(&config.org_id),
            |page, size| cx.client.list_org_ai_model_api_keys_page(&config.org_id, page, size),
        )
        .await
        .or_diagnose("Could not list AI model API keys", ERROR_ATTRS)?;
        let results = keys.into_iter().map(|key| fields("", key)).collect();
        Ok(AiModelOrgApiKeysDataState {
            results: Some(results),
            ..config
        })
    }
}
