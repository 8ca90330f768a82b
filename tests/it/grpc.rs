//! The gRPC `Provider` service driven in-process, the way Terraform calls it: msgpack in,
//! diagnostics with attribute paths and msgpack out. Atlas is the in-process emulator.

use std::collections::BTreeMap;

use pb::provider_server::Provider as _;
use terraform_provider_mongodbatlas::framework::Provider as _;
use terraform_provider_mongodbatlas::provider::AtlasProvider;
use terraform_provider_mongodbatlas::tfplugin::proto::tfplugin6 as pb;
use terraform_provider_mongodbatlas::tfplugin::server::ProviderService;
use terraform_provider_mongodbatlas::value::{msgpack, Type, Value};
use tonic::Request;

const API_KEY: &str = "mongodbatlas_api_key";

fn service(env: Vec<(&str, &str)>) -> ProviderService<AtlasProvider> {
    let env = env.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    ProviderService::new(AtlasProvider::with_env(env))
}

fn resource_type(name: &str) -> Type {
    let provider = AtlasProvider::new();
    let resource = provider
        .resources()
        .into_iter()
        .find(|r| format!("mongodbatlas_{}", r.name()) == name)
        .unwrap();
    resource.value_type().clone()
}

fn provider_type() -> Type {
    AtlasProvider::new().schema().value_type()
}

/// An object of type `ty` with `pairs` set and every other attribute null.
pub(crate) fn object(pairs: &[(&str, Value)], ty: &Type) -> Value {
    let Type::Object(fields) = ty else {
        panic!("object type")
    };
    let mut values: BTreeMap<String, Value> = fields.keys().map(|k| (k.clone(), Value::Null)).collect();
    for (name, value) in pairs {
        values.insert(name.to_string(), value.clone());
    }
    Value::Object(values)
}

/// `value` as a msgpack `DynamicValue`.
pub(crate) fn dynamic(value: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(value, ty).unwrap(),
        json: Vec::new(),
    })
}

fn decode(dynamic: &Option<pb::DynamicValue>, ty: &Type) -> Value {
    msgpack::decode(&dynamic.as_ref().unwrap().msgpack, ty).unwrap()
}

/// Plans the create of an organization key described `description`; asserts the plan has no
/// diagnostics and returns the configuration and the answer.
async fn plan_key_create(
    service: &ProviderService<AtlasProvider>,
    org_id: &str,
    description: &str,
) -> (Value, pb::plan_resource_change::Response) {
    let ty = resource_type(API_KEY);
    let config = object(
        &[
            ("org_id", Value::string(org_id)),
            ("description", Value::string(description)),
            ("role_names", roles(&["ORG_MEMBER"])),
        ],
        &ty,
    );
    let plan = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: API_KEY.into(),
            prior_state: dynamic(&Value::Null, &ty),
            proposed_new_state: dynamic(&config, &ty),
            config: dynamic(&config, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    (config, plan)
}

fn roles(names: &[&str]) -> Value {
    Value::Set(names.iter().map(|n| Value::string(*n)).collect())
}

fn path_names(path: &Option<pb::AttributePath>) -> Vec<String> {
    use pb::attribute_path::step::Selector;
    path.as_ref()
        .map(|p| {
            p.steps
                .iter()
                .map(|s| match &s.selector {
                    Some(Selector::AttributeName(n)) => n.clone(),
                    Some(Selector::ElementKeyInt(i)) => i.to_string(),
                    Some(Selector::ElementKeyString(k)) => k.clone(),
                    None => "?".into(),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn schema_advertises_caching_and_sensitive_private_key() {
    let service = service(vec![]);
    let response = service
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let capabilities = response.server_capabilities.unwrap();
    assert!(capabilities.get_provider_schema_optional);
    assert!(capabilities.plan_destroy);
    let provider = response.provider.unwrap().block.unwrap();
    let private_key = provider.attributes.iter().find(|a| a.name == "private_key").unwrap();
    assert!(private_key.sensitive);
    let api_key = response.resource_schemas[API_KEY].block.clone().unwrap();
    let private_key = api_key.attributes.iter().find(|a| a.name == "private_key").unwrap();
    assert!(private_key.sensitive && private_key.computed);
}

#[tokio::test]
async fn validation_points_at_the_attribute_and_skips_unknowns() {
    let service = service(vec![]);
    let ty = resource_type(API_KEY);
    let check = |config: Value| {
        let request = pb::validate_resource_config::Request {
            type_name: API_KEY.into(),
            config: dynamic(&config, &ty),
            client_capabilities: None,
        };
        let service = &service;
        async move {
            service
                .validate_resource_config(Request::new(request))
                .await
                .unwrap()
                .into_inner()
                .diagnostics
        }
    };
    let bad = object(
        &[
            ("org_id", Value::string("5d09d6a59ccf6445652a444a")),
            ("description", Value::string("")),
            ("role_names", roles(&["ORG_OWNER", "GROUP_OWNER"])),
        ],
        &ty,
    );
    let diagnostics = check(bad).await;
    let paths: Vec<Vec<String>> = diagnostics.iter().map(|d| path_names(&d.attribute)).collect();
    assert_eq!(
        paths,
        vec![vec!["description".to_string()], vec!["role_names".to_string()]],
        "{diagnostics:?}"
    );
    let unknown = object(
        &[
            ("org_id", Value::Unknown),
            ("description", Value::Unknown),
            ("role_names", Value::Unknown),
        ],
        &ty,
    );
    assert!(check(unknown).await.is_empty());
}

#[tokio::test]
async fn configure_without_credentials_names_both_ways() {
    let service = service(vec![]);
    let ty = provider_type();
    let response = service
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: dynamic(&object(&[], &ty), &ty),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    let detail = &response.diagnostics[0].detail;
    assert!(
        detail.contains("public_key") && detail.contains("MONGODB_ATLAS_PUBLIC_KEY"),
        "{detail}"
    );
    assert!(detail.contains("MONGODB_ATLAS_PRIVATE_KEY"), "{detail}");
}

#[tokio::test]
async fn lifecycle_over_rpc_against_the_emulator() {
    let emulator = atlas_emulator::start(atlas_emulator::Options::default()).await.unwrap();
    let seed = emulator.seed.clone();
    let service = service(vec![
        ("MONGODB_ATLAS_PUBLIC_KEY", &seed.public_key),
        ("MONGODB_ATLAS_PRIVATE_KEY", &seed.private_key),
    ]);
    let provider_ty = provider_type();
    let provider_config = object(&[("base_url", Value::string(&seed.base_url))], &provider_ty);
    let configured = service
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: dynamic(&provider_config, &provider_ty),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(configured.diagnostics.is_empty(), "{:?}", configured.diagnostics);

    let ty = resource_type(API_KEY);
    let (config, plan) = plan_key_create(&service, &seed.org_id, "over rpc").await;
    let planned = decode(&plan.planned_state, &ty);
    assert_eq!(planned.get("api_key_id"), &Value::Unknown);
    assert_eq!(planned.get("private_key"), &Value::Unknown);

    let applied = service
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: API_KEY.into(),
            prior_state: dynamic(&Value::Null, &ty),
            planned_state: plan.planned_state.clone(),
            config: dynamic(&config, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    let state = decode(&applied.new_state, &ty);
    assert!(state.is_wholly_known());
    let key_id = state.get("api_key_id").as_str().unwrap().to_string();
    let private_key = state.get("private_key").as_str().unwrap().to_string();
    assert_eq!(private_key.len(), 36);

    // Read keeps the private key Atlas no longer shows.
    let read = service
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: API_KEY.into(),
            current_state: applied.new_state.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decode(&read.new_state, &ty), state);

    // Import gives the identifying attributes; Read fills in the rest, without the private key.
    let imported = service
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: API_KEY.into(),
            id: format!("{}-{}", seed.org_id, key_id),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imported.imported_resources.len(), 1, "{:?}", imported.diagnostics);
    let stub = imported.imported_resources[0].state.clone();
    let read = service
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: API_KEY.into(),
            current_state: stub,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let refreshed = decode(&read.new_state, &ty);
    assert_eq!(refreshed.get("description"), &Value::string("over rpc"));
    assert_eq!(refreshed.get("private_key"), &Value::Null);

    // StopProvider cancels in-flight work but the server keeps serving.
    service
        .stop_provider(Request::new(pb::stop_provider::Request {}))
        .await
        .unwrap();

    let destroyed = service
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: API_KEY.into(),
            prior_state: applied.new_state.clone(),
            planned_state: dynamic(&Value::Null, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(destroyed.diagnostics.is_empty(), "{:?}", destroyed.diagnostics);
    assert_eq!(decode(&destroyed.new_state, &ty), Value::Null);

    // Gone now: Read returns null so Terraform plans a create.
    let read = service
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: API_KEY.into(),
            current_state: applied.new_state,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decode(&read.new_state, &ty), Value::Null);
}

#[tokio::test]
async fn upgrade_resource_state_reads_json_and_ignores_removed_attributes() {
    let service = service(vec![]);
    let ty = resource_type(API_KEY);
    let raw = br#"{"org_id":"5d09d6a59ccf6445652a444a","description":"d","role_names":["ORG_OWNER"],"api_key_id":"6576974933969669aaaaaaaa","public_key":"abcdefgh","private_key":null,"id":"legacy"}"#;
    let response = service
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name: API_KEY.into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: raw.to_vec(),
                flatmap: Default::default(),
            }),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
    let upgraded = decode(&response.upgraded_state, &ty);
    assert_eq!(upgraded.get("description"), &Value::string("d"));
    assert_eq!(upgraded.get("private_key"), &Value::Null);
}

/// A MoveResourceState request as Terraform sends it, with the source state's JSON.
fn move_request(
    provider: &str,
    source_type: &str,
    version: i64,
    json: &[u8],
    target: &str,
) -> pb::move_resource_state::Request {
    pb::move_resource_state::Request {
        source_provider_address: provider.into(),
        source_type_name: source_type.into(),
        source_schema_version: version,
        source_state: Some(pb::RawState {
            json: json.to_vec(),
            flatmap: Default::default(),
        }),
        target_type_name: target.into(),
        source_private: br#"{"schema_version":"0"}"#.to_vec(),
    }
}

const ATLAS: &str = "registry.terraform.io/mongodb/mongodbatlas";

#[tokio::test]
async fn move_resource_state_is_advertised_and_works_without_configure() {
    let service = service(vec![]);
    let metadata = service
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    assert!(metadata.server_capabilities.unwrap().move_resource_state);

    // The official provider's project key (encoded id, blocks, no org_id), never configured.
    let official = br#"{"api_key_id":"6576974933969669aaaaaaaa","description":"d","id":"YXBpX2tleV9pZA==:NjU3Njk3NDkzMzk2OTY2OWFhYWFhYWFh","private_key":"secret","public_key":"abcdefgh","project_assignment":[{"project_id":"5d09d6a59ccf6445652a4441","role_names":["GROUP_OWNER","ORG_BILLING_ADMIN"]}]}"#;
    let response = service
        .move_resource_state(Request::new(move_request(
            ATLAS,
            "mongodbatlas_project_api_key",
            0,
            official,
            API_KEY,
        )))
        .await
        .unwrap()
        .into_inner();
    assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
    let moved = decode(&response.target_state, &resource_type(API_KEY));
    assert_eq!(moved.get("private_key"), &Value::string("secret"));
    assert_eq!(moved.get("api_key_id"), &Value::string("6576974933969669aaaaaaaa"));
    assert_eq!(moved.get("org_id"), &Value::string(""), "left for the read");
    assert_eq!(moved.get("role_names"), &roles(&["ORG_BILLING_ADMIN"]));
    assert_eq!(
        response.target_private,
        br#"{"moved_from_project_ids":["5d09d6a59ccf6445652a4441"]}"#.to_vec()
    );

    let org_key = br#"{"api_key_id":"6576974933969669aaaaaaaa","org_id":"5d09d6a59ccf6445652a444a","description":"d","role_names":["ORG_MEMBER"],"private_key":"secret","public_key":"abcdefgh"}"#;
    let response = service
        .move_resource_state(Request::new(move_request(
            ATLAS,
            API_KEY,
            0,
            org_key,
            "mongodbatlas_project_api_key",
        )))
        .await
        .unwrap()
        .into_inner();
    assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
    let moved = decode(&response.target_state, &resource_type("mongodbatlas_project_api_key"));
    assert_eq!(moved.get("private_key"), &Value::string("secret"));
    assert_eq!(
        moved.get("id"),
        &Value::string("5d09d6a59ccf6445652a444a-6576974933969669aaaaaaaa")
    );
    assert!(response.target_private.is_empty());
}

#[tokio::test]
async fn move_resource_state_refuses_other_sources_with_diagnostics() {
    let service = service(vec![]);
    let org_key = br#"{"api_key_id":"6576974933969669aaaaaaaa","org_id":"5d09d6a59ccf6445652a444a","description":"d","role_names":["ORG_MEMBER"]}"#;
    let cases: Vec<(pb::move_resource_state::Request, &str)> = vec![
        (
            move_request(
                "registry.terraform.io/acme/mongodbatlas",
                API_KEY,
                0,
                org_key,
                "mongodbatlas_project_api_key",
            ),
            "Unsupported move between resource types",
        ),
        (
            move_request(ATLAS, "mongodbatlas_access_list_api_key", 0, b"{}", API_KEY),
            "Unsupported move between resource types",
        ),
        (
            move_request(ATLAS, API_KEY, 0, org_key, "mongodbatlas_ai_model_api_key"),
            "Unsupported move between resource types",
        ),
        (
            move_request(ATLAS, API_KEY, 7, org_key, "mongodbatlas_project_api_key"),
            "State from a newer provider",
        ),
        (
            move_request(ATLAS, API_KEY, 0, b"{not json", "mongodbatlas_project_api_key"),
            "Could not read the stored state",
        ),
        (
            move_request(ATLAS, API_KEY, 0, b"null", "mongodbatlas_project_api_key"),
            "Could not move the state",
        ),
        (
            move_request(
                ATLAS,
                API_KEY,
                0,
                b"{\"org_id\":\"5d09d6a59ccf6445652a444a\"}",
                "mongodbatlas_project_api_key",
            ),
            "Could not upgrade the stored state",
        ),
    ];
    for (request, summary) in cases {
        let what = format!("{} -> {}", request.source_type_name, request.target_type_name);
        let response = service
            .move_resource_state(Request::new(request))
            .await
            .unwrap()
            .into_inner();
        assert!(response.target_state.is_none(), "{what}");
        assert_eq!(response.diagnostics.len(), 1, "{what}: {:?}", response.diagnostics);
        let diagnostic = &response.diagnostics[0];
        assert_eq!(diagnostic.severity, pb::diagnostic::Severity::Error as i32, "{what}");
        assert_eq!(diagnostic.summary, summary, "{what}: {}", diagnostic.detail);
        if summary.starts_with("Unsupported") {
            assert!(
                diagnostic.detail.contains("from mongodbatlas_project_api_key (written by registry.terraform.io/mongodb/mongodbatlas) to mongodbatlas_api_key"),
                "{what}: {}",
                diagnostic.detail
            );
        }
    }
}

#[tokio::test]
async fn stop_provider_cancels_calls_in_flight_and_keeps_serving() {
    let options = atlas_emulator::Options {
        faults: atlas_emulator::FaultPlan {
            latency_ms: 5_000,
            ..Default::default()
        },
        ..Default::default()
    };
    let emulator = atlas_emulator::start(options).await.unwrap();
    let seed = emulator.seed.clone();
    let service = std::sync::Arc::new(service(vec![
        ("MONGODB_ATLAS_PUBLIC_KEY", &seed.public_key),
        ("MONGODB_ATLAS_PRIVATE_KEY", &seed.private_key),
    ]));
    let provider_ty = provider_type();
    let provider_config = object(&[("base_url", Value::string(&seed.base_url))], &provider_ty);
    service
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: dynamic(&provider_config, &provider_ty),
            client_capabilities: None,
        }))
        .await
        .unwrap();
    let ty = resource_type(API_KEY);
    let prior = object(
        &[
            ("org_id", Value::string(&seed.org_id)),
            ("description", Value::string("d")),
            ("role_names", roles(&["ORG_MEMBER"])),
            ("api_key_id", Value::string("aaaaaaaaaaaaaaaaaaaaaaaa")),
        ],
        &ty,
    );
    let reader = std::sync::Arc::clone(&service);
    let current_state = dynamic(&prior, &ty);
    let started = std::time::Instant::now();
    let read = tokio::spawn(async move {
        reader
            .read_resource(Request::new(pb::read_resource::Request {
                type_name: API_KEY.into(),
                current_state,
                ..Default::default()
            }))
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    service
        .stop_provider(Request::new(pb::stop_provider::Request {}))
        .await
        .unwrap();
    let response = read.await.unwrap().unwrap().into_inner();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "cancelled promptly: {:?}",
        started.elapsed()
    );
    assert!(
        response.diagnostics[0]
            .detail
            .contains("Terraform stopped the provider"),
        "{:?}",
        response.diagnostics
    );
    assert_eq!(decode(&response.new_state, &ty), prior, "the prior state is kept");
    // The server still serves after StopProvider.
    let schema = service
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await;
    assert!(schema.is_ok());
}

#[tokio::test]
async fn schema_advertises_the_official_provider_meta_and_arguments() {
    let response = service(vec![])
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let meta = response.provider_meta.expect("provider_meta schema").block.unwrap();
    let types: Vec<(String, String, bool)> = meta
        .attributes
        .iter()
        .map(|a| (a.name.clone(), String::from_utf8(a.r#type.clone()).unwrap(), a.optional))
        .collect();
    assert_eq!(
        types,
        [
            ("module_name".into(), "\"string\"".into(), true),
            ("module_version".into(), "\"string\"".into(), true),
            ("user_agent_extra".into(), "[\"map\",\"string\"]".into(), true),
        ]
    );
    let provider = response.provider.unwrap().block.unwrap();
    let assume_role = provider
        .block_types
        .iter()
        .find(|b| b.type_name == "assume_role")
        .unwrap();
    assert_eq!(assume_role.max_items, 1);
    assert_eq!(assume_role.nesting, pb::schema::nested_block::NestingMode::List as i32);
    let gov = provider
        .attributes
        .iter()
        .find(|a| a.name == "is_mongodbgov_cloud")
        .unwrap();
    assert_eq!(gov.r#type, b"\"bool\"");
}

fn data_source_type(name: &str) -> Type {
    let provider = AtlasProvider::new();
    let data_source = provider
        .data_sources()
        .into_iter()
        .find(|d| format!("mongodbatlas_{}", d.name()) == name)
        .unwrap();
    data_source.value_type().clone()
}

async fn configure(service: &ProviderService<AtlasProvider>, config: &Value) -> Vec<pb::Diagnostic> {
    let ty = provider_type();
    service
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: dynamic(config, &ty),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner()
        .diagnostics
}

#[tokio::test]
async fn configuration_not_yet_known_plans_creates_and_fails_only_calls_that_need_atlas() {
    let emulator = atlas_emulator::start(atlas_emulator::Options::default()).await.unwrap();
    let seed = emulator.seed.clone();
    let service = service(vec![
        ("MONGODB_ATLAS_PUBLIC_KEY", &seed.public_key),
        ("MONGODB_ATLAS_PRIVATE_KEY", &seed.private_key),
    ]);
    let provider_ty = provider_type();
    let unknown = object(
        &[
            ("base_url", Value::string(&seed.base_url)),
            ("public_key", Value::Unknown),
            ("private_key", Value::Unknown),
            ("assume_role", Value::List(Vec::new())),
        ],
        &provider_ty,
    );
    assert_eq!(configure(&service, &unknown).await, [], "configure succeeds");

    let ty = resource_type(API_KEY);
    let (config, plan) = plan_key_create(&service, &seed.org_id, "later").await;
    assert_eq!(decode(&plan.planned_state, &ty).get("api_key_id"), &Value::Unknown);

    let names_the_arguments = |diagnostics: &[pb::Diagnostic]| {
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert_eq!(diagnostics[0].severity, pb::diagnostic::Severity::Error as i32);
        assert_eq!(diagnostics[0].summary, "Provider configuration not yet known");
        assert!(
            diagnostics[0]
                .detail
                .contains("provider arguments public_key and private_key depend on values known only after apply"),
            "{}",
            diagnostics[0].detail
        );
    };
    let prior = object(
        &[
            ("org_id", Value::string(&seed.org_id)),
            ("description", Value::string("d")),
            ("role_names", roles(&["ORG_MEMBER"])),
            ("api_key_id", Value::string("aaaaaaaaaaaaaaaaaaaaaaaa")),
        ],
        &ty,
    );
    let read = service
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: API_KEY.into(),
            current_state: dynamic(&prior, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    names_the_arguments(&read.diagnostics);
    assert_eq!(decode(&read.new_state, &ty), prior, "the state is kept");

    let applied = service
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: API_KEY.into(),
            prior_state: dynamic(&Value::Null, &ty),
            planned_state: plan.planned_state.clone(),
            config: dynamic(&config, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    names_the_arguments(&applied.diagnostics);

    let imported = service
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: API_KEY.into(),
            id: format!("{}-aaaaaaaaaaaaaaaaaaaaaaaa", seed.org_id),
            client_capabilities: None,
        }))
        .await
        .unwrap()
        .into_inner();
    names_the_arguments(&imported.diagnostics);

    names_the_arguments(&list_keys(&service, &seed.org_id).await.diagnostics);
    assert!(
        emulator_requests(&seed.base_url).await.is_empty(),
        "nothing reached Atlas"
    );

    // Configured again with known values, as Terraform does during apply, the calls work.
    let known = object(
        &[
            ("base_url", Value::string(&seed.base_url)),
            ("public_key", Value::string(&seed.public_key)),
            ("private_key", Value::string(&seed.private_key)),
        ],
        &provider_ty,
    );
    assert_eq!(configure(&service, &known).await, []);
    let listed = list_keys(&service, &seed.org_id).await;
    assert!(listed.diagnostics.is_empty(), "{:?}", listed.diagnostics);
    assert!(listed.state.is_some());
}

/// `data "mongodbatlas_api_keys"` of `org_id`.
async fn list_keys(service: &ProviderService<AtlasProvider>, org_id: &str) -> pb::read_data_source::Response {
    let ty = data_source_type("mongodbatlas_api_keys");
    let config = object(&[("org_id", Value::string(org_id))], &ty);
    service
        .read_data_source(Request::new(pb::read_data_source::Request {
            type_name: "mongodbatlas_api_keys".into(),
            config: dynamic(&config, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

/// The emulator's request log.
async fn emulator_requests(base_url: &str) -> Vec<serde_json::Value> {
    let log: serde_json::Value = reqwest::get(format!("{base_url}/__emulator/requests"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn configure_warnings_reach_terraform_and_provider_meta_reaches_the_user_agent() {
    let emulator = atlas_emulator::start(atlas_emulator::Options::default()).await.unwrap();
    let seed = emulator.seed.clone();
    let service = service(vec![
        ("MONGODB_ATLAS_CLIENT_ID", &seed.client_id),
        ("MONGODB_ATLAS_CLIENT_SECRET", &seed.client_secret),
        ("MONGODB_ATLAS_PUBLIC_KEY", &seed.public_key),
        ("MONGODB_ATLAS_PRIVATE_KEY", &seed.private_key),
    ]);
    let provider_ty = provider_type();
    let diagnostics = configure(
        &service,
        &object(&[("base_url", Value::string(&seed.base_url))], &provider_ty),
    )
    .await;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].severity, pb::diagnostic::Severity::Warning as i32);
    assert!(
        diagnostics[0].detail.starts_with("A service account will be used"),
        "{}",
        diagnostics[0].detail
    );

    let meta_ty = AtlasProvider::meta_schema().value_type();
    let meta = object(&[("module_name", Value::string("grpc-mod"))], &meta_ty);
    let keys_ty = data_source_type("mongodbatlas_api_keys");
    let listed = service
        .read_data_source(Request::new(pb::read_data_source::Request {
            type_name: "mongodbatlas_api_keys".into(),
            config: dynamic(&object(&[("org_id", Value::string(&seed.org_id))], &keys_ty), &keys_ty),
            provider_meta: dynamic(&meta, &meta_ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.diagnostics.is_empty(), "{:?}", listed.diagnostics);
    let requests = emulator_requests(&seed.base_url).await;
    let atlas: Vec<&serde_json::Value> = requests
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/api/atlas/")))
        .collect();
    assert!(!atlas.is_empty());
    for request in atlas {
        assert_eq!(request["auth"], "bearer", "the service account signed it");
        assert!(
            request["user_agent"]
                .as_str()
                .is_some_and(|agent| agent.ends_with(" Terraform/1.11.4 ModuleName/grpc-mod")),
            "{request}"
        );
    }
}

fn ephemeral_type(name: &str) -> Type {
    AtlasProvider::new()
        .ephemeral_resources()
        .into_iter()
        .find(|e| format!("mongodbatlas_{}", e.name()) == name)
        .unwrap()
        .value_type()
        .clone()
}

#[tokio::test]
async fn ephemeral_keys_are_advertised_validated_and_never_renewed() {
    let service = service(vec![]);
    let schema = service
        .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
        .await
        .unwrap()
        .into_inner();
    let mut names: Vec<&String> = schema.ephemeral_resource_schemas.keys().collect();
    names.sort();
    assert_eq!(names, ["mongodbatlas_ai_model_api_key", API_KEY]);
    for (name, secret) in [(API_KEY, "private_key"), ("mongodbatlas_ai_model_api_key", "secret")] {
        let block = schema.ephemeral_resource_schemas[name].block.clone().unwrap();
        let secret = block.attributes.iter().find(|a| a.name == secret).unwrap();
        assert!(secret.sensitive && secret.computed && !secret.optional, "{name}");
    }
    let metadata = service
        .get_metadata(Request::new(pb::get_metadata::Request {}))
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = metadata
        .ephemeral_resources
        .iter()
        .map(|e| e.type_name.as_str())
        .collect();
    assert_eq!(names, ["mongodbatlas_ai_model_api_key", API_KEY]);

    let ty = ephemeral_type(API_KEY);
    let validate = |config: Value| {
        let request = pb::validate_ephemeral_resource_config::Request {
            type_name: API_KEY.into(),
            config: dynamic(&config, &ty),
        };
        let service = &service;
        async move {
            service
                .validate_ephemeral_resource_config(Request::new(request))
                .await
                .unwrap()
                .into_inner()
                .diagnostics
        }
    };
    let bad = object(
        &[
            ("org_id", Value::string("5d09d6a59ccf6445652a444a")),
            ("description", Value::string("d".repeat(198))),
            ("role_names", roles(&["ORG_MEMBER"])),
        ],
        &ty,
    );
    let diagnostics = validate(bad).await;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(path_names(&diagnostics[0].attribute), ["description"]);
    let unknown = object(
        &[
            ("org_id", Value::Unknown),
            ("description", Value::Unknown),
            ("role_names", Value::Unknown),
            ("access_list", Value::Set(vec![Value::Unknown])),
        ],
        &ty,
    );
    assert!(validate(unknown).await.is_empty(), "unknowns are skipped");

    let renewed = service
        .renew_ephemeral_resource(Request::new(pb::renew_ephemeral_resource::Request {
            type_name: API_KEY.into(),
            private: Some(b"{}".to_vec()),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(renewed.renew_at.is_none() && renewed.diagnostics.is_empty());

    // Open and close need the configured client; before ConfigureProvider they say so.
    let closed = service
        .close_ephemeral_resource(Request::new(pb::close_ephemeral_resource::Request {
            type_name: API_KEY.into(),
            private: Some(b"{}".to_vec()),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(closed.diagnostics[0].summary, "Provider not configured");
    let unknown_type = service
        .close_ephemeral_resource(Request::new(pb::close_ephemeral_resource::Request {
            type_name: "mongodbatlas_nothing".into(),
            private: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(unknown_type.diagnostics[0]
        .summary
        .contains("Unknown ephemeral resource type"));
}

/// "METHOD path" of the Atlas requests since `from` (a count of log entries), challenges left out.
async fn atlas_calls_since(base_url: &str, from: usize) -> Vec<String> {
    emulator_requests(base_url)
        .await
        .iter()
        .skip(from)
        .filter(|r| r["status"] != 401 && r["path"].as_str().is_some_and(|p| p.starts_with("/api/atlas/")))
        .map(|r| {
            format!(
                "{} {}",
                r["method"].as_str().unwrap_or(""),
                r["path"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// Issue 13 §2: within one process, reads share one listing per organization, but a key the
/// provider created, updated or deleted is never served from a listing made before that change.
#[tokio::test]
async fn reads_after_our_own_changes_never_use_a_listing_made_before_them() {
    let emulator = atlas_emulator::start(atlas_emulator::Options::default()).await.unwrap();
    let seed = emulator.seed.clone();
    let service = service(vec![
        ("MONGODB_ATLAS_PUBLIC_KEY", &seed.public_key),
        ("MONGODB_ATLAS_PRIVATE_KEY", &seed.private_key),
    ]);
    let provider_ty = provider_type();
    let provider_config = object(&[("base_url", Value::string(&seed.base_url))], &provider_ty);
    assert_eq!(configure(&service, &provider_config).await, []);
    let org = seed.org_id.clone();
    let base = seed.base_url.clone();
    let keys_path = format!("/api/atlas/v2/orgs/{org}/apiKeys");
    let created: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/__emulator/orgs/{org}/apiKeys"))
        .json(&serde_json::json!({"count": 3, "desc_prefix": "fresh"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<String> = created["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_string())
        .collect();
    let ty = resource_type(API_KEY);
    let state = |id: &str, description: &str| {
        object(
            &[
                ("id", Value::string(format!("{org}-{id}"))),
                ("org_id", Value::string(&org)),
                ("api_key_id", Value::string(id)),
                ("description", Value::string(description)),
                ("role_names", roles(&["ORG_MEMBER"])),
            ],
            &ty,
        )
    };
    let read = |current: Value| {
        let service = &service;
        let ty = &ty;
        async move {
            let response = service
                .read_resource(Request::new(pb::read_resource::Request {
                    type_name: API_KEY.into(),
                    current_state: dynamic(&current, ty),
                    ..Default::default()
                }))
                .await
                .unwrap()
                .into_inner();
            assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
            decode(&response.new_state, ty)
        }
    };
    let read_one = |id: String| {
        let service = &service;
        let org = org.clone();
        async move {
            let ty = data_source_type("mongodbatlas_api_key");
            let config = object(
                &[("org_id", Value::string(&org)), ("api_key_id", Value::string(&id))],
                &ty,
            );
            let response = service
                .read_data_source(Request::new(pb::read_data_source::Request {
                    type_name: "mongodbatlas_api_key".into(),
                    config: dynamic(&config, &ty),
                    ..Default::default()
                }))
                .await
                .unwrap()
                .into_inner();
            assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
            decode(&response.state, &ty)
        }
    };

    // Three concurrent reads: one listing.
    let mark = emulator_requests(&base).await.len();
    let (a, b, c) = tokio::join!(
        read(state(&ids[0], "x")),
        read(state(&ids[1], "x")),
        read(state(&ids[2], "x"))
    );
    assert_eq!(a.get("description"), &Value::string("fresh-0001"));
    assert_eq!((b.is_null(), c.is_null()), (false, false));
    assert_eq!(atlas_calls_since(&base, mark).await, [format!("GET {keys_path}")]);

    // Update key 0: the data source read after it gets the key's own GET, not the listing.
    let mark = emulator_requests(&base).await.len();
    let prior = state(&ids[0], "fresh-0001");
    let planned = state(&ids[0], "renamed");
    let updated = service
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: API_KEY.into(),
            prior_state: dynamic(&prior, &ty),
            planned_state: dynamic(&planned, &ty),
            config: dynamic(&planned, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(updated.diagnostics.is_empty(), "{:?}", updated.diagnostics);
    assert_eq!(
        read_one(ids[0].clone()).await.get("description"),
        &Value::string("renamed")
    );
    // An unchanged key is still served by the listing.
    assert_eq!(
        read_one(ids[1].clone()).await.get("description"),
        &Value::string("fresh-0002")
    );
    assert_eq!(
        atlas_calls_since(&base, mark).await,
        [
            format!("PATCH {keys_path}/{}", ids[0]),
            format!("GET {keys_path}/{}", ids[0])
        ]
    );

    // A whole-list read after the change lists again and shows it.
    let mark = emulator_requests(&base).await.len();
    let listed = list_keys(&service, &org).await;
    assert!(listed.diagnostics.is_empty(), "{:?}", listed.diagnostics);
    let listed = decode(&listed.state, &data_source_type("mongodbatlas_api_keys"));
    let descriptions: Vec<&str> = listed
        .get("results")
        .as_elements()
        .unwrap_or_default()
        .iter()
        .filter_map(|key| key.get("description").as_str())
        .collect();
    assert!(descriptions.contains(&"renamed"), "{descriptions:?}");
    assert_eq!(atlas_calls_since(&base, mark).await, [format!("GET {keys_path}")]);

    // Delete key 2 (the listing still holds it): the read after it asks Atlas, which says 404.
    let mark = emulator_requests(&base).await.len();
    let destroyed = service
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: API_KEY.into(),
            prior_state: dynamic(&state(&ids[2], "fresh-0003"), &ty),
            planned_state: dynamic(&Value::Null, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(destroyed.diagnostics.is_empty(), "{:?}", destroyed.diagnostics);
    assert!(
        read(state(&ids[2], "fresh-0003")).await.is_null(),
        "gone after our delete"
    );
    assert_eq!(
        atlas_calls_since(&base, mark).await,
        [
            format!("DELETE {keys_path}/{}", ids[2]),
            format!("GET {keys_path}/{}", ids[2])
        ]
    );

    // Create a key: the data source read right after finds it with its own GET.
    let mark = emulator_requests(&base).await.len();
    let (config, plan) = plan_key_create(&service, &org, "made here").await;
    let applied = service
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: API_KEY.into(),
            prior_state: dynamic(&Value::Null, &ty),
            planned_state: plan.planned_state.clone(),
            config: dynamic(&config, &ty),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    let made = decode(&applied.new_state, &ty)
        .get("api_key_id")
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        read_one(made.clone()).await.get("description"),
        &Value::string("made here")
    );
    assert_eq!(
        atlas_calls_since(&base, mark).await,
        [format!("POST {keys_path}"), format!("GET {keys_path}/{made}")]
    );
}
