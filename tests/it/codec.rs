//! Property tests for the value codecs in `terraform_provider_mongodbatlas::value`.
//!
//! The unit tests next to the code pin exact bytes; these check the promises that
//! hold for every input: decoding never panics, whatever the bytes, and any value
//! of a type survives a round trip through msgpack (and is read back from JSON when it
//! has no unknowns).

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::strategy::Union;

use terraform_provider_mongodbatlas::value::{json, msgpack, Number, Type, Value};

/// Types as schemas produce them.
fn any_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![Just(Type::Bool), Just(Type::Number), Just(Type::String)];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            btree_map("[a-z_]{1,8}", inner, 0..4).prop_map(Type::Object),
        ]
    })
}

fn any_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        (i64::MAX as u64 + 1..=u64::MAX).prop_map(Number::from),
        any::<f64>()
            .prop_filter("JSON holds only finite numbers", |f| f.is_finite())
            .prop_filter_map("not NaN", Number::from_f64),
        "-?[1-9][0-9]{0,40}(\\.[0-9]{1,25})?([eE]-?[1-9][0-9]?)?"
            .prop_filter_map("JSON number", |text| Number::parse(&text).ok()),
    ]
}

/// Values conforming to `ty`, with nulls everywhere and unknowns if `unknowns`.
fn value_of(ty: &Type, unknowns: bool) -> BoxedStrategy<Value> {
    let known: BoxedStrategy<Value> = match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => any_number().prop_map(Value::Number).boxed(),
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::List(element) => vec(value_of(element, unknowns), 0..4).prop_map(Value::List).boxed(),
        Type::Set(element) => vec(value_of(element, unknowns), 0..4).prop_map(Value::Set).boxed(),
        Type::Map(element) => btree_map(any::<String>(), value_of(element, unknowns), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Object(attributes) => {
            let names: Vec<String> = attributes.keys().cloned().collect();
            let values: Vec<BoxedStrategy<Value>> = attributes
                .values()
                .map(|attribute| value_of(attribute, unknowns))
                .collect();
            values
                .prop_map(move |values| Value::Object(names.iter().cloned().zip(values).collect()))
                .boxed()
        }
    };
    let mut options = vec![(1, Just(Value::Null).boxed()), (6, known)];
    if unknowns {
        options.push((1, Just(Value::Unknown).boxed()));
    }
    Union::new_weighted(options).boxed()
}

fn typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    any_type().prop_flat_map(move |ty| {
        let value = value_of(&ty, unknowns);
        (Just(ty), value)
    })
}

/// A few schema-like types to throw arbitrary bytes at.
fn fixed_types() -> Vec<Type> {
    vec![
        Type::String,
        Type::Number,
        Type::list(Type::set(Type::String)),
        Type::map(Type::list(Type::Number)),
        Type::set(Type::Bool),
        Type::object([
            ("name", Type::String),
            ("count", Type::Number),
            ("role_names", Type::set(Type::String)),
            (
                "project_assignment",
                Type::list(Type::object([
                    ("project_id", Type::String),
                    ("role_names", Type::set(Type::String)),
                ])),
            ),
        ]),
    ]
}

/// Bytes biased towards msgpack markers that open containers, strings and extensions.
fn msgpack_ish_bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(
        prop_oneof![
            any::<u8>(),
            prop::sample::select(vec![
                0x80u8, 0x81, 0x82, 0x90, 0x91, 0x92, 0xa1, 0xa2, 0xc0, 0xc3, 0xc4, 0xc7, 0xcb, 0xd4, 0xdc, 0xdd, 0xde,
                0xdf, 0xff,
            ]),
        ],
        0..256,
    )
}

/// Text made of JSON's structural characters and a few values.
fn json_ish_text() -> impl Strategy<Value = String> {
    vec(
        prop::sample::select(vec![
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"",
            "\\",
            "\\u",
            "d800",
            "null",
            "true",
            "1",
            "-",
            "0",
            ".",
            "e",
            "\"a\"",
            "\"type\"",
            "\"value\"",
            "\"string\"",
            "\"name\"",
            " ",
            "é",
            "\u{1}",
        ]),
        0..64,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn msgpack_decode_never_panics_on_arbitrary_bytes(bytes in msgpack_ish_bytes()) {
        for ty in fixed_types() {
            let _ = msgpack::decode(&bytes, &ty);
        }
    }

    #[test]
    fn json_decode_never_panics_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..256)) {
        for ty in fixed_types() {
            let _ = json::decode(&bytes, &ty);
        }
    }

    #[test]
    fn json_decode_never_panics_on_json_like_text(text in json_ish_text()) {
        for ty in fixed_types() {
            let _ = json::decode(text.as_bytes(), &ty);
        }
    }

    #[test]
    fn values_round_trip_through_msgpack((ty, value) in typed_value(true)) {
        let encoded = msgpack::encode(&value, &ty);
        prop_assert!(encoded.is_ok(), "encode {:?} as {}: {:?}", value, ty, encoded);
        let encoded = encoded.unwrap_or_default();
        prop_assert_eq!(msgpack::decode(&encoded, &ty), Ok(value));
        // A msgpack value is prefix-free: every truncation must be an error.
        for len in 0..encoded.len() {
            prop_assert!(msgpack::decode(&encoded[..len], &ty).is_err(), "prefix {} decoded", len);
        }
    }

    #[test]
    fn values_without_unknowns_are_read_back_from_json((ty, value) in typed_value(false)) {
        let text = json_text(&value);
        prop_assert_eq!(json::decode(text.as_bytes(), &ty), Ok(value), "{}", text);
    }

    #[test]
    fn mismatched_types_error_instead_of_panicking(
        (ty, value) in typed_value(true),
        other in any_type(),
    ) {
        let _ = msgpack::encode(&value, &other);
        if let Ok(encoded) = msgpack::encode(&value, &ty) {
            let _ = msgpack::decode(&encoded, &other);
        }
        let _ = json::decode(json_text(&value.null_unknowns()).as_bytes(), &other);
    }

    #[test]
    fn mutated_encodings_never_panic(
        (ty, value) in typed_value(true),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut encoded = msgpack::encode(&value, &ty).unwrap_or_default();
        if !encoded.is_empty() {
            for (index, byte) in flips {
                let at = index.index(encoded.len());
                encoded[at] = byte;
            }
        }
        let _ = msgpack::decode(&encoded, &ty);
    }
}

/// `value` as JSON text in go-cty's layout (numbers keep their exact text), written with
/// serde_json so the test does not trust an encoder of ours.
fn json_text(value: &Value) -> String {
    fn tree(value: &Value) -> serde_json::Value {
        use serde_json::Value as Json;
        match value {
            Value::Null | Value::Unknown => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(number) => match number.to_string().parse() {
                Ok(number) => Json::Number(number),
                Err(err) => panic!("{number:?} is not a JSON number: {err}"),
            },
            Value::String(text) => Json::String(text.clone()),
            Value::List(items) | Value::Set(items) => Json::Array(items.iter().map(tree).collect()),
            Value::Map(entries) | Value::Object(entries) => {
                Json::Object(entries.iter().map(|(key, item)| (key.clone(), tree(item))).collect())
            }
        }
    }
    tree(value).to_string()
}
