//! The MongoDB Atlas provider: the only module that knows both Terraform and Atlas.
//!
//! `AtlasProvider` declares the provider block, builds the `atlas::Client` from it (block
//! values win over environment variables) and lists the resource and data source types in
//! `registry`.

pub mod data_sources;
pub mod errors;
pub mod import_id;
pub mod recover;
pub mod registry;
pub mod resources;
pub mod secret;
pub mod validators;

use async_trait::async_trait;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use crate::atlas;
use crate::framework::{attribute, string, Diagnostic, Diagnostics, DynDataSource, DynResource, Provider, Schema};
use crate::value::{AttributePath, Type, Value};

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
const CLIENT_ID_ENV: &[&str] = &["MONGODB_ATLAS_CLIENT_ID"];
const CLIENT_SECRET_ENV: &[&str] = &["MONGODB_ATLAS_CLIENT_SECRET"];
const ACCESS_TOKEN_ENV: &[&str] = &["MONGODB_ATLAS_ACCESS_TOKEN"];
const BASE_URL_ENV: &[&str] = &["MONGODB_ATLAS_BASE_URL"];

/// Default number of retries after the first attempt of an Atlas call.
pub const DEFAULT_MAX_RETRIES: u32 = 4;
/// Default time after which no retry of an Atlas call starts.
pub const DEFAULT_RETRY_TIMEOUT_SECONDS: u64 = 60;
/// Default cap on Atlas requests in flight, sized for Terraform's `-parallelism=10`.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 10;

/// A provider argument and the environment variables that can stand in for it.
type Setting = (&'static str, &'static [&'static str]);

/// The three ways to authenticate, and the settings each one needs.
const METHODS: &[(&str, &[Setting])] = &[
    (
        "an API key pair",
        &[("public_key", PUBLIC_KEY_ENV), ("private_key", PRIVATE_KEY_ENV)],
    ),
    (
        "a service account",
        &[("client_id", CLIENT_ID_ENV), ("client_secret", CLIENT_SECRET_ENV)],
    ),
    ("an access token", &[("access_token", ACCESS_TOKEN_ENV)]),
];

const CREDENTIALS_HELP: &str = "Configure exactly one of: public_key and private_key (or MONGODB_ATLAS_PUBLIC_KEY and \
    MONGODB_ATLAS_PRIVATE_KEY; MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY also work) for an API key \
    pair; client_id and client_secret (or MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET) for a service \
    account; or access_token (or MONGODB_ATLAS_ACCESS_TOKEN).";

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

    /// Picks the one configured authentication method. Block values and environment
    /// variables are considered together; a method half set, two methods, or none is an
    /// error that says what to set. Unknown block values are skipped at plan time.
    fn credentials(&self, config: &Value) -> Result<Option<atlas::Credentials>, Diagnostic> {
        let mut chosen: Vec<(usize, Vec<String>)> = Vec::new();
        for (index, (_, settings)) in METHODS.iter().enumerate() {
            let mut values = Vec::new();
            for (attribute, env) in *settings {
                values.push((*attribute, self.setting(config, attribute, env)?));
            }
            let (set, missing): (Vec<_>, Vec<_>) = values.iter().partition(|(_, value)| value.is_some());
            if set.is_empty() {
                continue;
            }
            if let Some((first_missing, _)) = missing.first() {
                let names =
                    |list: &[&(&str, Option<String>)]| list.iter().map(|(a, _)| *a).collect::<Vec<_>>().join(" and ");
                return Err(Diagnostic::error(
                    "Incomplete Atlas credentials",
                    format!(
                        "{} is set, but {} is missing. {CREDENTIALS_HELP}",
                        names(&set),
                        names(&missing)
                    ),
                )
                .at(AttributePath::attr(first_missing)));
            }
            chosen.push((index, values.into_iter().filter_map(|(_, value)| value).collect()));
        }
        if chosen.len() > 1 {
            let methods: Vec<&str> = chosen.iter().map(|(index, _)| METHODS[*index].0).collect();
            return Err(Diagnostic::error(
                "Conflicting Atlas credentials",
                format!(
                    "Credentials for {} are all set, in the provider block or the environment. {CREDENTIALS_HELP}",
                    methods.join(" and ")
                ),
            ));
        }
        let Some((index, mut values)) = chosen.pop() else {
            return Ok(None);
        };
        let second = if values.len() > 1 {
            values.pop().unwrap_or_default()
        } else {
            String::new()
        };
        let first = values.pop().unwrap_or_default();
        Ok(Some(match index {
            0 => atlas::Credentials::Digest {
                public_key: first,
                private_key: atlas::SecretString::from(second),
            },
            1 => atlas::Credentials::ServiceAccount {
                client_id: first,
                client_secret: atlas::SecretString::from(second),
            },
            _ => atlas::Credentials::AccessToken(atlas::SecretString::from(first)),
        }))
    }

    /// A non-negative whole-number setting, or its default.
    fn count(config: &Value, attribute: &str, default: u64, min: u64, max: u64) -> Result<u64, Diagnostic> {
        match config.get(attribute) {
            Value::Null => Ok(default),
            Value::Unknown => Ok(default),
            value => value
                .as_number()
                .and_then(|n| n.as_u64())
                .filter(|n| *n >= min && *n <= max)
                .ok_or_else(|| {
                    Diagnostic::error(
                        "Invalid provider setting",
                        format!("{attribute} must be a whole number from {min} to {max}."),
                    )
                    .at(AttributePath::attr(attribute))
                }),
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
                 environment variable. The OAuth token endpoint is `<base_url>/api/oauth/token`.",
            ),
            string("public_key").optional().doc(
                "Public part of the programmatic API key used for HTTP Digest authentication. Also read from \
                 `MONGODB_ATLAS_PUBLIC_KEY` or `MONGODB_ATLAS_PUBLIC_API_KEY`.",
            ),
            string("private_key").optional().sensitive().doc(
                "Private part of the programmatic API key. Also read from `MONGODB_ATLAS_PRIVATE_KEY` or \
                 `MONGODB_ATLAS_PRIVATE_API_KEY`.",
            ),
            string("client_id").optional().doc(
                "Service account client ID for OAuth 2.0 client credentials. Also read from `MONGODB_ATLAS_CLIENT_ID`.",
            ),
            string("client_secret").optional().sensitive().doc(
                "Service account client secret. Also read from `MONGODB_ATLAS_CLIENT_SECRET`.",
            ),
            string("access_token").optional().sensitive().doc(
                "A ready OAuth access token, sent as a Bearer token and never refreshed. Also read from `MONGODB_ATLAS_ACCESS_TOKEN`. \
                 Configure exactly one of the three credential methods.",
            ),
            attribute("max_retries", Type::Number).optional().doc(
                "Retries after the first attempt of an Atlas call that was rate-limited (429, honouring `Retry-After`) or failed \
                 transiently (5xx, connection errors), with exponential backoff and jitter. Defaults to 4; 0 disables retries. \
                 A create is retried only when Atlas certainly did not process it.",
            ),
            attribute("retry_timeout_seconds", Type::Number).optional().doc(
                "No retry of an Atlas call starts later than this many seconds after its first attempt. Defaults to 60.",
            ),
            attribute("max_concurrent_requests", Type::Number).optional().doc(
                "Most Atlas requests in flight at once for this provider. Defaults to 10, Terraform's default parallelism.",
            ),
        ])
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(base_url) = config.get("base_url").as_str() {
            if let Err(diagnostic) = check_base_url(base_url) {
                diags.push(diagnostic);
            }
        }
        for (attribute, min, max) in [
            ("max_retries", 0, 100),
            ("max_concurrent_requests", 1, 100),
            ("retry_timeout_seconds", 0, 3600),
        ] {
            if let Err(diagnostic) = Self::count(config, attribute, 0, min, max) {
                diags.push(diagnostic);
            }
        }
        // Conflicts are visible at plan time; a missing method is reported by configure,
        // so `terraform validate` works without credentials.
        if let Err(diagnostic) = self.credentials(config) {
            if diagnostic.summary != "Provider configuration not yet known" {
                diags.push(diagnostic);
            }
        }
    }

    async fn configure(&self, config: &Value, terraform_version: &str) -> (Option<atlas::Client>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let base_url = match self.setting(config, "base_url", BASE_URL_ENV) {
            Ok(base_url) => base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
            Err(diagnostic) => {
                diags.push(diagnostic);
                return (None, diags);
            }
        };
        if let Err(diagnostic) = check_base_url(&base_url) {
            diags.push(diagnostic);
            return (None, diags);
        }
        let credentials = match self.credentials(config) {
            Ok(Some(credentials)) => credentials,
            Ok(None) => {
                diags.push(Diagnostic::error(
                    "Missing Atlas credentials",
                    format!("The provider needs credentials to call Atlas. {CREDENTIALS_HELP}"),
                ));
                return (None, diags);
            }
            Err(diagnostic) => {
                diags.push(diagnostic);
                return (None, diags);
            }
        };
        let (max_retries, max_concurrent, retry_timeout) = match (
            Self::count(config, "max_retries", u64::from(DEFAULT_MAX_RETRIES), 0, 100),
            Self::count(
                config,
                "max_concurrent_requests",
                DEFAULT_MAX_CONCURRENT_REQUESTS as u64,
                1,
                100,
            ),
            Self::count(config, "retry_timeout_seconds", DEFAULT_RETRY_TIMEOUT_SECONDS, 0, 3600),
        ) {
            (Ok(retries), Ok(concurrent), Ok(timeout)) => (retries, concurrent, timeout),
            (retries, concurrent, timeout) => {
                diags.extend(
                    [retries.err(), concurrent.err(), timeout.err()]
                        .into_iter()
                        .flatten()
                        .collect(),
                );
                return (None, diags);
            }
        };
        let mut client_config = atlas::Config::new(base_url, credentials, user_agent(terraform_version));
        client_config.retry.max_attempts = max_retries as u32 + 1;
        client_config.retry.max_elapsed = std::time::Duration::from_secs(retry_timeout);
        client_config.max_concurrent_requests = max_concurrent as usize;
        match atlas::Client::new(client_config) {
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

    fn client_for_call(client: &Arc<atlas::Client>, cancel: &CancellationToken) -> Arc<atlas::Client> {
        Arc::new(client.with_cancellation(cancel.clone()))
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

/// Checks a base URL from the provider block or `MONGODB_ATLAS_BASE_URL`.
///
/// The diagnostic never repeats the URL, which may carry a password
/// (`https://user:secret@host`); it names the part that is wrong instead. When the text has an
/// `@` it has no attribute path either, because Terraform would print the configuration line
/// holding the password under an error that points at `base_url`.
fn check_base_url(base_url: &str) -> Result<(), Diagnostic> {
    let problem = match url::Url::parse(base_url.trim()) {
        Err(err) => format!("base_url is not a URL ({err}); use an http or https URL such as {DEFAULT_BASE_URL}."),
        Ok(parsed) if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() => {
            format!("base_url must be an http or https URL with a host, such as {DEFAULT_BASE_URL}.")
        }
        Ok(parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            format!("base_url must not contain a user name or password. {CREDENTIALS_HELP}")
        }
        Ok(_) => return Ok(()),
    };
    let diagnostic = Diagnostic::error("Invalid base URL", problem);
    if base_url.contains('@') {
        Err(diagnostic)
    } else {
        Err(diagnostic.at(AttributePath::attr("base_url")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cr3t-p4ss";

    fn configure_errors(config: Vec<(&str, &str)>, env: Vec<(&str, &str)>) -> Vec<Diagnostic> {
        let provider = AtlasProvider::with_env(env.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect());
        let schema = provider.schema();
        let mut attributes: Vec<(&str, Value)> = Vec::new();
        for attribute in &schema.block.attributes {
            let value = config
                .iter()
                .find(|(name, _)| *name == attribute.name)
                .map_or(Value::Null, |(_, value)| Value::string(*value));
            attributes.push((attribute.name.as_str(), value));
        }
        let config = Value::object(attributes);
        let mut diags = Diagnostics::new();
        provider.validate(&config, &mut diags);
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let (client, configure_diags) = runtime.block_on(provider.configure(&config, "1.11.4"));
        assert!(client.is_none(), "configure must fail");
        diags.extend(configure_diags);
        diags.iter().cloned().collect()
    }

    #[test]
    fn base_url_problems_never_repeat_the_url() {
        let digest = vec![
            ("MONGODB_ATLAS_PUBLIC_KEY", "pub"),
            ("MONGODB_ATLAS_PRIVATE_KEY", "priv"),
        ];
        let urls = [
            format!("https://user:{SECRET}@127.0.0.1:1/"),
            format!("https://{SECRET}@cloud.mongodb.com"),
            format!("ftp://user:{SECRET}@cloud.mongodb.com"),
            format!("https://user:{SECRET}@"),
            format!("https://user:{SECRET}@[::1"),
            format!("not a url {SECRET}"),
            format!("https://host:99999/{SECRET}"),
        ];
        for url in &urls {
            let from_block = configure_errors(vec![("base_url", url.as_str())], digest.clone());
            let mut from_env = digest.clone();
            from_env.push(("MONGODB_ATLAS_BASE_URL", url.as_str()));
            let from_env = configure_errors(vec![], from_env);
            for diagnostics in [&from_block, &from_env] {
                assert!(!diagnostics.is_empty(), "{url}: no error");
                for diagnostic in diagnostics {
                    let text = format!("{diagnostic:?}");
                    assert!(!text.contains(SECRET), "{url}: {text}");
                    let expected_path = (!url.contains('@')).then(|| AttributePath::attr("base_url"));
                    assert_eq!(diagnostic.attribute, expected_path, "{text}");
                }
            }
        }
    }

    #[test]
    fn base_url_with_credentials_says_where_credentials_go() {
        let diagnostics = configure_errors(vec![("base_url", "https://u:p@cloud.mongodb.com")], vec![]);
        assert!(
            diagnostics[0]
                .detail
                .contains("must not contain a user name or password"),
            "{diagnostics:?}"
        );
        assert!(
            diagnostics[0].detail.contains("MONGODB_ATLAS_PUBLIC_KEY"),
            "{diagnostics:?}"
        );
    }

    #[test]
    fn good_base_urls_pass() {
        for url in [
            "https://cloud.mongodb.com",
            "http://127.0.0.1:8080/",
            " https://x.example/prefix ",
        ] {
            assert!(check_base_url(url).is_ok(), "{url}");
        }
    }
}
