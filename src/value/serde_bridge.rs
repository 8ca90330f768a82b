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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet, HashMap};
    use std::fmt;

    use serde::{de, Deserialize, Serialize};

    use super::super::tests::{list, map, n, num, s, set};
    use super::*;
    use Type::{Bool, String as Str};

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
        let assignment = Type::object([("project_id", Str), ("role_names", Type::set(Str))]);
        Type::object([
            ("org_id", Str),
            ("description", Str),
            ("role_names", Type::set(Str)),
            ("project_assignment", Type::list(assignment)),
            ("private_key", Str),
            ("count", Type::Number),
            ("enabled", Bool),
            ("status", Str),
            // Not in the struct: written as null, ignored when read.
            ("computed_only", Str),
        ])
    }

    fn sample() -> State {
        let strings = |items: &[&str]| items.iter().map(|item| item.to_string()).collect();
        State {
            org_id: "o1".into(),
            description: None,
            role_names: strings(&["ORG_OWNER", "ORG_MEMBER"]),
            project_assignment: vec![Assignment {
                project_id: "p1".into(),
                role_names: strings(&["GROUP_READ_ONLY"]),
            }],
            private_key: Some(Secret("s3cr3t-value".into())),
            count: Some(3),
            enabled: true,
            status: Status::Active,
        }
    }

    /// The sample as a value, with `replacement` at `path`.
    fn sample_with(path: &AttributePath, replacement: Value) -> Value {
        let mut value = to_value(&sample(), &state_type()).unwrap_or_else(|err| panic!("to_value: {err}"));
        let mut target = Some(&mut value);
        for step in path.steps() {
            target = match (target, step) {
                (Some(Value::Object(attributes)), PathStep::Attribute(name)) => attributes.get_mut(name),
                (Some(Value::List(items)), PathStep::ElementKeyInt(index)) => {
                    usize::try_from(*index).ok().and_then(|index| items.get_mut(index))
                }
                _ => None,
            };
        }
        *target.unwrap_or_else(|| panic!("no value at {path}")) = replacement;
        value
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
        let value = sample_with(&AttributePath::attr("org_id"), s("o1"));
        let assignment = Value::object([("project_id", s("p1")), ("role_names", set([s("GROUP_READ_ONLY")]))]);
        let expected = Value::object([
            ("org_id", s("o1")),
            ("description", Value::Null),
            ("role_names", set([s("ORG_OWNER"), s("ORG_MEMBER")])),
            ("project_assignment", list([assignment])),
            ("private_key", s("s3cr3t-value")),
            ("count", n(3)),
            ("enabled", Value::Bool(true)),
            ("status", s("ACTIVE")),
            ("computed_only", Value::Null),
        ]);
        assert_eq!(value, expected);
        check(&value, Ok(sample()));
        // And through the wire codecs, as the framework will use it.
        let bytes = crate::value::msgpack::encode(&value, &state_type()).map_err(|err| err.to_string());
        let decoded = bytes.and_then(|b| crate::value::msgpack::decode(&b, &state_type()).map_err(|e| e.to_string()));
        assert_eq!(decoded, Ok(value));
    }

    #[test]
    fn null_and_unknown_read_as_none() {
        let value = sample_with(&AttributePath::attr("private_key"), Value::Unknown);
        let value = match value {
            Value::Object(mut attributes) => {
                attributes.insert("count".into(), Value::Null);
                Value::Object(attributes)
            }
            other => other,
        };
        let state = from_value::<State>(&value).map(|state| (state.private_key, state.count));
        assert_eq!(state, Ok((None, None)));
    }

    #[test]
    fn errors_name_the_path_and_never_the_content() {
        let secret = || s("s3cr3t-value");
        let roles = AttributePath::attr("project_assignment").then_index(0);
        let cases = [
            ("org_id", Value::Null, "at org_id: value is null"),
            ("org_id", Value::Unknown, "at org_id: value is unknown"),
            ("count", secret(), "at count: invalid type: a string, expected i64"),
            (
                "enabled",
                secret(),
                "at enabled: invalid type: a string, expected a boolean",
            ),
            (
                "status",
                secret(),
                "at status: unknown variant, expected `ACTIVE` or `DISABLED`",
            ),
            (
                "role_names",
                s("x"),
                "at role_names: invalid type: a string, expected a sequence",
            ),
        ];
        let cases = cases.map(|(attr, replacement, message)| (AttributePath::attr(attr), replacement, message));
        let nested = [
            (
                roles.clone().then_attr("role_names"),
                set([Value::Bool(true)]),
                "at project_assignment[0].role_names: invalid type: a boolean, expected a string",
            ),
            (
                roles.then_attr("project_id"),
                Value::Null,
                "at project_assignment[0].project_id: value is null",
            ),
            (AttributePath::root(), Value::Null, "value is null"),
        ];
        for (path, replacement, expected) in cases.into_iter().chain(nested) {
            let err = from_value::<State>(&sample_with(&path, replacement)).map(|_| ());
            assert_eq!(err.map_err(|err| err.to_string()), Err(expected.to_owned()));
        }
    }

    #[test]
    fn numbers_read_into_any_exact_rust_type() {
        let big = num("123456789012345678901234567890");
        let too_big = "invalid value: a number the field's type cannot hold";
        check::<i64>(&n(-5), Ok(-5));
        check::<u8>(&n(200), Ok(200));
        check::<u8>(&n(300), Err(too_big));
        check::<u64>(&num("18446744073709551615"), Ok(u64::MAX));
        check::<i64>(&num("3.0"), Ok(3));
        check::<i64>(&num("1e3"), Ok(1000));
        check::<f64>(&num("0.5"), Ok(0.5));
        check::<f64>(&n(2), Ok(2.0));
        check::<f64>(&big, Ok(1.2345678901234568e29));
        check::<i64>(&num("1.5"), Err(too_big));
        check::<serde_json::Value>(&big, Ok(serde_json::json!(1.2345678901234568e29)));
        check::<serde_json::Value>(&num("1e400"), Ok(serde_json::json!("1e+400")));
    }

    #[test]
    fn other_shapes_read_naturally() {
        let pairs = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        check::<HashMap<String, String>>(
            &map([("a", s("x")), ("b", s("y"))]),
            Ok(pairs(&[("a", "x"), ("b", "y")])),
        );
        check::<(String, i64)>(&list([s("a"), n(1)]), Ok(("a".to_owned(), 1)));
        check::<(String,)>(
            &list([s("a"), n(1)]),
            Err("invalid length 2, expected fewer elements in array"),
        );
        check::<Vec<Option<String>>>(&list([Value::Null, s("a")]), Ok(vec![None, Some("a".to_owned())]));
        check::<()>(&Value::Null, Ok(()));
        let object = Value::object([("a", list([Value::Bool(true), Value::Null]))]);
        check::<serde_json::Value>(&object, Ok(serde_json::json!({"a": [true, null]})));
        check::<serde_json::Value>(&Value::Unknown, Err("value is unknown"));
    }

    #[test]
    fn to_value_follows_the_type() {
        let tags: HashMap<String, String> = [("env".to_owned(), "dev".to_owned())].into();
        assert_eq!(to_value(&tags, &Type::map(Str)), Ok(map([("env", s("dev"))])));
        assert_eq!(to_value(&vec!["b", "a"], &Type::set(Str)), Ok(set([s("a"), s("b")])));
        assert_eq!(to_value(&Secret("k".into()), &Str), Ok(s("k")));
        assert_eq!(to_value(&None::<String>, &Str), Ok(Value::Null));
        assert_eq!(to_value(&u128::MAX, &Type::Number), Ok(num(&u128::MAX.to_string())));
        assert_eq!(to_value(&0.1f32, &Type::Number), Ok(num("0.1")));
    }

    #[test]
    fn to_value_errors_carry_paths() {
        let error = |result: Result<Value, Error>| result.map_err(|err| err.to_string());
        let narrow = Type::object([("org_id", Str)]);
        let extra_field = "field \"count\" is not an attribute of the object type";
        assert_eq!(error(to_value(&sample(), &narrow)), Err(extra_field.to_owned()));
        let mut ty = state_type();
        if let Type::Object(attributes) = &mut ty {
            attributes.insert("enabled".into(), Str);
            let assignment = Type::object([("project_id", Bool), ("role_names", Type::set(Str))]);
            attributes.insert("project_assignment".into(), Type::list(assignment));
        }
        assert_eq!(
            error(to_value(&sample(), &ty)),
            Err("at enabled: expected string, found bool".to_owned())
        );
        let bad_set = Type::object([("role_names", Type::set(Bool))]);
        let value = serde_json::json!({"role_names": ["x"]});
        assert_eq!(
            error(to_value(&value, &bad_set)),
            Err("at role_names: expected bool, found string".to_owned())
        );
        let keyed: BTreeMap<(u8, u8), String> = [((1, 2), "x".to_owned())].into();
        let keyed_type = Type::object([("tags", Type::map(Str))]);
        let keyed = to_value(&BTreeMap::from([("tags", keyed)]), &keyed_type);
        assert_eq!(error(keyed), Err("at tags: key must be a string".to_owned()));
    }
}
