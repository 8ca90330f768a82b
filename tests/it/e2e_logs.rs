//! End-to-end: what a reader of `TF_LOG=debug` sees from the provider. The provider's own
//! lines only (no HTTP, TLS, HTTP/2, gRPC or pool library lines), one info line per create,
//! update, delete and import, and the Digest challenge as a debug line; the libraries speak
//! at `TF_LOG_PROVIDER=trace`.

use crate::support::World;

/// Terraform's log lines that came from our provider process.
fn provider_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|line| line.contains(" provider.terraform-provider-mongodbatlas: "))
        .collect()
}

/// The module (event target) of a provider line, such as `terraform_provider_mongodbatlas::atlas::client`.
fn module(line: &str) -> &str {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix("@module=provider."))
        .unwrap_or("")
}

const LIBRARIES: [&str; 9] = [
    "hyper",
    "hyper_util",
    "reqwest",
    "rustls",
    "h2",
    "tonic",
    "tower",
    "log",
    "tokio_rustls",
];

fn is_library(module: &str) -> bool {
    LIBRARIES
        .iter()
        .any(|library| module == *library || module.starts_with(&format!("{library}::")))
}

/// The emulator's credentials appear nowhere in `log`.
fn assert_no_secrets(world: &World, log: &str) {
    let seed = &world.emulator.seed;
    for secret in [seed.private_key.as_str(), seed.client_secret.as_str()] {
        assert!(
            !secret.is_empty() && !log.contains(secret),
            "a secret leaked into the log"
        );
    }
}

fn key_hcl(org: &str, description: &str) -> String {
    format!(
        "resource \"mongodbatlas_api_key\" \"logged\" {{\n  org_id      = \"{org}\"\n  description = \"{description}\"\n  role_names  = [\"ORG_READ_ONLY\"]\n}}\n"
    )
}

#[test]
fn at_debug_only_the_providers_own_lines_with_one_info_line_per_change() {
    let mut world = World::new();
    let log_path = world.dir.path().join("debug.log");
    world.set_env("TF_LOG", "debug");
    world.set_env("TF_LOG_PATH", log_path.to_str().expect("utf-8 path"));
    world.unset_env("TF_LOG_PROVIDER");
    world.unset_env("MONGODB_ATLAS_LOG_FILTER");
    let org = world.org_id();
    world.write(&key_hcl(&org, "logged"));
    world.apply();
    let key_id = world.resource_values("mongodbatlas_api_key.logged")["api_key_id"]
        .as_str()
        .expect("api_key_id")
        .to_owned();
    world.write(&key_hcl(&org, "logged again"));
    world.apply();
    let removed = world.terraform(&["state", "rm", "mongodbatlas_api_key.logged"]);
    assert_eq!(removed.code, 0, "{}", removed.output());
    let import_id = format!("{org}-{key_id}");
    let imported = world.terraform(&["import", "-no-color", "mongodbatlas_api_key.logged", &import_id]);
    assert_eq!(imported.code, 0, "{}", imported.output());
    let destroy = world.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(destroy.code, 0, "{}", destroy.output());

    let log = std::fs::read_to_string(&log_path).expect("debug log");
    let lines = provider_lines(&log);
    eprintln!(
        "TF_LOG=debug, apply + update + import + destroy of one key: {} provider lines",
        lines.len()
    );
    assert!(!lines.is_empty(), "the log covers the provider");
    for line in &lines {
        let module = module(line);
        assert!(
            module.starts_with("terraform_provider_mongodbatlas"),
            "a library line at TF_LOG=debug: {line}"
        );
    }
    // The type's `id`: `<org_id>-<api_key_id>`, also the import ID.
    let id = import_id.as_str();
    for operation in ["create", "update", "import", "delete"] {
        let found: Vec<&&str> = lines
            .iter()
            .filter(|line| {
                line.contains(&format!(
                    "[INFO]  provider.terraform-provider-mongodbatlas: mongodbatlas_api_key {operation} done:"
                ))
            })
            .collect();
        assert_eq!(found.len(), 1, "one info line for the {operation}: {found:#?}");
        let line = found[0];
        assert!(line.contains(&format!(" id={id}")), "{line}");
        assert!(line.contains(" resource=mongodbatlas_api_key"), "{line}");
        assert!(line.contains(&format!(" operation={operation}")), "{line}");
        assert!(line.contains(" duration_ms="), "{line}");
    }
    // Each provider process meets one Digest challenge: a debug line saying so, never a
    // warning or an error.
    assert!(
        lines
            .iter()
            .any(|line| line.contains("[DEBUG] provider.terraform-provider-mongodbatlas: digest challenge:")),
        "the challenge is logged at debug"
    );
    assert!(
        !lines
            .iter()
            .any(|line| line.contains("[WARN]") || line.contains("[ERROR]")),
        "nothing failed: {lines:#?}"
    );
    assert_no_secrets(&world, &log);
}

#[test]
fn at_provider_trace_the_libraries_speak_too() {
    let mut world = World::new();
    let log_path = world.dir.path().join("trace.log");
    world.set_env("TF_LOG_PROVIDER", "trace");
    world.set_env("TF_LOG_PATH", log_path.to_str().expect("utf-8 path"));
    world.unset_env("MONGODB_ATLAS_LOG_FILTER");
    let org = world.org_id();
    world.write(&key_hcl(&org, "traced"));
    world.apply();
    let log = std::fs::read_to_string(&log_path).expect("trace log");
    let lines = provider_lines(&log);
    let libraries: Vec<&str> = lines
        .iter()
        .map(|line| module(line))
        .filter(|m| is_library(m))
        .collect();
    assert!(!libraries.is_empty(), "library lines at TF_LOG_PROVIDER=trace");
    assert!(
        lines
            .iter()
            .any(|line| module(line).starts_with("terraform_provider_mongodbatlas")),
        "and the provider's own"
    );
    assert_no_secrets(&world, &log);
}

#[test]
fn an_explicit_filter_asks_for_named_libraries_at_debug() {
    let mut world = World::new();
    let log_path = world.dir.path().join("filtered.log");
    world.set_env("TF_LOG", "debug");
    world.set_env("TF_LOG_PATH", log_path.to_str().expect("utf-8 path"));
    world.unset_env("TF_LOG_PROVIDER");
    world.set_env("MONGODB_ATLAS_LOG_FILTER", "h2=debug,rustls=debug");
    let org = world.org_id();
    world.write(&key_hcl(&org, "filtered"));
    world.apply();
    let log = std::fs::read_to_string(&log_path).expect("log");
    let modules: Vec<&str> = provider_lines(&log).into_iter().map(module).collect();
    assert!(
        modules.iter().any(|m| m.starts_with("h2::")),
        "h2 asked for: {modules:?}"
    );
    // rustls logs through the `log` crate; its lines carry its own target all the same.
    assert!(
        modules.iter().any(|m| m.starts_with("rustls::")),
        "rustls asked for: {modules:?}"
    );
    assert!(
        !modules
            .iter()
            .any(|m| is_library(m) && !m.starts_with("h2::") && !m.starts_with("rustls::")),
        "only h2 and rustls among the libraries: {modules:?}"
    );
}
