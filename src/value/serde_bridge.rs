//! The serde bridge: typed config and state structs to and from [`Value`].
//!
//! Resources declare plain `#[derive(Serialize, Deserialize)]` structs. Both directions go
//! through one loose tree, `serde_json::Value`, so serde_json does all the serde work and
//! `serde_path_to_error` records where it failed:
//! - [`to_value`] serializes the struct to JSON and shapes it by the schema's [`Type`] with the
//!   same `coerce` that reads raw state, in its strict mode.
//! - [`from_value`] writes the value as JSON and deserializes the struct from it. Null and
//!   unknown are both JSON `null`, so `Option` fields read them as `None`: computed attributes
//!   that are not known yet simply look absent.
//!
//! Error messages never include string or number content, since values may be secrets:
//! serde's usual "invalid type: string \"...\"" is cut down to the kind.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value as Json;
use serde_path_to_error::{Path, Segment};

use super::json::{coerce, Strictness};
use super::{truncate, AttributePath, Error, ErrorKind, Number, PathStep, Quoted, Type, Value, ECHO_MAX_CHARS};

/// Most characters kept of a message serde or a `Serialize` impl made up.
const CUSTOM_MAX_CHARS: usize = 2 * ECHO_MAX_CHARS;

/// Reads a typed struct (or any `Deserialize` type) from a value.
///
/// Null and unknown read as `None` for `Option` fields and error ("value is null" / "value
/// is unknown") for anything else; an unknown at the root is always an error. Objects and
/// maps read as structs and maps (object attributes the struct lacks are ignored), lists and
/// sets as sequences (`Vec`, `BTreeSet`), and numbers as any integer or float type that holds
/// them (whole numbers exactly; others as the nearest `f64`). Errors carry the path of the
/// offending attribute, stopping at a set.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, Error> {
    let serde = |path, message: &str| Error {
        path,
        kind: ErrorKind::Serde(message.to_owned()),
    };
    if value.is_unknown() {
        return Err(serde(AttributePath::root(), "value is unknown"));
    }
    serde_path_to_error::deserialize(to_json(value)).map_err(|err| {
        let (path, failed) = walk(value, err.path(), value_child);
        match failed {
            Value::Null => serde(path, "value is null"),
            Value::Unknown => serde(path, "value is unknown"),
            _ => serde(path, &redact(&err.inner().to_string())),
        }
    })
}

/// Writes a typed struct as a value of type `ty`.
///
/// `None` and `()` become null; sequences become the list or set `ty` asks for; structs and
/// maps become objects or maps (object attributes the struct lacks are null, struct fields the
/// object lacks are an error); a newtype struct is its inner value and a unit enum variant is
/// its name. Non-finite floats become null, as in serde_json. Errors carry the path where the
/// value did not fit `ty`.
pub fn to_value<T: Serialize>(value: &T, ty: &Type) -> Result<Value, Error> {
    let json = serde_path_to_error::serialize(value, serde_json::value::Serializer).map_err(|err| Error {
        path: walk(ty, err.path(), type_child).0,
        kind: ErrorKind::Serde(truncate(&err.inner().to_string(), CUSTOM_MAX_CHARS).into_owned()),
    })?;
    coerce(json, ty, Strictness::Strict).map_err(|err| match err.kind {
        ErrorKind::UnsupportedAttribute(name) => Error {
            path: err.path,
            kind: ErrorKind::Serde(format!(
                "field {} is not an attribute of the object type",
                Quoted(&name)
            )),
        },
        _ => err,
    })
}

/// The value as JSON; null and unknown are both `null`.
fn to_json(value: &Value) -> Json {
    let entries = |entries: &std::collections::BTreeMap<String, Value>| {
        Json::Object(entries.iter().map(|(key, item)| (key.clone(), to_json(item))).collect())
    };
    match value {
        Value::Null | Value::Unknown => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(number) => number_to_json(number),
        Value::String(text) => Json::String(text.clone()),
        Value::List(items) | Value::Set(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(map) => entries(map),
        Value::Object(attributes) => entries(attributes),
    }
}

/// Whole numbers as JSON integers, so that integer fields take `3.0` and `1e3`; other numbers
/// as the nearest `f64`, the most a float field can take. What no `f64` holds (infinities,
/// `1e400`) becomes its text, which a number field refuses.
fn number_to_json(number: &Number) -> Json {
    match (
        number.as_i64(),
        number.as_u64(),
        number.as_f64().and_then(serde_json::Number::from_f64),
    ) {
        (Some(int), _, _) => Json::from(int),
        (None, Some(uint), _) => Json::from(uint),
        (None, None, Some(float)) => Json::Number(float),
        (None, None, None) => Json::String(number.to_string()),
    }
}

/// Follows serde's `path` from `root`, returning the attribute path and the node reached.
/// `child` gives the node a segment leads to and its step, `None` for a set element: set
/// elements have no address, so the path stops at the set. Stops at the first segment `child`
/// cannot follow.
fn walk<N: Copy>(
    root: N,
    path: &Path,
    child: impl Fn(N, &Segment) -> Option<(N, Option<PathStep>)>,
) -> (AttributePath, N) {
    let mut steps = Vec::new();
    let mut node = root;
    for segment in path.iter() {
        let Some((next, step)) = child(node, segment) else {
            break;
        };
        steps.push(step);
        node = next;
    }
    (AttributePath(steps.into_iter().map_while(|step| step).collect()), node)
}

fn value_child<'a>(value: &'a Value, segment: &Segment) -> Option<(&'a Value, Option<PathStep>)> {
    match (value, segment) {
        (Value::Object(attributes), Segment::Map { key }) => {
            Some((attributes.get(key)?, Some(PathStep::Attribute(key.clone()))))
        }
        (Value::Map(entries), Segment::Map { key }) => {
            Some((entries.get(key)?, Some(PathStep::ElementKeyString(key.clone()))))
        }
        (Value::List(items) | Value::Set(items), Segment::Seq { index }) => {
            let step = matches!(value, Value::List(_)).then(|| PathStep::index(*index));
            Some((items.get(*index)?, step))
        }
        _ => None,
    }
}

fn type_child<'a>(ty: &'a Type, segment: &Segment) -> Option<(&'a Type, Option<PathStep>)> {
    match (ty, segment) {
        (Type::List(element) | Type::Set(element), Segment::Seq { index }) => Some((element, ty.element_step(*index))),
        (_, Segment::Map { key }) => ty.member(key).map(|(member, step)| (member, Some(step))),
        _ => None,
    }
}

/// serde's message without the input it quotes. serde writes what it found before the last
/// ", expected " (type names come from code and never contain it), so
/// `invalid type: string "s3cr3t", expected i64` becomes `invalid type: a string, expected
/// i64`, and an unknown variant or field loses its name. Other messages are cut short.
fn redact(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((found, expected)) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.rsplit_once(", expected "))
        {
            return format!("{prefix}{}, expected {expected}", kind_of(found));
        }
    }
    for prefix in ["unknown variant", "unknown field"] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let tail = match (rest.rsplit_once(", expected "), rest.rsplit_once(", there are no ")) {
                (Some((_, expected)), _) => format!(", expected {expected}"),
                (None, Some((_, what))) => format!(", there are no {what}"),
                (None, None) => String::new(),
            };
            return format!("{prefix}{tail}");
        }
    }
    // serde_json's `arbitrary_precision` reads numbers by parsing their text into the field's
    // type, and says only this when the number does not fit (300 for a u8, 1.5 for an i64).
    if message == "invalid number" {
        return "invalid value: a number the field's type cannot hold".to_owned();
    }
    truncate(message, CUSTOM_MAX_CHARS).into_owned()
}

/// The kind serde's description of a found value starts with (`string "…"`, `integer `1``).
fn kind_of(found: &str) -> &'static str {
    match found.split(' ').next() {
        Some("string") => "a string",
        Some("integer") => "an integer",
        Some("floating") => "a floating point number",
        Some("boolean") => "a boolean",
        Some("character") => "a character",
        Some("sequence") => "a sequence",
        Some("map") => "a map",
        _ => "a value",
    }
}
