//! End-to-end scenarios for `mongodbatlas_ai_model_api_key` and its data sources, through
//! the real `terraform` CLI against the in-process emulator.

use serde_json::{json, Value as Json};

use crate::support::World;

/// The spec document's example, exactly as written, plus the variable it uses.
const SEED_EXAMPLE: &str = r#"
variable "project_id" {
  type = string
}

resource "mongodbatlas_ai_model_api_key" "this" {
  project_id = var.project_id
  name       = "example-ai-model-key"
}

data "mongodbatlas_ai_model_api_key" "this" {
  project_id = var.project_id
  api_key_id = mongodbatlas_ai_model_api_key.this.api_key_id
}

data "mongodbatlas_ai_model_api_keys" "this" {
  project_id = var.project_id
}

output "ai_model_api_key_id" {
  description = "The ID of the AI Model API key."
  value       = mongodbatlas_ai_model_api_key.this.api_key_id
}

output "ai_model_api_key_secret" {
  description = "The secret value of the AI Model API key, null if the resource was imported."
  value       = mongodbatlas_ai_model_api_key.this.secret
  sensitive   = true
}

output "ai_model_api_key_name" {
  description = "The name of the AI Model API key from the data source."
  value       = data.mongodbatlas_ai_model_api_key.this.name
}

output "ai_model_api_keys_results" {
  description = "All AI Model API keys in the project."
  value       = data.mongodbatlas_ai_model_api_keys.this.results
}
"#;

fn world_with_project() -> World {
    let mut world = World::new();
    let project = world.project_id(0);
    world.set_env("TF_VAR_project_id", &project);
    world
}

fn outputs(world: &World) -> Json {
    let run = world.terraform(&["output", "-json"]);
    assert_eq!(run.code, 0, "{}", run.output());
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn ai_model_api_key_seed_example_converges_with_right_outputs() {
    let world = world_with_project();
    world.write(SEED_EXAMPLE);
    let apply = world.apply();
    assert!(
        apply.stdout.contains("ai_model_api_key_secret = <sensitive>"),
        "{}",
        apply.stdout
    );
    // The example's plural data source does not depend on the resource, so Terraform reads it
    // while planning the first apply, before the key exists; the second apply only records
    // the output with the new key in it, and from then on the plan is empty.
    let second = world.apply();
    assert!(
        second.stdout.contains("Resources: 0 added, 0 changed, 0 destroyed"),
        "{}",
        second.stdout
    );
    world.assert_converged();
    let outputs = outputs(&world);
    let values = world.resource_values("mongodbatlas_ai_model_api_key.this");
    let id = values["api_key_id"].as_str().unwrap();
    assert_eq!(outputs["ai_model_api_key_id"]["value"], json!(id));
    assert_eq!(outputs["ai_model_api_key_secret"]["sensitive"], json!(true));
    let secret = outputs["ai_model_api_key_secret"]["value"].as_str().unwrap();
    assert!(
        secret.starts_with("al-") && secret.len() > 20,
        "the full secret from create"
    );
    assert_eq!(outputs["ai_model_api_key_name"]["value"], json!("example-ai-model-key"));
    let results = outputs["ai_model_api_keys_results"]["value"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["api_key_id"], json!(id));
    assert_eq!(results[0]["project_id"], json!(world.project_id(0)));
    assert!(results[0].get("secret").is_none(), "no secret in the data source");
    assert_eq!(values["cloud"], json!("ANY"));
    assert_eq!(values["status"], json!("ACTIVE"));
    assert!(values["masked_secret"].as_str().unwrap().starts_with("al-****"));
}

#[test]
fn ai_model_api_key_rename_keeps_id_and_secret_and_project_change_replaces() {
    let world = world_with_project();
    let resource = |name: &str, project: &str| {
        format!("resource \"mongodbatlas_ai_model_api_key\" \"k\" {{\n  project_id = \"{project}\"\n  name       = \"{name}\"\n}}\n")
    };
    let p0 = world.project_id(0);
    world.write(&resource("first", &p0));
    world.apply();
    let before = world.resource_values("mongodbatlas_ai_model_api_key.k");

    world.write(&resource("second", &p0));
    let plan = world.plan();
    assert!(plan.stdout.contains("updated in-place"), "{}", plan.stdout);
    for kept in ["api_key_id", "secret", "created_at", "endpoint", "masked_secret"] {
        let unknown = plan
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with(kept) && l.contains("known after apply"));
        assert!(
            !unknown,
            "{kept} keeps its prior value in a rename plan:\n{}",
            plan.stdout
        );
    }
    world.clear_requests();
    world.apply();
    let id = before["api_key_id"].as_str().unwrap();
    assert_eq!(
        world.mutations(),
        vec![format!("PATCH /api/atlas/v2/groups/{p0}/aiModelApiKeys/{id}")]
    );
    let after = world.resource_values("mongodbatlas_ai_model_api_key.k");
    assert_eq!(after["api_key_id"], before["api_key_id"]);
    assert_eq!(after["secret"], before["secret"], "the secret survives a rename");
    assert_eq!(after["name"], json!("second"));
    world.assert_converged();

    world.write(&resource("second", &world.project_id(1)));
    let plan = world.plan();
    assert_eq!(plan.code, 2);
    assert!(plan.stdout.contains("forces replacement"), "{}", plan.stdout);

    // Deleted outside Terraform: planned for creation again.
    world.write(&resource("second", &p0));
    world.admin("DELETE", &format!("/__emulator/groups/{p0}/aiModelApiKeys/{id}"), None);
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(plan.stdout.contains("will be created"), "{}", plan.stdout);
}

#[test]
fn ai_model_api_key_import_leaves_secret_null_and_converges() {
    let world = world_with_project();
    world.write(SEED_EXAMPLE);
    world.apply();
    let id = world.resource_values("mongodbatlas_ai_model_api_key.this")["api_key_id"]
        .as_str()
        .unwrap()
        .to_string();

    let fresh = tempfile::tempdir().unwrap();
    std::fs::copy(world.dir.path().join("main.tf"), fresh.path().join("main.tf")).unwrap();
    let import_id = format!("{}/{id}", world.project_id(0));
    let run = world.terraform_in(
        fresh.path(),
        &["import", "-no-color", "mongodbatlas_ai_model_api_key.this", &import_id],
    );
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.output().contains("Secret not imported")
            && run.output().contains("-replace")
            && run.output().contains(&format!("\"{id}\"")),
        "the warning names the imported key: {}",
        run.output()
    );
    let run = world.terraform_in(fresh.path(), &["plan", "-detailed-exitcode", "-no-color"]);
    // Only the output's value differs (the secret is null now); nothing about the resource.
    assert!(
        run.stdout.contains("No changes") || !run.stdout.contains("mongodbatlas_ai_model_api_key.this will"),
        "{}",
        run.output()
    );
    assert!(
        !run.stdout.contains("must be replaced") && !run.stdout.contains("updated in-place"),
        "{}",
        run.stdout
    );
    let run = world.terraform_in(fresh.path(), &["show", "-json"]);
    let state: Json = serde_json::from_str(&run.stdout).unwrap();
    let resources = state["values"]["root_module"]["resources"].as_array().unwrap();
    let imported = resources
        .iter()
        .find(|r| r["address"] == "mongodbatlas_ai_model_api_key.this")
        .unwrap();
    assert_eq!(imported["values"]["secret"], Json::Null);
    assert_eq!(imported["values"]["name"], json!("example-ai-model-key"));

    let empty = tempfile::tempdir().unwrap();
    std::fs::copy(world.dir.path().join("main.tf"), empty.path().join("main.tf")).unwrap();
    let run = world.terraform_in(
        empty.path(),
        &["import", "-no-color", "mongodbatlas_ai_model_api_key.this", "bad-id"],
    );
    assert_eq!(run.code, 1);
    assert!(run.output().contains("PROJECT_ID/API_KEY_ID"), "{}", run.output());
}

#[test]
fn ai_model_api_keys_data_source_lists_every_page_and_names_are_validated() {
    let world = world_with_project();
    let p0 = world.project_id(0);
    world.admin(
        "POST",
        &format!("/__emulator/groups/{p0}/aiModelApiKeys"),
        Some(json!({"count": 120, "name_prefix": "seeded"})),
    );
    world.write(
        "variable \"project_id\" { type = string }\ndata \"mongodbatlas_ai_model_api_keys\" \"all\" { project_id = var.project_id }\noutput \"n\" { value = length(data.mongodbatlas_ai_model_api_keys.all.results) }\n",
    );
    world.apply();
    assert_eq!(outputs(&world)["n"]["value"], json!(120));

    for name in [String::new(), "n".repeat(251)] {
        world.write(&format!("resource \"mongodbatlas_ai_model_api_key\" \"k\" {{\n  project_id = \"{p0}\"\n  name       = \"{name}\"\n}}\n"));
        let run = world.plan();
        assert_eq!(run.code, 1, "{}", run.output());
        assert!(run.output().contains("between 1 and 250"), "{}", run.output());
        assert!(run.output().contains(":   name"), "points at name:\n{}", run.output());
    }
    assert_eq!(world.mutations(), Vec::<String>::new());
}

#[test]
fn ai_model_api_key_secret_never_in_trace_log() {
    let mut world = world_with_project();
    let log = world.dir.path().join("trace.log");
    world.set_env("TF_LOG", "trace");
    world.set_env("TF_LOG_PATH", log.to_str().unwrap());
    world.write(SEED_EXAMPLE);
    world.apply();
    let secret = world.resource_values("mongodbatlas_ai_model_api_key.this")["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());
    let trace = std::fs::read_to_string(&log).unwrap();
    assert!(trace.len() > 10_000, "a real trace log");
    assert!(!trace.contains(&secret), "the AI key secret leaked into the trace log");
    assert!(
        !trace.contains(&world.emulator.seed.private_key),
        "the provider credential leaked into the trace log"
    );
}
