//! Conversions between protocol messages and framework types, one function per message.
//!
//! Generated types stop here: everything above this module sees `Value`, `Schema` and
//! `Diagnostics` only. Each RPC's response is built by one `*_response` function from the
//! call's [`Answer`], and [`settle`] is the one place an answer's diagnostics reach the wire.

use crate::framework::schema::{Attribute, Block, NestedAttributes, NestedBlock, Nesting};
use crate::framework::{Diagnostic, Diagnostics, Schema, Severity};
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::value::{self, AttributePath, PathStep, Type, Value};

/// What one framework call produced: `Ok` with its result and the diagnostics that go with it
/// (warnings, or errors alongside a state Terraform must keep), or `Err` with only
/// diagnostics, when there is no result to send (unknown type, undecodable value, a call
/// before ConfigureProvider, a failed data source read).
pub type Answer<T> = Result<(T, Diagnostics), Diagnostics>;

/// Splits an answer into the result, if any, and the diagnostics as Terraform expects them.
fn settle<T>(answer: Answer<T>) -> (Option<T>, Vec<pb::Diagnostic>) {
    match answer {
        Ok((result, diags)) => (Some(result), diagnostics(diags)),
        Err(diags) => (None, diagnostics(diags)),
    }
}

/// What the server can do beyond the base protocol: destroy plans, no schema call needed
/// before the others (Terraform then caches the schema), as terraform-plugin-go advertises, and
/// `moved` blocks across resource types (Terraform asks MoveResourceState only of a provider
/// that says so; each type says which sources it takes, the others get a diagnostic).
fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: true,
    }
}

/// `GetMetadata`: the full type names this provider serves.
pub fn metadata_response<'a>(
    resources: impl Iterator<Item = &'a String>,
    data_sources: impl Iterator<Item = &'a String>,
    ephemeral_resources: impl Iterator<Item = &'a String>,
) -> pb::get_metadata::Response {
    pb::get_metadata::Response {
        server_capabilities: Some(server_capabilities()),
        diagnostics: Vec::new(),
        data_sources: data_sources
            .map(|type_name| pb::get_metadata::DataSourceMetadata {
                type_name: type_name.clone(),
            })
            .collect(),
        resources: resources
            .map(|type_name| pb::get_metadata::ResourceMetadata {
                type_name: type_name.clone(),
            })
            .collect(),
        functions: Vec::new(),
        ephemeral_resources: ephemeral_resources
            .map(|type_name| pb::get_metadata::EphemeralMetadata {
                type_name: type_name.clone(),
            })
            .collect(),
    }
}

/// `GetProviderSchema`: the provider's schema, its `provider_meta` schema if it has one, and
/// each type's (resources, data sources, ephemeral resources) under its full type name.
pub fn schema_response<'a>(
    provider: &Schema,
    provider_meta: Option<&Schema>,
    resources: impl Iterator<Item = (&'a String, &'a Schema)>,
    data_sources: impl Iterator<Item = (&'a String, &'a Schema)>,
    ephemeral_resources: impl Iterator<Item = (&'a String, &'a Schema)>,
) -> pb::get_provider_schema::Response {
    pb::get_provider_schema::Response {
        provider: Some(schema(provider)),
        resource_schemas: resources.map(|(name, s)| (name.clone(), schema(s))).collect(),
        data_source_schemas: data_sources.map(|(name, s)| (name.clone(), schema(s))).collect(),
        diagnostics: Vec::new(),
        provider_meta: provider_meta.map(schema),
        server_capabilities: Some(server_capabilities()),
        functions: Default::default(),
        ephemeral_resource_schemas: ephemeral_resources.map(|(name, s)| (name.clone(), schema(s))).collect(),
    }
}

/// The response of a call that answers with diagnostics only: `ValidateProviderConfig`,
/// `ValidateResourceConfig`, `ValidateDataResourceConfig`, `ConfigureProvider`,
/// `ValidateEphemeralResourceConfig` and `CloseEphemeralResource`.
pub fn diagnostics_response<R: From<Vec<pb::Diagnostic>>>(answer: Answer<()>) -> R {
    let (_, diagnostics) = settle(answer);
    R::from(diagnostics)
}

/// Responses whose only field is `diagnostics`.
macro_rules! diagnostics_only {
    ($($response:ty),* $(,)?) => {$(
        impl From<Vec<pb::Diagnostic>> for $response {
            fn from(diagnostics: Vec<pb::Diagnostic>) -> Self {
                Self { diagnostics }
            }
        }
    )*};
}

diagnostics_only!(
    pb::validate_provider_config::Response,
    pb::validate_resource_config::Response,
    pb::validate_data_resource_config::Response,
    pb::configure_provider::Response,
    pb::validate_ephemeral_resource_config::Response,
    pb::close_ephemeral_resource::Response,
);

/// `OpenEphemeralResource`: the result and the private data the close gets back, or only
/// diagnostics when nothing was opened. No renewal time: the result lasts until the close.
pub fn open_ephemeral_resource_response(
    answer: Answer<(pb::DynamicValue, Vec<u8>)>,
) -> pb::open_ephemeral_resource::Response {
    let (opened, diagnostics) = settle(answer);
    let (result, private) = opened.map_or((None, None), |(result, private)| (Some(result), Some(private)));
    pb::open_ephemeral_resource::Response {
        diagnostics,
        renew_at: None,
        result,
        private,
        deferred: None,
    }
}

/// `RenewEphemeralResource`: no ephemeral resource of this provider asks for renewal, so
/// Terraform never calls it; an answer without `renew_at` stops renewals should one come.
pub fn renew_ephemeral_resource_response(answer: Answer<()>) -> pb::renew_ephemeral_resource::Response {
    let (_, diagnostics) = settle(answer);
    pb::renew_ephemeral_resource::Response {
        diagnostics,
        renew_at: None,
        private: None,
    }
}

/// `UpgradeResourceState`: the state in the current schema, absent on errors.
pub fn upgrade_resource_state_response(answer: Answer<pb::DynamicValue>) -> pb::upgrade_resource_state::Response {
    let (upgraded_state, diagnostics) = settle(answer);
    pb::upgrade_resource_state::Response {
        upgraded_state,
        diagnostics,
    }
}

/// `ReadResource`: the refreshed state, or the current state unchanged when nothing could be
/// read; private data passes through.
pub fn read_resource_response(
    answer: Answer<pb::DynamicValue>,
    request: &pb::read_resource::Request,
) -> pb::read_resource::Response {
    let (new_state, diagnostics) = settle(answer);
    pb::read_resource::Response {
        new_state: new_state.or_else(|| request.current_state.clone()),
        diagnostics,
        private: request.private.clone(),
        deferred: None,
    }
}

/// `PlanResourceChange`: the planned state, the paths that force replacement and the prior
/// private data; only diagnostics when there is no plan.
pub fn plan_resource_change_response(
    answer: Answer<(pb::DynamicValue, Vec<AttributePath>)>,
    request: &pb::plan_resource_change::Request,
) -> pb::plan_resource_change::Response {
    match settle(answer) {
        (Some((planned_state, requires_replace)), diagnostics) => pb::plan_resource_change::Response {
            planned_state: Some(planned_state),
            requires_replace: requires_replace.iter().map(attribute_path).collect(),
            planned_private: request.prior_private.clone(),
            diagnostics,
            legacy_type_system: false,
            deferred: None,
        },
        (None, diagnostics) => pb::plan_resource_change::Response {
            diagnostics,
            ..Default::default()
        },
    }
}

/// `ApplyResourceChange`: the state to keep, or the prior state when nothing was applied; the
/// planned private data passes through.
pub fn apply_resource_change_response(
    answer: Answer<pb::DynamicValue>,
    request: &pb::apply_resource_change::Request,
) -> pb::apply_resource_change::Response {
    let (new_state, diagnostics) = settle(answer);
    pb::apply_resource_change::Response {
        new_state: new_state.or_else(|| request.prior_state.clone()),
        private: request.planned_private.clone(),
        diagnostics,
        legacy_type_system: false,
    }
}

/// `ImportResourceState`: one imported resource of the requested type, or none.
pub fn import_resource_state_response(
    answer: Answer<pb::DynamicValue>,
    request: &pb::import_resource_state::Request,
) -> pb::import_resource_state::Response {
    let (state, diagnostics) = settle(answer);
    pb::import_resource_state::Response {
        imported_resources: state
            .map(|state| pb::import_resource_state::ImportedResource {
                type_name: request.type_name.clone(),
                state: Some(state),
                private: Vec::new(),
            })
            .into_iter()
            .collect(),
        diagnostics,
        deferred: None,
    }
}

/// `MoveResourceState`: the target type's state and the private data to keep with it, or only
/// diagnostics (Terraform then stops before planning).
pub fn move_resource_state_response(answer: Answer<(pb::DynamicValue, Vec<u8>)>) -> pb::move_resource_state::Response {
    match settle(answer) {
        (Some((target_state, target_private)), diagnostics) => pb::move_resource_state::Response {
            target_state: Some(target_state),
            diagnostics,
            target_private,
        },
        (None, diagnostics) => pb::move_resource_state::Response {
            diagnostics,
            ..Default::default()
        },
    }
}

/// `ReadDataSource`: the data source's state, absent on errors.
pub fn read_data_source_response(answer: Answer<pb::DynamicValue>) -> pb::read_data_source::Response {
    let (state, diagnostics) = settle(answer);
    pb::read_data_source::Response {
        state,
        diagnostics,
        deferred: None,
    }
}

/// A framework schema as Terraform expects it.
pub fn schema(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block(&schema.block, schema.version)),
    }
}

fn block(block: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: block.attributes.iter().map(attribute).collect(),
        block_types: block.blocks.iter().map(nested_block).collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: false,
    }
}

/// One attribute: its cty type as JSON, or for a nested attribute its `nested_type` and no
/// type bytes (Terraform rejects an attribute with both).
fn attribute(attribute: &Attribute) -> pb::schema::Attribute {
    let (r#type, nested_type) = match &attribute.nested {
        Some(nested) => (Vec::new(), Some(nested_attributes(nested))),
        None => (attribute.ty.to_json().to_string().into_bytes(), None),
    };
    pb::schema::Attribute {
        name: attribute.name.clone(),
        r#type,
        description: attribute.description.clone(),
        required: attribute.required,
        optional: attribute.optional,
        computed: attribute.computed,
        sensitive: attribute.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: false,
        nested_type,
        write_only: false,
    }
}

fn nested_attributes(nested: &NestedAttributes) -> pb::schema::Object {
    let nesting = match nested.nesting {
        Nesting::Single => pb::schema::object::NestingMode::Single,
        Nesting::List => pb::schema::object::NestingMode::List,
        Nesting::Set => pb::schema::object::NestingMode::Set,
    };
    pb::schema::Object {
        attributes: nested.attributes.iter().map(attribute).collect(),
        nesting: nesting as i32,
        ..Default::default()
    }
}

fn nested_block(nested: &NestedBlock) -> pb::schema::NestedBlock {
    let nesting = match nested.nesting {
        Nesting::Single => pb::schema::nested_block::NestingMode::Single,
        Nesting::List => pb::schema::nested_block::NestingMode::List,
        Nesting::Set => pb::schema::nested_block::NestingMode::Set,
    };
    pb::schema::NestedBlock {
        type_name: nested.name.clone(),
        block: Some(block(&nested.block, 0)),
        nesting: nesting as i32,
        min_items: nested.min_items,
        max_items: nested.max_items,
    }
}

/// Diagnostics as Terraform expects them, each cut by [`Diagnostic::bounded`] so no input
/// echoed in one can make a response huge.
pub fn diagnostics(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags.into_iter().map(diagnostic).collect()
}

fn diagnostic(diagnostic: Diagnostic) -> pb::Diagnostic {
    let diagnostic = diagnostic.bounded();
    let severity = match diagnostic.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity as i32,
        summary: diagnostic.summary,
        detail: diagnostic.detail,
        attribute: diagnostic.attribute.as_ref().map(attribute_path),
    }
}

/// An attribute path as Terraform expects it.
pub fn attribute_path(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    let steps = path
        .0
        .iter()
        .map(|step| pb::attribute_path::Step {
            selector: Some(match step {
                PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                PathStep::ElementKeyString(key) => Selector::ElementKeyString(key.clone()),
                PathStep::ElementKeyInt(index) => Selector::ElementKeyInt(*index),
            }),
        })
        .collect();
    pb::AttributePath { steps }
}

/// Decodes a `DynamicValue` (msgpack, or JSON as a fallback) of type `ty`; `what` names it in
/// errors ("prior state").
///
/// Terraform encodes every value it sends, null too (msgpack nil, `c0`, for the prior state of
/// a create or the planned state of a destroy), so an absent `DynamicValue` or one with neither
/// msgpack nor JSON is an error, not null. Errors are diagnostics saying what could not be
/// decoded and why, quoting at most a few hundred characters of the input.
pub fn dynamic_value(dynamic: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostic> {
    let decoded = match dynamic {
        Some(dynamic) if !dynamic.msgpack.is_empty() => value::msgpack::decode(&dynamic.msgpack, ty),
        Some(dynamic) if !dynamic.json.is_empty() => value::json::decode(&dynamic.json, ty),
        _ => {
            return Err(Diagnostic::error(
                format!("Could not decode the {what}"),
                format!(
                    "The {what} arrived empty, with neither msgpack nor JSON. Terraform encodes every value, \
                     null as msgpack nil, so the client that called the provider sent an invalid request."
                ),
            ))
        }
    };
    decoded.map_err(|err| Diagnostic::bug(format!("Could not decode the {what}"), err))
}

/// Decodes the state Terraform stored (`RawState`) as `ty`.
///
/// Terraform 0.12 and later store JSON; the flatmap format of 0.11 and older cannot be
/// upgraded. Errors are diagnostics; an absent `RawState` is empty JSON and fails to decode.
pub fn raw_state(raw: Option<&pb::RawState>, ty: &Type) -> Result<Value, Diagnostic> {
    let json = raw.map_or(&[][..], |raw| raw.json.as_slice());
    if json.is_empty() && raw.is_some_and(|raw| !raw.flatmap.is_empty()) {
        return Err(Diagnostic::error(
            "Unsupported state format",
            "This state uses the flatmap format of Terraform 0.11 and older; it cannot be upgraded by this provider.",
        ));
    }
    value::json::decode(json, ty).map_err(|err| Diagnostic::error("Could not read the stored state", err.to_string()))
}

/// Encodes a value as msgpack, which Terraform always accepts.
pub fn to_dynamic_value(value: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostic> {
    let msgpack = value::msgpack::encode(value, ty)
        .map_err(|err| Diagnostic::bug(format!("Could not encode the {what}"), err))?;
    Ok(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::{nested, string, string_set};

    #[test]
    fn attribute_types_are_cty_json() {
        let schema = Schema::new("s").attributes([string("name").required(), string_set("roles").optional()]);
        let converted = super::schema(&schema);
        let attributes = converted.block.unwrap().attributes;
        let types: Vec<String> = attributes
            .iter()
            .map(|a| String::from_utf8(a.r#type.clone()).unwrap())
            .collect();
        assert_eq!(types, vec!["\"string\"", "[\"set\",\"string\"]"]);
    }

    #[test]
    fn nested_attributes_are_sent_as_nested_type_without_type_bytes() {
        let schema = Schema::new("s").attributes([
            string("id").computed(),
            nested(
                "results",
                Nesting::List,
                [
                    string("name").computed().doc("A name."),
                    string("secret").computed().sensitive(),
                    nested("inner", Nesting::Set, [string("x").computed()]).computed(),
                ],
            )
            .computed()
            .doc("Results."),
        ]);
        let attributes = super::schema(&schema).block.unwrap().attributes;
        let results = attributes.iter().find(|a| a.name == "results").unwrap();
        assert!(results.r#type.is_empty(), "a nested attribute has no type bytes");
        assert!(results.computed && !results.sensitive);
        assert_eq!(results.description, "Results.");
        let object = results.nested_type.as_ref().expect("nested_type");
        assert_eq!(object.nesting, pb::schema::object::NestingMode::List as i32);
        let names: Vec<&str> = object.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["name", "secret", "inner"]);
        let secret = &object.attributes[1];
        assert!(secret.sensitive && secret.computed);
        assert_eq!(String::from_utf8(secret.r#type.clone()).unwrap(), "\"string\"");
        assert!(!object.attributes[0].sensitive);
        let inner = object.attributes[2].nested_type.as_ref().expect("nested in nested");
        assert_eq!(inner.nesting, pb::schema::object::NestingMode::Set as i32);
        assert!(object.attributes[2].r#type.is_empty());
        let id = attributes.iter().find(|a| a.name == "id").unwrap();
        assert!(id.nested_type.is_none() && !id.r#type.is_empty());
    }

    #[test]
    fn paths_keep_every_step() {
        let path = AttributePath::attr("project_assignment")
            .then_index(1)
            .then_attr("role_names");
        let converted = attribute_path(&path);
        assert_eq!(converted.steps.len(), 3);
        assert!(matches!(
            converted.steps[1].selector,
            Some(pb::attribute_path::step::Selector::ElementKeyInt(1))
        ));
    }

    #[test]
    fn absent_and_empty_dynamic_values_are_errors() {
        let empty = pb::DynamicValue::default();
        for dynamic in [None, Some(&empty)] {
            let err = dynamic_value(dynamic, &Type::String, "proposed state").unwrap_err();
            assert_eq!(err.severity, Severity::Error);
            assert_eq!(err.summary, "Could not decode the proposed state");
            assert!(err.detail.contains("arrived empty"), "{}", err.detail);
        }
    }

    #[test]
    fn null_is_msgpack_nil_or_json_null() {
        let nil = pb::DynamicValue {
            msgpack: vec![0xc0],
            json: Vec::new(),
        };
        assert_eq!(dynamic_value(Some(&nil), &Type::String, "prior state"), Ok(Value::Null));
        let json_null = pb::DynamicValue {
            msgpack: Vec::new(),
            json: b"null".to_vec(),
        };
        assert_eq!(
            dynamic_value(Some(&json_null), &Type::String, "prior state"),
            Ok(Value::Null)
        );
    }

    #[test]
    fn reserved_msgpack_marker_is_a_diagnostic_not_null() {
        let reserved = pb::DynamicValue {
            msgpack: vec![0xc1],
            json: Vec::new(),
        };
        let err = dynamic_value(Some(&reserved), &Type::String, "configuration").unwrap_err();
        assert!(err.detail.contains("0xc1"), "{}", err.detail);
    }

    #[test]
    fn diagnostics_leave_bounded() {
        let huge = "z".repeat(1 << 20);
        let sent = diagnostics(Diagnostic::error("s", huge).into());
        assert!(sent[0].detail.len() < 9_000, "{} bytes", sent[0].detail.len());
    }

    #[test]
    fn malformed_msgpack_is_a_diagnostic() {
        let bad = pb::DynamicValue {
            msgpack: vec![0xa5, b'a'],
            json: Vec::new(),
        };
        let err = dynamic_value(Some(&bad), &Type::String, "config").unwrap_err();
        assert_eq!(err.severity, Severity::Error);
        assert!(err.summary.contains("config"));
    }
}
