//! End-to-end scenarios for `mongodbatlas_access_list_api_key` and its data sources,
//! `mongodbatlas_roles_org_id` and `mongodbatlas_ai_model_org_api_key(s)`, through the real
//! `terraform` CLI against the in-process emulator, with the exact API requests of each step.

use std::path::Path;

use serde_json::{json, Value as Json};

use crate::support::{flat, World};

const ADDRESS: &str = "mongodbatlas_access_list_api_key.entry";

/// Asserts every request since the last clear was `call` (one per refresh or read), and there was one.
fn assert_only(world: &World, call: &str) {
    let calls = world.calls();
    assert!(
        !calls.is_empty() && calls.iter().all(|c| c == call),
        "expected only {call}: {calls:?}"
    );
}

/// A new organization key (through the admin route) and the path of its access list.
fn new_key(world: &World) -> (String, String) {
    let created = world.admin(
        "POST",
        &format!("/__emulator/orgs/{}/apiKeys", world.org_id()),
        Some(json!({"count": 1, "desc_prefix": "listed"})),
    );
    let key = created["ids"][0].as_str().expect("a key id").to_string();
    let list = format!("/api/atlas/v2/orgs/{}/apiKeys/{key}/accessList", world.org_id());
    (key, list)
}

/// Adds an entry behind Terraform's back.
fn add_outside(world: &World, key: &str, entry: Json) {
    world.admin(
        "POST",
        &format!("/__emulator/orgs/{}/apiKeys/{key}/accessList", world.org_id()),
        Some(entry),
    );
}

/// The key's entries as Atlas holds them (CIDRs, creation order).
fn atlas_entries(world: &World, key: &str) -> Vec<String> {
    let state = world.atlas_state();
    state["api_keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["id"] == key))
        .map(|k| {
            k["access_list"]
                .as_array()
                .map(|entries| entries.iter().filter_map(|e| e.as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

fn entry(org: &str, key: &str, attribute: &str, value: &str) -> String {
    format!(
        "resource \"mongodbatlas_access_list_api_key\" \"entry\" {{\n  org_id     = \"{org}\"\n  api_key_id = \"{key}\"\n  {attribute} = \"{value}\"\n}}\n"
    )
}

/// Writes `body` under the provider header into `dir` (a second working directory).
fn write_in(world: &World, dir: &Path, body: &str) {
    let header = format!(
        "terraform {{\n  required_providers {{\n    mongodbatlas = {{ source = \"mongodb/mongodbatlas\" }}\n  }}\n}}\n\n\
         provider \"mongodbatlas\" {{\n  base_url = \"{}\"\n}}\n\n",
        world.emulator.seed.base_url
    );
    std::fs::write(dir.join("main.tf"), header + body).expect("write main.tf");
}

fn outputs_in(world: &World, dir: &Path) -> Json {
    let run = world.terraform_in(dir, &["output", "-json"]);
    assert_eq!(run.code, 0, "{}", run.output());
    serde_json::from_str(&run.stdout).expect("output -json")
}

fn apply_in(world: &World, dir: &Path) {
    let run = world.terraform_in(dir, &["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "apply failed:\n{}", run.output());
    let run = world.terraform_in(dir, &["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "expected no changes:\n{}", run.output());
}

fn example(path: &str) -> String {
    std::fs::read_to_string(format!("{}/examples/{path}", env!("CARGO_MANIFEST_DIR"))).expect("example")
}

#[test]
fn access_list_entry_lifecycle_with_exact_requests() {
    let world = World::new();
    let org = world.org_id();
    let (key, list) = new_key(&world);

    // Create: one read to refuse adopting an existing entry, then the POST.
    world.write(&entry(&org, &key, "ip_address", "198.51.100.7"));
    world.clear_requests();
    world.apply();
    assert_eq!(
        world.calls(),
        [format!("GET {list}/198.51.100.7"), format!("POST {list}")]
    );
    let values = world.resource_values(ADDRESS);
    assert_eq!(values["ip_address"], json!("198.51.100.7"));
    assert_eq!(values["cidr_block"], json!("198.51.100.7/32"));
    assert_eq!(values["id"], json!(format!("{org}-{key}-198.51.100.7")));
    world.assert_converged();

    // Read: the key's access-list listing, one per refresh (shared by all its entries).
    world.clear_requests();
    assert_eq!(world.plan().code, 0);
    assert_eq!(world.calls(), [format!("GET {list}")]);

    // The same entry named by its /32 plans nothing, and so does IPv4 text Atlas would print the same.
    world.write(&entry(&org, &key, "cidr_block", "198.51.100.7/32"));
    let plan = world.plan();
    assert_eq!(plan.code, 0, "an address and its /32 are one entry:\n{}", plan.output());

    // Any change replaces the entry (Atlas has no update): the old one is deleted, then the new
    // one checked and created. A CIDR is one %2F-encoded path segment.
    world.write(&entry(&org, &key, "cidr_block", "198.51.100.0/24"));
    let plan = world.plan();
    assert_eq!(plan.code, 2);
    assert!(plan.stdout.contains("forces replacement"), "{}", plan.stdout);
    world.clear_requests();
    world.apply();
    assert_eq!(
        world.calls(),
        [
            format!("GET {list}"),
            format!("DELETE {list}/198.51.100.7"),
            format!("GET {list}/198.51.100.0%2F24"),
            format!("POST {list}"),
        ]
    );
    let values = world.resource_values(ADDRESS);
    assert_eq!(values["ip_address"], Json::Null, "a range has no single address");
    assert_eq!(values["cidr_block"], json!("198.51.100.0/24"));
    assert_eq!(atlas_entries(&world, &key), ["198.51.100.0/24"]);
    world.clear_requests();
    world.assert_converged();
    // Reads find the CIDR entry in the key's listing.
    assert_only(&world, &format!("GET {list}"));

    // Moving the entry to another key replaces it too (the official provider updates in place).
    let (other_key, other_list) = new_key(&world);
    world.write(&entry(&org, &other_key, "cidr_block", "198.51.100.0/24"));
    let plan = world.plan();
    assert!(plan.stdout.contains("forces replacement"), "{}", plan.stdout);
    world.clear_requests();
    world.apply();
    assert_eq!(
        world.mutations(),
        [format!("DELETE {list}/198.51.100.0%2F24"), format!("POST {other_list}")]
    );

    // Removed outside Terraform: the next plan creates it again.
    world.admin(
        "DELETE",
        &format!("/__emulator/orgs/{org}/apiKeys/{other_key}/accessList/198.51.100.0%2F24"),
        None,
    );
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(plan.stdout.contains("will be created"), "{}", plan.stdout);
    world.apply();
    assert_eq!(atlas_entries(&world, &other_key), ["198.51.100.0/24"]);

    // Its key deleted outside Terraform: the entry went with it and is planned again.
    world.admin("DELETE", &format!("/__emulator/orgs/{org}/apiKeys/{other_key}"), None);
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(plan.stdout.contains("will be created"), "{}", plan.stdout);

    // Destroy: one DELETE (after the refresh); an entry already gone is not an error.
    world.write(&entry(&org, &key, "ip_address", "2001:db8::1"));
    world.apply();
    let values = world.resource_values(ADDRESS);
    assert_eq!(values["ip_address"], json!("2001:db8::1"));
    assert_eq!(values["cidr_block"], json!("2001:db8::1/128"));
    world.assert_converged();
    world.clear_requests();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        world.calls(),
        [format!("GET {list}"), format!("DELETE {list}/2001%3Adb8%3A%3A1")]
    );
    assert!(atlas_entries(&world, &key).is_empty());
}

#[test]
fn access_list_create_refuses_to_adopt_and_import_converges_in_every_form() {
    let world = World::new();
    let org = world.org_id();
    let (key, list) = new_key(&world);
    add_outside(&world, &key, json!({"cidrBlock": "10.20.0.0/16"}));
    add_outside(&world, &key, json!({"ipAddress": "192.0.2.1"}));

    world.write(&entry(&org, &key, "cidr_block", "10.20.0.0/16"));
    world.clear_requests();
    let run = world.terraform(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 1, "{}", run.output());
    let output = flat(&run.output());
    assert!(output.contains("Access list entry already exists"), "{output}");
    assert!(
        output.contains(&format!("terraform import <address> {org}-{key}-10.20.0.0/16")),
        "{output}"
    );
    assert!(output.contains(": cidr_block ="), "points at cidr_block:\n{output}");
    assert_eq!(world.calls(), [format!("GET {list}/10.20.0.0%2F16")]);
    assert!(world.mutations().is_empty());

    let ids = [
        ("cidr_block", "10.20.0.0/16", format!("{org}-{key}-10.20.0.0/16")),
        ("cidr_block", "10.20.0.0/16", format!("{org}/{key}/10.20.0.0/16")),
        ("ip_address", "192.0.2.1", format!("{org}-{key}-192.0.2.1")),
        ("ip_address", "192.0.2.1", format!("{org}/{key}/192.0.2.1/32")),
        ("cidr_block", "192.0.2.1/32", format!("{org}-{key}-192.0.2.1")),
        ("cidr_block", "192.0.2.1/32", format!("{org}-{key}/192.0.2.1/32")),
    ];
    for (attribute, value, id) in ids {
        let fresh = tempfile::tempdir().expect("temp dir");
        write_in(&world, fresh.path(), &entry(&org, &key, attribute, value));
        world.clear_requests();
        let run = world.terraform_in(fresh.path(), &["import", "-no-color", ADDRESS, &id]);
        assert_eq!(run.code, 0, "{id}: {}", run.output());
        assert_eq!(
            world.calls(),
            [format!("GET {list}")],
            "{id}: the read after the import lists"
        );
        let run = world.terraform_in(fresh.path(), &["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(run.code, 0, "{id} converges after import:\n{}", run.output());
    }

    // An import block works the same way.
    world.write(&format!(
        "{}\nimport {{\n  to = {ADDRESS}\n  id = \"{org}-{key}-10.20.0.0/16\"\n}}\n",
        entry(&org, &key, "cidr_block", "10.20.0.0/16")
    ));
    world.clear_requests();
    let run = world.apply();
    assert!(run.stdout.contains("1 imported, 0 added, 0 changed"), "{}", run.stdout);
    assert!(world.mutations().is_empty());
    world.assert_converged();

    for bad in [
        "nope",
        &format!("{org}-{key}"),
        &format!("{org}-{key}-10.20.0.1/16"),
        &format!("{org}-zmmrboas-10.0.0.1"),
    ] {
        let fresh = tempfile::tempdir().expect("temp dir");
        write_in(&world, fresh.path(), &entry(&org, &key, "cidr_block", "10.20.0.0/16"));
        let run = world.terraform_in(fresh.path(), &["import", "-no-color", ADDRESS, bad]);
        assert_eq!(run.code, 1, "{bad}: {}", run.output());
        assert!(
            run.output()
                .contains("{org_id}-{api_key_id}-{ip_address_or_cidr_block}"),
            "{bad}: {}",
            run.output()
        );
    }
}

#[test]
fn access_list_plan_time_diagnostics_point_at_their_attribute() {
    let world = World::new();
    let org = world.org_id();
    let (key, _) = new_key(&world);
    let resource = |org: &str, key: &str, extra: &str| {
        format!(
            "resource \"mongodbatlas_access_list_api_key\" \"entry\" {{\n  org_id     = \"{org}\"\n  api_key_id = \"{key}\"\n{extra}}}\n"
        )
    };
    let cases = [
        (resource(&org, &key, "  ip_address = \"10.0.0.256\"\n"), "Invalid IP address", Some("ip_address")),
        (
            resource(&org, &key, "  ip_address = \"10.0.0.0/24\"\n"),
            "For a block of addresses, set cidr_block instead.",
            Some("ip_address"),
        ),
        (resource(&org, &key, "  cidr_block = \"10.0.0.1/24\"\n"), "write 10.0.0.0/24", Some("cidr_block")),
        (resource(&org, &key, "  cidr_block = \"2001:db8::1/64\"\n"), "write 2001:db8::/64", Some("cidr_block")),
        (resource(&org, &key, "  cidr_block = \"10.0.0.0/33\"\n"), "Invalid CIDR block", Some("cidr_block")),
        (resource(&org, &key, "  cidr_block = \"10.0.0.0/08\"\n"), "write 10.0.0.0/8", Some("cidr_block")),
        (resource(&org, &key, "  cidr_block = \"2001:DB8::/32\"\n"), "write 2001:db8::/32", Some("cidr_block")),
        (
            resource(&org, &key, "  ip_address = \"2001:0db8:0:0:0:0:0:ABCD\"\n"),
            "write 2001:db8::abcd",
            Some("ip_address"),
        ),
        (
            resource(&org, &key, "  ip_address = \"10.0.0.1\"\n  cidr_block = \"10.0.0.1/32\"\n"),
            "Set only one of ip_address and cidr_block",
            Some("cidr_block"),
        ),
        (resource(&org, &key, ""), "Set one of ip_address", None),
        (
            resource(&org, "zmmrboas", "  ip_address = \"10.0.0.1\"\n"),
            "That looks like the key's public key",
            Some("api_key_id"),
        ),
        (
            resource("my-org", &key, "  ip_address = \"10.0.0.1\"\n"),
            "24-character lowercase hexadecimal",
            Some("org_id"),
        ),
        (
            format!(
                "data \"mongodbatlas_access_list_api_key\" \"one\" {{\n  org_id     = \"{org}\"\n  api_key_id = \"{key}\"\n  ip_address = \"10.0.0.1/8\"\n}}\n"
            ),
            "write 10.0.0.0/8",
            Some("ip_address"),
        ),
    ];
    world.clear_requests();
    for (config, message, attribute) in cases {
        world.write(&config);
        let run = world.plan();
        let output = flat(&run.output());
        assert_eq!(run.code, 1, "{config}\n{output}");
        assert!(output.contains(message), "{config}\n{output}");
        if let Some(attribute) = attribute {
            assert!(
                output.contains(&format!(": {attribute} =")),
                "points at {attribute}:\n{output}"
            );
        }
    }
    assert!(
        world.calls().is_empty(),
        "plan-time checks call nobody: {:?}",
        world.calls()
    );
}

#[test]
fn access_list_data_sources_read_one_entry_and_every_page() {
    let mut world = World::new();
    let org = world.org_id();
    let (key, list) = new_key(&world);
    add_outside(
        &world,
        &key,
        json!({"ipAddress": "198.51.100.7", "count": 12, "lastUsedAddress": "198.51.100.7"}),
    );
    // 520 entries: more than one page of 500.
    for index in 0..519 {
        let cidr = format!("10.{}.{}.0/24", index / 200, index % 200);
        add_outside(&world, &key, json!({"cidrBlock": cidr}));
    }
    world.set_env("TF_VAR_org_id", &org);

    // The two examples, each in its own working directory: each makes its own key and entries,
    // then reads them back.
    let one = tempfile::tempdir().expect("temp dir");
    write_in(
        &world,
        one.path(),
        &example("data-sources/mongodbatlas_access_list_api_key/data-source.tf"),
    );
    apply_in(&world, one.path());
    let outputs = outputs_in(&world, one.path());
    assert_eq!(outputs["runner_entry"]["value"]["cidr_block"], json!("198.51.100.7/32"));
    assert!(outputs["runner_entry"]["value"]["created"]
        .as_str()
        .is_some_and(|at| at.ends_with('Z')));
    let run = world.terraform_in(one.path(), &["show", "-json"]);
    let state: Json = serde_json::from_str(&run.stdout).expect("show -json");
    let example_key = state["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["address"] == "mongodbatlas_api_key.ci"))
        .and_then(|r| r["values"]["api_key_id"].as_str())
        .expect("the example's key")
        .to_string();
    let example_list = format!("/api/atlas/v2/orgs/{org}/apiKeys/{example_key}/accessList");
    // A refresh reads the data source and the entry resource from one listing of the key's
    // access list (besides the key refreshing from the organization's listing).
    world.clear_requests();
    let run = world.terraform_in(one.path(), &["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    let mut refreshed = world.calls();
    refreshed.sort();
    assert_eq!(
        refreshed,
        [
            format!("GET /api/atlas/v2/orgs/{org}/apiKeys"),
            format!("GET {example_list}"),
        ]
    );

    // An entry used since it was added: the data source alone, one listing.
    let used = tempfile::tempdir().expect("temp dir");
    write_in(
        &world,
        used.path(),
        &format!(
            "data \"mongodbatlas_access_list_api_key\" \"runner\" {{\n  org_id     = \"{org}\"\n  api_key_id = \"{key}\"\n  ip_address = \"198.51.100.7\"\n}}\n"
        ),
    );
    world.clear_requests();
    apply_in(&world, used.path());
    assert_only(&world, &format!("GET {list}"));
    let run = world.terraform_in(used.path(), &["show", "-json"]);
    let state: Json = serde_json::from_str(&run.stdout).expect("show -json");
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(values["cidr_block"], json!("198.51.100.7/32"));
    assert!(values["created"].as_str().is_some_and(|at| at.ends_with('Z')));
    assert_eq!(values["access_count"], json!(12));
    assert_eq!(values["last_used_address"], json!("198.51.100.7"));
    assert!(values["last_used"].is_string());
    assert_eq!(values["id"], json!(format!("{org}-{key}-198.51.100.7")));

    let all = tempfile::tempdir().expect("temp dir");
    write_in(
        &world,
        all.path(),
        &example("data-sources/mongodbatlas_access_list_api_keys/data-source.tf"),
    );
    apply_in(&world, all.path());
    let mut cidrs: Vec<Json> = outputs_in(&world, all.path())["allowed_cidr_blocks"]["value"]
        .as_array()
        .cloned()
        .expect("a list");
    cidrs.sort_by_key(ToString::to_string);
    assert_eq!(cidrs, [json!("198.51.100.7/32"), json!("203.0.113.0/24")]);

    // Every page of a longer list: the data source alone.
    let pages = tempfile::tempdir().expect("temp dir");
    write_in(
        &world,
        pages.path(),
        &format!(
            "data \"mongodbatlas_access_list_api_keys\" \"all\" {{\n  org_id     = \"{org}\"\n  api_key_id = \"{key}\"\n}}\n\
             output \"allowed_cidr_blocks\" {{\n  value = data.mongodbatlas_access_list_api_keys.all.results[*].cidr_block\n}}\n"
        ),
    );
    world.clear_requests();
    let run = world.terraform_in(pages.path(), &["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    let cidrs = outputs_in(&world, pages.path())["allowed_cidr_blocks"]["value"].clone();
    assert_eq!(cidrs.as_array().map(Vec::len), Some(520));
    assert_eq!(cidrs[0], json!("198.51.100.7/32"));
    assert_eq!(cidrs[519], json!("10.2.118.0/24"));
    // One apply reads the data source once, two pages of 500.
    assert_eq!(world.calls(), [format!("GET {list}"), format!("GET {list}")]);

    // One page only, and a missing entry as an error on ip_address.
    world.write(&format!(
        "data \"mongodbatlas_access_list_api_keys\" \"page\" {{\n  org_id = \"{org}\"\n  api_key_id = \"{key}\"\n  page_num = 2\n  items_per_page = 50\n}}\n\
         output \"n\" {{ value = length(data.mongodbatlas_access_list_api_keys.page.results) }}\n\
         output \"first\" {{ value = data.mongodbatlas_access_list_api_keys.page.results[0].ip_address }}\n"
    ));
    world.clear_requests();
    world.apply();
    assert_eq!(world.calls(), [format!("GET {list}")]);
    let outputs = outputs_in(&world, world.dir.path());
    assert_eq!(outputs["n"]["value"], json!(50));
    assert!(
        outputs["first"]["value"].is_null(),
        "a range has a null ip_address: {outputs}"
    );
    world.write(&format!(
        "data \"mongodbatlas_access_list_api_key\" \"missing\" {{\n  org_id = \"{org}\"\n  api_key_id = \"{key}\"\n  ip_address = \"192.0.2.99\"\n}}\n"
    ));
    let run = world.plan();
    assert_eq!(run.code, 1);
    assert!(run.output().contains("Access list entry not found"), "{}", run.output());
    assert!(run.output().contains(":   ip_address"), "{}", run.output());
}

#[test]
fn access_list_resource_example_applies_and_converges() {
    let world = World::new();
    world.write(&example("resources/mongodbatlas_access_list_api_key/resource.tf"));
    world.clear_requests();
    world.apply();
    world.assert_converged();
    let runner = world.resource_values("mongodbatlas_access_list_api_key.runner");
    let office = world.resource_values("mongodbatlas_access_list_api_key.office");
    let key = world.resource_values("mongodbatlas_api_key.ci")["api_key_id"]
        .as_str()
        .expect("key id")
        .to_string();
    assert_eq!(
        runner["org_id"],
        json!(world.org_id()),
        "roles_org_id found the organization"
    );
    assert_eq!(runner["cidr_block"], json!("198.51.100.7/32"));
    assert_eq!(office["ip_address"], Json::Null);
    let mut entries = atlas_entries(&world, &key);
    entries.sort();
    assert_eq!(entries, ["198.51.100.7/32", "203.0.113.0/24"]);
    let outputs = outputs_in(&world, world.dir.path());
    assert_eq!(outputs["runner_cidr_block"]["value"], json!("198.51.100.7/32"));
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(world.key_ids_described("CI deployments").is_empty());
}

#[test]
fn roles_org_id_costs_one_request_and_works_for_service_accounts() {
    let mut world = World::new();
    world.write(&example("data-sources/mongodbatlas_roles_org_id/data-source.tf"));
    world.clear_requests();
    world.apply();
    assert_eq!(
        outputs_in(&world, world.dir.path())["org_id"]["value"],
        json!(world.org_id())
    );
    assert_eq!(world.calls(), ["GET /api/atlas/v2"]);
    let values = world.show_json()["values"]["root_module"]["resources"][0]["values"].clone();
    assert_eq!(values["id"], json!(world.org_id()));

    let (client_id, client_secret) = (
        world.emulator.seed.client_id.clone(),
        world.emulator.seed.client_secret.clone(),
    );
    world.unset_env("MONGODB_ATLAS_PUBLIC_KEY");
    world.unset_env("MONGODB_ATLAS_PRIVATE_KEY");
    world.set_env("MONGODB_ATLAS_CLIENT_ID", &client_id);
    world.set_env("MONGODB_ATLAS_CLIENT_SECRET", &client_secret);
    world.clear_requests();
    let run = world.terraform(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        outputs_in(&world, world.dir.path())["org_id"]["value"],
        json!(world.org_id())
    );
    let api_calls: Vec<String> = world
        .calls()
        .into_iter()
        .filter(|call| call.starts_with("GET /api/atlas"))
        .collect();
    assert_eq!(api_calls, ["GET /api/atlas/v2", "GET /api/atlas/v2/orgs"]);
}

#[test]
fn ai_model_org_api_key_data_sources_span_projects() {
    let mut world = World::new();
    let (p0, p1) = (world.project_id(0), world.project_id(1));
    world.admin(
        "POST",
        &format!("/__emulator/groups/{p0}/aiModelApiKeys"),
        Some(json!({"count": 520, "name_prefix": "first"})),
    );
    let created = world.admin(
        "POST",
        &format!("/__emulator/groups/{p1}/aiModelApiKeys"),
        Some(json!({"count": 1, "name_prefix": "second"})),
    );
    let id = created["ids"][0].as_str().expect("an AI key id").to_string();
    let org = world.org_id();
    world.set_env("TF_VAR_org_id", &org);
    world.set_env("TF_VAR_project_id", &p1);
    let keys = format!("/api/atlas/v2/orgs/{org}/aiModelApiKeys");

    // The example makes a key in the second project and finds it through the organization.
    let example_dir = tempfile::tempdir().expect("temp dir");
    write_in(
        &world,
        example_dir.path(),
        &example("data-sources/mongodbatlas_ai_model_org_api_key/data-source.tf"),
    );
    apply_in(&world, example_dir.path());
    assert_eq!(
        outputs_in(&world, example_dir.path())["ai_model_api_key_project"]["value"],
        json!(p1)
    );
    let made = world.ai_key_ids_named("semantic-search");
    assert_eq!(made.len(), 1, "{made:?}");
    world.clear_requests();
    let run = world.terraform_in(
        example_dir.path(),
        &["plan", "-detailed-exitcode", "-no-color", "-input=false"],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    let mut refreshed = world.calls();
    refreshed.sort();
    assert_eq!(
        refreshed,
        [
            format!("GET /api/atlas/v2/groups/{p1}/aiModelApiKeys"),
            format!("GET {keys}/{}", made[0]),
        ],
        "the key's refresh (the project's listing) and the data source's one GET"
    );
    let run = world.terraform_in(example_dir.path(), &["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());

    // A key made outside Terraform: the data source alone, one GET.
    let one = tempfile::tempdir().expect("temp dir");
    write_in(
        &world,
        one.path(),
        &format!(
            "data \"mongodbatlas_ai_model_org_api_key\" \"this\" {{\n  org_id     = \"{org}\"\n  api_key_id = \"{id}\"\n}}\n\
             output \"ai_model_api_key_project\" {{\n  value = data.mongodbatlas_ai_model_org_api_key.this.project_id\n}}\n"
        ),
    );
    world.clear_requests();
    apply_in(&world, one.path());
    assert_eq!(
        outputs_in(&world, one.path())["ai_model_api_key_project"]["value"],
        json!(p1)
    );
    assert_only(&world, &format!("GET {keys}/{id}"));

    let all = tempfile::tempdir().expect("temp dir");
    write_in(
        &world,
        all.path(),
        &example("data-sources/mongodbatlas_ai_model_org_api_keys/data-source.tf"),
    );
    world.clear_requests();
    let run = world.terraform_in(all.path(), &["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(world.calls(), [format!("GET {keys}"), format!("GET {keys}")]);
    let by_project = outputs_in(&world, all.path())["ai_model_api_keys_by_project"]["value"].clone();
    assert_eq!(by_project[&p0].as_array().map(Vec::len), Some(520));
    assert_eq!(by_project[&p1], json!(["second-0001"]));

    world.write(&format!(
        "data \"mongodbatlas_ai_model_org_api_key\" \"missing\" {{\n  org_id     = \"{org}\"\n  api_key_id = \"nosuchkey\"\n}}\n"
    ));
    let run = world.plan();
    assert_eq!(run.code, 1);
    assert!(run.output().contains("AI model API key not found"), "{}", run.output());
    assert!(run.output().contains(":   api_key_id"), "{}", run.output());
    world.write(&format!(
        "data \"mongodbatlas_ai_model_org_api_keys\" \"page\" {{\n  org_id = \"{org}\"\n  items_per_page = 7\n}}\n\
         output \"n\" {{ value = length(data.mongodbatlas_ai_model_org_api_keys.page.results) }}\n"
    ));
    world.clear_requests();
    world.apply();
    assert_eq!(outputs_in(&world, world.dir.path())["n"]["value"], json!(7));
    assert_eq!(world.calls(), [format!("GET {keys}")]);
}

#[test]
fn access_list_create_that_fails_after_atlas_added_the_entry_keeps_tracking_it() {
    let world = World::new();
    let org = world.org_id();
    let (key, list) = new_key(&world);
    world.write(&entry(&org, &key, "cidr_block", "10.30.0.0/16"));

    // Refused before processing: nothing in Atlas, nothing in state, the error shown.
    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 503, "method": "POST", "path_contains": "/accessList", "times": 1},
    ]}));
    world.clear_requests();
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        flat(&run.output()).contains("Could not create access list entry"),
        "{}",
        run.output()
    );
    assert!(atlas_entries(&world, &key).is_empty());
    assert_eq!(
        world.calls(),
        [
            format!("GET {list}/10.30.0.0%2F16"),
            format!("POST {list}"),
            format!("GET {list}/10.30.0.0%2F16"),
        ]
    );

    // Answered 500 after Atlas added it: the entry was absent before, so it is ours and tracked.
    world.set_faults(json!({"rules": [
        {"kind": "fail", "status": 500, "phase": "after", "method": "POST", "path_contains": "/accessList", "times": 1},
    ]}));
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        flat(&run.output()).contains("Access list entry created despite an error"),
        "{}",
        run.output()
    );
    assert_eq!(atlas_entries(&world, &key), ["10.30.0.0/16"]);
    assert_eq!(world.resource_values(ADDRESS)["cidr_block"], json!("10.30.0.0/16"));
    world.set_faults(json!({"rules": []}));
    world.assert_converged();
}

#[test]
fn access_list_state_written_by_the_official_provider_converges_without_changes() {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;

    let world = World::new();
    let org = world.org_id();
    let (key, list) = new_key(&world);
    add_outside(&world, &key, json!({"cidrBlock": "10.40.0.0/16"}));
    add_outside(&world, &key, json!({"ipAddress": "192.0.2.5"}));
    // The official provider (SDKv2, schema version 0): every attribute written, unset ones as
    // "", and `id` = EncodeStateID of the organization, key and entry.
    let encoded = |entry: &str| {
        let mut pairs = [
            ("api_key_id", key.as_str()),
            ("ip_address", entry),
            ("org_id", org.as_str()),
        ];
        pairs.sort();
        pairs
            .iter()
            .map(|(k, v)| format!("{}:{}", STANDARD.encode(k), STANDARD.encode(v)))
            .collect::<Vec<_>>()
            .join("-")
    };
    let instance = |name: &str, ip: &str, cidr: &str, entry: &str| {
        json!({
            "mode": "managed",
            "type": "mongodbatlas_access_list_api_key",
            "name": name,
            "provider": "provider[\"registry.terraform.io/mongodb/mongodbatlas\"]",
            "instances": [{
                "schema_version": 0,
                "attributes": {
                    "api_key_id": key, "cidr_block": cidr, "id": encoded(entry), "ip_address": ip, "org_id": org,
                },
                "sensitive_attributes": [],
                "private": "eyJzY2hlbWFfdmVyc2lvbiI6IjAifQ==",
                "dependencies": [],
            }],
        })
    };
    let state = json!({
        "version": 4, "terraform_version": "1.11.0", "serial": 3,
        "lineage": "0b6f2a4e-2c1d-4e8f-9a3b-5d7c6e1f2a90", "outputs": {},
        "resources": [
            instance("range", "", "10.40.0.0/16", "10.40.0.0/16"),
            instance("single", "192.0.2.5", "192.0.2.5/32", "192.0.2.5"),
        ],
        "check_results": null,
    });
    std::fs::write(world.dir.path().join("terraform.tfstate"), state.to_string()).expect("write state");
    world.write(&format!(
        "{}{}",
        entry(&org, &key, "cidr_block", "10.40.0.0/16").replace("\"entry\"", "\"range\""),
        entry(&org, &key, "ip_address", "192.0.2.5").replace("\"entry\"", "\"single\""),
    ));
    world.clear_requests();
    let plan = world.plan();
    assert_eq!(plan.code, 0, "nothing to change:\n{}", plan.output());
    let mut reads = world.calls();
    reads.sort();
    assert_eq!(reads, [format!("GET {list}")], "both entries from one listing");
    world.assert_converged();
    let range = world.resource_values("mongodbatlas_access_list_api_key.range");
    assert_eq!(range["id"], json!(format!("{org}-{key}-10.40.0.0/16")));
    assert_eq!(range["ip_address"], Json::Null);
    let single = world.resource_values("mongodbatlas_access_list_api_key.single");
    assert_eq!(single["id"], json!(format!("{org}-{key}-192.0.2.5")));
    assert!(world.mutations().is_empty());
}

#[test]
fn one_entry_in_two_resources_of_one_configuration_is_created_once() {
    let world = World::new();
    let org = world.org_id();
    let (key, _) = new_key(&world);
    let second = entry(&org, &key, "cidr_block", "198.51.100.9/32").replace("\"entry\"", "\"again\"");
    world.write(&format!("{}{second}", entry(&org, &key, "ip_address", "198.51.100.9")));
    world.clear_requests();
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let output = flat(&run.output());
    assert_eq!(run.code, 1, "{output}");
    assert!(output.contains("Access list entry configured twice"), "{output}");
    assert!(output.contains("Keep one resource for it"), "{output}");
    let posts = world.calls().iter().filter(|call| call.starts_with("POST")).count();
    assert_eq!(posts, 1, "one create reaches Atlas: {:?}", world.calls());
    assert_eq!(atlas_entries(&world, &key), vec!["198.51.100.9/32".to_string()]);
    let state = world.show_json();
    let tracked = state["values"]["root_module"]["resources"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(tracked, 1, "one resource owns the entry: {state:#}");
}

#[test]
fn ai_model_key_ids_that_cannot_be_a_path_segment_are_plan_time_errors() {
    let world = World::new();
    let (org, project) = (world.org_id(), world.project_id(0));
    world.clear_requests();
    for (kind, scope, id) in [
        ("mongodbatlas_ai_model_org_api_key", format!("org_id = \"{org}\""), ".."),
        ("mongodbatlas_ai_model_org_api_key", format!("org_id = \"{org}\""), ""),
        (
            "mongodbatlas_ai_model_api_key",
            format!("project_id = \"{project}\""),
            ".",
        ),
    ] {
        world.write(&format!(
            "data \"{kind}\" \"one\" {{\n  {scope}\n  api_key_id = \"{id}\"\n}}\n"
        ));
        let run = world.plan();
        let output = flat(&run.output());
        assert_eq!(run.code, 1, "{kind} {id:?}: {output}");
        assert!(
            output.contains("Invalid AI model API key ID"),
            "{kind} {id:?}: {output}"
        );
        assert!(
            output.contains(": api_key_id ="),
            "{kind} {id:?} points at api_key_id: {output}"
        );
    }
    assert!(
        world.calls().is_empty(),
        "plan-time checks call nobody: {:?}",
        world.calls()
    );
}

#[test]
fn a_missing_key_or_organization_is_named_on_its_attribute_not_as_a_missing_entry() {
    let world = World::new();
    let org = world.org_id();
    let (key, _) = new_key(&world);
    let missing = "ffffffffffffffffffffffff";
    for (config, attribute, not_said) in [
        (
            format!("data \"mongodbatlas_ai_model_org_api_key\" \"one\" {{\n  org_id     = \"{missing}\"\n  api_key_id = \"{key}\"\n}}\n"),
            "org_id",
            "No AI model API key",
        ),
        (
            format!("data \"mongodbatlas_access_list_api_key\" \"one\" {{\n  org_id     = \"{org}\"\n  api_key_id = \"{missing}\"\n  ip_address = \"10.0.0.1\"\n}}\n"),
            "api_key_id",
            "has no access list entry",
        ),
    ] {
        world.write(&config);
        let run = world.plan();
        let output = flat(&run.output());
        assert_eq!(run.code, 1, "{output}");
        assert!(!output.contains(not_said), "{attribute}: {output}");
        assert!(output.contains(&format!(": {attribute} =")), "points at {attribute}: {output}");
    }
    world.write(&format!(
        "data \"mongodbatlas_access_list_api_key\" \"one\" {{\n  org_id     = \"{org}\"\n  api_key_id = \"{key}\"\n  ip_address = \"10.0.0.1\"\n}}\n"
    ));
    let run = world.plan();
    assert!(
        flat(&run.output()).contains("has no access list entry 10.0.0.1/32."),
        "{}",
        run.output()
    );
}

#[test]
fn a_base_url_with_a_wrong_path_is_an_error_on_refresh_and_state_is_kept() {
    let world = World::new();
    let (org, p0) = (world.org_id(), world.project_id(0));
    world.write(&format!(
        "resource \"mongodbatlas_api_key\" \"k\" {{\n  org_id      = \"{org}\"\n  description = \"wrong url\"\n  role_names  = [\"ORG_READ_ONLY\"]\n}}\n\
         resource \"mongodbatlas_access_list_api_key\" \"e\" {{\n  org_id     = \"{org}\"\n  api_key_id = mongodbatlas_api_key.k.api_key_id\n  ip_address = \"198.51.100.1\"\n}}\n\
         resource \"mongodbatlas_api_key_project_assignment\" \"a\" {{\n  project_id = \"{p0}\"\n  api_key_id = mongodbatlas_api_key.k.api_key_id\n  roles      = [\"GROUP_OWNER\"]\n}}\n\
         resource \"mongodbatlas_ai_model_api_key\" \"ai\" {{\n  project_id = \"{p0}\"\n  name       = \"wrong url\"\n}}\n\
         resource \"mongodbatlas_ai_model_rate_limit\" \"r\" {{\n  project_id                = \"{p0}\"\n  model_group_name          = \"rerank\"\n  requests_per_minute_limit = 5\n  tokens_per_minute_limit   = 5\n}}\n"
    ));
    world.apply();
    let main = world.dir.path().join("main.tf");
    let good = std::fs::read_to_string(&main).expect("main.tf");
    let base = &world.emulator.seed.base_url;
    std::fs::write(&main, good.replace(base, &format!("{base}/wrongprefix"))).expect("write main.tf");
    for args in [
        vec!["plan", "-no-color", "-input=false"],
        vec!["apply", "-refresh-only", "-auto-approve", "-no-color", "-input=false"],
    ] {
        let run = world.terraform(&args);
        let output = flat(&run.output());
        assert_eq!(run.code, 1, "{args:?}: {output}");
        assert!(!output.contains("has been deleted"), "{args:?}: {output}");
    }
    let listed = world.terraform(&["state", "list"]);
    assert_eq!(listed.stdout.lines().count(), 5, "state kept: {}", listed.stdout);
    std::fs::write(&main, good).expect("write main.tf");
    world.assert_converged();
}
