//! Conversions between protocol messages and framework types, one function per message.
//!
//! Generated types stop here: everything above this module sees `Value`, `Schema` and
//! `Diagnostics` only.

use crate::framework::schema::{Attribute, Block, NestedBlock, Nesting};
use crate::framework::{Diagnostic, Diagnostics, Schema, Severity};
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::value::{self, AttributePath, PathStep, Type, Value};

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

fn attribute(attribute: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: attribute.name.clone(),
        r#type: attribute.ty.to_json().to_string().into_bytes(),
        description: attribute.description.clone(),
        required: attribute.required,
        optional: attribute.optional,
        computed: attribute.computed,
        sensitive: attribute.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: false,
        nested_type: None,
        write_only: false,
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

/// Diagnostics as Terraform expects them.
pub fn diagnostics(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags.into_iter().map(diagnostic).collect()
}

fn diagnostic(diagnostic: Diagnostic) -> pb::Diagnostic {
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

/// Decodes a `DynamicValue` (msgpack, or JSON as a fallback); an absent value is null.
pub fn dynamic_value(dynamic: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostic> {
    let Some(dynamic) = dynamic else {
        return Ok(Value::Null);
    };
    let decoded = if !dynamic.msgpack.is_empty() {
        value::msgpack::decode(&dynamic.msgpack, ty)
    } else if !dynamic.json.is_empty() {
        value::json::decode(&dynamic.json, ty)
    } else {
        return Ok(Value::Null);
    };
    decoded.map_err(|err| Diagnostic::bug(format!("Could not decode the {what}"), err))
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
    use crate::framework::{string, string_set};

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
    fn absent_and_empty_dynamic_values_are_null() {
        assert_eq!(dynamic_value(None, &Type::String, "config").unwrap(), Value::Null);
        let empty = pb::DynamicValue::default();
        assert_eq!(
            dynamic_value(Some(&empty), &Type::String, "config").unwrap(),
            Value::Null
        );
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
