//! Role catalogs and role-list validation for programmatic API keys.
//!
//! Organization roles are the 7-value enum of `CreateAtlasOrganizationApiKey.roles` in the spec.
//! Project roles have no enum in the spec; the catalog is the 26 roles of the live Atlas
//! user-roles page plus `GROUP_STREAM_PROCESSING_MANAGER` (named in the spec's role requirements).

use crate::error::ApiError;

/// Roles an organization API key may hold in its organization.
pub const ORG_ROLES: &[&str] = &[
    "ORG_OWNER",
    "ORG_MEMBER",
    "ORG_GROUP_CREATOR",
    "ORG_BILLING_ADMIN",
    "ORG_BILLING_READ_ONLY",
    "ORG_STREAM_PROCESSING_ADMIN",
    "ORG_READ_ONLY",
];

/// Roles an API key may hold in a project.
pub const GROUP_ROLES: &[&str] = &[
    "GROUP_OWNER",
    "GROUP_REPLICA_SET_MANAGER",
    "GROUP_CLUSTER_MANAGER",
    "GROUP_CLUSTER_CREATOR",
    "GROUP_CLUSTER_LOG_VIEWER",
    "GROUP_CLUSTER_RESILIENCE_TESTER",
    "GROUP_STREAM_PROCESSING_OWNER",
    "GROUP_STREAM_PROCESSING_MANAGER",
    "GROUP_ACCESS_MANAGER",
    "GROUP_DATA_ACCESS_ADMIN",
    "GROUP_DATA_ACCESS_READ_WRITE",
    "GROUP_DATA_ACCESS_READ_ONLY",
    "GROUP_DATABASE_ACCESS_ADMIN",
    "GROUP_BACKUP_MANAGER",
    "GROUP_BACKUP_CREATOR",
    "GROUP_BACKUP_RECOVERY_OPERATOR",
    "GROUP_BACKUP_EXPORT_OPERATOR",
    "GROUP_NETWORK_ACCESS_MANAGER",
    "GROUP_OBSERVABILITY_VIEWER",
    "GROUP_TRIGGER_MANAGER",
    "GROUP_READ_ONLY",
    "GROUP_INDEX_MANAGER",
    "GROUP_SEARCH_INDEX_EDITOR",
    "GROUP_REAL_TIME_PERFORMANCE_OPERATOR",
    "GROUP_SUPPORT_ACCESS_MANAGER",
    "GROUP_ALERTS_MANAGER",
    "GROUP_MODEL_OWNER",
];

/// True for a known organization role.
pub fn is_org_role(role: &str) -> bool {
    ORG_ROLES.contains(&role)
}

/// True for a known project role.
pub fn is_group_role(role: &str) -> bool {
    GROUP_ROLES.contains(&role)
}

/// Roles split by scope, duplicates removed, first-seen order kept.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SplitRoles {
    /// `ORG_` roles.
    pub org: Vec<String>,
    /// `GROUP_` roles.
    pub group: Vec<String>,
}

/// Validates the `roles` of an organization key: non-empty, each one an organization role.
///
/// Errors: `MISSING_API_KEY_ROLES` when empty, `INVALID_ROLE_FOR_ORG` for a project role,
/// `INVALID_ENUM_VALUE` ("Invalid role …") for an unknown name.
pub fn org_roles(roles: &[String], org_id: &str) -> Result<Vec<String>, ApiError> {
    require_some(roles)?;
    for role in roles {
        if is_group_role(role) {
            return Err(ApiError::bad_request(
                "INVALID_ROLE_FOR_ORG",
                format!("Role {role} is not valid for organization {org_id}."),
            )
            .param(role.as_str())
            .param(org_id));
        }
        if !is_org_role(role) {
            return Err(invalid_role(role));
        }
    }
    Ok(dedup(roles))
}

/// Validates the `roles` of a project assignment that may not name organization roles.
///
/// Errors: `MISSING_API_KEY_ROLES` when empty, `CANNOT_ADD_ORG_ROLE` for an organization role,
/// `INVALID_ENUM_VALUE` ("Invalid role …") for an unknown name.
pub fn group_roles(roles: &[String]) -> Result<Vec<String>, ApiError> {
    require_some(roles)?;
    for role in roles {
        if is_org_role(role) {
            return Err(ApiError::bad_request(
                "CANNOT_ADD_ORG_ROLE",
                format!("Organization role {role} cannot be added to a group."),
            )
            .param(role.as_str()));
        }
        if !is_group_role(role) {
            return Err(invalid_role(role));
        }
    }
    Ok(dedup(roles))
}

/// Validates the mixed `roles` of `createGroupApiKey`: project roles plus optional org roles.
///
/// At least one project role is required (`MISSING_API_KEY_ROLES` otherwise).
pub fn mixed_roles(roles: &[String]) -> Result<SplitRoles, ApiError> {
    require_some(roles)?;
    let mut split = SplitRoles::default();
    for role in dedup(roles) {
        if is_org_role(&role) {
            split.org.push(role);
        } else if is_group_role(&role) {
            split.group.push(role);
        } else {
            return Err(invalid_role(&role));
        }
    }
    if split.group.is_empty() {
        return Err(missing_roles("A project API key needs at least one project role."));
    }
    Ok(split)
}

fn require_some(roles: &[String]) -> Result<(), ApiError> {
    if roles.is_empty() {
        return Err(missing_roles("API Key must have at least one role."));
    }
    Ok(())
}

fn missing_roles(detail: &str) -> ApiError {
    ApiError::bad_request("MISSING_API_KEY_ROLES", detail).field("roles", detail)
}

fn invalid_role(role: &str) -> ApiError {
    ApiError::bad_request(
        "INVALID_ENUM_VALUE",
        format!("Invalid role {role}: an invalid enumeration value {role} was specified."),
    )
    .param(role)
    .field("roles", format!("Invalid role {role}"))
}

fn dedup(roles: &[String]) -> Vec<String> {
    let mut unique: Vec<String> = Vec::with_capacity(roles.len());
    for role in roles {
        if !unique.contains(role) {
            unique.push(role.clone());
        }
    }
    unique
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    fn code(result: Result<impl std::fmt::Debug, ApiError>) -> String {
        match result {
            Ok(value) => format!("ok {value:?}"),
            Err(err) => err.error_code.clone(),
        }
    }

    #[test]
    fn org_role_validation() {
        let org = "0123456789abcdef01234567";
        assert_eq!(
            org_roles(&names(&["ORG_OWNER", "ORG_OWNER"]), org).ok(),
            Some(names(&["ORG_OWNER"]))
        );
        assert_eq!(code(org_roles(&[], org)), "MISSING_API_KEY_ROLES");
        assert_eq!(code(org_roles(&names(&["GROUP_OWNER"]), org)), "INVALID_ROLE_FOR_ORG");
        assert_eq!(code(org_roles(&names(&["NOPE"]), org)), "INVALID_ENUM_VALUE");
    }

    #[test]
    fn group_role_validation() {
        assert_eq!(code(group_roles(&names(&["ORG_MEMBER"]))), "CANNOT_ADD_ORG_ROLE");
        assert_eq!(code(group_roles(&names(&["INVALID_ROLE"]))), "INVALID_ENUM_VALUE");
        assert!(group_roles(&names(&["GROUP_STREAM_PROCESSING_MANAGER"])).is_ok());
        let split = mixed_roles(&names(&["GROUP_OWNER", "ORG_BILLING_ADMIN"])).expect("valid");
        assert_eq!(split.org, names(&["ORG_BILLING_ADMIN"]));
        assert_eq!(split.group, names(&["GROUP_OWNER"]));
        assert_eq!(code(mixed_roles(&names(&["ORG_OWNER"]))), "MISSING_API_KEY_ROLES");
        assert_eq!(GROUP_ROLES.len(), 27);
    }
}
