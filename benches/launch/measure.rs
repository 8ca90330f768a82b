//! One launch of the provider binary the way Terraform's go-plugin client does it, timed.
//!
//! Shared by the `launch` bench (`cargo bench --bench launch`, behind `make bench`) and the
//! integration test that keeps it from rotting (`tests/it/bench.rs`), which includes this file
//! by path. Only the standard library, the crate's generated gRPC clients and the
//! dev-dependencies are used.
//!
//! A launch: start the binary with the magic cookie, `PLUGIN_PROTOCOL_VERSIONS=6` and a
//! go-plugin-like client certificate in `PLUGIN_CLIENT_CERT` (AutoMTLS); read the handshake
//! line `1|6|<network>|<address>|grpc|<server certificate>` from its stdout; dial that address
//! with mutual TLS (ALPN h2, the announced certificate pinned); call `GetProviderSchema`;
//! then `plugin.GRPCController/Shutdown` and wait for the process to exit.

use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use terraform_provider_mongodbatlas::tfplugin::proto::plugin::grpc_controller_client::GrpcControllerClient;
use terraform_provider_mongodbatlas::tfplugin::proto::plugin::Empty;
use terraform_provider_mongodbatlas::tfplugin::proto::tfplugin6 as pb;
use terraform_provider_mongodbatlas::tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use terraform_provider_mongodbatlas::tfplugin::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use tonic::transport::{Channel, Endpoint, Uri};

/// Terraform accepts schemas up to this size; tonic's default (4 MiB) would be too small for
/// a large provider, and the limit must not be what is measured.
const MESSAGE_LIMIT: usize = 256 << 20;

/// How long a launched provider may take to exit after `Shutdown` before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// What one launch measured.
#[derive(Debug, Clone)]
pub struct Launch {
    /// From just before the process is spawned to the handshake line read from its stdout.
    pub to_handshake: Duration,
    /// From the handshake line to the `GetProviderSchema` answer, connection and TLS included.
    pub to_first_rpc: Duration,
    /// The handshake line, without its newline.
    pub handshake_line: String,
    /// The resource types the schema answer named, sorted.
    pub resource_types: Vec<String>,
}

/// Launches `binary` once and measures it; `runtime` drives the gRPC client (built once, so
/// its start is not in the timings).
///
/// Errors (as text for the caller to print) when the process cannot start, prints no valid
/// handshake line, cannot be dialled, or does not answer `GetProviderSchema`; the process is
/// killed then.
pub fn launch_once(runtime: &tokio::runtime::Runtime, binary: &Path) -> Result<Launch, String> {
    let identity = ClientIdentity::go_plugin_like();
    let socket_dir = tempfile::tempdir().map_err(|err| format!("temporary directory: {err}"))?;
    let mut command = Command::new(binary);
    command
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_CLIENT_CERT", &identity.pem)
        .env("PLUGIN_UNIX_SOCKET_DIR", socket_dir.path())
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());

    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|err| format!("start {}: {err}", binary.display()))?;
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut line = String::new();
    let read = stdout.read_line(&mut line);
    let to_handshake = started.elapsed();
    let shaken = Instant::now();

    let result = match read {
        Ok(0) => Err("the provider exited without a handshake line".to_owned()),
        Err(err) => Err(format!("reading the handshake line: {err}")),
        Ok(_) => runtime.block_on(first_rpc(line.trim_end(), &identity)),
    };
    let (schema, channel) = match result {
        Ok(answer) => answer,
        Err(err) => {
            kill(&mut child);
            return Err(err);
        }
    };
    let to_first_rpc = shaken.elapsed();

    runtime.block_on(async {
        // The provider may close the connection while answering; its exit is what counts.
        let _ = GrpcControllerClient::new(channel).shutdown(Empty {}).await;
    });
    wait_or_kill(&mut child)?;
    let mut resource_types: Vec<String> = schema.resource_schemas.into_keys().collect();
    resource_types.sort();
    Ok(Launch {
        to_handshake,
        to_first_rpc,
        handshake_line: line.trim_end().to_owned(),
        resource_types,
    })
}

/// The median of `values` (the mean of the middle two for an even count); zero when empty.
pub fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// Dials the address in `line` and asks for the schema.
async fn first_rpc(
    line: &str,
    identity: &ClientIdentity,
) -> Result<(pb::get_provider_schema::Response, Channel), String> {
    let fields: Vec<&str> = line.split('|').collect();
    let [core, protocol, network, address, "grpc", certificate] = fields[..] else {
        return Err(format!("not a go-plugin handshake line: {line:?}"));
    };
    if core != "1" || protocol != "6" {
        return Err(format!("unexpected core or protocol version in {line:?}"));
    }
    let certificate = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(certificate)
        .map_err(|err| format!("the handshake line's certificate is not base64: {err}"))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_tls_config(
        CertificateDer::from(certificate),
        Some(identity),
    )));
    let target = Target::parse(network, address)?;
    let channel = Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: Uri| dial(target.clone(), connector.clone())))
        .await
        .map_err(|err| format!("dialling {network} {address}: {err}"))?;
    let schema = ProviderClient::new(channel.clone())
        .max_decoding_message_size(MESSAGE_LIMIT)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .map_err(|status| format!("GetProviderSchema: {status}"))?
        .into_inner();
    Ok((schema, channel))
}

/// Where the handshake line said to connect.
#[derive(Clone)]
enum Target {
    Unix(PathBuf),
    Tcp(String),
}

impl Target {
    fn parse(network: &str, address: &str) -> Result<Self, String> {
        match network {
            "unix" => Ok(Target::Unix(PathBuf::from(address))),
            "tcp" => Ok(Target::Tcp(address.to_owned())),
            other => Err(format!("unknown network {other:?} in the handshake line")),
        }
    }
}

/// A boxed byte stream, unix or TCP, for the TLS connector.
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

async fn dial(
    target: Target,
    connector: tokio_rustls::TlsConnector,
) -> io::Result<TokioIo<tokio_rustls::client::TlsStream<Box<dyn Io>>>> {
    let stream: Box<dyn Io> = match target {
        #[cfg(unix)]
        Target::Unix(path) => Box::new(tokio::net::UnixStream::connect(path).await?),
        #[cfg(not(unix))]
        Target::Unix(_) => return Err(io::Error::other("unix sockets need a unix system")),
        Target::Tcp(address) => Box::new(tokio::net::TcpStream::connect(address).await?),
    };
    let server_name = ServerName::try_from("localhost").map_err(io::Error::other)?;
    Ok(TokioIo::new(connector.connect(server_name, stream).await?))
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits up to [`EXIT_GRACE`] for the provider to exit after `Shutdown`.
fn wait_or_kill(child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + EXIT_GRACE;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return Ok(()),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            Ok(None) => {
                kill(child);
                return Err(format!("the provider was still running {EXIT_GRACE:?} after Shutdown"));
            }
            Err(err) => return Err(format!("waiting for the provider: {err}")),
        }
    }
}

/// A client certificate shaped like go-plugin's AutoMTLS one: ECDSA P-521 with SHA-512, a CA
/// certificate used as a leaf, SAN `localhost`, `O=HashiCorp, CN=localhost`. Also the client
/// identity of `tests/it/transport.rs`, which includes this file through `tests/it/bench.rs`.
pub struct ClientIdentity {
    /// The certificate as PEM, what `PLUGIN_CLIENT_CERT` carries.
    pub pem: String,
    /// The certificate as DER.
    pub certificate: CertificateDer<'static>,
    /// The private key as PKCS#8 DER.
    pub key_pkcs8: Vec<u8>,
}

impl ClientIdentity {
    /// A fresh identity (a new P-521 key each time).
    pub fn go_plugin_like() -> Self {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
        };

        let key_pair = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("certificate parameters");
        params.distinguished_name.push(DnType::OrganizationName, "HashiCorp");
        params.distinguished_name.push(DnType::CommonName, "localhost");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth, ExtendedKeyUsagePurpose::ServerAuth];
        let certificate = params.self_signed(&key_pair).expect("self-signed certificate");
        Self {
            pem: certificate.pem(),
            certificate: certificate.der().clone(),
            key_pkcs8: key_pair.serialize_der(),
        }
    }
}

/// The TLS client configuration of Terraform's go-plugin client: ALPN h2, the server's
/// certificate from the handshake line pinned, and `identity` as the client certificate (none:
/// a client without one, which the provider must refuse).
pub fn client_tls_config(
    server_certificate: CertificateDer<'static>,
    identity: Option<&ClientIdentity>,
) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer {
            certificate: server_certificate,
            provider,
        }));
    let mut config = match identity {
        Some(identity) => builder
            .with_client_auth_cert(
                vec![identity.certificate.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_pkcs8.clone())),
            )
            .expect("client certificate"),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    config
}

/// Trusts exactly the certificate from the handshake line, as go-plugin's client does by
/// making it the only root CA.
#[derive(Debug)]
struct PinnedServer {
    certificate: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.certificate.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
