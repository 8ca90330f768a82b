//! `mongodbatlas_api_key_project_assignment`: an existing organization API key assigned to one
//! project with project roles, without owning the key.
//!
//! Atlas (media type 2023-01-01): `addGroupApiKey` (POST `/groups/{groupId}/apiKeys/{apiUserId}`,
//! 204), `updateGroupApiKeyRoles` (PATCH, the roles in this project exactly), `removeGroupApiKey`
//! (DELETE, the key survives), and for reads the key with every role it has, per project, from
//! the organization's listing (`listOrgApiKeys`, shared by every read of the process:
//! [`listings::org_key`]) or else its own `getOrgApiKey`, with the project's organization from
//! `getGroup`, asked once per provider process ([`lookups::project_org_id`]).
//! Import ID: `{project_id}/{api_key_id}` (also `{project_id}-{api_key_id}`).
//!
//! Calls: read 1 (the organization's listing, shared by every read of the process, or
//! `getOrgApiKey`, and one more `getOrgApiKey` before an assignment the listing lacks is
//! declared gone; plus one `getGroup` per project and process); create 2
//! (`getOrgApiKey` to learn the project holds no assignment of the key yet, then
//! `addGroupApiKey`; plus the `getGroup`); update 1 (PATCH); delete 1; import 0 (Terraform's
//! read after it is the read above).
//!
//! Unlike the official provider: `project_id` and `api_key_id` force replacement; a read never
//! lists the project's keys (one listing of the organization's keys serves every read); an assignment removed outside Terraform, or whose key or project is
//! gone, leaves state (only a genuine not-found does) and the next apply assigns again; delete
//! succeeds when the key, the assignment or the project is already gone; organization roles
//! are a plan-time error instead of a perpetual diff; and create refuses to adopt an assignment
//! it did not make (one made elsewhere, or the owner role Atlas gives the key that created the
//! project), naming the import ID instead. A create whose answer was lost (see
//! `atlas::Error::may_have_been_processed`) reads the key again: the assignment it finds is
//! provably ours when it has exactly the roles sent (the read before the add showed none), and
//! is adopted; one with other roles is named in an error with its import ID.
//!
//! The official provider's state (plugin framework, schema version 0, these three attributes
//! and no `id`) is ours already, so the default upgrade keeps it.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::atlas;
use crate::framework::{count, string, string_set, Applied, Cx, Diagnostic, Diagnostics, Resource, Schema};
use crate::provider::claims::Claim;
use crate::provider::errors::{self, OrDiagnose};
use crate::provider::validators::{self, MAX_ROLES};
use crate::provider::{import_id, listings, lookups, recover};
use crate::value::{AttributePath, Quoted};

/// The resource type.
pub struct ApiKeyProjectAssignment;

/// State and configuration of one assignment.
#[derive(Debug, Serialize, Deserialize)]
pub struct ApiKeyProjectAssignmentState {
    project_id: String,
    api_key_id: String,
    /// Null only in a state just imported, before its first read.
    roles: Option<BTreeSet<String>>,
}

/// Why `roles` takes no organization roles.
pub(crate) const PROJECT_ROLES_ONLY: &str = "an assignment gives a key roles in one project (GROUP_OWNER, \
    GROUP_READ_ONLY, ...). Organization roles belong on the key itself: set them in role_names of \
    mongodbatlas_api_key.";

/// The accepted import IDs, as errors show them.
const IMPORT_FORMATS: &str = "`{project_id}/{api_key_id}` (or `{project_id}-{api_key_id}`)";

#[async_trait]
impl Resource for ApiKeyProjectAssignment {
    type Client = atlas::Client;
    type State = ApiKeyProjectAssignmentState;
    const NAME: &'static str = "api_key_project_assignment";

    fn schema() -> Schema {
        Schema::new(
            "Assigns an existing organization API key to one project with project roles. The key itself is not \
             managed here (it may be a mongodbatlas_api_key, or a key managed elsewhere), and removing the \
             assignment leaves the key in place.",
        )
        .attributes([
            string("project_id")
                .required()
                .requires_replace()
                .validate(validators::object_id())
                .doc("Unique 24-hexadecimal digit string that identifies the project. Changing it replaces the assignment."),
            string("api_key_id")
                .required()
                .requires_replace()
                .validate(validators::object_id())
                .doc("Unique 24-hexadecimal digit string that identifies the organization API key (its `api_key_id`, not its public key). The key must belong to the project's organization. Changing it replaces the assignment."),
            string_set("roles")
                .required()
                .validate(count(1..=MAX_ROLES))
                .validate(validators::role_names())
                .validate(validators::roles_without_prefix("ORG_", PROJECT_ROLES_ONLY))
                .doc("Project roles of the key in this project, such as `GROUP_OWNER` or `GROUP_READ_ONLY`. At least one, at most 100. Changing them updates the assignment in place."),
        ])
    }

    async fn create(
        &self,
        cx: &Cx<atlas::Client>,
        planned: ApiKeyProjectAssignmentState,
    ) -> Applied<ApiKeyProjectAssignmentState> {
        const SUMMARY: &str = "Could not assign the API key to the project";
        let pair = claim(&cx.client, &planned)?;
        let project_id = planned.project_id.as_str();
        let api_key_id = planned.api_key_id.as_str();
        let org_id = lookups::project_org_id(&cx.client, project_id)
            .await
            .or_diagnose(SUMMARY, ERROR_ATTRS)?;
        let key = cx
            .client
            .get_api_key_opt(&org_id, api_key_id)
            .await
            .or_diagnose(SUMMARY, ERROR_ATTRS)?
            .ok_or_else(|| no_such_key(SUMMARY, &org_id, &planned))?;
        let existing = project_roles(&key, project_id);
        if !existing.is_empty() {
            return Err(already_assigned(&planned, &existing).into());
        }
        let roles = planned.roles.clone().unwrap_or_default();
        let request: Vec<String> = roles.iter().cloned().collect();
        let added = cx.client.add_project_api_key(project_id, api_key_id, &request).await;
        // Also after a failure: Atlas may have assigned the key before the answer was lost.
        listings::org_key_changed(&cx.client, api_key_id);
        match added {
            Ok(()) => {}
            Err(err) if err.error_code() == Some("API_KEY_ALREADY_IN_GROUP") => {
                // Assigned by someone else between our read and our add.
                return Err(already_assigned(&planned, &BTreeSet::new()).into());
            }
            Err(err) if err.may_have_been_processed() => {
                adopt_after_lost_answer(cx, &org_id, &planned, &roles, &err).await?;
            }
            Err(err) => return Err(errors::diagnose(&err, SUMMARY, ERROR_ATTRS).into()),
        }
        pair.keep();
        // Atlas answers 204 without a body: the assignment holds exactly the roles sent.
        Ok(ApiKeyProjectAssignmentState {
            roles: Some(roles),
            ..planned
        })
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        prior: ApiKeyProjectAssignmentState,
    ) -> Result<Option<ApiKeyProjectAssignmentState>, Diagnostics> {
        const SUMMARY: &str = "Could not read the API key project assignment";
        let org_id = match lookups::project_org_id(&cx.client, &prior.project_id).await {
            Ok(org_id) => org_id,
            // The project is gone, and its assignments with it.
            Err(err) if err.is_not_found() => return Ok(None),
            Err(err) => return Err(errors::diagnose(&err, SUMMARY, ERROR_ATTRS).into()),
        };
        let Some(key) = listings::org_key(&cx.client, &org_id, &prior.api_key_id)
            .await
            .or_diagnose(SUMMARY, ERROR_ATTRS)?
        else {
            return Ok(None);
        };
        let mut roles = project_roles(&key, &prior.project_id);
        if roles.is_empty() {
            // The key may come from a listing: the assignment is declared gone only on the
            // key's own GET, never on a listing alone.
            let Some(key) = cx
                .client
                .get_api_key_opt(&org_id, &prior.api_key_id)
                .await
                .or_diagnose(SUMMARY, ERROR_ATTRS)?
            else {
                return Ok(None);
            };
            roles = project_roles(&key, &prior.project_id);
        }
        if roles.is_empty() {
            // A key without roles in the project is not assigned to it.
            return Ok(None);
        }
        Ok(Some(ApiKeyProjectAssignmentState {
            roles: Some(roles),
            ..prior
        }))
    }

    async fn update(
        &self,
        cx: &Cx<atlas::Client>,
        _prior: ApiKeyProjectAssignmentState,
        planned: ApiKeyProjectAssignmentState,
    ) -> Applied<ApiKeyProjectAssignmentState> {
        // Only `roles` can change in place; the IDs force a replacement.
        let request = atlas::UpdateProjectApiKey {
            desc: None,
            roles: Some(planned.roles.iter().flatten().cloned().collect()),
        };
        let key = cx
            .client
            .update_project_api_key_roles(&planned.project_id, &planned.api_key_id, &request)
            .await;
        listings::org_key_changed(&cx.client, &planned.api_key_id);
        let key = key.or_diagnose("Could not change the roles of the API key in the project", ERROR_ATTRS)?;
        Ok(ApiKeyProjectAssignmentState {
            roles: Some(project_roles(&key, &planned.project_id)),
            ..planned
        })
    }

    async fn delete(&self, cx: &Cx<atlas::Client>, prior: ApiKeyProjectAssignmentState) -> Result<(), Diagnostics> {
        let removed = cx
            .client
            .remove_project_api_key(&prior.project_id, &prior.api_key_id)
            .await;
        listings::org_key_changed(&cx.client, &prior.api_key_id);
        let result = match removed {
            // The key, the assignment or the project is gone already (API_KEY_NOT_FOUND,
            // GROUP_NOT_FOUND): what a delete wants. Every other failure is reported.
            Err(err) if err.is_not_found() => Ok(()),
            result => result.or_diagnose("Could not unassign the API key from the project", ERROR_ATTRS),
        };
        if result.is_ok() {
            Claim::release(&cx.client, ApiKeyProjectAssignment::NAME, &assignment_id(&prior));
        }
        Ok(result?)
    }

    async fn import(&self, _cx: &Cx<atlas::Client>, id: &str) -> Result<ApiKeyProjectAssignmentState, Diagnostics> {
        let (project_id, api_key_id) = import_id::object_id_pair(id, IMPORT_FORMATS)?;
        // Terraform reads the assignment next; one that does not exist fails the import there.
        Ok(ApiKeyProjectAssignmentState {
            project_id,
            api_key_id,
            roles: None,
        })
    }
}

/// Atlas error codes that blame one attribute.
const ERROR_ATTRS: &[(&str, &str)] = &[
    ("GROUP_NOT_FOUND", "project_id"),
    ("INVALID_GROUP_ID", "project_id"),
    ("NOT_IN_GROUP", "project_id"),
    ("API_KEY_NOT_FOUND", "api_key_id"),
    ("API_KEY_ALREADY_IN_GROUP", "api_key_id"),
    ("CANNOT_ADD_ORG_ROLE", "roles"),
    ("INVALID_ROLE_FOR_GROUP", "roles"),
    ("INVALID_ENUM_VALUE", "roles"),
    ("MISSING_API_KEY_ROLES", "roles"),
];

/// Claims the assignment of `state` for this resource, or errors when another resource of
/// this process holds it (see [`crate::provider::claims`]).
fn claim(client: &atlas::Client, state: &ApiKeyProjectAssignmentState) -> Result<Claim, Diagnostic> {
    Claim::take(client, ApiKeyProjectAssignment::NAME, &assignment_id(state), || {
        Diagnostic::error(
            "API key assigned twice",
            format!(
                "Another mongodbatlas_api_key_project_assignment in this configuration already assigns API key {} \
                 to project {}. Atlas holds one assignment per key and project: give it all the roles in one \
                 resource.",
                Quoted(&state.api_key_id),
                Quoted(&state.project_id)
            ),
        )
        .at(AttributePath::attr("api_key_id"))
    })
}

fn assignment_id(state: &ApiKeyProjectAssignmentState) -> String {
    format!("{}/{}", state.project_id, state.api_key_id)
}

/// After an add whose answer was lost: reads the key on a client `StopProvider` does not cancel
/// and keeps the assignment when it is provably ours (exactly the roles sent; the read before
/// the add showed none). No assignment means the add did not happen, and `err` is reported.
async fn adopt_after_lost_answer(
    cx: &Cx<atlas::Client>,
    org_id: &str,
    planned: &ApiKeyProjectAssignmentState,
    roles: &BTreeSet<String>,
    err: &atlas::Error,
) -> Result<(), Diagnostic> {
    const SUMMARY: &str = "Could not assign the API key to the project";
    let client = cx.client.with_cancellation(CancellationToken::new());
    let lookup = client.get_api_key_opt(org_id, &planned.api_key_id);
    let found = match tokio::time::timeout(recover::LOOKUP_DEADLINE, lookup).await {
        Ok(Ok(found)) => found,
        Ok(Err(lookup_err)) => return Err(unverified(planned, err, &lookup_err.to_string())),
        Err(_) => {
            let why = format!(
                "the lookup did not finish within {} s",
                recover::LOOKUP_DEADLINE.as_secs()
            );
            return Err(unverified(planned, err, &why));
        }
    };
    match lost_add_outcome(found.as_ref(), &planned.project_id, roles) {
        LostAdd::NotMade => Err(errors::diagnose(err, SUMMARY, ERROR_ATTRS)),
        LostAdd::Other(held) => Err(already_assigned(planned, &held)),
        LostAdd::Ours => {
            tracing::debug!("assignment answer lost ({err}); the assignment it made was found and is kept");
            Ok(())
        }
    }
}

/// What an add whose answer was lost did, judged from the key read afterwards.
#[derive(Debug, PartialEq)]
enum LostAdd {
    /// No assignment (or no key): the add did not happen.
    NotMade,
    /// An assignment with exactly the roles sent: ours, since the read before the add saw none.
    Ours,
    /// An assignment with other roles: someone else's, with these roles.
    Other(BTreeSet<String>),
}

fn lost_add_outcome(found: Option<&atlas::ApiKey>, project_id: &str, sent: &BTreeSet<String>) -> LostAdd {
    let held = found.map(|key| project_roles(key, project_id)).unwrap_or_default();
    if held.is_empty() {
        LostAdd::NotMade
    } else if &held == sent {
        LostAdd::Ours
    } else {
        LostAdd::Other(held)
    }
}

/// The key's roles in `project_id`; empty when it is not assigned there.
pub(crate) fn project_roles(key: &atlas::ApiKey, project_id: &str) -> BTreeSet<String> {
    key.roles
        .iter()
        .filter(|role| role.group_id.as_deref() == Some(project_id))
        .map(|role| role.role_name.clone())
        .collect()
}

/// `{project_id}/{api_key_id}`, the import ID.
fn import_id_of(state: &ApiKeyProjectAssignmentState) -> String {
    format!("{}/{}", state.project_id, state.api_key_id)
}

/// How to take over an assignment that exists: the import command and block.
fn import_advice(state: &ApiKeyProjectAssignmentState) -> String {
    let id = import_id_of(state);
    format!(
        "To manage it with this resource, import it: `terraform import <resource address> {id}`, or an import block \
         with id = \"{id}\". To leave it to whoever manages it, remove this resource from the configuration."
    )
}

/// The error for an assignment that exists already (`roles` empty when unknown).
fn already_assigned(state: &ApiKeyProjectAssignmentState, roles: &BTreeSet<String>) -> Diagnostic {
    let with_roles = if roles.is_empty() {
        String::new()
    } else {
        format!(" with roles {}", roles.iter().cloned().collect::<Vec<_>>().join(", "))
    };
    Diagnostic::error(
        "API key already assigned to the project",
        format!(
            "API key {} is already assigned to project {}{with_roles}, by another configuration or tool, or by Atlas \
             itself (the key that creates a project becomes its owner). This resource does not take over an \
             assignment it did not make. {}",
            Quoted(&state.api_key_id),
            Quoted(&state.project_id),
            import_advice(state)
        ),
    )
    .at(AttributePath::attr("api_key_id"))
}

/// The error for a key that is not in the project's organization.
fn no_such_key(summary: &str, org_id: &str, state: &ApiKeyProjectAssignmentState) -> Diagnostic {
    Diagnostic::error(
        summary,
        format!(
            "No API key with ID {} exists in organization {}, which owns project {}. A key can be assigned only to \
             projects of its own organization; check that api_key_id is the key's ID, not its public key.",
            Quoted(&state.api_key_id),
            Quoted(org_id),
            Quoted(&state.project_id)
        ),
    )
    .at(AttributePath::attr("api_key_id"))
}

/// The error when the add's answer was lost and the key could not be read to learn its outcome.
fn unverified(state: &ApiKeyProjectAssignmentState, err: &atlas::Error, why: &str) -> Diagnostic {
    Diagnostic::error(
        "Could not assign the API key to the project",
        format!(
            "{} Atlas may have assigned the key all the same, and reading the key to find out failed: {}. Check \
             the project's API keys in Atlas: if key {} is assigned to project {}, {}",
            errors::sentence(&err.to_string()),
            why,
            Quoted(&state.api_key_id),
            Quoted(&state.project_id),
            import_advice(state)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT: &str = "5d09d6a59ccf6445652a444b";
    const OTHER: &str = "5d09d6a59ccf6445652a444c";
    const KEY: &str = "6576974933969669aaaaaaaa";

    fn key(roles: &[(&str, Option<&str>)]) -> atlas::ApiKey {
        serde_json::from_value(serde_json::json!({
            "id": KEY,
            "roles": roles.iter().map(|(name, group)| match group {
                Some(group) => serde_json::json!({"roleName": name, "groupId": group}),
                None => serde_json::json!({"roleName": name, "orgId": "5d09d6a59ccf6445652a444a"}),
            }).collect::<Vec<_>>(),
        }))
        .expect("a key as Atlas returns it")
    }

    fn state() -> ApiKeyProjectAssignmentState {
        ApiKeyProjectAssignmentState {
            project_id: PROJECT.to_string(),
            api_key_id: KEY.to_string(),
            roles: None,
        }
    }

    #[test]
    fn project_roles_are_the_roles_in_that_project_only() {
        let key = key(&[
            ("ORG_READ_ONLY", None),
            ("GROUP_OWNER", Some(PROJECT)),
            ("GROUP_READ_ONLY", Some(PROJECT)),
            ("GROUP_READ_ONLY", Some(OTHER)),
        ]);
        let roles: Vec<String> = project_roles(&key, PROJECT).into_iter().collect();
        assert_eq!(roles, ["GROUP_OWNER", "GROUP_READ_ONLY"]);
        assert_eq!(project_roles(&key, OTHER).len(), 1);
        assert!(project_roles(&key, "5d09d6a59ccf6445652a444d").is_empty());
    }

    #[test]
    fn the_existing_assignment_error_names_the_import_id_and_points_at_api_key_id() {
        let roles = BTreeSet::from(["GROUP_OWNER".to_string()]);
        let diagnostic = already_assigned(&state(), &roles);
        assert_eq!(diagnostic.attribute, Some(AttributePath::attr("api_key_id")));
        let id = format!("{PROJECT}/{KEY}");
        assert!(diagnostic
            .detail
            .contains(&format!("terraform import <resource address> {id}")));
        assert!(diagnostic.detail.contains(&format!("id = \"{id}\"")));
        assert!(
            diagnostic.detail.contains("with roles GROUP_OWNER,"),
            "{}",
            diagnostic.detail
        );
        assert!(diagnostic.detail.contains("becomes its owner"));
    }

    #[test]
    fn a_lost_add_is_ours_only_with_exactly_the_roles_sent() {
        let sent = BTreeSet::from(["GROUP_OWNER".to_string()]);
        let other = BTreeSet::from(["GROUP_READ_ONLY".to_string()]);
        let cases = [
            ("no key", None, LostAdd::NotMade),
            ("not assigned", Some(key(&[("ORG_READ_ONLY", None)])), LostAdd::NotMade),
            (
                "assigned elsewhere only",
                Some(key(&[("GROUP_OWNER", Some(OTHER))])),
                LostAdd::NotMade,
            ),
            (
                "the roles sent",
                Some(key(&[("GROUP_OWNER", Some(PROJECT))])),
                LostAdd::Ours,
            ),
            (
                "other roles",
                Some(key(&[("GROUP_READ_ONLY", Some(PROJECT))])),
                LostAdd::Other(other.clone()),
            ),
            (
                "more roles",
                Some(key(&[
                    ("GROUP_OWNER", Some(PROJECT)),
                    ("GROUP_READ_ONLY", Some(PROJECT)),
                ])),
                LostAdd::Other(sent.union(&other).cloned().collect()),
            ),
        ];
        for (name, found, expected) in cases {
            assert_eq!(lost_add_outcome(found.as_ref(), PROJECT, &sent), expected, "{name}");
        }
    }

    #[test]
    fn a_second_claim_on_one_assignment_is_refused_on_api_key_id() {
        let client = atlas::Client::new(atlas::Config::new(
            "http://127.0.0.1:9",
            atlas::Credentials::AccessToken("t".to_owned().into()),
            "test",
        ))
        .expect("client");
        let first = claim(&client, &state()).expect("first claim");
        let refused = claim(&client, &state()).err().expect("second claim refused");
        assert_eq!(refused.attribute, Some(AttributePath::attr("api_key_id")));
        assert!(
            refused.detail.contains("give it all the roles in one resource"),
            "{}",
            refused.detail
        );
        drop(first);
    }
}
