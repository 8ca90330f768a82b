//! Transport failures against real sockets: each cause is named with the host and port, and
//! the causes that cannot heal by themselves are tried exactly once.
//!
//! Attempts are counted where they land (TLS handshakes at the emulator, accepted connections
//! at a silent listener, DNS lookups at the client's resolver), never by timing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use atlas_emulator::{Options, Running, TlsOptions};

use super::{Client, Config, Credentials, Error, RetryPolicy, TransportCause};

/// Five attempts without waiting, so retried causes show up as several attempts.
fn retrying() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        max_elapsed: Duration::from_secs(60),
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(1),
    }
}

fn config(base_url: &str) -> Config {
    let mut config = Config::new(
        base_url,
        Credentials::Digest {
            public_key: "public".into(),
            private_key: "private".to_owned().into(),
        },
        "test/1.0",
    );
    config.retry = retrying();
    config.connect_timeout = Duration::from_secs(2);
    config.request_timeout = Duration::from_secs(2);
    config
}

fn client(config: Config) -> Client {
    Client::new_with_env(config, |_| None).unwrap_or_else(|err| panic!("{err}"))
}

async fn tls_emulator(tls: TlsOptions) -> (Running, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let tls = TlsOptions {
        ca_file: Some(dir.path().join("ca.pem")),
        ..tls
    };
    let options = Options {
        tls: Some(tls),
        ..Options::default()
    };
    let running = atlas_emulator::start(options).await.expect("emulator");
    (running, dir)
}

fn handshakes(running: &Running) -> u64 {
    running.tls.as_ref().map_or(0, |tls| tls.handshakes())
}

fn trusting(running: &Running, mut config: Config) -> Config {
    let pem = &running.tls.as_ref().expect("tls").ca_pem;
    config
        .extra_roots
        .push(reqwest::Certificate::from_pem(pem.as_bytes()).expect("pem"));
    config
}

/// The transport error of `result`, or a panic naming what came instead.
fn transport<T: std::fmt::Debug>(result: Result<T, Error>) -> super::TransportError {
    match result {
        Err(Error::Transport(transport) | Error::Timeout(transport)) => transport,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_not_trusted_and_tried_once() {
    let (running, _dir) = tls_emulator(TlsOptions::default()).await;
    let client = client(config(running.base_url()));
    let err = transport(client.get_system_status().await);
    assert_eq!(*err.cause(), TransportCause::CertificateNotTrusted);
    let text = err.to_string();
    let port = running.addr.port();
    assert!(
        text.starts_with(&format!(
            "could not reach Atlas at 127.0.0.1:{port} for GET /api/atlas/v2: the TLS certificate is not trusted"
        )),
        "{text}"
    );
    assert!(text.contains("SSL_CERT_FILE"), "{text}");
    assert_eq!(handshakes(&running), 1, "not retried");
}

#[tokio::test]
async fn the_emulator_ca_when_trusted_serves_https() {
    let (running, _dir) = tls_emulator(TlsOptions::default()).await;
    let mut config = trusting(&running, config(running.base_url()));
    config.credentials = Credentials::Digest {
        public_key: running.seed.public_key.clone(),
        private_key: running.seed.private_key.clone().into(),
    };
    let client = client(config);
    assert!(
        !client.http_built(),
        "no connection pool (nor trust store) before the first call"
    );
    let status = client.get_system_status().await;
    assert!(status.is_ok(), "{status:?}");
    assert!(client.http_built());
    assert_eq!(handshakes(&running), 1);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_named_so_and_tried_once() {
    let tls = TlsOptions {
        names: vec!["other.example".to_owned()],
        ..TlsOptions::default()
    };
    let (running, _dir) = tls_emulator(tls).await;
    let client = client(trusting(&running, config(running.base_url())));
    let err = transport(client.get_system_status().await);
    assert_eq!(*err.cause(), TransportCause::CertificateNameMismatch);
    assert!(
        err.to_string()
            .ends_with("the TLS certificate is for another host name"),
        "{err}"
    );
    assert_eq!(handshakes(&running), 1, "not retried");
}

#[tokio::test]
async fn an_expired_certificate_is_named_so_and_tried_once() {
    let tls = TlsOptions {
        expired: true,
        ..TlsOptions::default()
    };
    let (running, _dir) = tls_emulator(tls).await;
    let client = client(trusting(&running, config(running.base_url())));
    let err = transport(client.get_system_status().await);
    assert_eq!(*err.cause(), TransportCause::CertificateExpired);
    assert!(err.to_string().contains("has expired"), "{err}");
    assert_eq!(handshakes(&running), 1, "not retried");
}

#[tokio::test]
async fn a_closed_port_is_connection_refused() {
    let port = closed_port();
    let client = client(config(&format!("http://127.0.0.1:{port}")));
    let err = transport(client.list_orgs().await);
    assert_eq!(*err.cause(), TransportCause::ConnectionRefused);
    assert_eq!(
        err.to_string(),
        format!(
            "could not reach Atlas at 127.0.0.1:{port} for GET /api/atlas/v2/orgs: connection refused (nothing \
             accepts connections on that port)"
        )
    );
    assert!(err.connect);
}

#[tokio::test]
async fn an_unresolvable_name_is_named_so_and_looked_up_once() {
    let client = client(config("https://atlas.invalid"));
    let err = transport(client.get_system_status().await);
    assert_eq!(*err.cause(), TransportCause::NameNotResolved);
    assert_eq!(
        err.to_string(),
        "could not reach Atlas at atlas.invalid:443 for GET /api/atlas/v2: the host name could not be resolved (DNS)"
    );
    assert_eq!(client.name_lookups(), 1, "not retried");
}

#[tokio::test]
async fn a_silent_server_times_out_connecting_and_is_retried() {
    let (port, accepted) = silent_listener().await;
    let mut config = config(&format!("https://127.0.0.1:{port}"));
    config.connect_timeout = Duration::from_millis(200);
    let client = client(config);
    let err = transport(client.get_system_status().await);
    assert_eq!(*err.cause(), TransportCause::TimedOut { connecting: true });
    assert!(
        err.to_string().ends_with(&format!(
            "127.0.0.1:{port} for GET /api/atlas/v2: timed out while connecting"
        )),
        "{err}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 3, "every attempt of the policy");
}

#[tokio::test]
async fn a_silent_server_times_out_answering_and_is_retried() {
    let (port, accepted) = silent_listener().await;
    let mut config = config(&format!("http://127.0.0.1:{port}"));
    config.request_timeout = Duration::from_millis(200);
    let client = client(config);
    let err = transport(client.get_system_status().await);
    assert_eq!(*err.cause(), TransportCause::TimedOut { connecting: false });
    assert!(err.to_string().ends_with("timed out waiting for the answer"), "{err}");
    assert_eq!(accepted.load(Ordering::SeqCst), 3, "every attempt of the policy");
}

#[tokio::test]
async fn a_proxy_at_a_closed_port_is_named_as_the_proxy() {
    let proxy_port = closed_port();
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    let client = Client::new_with_env(config("https://cloud.mongodb.com"), |name| {
        (name == "HTTPS_PROXY").then(|| proxy.clone())
    })
    .unwrap_or_else(|err| panic!("{err}"));
    let err = transport(client.get_system_status().await);
    assert_eq!(
        *err.cause(),
        TransportCause::ProxyUnreachable {
            proxy: format!("127.0.0.1:{proxy_port}"),
            why: Box::new(TransportCause::ConnectionRefused),
        }
    );
    assert!(
        err.to_string().starts_with(&format!(
            "could not reach Atlas at cloud.mongodb.com:443 for GET /api/atlas/v2: the proxy 127.0.0.1:{proxy_port} \
             is unreachable: connection refused"
        )),
        "{err}"
    );
    assert_eq!(
        client.name_lookups(),
        0,
        "the proxy is an address; atlas's name is the proxy's to resolve"
    );
}

/// A port nobody listens on: bound, read, then released.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A listener that accepts connections, counts them and never says a word.
async fn silent_listener() -> (u16, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let accepted = Arc::new(AtomicU64::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            open.push(stream);
        }
    });
    (port, accepted)
}

/// A proxy that answers every CONNECT with 407, counting the connections it accepts.
async fn proxy_wanting_credentials() -> (u16, Arc<AtomicU64>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let accepted = Arc::new(AtomicU64::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(read) => request.extend_from_slice(&buffer[..read]),
                }
            }
            let answer = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\n\
                          Content-Length: 0\r\n\r\n";
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn a_proxy_that_wants_credentials_is_named_and_tried_once() {
    let (proxy_port, accepted) = proxy_wanting_credentials().await;
    let proxy = format!("http://user:wrong-password@127.0.0.1:{proxy_port}");
    let client = Client::new_with_env(config("https://cloud.mongodb.com"), |name| {
        (name == "HTTPS_PROXY").then(|| proxy.clone())
    })
    .unwrap_or_else(|err| panic!("{err}"));
    let err = transport(client.get_system_status().await);
    assert_eq!(
        *err.cause(),
        TransportCause::ProxyAuthenticationRequired {
            proxy: format!("127.0.0.1:{proxy_port}"),
        }
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!(
            "the proxy 127.0.0.1:{proxy_port} refused the request: it requires authentication"
        )),
        "{message}"
    );
    assert!(!message.contains("wrong-password"), "{message}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "not retried");
}

#[tokio::test]
async fn a_connection_pool_that_cannot_be_built_fails_each_call_and_sends_nothing() {
    let (running, _dir) = tls_emulator(TlsOptions::default()).await;
    let mut config = config(running.base_url());
    config
        .extra_roots
        .push(reqwest::Certificate::from_der(b"not a certificate").expect("der"));
    // The settings are checked when the client is made; the pool is built by the first call.
    let client = client(config);
    for _ in 0..2 {
        let err = match client.get_system_status().await {
            Ok(status) => panic!("a pool with a broken root was built: {status:?}"),
            Err(err) => err,
        };
        assert!(matches!(err, Error::Request(_)), "{err:?}");
        assert!(err.to_string().starts_with("could not build the http client"), "{err}");
        assert!(!client.http_built());
    }
    assert_eq!(handshakes(&running), 0, "nothing was sent");
}
