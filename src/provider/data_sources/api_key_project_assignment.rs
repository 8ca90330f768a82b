//! `mongodbatlas_api_key_project_assignment` and `mongodbatlas_api_key_project_assignments`
//! data sources: the roles of one organization key in one project, or of every key assigned to
//! a project.
//!
//! Atlas: the singular reads the key (every role of the key per project) from the
//! organization's listing that every read of the process shares, else its own `getOrgApiKey`
//! (see [`listings`]), with the project's organization from `getGroup`, asked once per provider
//! process; the plural
//! lists the project's keys (`listGroupApiKeys`, every page).

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::{nested, string, string_set, Cx, DataSource, Diagnostic, Diagnostics, Nesting, Schema};
use crate::provider::errors::OrDiagnose;
use crate::provider::resources::api_key_project_assignment::project_roles;
use crate::provider::{listings, lookups, validators};
use crate::value::{AttributePath, Quoted};

/// One key's roles in one project.
pub struct ApiKeyProjectAssignmentData;

/// Every key assigned to a project, with its roles there.
pub struct ApiKeyProjectAssignmentsData;

/// One assignment, as both data sources report it.
#[derive(Debug, Serialize, Deserialize)]
pub struct AssignmentData {
    project_id: String,
    api_key_id: String,
    roles: Option<BTreeSet<String>>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AssignmentsDataState {
    project_id: String,
    results: Option<Vec<AssignmentData>>,
}

const ERROR_ATTRS: &[(&str, &str)] = &[
    ("GROUP_NOT_FOUND", "project_id"),
    ("INVALID_GROUP_ID", "project_id"),
    ("NOT_IN_GROUP", "project_id"),
];

const ROLES_DOC: &str = "Project roles of the key in the project, such as `GROUP_OWNER`.";

#[async_trait]
impl DataSource for ApiKeyProjectAssignmentData {
    type Client = atlas::Client;
    type State = AssignmentData;
    const NAME: &'static str = "api_key_project_assignment";

    fn schema() -> Schema {
        Schema::new(
            "The roles of one organization API key in one project. A key not assigned to the project is an error.",
        )
        .attributes([
            string("project_id")
                .required()
                .validate(validators::object_id())
                .doc("Unique 24-hexadecimal digit string that identifies the project."),
            string("api_key_id")
                .required()
                .validate(validators::object_id())
                .doc("Unique 24-hexadecimal digit string that identifies the organization API key."),
            string_set("roles").computed().doc(ROLES_DOC),
        ])
    }

    async fn read(&self, cx: &Cx<atlas::Client>, config: AssignmentData) -> Result<AssignmentData, Diagnostics> {
        const SUMMARY: &str = "Could not read the API key project assignment";
        let org_id = lookups::project_org_id(&cx.client, &config.project_id)
            .await
            .or_diagnose(SUMMARY, ERROR_ATTRS)?;
        let roles = listings::org_key(&cx.client, &org_id, &config.api_key_id)
            .await
            .or_diagnose(SUMMARY, ERROR_ATTRS)?
            .map(|key| project_roles(&key, &config.project_id))
            .filter(|roles| !roles.is_empty())
            .ok_or_else(|| {
                Diagnostic::error(
                    "API key project assignment not found",
                    format!(
                        "API key {} is not assigned to project {} (or no such key exists in the project's organization).",
                        Quoted(&config.api_key_id),
                        Quoted(&config.project_id)
                    ),
                )
                .at(AttributePath::attr("api_key_id"))
            })?;
        Ok(AssignmentData {
            roles: Some(roles),
            ..config
        })
    }
}

#[async_trait]
impl DataSource for ApiKeyProjectAssignmentsData {
    type Client = atlas::Client;
    type State = AssignmentsDataState;
    const NAME: &'static str = "api_key_project_assignments";

    fn schema() -> Schema {
        Schema::new("Every organization API key assigned to a project, with its roles there, read across all pages.")
            .attributes([
            string("project_id")
                .required()
                .validate(validators::object_id())
                .doc("Unique 24-hexadecimal digit string that identifies the project."),
            nested(
                "results",
                Nesting::List,
                [
                    string("project_id").computed().doc("The project."),
                    string("api_key_id")
                        .computed()
                        .doc("Unique 24-hexadecimal digit string that identifies the key."),
                    string_set("roles").computed().doc(ROLES_DOC),
                ],
            )
            .computed()
            .doc(
                "The assignments, one per key, in the order Atlas lists them: `project_id`, `api_key_id` and `roles`.",
            ),
        ])
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        config: AssignmentsDataState,
    ) -> Result<AssignmentsDataState, Diagnostics> {
        let keys = cx
            .client
            .list_project_api_keys(&config.project_id)
            .await
            .or_diagnose("Could not list the project's API keys", ERROR_ATTRS)?;
        let results = keys
            .into_iter()
            .map(|key| AssignmentData {
                project_id: config.project_id.clone(),
                roles: Some(project_roles(&key, &config.project_id)),
                api_key_id: key.id,
            })
            .collect();
        Ok(AssignmentsDataState {
            results: Some(results),
            ..config
        })
    }
}
