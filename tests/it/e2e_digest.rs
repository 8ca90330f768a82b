//! End-to-end: one Digest challenge per provider process, whatever Terraform's parallelism.
//!
//! Terraform starts a fresh provider process for each walk of a command that talks to Atlas
//! (the plan walk refreshes, the apply walk creates or deletes), and each process answers one
//! `401` challenge; concurrent first requests wait for it instead of each fetching their own.

use crate::support::World;

fn org_keys(world: &World, count: usize) -> String {
    let org = world.org_id();
    format!(
        "resource \"mongodbatlas_api_key\" \"k\" {{\n  count       = {count}\n  org_id      = \"{org}\"\n  description = \"digest-${{count.index}}\"\n  role_names  = [\"ORG_MEMBER\"]\n}}\n"
    )
}

/// (401 challenges, all Atlas requests) in the log since the last clear, then clears it.
fn counts(world: &World) -> (usize, usize) {
    let requests = world.requests();
    let atlas: Vec<_> = requests
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/api/atlas")))
        .collect();
    let challenges = atlas.iter().filter(|r| r["status"] == 401).count();
    world.clear_requests();
    (challenges, atlas.len())
}

fn run_ok(world: &World, args: &[&str]) {
    let run = world.terraform(args);
    assert_eq!(run.code, 0, "terraform {args:?} failed:\n{}", run.output());
}

#[test]
fn ten_keys_measure() {
    let world = World::new();
    world.write(&org_keys(&world, 10));
    world.clear_requests();
    run_ok(
        &world,
        &["apply", "-auto-approve", "-no-color", "-input=false", "-parallelism=10"],
    );
    let apply = counts(&world);
    run_ok(&world, &["plan", "-no-color", "-input=false", "-parallelism=10"]);
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
    eprintln!("MEASURE apply {apply:?} plan {plan:?} destroy {destroy:?}");
}
