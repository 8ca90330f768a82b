//! Serving: the listener, the accept loop with pinned mutual TLS, signals and shutdown.
//!
//! [`serve`] does what a go-plugin server does when Terraform starts it: read the
//! environment, listen, write the handshake line (see `handshake`), and serve the Provider
//! service beside go-plugin's own services (see `goplugin`) until `plugin.GRPCController/
//! Shutdown`, after which Terraform waits at most 2 s before killing the process.
//! [`serve_on`] is the same server on a listener the caller chose, which is what the
//! in-process tests drive.

use std::env;
use std::future::Future;
use std::io;
use std::net::Ipv4Addr;
use std::ops::RangeInclusive;
#[cfg(unix)]
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
#[cfg(unix)]
use tokio::net::UnixListener;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;

use super::proto::tfplugin6::provider_server::{Provider, ProviderServer};
use super::tls::{ServerTls, TlsError};
use super::{goplugin, handshake};
use crate::value::Quoted;

/// terraform-plugin-go's message size cap in both directions; tonic's default is 4 MiB, which
/// large schemas or states can exceed.
const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// go-plugin's port range when `PLUGIN_MIN_PORT`/`PLUGIN_MAX_PORT` are unset.
const DEFAULT_PORTS: RangeInclusive<u16> = 10000..=25000;

/// How long one client may take to finish its TLS handshake before we drop it.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long open connections may drain after Shutdown before serving stops regardless.
/// go-plugin kills the process 2 s after Shutdown, and streaming calls (stdio, health watch)
/// would otherwise keep a connection open forever.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// How long the [`OnShutdown`] work may take: go-plugin kills the process 2 s after Shutdown,
/// and draining connections may already have taken [`SHUTDOWN_GRACE`].
pub const ON_SHUTDOWN_DEADLINE: Duration = Duration::from_millis(1200);

/// What a served provider does when Terraform shuts the plugin down (go-plugin's
/// `plugin.GRPCController/Shutdown`, or Ctrl-C in debug mode), after the server stopped and
/// before the process exits, within [`ON_SHUTDOWN_DEADLINE`]. The default does nothing.
#[async_trait::async_trait]
pub trait OnShutdown: Send + Sync + 'static {
    /// The work; it must end by `deadline`.
    async fn on_shutdown(&self, _deadline: Duration) {}
}

/// How [`serve`] runs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The provider's full registry address, e.g. `registry.terraform.io/mongodb/mongodbatlas`;
    /// used in the debug-mode reattach instructions.
    pub provider_address: String,
    /// Debug mode (`--debug`): no cookie, no TLS, print reattach instructions and serve until
    /// Ctrl-C, so the provider can run under a debugger.
    pub debug: bool,
}

/// Why serving failed or could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Terraform does not offer protocol 6.
    #[error(
        "terraform offered plugin protocol versions {}, but this provider speaks only version 6",
        Quoted(.offered)
    )]
    UnsupportedProtocol {
        /// The raw value of `PLUGIN_PROTOCOL_VERSIONS`.
        offered: String,
    },
    /// `PLUGIN_MIN_PORT` or `PLUGIN_MAX_PORT` is not a port number.
    #[error("{name} is not a port number: {}", Quoted(.value))]
    InvalidPort {
        /// The variable's name.
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// Neither a unix socket nor a TCP port could be bound.
    #[error("could not listen on a unix socket or on 127.0.0.1 ports {ports:?}")]
    Listen {
        /// The TCP ports that were tried.
        ports: RangeInclusive<u16>,
        /// The last bind error.
        #[source]
        source: io::Error,
    },
    /// `PLUGIN_CLIENT_CERT` is not valid UTF-8.
    #[error("PLUGIN_CLIENT_CERT is not valid UTF-8")]
    ClientCertEncoding,
    /// The TLS configuration could not be built.
    #[error("could not set up mutual TLS")]
    Tls(#[source] TlsError),
    /// The SIGINT handler could not be installed.
    #[error("could not install the interrupt handler")]
    Signal(#[source] io::Error),
    /// Writing the handshake line or reattach instructions failed.
    #[error("could not write to stdout")]
    Stdout(#[source] io::Error),
    /// The gRPC server failed.
    #[error("the gRPC server failed")]
    Transport(#[source] tonic::transport::Error),
}

/// Serves `provider` to Terraform until `plugin.GRPCController/Shutdown` (or, in debug mode,
/// Ctrl-C), then returns.
///
/// Normal mode reads the go-plugin environment, ignores SIGINT for the rest of the process's
/// life (Terraform turns Ctrl-C into StopProvider), serves mutual TLS when
/// `PLUGIN_CLIENT_CERT` is set, and writes the handshake line to stdout. The caller must have
/// checked the magic cookie ([`check_magic_cookie`](crate::tfplugin::check_magic_cookie)) and must never write to stdout itself.
pub async fn serve<P>(provider: P, config: ServeConfig) -> Result<(), ServeError>
where
    P: Provider + OnShutdown,
{
    if config.debug {
        return serve_debug(provider, &config.provider_address).await;
    }

    let protocol_version = handshake::protocol_from_env()?;
    ignore_interrupts()?;
    let tls = handshake::server_tls_from_env()?;
    let listener = PluginListener::bind_from_env().await?;
    handshake::announce(protocol_version, &listener, tls.as_ref())?;
    tracing::debug!(network = listener.network(), address = %listener.address(), tls = tls.is_some(), "plugin server started");
    serve_on(provider, listener, tls, std::future::pending()).await
}

/// Where the gRPC server listens: a unix socket (removed again when this value is dropped) or a
/// TCP port on 127.0.0.1.
#[derive(Debug)]
pub enum PluginListener {
    /// A unix socket; the file is removed on drop.
    #[cfg(unix)]
    Unix {
        /// The bound socket.
        listener: UnixListener,
        /// The socket's path, removed on drop.
        socket: SocketFile,
    },
    /// A TCP listener on the loopback interface.
    Tcp(TcpListener),
}

impl PluginListener {
    /// Binds a unix socket at `path`. Errors if the path exists or is too long for a socket.
    #[cfg(unix)]
    pub fn bind_unix(path: PathBuf) -> io::Result<Self> {
        let listener = UnixListener::bind(&path)?;
        Ok(Self::Unix {
            listener,
            socket: SocketFile(path),
        })
    }

    /// Binds the first free port of `ports` on 127.0.0.1; errors with the last bind error.
    pub async fn bind_tcp(ports: RangeInclusive<u16>) -> io::Result<Self> {
        let mut last_error = io::Error::new(io::ErrorKind::AddrNotAvailable, "the port range is empty");
        for port in ports {
            match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
                Ok(listener) => return Ok(Self::Tcp(listener)),
                Err(err) => last_error = err,
            }
        }
        Err(last_error)
    }

    /// Binds the way go-plugin servers do: a fresh `plugin*` unix socket in
    /// `PLUGIN_UNIX_SOCKET_DIR` (or the temporary directory), and TCP on 127.0.0.1 within
    /// `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT` when that fails or on non-unix systems.
    pub async fn bind_from_env() -> Result<Self, ServeError> {
        #[cfg(unix)]
        {
            let socket_dir = match env::var_os("PLUGIN_UNIX_SOCKET_DIR") {
                Some(dir) if !dir.is_empty() => PathBuf::from(dir),
                _ => env::temp_dir(),
            };
            match bind_fresh_socket(&socket_dir) {
                Ok(listener) => return Ok(listener),
                // A long TMPDIR can exceed the ~108-byte socket path limit; TCP still works.
                Err(err) => {
                    tracing::debug!(error = %err, dir = %socket_dir.display(), "unix socket unavailable, falling back to TCP")
                }
            }
        }
        let ports = port_range_from_env()?;
        Self::bind_tcp(ports.clone())
            .await
            .map_err(|source| ServeError::Listen { ports, source })
    }

    /// The go-plugin network name: `unix` or `tcp`.
    pub fn network(&self) -> &'static str {
        match self {
            #[cfg(unix)]
            Self::Unix { .. } => "unix",
            Self::Tcp(_) => "tcp",
        }
    }

    /// The address clients dial: the socket path, or `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        match self {
            #[cfg(unix)]
            Self::Unix { socket, .. } => socket.0.display().to_string(),
            Self::Tcp(listener) => match listener.local_addr() {
                Ok(address) => address.to_string(),
                // A bound socket always has an address; this arm only satisfies the type.
                Err(_) => String::new(),
            },
        }
    }

    /// Waits for the next connection, boxed so plain and TLS streams share one type.
    async fn accept(&self) -> io::Result<Box<dyn Io>> {
        match self {
            #[cfg(unix)]
            Self::Unix { listener, .. } => {
                let (stream, _) = listener.accept().await?;
                Ok(Box::new(stream))
            }
            Self::Tcp(listener) => {
                let (stream, _) = listener.accept().await?;
                // gRPC is request/response over small frames; Nagle only adds latency.
                stream.set_nodelay(true)?;
                Ok(Box::new(stream))
            }
        }
    }
}

/// A unix socket path that is removed when dropped, so no `plugin*` files are left behind.
#[cfg(unix)]
#[derive(Debug)]
pub struct SocketFile(PathBuf);

#[cfg(unix)]
impl SocketFile {
    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

#[cfg(unix)]
impl Drop for SocketFile {
    fn drop(&mut self) {
        // Nothing useful can be done if the file is already gone.
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Serves `provider` on `listener` (with pinned mutual TLS when `tls` is set) until
/// `plugin.GRPCController/Shutdown` is called or `shutdown` completes.
///
/// After either, open connections get a short grace period to finish in-flight calls and then
/// the function returns, well inside go-plugin's 2 s kill deadline. A client that fails the
/// TLS handshake is dropped without affecting other clients. Writes nothing to stdout.
pub async fn serve_on<P, F>(
    provider: P,
    listener: PluginListener,
    tls: Option<ServerTls>,
    shutdown: F,
) -> Result<(), ServeError>
where
    P: Provider + OnShutdown,
    F: Future<Output = ()> + Send,
{
    let stop = CancellationToken::new();

    let provider = std::sync::Arc::new(provider);
    let provider_service = ProviderServer::from_arc(std::sync::Arc::clone(&provider))
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let router = goplugin::router(&stop).await.add_service(provider_service);

    let (connections, incoming) = mpsc::channel(16);
    let acceptor = tls.map(|tls| tokio_rustls::TlsAcceptor::from(tls.config()));
    // The accept loop ends when tonic drops `incoming` at shutdown, but the listener (and a
    // unix socket file) must live until this function returns, so the loop then parks.
    let accepting = async {
        accept_loop(&listener, acceptor, connections).await;
        std::future::pending::<()>().await;
    };

    let stop_signal = stop.clone();
    let signal = async move {
        tokio::select! {
            () = stop_signal.cancelled() => {}
            () = shutdown => stop_signal.cancel(),
        }
    };
    let server = router.serve_with_incoming_shutdown(ReceiverStream::new(incoming), signal);
    let grace_expired = async {
        stop.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    let result = tokio::select! {
        result = server => result.map_err(ServeError::Transport),
        () = grace_expired => {
            tracing::debug!("connections still open after shutdown; closing them");
            Ok(())
        }
        () = accepting => Ok(()),
    };
    if stop.is_cancelled() {
        provider.on_shutdown(ON_SHUTDOWN_DEADLINE).await;
    }
    // Dropping the listener here removes a unix socket file before we return.
    drop(listener);
    result
}

/// Debug mode: plain gRPC, reattach instructions on stdout, serve until Ctrl-C or Shutdown.
async fn serve_debug<P: Provider + OnShutdown>(provider: P, provider_address: &str) -> Result<(), ServeError> {
    // Listening before the instructions are printed means an early Ctrl-C still shuts down
    // cleanly (removing the socket) instead of killing the process.
    let mut interrupts = listen_for_interrupts().map_err(ServeError::Signal)?;
    let listener = PluginListener::bind_from_env().await?;
    handshake::announce_debug(provider_address, &listener)?;
    let interrupted = async move {
        interrupts.recv().await;
    };
    serve_on(provider, listener, None, interrupted).await
}

/// Swallows SIGINT for the rest of the process's life.
///
/// A Ctrl-C in Terraform's terminal reaches us too, because we share its process group.
/// Terraform answers it with StopProvider and then waits for running operations, so dying on
/// the signal would abort an apply halfway. Go plugins do the same ("eat the interrupts").
fn ignore_interrupts() -> Result<(), ServeError> {
    // Installed before the handshake, so there is no window in which SIGINT still kills.
    let mut interrupts = listen_for_interrupts().map_err(ServeError::Signal)?;
    tokio::spawn(async move {
        while interrupts.recv().await.is_some() {
            tracing::debug!("ignoring Ctrl-C; Terraform stops us through StopProvider");
        }
    });
    Ok(())
}

/// Replaces the default Ctrl-C action (exit) with a stream of notifications, from now on.
#[cfg(unix)]
fn listen_for_interrupts() -> io::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
}

/// Replaces the default Ctrl-C action (exit) with a stream of notifications, from now on.
#[cfg(windows)]
fn listen_for_interrupts() -> io::Result<tokio::signal::windows::CtrlC> {
    tokio::signal::windows::ctrl_c()
}

fn port_range_from_env() -> Result<RangeInclusive<u16>, ServeError> {
    let port = |name: &'static str, default: u16| match env::var(name) {
        Ok(value) if !value.trim().is_empty() => value
            .trim()
            .parse::<u16>()
            .map_err(|_| ServeError::InvalidPort { name, value }),
        _ => Ok(default),
    };
    Ok(port("PLUGIN_MIN_PORT", *DEFAULT_PORTS.start())?..=port("PLUGIN_MAX_PORT", *DEFAULT_PORTS.end())?)
}

/// Binds `<dir>/plugin<random>`, retrying a few names in the unlikely case one is taken.
#[cfg(unix)]
fn bind_fresh_socket(dir: &Path) -> io::Result<PluginListener> {
    let mut attempt = 0;
    loop {
        let path = dir.join(format!("plugin{}", rand::random::<u32>()));
        match PluginListener::bind_unix(path) {
            Err(err) if err.kind() == io::ErrorKind::AddrInUse && attempt < 8 => attempt += 1,
            result => return result,
        }
    }
}

/// Accepts connections, runs TLS handshakes concurrently, and hands finished streams to tonic.
///
/// Ends when tonic drops the receiving side at shutdown.
async fn accept_loop(
    listener: &PluginListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    connections: mpsc::Sender<io::Result<Box<dyn Io>>>,
) {
    loop {
        let stream = tokio::select! {
            () = connections.closed() => return,
            accepted = listener.accept() => match accepted {
                Ok(stream) => stream,
                Err(err) => {
                    // Typically EMFILE; pausing avoids a busy loop while it persists.
                    tracing::warn!(error = %err, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(acceptor) = &acceptor else {
            if connections.send(Ok(stream)).await.is_err() {
                return;
            }
            continue;
        };
        let acceptor = acceptor.clone();
        let connections = connections.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls_stream)) => {
                    let stream: Box<dyn Io> = Box::new(tls_stream);
                    // A closed channel means we are shutting down; the stream just closes.
                    let _ = connections.send(Ok(stream)).await;
                }
                Ok(Err(err)) => tracing::warn!(error = %err, "refused a plugin client: TLS handshake failed"),
                Err(_) => tracing::warn!("refused a plugin client: TLS handshake timed out"),
            }
        });
    }
}

/// A byte stream tonic can serve: unix, TCP, or TLS over either.
trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

impl Connected for Box<dyn Io> {
    // Nothing reads peer information; the only peer is Terraform.
    type ConnectInfo = ();

    fn connect_info(&self) -> Self::ConnectInfo {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_port_errors_quote_the_value_bounded() {
        let err = ServeError::InvalidPort {
            name: "PLUGIN_MIN_PORT",
            value: "9".repeat(100_000),
        }
        .to_string();
        assert!(err.len() < 600, "{} bytes", err.len());
        assert!(err.starts_with("PLUGIN_MIN_PORT is not a port number: \"999"), "{err}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn socket_file_is_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let listener = bind_fresh_socket(dir.path()).unwrap();
        assert_eq!(listener.network(), "unix");
        let path = PathBuf::from(listener.address());
        assert!(path.file_name().unwrap().to_str().unwrap().starts_with("plugin"));
        assert!(path.exists());
        drop(listener);
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn tcp_listener_uses_the_first_free_port() {
        let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = taken.local_addr().unwrap().port();
        // The taken port is skipped; a range of one taken port is an error.
        assert!(PluginListener::bind_tcp(port..=port).await.is_err());
        let listener = PluginListener::bind_tcp(port..=port.saturating_add(50)).await.unwrap();
        assert_eq!(listener.network(), "tcp");
        assert!(listener.address().starts_with("127.0.0.1:"));
        assert_ne!(listener.address(), format!("127.0.0.1:{port}"));
    }
}
