//! Hostile input stays bounded: the gRPC service driven in-process with huge sets, huge
//! attribute names and values, invalid msgpack and empty `DynamicValue`s.
//!
//! Timings are printed (run with `--nocapture` to see them), never asserted.

use std::sync::Arc;
use std::time::Instant;

use pb::provider_server::Provider as _;
use prost::Message as _;
use terraform_provider_mongodbatlas::framework::Provider as _;
use terraform_provider_mongodbatlas::provider::AtlasProvider;
use terraform_provider_mongodbatlas::tfplugin::proto::tfplugin6 as pb;
use terraform_provider_mongodbatlas::tfplugin::server::ProviderService;
use terraform_provider_mongodbatlas::value::{msgpack, Type, Value};
use tonic::Request;

use crate::grpc::{dynamic, object};

const API_KEY: &str = "mongodbatlas_api_key";
const ORG: &str = "5d09d6a59ccf6445652a444a";

fn service() -> ProviderService<AtlasProvider> {
    ProviderService::new(AtlasProvider::with_env(Vec::new()))
}

fn api_key_type() -> Type {
    let resource = AtlasProvider::new()
        .resources()
        .into_iter()
        .find(|r| r.name() == "api_key")
        .expect("api_key is registered");
    resource.value_type().clone()
}

fn role_set(count: usize, reversed: bool) -> Value {
    let mut roles: Vec<Value> = (0..count).map(|i| Value::string(format!("ORG_ROLE_{i:06}"))).collect();
    if reversed {
        roles.reverse();
    }
    Value::Set(roles)
}

/// A stored key with `count` roles, and a configuration with the same roles in reverse order
/// (sets have no order) and `description`.
fn big_update(count: usize, description: &str) -> (Value, Value) {
    let ty = api_key_type();
    let prior = object(
        &[
            ("org_id", Value::string(ORG)),
            ("description", Value::string("d")),
            ("role_names", role_set(count, false)),
            ("api_key_id", Value::string("6576974933969669aaaaaaaa")),
            ("public_key", Value::string("abcdefgh")),
            ("private_key", Value::string("secret")),
        ],
        &ty,
    );
    let config = object(
        &[
            ("org_id", Value::string(ORG)),
            ("description", Value::string(description)),
            ("role_names", role_set(count, true)),
        ],
        &ty,
    );
    (prior, config)
}

/// Terraform's proposed new state: the config with the prior computed values.
fn proposed(prior: &Value, config: &Value) -> Value {
    let mut proposed = config.clone();
    for name in ["api_key_id", "public_key", "private_key"] {
        if let Some(slot) = proposed.get_mut(name) {
            *slot = prior.get(name).clone();
        }
    }
    proposed
}

fn plan_request(prior: &Value, config: &Value) -> pb::plan_resource_change::Request {
    let ty = api_key_type();
    pb::plan_resource_change::Request {
        type_name: API_KEY.into(),
        prior_state: dynamic(prior, &ty),
        proposed_new_state: dynamic(&proposed(prior, config), &ty),
        config: dynamic(config, &ty),
        ..Default::default()
    }
}

#[tokio::test]
async fn plan_of_a_40000_role_set_is_correct() {
    let service = service();
    let ty = api_key_type();
    let (prior, config) = big_update(40_000, "d");
    let request = plan_request(&prior, &config);
    let started = Instant::now();
    let response = service
        .plan_resource_change(Request::new(request))
        .await
        .expect("plan answers")
        .into_inner();
    eprintln!("plan of an unchanged 40000-element role set: {:?}", started.elapsed());
    assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
    assert!(response.requires_replace.is_empty());
    let planned = msgpack::decode(&response.planned_state.expect("planned").msgpack, &ty).expect("decodes");
    assert_eq!(planned, prior, "an unchanged set plans no change");

    // One role fewer is a change: the set is planned as configured and computed values stay.
    let (prior, mut config) = big_update(40_000, "d");
    if let Some(Value::Set(roles)) = config.get_mut("role_names") {
        roles.pop();
    }
    let started = Instant::now();
    let response = service
        .plan_resource_change(Request::new(plan_request(&prior, &config)))
        .await
        .expect("plan answers")
        .into_inner();
    eprintln!("plan of a changed 40000-element role set: {:?}", started.elapsed());
    assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
    let planned = msgpack::decode(&response.planned_state.expect("planned").msgpack, &ty).expect("decodes");
    assert_eq!(planned.get("role_names"), config.get("role_names"));
    assert_ne!(planned.get("role_names"), prior.get("role_names"));
    assert_eq!(planned.get("api_key_id"), prior.get("api_key_id"));
}

/// Most bytes a response with one error about a 50 MB input may take.
const SMALL_RESPONSE: usize = 4_096;

/// 50 MiB of `c`.
fn huge(c: char) -> String {
    c.to_string().repeat(50 << 20)
}

/// A msgpack map of one entry, `key` to `value` (already encoded).
fn one_entry_map(key: &str, value: &[u8]) -> Vec<u8> {
    let mut out = vec![0x81, 0xdb];
    out.extend(u32::try_from(key.len()).expect("fits").to_be_bytes());
    out.extend(key.as_bytes());
    out.extend(value);
    out
}

fn raw(msgpack: Vec<u8>) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}

fn all_text(diagnostics: &[pb::Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("{} {}", d.summary, d.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A provider configured against an address nothing listens on: enough for calls that fail
/// before they reach Atlas.
async fn configured_service() -> ProviderService<AtlasProvider> {
    let env = [
        ("MONGODB_ATLAS_PUBLIC_KEY", "public"),
        ("MONGODB_ATLAS_PRIVATE_KEY", "private"),
        ("MONGODB_ATLAS_BASE_URL", "http://127.0.0.1:1"),
    ];
    let service = ProviderService::new(AtlasProvider::with_env(
        env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    ));
    let ty = AtlasProvider::new().schema().value_type();
    let configured = service
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: dynamic(&object(&[], &ty), &ty),
            client_capabilities: None,
        }))
        .await
        .expect("configure answers")
        .into_inner();
    assert!(configured.diagnostics.is_empty(), "{:?}", configured.diagnostics);
    service
}

#[tokio::test]
async fn a_50_mb_attribute_name_comes_back_as_a_short_error() {
    let service = service();
    let name = huge('n');
    let bytes = one_entry_map(&name, &[0xc0]);

    let validate = service
        .validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: API_KEY.into(),
            config: raw(bytes.clone()),
            client_capabilities: None,
        }))
        .await
        .expect("validate answers")
        .into_inner();
    assert_eq!(validate.diagnostics.len(), 1);
    assert!(
        validate.encoded_len() < SMALL_RESPONSE,
        "{} bytes",
        validate.encoded_len()
    );
    let text = all_text(&validate.diagnostics);
    assert!(text.contains("unsupported attribute \"nnnn"), "{text}");
    assert!(text.contains("…\" (52428800 characters)"), "{text}");

    // The same name in the prior state of a plan and in the stored state of a read.
    let ty = api_key_type();
    let config = object(&[("org_id", Value::string(ORG))], &ty);
    let plan = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: API_KEY.into(),
            prior_state: raw(bytes.clone()),
            proposed_new_state: dynamic(&config, &ty),
            config: dynamic(&config, &ty),
            ..Default::default()
        }))
        .await
        .expect("plan answers")
        .into_inner();
    assert!(plan.planned_state.is_none());
    assert!(plan.encoded_len() < SMALL_RESPONSE, "{} bytes", plan.encoded_len());
    assert!(all_text(&plan.diagnostics).contains("Could not decode the prior state"));

    let read = configured_service()
        .await
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: API_KEY.into(),
            current_state: raw(bytes),
            ..Default::default()
        }))
        .await
        .expect("read answers")
        .into_inner();
    let diagnostics_len: usize = read.diagnostics.iter().map(|d| d.encoded_len()).sum();
    assert!(diagnostics_len < SMALL_RESPONSE, "{diagnostics_len} bytes");
    assert!(all_text(&read.diagnostics).contains("(52428800 characters)"));
}

#[tokio::test]
async fn a_50_mb_value_comes_back_as_a_short_error() {
    let service = service();
    let ty = api_key_type();
    let value = huge('v');
    let config = object(
        &[
            ("org_id", Value::string(value.clone())),
            ("description", Value::string("d")),
            ("role_names", Value::Set(vec![Value::string(value.clone())])),
        ],
        &ty,
    );
    let validate = service
        .validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: API_KEY.into(),
            config: dynamic(&config, &ty),
            client_capabilities: None,
        }))
        .await
        .expect("validate answers")
        .into_inner();
    // One error for the org_id, one for the role.
    assert_eq!(validate.diagnostics.len(), 2, "{}", all_text(&validate.diagnostics));
    assert!(
        validate.encoded_len() < SMALL_RESPONSE,
        "{} bytes",
        validate.encoded_len()
    );
    assert_eq!(
        all_text(&validate.diagnostics)
            .matches("…\" (52428800 characters)")
            .count(),
        2
    );
}

#[tokio::test]
async fn a_50_mb_type_name_or_import_id_comes_back_as_a_short_error() {
    let service = configured_service().await;
    let type_name = huge('t');
    let validate = service
        .validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: type_name.clone(),
            config: None,
            client_capabilities: None,
        }))
        .await
        .expect("validate answers")
        .into_inner();
    assert!(
        validate.encoded_len() < SMALL_RESPONSE,
        "{} bytes",
        validate.encoded_len()
    );
    assert!(all_text(&validate.diagnostics).contains("Unknown resource type"));

    let upgrade = service
        .upgrade_resource_state(Request::new(pb::upgrade_resource_state::Request {
            type_name,
            version: 0,
            raw_state: None,
        }))
        .await
        .expect("upgrade answers")
        .into_inner();
    assert!(
        upgrade.encoded_len() < SMALL_RESPONSE,
        "{} bytes",
        upgrade.encoded_len()
    );

    for resource in [
        API_KEY,
        "mongodbatlas_project_api_key",
        "mongodbatlas_ai_model_api_key",
        "mongodbatlas_ai_model_rate_limit",
        "mongodbatlas_access_list_api_key",
    ] {
        let import = service
            .import_resource_state(Request::new(pb::import_resource_state::Request {
                type_name: resource.into(),
                id: huge('i'),
                client_capabilities: None,
            }))
            .await
            .expect("import answers")
            .into_inner();
        assert!(import.imported_resources.is_empty(), "{resource}");
        assert!(
            import.encoded_len() < SMALL_RESPONSE,
            "{resource}: {} bytes",
            import.encoded_len()
        );
        let text = all_text(&import.diagnostics);
        assert!(text.contains("Invalid import ID"), "{resource}: {text}");
        assert!(text.contains("(52428800 characters)"), "{resource}: {text}");
    }
}

#[tokio::test]
async fn reserved_msgpack_byte_is_an_error_not_null() {
    let service = service();
    let ty = api_key_type();
    let validate = service
        .validate_resource_config(Request::new(pb::validate_resource_config::Request {
            type_name: API_KEY.into(),
            config: raw(vec![0xc1]),
            client_capabilities: None,
        }))
        .await
        .expect("validate answers")
        .into_inner();
    assert!(
        all_text(&validate.diagnostics).contains("0xc1"),
        "{:?}",
        validate.diagnostics
    );

    // Read as null, a proposed state of 0xc1 would plan a destroy.
    let (prior, config) = big_update(1, "d");
    let mut request = plan_request(&prior, &config);
    request.proposed_new_state = raw(vec![0xc1]);
    let plan = service
        .plan_resource_change(Request::new(request))
        .await
        .expect("plan answers")
        .into_inner();
    assert!(plan.planned_state.is_none());
    let text = all_text(&plan.diagnostics);
    assert!(
        text.contains("Could not decode the proposed state") && text.contains("0xc1"),
        "{text}"
    );

    // Inside an object too, where rmpv would read it as a null attribute.
    let attribute = one_entry_map("description", &[0xc1]);
    let plan = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: API_KEY.into(),
            prior_state: dynamic(&Value::Null, &ty),
            proposed_new_state: raw(attribute.clone()),
            config: raw(attribute),
            ..Default::default()
        }))
        .await
        .expect("plan answers")
        .into_inner();
    assert!(all_text(&plan.diagnostics).contains("0xc1"), "{:?}", plan.diagnostics);
}

#[tokio::test]
async fn empty_dynamic_values_are_errors_where_a_value_is_required() {
    let service = service();
    let ty = api_key_type();
    let (prior, config) = big_update(1, "d");
    let empty = || Some(pb::DynamicValue::default());
    let cases: Vec<(&str, pb::plan_resource_change::Request)> = vec![
        ("configuration", {
            let mut request = plan_request(&prior, &config);
            request.config = empty();
            request
        }),
        ("proposed state", {
            let mut request = plan_request(&prior, &config);
            request.proposed_new_state = empty();
            request
        }),
        ("prior state", {
            let mut request = plan_request(&prior, &config);
            request.prior_state = None;
            request
        }),
    ];
    for (what, request) in cases {
        let plan = service
            .plan_resource_change(Request::new(request))
            .await
            .expect("plan answers")
            .into_inner();
        assert!(plan.planned_state.is_none(), "{what}");
        let text = all_text(&plan.diagnostics);
        assert!(
            text.contains(&format!("Could not decode the {what}")) && text.contains("arrived empty"),
            "{what}: {text}"
        );
    }

    let validate = service
        .validate_provider_config(Request::new(pb::validate_provider_config::Request { config: empty() }))
        .await
        .expect("validate answers")
        .into_inner();
    assert!(all_text(&validate.diagnostics).contains("Could not decode the provider configuration"));
    let configure = service
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: empty(),
            client_capabilities: None,
        }))
        .await
        .expect("configure answers")
        .into_inner();
    assert!(all_text(&configure.diagnostics).contains("arrived empty"));
    let apply = service
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: API_KEY.into(),
            prior_state: dynamic(&prior, &ty),
            planned_state: empty(),
            ..Default::default()
        }))
        .await
        .expect("apply answers")
        .into_inner();
    assert!(all_text(&apply.diagnostics).contains("Could not decode the planned state"));
    assert_eq!(
        apply.new_state,
        dynamic(&prior, &ty),
        "nothing applied, the prior state stays"
    );
}

/// What Terraform 1.11 sends for a create: the prior state as msgpack nil and no private
/// data; for a destroy, the proposed state and config as msgpack nil.
#[tokio::test]
async fn null_as_msgpack_nil_and_absent_private_data_still_plan() {
    let service = service();
    let ty = api_key_type();
    let (prior, config) = big_update(2, "d");
    let create = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: API_KEY.into(),
            prior_state: raw(vec![0xc0]),
            proposed_new_state: dynamic(&config, &ty),
            config: dynamic(&config, &ty),
            prior_private: Vec::new(),
            ..Default::default()
        }))
        .await
        .expect("plan answers")
        .into_inner();
    assert!(create.diagnostics.is_empty(), "{:?}", create.diagnostics);
    assert!(create.planned_private.is_empty());
    let planned = msgpack::decode(&create.planned_state.expect("planned").msgpack, &ty).expect("decodes");
    assert_eq!(planned.get("api_key_id"), &Value::Unknown);

    let destroy = service
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: API_KEY.into(),
            prior_state: dynamic(&prior, &ty),
            proposed_new_state: raw(vec![0xc0]),
            config: raw(vec![0xc0]),
            prior_private: b"\xc0".to_vec(),
            ..Default::default()
        }))
        .await
        .expect("plan answers")
        .into_inner();
    assert!(destroy.diagnostics.is_empty(), "{:?}", destroy.diagnostics);
    assert_eq!(destroy.planned_state, raw(vec![0xc0]));
    assert_eq!(
        destroy.planned_private,
        b"\xc0".to_vec(),
        "private data passes through untouched"
    );
}

/// Planning happens off the runtime's worker threads: on a one-thread runtime, StopProvider
/// is answered while two plans of 80,000-element sets are still being worked out. Were the
/// plans done on the runtime thread, each would run to its end before StopProvider got a turn.
#[tokio::test(flavor = "current_thread")]
async fn stop_provider_answers_during_two_huge_plans() {
    let service = Arc::new(service());
    let ty = api_key_type();
    let mut plans = Vec::new();
    for description in ["first", "second"] {
        let (prior, config) = big_update(80_000, description);
        let request = plan_request(&prior, &config);
        let service = Arc::clone(&service);
        plans.push(tokio::spawn(async move {
            service.plan_resource_change(Request::new(request)).await
        }));
    }
    // Let both plans start.
    tokio::task::yield_now().await;
    let started = Instant::now();
    service
        .stop_provider(Request::new(pb::stop_provider::Request {}))
        .await
        .expect("stop answers");
    eprintln!(
        "StopProvider answered in {:?} during two 80000-element plans",
        started.elapsed()
    );
    assert!(
        plans.iter().all(|plan| !plan.is_finished()),
        "StopProvider waited for the plans"
    );
    for (plan, description) in plans.into_iter().zip(["first", "second"]) {
        let response = plan.await.expect("plan task").expect("plan answers").into_inner();
        assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
        let planned = msgpack::decode(&response.planned_state.expect("planned").msgpack, &ty).expect("decodes");
        assert_eq!(planned.get("description"), &Value::string(description));
        assert_eq!(planned.get("api_key_id"), &Value::string("6576974933969669aaaaaaaa"));
        assert_eq!(planned.get("role_names"), &role_set(80_000, false));
    }
    eprintln!("both 80000-element plans done after {:?}", started.elapsed());
}

#[tokio::test]
async fn data_source_errors_quote_ids_briefly() {
    let emulator = atlas_emulator::start(atlas_emulator::Options::default())
        .await
        .expect("emulator");
    let seed = emulator.seed.clone();
    let env = [
        ("MONGODB_ATLAS_PUBLIC_KEY", seed.public_key.as_str()),
        ("MONGODB_ATLAS_PRIVATE_KEY", seed.private_key.as_str()),
        ("MONGODB_ATLAS_BASE_URL", seed.base_url.as_str()),
    ];
    let service = ProviderService::new(AtlasProvider::with_env(
        env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    ));
    let provider_ty = AtlasProvider::new().schema().value_type();
    service
        .configure_provider(Request::new(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: dynamic(&object(&[], &provider_ty), &provider_ty),
            client_capabilities: None,
        }))
        .await
        .expect("configure answers");
    let ty = AtlasProvider::new()
        .data_sources()
        .into_iter()
        .find(|d| d.name() == "api_key")
        .expect("api_key data source")
        .value_type()
        .clone();
    let read = |api_key_id: String| {
        let config = object(
            &[
                ("org_id", Value::string(&seed.org_id)),
                ("api_key_id", Value::string(api_key_id)),
            ],
            &ty,
        );
        let request = pb::read_data_source::Request {
            type_name: "mongodbatlas_api_key".into(),
            config: dynamic(&config, &ty),
            ..Default::default()
        };
        let service = &service;
        async move {
            let response = service
                .read_data_source(Request::new(request))
                .await
                .expect("read answers")
                .into_inner();
            all_text(&response.diagnostics)
        }
    };
    // A well-formed ID Atlas does not know: the not-found message quotes it.
    let text = read("aaaaaaaaaaaaaaaaaaaaaaaa".into()).await;
    assert!(
        text.contains("No API key with ID \"aaaaaaaaaaaaaaaaaaaaaaaa\" exists in organization \""),
        "{text}"
    );
    // A long one Atlas rejects, repeating it in its path and detail: the error is cut.
    let text = read("a".repeat(20_000)).await;
    assert!(text.contains("PATH_PARAM_PARSE_ERROR"), "{text}");
    assert!(text.len() < 1_500, "{} bytes", text.len());
}
