//! A local emulator of the Atlas Admin API v2 subset that the Terraform provider uses:
//! organization and project programmatic API keys and their access lists, AI model API keys and
//! rate limits, organization and project lookups, the system status (`GET /api/atlas/v2`), HTTP
//! Digest and OAuth client-credentials authentication, plus admin routes for tests.
//!
//! It shares no code with the provider: every body is written here from the API spec, so a serde
//! mistake in the client cannot hide behind the same mistake in the emulator.
//!
//! Entry points: [`start`] (on the caller's runtime), [`start_in_background`] (own thread and
//! runtime, for synchronous tests), [`router`] (for `oneshot` tests) and [`serve`] (the loop the
//! binary runs).
//!
//! It is built to hold up like a server (defaults in [`Options`]): at most 512 open connections,
//! a 10 s header-read timeout, a 60 s keep-alive idle timeout, request bodies of at most 4 MiB
//! (413 beyond), `Content-Type` checked on bodies (415), unknown query parameters refused (400),
//! a bounded digest nonce book, and Atlas's limit of 500 API keys per organization.
//!
//! Module map:
//! - `routes/`: one file per API area plus `admin.rs`; `routes::router` assembles them.
//! - `auth`: digest and bearer authentication, nonce book, org/project authorization.
//! - `ctx`: media-type negotiation, common query parameters, response builders.
//! - `server`: the accept loop, connection cap, header-read and idle timeouts.
//! - `body`: strict JSON body parsing with Atlas-style 400s; `Content-Type` and size limits.
//! - `store`: the in-memory data and its rules; `views`: response bodies; `roles`: role catalogs.
//! - `error`: `ApiError` in Atlas's JSON error shape; `ids`: ids, credentials, timestamps.
//! - `request_log`: the log behind `/__emulator/requests`; `state`: the shared `AppState`.
//! - `faults`: latency, 429s, failures and dropped connections on demand.
//! - `ai_rate_limits`: the AI model groups and their organization and project rate limits.

pub mod ai_rate_limits;
pub mod auth;
pub mod body;
pub mod ctx;
pub mod error;
pub mod faults;
pub mod ids;
pub mod request_log;
pub mod roles;
pub mod routes;
pub mod server;
pub mod state;
pub mod store;
pub mod tls;
pub mod views;

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use error::ApiError;
pub use faults::{FaultKind, FaultPlan, FaultRule, Phase};
pub use server::ConnectionLimits;
pub use state::AppState;
pub use tls::{Tls, TlsOptions};

/// Atlas's limit of programmatic API keys per organization, the default of
/// [`Options::max_api_keys_per_org`].
pub const ATLAS_MAX_API_KEYS_PER_ORG: usize = 500;

/// How to start the emulator.
#[derive(Debug, Clone)]
pub struct Options {
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// Address to bind; 127.0.0.1 by default.
    pub bind: IpAddr,
    /// How long a digest nonce stays usable (default 5 minutes).
    pub nonce_ttl: Duration,
    /// Lifetime of OAuth access tokens (default 3600 s, as Atlas).
    pub token_ttl: Duration,
    /// Faults to inject from the start (default none).
    pub faults: FaultPlan,
    /// Time a client has to send a complete request head, from accept or from the first byte of
    /// a later request; also the longest pause allowed inside a request body (default 10 s; must
    /// be above zero).
    pub header_read_timeout: Duration,
    /// Time a keep-alive connection may stay silent between requests before the emulator closes
    /// it (default 60 s; must be above zero).
    pub idle_timeout: Duration,
    /// Open connections at most; beyond, new clients wait in the listen backlog (default 512;
    /// at least 1).
    pub max_connections: usize,
    /// Largest request body in bytes; larger ones get 413 `PAYLOAD_TOO_LARGE` (default 4 MiB;
    /// at least 1).
    pub max_body_bytes: usize,
    /// Programmatic API keys per organization the API lets exist; creating one more gets 400
    /// `MAX_API_KEYS_PER_ORG_EXCEEDED` (default 500, as Atlas; `POST /__emulator/config` can
    /// change it at run time).
    pub max_api_keys_per_org: usize,
    /// Serve HTTPS with a certificate from the emulator's own CA (default `None`: plain HTTP).
    pub tls: Option<TlsOptions>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            nonce_ttl: Duration::from_secs(300),
            token_ttl: Duration::from_secs(3600),
            faults: FaultPlan::default(),
            header_read_timeout: server::DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: server::DEFAULT_IDLE_TIMEOUT,
            max_connections: server::DEFAULT_MAX_CONNECTIONS,
            max_body_bytes: body::DEFAULT_MAX_BODY_BYTES,
            max_api_keys_per_org: ATLAS_MAX_API_KEYS_PER_ORG,
            tls: None,
        }
    }
}

impl Options {
    /// The connection limits these options ask for.
    pub fn connection_limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: self.header_read_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections,
        }
    }

    /// Checks the options.
    ///
    /// Errors: `InvalidInput` for an invalid fault plan, a zero timeout, or a zero connection
    /// or body limit.
    pub fn validate(&self) -> io::Result<()> {
        let invalid = |detail: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, detail.to_owned()));
        if let Err(err) = self.faults.validate() {
            return invalid(&err.detail);
        }
        if self.header_read_timeout.is_zero() || self.idle_timeout.is_zero() {
            return invalid("the header read and idle timeouts must be above zero");
        }
        if self.max_connections == 0 || self.max_body_bytes == 0 {
            return invalid("max_connections and max_body_bytes must be at least 1");
        }
        Ok(())
    }
}

/// The seeded organization, projects and credentials; the binary prints it as one JSON line.
///
/// `Debug` shows the private key and client secret: they are emulator credentials. Keep them out
/// of log lines anyway.
#[derive(Clone, Debug, Serialize)]
pub struct Seed {
    /// `http://HOST:PORT` (`https://` with TLS), no trailing slash.
    pub base_url: String,
    /// The seeded organization.
    pub org_id: String,
    /// Its three projects.
    pub project_ids: Vec<String>,
    /// Public key of the seeded `ORG_OWNER` API key (digest user name).
    pub public_key: String,
    /// Private key of that API key (digest password).
    pub private_key: String,
    /// Client id of the seeded service account.
    pub client_id: String,
    /// Client secret of that service account.
    pub client_secret: String,
    /// With TLS: the file holding the emulator's CA certificate (PEM), for `SSL_CERT_FILE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
}

/// A running emulator; dropping it shuts it down.
pub struct Running {
    /// The seeded credentials.
    pub seed: Seed,
    /// The bound address.
    pub addr: SocketAddr,
    /// With TLS: the CA, certificate and handshake counter.
    pub tls: Option<Tls>,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Running {
    /// The base URL, such as `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> &str {
        &self.seed.base_url
    }

    /// The live state, for tests that inspect or change the store directly.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting connections and drops open ones. For [`start_in_background`] it also
    /// waits for the emulator's thread to finish.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            // The server may already have stopped; then there is nobody to tell.
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the emulator thread panicked");
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// Binds, seeds and serves on the caller's Tokio runtime.
///
/// Errors: the bind error, for example when the port is taken, or `InvalidInput` for invalid
/// options (see [`Options::validate`]).
pub async fn start(options: Options) -> io::Result<Running> {
    options.validate()?;
    let listener = TcpListener::bind((options.bind, options.port)).await?;
    let addr = listener.local_addr()?;
    let (tls, ca_file) = prepare_tls(&options, addr)?;
    let state = AppState::new(&base_url(addr, tls.is_some()), &options);
    let (stop, stopped) = oneshot::channel::<()>();
    let limits = options.connection_limits();
    tokio::spawn(serve(
        listener,
        routes::router(state.clone()),
        limits,
        tls.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    Ok(Running {
        seed: Seed {
            ca_file,
            ..state.seed()
        },
        addr,
        tls,
        state,
        stop: Some(stop),
        thread: None,
    })
}

/// Like [`start`], but on a thread of its own with its own runtime, for synchronous tests.
///
/// Errors: as [`start`], or a failure to build the runtime or spawn the thread.
pub fn start_in_background(options: Options) -> io::Result<Running> {
    options.validate()?;
    let limits = options.connection_limits();
    let listener = std::net::TcpListener::bind((options.bind, options.port))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (tls, ca_file) = prepare_tls(&options, addr)?;
    let served_tls = tls.clone();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let state = AppState::new(&base_url(addr, tls.is_some()), &options);
    let app = routes::router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("atlas-emulator".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                match TcpListener::from_std(listener) {
                    Ok(listener) => {
                        let shutdown = async {
                            let _ = stopped.await;
                        };
                        if let Err(err) = serve(listener, app, limits, served_tls, shutdown).await {
                            tracing::error!(%err, "the emulator stopped");
                        }
                    }
                    Err(err) => tracing::error!(%err, "could not adopt the listener"),
                }
            });
        })?;
    Ok(Running {
        seed: Seed {
            ca_file,
            ..state.seed()
        },
        addr,
        tls,
        state,
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// The full router over `state`, for `tower::ServiceExt::oneshot` tests.
pub fn router(state: AppState) -> axum::Router {
    routes::router(state)
}

pub use server::serve;

// Links and the printed base URL must be dialable, so an unspecified bind address becomes the
// loopback address of the same family.
fn base_url(addr: SocketAddr, tls: bool) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{}", SocketAddr::new(ip, addr.port()))
}

/// With TLS: a fresh CA and server certificate, the CA's PEM written to its file.
///
/// Errors: a refused certificate name, or the CA file could not be written.
fn prepare_tls(options: &Options, addr: SocketAddr) -> io::Result<(Option<Tls>, Option<String>)> {
    let Some(tls_options) = &options.tls else {
        return Ok((None, None));
    };
    let tls = Tls::generate(tls_options)?;
    let path = tls_options
        .ca_file
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("atlas-emulator-ca-{}.pem", addr.port())));
    std::fs::write(&path, &tls.ca_pem)?;
    Ok((Some(tls), Some(path.display().to_string())))
}
