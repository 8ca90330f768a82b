//! Managed resource types, one file each.

pub mod ai_model_api_key;
pub mod api_key;
pub mod project_api_key;
