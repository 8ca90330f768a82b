//! The msgpack codec for `DynamicValue.msgpack`, the form Terraform always sends.
//!
//! The layout follows go-cty's `cty/msgpack` as described in Terraform's
//! `docs/plugin-protocol/object-wire-format.md`: nil is null, any extension is
//! unknown (Terraform writes `d4 00 00`; refined unknowns use extension type 12),
//! numbers are ints, floats or decimal strings, objects are maps with every
//! attribute present, and `dynamic` is a `[type JSON, value]` pair.
//!
//! Decoding first reads the bytes with `rmpv` (bounded depth, no allocation from
//! untrusted lengths), then walks the result guided by the [`Type`].

use std::collections::BTreeMap;

use rmpv::Value as Raw;

use super::path::Tracker;
use super::types::implied_type;
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
    let mut reader = bytes;
    let raw = rmpv::decode::read_value_with_max_depth(&mut reader, MAX_DEPTH).map_err(|err| {
        DecodeError::new(
            &AttributePath::root(),
            DecodeErrorKind::Malformed(format!("msgpack: {err}")),
        )
    })?;
    if !reader.is_empty() {
        return Err(DecodeError::new(&AttributePath::root(), DecodeErrorKind::TrailingBytes));
    }
    decode_raw(raw, ty, &mut Tracker::new())
}

/// Encodes `value` as msgpack of type `ty`.
///
/// Objects are written with every attribute of `ty` in sorted order, null for
/// those the value lacks. Errors when the value does not fit `ty`: a wrong kind,
/// an object attribute `ty` does not declare, a tuple of the wrong length, or
/// invalid `Number::Big` text. Lists, sets and tuples are interchangeable as
/// values (all are arrays), as are maps and objects.
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
        Type::Dynamic => {
            let items = match raw {
                Raw::Array(items) => items,
                other => return Err(wrong_type(&other, tracker)),
            };
            let [type_raw, value_raw]: [Raw; 2] = items
                .try_into()
                .map_err(|_| fail(DecodeErrorKind::DynamicShape("expected a [type, value] pair"), tracker))?;
            let type_bytes = match type_raw {
                Raw::Binary(bytes) => bytes,
                Raw::String(text) => text.into_bytes(),
                _ => return Err(fail(DecodeErrorKind::DynamicShape("type must be bin or str"), tracker)),
            };
            let type_json: serde_json::Value = serde_json::from_slice(&type_bytes)
                .map_err(|_| fail(DecodeErrorKind::DynamicShape("type is not JSON"), tracker))?;
            let inner = Type::from_json(&type_json).map_err(|err| fail(DecodeErrorKind::DynamicType(err), tracker))?;
            decode_raw(value_raw, &inner, tracker)
        }
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
        Type::Tuple(elements) => {
            let items = match raw {
                Raw::Array(items) => items,
                other => return Err(wrong_type(&other, tracker)),
            };
            if items.len() != elements.len() {
                return Err(fail(
                    DecodeErrorKind::TupleLength {
                        expected: elements.len(),
                        found: items.len(),
                    },
                    tracker,
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (index, (item, element)) in items.into_iter().zip(elements).enumerate() {
                out.push(tracker.element(false, index, |t| decode_raw(item, element, t))?);
            }
            Ok(Value::Tuple(out))
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
        (Type::Dynamic, _) => {
            let implied = implied_type(value).ok_or_else(|| fail(EncodeErrorKind::NoImpliedType, tracker))?;
            let type_json = serde_json::to_vec(&implied.to_json())
                .map_err(|err| fail(EncodeErrorKind::Write(err.to_string()), tracker))?;
            let inner = encode_raw(value, &implied, tracker)?;
            Ok(Raw::Array(vec![Raw::Binary(type_json), inner]))
        }
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
        (Type::List(element) | Type::Set(element), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            let is_set = matches!(ty, Type::Set(_));
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                out.push(tracker.element(is_set, index, |t| encode_raw(item, element, t))?);
            }
            Ok(Raw::Array(out))
        }
        (Type::Tuple(elements), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            if items.len() != elements.len() {
                return Err(fail(
                    EncodeErrorKind::TupleLength {
                        expected: elements.len(),
                        found: items.len(),
                    },
                    tracker,
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (index, (item, element)) in items.iter().zip(elements).enumerate() {
                out.push(tracker.element(false, index, |t| encode_raw(item, element, t))?);
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
