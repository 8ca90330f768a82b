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

use super::path::Tracker;
use super::{AttributePath, DecodeError, DecodeErrorKind, Number, PathStep, Type, Value};

/// Decodes `bytes` as one JSON value of type `ty`, leniently (see the module docs).
///
/// Errors (never panics) with [`DecodeErrorKind::Malformed`] at the root on anything that is
/// not one JSON document (invalid UTF-8, trailing data, nesting deeper than 128); with the
/// path of the offending part on input that does not fit `ty`. A repeated object key keeps
/// its last value, as in `serde_json`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let tree: Json = serde_json::from_slice(bytes).map_err(|err| {
        DecodeError::new(
            &AttributePath::root(),
            DecodeErrorKind::Malformed(format!("JSON: {err}")),
        )
    })?;
    coerce(tree, ty, Strictness::Lenient, &mut Tracker::new())
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
/// Errors, at the path `tracker` has reached, name the expected type and the JSON kind
/// found; a number whose text is not a decimal is `InvalidNumber`, an extra key under
/// [`Strictness::Strict`] is `UnsupportedAttribute`.
pub(crate) fn coerce(json: Json, ty: &Type, mode: Strictness, tracker: &mut Tracker) -> Result<Value, DecodeError> {
    let lenient = mode == Strictness::Lenient;
    match (ty, json) {
        (_, Json::Null) => Ok(Value::Null),
        (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(b)),
        (Type::Number, Json::Number(number)) => parse_number(&number.to_string(), tracker),
        (Type::String, Json::String(text)) => Ok(Value::String(text)),
        // go-cty converts between primitives when reading JSON; so do we.
        (Type::Bool, Json::String(text)) if lenient && (text == "true" || text == "false") => {
            Ok(Value::Bool(text == "true"))
        }
        (Type::Number, Json::String(text)) if lenient => parse_number(&text, tracker),
        (Type::String, Json::Number(number)) if lenient => Ok(Value::String(number.to_string())),
        (Type::String, Json::Bool(b)) if lenient => Ok(Value::String(b.to_string())),
        (Type::List(element) | Type::Set(element), Json::Array(items)) => {
            let is_set = matches!(ty, Type::Set(_));
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                out.push(tracker.element(is_set, index, |t| coerce(item, element, mode, t))?);
            }
            Ok(if is_set { Value::Set(out) } else { Value::List(out) })
        }
        (Type::Map(element), Json::Object(entries)) => {
            let mut out = BTreeMap::new();
            for (key, item) in entries {
                let item = tracker.step(PathStep::ElementKeyString(key.clone()), |t| {
                    coerce(item, element, mode, t)
                })?;
                out.insert(key, item);
            }
            Ok(Value::Map(out))
        }
        (Type::Object(attributes), Json::Object(mut entries)) => {
            let extra = entries.keys().find(|key| !attributes.contains_key(*key));
            if let (Strictness::Strict, Some(extra)) = (mode, extra) {
                let kind = DecodeErrorKind::UnsupportedAttribute(extra.clone());
                return Err(DecodeError::new(tracker.path(), kind));
            }
            let mut out = BTreeMap::new();
            for (name, attribute_type) in attributes {
                let item = entries.remove(name).unwrap_or(Json::Null);
                let step = PathStep::Attribute(name.clone());
                out.insert(
                    name.clone(),
                    tracker.step(step, |t| coerce(item, attribute_type, mode, t))?,
                );
            }
            Ok(Value::Object(out))
        }
        (_, json) => Err(DecodeError::new(
            tracker.path(),
            DecodeErrorKind::WrongType {
                expected: ty.to_string(),
                found: kind_name(&json),
            },
        )),
    }
}

fn parse_number(text: &str, tracker: &Tracker) -> Result<Value, DecodeError> {
    Number::parse(text)
        .map(Value::Number)
        .map_err(|_| DecodeError::new(tracker.path(), DecodeErrorKind::InvalidNumber))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, ty: &Type, text: &str, expected: &Value) {
        match decode(text.as_bytes(), ty) {
            Ok(decoded) => assert_eq!(&decoded, expected, "{name}: decode"),
            Err(err) => panic!("{name}: decode failed: {err}"),
        }
    }

    fn check_error(name: &str, ty: &Type, input: &[u8], path: &str, message: &str) {
        match decode(input, ty) {
            Ok(value) => panic!("{name}: decoded to {value:?}, expected an error"),
            Err(err) => {
                assert_eq!(err.path.to_string(), path, "{name}: path of {err}");
                assert!(
                    err.to_string().contains(message),
                    "{name}: {err} should mention {message:?}"
                );
            }
        }
    }

    fn s(text: &str) -> Value {
        Value::string(text)
    }

    fn n(int: i64) -> Value {
        Value::from(int)
    }

    fn big(text: &str) -> Value {
        Value::Number(Number::Big(text.to_owned()))
    }

    fn state_type() -> Type {
        Type::object([
            ("id", Type::String),
            ("name", Type::String),
            ("private_key", Type::String),
            ("role_names", Type::set(Type::String)),
        ])
    }

    #[test]
    fn json_vectors() {
        let vectors: Vec<(&str, Type, &str, Value)> = vec![
            ("null", Type::String, "null", Value::Null),
            ("string", Type::String, "\"hi\"", s("hi")),
            (
                "escapes",
                Type::String,
                r#""a\"b\\c\nd\u0001é/""#,
                s("a\"b\\c\nd\u{1}é/"),
            ),
            ("unicode escapes", Type::String, r#""\u00e9\ud83d\ude00\/""#, s("é😀/")),
            ("string from number", Type::String, "12.50", s("12.50")),
            ("string from bool", Type::String, "true", s("true")),
            ("bool", Type::Bool, "false", Value::Bool(false)),
            ("bool from string", Type::Bool, "\"true\"", Value::Bool(true)),
            ("int", Type::Number, "42", n(42)),
            ("negative", Type::Number, "-7", n(-7)),
            ("float", Type::Number, "1.5", Value::Number(Number::Float(1.5))),
            ("exponent", Type::Number, "1e300", Value::Number(Number::Float(1e300))),
            (
                "big int",
                Type::Number,
                "123456789012345678901234567890",
                big("123456789012345678901234567890"),
            ),
            (
                "precise decimal",
                Type::Number,
                "0.1000000000000000000001",
                big("0.1000000000000000000001"),
            ),
            ("number from string", Type::Number, "\"12\"", n(12)),
            (
                "list",
                Type::list(Type::String),
                "[\"a\",null]",
                Value::List(vec![s("a"), Value::Null]),
            ),
            ("set", Type::set(Type::Number), "[2,1]", Value::Set(vec![n(1), n(2)])),
            (
                "map",
                Type::map(Type::Bool),
                "{\"a\":true,\"b\":null}",
                Value::Map([("a".to_owned(), Value::Bool(true)), ("b".to_owned(), Value::Null)].into()),
            ),
            (
                "object",
                state_type(),
                "{\"id\":\"1\",\"name\":null,\"private_key\":\"s\",\"role_names\":[\"R\"]}",
                Value::object([
                    ("id", s("1")),
                    ("name", Value::Null),
                    ("private_key", s("s")),
                    ("role_names", Value::Set(vec![s("R")])),
                ]),
            ),
            (
                "raw state with a removed attribute and a new one",
                state_type(),
                "{\"id\":\"1\",\"removed_attr\":{\"x\":[1]},\"name\":\"k\",\"role_names\":[]}",
                Value::object([
                    ("id", s("1")),
                    ("name", s("k")),
                    ("private_key", Value::Null),
                    ("role_names", Value::Set(vec![])),
                ]),
            ),
            (
                "whitespace",
                Type::map(Type::list(Type::Number)),
                " \n{ \"a\" :\t[ 1 , 2 ]\r\n} ",
                Value::Map([("a".to_owned(), Value::List(vec![n(1), n(2)]))].into()),
            ),
        ];
        for (name, ty, text, value) in &vectors {
            check(name, ty, text, value);
        }
    }

    #[test]
    fn decode_errors_carry_paths() {
        let roles = Type::object([("role_names", Type::list(Type::String))]);
        let cases: Vec<(&str, Type, &[u8], &str, &str)> = vec![
            (
                "wrong element",
                roles.clone(),
                br#"{"role_names":["a",{}]}"#,
                "role_names[1]",
                "expected string, found object",
            ),
            (
                "wrong set element",
                state_type(),
                br#"{"role_names":["a",[]]}"#,
                "role_names",
                "expected string, found array",
            ),
            (
                "map value",
                Type::map(Type::Bool),
                br#"{"k":1}"#,
                "[\"k\"]",
                "expected bool, found number",
            ),
            (
                "bad number string",
                Type::Number,
                br#""abc""#,
                "",
                "invalid decimal number",
            ),
            ("trailing", Type::Number, b"1 2", "", "trailing characters"),
        ];
        for (name, ty, input, path, message) in &cases {
            check_error(name, ty, input, path, message);
        }
    }

    #[test]
    fn malformed_json_is_an_error_at_the_root() {
        let roles = Type::object([("role_names", Type::list(Type::String))]);
        let cases: Vec<(&str, &[u8])> = vec![
            ("truncated", br#"{"role_names":"#),
            ("empty", b""),
            ("only whitespace", b"  "),
            ("bad literal", b"nul"),
            ("leading zero", b"01"),
            ("bare minus", b"-"),
            ("dot without digits", b"1."),
            ("exponent without digits", b"1e+"),
            ("plus sign", b"+1"),
            ("bad escape", br#""\x""#),
            ("short unicode escape", br#""\u12""#),
            ("lone high surrogate", br#""\ud800""#),
            ("lone low surrogate", br#""\udc00""#),
            ("control character", b"\"a\x01\""),
            ("unterminated string", b"\"abc"),
            ("missing colon", br#"{"a" 1}"#),
            ("trailing comma", b"[1,]"),
            ("unquoted key", b"{a:1}"),
            ("invalid utf-8", b"\"\xff\""),
            ("escape at end", b"\"\\"),
        ];
        for (name, input) in cases {
            check_error(name, &roles, input, "", "malformed JSON");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        check_error("deep arrays", &Type::String, deep.as_bytes(), "", "recursion limit");
        let deep_objects = "{\"a\":".repeat(100_000);
        check_error(
            "deep objects",
            &Type::String,
            deep_objects.as_bytes(),
            "",
            "recursion limit",
        );
        let mut ok_type = Type::Number;
        for _ in 0..100 {
            ok_type = Type::list(ok_type);
        }
        let ok = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        assert!(decode(ok.as_bytes(), &ok_type).is_ok());
    }
}
