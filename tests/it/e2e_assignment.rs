//! End-to-end scenarios for `mongodbatlas_api_key_project_assignment` and its data sources,
//! through the real `terraform` CLI against the in-process emulator, with the exact Atlas calls
//! of each operation.

use serde_json::{json, Value as Json};

use crate::support::World;

const ADDRESS: &str = "mongodbatlas_api_key_project_assignment.a";
const ONE_EXAMPLE: &str = "data-sources/mongodbatlas_api_key_project_assignment/data-source.tf";
const ALL_EXAMPLE: &str = "data-sources/mongodbatlas_api_key_project_assignments/data-source.tf";

fn example(path: &str) -> String {
    let full = format!("{}/examples/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|err| panic!("{full}: {err}"))
}

fn assignment(name: &str, project: &str, key: &str, roles: &str) -> String {
    format!(
        "resource \"mongodbatlas_api_key_project_assignment\" \"{name}\" {{\n  project_id = \"{project}\"\n  \
         api_key_id = \"{key}\"\n  roles      = {roles}\n}}\n"
    )
}

/// Creates `count` organization keys (with `ORG_READ_ONLY`, assigned nowhere) behind Terraform's back.
fn org_keys(world: &World, count: usize) -> Vec<String> {
    let created = world.admin(
        "POST",
        &format!("/__emulator/orgs/{}/apiKeys", world.org_id()),
        Some(json!({"count": count, "desc_prefix": "assignable", "roles": ["ORG_READ_ONLY"]})),
    );
    created["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|id| id.as_str().expect("id").to_string())
        .collect()
}

/// The key as Atlas holds it in the emulator's state dump.
fn atlas_key(world: &World, id: &str) -> Json {
    world.atlas_state()["api_keys"]
        .as_array()
        .expect("api_keys")
        .iter()
        .find(|key| key["id"] == id)
        .cloned()
        .unwrap_or(Json::Null)
}

/// Every Atlas request since the last `clear_requests` (digest challenges left out), sorted, as
/// "METHOD path".
fn calls(world: &World) -> Vec<String> {
    let mut calls = world.calls();
    calls.sort();
    calls
}

fn sorted(mut calls: Vec<String>) -> Vec<String> {
    calls.sort();
    calls
}

fn outputs(world: &World) -> Json {
    let run = world.terraform(&["output", "-json"]);
    assert_eq!(run.code, 0, "{}", run.output());
    serde_json::from_str(&run.stdout).expect("output -json")
}

fn run_ok(world: &World, dir: &std::path::Path, args: &[&str]) -> String {
    let run = world.terraform_in(dir, args);
    assert_eq!(run.code, 0, "terraform {args:?} failed:\n{}", run.output());
    run.output()
}

#[test]
fn assignment_example_gives_an_org_read_only_key_ownership_of_a_project() {
    let mut world = World::new();
    let (org, p0) = (world.org_id(), world.project_id(0));
    world.set_env("TF_VAR_org_id", &org);
    world.set_env("TF_VAR_project_id", &p0);
    world.write(&example(
        "resources/mongodbatlas_api_key_project_assignment/resource.tf",
    ));
    world.clear_requests();
    world.apply();
    let key_id = world.resource_values("mongodbatlas_api_key.ci")["api_key_id"]
        .as_str()
        .expect("api_key_id")
        .to_string();
    world.assert_mutations_in_any_order(vec![
        format!("POST /api/atlas/v2/orgs/{org}/apiKeys"),
        format!("POST /api/atlas/v2/groups/{p0}/apiKeys/{key_id}"),
    ]);
    // Atlas holds exactly the combination project_api_key's ORG_READ_ONLY rule forbids.
    let key = atlas_key(&world, &key_id);
    assert_eq!(key["org_roles"], json!(["ORG_READ_ONLY"]));
    assert_eq!(key["project_roles"], json!({ p0.clone(): ["GROUP_OWNER"] }));
    let assigned = world.resource_values("mongodbatlas_api_key_project_assignment.ci");
    assert_eq!(
        assigned,
        json!({"project_id": p0, "api_key_id": key_id, "roles": ["GROUP_OWNER"]}),
        "no id attribute, as in the official provider"
    );
    let key_state = world.resource_values("mongodbatlas_api_key.ci");
    assert_eq!(key_state["role_names"], json!(["ORG_READ_ONLY"]));
    world.assert_converged();

    world.clear_requests();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());
    world.assert_mutations_in_any_order(vec![
        format!("DELETE /api/atlas/v2/groups/{p0}/apiKeys/{key_id}"),
        format!("DELETE /api/atlas/v2/orgs/{org}/apiKeys/{key_id}"),
    ]);
    assert_eq!(atlas_key(&world, &key_id), Json::Null);
}

#[test]
fn assignment_lifecycle_with_exact_calls_outside_changes_import_and_idempotent_delete() {
    let world = World::new();
    let (org, p0, p1) = (world.org_id(), world.project_id(0), world.project_id(1));
    let key = org_keys(&world, 1).remove(0);
    let group = |p: &str| format!("GET /api/atlas/v2/groups/{p}");
    let get_key = format!("GET /api/atlas/v2/orgs/{org}/apiKeys/{key}");
    let list_keys = format!("GET /api/atlas/v2/orgs/{org}/apiKeys");
    let on = |method: &str, p: &str| format!("{method} /api/atlas/v2/groups/{p}/apiKeys/{key}");
    let roles_in = |p: &str| atlas_key(&world, &key)["project_roles"][p].clone();

    // Create: the project's organization once, the key (not assigned yet), the add.
    world.write(&assignment("a", &p0, &key, r#"["GROUP_READ_ONLY"]"#));
    world.clear_requests();
    world.apply();
    assert_eq!(
        calls(&world),
        sorted(vec![group(&p0), get_key.clone(), on("POST", &p0)])
    );
    assert_eq!(roles_in(&p0), json!(["GROUP_READ_ONLY"]));

    // Read: the key from the organization's listing (shared by every read of the process), plus
    // the organization once per provider process; never the project's listing.
    world.clear_requests();
    let run = world.plan();
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(calls(&world), sorted(vec![group(&p0), list_keys.clone()]));
    world.assert_converged();

    // Update: one PATCH (the plan's refresh reads as above).
    world.write(&assignment("a", &p0, &key, r#"["GROUP_OWNER", "GROUP_READ_ONLY"]"#));
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(plan.stdout.contains("updated in-place"), "{}", plan.stdout);
    world.clear_requests();
    world.apply();
    assert_eq!(
        calls(&world),
        sorted(vec![group(&p0), list_keys.clone(), on("PATCH", &p0)])
    );
    assert_eq!(roles_in(&p0), json!(["GROUP_OWNER", "GROUP_READ_ONLY"]));
    world.assert_converged();

    // Roles changed outside Terraform: detected, and put back with one PATCH.
    world.admin(
        "PUT",
        &format!("/__emulator/groups/{p0}/apiKeys/{key}"),
        Some(json!({"roles": ["GROUP_CLUSTER_MANAGER"]})),
    );
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(
        plan.stdout.contains("updated in-place") && plan.stdout.contains("GROUP_CLUSTER_MANAGER"),
        "{}",
        plan.stdout
    );
    world.clear_requests();
    world.apply();
    assert_eq!(world.mutations(), vec![on("PATCH", &p0)]);
    assert_eq!(roles_in(&p0), json!(["GROUP_OWNER", "GROUP_READ_ONLY"]));

    // Unassigned outside Terraform: removed from state, and the next apply assigns again.
    world.admin("DELETE", &format!("/__emulator/groups/{p0}/apiKeys/{key}"), None);
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(plan.stdout.contains("will be created"), "{}", plan.stdout);
    world.clear_requests();
    world.apply();
    assert_eq!(world.mutations(), vec![on("POST", &p0)]);
    world.assert_converged();

    // Import in both ID forms (CLI) and by an import block: the read alone, then no changes.
    for import_id in [format!("{p0}/{key}"), format!("{p0}-{key}")] {
        let fresh = tempfile::tempdir().expect("temp dir");
        std::fs::copy(world.dir.path().join("main.tf"), fresh.path().join("main.tf")).expect("copy");
        world.clear_requests();
        run_ok(&world, fresh.path(), &["import", "-no-color", ADDRESS, &import_id]);
        assert_eq!(
            calls(&world),
            sorted(vec![group(&p0), list_keys.clone()]),
            "{import_id}"
        );
        run_ok(&world, fresh.path(), &["plan", "-detailed-exitcode", "-no-color"]);
        let show = world.terraform_in(fresh.path(), &["show", "-json"]);
        assert_eq!(show.code, 0, "{}", show.output());
        let shown: Json = serde_json::from_str(&show.stdout).expect("show -json");
        let values = &shown["values"]["root_module"]["resources"][0]["values"];
        assert_eq!(
            values["roles"],
            json!(["GROUP_OWNER", "GROUP_READ_ONLY"]),
            "{import_id}"
        );
    }
    let by_block = tempfile::tempdir().expect("temp dir");
    let main = std::fs::read_to_string(world.dir.path().join("main.tf")).expect("main.tf");
    let block = format!("{main}\nimport {{\n  to = {ADDRESS}\n  id = \"{p0}/{key}\"\n}}\n");
    std::fs::write(by_block.path().join("main.tf"), block).expect("write");
    let output = run_ok(
        &world,
        by_block.path(),
        &["apply", "-auto-approve", "-no-color", "-input=false"],
    );
    assert!(
        output.contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{output}"
    );
    run_ok(&world, by_block.path(), &["plan", "-detailed-exitcode", "-no-color"]);

    let bad = tempfile::tempdir().expect("temp dir");
    std::fs::copy(world.dir.path().join("main.tf"), bad.path().join("main.tf")).expect("copy");
    let run = world.terraform_in(bad.path(), &["import", "-no-color", ADDRESS, &key]);
    assert_eq!(run.code, 1);
    assert!(run.output().contains("{project_id}/{api_key_id}"), "{}", run.output());
    let run = world.terraform_in(bad.path(), &["import", "-no-color", ADDRESS, &format!("{p1}/{key}")]);
    assert_eq!(run.code, 1);
    assert!(run.output().contains("non-existent"), "{}", run.output());

    // Another configuration with the same assignment: refused, with the import ID, no add.
    let other = tempfile::tempdir().expect("temp dir");
    std::fs::copy(world.dir.path().join("main.tf"), other.path().join("main.tf")).expect("copy");
    world.clear_requests();
    let run = world.terraform_in(other.path(), &["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 1, "{}", run.output());
    let output = run.output();
    assert!(output.contains("already assigned"), "{output}");
    assert!(
        output.contains(&format!("{p0}/{key}")),
        "names the import ID:\n{output}"
    );
    assert!(output.contains(":   api_key_id"), "points at api_key_id:\n{output}");
    assert_eq!(world.mutations(), Vec::<String>::new());

    // A new project replaces the assignment.
    world.write(&assignment("a", &p1, &key, r#"["GROUP_OWNER", "GROUP_READ_ONLY"]"#));
    let plan = world.plan();
    assert!(plan.stdout.contains("forces replacement"), "{}", plan.stdout);
    world.clear_requests();
    world.apply();
    world.assert_mutations_in_any_order(vec![on("DELETE", &p0), on("POST", &p1)]);
    assert_eq!(roles_in(&p0), Json::Null);
    world.assert_converged();

    // Delete succeeds when the assignment is already gone.
    world.admin("DELETE", &format!("/__emulator/groups/{p1}/apiKeys/{key}"), None);
    world.clear_requests();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color", "-refresh=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(world.mutations(), vec![on("DELETE", &p1)]);

    // ... and when the project is gone (a project deleted with its assignments, outside Terraform).
    world.apply();
    world.admin("DELETE", &format!("/__emulator/groups/{p1}"), None);
    world.clear_requests();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color", "-refresh=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(world.mutations(), vec![on("DELETE", &p1)]);

    // A deleted key: removed from state on read; create then says the key does not exist; and
    // a delete of its assignment succeeds.
    world.write(&assignment("a", &p0, &key, r#"["GROUP_OWNER"]"#));
    world.apply();
    world.admin("DELETE", &format!("/__emulator/orgs/{org}/apiKeys/{key}"), None);
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(plan.stdout.contains("will be created"), "{}", plan.stdout);
    world.clear_requests();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color", "-refresh=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(world.mutations(), vec![on("DELETE", &p0)]);
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.output().contains("No API key with ID"), "{}", run.output());
    assert!(run.output().contains(":   api_key_id"), "{}", run.output());
    assert_eq!(world.state_key_ids(), Vec::<String>::new());
}

#[test]
fn many_assignments_in_one_project_look_up_its_organization_once() {
    let world = World::new();
    let (org, p0) = (world.org_id(), world.project_id(0));
    let keys = org_keys(&world, 5);
    let config: String = keys
        .iter()
        .enumerate()
        .map(|(index, key)| assignment(&format!("a{index}"), &p0, key, r#"["GROUP_READ_ONLY"]"#))
        .collect();
    world.write(&config);
    world.clear_requests();
    world.apply();
    let mut expected = vec![format!("GET /api/atlas/v2/groups/{p0}")];
    for key in &keys {
        expected.push(format!("GET /api/atlas/v2/orgs/{org}/apiKeys/{key}"));
        expected.push(format!("POST /api/atlas/v2/groups/{p0}/apiKeys/{key}"));
    }
    assert_eq!(calls(&world), sorted(expected));

    world.clear_requests();
    let run = world.plan();
    assert_eq!(run.code, 0, "{}", run.output());
    let expected = vec![
        format!("GET /api/atlas/v2/groups/{p0}"),
        format!("GET /api/atlas/v2/orgs/{org}/apiKeys"),
    ];
    assert_eq!(
        calls(&world),
        sorted(expected),
        "one listing of the organization's keys serves every read, no project listing"
    );
}

#[test]
fn assignment_lost_answers_are_adopted_only_when_atlas_made_them() {
    let world = World::new();
    let (org, p0) = (world.org_id(), world.project_id(0));
    let key = org_keys(&world, 1).remove(0);
    world.write(&assignment("a", &p0, &key, r#"["GROUP_OWNER"]"#));
    let add = format!("POST /api/atlas/v2/groups/{p0}/apiKeys/{key}");
    let get_key = format!("GET /api/atlas/v2/orgs/{org}/apiKeys/{key}");

    // A 503 before processing: nothing was assigned, so nothing is tracked and the error shows.
    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 503, "method": "POST", "path_contains": "/groups/", "times": 1},
    ]}));
    world.clear_requests();
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.output().contains("503"), "{}", run.output());
    assert_eq!(atlas_key(&world, &key)["project_roles"], json!({}));
    assert_eq!(world.state_key_ids(), Vec::<String>::new());
    assert_eq!(
        calls(&world),
        sorted(vec![
            format!("GET /api/atlas/v2/groups/{p0}"),
            get_key.clone(),
            add.clone(),
            get_key.clone()
        ])
    );

    // A 500 after processing: the assignment Atlas made has the roles sent, so it is ours.
    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 500, "phase": "after", "method": "POST", "path_contains": "/groups/", "times": 1},
    ]}));
    world.apply();
    assert_eq!(world.state_key_ids(), vec![key.clone()]);
    assert_eq!(atlas_key(&world, &key)["project_roles"][&p0], json!(["GROUP_OWNER"]));
    world.set_faults(json!({"rules": []}));
    world.assert_converged();
}

#[test]
fn assignment_plan_time_diagnostics_point_at_their_attributes() {
    let world = World::new();
    let p0 = world.project_id(0);
    let key = "6576974933969669aaaaaaaa";
    let cases = [
        (
            assignment("a", &p0, key, r#"["GROUP_OWNER", "ORG_READ_ONLY"]"#),
            "roles",
            "role_names of mongodbatlas_api_key",
        ),
        (assignment("a", &p0, key, "[]"), "roles", "roles"),
        (
            assignment("a", &p0, key, r#"["group owner"]"#),
            "roles",
            "is not a role name",
        ),
        (
            assignment("a", "not-a-project", key, r#"["GROUP_OWNER"]"#),
            "project_id",
            "24-character",
        ),
        (
            assignment("a", &p0, "abcdefgh", r#"["GROUP_OWNER"]"#),
            "api_key_id",
            "24-character",
        ),
    ];
    world.clear_requests();
    for (hcl, attribute, message) in cases {
        world.write(&hcl);
        let run = world.plan();
        assert_eq!(run.code, 1, "expected a plan error for {attribute}:\n{}", run.output());
        let output = run.output();
        assert!(output.contains(message), "expected {message:?} in:\n{output}");
        assert!(
            output.contains(&format!(":   {attribute}")),
            "the diagnostic points at {attribute}:\n{output}"
        );
    }
    assert_eq!(calls(&world), Vec::<String>::new(), "plan-time errors call nothing");
}

#[test]
fn assignment_apply_time_errors_point_at_their_attributes() {
    let world = World::new();
    let p0 = world.project_id(0);
    let keys = org_keys(&world, 1);
    // A well-formed role Atlas does not know: Atlas's error, on `roles`.
    world.write(&assignment("a", &p0, &keys[0], r#"["GROUP_NOPE"]"#));
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.output().contains("Invalid role"), "{}", run.output());
    assert!(run.output().contains(":   roles"), "{}", run.output());

    // Two resources of one configuration for the same key and project: one add only.
    let twice = [
        assignment("a", &p0, &keys[0], r#"["GROUP_OWNER"]"#),
        assignment("b", &p0, &keys[0], r#"["GROUP_READ_ONLY"]"#),
    ]
    .concat();
    world.write(&twice);
    world.clear_requests();
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.output().contains("API key assigned twice"), "{}", run.output());
    assert!(run.output().contains(":   api_key_id"), "{}", run.output());
    assert_eq!(world.mutations().len(), 1, "{:?}", world.mutations());
    assert_eq!(world.state_key_ids().len(), 1);
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());

    // The owner role Atlas gives the key that creates a project is not adopted: the error names
    // the import ID, and importing it converges.
    let creator = org_keys(&world, 1).remove(0);
    world.admin(
        "PUT",
        &format!("/__emulator/groups/{p0}/apiKeys/{creator}"),
        Some(json!({"roles": ["GROUP_OWNER"]})),
    );
    world.write(&assignment("a", &p0, &creator, r#"["GROUP_OWNER"]"#));
    world.clear_requests();
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 1, "{}", run.output());
    let output = run.output();
    assert!(output.contains("with roles GROUP_OWNER"), "{output}");
    assert!(output.contains(&format!("{p0}/{creator}")), "{output}");
    assert!(output.contains(":   api_key_id"), "{output}");
    assert_eq!(world.mutations(), Vec::<String>::new());
    let run = world.terraform(&["import", "-no-color", ADDRESS, &format!("{p0}/{creator}")]);
    assert_eq!(run.code, 0, "{}", run.output());
    world.assert_converged();
}

#[test]
fn assignment_data_source_examples_read_roles_and_every_page() {
    let mut world = World::new();
    let (p1, p2) = (world.project_id(1), world.project_id(2));
    let key = org_keys(&world, 1).remove(0);
    world.admin(
        "PUT",
        &format!("/__emulator/groups/{p1}/apiKeys/{key}"),
        Some(json!({"roles": ["GROUP_READ_ONLY", "GROUP_OWNER"]})),
    );
    let org = world.org_id();
    world.set_env("TF_VAR_org_id", &org);
    world.set_env("TF_VAR_project_id", &p1);

    // The example assigns a key of its own and reads the assignment back.
    world.write(&example(ONE_EXAMPLE));
    world.apply();
    assert_eq!(outputs(&world)["roles"]["value"], json!(["GROUP_OWNER"]));
    world.clear_requests();
    assert_eq!(world.plan().code, 0);
    assert_eq!(
        calls(&world),
        sorted(vec![
            format!("GET /api/atlas/v2/groups/{p1}"),
            format!("GET /api/atlas/v2/orgs/{org}/apiKeys"),
        ]),
        "the key, the assignment and the data source share one listing; the project's organization is looked up once"
    );
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());

    // A key assigned outside Terraform with two roles: the data source alone.
    let read = |project: &str| {
        format!(
            "data \"mongodbatlas_api_key_project_assignment\" \"this\" {{\n  project_id = \"{project}\"\n  api_key_id = \"{key}\"\n}}\n\
             output \"roles\" {{\n  value = data.mongodbatlas_api_key_project_assignment.this.roles\n}}\n"
        )
    };
    world.write(&read(&p1));
    world.clear_requests();
    world.apply();
    assert_eq!(
        outputs(&world)["roles"]["value"],
        json!(["GROUP_OWNER", "GROUP_READ_ONLY"])
    );
    assert_eq!(
        calls(&world),
        sorted(vec![
            format!("GET /api/atlas/v2/groups/{p1}"),
            format!("GET /api/atlas/v2/orgs/{org}/apiKeys"),
        ])
    );

    world.admin(
        "POST",
        &format!("/__emulator/orgs/{}/apiKeys", world.org_id()),
        Some(json!({"count": 520, "project_id": p2, "project_roles": ["GROUP_READ_ONLY"]})),
    );
    world.set_env("TF_VAR_project_id", &p2);
    world.write(&example(ALL_EXAMPLE));
    world.clear_requests();
    world.apply();
    let list = format!("GET /api/atlas/v2/groups/{p2}/apiKeys");
    assert_eq!(calls(&world), vec![list.clone(), list], "two pages of 500");
    let assigned = outputs(&world)["assigned_keys"]["value"].clone();
    let assigned = assigned.as_object().expect("a map");
    assert_eq!(assigned.len(), 520, "every page");
    assert!(assigned.values().all(|roles| roles == &json!(["GROUP_READ_ONLY"])));

    // A key not assigned to the project is an error on api_key_id.
    world.write(&read(&p2));
    let run = world.plan();
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.output().contains("is not assigned to project"), "{}", run.output());
    assert!(run.output().contains(":   api_key_id"), "{}", run.output());

    // Plan-time checks of the data sources' arguments point at them and call nothing.
    let key_id = "6576974933969669aaaaaaaa";
    let one = |project: &str, key: &str| {
        format!("data \"mongodbatlas_api_key_project_assignment\" \"d\" {{\n  project_id = \"{project}\"\n  api_key_id = \"{key}\"\n}}\n")
    };
    let cases = [
        (one("p", key_id), "project_id"),
        (one(&p1, "abcdefgh"), "api_key_id"),
        (
            "data \"mongodbatlas_api_key_project_assignments\" \"d\" {\n  project_id = \"p\"\n}\n".to_string(),
            "project_id",
        ),
    ];
    world.clear_requests();
    for (hcl, attribute) in cases {
        world.write(&hcl);
        let run = world.plan();
        assert_eq!(run.code, 1, "{}", run.output());
        assert!(run.output().contains("24-character"), "{}", run.output());
        assert!(run.output().contains(&format!(":   {attribute}")), "{}", run.output());
    }
    assert_eq!(calls(&world), Vec::<String>::new());
}
