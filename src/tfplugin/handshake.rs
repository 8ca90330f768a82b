//! The go-plugin handshake: how Terraform starts this process and learns where to reach it.
//!
//! Terraform runs the binary with a magic cookie and a few `PLUGIN_*` variables
//! (`PLUGIN_PROTOCOL_VERSIONS`, `PLUGIN_CLIENT_CERT`), reads exactly one line from our stdout
//! (`1|6|unix|<path>|grpc|<server cert>`), and dials that address (hashicorp/go-plugin,
//! `server.go` and `client.go`). In debug mode the provider prints reattach instructions for
//! `TF_REATTACH_PROVIDERS` instead. Nothing else in the crate writes to stdout.

use std::env;
use std::ffi::OsStr;
use std::io::{self, Write};

use base64::Engine as _;

use super::serve::{PluginListener, ServeError};
use super::tls::ServerTls;

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

/// Picks the protocol version from `PLUGIN_PROTOCOL_VERSIONS`; see [`negotiate_protocol`].
pub(super) fn protocol_from_env() -> Result<u32, ServeError> {
    negotiate_protocol(env::var("PLUGIN_PROTOCOL_VERSIONS").ok().as_deref())
}

/// The pinned mutual TLS Terraform asks for by setting `PLUGIN_CLIENT_CERT` (a PEM client
/// certificate); `None` when it is unset or blank, which means plain gRPC.
pub(super) fn server_tls_from_env() -> Result<Option<ServerTls>, ServeError> {
    match env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !pem.trim().is_empty() => ServerTls::new(&pem).map(Some).map_err(ServeError::Tls),
        Ok(_) | Err(env::VarError::NotPresent) => Ok(None),
        Err(env::VarError::NotUnicode(_)) => Err(ServeError::ClientCertEncoding),
    }
}

/// Writes the one handshake line, with its newline, to stdout: where `listener` listens and,
/// with TLS, our certificate.
pub(super) fn announce(
    protocol_version: u32,
    listener: &PluginListener,
    tls: Option<&ServerTls>,
) -> Result<(), ServeError> {
    let line = handshake_line(
        protocol_version,
        listener.network(),
        &listener.address(),
        tls.map(ServerTls::certificate_der),
    );
    write_stdout(&format!("{line}\n"))
}

/// Writes debug mode's reattach instructions for the process behind `listener` to stdout.
pub(super) fn announce_debug(provider_address: &str, listener: &PluginListener) -> Result<(), ServeError> {
    write_stdout(&reattach_instructions(
        provider_address,
        std::process::id(),
        listener.network(),
        &listener.address(),
    ))
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

fn write_stdout(text: &str) -> Result<(), ServeError> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(ServeError::Stdout)
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
}
