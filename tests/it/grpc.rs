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
    let config = object(
        &[
            ("org_id", Value::string(&seed.org_id)),
            ("description", Value::string("over rpc")),
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
