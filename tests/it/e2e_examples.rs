//! Every example under `examples/resources/`, `examples/data-sources/` and
//! `examples/ephemeral-resources/`, applied on its own
//! through the real `terraform` CLI against a fresh emulator: the examples the `docs/` pages embed
//! are complete configurations a reader can copy, not fragments.
//!
//! The examples are found by listing the two directories, so a new example is applied without
//! touching this file, and the provider's own list of types is compared with the listing, so a
//! new type without an example fails here with its name.
//!
//! Each example gets its own `World` (emulator and working directory) with only
//! `TF_VAR_org_id` and `TF_VAR_project_id` set: `apply`, then `plan -detailed-exitcode` must exit
//! 0 (the example converges in one apply), then `destroy`, which must leave Atlas exactly as the
//! example found it. An ephemeral resource never reaches the state, so its example must instead
//! have opened and closed its key during the apply (as many deletes as creates of keys in the
//! emulator's request log); its provider aliases find the emulator through
//! `MONGODB_ATLAS_BASE_URL`. Failures are collected and reported together, each naming its example.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value as Json;
use terraform_provider_mongodbatlas::framework::Provider;
use terraform_provider_mongodbatlas::provider::AtlasProvider;

use crate::support::{Run, World};

/// The only inputs an example may declare.
const INPUTS: [&str; 2] = ["org_id", "project_id"];

/// A kind of example: its directory under `examples/`, the file each type's directory holds,
/// and the `mode` Terraform gives the type's instances in `show -json`.
#[derive(Clone, Copy)]
struct Kind {
    dir: &'static str,
    file: &'static str,
    mode: &'static str,
}

const RESOURCES: Kind = Kind {
    dir: "resources",
    file: "resource.tf",
    mode: "managed",
};

const DATA_SOURCES: Kind = Kind {
    dir: "data-sources",
    file: "data-source.tf",
    mode: "data",
};

const EPHEMERAL_RESOURCES: Kind = Kind {
    dir: "ephemeral-resources",
    file: "ephemeral-resource.tf",
    mode: "ephemeral",
};

fn examples_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// The type names that have a directory under `examples/<kind>/`, sorted.
fn listed(kind: Kind) -> Vec<String> {
    let dir = examples_root().join(kind.dir);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.expect("directory entry"))
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The type names the provider registers, with its prefix, sorted.
fn registered(kind: Kind) -> Vec<String> {
    let provider = AtlasProvider::new();
    let prefix = <AtlasProvider as Provider>::TYPE_PREFIX;
    let mut names: Vec<String> = if kind.dir == RESOURCES.dir {
        provider
            .resources()
            .iter()
            .map(|r| format!("{prefix}_{}", r.name()))
            .collect()
    } else if kind.dir == EPHEMERAL_RESOURCES.dir {
        provider
            .ephemeral_resources()
            .iter()
            .map(|e| format!("{prefix}_{}", e.name()))
            .collect()
    } else {
        provider
            .data_sources()
            .iter()
            .map(|d| format!("{prefix}_{}", d.name()))
            .collect()
    };
    names.sort();
    names
}

/// The names of the `variable` blocks of `hcl`, each with whether it has a `description`.
/// Examples are formatted by `terraform fmt`, so a block starts at the line's start and ends at
/// the first line that is only `}`.
fn variables(hcl: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    let mut lines = hcl.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("variable \"") else {
            continue;
        };
        let name = rest.split('"').next().unwrap_or_default().to_string();
        let mut described = false;
        for body in lines.by_ref() {
            if body == "}" {
                break;
            }
            described |= body.trim_start().starts_with("description");
        }
        found.push((name, described));
    }
    found
}

/// Why the example of `name` breaks the rules that need no terraform run: no file, inputs other
/// than [`INPUTS`], an input without a description or used undeclared, or an `import.sh` command
/// whose address is not a resource of the example.
fn shape_problems(kind: Kind, name: &str) -> Vec<String> {
    let path = examples_root().join(kind.dir).join(name).join(kind.file);
    let Ok(hcl) = std::fs::read_to_string(&path) else {
        return vec![format!("{name}: no {}", path.display())];
    };
    let mut problems = Vec::new();
    for (variable, described) in variables(&hcl) {
        if !INPUTS.contains(&variable.as_str()) {
            problems.push(format!(
                "{name}: declares variable {variable:?}; examples take only {INPUTS:?} and create anything else they need"
            ));
        }
        if !described {
            problems.push(format!("{name}: variable {variable:?} has no description"));
        }
    }
    // The import commands the resource's page shows name a resource of the example.
    let import = examples_root().join(kind.dir).join(name).join("import.sh");
    for line in std::fs::read_to_string(&import).unwrap_or_default().lines() {
        let Some(address) = line
            .strip_prefix("terraform import ")
            .and_then(|rest| rest.split(' ').next())
        else {
            continue;
        };
        let declared = address
            .split_once('.')
            .is_some_and(|(ty, label)| ty == name && hcl.contains(&format!("resource \"{ty}\" \"{label}\" {{")));
        if !declared {
            problems.push(format!(
                "{name}: import.sh imports {address}, which the example does not declare"
            ));
        }
    }
    for input in INPUTS {
        if hcl.contains(&format!("var.{input}")) && !variables(&hcl).iter().any(|(v, _)| v == input) {
            problems.push(format!("{name}: uses var.{input} without declaring it"));
        }
    }
    problems
}

#[test]
fn every_registered_type_has_an_example_and_every_example_a_type() {
    let mut problems = Vec::new();
    for kind in [RESOURCES, DATA_SOURCES, EPHEMERAL_RESOURCES] {
        let (listed, registered) = (listed(kind), registered(kind));
        assert!(!registered.is_empty(), "the provider registers {}", kind.dir);
        for name in &registered {
            if !listed.contains(name) {
                problems.push(format!(
                    "{name}: registered, but examples/{}/{name}/ is missing",
                    kind.dir
                ));
            }
        }
        for name in &listed {
            if !registered.contains(name) {
                problems.push(format!("examples/{}/{name}/: the provider has no such type", kind.dir));
            }
            problems.extend(shape_problems(kind, name));
        }
    }
    assert!(problems.is_empty(), "examples out of line:\n{}", problems.join("\n"));
}

#[test]
fn variables_are_read_from_formatted_blocks() {
    let hcl = "variable \"org_id\" {\n  description = \"The org.\"\n  type        = string\n}\n\n\
               output \"x\" {\n  value = var.org_id\n}\n\nvariable \"api_key_id\" {\n  type = string\n}\n";
    assert_eq!(
        variables(hcl),
        [("org_id".to_string(), true), ("api_key_id".to_string(), false)]
    );
}

/// What a failed terraform command said: its errors (stderr), or everything when stderr is empty.
fn said(run: &Run) -> String {
    if run.stderr.trim().is_empty() {
        run.output()
    } else {
        run.stderr.clone()
    }
}

/// The instances in a `show -json` module, as (mode, type).
fn instances(module: &Json) -> Vec<(String, String)> {
    module["resources"]
        .as_array()
        .map(|resources| {
            resources
                .iter()
                .map(|r| {
                    (
                        r["mode"].as_str().unwrap_or_default().to_string(),
                        r["type"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Applies the example of `name` alone in a fresh world, checks it converges, changed Atlas (a
/// resource example), has an instance of its type and no null output, and destroys it; the error says which step failed and what
/// terraform printed.
fn apply_alone(kind: Kind, name: &str) -> Result<(), String> {
    let path = examples_root().join(kind.dir).join(name).join(kind.file);
    let hcl = std::fs::read_to_string(&path).map_err(|err| format!("{}: {err}", path.display()))?;
    let mut world = World::new();
    let (org, project) = (world.org_id(), world.project_id(0));
    world.set_env("TF_VAR_org_id", &org);
    world.set_env("TF_VAR_project_id", &project);
    if kind.mode == EPHEMERAL_RESOURCES.mode {
        let base_url = world.emulator.seed.base_url.clone();
        world.set_env("MONGODB_ATLAS_BASE_URL", &base_url);
    }
    world.write(&hcl);
    let before = world.atlas_state();
    world.clear_requests();

    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    if run.code != 0 {
        return Err(format!("apply failed:\n{}", said(&run)));
    }
    let run = world.plan();
    if run.code != 0 {
        return Err(format!(
            "plan -detailed-exitcode exited {} after apply, not 0:\n{}",
            run.code,
            run.output()
        ));
    }
    if kind.mode == RESOURCES.mode && world.atlas_state() == before {
        return Err("apply changed nothing in Atlas".to_string());
    }
    let state = world.show_json();
    let found = instances(&state["values"]["root_module"]);
    if kind.mode == EPHEMERAL_RESOURCES.mode {
        let opened = key_calls(&world, "POST");
        if opened == 0 || key_calls(&world, "DELETE") != opened {
            return Err(format!(
                "the example did not open and close its key: {:?}",
                world.calls()
            ));
        }
        if world.atlas_state() != before {
            return Err("the ephemeral key is still in Atlas after the run".to_string());
        }
        if found.iter().any(|(mode, _)| mode == kind.mode) {
            return Err(format!("an ephemeral resource in the state: {found:?}"));
        }
    } else if !found.iter().any(|(mode, ty)| mode == kind.mode && ty == name) {
        return Err(format!("no {} {name} in the state: {found:?}", kind.mode));
    }
    let outputs = state["values"]["outputs"].as_object().cloned().unwrap_or_default();
    if outputs.is_empty() {
        return Err("the example shows no output".to_string());
    }
    let null: Vec<&String> = outputs
        .iter()
        .filter(|(_, output)| output["value"].is_null())
        .map(|(output, _)| output)
        .collect();
    if !null.is_empty() {
        return Err(format!("outputs {null:?} are null after apply"));
    }

    let run = world.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    if run.code != 0 {
        return Err(format!("destroy failed:\n{}", said(&run)));
    }
    let after = world.atlas_state();
    if after != before {
        return Err(format!(
            "destroy left Atlas changed:\nbefore: {before:#}\nafter: {after:#}"
        ));
    }
    Ok(())
}

/// How many `method` calls on a key collection (`…/apiKeys`, `…/aiModelApiKeys`, and one key
/// under them) are in the request log: the opens (POST) and closes (DELETE) of ephemeral keys.
fn key_calls(world: &World, method: &str) -> usize {
    world
        .calls()
        .iter()
        .filter_map(|call| call.strip_prefix(method)?.strip_prefix(' '))
        .filter(|path| {
            let mut parts = path.rsplit('/');
            let last = parts.next().unwrap_or_default();
            let parent = parts.next().unwrap_or_default();
            ["apiKeys", "aiModelApiKeys"].contains(&last) || ["apiKeys", "aiModelApiKeys"].contains(&parent)
        })
        .count()
}

/// Applies every listed example of `kind`, each alone, and fails naming every one that broke.
fn apply_every_example(kind: Kind) {
    let names = listed(kind);
    assert!(!names.is_empty(), "examples/{} has examples", kind.dir);
    let started = Instant::now();
    let mut failures = Vec::new();
    for name in &names {
        let one = Instant::now();
        if let Err(why) = apply_alone(kind, name) {
            failures.push(format!("examples/{}/{name}: {why}", kind.dir));
        }
        eprintln!("examples/{}/{name}: {:.1?}", kind.dir, one.elapsed());
    }
    eprintln!(
        "{} examples under examples/{} in {:.1?}",
        names.len(),
        kind.dir,
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {} examples do not apply on their own:\n\n{}",
        failures.len(),
        names.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_resource_example_applies_alone_converges_and_destroys() {
    apply_every_example(RESOURCES);
}

#[test]
fn every_data_source_example_applies_alone_converges_and_destroys() {
    apply_every_example(DATA_SOURCES);
}

#[test]
fn every_ephemeral_resource_example_opens_and_closes_its_key_and_leaves_no_trace() {
    apply_every_example(EPHEMERAL_RESOURCES);
}
