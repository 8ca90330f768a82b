//! `mongodbatlas_project_api_key`: an organization API key created through a project and
//! assigned, in order, to one or more projects.
//!
//! Atlas: `GET /groups/{id}` (the org, once per project and process:
//! [`lookups::project_org_id`]), `POST /groups/{id}/apiKeys` (create and assign),
//! `POST|PATCH|DELETE /groups/{id}/apiKeys/{keyId}` (assign, set roles, unassign),
//! `GET|PATCH|DELETE /orgs/{orgId}/apiKeys/{keyId}` (every role at once, org roles and
//! description, delete everywhere).
//! Import ID: `<org_id>-<api_key_id>` or `<project_id>-<api_key_id>` (also with `/`).
//! Read and import take the key from the organization's listing shared by every read of the
//! process ([`listings::org_key`]; it lists every role of each key), else from its own GET.
//!
//! Three configuration forms work: `project_id` + `role_names` (one project); blocks with a
//! top-level `project_id` equal to the first block's; blocks alone (the official provider's
//! form), where `project_id` is computed from the first block. Nothing replaces the key: it
//! is an organization object, and every change is an assignment, a role change, an
//! unassignment or a description.
//!
//! State is what Atlas reports: every project the key is assigned to (configured blocks in
//! configuration order, then any other assigned project, sorted) with exactly the roles Atlas
//! lists; the first block also holds every organization role, except the implicit one
//! (`ORG_MEMBER`) Atlas gives a key created through a project when the configuration names
//! none (after an import or a move, which know no configuration: when it is the only one). Create and update compute the changes purely ([`changes`]) and run them with one
//! executor that records what Atlas holds after each step, so a failure half-way keeps
//! exactly what was done.
//!
//! State written by the official provider (SDKv2, schema version 0: blocks and an encoded
//! `id`, no `org_id`; before its v1.16.0 also a top-level `project_id`, and before v1.12.0
//! `role_names`) and our own states from before the `id` attribute upgrade in place
//! ([`upgraded`]): the blocks keep the state's order (the next plan restores the
//! configuration's, without an Atlas call when only the order differs), `project_id` becomes
//! the first block's, and `org_id` and `id` are left for `read` when the state does not hold
//! the organization.
//!
//! A `moved` block from `mongodbatlas_api_key` turns that key into this type without recreating
//! it ([`moved`]): the moved state has no assignments, and the first read lists every project
//! Atlas has the key assigned to (sorted; the next plan puts them in the configuration's order
//! without an Atlas call), refusing a key assigned to none.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::plan::Plan;
use crate::framework::schema::{Block, NestedBlock};
use crate::framework::{
    count, length, string, string_set, Applied, Cx, Diagnostic, Diagnostics, Failed, MoveFrom, MoveSource, Moved,
    Resource, Schema, Sensitive,
};
use crate::provider::errors::{self, OrDiagnose};
use crate::provider::validators::{self, MAX_ROLES};
use crate::provider::{import_id, listings, lookups, recover, secret};
use crate::value::{AttributePath, Quoted, Value};

use super::{moved, upgrade};

/// The resource type.
pub struct ProjectApiKey;

/// State and configuration of a project API key.
#[derive(Debug, Serialize, Deserialize)]
pub struct ProjectApiKeyState {
    id: Option<String>,
    project_id: Option<String>,
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
        let assignment = Block::new("A project the key is assigned to, with its roles there. The first block is the project the key is created through, and holds the key's organization roles.")
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
            string("id")
                .computed()
                .use_state_for_unknown()
                .doc("The import ID, `{org_id}-{api_key_id}`."),
            string("project_id")
                .optional()
                .computed()
                .validate(validators::object_id())
                .doc("The project the key is created through. Required with `role_names`; with `project_assignment` blocks it may be left out and is then the first block's project, and if set it must equal it. Changing it never replaces the key."),
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

    fn modify_plan(prior: &Value, config: &Value, plan: &mut Plan, diags: &mut Diagnostics) {
        if is_moved_unread(prior) {
            diags.push(moved::not_refreshed(
                "mongodbatlas_project_api_key",
                "project assignments",
            ));
            return;
        }
        // Without a top-level project_id, the key's project is the first block's.
        if config.get("project_id").is_null() {
            let first_block_project = config
                .get("project_assignment")
                .as_elements()
                .and_then(|blocks| blocks.first())
                .map(|first| first.get("project_id").clone());
            if let (Some(project), Some(planned)) = (first_block_project, plan.planned.get_mut("project_id")) {
                *planned = if project.is_null() { Value::Unknown } else { project };
            }
        }
        unknown_until_learnt(prior, plan);
    }

    /// A state needs its key and where to read it: a project, or (a state moved from
    /// `mongodbatlas_api_key`, whose projects the first read lists) the organization.
    fn upgrade(_version: i64, stored: Value) -> Result<Value, Diagnostics> {
        let upgraded = upgraded(stored);
        let required: &[&str] = if upgrade::text(&upgraded, "org_id").is_some() {
            &["api_key_id"]
        } else {
            &["api_key_id", "project_id"]
        };
        upgrade::require(upgraded, "project API key", required, "{project_id}-{api_key_id}")
    }

    const MOVES_FROM: &'static [MoveFrom] = moved::FROM_ORG_KEY;

    fn move_state(source: MoveSource<'_>) -> Result<Moved, Diagnostics> {
        moved::project_key_from_org_key(&source.state)
    }

    async fn create(&self, cx: &Cx<atlas::Client>, planned: ProjectApiKeyState) -> Applied<ProjectApiKeyState> {
        let desired = desired_assignments(&planned);
        let Some(first) = desired.first() else {
            return Err(Diagnostic::bug("Could not create project API key", "no project to create it in").into());
        };
        let org_id = lookups::project_org_id(&cx.client, &first.project_id)
            .await
            .or_diagnose("Could not create project API key", ERROR_ATTRS)?;
        // Plan-time rules give every block a project role; the organization roles of the
        // first block follow through the executor.
        let (_, project_roles) = split_roles(&first.role_names);
        let request = atlas::CreateProjectApiKey {
            desc: planned.description.clone().unwrap_or_default(),
            roles: project_roles.into_iter().collect(),
        };
        let project_id = first.project_id.clone();
        let created = recover::create_or_adopt(
            cx,
            &RECOVERY,
            "Could not create project API key",
            ERROR_ATTRS,
            cx.client.create_project_api_key(&first.project_id, &request),
            |client| async move { client.list_project_api_keys(&project_id).await },
            |key: &atlas::ApiKey| matches_request(&first.project_id, &request, key),
            |id| format!("{}-{id}", first.project_id),
        )
        .await?;
        listings::org_key_changed(&cx.client, &created.id);

        // From here on the key exists: every failure keeps what Atlas holds so far.
        let key = KeyFacts {
            org_id: org_id.clone(),
            api_key_id: created.id.clone(),
            public_key: created.public_key.clone(),
            private_key: created.private_key.as_ref().map(secret::sensitive),
        };
        let held = Held::from_key(&org_id, &created);
        let description = created.desc.clone();
        let steps = changes(&held, &desired, None);
        apply_changes(cx, &planned, &key, held, description, steps).await
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        prior: ProjectApiKeyState,
    ) -> Result<Option<ProjectApiKeyState>, Diagnostics> {
        let org_id = org_of(cx, &prior).await?;
        let Some(key) = listings::org_key(&cx.client, &org_id, prior.api_key_id())
            .await
            .or_diagnose("Could not read project API key", ERROR_ATTRS)?
        else {
            return Ok(None);
        };
        recover::claim(&key.id);
        if desired_assignments(&prior).is_empty() && Held::from_key(&org_id, &key).projects.is_empty() {
            // Only a state moved from mongodbatlas_api_key has no project to start from.
            return Err(moved::no_project(&key.id).into());
        }
        Ok(Some(state_from_atlas(
            &prior,
            &org_id,
            key,
            prior.private_key.clone(),
            false,
        )))
    }

    async fn update(
        &self,
        cx: &Cx<atlas::Client>,
        prior: ProjectApiKeyState,
        planned: ProjectApiKeyState,
    ) -> Applied<ProjectApiKeyState> {
        recover::claim(prior.api_key_id());
        let key = KeyFacts {
            org_id: org_of(cx, &prior).await?,
            api_key_id: prior.api_key_id().to_string(),
            public_key: prior.public_key.clone(),
            private_key: prior.private_key.clone(),
        };
        // The refreshed prior state is what Atlas holds; the plan is what it should hold.
        let held = Held::from_state(&prior);
        let description = prior.description.clone();
        let wanted_description = planned
            .description
            .as_deref()
            .filter(|d| Some(*d) != description.as_deref());
        let steps = changes(&held, &desired_assignments(&planned), wanted_description);
        apply_changes(cx, &planned, &key, held, description, steps).await
    }

    async fn delete(&self, cx: &Cx<atlas::Client>, prior: ProjectApiKeyState) -> Result<(), Diagnostics> {
        let org_id = org_of(cx, &prior).await?;
        // Deleting the organization key removes every project assignment with it.
        let deleted = cx.client.delete_api_key(&org_id, prior.api_key_id()).await;
        listings::org_key_deleted(&cx.client, &org_id, prior.api_key_id());
        match deleted {
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
        let (org_id, named_project) = match lookups::project_org_id(&cx.client, &first).await {
            Ok(org_id) => (org_id, Some(first)),
            Err(err) if err.is_not_found() => (first, None),
            Err(err) => return Err(errors::diagnose(&err, SUMMARY, &[]).into()),
        };
        let Some(key) = listings::org_key(&cx.client, &org_id, &api_key_id)
            .await
            .or_diagnose(SUMMARY, &[])?
        else {
            return Err(Diagnostic::error(
                SUMMARY,
                format!("No API key {api_key_id} exists in organization {org_id}. Accepted import IDs: {FORMATS}."),
            )
            .into());
        };
        let held = Held::from_key(&org_id, &key);
        if let Some(project) = named_project.as_ref().filter(|p| !held.projects.contains_key(*p)) {
            return Err(Diagnostic::error(
                SUMMARY,
                format!(
                    "The API key {api_key_id} is not assigned to project {project}. Import it with \
                     `{org_id}-{api_key_id}` or with a project it is assigned to."
                ),
            )
            .into());
        }
        // The project named in the ID first; for the organization form, the lowest project id.
        let Some(first_project) = named_project.or_else(|| held.projects.keys().next().cloned()) else {
            return Err(Diagnostic::error(
                SUMMARY,
                format!(
                    "The API key {api_key_id} is not assigned to any project; manage it with mongodbatlas_api_key \
                     instead."
                ),
            )
            .into());
        };
        cx.warn(secret::not_imported("private_key", &api_key_id));
        let template = ProjectApiKeyState {
            project_assignment: vec![Assignment {
                project_id: first_project,
                role_names: BTreeSet::new(),
            }],
            ..ProjectApiKeyState::empty()
        };
        Ok(state_from_atlas(&template, &org_id, key, None, true))
    }
}

impl ProjectApiKeyState {
    /// The key's id; empty only in a state that was never created.
    fn api_key_id(&self) -> &str {
        self.api_key_id.as_deref().unwrap_or_default()
    }

    /// A state with nothing set.
    fn empty() -> Self {
        ProjectApiKeyState {
            id: None,
            project_id: None,
            description: None,
            role_names: None,
            project_assignment: Vec::new(),
            org_id: None,
            api_key_id: None,
            public_key: None,
            private_key: None,
        }
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
    if !role_names.is_null() && role_names.is_known() && config.get("project_id").is_null() {
        diags.attribute_error(
            AttributePath::attr("project_id"),
            "Missing project",
            "role_names gives the key's roles in project_id, so project_id must be set with it.",
        );
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
                        AttributePath::attr("project_id"),
                        "project_id must be the first assignment's project",
                        format!(
                            "project_id ({}) must name the project of the first project_assignment block ({}), \
                             through which the key is created. Leave project_id out to take the first block's.",
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
    let names: Vec<&str> = roles
        .as_elements()
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let all_known = roles
        .as_elements()
        .is_some_and(|elements| elements.iter().all(Value::is_known));
    if all_known && !names.is_empty() && names.iter().all(|role| role.starts_with("ORG_")) {
        diags.attribute_error(
            path.clone(),
            "A project role is needed",
            "Atlas assigns a key to a project only with at least one project role (such as GROUP_READ_ONLY), so \
             every set of roles here needs one besides any organization roles. To give a key organization roles \
             only, use mongodbatlas_api_key.",
        );
    }
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
                     ORG_READ_ONLY here could never match what Atlas reports. To give a key ORG_READ_ONLY, create \
                     it with mongodbatlas_api_key and assign it to projects with \
                     mongodbatlas_api_key_project_assignment; to give this key other organization roles, list \
                     them in the first project_assignment block."
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

/// What every state of one key shares, whatever Atlas holds.
struct KeyFacts {
    org_id: String,
    api_key_id: String,
    public_key: Option<String>,
    private_key: Option<Sensitive>,
}

/// What Atlas holds for a key: its organization roles and its roles in each assigned project.
#[derive(Clone, Debug, Default, PartialEq)]
struct Held {
    org_roles: BTreeSet<String>,
    /// Project id to the key's project roles there (never empty: a project without roles is
    /// not assigned).
    projects: BTreeMap<String, BTreeSet<String>>,
}

impl Held {
    /// The roles of `key` as Atlas lists them: organization roles of `org_id`, project roles
    /// by project.
    fn from_key(org_id: &str, key: &atlas::ApiKey) -> Held {
        let mut held = Held::default();
        for role in &key.roles {
            match (&role.group_id, &role.org_id) {
                (Some(group_id), _) => {
                    held.projects
                        .entry(group_id.clone())
                        .or_default()
                        .insert(role.role_name.clone());
                }
                (None, Some(role_org)) if role_org == org_id => {
                    held.org_roles.insert(role.role_name.clone());
                }
                _ => {}
            }
        }
        held
    }

    /// What a refreshed state says Atlas holds. A state whose first block shows no
    /// organization role hides the implicit one, so it is assumed.
    fn from_state(state: &ProjectApiKeyState) -> Held {
        let assignments = desired_assignments(state);
        let mut held = Held::default();
        for (index, assignment) in assignments.iter().enumerate() {
            let (org_roles, project_roles) = split_roles(&assignment.role_names);
            if index == 0 {
                held.org_roles = org_roles;
            }
            if !project_roles.is_empty() {
                held.projects.insert(assignment.project_id.clone(), project_roles);
            }
        }
        if held.org_roles.is_empty() {
            held.org_roles.insert(IMPLICIT_ORG_ROLE.to_string());
        }
        held
    }
}

/// One call that moves what Atlas holds towards what the configuration asks.
#[derive(Clone, Debug, PartialEq)]
enum Change {
    /// `DELETE /groups/{project_id}/apiKeys/{id}`.
    Unassign { project_id: String },
    /// `POST /groups/{project_id}/apiKeys/{id}` with the project roles; `index` is the block's.
    Assign {
        index: usize,
        project_id: String,
        roles: BTreeSet<String>,
    },
    /// `PATCH /groups/{project_id}/apiKeys/{id}` with the project roles; `index` is the block's.
    SetProjectRoles {
        index: usize,
        project_id: String,
        roles: BTreeSet<String>,
    },
    /// `PATCH /orgs/{org}/apiKeys/{id}` with the description and/or the organization roles.
    UpdateKey {
        description: Option<String>,
        org_roles: Option<BTreeSet<String>>,
    },
}

/// The calls that turn `current` into `desired` (blocks in order, the first holding the
/// organization roles), plus a new `description` if one is given: unassignments first, then
/// assignments and role changes in block order, then one update of the key itself. Empty when
/// Atlas already holds what is asked, whatever the block order or form.
fn changes(current: &Held, desired: &[Assignment], description: Option<&str>) -> Vec<Change> {
    let mut steps = Vec::new();
    let wanted: BTreeSet<&str> = desired.iter().map(|a| a.project_id.as_str()).collect();
    for project_id in current.projects.keys().filter(|p| !wanted.contains(p.as_str())) {
        steps.push(Change::Unassign {
            project_id: project_id.clone(),
        });
    }
    let mut org_roles = BTreeSet::new();
    for (index, assignment) in desired.iter().enumerate() {
        let (org, project_roles) = split_roles(&assignment.role_names);
        if index == 0 {
            org_roles = org;
        }
        let project_id = assignment.project_id.clone();
        match current.projects.get(&assignment.project_id) {
            // A block of only organization roles assigns nothing in its project.
            _ if project_roles.is_empty() => {}
            None => steps.push(Change::Assign {
                index,
                project_id,
                roles: project_roles,
            }),
            Some(held) if *held != project_roles => steps.push(Change::SetProjectRoles {
                index,
                project_id,
                roles: project_roles,
            }),
            Some(_) => {}
        }
    }
    if org_roles.is_empty() {
        org_roles.insert(IMPLICIT_ORG_ROLE.to_string());
    }
    let org_roles = (org_roles != current.org_roles).then_some(org_roles);
    if description.is_some() || org_roles.is_some() {
        steps.push(Change::UpdateKey {
            description: description.map(str::to_string),
            org_roles,
        });
    }
    steps
}

/// Runs `steps` for `planned` and returns the state that shows what Atlas then holds; when a
/// step fails, that same state is kept with the error.
async fn apply_changes(
    cx: &Cx<atlas::Client>,
    planned: &ProjectApiKeyState,
    key: &KeyFacts,
    mut held: Held,
    mut description: Option<String>,
    steps: Vec<Change>,
) -> Applied<ProjectApiKeyState> {
    let blocks_form = !planned.project_assignment.is_empty();
    let changing = !steps.is_empty();
    let outcome = run(cx, key, &mut held, &mut description, blocks_form, steps).await;
    if changing {
        // Also after a failure: a step may have reached Atlas before its answer was lost.
        listings::org_key_changed(&cx.client, &key.api_key_id);
    }
    let state = state_from_held(planned, key, description, &held, false);
    match outcome {
        Ok(()) => Ok(state),
        Err(diagnostic) => Err(Failed::keeping(state, diagnostic)),
    }
}

/// Runs `steps` in order, updating `held` and `description` after each one Atlas accepted, so
/// that on error they say exactly what Atlas holds. The error points at the block involved.
async fn run(
    cx: &Cx<atlas::Client>,
    key: &KeyFacts,
    held: &mut Held,
    description: &mut Option<String>,
    blocks_form: bool,
    steps: Vec<Change>,
) -> Result<(), Diagnostic> {
    let id = key.api_key_id.as_str();
    for step in steps {
        match step {
            Change::Unassign { project_id } => {
                match cx.client.remove_project_api_key(&project_id, id).await {
                    // A project or assignment that no longer exists counts as unassigned.
                    Err(err) if err.is_not_found() || err.error_code() == Some("GROUP_NOT_FOUND") => {}
                    Err(err) => {
                        return Err(errors::diagnose(
                            &err,
                            "Could not unassign the project API key",
                            ERROR_ATTRS,
                        ))
                    }
                    Ok(()) => {}
                }
                held.projects.remove(&project_id);
            }
            Change::Assign {
                index,
                project_id,
                roles,
            } => {
                let list: Vec<String> = roles.iter().cloned().collect();
                cx.client
                    .add_project_api_key(&project_id, id, &list)
                    .await
                    .or_diagnose("Could not assign the project API key", ERROR_ATTRS)
                    .map_err(|diagnostic| diagnostic.at(block_path(blocks_form, index)))?;
                held.projects.insert(project_id, roles);
            }
            Change::SetProjectRoles {
                index,
                project_id,
                roles,
            } => {
                let request = atlas::UpdateProjectApiKey {
                    desc: None,
                    roles: Some(roles.iter().cloned().collect()),
                };
                cx.client
                    .update_project_api_key_roles(&project_id, id, &request)
                    .await
                    .or_diagnose("Could not change the roles of the project API key", ERROR_ATTRS)
                    .map_err(|diagnostic| diagnostic.at(block_path(blocks_form, index)))?;
                held.projects.insert(project_id, roles);
            }
            Change::UpdateKey {
                description: new_description,
                org_roles,
            } => {
                let request = atlas::UpdateApiKey {
                    desc: new_description.clone(),
                    roles: org_roles.as_ref().map(|roles| roles.iter().cloned().collect()),
                };
                cx.client
                    .update_api_key(&key.org_id, id, &request)
                    .await
                    .or_diagnose("Could not update the project API key", ERROR_ATTRS)?;
                if let Some(new_description) = new_description {
                    *description = Some(new_description);
                }
                if let Some(org_roles) = org_roles {
                    held.org_roles = org_roles;
                }
            }
        }
    }
    Ok(())
}

/// Where an error about assignment `index` points: the block, or `role_names` in the
/// one-project form (which has a single assignment).
fn block_path(blocks_form: bool, index: usize) -> AttributePath {
    if blocks_form {
        AttributePath::attr("project_assignment").then_index(index)
    } else {
        AttributePath::attr("role_names")
    }
}

/// The state for a key as Atlas reports it, with `prior`'s private key (Atlas masks it after
/// creation). `template` gives the form and the block order; `imported` hides the implicit
/// organization role only when it is the only one.
fn state_from_atlas(
    template: &ProjectApiKeyState,
    org_id: &str,
    key: atlas::ApiKey,
    private_key: Option<Sensitive>,
    imported: bool,
) -> ProjectApiKeyState {
    let held = Held::from_key(org_id, &key);
    let facts = KeyFacts {
        org_id: org_id.to_string(),
        api_key_id: key.id,
        public_key: key.public_key,
        private_key,
    };
    state_from_held(template, &facts, key.desc, &held, imported)
}

/// The state that shows `held`: the blocks of `template` in order with exactly the roles Atlas
/// lists (a configured block whose project is not assigned is left out, except the first,
/// which carries the organization roles), then every other assigned project, sorted. The first
/// block's organization roles are all that Atlas lists, less the implicit role when `template`
/// names no organization role, or, when `template` has no assignment (a moved state) or the
/// key is being imported, when the implicit role is the only one. The one-project form is kept
/// when `template` uses it and Atlas holds nothing beyond that project.
fn state_from_held(
    template: &ProjectApiKeyState,
    key: &KeyFacts,
    description: Option<String>,
    held: &Held,
    imported: bool,
) -> ProjectApiKeyState {
    let configured = desired_assignments(template);
    let names_org_roles = configured
        .first()
        .is_some_and(|first| !split_roles(&first.role_names).0.is_empty());
    // Without a template that says which organization roles are configured (an import, or a
    // state just moved from mongodbatlas_api_key), the implicit role is hidden only when it is
    // the only one: beside others, a configuration must name it for the next read (whose
    // template names organization roles, so shows it) to agree.
    let hide_implicit = if imported || configured.is_empty() {
        held.org_roles.len() == 1
    } else {
        !names_org_roles
    };
    let mut shown_org_roles = held.org_roles.clone();
    if hide_implicit {
        shown_org_roles.remove(IMPLICIT_ORG_ROLE);
    }
    let mut blocks: Vec<Assignment> = Vec::new();
    for (index, assignment) in configured.iter().enumerate() {
        let project_roles = held.projects.get(&assignment.project_id);
        if index == 0 || project_roles.is_some() {
            blocks.push(Assignment {
                project_id: assignment.project_id.clone(),
                role_names: project_roles.cloned().unwrap_or_default(),
            });
        }
    }
    let placed: BTreeSet<String> = blocks.iter().map(|a| a.project_id.clone()).collect();
    for (project_id, roles) in &held.projects {
        if !placed.contains(project_id) {
            blocks.push(Assignment {
                project_id: project_id.clone(),
                role_names: roles.clone(),
            });
        }
    }
    if let Some(first) = blocks.first_mut() {
        first.role_names.extend(shown_org_roles);
    }
    let one_project_form = template.project_assignment.is_empty() && template.role_names.is_some() && blocks.len() == 1;
    let project_id = blocks.first().map(|first| first.project_id.clone());
    let (role_names, project_assignment) = if one_project_form {
        (blocks.pop().map(|only| only.role_names), Vec::new())
    } else {
        (None, blocks)
    };
    ProjectApiKeyState {
        id: Some(format!("{}-{}", key.org_id, key.api_key_id)),
        project_id,
        description,
        role_names,
        project_assignment,
        org_id: Some(key.org_id.clone()),
        api_key_id: Some(key.api_key_id.clone()),
        public_key: key.public_key.clone(),
        private_key: key.private_key.clone(),
    }
}

/// A stored state in the current shape (every version so far is 0, so shapes differ only by
/// content): `api_key_id` as stored or from the official provider's encoded `id`; the blocks in
/// the state's order, with `project_id` the first one's and an empty top-level `role_names`
/// (the official provider's unset deprecated attribute) null; `id` ours,
/// `{org_id}-{api_key_id}`, when the state holds `org_id` (ours do, the official provider's do
/// not), else null until `read` learns the organization. Attributes the official provider has
/// and we do not were already dropped.
fn upgraded(mut stored: Value) -> Value {
    let stored_id = upgrade::text(&stored, "id");
    let api_key_id = upgrade::text(&stored, "api_key_id").or_else(|| {
        stored_id
            .as_deref()
            .and_then(|id| upgrade::official_id_part(id, "api_key_id"))
    });
    let org_id = upgrade::text(&stored, "org_id");
    let blocks = stored.get("project_assignment").as_elements().unwrap_or_default();
    if let Some(first) = blocks.first() {
        let first_project = first.get("project_id").clone();
        let no_roles = stored.get("role_names").as_elements().is_some_and(<[Value]>::is_empty);
        upgrade::set(&mut stored, "project_id", first_project);
        if no_roles {
            upgrade::set(&mut stored, "role_names", Value::Null);
        }
    }
    if let Some(api_key_id) = &api_key_id {
        upgrade::set(&mut stored, "api_key_id", Value::string(api_key_id));
    }
    let id = upgrade::key_id(org_id.as_deref(), api_key_id.as_deref());
    upgrade::set(&mut stored, "id", id);
    stored
}

/// True for a state moved from `mongodbatlas_api_key` and not read since: no assignment and no
/// project, which only the read fills (every other state names a project).
fn is_moved_unread(prior: &Value) -> bool {
    !prior.is_null()
        && prior.get("project_id").is_null()
        && prior.get("role_names").is_null()
        && prior
            .get("project_assignment")
            .as_elements()
            .is_none_or(<[Value]>::is_empty)
}

/// In an update planned from a state that lacks `org_id` or `id` (one upgraded from the
/// official provider's and not refreshed, as with `-refresh=false`), those two are unknown
/// rather than kept null: the update learns them, and Terraform rejects a value that was
/// planned null and is then set.
fn unknown_until_learnt(prior: &Value, plan: &mut Plan) {
    if prior.is_null() || plan.planned.is_null() || plan.planned == *prior {
        return;
    }
    for name in ["org_id", "id"] {
        if prior.get(name).is_null() {
            if let Some(planned) = plan.planned.get_mut(name) {
                if planned.is_null() {
                    *planned = Value::Unknown;
                }
            }
        }
    }
}

/// The assignments a state or plan asks for, in order: the blocks, or `role_names` in
/// `project_id`.
fn desired_assignments(state: &ProjectApiKeyState) -> Vec<Assignment> {
    if !state.project_assignment.is_empty() {
        return state.project_assignment.clone();
    }
    match (&state.project_id, &state.role_names) {
        (Some(project_id), Some(role_names)) => vec![Assignment {
            project_id: project_id.clone(),
            role_names: role_names.clone(),
        }],
        _ => Vec::new(),
    }
}

/// Splits roles into (organization roles, project roles).
fn split_roles(roles: &BTreeSet<String>) -> (BTreeSet<String>, BTreeSet<String>) {
    roles.iter().cloned().partition(|role| role.starts_with("ORG_"))
}

/// The organization of the key: from state, else from the project.
async fn org_of(cx: &Cx<atlas::Client>, state: &ProjectApiKeyState) -> Result<String, Diagnostics> {
    if let Some(org_id) = state.org_id.as_ref().filter(|o| !o.is_empty()) {
        return Ok(org_id.clone());
    }
    // The first project Atlas still has: a project deleted outside Terraform must not hide
    // the key's organization (the official provider's states name no organization).
    let project_ids: Vec<String> = desired_assignments(state)
        .into_iter()
        .map(|assignment| assignment.project_id)
        .chain(state.project_id.clone())
        .collect();
    Ok(lookups::first_project_org_id(&cx.client, &project_ids)
        .await
        .or_diagnose("Could not find the project's organization", ERROR_ATTRS)?)
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

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn block(project_id: &str, roles: &[&str]) -> Assignment {
        Assignment {
            project_id: project_id.to_string(),
            role_names: set(roles),
        }
    }

    fn held(org_roles: &[&str], projects: &[(&str, &[&str])]) -> Held {
        Held {
            org_roles: set(org_roles),
            projects: projects.iter().map(|(p, roles)| (p.to_string(), set(roles))).collect(),
        }
    }

    const P1: &str = "5d09d6a59ccf6445652a4441";
    const P2: &str = "5d09d6a59ccf6445652a4442";
    const P3: &str = "5d09d6a59ccf6445652a4443";

    #[test]
    fn changes_table() {
        let assign = |index, project_id: &str, roles: &[&str]| Change::Assign {
            index,
            project_id: project_id.to_string(),
            roles: set(roles),
        };
        type Case<'a> = (&'a str, Held, Vec<Assignment>, Option<&'a str>, Vec<Change>);
        let cases: Vec<Case> = vec![
            (
                "nothing to do",
                held(&["ORG_MEMBER"], &[(P1, &["GROUP_OWNER"])]),
                vec![block(P1, &["GROUP_OWNER"])],
                None,
                vec![],
            ),
            (
                "reordering blocks costs nothing",
                held(
                    &["ORG_BILLING_ADMIN"],
                    &[(P1, &["GROUP_OWNER"]), (P2, &["GROUP_READ_ONLY"])],
                ),
                vec![
                    block(P2, &["GROUP_READ_ONLY", "ORG_BILLING_ADMIN"]),
                    block(P1, &["GROUP_OWNER"]),
                ],
                None,
                vec![],
            ),
            (
                "unassigned outside terraform: assigned again with one POST",
                held(&["ORG_MEMBER"], &[]),
                vec![block(P1, &["GROUP_OWNER"])],
                None,
                vec![assign(0, P1, &["GROUP_OWNER"])],
            ),
            (
                "an outside organization role is removed",
                held(&["ORG_MEMBER", "ORG_OWNER"], &[(P1, &["GROUP_OWNER"])]),
                vec![block(P1, &["GROUP_OWNER"])],
                None,
                vec![Change::UpdateKey {
                    description: None,
                    org_roles: Some(set(&["ORG_MEMBER"])),
                }],
            ),
            (
                "unassign first, then assign and change roles in block order, then the key",
                held(&["ORG_MEMBER"], &[(P1, &["GROUP_OWNER"]), (P3, &["GROUP_OWNER"])]),
                vec![
                    block(P1, &["GROUP_READ_ONLY", "ORG_BILLING_ADMIN"]),
                    block(P2, &["GROUP_OWNER"]),
                ],
                Some("renamed"),
                vec![
                    Change::Unassign {
                        project_id: P3.to_string(),
                    },
                    Change::SetProjectRoles {
                        index: 0,
                        project_id: P1.to_string(),
                        roles: set(&["GROUP_READ_ONLY"]),
                    },
                    assign(1, P2, &["GROUP_OWNER"]),
                    Change::UpdateKey {
                        description: Some("renamed".to_string()),
                        org_roles: Some(set(&["ORG_BILLING_ADMIN"])),
                    },
                ],
            ),
            (
                "a first block of only organization roles assigns nothing",
                held(&["ORG_BILLING_ADMIN"], &[]),
                vec![block(P1, &["ORG_BILLING_ADMIN"])],
                None,
                vec![],
            ),
        ];
        for (name, current, desired, description, expected) in cases {
            assert_eq!(changes(&current, &desired, description), expected, "{name}");
        }
    }

    fn facts() -> KeyFacts {
        KeyFacts {
            org_id: "5d09d6a59ccf6445652a444a".to_string(),
            api_key_id: "6576974933969669aaaaaaaa".to_string(),
            public_key: Some("zmmrboas".to_string()),
            private_key: None,
        }
    }

    fn one_project(project_id: &str, roles: &[&str]) -> ProjectApiKeyState {
        ProjectApiKeyState {
            project_id: Some(project_id.to_string()),
            role_names: Some(set(roles)),
            ..ProjectApiKeyState::empty()
        }
    }

    fn blocks(assignments: Vec<Assignment>) -> ProjectApiKeyState {
        ProjectApiKeyState {
            project_assignment: assignments,
            ..ProjectApiKeyState::empty()
        }
    }

    #[test]
    fn state_from_held_table() {
        type Case<'a> = (
            &'a str,
            ProjectApiKeyState,
            Held,
            bool,
            Option<Vec<&'a str>>,
            Vec<Assignment>,
        );
        let cases: Vec<Case> = vec![
            (
                "one project, implicit role hidden",
                one_project(P1, &["GROUP_OWNER"]),
                held(&["ORG_MEMBER"], &[(P1, &["GROUP_OWNER"])]),
                false,
                Some(vec!["GROUP_OWNER"]),
                vec![],
            ),
            (
                "one project with an outside organization role shows it",
                one_project(P1, &["GROUP_OWNER"]),
                held(&["ORG_MEMBER", "ORG_OWNER"], &[(P1, &["GROUP_OWNER"])]),
                false,
                Some(vec!["GROUP_OWNER", "ORG_OWNER"]),
                vec![],
            ),
            (
                "one project unassigned outside terraform",
                one_project(P1, &["GROUP_OWNER"]),
                held(&["ORG_MEMBER"], &[]),
                false,
                Some(vec![]),
                vec![],
            ),
            (
                "one project assigned elsewhere too becomes blocks",
                one_project(P1, &["GROUP_OWNER"]),
                held(&["ORG_MEMBER"], &[(P1, &["GROUP_OWNER"]), (P2, &["GROUP_READ_ONLY"])]),
                false,
                None,
                vec![block(P1, &["GROUP_OWNER"]), block(P2, &["GROUP_READ_ONLY"])],
            ),
            (
                "configured order first, then others sorted; configured org roles shown whole",
                blocks(vec![
                    block(P3, &["GROUP_OWNER", "ORG_BILLING_ADMIN"]),
                    block(P1, &["GROUP_OWNER"]),
                ]),
                held(
                    &["ORG_BILLING_ADMIN", "ORG_OWNER"],
                    &[
                        (P1, &["GROUP_OWNER"]),
                        (P2, &["GROUP_OWNER"]),
                        (P3, &["GROUP_READ_ONLY"]),
                    ],
                ),
                false,
                None,
                vec![
                    block(P3, &["GROUP_READ_ONLY", "ORG_BILLING_ADMIN", "ORG_OWNER"]),
                    block(P1, &["GROUP_OWNER"]),
                    block(P2, &["GROUP_OWNER"]),
                ],
            ),
            (
                "a configured project that lost its assignment is left out",
                blocks(vec![block(P1, &["GROUP_OWNER"]), block(P2, &["GROUP_OWNER"])]),
                held(&["ORG_MEMBER"], &[(P1, &["GROUP_OWNER"])]),
                false,
                None,
                vec![block(P1, &["GROUP_OWNER"])],
            ),
            (
                "import: the named project first, the rest sorted, the implicit role beside others shown",
                blocks(vec![block(P2, &[])]),
                held(
                    &["ORG_MEMBER", "ORG_OWNER"],
                    &[(P1, &["GROUP_OWNER"]), (P2, &["GROUP_READ_ONLY"])],
                ),
                true,
                None,
                vec![
                    block(P2, &["GROUP_READ_ONLY", "ORG_MEMBER", "ORG_OWNER"]),
                    block(P1, &["GROUP_OWNER"]),
                ],
            ),
            (
                "import: the implicit role alone hidden",
                blocks(vec![block(P2, &[])]),
                held(&["ORG_MEMBER"], &[(P2, &["GROUP_READ_ONLY"])]),
                true,
                None,
                vec![block(P2, &["GROUP_READ_ONLY"])],
            ),
            (
                "moved from an org key: sorted, the implicit role beside others shown",
                blocks(vec![]),
                held(
                    &["ORG_BILLING_READ_ONLY", "ORG_MEMBER"],
                    &[(P2, &["GROUP_OWNER"]), (P1, &["GROUP_READ_ONLY"])],
                ),
                false,
                None,
                vec![
                    block(P1, &["GROUP_READ_ONLY", "ORG_BILLING_READ_ONLY", "ORG_MEMBER"]),
                    block(P2, &["GROUP_OWNER"]),
                ],
            ),
            (
                "moved from an org key: the implicit role alone hidden",
                blocks(vec![]),
                held(&["ORG_MEMBER"], &[(P1, &["GROUP_OWNER"])]),
                false,
                None,
                vec![block(P1, &["GROUP_OWNER"])],
            ),
        ];
        for (name, template, held, imported, role_names, expected_blocks) in cases {
            let state = state_from_held(&template, &facts(), Some("d".to_string()), &held, imported);
            assert_eq!(state.role_names, role_names.map(|roles| set(&roles)), "{name}");
            assert_eq!(state.project_assignment, expected_blocks, "{name}");
            assert_eq!(
                state.id.as_deref(),
                Some("5d09d6a59ccf6445652a444a-6576974933969669aaaaaaaa"),
                "{name}"
            );
            let first = state.project_assignment.first().map(|b| b.project_id.clone());
            assert_eq!(state.project_id, first.or(template.project_id.clone()), "{name}");
        }
    }

    const ORG: &str = "5d09d6a59ccf6445652a444a";
    const KEY: &str = "6576974933969669aaaaaaaa";
    /// What the official provider keeps in `id` since v1.16.0: `{api_key_id: KEY}` encoded.
    const OFFICIAL_ID: &str = "YXBpX2tleV9pZA==:NjU3Njk3NDkzMzk2OTY2OWFhYWFhYWFh";
    /// Before v1.16.0: `{api_key_id: KEY, project_id: P1}` encoded.
    const OLDER_OFFICIAL_ID: &str =
        "YXBpX2tleV9pZA==:NjU3Njk3NDkzMzk2OTY2OWFhYWFhYWFh-cHJvamVjdF9pZA==:NWQwOWQ2YTU5Y2NmNjQ0NTY1MmE0NDQx";

    /// A stored state as the lenient decode hands it over: every attribute of the schema, null
    /// unless given in `pairs`, and no blocks unless given.
    fn stored(pairs: &[(&str, Value)]) -> Value {
        let crate::value::Type::Object(fields) = ProjectApiKey::schema().value_type() else {
            panic!("object type")
        };
        let mut state: BTreeMap<String, Value> = fields.keys().map(|name| (name.clone(), Value::Null)).collect();
        state.insert("project_assignment".to_string(), Value::List(Vec::new()));
        for (name, value) in pairs {
            state.insert(name.to_string(), value.clone());
        }
        Value::Object(state)
    }

    fn roles_value(roles: &[&str]) -> Value {
        Value::Set(roles.iter().map(|role| Value::string(*role)).collect())
    }

    fn blocks_value(assignments: &[(&str, &[&str])]) -> Value {
        Value::List(
            assignments
                .iter()
                .map(|(project_id, roles)| {
                    Value::object([
                        ("project_id", Value::string(*project_id)),
                        ("role_names", roles_value(roles)),
                    ])
                })
                .collect(),
        )
    }

    /// What every key state shares.
    fn key_attributes() -> Vec<(&'static str, Value)> {
        vec![
            ("api_key_id", Value::string(KEY)),
            ("description", Value::string("d")),
            ("public_key", Value::string("zmmrboas")),
            ("private_key", Value::string("secret")),
        ]
    }

    fn with(extra: &[(&'static str, Value)]) -> Value {
        let mut pairs = key_attributes();
        pairs.extend(extra.iter().cloned());
        stored(&pairs)
    }

    #[test]
    fn upgrade_table() {
        let ours = Value::string(format!("{ORG}-{KEY}"));
        let two_blocks = || blocks_value(&[(P2, &["GROUP_READ_ONLY"]), (P1, &["GROUP_OWNER"])]);
        let cases: Vec<(&str, Value, Value)> = vec![
            (
                "official (v1.16.0 on): project_id from the first block in state order, id left for read",
                with(&[("id", Value::string(OFFICIAL_ID)), ("project_assignment", two_blocks())]),
                with(&[("project_id", Value::string(P2)), ("project_assignment", two_blocks())]),
            ),
            (
                "official with an empty api_key_id: taken from the encoded id",
                with(&[
                    ("id", Value::string(OFFICIAL_ID)),
                    ("api_key_id", Value::string("")),
                    ("project_assignment", two_blocks()),
                ]),
                with(&[("project_id", Value::string(P2)), ("project_assignment", two_blocks())]),
            ),
            (
                "official before v1.16.0: top-level project_id and an empty role_names",
                with(&[
                    ("id", Value::string(OLDER_OFFICIAL_ID)),
                    ("project_id", Value::string(P1)),
                    ("role_names", roles_value(&[])),
                    ("project_assignment", two_blocks()),
                ]),
                with(&[("project_id", Value::string(P2)), ("project_assignment", two_blocks())]),
            ),
            (
                "official before v1.12.0 in the one-project form: kept",
                with(&[
                    ("id", Value::string(OLDER_OFFICIAL_ID)),
                    ("project_id", Value::string(P1)),
                    ("role_names", roles_value(&["GROUP_OWNER"])),
                ]),
                with(&[
                    ("project_id", Value::string(P1)),
                    ("role_names", roles_value(&["GROUP_OWNER"])),
                ]),
            ),
            (
                "our own state from before the id attribute",
                with(&[
                    ("org_id", Value::string(ORG)),
                    ("project_id", Value::string(P2)),
                    ("project_assignment", two_blocks()),
                ]),
                with(&[
                    ("id", ours.clone()),
                    ("org_id", Value::string(ORG)),
                    ("project_id", Value::string(P2)),
                    ("project_assignment", two_blocks()),
                ]),
            ),
            (
                "our current state stays as it is",
                with(&[
                    ("id", ours.clone()),
                    ("org_id", Value::string(ORG)),
                    ("project_id", Value::string(P2)),
                    ("project_assignment", two_blocks()),
                ]),
                with(&[
                    ("id", ours.clone()),
                    ("org_id", Value::string(ORG)),
                    ("project_id", Value::string(P2)),
                    ("project_assignment", two_blocks()),
                ]),
            ),
        ];
        for (name, input, expected) in cases {
            let output = upgraded(input);
            assert_eq!(output, expected, "{name}");
            assert!(
                crate::value::from_value::<ProjectApiKeyState>(&output).is_ok(),
                "{name}: decodes as the state"
            );
        }
    }

    #[test]
    fn an_update_from_a_state_without_org_id_learns_it() {
        let prior = with(&[
            ("project_id", Value::string(P1)),
            ("project_assignment", blocks_value(&[(P1, &["GROUP_OWNER"])])),
        ]);
        let plan_of = |planned: Value| Plan {
            planned,
            requires_replace: Vec::new(),
        };
        let mut changed = prior.clone();
        upgrade::set(&mut changed, "description", Value::string("new"));
        let mut plan = plan_of(changed.clone());
        unknown_until_learnt(&prior, &mut plan);
        assert_eq!(plan.planned.get("org_id"), &Value::Unknown);
        assert_eq!(plan.planned.get("id"), &Value::Unknown);

        // No change, a create, or a prior that knows them: nothing to learn.
        let mut plan = plan_of(prior.clone());
        unknown_until_learnt(&prior, &mut plan);
        assert_eq!(plan.planned, prior);
        let mut plan = plan_of(changed.clone());
        unknown_until_learnt(&Value::Null, &mut plan);
        assert_eq!(plan.planned, changed);
        let mut known = prior.clone();
        upgrade::set(&mut known, "org_id", Value::string(ORG));
        upgrade::set(&mut known, "id", Value::string(format!("{ORG}-{KEY}")));
        let mut changed_known = changed.clone();
        upgrade::set(&mut changed_known, "org_id", Value::string(ORG));
        upgrade::set(&mut changed_known, "id", Value::string(format!("{ORG}-{KEY}")));
        let mut plan = plan_of(changed_known.clone());
        unknown_until_learnt(&known, &mut plan);
        assert_eq!(plan.planned, changed_known);
    }

    #[test]
    fn held_from_state_assumes_the_hidden_implicit_role() {
        let state = one_project(P1, &["GROUP_OWNER"]);
        assert_eq!(
            Held::from_state(&state),
            held(&["ORG_MEMBER"], &[(P1, &["GROUP_OWNER"])])
        );
        let state = blocks(vec![block(P1, &["ORG_OWNER"]), block(P2, &["GROUP_OWNER"])]);
        assert_eq!(
            Held::from_state(&state),
            held(&["ORG_OWNER"], &[(P2, &["GROUP_OWNER"])])
        );
        // What a refresh shows, read back, plans no change.
        let atlas = held(&["ORG_MEMBER"], &[(P1, &["GROUP_OWNER"]), (P2, &["GROUP_READ_ONLY"])]);
        let template = blocks(vec![block(P2, &["GROUP_READ_ONLY"]), block(P1, &["GROUP_OWNER"])]);
        let shown = state_from_held(&template, &facts(), None, &atlas, false);
        assert!(changes(&Held::from_state(&shown), &desired_assignments(&template), None).is_empty());
    }

    #[test]
    fn step_errors_point_at_the_configured_form() {
        assert_eq!(
            block_path(true, 1),
            AttributePath::attr("project_assignment").then_index(1)
        );
        assert_eq!(block_path(false, 0), AttributePath::attr("role_names"));
    }
}
