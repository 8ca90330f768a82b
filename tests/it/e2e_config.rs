//! End-to-end: provider blocks written for the official provider, through the real `terraform`.
//!
//! Every argument of the official provider is accepted (the AWS Secrets Manager ones with a
//! warning each), its environment variable aliases work, `provider_meta "mongodbatlas"` reaches
//! the User-Agent of the Atlas requests, and a provider configured from a key created in the
//! same run plans and applies.

use serde_json::Value as Json;

use crate::support::World;

/// The arguments the provider accepts but does not use, each warned about at plan time.
const UNUSED: [&str; 7] = [
    "assume_role",
    "secret_name",
    "region",
    "sts_endpoint",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
];

/// `main.tf` with `provider_block` as the provider's body and `body` after it.
fn write_config(world: &World, provider_block: &str, body: &str) {
    let config = format!(
        "terraform {{\n  required_providers {{\n    mongodbatlas = {{ source = \"mongodb/mongodbatlas\" }}\n  }}\n}}\n\n\
         provider \"mongodbatlas\" {{\n{provider_block}}}\n\n{body}"
    );
    std::fs::write(world.dir.path().join("main.tf"), config).expect("write main.tf");
}

fn api_key(name: &str, org: &str, description: &str, role: &str, provider: &str) -> String {
    format!(
        "resource \"mongodbatlas_api_key\" \"{name}\" {{\n{provider}  org_id      = \"{org}\"\n  description = \"{description}\"\n  role_names  = [\"{role}\"]\n}}\n"
    )
}

/// The diagnostics of a `-json` run, one JSON object each.
fn json_diagnostics(output: &str) -> Vec<Json> {
    output
        .lines()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .filter(|message| message["type"] == "diagnostic")
        .map(|message| message["diagnostic"].clone())
        .collect()
}

#[test]
fn official_provider_block_with_every_argument_and_the_environment_aliases_applies() {
    let mut world = World::new();
    let seed = world.emulator.seed.clone();
    // Only the official aliases: the key pair and the base URL from their other names.
    world.unset_env("MONGODB_ATLAS_PUBLIC_KEY");
    world.unset_env("MONGODB_ATLAS_PRIVATE_KEY");
    world.set_env("MONGODB_ATLAS_PUBLIC_API_KEY", &seed.public_key);
    world.set_env("MCLI_PRIVATE_API_KEY", &seed.private_key);
    world.set_env("MCLI_OPS_MANAGER_URL", &seed.base_url);
    let provider_block = "  is_mongodbgov_cloud   = false\n  realm_base_url        = \"https://realm.mongodb.com\"\n  \
         secret_name           = \"atlas-credentials\"\n  region                = \"us-east-1\"\n  \
         sts_endpoint          = \"https://sts.us-east-1.amazonaws.com/\"\n  aws_access_key_id     = \"AKIAEXAMPLE\"\n  \
         aws_secret_access_key = \"aws-secret-value\"\n  aws_session_token     = \"aws-session-value\"\n  \
         assume_role {\n    role_arn = \"arn:aws:iam::123456789012:role/atlas\"\n  }\n";
    write_config(
        &world,
        provider_block,
        &api_key("test", &world.org_id(), "official-block", "ORG_READ_ONLY", ""),
    );

    let run = world.terraform(&["plan", "-json", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    let diagnostics = json_diagnostics(&run.stdout);
    assert!(
        diagnostics.iter().all(|d| d["severity"] == "warning"),
        "only warnings: {diagnostics:#?}"
    );
    let mut warned: Vec<String> = diagnostics
        .iter()
        .filter(|d| d["summary"] == "Argument not used by this provider")
        .filter_map(|d| d["detail"].as_str()?.split_whitespace().next().map(str::to_owned))
        .collect();
    warned.sort();
    warned.dedup();
    let mut expected: Vec<String> = UNUSED.iter().map(|name| name.to_string()).collect();
    expected.sort();
    assert_eq!(warned, expected, "{diagnostics:#?}");
    assert!(!run.output().contains("Unsupported argument"));
    assert!(
        !run.output().contains("aws-secret-value"),
        "a sensitive argument is never shown"
    );

    let run = world.apply();
    assert!(
        run.output().contains("Argument not used by this provider"),
        "{}",
        run.output()
    );
    assert_eq!(world.key_ids_described("official-block").len(), 1);
    let requests = world.requests();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r["auth"] == "digest" || (r["auth"] == "none" && r["status"] == 401)),
        "the key pair from the aliases signed every request: {requests:#?}"
    );
}

#[test]
fn provider_meta_extends_the_user_agent_of_the_modules_atlas_requests() {
    let world = World::new();
    let body = format!(
        "terraform {{\n  provider_meta \"mongodbatlas\" {{\n    module_name      = \"x\"\n    module_version   = \"1.2.3\"\n    \
         user_agent_extra = {{ team = \"keys\" }}\n  }}\n}}\n\n{}\n\
         data \"mongodbatlas_api_keys\" \"all\" {{\n  org_id = \"{}\"\n}}\n",
        api_key("test", &world.org_id(), "with-meta", "ORG_READ_ONLY", ""),
        world.org_id()
    );
    world.write(&body);
    let run = world.plan();
    assert_eq!(run.code, 2, "{}", run.output());
    world.clear_requests();
    world.apply();
    let requests = world.requests();
    let agents: Vec<(String, String)> = requests
        .iter()
        .filter(|r| r["status"] != 401)
        .map(|r| {
            (
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap_or(""),
                    r["path"].as_str().unwrap_or("")
                ),
                r["user_agent"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        agents.iter().any(|(call, _)| call.starts_with("POST ")),
        "the create is logged: {agents:#?}"
    );
    for (call, agent) in &agents {
        assert!(
            agent.starts_with(&format!(
                "terraform-provider-mongodbatlas-rs/{} ",
                env!("CARGO_PKG_VERSION")
            )) && agent.contains(" Terraform/1."),
            "{call}: {agent}"
        );
        assert!(
            agent.ends_with(" ModuleName/x ModuleVersion/1.2.3 team/keys"),
            "{call}: {agent}"
        );
    }
}

#[test]
fn a_provider_configured_from_a_key_created_in_the_same_run_plans_and_applies() {
    let world = World::new();
    let org = world.org_id();
    let second = "  provider    = mongodbatlas.second\n";
    let body = format!(
        "{}\nprovider \"mongodbatlas\" {{\n  alias       = \"second\"\n  base_url    = \"{}\"\n  \
         public_key  = mongodbatlas_api_key.a.public_key\n  private_key = mongodbatlas_api_key.a.private_key\n}}\n\n{}\n\
         resource \"mongodbatlas_ai_model_api_key\" \"c\" {{\n{second}  project_id = \"{}\"\n  name       = \"by-key-a\"\n}}\n",
        api_key("a", &org, "same-run-a", "ORG_OWNER", ""),
        world.emulator.seed.base_url,
        api_key("b", &org, "same-run-b", "ORG_READ_ONLY", second),
        world.project_id(0),
    );
    world.write(&body);

    // The plan goes on with the second provider's keys not yet known: creates need no Atlas call.
    let run = world.plan();
    assert_eq!(run.code, 2, "{}", run.output());
    for address in [
        "mongodbatlas_api_key.a",
        "mongodbatlas_api_key.b",
        "mongodbatlas_ai_model_api_key.c",
    ] {
        assert!(
            run.stdout.contains(&format!("{address} will be created")),
            "{address}:\n{}",
            run.output()
        );
    }
    assert!(!run.output().contains("not yet known"), "{}", run.output());

    // One apply creates key a, then configures the alias with its keys and creates b and c.
    world.apply();
    assert_eq!(world.key_ids_described("same-run-").len(), 2);
    let public_key_a = world.resource_values("mongodbatlas_api_key.a")["public_key"]
        .as_str()
        .expect("public key of a")
        .to_owned();
    let ai_keys = world.atlas_state()["ai_model_api_keys"].clone();
    let created_by: Vec<&str> = ai_keys
        .as_array()
        .expect("ai keys")
        .iter()
        .filter(|key| key["name"] == "by-key-a")
        .filter_map(|key| key["created_by"].as_str())
        .collect();
    assert_eq!(created_by, [public_key_a.as_str()], "the alias signed with key a");
    world.assert_converged();

    // Replacing a makes the alias's keys unknown again: refreshing b must call Atlas, so the
    // plan fails there, naming the arguments.
    let run = world.terraform(&["plan", "-no-color", "-input=false", "-replace=mongodbatlas_api_key.a"]);
    assert_eq!(run.code, 1, "{}", run.output());
    let output = run.output().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(output.contains("Provider configuration not yet known"), "{output}");
    assert!(
        output.contains("provider arguments public_key and private_key depend on values known only after apply"),
        "{output}"
    );
}
