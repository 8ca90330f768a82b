//! `mongodbatlas_ai_model_api_key`: a Voyage AI model API key of a project.
//!
//! Atlas: `/groups/{groupId}/aiModelApiKeys[/{apiKeyId}]` (POST 201, GET, PATCH name, DELETE),
//! media type `application/vnd.atlas.2025-03-12+json`.
//! Import ID: `<project_id>/<api_key_id>`; the API key ID is not an ObjectId.
//! Atlas returns `secret` only in the create response, so it is kept from then on and is
//! null after an import. Read takes the key from the project's listing that every read of the
//! process shares ([`listings::ai_model_api_key`]), else from its own GET.
//! Unlike the official provider, only a 404 removes the key from state
//! and only a 404 on delete counts as already deleted: every other failure is an error.
//! The official provider's state (plugin framework, schema version 0, no `id`) has exactly
//! these attributes, so the default upgrade, which keeps the stored state, takes it over.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::{length, string, Applied, Cx, Diagnostics, Resource, Schema, Sensitive};
use crate::provider::errors::OrDiagnose;
use crate::provider::{import_id, listings, recover, secret, validators};
use crate::value::Value;

/// The resource type.
pub struct AiModelApiKey;

/// State and configuration of one AI model API key.
#[derive(Debug, Serialize, Deserialize)]
pub struct AiModelApiKeyState {
    project_id: String,
    name: Option<String>,
    cloud: Option<String>,
    geography: Option<String>,
    api_key_id: Option<String>,
    created_at: Option<String>,
    created_by: Option<String>,
    last_used_at: Option<String>,
    masked_secret: Option<String>,
    secret: Option<Sensitive>,
    status: Option<String>,
    endpoint: Option<String>,
}

/// How recovery names this key type.
const RECOVERY: recover::Kind = recover::Kind {
    noun: "AI model API key",
    secret: "secret",
    matched_by: "name",
    listed_in: "the project's AI model API keys",
};

/// Where Atlas serves keys unless told otherwise; the only value the API accepts today.
const ANY: &str = "ANY";

#[async_trait]
impl Resource for AiModelApiKey {
    type Client = atlas::Client;
    type State = AiModelApiKeyState;
    const NAME: &'static str = "ai_model_api_key";

    fn schema() -> Schema {
        Schema::new(
            "An AI Model API key of a project, used to authenticate requests to the Voyage AI embedding and reranking \
             services. Atlas shows the secret once, when the key is created; it is kept in Terraform state, so protect the state.",
        )
        .attributes([
            string("project_id")
                .required()
                .requires_replace()
                .validate(validators::object_id())
                .doc("Unique 24-hexadecimal digit string that identifies your project. Changing it replaces the key."),
            string("name")
                .required()
                .validate(length(1..=250))
                .doc("A name for the API key, 1 to 250 characters. Renaming updates the key in place."),
            string("cloud")
                .default_value(Value::string(ANY))
                .requires_replace()
                .doc("Cloud provider the key serves. Atlas accepts only `ANY` today. Changing it replaces the key."),
            string("geography")
                .default_value(Value::string(ANY))
                .requires_replace()
                .doc("Geography the key serves. Atlas accepts only `ANY` today. Changing it replaces the key."),
            string("api_key_id")
                .computed()
                .use_state_for_unknown()
                .doc("Identifier used to reference this API key in admin API calls."),
            string("created_at")
                .computed()
                .use_state_for_unknown()
                .doc("UTC date when the API key was created, as an ISO 8601 timestamp."),
            string("created_by")
                .computed()
                .use_state_for_unknown()
                .doc("Name of the user that created this API key, or the user ID when no name is available."),
            string("last_used_at")
                .computed()
                .doc("UTC date when the API key was last used, as an ISO 8601 timestamp; null until it is used."),
            string("masked_secret")
                .computed()
                .use_state_for_unknown()
                .doc("A partially obfuscated version of the secret, safe to show."),
            string("secret")
                .computed()
                .sensitive()
                .use_state_for_unknown()
                .doc("The full API key secret for the embedding and reranking services. Atlas returns it only when the key is created; it is kept in state from then on, and is null for imported keys."),
            string("status").computed().doc("Current status of the API key, such as `ACTIVE`."),
            string("endpoint")
                .computed()
                .use_state_for_unknown()
                .doc("Host name of the service endpoint for this key, such as `ai.mongodb.com`."),
        ])
    }

    async fn create(&self, cx: &Cx<atlas::Client>, planned: AiModelApiKeyState) -> Applied<AiModelApiKeyState> {
        let request = atlas::CreateAiModelApiKey {
            name: planned.name.clone().unwrap_or_default(),
            cloud: planned.cloud.clone().unwrap_or_else(|| ANY.to_string()),
            geography: planned.geography.clone().unwrap_or_else(|| ANY.to_string()),
        };
        let project_id = planned.project_id.clone();
        let key = recover::create_or_adopt(
            cx,
            &RECOVERY,
            "Could not create AI model API key",
            ERROR_ATTRS,
            cx.client.create_ai_model_api_key(&planned.project_id, &request),
            |client| async move { client.list_ai_model_api_keys(&project_id).await },
            |key: &atlas::AiModelApiKey| key.name == request.name,
            |id| format!("{}/{id}", planned.project_id),
        )
        .await?;
        listings::AI_MODEL_API_KEYS.changed(&cx.client, &planned.project_id, &key.api_key_id);
        let secret = key.secret.as_ref().map(secret::sensitive);
        Ok(state_from_atlas(&planned, key, secret))
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        prior: AiModelApiKeyState,
    ) -> Result<Option<AiModelApiKeyState>, Diagnostics> {
        let found = listings::ai_model_api_key(&cx.client, &prior.project_id, prior.api_key_id())
            .await
            .or_diagnose("Could not read AI model API key", ERROR_ATTRS)?;
        Ok(found.map(|key| {
            recover::claim(&key.api_key_id);
            let secret = prior.secret.clone();
            state_from_atlas(&prior, key, secret)
        }))
    }

    async fn update(
        &self,
        cx: &Cx<atlas::Client>,
        prior: AiModelApiKeyState,
        planned: AiModelApiKeyState,
    ) -> Applied<AiModelApiKeyState> {
        recover::claim(prior.api_key_id());
        let request = atlas::UpdateAiModelApiKey {
            name: planned.name.clone().unwrap_or_default(),
        };
        let updated = cx
            .client
            .update_ai_model_api_key(&prior.project_id, prior.api_key_id(), &request)
            .await;
        // Also after a failure: Atlas may have renamed the key before the answer was lost.
        listings::AI_MODEL_API_KEYS.changed(&cx.client, &prior.project_id, prior.api_key_id());
        let updated = updated.or_diagnose("Could not rename AI model API key", ERROR_ATTRS)?;
        Ok(state_from_atlas(&planned, updated, prior.secret))
    }

    async fn delete(&self, cx: &Cx<atlas::Client>, prior: AiModelApiKeyState) -> Result<(), Diagnostics> {
        let deleted = cx
            .client
            .delete_ai_model_api_key(&prior.project_id, prior.api_key_id())
            .await;
        listings::AI_MODEL_API_KEYS.changed(&cx.client, &prior.project_id, prior.api_key_id());
        match deleted {
            // Already gone is what a delete wants; every other failure is reported.
            Err(err) if err.is_not_found() => Ok(()),
            result => Ok(result.or_diagnose("Could not delete AI model API key", ERROR_ATTRS)?),
        }
    }

    async fn import(&self, cx: &Cx<atlas::Client>, id: &str) -> Result<AiModelApiKeyState, Diagnostics> {
        let (project_id, api_key_id) = import_id::object_id_slash_name(id, "`PROJECT_ID/API_KEY_ID`")?;
        cx.warn(secret::not_imported("secret", &api_key_id));
        Ok(AiModelApiKeyState {
            api_key_id: Some(api_key_id),
            ..AiModelApiKeyState::empty(project_id)
        })
    }
}

impl AiModelApiKeyState {
    /// A state of `project_id` with nothing else set.
    fn empty(project_id: String) -> Self {
        AiModelApiKeyState {
            project_id,
            name: None,
            cloud: None,
            geography: None,
            api_key_id: None,
            created_at: None,
            created_by: None,
            last_used_at: None,
            masked_secret: None,
            secret: None,
            status: None,
            endpoint: None,
        }
    }

    /// The key's id; empty only in a state that was never created.
    fn api_key_id(&self) -> &str {
        self.api_key_id.as_deref().unwrap_or_default()
    }
}

/// Atlas error codes that blame one attribute.
const ERROR_ATTRS: &[(&str, &str)] = &[
    ("GROUP_NOT_FOUND", "project_id"),
    ("INVALID_GROUP_ID", "project_id"),
    ("INVALID_ENUM_VALUE", "cloud"),
];

/// The state for an Atlas key, with the secret the caller kept.
fn state_from_atlas(
    base: &AiModelApiKeyState,
    key: atlas::AiModelApiKey,
    secret: Option<Sensitive>,
) -> AiModelApiKeyState {
    AiModelApiKeyState {
        project_id: key.group_id.unwrap_or_else(|| base.project_id.clone()),
        name: Some(key.name),
        cloud: key.cloud.or_else(|| base.cloud.clone()),
        geography: key.geography.or_else(|| base.geography.clone()),
        api_key_id: Some(key.api_key_id),
        created_at: key.created_at,
        created_by: key.created_by,
        last_used_at: key.last_used_at,
        masked_secret: key.masked_secret,
        secret,
        status: key.status,
        endpoint: key.endpoint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT: &str = "5d09d6a59ccf6445652a444b";

    fn planned() -> AiModelApiKeyState {
        AiModelApiKeyState {
            name: Some("embeddings".to_string()),
            cloud: Some(ANY.to_string()),
            geography: Some(ANY.to_string()),
            ..AiModelApiKeyState::empty(PROJECT.to_string())
        }
    }

    fn listed(json: serde_json::Value) -> atlas::AiModelApiKey {
        serde_json::from_value(json).expect("an AI model key as Atlas lists it")
    }

    #[test]
    fn state_takes_what_atlas_reports_and_keeps_the_secret() {
        let key = listed(serde_json::json!({
            "apiKeyId": "ai0000000000000000000key",
            "name": "renamed",
            "groupId": PROJECT,
            "createdAt": "2026-01-15T16:47:49.855000+00:00",
            "createdBy": "someone",
            "maskedSecret": "al-****odu2",
            "status": "ACTIVE",
            "endpoint": "ai.mongodb.com"
        }));
        let state = state_from_atlas(&planned(), key, Some(Sensitive::new("al-secret")));
        assert_eq!(state.name.as_deref(), Some("renamed"));
        assert_eq!(state.api_key_id.as_deref(), Some("ai0000000000000000000key"));
        assert_eq!(state.status.as_deref(), Some("ACTIVE"));
        assert_eq!(state.masked_secret.as_deref(), Some("al-****odu2"));
        assert_eq!(state.secret.as_ref().map(Sensitive::expose), Some("al-secret"));
        // Atlas leaves out cloud and geography in some answers: the planned values stay.
        assert_eq!(state.cloud.as_deref(), Some(ANY));
        assert_eq!(state.geography.as_deref(), Some(ANY));
        assert_eq!(state.api_key_id(), "ai0000000000000000000key");
    }

    #[test]
    fn a_key_without_an_id_reads_as_empty() {
        assert_eq!(planned().api_key_id(), "");
    }
}
