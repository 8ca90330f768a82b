//! No key is ever lost or shared: creates whose answers are lost, with inputs that defeat
//! heuristics (equal descriptions, the emulator's random id tails) and Ctrl-C, through the real
//! `terraform`. Every scenario counts keys that Atlas holds but neither the state nor an error
//! names (orphans) and keys that two resources hold (shared), and expects 0 and 0.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{finish, interrupt, Run, World};

/// Keys held by more than one resource in the state.
fn shared(ids: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    ids.iter().filter(|id| !seen.insert(id.as_str())).cloned().collect()
}

/// Keys Atlas holds that are neither in `state` nor named in `output`.
fn orphans(atlas: &[String], state: &[String], output: &str) -> Vec<String> {
    atlas
        .iter()
        .filter(|id| !state.contains(id) && !output.contains(id.as_str()))
        .cloned()
        .collect()
}

fn org_keys(world: &World, count: usize, name: &str, description: &str) -> String {
    let org = world.org_id();
    format!(
        "resource \"mongodbatlas_api_key\" \"{name}\" {{\n  count       = {count}\n  org_id      = \"{org}\"\n  description = \"{description}\"\n  role_names  = [\"ORG_MEMBER\"]\n}}\n"
    )
}

fn project_keys(world: &World, count: usize, name: &str, description: &str) -> String {
    let p0 = world.project_id(0);
    format!(
        "resource \"mongodbatlas_project_api_key\" \"{name}\" {{\n  count       = {count}\n  project_id  = \"{p0}\"\n  description = \"{description}\"\n  role_names  = [\"GROUP_READ_ONLY\"]\n}}\n"
    )
}

fn ai_keys(world: &World, count: usize, name: &str, key_name: &str) -> String {
    let p0 = world.project_id(0);
    format!(
        "resource \"mongodbatlas_ai_model_api_key\" \"{name}\" {{\n  count      = {count}\n  project_id = \"{p0}\"\n  name       = \"{key_name}\"\n}}\n"
    )
}

fn destroy(world: &World) {
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "destroy failed:\n{}", run.output());
}

#[test]
fn a_create_refused_before_processing_never_adopts_the_siblings_key() {
    let world = World::new();
    let p0 = world.project_id(0);
    world.write(&format!(
        "{}{}{}",
        org_keys(&world, 2, "same", "twin"),
        project_keys(&world, 2, "same", "twin-project"),
        ai_keys(&world, 2, "same", "twin-ai"),
    ));
    // The first create of each type is refused with a 503 before Atlas processes it; its sibling,
    // with equal attributes, is created. Recovery must not take the sibling's key.
    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 503, "method": "POST", "path_contains": "/orgs/", "times": 1},
        {"kind": "fail", "status": 503, "method": "POST", "path_contains": format!("/groups/{p0}/apiKeys"), "times": 1},
        {"kind": "fail", "status": 503, "method": "POST", "path_contains": "/aiModelApiKeys", "times": 1},
    ]}));
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let output = run.output();
    let state = world.state_key_ids();
    let atlas: Vec<String> = [world.key_ids_described("twin"), world.ai_key_ids_named("twin-ai")].concat();
    eprintln!(
        "equal twins, one create of each type refused with 503: exit {}, {} keys in Atlas, {} resources tracked, {} \
         orphans, {} shared",
        run.code,
        atlas.len(),
        state.len(),
        orphans(&atlas, &state, &output).len(),
        shared(&state).len()
    );
    assert_eq!(run.code, 1, "the refused creates fail the apply:\n{output}");
    assert_eq!(
        output.matches("Atlas may have created it").count(),
        3,
        "one error per refused create:\n{output}"
    );
    assert!(output.contains("found no API key"), "{output}");
    assert!(output.contains("found no project API key"), "{output}");
    assert!(output.contains("found no AI model API key"), "{output}");
    let state = world.state_key_ids();
    assert_eq!(state.len(), 3, "one resource of each type is tracked: {state:?}");
    assert!(shared(&state).is_empty(), "no key is held twice: {state:?}");
    let atlas: Vec<String> = [world.key_ids_described("twin"), world.ai_key_ids_named("twin-ai")].concat();
    assert_eq!(atlas.len(), 3, "Atlas holds the three keys that were made");
    assert!(orphans(&atlas, &state, &output).is_empty());

    // Applying again creates the three missing keys: six distinct keys, all tracked.
    world.set_faults(json!({"rules": []}));
    world.apply();
    let state = world.state_key_ids();
    assert_eq!(state.len(), 6, "{state:?}");
    assert!(shared(&state).is_empty(), "no key is held twice: {state:?}");
    assert_eq!(world.key_ids_described("twin").len(), 4);
    assert_eq!(world.ai_key_ids_named("twin-ai").len(), 2);
    world.assert_converged();
    destroy(&world);
    assert!(world.key_ids_described("twin").is_empty());
    assert!(world.ai_key_ids_named("twin-ai").is_empty());
}

#[test]
fn thirty_equal_keys_processed_then_answered_500_leave_no_orphan_and_no_shared_key() {
    let world = World::new();
    world.write(&org_keys(&world, 30, "many", "equal"));
    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 500, "phase": "after", "method": "POST", "path_contains": "/apiKeys"},
    ]}));
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false", "-parallelism=10"]);
    let output = run.output();
    let state = world.state_key_ids();
    let atlas = world.key_ids_described("equal");
    let (orphaned, doubled) = (orphans(&atlas, &state, &output), shared(&state));
    eprintln!(
        "30 equal keys, every create answered 500 after processing: exit {}, {} keys in Atlas, {} resources in state, \
         {} orphans, {} shared",
        run.code,
        atlas.len(),
        state.len(),
        orphaned.len(),
        doubled.len()
    );
    assert_ne!(run.code, 0, "undecided recoveries are errors:\n{output}");
    assert!(
        orphaned.is_empty(),
        "keys neither tracked nor named: {orphaned:?}\n{output}"
    );
    assert!(doubled.is_empty(), "keys held by two resources: {doubled:?}");
    assert!(
        output.contains("terraform import <this resource's address>"),
        "the errors say how to import:\n{output}"
    );
    destroy(&world);
    let left = world.key_ids_described("equal");
    assert_eq!(
        left.len(),
        atlas.len().saturating_sub(state.len()),
        "destroy removes every tracked key; the untracked ones were named in errors"
    );
}

#[test]
fn project_and_ai_keys_processed_then_answered_500_leave_no_orphan_and_no_shared_key() {
    let world = World::new();
    world.write(&format!(
        "{}{}",
        project_keys(&world, 8, "many", "equal-project"),
        ai_keys(&world, 8, "many", "equal-ai")
    ));
    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 500, "phase": "after", "method": "POST", "path_contains": "/apiKeys"},
        {"kind": "close", "phase": "after", "method": "POST", "path_contains": "/aiModelApiKeys"},
    ]}));
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false", "-parallelism=10"]);
    let output = run.output();
    let state = world.state_key_ids();
    let atlas = [
        world.key_ids_described("equal-project"),
        world.ai_key_ids_named("equal-ai"),
    ]
    .concat();
    assert_ne!(run.code, 0, "undecided recoveries are errors:\n{output}");
    assert!(!atlas.is_empty());
    assert!(orphans(&atlas, &state, &output).is_empty(), "{output}");
    assert!(shared(&state).is_empty(), "{state:?}");
    destroy(&world);
}

/// Waits until the emulator logged a request for which `seen` holds, or panics after 60 s.
fn wait_for_request(world: &World, what: &str, seen: impl Fn(&serde_json::Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !world.requests().iter().any(&seen) {
        assert!(Instant::now() < deadline, "no {what} reached the emulator");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn is_failed_create(request: &serde_json::Value) -> bool {
    request["method"] == "POST" && request["status"].as_u64().is_some_and(|status| status >= 500)
}

#[test]
fn ctrl_c_during_the_lookup_of_a_lost_create_keeps_the_key_tracked() {
    let world = World::new();
    let org = world.org_id();
    let p0 = world.project_id(0);
    world.write(&format!(
        "{}{}{}",
        org_keys(&world, 1, "one", "interrupted"),
        project_keys(&world, 1, "one", "interrupted-project"),
        ai_keys(&world, 1, "one", "interrupted-ai")
    ));
    // Every create is processed and answered 500; the listings the lookups need take 3 s, and
    // Ctrl-C arrives while they run.
    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 500, "phase": "after", "method": "POST", "path_contains": "/apiKeys"},
        {"kind": "fail", "status": 500, "phase": "after", "method": "POST", "path_contains": "/aiModelApiKeys"},
        {"kind": "delay", "delay_ms": 3000, "method": "GET", "path_contains": format!("/orgs/{org}/apiKeys")},
        {"kind": "delay", "delay_ms": 3000, "method": "GET", "path_contains": format!("/groups/{p0}/apiKeys")},
        {"kind": "delay", "delay_ms": 3000, "method": "GET", "path_contains": "/aiModelApiKeys"},
    ]}));
    let child = world.spawn_terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    wait_for_request(&world, "failed create", is_failed_create);
    interrupt(&child);
    let run: Run = finish(child);
    let output = run.output();
    let state = world.state_key_ids();
    let atlas = [
        world.key_ids_described("interrupted"),
        world.ai_key_ids_named("interrupted-ai"),
    ]
    .concat();
    assert!(output.contains("Interrupt received"), "terraform saw Ctrl-C:\n{output}");
    assert!(!atlas.is_empty(), "at least one create was processed");
    assert!(
        orphans(&atlas, &state, &output).is_empty(),
        "{atlas:?} {state:?}\n{output}"
    );
    assert!(shared(&state).is_empty());
    // The single key of each type whose create was sent is adopted, not abandoned.
    for id in &atlas {
        assert!(state.contains(id), "{id} was adopted despite Ctrl-C:\n{output}");
    }
    world.set_faults(json!({"rules": []}));
    destroy(&world);
    assert!(world.key_ids_described("interrupted").is_empty());
}

#[test]
fn ctrl_c_in_the_middle_of_thirty_lost_creates_leaves_no_orphan() {
    let world = World::new();
    let org = world.org_id();
    world.write(&org_keys(&world, 30, "many", "stopped"));
    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 500, "phase": "after", "method": "POST", "path_contains": "/apiKeys"},
        {"kind": "delay", "delay_ms": 500, "method": "GET", "path_contains": format!("/orgs/{org}/apiKeys")},
    ]}));
    let child = world.spawn_terraform(&["apply", "-auto-approve", "-no-color", "-input=false", "-parallelism=10"]);
    wait_for_request(&world, "failed create", is_failed_create);
    interrupt(&child);
    let run = finish(child);
    let output = run.output();
    let state = world.state_key_ids();
    let atlas = world.key_ids_described("stopped");
    let orphaned = orphans(&atlas, &state, &output);
    eprintln!(
        "Ctrl-C during 30 lost creates: exit {}, {} keys in Atlas, {} tracked, {} orphans, {} shared",
        run.code,
        atlas.len(),
        state.len(),
        orphaned.len(),
        shared(&state).len()
    );
    assert!(output.contains("Interrupt received"), "terraform saw Ctrl-C:\n{output}");
    assert!(
        orphaned.is_empty(),
        "keys neither tracked nor named: {orphaned:?}\n{output}"
    );
    assert!(shared(&state).is_empty(), "{state:?}");
    world.set_faults(json!({"rules": []}));
    destroy(&world);
}

#[test]
fn creates_atlas_refused_look_for_nothing() {
    let world = World::new();
    let org = world.org_id();
    world.write(&format!(
        "provider \"mongodbatlas\" {{\n  alias       = \"impatient\"\n  base_url    = \"{}\"\n  max_retries = 0\n}}\n\
         resource \"mongodbatlas_api_key\" \"limited\" {{\n  provider    = mongodbatlas.impatient\n  org_id      = \"{org}\"\n  description = \"refused\"\n  role_names  = [\"ORG_MEMBER\"]\n}}\n",
        world.emulator.seed.base_url
    ));
    // A 429 is refused before processing: nothing was made, so there is nothing to look for.
    world.set_faults(json!({"rules": [
        {"kind": "rate_limit", "method": "POST", "path_contains": "/apiKeys", "retry_after_secs": 0},
    ]}));
    world.clear_requests();
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let output = run.output();
    assert_eq!(run.code, 1, "{output}");
    assert!(output.contains("429"), "{output}");
    assert!(!output.contains("Atlas may have created it"), "{output}");
    let listings: Vec<_> = world
        .requests()
        .into_iter()
        .filter(|r| r["method"] == "GET" && r["path"].as_str().is_some_and(|p| p.ends_with("/apiKeys")))
        .collect();
    assert!(listings.is_empty(), "no lookup after a refused create: {listings:?}");
    assert!(world.key_ids_described("refused").is_empty());
    assert!(world.state_key_ids().is_empty());
}

#[test]
fn a_key_made_elsewhere_two_seconds_earlier_is_never_adopted() {
    let world = World::new();
    world.write(&org_keys(&world, 1, "mine", "elsewhere"));
    // Another configuration with the same key applies first.
    let other = tempfile::tempdir().expect("temp dir");
    std::fs::copy(world.dir.path().join("main.tf"), other.path().join("main.tf")).expect("copy main.tf");
    let run = world.terraform_in(other.path(), &["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    let theirs = world.key_ids_described("elsewhere");
    assert_eq!(theirs.len(), 1);
    // Two seconds later (the learnt clock may lag Atlas's by up to a second) our create is lost
    // before Atlas processes it.
    std::thread::sleep(Duration::from_millis(2100));
    world.set_faults(json!({"rules": [
        {"kind": "close", "phase": "before", "method": "POST", "path_contains": "/apiKeys"},
    ]}));
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let output = run.output();
    assert_eq!(run.code, 1, "{output}");
    assert!(output.contains("found no API key"), "{output}");
    assert!(
        world.state_key_ids().is_empty(),
        "the other configuration's key is not adopted"
    );
    assert_eq!(world.key_ids_described("elsewhere"), theirs);
}

#[test]
fn an_adopted_key_has_no_secret_in_state_never_the_masked_one() {
    let world = World::new();
    world.write(&format!(
        "{}{}{}",
        org_keys(&world, 1, "one", "adopted-secret"),
        project_keys(&world, 1, "one", "adopted-secret-project"),
        ai_keys(&world, 1, "one", "adopted-secret-ai")
    ));
    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 500, "phase": "after", "method": "POST", "path_contains": "/apiKeys"},
        {"kind": "fail", "status": 500, "phase": "after", "method": "POST", "path_contains": "/aiModelApiKeys"},
    ]}));
    world.apply();
    for (address, secret) in [
        ("mongodbatlas_api_key.one[0]", "private_key"),
        ("mongodbatlas_project_api_key.one[0]", "private_key"),
        ("mongodbatlas_ai_model_api_key.one[0]", "secret"),
    ] {
        let values = world.resource_values(address);
        assert!(
            values["id"].is_string() || values["api_key_id"].is_string(),
            "{address} adopted: {values:#}"
        );
        assert_eq!(
            values[secret],
            serde_json::Value::Null,
            "{address}.{secret} is null, not masked"
        );
    }
    world.set_faults(json!({"rules": []}));
    destroy(&world);
}
