//! `mongodbatlas_roles_org_id` data source: the organization of the provider's own credentials.
//!
//! Atlas: `GET /api/atlas/v2` (`getSystemStatus`), which describes the calling API key with
//! its roles. The organization is the one the key's organization roles name; this costs one
//! request. Where the official provider takes the first `ORG_` role and otherwise returns a
//! random ID with a null `org_id`, this data source also finds the organization of a key that
//! holds only project roles (through its project: `GET /groups/{groupId}`, one more request,
//! once per project and process)
//! and of a service account (whose status has no API key: `GET /orgs`, which must list exactly
//! one organization), and fails with an explanation when the answer is not one organization.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::{string, Cx, DataSource, Diagnostic, Diagnostics, Schema};
use crate::provider::errors::OrDiagnose;
use crate::provider::lookups;

/// The data source type.
pub struct RolesOrgIdData;

#[derive(Debug, Serialize, Deserialize)]
pub struct RolesOrgIdDataState {
    id: Option<String>,
    org_id: Option<String>,
}

const SUMMARY: &str = "Could not find the organization of the provider's credentials";

#[async_trait]
impl DataSource for RolesOrgIdData {
    type Client = atlas::Client;
    type State = RolesOrgIdDataState;
    const NAME: &'static str = "roles_org_id";

    fn schema() -> Schema {
        Schema::new(
            "The organization that the provider's credentials belong to: the organization of the calling API key \
             (or service account), so configurations need not repeat its ID.",
        )
        .attributes([
            string("id").computed().doc("The organization ID (same as `org_id`)."),
            string("org_id").computed().doc(
                "Unique 24-hexadecimal digit string that identifies the organization of the provider's credentials.",
            ),
        ])
    }

    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        _config: RolesOrgIdDataState,
    ) -> Result<RolesOrgIdDataState, Diagnostics> {
        let status = cx.client.get_system_status().await.or_diagnose(SUMMARY, &[])?;
        let org_id = match status.api_key {
            Some(key) => match org_of_roles(&key.roles)? {
                Some(org_id) => org_id,
                None => org_through_project(cx, &key.roles).await?,
            },
            None => only_visible_org(cx).await?,
        };
        Ok(RolesOrgIdDataState {
            id: Some(org_id.clone()),
            org_id: Some(org_id),
        })
    }
}

/// The one organization the organization roles name; `None` when there are none.
fn org_of_roles(roles: &[atlas::RoleAssignment]) -> Result<Option<String>, Diagnostic> {
    let orgs: BTreeSet<&str> = roles.iter().filter_map(|role| role.org_id.as_deref()).collect();
    match orgs.len() {
        0 => Ok(None),
        1 => Ok(orgs.into_iter().next().map(str::to_string)),
        _ => Err(Diagnostic::error(
            SUMMARY,
            format!(
                "The calling API key holds roles in {} organizations ({}); set the organization ID explicitly.",
                orgs.len(),
                orgs.into_iter().collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// The organization of the first project the key has a role in.
async fn org_through_project(cx: &Cx<atlas::Client>, roles: &[atlas::RoleAssignment]) -> Result<String, Diagnostic> {
    let Some(group_id) = roles.iter().find_map(|role| role.group_id.as_deref()) else {
        return Err(Diagnostic::error(
            SUMMARY,
            "Atlas reports no roles for the calling API key, so its organization is unknown; set the organization ID \
             explicitly.",
        ));
    };
    lookups::project_org_id(&cx.client, group_id)
        .await
        .or_diagnose(SUMMARY, &[])
}

/// For credentials that are not an API key (a service account): the only organization they see.
async fn only_visible_org(cx: &Cx<atlas::Client>) -> Result<String, Diagnostic> {
    let orgs = cx.client.list_orgs().await.or_diagnose(SUMMARY, &[])?;
    match orgs.as_slice() {
        [only] => Ok(only.id.clone()),
        _ => Err(Diagnostic::error(
            SUMMARY,
            format!(
                "The credentials are not an API key, and they can see {} organizations instead of exactly one; set the \
                 organization ID explicitly.",
                orgs.len()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str, org: Option<&str>, group: Option<&str>) -> atlas::RoleAssignment {
        atlas::RoleAssignment {
            role_name: name.into(),
            org_id: org.map(str::to_string),
            group_id: group.map(str::to_string),
        }
    }

    #[test]
    fn the_organization_comes_from_the_organization_roles() {
        let org = "5d09d6a59ccf6445652a444a";
        let project = "69681d39c9e8cfd375386316";
        let roles = [
            role("GROUP_OWNER", None, Some(project)),
            role("ORG_MEMBER", Some(org), None),
            role("ORG_READ_ONLY", Some(org), None),
        ];
        assert_eq!(org_of_roles(&roles).ok().flatten().as_deref(), Some(org));
        assert_eq!(org_of_roles(&roles[..1]).ok().flatten(), None);
        assert_eq!(org_of_roles(&[]).ok().flatten(), None);
        let two = [
            role("ORG_MEMBER", Some(org), None),
            role("ORG_MEMBER", Some("5d09d6a59ccf6445652a444b"), None),
        ];
        let err = org_of_roles(&two).err().map(|d| d.detail).unwrap_or_default();
        assert!(err.contains("2 organizations"), "{err}");
    }
}
