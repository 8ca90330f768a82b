//! The MongoDB Atlas provider: the only module that knows both Terraform and Atlas.
//!
//! `AtlasProvider` declares the provider block, builds the `atlas::Client` from it (block
//! values win over environment variables) and lists the resource and data source types in
//! `registry`.

pub mod data_sources;
pub mod errors;
pub mod import_id;
pub mod registry;
pub mod resources;

use async_trait::async_trait;
use std::sync::Arc;

use crate::atlas;
use crate::framework::{
    string, Diagnostic, Diagnostics, DynDataSource, DynResource, Provider, Schema,
};
use crate::value::{AttributePath, Value};

/// Where Atlas lives unless configured otherwise.
pub const DEFAULT_BASE_URL: &str = "https://cloud.mongodb.com";

/// This provider's version, sent in the User-Agent.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Terraform provider for MongoDB Atlas API keys.
#[derive(Default)]
pub struct AtlasProvider {
    /// Reads environment variables; tests substitute a map.
    env: Env,
}

/// A source of environment variables.
#[derive(Default)]
pub enum Env {
    /// The process environment.
    #[default]
    Process,
    /// A fixed set, for tests.
    Fixed(Vec<(String, String)>),
}

impl Env {
    fn get(&self, name: &str) -> Option<String> {
        let value = match self {
            Env::Process => std::env::var(name).ok(),
            Env::Fixed(pairs) => pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
        };
        value.filter(|v| !v.is_empty())
    }

    fn first(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|name| self.get(name))
    }
}

const PUBLIC_KEY_ENV: &[&str] = &["MONGODB_ATLAS_PUBLIC_KEY", "MONGODB_ATLAS_PUBLIC_API_KEY"];
const PRIVATE_KEY_ENV: &[&str] = &["MONGODB_ATLAS_PRIVATE_KEY", "MONGODB_ATLAS_PRIVATE_API_KEY"];
const BASE_URL_ENV: &[&str] = &["MONGODB_ATLAS_BASE_URL"];

impl AtlasProvider {
    /// A provider reading the process environment.
    pub fn new() -> Self {
        AtlasProvider::default()
    }

    /// A provider reading only `env`, for tests.
    pub fn with_env(env: Vec<(String, String)>) -> Self {
        AtlasProvider { env: Env::Fixed(env) }
    }

    /// Resolves one setting: the block value wins, then the first set environment variable.
    fn setting(&self, config: &Value, attribute: &str, env: &[&str]) -> Result<Option<String>, Diagnostic> {
        match config.get(attribute) {
            Value::Unknown => Err(Diagnostic::error(
                "Provider configuration not yet known",
                format!(
                    "The provider argument {attribute} depends on a value known only after apply. \
                     Set it from a variable or an environment variable instead."
                ),
            )
            .at(AttributePath::attr(attribute))),
            Value::String(text) if !text.is_empty() => Ok(Some(text.clone())),
            _ => Ok(self.env.first(env)),
        }
    }
}

#[async_trait]
impl Provider for AtlasProvider {
    type Client = atlas::Client;
    const TYPE_PREFIX: &'static str = "mongodbatlas";

    fn schema(&self) -> Schema {
        Schema::new("Manages MongoDB Atlas API keys: organization keys, project keys and AI model keys.").attributes([
            string("base_url").optional().doc(
                "Atlas base URL. Defaults to `https://cloud.mongodb.com`, or the `MONGODB_ATLAS_BASE_URL` \
                 environment variable.",
            ),
            string("public_key").optional().doc(
                "Public part of the programmatic API key used for HTTP Digest authentication. Also read from \
                 `MONGODB_ATLAS_PUBLIC_KEY` or `MONGODB_ATLAS_PUBLIC_API_KEY`.",
            ),
            string("private_key").optional().sensitive().doc(
                "Private part of the programmatic API key. Also read from `MONGODB_ATLAS_PRIVATE_KEY` or \
                 `MONGODB_ATLAS_PRIVATE_API_KEY`.",
            ),
        ])
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(base_url) = config.get("base_url").as_str() {
            if let Err(problem) = check_base_url(base_url) {
                diags.attribute_error(AttributePath::attr("base_url"), "Invalid base URL", problem);
            }
        }
    }

    async fn configure(&self, config: &Value, terraform_version: &str) -> (Option<atlas::Client>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let settings = (
            self.setting(config, "base_url", BASE_URL_ENV),
            self.setting(config, "public_key", PUBLIC_KEY_ENV),
            self.setting(config, "private_key", PRIVATE_KEY_ENV),
        );
        let (base_url, public_key, private_key) = match settings {
            (Ok(base_url), Ok(public_key), Ok(private_key)) => (base_url, public_key, private_key),
            (base_url, public_key, private_key) => {
                for diagnostic in [base_url.err(), public_key.err(), private_key.err()].into_iter().flatten() {
                    diags.push(diagnostic);
                }
                return (None, diags);
            }
        };
        let base_url = base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        if let Err(problem) = check_base_url(&base_url) {
            diags.attribute_error(AttributePath::attr("base_url"), "Invalid base URL", problem);
            return (None, diags);
        }
        let (Some(public_key), Some(private_key)) = (public_key, private_key) else {
            diags.push(Diagnostic::error(
                "Missing Atlas credentials",
                "The provider needs a programmatic API key. Set public_key and private_key in the provider \
                 block, or the environment variables MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY \
                 (MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY are accepted too).",
            ));
            return (None, diags);
        };
        let config = atlas::Config::new(
            base_url,
            atlas::Credentials::Digest {
                public_key,
                private_key: atlas::SecretString::from(private_key),
            },
            user_agent(terraform_version),
        );
        match atlas::Client::new(config) {
            Ok(client) => (Some(client), diags),
            Err(err) => {
                diags.push(Diagnostic::error("Could not create the Atlas client", err.to_string()));
                (None, diags)
            }
        }
    }

    fn resources(&self) -> Vec<Arc<dyn DynResource<atlas::Client>>> {
        registry::resources()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DynDataSource<atlas::Client>>> {
        registry::data_sources()
    }
}

/// `terraform-provider-mongodbatlas/<version> Terraform/<version>`, as the official provider sends.
pub fn user_agent(terraform_version: &str) -> String {
    let mut agent = format!("terraform-provider-mongodbatlas/{VERSION}");
    if !terraform_version.is_empty() {
        agent.push_str(" Terraform/");
        agent.push_str(terraform_version);
    }
    agent
}

fn check_base_url(base_url: &str) -> Result<(), String> {
    match url::Url::parse(base_url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => Ok(()),
        Ok(_) => Err(format!("base_url must be an http or https URL such as {DEFAULT_BASE_URL}, got {base_url:?}.")),
        Err(err) => Err(format!("base_url {base_url:?} is not a URL: {err}.")),
    }
}
