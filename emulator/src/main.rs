//! `atlas-emulator`: runs the Atlas Admin API emulator on localhost.
//!
//! Prints one JSON line with the seeded credentials to stdout, then serves until SIGINT or
//! SIGTERM. Logs go to stderr (`RUST_LOG` filters them; default `info`).

use std::io::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use anyhow::{bail, Context as _};
use atlas_emulator::{FaultKind, FaultPlan, FaultRule, Options, Phase, TlsOptions};

const USAGE: &str = "\
usage: atlas-emulator [--port N] [--bind ADDR] [--nonce-ttl-secs N] [--token-ttl-secs N]
                      [--header-read-timeout-secs N] [--idle-timeout-secs N]
                      [--max-connections N] [--max-body-bytes N] [--max-api-keys-per-org N]
                      [--faults JSON] [--latency-ms N]
                      [--rate-limit-every N] [--retry-after-secs N]
                      [--fail-every N] [--fail-status S] [--fail-method M] [--fail-path TEXT]
                      [--fail-phase before|after] [--close-every N]
                      [--delay-ms N] [--delay-method M] [--delay-path TEXT]
                      [--tls] [--tls-ca-file PATH] [--tls-name NAME]... [--tls-expired]

--tls serves HTTPS with a certificate for 127.0.0.1 and localhost signed by a CA made at start;
the CA's PEM goes to --tls-ca-file (default: atlas-emulator-ca-<port>.pem in the temp directory)
and the JSON line names it as ca_file. --tls-name replaces the certificate's names (repeatable),
--tls-expired makes it expired; both imply --tls.";

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    if std::env::args().skip(1).any(|arg| arg == "--version") {
        println!("atlas-emulator {}", env!("CARGO_PKG_VERSION"));
        return Ok(());
    }
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

/// The shorthand fault flags, turned into rules after all flags are read.
#[derive(Default)]
struct FaultFlags {
    rate_limit_every: Option<u64>,
    retry_after_secs: Option<u64>,
    fail: Option<FaultRule>,
    close_every: Option<u64>,
    delay: Option<FaultRule>,
    /// The first `--tls-name` replaces the default names; later ones add to it.
    tls_names_given: bool,
}

/// `None` when `--help` was asked for.
fn parse_args(args: impl Iterator<Item = String>) -> anyhow::Result<Option<Options>> {
    let mut options = Options::default();
    let mut flags = FaultFlags::default();
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        // Switches without a value.
        match flag.as_str() {
            "--tls" => {
                options.tls.get_or_insert_with(TlsOptions::default);
                continue;
            }
            "--tls-expired" => {
                options.tls.get_or_insert_with(TlsOptions::default).expired = true;
                continue;
            }
            _ => {}
        }
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (flag.clone(), None),
        };
        let value = match inline {
            Some(value) => value,
            None => args.next().with_context(|| format!("{name} needs a value\n{USAGE}"))?,
        };
        apply_flag(&mut options, &mut flags, &name, &value)?;
    }
    add_shorthand_rules(&mut options.faults, flags);
    Ok(Some(options))
}

fn apply_flag(options: &mut Options, flags: &mut FaultFlags, name: &str, value: &str) -> anyhow::Result<()> {
    let fail = || FaultRule::new(FaultKind::Fail, 1);
    let delay = || FaultRule::new(FaultKind::Delay, 1);
    match name {
        "--port" => options.port = parse(name, value)?,
        "--bind" => options.bind = parse::<IpAddr>(name, value)?,
        "--nonce-ttl-secs" => options.nonce_ttl = Duration::from_secs(parse(name, value)?),
        "--token-ttl-secs" => options.token_ttl = Duration::from_secs(parse(name, value)?),
        "--header-read-timeout-secs" => options.header_read_timeout = Duration::from_secs(parse(name, value)?),
        "--idle-timeout-secs" => options.idle_timeout = Duration::from_secs(parse(name, value)?),
        "--max-connections" => options.max_connections = parse(name, value)?,
        "--max-body-bytes" => options.max_body_bytes = parse(name, value)?,
        "--max-api-keys-per-org" => options.max_api_keys_per_org = parse(name, value)?,
        "--delay-ms" => flags.delay.get_or_insert_with(delay).delay_ms = Some(parse(name, value)?),
        "--delay-method" => flags.delay.get_or_insert_with(delay).method = Some(value.to_owned()),
        "--delay-path" => flags.delay.get_or_insert_with(delay).path_contains = Some(value.to_owned()),
        "--tls-ca-file" => options.tls.get_or_insert_with(TlsOptions::default).ca_file = Some(value.into()),
        "--tls-name" => {
            let tls = options.tls.get_or_insert_with(TlsOptions::default);
            if !flags.tls_names_given {
                tls.names.clear();
                flags.tls_names_given = true;
            }
            tls.names.push(value.to_owned());
        }
        "--faults" => {
            let plan: FaultPlan = serde_json::from_str(value).context("bad --faults JSON")?;
            options.faults.rules.extend(plan.rules);
            options.faults.latency_ms = options.faults.latency_ms.max(plan.latency_ms);
        }
        "--latency-ms" => options.faults.latency_ms = parse(name, value)?,
        "--rate-limit-every" => flags.rate_limit_every = Some(parse(name, value)?),
        "--retry-after-secs" => flags.retry_after_secs = Some(parse(name, value)?),
        "--close-every" => flags.close_every = Some(parse(name, value)?),
        "--fail-every" => flags.fail.get_or_insert_with(fail).every = parse(name, value)?,
        "--fail-status" => flags.fail.get_or_insert_with(fail).status = Some(parse(name, value)?),
        "--fail-method" => flags.fail.get_or_insert_with(fail).method = Some(value.to_owned()),
        "--fail-path" => flags.fail.get_or_insert_with(fail).path_contains = Some(value.to_owned()),
        "--fail-phase" => {
            flags.fail.get_or_insert_with(fail).phase = match value {
                "before" => Phase::Before,
                "after" => Phase::After,
                _ => bail!("--fail-phase is before or after"),
            }
        }
        _ => bail!("unknown flag {name}\n{USAGE}"),
    }
    Ok(())
}

fn add_shorthand_rules(plan: &mut FaultPlan, flags: FaultFlags) {
    if let Some(every) = flags.rate_limit_every {
        let mut rule = FaultRule::new(FaultKind::RateLimit, every);
        rule.retry_after_secs = flags.retry_after_secs;
        plan.rules.push(rule);
    }
    if let Some(rule) = flags.fail {
        plan.rules.push(rule);
    }
    if let Some(every) = flags.close_every {
        plan.rules.push(FaultRule::new(FaultKind::Close, every));
    }
    if let Some(rule) = flags.delay {
        plan.rules.push(rule);
    }
}

fn parse<T: std::str::FromStr>(name: &str, value: &str) -> anyhow::Result<T> {
    value.parse().ok().with_context(|| format!("bad {name} {value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> anyhow::Result<Option<Options>> {
        parse_args(args.iter().map(|arg| arg.to_string()))
    }

    #[test]
    fn flags_build_options_and_fault_rules() {
        let options = parsed(&[
            "--port=8080",
            "--bind",
            "0.0.0.0",
            "--token-ttl-secs",
            "5",
            "--latency-ms",
            "20",
            "--rate-limit-every",
            "3",
            "--retry-after-secs",
            "0",
            "--fail-every",
            "2",
            "--fail-status",
            "502",
            "--fail-phase",
            "after",
            "--close-every",
            "7",
            "--faults",
            r#"{"rules":[{"kind":"fail","path_contains":"/groups/"}]}"#,
        ])
        .ok()
        .flatten()
        .expect("valid flags");
        assert_eq!(options.port, 8080);
        assert_eq!(options.bind.to_string(), "0.0.0.0");
        assert_eq!(options.token_ttl, Duration::from_secs(5));
        assert_eq!(options.faults.latency_ms, 20);
        let kinds: Vec<FaultKind> = options.faults.rules.iter().map(|rule| rule.kind).collect();
        use FaultKind::{Close, Fail, RateLimit};
        assert_eq!(kinds, [Fail, RateLimit, Fail, Close]);
        assert_eq!(options.faults.rules[1].retry_after_secs, Some(0));
        assert_eq!(options.faults.rules[2].status, Some(502));
        assert_eq!(options.faults.rules[2].phase, Phase::After);
    }

    #[test]
    fn server_limits_and_delay_flags() {
        let options = parsed(&[
            "--header-read-timeout-secs=3",
            "--idle-timeout-secs",
            "45",
            "--max-connections",
            "64",
            "--max-body-bytes",
            "1048576",
            "--max-api-keys-per-org",
            "7",
            "--delay-path",
            "/apiKeys",
            "--delay-ms",
            "2500",
            "--delay-method",
            "GET",
        ])
        .ok()
        .flatten()
        .expect("valid flags");
        assert_eq!(options.header_read_timeout, Duration::from_secs(3));
        assert_eq!(options.idle_timeout, Duration::from_secs(45));
        assert_eq!(options.max_connections, 64);
        assert_eq!(options.max_body_bytes, 1 << 20);
        assert_eq!(options.max_api_keys_per_org, 7);
        let rule = &options.faults.rules[0];
        assert_eq!(rule.kind, FaultKind::Delay);
        assert_eq!(rule.delay_ms, Some(2500));
        assert_eq!(rule.method.as_deref(), Some("GET"));
        assert_eq!(rule.path_contains.as_deref(), Some("/apiKeys"));
        let defaults = parsed(&[]).ok().flatten().expect("no flags");
        assert_eq!(defaults.header_read_timeout, Duration::from_secs(10));
        assert_eq!(defaults.idle_timeout, Duration::from_secs(60));
        assert_eq!(defaults.max_connections, 512);
        assert_eq!(defaults.max_body_bytes, 4 << 20);
        assert_eq!(defaults.max_api_keys_per_org, 500);
        let missing_ms = parsed(&["--delay-path", "/x"]).ok().flatten().expect("parses");
        assert!(
            missing_ms.validate().is_err(),
            "a delay without --delay-ms is refused at start"
        );
    }

    #[test]
    fn bad_flags_are_errors_and_help_is_none() {
        assert!(parsed(&["--port", "x"]).is_err());
        assert!(parsed(&["--nope", "1"]).is_err());
        assert!(parsed(&["--port"]).is_err());
        assert!(parsed(&["--fail-phase", "during"]).is_err());
        assert!(matches!(parsed(&["--help"]), Ok(None)));
    }

    #[test]
    fn tls_flags() {
        let plain = parsed(&[]).ok().flatten().expect("no flags");
        assert_eq!(plain.tls, None);
        let tls = parsed(&["--tls", "--port", "0"]).ok().flatten().expect("valid flags");
        assert_eq!(tls.tls, Some(TlsOptions::default()));
        let named = parsed(&[
            "--tls-name",
            "other.example",
            "--tls-name=x.test",
            "--tls-expired",
            "--tls-ca-file",
            "/tmp/ca.pem",
        ])
        .ok()
        .flatten()
        .expect("valid flags");
        let named = named.tls.expect("tls implied");
        assert_eq!(named.names, ["other.example", "x.test"]);
        assert!(named.expired);
        assert_eq!(named.ca_file.as_deref(), Some(std::path::Path::new("/tmp/ca.pem")));
    }
}
