//! `cargo bench --bench launch`: how long the provider takes to start, as Terraform sees it.
//!
//! Launches the provider binary (by default the one Cargo built for this bench, release
//! profile) `--runs N` times (default 20) after one untimed warm-up launch, and prints the
//! median, minimum and maximum of two intervals (see `measure.rs`): process start to the
//! handshake line, and handshake line to the first answered RPC (`GetProviderSchema` over
//! AutoMTLS, connection and TLS handshake included). `--json` prints one JSON object instead
//! (milliseconds), which `scripts/bench.py` reads. `--binary PATH` measures another build.
//! Cargo's own `--bench` argument is ignored. Nothing is asserted; `tests/it/bench.rs` checks
//! that a launch completes.

mod measure;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let mut runs: usize = 20;
    let mut json = false;
    let mut binary = PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-mongodbatlas"));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) if n > 0 => runs = n,
                _ => return usage("--runs takes a positive number"),
            },
            "--binary" => match args.next() {
                Some(path) => binary = PathBuf::from(path),
                None => return usage("--binary takes a path"),
            },
            "--json" => json = true,
            "--bench" => {}
            other => return usage(&format!("unknown argument {other:?}")),
        }
    }

    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("launch: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut to_handshake = Vec::with_capacity(runs);
    let mut to_first_rpc = Vec::with_capacity(runs);
    let mut network = String::new();
    for run in 0..=runs {
        match measure::launch_once(&runtime, &binary) {
            Ok(launch) if launch.resource_types.is_empty() => {
                eprintln!("launch: {}: the schema names no resource type", binary.display());
                return ExitCode::FAILURE;
            }
            // Run 0 warms the page cache and is not counted.
            Ok(launch) if run == 0 => {
                network = launch.handshake_line.split('|').nth(2).unwrap_or_default().to_owned();
            }
            Ok(launch) => {
                to_handshake.push(launch.to_handshake);
                to_first_rpc.push(launch.to_first_rpc);
            }
            Err(err) => {
                eprintln!("launch: {}: {err}", binary.display());
                return ExitCode::FAILURE;
            }
        }
    }

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let stats = |values: &[Duration]| {
        (
            ms(measure::median(values)),
            ms(*values.iter().min().expect("at least one run")),
            ms(*values.iter().max().expect("at least one run")),
        )
    };
    let (hs_median, hs_min, hs_max) = stats(&to_handshake);
    let (rpc_median, rpc_min, rpc_max) = stats(&to_first_rpc);
    if json {
        println!(
            "{}",
            serde_json::json!({
                "binary": binary.display().to_string(),
                "runs": runs,
                "network": network,
                "to_handshake_ms": {"median": hs_median, "min": hs_min, "max": hs_max},
                "to_first_rpc_ms": {"median": rpc_median, "min": rpc_min, "max": rpc_max},
            })
        );
    } else {
        println!("{} ({runs} launches, {network} socket)", binary.display());
        println!("start to handshake line:         median {hs_median:.1} ms (min {hs_min:.1}, max {hs_max:.1})");
        println!("handshake to first answered RPC: median {rpc_median:.1} ms (min {rpc_min:.1}, max {rpc_max:.1})");
    }
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("launch: {problem}\nusage: cargo bench --bench launch -- [--runs N] [--binary PATH] [--json]");
    ExitCode::from(2)
}
