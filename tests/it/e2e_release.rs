//! End-to-end: the release that `make release` builds, installed by a real `terraform init`
//! from a `filesystem_mirror` (no dev_overrides), then used to apply and destroy a key.
//!
//! The release binary is the one `make test` builds before `cargo test` (`make release-binary`:
//! on x86_64 Linux `cargo zigbuild --release --target x86_64-unknown-linux-gnu.2.17`, elsewhere
//! `cargo build --release`, beside the debug build); packaging it is `scripts/release.sh` with
//! `BINARY` set, so no test builds the release profile.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use base64::Engine as _;

use crate::support::World;

const NAME: &str = "terraform-provider-mongodbatlas";
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where `make release-binary` puts its build, below the target directory.
#[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
const RELEASE_DIR: &str = "x86_64-unknown-linux-gnu/release";
#[cfg(not(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu")))]
const RELEASE_DIR: &str = "release";

/// The build of `make release-binary`, in the target directory of the debug build Cargo made
/// for these tests; fails saying how to build it when it is missing or not of this version.
fn release_binary() -> PathBuf {
    let debug = PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-mongodbatlas"));
    let target = debug.parent().and_then(Path::parent).expect("target dir");
    let binary = target.join(RELEASE_DIR).join(NAME);
    assert!(
        binary.is_file(),
        "{} is missing: `make test` builds it first (`make release-binary`)",
        binary.display()
    );
    let output = Command::new(&binary)
        .arg("--version")
        .output()
        .expect("run the release binary");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim_end(),
        format!("{NAME} {VERSION}"),
        "{} is of another version: rebuild it with `make release-binary`",
        binary.display()
    );
    binary
}

/// Runs `scripts/release.sh` with `env`, returning (exit code, stdout + stderr).
fn release(env: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new("bash");
    command.arg(root().join("scripts/release.sh"));
    for name in [
        "TAG",
        "TARGET",
        "GOOS",
        "GOARCH",
        "GPG_FINGERPRINT",
        "SUMS_ONLY",
        "CARGO_BUILD",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let output = command.output().expect("run scripts/release.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// The host as the registry names platforms, such as `linux_amd64`.
fn platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{os}_{arch}")
}

/// The lowercase hex SHA-256 of `bytes`, by the system's `sha256sum`.
fn sha256_hex(bytes: &[u8]) -> String {
    use std::io::Write as _;
    let mut child = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum (coreutils)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write to sha256sum");
    let output = child.wait_with_output().expect("sha256sum");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_owned()
}

/// Terraform's `h1:` hash of a provider package holding the one file `name` with `content`:
/// base64 of the SHA-256 of the line `<sha256 hex of content>  <name>\n` (Go's dirhash Hash1).
fn h1(name: &str, content: &[u8]) -> String {
    let summary = format!("{}  {name}\n", sha256_hex(content));
    let hex = sha256_hex(summary.as_bytes());
    let raw: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect();
    format!("h1:{}", base64::engine::general_purpose::STANDARD.encode(raw))
}

#[test]
fn release_is_installed_by_terraform_init_from_a_filesystem_mirror_and_manages_a_key() {
    let binary = release_binary();
    let mut world = World::new();
    let mirror = world.dir.path().join("mirror");
    let dist = mirror.join("registry.terraform.io/mongodb/mongodbatlas");
    let (code, output) = release(&[
        ("BINARY", binary.to_str().expect("utf-8 path")),
        ("DIST", dist.to_str().expect("utf-8 path")),
        ("TAG", &format!("v{VERSION}")),
    ]);
    assert_eq!(code, 0, "make release failed:\n{output}");

    // The registry's files, and nothing else (no signature without a key).
    let prefix = format!("{NAME}_{VERSION}");
    let zip = format!("{prefix}_{}.zip", platform());
    let mut files: Vec<String> = std::fs::read_dir(&dist)
        .expect("dist")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected = vec![
        format!("{prefix}_SHA256SUMS"),
        format!("{prefix}_manifest.json"),
        zip.clone(),
    ];
    expected.sort();
    assert_eq!(files, expected);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist.join(format!("{prefix}_manifest.json"))).expect("manifest"))
            .expect("manifest is JSON");
    assert_eq!(
        manifest,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );
    let zip_bytes = std::fs::read(dist.join(&zip)).expect("zip");
    let sums = std::fs::read_to_string(dist.join(format!("{prefix}_SHA256SUMS"))).expect("SHA256SUMS");
    let manifest_bytes = std::fs::read(dist.join(format!("{prefix}_manifest.json"))).expect("manifest");
    assert_eq!(
        sums,
        format!(
            "{}  {zip}\n{}  {prefix}_manifest.json\n",
            sha256_hex(&zip_bytes),
            sha256_hex(&manifest_bytes)
        )
    );
    // The checksums file lists the zip, not the manifest's copy inside the mirror: keep only
    // what Terraform's packed layout looks for.
    for file in [format!("{prefix}_SHA256SUMS"), format!("{prefix}_manifest.json")] {
        std::fs::remove_file(dist.join(file)).expect("remove non-package file");
    }
    eprintln!(
        "release artefacts: {zip} {} bytes (binary {} bytes)",
        zip_bytes.len(),
        std::fs::metadata(&binary).expect("binary").len()
    );

    // A CLI config with only the mirror: no dev_overrides, no registry.
    let config = world.dir.path().join("mirror.tfrc");
    std::fs::write(
        &config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/mongodb/mongodbatlas\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("write CLI config");
    world.set_env("TF_CLI_CONFIG_FILE", config.to_str().expect("utf-8 path"));
    let org = world.org_id();
    std::fs::write(
        world.dir.path().join("main.tf"),
        format!(
            "terraform {{\n  required_providers {{\n    mongodbatlas = {{\n      source  = \"mongodb/mongodbatlas\"\n      version = \"~> {VERSION}\"\n    }}\n  }}\n}}\n\n\
             provider \"mongodbatlas\" {{\n  base_url = \"{}\"\n}}\n\n\
             resource \"mongodbatlas_api_key\" \"release\" {{\n  org_id      = \"{org}\"\n  description = \"installed from the release\"\n  role_names  = [\"ORG_READ_ONLY\"]\n}}\n",
            world.emulator.seed.base_url
        ),
    )
    .expect("write main.tf");

    let started = Instant::now();
    let init = world.terraform(&["init", "-no-color", "-input=false"]);
    eprintln!(
        "terraform init from the mirror took {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(init.code, 0, "terraform init failed:\n{}", init.output());
    assert!(
        init.stdout
            .contains(&format!("Installed mongodb/mongodbatlas v{VERSION}")),
        "{}",
        init.stdout
    );
    assert!(
        !init.output().contains("Provider development overrides"),
        "{}",
        init.output()
    );

    // The lock file pins this version with the package's hash: h1 of its content.
    let lock = std::fs::read_to_string(world.dir.path().join(".terraform.lock.hcl")).expect("lock file");
    let content = {
        let mut extracted = None;
        let installed = world
            .dir
            .path()
            .join(".terraform/providers/registry.terraform.io/mongodb/mongodbatlas")
            .join(VERSION)
            .join(platform())
            .join(format!("{NAME}_v{VERSION}"));
        if let Ok(bytes) = std::fs::read(&installed) {
            extracted = Some(bytes);
        }
        extracted.unwrap_or_else(|| panic!("the unpacked provider is at {}", installed.display()))
    };
    assert_eq!(
        content,
        std::fs::read(&binary).expect("release binary"),
        "the installed binary is the release binary"
    );
    assert!(
        lock.contains("provider \"registry.terraform.io/mongodb/mongodbatlas\""),
        "{lock}"
    );
    assert!(lock.contains(&format!("version     = \"{VERSION}\"")), "{lock}");
    assert!(lock.contains(&format!("constraints = \"~> {VERSION}\"")), "{lock}");
    let h1 = h1(&format!("{NAME}_v{VERSION}"), &content);
    assert!(lock.contains(&format!("\"{h1}\"")), "{h1} in:\n{lock}");
    // A mirror has no signed SHA256SUMS, so Terraform records only the h1 of what it
    // unpacked (zh: hashes come from a registry's checksums; ours are checked above).
    assert_eq!(
        lock.matches("\"h1:").count() + lock.matches("\"zh:").count(),
        1,
        "{lock}"
    );

    // The installed provider manages a key: apply, converge, destroy.
    world.clear_requests();
    world.apply();
    let values = world.resource_values("mongodbatlas_api_key.release");
    let key_id = values["api_key_id"].as_str().expect("api_key_id").to_owned();
    assert_eq!(
        world.mutations(),
        vec![format!("POST /api/atlas/v2/orgs/{org}/apiKeys")]
    );
    assert_eq!(
        world.key_ids_described("installed from the release"),
        vec![key_id.clone()]
    );
    let agents: Vec<String> = world
        .requests()
        .iter()
        .filter_map(|r| r["user_agent"].as_str().map(str::to_owned))
        .collect();
    assert!(
        !agents.is_empty()
            && agents
                .iter()
                .all(|agent| agent.starts_with(&format!("terraform-provider-mongodbatlas-rs/{VERSION} Terraform/"))),
        "{agents:?}"
    );
    world.assert_converged();
    world.clear_requests();
    let destroy = world.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(destroy.code, 0, "destroy failed:\n{}", destroy.output());
    assert_eq!(
        world.mutations(),
        vec![format!("DELETE /api/atlas/v2/orgs/{org}/apiKeys/{key_id}")]
    );
    assert!(world.key_ids_described("installed from the release").is_empty());
}

#[test]
fn release_refuses_a_tag_that_is_not_the_cargo_version() {
    let dist = tempfile::tempdir().expect("temp dir");
    for tag in ["v99.0.0", "0.0.0-not-it", "latest"] {
        let (code, output) = release(&[
            ("BINARY", "/nonexistent/never-packaged"),
            ("DIST", dist.path().to_str().expect("utf-8 path")),
            ("TAG", tag),
        ]);
        assert_eq!(code, 1, "{tag}: {output}");
        assert!(
            output.contains(&format!("tag {tag} does not match Cargo.toml's version {VERSION}")),
            "{tag}: {output}"
        );
    }
    assert_eq!(
        std::fs::read_dir(dist.path()).expect("dist").count(),
        0,
        "nothing written"
    );
}

#[test]
fn release_signs_the_checksums_when_given_a_gpg_key() {
    let binary = release_binary();
    let home = tempfile::tempdir().expect("GNUPGHOME");
    let gpg = |args: &[&str]| {
        let output = Command::new("gpg")
            .env("GNUPGHOME", home.path())
            .args(["--batch", "--no-tty"])
            .args(args)
            .output()
            .expect("gpg (GnuPG) on PATH");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "gpg {args:?}: {text}");
        text
    };
    gpg(&[
        "--passphrase",
        "",
        "--quick-gen-key",
        "Release Test <release@example.invalid>",
        "ed25519",
        "sign",
        "1d",
    ]);
    let listing = gpg(&["--with-colons", "--list-keys"]);
    let fingerprint = listing
        .lines()
        .find_map(|line| line.strip_prefix("fpr:"))
        .and_then(|rest| rest.trim_matches(':').split(':').next_back())
        .expect("a fingerprint")
        .to_owned();
    let dist = tempfile::tempdir().expect("dist");
    let mut command = Command::new("bash");
    command
        .arg(root().join("scripts/release.sh"))
        .env("GNUPGHOME", home.path())
        .env("BINARY", &binary)
        .env("DIST", dist.path())
        .env("GPG_FINGERPRINT", &fingerprint)
        .env_remove("TAG")
        .env_remove("TARGET");
    let output = command.output().expect("run scripts/release.sh");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let sums = dist.path().join(format!("{NAME}_{VERSION}_SHA256SUMS"));
    let signature = dist.path().join(format!("{NAME}_{VERSION}_SHA256SUMS.sig"));
    assert!(signature.is_file(), "the detached signature is written");
    let verified = gpg(&[
        "--verify",
        signature.to_str().expect("utf-8 path"),
        sums.to_str().expect("utf-8 path"),
    ]);
    assert!(verified.contains("Good signature"), "{verified}");
}

/// The versioned glibc symbols `binary` needs, such as `(2, 17)`, from `objdump -T` (binutils).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn glibc_versions(binary: &Path) -> Vec<(u32, u32)> {
    let output = Command::new("objdump")
        .arg("-T")
        .arg(binary)
        .output()
        .expect("objdump (binutils) on PATH");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut versions: Vec<(u32, u32)> = String::from_utf8_lossy(&output.stdout)
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|word| word.strip_prefix("GLIBC_"))
        .filter_map(|version| {
            let mut parts = version.split('.').map(|part| part.parse::<u32>().ok());
            Some((parts.next()??, parts.next().flatten().unwrap_or(0)))
        })
        .collect();
    versions.sort_unstable();
    versions.dedup();
    versions
}

/// The release binary runs on glibc 2.17 (CentOS 7, Amazon Linux 2 and later): no versioned
/// symbol above `GLIBC_2.17`.
#[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
#[test]
fn release_binary_needs_at_most_glibc_2_17() {
    let binary = release_binary();
    let versions = glibc_versions(&binary);
    let floor = *versions
        .last()
        .expect("a dynamically linked binary has versioned glibc symbols");
    eprintln!("glibc floor of {}: GLIBC_{}.{}", binary.display(), floor.0, floor.1);
    assert!(
        floor <= (2, 17),
        "{} needs GLIBC_{}.{}, above 2.17 (all: {versions:?}); build it with `make release-binary`",
        binary.display(),
        floor.0,
        floor.1
    );
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn glibc_versions_are_read_from_objdump() {
    // The debug build links against the build host's glibc, so it needs at least 2.2.5 (x86_64's
    // first) and at most what this machine has.
    let debug = PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-mongodbatlas"));
    let versions = glibc_versions(&debug);
    assert!(versions.len() > 3, "{versions:?}");
    assert!(versions.iter().all(|v| *v >= (2, 2)), "{versions:?}");
}
