//! go-plugin's automatic mutual TLS, seen from the plugin side.
//!
//! When Terraform sets `PLUGIN_CLIENT_CERT`, it expects the plugin to serve TLS with a fresh
//! self-signed certificate (announced in the handshake line) and to accept only the client
//! certificate it passed. That client certificate is an ECDSA P-521 CA certificate used as a
//! leaf, which rules out two defaults:
//! - webpki refuses a CA certificate as an end entity (`CaUsedAsEndEntity`), so the verifier
//!   here pins the exact DER instead of building a chain;
//! - ring cannot verify P-521 signatures, so signatures are verified with aws-lc-rs's
//!   algorithms; everything else in the handshake (key exchange, our signature, randomness)
//!   uses ring, see [`plugin_tls_provider`]. The process-wide default provider is never used.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// Errors while preparing the TLS side of the handshake.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` holds no parsable PEM certificate.
    #[error("the client certificate from Terraform is not a PEM certificate")]
    ClientCertificate(#[source] rustls::pki_types::pem::Error),
    /// rcgen could not create the server's key or certificate.
    #[error("could not generate the server certificate")]
    ServerCertificate(#[source] rcgen::Error),
    /// rustls rejected the configuration.
    #[error("could not build the TLS configuration")]
    Config(#[source] rustls::Error),
}

/// The server half of go-plugin's mutual TLS: a rustls configuration that presents a fresh
/// self-signed certificate and accepts exactly one pinned client certificate.
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<rustls::ServerConfig>,
    certificate: CertificateDer<'static>,
}

impl std::fmt::Debug for ServerTls {
    // The configuration holds the server's private key; only the public certificate is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("certificate_len", &self.certificate.len())
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Generates a server certificate and builds a configuration that only accepts the client
    /// certificate in `client_cert_pem` (the value of `PLUGIN_CLIENT_CERT`).
    ///
    /// Errors when the PEM holds no certificate or key generation fails.
    pub fn new(client_cert_pem: &str) -> Result<Self, TlsError> {
        let client_certificate =
            CertificateDer::from_pem_slice(client_cert_pem.as_bytes()).map_err(TlsError::ClientCertificate)?;
        let (certificate, private_key) = generate_server_certificate()?;
        let provider = Arc::new(plugin_tls_provider());
        let verifier = PinnedClientCert::new(client_certificate, &provider);
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Config)?
            .with_client_cert_verifier(Arc::new(verifier))
            .with_single_cert(vec![certificate.clone()], private_key)
            .map_err(TlsError::Config)?;
        // grpc-go 1.67 and later refuse a TLS server that does not negotiate h2 by ALPN.
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Self {
            config: Arc::new(config),
            certificate,
        })
    }

    /// The rustls configuration to accept connections with.
    pub fn config(&self) -> Arc<rustls::ServerConfig> {
        Arc::clone(&self.config)
    }

    /// The DER of the server certificate, which goes into the handshake line.
    pub fn certificate_der(&self) -> &[u8] {
        self.certificate.as_ref()
    }
}

/// The aws-lc-rs crypto provider, the one provider here that can verify P-521 signatures.
pub fn aws_lc_rs_provider() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// The provider of the plugin's TLS server: ring's, with aws-lc-rs's signature verification
/// algorithms (P-521 included, for Terraform's client certificate).
///
/// Only verification comes from aws-lc-rs because it needs no randomness: aws-lc seeds its
/// random generator on first use with CPU jitter entropy, about 100 ms of CPU that every
/// provider process (Terraform starts several per command) would otherwise spend in its first
/// TLS handshake, measured as most of a launch. ring (already in the binary for the HTTP
/// client) draws from the operating system's generator instead.
pub fn plugin_tls_provider() -> CryptoProvider {
    CryptoProvider {
        signature_verification_algorithms: aws_lc_rs_provider().signature_verification_algorithms,
        ..rustls::crypto::ring::default_provider()
    }
}

/// Accepts exactly one client certificate, compared byte for byte.
///
/// Pinning replaces chain building: Terraform's client certificate is its own CA and is valid
/// only for this one process, so equality with the certificate Terraform announced is the
/// whole trust decision. The handshake signature is still checked, which proves the peer holds
/// the matching private key.
#[derive(Debug)]
pub struct PinnedClientCert {
    certificate: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedClientCert {
    /// A verifier that accepts only `certificate`, checking signatures with `provider`'s
    /// algorithms.
    pub fn new(certificate: CertificateDer<'static>, provider: &CryptoProvider) -> Self {
        Self {
            certificate,
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ClientCertVerifier for PinnedClientCert {
    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // An empty hint list lets Go's client offer its single certificate unconditionally.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.certificate.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            // Sent to the peer as the "unknown CA" alert.
            Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A self-signed ECDSA P-256 certificate for `localhost`, shaped like go-plugin's own.
///
/// Go's client installs it as its only root CA and verifies the server name `localhost`, so
/// the SAN must be `DNS:localhost`; the CA flag and key usages mirror what go-plugin generates.
fn generate_server_certificate() -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};

    let key_pair = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(TlsError::ServerCertificate)?;
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).map_err(TlsError::ServerCertificate)?;
    params.distinguished_name.push(DnType::OrganizationName, "HashiCorp");
    params.distinguished_name.push(DnType::CommonName, "localhost");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    let certificate = params.self_signed(&key_pair).map_err(TlsError::ServerCertificate)?;
    let private_key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
    Ok((certificate.der().clone(), private_key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_pem_without_certificate() {
        let err = ServerTls::new("not a certificate").unwrap_err();
        assert!(matches!(err, TlsError::ClientCertificate(_)), "{err:?}");
    }

    #[test]
    fn server_certificate_names_localhost_and_is_fresh_each_time() {
        let (first, _) = generate_server_certificate().unwrap();
        let (second, _) = generate_server_certificate().unwrap();
        assert_ne!(first.as_ref(), second.as_ref());
        // The SAN is DER-encoded as a dNSName [2] IA5String "localhost".
        let san = b"\x82\x09localhost";
        assert!(first.windows(san.len()).any(|window| window == san));
    }

    #[test]
    fn verifier_pins_exact_der() {
        let (pinned, _) = generate_server_certificate().unwrap();
        let (other, _) = generate_server_certificate().unwrap();
        let verifier = PinnedClientCert::new(pinned.clone(), &aws_lc_rs_provider());
        let now = UnixTime::now();
        assert!(verifier.verify_client_cert(&pinned, &[], now).is_ok());
        let err = verifier.verify_client_cert(&other, &[], now).unwrap_err();
        assert_eq!(err, rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer));
        assert!(verifier.client_auth_mandatory());
    }

    #[test]
    fn verifier_offers_p521_for_gos_client_certificate() {
        for provider in [aws_lc_rs_provider(), plugin_tls_provider()] {
            let verifier = PinnedClientCert::new(CertificateDer::from(vec![]), &provider);
            assert!(verifier
                .supported_verify_schemes()
                .contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
        }
    }
}
