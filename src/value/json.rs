//! JSON to [`Value`]: `RawState.json`, `DynamicValue.json` and the serde bridge.
//!
//! `serde_json` parses the text into a loose tree (its `arbitrary_precision` feature keeps
//! every number's exact text, so `0.1000000000000000000001` stays exact); [`coerce`] then
//! shapes the tree by the [`Type`], in one of two modes:
//!
//! - [`Strictness::Lenient`] for what Terraform sends. Terraform sends JSON only as a
//!   fallback and in `UpgradeResourceState`, where the raw state is the JSON stored in
//!   `terraform.tfstate` under the schema it was written with. So, like go-cty's
//!   `cty/json`, object keys the type lacks are ignored (old state may hold removed
//!   attributes) and primitives convert between strings, numbers and bools.
//! - [`Strictness::Strict`] for what our own structs serialize to, where such a mismatch is
//!   a bug in the provider.
//!
//! In both, missing attributes are null. JSON cannot hold unknowns.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{Error, ErrorKind, InvalidNumber, Number, Type, Value};

/// Decodes `bytes` as one JSON value of type `ty`, leniently (see the module docs).
///
/// Errors (never panics) with [`ErrorKind::Malformed`] at the root on anything that is
/// not one JSON document (invalid UTF-8, trailing data, nesting deeper than 128); with the
/// path of the offending part on input that does not fit `ty`. A repeated object key keeps
/// its last value, as in `serde_json`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, Error> {
    let tree: Json =
        serde_json::from_slice(bytes).map_err(|err| Error::new(ErrorKind::Malformed(format!("JSON: {err}"))))?;
    coerce(tree, ty, Strictness::Lenient)
}

/// How [`coerce`] treats input that fits the type only loosely.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// Primitives convert (`"12"` is a number, `true` is a string) and object keys the type
    /// lacks are skipped.
    Lenient,
    /// Primitives must match and object keys the type lacks are an error.
    Strict,
}

/// Shapes a loose JSON tree by `ty`: arrays become lists or sets, JSON objects become maps or
/// objects (absent attributes are null), and `null` is null for every type.
///
/// Errors name the expected type and the JSON kind found; a number whose text is not a
/// decimal is `InvalidNumber`, an extra key under [`Strictness::Strict`] is
/// `UnsupportedAttribute`.
pub(crate) fn coerce(json: Json, ty: &Type, mode: Strictness) -> Result<Value, Error> {
    let lenient = mode == Strictness::Lenient;
    let number = |number: Result<Number, InvalidNumber>| {
        number
            .map(Value::Number)
            .map_err(|_| Error::new(ErrorKind::InvalidNumber))
    };
    match (ty, json) {
        (_, Json::Null) => Ok(Value::Null),
        (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(b)),
        (Type::Number, Json::Number(n)) => number(Number::decimal(n)),
        (Type::String, Json::String(text)) => Ok(Value::String(text)),
        // go-cty converts between primitives when reading JSON; so do we.
        (Type::Bool, Json::String(text)) if lenient && (text == "true" || text == "false") => {
            Ok(Value::Bool(text == "true"))
        }
        (Type::Number, Json::String(text)) if lenient => number(Number::parse(&text)),
        (Type::String, Json::Number(n)) if lenient => Ok(Value::String(n.to_string())),
        (Type::String, Json::Bool(b)) if lenient => Ok(Value::String(b.to_string())),
        (Type::List(element) | Type::Set(element), Json::Array(items)) => {
            let items = items
                .into_iter()
                .enumerate()
                .map(|(index, item)| coerce(item, element, mode).map_err(|err| err.under(ty.element_step(index))));
            Ok(Value::list_or_set(ty, items.collect::<Result<_, _>>()?))
        }
        (Type::Map(_) | Type::Object(_), Json::Object(entries)) => {
            let extra = entries.keys().find(|key| ty.member(key).is_none());
            if let (false, Some(extra)) = (lenient, extra) {
                return Err(Error::new(ErrorKind::UnsupportedAttribute(extra.clone())));
            }
            let mut out = BTreeMap::new();
            // Keys the type lacks are left out (old state may hold removed attributes).
            for (key, item) in entries {
                if let Some((item_type, step)) = ty.member(&key) {
                    out.insert(key, coerce(item, item_type, mode).map_err(|err| err.under(Some(step)))?);
                }
            }
            Ok(Value::map_or_object(ty, out))
        }
        (_, json) => Err(Error::new(ErrorKind::WrongType {
            expected: ty.to_string(),
            found: kind_name(&json),
        })),
    }
}

/// The JSON kind, for error messages (never the content).
fn kind_name(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}
