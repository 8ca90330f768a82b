//! Managed resource types, one file each, what their state upgrades share (`upgrade`), and
//! the `moved` blocks between the two key types (`moved`).

pub mod access_list_api_key;
pub mod ai_model_api_key;
pub mod ai_model_rate_limit;
pub mod api_key;
pub mod api_key_project_assignment;
pub mod moved;
pub mod project_api_key;
mod upgrade;
