//! End-to-end scenarios under faults and with every kind of credentials: the emulator
//! rate-limits, fails and loses answers while the real `terraform` applies. Every scenario
//! runs at TF_LOG=trace and checks that no secret reached the log.

use serde_json::{json, Value as Json};

use crate::support::World;

fn faults(world: &World, plan: Json) {
    world.admin("POST", "/__emulator/faults", Some(plan));
}

fn fired(world: &World) -> u64 {
    let plan = world.admin("GET", "/__emulator/faults", None);
    plan["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["fired"].as_u64().unwrap_or(0))
        .sum()
}

/// Keys whose description starts with `prefix`, as Atlas holds them.
fn keys_named(world: &World, prefix: &str) -> Vec<Json> {
    world.atlas_state()["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["desc"].as_str().is_some_and(|d| d.starts_with(prefix)))
        .cloned()
        .collect()
}

fn private_keys_in_state(world: &World) -> Vec<String> {
    let state = world.show_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .map(|resources| {
            resources
                .iter()
                .filter_map(|r| r["values"]["private_key"].as_str().or(r["values"]["secret"].as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn twenty_keys_with_every_third_request_rate_limited_are_created_exactly_once() {
    let mut world = World::new();
    world.enable_trace();
    let org = world.org_id();
    world.write(&format!(
        "resource \"mongodbatlas_api_key\" \"many\" {{\n  count       = 20\n  org_id      = \"{org}\"\n  description = \"bulk-${{count.index}}\"\n  role_names  = [\"ORG_MEMBER\"]\n}}\n"
    ));
    faults(
        &world,
        json!({"rules": [{"kind": "rate_limit", "every": 3, "retry_after_secs": 1}]}),
    );
    world.apply();
    let retried = fired(&world);
    assert!(retried >= 5, "rate limits were hit and retried: {retried}");
    let keys = keys_named(&world, "bulk-");
    assert_eq!(keys.len(), 20, "each key exactly once");
    let mut descriptions: Vec<&str> = keys.iter().filter_map(|k| k["desc"].as_str()).collect();
    descriptions.dedup();
    assert_eq!(descriptions.len(), 20);
    world.assert_converged();
    let secrets = private_keys_in_state(&world);
    assert_eq!(secrets.len(), 20, "every private key came from its create answer");
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(keys_named(&world, "bulk-").is_empty(), "no orphan left behind");
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    world.assert_no_secrets_in_trace(&secrets);
    eprintln!("rate-limited requests retried: {retried}");
}

#[test]
fn every_second_get_failing_with_503_still_plans_and_applies() {
    let mut world = World::new();
    world.enable_trace();
    let org = world.org_id();
    let p0 = world.project_id(0);
    world.write(&format!(
        "resource \"mongodbatlas_api_key\" \"k\" {{\n  org_id = \"{org}\"\n  description = \"flaky\"\n  role_names = [\"ORG_MEMBER\"]\n}}\n\
         resource \"mongodbatlas_project_api_key\" \"p\" {{\n  project_id = \"{p0}\"\n  description = \"flaky\"\n  role_names = [\"GROUP_OWNER\"]\n}}\n\
         data \"mongodbatlas_api_keys\" \"all\" {{ org_id = \"{org}\" }}\n"
    ));
    faults(
        &world,
        json!({"rules": [{"kind": "fail", "every": 2, "status": 503, "method": "GET"}]}),
    );
    world.apply();
    world.assert_converged();
    assert!(fired(&world) >= 3, "503s were injected");
    assert_eq!(keys_named(&world, "flaky").len(), 2);
    let secrets = private_keys_in_state(&world);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    world.assert_no_secrets_in_trace(&secrets);
}

#[test]
fn creates_answered_500_after_processing_are_adopted_not_duplicated() {
    let mut world = World::new();
    world.enable_trace();
    // Bearer auth, so no unauthenticated digest challenge takes the injected fault.
    use_service_account(&mut world);
    let org = world.org_id();
    let p0 = world.project_id(0);
    world.write(&format!(
        "resource \"mongodbatlas_api_key\" \"k\" {{\n  org_id = \"{org}\"\n  description = \"lost-org\"\n  role_names = [\"ORG_MEMBER\"]\n}}\n\
         resource \"mongodbatlas_project_api_key\" \"p\" {{\n  project_id = \"{p0}\"\n  description = \"lost-project\"\n  role_names = [\"GROUP_OWNER\"]\n}}\n\
         resource \"mongodbatlas_ai_model_api_key\" \"a\" {{\n  project_id = \"{p0}\"\n  name = \"lost-ai\"\n}}\n"
    ));
    faults(
        &world,
        json!({"rules": [
            {"kind": "fail", "status": 500, "phase": "after", "method": "POST", "path_contains": "/orgs/", "times": 1},
            {"kind": "fail", "status": 500, "phase": "after", "method": "POST", "path_contains": format!("/groups/{p0}/apiKeys"), "times": 1},
            {"kind": "close", "phase": "after", "method": "POST", "path_contains": "/aiModelApiKeys", "times": 1},
        ]}),
    );
    let apply = world.apply();
    assert!(apply.output().contains("private key was lost"), "{}", apply.output());
    assert!(apply.output().contains("secret was lost"), "{}", apply.output());
    assert_eq!(fired(&world), 3, "each create lost its answer once");
    assert_eq!(keys_named(&world, "lost-org").len(), 1, "no duplicate organization key");
    assert_eq!(keys_named(&world, "lost-project").len(), 1, "no duplicate project key");
    let ai_keys = world.atlas_state()["ai_model_api_keys"].as_array().unwrap().len();
    assert_eq!(ai_keys, 1, "no duplicate AI model key");
    world.assert_converged();
    let run = world.terraform(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        keys_named(&world, "lost-").is_empty(),
        "no orphan: Terraform tracked the adopted keys"
    );
    world.assert_no_secrets_in_trace(&[]);
}

#[test]
fn failure_in_the_middle_of_assignments_keeps_the_key_tracked() {
    let mut world = World::new();
    world.enable_trace();
    let p: Vec<String> = (0..3).map(|i| world.project_id(i)).collect();
    world.write(&format!(
        "resource \"mongodbatlas_project_api_key\" \"k\" {{\n  project_id = \"{0}\"\n  description = \"half-way\"\n\
         project_assignment {{\n    project_id = \"{0}\"\n    role_names = [\"GROUP_OWNER\"]\n  }}\n\
         project_assignment {{\n    project_id = \"{1}\"\n    role_names = [\"GROUP_READ_ONLY\"]\n  }}\n\
         project_assignment {{\n    project_id = \"{2}\"\n    role_names = [\"GROUP_READ_ONLY\"]\n  }}\n}}\n",
        p[0], p[1], p[2]
    ));
    faults(
        &world,
        json!({"rules": [{"kind": "fail", "status": 500, "method": "POST", "path_contains": format!("/groups/{}/apiKeys/", p[1]), "times": 1}]}),
    );
    let run = world.terraform(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 1, "the assignment failed:\n{}", run.output());
    assert!(
        run.output().contains("Could not assign the project API key"),
        "{}",
        run.output()
    );
    let tracked = world.resource_values("mongodbatlas_project_api_key.k");
    let id = tracked["api_key_id"].as_str().expect("the key is in state").to_string();
    assert_eq!(keys_named(&world, "half-way").len(), 1);
    assert_eq!(keys_named(&world, "half-way")[0]["id"], json!(id));

    world.apply();
    world.assert_converged();
    let keys = keys_named(&world, "half-way");
    assert_eq!(keys.len(), 1, "re-apply converged without leaving the first key behind");
    assert_eq!(keys[0]["project_roles"].as_object().unwrap().len(), 3);
    let secrets = private_keys_in_state(&world);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    world.assert_no_secrets_in_trace(&secrets);
}

fn simple_key(world: &World, description: &str) -> String {
    format!(
        "resource \"mongodbatlas_api_key\" \"k\" {{\n  org_id = \"{}\"\n  description = \"{description}\"\n  role_names = [\"ORG_MEMBER\"]\n}}\n",
        world.org_id()
    )
}

fn use_service_account(world: &mut World) {
    let seed = world.emulator.seed.clone();
    world.unset_env("MONGODB_ATLAS_PUBLIC_KEY");
    world.unset_env("MONGODB_ATLAS_PRIVATE_KEY");
    world.set_env("MONGODB_ATLAS_CLIENT_ID", &seed.client_id);
    world.set_env("MONGODB_ATLAS_CLIENT_SECRET", &seed.client_secret);
}

#[test]
fn service_account_and_access_token_configurations_work() {
    let mut world = World::new();
    world.enable_trace();
    use_service_account(&mut world);
    let seed = world.emulator.seed.clone();
    world.write(&simple_key(&world, "by-service-account"));
    world.apply();
    world.assert_converged();
    let auths: Vec<Json> = world.requests().iter().map(|r| r["auth"].clone()).collect();
    assert!(
        auths.contains(&json!("bearer")) && auths.contains(&json!("basic")),
        "{auths:?}"
    );
    assert!(!auths.contains(&json!("digest")), "{auths:?}");

    // A ready access token instead.
    let token: Json = reqwest::blocking::Client::new()
        .post(format!("{}/api/oauth/token", seed.base_url))
        .basic_auth(&seed.client_id, Some(&seed.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .unwrap()
        .json()
        .unwrap();
    let access_token = token["access_token"].as_str().unwrap().to_string();
    world.unset_env("MONGODB_ATLAS_CLIENT_ID");
    world.unset_env("MONGODB_ATLAS_CLIENT_SECRET");
    world.set_env("MONGODB_ATLAS_ACCESS_TOKEN", &access_token);
    world.write(&simple_key(&world, "by-access-token"));
    world.apply();
    world.assert_converged();
    let secrets = private_keys_in_state(&world);
    let mut all: Vec<&str> = secrets.iter().map(String::as_str).collect();
    all.push(&access_token);
    world.assert_no_secrets_in_trace(&all);
}

#[test]
fn wrong_credentials_fail_clearly_and_conflicting_ones_warn_without_showing_secrets() {
    let mut world = World::new();
    world.enable_trace();
    let wrong_private = "00000000-1111-2222-3333-444444444444";
    world.set_env("MONGODB_ATLAS_PRIVATE_KEY", wrong_private);
    world.write(&simple_key(&world, "never"));
    let run = world.terraform(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 1, "{}", run.output());
    // The hint names the method in use and only its settings.
    assert!(
        squash(&run.output()).contains(
            "The provider used a programmatic API key (public_key and private_key, or MONGODB_ATLAS_PUBLIC_KEY and \
             MONGODB_ATLAS_PRIVATE_KEY)."
        ),
        "{}",
        run.output()
    );
    assert!(!squash(&run.output()).contains("client_secret"), "{}", run.output());
    assert!(!run.output().contains(wrong_private), "the wrong secret is not echoed");

    let wrong_secret = "mdb_sa_sk_definitely-not-the-secret";
    world.unset_env("MONGODB_ATLAS_PUBLIC_KEY");
    world.unset_env("MONGODB_ATLAS_PRIVATE_KEY");
    world.set_env("MONGODB_ATLAS_CLIENT_ID", &world.emulator.seed.client_id.clone());
    world.set_env("MONGODB_ATLAS_CLIENT_SECRET", wrong_secret);
    let run = world.terraform(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        !run.output().contains(wrong_secret),
        "the wrong secret is not echoed:\n{}",
        run.output()
    );
    assert!(
        squash(&run.output()).contains("Invalid credentials provided"),
        "{}",
        run.output()
    );
    assert!(
        squash(&run.output()).contains("The provider used a service account (client_id and client_secret"),
        "{}",
        run.output()
    );

    // Two methods at once follow the official precedence (the service account wins over the
    // key pair) with a warning naming the one used; the plan succeeds.
    world.set_env("MONGODB_ATLAS_PUBLIC_KEY", &world.emulator.seed.public_key.clone());
    world.set_env("MONGODB_ATLAS_PRIVATE_KEY", &world.emulator.seed.private_key.clone());
    let run = world.plan();
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        squash(&run.output()).contains("Warning: Several Atlas credentials are set")
            && squash(&run.output())
                .contains("A service account will be used: MONGODB_ATLAS_CLIENT_ID, MONGODB_ATLAS_CLIENT_SECRET."),
        "{}",
        run.output()
    );
    assert_eq!(world.mutations(), Vec::<String>::new());
    world.assert_no_secrets_in_trace(&[wrong_private, wrong_secret]);
}

/// The text with every run of whitespace (Terraform wraps diagnostics) made one space.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
