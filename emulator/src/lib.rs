//! A local emulator of the Atlas Admin API v2 subset that the Terraform provider uses:
//! organization and project programmatic API keys, AI model API keys, organization and project
//! lookups, HTTP Digest and OAuth client-credentials authentication, plus admin routes for tests.
//!
//! It shares no code with the provider: every body is written here from the API spec, so a serde
//! mistake in the client cannot hide behind the same mistake in the emulator.
//!
//! Entry points: [`start`] (on the caller's runtime), [`start_in_background`] (own thread and
//! runtime, for synchronous tests), [`router`] (for `oneshot` tests) and [`serve`] (the loop the
//! binary runs). Module map:
//! - `routes/`: one file per API area plus `admin.rs`; `routes::router` assembles them.
//! - `auth`: digest and bearer authentication, nonce book, org/project authorization.
//! - `ctx`: media-type negotiation, common query parameters, response builders.
//! - `body`: strict JSON body parsing with Atlas-style 400s.
//! - `store`: the in-memory data and its rules; `views`: response bodies; `roles`: role catalogs.
//! - `error`: `ApiError` in Atlas's JSON error shape; `ids`: ids, credentials, timestamps.
//! - `request_log`: the log behind `/__emulator/requests`; `state`: the shared `AppState`.
//! - `faults`: latency, 429s, failures and dropped connections on demand.

pub mod auth;
pub mod body;
pub mod ctx;
pub mod error;
pub mod faults;
pub mod ids;
pub mod request_log;
pub mod roles;
pub mod routes;
pub mod state;
pub mod store;
pub mod views;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

pub use error::ApiError;
pub use faults::{FaultKind, FaultPlan, FaultRule, Phase};
pub use state::AppState;

use request_log::AbortConnection;

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
}

impl Default for Options {
    fn default() -> Options {
        Options {
            port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            nonce_ttl: Duration::from_secs(300),
            token_ttl: Duration::from_secs(3600),
            faults: FaultPlan::default(),
        }
    }
}

/// The seeded organization, projects and credentials; the binary prints it as one JSON line.
///
/// `Debug` shows the private key and client secret: they are emulator credentials. Keep them out
/// of log lines anyway.
#[derive(Clone, Debug, Serialize)]
pub struct Seed {
    /// `http://HOST:PORT`, no trailing slash.
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
}

/// A running emulator; dropping it shuts it down.
pub struct Running {
    /// The seeded credentials.
    pub seed: Seed,
    /// The bound address.
    pub addr: SocketAddr,
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
/// Errors: the bind error, for example when the port is taken, or `InvalidInput` for an invalid
/// fault plan.
pub async fn start(options: Options) -> io::Result<Running> {
    check_faults(&options)?;
    let listener = TcpListener::bind((options.bind, options.port)).await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(&base_url(addr), &options);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(listener, routes::router(state.clone()), async {
        let _ = stopped.await;
    }));
    Ok(Running {
        seed: state.seed(),
        addr,
        state,
        stop: Some(stop),
        thread: None,
    })
}

/// Like [`start`], but on a thread of its own with its own runtime, for synchronous tests.
///
/// Errors: as [`start`], or a failure to build the runtime or spawn the thread.
pub fn start_in_background(options: Options) -> io::Result<Running> {
    check_faults(&options)?;
    let listener = std::net::TcpListener::bind((options.bind, options.port))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let state = AppState::new(&base_url(addr), &options);
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
                        if let Err(err) = serve(listener, app, shutdown).await {
                            tracing::error!(%err, "the emulator stopped");
                        }
                    }
                    Err(err) => tracing::error!(%err, "could not adopt the listener"),
                }
            });
        })?;
    Ok(Running {
        seed: state.seed(),
        addr,
        state,
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// The full router over `state`, for `tower::ServiceExt::oneshot` tests.
pub fn router(state: AppState) -> axum::Router {
    routes::router(state)
}

/// Serves `app` on `listener` over HTTP/1.1 until `shutdown` completes, then drops every open
/// connection.
///
/// A response carrying the `AbortConnection` extension (the "close" fault) is not sent: the
/// connection is closed instead.
///
/// Errors: none today; accept errors are logged and retried.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, app.clone()));
                }
                Err(err) => {
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
    Ok(())
}

/// Returned to hyper to make it close a connection without a response.
#[derive(Debug, thiserror::Error)]
#[error("connection closed by fault injection")]
struct ConnectionAborted;

async fn serve_connection(stream: tokio::net::TcpStream, app: axum::Router) {
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let app = app.clone();
        async move {
            let response: Response = app
                .oneshot(req.map(Body::new))
                .await
                .unwrap_or_else(|never: Infallible| match never {});
            if response.extensions().get::<AbortConnection>().is_some() {
                return Err(ConnectionAborted);
            }
            Ok(response)
        }
    });
    let connection = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    if let Err(err) = connection.await {
        tracing::debug!(%err, "connection ended");
    }
}

fn check_faults(options: &Options) -> io::Result<()> {
    options
        .faults
        .validate()
        .map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, err.detail.clone()))
}

// Links and the printed base URL must be dialable, so an unspecified bind address becomes the
// loopback address of the same family.
fn base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}
