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

#[test]
fn twenty_keys_at_parallelism_ten_cost_one_challenge_per_provider_process() {
    let world = World::new();
    world.write(&org_keys(&world, KEYS));
    world.clear_requests();

    run_ok(
        &world,
        &["apply", "-auto-approve", "-no-color", "-input=false", "-parallelism=10"],
    );
    let apply = counts(&world);
    run_ok(
        &world,
        &[
            "plan",
            "-detailed-exitcode",
            "-no-color",
            "-input=false",
            "-parallelism=10",
        ],
    );
    let plan = counts(&world);
    run_ok(
        &world,
        &[
            "destroy",
            "-auto-approve",
            "-no-color",
            "-input=false",
            "-parallelism=10",
        ],
    );
    let destroy = counts(&world);
    eprintln!("{KEYS} keys at -parallelism=10: apply {apply:?}, plan {plan:?}, destroy {destroy:?}");

    // Apply: one process (the apply walk) creates every key.
    let expected = Counts {
        challenges: 1,
        gets: 0,
        posts: KEYS,
        deletes: 0,
        total: KEYS + 1,
    };
    assert_eq!(apply, expected, "apply");
    // Plan: one process refreshes every key; nothing changed.
    let expected = Counts {
        challenges: 1,
        gets: KEYS,
        posts: 0,
        deletes: 0,
        total: KEYS + 1,
    };
    assert_eq!(plan, expected, "plan");
    // Destroy: the refresh and the apply walk are two processes.
    let expected = Counts {
        challenges: 2,
        gets: KEYS,
        posts: 0,
        deletes: KEYS,
        total: 2 * KEYS + 2,
    };
    assert_eq!(destroy, expected, "destroy");
    assert!(world.key_ids_described("digest-").is_empty());
}
