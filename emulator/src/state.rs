//! `AppState`: the shared, cloneable handle every handler and middleware receives.
//!
//! Everything mutable sits behind its own `std::sync::Mutex`; no lock is held across an
//! `.await`, and a poisoned lock is recovered rather than unwrapped, so no request can panic the
//! emulator through a lock.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::auth::NonceBook;
use crate::faults::FaultPlan;
use crate::request_log::RequestLog;
use crate::store::Store;
use crate::{Options, Seed};

/// Run-time settings that `/__emulator/config` may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Lifetime of OAuth access tokens.
    pub token_ttl: Duration,
    /// How long a digest nonce may be used.
    pub nonce_ttl: Duration,
    /// Programmatic API keys one organization may hold before the API refuses to create more
    /// (Atlas: 500).
    pub max_api_keys_per_org: usize,
}

/// Request-body limits, fixed at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Largest accepted request body, in bytes.
    pub max_bytes: usize,
    /// Longest pause allowed while a request body arrives.
    pub read_timeout: Duration,
}

/// Shared emulator state; clones share the same data.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

struct Shared {
    base_url: String,
    seed: Seed,
    store: Mutex<Store>,
    nonces: Mutex<NonceBook>,
    log: Mutex<RequestLog>,
    faults: Mutex<FaultPlan>,
    config: Mutex<Config>,
    body_limits: BodyLimits,
}

impl AppState {
    /// A freshly seeded state (one organization, three projects, one `ORG_OWNER` key, one
    /// service account) whose `links` point at `base_url`.
    pub fn new(base_url: &str, options: &Options) -> AppState {
        let mut store = Store::new();
        let seeded = store.create_org("emulated-org", 3);
        let seed = Seed {
            base_url: base_url.to_owned(),
            org_id: seeded.org_id,
            project_ids: seeded.project_ids,
            public_key: seeded.public_key,
            private_key: seeded.private_key.expose().to_owned(),
            client_id: seeded.client_id,
            client_secret: seeded.client_secret.expose().to_owned(),
            ca_file: None,
        };
        let config = Config {
            token_ttl: options.token_ttl,
            nonce_ttl: options.nonce_ttl,
            max_api_keys_per_org: options.max_api_keys_per_org,
        };
        let body_limits = BodyLimits {
            max_bytes: options.max_body_bytes,
            read_timeout: options.header_read_timeout,
        };
        AppState {
            inner: Arc::new(Shared {
                base_url: base_url.trim_end_matches('/').to_owned(),
                seed,
                store: Mutex::new(store),
                nonces: Mutex::new(NonceBook::default()),
                log: Mutex::new(RequestLog::default()),
                faults: Mutex::new(options.faults.clone()),
                config: Mutex::new(config),
                body_limits,
            }),
        }
    }

    /// The seeded credentials.
    pub fn seed(&self) -> Seed {
        self.inner.seed.clone()
    }

    /// The base URL used in `links`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Runs `f` with the store locked; keep `f` short and free of I/O.
    pub fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        f(&mut lock(&self.inner.store))
    }

    /// The current run-time settings.
    pub fn config(&self) -> Config {
        *lock(&self.inner.config)
    }

    /// The request-body limits.
    pub fn body_limits(&self) -> BodyLimits {
        self.inner.body_limits
    }

    /// Replaces the run-time settings.
    pub fn set_config(&self, config: Config) {
        *lock(&self.inner.config) = config;
    }

    pub(crate) fn nonces(&self) -> MutexGuard<'_, NonceBook> {
        lock(&self.inner.nonces)
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultPlan> {
        lock(&self.inner.faults)
    }

    pub(crate) fn log(&self) -> MutexGuard<'_, RequestLog> {
        lock(&self.inner.log)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
