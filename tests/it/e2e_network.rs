//! End-to-end: certificates and network failures as a user sees them, through the real `terraform`.
//!
//! The emulator serves HTTPS from a CA of its own. With `SSL_CERT_FILE` naming that CA (as for
//! Terraform itself) a key is created and destroyed over HTTPS; without it the error says the
//! certificate is not trusted, after exactly one TLS handshake. A closed port says connection
//! refused, and an expired access token says so in the 401 hint.

use std::time::Duration;

use atlas_emulator::{Options, TlsOptions};

use crate::support::World;

fn key_hcl(org_id: &str) -> String {
    format!(
        "resource \"mongodbatlas_api_key\" \"net\" {{\n  org_id      = \"{org_id}\"\n  description = \"over-https\"\n  \
         role_names  = [\"ORG_READ_ONLY\"]\n}}\n"
    )
}

/// A world whose emulator serves HTTPS, and the directory of its CA file.
fn https_world() -> (World, tempfile::TempDir) {
    let ca_dir = tempfile::tempdir().expect("temp dir");
    let options = Options {
        tls: Some(TlsOptions {
            ca_file: Some(ca_dir.path().join("emulator-ca.pem")),
            ..TlsOptions::default()
        }),
        ..Options::default()
    };
    let mut world = World::with_options(options);
    // Only what the test sets decides what is trusted.
    world.unset_env("SSL_CERT_FILE");
    world.unset_env("SSL_CERT_DIR");
    (world, ca_dir)
}

fn handshakes(world: &World) -> u64 {
    world.emulator.tls.as_ref().map_or(0, |tls| tls.handshakes())
}

#[test]
fn a_key_is_created_and_destroyed_over_https_when_ssl_cert_file_names_the_ca() {
    let (mut world, _ca_dir) = https_world();
    let seed = world.emulator.seed.clone();
    assert!(seed.base_url.starts_with("https://127.0.0.1:"), "{}", seed.base_url);
    let ca_file = seed.ca_file.clone().expect("the seed names the CA file");
    assert!(std::fs::read_to_string(&ca_file)
        .expect("CA file")
        .starts_with("-----BEGIN CERTIFICATE-----"));
    world.set_env("SSL_CERT_FILE", &ca_file);
    world.write(&key_hcl(&seed.org_id));
    world.clear_requests();

    world.apply();
    let org = &seed.org_id;
    world.assert_mutations_in_any_order(vec![format!("POST /api/atlas/v2/orgs/{org}/apiKeys")]);
    let key_id = world.resource_values("mongodbatlas_api_key.net")["api_key_id"]
        .as_str()
        .expect("api_key_id")
        .to_owned();
    world.assert_converged();

    world.clear_requests();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "destroy failed:\n{}", run.output());
    world.assert_mutations_in_any_order(vec![format!("DELETE /api/atlas/v2/orgs/{org}/apiKeys/{key_id}")]);
}

#[test]
fn without_the_ca_the_error_says_the_certificate_is_not_trusted_after_one_attempt() {
    let (world, _ca_dir) = https_world();
    let seed = world.emulator.seed.clone();
    world.write(&key_hcl(&seed.org_id));
    world.clear_requests();
    let before = handshakes(&world);

    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 1, "{}", run.output());
    let output = run.output().split_whitespace().collect::<Vec<_>>().join(" ");
    let host_port = seed.base_url.trim_start_matches("https://");
    let expected = format!(
        "Could not reach Atlas at {host_port} for POST /api/atlas/v2/orgs/{}/apiKeys: the TLS certificate is not \
         trusted",
        seed.org_id
    );
    assert!(output.contains(&expected), "{output}");
    assert!(
        output.contains("set SSL_CERT_FILE (a PEM bundle) or SSL_CERT_DIR"),
        "{output}"
    );
    assert_eq!(
        handshakes(&world) - before,
        1,
        "a certificate that is not trusted is not retried"
    );
    assert!(
        world.requests().is_empty(),
        "no request got through: {:?}",
        world.requests()
    );
}

#[test]
fn a_closed_port_says_connection_refused_with_host_and_port() {
    let mut world = World::new();
    let log = world.dir.path().join("debug.log");
    world.set_env("TF_LOG", "debug");
    world.set_env("TF_LOG_PATH", log.to_str().expect("utf-8 path"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let config = format!(
        "terraform {{\n  required_providers {{\n    mongodbatlas = {{ source = \"mongodb/mongodbatlas\" }}\n  }}\n}}\n\n\
         provider \"mongodbatlas\" {{\n  base_url    = \"http://127.0.0.1:{port}\"\n  max_retries = 1\n  \
         connect_timeout_seconds = 2\n  http_timeout_seconds = 5\n}}\n\n{}",
        key_hcl(&world.org_id())
    );
    std::fs::write(world.dir.path().join("main.tf"), config).expect("write main.tf");
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 1, "{}", run.output());
    let output = run.output().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        output.contains(&format!(
            "Could not reach Atlas at 127.0.0.1:{port} for POST /api/atlas/v2/orgs/{}/apiKeys: connection refused \
             (nothing accepts connections on that port)",
            world.org_id()
        )),
        "{output}"
    );
    assert!(output.contains("Check the host and port of base_url"), "{output}");
    // The create never reached a server, so it was retried once (max_retries = 1), logged with its cause.
    let log = std::fs::read_to_string(&log).expect("debug log");
    let retries: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("retrying atlas request"))
        .collect();
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert!(retries[0].contains("connection refused"), "{}", retries[0]);
}

#[test]
fn a_proxy_at_a_closed_port_is_named_as_the_proxy() {
    let (mut world, _ca_dir) = https_world();
    let seed = world.emulator.seed.clone();
    let proxy_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let ca_file = seed.ca_file.clone().expect("ca file");
    world.set_env("SSL_CERT_FILE", &ca_file);
    world.set_env("HTTPS_PROXY", &format!("http://127.0.0.1:{proxy_port}"));
    for name in ["https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"] {
        world.unset_env(name);
    }
    // Loopback is never proxied (as in Go), so the request names a host the proxy would resolve.
    let port = seed.base_url.rsplit(':').next().expect("a port");
    let base_url = format!("https://atlas.example.test:{port}");
    let config = format!(
        "terraform {{\n  required_providers {{\n    mongodbatlas = {{ source = \"mongodb/mongodbatlas\" }}\n  }}\n}}\n\n\
         provider \"mongodbatlas\" {{\n  base_url    = \"{base_url}\"\n  max_retries = 0\n}}\n\n{}",
        key_hcl(&seed.org_id)
    );
    std::fs::write(world.dir.path().join("main.tf"), config).expect("write main.tf");
    world.clear_requests();
    let before = handshakes(&world);
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let after = handshakes(&world);
    assert_eq!(run.code, 1, "{}", run.output());
    let output = run.output().split_whitespace().collect::<Vec<_>>().join(" ");
    let host_port = base_url.trim_start_matches("https://");
    assert!(
        output.contains(&format!(
            "Could not reach Atlas at {host_port} for POST /api/atlas/v2/orgs/{}/apiKeys: the proxy \
             127.0.0.1:{proxy_port} is unreachable: connection refused",
            seed.org_id
        )),
        "{output}"
    );
    assert!(output.contains("Check HTTPS_PROXY"), "{output}");
    assert_eq!(after - before, 0, "nothing reached the emulator");
    assert!(world.requests().is_empty());
}

#[test]
fn an_expired_access_token_is_named_in_the_401_hint() {
    let options = Options {
        token_ttl: Duration::from_secs(1),
        ..Options::default()
    };
    let mut world = World::with_options(options);
    let seed = world.emulator.seed.clone();
    let token = world.admin_token();
    // Let the one-second token lapse; the assertion is on the words, not on the time.
    std::thread::sleep(Duration::from_millis(1500));
    world.unset_env("MONGODB_ATLAS_PUBLIC_KEY");
    world.unset_env("MONGODB_ATLAS_PRIVATE_KEY");
    world.set_env("MONGODB_ATLAS_ACCESS_TOKEN", &token);
    world.write(&key_hcl(&seed.org_id));
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 1, "{}", run.output());
    let output = run.output().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        output.contains("The access token (access_token or MONGODB_ATLAS_ACCESS_TOKEN) has expired"),
        "{output}"
    );
    assert!(
        !output.contains("public_key and private_key"),
        "names only the method in use: {output}"
    );
    assert!(!output.contains(&token), "the token is never shown");
}
