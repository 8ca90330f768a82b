//! End-to-end: `moved` blocks between `mongodbatlas_project_api_key` and
//! `mongodbatlas_api_key` through the real `terraform` (MoveResourceState). The key is the same
//! Atlas object on both sides, so a move creates and deletes nothing and keeps the private key
//! Atlas showed only at creation; the project roles move to (or from)
//! `mongodbatlas_api_key_project_assignment` resources adopted by `import` blocks (or left with
//! `removed` blocks) in the same apply. Moves Terraform asks for that the provider does not
//! support, and those it cannot complete, fail at plan time with a diagnostic naming what is
//! supported or what is missing.

use serde_json::{json, Value as Json};

use crate::e2e_upgrade::{
    blocks_json, hcl_blocks, official_project_key, older_official_project_key, write_state, Atlas, Created,
};
use crate::support::{flat, World};

const DESCRIPTION: &str = "moved key";

/// The official provider's documented form: blocks, no top-level `project_id`.
fn project_key_config(blocks: &[(&str, &[&str])]) -> String {
    format!(
        "resource \"mongodbatlas_project_api_key\" \"k\" {{\n  description = \"{DESCRIPTION}\"\n{}}}\n",
        hcl_blocks(blocks)
    )
}

/// An organization key with `org_roles` and one assignment per project, each named `p<index>`.
fn org_key_config(org: &str, org_roles: &[&str], assignments: &[(&str, &[&str])]) -> String {
    let mut config = format!(
        "resource \"mongodbatlas_api_key\" \"k\" {{\n  org_id      = \"{org}\"\n  description = \"{DESCRIPTION}\"\n  role_names  = {org_roles:?}\n}}\n"
    );
    for (index, (project, roles)) in assignments.iter().enumerate() {
        config.push_str(&format!(
            "\nresource \"mongodbatlas_api_key_project_assignment\" \"p{index}\" {{\n  project_id = \"{project}\"\n  api_key_id = mongodbatlas_api_key.k.api_key_id\n  roles      = {roles:?}\n}}\n"
        ));
    }
    config
}

/// The moved block and one import block per assignment, whose ID takes the key's id from the
/// moved resource (known at plan time: Terraform refreshes the moved state first).
fn moved_to_org_key(assignments: &[(&str, &[&str])]) -> String {
    let mut config =
        "\nmoved {\n  from = mongodbatlas_project_api_key.k\n  to   = mongodbatlas_api_key.k\n}\n".to_string();
    for (index, (project, _)) in assignments.iter().enumerate() {
        config.push_str(&format!(
            "\nimport {{\n  to = mongodbatlas_api_key_project_assignment.p{index}\n  id = \"{project}/${{mongodbatlas_api_key.k.api_key_id}}\"\n}}\n"
        ));
    }
    config
}

fn string_at(values: &Json, name: &str) -> String {
    values[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {values:#}"))
        .to_string()
}

/// A key's mutating calls: creates (`POST .../apiKeys`) and deletes (`DELETE .../apiKeys/{id}`
/// of the organization).
fn key_creates_and_deletes(world: &World) -> Vec<String> {
    world
        .mutations()
        .into_iter()
        .filter(|call| {
            call.ends_with("/apiKeys")
                || (call.starts_with("DELETE /api/atlas/v2/orgs/") && !call.contains("accessList"))
        })
        .collect()
}

#[test]
fn a_project_key_becomes_an_org_key_and_assignments_in_one_apply_keeping_its_secret() {
    let world = World::new();
    let org = world.org_id();
    let (p0, p1) = (world.project_id(0), world.project_id(1));
    let owner: &[&str] = &["GROUP_OWNER"];
    let read_only: &[&str] = &["GROUP_READ_ONLY"];
    let blocks = [(p0.as_str(), owner), (p1.as_str(), read_only)];
    world.write(&project_key_config(&blocks));
    world.apply();
    let before = world.resource_values("mongodbatlas_project_api_key.k");
    let api_key_id = string_at(&before, "api_key_id");
    let private_key = string_at(&before, "private_key");

    world.write(&(org_key_config(&org, &["ORG_MEMBER"], &blocks) + &moved_to_org_key(&blocks)));
    world.clear_requests();
    let run = world.terraform(&["plan", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    let plan = flat(&run.stdout);
    assert!(
        plan.contains("mongodbatlas_project_api_key.k has moved to mongodbatlas_api_key.k"),
        "{plan}"
    );
    assert!(
        plan.contains("Plan: 2 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    let mut plan_calls = world.calls();
    plan_calls.sort();
    let mut expected = vec![
        format!("GET /api/atlas/v2/orgs/{org}/apiKeys"),
        format!("GET /api/atlas/v2/groups/{p0}"),
        format!("GET /api/atlas/v2/groups/{p1}"),
    ];
    expected.sort();
    assert_eq!(
        plan_calls, expected,
        "the moved key and both imported assignments ({api_key_id}) are read from one listing of the organization's \
         keys; each project's organization is looked up once"
    );

    world.clear_requests();
    let run = world.apply();
    assert!(
        flat(&run.stdout).contains("Apply complete! Resources: 2 imported, 0 added, 0 changed, 0 destroyed."),
        "{}",
        run.output()
    );
    assert_eq!(
        world.mutations(),
        Vec::<String>::new(),
        "the migration writes nothing to Atlas"
    );
    let mut apply_calls = world.calls();
    apply_calls.sort();
    assert_eq!(
        apply_calls, expected,
        "the apply's plan reads the same, and nothing else is sent"
    );
    assert_eq!(key_creates_and_deletes(&world), Vec::<String>::new());

    let after = world.resource_values("mongodbatlas_api_key.k");
    assert_eq!(after["private_key"], json!(private_key), "the private key is kept");
    assert_eq!(after["api_key_id"], json!(api_key_id));
    assert_eq!(after["public_key"], before["public_key"]);
    assert_eq!(after["org_id"], json!(org));
    assert_eq!(after["id"], json!(format!("{org}-{api_key_id}")));
    assert_eq!(after["role_names"], json!(["ORG_MEMBER"]));
    assert_eq!(
        world.key_ids_described(DESCRIPTION),
        vec![api_key_id.clone()],
        "one key in Atlas"
    );
    let p1_assignment = world.resource_values("mongodbatlas_api_key_project_assignment.p1");
    assert_eq!(p1_assignment["roles"], json!(["GROUP_READ_ONLY"]));
    world.assert_converged();

    // The moved resources work as any: a role changed outside is drift, undone with one call.
    world.admin(
        "PUT",
        &format!("/__emulator/groups/{p1}/apiKeys/{api_key_id}"),
        Some(json!({"roles": ["GROUP_OWNER"]})),
    );
    assert_eq!(world.plan().code, 2, "the outside change is detected");
    world.clear_requests();
    world.apply();
    assert_eq!(
        world.mutations(),
        vec![format!("PATCH /api/atlas/v2/groups/{p1}/apiKeys/{api_key_id}")]
    );
    world.clear_requests();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    world.assert_mutations_in_any_order(vec![
        format!("DELETE /api/atlas/v2/groups/{p0}/apiKeys/{api_key_id}"),
        format!("DELETE /api/atlas/v2/groups/{p1}/apiKeys/{api_key_id}"),
        format!("DELETE /api/atlas/v2/orgs/{org}/apiKeys/{api_key_id}"),
    ]);
}

#[test]
fn an_org_key_with_assignments_becomes_a_project_key_in_one_apply_keeping_its_secret() {
    let world = World::new();
    let org = world.org_id();
    let (p0, p1) = (world.project_id(0), world.project_id(1));
    let owner: &[&str] = &["GROUP_OWNER"];
    let two: &[&str] = &["GROUP_READ_ONLY", "GROUP_DATA_ACCESS_READ_ONLY"];
    // Configured in the reverse of Atlas's (sorted) order.
    let blocks = [(p1.as_str(), two), (p0.as_str(), owner)];
    world.write(&org_key_config(&org, &["ORG_MEMBER"], &blocks));
    world.apply();
    let before = world.resource_values("mongodbatlas_api_key.k");
    let api_key_id = string_at(&before, "api_key_id");
    let private_key = string_at(&before, "private_key");

    world.write(&format!(
        "{}\nmoved {{\n  from = mongodbatlas_api_key.k\n  to   = mongodbatlas_project_api_key.k\n}}\n\n\
         removed {{\n  from = mongodbatlas_api_key_project_assignment.p0\n  lifecycle {{\n    destroy = false\n  }}\n}}\n\n\
         removed {{\n  from = mongodbatlas_api_key_project_assignment.p1\n  lifecycle {{\n    destroy = false\n  }}\n}}\n",
        project_key_config(&blocks)
    ));
    world.clear_requests();
    let run = world.apply();
    assert_eq!(
        world.mutations(),
        Vec::<String>::new(),
        "the move writes nothing to Atlas:\n{}",
        run.output()
    );
    let after = world.resource_values("mongodbatlas_project_api_key.k");
    assert_eq!(after["private_key"], json!(private_key), "the private key is kept");
    assert_eq!(after["api_key_id"], json!(api_key_id));
    assert_eq!(after["org_id"], json!(org));
    assert_eq!(after["project_id"], json!(p1), "the configuration's first project");
    assert_eq!(after["project_assignment"], blocks_json(&blocks));
    world.assert_converged();
    assert_eq!(world.key_ids_described(DESCRIPTION), vec![api_key_id]);
}

/// Applies an organization key with `org_roles` and `assignments`, then asks to move it to a
/// project key configured with one block in the first project; returns the failed plan's
/// output, flattened.
fn refused_move_to_project_key(org_roles: &[&str], assignments: &[(&str, &[&str])]) -> (World, String) {
    let world = World::new();
    let org = world.org_id();
    let p0 = world.project_id(0);
    world.write(&org_key_config(&org, org_roles, assignments));
    world.apply();
    let owner: &[&str] = &["GROUP_OWNER"];
    world.write(&format!(
        "{}\nmoved {{\n  from = mongodbatlas_api_key.k\n  to   = mongodbatlas_project_api_key.k\n}}\n",
        project_key_config(&[(p0.as_str(), owner)])
    ));
    world.clear_requests();
    let run = world.plan();
    assert_eq!(run.code, 1, "the move must fail:\n{}", run.output());
    (world, flat(&run.stderr))
}

#[test]
fn an_org_key_with_org_read_only_is_not_moved_to_a_project_key() {
    let (world, stderr) = refused_move_to_project_key(&["ORG_READ_ONLY"], &[]);
    assert!(
        stderr.contains("Cannot move a key with ORG_READ_ONLY to mongodbatlas_project_api_key"),
        "{stderr}"
    );
    assert!(stderr.contains("mongodbatlas_api_key_project_assignment"), "{stderr}");
    assert_eq!(
        world.calls(),
        Vec::<String>::new(),
        "the move is refused before any read"
    );
    assert_eq!(
        world.plan().code,
        1,
        "the state is unchanged and the move still refused"
    );
}

#[test]
fn an_org_key_without_projects_is_not_moved_to_a_project_key() {
    let (world, stderr) = refused_move_to_project_key(&["ORG_MEMBER"], &[]);
    assert!(stderr.contains("A project API key needs a project"), "{stderr}");
    assert!(stderr.contains("needs at least one project assignment"), "{stderr}");
    assert_eq!(world.mutations(), Vec::<String>::new());
}

#[test]
fn moves_from_other_types_and_providers_name_the_supported_moves() {
    let world = World::new();
    let org = world.org_id();
    world.write(&format!(
        "{}\nresource \"mongodbatlas_access_list_api_key\" \"a\" {{\n  org_id     = \"{org}\"\n  api_key_id = mongodbatlas_api_key.k.api_key_id\n  cidr_block = \"192.0.2.0/24\"\n}}\n\nresource \"terraform_data\" \"t\" {{\n  input = \"x\"\n}}\n",
        org_key_config(&org, &["ORG_MEMBER"], &[])
    ));
    world.apply();
    let supported = "This provider supports only these moves between resource types: \
        from mongodbatlas_project_api_key (written by registry.terraform.io/mongodb/mongodbatlas) to mongodbatlas_api_key; \
        from mongodbatlas_api_key (written by registry.terraform.io/mongodb/mongodbatlas) to mongodbatlas_project_api_key.";

    let cases = [
        (
            "mongodbatlas_access_list_api_key.a",
            "mongodbatlas_api_key.moved",
            "A moved block asks to move a \"mongodbatlas_access_list_api_key\" of provider \"registry.terraform.io/mongodb/mongodbatlas\" to \"mongodbatlas_api_key\".",
        ),
        (
            "terraform_data.t",
            "mongodbatlas_api_key.moved",
            "A moved block asks to move a \"terraform_data\" of provider \"terraform.io/builtin/terraform\" to \"mongodbatlas_api_key\".",
        ),
        (
            "mongodbatlas_api_key.k",
            "mongodbatlas_access_list_api_key.moved",
            "A moved block asks to move a \"mongodbatlas_api_key\" of provider \"registry.terraform.io/mongodb/mongodbatlas\" to \"mongodbatlas_access_list_api_key\".",
        ),
    ];
    for (from, to, asked) in cases {
        let (kind, name) = to.split_once('.').unwrap();
        let body = match kind {
            "mongodbatlas_api_key" => format!(
                "resource \"mongodbatlas_api_key\" \"{name}\" {{\n  org_id      = \"{org}\"\n  description = \"d\"\n  role_names  = [\"ORG_MEMBER\"]\n}}\n"
            ),
            _ => format!(
                "resource \"mongodbatlas_access_list_api_key\" \"{name}\" {{\n  org_id     = \"{org}\"\n  api_key_id = \"6576974933969669aaaaaaaa\"\n  cidr_block = \"192.0.2.0/24\"\n}}\n"
            ),
        };
        std::fs::write(
            world.dir.path().join("moved.tf"),
            format!("{body}\nmoved {{\n  from = {from}\n  to   = {to}\n}}\n"),
        )
        .unwrap();
        let run = world.plan();
        assert_eq!(run.code, 1, "{from} -> {to} must fail:\n{}", run.output());
        let stderr = flat(&run.stderr);
        assert!(stderr.contains("Unsupported move between resource types"), "{stderr}");
        assert!(stderr.contains(asked), "{stderr}");
        assert!(stderr.contains(supported), "{stderr}");
    }
}

#[test]
fn official_project_key_states_move_to_org_keys_learning_the_organization() {
    let world = World::new();
    let atlas = Atlas::new(&world);
    let org = world.org_id();
    let (p0, p1, p2) = (world.project_id(0), world.project_id(1), world.project_id(2));
    let owner: &[&str] = &["GROUP_OWNER"];
    let read_only: &[&str] = &["GROUP_READ_ONLY"];
    let blocks = [(p0.as_str(), owner), (p1.as_str(), read_only)];
    let current = atlas.project_key("official current", &blocks);
    let older_blocks = [(p2.as_str(), read_only)];
    let older = atlas.project_key("official older", &older_blocks);
    write_state(
        &world,
        vec![
            official_project_key("current", &current, "official current", &blocks),
            older_official_project_key("older", &older, "official older", &p2, &older_blocks),
        ],
    );
    let org_key = |name: &str, description: &str| {
        format!(
            "resource \"mongodbatlas_api_key\" \"{name}\" {{\n  org_id      = \"{org}\"\n  description = \"{description}\"\n  role_names  = [\"ORG_MEMBER\"]\n}}\n\n\
             moved {{\n  from = mongodbatlas_project_api_key.{name}\n  to   = mongodbatlas_api_key.{name}\n}}\n"
        )
    };
    let mut config = org_key("current", "official current") + &org_key("older", "official older");
    for (index, (project, roles)) in blocks.iter().chain(&older_blocks).enumerate() {
        let key = if index < 2 { "current" } else { "older" };
        let id = if index < 2 { &current.id } else { &older.id };
        config.push_str(&format!(
            "\nresource \"mongodbatlas_api_key_project_assignment\" \"p{index}\" {{\n  project_id = \"{project}\"\n  api_key_id = mongodbatlas_api_key.{key}.api_key_id\n  roles      = {roles:?}\n}}\n\n\
             import {{\n  to = mongodbatlas_api_key_project_assignment.p{index}\n  id = \"{project}/{id}\"\n}}\n"
        ));
    }
    world.write(&config);
    let run = world.terraform(&["plan", "-refresh=false", "-no-color", "-input=false"]);
    assert_eq!(
        run.code,
        1,
        "without a refresh the organization is unknown:\n{}",
        run.output()
    );
    assert!(
        flat(&run.stderr).contains("Moved state not refreshed"),
        "{}",
        run.stderr
    );
    assert!(
        flat(&run.stderr).contains("its organization (org_id) is known only after a refresh"),
        "{}",
        run.stderr
    );
    world.clear_requests();
    let run = world.apply();
    assert_eq!(
        world.mutations(),
        Vec::<String>::new(),
        "nothing is written:\n{}",
        run.output()
    );
    // Each project the keys were created through is asked for its organization once.
    let groups: Vec<String> = world.calls().into_iter().filter(|c| c.contains("/groups/")).collect();
    let mut expected_groups = vec![
        format!("GET /api/atlas/v2/groups/{p0}"),
        format!("GET /api/atlas/v2/groups/{p1}"),
        format!("GET /api/atlas/v2/groups/{p2}"),
    ];
    expected_groups.sort();
    let mut groups_sorted = groups.clone();
    groups_sorted.sort();
    assert_eq!(groups_sorted, expected_groups, "{groups:#?}");
    for (name, key) in [("current", &current), ("older", &older)] {
        let values = world.resource_values(&format!("mongodbatlas_api_key.{name}"));
        assert_eq!(
            values["private_key"],
            json!(key.private_key),
            "{name}: the private key is kept"
        );
        assert_eq!(values["public_key"], json!(key.public_key));
        assert_eq!(values["org_id"], json!(org), "{name}: the organization is learnt");
        assert_eq!(values["id"], json!(format!("{org}-{}", key.id)));
        assert_eq!(values["role_names"], json!(["ORG_MEMBER"]));
    }
    world.assert_converged();
}

#[test]
fn a_moved_state_planned_without_refresh_is_refused() {
    let world = World::new();
    let org = world.org_id();
    let p0 = world.project_id(0);
    let owner: &[&str] = &["GROUP_OWNER"];
    let blocks = [(p0.as_str(), owner)];
    world.write(&org_key_config(&org, &["ORG_MEMBER"], &blocks));
    world.apply();
    world.write(&format!(
        "{}\nmoved {{\n  from = mongodbatlas_api_key.k\n  to   = mongodbatlas_project_api_key.k\n}}\n\n\
         removed {{\n  from = mongodbatlas_api_key_project_assignment.p0\n  lifecycle {{\n    destroy = false\n  }}\n}}\n",
        project_key_config(&blocks)
    ));
    let run = world.terraform(&["plan", "-refresh=false", "-no-color", "-input=false"]);
    assert_eq!(run.code, 1, "{}", run.output());
    let stderr = flat(&run.stderr);
    assert!(stderr.contains("Moved state not refreshed"), "{stderr}");
    assert!(stderr.contains("Plan without -refresh=false"), "{stderr}");
    assert_eq!(world.plan().code, 2, "with a refresh the move plans");
}

#[test]
fn a_source_state_that_does_not_fit_its_type_is_a_diagnostic() {
    let world = World::new();
    let org = world.org_id();
    let garbage = json!({
        "mode": "managed",
        "type": "mongodbatlas_project_api_key",
        "name": "k",
        "provider": "provider[\"registry.terraform.io/mongodb/mongodbatlas\"]",
        "instances": [{
            "schema_version": 0,
            "attributes": {"api_key_id": {"not": "a string"}, "project_assignment": "nope"},
            "dependencies": []
        }]
    });
    write_state(&world, vec![garbage]);
    world.write(&format!(
        "{}\nmoved {{\n  from = mongodbatlas_project_api_key.k\n  to   = mongodbatlas_api_key.k\n}}\n",
        org_key_config(&org, &["ORG_MEMBER"], &[])
    ));
    world.clear_requests();
    let run = world.plan();
    assert_eq!(run.code, 1, "{}", run.output());
    let stderr = flat(&run.stderr);
    assert!(stderr.contains("Could not read the stored state"), "{stderr}");
    assert!(!stderr.contains("panic"), "{stderr}");
    assert_eq!(world.calls(), Vec::<String>::new());
}

#[test]
fn a_moved_official_key_destroyed_without_refresh_is_refused_and_kept() {
    let world = World::new();
    let atlas = Atlas::new(&world);
    let org = world.org_id();
    let p0 = world.project_id(0);
    let owner: &[&str] = &["GROUP_OWNER"];
    let blocks = [(p0.as_str(), owner)];
    let key = atlas.project_key("official", &blocks);
    write_state(&world, vec![official_project_key("k", &key, "official", &blocks)]);
    world.write(&format!(
        "resource \"mongodbatlas_api_key\" \"k\" {{\n  org_id      = \"{org}\"\n  description = \"official\"\n  role_names  = [\"ORG_MEMBER\"]\n}}\n\n\
         moved {{\n  from = mongodbatlas_project_api_key.k\n  to   = mongodbatlas_api_key.k\n}}\n"
    ));
    world.clear_requests();
    let run = world.terraform(&[
        "destroy",
        "-refresh=false",
        "-auto-approve",
        "-no-color",
        "-input=false",
    ]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        flat(&run.stderr).contains("Moved state not refreshed"),
        "{}",
        run.stderr
    );
    assert_eq!(world.mutations(), Vec::<String>::new(), "nothing is deleted on a guess");
    assert_eq!(world.key_ids_described("official"), vec![key.id.clone()]);

    // With a refresh, the destroy learns the organization and deletes the key.
    world.clear_requests();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        world.mutations(),
        vec![format!("DELETE /api/atlas/v2/orgs/{org}/apiKeys/{}", key.id)]
    );
}

/// The configuration of a reverse move: the project key with `blocks`, the moved block, and a
/// removed block (destroy = false) for each of `assignments` (`p<index>`).
fn moved_to_project_key(blocks: &[(&str, &[&str])], assignments: usize) -> String {
    let mut config = format!(
        "{}\nmoved {{\n  from = mongodbatlas_api_key.k\n  to   = mongodbatlas_project_api_key.k\n}}\n",
        project_key_config(blocks)
    );
    for index in 0..assignments {
        config.push_str(&format!(
            "\nremoved {{\n  from = mongodbatlas_api_key_project_assignment.p{index}\n  lifecycle {{\n    destroy = false\n  }}\n}}\n"
        ));
    }
    config
}

#[test]
fn a_reverse_move_shows_org_member_beside_other_org_roles_as_a_normal_read_does() {
    let world = World::new();
    let org = world.org_id();
    let p0 = world.project_id(0);
    let owner: &[&str] = &["GROUP_OWNER"];
    world.write(&org_key_config(
        &org,
        &["ORG_MEMBER", "ORG_BILLING_READ_ONLY"],
        &[(p0.as_str(), owner)],
    ));
    world.apply();
    let api_key_id = string_at(&world.resource_values("mongodbatlas_api_key.k"), "api_key_id");

    // Naming every role the key holds, the move changes nothing.
    let all: &[&str] = &["GROUP_OWNER", "ORG_BILLING_READ_ONLY", "ORG_MEMBER"];
    world.write(&moved_to_project_key(&[(p0.as_str(), all)], 1));
    let run = world.terraform(&["plan", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        flat(&run.stdout).contains("0 to add, 0 to change, 0 to destroy"),
        "{}",
        run.stdout
    );

    // Leaving ORG_MEMBER out, the move's own plan removes it, as any plan would.
    let without_member: &[&str] = &["GROUP_OWNER", "ORG_BILLING_READ_ONLY"];
    world.write(&moved_to_project_key(&[(p0.as_str(), without_member)], 1));
    world.clear_requests();
    let run = world.plan();
    assert_eq!(run.code, 2, "{}", run.output());
    let plan = flat(&run.stdout);
    assert!(plan.contains("- \"ORG_MEMBER\","), "{plan}");
    assert!(plan.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{plan}");
    assert_eq!(
        world.calls(),
        vec![format!("GET /api/atlas/v2/orgs/{org}/apiKeys")],
        "the moved key is read from one listing of the organization's keys"
    );
    world.clear_requests();
    world.apply();
    assert_eq!(
        world.mutations(),
        vec![format!("PATCH /api/atlas/v2/orgs/{org}/apiKeys/{api_key_id}")],
        "one call sets the organization roles"
    );
    let after = world.resource_values("mongodbatlas_project_api_key.k");
    assert_eq!(
        after["project_assignment"],
        json!([{"project_id": p0, "role_names": ["GROUP_OWNER", "ORG_BILLING_READ_ONLY"]}])
    );
    world.assert_converged();
}

/// The official provider's state of a `mongodbatlas_project_api_key` ("k", description
/// "official") assigned to projects 2 then 0 as `GROUP_OWNER`, after project 2 was deleted
/// outside Terraform: the world, the key, project 0 and project 2.
fn official_key_whose_first_project_is_deleted() -> (World, Created, String, String) {
    let world = World::new();
    let atlas = Atlas::new(&world);
    let (p0, p2) = (world.project_id(0), world.project_id(2));
    let owner: &[&str] = &["GROUP_OWNER"];
    let blocks = [(p2.as_str(), owner), (p0.as_str(), owner)];
    let key = atlas.project_key("official", &blocks);
    write_state(&world, vec![official_project_key("k", &key, "official", &blocks)]);
    world.admin("DELETE", &format!("/__emulator/groups/{p2}"), None);
    (world, key, p0, p2)
}

#[test]
fn an_official_state_moves_through_the_first_of_its_projects_atlas_still_has() {
    let (world, key, p0, p2) = official_key_whose_first_project_is_deleted();
    let org = world.org_id();
    world.write(&format!(
        "resource \"mongodbatlas_api_key\" \"k\" {{\n  org_id      = \"{org}\"\n  description = \"official\"\n  role_names  = [\"ORG_MEMBER\"]\n}}\n\n\
         moved {{\n  from = mongodbatlas_project_api_key.k\n  to   = mongodbatlas_api_key.k\n}}\n"
    ));
    world.clear_requests();
    let run = world.apply();
    assert!(
        flat(&run.stdout).contains("0 added, 0 changed, 0 destroyed"),
        "{}",
        run.output()
    );
    assert_eq!(
        world.calls(),
        vec![
            format!("GET /api/atlas/v2/groups/{p2}"),
            format!("GET /api/atlas/v2/groups/{p0}"),
            format!("GET /api/atlas/v2/orgs/{org}/apiKeys"),
        ],
        "the deleted first project answers 404, the next one names the organization, one listing reads the key"
    );
    let values = world.resource_values("mongodbatlas_api_key.k");
    assert_eq!(values["org_id"], json!(org));
    assert_eq!(values["private_key"], json!(key.private_key), "the private key is kept");
    world.assert_converged();
}

#[test]
fn an_official_state_none_of_whose_projects_exists_says_how_to_import_the_key() {
    let (world, key, p0, p2) = official_key_whose_first_project_is_deleted();
    let org = world.org_id();
    world.admin("DELETE", &format!("/__emulator/groups/{p0}"), None);
    world.write(&format!(
        "resource \"mongodbatlas_api_key\" \"k\" {{\n  org_id      = \"{org}\"\n  description = \"official\"\n  role_names  = [\"ORG_MEMBER\"]\n}}\n\n\
         moved {{\n  from = mongodbatlas_project_api_key.k\n  to   = mongodbatlas_api_key.k\n}}\n"
    ));
    world.clear_requests();
    let run = world.plan();
    assert_eq!(run.code, 1, "{}", run.output());
    let stderr = flat(&run.stderr);
    assert!(
        stderr.contains("Could not find the organization of the moved key"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("(\"{p2}\", \"{p0}\")")), "{stderr}");
    assert!(stderr.contains("terraform state rm <address>"), "{stderr}");
    assert!(
        stderr.contains(&format!("terraform import <address> {{org_id}}-{}", key.id)),
        "{stderr}"
    );
    assert_eq!(
        world.calls(),
        vec![
            format!("GET /api/atlas/v2/groups/{p2}"),
            format!("GET /api/atlas/v2/groups/{p0}"),
        ]
    );
    assert_eq!(world.mutations(), Vec::<String>::new());
}

#[test]
fn a_move_to_an_org_key_planned_without_refresh_is_refused() {
    let world = World::new();
    let org = world.org_id();
    let p0 = world.project_id(0);
    let owner: &[&str] = &["GROUP_OWNER"];
    let blocks = [(p0.as_str(), owner)];
    world.write(&project_key_config(&blocks));
    world.apply();
    world.write(&(org_key_config(&org, &["ORG_MEMBER"], &blocks) + &moved_to_org_key(&blocks)));
    world.clear_requests();
    let run = world.terraform(&["plan", "-refresh=false", "-no-color", "-input=false"]);
    assert_eq!(run.code, 1, "{}", run.output());
    let stderr = flat(&run.stderr);
    assert!(stderr.contains("Moved state not refreshed"), "{stderr}");
    assert!(stderr.contains("Plan without -refresh=false"), "{stderr}");
    assert_eq!(world.calls(), Vec::<String>::new(), "nothing is read");
    let run = world.terraform(&["plan", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        flat(&run.stdout).contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."),
        "with a refresh the move plans no change:\n{}",
        run.stdout
    );
}

#[test]
fn a_reverse_move_in_another_block_order_only_reorders_the_state() {
    let world = World::new();
    let org = world.org_id();
    let (p0, p1) = (world.project_id(0), world.project_id(1));
    let owner: &[&str] = &["GROUP_OWNER"];
    let org_roles: &[&str] = &["ORG_MEMBER", "ORG_BILLING_READ_ONLY"];
    world.write(&org_key_config(
        &org,
        org_roles,
        &[(p0.as_str(), owner), (p1.as_str(), owner)],
    ));
    world.apply();
    // The read lists the projects sorted; configure them the other way round, the organization
    // roles in the configuration's first block.
    let mut sorted = [p0.clone(), p1.clone()];
    sorted.sort();
    let first_roles: &[&str] = &["GROUP_OWNER", "ORG_BILLING_READ_ONLY", "ORG_MEMBER"];
    let blocks = [(sorted[1].as_str(), first_roles), (sorted[0].as_str(), owner)];
    world.write(&moved_to_project_key(&blocks, 2));
    world.clear_requests();
    let run = world.apply();
    assert_eq!(
        world.mutations(),
        Vec::<String>::new(),
        "reordering the blocks writes nothing:\n{}",
        run.output()
    );
    let after = world.resource_values("mongodbatlas_project_api_key.k");
    assert_eq!(after["project_assignment"], blocks_json(&blocks));
    world.assert_converged();
}

#[test]
fn an_official_project_key_whose_first_project_was_deleted_is_read_through_the_next_one() {
    // Not moved: the same search serves a plain refresh of the official provider's state,
    // which names no organization either.
    let (world, _key, p0, p2) = official_key_whose_first_project_is_deleted();
    let org = world.org_id();
    world.write(&format!(
        "resource \"mongodbatlas_project_api_key\" \"k\" {{\n  description = \"official\"\n  project_assignment {{\n    project_id = \"{p0}\"\n    role_names = [\"GROUP_OWNER\"]\n  }}\n}}\n"
    ));
    world.clear_requests();
    let run = world.plan();
    assert_ne!(run.code, 1, "the refresh reads the key:\n{}", run.output());
    assert!(!run.stderr.contains("Error"), "{}", run.output());
    assert_eq!(
        world.calls(),
        vec![
            format!("GET /api/atlas/v2/groups/{p2}"),
            format!("GET /api/atlas/v2/groups/{p0}"),
            format!("GET /api/atlas/v2/orgs/{org}/apiKeys"),
        ],
        "the deleted first project answers 404, the next one names the organization, one listing reads the key"
    );
}
