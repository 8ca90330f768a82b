//! End-to-end scenarios for `mongodbatlas_ai_model_rate_limit` and the four rate-limit data
//! sources, through the real `terraform` CLI against the in-process emulator.
//!
//! Calls per operation (Digest challenges left out): create 1 PATCH, refresh 1 GET, update
//! 1 PATCH (after its refresh GET), destroy 1 POST `:reset`, import 1 GET.

use std::path::Path;

use serde_json::{json, Value as Json};

use crate::support::{flat, Run, World};

const RESOURCE: &str = "mongodbatlas_ai_model_rate_limit.this";

/// Every example of the resource and its data sources, as one configuration: each example
/// declares the variables it uses, so their declarations are taken out and made once.
fn examples() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let read =
        |path: &str| std::fs::read_to_string(root.join(path)).unwrap_or_else(|err| panic!("example {path}: {err}"));
    [
        read("resources/mongodbatlas_ai_model_rate_limit/resource.tf"),
        read("data-sources/mongodbatlas_ai_model_rate_limit/data-source.tf"),
        read("data-sources/mongodbatlas_ai_model_rate_limits/data-source.tf"),
        read("data-sources/mongodbatlas_ai_model_org_rate_limit/data-source.tf"),
        read("data-sources/mongodbatlas_ai_model_org_rate_limits/data-source.tf"),
    ]
    .iter()
    .map(|example| without_variables(example))
    .chain([
        "variable \"org_id\" {\n  type = string\n}\n".to_string(),
        "variable \"project_id\" {\n  type = string\n}\n".to_string(),
    ])
    .collect::<Vec<_>>()
    .join("\n")
}

/// `hcl` (formatted by `terraform fmt`) without its `variable` blocks.
fn without_variables(hcl: &str) -> String {
    let mut kept = String::new();
    let mut in_variable = false;
    for line in hcl.lines() {
        if line.starts_with("variable \"") {
            in_variable = true;
        } else if in_variable {
            in_variable = line != "}";
        } else {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

fn world() -> World {
    let mut world = World::new();
    let (project, org) = (world.project_id(0), world.org_id());
    world.set_env("TF_VAR_project_id", &project);
    world.set_env("TF_VAR_org_id", &org);
    world
}

/// One limit in project `project`, with `extra` attribute lines.
fn limit(project: &str, group: &str, requests: &str, tokens: &str, extra: &str) -> String {
    format!(
        "resource \"mongodbatlas_ai_model_rate_limit\" \"this\" {{\n  project_id                = \"{project}\"\n  model_group_name          = \"{group}\"\n  requests_per_minute_limit = {requests}\n  tokens_per_minute_limit   = {tokens}\n{extra}}}\n"
    )
}

fn limit_path(project: &str, group: &str) -> String {
    format!("/api/atlas/v2/groups/{project}/aiModelApiClouds/ANY/geographies/ANY/modelGroupNames/{group}/rateLimits")
}

/// What a command printed, with Terraform's line wrapping undone.
fn said(run: &Run) -> String {
    flat(&run.output())
}

fn outputs(world: &World) -> Json {
    let run = world.terraform(&["output", "-json"]);
    assert_eq!(run.code, 0, "{}", run.output());
    serde_json::from_str(&run.stdout).expect("output -json")
}

/// The project limits the emulator holds away from their defaults.
fn project_overrides(world: &World) -> Json {
    world.atlas_state()["ai_model_rate_limits"]["project"].clone()
}

#[test]
fn ai_model_rate_limit_examples_apply_converge_and_destroy() {
    let world = world();
    let p0 = world.project_id(0);
    world.write(&examples());
    world.clear_requests();
    world.apply();
    assert_eq!(
        world.mutations(),
        vec![format!("PATCH {}", limit_path(&p0, "embed_large"))],
        "create is one PATCH"
    );
    let values = world.resource_values(RESOURCE);
    assert_eq!(values["requests_per_minute_limit"], json!(1000));
    assert_eq!(values["tokens_per_minute_limit"], json!(1_000_000));
    assert_eq!(values["endpoint"], json!("ai.mongodb.com"));
    assert_eq!(values["model_names"], json!(["voyage-3-large", "voyage-context-3"]));
    assert_eq!(values["cloud"], json!("ANY"));
    assert_eq!(
        project_overrides(&world),
        json!([{"group_id": p0, "model_group_name": "embed_large",
                "requests_per_minute_limit": 1000, "tokens_per_minute_limit": 1_000_000}])
    );
    // The data sources do not depend on the resource, so the first apply read them
    // before the PATCH; the second apply only records the outputs.
    let second = world.apply();
    assert!(
        second.stdout.contains("Resources: 0 added, 0 changed, 0 destroyed"),
        "{}",
        second.stdout
    );
    world.assert_converged();
    let outputs = outputs(&world);
    assert_eq!(outputs["embed_large_requests_per_minute"]["value"], json!(1000));
    assert_eq!(
        outputs["project_rate_limits"]["value"],
        json!({"embed_large": 1000, "embed_medium": 2000, "embed_small": 2000, "rerank": 2000})
    );
    assert_eq!(outputs["embed_large_org_tokens_per_minute"]["value"], json!(3_000_000));
    assert_eq!(
        outputs["org_rate_limits"]["value"],
        json!({"embed_large": 3_000_000, "embed_medium": 8_000_000, "embed_small": 16_000_000, "rerank": 4_000_000})
    );
    assert_eq!(
        outputs["embed_large_models"]["value"],
        json!(["voyage-3-large", "voyage-context-3"])
    );

    world.clear_requests();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        world.mutations(),
        vec![format!("POST {}:reset", limit_path(&p0, "embed_large"))],
        "destroy is one reset"
    );
    assert_eq!(
        project_overrides(&world),
        json!([]),
        "the group is back at the org's limit"
    );
}

#[test]
fn ai_model_rate_limit_costs_one_call_per_operation_and_sees_outside_changes() {
    let world = world();
    let p0 = world.project_id(0);
    let path = limit_path(&p0, "rerank");
    let listing = format!("GET /api/atlas/v2/groups/{p0}/aiModelApiRateLimits");
    // Someone already set this group's limit: create overwrites it, as the docs say.
    world.admin(
        "POST",
        &format!("/__emulator/groups/{p0}/aiModelRateLimits/rerank"),
        Some(json!({"requests_per_minute_limit": 3, "tokens_per_minute_limit": 3})),
    );
    world.write(&limit(&p0, "rerank", "100", "1000", ""));
    world.clear_requests();
    world.apply();
    assert_eq!(
        world.calls(),
        vec![format!("PATCH {path}")],
        "create: one PATCH, nothing else"
    );
    assert_eq!(
        project_overrides(&world),
        json!([{"group_id": p0, "model_group_name": "rerank",
                "requests_per_minute_limit": 100, "tokens_per_minute_limit": 1000}])
    );

    world.clear_requests();
    let plan = world.plan();
    assert_eq!(plan.code, 0, "{}", plan.output());
    assert_eq!(
        world.calls(),
        vec![listing.clone()],
        "refresh: the project's listing of every group's limit (shared by every limit's read)"
    );

    world.write(&limit(&p0, "rerank", "150", "1000", ""));
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(plan.stdout.contains("updated in-place"), "{}", plan.stdout);
    for kept in ["endpoint", "model_names"] {
        assert!(
            !plan
                .stdout
                .lines()
                .any(|l| l.trim_start().starts_with(kept) && l.contains("known after apply")),
            "{kept} keeps its value in an update plan:\n{}",
            plan.stdout
        );
    }
    world.clear_requests();
    world.apply();
    assert_eq!(
        world.calls(),
        vec![listing.clone(), format!("PATCH {path}")],
        "update: the refresh listing and one PATCH"
    );
    assert_eq!(world.resource_values(RESOURCE)["requests_per_minute_limit"], json!(150));
    world.assert_converged();

    // Changed outside Terraform: the plan shows it and one PATCH puts it back.
    world.admin(
        "POST",
        &format!("/__emulator/groups/{p0}/aiModelRateLimits/rerank"),
        Some(json!({"requests_per_minute_limit": 7, "tokens_per_minute_limit": 1000})),
    );
    let plan = world.plan();
    assert_eq!(plan.code, 2, "{}", plan.output());
    assert!(
        plan.stdout.contains("~ requests_per_minute_limit = 7 -> 150"),
        "{}",
        plan.stdout
    );
    world.clear_requests();
    world.apply();
    assert_eq!(world.mutations(), vec![format!("PATCH {path}")]);
    world.assert_converged();

    // A lower organization limit leaves the project's own limit as it is: still converged.
    world.admin(
        "POST",
        &format!("/__emulator/orgs/{}/aiModelRateLimits/rerank", world.org_id()),
        Some(json!({"requests_per_minute_limit": 500, "tokens_per_minute_limit": 5000})),
    );
    world.assert_converged();

    world.clear_requests();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        world.calls(),
        vec![listing.clone(), format!("POST {path}:reset")],
        "destroy: the refresh listing and one reset"
    );
    assert_eq!(project_overrides(&world), json!([]));
}

#[test]
fn ai_model_rate_limit_imports_by_cli_and_block_and_converges() {
    let world = world();
    let p0 = world.project_id(0);
    let config = limit(
        &p0,
        "embed_small",
        "300",
        "4000",
        "  cloud                     = \"ANY\"\n",
    );
    world.write(&config);
    world.apply();
    let applied = world.resource_values(RESOURCE);
    let import_id = format!("{p0}/ANY/ANY/embed_small");

    let by_cli = tempfile::tempdir().expect("temp dir");
    std::fs::copy(world.dir.path().join("main.tf"), by_cli.path().join("main.tf")).expect("copy");
    world.clear_requests();
    let run = world.terraform_in(by_cli.path(), &["import", "-no-color", RESOURCE, &import_id]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        world.calls(),
        vec![format!("GET /api/atlas/v2/groups/{p0}/aiModelApiRateLimits")],
        "import: the read after it lists the project's limits"
    );
    let run = world.terraform_in(by_cli.path(), &["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(run.code, 0, "imported by CLI converges:\n{}", run.output());
    let run = world.terraform_in(by_cli.path(), &["show", "-json"]);
    let state: Json = serde_json::from_str(&run.stdout).expect("show -json");
    assert_eq!(state["values"]["root_module"]["resources"][0]["values"], applied);

    let by_block = tempfile::tempdir().expect("temp dir");
    let main = std::fs::read_to_string(world.dir.path().join("main.tf")).expect("main.tf");
    let block = format!("{main}\nimport {{\n  to = {RESOURCE}\n  id = \"{import_id}\"\n}}\n");
    std::fs::write(by_block.path().join("main.tf"), block).expect("write");
    world.clear_requests();
    let run = world.terraform_in(by_block.path(), &["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.stdout.contains("1 imported, 0 added, 0 changed, 0 destroyed"),
        "{}",
        run.stdout
    );
    assert_eq!(
        world.mutations(),
        Vec::<String>::new(),
        "an import block changes nothing"
    );
    let run = world.terraform_in(by_block.path(), &["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(run.code, 0, "imported by block converges:\n{}", run.output());

    let bad = tempfile::tempdir().expect("temp dir");
    std::fs::copy(world.dir.path().join("main.tf"), bad.path().join("main.tf")).expect("copy");
    for (id, expected) in [
        (
            "garbage".to_string(),
            "{project_id}/{cloud}/{geography}/{model_group_name}",
        ),
        (
            format!("{p0}/embed_small"),
            "{project_id}/{cloud}/{geography}/{model_group_name}",
        ),
        (
            format!("{p0}/AWS/ANY/embed_small"),
            "The cloud in the import ID must be one of ANY",
        ),
        (format!("{p0}/ANY/ANY/.."), "is not in the expected format"),
    ] {
        let run = world.terraform_in(bad.path(), &["import", "-no-color", RESOURCE, &id]);
        assert_eq!(run.code, 1, "{id}: {}", run.output());
        assert!(said(&run).contains(expected), "{id}: {}", run.output());
        assert!(!said(&run).contains(",,"), "{id}: {}", run.output());
    }

    // Replacing the group resets the old one and sets the new one.
    world.write(&limit(&p0, "embed_medium", "300", "4000", ""));
    let plan = world.plan();
    assert!(plan.stdout.contains("forces replacement"), "{}", plan.stdout);
    world.clear_requests();
    world.apply();
    assert_eq!(
        world.mutations(),
        vec![
            format!("POST {}:reset", limit_path(&p0, "embed_small")),
            format!("PATCH {}", limit_path(&p0, "embed_medium")),
        ]
    );
    world.assert_converged();
}

#[test]
fn ai_model_rate_limit_plan_time_diagnostics_point_at_their_attributes() {
    let world = world();
    let p0 = world.project_id(0);
    let cases: Vec<(String, &str, &str)> = vec![
        (limit(&p0, "rerank", "0", "1000", ""), "requests_per_minute_limit", "a whole number from 1 to 2147483647"),
        (limit(&p0, "rerank", "5", "1.5", ""), "tokens_per_minute_limit", "a whole number from 1 to 2147483647"),
        (limit(&p0, "rerank", "2147483648", "5", ""), "requests_per_minute_limit", "a whole number from 1 to 2147483647"),
        (limit(&p0, "rerank", "5", "5", "  cloud = \"AWS\"\n"), "cloud", "must be one of `ANY`"),
        (limit(&p0, "rerank", "5", "5", "  geography = \"EU\"\n"), "geography", "must be one of `ANY`"),
        (limit(&p0, "embed large", "5", "5", ""), "model_group_name", "must be a model group name"),
        (limit(&p0, "..", "5", "5", ""), "model_group_name", "not . or .."),
        (limit("nope", "rerank", "5", "5", ""), "project_id", "24-character lowercase hexadecimal"),
        (
            format!("data \"mongodbatlas_ai_model_rate_limits\" \"all\" {{\n  project_id     = \"{p0}\"\n  items_per_page = 501\n}}\n"),
            "items_per_page",
            "a whole number from 1 to 500",
        ),
        (
            "data \"mongodbatlas_ai_model_org_rate_limit\" \"one\" {\n  org_id           = \"x\"\n  model_group_name = \"rerank\"\n}\n".to_string(),
            "org_id",
            "24-character lowercase hexadecimal",
        ),
    ];
    world.clear_requests();
    for (config, attribute, message) in cases {
        world.write(&config);
        let run = world.plan();
        assert_eq!(run.code, 1, "{attribute}:\n{}", run.output());
        assert!(said(&run).contains(message), "{attribute}:\n{}", run.output());
        assert!(
            run.output().contains(&format!(":   {attribute}")),
            "points at {attribute}:\n{}",
            run.output()
        );
    }
    assert!(
        world.calls().iter().all(|call| !call.contains("ateLimit")),
        "plan-time checks make no rate-limit call: {:?}",
        world.calls()
    );
}

#[test]
fn ai_model_rate_limit_above_the_org_limit_is_shown_on_the_attribute_with_the_org_value() {
    let world = world();
    let (p0, org) = (world.project_id(0), world.org_id());
    world.admin(
        "POST",
        &format!("/__emulator/orgs/{org}/aiModelRateLimits/embed_large"),
        Some(json!({"requests_per_minute_limit": 1000, "tokens_per_minute_limit": 2_000_000})),
    );
    world.write(&limit(&p0, "embed_large", "5000", "1000", ""));
    world.clear_requests();
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 1, "{}", run.output());
    let output = run.output();
    assert!(output.contains("Could not set AI model rate limit"), "{output}");
    assert!(
        said(&run).contains("exceeds the organization's limit of 1000"),
        "{output}"
    );
    assert!(output.contains(":   requests_per_minute_limit = 5000"), "{output}");
    assert!(
        !output.contains(":   tokens_per_minute_limit"),
        "only the offending limit: {output}"
    );
    assert_eq!(
        world.mutations(),
        vec![format!("PATCH {}", limit_path(&p0, "embed_large"))]
    );
    assert_eq!(world.show_json()["values"], Json::Null, "nothing created");
    assert_eq!(project_overrides(&world), json!([]));

    // At the org's limit it is accepted.
    world.write(&limit(&p0, "embed_large", "1000", "2000000", ""));
    world.apply();
    world.assert_converged();

    // A model group Atlas does not know: on model_group_name, for the resource and the data source.
    world.write(&format!(
        "{}\ndata \"mongodbatlas_ai_model_rate_limit\" \"x\" {{\n  project_id       = \"{p0}\"\n  model_group_name = \"embed_huge\"\n}}\n",
        limit(&p0, "embed_large", "1000", "2000000", "")
    ));
    let run = world.plan();
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        said(&run).contains("Atlas has no model group \"embed_huge\""),
        "{}",
        run.output()
    );
    assert!(
        run.output().contains(":   model_group_name = \"embed_huge\""),
        "{}",
        run.output()
    );
    world.write(&limit(&p0, "embed_huge", "1", "1", ""));
    let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.output().contains("RESOURCE_NOT_FOUND"), "{}", run.output());
    assert!(
        said(&run).contains("mongodbatlas_ai_model_rate_limits data source lists"),
        "{}",
        run.output()
    );
    assert!(run.output().contains(":   model_group_name"), "{}", run.output());
}

#[test]
fn ai_model_rate_limits_data_sources_read_every_page_or_the_one_asked_for() {
    let world = world();
    let (p0, org) = (world.project_id(0), world.org_id());
    world.write(&format!(
        "data \"mongodbatlas_ai_model_rate_limits\" \"all\" {{\n  project_id = \"{p0}\"\n}}\n\
         data \"mongodbatlas_ai_model_rate_limits\" \"page\" {{\n  project_id     = \"{p0}\"\n  page_num       = 2\n  items_per_page = 3\n}}\n\
         data \"mongodbatlas_ai_model_org_rate_limits\" \"all\" {{\n  org_id = \"{org}\"\n}}\n\
         output \"all\" {{ value = [for r in data.mongodbatlas_ai_model_rate_limits.all.results : r.model_group_name] }}\n\
         output \"page\" {{ value = [for r in data.mongodbatlas_ai_model_rate_limits.page.results : r.model_group_name] }}\n\
         output \"org\" {{ value = length(data.mongodbatlas_ai_model_org_rate_limits.all.results) }}\n"
    ));
    world.clear_requests();
    world.apply();
    let outputs = outputs(&world);
    assert_eq!(
        outputs["all"]["value"],
        json!(["embed_large", "embed_medium", "embed_small", "rerank"])
    );
    assert_eq!(outputs["page"]["value"], json!(["rerank"]));
    assert_eq!(outputs["org"]["value"], json!(4));
    let mut reads = world.calls();
    reads.sort();
    assert_eq!(
        reads,
        vec![
            format!("GET /api/atlas/v2/groups/{p0}/aiModelApiRateLimits"),
            format!("GET /api/atlas/v2/groups/{p0}/aiModelApiRateLimits"),
            format!("GET /api/atlas/v2/orgs/{org}/aiModelApiRateLimits"),
        ],
        "one page each: four groups fit in one page"
    );
}

#[test]
fn two_limits_on_one_model_group_are_refused_at_plan_time_whether_new_or_in_state() {
    let world = world();
    let (p0, p1) = (world.project_id(0), world.project_id(1));
    let named = |name: &str, project: &str, requests: &str| {
        limit(project, "rerank", requests, requests, "").replace("\"this\"", &format!("\"{name}\""))
    };
    let refused = |config: String| {
        world.write(&config);
        world.clear_requests();
        let run = world.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        assert_eq!(run.code, 1, "{}", run.output());
        assert!(said(&run).contains("Model group limited twice"), "{}", run.output());
        assert!(said(&run).contains("keep one resource for it"), "{}", run.output());
        assert!(run.output().contains(":   model_group_name"), "{}", run.output());
        let patches: Vec<String> = world
            .calls()
            .into_iter()
            .filter(|call| !call.starts_with("GET"))
            .collect();
        assert_eq!(patches, Vec::<String>::new(), "refused before any change");
    };
    // Both new.
    refused(format!("{}{}", named("a", &p0, "10"), named("b", &p0, "20")));
    // One in state, one new.
    world.write(&named("a", &p0, "10"));
    world.apply();
    refused(format!("{}{}", named("a", &p0, "10"), named("b", &p0, "20")));
    // Two in state, one moved onto the other's group.
    world.write(&format!("{}{}", named("a", &p0, "10"), named("b", &p1, "20")));
    world.apply();
    world.assert_converged();
    refused(format!("{}{}", named("a", &p0, "10"), named("b", &p0, "20")));
    // The same resource planned again in one process is not a conflict: a plain apply converges.
    world.write(&format!("{}{}", named("a", &p0, "11"), named("b", &p1, "20")));
    world.apply();
    world.assert_converged();
}

#[test]
fn a_required_argument_set_to_null_is_a_plan_time_error_on_it() {
    let world = world();
    let p0 = world.project_id(0);
    let nulls = "variable \"nothing\" {\n  type    = string\n  default = null\n}\nvariable \"no_number\" {\n  type    = number\n  default = null\n}\n";
    let cases: Vec<(String, &str)> = vec![
        (limit(&p0, "rerank", "var.no_number", "5", ""), "requests_per_minute_limit"),
        (limit(&p0, "var.nothing", "5", "5", "").replace("\"var.nothing\"", "var.nothing"), "model_group_name"),
        (
            format!(
                "resource \"mongodbatlas_api_key_project_assignment\" \"a\" {{\n  project_id = var.nothing\n  api_key_id = \"{p0}\"\n  roles      = [\"GROUP_OWNER\"]\n}}\n"
            ),
            "project_id",
        ),
        (
            format!("data \"mongodbatlas_api_key_project_assignment\" \"a\" {{\n  project_id = \"{p0}\"\n  api_key_id = var.nothing\n}}\n"),
            "api_key_id",
        ),
    ];
    world.clear_requests();
    for (config, attribute) in cases {
        world.write(&format!("{nulls}{config}"));
        let run = world.plan();
        assert_eq!(run.code, 1, "{attribute}:\n{}", run.output());
        assert!(
            said(&run).contains("Missing required argument"),
            "{attribute}:\n{}",
            run.output()
        );
        assert!(
            said(&run).contains(&format!("The argument {attribute} is required, but its value is null")),
            "{attribute}:\n{}",
            run.output()
        );
        assert!(
            run.output().contains(&format!(":   {attribute}")),
            "points at {attribute}:\n{}",
            run.output()
        );
    }
    assert_eq!(world.calls(), Vec::<String>::new(), "plan-time checks call nothing");
}
