//! `mongodbatlas_project_api_key`: an organization API key created through a project and
//! assigned, in order, to one or more projects.
//!
//! Atlas: `GET /groups/{id}` (the org), `POST /groups/{id}/apiKeys` (create and assign),
//! `POST|PATCH|DELETE /groups/{id}/apiKeys/{keyId}` (assign, set roles, unassign),
//! `GET|PATCH|DELETE /orgs/{orgId}/apiKeys/{keyId}` (every role at once, org roles and
//! description, delete everywhere).
//! Import ID: `<org_id>-<api_key_id>` or `<project_id>-<api_key_id>` (also with `/`).
//!
//! Quirks handled here:
//! - Atlas gives a key created through a project an implicit organization role (ORG_MEMBER).
//!   Read reports only the organization roles configured in the first assignment, so the
//!   implicit one never shows as drift; ORG_READ_ONLY is refused at plan time for the same
//!   reason (the seed document's rule).
//! - `project_assignment` is an ordered list: Read keeps the prior order and appends
//!   projects assigned elsewhere; reordering blocks makes no API call.
//! - A failure half-way through create or update returns what was done with the error, so the
//!   key is never orphaned.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::schema::{Block, NestedBlock};
use crate::framework::{
    count, length, string, string_set, Applied, Cx, Diagnostic, Diagnostics, Failed, Resource, Schema, Sensitive,
};
use crate::provider::errors::{self, OrDiagnose};
use crate::provider::validators::{self, MAX_ROLES};
use crate::provider::{import_id, recover, secret};
use crate::value::{AttributePath, Quoted, Value};

/// The resource type.
pub struct ProjectApiKey;

/// State and configuration of a project API key.
#[derive(Debug, Serialize, Deserialize)]
pub struct ProjectApiKeyState {
    project_id: String,
    description: Option<String>,
    role_names: Option<BTreeSet<String>>,
    #[serde(default)]
    project_assignment: Vec<Assignment>,
    org_id: Option<String>,
    api_key_id: Option<String>,
    public_key: Option<String>,
    private_key: Option<Sensitive>,
}

/// One `project_assignment` block.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    project_id: String,
    role_names: BTreeSet<String>,
}

const ORG_READ_ONLY: &str = "ORG_READ_ONLY";
/// The organization role Atlas gives a key created through a project without one.
const IMPLICIT_ORG_ROLE: &str = "ORG_MEMBER";

#[async_trait]
impl Resource for ProjectApiKey {
    type Client = atlas::Client;
    type State = ProjectApiKeyState;
    const NAME: &'static str = "project_api_key";

    fn schema() -> Schema {
        let assignment = Block::new("A project the key is assigned to, with its roles there. The first block is the project the key is created through.")
            .attributes([
                string("project_id")
                    .required()
                    .validate(validators::object_id())
                    .doc("Unique 24-hexadecimal digit string that identifies the project."),
                string_set("role_names")
                    .required()
                    .validate(count(1..=MAX_ROLES))
                    .validate(validators::role_names())
                    .doc("Roles of the key in this project, such as `GROUP_OWNER` or `GROUP_READ_ONLY`. At least one, at most 100. Organization roles (`ORG_...`) are allowed only in the first block, and `ORG_READ_ONLY` in none."),
            ]);
        Schema::new(
            "An organization programmatic API key created through a project and assigned to one or more projects. \
             Atlas shows the private key once, when the key is created; it is kept in Terraform state, so protect the state.",
        )
        .attributes([
            string("project_id")
                .required()
                .requires_replace()
                .validate(validators::object_id())
                .doc("Unique 24-hexadecimal digit string that identifies the project through which the key is created. Changing it replaces the key."),
            string("description")
                .required()
                .validate(length(1..=250))
                .doc("Description of the key, 1 to 250 characters."),
            string_set("role_names")
                .optional()
                .validate(count(1..=MAX_ROLES))
                .validate(validators::role_names())
                .doc("Roles of the key in `project_id`, when no `project_assignment` block is given. Exactly one of `role_names` and `project_assignment` must be set."),
            string("org_id")
                .computed()
                .use_state_for_unknown()
                .doc("Organization that owns the key: the organization of `project_id`."),
            string("api_key_id")
                .computed()
                .use_state_for_unknown()
                .doc("Unique 24-hexadecimal digit string that identifies the key."),
            string("public_key")
                .computed()
                .use_state_for_unknown()
                .doc("Public part of the key (the Digest user name)."),
            string("private_key")
                .computed()
                .sensitive()
                .use_state_for_unknown()
                .doc("Private part of the key. Atlas returns it only when the key is created; it is null for imported keys."),
        ])
        .block(NestedBlock::list("project_assignment", assignment))
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        validate_rules(config, diags);
    }

    async fn create(&self, cx: &Cx<atlas::Client>, planned: ProjectApiKeyState) -> Applied<ProjectApiKeyState> {
        let desired = desired_assignments(&planned);
        let Some((first, rest)) = desired.split_first() else {
            return Err(Diagnostic::bug("Could not create project API key", "no project to create it in").into());
        };
        let group = cx
            .client
            .get_group(&planned.project_id)
            .await
            .or_diagnose("Could not create project API key", ERROR_ATTRS)?;
        let (org_roles, project_roles) = split_roles(&first.role_names);
        // Atlas needs at least one role in the create call; a first block of only
        // organization roles sends those, which the project endpoint accepts.
        let create_roles = if project_roles.is_empty() {
            org_roles.clone()
        } else {
            project_roles.clone()
        };
        let request = atlas::CreateProjectApiKey {
            desc: planned.description.clone().unwrap_or_default(),
            roles: create_roles.iter().cloned().collect(),
        };
        let project_id = planned.project_id.clone();
        let created = recover::create_or_adopt(
            cx,
            &RECOVERY,
            "Could not create project API key",
            ERROR_ATTRS,
            cx.client.create_project_api_key(&planned.project_id, &request),
            |client| async move { client.list_project_api_keys(&project_id).await },
            |key: &atlas::ApiKey| matches_request(&planned.project_id, &request, key),
            |id| format!("{}-{id}", planned.project_id),
        )
        .await?;

        // From here on the key exists: every failure keeps the state reached so far.
        let blocks_form = !planned.project_assignment.is_empty();
        let mut state = ProjectApiKeyState {
            project_id: planned.project_id.clone(),
            description: planned.description.clone(),
            role_names: None,
            project_assignment: Vec::new(),
            org_id: Some(group.org_id.clone()),
            api_key_id: Some(created.id.clone()),
            public_key: created.public_key.clone(),
            private_key: created.private_key.as_ref().map(secret::sensitive),
        };
        let mut done = vec![Assignment {
            project_id: first.project_id.clone(),
            role_names: create_roles.clone(),
        }];
        let keep = |mut state: ProjectApiKeyState, done: Vec<Assignment>, diagnostic: Diagnostic| {
            store_assignments(&mut state, blocks_form, done);
            Failed::keeping(state, diagnostic)
        };
        if !org_roles.is_empty() && !project_roles.is_empty() {
            let request = atlas::UpdateApiKey {
                desc: None,
                roles: Some(org_roles.iter().cloned().collect()),
            };
            if let Err(diagnostic) = cx
                .client
                .update_api_key(&group.org_id, &created.id, &request)
                .await
                .or_diagnose(
                    "Could not set the organization roles of the new project API key",
                    ERROR_ATTRS,
                )
            {
                return Err(keep(state, done, diagnostic));
            }
            done[0].role_names = first.role_names.clone();
        }
        for (index, assignment) in rest.iter().enumerate() {
            let roles: Vec<String> = assignment.role_names.iter().cloned().collect();
            if let Err(diagnostic) = cx
                .client
                .add_project_api_key(&assignment.project_id, &created.id, &roles)
                .await
                .or_diagnose("Could not assign the new project API key", ERROR_ATTRS)
            {
                let diagnostic = diagnostic.at(AttributePath::attr("project_assignment").then_index(index + 1));
                return Err(keep(state, done, diagnostic));
            }
            done.push(assignment.clone());
        }
        store_assignments(&mut state, blocks_form, done);
        Ok(state)
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        prior: ProjectApiKeyState,
    ) -> Result<Option<ProjectApiKeyState>, Diagnostics> {
        let org_id = org_of(cx, &prior).await?;
        let Some(key) = cx
            .client
            .get_api_key_opt(&org_id, prior.api_key_id())
            .await
            .or_diagnose("Could not read project API key", ERROR_ATTRS)?
        else {
            return Ok(None);
        };
        recover::claim(&key.id);
        Ok(Some(state_from_atlas(prior, &org_id, key)))
    }

    async fn update(
        &self,
        cx: &Cx<atlas::Client>,
        prior: ProjectApiKeyState,
        planned: ProjectApiKeyState,
    ) -> Applied<ProjectApiKeyState> {
        let org_id = org_of(cx, &prior).await?;
        let api_key_id = prior.api_key_id().to_string();
        recover::claim(&api_key_id);
        let before: BTreeMap<String, BTreeSet<String>> = desired_assignments(&prior)
            .into_iter()
            .map(|a| (a.project_id, a.role_names))
            .collect();
        let after = desired_assignments(&planned);
        // What Atlas holds, updated step by step, so a failure reports exactly what was done.
        let mut current = before.clone();
        let mut state = ProjectApiKeyState {
            org_id: Some(org_id.clone()),
            ..planned
        };
        let keep = |mut state: ProjectApiKeyState, current: &BTreeMap<String, BTreeSet<String>>, diagnostic| {
            let reached: Vec<Assignment> = ordered(current, &desired_assignments(&state));
            let blocks_form = !state.project_assignment.is_empty();
            store_assignments(&mut state, blocks_form, reached);
            Failed::keeping(state, diagnostic)
        };

        let wanted: BTreeSet<&str> = after.iter().map(|a| a.project_id.as_str()).collect();
        for project_id in before.keys().filter(|p| !wanted.contains(p.as_str())) {
            match cx.client.remove_project_api_key(project_id, &api_key_id).await {
                // A project or assignment that no longer exists counts as unassigned.
                Err(err) if err.is_not_found() || err.error_code() == Some("GROUP_NOT_FOUND") => {}
                Err(err) => {
                    let diagnostic = errors::diagnose(&err, "Could not unassign the project API key", ERROR_ATTRS);
                    return Err(keep(state, &current, diagnostic));
                }
                Ok(()) => {}
            }
            current.remove(project_id);
        }

        let mut org_roles_wanted = None;
        for (index, assignment) in after.iter().enumerate() {
            let (org_roles, project_roles) = split_roles(&assignment.role_names);
            if index == 0 {
                let (prior_org_roles, _) = split_roles(before.get(&assignment.project_id).unwrap_or(&BTreeSet::new()));
                if org_roles != prior_org_roles {
                    org_roles_wanted = Some(org_roles.clone());
                }
            }
            let prior_roles = current.get(&assignment.project_id).map(|roles| split_roles(roles).1);
            let result = match prior_roles {
                None => {
                    let roles: Vec<String> = project_roles.iter().cloned().collect();
                    cx.client
                        .add_project_api_key(&assignment.project_id, &api_key_id, &roles)
                        .await
                        .or_diagnose("Could not assign the project API key", ERROR_ATTRS)
                }
                Some(prior_project_roles) if prior_project_roles != project_roles => {
                    let request = atlas::UpdateProjectApiKey {
                        desc: None,
                        roles: Some(project_roles.iter().cloned().collect()),
                    };
                    cx.client
                        .update_project_api_key_roles(&assignment.project_id, &api_key_id, &request)
                        .await
                        .map(|_| ())
                        .or_diagnose("Could not change the roles of the project API key", ERROR_ATTRS)
                }
                Some(_) => Ok(()),
            };
            if let Err(diagnostic) = result {
                let diagnostic = diagnostic.at(block_path(&state, index));
                return Err(keep(state, &current, diagnostic));
            }
            let mut roles = project_roles;
            roles.extend(
                current
                    .get(&assignment.project_id)
                    .map(|r| split_roles(r).0)
                    .unwrap_or_default(),
            );
            current.insert(assignment.project_id.clone(), roles);
        }

        let description_changed = prior.description != state.description;
        if description_changed || org_roles_wanted.is_some() {
            let roles = org_roles_wanted.clone().map(|roles| {
                if roles.is_empty() {
                    vec![IMPLICIT_ORG_ROLE.to_string()]
                } else {
                    roles.into_iter().collect()
                }
            });
            let request = atlas::UpdateApiKey {
                desc: if description_changed {
                    state.description.clone()
                } else {
                    None
                },
                roles,
            };
            if let Err(diagnostic) = cx
                .client
                .update_api_key(&org_id, &api_key_id, &request)
                .await
                .or_diagnose("Could not update the project API key", ERROR_ATTRS)
            {
                if description_changed {
                    state.description = prior.description.clone();
                }
                return Err(keep(state, &current, diagnostic));
            }
        }
        state.private_key = prior.private_key;
        Ok(state)
    }

    async fn delete(&self, cx: &Cx<atlas::Client>, prior: ProjectApiKeyState) -> Result<(), Diagnostics> {
        let org_id = org_of(cx, &prior).await?;
        // Deleting the organization key removes every project assignment with it.
        match cx.client.delete_api_key(&org_id, prior.api_key_id()).await {
            Err(err) if err.is_not_found() => Ok(()),
            result => Ok(result.or_diagnose("Could not delete project API key", ERROR_ATTRS)?),
        }
    }

    async fn import(&self, cx: &Cx<atlas::Client>, id: &str) -> Result<ProjectApiKeyState, Diagnostics> {
        const FORMATS: &str =
            "`{org_id}-{api_key_id}` or `{project_id}-{api_key_id}` (`/` also works as the separator)";
        const SUMMARY: &str = "Could not import project API key";
        let (first, api_key_id) = import_id::object_id_pair(id, FORMATS)?;
        // The first part is a project when Atlas knows it as one, otherwise an organization.
        let (org_id, project_id) = match cx.client.get_group(&first).await {
            Ok(group) => (group.org_id, Some(first)),
            Err(err) if err.is_not_found() => (first, None),
            Err(err) => return Err(errors::diagnose(&err, SUMMARY, &[]).into()),
        };
        let Some(key) = cx
            .client
            .get_api_key_opt(&org_id, &api_key_id)
            .await
            .or_diagnose(SUMMARY, &[])?
        else {
            return Err(Diagnostic::error(
                SUMMARY,
                format!("No API key {api_key_id} exists in organization {org_id}. Accepted import IDs: {FORMATS}."),
            )
            .into());
        };
        let projects: BTreeSet<String> = key.roles.iter().filter_map(|r| r.group_id.clone()).collect();
        let project_id = match (project_id, projects.iter().next()) {
            (Some(project_id), _) => project_id,
            (None, Some(lowest)) => {
                if projects.len() > 1 {
                    cx.warn(Diagnostic::warning(
                        "Project chosen for the imported key",
                        format!(
                            "The key is assigned to {} projects; project_id was set to {lowest}. If your configuration \
                             names another project first, import with `{{project_id}}-{api_key_id}` instead.",
                            projects.len()
                        ),
                    ));
                }
                lowest.clone()
            }
            (None, None) => {
                return Err(Diagnostic::error(
                    SUMMARY,
                    format!(
                        "The API key {api_key_id} is not assigned to any project; manage it with mongodbatlas_api_key \
                         instead."
                    ),
                )
                .into())
            }
        };
        cx.warn(secret::not_imported("private_key"));
        let stub = ProjectApiKeyState {
            project_id,
            description: None,
            role_names: None,
            project_assignment: Vec::new(),
            org_id: Some(org_id.clone()),
            api_key_id: Some(api_key_id),
            public_key: None,
            private_key: None,
        };
        Ok(state_from_atlas(stub, &org_id, key))
    }
}

impl ProjectApiKeyState {
    /// The key's id; empty only in a state that was never created.
    fn api_key_id(&self) -> &str {
        self.api_key_id.as_deref().unwrap_or_default()
    }
}

/// How recovery names this key type.
const RECOVERY: recover::Kind = recover::Kind {
    noun: "project API key",
    secret: "private key",
    matched_by: "description and roles in the project",
    listed_in: "the project's API keys",
};

/// True when `key` has the description `request` sent and holds every role it sent in
/// `project_id` (organization roles sent through a project land on the organization).
fn matches_request(project_id: &str, request: &atlas::CreateProjectApiKey, key: &atlas::ApiKey) -> bool {
    key.desc.as_deref() == Some(request.desc.as_str())
        && request.roles.iter().all(|wanted| {
            key.roles.iter().any(|role| {
                role.role_name == *wanted && (role.group_id.as_deref() == Some(project_id) || role.group_id.is_none())
            })
        })
}

/// Atlas error codes that blame one attribute.
const ERROR_ATTRS: &[(&str, &str)] = &[
    ("API_KEY_REQUIRES_DESCRIPTION", "description"),
    ("INVALID_API_KEY_DESC", "description"),
    ("GROUP_NOT_FOUND", "project_id"),
    ("INVALID_GROUP_ID", "project_id"),
];

/// The plan-time rules of this resource; unknown values are skipped.
fn validate_rules(config: &Value, diags: &mut Diagnostics) {
    let role_names = config.get("role_names");
    let blocks = config.get("project_assignment");
    let block_count = blocks.as_elements().map(<[Value]>::len);
    if role_names.is_known() && blocks.is_known() {
        match (role_names.is_null(), block_count.unwrap_or(0)) {
            (true, 0) => diags.attribute_error(
                AttributePath::attr("role_names"),
                "Missing roles",
                "Set either role_names (the key's roles in project_id) or one or more project_assignment blocks.",
            ),
            (false, count) if count > 0 => diags.attribute_error(
                AttributePath::attr("role_names"),
                "Conflicting roles",
                "role_names and project_assignment cannot both be set: give the roles of project_id in the first project_assignment block instead.",
            ),
            _ => {}
        }
    }
    check_roles(role_names, true, &AttributePath::attr("role_names"), diags);

    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, block) in blocks.as_elements().unwrap_or_default().iter().enumerate() {
        let path = AttributePath::attr("project_assignment").then_index(index);
        let block_project = block.get("project_id");
        if index == 0 {
            if let (Some(first), Some(resource_project)) = (block_project.as_str(), config.get("project_id").as_str()) {
                if first != resource_project {
                    diags.attribute_error(
                        path.clone().then_attr("project_id"),
                        "First assignment must be the key's project",
                        format!(
                            "The first project_assignment block must name the resource's project_id ({}), through which the key is created; it names {}.",
                            Quoted(resource_project),
                            Quoted(first)
                        ),
                    );
                }
            }
        }
        check_roles(
            block.get("role_names"),
            index == 0,
            &path.clone().then_attr("role_names"),
            diags,
        );
        if let Some(project_id) = block_project.as_str() {
            if let Some(earlier) = seen.insert(project_id, index) {
                diags.attribute_error(
                    path.then_attr("project_id"),
                    "Duplicate project assignment",
                    format!(
                        "Project {} is already assigned in project_assignment[{earlier}]; give each project one block with all its roles.",
                        Quoted(project_id)
                    ),
                );
            }
        }
    }
}

/// Most role errors reported for one attribute; a 40,000-element set gives a bounded answer.
const ROLE_ERRORS_REPORTED: usize = 10;

fn check_roles(roles: &Value, org_roles_allowed: bool, path: &AttributePath, diags: &mut Diagnostics) {
    let problems = roles
        .as_elements()
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|role| {
            if role == ORG_READ_ONLY {
                Some((
                    "ORG_READ_ONLY is not allowed here",
                    "Atlas gives a key created through a project an organization role of its own, so configuring \
                     ORG_READ_ONLY could never match what Atlas reports. Leave it out; to give the key other \
                     organization roles, list them in the first project_assignment block."
                        .to_string(),
                ))
            } else if role.starts_with("ORG_") && !org_roles_allowed {
                Some((
                    "Organization role outside the first assignment",
                    format!(
                        "{} is an organization role; organization roles can be given only in the first \
                         project_assignment block.",
                        Quoted(role)
                    ),
                ))
            } else {
                None
            }
        });
    for (summary, detail) in problems.take(ROLE_ERRORS_REPORTED) {
        diags.attribute_error(path.clone(), summary, detail);
    }
}

/// The assignments a state asks for, in order: the blocks, or `role_names` in `project_id`.
fn desired_assignments(state: &ProjectApiKeyState) -> Vec<Assignment> {
    if !state.project_assignment.is_empty() {
        return state.project_assignment.clone();
    }
    vec![Assignment {
        project_id: state.project_id.clone(),
        role_names: state.role_names.clone().unwrap_or_default(),
    }]
}

/// Splits roles into (organization roles, project roles).
fn split_roles(roles: &BTreeSet<String>) -> (BTreeSet<String>, BTreeSet<String>) {
    roles.iter().cloned().partition(|role| role.starts_with("ORG_"))
}

/// Stores `reached` in the form the configuration uses: blocks, or `role_names` holding the
/// roles in `project_id`.
fn store_assignments(state: &mut ProjectApiKeyState, blocks_form: bool, reached: Vec<Assignment>) {
    if blocks_form {
        state.role_names = None;
        state.project_assignment = reached;
    } else {
        state.role_names = reached
            .into_iter()
            .find(|a| a.project_id == state.project_id)
            .map(|a| a.role_names);
        state.project_assignment = Vec::new();
    }
}

/// `current` in the order of `preferred`, then the rest by project id.
fn ordered(current: &BTreeMap<String, BTreeSet<String>>, preferred: &[Assignment]) -> Vec<Assignment> {
    let mut out: Vec<Assignment> = preferred
        .iter()
        .filter_map(|a| {
            current.get(&a.project_id).map(|roles| Assignment {
                project_id: a.project_id.clone(),
                role_names: roles.clone(),
            })
        })
        .collect();
    let placed: BTreeSet<String> = out.iter().map(|a| a.project_id.clone()).collect();
    for (project_id, roles) in current {
        if !placed.contains(project_id) {
            out.push(Assignment {
                project_id: project_id.clone(),
                role_names: roles.clone(),
            });
        }
    }
    out
}

fn block_path(state: &ProjectApiKeyState, index: usize) -> AttributePath {
    if state.project_assignment.is_empty() {
        AttributePath::attr("role_names")
    } else {
        AttributePath::attr("project_assignment").then_index(index)
    }
}

/// The organization of the key: from state, else from the project.
async fn org_of(cx: &Cx<atlas::Client>, state: &ProjectApiKeyState) -> Result<String, Diagnostics> {
    if let Some(org_id) = state.org_id.as_ref().filter(|o| !o.is_empty()) {
        return Ok(org_id.clone());
    }
    let group = cx
        .client
        .get_group(&state.project_id)
        .await
        .or_diagnose("Could not find the project's organization", ERROR_ATTRS)?;
    Ok(group.org_id)
}

/// Rebuilds the state from the key as Atlas reports it, keeping the prior form: the prior
/// block order (new projects appended by id), only the organization roles configured in the
/// first assignment, and the private key Atlas no longer shows. A prior state with no
/// description is an import stub, which takes `role_names` form for a single project and
/// block form for several.
fn state_from_atlas(prior: ProjectApiKeyState, org_id: &str, key: atlas::ApiKey) -> ProjectApiKeyState {
    let mut by_project: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut org_roles = BTreeSet::new();
    for role in &key.roles {
        match (&role.group_id, &role.org_id) {
            (Some(group_id), _) => {
                by_project
                    .entry(group_id.clone())
                    .or_default()
                    .insert(role.role_name.clone());
            }
            (None, Some(role_org)) if role_org == org_id => {
                org_roles.insert(role.role_name.clone());
            }
            _ => {}
        }
    }
    let imported = prior.description.is_none();
    let configured_org_roles: BTreeSet<String> = if imported {
        org_roles
            .iter()
            .filter(|r| *r != IMPLICIT_ORG_ROLE && *r != ORG_READ_ONLY)
            .cloned()
            .collect()
    } else {
        let first = desired_assignments(&prior)
            .into_iter()
            .next()
            .map(|a| a.role_names)
            .unwrap_or_default();
        split_roles(&first).0.intersection(&org_roles).cloned().collect()
    };
    let mut preferred = desired_assignments(&prior);
    if imported {
        preferred = vec![Assignment {
            project_id: prior.project_id.clone(),
            role_names: BTreeSet::new(),
        }];
    }
    let mut assignments = ordered(&by_project, &preferred);
    if let Some(first) = assignments.iter_mut().find(|a| a.project_id == prior.project_id) {
        first.role_names.extend(configured_org_roles.iter().cloned());
    }
    let blocks_form = if imported {
        assignments.len() > 1
    } else {
        !prior.project_assignment.is_empty()
    };
    let (role_names, project_assignment) = if blocks_form {
        (None, assignments)
    } else {
        let roles = assignments
            .into_iter()
            .find(|a| a.project_id == prior.project_id)
            .map(|a| a.role_names);
        (Some(roles.unwrap_or_default()), Vec::new())
    };
    ProjectApiKeyState {
        project_id: prior.project_id,
        description: key.desc,
        role_names,
        project_assignment,
        org_id: Some(org_id.to_string()),
        api_key_id: Some(key.id),
        public_key: key.public_key,
        private_key: prior.private_key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT: &str = "5d09d6a59ccf6445652a444b";

    fn key(desc: &str, roles: &[(&str, Option<&str>)]) -> atlas::ApiKey {
        atlas::ApiKey {
            id: "6576974933969669aaaaaaaa".to_string(),
            desc: Some(desc.to_string()),
            public_key: None,
            private_key: None,
            roles: roles
                .iter()
                .map(|(name, group)| atlas::RoleAssignment {
                    role_name: name.to_string(),
                    org_id: group.is_none().then(|| "5d09d6a59ccf6445652a444a".to_string()),
                    group_id: group.map(str::to_string),
                })
                .collect(),
        }
    }

    #[test]
    fn recovery_matches_description_and_the_roles_sent_to_the_project() {
        let request = atlas::CreateProjectApiKey {
            desc: "twin".to_string(),
            roles: vec!["GROUP_READ_ONLY".to_string()],
        };
        let made = key("twin", &[("GROUP_READ_ONLY", Some(PROJECT)), ("ORG_MEMBER", None)]);
        assert!(matches_request(PROJECT, &request, &made));
        assert!(!matches_request(
            PROJECT,
            &request,
            &key("other", &[("GROUP_READ_ONLY", Some(PROJECT))])
        ));
        assert!(!matches_request(
            PROJECT,
            &request,
            &key("twin", &[("GROUP_READ_ONLY", Some("aaaaaaaaaaaaaaaaaaaaaaaa"))])
        ));
        assert!(!matches_request(
            PROJECT,
            &request,
            &key("twin", &[("GROUP_OWNER", Some(PROJECT))])
        ));
        // Organization roles sent through the project land on the organization.
        let org_only = atlas::CreateProjectApiKey {
            desc: "twin".to_string(),
            roles: vec!["ORG_READ_ONLY".to_string()],
        };
        assert!(matches_request(
            PROJECT,
            &org_only,
            &key("twin", &[("ORG_READ_ONLY", None)])
        ));
    }
}
