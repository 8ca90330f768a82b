//! The resource and data source types this provider serves; their order is the docs order.

use std::sync::Arc;

use crate::atlas;
use crate::framework::{data_source, resource, DynDataSource, DynResource};
use crate::provider::data_sources::{
    access_list_api_key, ai_model_api_key, ai_model_org_api_key, ai_model_rate_limit, api_key,
    api_key_project_assignment, project_api_key, roles_org_id,
};
use crate::provider::{ephemeral, resources};

/// Every managed resource type: organization keys and what hangs off them, then project keys,
/// then the AI model family.
pub fn resources() -> Vec<Arc<dyn DynResource<atlas::Client>>> {
    vec![
        resource(resources::api_key::ApiKey),
        resource(resources::api_key_project_assignment::ApiKeyProjectAssignment),
        resource(resources::access_list_api_key::AccessListApiKey),
        resource(resources::project_api_key::ProjectApiKey),
        resource(resources::ai_model_api_key::AiModelApiKey),
        resource(resources::ai_model_rate_limit::AiModelRateLimit),
    ]
}

/// Every data source type, in the order of the resources they read.
pub fn data_sources() -> Vec<Arc<dyn DynDataSource<atlas::Client>>> {
    vec![
        data_source(api_key::ApiKeyData),
        data_source(api_key::ApiKeysData),
        data_source(roles_org_id::RolesOrgIdData),
        data_source(api_key_project_assignment::ApiKeyProjectAssignmentData),
        data_source(api_key_project_assignment::ApiKeyProjectAssignmentsData),
        data_source(access_list_api_key::AccessListApiKeyData),
        data_source(access_list_api_key::AccessListApiKeysData),
        data_source(project_api_key::ProjectApiKeyData),
        data_source(project_api_key::ProjectApiKeysData),
        data_source(ai_model_api_key::AiModelApiKeyData),
        data_source(ai_model_api_key::AiModelApiKeysData),
        data_source(ai_model_org_api_key::AiModelOrgApiKeyData),
        data_source(ai_model_org_api_key::AiModelOrgApiKeysData),
        data_source(ai_model_rate_limit::AiModelRateLimitData),
        data_source(ai_model_rate_limit::AiModelRateLimitsData),
        data_source(ai_model_rate_limit::AiModelOrgRateLimitData),
        data_source(ai_model_rate_limit::AiModelOrgRateLimitsData),
    ]
}

/// Every ephemeral resource type: keys that live for one Terraform run.
pub fn ephemeral_resources() -> Vec<Arc<dyn crate::framework::DynEphemeralResource<atlas::Client>>> {
    vec![
        crate::framework::ephemeral_resource(ephemeral::api_key::EphemeralApiKey),
        crate::framework::ephemeral_resource(ephemeral::ai_model_api_key::EphemeralAiModelApiKey),
    ]
}

/// The registry docs' navigation group (frontmatter `subcategory`) of a resource or data
/// source type, by its name without the `mongodbatlas_` prefix, as the official provider's
/// docs group them: the programmatic API key family under "Programmatic API Keys", the Voyage
/// AI family under "AI Models". `None` for a type this list does not know (the docs test
/// fails on it).
pub fn docs_subcategory(name: &str) -> Option<&'static str> {
    match name {
        "api_key"
        | "api_keys"
        | "project_api_key"
        | "project_api_keys"
        | "access_list_api_key"
        | "access_list_api_keys"
        | "api_key_project_assignment"
        | "api_key_project_assignments"
        | "roles_org_id" => Some("Programmatic API Keys"),
        _ if name.starts_with("ai_model_") => Some("AI Models"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::resource::check_state_agrees_with_schema;
    use crate::framework::{DataSource, Resource};

    fn resource_agrees<R: Resource>() {
        check_state_agrees_with_schema::<R::State>(&R::schema()).unwrap_or_else(|err| panic!("{}: {err}", R::NAME));
    }

    fn data_source_agrees<D: DataSource>() {
        check_state_agrees_with_schema::<D::State>(&D::schema()).unwrap_or_else(|err| panic!("{}: {err}", D::NAME));
    }

    #[test]
    fn api_key_state_agrees_with_its_schema() {
        resource_agrees::<resources::api_key::ApiKey>();
    }

    #[test]
    fn project_api_key_state_agrees_with_its_schema() {
        resource_agrees::<resources::project_api_key::ProjectApiKey>();
    }

    #[test]
    fn ai_model_api_key_state_agrees_with_its_schema() {
        resource_agrees::<resources::ai_model_api_key::AiModelApiKey>();
    }

    #[test]
    fn ai_model_rate_limit_states_agree_with_their_schemas() {
        resource_agrees::<resources::ai_model_rate_limit::AiModelRateLimit>();
        data_source_agrees::<ai_model_rate_limit::AiModelRateLimitData>();
        data_source_agrees::<ai_model_rate_limit::AiModelRateLimitsData>();
        data_source_agrees::<ai_model_rate_limit::AiModelOrgRateLimitData>();
        data_source_agrees::<ai_model_rate_limit::AiModelOrgRateLimitsData>();
    }

    #[test]
    fn api_key_project_assignment_state_agrees_with_its_schema() {
        resource_agrees::<resources::api_key_project_assignment::ApiKeyProjectAssignment>();
        data_source_agrees::<api_key_project_assignment::ApiKeyProjectAssignmentData>();
        data_source_agrees::<api_key_project_assignment::ApiKeyProjectAssignmentsData>();
    }

    #[test]
    fn access_list_api_key_state_agrees_with_its_schema() {
        resource_agrees::<resources::access_list_api_key::AccessListApiKey>();
    }

    #[test]
    fn access_list_roles_org_and_ai_org_data_source_states_agree_with_their_schemas() {
        data_source_agrees::<access_list_api_key::AccessListApiKeyData>();
        data_source_agrees::<access_list_api_key::AccessListApiKeysData>();
        data_source_agrees::<roles_org_id::RolesOrgIdData>();
        data_source_agrees::<ai_model_org_api_key::AiModelOrgApiKeyData>();
        data_source_agrees::<ai_model_org_api_key::AiModelOrgApiKeysData>();
    }

    #[test]
    fn data_source_states_agree_with_their_schemas() {
        data_source_agrees::<api_key::ApiKeyData>();
        data_source_agrees::<api_key::ApiKeysData>();
        data_source_agrees::<project_api_key::ProjectApiKeyData>();
        data_source_agrees::<project_api_key::ProjectApiKeysData>();
        data_source_agrees::<ai_model_api_key::AiModelApiKeyData>();
        data_source_agrees::<ai_model_api_key::AiModelApiKeysData>();
    }

    #[test]
    fn ephemeral_states_agree_with_their_schemas() {
        use crate::framework::EphemeralResource;
        fn agrees<E: EphemeralResource>() {
            check_state_agrees_with_schema::<E::State>(&E::schema()).unwrap_or_else(|err| panic!("{}: {err}", E::NAME));
        }
        agrees::<ephemeral::api_key::EphemeralApiKey>();
        agrees::<ephemeral::ai_model_api_key::EphemeralAiModelApiKey>();
    }

    #[test]
    fn a_state_struct_missing_a_field_is_caught() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Short {
            org_id: String,
        }
        let err = check_state_agrees_with_schema::<Short>(&resources::api_key::ApiKey::schema()).unwrap_err();
        assert!(err.contains("changed on its way"), "{err}");
    }
}
