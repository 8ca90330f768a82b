//! Ephemeral keys through the real `terraform`: `ephemeral "mongodbatlas_api_key"` configuring
//! a provider alias, `ephemeral "mongodbatlas_ai_model_api_key"` feeding a provisioner, a close
//! whose delete fails, an open whose access list fails, a create whose answer is lost, Ctrl-C
//! during an open, and the plan-time diagnostics. After every command the emulator must hold no ephemeral key, and the
//! saved plan and the state must hold none of its material.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{finish, flat, interrupt, World};

/// What every ephemeral key's description or name contains (see `provider::ephemeral`).
const MARKER: &str = " (ephemeral, opened ";

/// The ephemeral organization keys Atlas holds: (id, public key, description).
fn ephemeral_org_keys(world: &World) -> Vec<(String, String, String)> {
    world.atlas_state()["api_keys"]
        .as_array()
        .expect("api_keys")
        .iter()
        .filter(|key| key["desc"].as_str().is_some_and(|desc| desc.contains(MARKER)))
        .map(|key| {
            (
                key["id"].as_str().unwrap_or_default().to_string(),
                key["public_key"].as_str().unwrap_or_default().to_string(),
                key["desc"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The ephemeral AI model keys Atlas holds, by name.
fn ephemeral_ai_keys(world: &World) -> Vec<String> {
    world.atlas_state()["ai_model_api_keys"]
        .as_array()
        .expect("ai_model_api_keys")
        .iter()
        .filter_map(|key| key["name"].as_str())
        .filter(|name| name.contains(MARKER))
        .map(str::to_string)
        .collect()
}

/// Public keys that called Atlas since the last `clear_requests`, other than the seeded one.
fn other_callers(world: &World) -> BTreeSet<String> {
    let seeded = &world.emulator.seed.public_key;
    world
        .requests()
        .iter()
        .filter(|r| r["status"] != 401)
        .filter_map(|r| r["user"].as_str())
        .filter(|user| *user != seeded.as_str())
        .map(str::to_string)
        .collect()
}

/// The last path segment of each `DELETE` of `collection` (`apiKeys`, `aiModelApiKeys`) since
/// the last `clear_requests`: the ids of the keys deleted.
fn deleted_ids(world: &World, collection: &str) -> Vec<String> {
    world
        .calls()
        .iter()
        .filter_map(|call| call.strip_prefix("DELETE "))
        .filter_map(|path| path.rsplit_once('/'))
        .filter(|(parent, _)| parent.ends_with(collection))
        .map(|(_, id)| id.to_string())
        .collect()
}

/// Every lowercase UUID in `text` (the shape of the emulator's private keys).
fn uuids(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let shape = [8, 4, 4, 4, 12];
    let mut found = BTreeSet::new();
    for start in 0..bytes.len() {
        let mut at = start;
        let ok = shape.iter().enumerate().all(|(i, len)| {
            let part = bytes.get(at..at + len);
            let hex = part.is_some_and(|p| p.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)));
            at += len;
            let dash = i == shape.len() - 1 || bytes.get(at) == Some(&b'-');
            at += 1;
            hex && dash
        });
        if ok {
            found.insert(text[start..start + 36].to_string());
        }
    }
    found
}

/// The files of the saved plan `plan` (a zip), extracted with Python's zipfile, as text.
fn plan_entries(dir: &Path, plan: &str) -> Vec<(String, String)> {
    let out = dir.join("plan-entries");
    let status = std::process::Command::new("python3")
        .args(["-m", "zipfile", "-e", plan])
        .arg(&out)
        .current_dir(dir)
        .status()
        .expect("python3 (the end-to-end tests read saved plans with its zipfile module)");
    assert!(status.success(), "could not extract the saved plan");
    let mut entries = Vec::new();
    let mut stack = vec![out];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("plan entries") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("plan entry");
                entries.push((path.display().to_string(), String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    assert!(!entries.is_empty(), "the saved plan has entries");
    entries
}

#[test]
fn ephemeral_org_key_configures_a_provider_alias_and_reaches_neither_plan_nor_state() {
    let world = World::new();
    let org = world.org_id();
    let base_url = world.emulator.seed.base_url.clone();
    world.write(&format!(
        r#"
ephemeral "mongodbatlas_api_key" "tmp" {{
  org_id      = "{org}"
  description = "ci-run"
  role_names  = ["ORG_OWNER"]
}}

provider "mongodbatlas" {{
  alias       = "tmp"
  base_url    = "{base_url}"
  public_key  = ephemeral.mongodbatlas_api_key.tmp.public_key
  private_key = ephemeral.mongodbatlas_api_key.tmp.private_key
}}

data "mongodbatlas_roles_org_id" "through_tmp" {{
  provider = mongodbatlas.tmp
}}

resource "mongodbatlas_api_key" "made_through_tmp" {{
  provider    = mongodbatlas.tmp
  org_id      = data.mongodbatlas_roles_org_id.through_tmp.org_id
  description = "made-through-ephemeral"
  role_names  = ["ORG_MEMBER"]
}}

output "org_id" {{
  value = data.mongodbatlas_roles_org_id.through_tmp.org_id
}}
"#
    ));

    let (seeded, org_keys) = (
        world.emulator.seed.public_key.clone(),
        format!("/api/atlas/v2/orgs/{org}/apiKeys"),
    );

    // Plan: the plan's key is made, the alias reads through it, the key is deleted.
    world.clear_requests();
    let plan = world.terraform(&["plan", "-out=tfplan", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.output());
    let plan_ids = deleted_ids(&world, "apiKeys");
    assert_eq!(plan_ids.len(), 1, "{:?}", world.calls());
    assert_eq!(
        world.calls(),
        [
            format!("POST {org_keys}"),
            "GET /api/atlas/v2".to_string(),
            format!("DELETE {org_keys}/{}", plan_ids[0]),
        ],
        "plan: open, the alias's read, close"
    );
    let plan_callers = other_callers(&world);
    assert_eq!(
        plan_callers.len(),
        1,
        "the alias called with the ephemeral key: {plan_callers:?}"
    );
    assert!(!plan_callers.contains(&seeded));
    assert!(ephemeral_org_keys(&world).is_empty(), "the plan's key was deleted");

    // Apply of the saved plan: a new key, the alias creates a key through it, the key is deleted.
    world.clear_requests();
    let apply = world.terraform(&["apply", "-no-color", "-input=false", "tfplan"]);
    assert_eq!(apply.code, 0, "{}", apply.output());
    let apply_ids = deleted_ids(&world, "apiKeys");
    assert_eq!(apply_ids.len(), 1, "{:?}", world.calls());
    assert_eq!(
        world.calls(),
        [
            format!("POST {org_keys}"),
            format!("POST {org_keys}"),
            format!("DELETE {org_keys}/{}", apply_ids[0]),
        ],
        "apply: open, the alias's create, close"
    );
    let apply_callers = other_callers(&world);
    assert_eq!(apply_callers.len(), 1, "{apply_callers:?}");
    assert!(
        plan_callers.is_disjoint(&apply_callers),
        "apply opened a key of its own"
    );
    assert_ne!(plan_ids, apply_ids);
    assert!(ephemeral_org_keys(&world).is_empty(), "the apply's key was deleted");
    let made = world.resource_values("mongodbatlas_api_key.made_through_tmp");
    assert_eq!(
        world.key_ids_described("made-through-ephemeral"),
        [made["api_key_id"].as_str().unwrap()]
    );

    // Neither the saved plan (as shown, as bytes, entry by entry) nor the state holds the
    // ephemeral keys' ids or public keys; the only UUIDs (the shape of private keys) are the
    // state's lineage and the private key of the key made through the alias.
    let state_text = std::fs::read_to_string(world.dir.path().join("terraform.tfstate")).expect("state");
    let state_json: serde_json::Value = serde_json::from_str(&state_text).expect("state JSON");
    let lineage = state_json["lineage"].as_str().expect("lineage").to_string();
    let made_private_key = made["private_key"]
        .as_str()
        .expect("private key of the made key")
        .to_string();
    let entries = plan_entries(world.dir.path(), "tfplan");
    let shown = world.terraform(&["show", "-json", "tfplan"]);
    assert_eq!(shown.code, 0, "{}", shown.output());
    let raw_plan = String::from_utf8_lossy(&std::fs::read(world.dir.path().join("tfplan")).expect("plan")).into_owned();
    let material: Vec<&String> = plan_callers
        .iter()
        .chain(&apply_callers)
        .chain(&plan_ids)
        .chain(&apply_ids)
        .collect();
    for key_material in &material {
        let key_material = key_material.as_str();
        assert!(!state_text.contains(key_material), "{key_material} in the state");
        assert!(!shown.stdout.contains(key_material), "{key_material} in the plan");
        assert!(!raw_plan.contains(key_material), "{key_material} in the plan file");
        for (name, text) in &entries {
            assert!(!text.contains(key_material), "{key_material} in the plan's {name}");
        }
    }
    let allowed: BTreeSet<String> = [lineage, made_private_key].into();
    assert!(uuids(&state_text).is_subset(&allowed), "{:?}", uuids(&state_text));
    for (name, text) in entries
        .iter()
        .chain([("show -json".to_string(), shown.stdout.clone())].iter())
    {
        assert!(uuids(text).is_subset(&allowed), "{name}: {:?}", uuids(text));
    }

    // Converged: the plan opens and closes one more key, and plans nothing.
    world.clear_requests();
    let again = world.plan();
    assert_eq!(again.code, 0, "{}", again.output());
    let mut calls = world.calls();
    calls.sort();
    let converge_ids = deleted_ids(&world, "apiKeys");
    assert_eq!(converge_ids.len(), 1);
    let mut expected = vec![
        format!("POST {org_keys}"),
        "GET /api/atlas/v2".to_string(),
        // The managed key is refreshed from the organization's listing.
        format!("GET {org_keys}"),
        format!("DELETE {org_keys}/{}", converge_ids[0]),
    ];
    expected.sort();
    assert_eq!(calls, expected);
    assert!(ephemeral_org_keys(&world).is_empty());

    let destroy = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(destroy.code, 0, "{}", destroy.output());
    assert!(ephemeral_org_keys(&world).is_empty());
    assert!(world.key_ids_described("made-through-ephemeral").is_empty());
}

/// An ephemeral key of `org`, a provider alias configured with it, and a data source read
/// through the alias (what makes Terraform open the key during plan); `extra` goes into the
/// ephemeral block.
fn alias_config(world: &World, extra: &str) -> String {
    let (org, base_url) = (world.org_id(), world.emulator.seed.base_url.clone());
    format!(
        r#"
ephemeral "mongodbatlas_api_key" "tmp" {{
  org_id      = "{org}"
  description = "ci-run"
  role_names  = ["ORG_READ_ONLY"]
{extra}
}}

provider "mongodbatlas" {{
  alias       = "tmp"
  base_url    = "{base_url}"
  public_key  = ephemeral.mongodbatlas_api_key.tmp.public_key
  private_key = ephemeral.mongodbatlas_api_key.tmp.private_key
}}

data "mongodbatlas_roles_org_id" "through_tmp" {{
  provider = mongodbatlas.tmp
}}

output "org_id" {{
  value = data.mongodbatlas_roles_org_id.through_tmp.org_id
}}
"#
    )
}

/// An ephemeral AI model key `name` in project `p0` whose secret a `terraform_data`'s
/// local-exec `command` gets as `VOYAGE_API_KEY` (`command` as written inside HCL quotes).
fn ai_job_config(p0: &str, name: &str, command: &str) -> String {
    format!(
        r#"
ephemeral "mongodbatlas_ai_model_api_key" "job" {{
  project_id = "{p0}"
  name       = "{name}"
}}

resource "terraform_data" "job" {{
  provisioner "local-exec" {{
    command     = "{command}"
    environment = {{ VOYAGE_API_KEY = ephemeral.mongodbatlas_ai_model_api_key.job.secret }}
  }}
}}
"#
    )
}

#[test]
fn ephemeral_ai_key_feeds_a_provisioner_and_reaches_no_state() {
    let world = World::new();
    let p0 = world.project_id(0);
    world.write(&ai_job_config(
        &p0,
        "embedding-job",
        r#"printf '%s' \"$VOYAGE_API_KEY\" > secret.txt"#,
    ));
    world.clear_requests();
    let apply = world.apply();
    let keys = format!("/api/atlas/v2/groups/{p0}/aiModelApiKeys");
    let ids = deleted_ids(&world, "aiModelApiKeys");
    assert_eq!(
        ids.len(),
        2,
        "one key for the plan, one for the apply: {:?}",
        world.calls()
    );
    assert_eq!(
        world.calls(),
        [
            format!("POST {keys}"),
            format!("DELETE {keys}/{}", ids[0]),
            format!("POST {keys}"),
            format!("DELETE {keys}/{}", ids[1]),
        ]
    );
    assert!(
        apply.stdout.contains("output suppressed due to"),
        "the provisioner's output is hidden:\n{}",
        apply.stdout
    );
    let secret =
        std::fs::read_to_string(world.dir.path().join("secret.txt")).expect("the provisioner wrote the secret");
    assert!(
        secret.starts_with("al-") && secret.len() == 46,
        "an AI model key secret reached the provisioner"
    );
    assert!(ephemeral_ai_keys(&world).is_empty(), "both keys were deleted");
    let state_text = std::fs::read_to_string(world.dir.path().join("terraform.tfstate")).expect("state");
    for material in ids.iter().chain([&secret]) {
        assert!(!state_text.contains(material.as_str()), "{material} in the state");
    }
    assert!(
        !state_text.contains("embedding-job"),
        "nothing of the ephemeral key is in the state"
    );

    world.clear_requests();
    let again = world.plan();
    assert_eq!(again.code, 0, "{}", again.output());
    // Terraform opens every ephemeral resource of a plan, also when nothing is to change.
    let ids = deleted_ids(&world, "aiModelApiKeys");
    assert_eq!(ids.len(), 1, "{:?}", world.calls());
    assert_eq!(
        world.calls(),
        [format!("POST {keys}"), format!("DELETE {keys}/{}", ids[0])]
    );
    let destroy = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(destroy.code, 0, "{}", destroy.output());
    assert!(ephemeral_ai_keys(&world).is_empty());
}

#[test]
fn a_close_whose_delete_fails_names_the_key_and_the_docs_way_finds_and_removes_it() {
    let world = World::new();
    let org = world.org_id();
    world.write(&alias_config(&world, ""));
    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 403, "error_code": "USER_UNAUTHORIZED", "method": "DELETE", "path_contains": "/apiKeys/"},
    ]}));
    let plan = world.terraform(&["plan", "-no-color", "-input=false"]);
    world.set_faults(json!({"rules": []}));
    let output = flat(&plan.output());
    assert_ne!(plan.code, 0, "a failed close is an error:\n{output}");
    let left = ephemeral_org_keys(&world);
    assert_eq!(left.len(), 1, "the key whose delete failed is still there");
    let (id, public_key, description) = &left[0];
    for part in [
        "Ephemeral API key left in Atlas",
        id.as_str(),
        public_key.as_str(),
        description.as_str(),
        "USER_UNAUTHORIZED",
        &format!("atlas organizations apiKeys delete {id} --orgId {org}"),
        &format!("terraform import mongodbatlas_api_key.leftover {org}-{id}"),
    ] {
        assert!(output.contains(part), "the error names {part}:\n{output}");
    }

    // The docs' way to find leftovers, then the error's advice: import and destroy.
    world.write(&format!(
        r#"
data "mongodbatlas_api_keys" "all" {{
  org_id = "{org}"
}}

output "leftover_ephemeral_keys" {{
  value = [for key in data.mongodbatlas_api_keys.all.results : key.api_key_id if strcontains(key.description, "(ephemeral, opened ")]
}}

import {{
  to = mongodbatlas_api_key.leftover
  id = "{org}-{id}"
}}

resource "mongodbatlas_api_key" "leftover" {{
  org_id      = "{org}"
  description = "{description}"
  role_names  = ["ORG_READ_ONLY"]
}}
"#
    ));
    world.apply();
    let found = world.terraform(&["output", "-json", "leftover_ephemeral_keys"]);
    assert_eq!(found.code, 0, "{}", found.output());
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&found.stdout).unwrap(),
        json!([id])
    );
    let destroy = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(destroy.code, 0, "{}", destroy.output());
    assert!(ephemeral_org_keys(&world).is_empty(), "the leftover is gone");
}

#[test]
fn an_access_list_is_added_after_the_create_and_an_open_whose_access_list_fails_deletes_its_key() {
    let world = World::new();
    let org = world.org_id();
    let org_keys = format!("/api/atlas/v2/orgs/{org}/apiKeys");
    world.write(&alias_config(
        &world,
        r#"  access_list = ["203.0.113.10", "10.0.0.0/8"]"#,
    ));
    world.clear_requests();
    let plan = world.terraform(&["plan", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.output());
    let ids = deleted_ids(&world, "apiKeys");
    assert_eq!(ids.len(), 1, "{:?}", world.calls());
    assert_eq!(
        world.calls(),
        [
            format!("POST {org_keys}"),
            format!("POST {org_keys}/{}/accessList", ids[0]),
            "GET /api/atlas/v2".to_string(),
            format!("DELETE {org_keys}/{}", ids[0]),
        ]
    );
    assert!(ephemeral_org_keys(&world).is_empty());

    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 400, "error_code": "INVALID_IP_ADDRESS_OR_CIDR_NOTATION", "method": "POST", "path_contains": "/accessList"},
    ]}));
    world.clear_requests();
    let plan = world.terraform(&["plan", "-no-color", "-input=false"]);
    world.set_faults(json!({"rules": []}));
    let output = flat(&plan.output());
    assert_ne!(plan.code, 0, "{output}");
    let ids = deleted_ids(&world, "apiKeys");
    assert_eq!(ids.len(), 1, "{:?}", world.calls());
    assert_eq!(
        world.calls(),
        [
            format!("POST {org_keys}"),
            format!("POST {org_keys}/{}/accessList", ids[0]),
            format!("DELETE {org_keys}/{}", ids[0]),
        ],
        "no read through the alias: the open failed"
    );
    for part in [
        "Could not add the access list of the ephemeral API key",
        "INVALID_IP_ADDRESS_OR_CIDR_NOTATION",
        &format!("({}, public key", ids[0]),
        "was deleted, so nothing is left behind",
        "access_list = [\"203.0.113.10\", \"10.0.0.0/8\"]",
    ] {
        assert!(output.contains(part), "{part}:\n{output}");
    }
    assert!(ephemeral_org_keys(&world).is_empty(), "the key was deleted");
}

#[test]
fn ctrl_c_while_an_ephemeral_key_is_being_created_deletes_it() {
    let world = World::new();
    world.write(&alias_config(&world, ""));
    // The create is carried out at once and answered 4 s later; Ctrl-C arrives meanwhile.
    world.set_faults(json!({"rules": [
        {"kind": "delay", "delay_ms": 4000, "phase": "after", "method": "POST", "path_contains": "/apiKeys"},
    ]}));
    let child = world.spawn_terraform(&["plan", "-no-color", "-input=false"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while ephemeral_org_keys(&world).is_empty() {
        assert!(Instant::now() < deadline, "the ephemeral key was never created");
        std::thread::sleep(Duration::from_millis(50));
    }
    interrupt(&child);
    let run = finish(child);
    world.set_faults(json!({"rules": []}));
    let output = flat(&run.output());
    assert!(output.contains("Interrupt received"), "terraform saw Ctrl-C:\n{output}");
    assert_ne!(run.code, 0, "{output}");
    assert!(
        output.contains("Terraform stopped the provider") && output.contains("was deleted"),
        "{output}"
    );
    assert!(ephemeral_org_keys(&world).is_empty(), "the interrupted key was deleted");
    assert!(other_callers(&world).is_empty(), "nothing used the key");
}

#[test]
fn invalid_ephemeral_configurations_are_refused_at_the_attribute_before_any_call() {
    let world = World::new();
    let long = "d".repeat(198);
    world.write(&format!(
        r#"
ephemeral "mongodbatlas_api_key" "bad" {{
  org_id      = "not-an-org"
  description = "{long}"
  role_names  = ["GROUP_OWNER"]
  access_list = ["10.0.0.1/8"]
}}

ephemeral "mongodbatlas_ai_model_api_key" "bad" {{
  project_id = "nope"
  name       = "{long}"
}}
"#
    ));
    world.clear_requests();
    for command in [
        &["validate", "-no-color"][..],
        &["plan", "-no-color", "-input=false"][..],
    ] {
        let run = world.terraform(command);
        let output = flat(&run.output());
        assert_ne!(run.code, 0, "{command:?}: {output}");
        for (summary, line) in [
            ("Invalid Atlas identifier", "org_id = \"not-an-org\""),
            ("Invalid attribute value length", &format!("description = \"{long}\"")),
            ("Invalid role", "role_names = [\"GROUP_OWNER\"]"),
            (
                "CIDR block is not in canonical network form",
                "access_list = [\"10.0.0.1/8\"]",
            ),
            ("Invalid Atlas identifier", "project_id = \"nope\""),
            ("Invalid attribute value length", &format!("name = \"{long}\"")),
        ] {
            assert!(
                output.contains(&format!("Error: {summary} with ephemeral.")) && output.contains(line),
                "{command:?}: {summary} at {line}:\n{output}"
            );
        }
        assert!(
            output.contains("must be between 1 and 197 characters long, got 198"),
            "{output}"
        );
    }
    assert!(world.calls().is_empty(), "no Atlas call: {:?}", world.calls());
}

#[test]
fn a_create_whose_answer_is_lost_finds_its_key_by_the_marker_and_deletes_it() {
    let world = World::new();
    let (org, p0) = (world.org_id(), world.project_id(0));
    world.write(&format!(
        r#"{}
ephemeral "mongodbatlas_ai_model_api_key" "job" {{
  project_id = "{p0}"
  name       = "embedding-job"
}}

resource "terraform_data" "job" {{
  provisioner "local-exec" {{
    command     = "test -n \"$VOYAGE_API_KEY\""
    environment = {{ VOYAGE_API_KEY = ephemeral.mongodbatlas_ai_model_api_key.job.secret }}
  }}
}}
"#,
        alias_config(&world, "")
    ));
    // Both creates are carried out, then answered 500: the answers are lost.
    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 500, "phase": "after", "method": "POST", "path_contains": "/apiKeys"},
        {"kind": "fail", "status": 500, "phase": "after", "method": "POST", "path_contains": "/aiModelApiKeys"},
    ]}));
    world.clear_requests();
    let plan = world.terraform(&["plan", "-no-color", "-input=false"]);
    world.set_faults(json!({"rules": []}));
    let output = flat(&plan.output());
    assert_ne!(plan.code, 0, "{output}");
    let (org_ids, ai_ids) = (deleted_ids(&world, "apiKeys"), deleted_ids(&world, "aiModelApiKeys"));
    assert_eq!((org_ids.len(), ai_ids.len()), (1, 1), "{:?}", world.calls());
    let mut calls = world.calls();
    calls.sort();
    let (org_keys, ai_keys) = (
        format!("/api/atlas/v2/orgs/{org}/apiKeys"),
        format!("/api/atlas/v2/groups/{p0}/aiModelApiKeys"),
    );
    let mut expected = vec![
        format!("POST {org_keys}"),
        format!("GET {org_keys}"),
        format!("DELETE {org_keys}/{}", org_ids[0]),
        format!("POST {ai_keys}"),
        format!("GET {ai_keys}"),
        format!("DELETE {ai_keys}/{}", ai_ids[0]),
    ];
    expected.sort();
    assert_eq!(
        calls, expected,
        "each: the create, one listing, the delete of the key found"
    );
    for part in [
        "Could not open ephemeral API key",
        "Could not open ephemeral AI model API key",
        &format!("({}) was found by its marked text", org_ids[0]),
        &format!("({}) was found by its marked text", ai_ids[0]),
    ] {
        assert!(output.contains(part), "{part}:\n{output}");
    }
    assert!(ephemeral_org_keys(&world).is_empty() && ephemeral_ai_keys(&world).is_empty());
}

#[test]
fn a_key_terraform_never_closes_because_its_user_failed_is_deleted_at_shutdown() {
    // Terraform skips CloseEphemeralResource when anything downstream of the ephemeral
    // resource errored ("upstream of ... (close) errored, so skipping"); the provider closes
    // what is left when Terraform shuts it down.
    let world = World::new();
    let p0 = world.project_id(0);
    world.write(&ai_job_config(&p0, "failing-job", r#"test -z \"$VOYAGE_API_KEY\""#));
    world.clear_requests();
    let apply = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_ne!(apply.code, 0, "the job fails: {}", apply.output());
    assert!(
        flat(&apply.output()).contains("local-exec provisioner error"),
        "{}",
        apply.output()
    );
    let keys = format!("/api/atlas/v2/groups/{p0}/aiModelApiKeys");
    let ids = deleted_ids(&world, "aiModelApiKeys");
    assert_eq!(ids.len(), 2, "the plan's key and the apply's key: {:?}", world.calls());
    assert_eq!(
        world.calls(),
        [
            format!("POST {keys}"),
            format!("DELETE {keys}/{}", ids[0]),
            format!("POST {keys}"),
            format!("DELETE {keys}/{}", ids[1]),
        ]
    );
    assert!(ephemeral_ai_keys(&world).is_empty(), "no key is left behind");

    // The same when the user is a data source read through a provider alias that fails.
    world.write(&alias_config(&world, ""));
    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 403, "method": "GET", "path_contains": "/api/atlas/v2", "times": 100},
    ]}));
    world.clear_requests();
    let plan = world.plan();
    world.set_faults(json!({"rules": []}));
    assert_ne!(plan.code, 0, "{}", plan.output());
    assert_eq!(deleted_ids(&world, "apiKeys").len(), 1, "{:?}", world.calls());
    assert!(ephemeral_org_keys(&world).is_empty(), "no key is left behind");
}

#[test]
fn ctrl_c_while_a_key_is_being_closed_does_not_stop_its_delete() {
    let world = World::new();
    world.write(&alias_config(&world, ""));
    world.set_faults(json!({"rules": [
        {"kind": "delay", "delay_ms": 3000, "method": "DELETE", "path_contains": "/apiKeys/"},
    ]}));
    world.clear_requests();
    let child = world.spawn_terraform(&["plan", "-no-color", "-input=false"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    // The emulator logs a request once answered: the alias's read is logged, then the close
    // sends its DELETE, which is held for 3 s; Ctrl-C arrives while it is held.
    while !world.requests().iter().any(|r| r["path"] == "/api/atlas/v2") {
        assert!(Instant::now() < deadline, "the alias never read through the key");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        !world.requests().iter().any(|r| r["method"] == "DELETE"),
        "the DELETE is still held when Ctrl-C arrives"
    );
    interrupt(&child);
    let run = finish(child);
    world.set_faults(json!({"rules": []}));
    let output = flat(&run.output());
    assert!(output.contains("Interrupt received"), "terraform saw Ctrl-C:\n{output}");
    assert!(!output.contains("left in Atlas"), "{output}");
    assert!(ephemeral_org_keys(&world).is_empty(), "the key was deleted:\n{output}");
}
