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
use super::path::Tracker;
use super::{
    truncate, AttributePath, DecodeErrorKind, Number, PathPrefix, PathStep, Quoted, Type, Value, ECHO_MAX_CHARS,
};

/// A value that does not fit the requested Rust type, or a Rust value that does
/// not fit the requested [`Type`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", PathPrefix(path))]
pub struct SerdeError {
    /// Where in the value the problem is; the root when unknown.
    pub path: AttributePath,
    /// What went wrong; never contains string or number content.
    pub message: String,
}

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
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, SerdeError> {
    if value.is_unknown() {
        return Err(SerdeError {
            path: AttributePath::root(),
            message: "value is unknown".to_owned(),
        });
    }
    serde_path_to_error::deserialize(to_json(value)).map_err(|err| {
        let (path, failed) = walk(value, err.path(), value_child);
        let message = match failed {
            Value::Null => "value is null".to_owned(),
            Value::Unknown => "value is unknown".to_owned(),
            _ => redact(&err.inner().to_string()),
        };
        SerdeError { path, message }
    })
}

/// Writes a typed struct as a value of type `ty`.
///
/// `None` and `()` become null; sequences become the list or set `ty` asks for; structs and
/// maps become objects or maps (object attributes the struct lacks are null, struct fields the
/// object lacks are an error); a newtype struct is its inner value and a unit enum variant is
/// its name. Non-finite floats become null, as in serde_json. Errors carry the path where the
/// value did not fit `ty`.
pub fn to_value<T: Serialize>(value: &T, ty: &Type) -> Result<Value, SerdeError> {
    let json = serde_path_to_error::serialize(value, serde_json::value::Serializer).map_err(|err| SerdeError {
        path: walk(ty, err.path(), type_child).0,
        message: truncate(&err.inner().to_string(), CUSTOM_MAX_CHARS).into_owned(),
    })?;
    coerce(json, ty, Strictness::Strict, &mut Tracker::new()).map_err(|err| SerdeError {
        message: match err.kind {
            DecodeErrorKind::UnsupportedAttribute(name) => {
                format!("field {} is not an attribute of the object type", Quoted(&name))
            }
            kind => kind.to_string(),
        },
        path: err.path,
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

/// Whole numbers as JSON integers, so that integer fields take `Float(3.0)` and `Big("1e3")`;
/// other numbers as the nearest `f64`, the most a float field can take. What no `f64` holds
/// (invalid text, NaN, infinities) becomes its text, which a number field refuses.
fn number_to_json(number: &Number) -> Json {
    if let Some(int) = number.as_i64() {
        return Json::from(int);
    }
    if let Some(uint) = number.as_u64() {
        return Json::from(uint);
    }
    match number.as_f64().and_then(serde_json::Number::from_f64) {
        Some(float) => Json::Number(float),
        None => Json::String(number.to_string()),
    }
}

/// Follows serde's `path` from `root`, returning the attribute path and the node reached.
/// `child` gives the node a segment leads to and its step, `None` for a set element: set
/// elements have no address, so no step is added from there on. Stops at the first segment
/// `child` cannot follow.
fn walk<N: Copy>(
    root: N,
    path: &Path,
    child: impl Fn(N, &Segment) -> Option<(N, Option<PathStep>)>,
) -> (AttributePath, N) {
    let mut attribute_path = AttributePath::root();
    let mut in_set = false;
    let mut node = root;
    for segment in path.iter() {
        let Some((next, step)) = child(node, segment) else {
            break;
        };
        match step {
            Some(step) if !in_set => attribute_path.push(step),
            Some(_) => {}
            None => in_set = true,
        }
        node = next;
    }
    (attribute_path, node)
}

fn value_child<'a>(value: &'a Value, segment: &Segment) -> Option<(&'a Value, Option<PathStep>)> {
    match (value, segment) {
        (Value::Object(attributes), Segment::Map { key }) => {
            Some((attributes.get(key)?, Some(PathStep::Attribute(key.clone()))))
        }
        (Value::Map(entries), Segment::Map { key }) => {
            Some((entries.get(key)?, Some(PathStep::ElementKeyString(key.clone()))))
        }
        (Value::List(items), Segment::Seq { index }) => Some((items.get(*index)?, Some(index_step(*index)))),
        (Value::Set(items), Segment::Seq { index }) => Some((items.get(*index)?, None)),
        _ => None,
    }
}

fn type_child<'a>(ty: &'a Type, segment: &Segment) -> Option<(&'a Type, Option<PathStep>)> {
    match (ty, segment) {
        (Type::Object(attributes), Segment::Map { key }) => {
            Some((attributes.get(key)?, Some(PathStep::Attribute(key.clone()))))
        }
        (Type::Map(element), Segment::Map { key }) => {
            Some((element.as_ref(), Some(PathStep::ElementKeyString(key.clone()))))
        }
        (Type::List(element), Segment::Seq { index }) => Some((element.as_ref(), Some(index_step(*index)))),
        (Type::Set(element), Segment::Seq { .. }) => Some((element.as_ref(), None)),
        _ => None,
    }
}

fn index_step(index: usize) -> PathStep {
    PathStep::ElementKeyInt(i64::try_from(index).unwrap_or(i64::MAX))
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet, HashMap};
    use std::fmt;

    use serde::{de, Deserialize, Serialize};

    use super::*;

    /// A redacting newtype, as resources use for private keys.
    #[derive(Serialize, Deserialize, PartialEq)]
    struct Secret(String);

    impl fmt::Debug for Secret {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("<redacted>")
        }
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Assignment {
        project_id: String,
        role_names: BTreeSet<String>,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    enum Status {
        Active,
        Disabled,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct State {
        org_id: String,
        description: Option<String>,
        role_names: BTreeSet<String>,
        project_assignment: Vec<Assignment>,
        private_key: Option<Secret>,
        count: Option<i64>,
        enabled: bool,
        status: Status,
    }

    fn state_type() -> Type {
        Type::object([
            ("org_id", Type::String),
            ("description", Type::String),
            ("role_names", Type::set(Type::String)),
            (
                "project_assignment",
                Type::list(Type::object([
                    ("project_id", Type::String),
                    ("role_names", Type::set(Type::String)),
                ])),
            ),
            ("private_key", Type::String),
            ("count", Type::Number),
            ("enabled", Type::Bool),
            ("status", Type::String),
            // Not in the struct: written as null, ignored when read.
            ("computed_only", Type::String),
        ])
    }

    fn sample() -> State {
        State {
            org_id: "o1".into(),
            description: None,
            role_names: ["ORG_OWNER".to_owned(), "ORG_MEMBER".to_owned()].into(),
            project_assignment: vec![Assignment {
                project_id: "p1".into(),
                role_names: ["GROUP_READ_ONLY".to_owned()].into(),
            }],
            private_key: Some(Secret("s3cr3t-value".into())),
            count: Some(3),
            enabled: true,
            status: Status::Active,
        }
    }

    fn s(text: &str) -> Value {
        Value::string(text)
    }

    fn check<T>(value: &Value, expected: Result<T, &str>)
    where
        T: de::DeserializeOwned + PartialEq + fmt::Debug,
    {
        let result = from_value::<T>(value).map_err(|err| err.to_string());
        assert_eq!(result, expected.map_err(str::to_owned), "from {value:?}");
    }

    #[test]
    fn struct_round_trips_through_a_typed_value() {
        let value = match to_value(&sample(), &state_type()) {
            Ok(value) => value,
            Err(err) => panic!("to_value: {err}"),
        };
        let expected = Value::object([
            ("org_id", s("o1")),
            ("description", Value::Null),
            ("role_names", Value::Set(vec![s("ORG_OWNER"), s("ORG_MEMBER")])),
            (
                "project_assignment",
                Value::List(vec![Value::object([
                    ("project_id", s("p1")),
                    ("role_names", Value::Set(vec![s("GROUP_READ_ONLY")])),
                ])]),
            ),
            ("private_key", s("s3cr3t-value")),
            ("count", Value::from(3)),
            ("enabled", Value::Bool(true)),
            ("status", s("ACTIVE")),
            ("computed_only", Value::Null),
        ]);
        assert_eq!(value, expected);
        check(&value, Ok(sample()));
        // And through the wire codecs, as the framework will use it.
        let bytes = crate::value::msgpack::encode(&value, &state_type());
        let decoded = bytes.and_then(|b| {
            crate::value::msgpack::decode(&b, &state_type()).map_err(|err| {
                crate::value::EncodeError::new(&err.path, crate::value::EncodeErrorKind::Write(err.to_string()))
            })
        });
        assert_eq!(decoded.as_ref(), Ok(&value));
    }

    #[test]
    fn null_and_unknown_read_as_none() {
        let mut value = match to_value(&sample(), &state_type()) {
            Ok(value) => value,
            Err(err) => panic!("to_value: {err}"),
        };
        if let Some(key) = value.get_mut("private_key") {
            *key = Value::Unknown;
        }
        if let Some(count) = value.get_mut("count") {
            *count = Value::Null;
        }
        let state: Result<State, _> = from_value(&value);
        let state = state.map(|state| (state.private_key, state.count));
        assert_eq!(state, Ok((None, None)));
    }

    #[test]
    fn errors_name_the_path_and_never_the_content() {
        let base = || match to_value(&sample(), &state_type()) {
            Ok(value) => value,
            Err(err) => panic!("to_value: {err}"),
        };
        let with = |path: AttributePath, replacement: Value| {
            let mut value = base();
            set_at(&mut value, path.steps(), replacement);
            value
        };
        let cases: Vec<(Value, &str)> = vec![
            (
                with(AttributePath::attr("org_id"), Value::Null),
                "at org_id: value is null",
            ),
            (
                with(AttributePath::attr("org_id"), Value::Unknown),
                "at org_id: value is unknown",
            ),
            (
                with(AttributePath::attr("count"), s("s3cr3t-value")),
                "at count: invalid type: a string, expected i64",
            ),
            (
                with(AttributePath::attr("enabled"), s("s3cr3t-value")),
                "at enabled: invalid type: a string, expected a boolean",
            ),
            (
                with(
                    AttributePath::attr("project_assignment")
                        .then_index(0)
                        .then_attr("role_names"),
                    Value::Set(vec![Value::Bool(true)]),
                ),
                "at project_assignment[0].role_names: invalid type: a boolean, expected a string",
            ),
            (
                with(
                    AttributePath::attr("project_assignment")
                        .then_index(0)
                        .then_attr("project_id"),
                    Value::Null,
                ),
                "at project_assignment[0].project_id: value is null",
            ),
            (
                with(AttributePath::attr("status"), s("s3cr3t-value")),
                "at status: unknown variant, expected `ACTIVE` or `DISABLED`",
            ),
            (
                with(AttributePath::attr("role_names"), s("x")),
                "at role_names: invalid type: a string, expected a sequence",
            ),
            (Value::Null, "value is null"),
        ];
        for (value, expected) in cases {
            let err = from_value::<State>(&value).map(|_| ()).map_err(|err| err.to_string());
            assert_eq!(err, Err(expected.to_owned()));
        }
    }

    /// Replaces the value at `steps`, for building bad inputs.
    fn set_at(value: &mut Value, steps: &[PathStep], replacement: Value) {
        let Some((first, rest)) = steps.split_first() else {
            *value = replacement;
            return;
        };
        let next = match (value, first) {
            (Value::Object(attributes), PathStep::Attribute(name)) => attributes.get_mut(name),
            (Value::List(items), PathStep::ElementKeyInt(index)) => {
                usize::try_from(*index).ok().and_then(|i| items.get_mut(i))
            }
            _ => None,
        };
        match next {
            Some(next) => set_at(next, rest, replacement),
            None => panic!("no value at {steps:?}"),
        }
    }

    #[test]
    fn numbers_read_into_any_exact_rust_type() {
        let big = Value::Number(Number::Big("123456789012345678901234567890".into()));
        check::<i64>(&Value::from(-5), Ok(-5));
        check::<u8>(&Value::from(200), Ok(200));
        check::<u8>(
            &Value::from(300),
            Err("invalid value: a number the field's type cannot hold"),
        );
        check::<u64>(&Value::Number(Number::UInt(u64::MAX)), Ok(u64::MAX));
        check::<i64>(&Value::Number(Number::Float(3.0)), Ok(3));
        check::<i64>(&Value::Number(Number::Big("1e3".into())), Ok(1000));
        check::<f64>(&Value::Number(Number::Big("0.5".into())), Ok(0.5));
        check::<f64>(&Value::from(2), Ok(2.0));
        check::<f64>(&big, Ok(1.2345678901234568e29));
        check::<i64>(
            &Value::Number(Number::Float(1.5)),
            Err("invalid value: a number the field's type cannot hold"),
        );
        check::<serde_json::Value>(&big, Ok(serde_json::json!(1.2345678901234568e29)));
    }

    #[test]
    fn other_shapes_read_naturally() {
        let map = Value::Map([("a".to_owned(), s("x")), ("b".to_owned(), s("y"))].into());
        check::<HashMap<String, String>>(
            &map,
            Ok([("a".to_owned(), "x".to_owned()), ("b".to_owned(), "y".to_owned())].into()),
        );
        check::<(String, i64)>(&Value::List(vec![s("a"), Value::from(1)]), Ok(("a".to_owned(), 1)));
        check::<(String,)>(
            &Value::List(vec![s("a"), Value::from(1)]),
            Err("invalid length 2, expected fewer elements in array"),
        );
        check::<Vec<Option<String>>>(
            &Value::List(vec![Value::Null, s("a")]),
            Ok(vec![None, Some("a".to_owned())]),
        );
        check::<()>(&Value::Null, Ok(()));
        check::<serde_json::Value>(
            &Value::object([("a", Value::List(vec![Value::Bool(true), Value::Null]))]),
            Ok(serde_json::json!({"a": [true, null]})),
        );
        check::<serde_json::Value>(&Value::Unknown, Err("value is unknown"));
    }

    #[test]
    fn to_value_follows_the_type() {
        let tags: HashMap<String, String> = [("env".to_owned(), "dev".to_owned())].into();
        assert_eq!(
            to_value(&tags, &Type::map(Type::String)),
            Ok(Value::Map([("env".to_owned(), s("dev"))].into()))
        );
        assert_eq!(
            to_value(&vec!["b", "a"], &Type::set(Type::String)),
            Ok(Value::Set(vec![s("a"), s("b")]))
        );
        assert_eq!(to_value(&Secret("k".into()), &Type::String), Ok(s("k")));
        assert_eq!(to_value(&None::<String>, &Type::String), Ok(Value::Null));
        assert_eq!(
            to_value(&u128::MAX, &Type::Number),
            Ok(Value::Number(Number::Big(u128::MAX.to_string())))
        );
        assert_eq!(to_value(&0.1f32, &Type::Number), Ok(Value::Number(Number::Float(0.1))));
    }

    #[test]
    fn to_value_errors_carry_paths() {
        let narrow = Type::object([("org_id", Type::String)]);
        let error = |result: Result<Value, SerdeError>| result.map_err(|err| err.to_string());
        assert_eq!(
            error(to_value(&sample(), &narrow)),
            Err("field \"count\" is not an attribute of the object type".to_owned())
        );
        let mut ty = state_type();
        if let Type::Object(attributes) = &mut ty {
            attributes.insert("enabled".into(), Type::String);
            attributes.insert(
                "project_assignment".into(),
                Type::list(Type::object([
                    ("project_id", Type::Bool),
                    ("role_names", Type::set(Type::String)),
                ])),
            );
        }
        assert_eq!(
            error(to_value(&sample(), &ty)),
            Err("at enabled: expected string, found bool".to_owned())
        );
        let bad_set = Type::object([("role_names", Type::set(Type::Bool))]);
        let value = serde_json::json!({"role_names": ["x"]});
        assert_eq!(
            error(to_value(&value, &bad_set)),
            Err("at role_names: expected bool, found string".to_owned())
        );
        let keyed: BTreeMap<(u8, u8), String> = [((1, 2), "x".to_owned())].into();
        let keyed_type = Type::object([("tags", Type::map(Type::String))]);
        assert_eq!(
            error(to_value(&BTreeMap::from([("tags", keyed)]), &keyed_type)),
            Err("at tags: key must be a string".to_owned())
        );
    }
}
