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

use super::{Error, ErrorKind, Number, Type, Value};

/// Maximum nesting `rmpv` may read. Every array or map level uses two of these,
/// so values can nest about 128 deep, far more than any schema needs, while a
/// hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 256;

/// Decodes `bytes` as one msgpack value of type `ty`.
///
/// Errors (never panics) on malformed or truncated input, trailing bytes, input that
/// does not fit `ty`, and object attributes that `ty` does not declare; attributes
/// `ty` declares but the input lacks become null.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, Error> {
    let malformed = |what: String| Error::new(ErrorKind::Malformed(what));
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
        return Err(Error::new(ErrorKind::TrailingBytes));
    }
    // rmpv reads the reserved marker as nil, which would turn garbage into a null.
    if let Some(offset) = reserved_marker(bytes) {
        return Err(malformed(format!(
            "msgpack: reserved byte 0xc1 at offset {offset}, which no msgpack value starts with"
        )));
    }
    decode_raw(raw, ty)
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
/// Objects are written with every attribute of `ty` in sorted order, null for those the value
/// lacks; numbers in their narrowest exact form. Errors when the value does not fit `ty`: a
/// wrong kind, or an object attribute `ty` does not declare. Lists and sets are
/// interchangeable as values (both are arrays), as are maps and objects.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, Error> {
    let raw = encode_raw(value, ty)?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &raw).map_err(|err| Error::new(ErrorKind::Write(err.to_string())))?;
    Ok(out)
}

fn decode_raw(raw: Raw, ty: &Type) -> Result<Value, Error> {
    let utf8 = |text: rmpv::Utf8String| text.into_str().ok_or(Error::new(ErrorKind::InvalidUtf8));
    // None for NaN, and for text that is not a decimal number.
    let number = |number: Option<Number>| number.map(Value::Number).ok_or(Error::new(ErrorKind::InvalidNumber));
    match (ty, raw) {
        (_, Raw::Nil) => Ok(Value::Null),
        // Every extension is an unknown: Terraform uses type 0, and type 12 carries
        // refinements we may ignore.
        (_, Raw::Ext(..)) => Ok(Value::Unknown),
        (Type::Bool, Raw::Boolean(b)) => Ok(Value::Bool(b)),
        (Type::Number, Raw::Integer(int)) => number(int.as_i64().map(Number::from).or(int.as_u64().map(Number::from))),
        (Type::Number, Raw::F32(float)) => number(Number::from_f64(widen(float))),
        (Type::Number, Raw::F64(float)) => number(Number::from_f64(float)),
        (Type::Number, Raw::String(text)) => number(Number::parse(&utf8(text)?).ok()),
        (Type::String, Raw::String(text)) => utf8(text).map(Value::String),
        // go-cty writes str, but other msgpack writers may use bin for strings.
        (Type::String, Raw::Binary(bytes)) => String::from_utf8(bytes)
            .map(Value::String)
            .map_err(|_| Error::new(ErrorKind::InvalidUtf8)),
        (Type::List(element) | Type::Set(element), Raw::Array(items)) => {
            let items = items
                .into_iter()
                .enumerate()
                .map(|(index, item)| decode_raw(item, element).map_err(|err| err.under(ty.element_step(index))));
            Ok(Value::list_or_set(ty, items.collect::<Result<_, _>>()?))
        }
        (Type::Map(_) | Type::Object(_), Raw::Map(entries)) => {
            let mut out = BTreeMap::new();
            for (key, item) in entries {
                let Raw::String(key) = key else {
                    return Err(Error::new(ErrorKind::NonStringKey));
                };
                let key = utf8(key)?;
                let unsupported = || Error::new(ErrorKind::UnsupportedAttribute(key.clone()));
                let (item_type, step) = ty.member(&key).ok_or_else(unsupported)?;
                let value = decode_raw(item, item_type).map_err(|err| err.under(Some(step)))?;
                if out.insert(key.clone(), value).is_some() {
                    return Err(Error::new(ErrorKind::DuplicateKey(key)));
                }
            }
            Ok(Value::map_or_object(ty, out))
        }
        (_, raw) => Err(Error::new(ErrorKind::WrongType {
            expected: ty.to_string(),
            found: raw_kind(&raw),
        })),
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

/// The narrowest exact form, as go-cty writes it: an integer, else a float that is exactly the
/// number (infinities too), else the decimal text.
fn encode_number(number: &Number) -> Raw {
    let json = number.as_json();
    if let Some(int) = json.and_then(serde_json::Number::as_i64) {
        return Raw::from(int);
    }
    if let Some(uint) = json.and_then(serde_json::Number::as_u64) {
        return Raw::from(uint);
    }
    match number.as_f64() {
        Some(float) if Number::from_f64(float).as_ref() == Some(number) => Raw::F64(float),
        _ => Raw::from(number.to_string()),
    }
}

fn encode_raw(value: &Value, ty: &Type) -> Result<Raw, Error> {
    Ok(match (ty, value) {
        (_, Value::Null) => Raw::Nil,
        // The unknown Terraform itself writes: fixext1, type 0, body 0.
        (_, Value::Unknown) => Raw::Ext(0, vec![0]),
        (Type::Bool, Value::Bool(b)) => Raw::Boolean(*b),
        (Type::Number, Value::Number(number)) => encode_number(number),
        (Type::String, Value::String(s)) => Raw::from(s.as_str()),
        (Type::List(element) | Type::Set(element), Value::List(items) | Value::Set(items)) => {
            let items = items
                .iter()
                .enumerate()
                .map(|(index, item)| encode_raw(item, element).map_err(|err| err.under(ty.element_step(index))));
            Raw::Array(items.collect::<Result<_, _>>()?)
        }
        (Type::Map(_) | Type::Object(_), Value::Map(entries) | Value::Object(entries)) => {
            if let Some(extra) = entries.keys().find(|key| ty.member(key).is_none()) {
                return Err(Error::new(ErrorKind::UnsupportedAttribute(extra.clone())));
            }
            // An object has every attribute of its type, in order.
            let keys: Vec<&String> = match ty {
                Type::Object(attributes) => attributes.keys().collect(),
                _ => entries.keys().collect(),
            };
            let mut out = Vec::with_capacity(keys.len());
            for (key, (item_type, step)) in keys.into_iter().filter_map(|key| Some((key, ty.member(key)?))) {
                let item = entries.get(key).unwrap_or(&Value::Null);
                let encoded = encode_raw(item, item_type).map_err(|err| err.under(Some(step)))?;
                out.push((Raw::from(key.as_str()), encoded));
            }
            Raw::Map(out)
        }
        _ => {
            return Err(Error::new(ErrorKind::CannotEncode {
                expected: ty.to_string(),
                found: value.kind_name(),
            }))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::json;
    use super::super::tests::{float, list, map, n, num, rows, s, set, strings, ty};
    use super::*;
    use Type::{Bool, Number as Num, String as Str};

    fn bytes(hex: &str) -> Vec<u8> {
        let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let byte = |pair: &[u8]| u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("zz"), 16);
        digits
            .chunks(2)
            .map(|pair| byte(pair).unwrap_or_else(|_| panic!("bad hex {pair:?}")))
            .collect()
    }

    fn to_hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
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

    /// Checks that `hex` decodes as `ty` to `expected`, and when `both`, that `expected` encodes
    /// to exactly `hex`.
    fn check(name: &str, ty: &Type, hex: &str, expected: &Value, both: bool) {
        let input = bytes(hex);
        assert_eq!(decode(&input, ty).as_ref(), Ok(expected), "{name}: decode");
        if both {
            assert_eq!(
                encode(expected, ty).map(|b| to_hex(&b)),
                Ok(to_hex(&input)),
                "{name}: encode"
            );
        }
    }

    #[test]
    fn hex_vectors() {
        // name | type | msgpack | the value, as JSON or `unknown` or `infinity` | both ways, or only read
        let table = r#"
            null-string | string | c0 | null | both
            string-hi | string | a26869 | "hi" | both
            string-as-bin | string | c4026869 | "hi" | read
            empty-string | string | a0 | "" | both
            bool-true | bool | c3 | true | both
            bool-false | bool | c2 | false | both
            int-1 | number | 01 | 1 | both
            neg-int | number | ff | -1 | both
            int-300 | number | cd012c | 300 | both
            i64-min | number | d38000000000000000 | -9223372036854775808 | both
            u64-max | number | cfffffffffffffffff | 18446744073709551615 | both
            u64-max+1-as-string | number | b4 3138343436373434303733373039353531363136 | 18446744073709551616 | both
            float | number | cb3ff8000000000000 | 1.5 | both
            float-0.1 | number | cb3fb999999999999a | 0.1 | both
            float-1e2 | number | cb4059000000000000 | 1e2 | both
            whole-float | number | cb4008000000000000 | 3.0 | both
            float32 | number | ca3fc00000 | 1.5 | read
            big-number-as-string | number | be313233343536373839303132333435363738393031323334353637383930 | 123456789012345678901234567890 | both
            precise-decimal-as-string | number | b3 302e3130303030303030303030303030303031 | 0.10000000000000001 | both
            huge-number-as-string | number | a6 31652b343030 | 1e400 | both
            small-number-as-string | number | a3313233 | 123 | read
            null-number | number | c0 | null | both
            list-of-string | list | 92a161a162 | ["a", "b"] | both
            empty-list | list | 90 | [] | both
            set | set | 92a162a161 | ["b", "a"] | both
            set-any-order | set | 92a161a162 | ["b", "a"] | read
            object with null attr | id and name | 82 a26964 c0 a46e616d65 a16b | {"id": null, "name": "k"} | both
            object with missing attr | id and name | 81 a46e616d65 a16b | {"id": null, "name": "k"} | read
            nested block list | block | 82 a46e616d65 a16b b270726f6a6563745f61737369676e6d656e74 91 82 aa70726f6a6563745f6964 a27031 aa726f6c655f6e616d6573 91 a152 | {"name": "k", "project_assignment": [{"project_id": "p1", "role_names": ["R"]}]} | both
            no nested blocks | block | 82 a46e616d65 a16b b270726f6a6563745f61737369676e6d656e74 90 | {"name": "k", "project_assignment": []} | both
            map | map | 82 a161 a178 a162 c0 | {"a": "x", "b": null} | both
            unknown-string | string | d40000 | unknown | both
            refined-unknown ext12 | string | c7030c8101c2 | unknown | read
            refined-unknown-prefix | string | c7040c8102a161 | unknown | read
            other-extension | number | d5050000 | unknown | read
            unknown-object | block | d40000 | unknown | both
            infinity | number | cb7ff0000000000000 | infinity | both
        "#;
        for [name, type_name, hex, json, direction] in rows(table) {
            let ty = ty(type_name);
            let expected = match json {
                "unknown" => Value::Unknown,
                "infinity" => float(f64::INFINITY),
                json => json::decode(json.as_bytes(), &ty).unwrap_or_else(|err| panic!("{name}: {err}")),
            };
            check(name, &ty, hex, &expected, direction == "both");
        }
        // Values JSON cannot hold.
        // Unknowns in a list, which JSON cannot hold.
        let unknown = list([Value::Unknown, s("a")]);
        check("list-with-unknown", &ty("list"), "92d40000a161", &unknown, true);
    }

    #[test]
    fn encode_fills_missing_attributes_and_sorts_keys() {
        let ty = Type::object([("b", Str), ("a", Type::list(Str))]);
        let encoded = encode(&Value::object([("b", s("x"))]), &ty).map(|b| to_hex(&b));
        assert_eq!(encoded, Ok("82a161c0a162a178".to_owned()));
    }

    #[test]
    fn encode_errors_carry_paths() {
        let object = |name: &str, ty: Type| Type::object([(name, ty)]);
        let cases = [
            ("wrong kind", Str, n(1), "", "cannot encode number as string"),
            (
                "inside list in object",
                object("role_names", Type::list(Str)),
                Value::object([("role_names", list([s("a"), n(1)]))]),
                "role_names[1]",
                "cannot encode number as string",
            ),
            (
                "inside set stops at the set",
                object("role_names", Type::set(Str)),
                Value::object([("role_names", set([s("a"), n(1)]))]),
                "role_names",
                "cannot encode number as string",
            ),
            (
                "extra attribute",
                object("a", Str),
                Value::object([("a", s("x")), ("zz", s("y"))]),
                "",
                "unsupported attribute \"zz\"",
            ),
            (
                "map key",
                Type::map(Bool),
                map([("k", s("x"))]),
                "[\"k\"]",
                "cannot encode string as bool",
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
        // name | type | input | error path | the error says
        let table = r#"
            number inside role_names[1] | roles | 81 aa726f6c655f6e616d6573 92 a161 01 | role_names[1] | expected string, found integer
            number inside a set stops at the set | role set | 81 aa726f6c655f6e616d6573 92 a161 01 | role_names | expected string, found integer
            nested block attribute | block | 81 b270726f6a6563745f61737369676e6d656e74 91 81 aa70726f6a6563745f6964 c3 | project_assignment[0].project_id | expected string, found bool
            unsupported attribute | roles | 81 a178 c0 | | unsupported attribute "x"
            duplicate key | map | 82 a161 c0 a161 c0 | | duplicate key
            non-string key | map | 81 01 a161 | | map keys must be strings
            map value | map of bool | 81 a16b a161 | ["k"] | expected bool, found string
            array for object | roles | 90 | | expected object, found array
            string for bool | bool | a161 | | expected bool, found string
            bool for number | number | c3 | | expected number, found bool
            invalid number text | number | a3616263 | | invalid decimal number
            number text beyond JSON syntax | number | a2 3031 | | invalid decimal number
            NaN | number | cb7ff8000000000000 | | invalid decimal number
            map for list | list | 80 | | expected list of string
            invalid utf-8 | string | a2fffe | | not valid UTF-8
            truncated string | string | a568 | | malformed msgpack
            truncated map | roles | 81 aa726f6c65 | | malformed msgpack
            truncated array32 | list | dd ffffffff | | malformed msgpack
            huge bin length | string | c6 ffffffff 00 | | malformed msgpack
            empty input | string | | | empty input
            empty input for an object | roles | | | null as nil
            reserved marker | string | c1 | | reserved byte 0xc1 at offset 0
            reserved marker for null | roles | c1 | | reserved byte 0xc1
            reserved marker as attribute value | roles | 81 aa726f6c655f6e616d6573 c1 | | reserved byte 0xc1 at offset 12
            reserved marker as list element | roles | 81 aa726f6c655f6e616d6573 92 a161 c1 | | at offset 15
            reserved marker as map key | map | 81 c1 a161 | | at offset 1
            reserved marker after an ext | list | 92 c7010cc1 c1 | | at offset 5
            trailing bytes | string | c0c0 | | trailing bytes
        "#;
        for [name, type_name, hex, path, message] in rows(table) {
            check_error(name, &ty(type_name), &bytes(hex), path, message);
        }
    }

    #[test]
    fn reserved_byte_inside_data_is_legal() {
        let long = format!("d9c1{}", "61".repeat(0xc1));
        let cases = [
            ("uint8 0xc1", Num, "ccc1", n(0xc1)),
            ("uint16 payload", Num, "cdc100", n(0xc100)),
            ("int32 payload", Num, "d2c1c1c1c1", n(-1_044_266_559)),
            ("float payload", Num, "cbc1c0000000000000", float(-536_870_912.0)),
            ("fixext body", Str, "d50cc1c1", Value::Unknown),
            ("ext8 body", Str, "c7020cc1c1", Value::Unknown),
            ("str8 length 0xc1", Str, &long, s(&"a".repeat(0xc1))),
            (
                "in a list after data",
                Type::list(Num),
                "93 ccc1 d50cc1c1 c0",
                list([n(0xc1), Value::Unknown, Value::Null]),
            ),
        ];
        for (name, ty, hex, expected) in &cases {
            assert_eq!(decode(&bytes(hex), ty).as_ref(), Ok(expected), "{name}");
        }
    }

    #[test]
    fn reserved_marker_scan_never_panics_on_truncated_headers() {
        let truncated = [
            "c4", "c5ff", "c6ffffff", "c7", "c901", "dc00", "dd", "de01", "df0000", "d9", "9f", "8f",
        ];
        for hex in truncated.into_iter().chain(["df ffffffff"]) {
            assert_eq!(reserved_marker(&bytes(hex)), None, "{hex}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep_type = (0..200).fold(Str, |ty, _| Type::list(ty));
        let mut input = vec![0x91; 100_000];
        input.push(0xc0);
        check_error("deep arrays", &deep_type, &input, "", "depth");
        let mut maps = [0x81, 0xa1, 0x61].repeat(50_000);
        maps.push(0xc0);
        check_error("deep maps", &Type::map(Str), &maps, "", "depth");
    }

    #[test]
    fn nesting_far_beyond_any_schema_still_decodes() {
        let ty = (0..100).fold(Str, |ty, _| Type::list(ty));
        let expected = (0..100).fold(s("x"), |value, _| list([value]));
        let mut input = vec![0x91; 100];
        input.extend([0xa1, b'x']);
        assert_eq!(decode(&input, &ty), Ok(expected.clone()));
        assert_eq!(encode(&expected, &ty), Ok(input));
    }

    #[test]
    fn values_round_trip() {
        let xy = Type::object([("x", Num), ("y", Type::set(Str))]);
        let assignments = list([
            Value::object([("project_id", s("p")), ("role_names", Value::Unknown)]),
            Value::object([
                ("project_id", Value::Null),
                ("role_names", set([Value::Unknown, s("R")])),
            ]),
        ]);
        let cases = [
            (Num, num("0.1000000000000000000001")),
            (Num, float(-0.25)),
            (Num, float(1e300)),
            (Num, float(f64::NEG_INFINITY)),
            (Str, s("héllo \"wörld\"\n")),
            (Str, s(&"x".repeat(70_000))),
            (Type::list(Str), Value::List(strings(&["a"; 20]))),
            (
                ty("block"),
                Value::object([("name", Value::Unknown), ("project_assignment", assignments)]),
            ),
            (
                Type::map(xy),
                map([
                    ("a", Value::object([("x", n(1)), ("y", Value::Null)])),
                    ("b", Value::Unknown),
                    (
                        "c",
                        Value::object([("x", Value::Null), ("y", Value::Set(strings(&["p", "q"])))]),
                    ),
                ]),
            ),
        ];
        for (ty, value) in &cases {
            let encoded = encode(value, ty).unwrap_or_else(|err| panic!("{ty}: {err}"));
            assert_eq!(decode(&encoded, ty).as_ref(), Ok(value), "{ty}");
        }
    }
}
