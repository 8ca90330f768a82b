//! Managed resource types, one file each.

pub mod api_key;
