//! A small resource framework: Terraform semantics without the wire and without any remote API.
//!
//! Resources declare a [`Schema`] and implement [`Resource`] over typed state; the
//! framework supplies validation from the schema, the generic plan rules, the adapters
//! the protocol layer calls, and the Markdown docs rendered from schemas.

pub mod diag;
pub mod docs;
pub mod ephemeral;
pub mod plan;
pub mod resource;
pub mod schema;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use ephemeral::{ephemeral_resource, DynEphemeralResource, EphemeralResource, Opened};
pub use plan::Plan;
pub use resource::{
    data_source, resource, Applied, Configured, Cx, DataSource, DynDataSource, DynResource, Failed, MoveFrom,
    MoveSource, Moved, Provider, Resource, Sensitive,
};
pub use schema::{
    at_least, attribute, count, length, nested, one_of, string, string_set, whole_number, Attribute, Block, Check,
    NestedAttributes, NestedBlock, Nesting, Schema, Validator,
};
