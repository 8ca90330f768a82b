//! `atlas-emulator --tls`: the binary serves HTTPS and names its CA file in its JSON line.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

#[test]
fn the_binary_with_tls_names_its_ca_file_in_its_json_line() {
    let dir = tempfile_dir();
    let ca_file = dir.join("ca.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_atlas-emulator"))
        .args(["--tls", "--tls-ca-file"])
        .arg(&ca_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the emulator");
    let mut line = String::new();
    let read = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
    let _ = child.kill();
    let _ = child.wait();
    read.expect("the JSON line");
    let seed: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    let base_url = seed["base_url"].as_str().expect("base_url");
    assert!(base_url.starts_with("https://127.0.0.1:"), "{base_url}");
    assert_eq!(seed["ca_file"].as_str(), ca_file.to_str());
    let pem = std::fs::read_to_string(&ca_file).expect("CA file");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_binary_without_tls_serves_http_and_names_no_ca() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_atlas-emulator"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the emulator");
    let mut line = String::new();
    let read = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
    let _ = child.kill();
    let _ = child.wait();
    read.expect("the JSON line");
    let seed: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    assert!(
        seed["base_url"].as_str().is_some_and(|url| url.starts_with("http://")),
        "{seed}"
    );
    assert!(seed.get("ca_file").is_none(), "{seed}");
}

/// A fresh directory under the system temp directory.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("atlas-emulator-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
