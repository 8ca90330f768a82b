//! The MongoDB Atlas provider: the only module that knows both Terraform and Atlas.
//!
//! `AtlasProvider` declares the provider block, builds the `atlas::Client` from it and lists the
//! resource and data source types in `registry`. It claims the official provider's source
//! address, so it accepts every argument, environment variable and `provider_meta` attribute of
//! the official provider (v2.16.0, `internal/provider/provider.go` and
//! `internal/config/credentials.go`):
//!
//! - Credentials come from the provider block when it sets any credential argument, otherwise
//!   from the environment; within that place an access token wins over a service account, which
//!   wins over an API key pair ([`CREDENTIAL_METHODS`] is in that order), with a warning naming
//!   the one used. Each argument of the method used falls back to its environment variables.
//! - `base_url` (block, then `MONGODB_ATLAS_BASE_URL`, then `MCLI_OPS_MANAGER_URL`) is checked
//!   by the Atlas client's own rules and defaults to [`atlas::Config::DEFAULT_BASE_URL`];
//!   `is_mongodbgov_cloud = true` replaces it with [`GOV_BASE_URL`] unless it is one of
//!   [`GOV_TEST_BASE_URLS`].
//! - `realm_base_url` is accepted and unused; the AWS Secrets Manager arguments in [`UNUSED`]
//!   are accepted with a warning saying they are not used.
//! - Arguments not yet known (they come from a resource created in the same run) do not fail
//!   configure: every call that needs Atlas fails instead, naming them, while plans go on.
//! - `provider_meta "mongodbatlas"` (see [`AtlasProvider::meta_schema`]) extends the User-Agent
//!   of the calls made for the module that declares it ([`user_agent_extra`]).

pub mod claims;
pub mod data_sources;
pub mod ephemeral;
pub mod errors;
pub mod import_id;
pub mod listings;
pub mod lookups;
pub mod network;
pub mod recover;
pub mod registry;
pub mod resources;
pub mod secret;
pub mod validators;

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::error::Error as _;
use std::ops::RangeInclusive;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use crate::atlas;
use crate::framework::{
    attribute, string, Block, Configured, Diagnostic, Diagnostics, DynDataSource, DynResource, NestedBlock, Provider,
    Schema,
};
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
    /// The value of `name`; an empty value counts as unset, as in the official provider.
    fn get(&self, name: &str) -> Option<String> {
        let value = match self {
            Env::Process => std::env::var(name).ok(),
            Env::Fixed(pairs) => pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
        };
        value.filter(|v| !v.is_empty())
    }

    /// The first of `names` that is set, with its value.
    fn first(&self, names: &[&'static str]) -> Option<(&'static str, String)> {
        names.iter().find_map(|name| self.get(name).map(|value| (*name, value)))
    }
}

/// Default number of retries after the first attempt of an Atlas call.
pub const DEFAULT_MAX_RETRIES: u32 = 4;
/// Default time after which no retry of an Atlas call starts.
pub const DEFAULT_RETRY_TIMEOUT_SECONDS: u64 = 60;
/// Default cap on Atlas requests in flight, sized for Terraform's `-parallelism=10`.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 10;

/// Base URL of MongoDB Atlas for Government, used when `is_mongodbgov_cloud` is true
/// (official provider, `internal/config/client.go`).
pub const GOV_BASE_URL: &str = "https://cloud.mongodbgov.com";
/// Base URLs of Atlas for Government's test environments, which `is_mongodbgov_cloud` keeps
/// (compared without surrounding spaces and trailing slashes).
pub const GOV_TEST_BASE_URLS: [&str; 2] = ["https://cloud-dev.mongodbgov.com", "https://cloud-qa.mongodbgov.com"];

/// A provider argument and the environment variables that stand in for it, first one set wins
/// (the official provider's names and order).
type Setting = (&'static str, &'static [&'static str]);

const BASE_URL: Setting = ("base_url", &["MONGODB_ATLAS_BASE_URL", "MCLI_OPS_MANAGER_URL"]);
const IS_MONGODBGOV_CLOUD: &str = "is_mongodbgov_cloud";

/// Arguments of the official provider that these resources cannot use, with the reason shown
/// in the warning when one is set. They all configure reading the credentials from AWS Secrets
/// Manager, which this provider does not do.
pub const UNUSED: &[(&str, &str)] = &[
    (
        "assume_role",
        "the AWS IAM role assumed to read credentials from AWS Secrets Manager",
    ),
    ("secret_name", "the AWS Secrets Manager secret holding the credentials"),
    ("region", "the AWS region of that secret"),
    ("sts_endpoint", "the AWS STS endpoint used to assume the role"),
    ("aws_access_key_id", "the AWS access key ID used to assume the role"),
    (
        "aws_secret_access_key",
        "the AWS secret access key used to assume the role",
    ),
    ("aws_session_token", "the AWS session token used to assume the role"),
];

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

/// The three ways to authenticate, in the official provider's order of precedence (access
/// token, service account, API key pair), with its argument names and environment variables.
const CREDENTIAL_METHODS: &[CredentialMethod] = &[
    CredentialMethod {
        name: "an access token",
        settings: &[("access_token", &["MONGODB_ATLAS_ACCESS_TOKEN"])],
        build: |values| {
            let [access_token] = <[String; 1]>::try_from(values).unwrap_or_default();
            atlas::Credentials::AccessToken(access_token.into())
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
        name: "an API key pair",
        settings: &[
            (
                "public_key",
                &[
                    "MONGODB_ATLAS_PUBLIC_API_KEY",
                    "MONGODB_ATLAS_PUBLIC_KEY",
                    "MCLI_PUBLIC_API_KEY",
                ],
            ),
            (
                "private_key",
                &[
                    "MONGODB_ATLAS_PRIVATE_API_KEY",
                    "MONGODB_ATLAS_PRIVATE_KEY",
                    "MCLI_PRIVATE_API_KEY",
                ],
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
];

/// What to set, in every credentials error; a unit test keeps it naming every setting of
/// [`CREDENTIAL_METHODS`].
const CREDENTIALS_HELP: &str = "Configure one of: public_key and private_key (or MONGODB_ATLAS_PUBLIC_KEY and \
    MONGODB_ATLAS_PRIVATE_KEY; MONGODB_ATLAS_PUBLIC_API_KEY, MCLI_PUBLIC_API_KEY, MONGODB_ATLAS_PRIVATE_API_KEY and \
    MCLI_PRIVATE_API_KEY also work) for an API key pair; client_id and client_secret (or MONGODB_ATLAS_CLIENT_ID and \
    MONGODB_ATLAS_CLIENT_SECRET) for a service account; or access_token (or MONGODB_ATLAS_ACCESS_TOKEN).";

/// Why several methods may be set, in the warning that names the one used.
const PRECEDENCE: &str = "Credentials in the provider block win over the environment; within one place an access \
    token wins over a service account, which wins over an API key pair, as in the official MongoDB Atlas provider.";

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

const HTTP_TIMEOUT_SECONDS: Limit = Limit {
    attribute: "http_timeout_seconds",
    default: atlas::DEFAULT_REQUEST_TIMEOUT.as_secs(),
    allowed: 1..=3600,
};
const CONNECT_TIMEOUT_SECONDS: Limit = Limit {
    attribute: "connect_timeout_seconds",
    default: atlas::DEFAULT_CONNECT_TIMEOUT.as_secs(),
    allowed: 1..=600,
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

/// Where a setting's value comes from.
#[derive(Clone, Debug, PartialEq)]
enum Found {
    /// Set nowhere (null or empty in the block, and no environment variable).
    Unset,
    /// Set in the provider block to a value known only after apply.
    NotYetKnown,
    /// Set in the provider block.
    Block(String),
    /// Set by the named environment variable.
    Env(&'static str, String),
}

impl Found {
    fn in_block(&self) -> bool {
        matches!(self, Found::Block(_) | Found::NotYetKnown)
    }

    fn is_set(&self) -> bool {
        !matches!(self, Found::Unset)
    }
}

/// Why no credentials could be built.
enum CredentialsError {
    /// The method used has arguments known only after apply; their names.
    NotYetKnown(Vec<&'static str>),
    /// The settings are wrong; the diagnostic says what to set.
    Invalid(Diagnostic),
}

/// The credentials chosen from block and environment, and the warning when others were set too.
struct Chosen {
    credentials: atlas::Credentials,
    warning: Option<Diagnostic>,
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
    fn setting(&self, config: &Value, (attribute, env): Setting) -> Found {
        match config.get(attribute) {
            Value::Unknown => Found::NotYetKnown,
            Value::String(text) if !text.is_empty() => Found::Block(text.clone()),
            _ => match self.env.first(env) {
                Some((name, value)) => Found::Env(name, value),
                None => Found::Unset,
            },
        }
    }

    /// The credentials of the method to use; `None` when no method is set anywhere.
    ///
    /// The methods with an argument set in the block are the candidates when there are any,
    /// else those set in the environment (the official provider reads one place, never both);
    /// the first candidate in [`CREDENTIAL_METHODS`] order is used, with a warning naming it
    /// when other methods are set in the same place. Its arguments each fall back to their
    /// environment variables; one missing is an error at its path, and one not yet known is
    /// reported by name.
    fn credentials(&self, config: &Value) -> Result<Option<Chosen>, CredentialsError> {
        let found: Vec<(&CredentialMethod, Vec<Found>)> = CREDENTIAL_METHODS
            .iter()
            .map(|method| {
                let values = method.settings.iter().map(|&setting| self.setting(config, setting));
                (method, values.collect())
            })
            .collect();
        let in_block = |values: &Vec<Found>| values.iter().any(Found::in_block);
        let in_env = |values: &Vec<Found>| values.iter().any(|value| matches!(value, Found::Env(..)));
        let from_block = found.iter().any(|(_, values)| in_block(values));
        let candidates: Vec<&(&CredentialMethod, Vec<Found>)> = found
            .iter()
            .filter(|(_, values)| if from_block { in_block(values) } else { in_env(values) })
            .collect();
        let Some(((method, values), others)) = candidates.split_first() else {
            return Ok(None);
        };
        let not_yet_known: Vec<&'static str> = method
            .settings
            .iter()
            .zip(values)
            .filter(|(_, value)| **value == Found::NotYetKnown)
            .map(|((attribute, _), _)| *attribute)
            .collect();
        if !not_yet_known.is_empty() {
            return Err(CredentialsError::NotYetKnown(not_yet_known));
        }
        let missing: Vec<&str> = method
            .settings
            .iter()
            .zip(values)
            .filter(|(_, value)| !value.is_set())
            .map(|((attribute, _), _)| *attribute)
            .collect();
        if let Some(first_missing) = missing.first() {
            let set = sources(method, values);
            return Err(CredentialsError::Invalid(
                Diagnostic::error(
                    "Incomplete Atlas credentials",
                    format!(
                        "{} will be used because {} is set, but {} is missing. {CREDENTIALS_HELP}",
                        errors::capitalized(method.name),
                        set.join(" and "),
                        missing.join(" and ")
                    ),
                )
                .at(AttributePath::attr(first_missing)),
            ));
        }
        let warning = (!others.is_empty()).then(|| {
            let used = sources(method, values);
            let ignored: Vec<String> = others
                .iter()
                .map(|(other, values)| format!("{} ({})", other.name, sources(other, values).join(", ")))
                .collect();
            Diagnostic::warning(
                "Several Atlas credentials are set",
                format!(
                    "{} will be used: {}. Also set, and ignored: {}. {PRECEDENCE}",
                    errors::capitalized(method.name),
                    used.join(", "),
                    ignored.join("; ")
                ),
            )
        });
        let values = values
            .iter()
            .map(|value| match value {
                Found::Block(text) | Found::Env(_, text) => text.clone(),
                Found::Unset | Found::NotYetKnown => String::new(),
            })
            .collect();
        Ok(Some(Chosen {
            credentials: (method.build)(values),
            warning,
        }))
    }

    /// The base URL to call: `base_url` or its environment variables, else the default, then
    /// replaced by [`GOV_BASE_URL`] when `is_mongodbgov_cloud` is true (with a warning when that
    /// overrides a URL that was set). `Err` names the arguments not yet known.
    fn base_url(&self, config: &Value, warnings: &mut Diagnostics) -> Result<String, Vec<&'static str>> {
        let base_url = self.setting(config, BASE_URL);
        let gov = config.get(IS_MONGODBGOV_CLOUD);
        let mut not_yet_known = Vec::new();
        if base_url == Found::NotYetKnown {
            not_yet_known.push(BASE_URL.0);
        }
        if gov.is_unknown() {
            not_yet_known.push(IS_MONGODBGOV_CLOUD);
        }
        if !not_yet_known.is_empty() {
            return Err(not_yet_known);
        }
        let set = match &base_url {
            Found::Block(url) | Found::Env(_, url) => Some(url.clone()),
            Found::Unset | Found::NotYetKnown => None,
        };
        if gov.as_bool() != Some(true) {
            return Ok(set.unwrap_or_else(|| atlas::Config::DEFAULT_BASE_URL.to_owned()));
        }
        let Some(url) = set else {
            return Ok(GOV_BASE_URL.to_owned());
        };
        let normalized = url.trim().trim_end_matches('/');
        if GOV_TEST_BASE_URLS.contains(&normalized) || normalized == GOV_BASE_URL {
            return Ok(url);
        }
        let from = source(&BASE_URL, &base_url).unwrap_or_default();
        warnings.push(
            Diagnostic::warning(
                "Base URL replaced for Atlas for Government",
                format!(
                    "is_mongodbgov_cloud is true, so the provider calls {GOV_BASE_URL} and ignores {from}. \
                     Only {} are kept, as in the official MongoDB Atlas provider.",
                    GOV_TEST_BASE_URLS.join(" and ")
                ),
            )
            .at(AttributePath::attr(IS_MONGODBGOV_CLOUD)),
        );
        Ok(GOV_BASE_URL.to_owned())
    }

    /// The `provider_meta "mongodbatlas"` schema of the official provider: `module_name`,
    /// `module_version` and `user_agent_extra`, all optional.
    pub fn meta_schema() -> Schema {
        Schema::new(
            "Module metadata, declared in a module's `terraform { provider_meta \"mongodbatlas\" { ... } }` block. \
             It is added to the User-Agent of the Atlas requests made for that module's resources and data sources.",
        )
        .attributes([
            string("module_name")
                .optional()
                .doc("Name of the module, sent as `ModuleName/<module_name>` in the User-Agent."),
            string("module_version")
                .optional()
                .doc("Version of the module, sent as `ModuleVersion/<module_version>` in the User-Agent."),
            attribute("user_agent_extra", Type::Map(Box::new(Type::String)))
                .optional()
                .doc("More `key/value` pairs for the User-Agent."),
        ])
    }
}

/// "an API key pair" as "An API key pair".
/// Where a set setting came from, for messages: `public_key` or `MONGODB_ATLAS_PUBLIC_KEY`
/// (never its value); `None` when unset.
fn source((attribute, _): &Setting, found: &Found) -> Option<String> {
    match found {
        Found::Unset => None,
        Found::Block(_) | Found::NotYetKnown => Some(format!("{attribute} in the provider block")),
        Found::Env(name, _) => Some((*name).to_owned()),
    }
}

/// Where each set setting of `method` came from, in order; `values` are its settings' values.
fn sources(method: &CredentialMethod, values: &[Found]) -> Vec<String> {
    method
        .settings
        .iter()
        .zip(values)
        .filter_map(|(setting, value)| source(setting, value))
        .collect()
}

/// The error of a call that needs Atlas while the provider arguments `attributes` are not yet
/// known.
fn not_yet_known_error(attributes: &[&str]) -> Diagnostic {
    let (names, verb) = match attributes {
        [one] => (format!("argument {one}"), "depends"),
        [rest @ .., last] => (format!("arguments {} and {last}", rest.join(", ")), "depend"),
        [] => ("configuration".to_owned(), "depends"),
    };
    Diagnostic::error(
        "Provider configuration not yet known",
        format!(
            "This operation must call Atlas, but the provider {names} {verb} on values known only after apply. \
             Plans that need no Atlas call (creating a resource) go on, and Terraform configures the provider again \
             with the known values when it applies them. To refresh, import or read objects through this provider \
             now, apply the resources those values come from first (terraform apply -target=...), plan without \
             refreshing (-refresh=false), or set the arguments from variables or environment variables."
        ),
    )
}

/// A warning for each argument of [`UNUSED`] that is set (an `assume_role` block counts when
/// present), at its path unless `schema` marks it sensitive: Terraform prints the configuration
/// line a diagnostic points at, and that line may hold the secret.
fn unused_arguments(config: &Value, schema: &Schema) -> Diagnostics {
    UNUSED
        .iter()
        .filter(|(name, _)| {
            let value = config.get(name);
            value.is_unknown()
                || value
                    .as_elements()
                    .map_or(!value.is_null(), |blocks| !blocks.is_empty())
        })
        .map(|(name, what)| {
            let warning = Diagnostic::warning(
                "Argument not used by this provider",
                format!(
                    "{name} ({what}) is accepted so that provider blocks written for the official MongoDB Atlas \
                     provider keep working, but it is not used by this provider: it never reads credentials from \
                     AWS Secrets Manager. It takes them from the provider block or the environment instead."
                ),
            );
            if schema.attribute(name).is_some_and(|attribute| attribute.sensitive) {
                warning
            } else {
                warning.at(AttributePath::attr(name))
            }
        })
        .collect()
}

/// Most bytes the `provider_meta` part of the User-Agent may take; pairs beyond it are left out.
pub const USER_AGENT_EXTRA_LIMIT: usize = 1024;

/// The `Key/value` pairs a module's `provider_meta` adds to the User-Agent, space-separated and
/// sorted by key, as the official provider does (`internal/config/user_agent.go`):
/// `ModuleName/<module_name>`, `ModuleVersion/<module_version>` and one pair per
/// `user_agent_extra` entry (`module_name` and `module_version` win over extra entries with those
/// keys). Empty for null `meta`; null and unknown values are left out.
///
/// A header carries visible ASCII only, so any other byte of a key or value (spaces, control
/// characters, UTF-8) and `%` are percent-encoded: `name = "my mod"` gives `ModuleName/my%20mod`.
/// Pairs that would take the text past [`USER_AGENT_EXTRA_LIMIT`] bytes are left out.
pub fn user_agent_extra(meta: &Value) -> String {
    let mut pairs: BTreeMap<String, String> = BTreeMap::new();
    if let Some(extra) = meta.get("user_agent_extra").as_map() {
        for (key, value) in extra {
            if let Some(value) = value.as_str() {
                pairs.insert(header_safe(key), header_safe(value));
            }
        }
    }
    for (attribute, key) in [("module_name", "ModuleName"), ("module_version", "ModuleVersion")] {
        if let Some(value) = meta.get(attribute).as_str() {
            pairs.insert(key.to_owned(), header_safe(value));
        }
    }
    let mut agent = String::new();
    for (key, value) in pairs {
        let pair = format!("{key}/{value}");
        let separator = usize::from(!agent.is_empty());
        if agent.len() + separator + pair.len() > USER_AGENT_EXTRA_LIMIT {
            continue;
        }
        if separator == 1 {
            agent.push(' ');
        }
        agent.push_str(&pair);
    }
    agent
}

/// `text` with every byte outside `!`..=`~`, and `%`, percent-encoded.
fn header_safe(text: &str) -> String {
    let mut safe = String::with_capacity(text.len());
    for byte in text.bytes() {
        if (b'!'..=b'~').contains(&byte) && byte != b'%' {
            safe.push(char::from(byte));
        } else {
            safe.push_str(&format!("%{byte:02X}"));
        }
    }
    safe
}

#[async_trait]
impl Provider for AtlasProvider {
    type Client = atlas::Client;
    const TYPE_PREFIX: &'static str = "mongodbatlas";

    fn schema(&self) -> Schema {
        let unused = |name: &str| {
            let what = UNUSED
                .iter()
                .find(|(unused, _)| *unused == name)
                .map_or("", |(_, what)| what);
            format!(
                "Accepted for compatibility with the official provider, where it is {what}; not used by this provider, \
                 which warns when it is set and never reads AWS Secrets Manager."
            )
        };
        Schema::new("Manages MongoDB Atlas API keys: organization keys, project keys and AI model keys.")
            .attributes([
                string("base_url").optional().doc(&format!(
                    "Atlas base URL. Defaults to `{}`, or the `MONGODB_ATLAS_BASE_URL` or `MCLI_OPS_MANAGER_URL` \
                     environment variable. The OAuth token endpoint is `<base_url>/api/oauth/token`.",
                    atlas::Config::DEFAULT_BASE_URL
                )),
                string("public_key").optional().doc(
                    "Public part of the programmatic API key used for HTTP Digest authentication. Also read from \
                     `MONGODB_ATLAS_PUBLIC_API_KEY`, `MONGODB_ATLAS_PUBLIC_KEY` or `MCLI_PUBLIC_API_KEY`, first set wins.",
                ),
                string("private_key").optional().sensitive().doc(
                    "Private part of the programmatic API key. Also read from `MONGODB_ATLAS_PRIVATE_API_KEY`, \
                     `MONGODB_ATLAS_PRIVATE_KEY` or `MCLI_PRIVATE_API_KEY`, first set wins.",
                ),
                string("client_id").optional().doc(
                    "Service account client ID for OAuth 2.0 client credentials. Also read from `MONGODB_ATLAS_CLIENT_ID`.",
                ),
                string("client_secret").optional().sensitive().doc(
                    "Service account client secret. Also read from `MONGODB_ATLAS_CLIENT_SECRET`.",
                ),
                string("access_token").optional().sensitive().doc(
                    "A ready OAuth access token, sent as a Bearer token and never refreshed. Also read from \
                     `MONGODB_ATLAS_ACCESS_TOKEN`. When several credential methods are set, an access token wins over a \
                     service account, which wins over an API key pair, with a warning naming the one used.",
                ),
                attribute(IS_MONGODBGOV_CLOUD, Type::Bool).optional().doc(&format!(
                    "Set to `true` to use MongoDB Atlas for Government: the base URL becomes `{GOV_BASE_URL}` unless it \
                     is `{}` or `{}`. No environment variable.",
                    GOV_TEST_BASE_URLS[0], GOV_TEST_BASE_URLS[1]
                )),
                string("realm_base_url").optional().doc(
                    "Accepted for compatibility with the official provider, where it is the base URL of Atlas App \
                     Services (also `MONGODB_REALM_BASE_URL`); not used by this provider, whose resources never call \
                     App Services.",
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
                attribute(HTTP_TIMEOUT_SECONDS.attribute, Type::Number).optional().doc(&format!(
                    "Longest time one HTTP request to Atlas may take, from sending it to the end of the answer, in \
                     seconds (1 to 3600). Defaults to {}. Each retry gets the full time again.",
                    HTTP_TIMEOUT_SECONDS.default
                )),
                attribute(CONNECT_TIMEOUT_SECONDS.attribute, Type::Number).optional().doc(&format!(
                    "Longest time to establish a connection to Atlas (TCP and TLS, through the proxy if any), in \
                     seconds (1 to 600). Defaults to {}.",
                    CONNECT_TIMEOUT_SECONDS.default
                )),
                string("secret_name").optional().doc(&unused("secret_name")),
                string("region").optional().doc(&unused("region")),
                string("sts_endpoint").optional().doc(&unused("sts_endpoint")),
                string("aws_access_key_id").optional().doc(&unused("aws_access_key_id")),
                string("aws_secret_access_key")
                    .optional()
                    .sensitive()
                    .doc(&unused("aws_secret_access_key")),
                string("aws_session_token")
                    .optional()
                    .sensitive()
                    .doc(&unused("aws_session_token")),
            ])
            .block(NestedBlock {
                max_items: 1,
                ..NestedBlock::list(
                    "assume_role",
                    Block::new(&format!("{} At most one block.", unused("assume_role"))).attributes([string("role_arn")
                        .optional()
                        .doc("The ARN of the role; not used by this provider.")]),
                )
            })
    }

    fn meta_schema(&self) -> Option<Schema> {
        Some(AtlasProvider::meta_schema())
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(base_url) = config.get("base_url").as_str() {
            if let Err(diagnostic) = check_base_url(base_url) {
                diags.push(diagnostic);
            }
        }
        for limit in [
            MAX_RETRIES,
            MAX_CONCURRENT_REQUESTS,
            RETRY_TIMEOUT_SECONDS,
            HTTP_TIMEOUT_SECONDS,
            CONNECT_TIMEOUT_SECONDS,
        ] {
            if let Err(diagnostic) = limit.read(config) {
                diags.push(diagnostic);
            }
        }
        // A method half set is visible at plan time; a missing method and values not yet known
        // are reported by configure, so `terraform validate` works without credentials.
        if let Err(CredentialsError::Invalid(diagnostic)) = self.credentials(config) {
            diags.push(diagnostic);
        }
        diags.extend(unused_arguments(config, &self.schema()));
    }

    async fn configure(
        &self,
        config: &Value,
        terraform_version: &str,
    ) -> Result<(Configured<atlas::Client>, Diagnostics), Diagnostics> {
        let mut warnings = Diagnostics::new();
        let mut errors = Diagnostics::new();
        let mut not_yet_known: Vec<&'static str> = Vec::new();
        let base_url = match self.base_url(config, &mut warnings) {
            Ok(url) => match check_base_url(&url) {
                Ok(()) => Some(url),
                Err(diagnostic) => {
                    errors.push(diagnostic);
                    None
                }
            },
            Err(names) => {
                not_yet_known.extend(names);
                None
            }
        };
        let credentials = match self.credentials(config) {
            Ok(Some(Chosen { credentials, warning })) => {
                warnings.extend(warning.into_iter().collect());
                Some(credentials)
            }
            Ok(None) => {
                let mut detail = format!("The provider needs credentials to call Atlas. {CREDENTIALS_HELP}");
                if !unused_arguments(config, &self.schema()).is_empty() {
                    detail.push_str(" This provider does not read credentials from AWS Secrets Manager.");
                }
                errors.push(Diagnostic::error("Missing Atlas credentials", detail));
                None
            }
            Err(CredentialsError::NotYetKnown(names)) => {
                not_yet_known.extend(names);
                None
            }
            Err(CredentialsError::Invalid(diagnostic)) => {
                errors.push(diagnostic);
                None
            }
        };
        let [max_retries, max_concurrent_requests, retry_timeout_seconds, http_timeout_seconds, connect_timeout_seconds] =
            [
                MAX_RETRIES,
                MAX_CONCURRENT_REQUESTS,
                RETRY_TIMEOUT_SECONDS,
                HTTP_TIMEOUT_SECONDS,
                CONNECT_TIMEOUT_SECONDS,
            ]
            .map(|limit| {
                limit.read(config).unwrap_or_else(|diagnostic| {
                    errors.push(diagnostic);
                    limit.default
                })
            });
        if errors.has_errors() {
            return Err(errors);
        }
        let (Some(base_url), Some(credentials)) = (base_url, credentials) else {
            return Ok((Configured::NotYetKnown(not_yet_known_error(&not_yet_known)), warnings));
        };
        let mut client_config = atlas::Config::new(base_url, credentials, user_agent(terraform_version));
        client_config.retry.max_attempts = max_retries as u32 + 1;
        client_config.retry.max_elapsed = std::time::Duration::from_secs(retry_timeout_seconds);
        client_config.max_concurrent_requests = max_concurrent_requests as usize;
        client_config.request_timeout = std::time::Duration::from_secs(http_timeout_seconds);
        client_config.connect_timeout = std::time::Duration::from_secs(connect_timeout_seconds);
        let client = atlas::Client::new(client_config).map_err(|err| {
            Diagnostics::from(Diagnostic::error("Could not create the Atlas client", err.to_string()))
        })?;
        Ok((Configured::Client(client), warnings))
    }

    fn resources(&self) -> Vec<Arc<dyn DynResource<atlas::Client>>> {
        registry::resources()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DynDataSource<atlas::Client>>> {
        registry::data_sources()
    }

    fn ephemeral_resources(&self) -> Vec<Arc<dyn crate::framework::DynEphemeralResource<atlas::Client>>> {
        registry::ephemeral_resources()
    }

    /// The configured client bound to `cancel`, sending the module's `provider_meta` in its
    /// User-Agent ([`user_agent_extra`]).
    fn client_for_call(client: &Arc<atlas::Client>, cancel: &CancellationToken, meta: &Value) -> Arc<atlas::Client> {
        let call = client.with_cancellation(cancel.clone());
        // `user_agent_extra` is header-safe, so this keeps the plain agent only in theory.
        let call = call.with_user_agent_extra(&user_agent_extra(meta)).unwrap_or(call);
        Arc::new(call)
    }
}

/// The product token this provider sends first in every User-Agent. It is its own, not the
/// official provider's `terraform-provider-mongodbatlas/<version>`, so Atlas (its request
/// logs, support, usage counts) can tell the two apart; nothing in Atlas gates behaviour on
/// the official token, so no reason was found to imitate it.
pub const PRODUCT_TOKEN: &str = "terraform-provider-mongodbatlas-rs";

/// `terraform-provider-mongodbatlas-rs/<version> Terraform/<version>`: [`PRODUCT_TOKEN`] with
/// this crate's version, then Terraform's version as the official provider sends it.
pub fn user_agent(terraform_version: &str) -> String {
    let mut agent = format!("{PRODUCT_TOKEN}/{VERSION}");
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
    let Err(err) = atlas::validate_base_url(base_url) else {
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
        let attributes = schema
            .block
            .attributes
            .iter()
            .map(|attribute| (attribute.name.as_str(), Value::Null));
        let blocks = schema
            .block
            .blocks
            .iter()
            .map(|block| (block.name.as_str(), Value::List(Vec::new())));
        let mut fields: BTreeMap<String, Value> = attributes
            .chain(blocks)
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        for (name, value) in pairs {
            assert!(
                fields.insert((*name).to_owned(), value.clone()).is_some(),
                "{name} is in the schema"
            );
        }
        Value::Object(fields)
    }

    fn plan_time(provider: &AtlasProvider, config: &Value) -> Vec<String> {
        let mut diags = Diagnostics::new();
        provider.validate(config, &mut diags);
        diags.iter().map(|diagnostic| diagnostic.summary.clone()).collect()
    }

    /// What configure answered: the client, or the error calls get while the configuration is
    /// not yet known, with the warnings; or the errors.
    type Answered = Result<(Result<atlas::Client, Diagnostic>, Vec<Diagnostic>), Vec<Diagnostic>>;

    fn configure_time(provider: &AtlasProvider, config: &Value) -> Answered {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        match runtime.block_on(provider.configure(config, "1.11.4")) {
            Ok((Configured::Client(client), warnings)) => Ok((Ok(client), warnings.into_iter().collect())),
            Ok((Configured::NotYetKnown(reason), warnings)) => Ok((Err(reason), warnings.into_iter().collect())),
            Err(errors) => Err(errors.into_iter().collect()),
        }
    }

    /// The client configure built and its warnings; panics when it built none.
    fn configured(provider: &AtlasProvider, config: &Value) -> (atlas::Client, Vec<Diagnostic>) {
        match configure_time(provider, config) {
            Ok((Ok(client), warnings)) => (client, warnings),
            Ok((Err(reason), _)) => panic!("not yet known: {reason:?}"),
            Err(errors) => panic!("configure failed: {errors:?}"),
        }
    }

    fn env(pairs: &[(&str, &str)]) -> AtlasProvider {
        AtlasProvider::with_env(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
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
        assert!(matches!(&built[2], Credentials::Digest { public_key, private_key }
            if public_key == "public_key-value" && private_key.expose_secret() == "private_key-value"));
        assert!(
            matches!(&built[1], Credentials::ServiceAccount { client_id, client_secret }
            if client_id == "client_id-value" && client_secret.expose_secret() == "client_secret-value")
        );
        assert!(matches!(&built[0], Credentials::AccessToken(token) if token.expose_secret() == "access_token-value"));
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
    fn every_method_alone_configures_from_block_or_any_of_its_environment_variables() {
        for method in CREDENTIAL_METHODS {
            let pairs: Vec<(&str, Value)> = method
                .settings
                .iter()
                .map(|(attribute, _)| (*attribute, Value::string("x")))
                .collect();
            let from_block = configure_time(&AtlasProvider::with_env(vec![]), &block(&pairs));
            assert!(
                matches!(&from_block, Ok((Ok(_), warnings)) if warnings.is_empty()),
                "{}: {:?}",
                method.name,
                from_block.err()
            );
            let aliases = method.settings.iter().map(|(_, env)| env.len()).max().unwrap_or(0);
            for alias in 0..aliases {
                let env = method
                    .settings
                    .iter()
                    .map(|(_, env)| (env[alias.min(env.len() - 1)].to_owned(), "x".to_owned()))
                    .collect();
                let from_env = configure_time(&AtlasProvider::with_env(env), &block(&[]));
                assert!(
                    matches!(&from_env, Ok((Ok(_), warnings)) if warnings.is_empty()),
                    "{} alias {alias}: {:?}",
                    method.name,
                    from_env.err()
                );
            }
        }
    }

    #[test]
    fn environment_aliases_follow_the_official_order() {
        let provider = env(&[
            ("MCLI_PUBLIC_API_KEY", "third"),
            ("MONGODB_ATLAS_PUBLIC_KEY", "second"),
            ("MONGODB_ATLAS_PUBLIC_API_KEY", "first"),
        ]);
        let found = provider.setting(&block(&[]), CREDENTIAL_METHODS[2].settings[0]);
        assert_eq!(found, Found::Env("MONGODB_ATLAS_PUBLIC_API_KEY", "first".into()));
        let provider = env(&[
            ("MCLI_OPS_MANAGER_URL", "http://127.0.0.1:1"),
            ("MONGODB_ATLAS_BASE_URL", ""),
        ]);
        let (client, _) = configured(&provider, &block(&[("access_token", Value::string("t"))]));
        assert_eq!(
            client.base_url(),
            "http://127.0.0.1:1",
            "an empty variable counts as unset"
        );
    }

    /// The credentials configure chose, as "bearer", "service account" or "digest", and its
    /// warnings' details.
    fn chosen(provider: &AtlasProvider, config: &Value) -> (&'static str, Vec<String>) {
        let Ok(Some(Chosen { credentials, warning })) = provider.credentials(config) else {
            panic!("no credentials chosen");
        };
        let kind = match credentials {
            atlas::Credentials::AccessToken(_) => "bearer",
            atlas::Credentials::ServiceAccount { .. } => "service account",
            atlas::Credentials::Digest { .. } => "digest",
        };
        let (_, warnings) = configured(provider, config);
        let expected: Vec<String> = warning.iter().map(|w| w.detail.clone()).collect();
        let got: Vec<String> = warnings.iter().map(|w| w.detail.clone()).collect();
        assert_eq!(got, expected, "configure shows the warning");
        (kind, got)
    }

    #[test]
    fn several_methods_follow_the_official_precedence_with_a_warning_naming_the_one_used() {
        let all_env = env(&[
            ("MONGODB_ATLAS_ACCESS_TOKEN", "value-of-token"),
            ("MONGODB_ATLAS_CLIENT_ID", "value-of-id"),
            ("MONGODB_ATLAS_CLIENT_SECRET", "value-of-secret"),
            ("MONGODB_ATLAS_PUBLIC_KEY", "value-of-public"),
            ("MONGODB_ATLAS_PRIVATE_KEY", "value-of-private"),
        ]);
        let (kind, warnings) = chosen(&all_env, &block(&[]));
        assert_eq!(kind, "bearer");
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("An access token will be used: MONGODB_ATLAS_ACCESS_TOKEN."),
            "{warnings:?}"
        );
        assert!(warnings[0].contains("a service account (MONGODB_ATLAS_CLIENT_ID, MONGODB_ATLAS_CLIENT_SECRET)"));
        assert!(warnings[0].contains("an API key pair (MONGODB_ATLAS_PUBLIC_KEY, MONGODB_ATLAS_PRIVATE_KEY)"));
        assert!(!warnings[0].contains("value-of"), "no value is shown: {warnings:?}");

        let service_account_and_key = env(&[
            ("MONGODB_ATLAS_CLIENT_ID", "id"),
            ("MONGODB_ATLAS_CLIENT_SECRET", "s"),
            ("MONGODB_ATLAS_PUBLIC_KEY", "pub"),
            ("MONGODB_ATLAS_PRIVATE_KEY", "priv"),
        ]);
        let (kind, warnings) = chosen(&service_account_and_key, &block(&[]));
        assert_eq!(kind, "service account");
        assert!(
            warnings[0].starts_with("A service account will be used"),
            "{warnings:?}"
        );

        // All three in the block: the same order, the block named as the source.
        let all_block = block(&[
            ("access_token", Value::string("t")),
            ("client_id", Value::string("id")),
            ("client_secret", Value::string("s")),
            ("public_key", Value::string("pub")),
            ("private_key", Value::string("priv")),
        ]);
        let (kind, warnings) = chosen(&env(&[]), &all_block);
        assert_eq!(kind, "bearer");
        assert!(
            warnings[0].contains("access_token in the provider block"),
            "{warnings:?}"
        );
        assert_eq!(
            plan_time(&env(&[]), &all_block),
            Vec::<String>::new(),
            "no plan-time error"
        );
    }

    #[test]
    fn credentials_in_the_block_win_over_other_methods_in_the_environment_silently() {
        let provider = env(&[("MONGODB_ATLAS_ACCESS_TOKEN", "token")]);
        let key_pair = block(&[
            ("public_key", Value::string("pub")),
            ("private_key", Value::string("priv")),
        ]);
        assert_eq!(chosen(&provider, &key_pair), ("digest", vec![]));
        // A method's arguments still fall back to their own environment variables one by one.
        let provider = env(&[
            ("MONGODB_ATLAS_PRIVATE_KEY", "priv"),
            ("MONGODB_ATLAS_ACCESS_TOKEN", "token"),
        ]);
        let half = block(&[("public_key", Value::string("pub"))]);
        assert_eq!(chosen(&provider, &half), ("digest", vec![]));
    }

    #[test]
    fn missing_credentials_wait_for_configure_and_half_a_method_is_a_plan_time_error() {
        let provider = AtlasProvider::with_env(vec![]);
        assert!(plan_time(&provider, &block(&[])).is_empty());
        let missing = configure_time(&provider, &block(&[])).unwrap_err();
        assert_eq!(missing[0].summary, "Missing Atlas credentials");

        let half = block(&[("client_id", Value::string("id"))]);
        assert_eq!(plan_time(&provider, &half), ["Incomplete Atlas credentials"]);
        let half = configure_time(&provider, &half).unwrap_err();
        assert_eq!(half[0].attribute, Some(AttributePath::attr("client_secret")));

        // The official order decides which method is half set: the service account, above the
        // complete key pair.
        let provider = env(&[
            ("MONGODB_ATLAS_CLIENT_SECRET", "s"),
            ("MONGODB_ATLAS_PUBLIC_KEY", "pub"),
            ("MONGODB_ATLAS_PRIVATE_KEY", "priv"),
        ]);
        let errors = configure_time(&provider, &block(&[])).unwrap_err();
        assert_eq!(errors[0].attribute, Some(AttributePath::attr("client_id")));
        assert!(
            errors[0]
                .detail
                .starts_with("A service account will be used because MONGODB_ATLAS_CLIENT_SECRET is set"),
            "{errors:?}"
        );
    }

    #[test]
    fn arguments_not_yet_known_let_configure_succeed_and_name_them_for_calls_that_need_atlas() {
        let provider = AtlasProvider::with_env(vec![]);
        let config = block(&[("public_key", Value::Unknown), ("private_key", Value::Unknown)]);
        assert!(plan_time(&provider, &config).is_empty());
        let Ok((Err(reason), warnings)) = configure_time(&provider, &config) else {
            panic!("configure must succeed without a client");
        };
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(reason.summary, "Provider configuration not yet known");
        assert!(
            reason
                .detail
                .contains("provider arguments public_key and private_key depend on values known only after apply"),
            "{}",
            reason.detail
        );

        // Environment values do not stand in for a block value not yet known.
        let provider = env(&[("MONGODB_ATLAS_PUBLIC_KEY", "pub"), ("MONGODB_ATLAS_ACCESS_TOKEN", "t")]);
        let config = block(&[("public_key", Value::string("p")), ("private_key", Value::Unknown)]);
        let Ok((Err(reason), _)) = configure_time(&provider, &config) else {
            panic!("not yet known");
        };
        assert!(
            reason.detail.contains("argument private_key depends"),
            "{}",
            reason.detail
        );

        for (attribute, value) in [("base_url", Value::Unknown), (IS_MONGODBGOV_CLOUD, Value::Unknown)] {
            let config = block(&[(attribute, value), ("access_token", Value::string("t"))]);
            let Ok((Err(reason), _)) = configure_time(&AtlasProvider::with_env(vec![]), &config) else {
                panic!("{attribute} not yet known");
            };
            assert!(
                reason.detail.contains(&format!("argument {attribute} depends")),
                "{}",
                reason.detail
            );
        }

        // An argument not yet known never hides a certain error.
        let config = block(&[("public_key", Value::Unknown), ("base_url", Value::string("ftp://x"))]);
        let errors = configure_time(&AtlasProvider::with_env(vec![]), &config).unwrap_err();
        assert_eq!(errors[0].summary, "Invalid base URL");
    }

    #[test]
    fn mongodbgov_cloud_replaces_the_base_url_except_its_test_environments() {
        let token = ("access_token", Value::string("t"));
        let provider = AtlasProvider::with_env(vec![]);
        let gov = (IS_MONGODBGOV_CLOUD, Value::Bool(true));
        let (client, warnings) = configured(&provider, &block(&[token.clone(), gov.clone()]));
        assert_eq!(client.base_url(), GOV_BASE_URL);
        assert!(warnings.is_empty());
        for test_url in GOV_TEST_BASE_URLS {
            for written in [test_url.to_owned(), format!("{test_url}/")] {
                let config = block(&[token.clone(), gov.clone(), ("base_url", Value::string(&written))]);
                let (client, warnings) = configured(&provider, &config);
                assert_eq!(client.base_url(), test_url);
                assert!(warnings.is_empty());
            }
        }
        let config = block(&[
            token.clone(),
            gov.clone(),
            ("base_url", Value::string("https://cloud.mongodb.com")),
        ]);
        let (client, warnings) = configured(&provider, &config);
        assert_eq!(client.base_url(), GOV_BASE_URL);
        assert_eq!(warnings[0].summary, "Base URL replaced for Atlas for Government");
        assert_eq!(warnings[0].attribute, Some(AttributePath::attr(IS_MONGODBGOV_CLOUD)));
        let from_env = env(&[("MONGODB_ATLAS_BASE_URL", "http://127.0.0.1:1")]);
        let (client, warnings) = configured(&from_env, &block(&[token.clone(), gov]));
        assert_eq!(client.base_url(), GOV_BASE_URL);
        assert!(
            warnings[0].detail.contains("ignores MONGODB_ATLAS_BASE_URL"),
            "{warnings:?}"
        );
        let (client, _) = configured(&from_env, &block(&[token, (IS_MONGODBGOV_CLOUD, Value::Bool(false))]));
        assert_eq!(client.base_url(), "http://127.0.0.1:1");
    }

    #[test]
    fn official_arguments_this_provider_cannot_use_are_accepted_with_a_warning_each() {
        let provider = env(&[("MONGODB_ATLAS_ACCESS_TOKEN", "t")]);
        let schema = provider.schema();
        for (name, _) in UNUSED {
            let declared = schema.attribute(name).is_some() || schema.block.blocks.iter().any(|b| b.name == *name);
            assert!(declared, "{name} is in the schema");
        }
        for sensitive in [
            "aws_secret_access_key",
            "aws_session_token",
            "private_key",
            "client_secret",
            "access_token",
        ] {
            assert!(schema.attribute(sensitive).is_some_and(|a| a.sensitive), "{sensitive}");
        }
        let assume_role = schema
            .block
            .blocks
            .iter()
            .find(|b| b.name == "assume_role")
            .expect("assume_role");
        assert_eq!(assume_role.max_items, 1);

        let mut pairs: Vec<(&str, Value)> = UNUSED
            .iter()
            .filter(|(name, _)| *name != "assume_role")
            .map(|(name, _)| (*name, Value::string("x")))
            .collect();
        pairs.push((
            "assume_role",
            Value::List(vec![Value::object([(
                "role_arn",
                Value::string("arn:aws:iam::1:role/r"),
            )])]),
        ));
        pairs.push(("realm_base_url", Value::string("https://realm.mongodb.com")));
        let config = block(&pairs);
        let mut diags = Diagnostics::new();
        provider.validate(&config, &mut diags);
        let paths: Vec<Option<AttributePath>> = diags.iter().map(|d| d.attribute.clone()).collect();
        let expected: Vec<Option<AttributePath>> = UNUSED
            .iter()
            .map(|(name, _)| (!name.starts_with("aws_s")).then(|| AttributePath::attr(name)))
            .collect();
        assert_eq!(
            paths, expected,
            "one warning per unused argument, none for realm_base_url, and no path to a secret's line"
        );
        for diagnostic in diags.iter() {
            assert_eq!(diagnostic.severity, crate::framework::Severity::Warning);
            assert_eq!(diagnostic.summary, "Argument not used by this provider");
            assert!(
                diagnostic.detail.contains("not used by this provider"),
                "{}",
                diagnostic.detail
            );
        }
        // Not set, or an empty assume_role list, is no warning; configure still builds the client.
        let mut quiet = Diagnostics::new();
        provider.validate(&block(&[]), &mut quiet);
        assert!(quiet.is_empty(), "{quiet:?}");
        let (_, warnings) = configured(&provider, &config);
        assert!(warnings.is_empty(), "{warnings:?}");
        // Without credentials, the error says AWS Secrets Manager is not read.
        let errors = configure_time(&AtlasProvider::with_env(vec![]), &config).unwrap_err();
        assert!(errors[0]
            .detail
            .contains("does not read credentials from AWS Secrets Manager"));
    }

    #[test]
    fn provider_meta_extends_the_user_agent_sorted_and_header_safe() {
        let meta_type = AtlasProvider::meta_schema().value_type();
        let Type::Object(fields) = &meta_type else {
            panic!("object")
        };
        assert_eq!(
            fields.keys().map(String::as_str).collect::<Vec<_>>(),
            ["module_name", "module_version", "user_agent_extra"]
        );
        assert_eq!(user_agent_extra(&Value::Null), "");
        let meta = Value::object([
            ("module_name", Value::string("my module")),
            ("module_version", Value::string("1.2.3")),
            (
                "user_agent_extra",
                Value::Map(
                    [
                        ("team".to_owned(), Value::string("keys")),
                        ("ModuleName".to_owned(), Value::string("overridden")),
                        ("zone".to_owned(), Value::string("é%\n")),
                        ("unknown".to_owned(), Value::Unknown),
                    ]
                    .into(),
                ),
            ),
        ]);
        assert_eq!(
            user_agent_extra(&meta),
            "ModuleName/my%20module ModuleVersion/1.2.3 team/keys zone/%C3%A9%25%0A"
        );
        let only_name = Value::object([
            ("module_name", Value::string("x")),
            ("module_version", Value::Null),
            ("user_agent_extra", Value::Null),
        ]);
        assert_eq!(user_agent_extra(&only_name), "ModuleName/x");
        let huge = Value::object([(
            "user_agent_extra",
            Value::Map(
                (0..500)
                    .map(|i| (format!("k{i:03}"), Value::string("v".repeat(10))))
                    .collect(),
            ),
        )]);
        let agent = user_agent_extra(&huge);
        assert!(
            agent.len() <= USER_AGENT_EXTRA_LIMIT && agent.starts_with("k000/"),
            "{}",
            agent.len()
        );

        let client = atlas::Client::new(atlas::Config::new(
            "https://cloud.mongodb.com",
            atlas::Credentials::AccessToken("t".to_owned().into()),
            user_agent("1.11.4"),
        ))
        .expect("client");
        let call = AtlasProvider::client_for_call(&Arc::new(client), &CancellationToken::new(), &only_name);
        assert_eq!(
            call.user_agent(),
            format!("terraform-provider-mongodbatlas-rs/{VERSION} Terraform/1.11.4 ModuleName/x")
        );
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
    fn timeouts_are_positive_whole_numbers_checked_at_plan_time() {
        let provider = AtlasProvider::with_env(vec![("MONGODB_ATLAS_ACCESS_TOKEN".to_owned(), "t".to_owned())]);
        for attribute in ["http_timeout_seconds", "connect_timeout_seconds"] {
            for bad in [
                Value::Number(0_u64.into()),
                Value::Number(crate::value::Number::from_f64(1.5).expect("number")),
                Value::Number((-3_i64).into()),
                Value::Number(100_000_u64.into()),
            ] {
                let mut diagnostics = Diagnostics::new();
                provider.validate(&block(&[(attribute, bad.clone())]), &mut diagnostics);
                let diagnostics: Vec<&Diagnostic> = diagnostics.iter().collect();
                assert_eq!(diagnostics.len(), 1, "{attribute} = {bad:?}");
                assert_eq!(diagnostics[0].attribute, Some(AttributePath::attr(attribute)));
                assert!(
                    diagnostics[0].detail.contains("must be a whole number from 1 to"),
                    "{}",
                    diagnostics[0].detail
                );
            }
            assert!(plan_time(&provider, &block(&[(attribute, Value::Number(5_u64.into()))])).is_empty());
        }
        assert_eq!(HTTP_TIMEOUT_SECONDS.default, 60, "today's request timeout");
        assert_eq!(CONNECT_TIMEOUT_SECONDS.default, 10, "today's connect timeout");
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
