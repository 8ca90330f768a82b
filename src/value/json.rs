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

#[cfg(test)]
mod tests {
    use super::super::tests::{list, map, n, num, s, set};
    use super::*;
    use Type::{Bool, Number as Num, String as Str};

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

    fn state_type() -> Type {
        Type::object([
            ("id", Str),
            ("name", Str),
            ("private_key", Str),
            ("role_names", Type::set(Str)),
        ])
    }

    #[test]
    fn json_vectors() {
        let state = |name: Value, private_key: Value, roles: Value| {
            Value::object([
                ("id", s("1")),
                ("name", name),
                ("private_key", private_key),
                ("role_names", roles),
            ])
        };
        let vectors = [
            ("null", Str, "null", Value::Null),
            ("string", Str, "\"hi\"", s("hi")),
            ("escapes", Str, r#""a\"b\\c\nd\u0001é/""#, s("a\"b\\c\nd\u{1}é/")),
            ("unicode escapes", Str, r#""\u00e9\ud83d\ude00\/""#, s("é😀/")),
            ("string from number", Str, "12.50", s("12.50")),
            ("string from bool", Str, "true", s("true")),
            ("bool", Bool, "false", Value::Bool(false)),
            ("bool from string", Bool, "\"true\"", Value::Bool(true)),
            ("int", Num, "42", n(42)),
            ("negative", Num, "-7", n(-7)),
            ("float", Num, "1.5", num("1.5")),
            ("exponent", Num, "1e300", num("1e300")),
            (
                "big int",
                Num,
                "123456789012345678901234567890",
                num("123456789012345678901234567890"),
            ),
            (
                "precise decimal",
                Num,
                "0.1000000000000000000001",
                num("0.1000000000000000000001"),
            ),
            ("number from string", Num, "\"12\"", n(12)),
            ("list", Type::list(Str), "[\"a\",null]", list([s("a"), Value::Null])),
            ("set", Type::set(Num), "[2,1]", set([n(1), n(2)])),
            (
                "map",
                Type::map(Bool),
                "{\"a\":true,\"b\":null}",
                map([("a", Value::Bool(true)), ("b", Value::Null)]),
            ),
            (
                "object",
                state_type(),
                "{\"id\":\"1\",\"name\":null,\"private_key\":\"s\",\"role_names\":[\"R\"]}",
                state(Value::Null, s("s"), set([s("R")])),
            ),
            (
                "raw state with a removed attribute and a new one",
                state_type(),
                "{\"id\":\"1\",\"removed_attr\":{\"x\":[1]},\"name\":\"k\",\"role_names\":[]}",
                state(s("k"), Value::Null, set([])),
            ),
            (
                "whitespace",
                Type::map(Type::list(Num)),
                " \n{ \"a\" :\t[ 1 , 2 ]\r\n} ",
                map([("a", list([n(1), n(2)]))]),
            ),
        ];
        for (name, ty, text, expected) in &vectors {
            assert_eq!(decode(text.as_bytes(), ty).as_ref(), Ok(expected), "{name}");
        }
    }

    #[test]
    fn decode_errors_carry_paths() {
        let roles = Type::object([("role_names", Type::list(Str))]);
        let cases: [(&str, Type, &[u8], &str, &str); 6] = [
            (
                "wrong element",
                roles,
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
                Type::map(Bool),
                br#"{"k":1}"#,
                "[\"k\"]",
                "expected bool, found number",
            ),
            ("bad number string", Num, br#""abc""#, "", "invalid decimal number"),
            (
                "exponent beyond i64",
                Num,
                b"1e99999999999999999999",
                "",
                "invalid decimal number",
            ),
            ("trailing", Num, b"1 2", "", "trailing characters"),
        ];
        for (name, ty, input, path, message) in &cases {
            check_error(name, ty, input, path, message);
        }
    }

    #[test]
    fn malformed_json_is_an_error_at_the_root() {
        let roles = Type::object([("role_names", Type::list(Str))]);
        let cases: [&[u8]; 20] = [
            br#"{"role_names":"#, // truncated
            b"",
            b"  ",
            b"nul",
            b"01",
            b"-",
            b"1.",
            b"1e+",
            b"+1",
            br#""\x""#,     // bad escape
            br#""\u12""#,   // short unicode escape
            br#""\ud800""#, // lone high surrogate
            br#""\udc00""#, // lone low surrogate
            b"\"a\x01\"",   // control character
            b"\"abc",       // unterminated string
            br#"{"a" 1}"#,  // missing colon
            b"[1,]",        // trailing comma
            b"{a:1}",       // unquoted key
            b"\"\xff\"",    // invalid UTF-8
            b"\"\\",        // escape at end
        ];
        for input in cases {
            check_error(&String::from_utf8_lossy(input), &roles, input, "", "malformed JSON");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        check_error(
            "deep arrays",
            &Str,
            "[".repeat(100_000).as_bytes(),
            "",
            "recursion limit",
        );
        check_error(
            "deep objects",
            &Str,
            "{\"a\":".repeat(100_000).as_bytes(),
            "",
            "recursion limit",
        );
        let ok_type = (0..100).fold(Num, |ty, _| Type::list(ty));
        let ok = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        assert!(decode(ok.as_bytes(), &ok_type).is_ok());
    }
}
