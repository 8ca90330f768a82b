//! The msgpack codec for `DynamicValue.msgpack`, the form Terraform always sends.
//!
//! The layout follows go-cty's `cty/msgpack` as described in Terraform's
//! `docs/plugin-protocol/object-wire-format.md`: nil is null, any extension is
//! unknown (Terraform writes `d4 00 00`; refined unknowns use extension type 12),
//! numbers are ints, floats or decimal strings, and objects are maps with every
//! attribute present.
//!
//! Decoding first reads the bytes with `rmpv` (bounded depth, no allocation from
//! untrusted lengths), then walks the result guided by the [`Type`].

use std::collections::BTreeMap;

use rmpv::Value as Raw;

use super::path::Tracker;
use super::{AttributePath, DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind, Number, PathStep, Type, Value};

/// Maximum nesting `rmpv` may read. Every array or map level uses two of these,
/// so values can nest about 128 deep, far more than any schema needs, while a
/// hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 256;

/// Decodes `bytes` as one msgpack value of type `ty`.
///
/// Errors (never panics) on malformed or truncated input, trailing bytes, input that
/// does not fit `ty`, and object attributes that `ty` does not declare; attributes
/// `ty` declares but the input lacks become null.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let malformed = |what: String| DecodeError::new(&AttributePath::root(), DecodeErrorKind::Malformed(what));
    if bytes.is_empty() {
        // rmpv would say "failed to read marker"; say what an empty value means instead.
        return Err(malformed(
            "msgpack: empty input, but every value is encoded (null as nil, byte 0xc0)".to_owned(),
        ));
    }
    let mut reader = bytes;
    let raw = rmpv::decode::read_value_with_max_depth(&mut reader, MAX_DEPTH)
        .map_err(|err| malformed(format!("msgpack: {err}")))?;
    if !reader.is_empty() {
        return Err(DecodeError::new(&AttributePath::root(), DecodeErrorKind::TrailingBytes));
    }
    // rmpv reads the reserved marker as nil, which would turn garbage into a null.
    if let Some(offset) = reserved_marker(bytes) {
        return Err(malformed(format!(
            "msgpack: reserved byte 0xc1 at offset {offset}, which no msgpack value starts with"
        )));
    }
    decode_raw(raw, ty, &mut Tracker::new())
}

/// The offset of the first value in `bytes` that starts with the reserved marker `0xc1`,
/// which msgpack never uses. Walks the item structure without recursion, skipping the
/// payloads of strings, binaries, extensions and numbers, so `0xc1` inside data is fine.
/// Input that ends early gives `None`: the caller has already rejected it.
fn reserved_marker(bytes: &[u8]) -> Option<usize> {
    let mut pos = 0usize;
    // Values still to be read: one at the start, more for each array or map header.
    let mut pending: u64 = 1;
    while pending > 0 {
        let marker = *bytes.get(pos)?;
        let start = pos;
        pos += 1;
        pending -= 1;
        let length = |size: usize| -> Option<u64> {
            let field = bytes.get(start + 1..start + 1 + size)?;
            Some(field.iter().fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte)))
        };
        // (bytes of length field or fixed payload after the marker, payload bytes, values contained)
        let (header, payload, values): (usize, u64, u64) = match marker {
            0xc1 => return Some(start),
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, 0, 0),
            0x80..=0x8f => (0, 0, 2 * u64::from(marker & 0x0f)),
            0x90..=0x9f => (0, 0, u64::from(marker & 0x0f)),
            0xa0..=0xbf => (0, u64::from(marker & 0x1f), 0),
            0xc4 | 0xd9 => (1, length(1)?, 0),
            0xc5 | 0xda => (2, length(2)?, 0),
            0xc6 | 0xdb => (4, length(4)?, 0),
            // ext 8/16/32: length, then a type byte, then the body.
            0xc7 => (1, length(1)? + 1, 0),
            0xc8 => (2, length(2)? + 1, 0),
            0xc9 => (4, length(4)? + 1, 0),
            0xca | 0xce | 0xd2 => (4, 0, 0),
            0xcb | 0xcf | 0xd3 => (8, 0, 0),
            0xcc | 0xd0 => (1, 0, 0),
            0xcd | 0xd1 => (2, 0, 0),
            // fixext 1/2/4/8/16: a type byte and the body.
            0xd4 => (2, 0, 0),
            0xd5 => (3, 0, 0),
            0xd6 => (5, 0, 0),
            0xd7 => (9, 0, 0),
            0xd8 => (17, 0, 0),
            0xdc => (2, 0, length(2)?),
            0xdd => (4, 0, length(4)?),
            0xde => (2, 0, 2 * length(2)?),
            0xdf => (4, 0, 2 * length(4)?),
        };
        pos = pos.checked_add(header)?.checked_add(usize::try_from(payload).ok()?)?;
        pending = pending.checked_add(values)?;
    }
    None
}

/// Encodes `value` as msgpack of type `ty`.
///
/// Objects are written with every attribute of `ty` in sorted order, null for
/// those the value lacks. Errors when the value does not fit `ty`: a wrong kind,
/// an object attribute `ty` does not declare, or invalid `Number::Big` text. Lists
/// and sets are interchangeable as values (both are arrays), as are maps and objects.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    let raw = encode_raw(value, ty, &mut Tracker::new())?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &raw)
        .map_err(|err| EncodeError::new(&AttributePath::root(), EncodeErrorKind::Write(err.to_string())))?;
    Ok(out)
}

fn decode_raw(raw: Raw, ty: &Type, tracker: &mut Tracker) -> Result<Value, DecodeError> {
    let wrong_type = |raw: &Raw, tracker: &Tracker| {
        DecodeError::new(
            tracker.path(),
            DecodeErrorKind::WrongType {
                expected: ty.to_string(),
                found: raw_kind(raw),
            },
        )
    };
    let fail = |kind, tracker: &Tracker| DecodeError::new(tracker.path(), kind);
    match raw {
        Raw::Nil => return Ok(Value::Null),
        // Every extension is an unknown: Terraform uses type 0, and type 12 carries
        // refinements we may ignore.
        Raw::Ext(..) => return Ok(Value::Unknown),
        _ => {}
    }
    match ty {
        Type::Bool => match raw {
            Raw::Boolean(b) => Ok(Value::Bool(b)),
            other => Err(wrong_type(&other, tracker)),
        },
        Type::Number => match raw {
            Raw::Integer(int) => match (int.as_i64(), int.as_u64()) {
                (Some(int), _) => Ok(Value::Number(Number::Int(int))),
                (None, Some(uint)) => Ok(Value::Number(Number::UInt(uint))),
                // rmpv integers are always i64 or u64.
                (None, None) => Err(fail(DecodeErrorKind::InvalidNumber, tracker)),
            },
            Raw::F32(float) => Ok(Value::Number(Number::Float(widen(float)))),
            Raw::F64(float) => Ok(Value::Number(Number::Float(float))),
            Raw::String(text) => {
                let text = text
                    .into_str()
                    .ok_or_else(|| fail(DecodeErrorKind::InvalidUtf8, tracker))?;
                Number::parse(&text)
                    .map(Value::Number)
                    .map_err(|_| fail(DecodeErrorKind::InvalidNumber, tracker))
            }
            other => Err(wrong_type(&other, tracker)),
        },
        Type::String => match raw {
            Raw::String(text) => text
                .into_str()
                .map(Value::String)
                .ok_or_else(|| fail(DecodeErrorKind::InvalidUtf8, tracker)),
            // go-cty writes str, but other msgpack writers may use bin for strings.
            Raw::Binary(bytes) => String::from_utf8(bytes)
                .map(Value::String)
                .map_err(|_| fail(DecodeErrorKind::InvalidUtf8, tracker)),
            other => Err(wrong_type(&other, tracker)),
        },
        Type::List(element) | Type::Set(element) => {
            let is_set = matches!(ty, Type::Set(_));
            let items = match raw {
                Raw::Array(items) => items,
                other => return Err(wrong_type(&other, tracker)),
            };
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                out.push(tracker.element(is_set, index, |t| decode_raw(item, element, t))?);
            }
            Ok(if is_set { Value::Set(out) } else { Value::List(out) })
        }
        Type::Map(element) => {
            let entries = match raw {
                Raw::Map(entries) => entries,
                other => return Err(wrong_type(&other, tracker)),
            };
            let mut out = BTreeMap::new();
            for (key, item) in entries {
                let key = string_key(key, tracker)?;
                let value = tracker.step(PathStep::ElementKeyString(key.clone()), |t| {
                    decode_raw(item, element, t)
                })?;
                if out.insert(key.clone(), value).is_some() {
                    return Err(fail(DecodeErrorKind::DuplicateKey(key), tracker));
                }
            }
            Ok(Value::Map(out))
        }
        Type::Object(attributes) => {
            let entries = match raw {
                Raw::Map(entries) => entries,
                other => return Err(wrong_type(&other, tracker)),
            };
            let mut out = BTreeMap::new();
            for (key, item) in entries {
                let key = string_key(key, tracker)?;
                let attribute_type = attributes
                    .get(&key)
                    .ok_or_else(|| fail(DecodeErrorKind::UnsupportedAttribute(key.clone()), tracker))?;
                let value = tracker.step(PathStep::Attribute(key.clone()), |t| {
                    decode_raw(item, attribute_type, t)
                })?;
                if out.insert(key.clone(), value).is_some() {
                    return Err(fail(DecodeErrorKind::DuplicateKey(key), tracker));
                }
            }
            for name in attributes.keys() {
                out.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(out))
        }
    }
}

fn string_key(key: Raw, tracker: &Tracker) -> Result<String, DecodeError> {
    match key {
        Raw::String(text) => text
            .into_str()
            .ok_or_else(|| DecodeError::new(tracker.path(), DecodeErrorKind::InvalidUtf8)),
        _ => Err(DecodeError::new(tracker.path(), DecodeErrorKind::NonStringKey)),
    }
}

/// An f32 as the f64 with the same shortest decimal text, so `0.1f32` reads as `0.1`.
fn widen(float: f32) -> f64 {
    float.to_string().parse().unwrap_or(f64::from(float))
}

fn raw_kind(raw: &Raw) -> &'static str {
    match raw {
        Raw::Nil => "nil",
        Raw::Boolean(_) => "bool",
        Raw::Integer(_) => "integer",
        Raw::F32(_) | Raw::F64(_) => "float",
        Raw::String(_) => "string",
        Raw::Binary(_) => "binary",
        Raw::Array(_) => "array",
        Raw::Map(_) => "map",
        Raw::Ext(..) => "extension",
    }
}

fn encode_raw(value: &Value, ty: &Type, tracker: &mut Tracker) -> Result<Raw, EncodeError> {
    match value {
        Value::Null => return Ok(Raw::Nil),
        // The unknown Terraform itself writes: fixext1, type 0, body 0.
        Value::Unknown => return Ok(Raw::Ext(0, vec![0])),
        _ => {}
    }
    let fail = |kind, tracker: &Tracker| EncodeError::new(tracker.path(), kind);
    match (ty, value) {
        (Type::Bool, Value::Bool(b)) => Ok(Raw::Boolean(*b)),
        (Type::Number, Value::Number(number)) => match number {
            Number::Int(int) => Ok(Raw::from(*int)),
            Number::UInt(uint) => Ok(Raw::from(*uint)),
            Number::Float(float) => Ok(Raw::F64(*float)),
            // Send the narrowest exact form, as go-cty does; text only when needed.
            Number::Big(text) => match Number::parse(text) {
                Ok(Number::Int(int)) => Ok(Raw::from(int)),
                Ok(Number::UInt(uint)) => Ok(Raw::from(uint)),
                Ok(Number::Float(float)) => Ok(Raw::F64(float)),
                Ok(Number::Big(text)) => Ok(Raw::from(text)),
                Err(_) => Err(fail(EncodeErrorKind::InvalidNumber, tracker)),
            },
        },
        (Type::String, Value::String(s)) => Ok(Raw::from(s.as_str())),
        (Type::List(element) | Type::Set(element), Value::List(items) | Value::Set(items)) => {
            let is_set = matches!(ty, Type::Set(_));
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                out.push(tracker.element(is_set, index, |t| encode_raw(item, element, t))?);
            }
            Ok(Raw::Array(out))
        }
        (Type::Map(element), Value::Map(entries) | Value::Object(entries)) => {
            let mut out = Vec::with_capacity(entries.len());
            for (key, item) in entries {
                let encoded = tracker.step(PathStep::ElementKeyString(key.clone()), |t| {
                    encode_raw(item, element, t)
                })?;
                out.push((Raw::from(key.as_str()), encoded));
            }
            Ok(Raw::Map(out))
        }
        (Type::Object(attributes), Value::Map(entries) | Value::Object(entries)) => {
            if let Some(extra) = entries.keys().find(|key| !attributes.contains_key(*key)) {
                return Err(fail(EncodeErrorKind::UnsupportedAttribute(extra.clone()), tracker));
            }
            let mut out = Vec::with_capacity(attributes.len());
            for (name, attribute_type) in attributes {
                let item = entries.get(name).unwrap_or(&Value::Null);
                let encoded = tracker.step(PathStep::Attribute(name.clone()), |t| {
                    encode_raw(item, attribute_type, t)
                })?;
                out.push((Raw::from(name.as_str()), encoded));
            }
            Ok(Raw::Map(out))
        }
        _ => Err(EncodeError::wrong_type(tracker.path(), ty, value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a vector is also what `encode` writes, or only something we must read.
    #[derive(Clone, Copy, PartialEq)]
    enum Direction {
        Both,
        DecodeOnly,
    }
    use Direction::{Both, DecodeOnly};

    fn bytes(hex: &str) -> Vec<u8> {
        let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        digits
            .chunks(2)
            .map(|pair| {
                let text = std::str::from_utf8(pair).unwrap_or("zz");
                u8::from_str_radix(text, 16).unwrap_or_else(|_| panic!("bad hex {text:?}"))
            })
            .collect()
    }

    fn to_hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn check(name: &str, ty: &Type, hex: &str, expected: &Value, direction: Direction) {
        let input = bytes(hex);
        match decode(&input, ty) {
            Ok(decoded) => assert_eq!(&decoded, expected, "{name}: decode"),
            Err(err) => panic!("{name}: decode failed: {err}"),
        }
        if direction == Both {
            match encode(expected, ty) {
                Ok(encoded) => assert_eq!(to_hex(&encoded), to_hex(&input), "{name}: encode"),
                Err(err) => panic!("{name}: encode failed: {err}"),
            }
        }
    }

    fn check_error(name: &str, ty: &Type, input: &[u8], path: &str, message: &str) {
        match decode(input, ty) {
            Ok(value) => panic!("{name}: decoded to {value:?}, expected an error"),
            Err(err) => {
                assert_eq!(err.path.to_string(), path, "{name}: path of {err}");
                assert!(
                    err.to_string().contains(message),
                    "{name}: {err:?} should mention {message:?}"
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

    fn strings(items: &[&str]) -> Vec<Value> {
        items.iter().map(|item| s(item)).collect()
    }

    fn block_type() -> Type {
        Type::object([
            ("name", Type::String),
            (
                "project_assignment",
                Type::list(Type::object([
                    ("project_id", Type::String),
                    ("role_names", Type::set(Type::String)),
                ])),
            ),
        ])
    }

    #[test]
    fn hex_vectors() {
        let big = "123456789012345678901234567890";
        let vectors: Vec<(&str, Type, &str, Value, Direction)> = vec![
            ("null-string", Type::String, "c0", Value::Null, Both),
            ("unknown-string", Type::String, "d40000", Value::Unknown, Both),
            ("string-hi", Type::String, "a26869", s("hi"), Both),
            ("string-as-bin", Type::String, "c4026869", s("hi"), DecodeOnly),
            ("empty-string", Type::String, "a0", s(""), Both),
            ("bool-true", Type::Bool, "c3", Value::Bool(true), Both),
            ("bool-false", Type::Bool, "c2", Value::Bool(false), Both),
            ("int-1", Type::Number, "01", n(1), Both),
            ("neg-int", Type::Number, "ff", n(-1), Both),
            ("int-300", Type::Number, "cd012c", n(300), Both),
            ("i64-min", Type::Number, "d38000000000000000", n(i64::MIN), Both),
            (
                "u64-max",
                Type::Number,
                "cfffffffffffffffff",
                Value::Number(Number::UInt(u64::MAX)),
                Both,
            ),
            (
                "float",
                Type::Number,
                "cb3ff8000000000000",
                Value::Number(Number::Float(1.5)),
                Both,
            ),
            (
                "float32",
                Type::Number,
                "ca3fc00000",
                Value::Number(Number::Float(1.5)),
                DecodeOnly,
            ),
            (
                "big-number-as-string",
                Type::Number,
                "be313233343536373839303132333435363738393031323334353637383930",
                Value::Number(Number::Big(big.to_owned())),
                Both,
            ),
            ("small-number-as-string", Type::Number, "a3313233", n(123), DecodeOnly),
            ("null-number", Type::Number, "c0", Value::Null, Both),
            (
                "list-of-string",
                Type::list(Type::String),
                "92a161a162",
                Value::List(strings(&["a", "b"])),
                Both,
            ),
            ("empty-list", Type::list(Type::String), "90", Value::List(vec![]), Both),
            (
                "list-with-unknown",
                Type::list(Type::String),
                "92d40000a161",
                Value::List(vec![Value::Unknown, s("a")]),
                Both,
            ),
            (
                "set",
                Type::set(Type::String),
                "92a162a161",
                Value::Set(strings(&["b", "a"])),
                Both,
            ),
            (
                "set-any-order",
                Type::set(Type::String),
                "92a161a162",
                Value::Set(strings(&["b", "a"])),
                DecodeOnly,
            ),
            (
                "object with null attr",
                Type::object([("id", Type::String), ("name", Type::String)]),
                "82 a26964 c0 a46e616d65 a16b",
                Value::object([("id", Value::Null), ("name", s("k"))]),
                Both,
            ),
            (
                "object with missing attr",
                Type::object([("id", Type::String), ("name", Type::String)]),
                "81 a46e616d65 a16b",
                Value::object([("id", Value::Null), ("name", s("k"))]),
                DecodeOnly,
            ),
            (
                "nested block list",
                block_type(),
                "82 a46e616d65 a16b
                 b270726f6a6563745f61737369676e6d656e74 91
                   82 aa70726f6a6563745f6964 a27031 aa726f6c655f6e616d6573 91 a152",
                Value::object([
                    ("name", s("k")),
                    (
                        "project_assignment",
                        Value::List(vec![Value::object([
                            ("project_id", s("p1")),
                            ("role_names", Value::Set(strings(&["R"]))),
                        ])]),
                    ),
                ]),
                Both,
            ),
            (
                "no nested blocks",
                block_type(),
                "82 a46e616d65 a16b b270726f6a6563745f61737369676e6d656e74 90",
                Value::object([("name", s("k")), ("project_assignment", Value::List(vec![]))]),
                Both,
            ),
            (
                "map",
                Type::map(Type::String),
                "82 a161 a178 a162 c0",
                Value::Map([("a".to_owned(), s("x")), ("b".to_owned(), Value::Null)].into()),
                Both,
            ),
            (
                "refined-unknown ext12",
                Type::String,
                "c7030c8101c2",
                Value::Unknown,
                DecodeOnly,
            ),
            (
                "refined-unknown-prefix",
                Type::String,
                "c7040c8102a161",
                Value::Unknown,
                DecodeOnly,
            ),
            ("other-extension", Type::Number, "d5050000", Value::Unknown, DecodeOnly),
            ("unknown-object", block_type(), "d40000", Value::Unknown, Both),
        ];
        for (name, ty, hex, value, direction) in &vectors {
            check(name, ty, hex, value, *direction);
        }
    }

    #[test]
    fn encode_fills_missing_attributes_and_sorts_keys() {
        let ty = Type::object([("b", Type::String), ("a", Type::list(Type::String))]);
        let value = Value::object([("b", s("x"))]);
        assert_eq!(
            encode(&value, &ty).map(|b| to_hex(&b)),
            Ok("82a161c0a162a178".to_owned())
        );
    }

    #[test]
    fn encode_errors_carry_paths() {
        let cases: Vec<(&str, Type, Value, &str, &str)> = vec![
            ("wrong kind", Type::String, n(1), "", "cannot encode number as string"),
            (
                "inside list in object",
                Type::object([("role_names", Type::list(Type::String))]),
                Value::object([("role_names", Value::List(vec![s("a"), n(1)]))]),
                "role_names[1]",
                "cannot encode number as string",
            ),
            (
                "inside set stops at the set",
                Type::object([("role_names", Type::set(Type::String))]),
                Value::object([("role_names", Value::Set(vec![s("a"), n(1)]))]),
                "role_names",
                "cannot encode number as string",
            ),
            (
                "extra attribute",
                Type::object([("a", Type::String)]),
                Value::object([("a", s("x")), ("zz", s("y"))]),
                "",
                "unsupported attribute \"zz\"",
            ),
            (
                "map key",
                Type::map(Type::Bool),
                Value::Map([("k".to_owned(), s("x"))].into()),
                "[\"k\"]",
                "cannot encode string as bool",
            ),
            (
                "invalid big number",
                Type::Number,
                Value::Number(Number::Big("12abc".into())),
                "",
                "invalid decimal number",
            ),
        ];
        for (name, ty, value, path, message) in cases {
            match encode(&value, &ty) {
                Ok(bytes) => panic!("{name}: encoded to {}", to_hex(&bytes)),
                Err(err) => {
                    assert_eq!(err.path.to_string(), path, "{name}: {err}");
                    assert!(err.to_string().contains(message), "{name}: {err}");
                }
            }
        }
    }

    #[test]
    fn decode_errors_carry_paths() {
        let roles = Type::object([("role_names", Type::list(Type::String))]);
        let cases: Vec<(&str, Type, &str, &str, &str)> = vec![
            (
                "number inside role_names[1]",
                roles.clone(),
                "81 aa726f6c655f6e616d6573 92 a161 01",
                "role_names[1]",
                "expected string, found integer",
            ),
            (
                "number inside a set stops at the set",
                Type::object([("role_names", Type::set(Type::String))]),
                "81 aa726f6c655f6e616d6573 92 a161 01",
                "role_names",
                "expected string, found integer",
            ),
            (
                "nested block attribute",
                block_type(),
                "81 b270726f6a6563745f61737369676e6d656e74 91 81 aa70726f6a6563745f6964 c3",
                "project_assignment[0].project_id",
                "expected string, found bool",
            ),
            (
                "unsupported attribute",
                roles.clone(),
                "81 a178 c0",
                "",
                "unsupported attribute \"x\"",
            ),
            (
                "duplicate key",
                Type::map(Type::String),
                "82 a161 c0 a161 c0",
                "",
                "duplicate key",
            ),
            (
                "non-string key",
                Type::map(Type::String),
                "81 01 a161",
                "",
                "map keys must be strings",
            ),
            (
                "map value",
                Type::map(Type::Bool),
                "81 a16b a161",
                "[\"k\"]",
                "expected bool, found string",
            ),
            (
                "array for object",
                roles.clone(),
                "90",
                "",
                "expected object, found array",
            ),
            ("string for bool", Type::Bool, "a161", "", "expected bool, found string"),
            ("bool for number", Type::Number, "c3", "", "expected number, found bool"),
            (
                "invalid number text",
                Type::Number,
                "a3616263",
                "",
                "invalid decimal number",
            ),
            (
                "map for list",
                Type::list(Type::String),
                "80",
                "",
                "expected list of string",
            ),
            ("invalid utf-8", Type::String, "a2fffe", "", "not valid UTF-8"),
            ("truncated string", Type::String, "a568", "", "malformed msgpack"),
            ("truncated map", roles.clone(), "81 aa726f6c65", "", "malformed msgpack"),
            (
                "truncated array32",
                Type::list(Type::String),
                "dd ffffffff",
                "",
                "malformed msgpack",
            ),
            (
                "huge bin length",
                Type::String,
                "c6 ffffffff 00",
                "",
                "malformed msgpack",
            ),
            ("empty input", Type::String, "", "", "empty input"),
            ("empty input for an object", roles.clone(), "", "", "null as nil"),
            (
                "reserved marker",
                Type::String,
                "c1",
                "",
                "reserved byte 0xc1 at offset 0",
            ),
            (
                "reserved marker for null",
                roles.clone(),
                "c1",
                "",
                "reserved byte 0xc1",
            ),
            (
                "reserved marker as attribute value",
                roles.clone(),
                "81 aa726f6c655f6e616d6573 c1",
                "",
                "reserved byte 0xc1 at offset 12",
            ),
            (
                "reserved marker as list element",
                roles.clone(),
                "81 aa726f6c655f6e616d6573 92 a161 c1",
                "",
                "at offset 15",
            ),
            (
                "reserved marker as map key",
                Type::map(Type::String),
                "81 c1 a161",
                "",
                "at offset 1",
            ),
            (
                "reserved marker after an ext",
                Type::list(Type::String),
                "92 c7010cc1 c1",
                "",
                "at offset 5",
            ),
            ("trailing bytes", Type::String, "c0c0", "", "trailing bytes"),
        ];
        for (name, ty, hex, path, message) in &cases {
            check_error(name, ty, &bytes(hex), path, message);
        }
    }

    #[test]
    fn reserved_byte_inside_data_is_legal() {
        let long = "a".repeat(0xc1);
        let cases: Vec<(&str, Type, String, Value)> = vec![
            ("uint8 0xc1", Type::Number, "ccc1".into(), n(0xc1)),
            ("uint16 payload", Type::Number, "cdc100".into(), n(0xc100)),
            ("int32 payload", Type::Number, "d2c1c1c1c1".into(), n(-1_044_266_559)),
            (
                "float payload",
                Type::Number,
                "cbc1c0000000000000".into(),
                Value::Number(Number::Float(-536_870_912.0)),
            ),
            ("fixext body", Type::String, "d50cc1c1".into(), Value::Unknown),
            ("ext8 body", Type::String, "c7020cc1c1".into(), Value::Unknown),
            (
                "str8 length 0xc1",
                Type::String,
                format!("d9c1{}", "61".repeat(0xc1)),
                s(&long),
            ),
            (
                "in a list after data",
                Type::list(Type::Number),
                "93 ccc1 d50cc1c1 c0".into(),
                Value::List(vec![n(0xc1), Value::Unknown, Value::Null]),
            ),
        ];
        for (name, ty, hex, expected) in &cases {
            assert_eq!(decode(&bytes(hex), ty).as_ref(), Ok(expected), "{name}");
        }
    }

    #[test]
    fn reserved_marker_scan_never_panics_on_truncated_headers() {
        for hex in [
            "c4", "c5ff", "c6ffffff", "c7", "c901", "dc00", "dd", "de01", "df0000", "d9", "9f", "8f",
        ] {
            assert_eq!(reserved_marker(&bytes(hex)), None, "{hex}");
        }
        let huge_map = bytes("df ffffffff");
        assert_eq!(reserved_marker(&huge_map), None);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let mut deep_type = Type::String;
        for _ in 0..200 {
            deep_type = Type::list(deep_type);
        }
        let mut input = vec![0x91; 100_000];
        input.push(0xc0);
        check_error("deep arrays", &deep_type, &input, "", "depth");
        let mut maps = [0x81, 0xa1, 0x61].repeat(50_000);
        maps.push(0xc0);
        check_error("deep maps", &Type::map(Type::String), &maps, "", "depth");
    }

    #[test]
    fn nesting_far_beyond_any_schema_still_decodes() {
        let mut ty = Type::String;
        let mut expected = s("x");
        for _ in 0..100 {
            ty = Type::list(ty);
            expected = Value::List(vec![expected]);
        }
        let mut input = vec![0x91; 100];
        input.extend([0xa1, b'x']);
        assert_eq!(decode(&input, &ty), Ok(expected.clone()));
        assert_eq!(encode(&expected, &ty), Ok(input));
    }

    #[test]
    fn values_round_trip() {
        let cases: Vec<(Type, Value)> = vec![
            (
                Type::Number,
                Value::Number(Number::Big("0.1000000000000000000001".into())),
            ),
            (Type::Number, Value::Number(Number::Float(-0.25))),
            (Type::Number, Value::Number(Number::Float(1e300))),
            (Type::String, s("héllo \"wörld\"\n")),
            (Type::String, s(&"x".repeat(70_000))),
            (Type::list(Type::String), Value::List(strings(&["a"; 20]))),
            (
                block_type(),
                Value::object([
                    ("name", Value::Unknown),
                    (
                        "project_assignment",
                        Value::List(vec![
                            Value::object([("project_id", s("p")), ("role_names", Value::Unknown)]),
                            Value::object([
                                ("project_id", Value::Null),
                                ("role_names", Value::Set(vec![Value::Unknown, s("R")])),
                            ]),
                        ]),
                    ),
                ]),
            ),
            (
                Type::map(Type::object([("x", Type::Number), ("y", Type::set(Type::String))])),
                Value::Map(
                    [
                        ("a".to_owned(), Value::object([("x", n(1)), ("y", Value::Null)])),
                        ("b".to_owned(), Value::Unknown),
                        (
                            "c".to_owned(),
                            Value::object([("x", Value::Null), ("y", Value::Set(strings(&["p", "q"])))]),
                        ),
                    ]
                    .into(),
                ),
            ),
        ];
        for (ty, value) in &cases {
            let encoded = encode(value, ty).unwrap_or_else(|err| panic!("{ty}: {err}"));
            assert_eq!(decode(&encoded, ty).as_ref(), Ok(value), "{ty}");
        }
    }
}
