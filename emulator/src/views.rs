//! Response bodies, written from the spec's schemas (`ApiKeyUserDetails`, `AtlasOrganization`,
//! `Group`, `AiModelApiKeyResponse`), and the conversions from store records.
//!
//! Secrets appear only where the spec says: the full `privateKey` and AI `secret` come out of
//! the create calls alone; every other view is redacted or masked.

use serde::Serialize;
use serde_json::{json, Value};

use crate::store::{AiKey, ApiKey, Org, Project};

/// `ApiKeyUserDetails`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    /// Description.
    pub desc: String,
    /// 24-hex id.
    pub id: String,
    /// Self link.
    pub links: Value,
    /// Full only in create responses, otherwise `********-****-****-<last 12>`.
    pub private_key: String,
    /// 8 lowercase letters.
    pub public_key: String,
    /// Organization roles (with `orgId`) then project roles (with `groupId`).
    pub roles: Vec<RoleView>,
}

/// `CloudAccessRoleAssignment`: exactly one of `orgId` and `groupId` is set.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleView {
    /// Project of a project role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// Organization of an organization role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// The role.
    pub role_name: String,
}

/// Whether a view may show a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reveal {
    /// Create responses: the secret in full.
    Full,
    /// Everything else: redacted or masked.
    Redacted,
}

/// `ApiKeyUserDetails` for `key`; all of its roles are listed.
pub fn api_key(key: &ApiKey, base_url: &str, reveal: Reveal) -> ApiKeyView {
    let org_roles = key.org_roles.iter().map(|role| RoleView {
        group_id: None,
        org_id: Some(key.org_id.clone()),
        role_name: role.clone(),
    });
    let project_roles = key.project_roles.iter().flat_map(|(group_id, roles)| {
        roles.iter().map(move |role| RoleView {
            group_id: Some(group_id.clone()),
            org_id: None,
            role_name: role.clone(),
        })
    });
    ApiKeyView {
        desc: key.desc.clone(),
        id: key.id.clone(),
        links: self_link(&format!(
            "{base_url}/api/atlas/v2/orgs/{}/apiKeys/{}",
            key.org_id, key.id
        )),
        private_key: match reveal {
            Reveal::Full => key.private_key.expose().to_owned(),
            Reveal::Redacted => redact_private_key(key.private_key.expose()),
        },
        public_key: key.public_key.clone(),
        roles: org_roles.chain(project_roles).collect(),
    }
}

/// `********-****-****-` followed by the last 12 characters, as Atlas shows stored keys.
pub fn redact_private_key(private_key: &str) -> String {
    let start = private_key.len().saturating_sub(12);
    format!("********-****-****-{}", private_key.get(start..).unwrap_or_default())
}

/// `AtlasOrganization`.
pub fn org(org: &Org, base_url: &str) -> Value {
    json!({
        "id": org.id,
        "isDeleted": false,
        "links": self_link(&format!("{base_url}/api/atlas/v2/orgs/{}", org.id)),
        "name": org.name,
        "skipDefaultAlertsSettings": false,
    })
}

/// `Group`; the emulator has no clusters, so `clusterCount` is 0.
pub fn group(project: &Project, base_url: &str) -> Value {
    json!({
        "clusterCount": 0,
        "created": project.created.to_rfc3339(),
        "id": project.id,
        "links": self_link(&format!("{base_url}/api/atlas/v2/groups/{}", project.id)),
        "name": project.name,
        "orgId": project.org_id,
        "regionUsageRestrictions": "COMMERCIAL_FEDRAMP_REGIONS_ONLY",
        "tags": [],
        "withDefaultAlertsSettings": true,
    })
}

/// `AiModelApiKeyResponse`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AiKeyView {
    /// 24 lowercase alphanumerics.
    pub api_key_id: String,
    /// `ANY`.
    pub cloud: String,
    /// ISO 8601 with microseconds and `+00:00`.
    pub created_at: String,
    /// Creator's public key or client id.
    pub created_by: String,
    /// Host serving the key.
    pub endpoint: String,
    /// `ANY`.
    pub geography: String,
    /// Owning project.
    pub group_id: String,
    /// Always null: the emulator serves no model traffic.
    pub last_used_at: Option<String>,
    /// `al-****` and the last 4 characters.
    pub masked_secret: String,
    /// Name.
    pub name: String,
    /// Present only in the create response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// `ACTIVE`.
    pub status: String,
}

/// `AiModelApiKeyResponse` for `key`.
pub fn ai_key(key: &AiKey, reveal: Reveal) -> AiKeyView {
    let secret = key.secret.expose();
    let tail = secret.get(secret.len().saturating_sub(4)..).unwrap_or_default();
    AiKeyView {
        api_key_id: key.id.clone(),
        cloud: key.cloud.clone(),
        created_at: key.created_at.to_iso_micros(),
        created_by: key.created_by.clone(),
        endpoint: "ai.mongodb.com".to_owned(),
        geography: key.geography.clone(),
        group_id: key.group_id.clone(),
        last_used_at: None,
        masked_secret: format!("al-****{tail}"),
        name: key.name.clone(),
        secret: (reveal == Reveal::Full).then(|| secret.to_owned()),
        status: "ACTIVE".to_owned(),
    }
}

fn self_link(href: &str) -> Value {
    json!([{"href": href, "rel": "self"}])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_keys_are_redacted_to_the_last_twelve() {
        assert_eq!(
            redact_private_key("55c3bbb6-b4bb-4be1-8e66-c4e26334754f"),
            "********-****-****-c4e26334754f"
        );
        assert_eq!(redact_private_key("short"), "********-****-****-short");
    }
}
