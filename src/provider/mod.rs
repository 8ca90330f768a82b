//! The MongoDB Atlas provider: the only module that knows both Terraform and Atlas.
//!
//! `AtlasProvider` declares the provider block, builds the `atlas::Client` from it (block
//! values win over environment variables) and lists the resource and data source types in
//! `registry`. Credentials come from the one method in `CREDENTIAL_METHODS` that is set; the
//! base URL is checked by the Atlas client's own rules, and defaults to
//! [`atlas::Config::DEFAULT_BASE_URL`].

pub mod data_sources;
pub mod errors;
pub mod import_id;
pub mod recover;
pub mod registry;
pub mod resources;
pub mod secret;
pub mod validators;

use async_trait::async_trait;
use std::error::Error as _;
use std::ops::RangeInclusive;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use crate::atlas;
use crate::framework::{attribute, string, Diagnostic, Diagnostics, DynDataSource, DynResource, Provider, Schema};
use crate::value::{AttributePath, Type, Value};

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

/// Default number of retries after the first attempt of an Atlas call.
pub const DEFAULT_MAX_RETRIES: u32 = 4;
/// Default time after which no retry of an Atlas call starts.
pub const DEFAULT_RETRY_TIMEOUT_SECONDS: u64 = 60;
/// Default cap on Atlas requests in flight, sized for Terraform's `-parallelism=10`.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 10;

/// A provider argument and the environment variables that stand in for it, first one set wins.
type Setting = (&'static str, &'static [&'static str]);

const BASE_URL: Setting = ("base_url", &["MONGODB_ATLAS_BASE_URL"]);

/// One way to authenticate to Atlas.
struct CredentialMethod {
    /// How messages name it, e.g. "an API key pair".
    name: &'static str,
    /// The settings it needs, all of them.
    settings: &'static [Setting],
    /// Builds the credentials from the settings' values, one per setting in order. Given fewer
    /// values it builds empty credentials, which `atlas::Client::new` refuses.
    build: fn(Vec<String>) -> atlas::Credentials,
}

/// The three ways to authenticate, with the argument names and environment variables of the
/// official provider (`MONGODB_ATLAS_PUBLIC_API_KEY` and `..._PRIVATE_API_KEY` are its older names).
const CREDENTIAL_METHODS: &[CredentialMethod] = &[
    CredentialMethod {
        name: "an API key pair",
        settings: &[
            (
                "public_key",
                &["MONGODB_ATLAS_PUBLIC_KEY", "MONGODB_ATLAS_PUBLIC_API_KEY"],
            ),
            (
                "private_key",
                &["MONGODB_ATLAS_PRIVATE_KEY", "MONGODB_ATLAS_PRIVATE_API_KEY"],
            ),
        ],
        build: |values| {
            let [public_key, private_key] = <[String; 2]>::try_from(values).unwrap_or_default();
            atlas::Credentials::Digest {
                public_key,
                private_key: private_key.into(),
            }
        },
    },
    CredentialMethod {
        name: "a service account",
        settings: &[
            ("client_id", &["MONGODB_ATLAS_CLIENT_ID"]),
            ("client_secret", &["MONGODB_ATLAS_CLIENT_SECRET"]),
        ],
        build: |values| {
            let [client_id, client_secret] = <[String; 2]>::try_from(values).unwrap_or_default();
            atlas::Credentials::ServiceAccount {
                client_id,
                client_secret: client_secret.into(),
            }
        },
    },
    CredentialMethod {
        name: "an access token",
        settings: &[("access_token", &["MONGODB_ATLAS_ACCESS_TOKEN"])],
        build: |values| {
            let [access_token] = <[String; 1]>::try_from(values).unwrap_or_default();
            atlas::Credentials::AccessToken(access_token.into())
        },
    },
];

/// What to set, in every credentials error; a unit test keeps it naming every setting of
/// [`CREDENTIAL_METHODS`].
const CREDENTIALS_HELP: &str = "Configure exactly one of: public_key and private_key (or MONGODB_ATLAS_PUBLIC_KEY and \
    MONGODB_ATLAS_PRIVATE_KEY; MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY also work) for an API key \
    pair; client_id and client_secret (or MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET) for a service \
    account; or access_token (or MONGODB_ATLAS_ACCESS_TOKEN).";

/// A whole-number provider argument: its name, default and allowed values.
struct Limit {
    attribute: &'static str,
    default: u64,
    allowed: RangeInclusive<u64>,
}

const MAX_RETRIES: Limit = Limit {
    attribute: "max_retries",
    default: DEFAULT_MAX_RETRIES as u64,
    allowed: 0..=100,
};
const MAX_CONCURRENT_REQUESTS: Limit = Limit {
    attribute: "max_concurrent_requests",
    default: DEFAULT_MAX_CONCURRENT_REQUESTS as u64,
    allowed: 1..=100,
};
const RETRY_TIMEOUT_SECONDS: Limit = Limit {
    attribute: "retry_timeout_seconds",
    default: DEFAULT_RETRY_TIMEOUT_SECONDS,
    allowed: 0..=3600,
};

impl Limit {
    /// The configured value; the default when null or not yet known.
    fn read(&self, config: &Value) -> Result<u64, Diagnostic> {
        match config.get(self.attribute) {
            Value::Null | Value::Unknown => Ok(self.default),
            value => value
                .as_number()
                .and_then(|n| n.as_u64())
                .filter(|n| self.allowed.contains(n))
                .ok_or_else(|| {
                    Diagnostic::error(
                        "Invalid provider setting",
                        format!(
                            "{} must be a whole number from {} to {}.",
                            self.attribute,
                            self.allowed.start(),
                            self.allowed.end()
                        ),
                    )
                    .at(AttributePath::attr(self.attribute))
                }),
        }
    }
}

/// Why a setting gave no usable value.
enum SettingError {
    /// The argument depends on a value known only after apply. Terraform configures providers
    /// during plan with such values, so plan-time checks skip it and configure reports it.
    NotYetKnown(&'static str),
    /// The settings are wrong; the diagnostic says what to set.
    Invalid(Diagnostic),
}

impl From<SettingError> for Diagnostics {
    fn from(err: SettingError) -> Diagnostics {
        match err {
            SettingError::NotYetKnown(attribute) => Diagnostic::error(
                "Provider configuration not yet known",
                format!(
                    "The provider argument {attribute} depends on a value known only after apply. \
                     Set it from a variable or an environment variable instead."
                ),
            )
            .at(AttributePath::attr(attribute))
            .into(),
            SettingError::Invalid(diagnostic) => diagnostic.into(),
        }
    }
}

impl AtlasProvider {
    /// A provider reading the process environment.
    pub fn new() -> Self {
        AtlasProvider::default()
    }

    /// A provider reading only `env`, for tests.
    pub fn with_env(env: Vec<(String, String)>) -> Self {
        AtlasProvider { env: Env::Fixed(env) }
    }

    /// Resolves one setting: a non-empty block value wins, then the first set environment variable.
    fn setting(&self, config: &Value, (attribute, env): Setting) -> Result<Option<String>, SettingError> {
        match config.get(attribute) {
            Value::Unknown => Err(SettingError::NotYetKnown(attribute)),
            Value::String(text) if !text.is_empty() => Ok(Some(text.clone())),
            _ => Ok(self.env.first(env)),
        }
    }

    /// The credentials of the one configured method of [`CREDENTIAL_METHODS`]; `None` when no
    /// method is set. Block values and environment variables count together; a method half
    /// set or two methods set is an error that says what to set.
    fn credentials(&self, config: &Value) -> Result<Option<atlas::Credentials>, SettingError> {
        let mut chosen: Vec<(&CredentialMethod, Vec<String>)> = Vec::new();
        for method in CREDENTIAL_METHODS {
            let mut set = Vec::new();
            let mut missing = Vec::new();
            for &(attribute, env) in method.settings {
                match self.setting(config, (attribute, env))? {
                    Some(value) => set.push((attribute, value)),
                    None => missing.push(attribute),
                }
            }
            if set.is_empty() {
                continue;
            }
            if let Some(first_missing) = missing.first() {
                let set_names: Vec<&str> = set.iter().map(|(attribute, _)| *attribute).collect();
                return Err(SettingError::Invalid(
                    Diagnostic::error(
                        "Incomplete Atlas credentials",
                        format!(
                            "{} is set, but {} is missing. {CREDENTIALS_HELP}",
                            set_names.join(" and "),
                            missing.join(" and ")
                        ),
                    )
                    .at(AttributePath::attr(first_missing)),
                ));
            }
            chosen.push((method, set.into_iter().map(|(_, value)| value).collect()));
        }
        if chosen.len() > 1 {
            let names: Vec<&str> = chosen.iter().map(|(method, _)| method.name).collect();
            return Err(SettingError::Invalid(Diagnostic::error(
                "Conflicting Atlas credentials",
                format!(
                    "Credentials for {} are all set, in the provider block or the environment. {CREDENTIALS_HELP}",
                    names.join(" and ")
                ),
            )));
        }
        Ok(chosen.pop().map(|(method, values)| (method.build)(values)))
    }
}

#[async_trait]
impl Provider for AtlasProvider {
    type Client = atlas::Client;
    const TYPE_PREFIX: &'static str = "mongodbatlas";

    fn schema(&self) -> Schema {
        Schema::new("Manages MongoDB Atlas API keys: organization keys, project keys and AI model keys.").attributes([
            string("base_url").optional().doc(&format!(
                "Atlas base URL. Defaults to `{}`, or the `MONGODB_ATLAS_BASE_URL` \
                 environment variable. The OAuth token endpoint is `<base_url>/api/oauth/token`.",
                atlas::Config::DEFAULT_BASE_URL
            )),
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
        for limit in [MAX_RETRIES, MAX_CONCURRENT_REQUESTS, RETRY_TIMEOUT_SECONDS] {
            if let Err(diagnostic) = limit.read(config) {
                diags.push(diagnostic);
            }
        }
        // Conflicts are visible at plan time; a missing method and values not yet known are
        // reported by configure, so `terraform validate` works without credentials.
        if let Err(SettingError::Invalid(diagnostic)) = self.credentials(config) {
            diags.push(diagnostic);
        }
    }

    async fn configure(&self, config: &Value, terraform_version: &str) -> Result<atlas::Client, Diagnostics> {
        let base_url = self.setting(config, BASE_URL)?;
        let base_url = base_url.unwrap_or_else(|| atlas::Config::DEFAULT_BASE_URL.to_owned());
        check_base_url(&base_url)?;
        let credentials = self.credentials(config)?.ok_or_else(|| {
            Diagnostic::error(
                "Missing Atlas credentials",
                format!("The provider needs credentials to call Atlas. {CREDENTIALS_HELP}"),
            )
        })?;
        let mut diags = Diagnostics::new();
        let [max_retries, max_concurrent_requests, retry_timeout_seconds] =
            [MAX_RETRIES, MAX_CONCURRENT_REQUESTS, RETRY_TIMEOUT_SECONDS].map(|limit| {
                limit.read(config).unwrap_or_else(|diagnostic| {
                    diags.push(diagnostic);
                    limit.default
                })
            });
        diags.into_result()?;
        let mut client_config = atlas::Config::new(base_url, credentials, user_agent(terraform_version));
        client_config.retry.max_attempts = max_retries as u32 + 1;
        client_config.retry.max_elapsed = std::time::Duration::from_secs(retry_timeout_seconds);
        client_config.max_concurrent_requests = max_concurrent_requests as usize;
        atlas::Client::new(client_config)
            .map_err(|err| Diagnostic::error("Could not create the Atlas client", err.to_string()).into())
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

/// Checks a base URL from the provider block or `MONGODB_ATLAS_BASE_URL` by the Atlas client's
/// own rules (an http or https URL with a host, no user info, query or fragment), so the rules
/// live in one place. The client checks the URL first and sends nothing, so a client built with
/// a placeholder token fails here only because of the URL.
///
/// The diagnostic never repeats the URL, which may carry a password (`https://user:secret@host`);
/// it gives the client's reason instead, which never quotes it either. When the text has an `@`
/// it has no attribute path, because Terraform would print the configuration line holding the
/// password under an error that points at `base_url`.
fn check_base_url(base_url: &str) -> Result<(), Diagnostic> {
    let placeholder = atlas::Credentials::AccessToken("base-url-check".to_owned().into());
    let Err(err) = atlas::Client::new(atlas::Config::new(base_url, placeholder, "base-url-check")) else {
        return Ok(());
    };
    let mut reason = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        reason = format!("{reason}: {cause}");
        source = cause.source();
    }
    let advice = if base_url.contains('@') {
        format!("base_url must not contain a user name or password. {CREDENTIALS_HELP}")
    } else {
        format!("Use an http or https URL such as {}.", atlas::Config::DEFAULT_BASE_URL)
    };
    let diagnostic = Diagnostic::error(
        "Invalid base URL",
        format!("The Atlas client refused base_url: {reason}. {advice}"),
    );
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
        let Err(configure_diags) = runtime.block_on(provider.configure(&config, "1.11.4")) else {
            panic!("configure must fail");
        };
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

    /// The provider block with `pairs` set and every other argument null.
    fn block(pairs: &[(&str, Value)]) -> Value {
        let schema = AtlasProvider::new().schema();
        Value::object(schema.block.attributes.iter().map(|attribute| {
            let value = pairs.iter().find(|(name, _)| *name == attribute.name);
            (
                attribute.name.as_str(),
                value.map_or(Value::Null, |(_, value)| value.clone()),
            )
        }))
    }

    fn plan_time(provider: &AtlasProvider, config: &Value) -> Vec<String> {
        let mut diags = Diagnostics::new();
        provider.validate(config, &mut diags);
        diags.iter().map(|diagnostic| diagnostic.summary.clone()).collect()
    }

    fn configure_time(provider: &AtlasProvider, config: &Value) -> Result<atlas::Client, Vec<Diagnostic>> {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        runtime
            .block_on(provider.configure(config, "1.11.4"))
            .map_err(|diags| diags.into_iter().collect())
    }

    #[test]
    fn each_credential_method_builds_its_credentials_from_its_settings() {
        use atlas::{Credentials, ExposeSecret};
        let built: Vec<Credentials> = CREDENTIAL_METHODS
            .iter()
            .map(|method| {
                let values = method
                    .settings
                    .iter()
                    .map(|(attribute, _)| format!("{attribute}-value"));
                (method.build)(values.collect())
            })
            .collect();
        assert!(matches!(&built[0], Credentials::Digest { public_key, private_key }
            if public_key == "public_key-value" && private_key.expose_secret() == "private_key-value"));
        assert!(
            matches!(&built[1], Credentials::ServiceAccount { client_id, client_secret }
            if client_id == "client_id-value" && client_secret.expose_secret() == "client_secret-value")
        );
        assert!(matches!(&built[2], Credentials::AccessToken(token) if token.expose_secret() == "access_token-value"));
        assert_eq!(built.len(), 3);
    }

    #[test]
    fn credentials_help_names_every_setting() {
        for method in CREDENTIAL_METHODS {
            for (attribute, env) in method.settings {
                assert!(CREDENTIALS_HELP.contains(attribute), "{attribute}");
                for name in *env {
                    assert!(CREDENTIALS_HELP.contains(name), "{name}");
                }
            }
        }
    }

    #[test]
    fn every_method_alone_configures_from_block_or_environment() {
        for method in CREDENTIAL_METHODS {
            let pairs: Vec<(&str, Value)> = method
                .settings
                .iter()
                .map(|(attribute, _)| (*attribute, Value::string("x")))
                .collect();
            let from_block = configure_time(&AtlasProvider::with_env(vec![]), &block(&pairs));
            assert!(from_block.is_ok(), "{}: {:?}", method.name, from_block.err());
            let env = method
                .settings
                .iter()
                .map(|(_, env)| (env[0].to_owned(), "x".to_owned()))
                .collect();
            let from_env = configure_time(&AtlasProvider::with_env(env), &block(&[]));
            assert!(from_env.is_ok(), "{}: {:?}", method.name, from_env.err());
        }
    }

    #[test]
    fn conflicting_credentials_are_a_plan_time_error_and_missing_ones_wait_for_configure() {
        let env = vec![("MONGODB_ATLAS_ACCESS_TOKEN".to_owned(), "token".to_owned())];
        let provider = AtlasProvider::with_env(env);
        let both = block(&[
            ("client_id", Value::string("id")),
            ("client_secret", Value::string("s")),
        ]);
        assert_eq!(plan_time(&provider, &both), ["Conflicting Atlas credentials"]);

        let provider = AtlasProvider::with_env(vec![]);
        assert!(plan_time(&provider, &block(&[])).is_empty());
        let missing = configure_time(&provider, &block(&[])).unwrap_err();
        assert_eq!(missing[0].summary, "Missing Atlas credentials");

        let half = block(&[("client_id", Value::string("id"))]);
        assert_eq!(plan_time(&provider, &half), ["Incomplete Atlas credentials"]);
        let half = configure_time(&provider, &half).unwrap_err();
        assert_eq!(half[0].attribute, Some(AttributePath::attr("client_secret")));
    }

    #[test]
    fn credentials_not_yet_known_pass_plan_time_checks_and_fail_configure_at_the_argument() {
        let provider = AtlasProvider::with_env(vec![]);
        let config = block(&[("public_key", Value::Unknown), ("private_key", Value::string("p"))]);
        assert!(plan_time(&provider, &config).is_empty());
        let diagnostics = configure_time(&provider, &config).unwrap_err();
        assert_eq!(diagnostics[0].summary, "Provider configuration not yet known");
        assert_eq!(diagnostics[0].attribute, Some(AttributePath::attr("public_key")));
    }

    #[test]
    fn limits_out_of_range_are_reported_together() {
        let provider = AtlasProvider::with_env(vec![("MONGODB_ATLAS_ACCESS_TOKEN".to_owned(), "t".to_owned())]);
        let config = block(&[
            ("max_retries", Value::Number(101_u64.into())),
            ("max_concurrent_requests", Value::Number(0_u64.into())),
        ]);
        assert_eq!(plan_time(&provider, &config).len(), 2);
        let paths: Vec<_> = configure_time(&provider, &config)
            .unwrap_err()
            .into_iter()
            .map(|diagnostic| diagnostic.attribute)
            .collect();
        assert_eq!(
            paths,
            [
                Some(AttributePath::attr("max_retries")),
                Some(AttributePath::attr("max_concurrent_requests"))
            ]
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
