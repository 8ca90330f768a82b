//! `ephemeral "mongodbatlas_ai_model_api_key"`: a Voyage AI model API key of a project that
//! lives for one Terraform run and never reaches the plan or the state.
//!
//! Atlas: open is `POST /groups/{groupId}/aiModelApiKeys` (`createGroupAiModelApiKey`, cloud and
//! geography `ANY`, the only values Atlas takes), close is
//! `DELETE /groups/{groupId}/aiModelApiKeys/{apiKeyId}`; media type
//! `application/vnd.atlas.2025-03-12+json`. One call each, once during plan and once more
//! during apply.
//!
//! - The name Atlas holds is `name` followed by the marker of [`super::Marker`], reported as
//!   `atlas_name`, since Terraform requires the configured `name` back unchanged.
//! - An open interrupted by Ctrl-C after Atlas created the key deletes it before it answers; a
//!   create whose answer was lost is followed by a lookup of the project's keys for the marked
//!   name, and every key found is deleted.
//! - The private data for close holds the project, the key's ID and its marked name; no secret.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::{length, string, Cx, Diagnostic, Diagnostics, EphemeralResource, Opened, Schema, Sensitive};
use crate::provider::errors;
use crate::provider::{secret, validators};
use crate::value::Quoted;

use super::{after_cleanup, cleanup_client, interrupted, left_behind, lost_create, within_deadline, Made, Marker};

/// The ephemeral resource type.
pub struct EphemeralAiModelApiKey;

/// Configuration and result of one ephemeral AI model key.
#[derive(Debug, Serialize, Deserialize)]
pub struct EphemeralAiModelApiKeyState {
    project_id: String,
    name: String,
    api_key_id: Option<String>,
    secret: Option<Sensitive>,
    masked_secret: Option<String>,
    endpoint: Option<String>,
    atlas_name: Option<String>,
    opened_at: Option<String>,
}

/// What close needs to delete the key, and to name it if it cannot.
#[derive(Debug, Serialize, Deserialize)]
pub struct EphemeralAiModelApiKeyPrivate {
    project_id: String,
    api_key_id: String,
    name: String,
}

const OPEN: &str = "Could not open ephemeral AI model API key";

/// Where Atlas serves keys; the only value the API accepts today.
const ANY: &str = "ANY";

#[async_trait]
impl EphemeralResource for EphemeralAiModelApiKey {
    type Client = atlas::Client;
    type State = EphemeralAiModelApiKeyState;
    type Private = EphemeralAiModelApiKeyPrivate;
    const NAME: &'static str = "ai_model_api_key";

    fn schema() -> Schema {
        Schema::new(
            "An AI Model API key of a project (Voyage AI embedding and reranking services) that exists only while \
             Terraform runs: Terraform creates it when it opens the ephemeral resource (once during plan, once more \
             during apply) and deletes it at the end of that run. Its secret can feed any argument that accepts \
             ephemeral values; neither the key nor its secret is written to the plan or the state.",
        )
        .attributes([
            string("project_id")
                .required()
                .validate(validators::object_id())
                .doc("Unique 24-hexadecimal digit string that identifies the project."),
            string("name")
                .required()
                .validate(length(1..=super::MAX_GIVEN_CHARS))
                .doc(&format!(
                    "A name for the key, 1 to {} characters. Atlas holds it followed by the ephemeral marker \
                     ` (ephemeral, opened <UTC time>, ref <6 hex digits>)` (see `atlas_name`), which brings it to \
                     Atlas's limit of 250 characters at most.",
                    super::MAX_GIVEN_CHARS
                )),
            string("api_key_id")
                .computed()
                .doc("Identifier used to reference this API key in admin API calls."),
            string("secret")
                .computed()
                .sensitive()
                .doc("The full API key secret for the embedding and reranking services."),
            string("masked_secret")
                .computed()
                .doc("A partially obfuscated version of the secret, safe to show."),
            string("endpoint")
                .computed()
                .doc("Host name of the service endpoint for this key, such as `ai.mongodb.com`."),
            string("atlas_name")
                .computed()
                .doc("The name Atlas holds: `name` followed by the ephemeral marker, such as `embeddings (ephemeral, opened 2026-11-30T05:27:56Z, ref 3f9a1c)`. A key left behind by a crash is recognised by it."),
            string("opened_at")
                .computed()
                .doc("When the key was opened, in UTC to the second (RFC 3339), as the marker says."),
        ])
    }

    async fn open(
        &self,
        cx: &Cx<atlas::Client>,
        config: EphemeralAiModelApiKeyState,
    ) -> Result<Opened<EphemeralAiModelApiKeyState, EphemeralAiModelApiKeyPrivate>, Diagnostics> {
        let marker = Marker::now();
        let request = atlas::CreateAiModelApiKey {
            name: marker.mark(&config.name),
            cloud: ANY.to_string(),
            geography: ANY.to_string(),
        };
        let key = match cx.client.create_ai_model_api_key(&config.project_id, &request).await {
            Ok(key) => key,
            Err(err) if err.may_have_been_processed() => {
                return Err(find_and_delete(cx, &config.project_id, &request.name, &err)
                    .await
                    .into());
            }
            Err(err) => return Err(errors::diagnose(&err, OPEN, ERROR_ATTRS).into()),
        };
        let private = EphemeralAiModelApiKeyPrivate {
            project_id: config.project_id.clone(),
            api_key_id: key.api_key_id.clone(),
            name: request.name.clone(),
        };
        if cx.cancel.is_cancelled() {
            return Err(abandon(cx, &private, interrupted(OPEN, "AI model API key")).await);
        }
        let Some(secret) = key.secret.as_ref().map(secret::sensitive) else {
            let bug = Diagnostic::bug(OPEN, "Atlas's create answer had no secret");
            return Err(abandon(cx, &private, bug).await);
        };
        Ok(Opened {
            result: EphemeralAiModelApiKeyState {
                api_key_id: Some(key.api_key_id),
                secret: Some(secret),
                masked_secret: key.masked_secret,
                endpoint: key.endpoint,
                atlas_name: Some(request.name),
                opened_at: Some(marker.opened_at),
                ..config
            },
            private,
        })
    }

    async fn close(&self, cx: &Cx<atlas::Client>, private: EphemeralAiModelApiKeyPrivate) -> Result<(), Diagnostics> {
        match cx
            .client
            .delete_ai_model_api_key(&private.project_id, &private.api_key_id)
            .await
        {
            Ok(()) => Ok(()),
            Err(err) if err.is_not_found() => Ok(()),
            Err(err) => Err(left_behind(&made(&private), &err.to_string(), &by_hand(&private)).into()),
        }
    }
}

/// Atlas error codes of the create that blame one attribute.
const ERROR_ATTRS: &[(&str, &str)] = &[("GROUP_NOT_FOUND", "project_id"), ("INVALID_GROUP_ID", "project_id")];

/// Deletes the key an open made but will not return, and says so after `failure`.
async fn abandon(cx: &Cx<atlas::Client>, private: &EphemeralAiModelApiKeyPrivate, failure: Diagnostic) -> Diagnostics {
    let client = cleanup_client(cx);
    let deleted = within_deadline(async {
        match client
            .delete_ai_model_api_key(&private.project_id, &private.api_key_id)
            .await
        {
            Err(err) if err.is_not_found() => Ok(()),
            result => result,
        }
    })
    .await;
    after_cleanup(failure, &made(private), deleted)
}

/// After a create whose answer was lost: deletes every key of the project named exactly
/// `marked`, and says what was found.
async fn find_and_delete(cx: &Cx<atlas::Client>, project_id: &str, marked: &str, failure: &atlas::Error) -> Diagnostic {
    let client = cleanup_client(cx);
    let deleted = within_deadline(async {
        let keys = client.list_ai_model_api_keys(project_id).await?;
        let mut ids = Vec::new();
        for key in keys.into_iter().filter(|key| key.name == marked) {
            match client.delete_ai_model_api_key(project_id, &key.api_key_id).await {
                Err(err) if !err.is_not_found() => return Err(err),
                _ => ids.push(key.api_key_id),
            }
        }
        Ok(ids)
    })
    .await;
    let by_hand = format!(
        "Find it among the project's AI model API keys by its name (the mongodbatlas_ai_model_api_keys data source \
         lists them) and delete it in the Atlas UI, or import it (`terraform import mongodbatlas_ai_model_api_key.leftover \
         {project_id}/<api_key_id>`) and destroy it."
    );
    lost_create(OPEN, "AI model API key", failure, marked, deleted, &by_hand)
}

/// The key in words, for messages.
fn made(private: &EphemeralAiModelApiKeyPrivate) -> Made<'_> {
    Made {
        noun: "AI model API key",
        id: &private.api_key_id,
        names: format!("name {}, project {}", Quoted(&private.name), private.project_id),
        by_hand: by_hand(private),
    }
}

/// How to delete the key by hand.
fn by_hand(private: &EphemeralAiModelApiKeyPrivate) -> String {
    let EphemeralAiModelApiKeyPrivate {
        project_id, api_key_id, ..
    } = private;
    format!(
        "Delete it by hand: in the Atlas UI (the project's AI Models page), or with Terraform by importing it \
         (`terraform import mongodbatlas_ai_model_api_key.leftover {project_id}/{api_key_id}`) and destroying it."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_by_hand_advice_names_the_key_and_its_import_id() {
        let private = EphemeralAiModelApiKeyPrivate {
            project_id: "5d09d6a59ccf6445652a444b".to_string(),
            api_key_id: "ai0000000000000000000key".to_string(),
            name: "embeddings (ephemeral, opened 2026-11-30T05:27:56Z, ref 3f9a1c)".to_string(),
        };
        let made = made(&private);
        assert!(made.names.contains("ref 3f9a1c"), "{}", made.names);
        assert!(made
            .by_hand
            .contains("5d09d6a59ccf6445652a444b/ai0000000000000000000key"));
        let json = serde_json::to_string(&private).unwrap();
        assert!(!json.contains("secret"), "no secret in the private data: {json}");
    }
}
