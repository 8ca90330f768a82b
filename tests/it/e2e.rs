//! End-to-end scenarios through the real `terraform` CLI against the in-process emulator.

use serde_json::json;

use crate::support::World;

fn api_key_hcl(org_id: &str, description: &str, roles: &str) -> String {
    format!(
        "resource \"mongodbatlas_api_key\" \"test\" {{\n  org_id      = \"{org_id}\"\n  description = \"{description}\"\n  role_names  = {roles}\n}}\n"
    )
}

#[test]
fn api_key_create_update_replace_import_destroy() {
    let world = World::new();
    let org = world.org_id();
    world.write(&api_key_hcl(&org, "key-name", "[\"ORG_READ_ONLY\"]"));

    world.apply();
    let values = world.resource_values("mongodbatlas_api_key.test");
    let key_id = values["api_key_id"].as_str().expect("api_key_id").to_string();
    let private_key = values["private_key"]
        .as_str()
        .expect("private_key after create")
        .to_string();
    assert_eq!(private_key.len(), 36, "a full UUID, not the masked form: {private_key}");
    assert!(!private_key.starts_with("****"));
    assert_eq!(values["role_names"], json!(["ORG_READ_ONLY"]));
    assert_eq!(values["public_key"].as_str().map(str::len), Some(8));
    world.assert_converged();

    // Update in place: description and roles, same key.
    world.write(&api_key_hcl(
        &org,
        "renamed",
        "[\"ORG_READ_ONLY\", \"ORG_BILLING_ADMIN\"]",
    ));
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(plan.stdout.contains("updated in-place"), "{}", plan.stdout);
    world.clear_requests();
    world.apply();
    assert_eq!(
        world.mutations(),
        vec![format!("PATCH /api/atlas/v2/orgs/{org}/apiKeys/{key_id}")]
    );
    let values = world.resource_values("mongodbatlas_api_key.test");
    assert_eq!(values["api_key_id"], json!(key_id));
    assert_eq!(
        values["private_key"],
        json!(private_key),
        "the private key survives an update"
    );
    assert_eq!(values["description"], json!("renamed"));
    world.assert_converged();

    // A different org forces replacement (planned only: the emulator has one org).
    world.write(&api_key_hcl(
        "aaaaaaaaaaaaaaaaaaaaaaaa",
        "renamed",
        "[\"ORG_READ_ONLY\", \"ORG_BILLING_ADMIN\"]",
    ));
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(plan.stdout.contains("forces replacement"), "{}", plan.stdout);
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    world.write(&api_key_hcl(
        &org,
        "renamed",
        "[\"ORG_READ_ONLY\", \"ORG_BILLING_ADMIN\"]",
    ));

    // Import into a fresh state with the documented ID, and with `/`.
    for separator in ["-", "/"] {
        let fresh = tempfile::tempdir().unwrap();
        std::fs::copy(world.dir.path().join("main.tf"), fresh.path().join("main.tf")).unwrap();
        let id = format!("{org}{separator}{key_id}");
        let run = world.terraform_in(fresh.path(), &["import", "-no-color", "mongodbatlas_api_key.test", &id]);
        assert_eq!(run.code, 0, "import failed:\n{}", run.output());
        let run = world.terraform_in(fresh.path(), &["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(run.code, 0, "imported key should converge:\n{}", run.output());
        let run = world.terraform_in(fresh.path(), &["show", "-json"]);
        let state: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let imported = &state["values"]["root_module"]["resources"][0]["values"];
        assert_eq!(imported["api_key_id"], json!(key_id));
        assert_eq!(
            imported["private_key"],
            serde_json::Value::Null,
            "Atlas cannot give the private key back"
        );
    }

    // A malformed import ID says what the format is.
    let fresh = tempfile::tempdir().unwrap();
    std::fs::copy(world.dir.path().join("main.tf"), fresh.path().join("main.tf")).unwrap();
    let run = world.terraform_in(
        fresh.path(),
        &["import", "-no-color", "mongodbatlas_api_key.test", "not-an-id"],
    );
    assert_eq!(run.code, 1);
    assert!(run.output().contains("{org_id}-{api_key_id}"), "{}", run.output());

    world.clear_requests();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        world.mutations(),
        vec![format!("DELETE /api/atlas/v2/orgs/{org}/apiKeys/{key_id}")]
    );
    let keys = world.atlas_state()["api_keys"].clone();
    let public_keys: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["public_key"].as_str())
        .collect();
    assert_eq!(
        public_keys,
        vec![world.emulator.seed.public_key.as_str()],
        "only the seeded key is left"
    );
}

#[test]
fn api_key_deleted_outside_terraform_is_planned_for_creation() {
    let world = World::new();
    let org = world.org_id();
    world.write(&api_key_hcl(&org, "doomed", "[\"ORG_MEMBER\"]"));
    world.apply();
    let key_id = world.resource_values("mongodbatlas_api_key.test")["api_key_id"]
        .as_str()
        .unwrap()
        .to_string();
    world.admin("DELETE", &format!("/__emulator/orgs/{org}/apiKeys/{key_id}"), None);
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(plan.stdout.contains("will be created"), "{}", plan.stdout);
    world.apply();
    world.assert_converged();
}

#[test]
fn api_key_bad_inputs_fail_at_plan_time_without_touching_atlas() {
    let world = World::new();
    let org = world.org_id();
    let long = "x".repeat(251);
    let cases = [
        (
            api_key_hcl(&org, "d", "[\"GROUP_OWNER\"]"),
            "role_names",
            "organization roles",
        ),
        (
            api_key_hcl(&org, "d", "[]"),
            "role_names",
            "between 1 and 100 elements, got 0",
        ),
        // Terraform core compares sets pairwise after apply, so a huge set is refused at plan time.
        (
            api_key_hcl(
                &org,
                "d",
                "flatten([for j in range(40) : [for i in range(1000) : \"ORG_X${j}_${i}\"]])",
            ),
            "role_names",
            "between 1 and 100 elements, got 40000",
        ),
        (
            api_key_hcl(&org, "", "[\"ORG_OWNER\"]"),
            "description",
            "between 1 and 250",
        ),
        (api_key_hcl(&org, &long, "[\"ORG_OWNER\"]"), "description", "got 251"),
        (
            api_key_hcl("not-an-org", "d", "[\"ORG_OWNER\"]"),
            "org_id",
            "24-character",
        ),
    ];
    for (hcl, attribute, message) in cases {
        world.write(&hcl);
        let run = world.plan();
        assert_eq!(run.code, 1, "expected a plan error for {attribute}:\n{}", run.output());
        let output = run.output();
        assert!(output.contains(message), "expected {message:?} in:\n{output}");
        // With an attribute path Terraform quotes the attribute's own source line.
        assert!(
            output.contains(&format!(":   {attribute}")),
            "the diagnostic points at {attribute}:\n{output}"
        );
    }
    assert_eq!(
        world.mutations(),
        Vec::<String>::new(),
        "no mutating request reached Atlas"
    );
}

#[test]
fn api_key_secrets_stay_out_of_output_and_trace_logs() {
    let mut world = World::new();
    let org = world.org_id();
    let log = world.dir.path().join("trace.log");
    world.set_env("TF_LOG", "trace");
    world.set_env("TF_LOG_PATH", log.to_str().unwrap());
    world.write(&api_key_hcl(&org, "secretive", "[\"ORG_OWNER\"]"));
    let apply = world.apply();
    let run = world.terraform(&["show", "-no-color"]);
    assert!(
        run.stdout.contains("private_key") && run.stdout.contains("(sensitive value)"),
        "{}",
        run.stdout
    );
    let values = world.resource_values("mongodbatlas_api_key.test");
    let created_private_key = values["private_key"].as_str().unwrap().to_string();
    world.assert_converged();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());

    let trace = std::fs::read_to_string(&log).expect("trace log");
    assert!(
        trace.contains("provider.terraform-provider-mongodbatlas"),
        "the log covers the provider"
    );
    for secret in [&created_private_key, &world.emulator.seed.private_key] {
        assert!(
            !trace.contains(secret.as_str()),
            "a secret leaked into the TF_LOG=trace log"
        );
        assert!(
            !apply.output().contains(secret.as_str()),
            "a secret leaked into apply output"
        );
        assert!(
            !run.output().contains(secret.as_str()),
            "a secret leaked into destroy output"
        );
    }
}

#[test]
fn quickstart_example_applies_and_reveals_the_private_key_once() {
    let mut world = World::new();
    let org = world.org_id();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/quickstart/main.tf"),
        world.dir.path().join("main.tf"),
    )
    .unwrap();
    world.set_env("TF_VAR_org_id", &org);
    world.set_env("MONGODB_ATLAS_BASE_URL", &world.emulator.seed.base_url.clone());
    let apply = world.apply();
    assert!(apply.stdout.contains("private_key = <sensitive>"), "{}", apply.stdout);
    let run = world.terraform(&["output", "-raw", "private_key"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(run.stdout.len(), 36, "the full private key: {}", run.stdout.len());
    world.assert_converged();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());
}
