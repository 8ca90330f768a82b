//! `mongodbatlas_project_api_key` and `mongodbatlas_project_api_keys` data sources: keys
//! assigned to a project, with every project they are assigned to.
//!
//! Atlas: `GET /groups/{groupId}` (once per project and process) then the key from the
//! organization's listing that every read of the process shares, else its own
//! `GET /orgs/{orgId}/apiKeys/{apiUserId}` (see [`listings`]), for one key;
//! `GET /groups/{groupId}/apiKeys` (all pages; each key lists all its roles) for every key.
//! `private_key` holds what Atlas returns in these reads: the masked key (such as
//! `********-****-****-c4e26334754f`), never the usable one.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::{
    nested, string, Attribute, Cx, DataSource, Diagnostic, Diagnostics, Nesting, Schema, Sensitive,
};
use crate::provider::data_sources::{all_or_one_page, assignment_attributes, paging_attributes};
use crate::provider::errors::OrDiagnose;
use crate::provider::secret;
use crate::provider::{listings, lookups, validators};
use crate::value::{AttributePath, Quoted};

/// One key assigned to a project.
pub struct ProjectApiKeyData;

/// Every key assigned to a project.
pub struct ProjectApiKeysData;

#[derive(Debug, Serialize, Deserialize)]
pub struct ProjectApiKeyDataState {
    id: Option<String>,
    project_id: String,
    api_key_id: String,
    description: Option<String>,
    public_key: Option<String>,
    private_key: Option<Sensitive>,
    project_assignment: Option<Vec<AssignmentData>>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ProjectApiKeysDataState {
    id: Option<String>,
    project_id: String,
    page_num: Option<u32>,
    items_per_page: Option<u32>,
    results: Option<Vec<ProjectApiKeyResult>>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ProjectApiKeyResult {
    api_key_id: String,
    description: Option<String>,
    public_key: Option<String>,
    private_key: Option<Sensitive>,
    project_assignment: Vec<AssignmentData>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AssignmentData {
    project_id: String,
    role_names: BTreeSet<String>,
}

const ERROR_ATTRS: &[(&str, &str)] = &[("GROUP_NOT_FOUND", "project_id"), ("INVALID_GROUP_ID", "project_id")];

const ASSIGNMENT_DOC: &str = "Every project the key is assigned to, `project_id` first, then by project ID: `project_id` and `role_names` (the key's project roles there).";

#[async_trait]
impl DataSource for ProjectApiKeyData {
    type Client = atlas::Client;
    type State = ProjectApiKeyDataState;
    const NAME: &'static str = "project_api_key";

    fn schema() -> Schema {
        Schema::new("One programmatic API key assigned to a project. Its `private_key` is masked: Atlas shows the usable one only when the key is created.").attributes([
            string("id").computed().doc("`{project_id}-{api_key_id}`, an import ID of the key."),
            string("project_id")
                .required()
                .validate(validators::object_id())
                .doc("A project the key is assigned to."),
            string("api_key_id")
                .required()
                .validate(validators::object_id())
                .doc("Unique 24-hexadecimal digit string that identifies the key."),
        ])
        .attributes(key_details())
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        config: ProjectApiKeyDataState,
    ) -> Result<ProjectApiKeyDataState, Diagnostics> {
        let org_id = lookups::project_org_id(&cx.client, &config.project_id)
            .await
            .or_diagnose("Could not read the project", ERROR_ATTRS)?;
        let key = listings::org_key(&cx.client, &org_id, &config.api_key_id)
            .await
            .or_diagnose("Could not read project API key", ERROR_ATTRS)?
            .filter(|key| {
                key.roles
                    .iter()
                    .any(|r| r.group_id.as_deref() == Some(config.project_id.as_str()))
            })
            .ok_or_else(|| {
                Diagnostic::error(
                    "Project API key not found",
                    format!(
                        "No API key with ID {} is assigned to project {}.",
                        Quoted(&config.api_key_id),
                        Quoted(&config.project_id)
                    ),
                )
                .at(AttributePath::attr("api_key_id"))
            })?;
        Ok(ProjectApiKeyDataState {
            id: Some(format!("{}-{}", config.project_id, config.api_key_id)),
            project_assignment: Some(assignments(&key, &config.project_id)),
            private_key: key.private_key.as_ref().map(secret::sensitive),
            description: key.desc,
            public_key: key.public_key,
            ..config
        })
    }
}

/// What both data sources report of a key besides its ID, `private_key` sensitive.
fn key_details() -> [Attribute; 4] {
    [
        string("description").computed().doc("Description of the key."),
        string("public_key").computed().doc("Public part of the key."),
        string("private_key")
            .computed()
            .sensitive()
            .doc("The private key as Atlas returns it here: masked, such as `********-****-****-c4e26334754f`. It cannot be used to authenticate."),
        nested("project_assignment", Nesting::List, assignment_attributes())
            .computed()
            .doc(ASSIGNMENT_DOC),
    ]
}

/// The attributes of each element of `results`.
fn result_attributes() -> Vec<Attribute> {
    let id = string("api_key_id")
        .computed()
        .doc("Unique 24-hexadecimal digit string that identifies the key.");
    std::iter::once(id).chain(key_details()).collect()
}

#[async_trait]
impl DataSource for ProjectApiKeysData {
    type Client = atlas::Client;
    type State = ProjectApiKeysDataState;
    const NAME: &'static str = "project_api_keys";

    fn schema() -> Schema {
        Schema::new("Every programmatic API key assigned to a project, read across all pages (or one page, with `page_num` or `items_per_page`). Private keys are masked.").attributes([
            string("id").computed().doc("The project ID."),
            string("project_id").required().validate(validators::object_id()).doc("Project whose keys to list."),
            nested("results", Nesting::List, result_attributes())
                .computed()
                .doc("The keys: `api_key_id`, `description`, `public_key`, `private_key` (masked, sensitive) and `project_assignment` (as in the singular data source)."),
        ])
        .attributes(paging_attributes())
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        config: ProjectApiKeysDataState,
    ) -> Result<ProjectApiKeysDataState, Diagnostics> {
        let keys = all_or_one_page(
            config.page_num,
            config.items_per_page,
            cx.client.list_project_api_keys(&config.project_id),
            |page, size| cx.client.list_project_api_keys_page(&config.project_id, page, size),
        )
        .await
        .or_diagnose("Could not list project API keys", ERROR_ATTRS)?;
        let results = keys
            .into_iter()
            .map(|key| ProjectApiKeyResult {
                project_assignment: assignments(&key, &config.project_id),
                private_key: key.private_key.as_ref().map(secret::sensitive),
                api_key_id: key.id,
                description: key.desc,
                public_key: key.public_key,
            })
            .collect();
        Ok(ProjectApiKeysDataState {
            id: Some(config.project_id.clone()),
            results: Some(results),
            ..config
        })
    }
}

/// The key's project roles grouped by project, `first` project first.
fn assignments(key: &atlas::ApiKey, first: &str) -> Vec<AssignmentData> {
    let mut by_project: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for role in &key.roles {
        if let Some(group_id) = role.group_id.as_deref() {
            by_project.entry(group_id).or_default().insert(role.role_name.clone());
        }
    }
    let mut out = Vec::with_capacity(by_project.len());
    if let Some(roles) = by_project.remove(first) {
        out.push(AssignmentData {
            project_id: first.to_string(),
            role_names: roles,
        });
    }
    out.extend(by_project.into_iter().map(|(project_id, role_names)| AssignmentData {
        project_id: project_id.to_string(),
        role_names,
    }));
    out
}
