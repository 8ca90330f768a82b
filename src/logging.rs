//! Provider logs as hclog JSON lines on stderr, the form go-plugin re-logs at their level.
//!
//! go-plugin reads the plugin's stderr line by line; a JSON line with `@level`, `@message`
//! and `@timestamp` shows up in Terraform's log under `provider.terraform-provider-mongodbatlas`
//! at that level (`TF_LOG`, `TF_LOG_PROVIDER`, `TF_LOG_PATH`). The level we emit at comes
//! from `TF_LOG_PROVIDER`, else `TF_LOG`, else warnings only ([`filter_from_env`]). That level
//! applies to the provider's own lines; the libraries under it (HTTP, TLS, HTTP/2, gRPC,
//! connection pools) log only their warnings and errors, unless `TF_LOG_PROVIDER=trace` or
//! `MONGODB_ATLAS_LOG_FILTER` (`target=level,...`, such as `hyper=debug,rustls=trace`) asks
//! for more: at `TF_LOG=debug` a reader sees what the provider did, not how each byte moved.
//! Nothing here ever sees a
//! secret: the client logs method, path, status, attempt and duration, never headers or bodies.
//! Each message and field is cut after 4,096 characters, so no input makes a line huge.

use std::io::Write as _;
use time::OffsetDateTime;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

use crate::value::truncate;

/// Installs the stderr JSON logger for the provider process.
pub fn init() {
    let filter = filter_from_env(
        std::env::var("TF_LOG_PROVIDER").ok(),
        std::env::var("TF_LOG").ok(),
        std::env::var(FILTER_ENV).ok(),
    );
    let _ = tracing_subscriber::registry()
        .with(HclogLayer.with_filter(filter))
        .try_init();
    if let Some(problem) = std::env::var(FILTER_ENV).ok().and_then(|text| filter_problem(&text)) {
        tracing::warn!("{FILTER_ENV} is ignored: {problem}");
    }
}

/// Why [`FILTER_ENV`]'s value cannot be used, if it cannot (tracing's `Targets` syntax:
/// `target=level` or `level`, comma separated); the message quotes the value, cut short.
pub fn filter_problem(text: &str) -> Option<String> {
    let error = text.parse::<Targets>().err()?;
    Some(format!(
        "{:?} is not a list of target=level directives (such as hyper=debug,rustls=trace): {error}",
        truncate(text, 200)
    ))
}

/// The variable naming extra `target=level` directives (tracing's `Targets` syntax, comma
/// separated), for a reader who wants one library's lines without `TF_LOG_PROVIDER=trace`.
pub const FILTER_ENV: &str = "MONGODB_ATLAS_LOG_FILTER";

/// The event target prefix of the provider's own lines (library and binary alike).
const OWN_TARGET: &str = "terraform_provider_mongodbatlas";

/// What gets logged, from `TF_LOG_PROVIDER`, `TF_LOG` and [`FILTER_ENV`]:
/// - the provider's own targets at the level of `TF_LOG_PROVIDER`, else `TF_LOG` ([`level_from_env`]);
/// - every other target (hyper, hyper_util, reqwest, rustls, h2, tonic, tower, ...) at that
///   level but no more verbose than warnings, except that `TF_LOG_PROVIDER=trace` (this
///   provider's trace, not Terraform-wide `TF_LOG=trace`) lets them all through;
/// - then each directive of [`FILTER_ENV`], which wins for the targets it names (an
///   unparsable value is ignored, with a warning from [`init`]: logging never stops the provider).
pub fn filter_from_env(tf_log_provider: Option<String>, tf_log: Option<String>, directives: Option<String>) -> Targets {
    let provider_trace = tf_log_provider
        .as_deref()
        .is_some_and(|value| level_from_env(Some(value.to_owned())) == LevelFilter::TRACE);
    let level = level_from_env(tf_log_provider.or(tf_log));
    let libraries = if provider_trace {
        level
    } else {
        level.min(LevelFilter::WARN)
    };
    let mut filter = Targets::new().with_default(libraries).with_target(OWN_TARGET, level);
    if let Some(extra) = directives.and_then(|text| text.parse::<Targets>().ok()) {
        filter = filter.with_targets(extra);
    }
    filter
}

/// The level filter for a `TF_LOG`-style value; unset or unknown means warnings only.
pub fn level_from_env(value: Option<String>) -> LevelFilter {
    match value.unwrap_or_default().trim().to_ascii_lowercase().as_str() {
        "trace" | "json" | "1" => LevelFilter::TRACE,
        "debug" => LevelFilter::DEBUG,
        "info" => LevelFilter::INFO,
        "error" => LevelFilter::ERROR,
        "off" => LevelFilter::OFF,
        _ => LevelFilter::WARN,
    }
}

struct HclogLayer;

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn on_event(&self, event: &Event<'_>, _cx: Context<'_, S>) {
        let line = format_event(event.metadata().level(), event.metadata().target(), |visitor| {
            event.record(visitor)
        });
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(line.as_bytes());
    }
}

/// One hclog JSON line (with its newline) for an event.
fn format_event(level: &Level, target: &str, record: impl FnOnce(&mut FieldVisitor)) -> String {
    let mut visitor = FieldVisitor::default();
    record(&mut visitor);
    let mut object = serde_json::Map::new();
    object.insert("@level".into(), level.as_str().to_ascii_lowercase().into());
    object.insert("@message".into(), visitor.message.unwrap_or_default().into());
    // Lines of libraries that log through the `log` crate (rustls) arrive with the target
    // `log` and their own in `log.target`: name them by their own.
    let target = match visitor.fields.iter().find(|(key, _)| key == "log.target") {
        Some((_, own)) if target == "log" => own.as_str(),
        _ => target,
    };
    object.insert("@module".into(), format!("provider.{target}").into());
    object.insert("@timestamp".into(), rfc3339_now().into());
    for (key, value) in visitor.fields {
        object.insert(key, value.into());
    }
    let mut line = serde_json::Value::Object(object).to_string();
    line.push('\n');
    line
}

#[derive(Default)]
struct FieldVisitor {
    message: Option<String>,
    fields: Vec<(String, String)>,
}

impl Visit for FieldVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record(field, format!("{value:?}"));
    }
}

/// Most characters of one log field (or message); longer ones are cut, so a log line stays
/// bounded whatever input an error or value carries.
const FIELD_MAX_CHARS: usize = 4_096;

impl FieldVisitor {
    fn record(&mut self, field: &Field, value: String) {
        let value = match truncate(&value, FIELD_MAX_CHARS) {
            std::borrow::Cow::Borrowed(_) => value,
            std::borrow::Cow::Owned(cut) => cut,
        };
        if field.name() == "message" {
            self.message = Some(value);
        } else {
            self.fields.push((field.name().to_string(), value));
        }
    }
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
fn rfc3339_now() -> String {
    rfc3339(OffsetDateTime::now_utc())
}

fn rfc3339(at: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339() {
        let at = |micros: i128| OffsetDateTime::from_unix_timestamp_nanos(micros * 1_000).unwrap();
        assert_eq!(rfc3339(at(0)), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339(at(1_795_305_600_000_005)), "2026-11-22T00:00:00.000005Z");
        assert_eq!(rfc3339(at(951_782_400_000_000)), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn levels_follow_tf_log() {
        assert_eq!(level_from_env(Some("TRACE".into())), LevelFilter::TRACE);
        assert_eq!(level_from_env(Some("debug".into())), LevelFilter::DEBUG);
        assert_eq!(level_from_env(None), LevelFilter::WARN);
        assert_eq!(level_from_env(Some("nonsense".into())), LevelFilter::WARN);
    }

    /// Formats events the way `HclogLayer` does, into a list instead of stderr.
    struct Capture(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

    impl<S: Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &Event<'_>, _cx: Context<'_, S>) {
            let line = format_event(event.metadata().level(), event.metadata().target(), |visitor| {
                event.record(visitor)
            });
            if let Ok(mut lines) = self.0.lock() {
                lines.push(line);
            }
        }
    }

    #[test]
    fn long_fields_and_messages_are_cut() {
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(std::sync::Arc::clone(&lines)));
        let huge = "e".repeat(1 << 20);
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(error = %huge, "failed");
            tracing::warn!(detail = ?huge, "{huge}");
        });
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 2);
        for line in lines.iter() {
            assert!(line.len() < 2 * FIELD_MAX_CHARS + 400, "{} bytes", line.len());
            assert!(line.contains("(1048576 characters)"), "{line}");
        }
        assert!(lines[1].contains("(1048578 characters)"), "the Debug form has quotes");
    }

    #[test]
    fn libraries_log_only_warnings_unless_the_provider_is_traced_or_asked() {
        use tracing::Level as L;
        let on = |filter: &Targets, target: &str, level: L| filter.would_enable(target, &level);
        let own = "terraform_provider_mongodbatlas::atlas::client";
        let libraries = [
            "hyper_util::client::legacy::pool",
            "h2::codec",
            "rustls::client",
            "tonic::transport",
            "reqwest::connect",
            "tower::buffer",
        ];

        let debug = filter_from_env(None, Some("debug".into()), None);
        assert!(on(&debug, own, L::DEBUG) && !on(&debug, own, L::TRACE));
        assert!(
            on(&debug, "terraform_provider_mongodbatlas", L::DEBUG),
            "the binary's own lines"
        );
        for library in libraries {
            assert!(
                !on(&debug, library, L::DEBUG) && !on(&debug, library, L::INFO),
                "{library}"
            );
            assert!(on(&debug, library, L::WARN), "{library} warnings still show");
        }
        // Terraform-wide trace keeps the libraries quiet; the provider's own trace does not.
        let tf_trace = filter_from_env(None, Some("trace".into()), None);
        assert!(on(&tf_trace, own, L::TRACE) && !on(&tf_trace, "hyper::proto", L::DEBUG));
        let provider_trace = filter_from_env(Some("TRACE".into()), Some("info".into()), None);
        for library in libraries {
            assert!(on(&provider_trace, library, L::TRACE), "{library}");
        }
        // TF_LOG_PROVIDER wins over TF_LOG for the provider's own level.
        let provider_info = filter_from_env(Some("info".into()), Some("trace".into()), None);
        assert!(on(&provider_info, own, L::INFO) && !on(&provider_info, own, L::DEBUG));
        // An explicit filter asks for one library; a bad one is ignored.
        let asked = filter_from_env(None, Some("debug".into()), Some("hyper=debug".into()));
        assert!(on(&asked, "hyper::proto::h1", L::DEBUG) && !on(&asked, "h2::codec", L::DEBUG));
        assert!(on(&asked, own, L::DEBUG));
        let bad = filter_from_env(None, Some("debug".into()), Some("=,=nonsense=".into()));
        assert!(on(&bad, own, L::DEBUG) && !on(&bad, "hyper::proto", L::DEBUG));
        // ... and named, so a reader learns why the asked-for lines are missing.
        let problem = filter_problem("hyper=loud").expect("an unknown level is a problem");
        assert!(
            problem.starts_with("\"hyper=loud\" is not a list of target=level directives"),
            "{problem}"
        );
        assert_eq!(filter_problem("hyper=debug,rustls=trace"), None);
        let long = filter_problem(&"=".repeat(100_000)).expect("garbage is a problem");
        assert!(long.len() < 600, "{} bytes", long.len());
        // Unset means warnings only, for everyone; off means nothing.
        let unset = filter_from_env(None, None, None);
        assert!(on(&unset, own, L::WARN) && !on(&unset, own, L::INFO));
        let off = filter_from_env(None, Some("off".into()), None);
        assert!(!on(&off, own, L::ERROR) && !on(&off, "hyper", L::ERROR));
    }

    #[test]
    fn lines_from_the_log_crate_are_named_by_their_own_target() {
        let line = format_event(&Level::DEBUG, "log", |visitor| {
            visitor.fields.push(("log.target".into(), "rustls::client::hs".into()));
        });
        let parsed: serde_json::Value = serde_json::from_str(line.trim_end()).unwrap();
        assert_eq!(parsed["@module"], "provider.rustls::client::hs");
        let plain = format_event(&Level::DEBUG, "h2::codec", |_| {});
        let parsed: serde_json::Value = serde_json::from_str(plain.trim_end()).unwrap();
        assert_eq!(parsed["@module"], "provider.h2::codec");
    }

    #[test]
    fn lines_are_hclog_json() {
        let line = format_event(&Level::DEBUG, "terraform_provider_mongodbatlas::atlas", |_| {});
        let parsed: serde_json::Value = serde_json::from_str(line.trim_end()).unwrap();
        assert_eq!(parsed["@level"], "debug");
        assert!(parsed["@timestamp"].as_str().unwrap().ends_with('Z'));
        assert!(line.ends_with('\n'));
    }
}
