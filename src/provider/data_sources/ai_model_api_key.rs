//! `mongodbatlas_ai_model_api_key` and `mongodbatlas_ai_model_api_keys` data sources: AI
//! model API keys of a project, one by ID or all of them (every page). No `secret`.
//!
//! Atlas: `GET /groups/{groupId}/aiModelApiKeys/{apiKeyId}`, `GET /groups/{groupId}/aiModelApiKeys`.
//! Both read the project's listing that every read of the process shares (see [`listings`]; the
//! one key gets its own GET when the listing lacks it), unless `page_num` or `items_per_page`
//! ask for one page.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::{nested, string, Attribute, Cx, DataSource, Diagnostic, Diagnostics, Nesting, Schema};
use crate::provider::data_sources::{all_or_one_page, paging_attributes};
use crate::provider::errors::OrDiagnose;
use crate::provider::{listings, validators};
use crate::value::{AttributePath, Quoted};

/// One AI model API key by ID.
pub struct AiModelApiKeyData;

/// Every AI model API key of a project.
pub struct AiModelApiKeysData;

/// The attributes Atlas reports for a key, as both data sources show them.
#[derive(Debug, Serialize, Deserialize)]
pub struct AiModelApiKeyFields {
    project_id: String,
    api_key_id: String,
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
pub struct AiModelApiKeysDataState {
    project_id: String,
    page_num: Option<u32>,
    items_per_page: Option<u32>,
    results: Option<Vec<AiModelApiKeyFields>>,
}

const ERROR_ATTRS: &[(&str, &str)] = &[("GROUP_NOT_FOUND", "project_id"), ("INVALID_GROUP_ID", "project_id")];

/// The computed attributes with their docs, shared by the schema and the result type.
pub(crate) fn computed_attributes() -> Vec<Attribute> {
    vec![
        string("name").computed().doc("Name of the API key."),
        string("cloud").computed().doc("Cloud provider the key serves."),
        string("geography").computed().doc("Geography the key serves."),
        string("created_at")
            .computed()
            .doc("UTC date when the API key was created, as an ISO 8601 timestamp."),
        string("created_by")
            .computed()
            .doc("Name of the user that created this API key, or the user ID."),
        string("last_used_at")
            .computed()
            .doc("UTC date when the API key was last used; null until it is used."),
        string("masked_secret")
            .computed()
            .doc("A partially obfuscated version of the secret."),
        string("status")
            .computed()
            .doc("Current status of the API key, such as `ACTIVE`."),
        string("endpoint")
            .computed()
            .doc("Host name of the service endpoint for this key."),
    ]
}

/// The fields of `key`, whose project is `project_id` unless Atlas names it.
pub(crate) fn fields(project_id: &str, key: atlas::AiModelApiKey) -> AiModelApiKeyFields {
    AiModelApiKeyFields {
        project_id: key.group_id.unwrap_or_else(|| project_id.to_string()),
        api_key_id: key.api_key_id,
        name: Some(key.name),
        cloud: key.cloud,
        geography: key.geography,
        created_at: key.created_at,
        created_by: key.created_by,
        last_used_at: key.last_used_at,
        masked_secret: key.masked_secret,
        status: key.status,
        endpoint: key.endpoint,
    }
}

#[async_trait]
impl DataSource for AiModelApiKeyData {
    type Client = atlas::Client;
    type State = AiModelApiKeyFields;
    const NAME: &'static str = "ai_model_api_key";

    fn schema() -> Schema {
        Schema::new("One AI Model API key of a project, without its secret.")
            .attributes([
                string("project_id")
                    .required()
                    .validate(validators::object_id())
                    .doc("Unique 24-hexadecimal digit string that identifies your project."),
                string("api_key_id")
                    .required()
                    .validate(validators::ai_model_api_key_id())
                    .doc("Identifier of the API key."),
            ])
            .attributes(computed_attributes())
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        config: AiModelApiKeyFields,
    ) -> Result<AiModelApiKeyFields, Diagnostics> {
        let key = listings::ai_model_api_key(&cx.client, &config.project_id, &config.api_key_id)
            .await
            .or_diagnose("Could not read AI model API key", ERROR_ATTRS)?
            .ok_or_else(|| {
                Diagnostic::error(
                    "AI model API key not found",
                    format!(
                        "No AI model API key with ID {} exists in project {}.",
                        Quoted(&config.api_key_id),
                        Quoted(&config.project_id)
                    ),
                )
                .at(AttributePath::attr("api_key_id"))
            })?;
        Ok(fields(&config.project_id, key))
    }
}

#[async_trait]
impl DataSource for AiModelApiKeysData {
    type Client = atlas::Client;
    type State = AiModelApiKeysDataState;
    const NAME: &'static str = "ai_model_api_keys";

    fn schema() -> Schema {
        let mut result = vec![
            string("project_id")
                .computed()
                .doc("Unique 24-hexadecimal digit string that identifies the key's project."),
            string("api_key_id").computed().doc("Identifier of the API key."),
        ];
        result.extend(computed_attributes());
        Schema::new("Every AI Model API key of a project, read across all pages (or one page, with `page_num` or `items_per_page`), without secrets.").attributes([
            string("project_id")
                .required()
                .validate(validators::object_id())
                .doc("Unique 24-hexadecimal digit string that identifies your project."),
            nested("results", Nesting::List, result)
                .computed()
                .doc("The keys, each with `project_id`, `api_key_id` and every attribute of the singular data source."),
        ])
        .attributes(paging_attributes())
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        config: AiModelApiKeysDataState,
    ) -> Result<AiModelApiKeysDataState, Diagnostics> {
        let keys = all_or_one_page(
            config.page_num,
            config.items_per_page,
            listings::ai_model_api_keys(&cx.client, &config.project_id),
            |page, size| cx.client.list_ai_model_api_keys_page(&config.project_id, page, size),
        )
        .await
        .or_diagnose("Could not list AI model API keys", ERROR_ATTRS)?;
        let results = keys.into_iter().map(|key| fields(&config.project_id, key)).collect();
        Ok(AiModelApiKeysDataState {
            results: Some(results),
            ..config
        })
    }
}
