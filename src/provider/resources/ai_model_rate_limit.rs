//! `mongodbatlas_ai_model_rate_limit`: a project's Voyage AI rate limit for one model group.
//!
//! Atlas: `/groups/{groupId}/aiModelApiClouds/{cloud}/geographies/{geography}/modelGroupNames/{modelGroupName}/rateLimits`
//! (GET, PATCH) and `…/rateLimits:reset` (POST), media type `application/vnd.atlas.2025-03-12+json`.
//! Import ID: `<project_id>/<cloud>/<geography>/<model_group_name>`.
//!
//! Every model group of a project always has a limit, starting at the organization's limit for
//! the group. So create and update are the same PATCH (create overwrites whatever limit the
//! group has), and delete resets the group to the organization's limit (it does not restore a
//! limit set before Terraform took over). Read takes the limit from the project's listing of
//! every model group's limit, shared by every read of the process
//! ([`listings::ai_model_rate_limit`]), else from its own GET; only a 404 of that GET (the
//! project or the model group is gone) removes the limit from state, and a 404 on delete counts
//! as already reset.
//! Limits must be positive `int32`s, checked at plan time; a limit above the organization's is
//! refused by Atlas and shown on the attribute with Atlas's explanation.
//! Like the official provider's generated type (and its sibling `ai_model_api_key`), there is
//! no `id`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::{
    attribute, one_of, string, whole_number, Applied, Cx, Diagnostic, Diagnostics, Plan, Resource, Schema,
};
use crate::provider::claims::{self, Claim};
use crate::provider::errors::{diagnose, OrDiagnose};
use crate::provider::{import_id, listings, validators};
use crate::value::{AttributePath, Quoted, Type, Value};

/// The resource type.
pub struct AiModelRateLimit;

/// State and configuration of one model group's limit in a project.
#[derive(Debug, Serialize, Deserialize)]
pub struct AiModelRateLimitState {
    project_id: String,
    cloud: Option<String>,
    geography: Option<String>,
    model_group_name: String,
    requests_per_minute_limit: Option<i64>,
    tokens_per_minute_limit: Option<i64>,
    endpoint: Option<String>,
    model_names: Option<Vec<String>>,
}

/// The only cloud and geography of the API version this provider speaks (2025-03-12); the
/// contract's enums for both hold just this value.
pub(crate) const SCOPES: &[&str] = &["ANY"];

/// The default cloud and geography.
const ANY: &str = "ANY";

/// Largest limit Atlas accepts: the contract types both limits as `int32`, minimum 1.
pub(crate) const MAX_LIMIT: i64 = i32::MAX as i64;

/// The import ID format, as errors show it.
const IMPORT_FORMAT: &str = "`{project_id}/{cloud}/{geography}/{model_group_name}`, such as \
     `5d09d6a59ccf6445652a444a/ANY/ANY/embed_large`";

#[async_trait]
impl Resource for AiModelRateLimit {
    type Client = atlas::Client;
    type State = AiModelRateLimitState;
    const NAME: &'static str = "ai_model_rate_limit";

    fn schema() -> Schema {
        Schema::new("The requests-per-minute and tokens-per-minute limits of one Voyage AI model group in a project.")
        .attributes([
            string("project_id")
                .required()
                .requires_replace()
                .validate(validators::object_id())
                .doc("Unique 24-hexadecimal digit string that identifies your project. Changing it replaces the limit."),
            string("cloud")
                .default_value(Value::string(ANY))
                .requires_replace()
                .validate(one_of(SCOPES))
                .doc("Cloud provider scope of the limit. Atlas accepts only `ANY` today. Changing it replaces the limit."),
            string("geography")
                .default_value(Value::string(ANY))
                .requires_replace()
                .validate(one_of(SCOPES))
                .doc("Geography scope of the limit. Atlas accepts only `ANY` today. Changing it replaces the limit."),
            string("model_group_name")
                .required()
                .requires_replace()
                .validate(validators::model_group_name())
                .doc("The model group the limit applies to, such as `embed_large`. The `mongodbatlas_ai_model_rate_limits` data source lists a project's groups. Changing it replaces the limit."),
            attribute("requests_per_minute_limit", Type::Number)
                .required()
                .validate(whole_number(1..=MAX_LIMIT))
                .doc("Requests per minute allowed for the model group in this project; at most the organization's limit for the group. Changing it updates the limit in place."),
            attribute("tokens_per_minute_limit", Type::Number)
                .required()
                .validate(whole_number(1..=MAX_LIMIT))
                .doc("Tokens per minute allowed for the model group in this project; at most the organization's limit for the group. Changing it updates the limit in place."),
            string("endpoint")
                .computed()
                .use_state_for_unknown()
                .doc("Host name of the service endpoint for this cloud and geography, such as `ai.mongodb.com`."),
            attribute("model_names", Type::List(Box::new(Type::String)))
                .computed()
                .use_state_for_unknown()
                .doc("The embedding models in the model group, as Atlas lists them."),
        ])
    }

    fn modify_plan(_prior: &Value, config: &Value, plan: &mut Plan, diags: &mut Diagnostics) {
        let text = |name: &str| plan.planned.get(name).as_str().map(str::to_owned);
        let (Some(project_id), Some(cloud), Some(geography), Some(model_group_name)) = (
            text("project_id"),
            text("cloud"),
            text("geography"),
            text("model_group_name"),
        ) else {
            return; // Not known until apply; the create-time claim still guards it.
        };
        let limit_id = format!("{project_id}/{cloud}/{geography}/{model_group_name}");
        // The configuration tells resources apart: Terraform plans a replacement twice (the
        // change, then the new object), with one configuration and two prior states.
        if !claims::claim_in_plan(Self::NAME, &limit_id, format!("{config:?}")) {
            diags.push(limited_twice(&project_id, &model_group_name));
        }
    }

    async fn create(&self, cx: &Cx<atlas::Client>, planned: AiModelRateLimitState) -> Applied<AiModelRateLimitState> {
        let claim = Claim::take(&cx.client, Self::NAME, &planned.limit_id(), || {
            limited_twice(&planned.project_id, &planned.model_group_name)
        })?;
        let limit = set_limit(cx, &planned, "Could not set AI model rate limit").await?;
        claim.keep();
        Ok(state_from_atlas(&planned, limit))
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        prior: AiModelRateLimitState,
    ) -> Result<Option<AiModelRateLimitState>, Diagnostics> {
        let found = listings::ai_model_rate_limit(&cx.client, &prior.project_id, prior.scope())
            .await
            .or_diagnose("Could not read AI model rate limit", ERROR_ATTRS)?;
        Ok(found.map(|limit| state_from_atlas(&prior, limit)))
    }

    async fn update(
        &self,
        cx: &Cx<atlas::Client>,
        _prior: AiModelRateLimitState,
        planned: AiModelRateLimitState,
    ) -> Applied<AiModelRateLimitState> {
        // Every path attribute forces replacement, so the planned ones are the prior ones.
        let limit = set_limit(cx, &planned, "Could not update AI model rate limit").await?;
        Ok(state_from_atlas(&planned, limit))
    }

    async fn delete(&self, cx: &Cx<atlas::Client>, prior: AiModelRateLimitState) -> Result<(), Diagnostics> {
        let reset = cx
            .client
            .reset_ai_model_rate_limit(&prior.project_id, prior.scope())
            .await;
        listings::AI_MODEL_RATE_LIMITS.changed(&cx.client, &prior.project_id, &listings::limit_id(&prior.scope()));
        match reset {
            // The project or the model group is gone: there is no limit left to reset.
            Err(err) if err.is_not_found() => {}
            result => {
                result
                    .map(|_| ())
                    .or_diagnose("Could not reset AI model rate limit", ERROR_ATTRS)?;
            }
        }
        Claim::release(&cx.client, Self::NAME, &prior.limit_id());
        Ok(())
    }

    async fn import(&self, _cx: &Cx<atlas::Client>, id: &str) -> Result<AiModelRateLimitState, Diagnostics> {
        let (project_id, parts) = import_id::object_id_slash_names(id, 3, IMPORT_FORMAT)?;
        let [cloud, geography, model_group_name]: [String; 3] = parts
            .try_into()
            .map_err(|_| Diagnostic::bug("Could not parse the import ID", "three parts expected"))?;
        for (name, value) in [("cloud", &cloud), ("geography", &geography)] {
            if !SCOPES.contains(&value.as_str()) {
                return Err(Diagnostic::error(
                    "Invalid import ID",
                    format!(
                        "The {name} in the import ID must be one of {}, got {}. Use {IMPORT_FORMAT}, where the \
                         project ID is 24 lowercase hexadecimal characters.",
                        SCOPES.join(", "),
                        Quoted(value)
                    ),
                )
                .into());
            }
        }
        Ok(AiModelRateLimitState {
            project_id,
            cloud: Some(cloud),
            geography: Some(geography),
            model_group_name,
            requests_per_minute_limit: None,
            tokens_per_minute_limit: None,
            endpoint: None,
            model_names: None,
        })
    }
}

impl AiModelRateLimitState {
    /// The limit's import ID: `{project_id}/{cloud}/{geography}/{model_group_name}`.
    fn limit_id(&self) -> String {
        let scope = self.scope();
        format!(
            "{}/{}/{}/{}",
            self.project_id, scope.cloud, scope.geography, scope.model_group_name
        )
    }

    /// The path parameters after the project.
    fn scope(&self) -> atlas::ModelGroupScope<'_> {
        atlas::ModelGroupScope {
            cloud: self.cloud.as_deref().unwrap_or(ANY),
            geography: self.geography.as_deref().unwrap_or(ANY),
            model_group_name: &self.model_group_name,
        }
    }
}

/// The error for a second resource of this configuration on the same model group.
fn limited_twice(project_id: &str, model_group_name: &str) -> Diagnostic {
    Diagnostic::error(
        "Model group limited twice",
        format!(
            "Another mongodbatlas_ai_model_rate_limit in this configuration already sets the limit of model group \
             {} in project {}. A project has one limit per model group: keep one resource for it.",
            Quoted(model_group_name),
            Quoted(project_id)
        ),
    )
    .at(AttributePath::attr("model_group_name"))
}

/// Atlas error codes that blame one attribute.
const ERROR_ATTRS: &[(&str, &str)] = &[
    ("GROUP_NOT_FOUND", "project_id"),
    ("INVALID_GROUP_ID", "project_id"),
    ("RESOURCE_NOT_FOUND", "model_group_name"),
];

/// Atlas's request body fields and the attributes they come from.
const LIMIT_FIELDS: &[(&str, &str)] = &[
    ("requestsPerMinuteLimit", "requests_per_minute_limit"),
    ("tokensPerMinuteLimit", "tokens_per_minute_limit"),
];

/// What to do when Atlas refuses a limit.
const LIMIT_HINT: &str = "A project's limit cannot exceed its organization's limit for the model group; \
     the mongodbatlas_ai_model_org_rate_limit data source shows the organization's limits.";

/// What to do when Atlas does not know the model group.
const GROUP_HINT: &str = "The mongodbatlas_ai_model_rate_limits data source lists the model groups of a project.";

/// The one PATCH behind create and update; a refusal is shown on the attributes Atlas names.
async fn set_limit(
    cx: &Cx<atlas::Client>,
    planned: &AiModelRateLimitState,
    summary: &str,
) -> Result<atlas::AiModelRateLimit, Diagnostics> {
    let request = atlas::UpdateAiModelRateLimit {
        requests_per_minute_limit: planned.requests_per_minute_limit.unwrap_or_default(),
        tokens_per_minute_limit: planned.tokens_per_minute_limit.unwrap_or_default(),
    };
    let updated = cx
        .client
        .update_ai_model_rate_limit(&planned.project_id, planned.scope(), &request)
        .await;
    // Also after a failure: Atlas may have set the limit before the answer was lost.
    listings::AI_MODEL_RATE_LIMITS.changed(&cx.client, &planned.project_id, &listings::limit_id(&planned.scope()));
    updated.map_err(|err| refused(&err, summary))
}

/// Diagnostics for a failed PATCH: one per limit Atlas's `badRequestDetail.fields` names, on
/// that attribute, with Atlas's reason (which carries the organization's value); otherwise the
/// usual diagnostic, on the attribute its errorCode blames.
fn refused(err: &atlas::Error, summary: &str) -> Diagnostics {
    let base = diagnose(err, summary, ERROR_ATTRS);
    let blamed: Vec<Diagnostic> = err
        .api()
        .map(|api| api.fields.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|field| {
            let (_, attribute) = LIMIT_FIELDS.iter().find(|(name, _)| *name == field.field)?;
            let detail = format!(
                "Atlas refused {attribute}: {} {} {LIMIT_HINT}",
                field.description.trim(),
                base.detail
            );
            Some(Diagnostic::error(summary, detail).at(AttributePath::attr(attribute)))
        })
        .collect();
    if !blamed.is_empty() {
        return blamed.into_iter().collect();
    }
    if err.error_code() == Some("RESOURCE_NOT_FOUND") {
        let detail = format!("{} {GROUP_HINT}", base.detail);
        return Diagnostic { detail, ..base }.into();
    }
    base.into()
}

/// The state for Atlas's answer about the limit `base` names; fields Atlas leaves out keep
/// `base`'s values.
fn state_from_atlas(base: &AiModelRateLimitState, limit: atlas::AiModelRateLimit) -> AiModelRateLimitState {
    AiModelRateLimitState {
        project_id: base.project_id.clone(),
        cloud: limit.cloud.or_else(|| base.cloud.clone()),
        geography: limit.geography.or_else(|| base.geography.clone()),
        model_group_name: limit.model_group_name.unwrap_or_else(|| base.model_group_name.clone()),
        requests_per_minute_limit: limit.requests_per_minute_limit.or(base.requests_per_minute_limit),
        tokens_per_minute_limit: limit.tokens_per_minute_limit.or(base.tokens_per_minute_limit),
        endpoint: limit.endpoint.or_else(|| base.endpoint.clone()),
        model_names: Some(limit.model_names),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT: &str = "5d09d6a59ccf6445652a444b";

    fn planned() -> AiModelRateLimitState {
        AiModelRateLimitState {
            project_id: PROJECT.to_string(),
            cloud: Some(ANY.to_string()),
            geography: Some(ANY.to_string()),
            model_group_name: "embed_large".to_string(),
            requests_per_minute_limit: Some(100),
            tokens_per_minute_limit: Some(1000),
            endpoint: None,
            model_names: None,
        }
    }

    fn api_error(body: serde_json::Value) -> atlas::Error {
        let status = body["error"].as_u64().unwrap_or(400) as u16;
        atlas::ApiError::from_response(
            "PATCH",
            "/api/atlas/v2/groups/p/…/rateLimits",
            status,
            body.to_string().as_bytes(),
            None,
        )
        .into()
    }

    #[test]
    fn state_takes_what_atlas_reports() {
        let limit: atlas::AiModelRateLimit = serde_json::from_value(serde_json::json!({
            "cloud": "ANY", "geography": "ANY", "endpoint": "ai.mongodb.com",
            "modelGroupName": "embed_large", "modelNames": ["voyage-3-large"],
            "requestsPerMinuteLimit": 90, "tokensPerMinuteLimit": 900
        }))
        .expect("a limit as Atlas sends it");
        let state = state_from_atlas(&planned(), limit);
        assert_eq!(state.requests_per_minute_limit, Some(90));
        assert_eq!(state.tokens_per_minute_limit, Some(900));
        assert_eq!(state.endpoint.as_deref(), Some("ai.mongodb.com"));
        assert_eq!(state.model_names, Some(vec!["voyage-3-large".to_string()]));
        let sparse = state_from_atlas(
            &planned(),
            serde_json::from_value(serde_json::json!({})).expect("empty"),
        );
        assert_eq!(
            sparse.requests_per_minute_limit,
            Some(100),
            "missing fields keep the planned value"
        );
        assert_eq!(sparse.model_names, Some(Vec::new()));
        assert_eq!(sparse.cloud.as_deref(), Some(ANY));
    }

    #[test]
    fn a_limit_above_the_org_is_shown_on_each_attribute_atlas_names() {
        let err = api_error(serde_json::json!({
            "error": 400, "errorCode": "VALIDATION_ERROR", "reason": "Bad Request",
            "detail": "requestsPerMinuteLimit 5000 exceeds the organization's limit of 1000 for model group embed_large. \
                       tokensPerMinuteLimit 9 exceeds the organization's limit of 8 for model group embed_large.",
            "badRequestDetail": {"fields": [
                {"field": "requestsPerMinuteLimit", "description": "requestsPerMinuteLimit 5000 exceeds the organization's limit of 1000 for model group embed_large."},
                {"field": "tokensPerMinuteLimit", "description": "tokensPerMinuteLimit 9 exceeds the organization's limit of 8 for model group embed_large."}
            ]}
        }));
        let diags = refused(&err, "Could not set AI model rate limit");
        let shown: Vec<(String, String)> = diags
            .iter()
            .map(|d| {
                (
                    d.attribute.as_ref().map(ToString::to_string).unwrap_or_default(),
                    d.detail.clone(),
                )
            })
            .collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert_eq!(shown[0].0, "requests_per_minute_limit");
        assert!(shown[0].1.starts_with("Atlas refused requests_per_minute_limit: requestsPerMinuteLimit 5000 exceeds the organization's limit of 1000"), "{}", shown[0].1);
        assert!(
            shown[0].1.contains("VALIDATION_ERROR") && shown[0].1.contains("mongodbatlas_ai_model_org_rate_limit"),
            "{}",
            shown[0].1
        );
        assert_eq!(shown[1].0, "tokens_per_minute_limit");
        assert!(shown[1].1.contains("limit of 8"), "{}", shown[1].1);
    }

    #[test]
    fn other_refusals_blame_the_attribute_their_code_names() {
        let unknown = api_error(serde_json::json!({
            "error": 404, "errorCode": "RESOURCE_NOT_FOUND", "detail": "Cannot find resource embed_huge."
        }));
        let diags = refused(&unknown, "Could not set AI model rate limit");
        let diagnostic = diags.iter().next().expect("one diagnostic");
        assert_eq!(diagnostic.attribute, Some(AttributePath::attr("model_group_name")));
        assert!(
            diagnostic.detail.contains("mongodbatlas_ai_model_rate_limits"),
            "{}",
            diagnostic.detail
        );
        let project =
            api_error(serde_json::json!({"error": 404, "errorCode": "GROUP_NOT_FOUND", "detail": "No group."}));
        let diags = refused(&project, "Could not set AI model rate limit");
        assert_eq!(diags.iter().count(), 1);
        assert_eq!(
            diags.iter().next().and_then(|d| d.attribute.clone()),
            Some(AttributePath::attr("project_id"))
        );
    }

    #[test]
    fn scope_defaults_to_any() {
        let state = AiModelRateLimitState {
            cloud: None,
            geography: None,
            ..planned()
        };
        assert_eq!(
            state.scope(),
            atlas::ModelGroupScope {
                cloud: "ANY",
                geography: "ANY",
                model_group_name: "embed_large"
            }
        );
    }
}
