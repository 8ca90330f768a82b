//! `make bench` kept from rotting: `scripts/bench.py` in quick mode against the debug builds,
//! and the launch timer of `cargo bench --bench launch` (included here by path) on the debug
//! provider.
//!
//! Request counts are exact and asserted: the creates and deletes are one call per key, a plan
//! without refresh calls nothing, terraform_data calls nothing, and the tables print what the
//! emulator logged. How many reads a refresh takes and how many digest challenges a phase costs
//! are what the benchmark measures (and what other work changes), so they are checked against
//! the log rather than pinned. No timing is asserted.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value as Json;

#[path = "../../benches/launch/measure.rs"]
pub(crate) mod measure;

const N: u64 = 10;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory of the provider binary under test, beside which `cargo test --workspace`
/// builds the emulator.
fn bin_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-mongodbatlas"))
        .parent()
        .expect("binary has a parent directory")
        .to_path_buf()
}

/// Runs the script in quick mode (N=10, one repetition, latency 0, no launch timing) and
/// returns its stdout and the JSON it wrote.
fn quick_bench() -> (String, Json) {
    let dir = bin_dir();
    assert!(
        dir.join("atlas-emulator").exists(),
        "{} has no atlas-emulator; `cargo test --workspace` (make test) builds it, or run `cargo build -p atlas-emulator`",
        dir.display()
    );
    crate::support::terraform_binary();
    let out = tempfile::tempdir().expect("temp dir");
    let json_path = out.path().join("bench.json");
    let output = Command::new("python3")
        .arg(root().join("scripts/bench.py"))
        .env("BENCH_QUICK", "1")
        .env("BENCH_LATENCIES", "0")
        .env("BENCH_LAUNCH_RUNS", "0")
        .env("BENCH_BIN_DIR", &dir)
        .env("BENCH_JSON", &json_path)
        .env_remove("BENCH_SIZES")
        .env_remove("BENCH_REPS")
        .output()
        .expect("python3 is needed for scripts/bench.py (make bench)");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "scripts/bench.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = std::fs::read_to_string(&json_path).expect("BENCH_JSON written");
    (stdout, serde_json::from_str(&json).expect("BENCH_JSON is JSON"))
}

/// The trial record of `variant` in `phase`.
fn trial<'a>(json: &'a Json, variant: &str, phase: &str) -> &'a Json {
    let matching: Vec<&Json> = json["trials"]
        .as_array()
        .expect("trials")
        .iter()
        .filter(|t| t["variant"] == variant && t["phase"] == phase)
        .collect();
    assert_eq!(matching.len(), 1, "one {variant} {phase} trial in quick mode");
    matching[0]
}

fn by_operation(trial: &Json) -> BTreeMap<String, u64> {
    trial["by_operation"]
        .as_object()
        .expect("by_operation")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().expect("a count")))
        .collect()
}

/// The cells of the table row for N=10 under the `### <title>` heading.
fn table_row(stdout: &str, title: &str) -> Vec<String> {
    let section = stdout
        .split("### ")
        .find(|s| s.starts_with(title))
        .unwrap_or_else(|| panic!("no table {title:?} in:\n{stdout}"));
    let row = section
        .lines()
        .find(|l| l.starts_with(&format!("| {N} | 0 ms |")))
        .unwrap_or_else(|| panic!("no N={N} row under {title:?}:\n{section}"));
    row.trim_matches('|').split('|').map(|c| c.trim().to_owned()).collect()
}

#[test]
fn bench_quick_mode_counts_every_request_and_prints_what_it_counted() {
    let (stdout, json) = quick_bench();
    let create = "POST /api/atlas/v2/orgs/{id}/apiKeys".to_owned();
    let delete = "DELETE /api/atlas/v2/orgs/{id}/apiKeys/{id}".to_owned();

    let apply = trial(&json, "api_key", "apply");
    assert_eq!(
        by_operation(apply).get(&create),
        Some(&N),
        "one create per key: {apply}"
    );
    assert!(
        by_operation(apply)
            .keys()
            .all(|op| op == &create || op.starts_with("GET ")),
        "apply only creates and reads: {apply}"
    );
    let destroy = trial(&json, "api_key", "destroy");
    assert_eq!(
        by_operation(destroy).get(&delete),
        Some(&N),
        "one delete per key: {destroy}"
    );
    assert!(
        by_operation(destroy)
            .keys()
            .all(|op| op == &delete || op.starts_with("GET ")),
        "destroy only deletes and reads: {destroy}"
    );
    let plan = trial(&json, "api_key", "plan");
    assert!(
        by_operation(plan).keys().all(|op| op.starts_with("GET ")),
        "a plan only reads: {plan}"
    );
    let refresh = by_operation(plan).values().sum::<u64>();
    assert!(
        (1..=N).contains(&refresh),
        "a refresh reads at most once per key: {plan}"
    );
    let no_refresh = trial(&json, "api_key", "plan_no_refresh");
    assert_eq!(
        no_refresh["requests"], 0,
        "plan -refresh=false calls nothing: {no_refresh}"
    );
    assert_eq!(no_refresh["challenges"], 0, "{no_refresh}");
    for phase in ["apply", "plan", "plan_no_refresh", "destroy"] {
        let floor = trial(&json, "terraform_data", phase);
        assert_eq!(floor["requests"], 0, "terraform_data calls nothing: {floor}");
        assert_eq!(floor["challenges"], 0, "{floor}");
        assert_eq!(floor["provider_processes_seen"], 0, "{floor}");
    }

    for (phase, title) in [
        ("apply", "apply (create N)"),
        ("plan", "plan (with refresh"),
        ("plan_no_refresh", "plan -refresh=false"),
        ("destroy", "destroy (N)"),
    ] {
        let measured = trial(&json, "api_key", phase);
        let requests = measured["requests"].as_u64().expect("requests");
        assert_eq!(
            requests,
            by_operation(measured).values().sum::<u64>(),
            "the total is the sum by operation: {measured}"
        );
        assert!(
            measured["statuses"]
                .as_array()
                .expect("statuses")
                .iter()
                .all(|s| s.as_u64().is_some_and(|s| s < 300)),
            "apart from the challenges every request succeeded: {measured}"
        );
        let row = table_row(&stdout, title);
        assert_eq!(row[5], format!("{:.2}", requests as f64 / N as f64), "{phase}: {row:?}");
        assert_eq!(row[6], measured["challenges"].to_string(), "{phase}: {row:?}");
        // Every phase starts the provider, so its memory is measured (never blank).
        let rss: f64 = row[7]
            .parse()
            .unwrap_or_else(|_| panic!("{phase}: no peak RSS in {row:?}"));
        assert!(rss > 0.0, "{phase}: {row:?}");
        assert!(measured["provider_processes_seen"].as_u64() >= Some(1), "{measured}");
    }
}

#[test]
fn launch_timer_reads_the_handshake_and_gets_the_schema() {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-mongodbatlas"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for _ in 0..2 {
        let launch = measure::launch_once(&runtime, &binary).expect("a launch");
        // Shown with --nocapture, never asserted (a debug build on a shared machine).
        eprintln!(
            "debug build: {:?} to the handshake, {:?} more to the schema",
            launch.to_handshake, launch.to_first_rpc
        );
        let fields: Vec<&str> = launch.handshake_line.split('|').collect();
        assert_eq!(fields[..3], ["1", "6", "unix"], "{}", launch.handshake_line);
        assert!(
            fields[5].len() > 50,
            "AutoMTLS announces a certificate: {}",
            launch.handshake_line
        );
        assert!(
            launch.resource_types.iter().any(|t| t == "mongodbatlas_api_key"),
            "{:?}",
            launch.resource_types
        );
    }
    assert_eq!(
        measure::median(&[
            std::time::Duration::from_millis(3),
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(2),
        ]),
        std::time::Duration::from_millis(2)
    );
}
