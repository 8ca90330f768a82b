//! The go-plugin server contract: how Terraform starts this process and reaches its gRPC server.
//!
//! Terraform runs the binary with a magic cookie and a few `PLUGIN_*` variables, reads exactly
//! one line from our stdout (`1|6|unix|<path>|grpc|<server cert>`), dials that address (with
//! mutual TLS when it sent `PLUGIN_CLIENT_CERT`), and finally calls `plugin.GRPCController/
//! Shutdown`, after which it waits at most 2 s before killing the process.
//!
//! Besides the Provider service, the same gRPC server carries the go-plugin controller, an
//! empty stdio stream and the gRPC health service reporting `plugin` as SERVING.
//!
//! [`serve`] reads the environment and writes stdout; [`serve_on`] is the same server on a
//! listener the caller chose, which is what the in-process tests drive.

use std::env;
use std::ffi::OsStr;
use std::future::Future;
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::ops::RangeInclusive;
#[cfg(unix)]
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
#[cfg(unix)]
use tokio::net::UnixListener;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;
use tonic::transport::Server;

use super::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use super::proto::plugin::grpc_stdio_server::{GrpcStdio, GrpcStdioServer};
use super::proto::plugin::{Empty, StdioData};
use super::proto::tfplugin6::provider_server::{Provider, ProviderServer};
use super::tls::{ServerTls, TlsError};
use crate::value::Quoted;

/// The environment variable through which Terraform proves it started us.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";

/// The value Terraform sets [`MAGIC_COOKIE_KEY`] to.
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// What a go-plugin server prints to stderr when run by hand, before exiting with status 1.
pub const NOT_A_PLUGIN_MESSAGE: &str = "This binary is a plugin. These are not meant to be executed directly.\n\
Please execute the program that consumes these plugins, which will\n\
load any plugins automatically";

/// The only plugin protocol this provider speaks.
const PROTOCOL_VERSION: u32 = 6;

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

/// Checks `TF_PLUGIN_MAGIC_COOKIE`.
///
/// `Err` carries the text to print to stderr before exiting with status 1, exactly as a
/// go-plugin server does when someone runs it by hand.
pub fn check_magic_cookie() -> Result<(), &'static str> {
    if cookie_matches(env::var_os(MAGIC_COOKIE_KEY).as_deref()) {
        Ok(())
    } else {
        Err(NOT_A_PLUGIN_MESSAGE)
    }
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
/// checked the magic cookie ([`check_magic_cookie`]) and must never write to stdout itself.
pub async fn serve<P>(provider: P, config: ServeConfig) -> Result<(), ServeError>
where
    P: Provider,
{
    if config.debug {
        return serve_debug(provider, &config.provider_address).await;
    }

    let protocol_version = negotiate_protocol(env::var("PLUGIN_PROTOCOL_VERSIONS").ok().as_deref())?;
    ignore_interrupts()?;
    let tls = match env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !pem.trim().is_empty() => Some(ServerTls::new(&pem).map_err(ServeError::Tls)?),
        Ok(_) | Err(env::VarError::NotPresent) => None,
        Err(env::VarError::NotUnicode(_)) => return Err(ServeError::ClientCertEncoding),
    };
    let listener = PluginListener::bind_from_env().await?;
    let line = handshake_line(
        protocol_version,
        listener.network(),
        &listener.address(),
        tls.as_ref().map(ServerTls::certificate_der),
    );
    write_stdout(&format!("{line}\n"))?;
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
    P: Provider,
    F: Future<Output = ()> + Send,
{
    let stop = CancellationToken::new();

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    let provider_service = ProviderServer::new(provider)
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
    let router = Server::builder()
        .add_service(health_service)
        .add_service(GrpcControllerServer::new(Controller { stop: stop.clone() }))
        .add_service(GrpcStdioServer::new(Stdio { stop: stop.clone() }))
        .add_service(provider_service);

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
    // Dropping the listener here removes a unix socket file before we return.
    drop(listener);
    result
}

/// The handshake line, without its newline: `CORE|APP|NETWORK|ADDRESS|PROTOCOL|SERVER_CERT`.
///
/// The certificate is the DER in base64 *without padding* (Go's `RawStdEncoding`); padding
/// would break go-plugin's decoder. Without TLS the last field is empty.
pub fn handshake_line(
    protocol_version: u32,
    network: &str,
    address: &str,
    server_certificate_der: Option<&[u8]>,
) -> String {
    let certificate = server_certificate_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!("1|{protocol_version}|{network}|{address}|grpc|{certificate}")
}

/// The instructions debug mode prints: a `TF_REATTACH_PROVIDERS` value that points Terraform
/// at this already-running process.
pub fn reattach_instructions(provider_address: &str, pid: u32, network: &str, address: &str) -> String {
    // serde_json quotes the strings, so any character in a path stays valid JSON.
    let quote = |text: &str| serde_json::Value::from(text).to_string();
    format!(
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\
         \tTF_REATTACH_PROVIDERS='{{{}:{{\"Protocol\":\"grpc\",\"ProtocolVersion\":{PROTOCOL_VERSION},\"Pid\":{pid},\"Test\":true,\"Addr\":{{\"Network\":{},\"String\":{}}}}}}}'\n",
        quote(provider_address),
        quote(network),
        quote(address),
    )
}

/// Picks protocol 6 from `PLUGIN_PROTOCOL_VERSIONS` (for example `5,6`).
///
/// An unset or empty value means a client from before version negotiation; like go-plugin we
/// then serve our only version. A list without 6 is an error, which is clearer than letting
/// Terraform fail later with an incompatible-version message.
fn negotiate_protocol(offered: Option<&str>) -> Result<u32, ServeError> {
    let Some(offered) = offered.map(str::trim).filter(|offered| !offered.is_empty()) else {
        return Ok(PROTOCOL_VERSION);
    };
    let supported = offered
        .split(',')
        .any(|version| version.trim().parse::<u32>() == Ok(PROTOCOL_VERSION));
    if supported {
        Ok(PROTOCOL_VERSION)
    } else {
        Err(ServeError::UnsupportedProtocol {
            offered: offered.to_owned(),
        })
    }
}

fn cookie_matches(value: Option<&OsStr>) -> bool {
    value == Some(OsStr::new(MAGIC_COOKIE_VALUE))
}

/// Debug mode: plain gRPC, reattach instructions on stdout, serve until Ctrl-C or Shutdown.
async fn serve_debug<P: Provider>(provider: P, provider_address: &str) -> Result<(), ServeError> {
    // Listening before the instructions are printed means an early Ctrl-C still shuts down
    // cleanly (removing the socket) instead of killing the process.
    let mut interrupts = listen_for_interrupts().map_err(ServeError::Signal)?;
    let listener = PluginListener::bind_from_env().await?;
    write_stdout(&reattach_instructions(
        provider_address,
        std::process::id(),
        listener.network(),
        &listener.address(),
    ))?;
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

fn write_stdout(text: &str) -> Result<(), ServeError> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(ServeError::Stdout)
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

/// `plugin.GRPCController`: Terraform's request to end the process.
struct Controller {
    stop: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: tonic::Request<Empty>) -> Result<tonic::Response<Empty>, tonic::Status> {
        tracing::debug!("Terraform requested shutdown");
        // The response still goes out: tonic finishes in-flight calls while draining.
        self.stop.cancel();
        Ok(tonic::Response::new(Empty {}))
    }
}

/// `plugin.GRPCStdio`: we never redirect stdout/stderr into gRPC, so the stream stays empty.
/// It ends at shutdown so that it does not hold the connection open.
struct Stdio {
    stop: CancellationToken,
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _request: tonic::Request<()>,
    ) -> Result<tonic::Response<tonic::codegen::BoxStream<StdioData>>, tonic::Status> {
        let stream = futures::stream::unfold(self.stop.clone(), |stop| async move {
            stop.cancelled().await;
            None::<(Result<StdioData, tonic::Status>, CancellationToken)>
        });
        Ok(tonic::Response::new(Box::pin(stream)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_line_without_tls_has_empty_certificate() {
        assert_eq!(
            handshake_line(6, "unix", "/tmp/plugin42", None),
            "1|6|unix|/tmp/plugin42|grpc|"
        );
        assert_eq!(
            handshake_line(6, "tcp", "127.0.0.1:10000", None),
            "1|6|tcp|127.0.0.1:10000|grpc|"
        );
    }

    #[test]
    fn handshake_line_certificate_is_base64_without_padding() {
        // One and two bytes would need "==" and "=" padding in standard base64.
        for (der, expected) in [
            (&[0xffu8][..], "/w"),
            (&[0xff, 0xfe][..], "//4"),
            (&[1, 2, 3][..], "AQID"),
        ] {
            let line = handshake_line(6, "unix", "/s", Some(der));
            assert_eq!(line, format!("1|6|unix|/s|grpc|{expected}"));
            assert!(!line.contains('='));
        }
    }

    #[test]
    fn handshake_line_has_six_fields_on_one_line() {
        let line = handshake_line(6, "unix", "/tmp/plugin1", Some(&[0x30; 400]));
        assert_eq!(line.split('|').count(), 6);
        assert!(!line.contains('\n'));
        // go-plugin only reads the certificate when the field is longer than 50 characters.
        assert!(line.rsplit('|').next().unwrap().len() > 50);
    }

    #[test]
    fn cookie_must_match_exactly() {
        assert!(cookie_matches(Some(OsStr::new(MAGIC_COOKIE_VALUE))));
        assert!(!cookie_matches(None));
        assert!(!cookie_matches(Some(OsStr::new(""))));
        assert!(!cookie_matches(Some(OsStr::new(&MAGIC_COOKIE_VALUE[1..]))));
        assert!(!cookie_matches(Some(OsStr::new(&format!("{MAGIC_COOKIE_VALUE} ")))));
    }

    #[test]
    fn not_a_plugin_message_matches_go_plugin() {
        assert_eq!(
            NOT_A_PLUGIN_MESSAGE.lines().collect::<Vec<_>>(),
            [
                "This binary is a plugin. These are not meant to be executed directly.",
                "Please execute the program that consumes these plugins, which will",
                "load any plugins automatically",
            ]
        );
    }

    #[test]
    fn negotiates_version_six_only() {
        assert_eq!(negotiate_protocol(Some("5,6")).unwrap(), 6);
        assert_eq!(negotiate_protocol(Some("6,5")).unwrap(), 6);
        assert_eq!(negotiate_protocol(Some(" 6 ")).unwrap(), 6);
        assert_eq!(negotiate_protocol(None).unwrap(), 6);
        assert_eq!(negotiate_protocol(Some("")).unwrap(), 6);
        let err = negotiate_protocol(Some("4,5")).unwrap_err();
        assert!(err.to_string().contains("\"4,5\""), "{err}");
        assert!(negotiate_protocol(Some("60")).is_err());
    }

    #[test]
    fn startup_errors_quote_environment_values_bounded() {
        let offered = "5,".repeat(1 << 20);
        let err = negotiate_protocol(Some(&offered)).unwrap_err().to_string();
        assert!(err.len() < 600, "{} bytes", err.len());
        assert!(err.contains("(2097152 characters)"), "{err}");
        let err = ServeError::InvalidPort {
            name: "PLUGIN_MIN_PORT",
            value: "9".repeat(100_000),
        }
        .to_string();
        assert!(err.len() < 600, "{} bytes", err.len());
        assert!(err.starts_with("PLUGIN_MIN_PORT is not a port number: \"999"), "{err}");
    }

    #[test]
    fn reattach_instructions_are_valid_json_for_terraform() {
        let text = reattach_instructions(
            "registry.terraform.io/mongodb/mongodbatlas",
            4242,
            "unix",
            "/tmp/plugin7",
        );
        assert!(text.starts_with("Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n"));
        let json = text
            .split_once("TF_REATTACH_PROVIDERS='")
            .and_then(|(_, rest)| rest.split_once('\''))
            .map(|(json, _)| json)
            .unwrap();
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"registry.terraform.io/mongodb/mongodbatlas": {
                "Protocol": "grpc", "ProtocolVersion": 6, "Pid": 4242, "Test": true,
                "Addr": {"Network": "unix", "String": "/tmp/plugin7"}
            }})
        );
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
