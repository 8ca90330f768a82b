//! End-to-end: one Digest challenge per provider process, whatever Terraform's parallelism.
//!
//! Terraform starts a provider process for each graph walk of a command: `apply` of new
//! resources calls Atlas only in its apply walk (planning a create reads nothing), `plan`
//! only in its refresh, `destroy` in both its refresh and its apply walk. Each process that
//! calls Atlas answers exactly one `401` challenge: its concurrent first requests wait for the
//! one that fetches it instead of each fetching their own.

use crate::support::World;

const KEYS: usize = 20;

fn org_keys(world: &World, count: usize) -> String {
    let org = world.org_id();
    format!(
        "resource \"mongodbatlas_api_key\" \"k\" {{\n  count       = {count}\n  org_id      = \"{org}\"\n  description = \"digest-${{count.index}}\"\n  role_names  = [\"ORG_MEMBER\"]\n}}\n"
    )
}

/// Requests to Atlas since the last clear, counted by outcome, then clears the log.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    /// `401` challenges.
    challenges: usize,
    gets: usize,
    posts: usize,
    deletes: usize,
    /// Everything, challenges included.
    total: usize,
}

fn counts(world: &World) -> Counts {
    let requests = world.requests();
    let atlas: Vec<_> = requests
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/api/atlas")))
        .collect();
    let answered = |method: &str| {
        atlas
            .iter()
            .filter(|r| r["status"] != 401 && r["method"] == method)
            .count()
    };
    let counts = Counts {
        challenges: atlas.iter().filter(|r| r["status"] == 401).count(),
        gets: answered("GET"),
        posts: answered("POST"),
        deletes: answered("DELETE"),
        total: atlas.len(),
    };
    world.clear_requests();
    counts
}

fn run_ok(world: &World, args: &[&str]) {
    let run = world.terraform(args);
    assert_eq!(run.code, 0, "terraform {args:?} failed:\n{}", run.output());
}

/// What the `TF_LOG=debug` log at `path` says about provider processes since the last call:
/// (processes started, HTTP clients built, Digest challenges answered); then empties the log.
fn processes(path: &std::path::Path) -> (usize, usize, usize) {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    std::fs::write(path, "").expect("empty the log");
    let count = |needle: &str| log.lines().filter(|line| line.contains(needle)).count();
    (
        count("provider: plugin started: path="),
        count("provider.terraform-provider-mongodbatlas: atlas http client built"),
        count("provider.terraform-provider-mongodbatlas: digest challenge:"),
    )
}

#[test]
fn twenty_keys_at_parallelism_ten_cost_one_challenge_and_one_http_client_per_process_that_calls_atlas() {
    let mut world = World::new();
    let log = world.dir.path().join("debug.log");
    world.set_env("TF_LOG", "debug");
    world.set_env("TF_LOG_PATH", log.to_str().expect("utf-8 path"));
    world.write(&org_keys(&world, KEYS));
    world.clear_requests();

    let parallel = ["-no-color", "-input=false", "-parallelism=10"];
    run_ok(&world, &["validate", "-no-color"]);
    let validate = (counts(&world), processes(&log));
    run_ok(&world, &[&["apply", "-auto-approve"][..], &parallel].concat());
    let apply = (counts(&world), processes(&log));
    run_ok(&world, &[&["plan", "-detailed-exitcode"][..], &parallel].concat());
    let plan = (counts(&world), processes(&log));
    run_ok(&world, &[&["destroy", "-auto-approve"][..], &parallel].concat());
    let destroy = (counts(&world), processes(&log));
    eprintln!(
        "{KEYS} keys at -parallelism=10, (requests, (processes, http clients built, challenges)): \
         validate {validate:?}, apply {apply:?}, plan {plan:?}, destroy {destroy:?}"
    );
    // Processes that never call Atlas never build an HTTP client (nor load the trust store);
    // each one that does builds one and answers one challenge.
    assert_eq!(validate.0.total, 0, "validate calls nothing");
    assert_eq!((validate.1 .1, validate.1 .2), (0, 0), "validate: {validate:?}");
    assert!(validate.1 .0 >= 1, "{validate:?}");
    for (command, (requests, (started, built, challenged))) in
        [("apply", &apply), ("plan", &plan), ("destroy", &destroy)]
    {
        assert_eq!(
            *built, requests.challenges,
            "{command}: one client per process that calls Atlas"
        );
        assert_eq!(
            *challenged, requests.challenges,
            "{command}: one challenge per process that calls Atlas"
        );
        assert!(*started > *built, "{command}: more processes start than call Atlas");
    }
    let (apply, plan, destroy) = (apply.0, plan.0, destroy.0);

    // Apply: one process (the apply walk) creates every key.
    let expected = Counts {
        challenges: 1,
        gets: 0,
        posts: KEYS,
        deletes: 0,
        total: KEYS + 1,
    };
    assert_eq!(apply, expected, "apply");
    // Plan: one process refreshes every key from one listing of the organization's keys.
    let expected = Counts {
        challenges: 1,
        gets: 1,
        posts: 0,
        deletes: 0,
        total: 2,
    };
    assert_eq!(plan, expected, "plan");
    // Destroy: the refresh (one listing) and the apply walk are two processes.
    let expected = Counts {
        challenges: 2,
        gets: 1,
        posts: 0,
        deletes: KEYS,
        total: KEYS + 3,
    };
    assert_eq!(destroy, expected, "destroy");
    assert!(world.key_ids_described("digest-").is_empty());
}
