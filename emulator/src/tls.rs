//! HTTPS for the emulator: a certificate authority of its own and a server certificate it signs.
//!
//! Both are made fresh at start with rcgen (ECDSA P-256). The CA's PEM is written to a file so
//! that a client can trust it (for example through `SSL_CERT_FILE`); the server certificate
//! names `127.0.0.1` and `localhost` unless [`TlsOptions::names`] says otherwise, and can be made
//! already expired to test clients. Nothing here is meant for anything but tests.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// How the emulator serves HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// Subject alternative names of the server certificate; text that parses as an IP address
    /// becomes an IP name. Default: `127.0.0.1` and `localhost`.
    pub names: Vec<String>,
    /// When true the server certificate's validity ended a day before start (default false).
    pub expired: bool,
    /// Where to write the CA certificate (PEM). Default: `atlas-emulator-ca-<port>.pem` in the
    /// system temp directory.
    pub ca_file: Option<PathBuf>,
}

impl Default for TlsOptions {
    fn default() -> TlsOptions {
        TlsOptions {
            names: vec!["127.0.0.1".to_owned(), "localhost".to_owned()],
            expired: false,
            ca_file: None,
        }
    }
}

/// The TLS side of a running emulator: the acceptor, the CA's PEM and a handshake counter.
#[derive(Clone)]
pub struct Tls {
    pub(crate) acceptor: TlsAcceptor,
    /// The CA certificate in PEM.
    pub ca_pem: String,
    handshakes: Arc<AtomicU64>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

impl Tls {
    /// A fresh CA and a server certificate for `options.names`, signed by it.
    ///
    /// Errors: `InvalidInput` when rcgen refuses a name or rustls the certificate.
    pub fn generate(options: &TlsOptions) -> io::Result<Tls> {
        let invalid = |err: &dyn std::fmt::Display| io::Error::new(io::ErrorKind::InvalidInput, err.to_string());
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| invalid(&e))?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(|e| invalid(&e))?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "atlas-emulator test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).map_err(|e| invalid(&e))?;
        let issuer = Issuer::new(ca_params, ca_key);

        let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| invalid(&e))?;
        let mut leaf = CertificateParams::new(options.names.clone()).map_err(|e| invalid(&e))?;
        leaf.distinguished_name.push(
            DnType::CommonName,
            options.names.first().map_or("emulator", String::as_str),
        );
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        if options.expired {
            let now = time::OffsetDateTime::now_utc();
            leaf.not_before = now - time::Duration::days(30);
            leaf.not_after = now - time::Duration::days(1);
        }
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(|e| invalid(&e))?;

        let chain = vec![leaf_cert.der().clone(), CertificateDer::from(ca_cert.der().to_vec())];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(&e))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| invalid(&e))?;
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_pem: ca_cert.pem(),
            handshakes: Arc::new(AtomicU64::new(0)),
        })
    }

    /// TLS handshakes started so far (successful or not): one per client connection.
    pub fn handshakes(&self) -> u64 {
        self.handshakes.load(Ordering::Relaxed)
    }

    pub(crate) fn count_handshake(&self) {
        self.handshakes.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_a_ca_and_a_server_certificate() {
        let tls = Tls::generate(&TlsOptions::default()).expect("certificates");
        assert!(tls.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"), "{}", tls.ca_pem);
        assert_eq!(tls.handshakes(), 0);
        let expired = TlsOptions {
            expired: true,
            ..TlsOptions::default()
        };
        assert!(Tls::generate(&expired).is_ok());
    }
}
