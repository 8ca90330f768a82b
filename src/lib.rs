//! Terraform provider for MongoDB Atlas API keys.
//!
//! Terraform starts our binary and talks tfplugin6 over gRPC to it (`tfplugin`).
//! Plan and apply calls go through a small resource framework (`framework`, over the
//! value codec in `value`) to the resources in `provider`, which call the Atlas Admin API
//! through `atlas`. See ARCHITECTURE.md for the code map and its invariants.

pub mod atlas;
pub mod framework;
pub mod logging;
pub mod provider;
pub mod tfplugin;
pub mod value;
