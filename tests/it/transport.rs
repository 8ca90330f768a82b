//! The go-plugin transport over real sockets: pinned mutual TLS, controller shutdown, health,
//! stdio and the 256 MiB message cap.
//!
//! Each test serves a tiny provider with `tfplugin::serve_on` on a unix socket in a temporary
//! directory (or on loopback TCP) and talks to it with a tonic client that behaves like
//! Terraform's go-plugin client: TLS with ALPN h2, a P-521 CA certificate used as the client
//! leaf, and the server certificate pinned from the handshake.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use terraform_provider_mongodbatlas::tfplugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use terraform_provider_mongodbatlas::tfplugin::proto::plugin::grpc_stdio_client::GrpcStdioClient;
use terraform_provider_mongodbatlas::tfplugin::proto::plugin::Empty;
use terraform_provider_mongodbatlas::tfplugin::proto::tfplugin6 as pb;
use terraform_provider_mongodbatlas::tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use terraform_provider_mongodbatlas::tfplugin::proto::tfplugin6::provider_server::Provider;
use terraform_provider_mongodbatlas::tfplugin::{self, PluginListener, ServeError, ServerTls};
use tokio::net::UnixStream;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint, Uri};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::bench::measure::{client_tls_config, ClientIdentity};
use tonic_health::pb::HealthCheckRequest;

/// Terraform's client may go up to this; ours must accept more than tonic's 4 MiB default.
const CLIENT_MESSAGE_LIMIT: usize = 64 << 20;

#[tokio::test]
async fn pinned_client_certificate_completes_an_rpc() {
    let terraform = ClientIdentity::go_plugin_like();
    let server = TestServer::start_tls(&terraform.pem);

    let channel = server.connect(Some(&terraform)).await.unwrap();
    let schema = get_schema(channel).await.unwrap();

    assert!(schema.provider.and_then(|schema| schema.block).is_some());
    assert!(schema.server_capabilities.unwrap().get_provider_schema_optional);
}

#[tokio::test]
async fn foreign_client_certificate_is_refused() {
    let terraform = ClientIdentity::go_plugin_like();
    let intruder = ClientIdentity::go_plugin_like();
    let server = TestServer::start_tls(&terraform.pem);

    let result = match server.connect(Some(&intruder)).await {
        Ok(channel) => get_schema(channel).await,
        Err(err) => Err(err.to_string()),
    };

    assert!(result.is_err(), "a foreign certificate was accepted");
}

#[tokio::test]
async fn client_without_certificate_is_refused() {
    let terraform = ClientIdentity::go_plugin_like();
    let server = TestServer::start_tls(&terraform.pem);

    let result = match server.connect(None).await {
        Ok(channel) => get_schema(channel).await,
        Err(err) => Err(err.to_string()),
    };

    assert!(result.is_err(), "a client without a certificate was accepted");
}

#[tokio::test]
async fn refused_clients_do_not_stop_the_server() {
    let terraform = ClientIdentity::go_plugin_like();
    let intruder = ClientIdentity::go_plugin_like();
    let server = TestServer::start_tls(&terraform.pem);

    for identity in [Some(&intruder), None] {
        if let Ok(channel) = server.connect(identity).await {
            assert!(get_schema(channel).await.is_err());
        }
    }
    // A client that never even starts TLS must not block the others either.
    let _silent = UnixStream::connect(&server.socket).await.unwrap();

    let channel = server.connect(Some(&terraform)).await.unwrap();
    assert!(get_schema(channel).await.is_ok());
}

#[tokio::test]
async fn controller_shutdown_ends_serving_within_two_seconds() {
    let terraform = ClientIdentity::go_plugin_like();
    let server = TestServer::start_tls(&terraform.pem);
    let channel = server.connect(Some(&terraform)).await.unwrap();
    // Open streams, like Terraform's stdio sync, must not keep the server alive.
    let mut stdio = GrpcStdioClient::new(channel.clone())
        .stream_stdio(())
        .await
        .unwrap()
        .into_inner();
    // A health watch never ends by itself, so only the shutdown grace period can close it.
    let _health_watch = HealthClient::new(channel.clone())
        .watch(HealthCheckRequest {
            service: "plugin".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();

    let started = Instant::now();
    GrpcControllerClient::new(channel).shutdown(Empty {}).await.unwrap();
    let served = tokio::time::timeout(Duration::from_secs(2), server.handle)
        .await
        .expect("serve_on still running 2 s after Shutdown");

    served.unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(!server.socket.exists(), "the unix socket file was left behind");
    // The stdio stream ended without ever carrying data.
    assert!(matches!(stdio.message().await, Ok(None) | Err(_)));
}

#[tokio::test]
async fn external_shutdown_signal_ends_serving() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("plugin-signal");
    let listener = PluginListener::bind_unix(socket.clone()).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(tfplugin::serve_on(TestProvider, listener, None, async {
        let _ = stopped.await;
    }));

    stop.send(()).unwrap();
    let served = tokio::time::timeout(Duration::from_secs(2), handle)
        .await
        .expect("serve_on still running 2 s after the shutdown signal");

    served.unwrap().unwrap();
    assert!(!socket.exists());
}

#[tokio::test]
async fn health_reports_plugin_serving() {
    let terraform = ClientIdentity::go_plugin_like();
    let server = TestServer::start_tls(&terraform.pem);
    let channel = server.connect(Some(&terraform)).await.unwrap();

    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "plugin".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(response.status(), ServingStatus::Serving);
}

#[tokio::test]
async fn stdio_stream_stays_open_and_silent() {
    let terraform = ClientIdentity::go_plugin_like();
    let server = TestServer::start_tls(&terraform.pem);
    let channel = server.connect(Some(&terraform)).await.unwrap();

    let mut stdio = GrpcStdioClient::new(channel)
        .stream_stdio(())
        .await
        .unwrap()
        .into_inner();
    let next = tokio::time::timeout(Duration::from_millis(200), stdio.message()).await;

    assert!(next.is_err(), "the stdio stream yielded or ended: {next:?}");
}

#[tokio::test]
async fn messages_above_four_mebibytes_pass_both_ways() {
    let terraform = ClientIdentity::go_plugin_like();
    let server = TestServer::start_tls(&terraform.pem);
    let channel = server.connect(Some(&terraform)).await.unwrap();
    let size = 5 << 20;

    let response = ProviderClient::new(channel)
        .max_decoding_message_size(CLIENT_MESSAGE_LIMIT)
        .max_encoding_message_size(CLIENT_MESSAGE_LIMIT)
        .validate_provider_config(pb::validate_provider_config::Request {
            config: Some(pb::DynamicValue {
                msgpack: vec![0xc0; size],
                json: Vec::new(),
            }),
        })
        .await
        .unwrap()
        .into_inner();

    let diagnostic = &response.diagnostics[0];
    assert_eq!(diagnostic.summary, format!("received {size} bytes"));
    assert_eq!(diagnostic.detail.len(), size);
}

#[tokio::test]
async fn plaintext_tcp_serves_without_tls() {
    let listener = PluginListener::bind_tcp(20000..=20999).await.unwrap();
    assert_eq!(listener.network(), "tcp");
    let address = listener.address();
    let handle = tokio::spawn(tfplugin::serve_on(TestProvider, listener, None, std::future::pending()));

    let channel = Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    assert!(get_schema(channel.clone()).await.is_ok());

    GrpcControllerClient::new(channel).shutdown(Empty {}).await.unwrap();
    let served = tokio::time::timeout(Duration::from_secs(2), handle).await;
    served.unwrap().unwrap().unwrap();
}

/// A provider with an empty schema that echoes the size of ValidateProviderConfig's config.
struct TestProvider;

impl tfplugin::OnShutdown for TestProvider {}

#[tonic::async_trait]
impl Provider for TestProvider {
    async fn get_provider_schema(
        &self,
        _request: tonic::Request<pb::get_provider_schema::Request>,
    ) -> Result<tonic::Response<pb::get_provider_schema::Response>, tonic::Status> {
        Ok(tonic::Response::new(pb::get_provider_schema::Response {
            provider: Some(pb::Schema {
                version: 0,
                block: Some(pb::schema::Block::default()),
            }),
            server_capabilities: Some(pb::ServerCapabilities {
                plan_destroy: true,
                get_provider_schema_optional: true,
                move_resource_state: false,
            }),
            ..Default::default()
        }))
    }

    async fn validate_provider_config(
        &self,
        request: tonic::Request<pb::validate_provider_config::Request>,
    ) -> Result<tonic::Response<pb::validate_provider_config::Response>, tonic::Status> {
        let size = request.into_inner().config.map_or(0, |config| config.msgpack.len());
        Ok(tonic::Response::new(pb::validate_provider_config::Response {
            diagnostics: vec![pb::Diagnostic {
                severity: pb::diagnostic::Severity::Warning.into(),
                summary: format!("received {size} bytes"),
                detail: "x".repeat(size),
                attribute: None,
            }],
        }))
    }
}

/// A server on a unix socket in its own temporary directory.
struct TestServer {
    socket: PathBuf,
    server_certificate: CertificateDer<'static>,
    handle: JoinHandle<Result<(), ServeError>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    fn start_tls(client_cert_pem: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("plugin-test");
        let listener = PluginListener::bind_unix(socket.clone()).unwrap();
        let tls = ServerTls::new(client_cert_pem).unwrap();
        let server_certificate = CertificateDer::from(tls.certificate_der().to_vec());
        let handle = spawn_serve(listener, tls);
        Self {
            socket,
            server_certificate,
            handle,
            _dir: dir,
        }
    }

    /// Connects like go-plugin: TLS over the unix socket, ALPN h2, server certificate pinned.
    async fn connect(&self, identity: Option<&ClientIdentity>) -> Result<Channel, tonic::transport::Error> {
        let connector =
            tokio_rustls::TlsConnector::from(Arc::new(client_tls_config(self.server_certificate.clone(), identity)));
        let socket = self.socket.clone();
        Endpoint::from_static("http://localhost")
            .connect_with_connector(tower::service_fn(move |_: Uri| dial(socket.clone(), connector.clone())))
            .await
    }
}

fn spawn_serve(listener: PluginListener, tls: ServerTls) -> JoinHandle<Result<(), ServeError>> {
    tokio::spawn(tfplugin::serve_on(
        TestProvider,
        listener,
        Some(tls),
        std::future::pending(),
    ))
}

async fn dial(
    socket: PathBuf,
    connector: tokio_rustls::TlsConnector,
) -> io::Result<TokioIo<tokio_rustls::client::TlsStream<UnixStream>>> {
    let stream = UnixStream::connect(Path::new(&socket)).await?;
    let server_name = ServerName::try_from("localhost").map_err(io::Error::other)?;
    let tls_stream = connector.connect(server_name, stream).await?;
    Ok(TokioIo::new(tls_stream))
}

async fn get_schema(channel: Channel) -> Result<pb::get_provider_schema::Response, String> {
    ProviderClient::new(channel)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .map(tonic::Response::into_inner)
        .map_err(|status| status.to_string())
}
