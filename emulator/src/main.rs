//! `atlas-emulator`: runs the Atlas Admin API emulator on localhost.
//!
//! Prints one JSON line with the seeded credentials to stdout, then serves until SIGINT or
//! SIGTERM. Logs go to stderr (`RUST_LOG` filters them; default `info`).

use std::io::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use anyhow::{bail, Context as _};
use atlas_emulator::Options;

const USAGE: &str = "usage: atlas-emulator [--port N] [--bind ADDR] [--nonce-ttl-secs N] [--token-ttl-secs N]";

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let Some(options) = parse_args(std::env::args().skip(1))? else {
        println!("{USAGE}");
        return Ok(());
    };
    let runtime = tokio::runtime::Runtime::new().context("could not start the Tokio runtime")?;
    runtime.block_on(run(options))
}

async fn run(options: Options) -> anyhow::Result<()> {
    let running = atlas_emulator::start(options)
        .await
        .context("could not start the emulator")?;
    let line = serde_json::to_string(&running.seed)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    drop(stdout);
    tracing::info!(base_url = %running.base_url(), "atlas emulator listening");
    wait_for_signal().await?;
    tracing::info!("shutting down");
    running.shutdown();
    Ok(())
}

async fn wait_for_signal() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("could not listen for SIGTERM")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("could not listen for SIGINT")?,
        _ = terminate.recv() => {}
    }
    Ok(())
}

/// `None` when `--help` was asked for.
fn parse_args(args: impl Iterator<Item = String>) -> anyhow::Result<Option<Options>> {
    let mut options = Options::default();
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (flag.clone(), None),
        };
        let value = match inline {
            Some(value) => value,
            None => args.next().with_context(|| format!("{name} needs a value\n{USAGE}"))?,
        };
        match name.as_str() {
            "--port" => options.port = value.parse().with_context(|| format!("bad --port {value}"))?,
            "--bind" => options.bind = value.parse::<IpAddr>().with_context(|| format!("bad --bind {value}"))?,
            "--nonce-ttl-secs" => options.nonce_ttl = seconds(&name, &value)?,
            "--token-ttl-secs" => options.token_ttl = seconds(&name, &value)?,
            _ => bail!("unknown flag {name}\n{USAGE}"),
        }
    }
    Ok(Some(options))
}

fn seconds(name: &str, value: &str) -> anyhow::Result<Duration> {
    let secs: u64 = value.parse().with_context(|| format!("bad {name} {value}"))?;
    Ok(Duration::from_secs(secs))
}
