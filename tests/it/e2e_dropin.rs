//! Configurations written for the official provider, and the state `mongodbatlas_project_api_key`
//! keeps: what Atlas reports, never what the configuration guessed.

use serde_json::Value as Json;
use terraform_provider_mongodbatlas::atlas;

use crate::support::World;

fn official_form(description: &str, blocks: &[(&str, &str)]) -> String {
    let blocks: String = blocks
        .iter()
        .map(|(project, roles)| {
            format!("  project_assignment {{\n    project_id = \"{project}\"\n    role_names = {roles}\n  }}\n")
        })
        .collect();
    format!("resource \"mongodbatlas_project_api_key\" \"k\" {{\n  description = \"{description}\"\n{blocks}}}\n")
}

fn one_project(project_id: &str, roles: &str) -> String {
    format!(
        "resource \"mongodbatlas_project_api_key\" \"k\" {{\n  project_id  = \"{project_id}\"\n  description = \"one\"\n  role_names  = {roles}\n}}\n"
    )
}

fn values(world: &World) -> Json {
    world.resource_values("mongodbatlas_project_api_key.k")
}

/// Changes a key outside Terraform, as another tool with the owner's credentials would.
fn set_org_roles_outside(world: &World, api_key_id: &str, roles: &[&str]) {
    let seed = &world.emulator.seed;
    let credentials = atlas::Credentials::Digest {
        public_key: seed.public_key.clone(),
        private_key: atlas::SecretString::from(seed.private_key.clone()),
    };
    let client = atlas::Client::new(atlas::Config::new(seed.base_url.clone(), credentials, "outside/1.0"))
        .expect("an Atlas client for the emulator");
    let request = atlas::UpdateApiKey {
        desc: None,
        roles: Some(roles.iter().map(|role| role.to_string()).collect()),
    };
    tokio::runtime::Runtime::new()
        .expect("a runtime")
        .block_on(client.update_api_key(&seed.org_id, api_key_id, &request))
        .expect("the outside change");
}

#[test]
fn the_official_block_form_without_project_id_applies_and_converges() {
    let world = World::new();
    let mut p: Vec<String> = (0..2).map(|i| world.project_id(i)).collect();
    p.sort();
    // The second project first, so "first" cannot come from sorting.
    world.write(&official_form(
        "official",
        &[(&p[1], r#"["GROUP_OWNER"]"#), (&p[0], r#"["GROUP_READ_ONLY"]"#)],
    ));
    world.apply();
    let state = values(&world);
    let id = state["api_key_id"].as_str().expect("api_key_id").to_string();
    assert_eq!(
        state["project_id"],
        Json::String(p[1].clone()),
        "project_id is the first block's"
    );
    assert_eq!(state["id"], Json::String(format!("{}-{id}", world.org_id())));
    assert_eq!(state["project_assignment"][0]["project_id"], Json::String(p[1].clone()));
    let mut mutations = world.mutations();
    mutations.retain(|m| m.contains(&id) || m.starts_with("POST"));
    assert_eq!(
        mutations,
        vec![
            format!("POST /api/atlas/v2/groups/{}/apiKeys", p[1]),
            format!("POST /api/atlas/v2/groups/{}/apiKeys/{id}", p[0]),
        ]
    );
    world.assert_converged();

    // Naming the other project first is an in-place change with no API call, never a replacement.
    world.write(&official_form(
        "official",
        &[(&p[0], r#"["GROUP_READ_ONLY"]"#), (&p[1], r#"["GROUP_OWNER"]"#)],
    ));
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(!plan.stdout.contains("replace"), "{}", plan.output());
    world.clear_requests();
    world.apply();
    assert_eq!(world.mutations(), Vec::<String>::new());
    assert_eq!(values(&world)["project_id"], Json::String(p[0].clone()));
    world.assert_converged();
}

#[test]
fn a_two_project_key_imported_converges_with_blocks_in_another_order() {
    let world = World::new();
    let mut p: Vec<String> = (0..2).map(|i| world.project_id(i)).collect();
    p.sort();
    world.write(&official_form(
        "imported",
        &[(&p[0], r#"["GROUP_OWNER"]"#), (&p[1], r#"["GROUP_READ_ONLY"]"#)],
    ));
    world.apply();
    let id = values(&world)["api_key_id"].as_str().expect("api_key_id").to_string();
    for import_id in [format!("{}-{id}", world.org_id()), format!("{}/{id}", p[1])] {
        // A fresh directory whose configuration names the projects in the other order.
        let fresh = tempfile::tempdir().expect("temp dir");
        let config = std::fs::read_to_string(world.dir.path().join("main.tf")).expect("main.tf");
        let header = &config[..config
            .find("resource \"mongodbatlas_project_api_key\"")
            .expect("the resource")];
        let body = official_form(
            "imported",
            &[(&p[1], r#"["GROUP_READ_ONLY"]"#), (&p[0], r#"["GROUP_OWNER"]"#)],
        );
        std::fs::write(fresh.path().join("main.tf"), format!("{header}{body}")).expect("write main.tf");
        let run = world.terraform_in(
            fresh.path(),
            &["import", "-no-color", "mongodbatlas_project_api_key.k", &import_id],
        );
        assert_eq!(run.code, 0, "{}", run.output());
        let plan = world.terraform_in(fresh.path(), &["plan", "-detailed-exitcode", "-no-color"]);
        assert!(plan.code == 0 || plan.code == 2, "{import_id}:\n{}", plan.output());
        assert!(!plan.stdout.contains("replace"), "{import_id}:\n{}", plan.output());
        world.clear_requests();
        let run = world.terraform_in(fresh.path(), &["apply", "-auto-approve", "-no-color", "-input=false"]);
        assert_eq!(run.code, 0, "{}", run.output());
        assert_eq!(world.mutations(), Vec::<String>::new(), "{import_id}: no API call");
        let plan = world.terraform_in(fresh.path(), &["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(plan.code, 0, "{import_id} converges:\n{}", plan.output());
    }
}

#[test]
fn importing_through_a_project_the_key_is_not_assigned_to_is_refused() {
    let world = World::new();
    let mut p: Vec<String> = (0..3).map(|i| world.project_id(i)).collect();
    p.sort();
    world.write(&official_form("lonely", &[(&p[0], r#"["GROUP_OWNER"]"#)]));
    world.apply();
    let id = values(&world)["api_key_id"].as_str().expect("api_key_id").to_string();
    let fresh = tempfile::tempdir().expect("temp dir");
    std::fs::copy(world.dir.path().join("main.tf"), fresh.path().join("main.tf")).expect("copy main.tf");
    let import_id = format!("{}-{id}", p[2]);
    let run = world.terraform_in(
        fresh.path(),
        &["import", "-no-color", "mongodbatlas_project_api_key.k", &import_id],
    );
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.output().contains("is not assigned to project"), "{}", run.output());
}

#[test]
fn a_one_project_key_unassigned_outside_is_assigned_again_with_one_post() {
    let world = World::new();
    let p0 = world.project_id(0);
    world.write(&one_project(&p0, r#"["GROUP_OWNER"]"#));
    world.apply();
    let id = values(&world)["api_key_id"].as_str().expect("api_key_id").to_string();
    world.admin("DELETE", &format!("/__emulator/groups/{p0}/apiKeys/{id}"), None);
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    world.clear_requests();
    world.apply();
    assert_eq!(
        world.mutations(),
        vec![format!("POST /api/atlas/v2/groups/{p0}/apiKeys/{id}")]
    );
    world.assert_converged();
}

#[test]
fn an_organization_role_added_outside_is_drift_and_is_removed() {
    let world = World::new();
    let p0 = world.project_id(0);
    let org = world.org_id();
    // A one-project key (Atlas adds the implicit ORG_MEMBER) and a key configured with
    // ORG_BILLING_ADMIN; both get ORG_OWNER outside Terraform.
    let billing_key = format!(
        "resource \"mongodbatlas_project_api_key\" \"billing\" {{\n  description = \"billing\"\n  project_assignment {{\n    project_id = \"{p0}\"\n    role_names = [\"GROUP_READ_ONLY\", \"ORG_BILLING_ADMIN\"]\n  }}\n}}\n"
    );
    world.write(&format!("{}{billing_key}", one_project(&p0, r#"["GROUP_OWNER"]"#)));
    world.apply();
    let one = values(&world)["api_key_id"].as_str().expect("id").to_string();
    let billing = world.resource_values("mongodbatlas_project_api_key.billing")["api_key_id"]
        .as_str()
        .expect("id")
        .to_string();
    set_org_roles_outside(&world, &one, &["ORG_MEMBER", "ORG_OWNER"]);
    set_org_roles_outside(&world, &billing, &["ORG_BILLING_ADMIN", "ORG_OWNER"]);

    let refresh = world.terraform(&["plan", "-refresh-only", "-detailed-exitcode", "-no-color"]);
    assert_eq!(refresh.code, 2, "the escalation is drift:\n{}", refresh.output());
    assert!(refresh.stdout.contains("ORG_OWNER"), "{}", refresh.output());

    world.clear_requests();
    world.apply();
    world.assert_mutations_in_any_order(vec![
        format!("PATCH /api/atlas/v2/orgs/{org}/apiKeys/{one}"),
        format!("PATCH /api/atlas/v2/orgs/{org}/apiKeys/{billing}"),
    ]);
    let keys = world.atlas_state()["api_keys"].as_array().cloned().unwrap_or_default();
    for (id, roles) in [(&one, vec!["ORG_MEMBER"]), (&billing, vec!["ORG_BILLING_ADMIN"])] {
        let key = keys.iter().find(|k| k["id"] == **id).expect("the key");
        assert_eq!(key["org_roles"], serde_json::json!(roles), "{id}");
    }
    world.assert_converged();
}

#[test]
fn id_is_the_import_id_on_both_key_resources() {
    let world = World::new();
    let org = world.org_id();
    let p0 = world.project_id(0);
    world.write(&format!(
        "resource \"mongodbatlas_api_key\" \"org\" {{\n  org_id = \"{org}\"\n  description = \"ids\"\n  role_names = [\"ORG_MEMBER\"]\n}}\n{}\
         output \"ids\" {{ value = [mongodbatlas_api_key.org.id, mongodbatlas_project_api_key.k.id] }}\n",
        one_project(&p0, r#"["GROUP_OWNER"]"#)
    ));
    world.apply();
    let org_key = world.resource_values("mongodbatlas_api_key.org");
    let project_key = values(&world);
    for key in [&org_key, &project_key] {
        let expected = format!("{org}-{}", key["api_key_id"].as_str().expect("api_key_id"));
        assert_eq!(key["id"], Json::String(expected));
    }
    world.assert_converged();
}

#[test]
fn plural_data_sources_return_the_page_asked_for_and_project_keys_show_masked_private_keys() {
    let world = World::new();
    let org = world.org_id();
    let p0 = world.project_id(0);
    world.admin(
        "POST",
        &format!("/__emulator/orgs/{org}/apiKeys"),
        Some(serde_json::json!({"count": 5, "desc_prefix": "paged", "roles": ["ORG_MEMBER"], "project_id": p0, "project_roles": ["GROUP_READ_ONLY"]})),
    );
    world.write(&format!(
        r#"
data "mongodbatlas_api_keys" "all" {{ org_id = "{org}" }}
data "mongodbatlas_api_keys" "page" {{
  org_id         = "{org}"
  page_num       = 2
  items_per_page = 2
}}
data "mongodbatlas_project_api_keys" "page" {{
  project_id     = "{p0}"
  items_per_page = 3
}}
data "mongodbatlas_project_api_key" "one" {{
  project_id = "{p0}"
  api_key_id = data.mongodbatlas_project_api_keys.page.results[0].api_key_id
}}
output "all" {{ value = length(data.mongodbatlas_api_keys.all.results) }}
output "page" {{ value = data.mongodbatlas_api_keys.page.results[*].api_key_id }}
output "all_ids" {{ value = data.mongodbatlas_api_keys.all.results[*].api_key_id }}
output "project_page" {{ value = length(data.mongodbatlas_project_api_keys.page.results) }}
"#
    ));
    world.apply();
    let run = world.terraform(&["output", "-json"]);
    let outputs: Json = serde_json::from_str(&run.stdout).expect("outputs");
    assert_eq!(
        outputs["all"]["value"],
        serde_json::json!(6),
        "5 keys and the seeded one"
    );
    let all: Vec<Json> = outputs["all_ids"]["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(outputs["page"]["value"], Json::Array(all[2..4].to_vec()), "page 2 of 2");
    assert_eq!(outputs["project_page"]["value"], serde_json::json!(3));
    let state = world.show_json();
    let resources = state["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let page = resources
        .iter()
        .find(|r| r["address"] == "data.mongodbatlas_project_api_keys.page")
        .expect("the data source in state");
    for result in page["values"]["results"].as_array().expect("results") {
        let masked = result["private_key"].as_str().expect("a private_key");
        assert!(masked.starts_with("********-****-****-"), "{masked}");
    }
    // `results` is a nested attribute, so only `private_key` inside it is sensitive: the rest
    // (and `length(results)` above) stays usable.
    assert_eq!(
        page["sensitive_values"]["results"][0]["private_key"],
        Json::Bool(true),
        "private_key inside results is sensitive: {}",
        page["sensitive_values"]
    );
    assert!(
        page["sensitive_values"]["results"][0]
            .get("api_key_id")
            .is_none_or(|v| v != &Json::Bool(true)),
        "api_key_id is not sensitive: {}",
        page["sensitive_values"]
    );
    let one = resources
        .iter()
        .find(|r| r["address"] == "data.mongodbatlas_project_api_key.one")
        .expect("the singular data source in state");
    assert!(one["values"]["private_key"]
        .as_str()
        .is_some_and(|k| k.starts_with("********")));
    assert_eq!(
        one["sensitive_values"]["private_key"],
        Json::Bool(true),
        "private_key is sensitive"
    );
}
