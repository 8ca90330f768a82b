//! End-to-end scenarios for `mongodbatlas_project_api_key` and the programmatic-key data
//! sources, through the real `terraform` CLI against the in-process emulator.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value as Json};

use crate::support::World;

/// The three examples of the resource's spec document, with the emulator's real ids.
/// (The third example's `mongodbatlas_project` is outside this provider; its project id is
/// the seeded first project.)
fn seed_examples(p: &[String]) -> String {
    format!(
        r#"
resource "mongodbatlas_project_api_key" "test" {{
  description   = "Description of your API key"
  project_id    = "{p0}"
  role_names    = ["GROUP_OWNER"]
}}

resource "mongodbatlas_project_api_key" "multi" {{
  description   = "Description of your API key"
  project_id  = "{p0}"

 project_assignment {{
    project_id = "{p0}"
    role_names = ["GROUP_READ_ONLY", "GROUP_OWNER"]
  }}

  project_assignment {{
    project_id = "{p1}"
    role_names = ["GROUP_READ_ONLY"]
  }}

}}

resource "mongodbatlas_project_api_key" "api_1" {{
  description = "test api_key multi"
  project_id  = "{p0}"

  // NOTE: The `project_id` of the first `project_assignment` element must be the same as the `project_id` of the resource.
  project_assignment {{
    project_id = "{p0}"
    role_names = ["ORG_BILLING_ADMIN", "GROUP_READ_ONLY"]
  }}

  project_assignment {{
    project_id = "{p1}"
    role_names = ["GROUP_READ_ONLY"]
  }}

  project_assignment {{
    project_id = "{p2}"
    role_names = ["GROUP_OWNER"]
  }}
}}
"#,
        p0 = p[0],
        p1 = p[1],
        p2 = p[2]
    )
}

/// The seeded projects in id order: an import by organization ID picks the lowest project id
/// as `project_id`, and the emulator's ids do not sort in creation order.
fn projects(world: &World) -> Vec<String> {
    let mut ids: Vec<String> = (0..3).map(|i| world.project_id(i)).collect();
    ids.sort();
    ids
}

/// (org roles, project id -> roles) of the key with `key_id`, as the emulator holds them.
fn atlas_roles(world: &World, key_id: &str) -> (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>) {
    let state = world.atlas_state();
    let key = state["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == key_id)
        .unwrap_or_else(|| panic!("key {key_id} not in Atlas: {state:#}"))
        .clone();
    let org: BTreeSet<String> = serde_json::from_value(key["org_roles"].clone()).unwrap();
    let projects: BTreeMap<String, BTreeSet<String>> = serde_json::from_value(key["project_roles"].clone()).unwrap();
    (org, projects)
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn key_id(world: &World, address: &str) -> String {
    world.resource_values(address)["api_key_id"]
        .as_str()
        .expect("api_key_id")
        .to_string()
}

fn blocks(hcl_blocks: &[(&str, &str)]) -> String {
    hcl_blocks
        .iter()
        .map(|(project, roles)| {
            format!("  project_assignment {{\n    project_id = \"{project}\"\n    role_names = {roles}\n  }}\n")
        })
        .collect()
}

fn multi(project_id: &str, description: &str, hcl_blocks: &[(&str, &str)]) -> String {
    format!(
        "resource \"mongodbatlas_project_api_key\" \"k\" {{\n  project_id  = \"{project_id}\"\n  description = \"{description}\"\n{}}}\n",
        blocks(hcl_blocks)
    )
}

#[test]
fn project_api_key_seed_examples_converge_with_exact_roles() {
    let world = World::new();
    let p = projects(&world);
    world.write(&seed_examples(&p));
    world.apply();
    world.assert_converged();

    let single = key_id(&world, "mongodbatlas_project_api_key.test");
    let (org, by_project) = atlas_roles(&world, &single);
    assert_eq!(org, set(&["ORG_MEMBER"]), "Atlas's implicit organization role");
    assert_eq!(by_project, BTreeMap::from([(p[0].clone(), set(&["GROUP_OWNER"]))]));

    let multi_key = key_id(&world, "mongodbatlas_project_api_key.multi");
    let (_, by_project) = atlas_roles(&world, &multi_key);
    assert_eq!(
        by_project,
        BTreeMap::from([
            (p[0].clone(), set(&["GROUP_READ_ONLY", "GROUP_OWNER"])),
            (p[1].clone(), set(&["GROUP_READ_ONLY"]))
        ])
    );

    let api_1 = key_id(&world, "mongodbatlas_project_api_key.api_1");
    let (org, by_project) = atlas_roles(&world, &api_1);
    assert_eq!(org, set(&["ORG_BILLING_ADMIN"]));
    assert_eq!(
        by_project,
        BTreeMap::from([
            (p[0].clone(), set(&["GROUP_READ_ONLY"])),
            (p[1].clone(), set(&["GROUP_READ_ONLY"])),
            (p[2].clone(), set(&["GROUP_OWNER"])),
        ])
    );
    let values = world.resource_values("mongodbatlas_project_api_key.api_1");
    assert_eq!(values["private_key"].as_str().map(str::len), Some(36));
    assert_eq!(values["project_assignment"][2]["project_id"], json!(p[2]));

    world.clear_requests();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());
    let mut deletes = world.mutations();
    deletes.sort();
    let org_id = world.org_id();
    let mut expected: Vec<String> = [&single, &multi_key, &api_1]
        .iter()
        .map(|id| format!("DELETE /api/atlas/v2/orgs/{org_id}/apiKeys/{id}"))
        .collect();
    expected.sort();
    assert_eq!(deletes, expected, "destroy deletes each organization key once");
}

#[test]
fn project_api_key_updates_touch_only_what_changed() {
    let world = World::new();
    let p = projects(&world);
    let (p0, p1, p2) = (p[0].as_str(), p[1].as_str(), p[2].as_str());
    world.write(&multi(
        p0,
        "d",
        &[(p0, r#"["GROUP_OWNER"]"#), (p1, r#"["GROUP_READ_ONLY"]"#)],
    ));
    world.apply();
    let id = key_id(&world, "mongodbatlas_project_api_key.k");
    let private_key = world.resource_values("mongodbatlas_project_api_key.k")["private_key"].clone();

    let step = |hcl: String, expected: Vec<String>| {
        world.write(&hcl);
        let plan = world.plan();
        assert_eq!(plan.code, 2, "{}", plan.output());
        assert!(plan.stdout.contains("updated in-place"), "{}", plan.stdout);
        world.clear_requests();
        world.apply();
        assert_eq!(world.mutations(), expected);
        world.assert_converged();
        assert_eq!(key_id(&world, "mongodbatlas_project_api_key.k"), id, "same key");
    };
    // The role change of a later block is one PATCH of that project's roles.
    step(
        multi(
            p0,
            "d",
            &[
                (p0, r#"["GROUP_OWNER"]"#),
                (p1, r#"["GROUP_READ_ONLY", "GROUP_CLUSTER_MANAGER"]"#),
            ],
        ),
        vec![format!("PATCH /api/atlas/v2/groups/{p1}/apiKeys/{id}")],
    );
    // Adding a block assigns that project.
    step(
        multi(
            p0,
            "d",
            &[
                (p0, r#"["GROUP_OWNER"]"#),
                (p1, r#"["GROUP_READ_ONLY", "GROUP_CLUSTER_MANAGER"]"#),
                (p2, r#"["GROUP_OWNER"]"#),
            ],
        ),
        vec![format!("POST /api/atlas/v2/groups/{p2}/apiKeys/{id}")],
    );
    // Reordering blocks makes no API call.
    step(
        multi(
            p0,
            "d",
            &[
                (p0, r#"["GROUP_OWNER"]"#),
                (p2, r#"["GROUP_OWNER"]"#),
                (p1, r#"["GROUP_READ_ONLY", "GROUP_CLUSTER_MANAGER"]"#),
            ],
        ),
        vec![],
    );
    // Removing a block unassigns that project; the description is one PATCH of the org key.
    step(
        multi(p0, "renamed", &[(p0, r#"["GROUP_OWNER"]"#), (p2, r#"["GROUP_OWNER"]"#)]),
        vec![
            format!("DELETE /api/atlas/v2/groups/{p1}/apiKeys/{id}"),
            format!("PATCH /api/atlas/v2/orgs/{}/apiKeys/{id}", world.org_id()),
        ],
    );
    let (_, by_project) = atlas_roles(&world, &id);
    assert_eq!(
        by_project,
        BTreeMap::from([
            (p[0].clone(), set(&["GROUP_OWNER"])),
            (p[2].clone(), set(&["GROUP_OWNER"]))
        ])
    );
    assert_eq!(
        world.resource_values("mongodbatlas_project_api_key.k")["private_key"],
        private_key
    );

    // A different project_id never replaces the key: the key is an organization object, so the
    // change is an unassignment of the old projects and an assignment of the new one.
    world.write(&multi(p1, "renamed", &[(p1, r#"["GROUP_OWNER"]"#)]));
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(!plan.stdout.contains("forces replacement"), "{}", plan.output());
    assert!(plan.stdout.contains("will be updated in-place"), "{}", plan.output());
    world.clear_requests();
    world.apply();
    world.assert_mutations_in_any_order(vec![
        format!("DELETE /api/atlas/v2/groups/{p0}/apiKeys/{id}"),
        format!("DELETE /api/atlas/v2/groups/{p2}/apiKeys/{id}"),
        format!("POST /api/atlas/v2/groups/{p1}/apiKeys/{id}"),
    ]);
    assert_eq!(key_id(&world, "mongodbatlas_project_api_key.k"), id);
    world.assert_converged();
}

#[test]
fn project_api_key_imports_both_formats_and_detects_outside_changes() {
    let world = World::new();
    let p = projects(&world);
    let org = world.org_id();
    world.write(&seed_examples(&p));
    world.apply();
    for address in ["test", "multi", "api_1"] {
        let id = key_id(&world, &format!("mongodbatlas_project_api_key.{address}"));
        for first in [org.as_str(), p[0].as_str()] {
            for separator in ["-", "/"] {
                let fresh = tempfile::tempdir().unwrap();
                std::fs::copy(world.dir.path().join("main.tf"), fresh.path().join("main.tf")).unwrap();
                let import_id = format!("{first}{separator}{id}");
                let target = format!("mongodbatlas_project_api_key.{address}");
                let run = world.terraform_in(fresh.path(), &["import", "-no-color", &target, &import_id]);
                assert_eq!(run.code, 0, "import {import_id}:\n{}", run.output());
                assert!(run.output().contains("Private key not imported"), "{}", run.output());
                // At most an in-place update that makes no API call (a one-project form or
                // another block order), never a replacement.
                let target_flag = format!("-target={target}");
                let run = world.terraform_in(fresh.path(), &["plan", "-detailed-exitcode", "-no-color", &target_flag]);
                assert!(
                    run.code == 0 || run.code == 2,
                    "{address} as {import_id}:\n{}",
                    run.output()
                );
                assert!(
                    !run.stdout.contains("replace"),
                    "{address} as {import_id}:\n{}",
                    run.output()
                );
                world.clear_requests();
                let run = world.terraform_in(
                    fresh.path(),
                    &["apply", "-auto-approve", "-no-color", "-input=false", &target_flag],
                );
                assert_eq!(run.code, 0, "{}", run.output());
                assert_eq!(world.mutations(), Vec::<String>::new(), "{address} as {import_id}");
                let run = world.terraform_in(fresh.path(), &["plan", "-detailed-exitcode", "-no-color", &target_flag]);
                assert_eq!(
                    run.code,
                    0,
                    "{address} imported as {import_id} converges:\n{}",
                    run.output()
                );
            }
        }
    }
    let run = world.terraform(&["import", "-no-color", "mongodbatlas_project_api_key.test", "nonsense"]);
    assert!(
        run.output().contains("{org_id}-{api_key_id}") && run.output().contains("{project_id}-{api_key_id}"),
        "{}",
        run.output()
    );

    // Unassigned outside Terraform: the next plan restores the assignment.
    let id = key_id(&world, "mongodbatlas_project_api_key.api_1");
    world.admin("DELETE", &format!("/__emulator/groups/{}/apiKeys/{id}", p[1]), None);
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    world.clear_requests();
    world.apply();
    assert_eq!(
        world.mutations(),
        vec![format!("POST /api/atlas/v2/groups/{}/apiKeys/{id}", p[1])]
    );
    world.assert_converged();

    // Deleted outside Terraform: planned for creation.
    world.admin("DELETE", &format!("/__emulator/orgs/{org}/apiKeys/{id}"), None);
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(
        plan.stdout
            .contains("mongodbatlas_project_api_key.api_1 will be created"),
        "{}",
        plan.stdout
    );
}

#[test]
fn project_api_key_rules_fail_at_plan_time() {
    let world = World::new();
    let p = projects(&world);
    let (p0, p1) = (p[0].as_str(), p[1].as_str());
    let cases = [
        (multi(p0, "d", &[(p1, r#"["GROUP_OWNER"]"#)]), "must name the project of the first"),
        (
            "resource \"mongodbatlas_project_api_key\" \"k\" {\n  description = \"d\"\n  role_names = [\"GROUP_OWNER\"]\n}\n".to_string(),
            "role_names gives the key's roles in project_id",
        ),
        (multi(p0, "d", &[(p0, r#"["GROUP_OWNER"]"#), (p1, r#"["ORG_BILLING_ADMIN"]"#)]), "only in the first"),
        (multi(p0, "d", &[(p0, r#"["ORG_BILLING_ADMIN"]"#)]), "A project role is needed"),
        (multi(p0, "d", &[(p0, r#"["group_owner"]"#)]), "upper-case words"),
        (multi(p0, "d", &[(p0, r#"["ORG_READ_ONLY", "GROUP_OWNER"]"#)]), "ORG_READ_ONLY is not allowed"),
        (multi(p0, "d", &[(p0, r#"["GROUP_OWNER"]"#), (p0, r#"["GROUP_READ_ONLY"]"#)]), "already assigned"),
        (multi(p0, "d", &[]), "Set either role_names"),
        (
            format!("resource \"mongodbatlas_project_api_key\" \"k\" {{\n  project_id  = \"{p0}\"\n  description = \"d\"\n  role_names = [\"ORG_READ_ONLY\", \"GROUP_OWNER\"]\n}}\n"),
            "mongodbatlas_api_key_project_assignment",
        ),
        (
            format!("resource \"mongodbatlas_project_api_key\" \"k\" {{\n  project_id  = \"{p0}\"\n  description = \"d\"\n  role_names = [\"GROUP_OWNER\"]\n{}}}\n", blocks(&[(p0, r#"["GROUP_OWNER"]"#)])),
            "cannot both be set",
        ),
        (
            format!("resource \"mongodbatlas_project_api_key\" \"k\" {{\n  project_id  = \"{p0}\"\n  description = \"d\"\n  role_names = [\"ORG_READ_ONLY\"]\n}}\n"),
            "ORG_READ_ONLY is not allowed",
        ),
    ];
    for (hcl, message) in cases {
        world.write(&hcl);
        let run = world.plan();
        assert_eq!(run.code, 1, "expected a plan error:\n{hcl}\n{}", run.output());
        assert!(
            run.output().contains(message),
            "expected {message:?}:\n{}",
            run.output()
        );
        assert!(
            run.output().contains("on main.tf line"),
            "the error points at the configuration:\n{}",
            run.output()
        );
    }
    assert_eq!(
        world.mutations(),
        Vec::<String>::new(),
        "nothing reached a mutating endpoint"
    );
}

#[test]
fn programmatic_key_data_sources_read_every_page() {
    let world = World::new();
    let org = world.org_id();
    let p0 = world.project_id(0);
    let created = world.admin(
        "POST",
        &format!("/__emulator/orgs/{org}/apiKeys"),
        Some(json!({"count": 530, "desc_prefix": "outside", "roles": ["ORG_READ_ONLY"], "project_id": p0, "project_roles": ["GROUP_READ_ONLY"]})),
    );
    let ids: Vec<String> = serde_json::from_value(created["ids"].clone()).unwrap();
    let one = &ids[0];
    world.write(&format!(
        r#"
data "mongodbatlas_api_keys" "all" {{ org_id = "{org}" }}
data "mongodbatlas_api_key" "one" {{
  org_id     = "{org}"
  api_key_id = "{one}"
}}
data "mongodbatlas_project_api_keys" "all" {{ project_id = "{p0}" }}
data "mongodbatlas_project_api_key" "one" {{
  project_id = "{p0}"
  api_key_id = "{one}"
}}
output "org_count" {{ value = length(data.mongodbatlas_api_keys.all.results) }}
output "project_count" {{ value = length(data.mongodbatlas_project_api_keys.all.results) }}
output "one" {{ value = data.mongodbatlas_api_key.one }}
output "one_project" {{
  value     = data.mongodbatlas_project_api_key.one
  sensitive = true # its private_key, masked as it is, is sensitive
}}
"#
    ));
    world.apply();
    let run = world.terraform(&["output", "-json"]);
    let outputs: Json = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        outputs["org_count"]["value"],
        json!(531),
        "530 outside keys and the seeded one"
    );
    assert_eq!(outputs["project_count"]["value"], json!(530));
    assert_eq!(outputs["one"]["value"]["role_names"], json!(["ORG_READ_ONLY"]));
    assert_eq!(
        outputs["one"]["value"]["id"],
        json!(format!("{org}-{one}")),
        "id is the import ID"
    );
    assert_eq!(outputs["one_project"]["value"]["id"], json!(format!("{p0}-{one}")));
    assert_eq!(outputs["one"]["value"]["description"], json!("outside-0001"));
    assert_eq!(
        outputs["one_project"]["value"]["project_assignment"],
        json!([{"project_id": p0, "role_names": ["GROUP_READ_ONLY"]}])
    );
    let pages = world
        .requests()
        .iter()
        .filter(|r| {
            r["method"] == "GET" && r["path"] == format!("/api/atlas/v2/orgs/{org}/apiKeys") && r["status"] == 200
        })
        .count();
    assert_eq!(
        pages, 2,
        "the organization's 531 keys were listed once, in pages of 500, for the three data sources that read them"
    );

    // A key that does not exist is an error naming it.
    world.write(&format!(
        "data \"mongodbatlas_api_key\" \"missing\" {{\n  org_id     = \"{org}\"\n  api_key_id = \"aaaaaaaaaaaaaaaaaaaaaaaa\"\n}}\n"
    ));
    let run = world.plan();
    assert_eq!(run.code, 1);
    assert!(run.output().contains("aaaaaaaaaaaaaaaaaaaaaaaa"), "{}", run.output());
}
