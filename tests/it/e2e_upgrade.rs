//! End-to-end: switching the provider binary under an existing state breaks and replaces
//! nothing. Each test creates keys in the emulator through the Atlas API, writes by hand the
//! `terraform.tfstate` the official provider (or an older build of ours) would have left for
//! them, with the configuration its users have, and runs the real `terraform` against it.
//!
//! The state shapes follow the reference notes on the official provider (v2.16.0):
//! `mongodbatlas_api_key` and `mongodbatlas_project_api_key` are SDKv2 resources (schema
//! version 0, an encoded `id`, every attribute written, `private` holding SDKv2's instance
//! metadata `{"schema_version":"0"}`); `mongodbatlas_ai_model_api_key` is a generated
//! plugin-framework resource (schema version 0, no `id`, no private data). Before v1.16.0 the
//! project key also had a top-level `project_id` and its `id` encoded it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{json, Value as Json};
use terraform_provider_mongodbatlas::atlas::{
    Client, Config, CreateAiModelApiKey, CreateApiKey, CreateProjectApiKey, Credentials, ExposeSecret, RetryPolicy,
    SecretString,
};

use crate::support::World;

/// The provider address in every state the official provider writes.
const PROVIDER: &str = "provider[\"registry.terraform.io/mongodb/mongodbatlas\"]";
/// What SDKv2 stores as private data for a resource without timeouts: base64 of
/// `{"schema_version":"0"}`.
const SDKV2_PRIVATE: &str = "eyJzY2hlbWFfdmVyc2lvbiI6IjAifQ==";

/// The official provider's `conversion.EncodeStateID`: keys sorted, `base64(key):base64(value)`
/// pairs joined by `-`.
fn encoded_id(pairs: &[(&str, &str)]) -> String {
    let mut pairs = pairs.to_vec();
    pairs.sort();
    pairs
        .iter()
        .map(|(key, value)| format!("{}:{}", STANDARD.encode(key), STANDARD.encode(value)))
        .collect::<Vec<_>>()
        .join("-")
}

/// A key as the Atlas API answered its creation: what the official provider put in state.
pub(crate) struct Created {
    pub(crate) id: String,
    pub(crate) public_key: String,
    pub(crate) private_key: String,
}

/// An AI model key as the create answer gave it.
struct CreatedAi {
    json: Json,
}

/// Talks to the emulator's Atlas API as the official provider did when it created the keys.
pub(crate) struct Atlas {
    client: Client,
    runtime: tokio::runtime::Runtime,
}

impl Atlas {
    pub(crate) fn new(world: &World) -> Atlas {
        let seed = &world.emulator.seed;
        let credentials = Credentials::Digest {
            public_key: seed.public_key.clone(),
            private_key: SecretString::from(seed.private_key.clone()),
        };
        let mut config = Config::new(seed.base_url.clone(), credentials, "official-provider-stand-in");
        config.retry = RetryPolicy::none();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Atlas {
            client: Client::new(config).expect("client"),
            runtime,
        }
    }

    pub(crate) fn org_key(&self, org_id: &str, desc: &str, roles: &[&str]) -> Created {
        let request = CreateApiKey {
            desc: desc.to_string(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        };
        let key = self
            .runtime
            .block_on(self.client.create_api_key(org_id, &request))
            .expect("create org key");
        created(key)
    }

    /// A key created through the first project and assigned to the others, as the official
    /// provider's create does.
    pub(crate) fn project_key(&self, desc: &str, assignments: &[(&str, &[&str])]) -> Created {
        let (first_project, first_roles) = assignments[0];
        let request = CreateProjectApiKey {
            desc: desc.to_string(),
            roles: first_roles.iter().map(|r| r.to_string()).collect(),
        };
        let key = self
            .runtime
            .block_on(self.client.create_project_api_key(first_project, &request))
            .expect("create project key");
        for (project, roles) in &assignments[1..] {
            let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
            self.runtime
                .block_on(self.client.add_project_api_key(project, &key.id, &roles))
                .expect("assign project key");
        }
        created(key)
    }

    fn ai_key(&self, project_id: &str, name: &str) -> CreatedAi {
        let request = CreateAiModelApiKey {
            name: name.to_string(),
            cloud: "ANY".to_string(),
            geography: "ANY".to_string(),
        };
        let key = self
            .runtime
            .block_on(self.client.create_ai_model_api_key(project_id, &request))
            .expect("create AI model key");
        CreatedAi {
            json: json!({
                "api_key_id": key.api_key_id,
                "cloud": key.cloud,
                "created_at": key.created_at,
                "created_by": key.created_by,
                "endpoint": key.endpoint,
                "geography": key.geography,
                "last_used_at": key.last_used_at,
                "masked_secret": key.masked_secret,
                "name": key.name,
                "project_id": project_id,
                "secret": key.secret.as_ref().map(|s| s.expose_secret().to_string()),
                "status": key.status,
            }),
        }
    }
}

fn created(key: terraform_provider_mongodbatlas::atlas::ApiKey) -> Created {
    Created {
        id: key.id,
        public_key: key.public_key.expect("public key"),
        private_key: key
            .private_key
            .map(|secret| secret.expose_secret().to_string())
            .expect("private key in the create answer"),
    }
}

/// One resource instance of a v4 state file.
fn resource(kind: &str, name: &str, attributes: Json, sensitive: &str, private: Option<&str>) -> Json {
    let mut instance = json!({
        "schema_version": 0,
        "attributes": attributes,
        "sensitive_attributes": [[{"type": "get_attr", "value": sensitive}]],
        "dependencies": [],
    });
    if let Some(private) = private {
        instance["private"] = json!(private);
    }
    json!({
        "mode": "managed",
        "type": kind,
        "name": name,
        "provider": PROVIDER,
        "instances": [instance],
    })
}

/// Writes `terraform.tfstate` (format 4) holding `resources`.
pub(crate) fn write_state(world: &World, resources: Vec<Json>) {
    let state = json!({
        "version": 4,
        "terraform_version": "1.11.0",
        "serial": 7,
        "lineage": "3f1c9a52-8d0e-4b7a-9c61-2a5e0f4d7b18",
        "outputs": {},
        "resources": resources,
        "check_results": null,
    });
    std::fs::write(
        world.dir.path().join("terraform.tfstate"),
        serde_json::to_string_pretty(&state).unwrap(),
    )
    .expect("write state");
}

/// The official provider's `mongodbatlas_api_key` state.
pub(crate) fn official_api_key(org_id: &str, key: &Created, description: &str, roles: &[&str]) -> Json {
    resource(
        "mongodbatlas_api_key",
        "test",
        json!({
            "api_key_id": key.id,
            "description": description,
            "id": encoded_id(&[("api_key_id", &key.id), ("org_id", org_id)]),
            "org_id": org_id,
            "private_key": key.private_key,
            "public_key": key.public_key,
            "role_names": roles,
        }),
        "private_key",
        Some(SDKV2_PRIVATE),
    )
}

/// The project blocks of a state, in the order given, each block's roles sorted as
/// `terraform show -json` lists a set of strings.
pub(crate) fn blocks_json(assignments: &[(&str, &[&str])]) -> Json {
    Json::Array(
        assignments
            .iter()
            .map(|(project, roles)| {
                let mut roles = roles.to_vec();
                roles.sort();
                json!({"project_id": project, "role_names": roles})
            })
            .collect(),
    )
}

/// The official provider's `mongodbatlas_project_api_key` state since v1.16.0: blocks, no
/// top-level `project_id`, `id` encoding only the key id.
pub(crate) fn official_project_key(
    name: &str,
    key: &Created,
    description: &str,
    state_blocks: &[(&str, &[&str])],
) -> Json {
    resource(
        "mongodbatlas_project_api_key",
        name,
        json!({
            "api_key_id": key.id,
            "description": description,
            "id": encoded_id(&[("api_key_id", &key.id)]),
            "private_key": key.private_key,
            "project_assignment": blocks_json(state_blocks),
            "public_key": key.public_key,
        }),
        "private_key",
        Some(SDKV2_PRIVATE),
    )
}

/// The official provider's `mongodbatlas_project_api_key` state of v1.14 and v1.15: a
/// top-level `project_id` (deprecated, optional and computed) that the `id` encodes too, and
/// the unset `role_names` of v1.11 as an empty list (plus an attribute no schema has).
pub(crate) fn older_official_project_key(
    name: &str,
    key: &Created,
    description: &str,
    project_id: &str,
    state_blocks: &[(&str, &[&str])],
) -> Json {
    resource(
        "mongodbatlas_project_api_key",
        name,
        json!({
            "api_key_id": key.id,
            "description": description,
            "id": encoded_id(&[("api_key_id", &key.id), ("project_id", project_id)]),
            "private_key": key.private_key,
            "project_assignment": blocks_json(state_blocks),
            "project_id": project_id,
            "public_key": key.public_key,
            "role_names": [],
            "attribute_of_no_schema": {"nested": [1, 2, {"deep": null}]},
        }),
        "private_key",
        Some(SDKV2_PRIVATE),
    )
}

/// The official provider's `mongodbatlas_ai_model_api_key` state (plugin framework: no `id`,
/// no private data).
fn official_ai_key(key: &CreatedAi) -> Json {
    resource(
        "mongodbatlas_ai_model_api_key",
        "this",
        key.json.clone(),
        "secret",
        None,
    )
}

pub(crate) fn hcl_blocks(assignments: &[(&str, &[&str])]) -> String {
    assignments
        .iter()
        .map(|(project, roles)| {
            format!("  project_assignment {{\n    project_id = \"{project}\"\n    role_names = {roles:?}\n  }}\n")
        })
        .collect()
}

/// Runs `plan -detailed-exitcode` with `extra` arguments and asserts its exit code: 0 for no
/// changes, 2 for changes.
fn assert_plan(world: &World, extra: &[&str], code: i32, what: &str) -> String {
    let mut args = vec!["plan", "-detailed-exitcode", "-no-color", "-input=false"];
    args.extend_from_slice(extra);
    let run = world.terraform(&args);
    assert_eq!(run.code, code, "{what}:\n{}", run.output());
    run.output()
}

#[test]
fn official_state_of_every_type_plans_no_change_and_applies_without_atlas_writes() {
    let world = World::new();
    let atlas = Atlas::new(&world);
    let org = world.org_id();
    let (p0, p1, p2) = (world.project_id(0), world.project_id(1), world.project_id(2));
    let owner: &[&str] = &["GROUP_OWNER"];
    let read_only: &[&str] = &["GROUP_READ_ONLY"];

    let org_key = atlas.org_key(&org, "official org key", &["ORG_MEMBER", "ORG_BILLING_ADMIN"]);
    let blocks = [(p0.as_str(), owner), (p1.as_str(), read_only)];
    let project_key = atlas.project_key("official project key", &blocks);
    let older_blocks = [(p2.as_str(), read_only)];
    let older_key = atlas.project_key("older official project key", &older_blocks);
    let ai_key = atlas.ai_key(&p0, "official ai key");

    world.write(&format!(
        r#"
resource "mongodbatlas_api_key" "test" {{
  org_id      = "{org}"
  description = "official org key"
  role_names  = ["ORG_MEMBER", "ORG_BILLING_ADMIN"]
}}

resource "mongodbatlas_project_api_key" "current" {{
  description = "official project key"
{current_blocks}}}

resource "mongodbatlas_project_api_key" "older" {{
  description = "older official project key"
  project_id  = "{p2}"
{older_blocks}}}

resource "mongodbatlas_ai_model_api_key" "this" {{
  project_id = "{p0}"
  name       = "official ai key"
  cloud      = "ANY"
  geography  = "ANY"
}}

# Configurations may use `id`, which both SDKv2 types of the official provider have.
locals {{
  key_ids = [mongodbatlas_api_key.test.id, mongodbatlas_project_api_key.current.id]
}}
"#,
        current_blocks = hcl_blocks(&blocks),
        older_blocks = hcl_blocks(&older_blocks),
    ));
    write_state(
        &world,
        vec![
            official_api_key(&org, &org_key, "official org key", &["ORG_BILLING_ADMIN", "ORG_MEMBER"]),
            official_project_key("current", &project_key, "official project key", &blocks),
            older_official_project_key("older", &older_key, "older official project key", &p2, &older_blocks),
            official_ai_key(&ai_key),
        ],
    );
    world.clear_requests();

    assert_plan(&world, &[], 0, "the official state plans no change");
    assert_plan(&world, &["-refresh=false"], 0, "also without a refresh");
    world.apply();
    assert_eq!(world.mutations(), Vec::<String>::new(), "no Atlas writes");

    let api_key = world.resource_values("mongodbatlas_api_key.test");
    assert_eq!(api_key["id"], json!(format!("{org}-{}", org_key.id)));
    assert_eq!(api_key["private_key"], json!(org_key.private_key), "the secret is kept");

    let current = world.resource_values("mongodbatlas_project_api_key.current");
    assert_eq!(current["id"], json!(format!("{org}-{}", project_key.id)));
    assert_eq!(current["org_id"], json!(org));
    assert_eq!(current["project_id"], json!(p0), "the first block's project");
    assert_eq!(current["project_assignment"], blocks_json(&blocks));
    assert_eq!(current["private_key"], json!(project_key.private_key));

    let older = world.resource_values("mongodbatlas_project_api_key.older");
    assert_eq!(older["id"], json!(format!("{org}-{}", older_key.id)));
    assert_eq!(older["project_id"], json!(p2));
    assert_eq!(older["role_names"], Json::Null);

    let ai = world.resource_values("mongodbatlas_ai_model_api_key.this");
    assert_eq!(ai["secret"], ai_key.json["secret"]);
    assert_eq!(ai["api_key_id"], ai_key.json["api_key_id"]);

    world.assert_converged();
    assert_eq!(world.mutations(), Vec::<String>::new(), "still no Atlas writes");
}

#[test]
fn official_project_key_blocks_in_another_order_update_in_place_without_atlas_writes() {
    let world = World::new();
    let atlas = Atlas::new(&world);
    let org = world.org_id();
    let (p0, p1) = (world.project_id(0), world.project_id(1));
    let owner: &[&str] = &["GROUP_OWNER"];
    let two_roles: &[&str] = &["GROUP_READ_ONLY", "GROUP_OWNER"];
    let config_blocks = [(p0.as_str(), owner), (p1.as_str(), two_roles)];
    // SDKv2 keeps a set of blocks in its own order, here the reverse of the configuration's.
    let state_blocks = [(p1.as_str(), two_roles), (p0.as_str(), owner)];
    let key = atlas.project_key("reordered", &config_blocks);

    world.write(&format!(
        "resource \"mongodbatlas_project_api_key\" \"k\" {{\n  description = \"reordered\"\n{}}}\n",
        hcl_blocks(&config_blocks)
    ));
    write_state(
        &world,
        vec![official_project_key("k", &key, "reordered", &state_blocks)],
    );
    world.clear_requests();

    // Without a refresh the plan starts from the upgraded state, which knows neither the
    // organization nor our id yet: the in-place update must learn them, not fail.
    let plan = assert_plan(&world, &["-refresh=false"], 2, "the block order differs");
    assert!(plan.contains("will be updated in-place"), "{plan}");
    let run = world.terraform(&["apply", "-refresh=false", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "apply failed:\n{}", run.output());
    assert!(run.stdout.contains("0 added, 1 changed, 0 destroyed"), "{}", run.stdout);
    assert_eq!(
        world.mutations(),
        Vec::<String>::new(),
        "reordering blocks writes nothing"
    );

    let state = world.resource_values("mongodbatlas_project_api_key.k");
    assert_eq!(
        state["project_assignment"],
        blocks_json(&config_blocks),
        "configuration order"
    );
    assert_eq!(state["project_id"], json!(p0));
    assert_eq!(state["org_id"], json!(org));
    assert_eq!(state["id"], json!(format!("{org}-{}", key.id)));
    world.assert_converged();
    assert_eq!(world.mutations(), Vec::<String>::new());
}

#[test]
fn our_own_state_from_before_the_id_attribute_keeps_working() {
    let world = World::new();
    let atlas = Atlas::new(&world);
    let org = world.org_id();
    let p0 = world.project_id(0);
    let org_key = atlas.org_key(&org, "ours org key", &["ORG_READ_ONLY"]);
    let project_key = atlas.project_key("ours project key", &[(p0.as_str(), &["GROUP_OWNER"])]);

    world.write(&format!(
        r#"
resource "mongodbatlas_api_key" "test" {{
  org_id      = "{org}"
  description = "ours org key"
  role_names  = ["ORG_READ_ONLY"]
}}

resource "mongodbatlas_project_api_key" "one" {{
  project_id  = "{p0}"
  description = "ours project key"
  role_names  = ["GROUP_OWNER"]
}}
"#
    ));
    // What this provider wrote before either type had `id`: no `id`, no private data.
    write_state(
        &world,
        vec![
            resource(
                "mongodbatlas_api_key",
                "test",
                json!({
                    "api_key_id": org_key.id,
                    "description": "ours org key",
                    "org_id": org,
                    "private_key": org_key.private_key,
                    "public_key": org_key.public_key,
                    "role_names": ["ORG_READ_ONLY"],
                }),
                "private_key",
                None,
            ),
            resource(
                "mongodbatlas_project_api_key",
                "one",
                json!({
                    "api_key_id": project_key.id,
                    "description": "ours project key",
                    "org_id": org,
                    "private_key": project_key.private_key,
                    "project_assignment": [],
                    "project_id": p0,
                    "public_key": project_key.public_key,
                    "role_names": ["GROUP_OWNER"],
                }),
                "private_key",
                None,
            ),
        ],
    );
    world.clear_requests();

    assert_plan(&world, &[], 0, "our older state plans no change");
    assert_plan(&world, &["-refresh=false"], 0, "also without a refresh");
    let run = world.terraform(&["apply", "-refresh=false", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "apply failed:\n{}", run.output());
    assert_eq!(world.mutations(), Vec::<String>::new());
    // The upgrade alone, without a refresh, computed our ids.
    let api_key = world.resource_values("mongodbatlas_api_key.test");
    assert_eq!(api_key["id"], json!(format!("{org}-{}", org_key.id)));
    let one = world.resource_values("mongodbatlas_project_api_key.one");
    assert_eq!(one["id"], json!(format!("{org}-{}", project_key.id)));
    world.assert_converged();
}
