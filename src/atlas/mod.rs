//! Atlas Admin API v2 client for API keys: HTTP and JSON, nothing about Terraform.
//!
//! [`Client`] wraps one pooled `reqwest` client. Each API area has its own file with its models
//! and calls: `api_keys.rs` (organization keys), `project_keys.rs` (project assignment of keys),
//! `ai_model_keys.rs` (AI model keys), `ai_rate_limits.rs` (AI model rate limits),
//! `access_list.rs` (API key access lists) and `lookups.rs` (projects, organizations and the
//! caller). Every call sends the operation's
//! versioned media type, authenticates with Digest (cached challenge, one round trip per call
//! in steady state), a service account or an access token, retries throttled and transient
//! failures per [`RetryPolicy`], and reports failures as an [`Error`] grouped by phase.
//!
//! Invariants:
//! - This module knows nothing of Terraform: it imports none of the framework, value, tfplugin
//!   or provider modules.
//! - Secrets (private keys, AI secrets, client secrets, tokens) are [`SecretString`]; they never
//!   reach logs, `Debug` output or error messages.
//! - `get_*_opt` returns `Ok(None)` only for a genuine not-found.

mod access_list;
mod ai_model_keys;
mod ai_rate_limits;
mod api_keys;
mod auth;
mod client;
mod clock;
mod digest;
mod error;
mod lookups;
mod network;
mod oauth;
mod pagination;
mod project_keys;
pub mod retry;
#[cfg(test)]
mod transport_tests;

pub use secrecy::{ExposeSecret, SecretString};

pub use access_list::{AccessListEntry, CreateAccessListEntry};
pub use ai_model_keys::{AiModelApiKey, CreateAiModelApiKey, UpdateAiModelApiKey};
pub use ai_rate_limits::{AiModelRateLimit, ModelGroupScope, UpdateAiModelRateLimit};
pub use api_keys::{ApiKey, CreateApiKey, RoleAssignment, UpdateApiKey};
pub use auth::{AuthMethod, Credentials};
pub use client::{validate_base_url, Client, Config, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT};
pub use clock::SignedDuration;
pub use error::{
    ApiError, AuthError, BoxError, DecodeError, Error, FieldViolation, RequestError, TransportCause, TransportError,
};
pub use lookups::{CallerApiKey, Group, Organization, SystemStatus};
pub use pagination::Page;
pub use project_keys::{CreateProjectApiKey, UpdateProjectApiKey};
pub use retry::{RetryAction, RetryPolicy};

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers shared by the unit tests of this module.

    /// Reads `tests/fixtures/atlas/<name>`: response bodies taken from the Atlas API spec.
    pub(crate) fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/fixtures/atlas/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|err| panic!("fixture {path}: {err}"))
    }
}
