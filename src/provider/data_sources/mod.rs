//! Data source types, one file each. None of them exposes a secret.

pub mod ai_model_api_key;
pub mod api_key;
pub mod project_api_key;

use std::collections::{BTreeMap, BTreeSet};

use crate::atlas;
use crate::value::Type;

/// `{project_id, role_names}` objects, as the project data sources list assignments.
pub(crate) fn assignment_type() -> Type {
    Type::Object(BTreeMap::from([
        ("project_id".to_string(), Type::String),
        ("role_names".to_string(), Type::Set(Box::new(Type::String))),
    ]))
}

/// Organization roles of `org_id` held by `key`.
pub(crate) fn org_role_names(key: &atlas::ApiKey, org_id: &str) -> BTreeSet<String> {
    key.roles
        .iter()
        .filter(|role| role.role_name.starts_with("ORG_") && role.org_id.as_deref() == Some(org_id))
        .map(|role| role.role_name.clone())
        .collect()
}
