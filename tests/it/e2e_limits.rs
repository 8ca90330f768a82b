//! End-to-end: Atlas's limit of 500 API keys per organization, reached through the real
//! `terraform`, gives a diagnostic that names the limit and the way out, and apply works again
//! once keys are deleted.

use serde_json::json;

use crate::support::World;

/// Terraform's output with the diagnostic frame (`│`) removed and whitespace collapsed, so
/// assertions do not depend on where Terraform wrapped a line.
fn flattened(output: &str) -> String {
    output
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn org_key_count(world: &World) -> usize {
    let org = world.org_id();
    world.atlas_state()["api_keys"]
        .as_array()
        .map(|keys| keys.iter().filter(|key| key["org_id"] == json!(org)).count())
        .unwrap_or_default()
}

#[test]
fn creating_a_key_in_a_full_organization_names_the_500_key_limit() {
    let world = World::new();
    let org = world.org_id();
    let p0 = world.project_id(0);
    // The seeded owner key plus 499 more: the organization is at Atlas's default limit.
    let filled = world.admin(
        "POST",
        &format!("/__emulator/orgs/{org}/apiKeys"),
        Some(json!({"count": 499, "desc_prefix": "unused"})),
    );
    assert_eq!(org_key_count(&world), 500);
    world.write(&format!(
        "resource \"mongodbatlas_api_key\" \"k\" {{\n  org_id = \"{org}\"\n  description = \"one too many\"\n  role_names = [\"ORG_MEMBER\"]\n}}\n\
         resource \"mongodbatlas_project_api_key\" \"p\" {{\n  project_id = \"{p0}\"\n  description = \"one too many\"\n  role_names = [\"GROUP_READ_ONLY\"]\n}}\n"
    ));

    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_ne!(run.code, 0, "apply must fail:\n{}", run.output());
    let output = flattened(&run.output());
    assert!(output.contains("MAX_API_KEYS_PER_ORG_EXCEEDED"), "{output}");
    assert_eq!(
        output
            .matches("Atlas allows at most 500 API keys per organization")
            .count(),
        2,
        "one diagnostic per resource: {output}"
    );
    assert!(
        output.contains("with the mongodbatlas_api_keys data source or in the Atlas UI"),
        "{output}"
    );
    assert!(output.contains("delete them"), "{output}");
    assert_eq!(org_key_count(&world), 500, "nothing was created");

    // Deleting unused keys makes room, and the same configuration applies.
    let unused: Vec<String> = filled["ids"]
        .as_array()
        .expect("bulk ids")
        .iter()
        .take(2)
        .filter_map(|id| id.as_str().map(str::to_string))
        .collect();
    for id in unused {
        world.admin("DELETE", &format!("/__emulator/orgs/{org}/apiKeys/{id}"), None);
    }
    world.apply();
    assert_eq!(org_key_count(&world), 500);
    let run = world.plan();
    assert_eq!(run.code, 0, "converged:\n{}", run.output());
}
