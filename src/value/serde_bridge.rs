//! The serde bridge: typed config and state structs to and from [`Value`].
//!
//! Resources declare plain `#[derive(Serialize, Deserialize)]` structs; this file
//! turns a decoded `Value` into one ([`from_value`], a `serde::Deserializer` over
//! `&Value`) and back ([`to_value`], a `serde::Serializer` whose loose result is
//! then shaped by the schema's [`Type`]). Null and unknown both read as `None`, so
//! computed attributes that are not known yet simply look absent.
//!
//! Error messages never include string or number content, since values may be
//! secrets: serde's usual "invalid type: string \"...\"" is redacted to the kind.

use std::collections::{btree_map, BTreeMap};
use std::fmt;

use serde::de::{
    self, value::BorrowedStrDeserializer, DeserializeSeed, Deserializer, EnumAccess, Expected, IntoDeserializer,
    MapAccess, SeqAccess, Unexpected, VariantAccess, Visitor,
};
use serde::ser::{self, Serialize};

use super::path::Tracker;
use super::{truncate, AttributePath, Number, PathPrefix, PathStep, Quoted, Type, Value, ECHO_MAX_CHARS};

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

impl SerdeError {
    fn at(path: &AttributePath, message: impl Into<String>) -> SerdeError {
        SerdeError {
            path: path.clone(),
            message: message.into(),
        }
    }

    fn root(message: impl Into<String>) -> SerdeError {
        SerdeError::at(&AttributePath::root(), message)
    }

    /// Adds the step the error unwound through; a set element (`None`) has no
    /// address, so the path restarts at the set.
    fn located(mut self, step: Option<PathStep>) -> SerdeError {
        match step {
            Some(step) => self.path.prepend(step),
            None => self.path = AttributePath::root(),
        }
        self
    }
}

impl de::Error for SerdeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        // Serde's own messages name fields and variants, which come from the input.
        SerdeError::root(truncate(&msg.to_string(), CUSTOM_MAX_CHARS))
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        SerdeError::root(format!("invalid type: {}, expected {expected}", redacted(&unexpected)))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        SerdeError::root(format!("invalid value: {}, expected {expected}", redacted(&unexpected)))
    }

    fn unknown_variant(_variant: &str, expected: &'static [&'static str]) -> Self {
        // The offending text is config content, so name only what would be accepted.
        let names: Vec<String> = expected.iter().map(|name| format!("`{name}`")).collect();
        SerdeError::root(format!("unknown variant, expected one of {}", names.join(", ")))
    }
}

impl ser::Error for SerdeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        SerdeError::root(truncate(&msg.to_string(), CUSTOM_MAX_CHARS))
    }
}

/// Most characters kept of a message serde or a `Serialize` impl made up.
const CUSTOM_MAX_CHARS: usize = 2 * ECHO_MAX_CHARS;

/// The kind of an unexpected value without its content.
fn redacted(unexpected: &Unexpected<'_>) -> String {
    match unexpected {
        Unexpected::Bool(_) => "a boolean".to_owned(),
        Unexpected::Unsigned(_) | Unexpected::Signed(_) => "an integer".to_owned(),
        Unexpected::Float(_) => "a floating point number".to_owned(),
        Unexpected::Char(_) => "a character".to_owned(),
        Unexpected::Str(_) => "a string".to_owned(),
        Unexpected::Bytes(_) => "bytes".to_owned(),
        other => other.to_string(),
    }
}

/// Reads a typed struct (or any `Deserialize` type) from a value.
///
/// Null and unknown read as `None` for `Option` fields and error ("value is
/// null" / "value is unknown") for anything else. Objects and maps read as
/// structs and maps (object attributes the struct lacks are ignored), lists, sets
/// and tuples as sequences (`Vec`, `BTreeSet`), numbers as any integer or float
/// type that holds them exactly, and a number also reads as its decimal text into
/// a `String`. Errors carry the path of the offending attribute.
pub fn from_value<T: de::DeserializeOwned>(value: &Value) -> Result<T, SerdeError> {
    T::deserialize(ValueDeserializer { value })
}

/// Writes a typed struct as a value of type `ty`.
///
/// `None` and `()` become null; sequences become the list, set or tuple `ty`
/// asks for; structs and maps become objects or maps (object attributes the
/// struct lacks are null, struct fields the object lacks are an error); a
/// newtype struct is its inner value and a unit enum variant is its name.
/// Errors carry the path where the value did not fit `ty`.
pub fn to_value<T: Serialize>(value: &T, ty: &Type) -> Result<Value, SerdeError> {
    let loose = value.serialize(LooseSerializer)?;
    coerce(loose, ty, &mut Tracker::new())
}

/// A `serde::Deserializer` over a borrowed value.
struct ValueDeserializer<'de> {
    value: &'de Value,
}

impl<'de> ValueDeserializer<'de> {
    /// The value, unless it is null or unknown, which only `Option` may read.
    fn present(&self) -> Result<&'de Value, SerdeError> {
        match self.value {
            Value::Null => Err(SerdeError::root("value is null")),
            Value::Unknown => Err(SerdeError::root("value is unknown")),
            value => Ok(value),
        }
    }

    fn visit_seq<V: Visitor<'de>>(items: &'de [Value], is_set: bool, visitor: V) -> Result<V::Value, SerdeError> {
        let mut access = SeqDeserializer {
            items: items.iter(),
            index: 0,
            is_set,
        };
        let result = visitor.visit_seq(&mut access)?;
        if access.items.len() > 0 {
            return Err(de::Error::invalid_length(items.len(), &"fewer elements"));
        }
        Ok(result)
    }

    fn visit_map<V: Visitor<'de>>(
        entries: &'de BTreeMap<String, Value>,
        is_object: bool,
        visitor: V,
    ) -> Result<V::Value, SerdeError> {
        visitor.visit_map(MapDeserializer {
            entries: entries.iter(),
            pending: None,
            is_object,
        })
    }

    fn visit_integer<V: Visitor<'de>>(self, visitor: V, signed: bool) -> Result<V::Value, SerdeError> {
        match self.present()? {
            Value::Number(number) => {
                // Try the form the target prefers first, so visitors see an exact integer.
                let (first, second) = (number.as_i64(), number.as_u64());
                match (signed, first, second) {
                    (true, Some(int), _) => visitor.visit_i64(int),
                    (_, _, Some(uint)) => visitor.visit_u64(uint),
                    (false, Some(int), None) => visitor.visit_i64(int),
                    _ => visit_number(number, visitor),
                }
            }
            _ => self.deserialize_any(visitor),
        }
    }
}

fn visit_number<'de, V: Visitor<'de>>(number: &Number, visitor: V) -> Result<V::Value, SerdeError> {
    match number {
        Number::Int(int) => visitor.visit_i64(*int),
        Number::UInt(uint) => visitor.visit_u64(*uint),
        Number::Float(float) => visitor.visit_f64(*float),
        Number::Big(text) => match Number::parse(text) {
            Ok(Number::Int(int)) => visitor.visit_i64(int),
            Ok(Number::UInt(uint)) => visitor.visit_u64(uint),
            Ok(Number::Float(float)) => visitor.visit_f64(float),
            // Beyond f64's exact range: the nearest float is the best a visitor can take.
            Ok(big) => match big.as_f64() {
                Some(float) => visitor.visit_f64(float),
                None => Err(SerdeError::root("invalid decimal number")),
            },
            Err(_) => Err(SerdeError::root("invalid decimal number")),
        },
    }
}

macro_rules! forward_integer {
    ($($method:ident => $signed:expr),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerdeError> {
                self.visit_integer(visitor, $signed)
            }
        )*
    };
}

macro_rules! forward_present {
    ($($method:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerdeError> {
                self.present()?;
                self.deserialize_any(visitor)
            }
        )*
    };
}

impl<'de> Deserializer<'de> for ValueDeserializer<'de> {
    type Error = SerdeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerdeError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Unknown => Err(SerdeError::root("value is unknown")),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(number) => visit_number(number, visitor),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::List(items) | Value::Tuple(items) => Self::visit_seq(items, false, visitor),
            Value::Set(items) => Self::visit_seq(items, true, visitor),
            Value::Map(entries) => Self::visit_map(entries, false, visitor),
            Value::Object(entries) => Self::visit_map(entries, true, visitor),
        }
    }

    forward_integer! {
        deserialize_i8 => true, deserialize_i16 => true, deserialize_i32 => true,
        deserialize_i64 => true, deserialize_i128 => true,
        deserialize_u8 => false, deserialize_u16 => false, deserialize_u32 => false,
        deserialize_u64 => false, deserialize_u128 => false,
    }

    forward_present! {
        deserialize_bool, deserialize_char, deserialize_bytes, deserialize_byte_buf,
        deserialize_seq, deserialize_map,
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerdeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerdeError> {
        match self.present()? {
            Value::Number(number) => match number.as_f64() {
                Some(float) => visitor.visit_f64(float),
                None => Err(SerdeError::root("invalid decimal number")),
            },
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerdeError> {
        match self.present()? {
            // A number reads as its exact decimal text, for numbers beyond f64.
            Value::Number(number) => visitor.visit_string(number.to_string()),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerdeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerdeError> {
        match self.value {
            Value::Null | Value::Unknown => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerdeError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, SerdeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, SerdeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, SerdeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, SerdeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SerdeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SerdeError> {
        match self.present()? {
            Value::String(variant) => visitor.visit_enum(BorrowedStrDeserializer::<SerdeError>::new(variant)),
            Value::Map(entries) | Value::Object(entries) if entries.len() == 1 => match entries.iter().next() {
                Some((variant, value)) => visitor.visit_enum(EnumDeserializer { variant, value }),
                None => Err(SerdeError::root("expected an enum")),
            },
            _ => Err(de::Error::invalid_type(
                Unexpected::Other(self.value.kind_name()),
                &"a string or a single-entry object",
            )),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerdeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerdeError> {
        visitor.visit_unit()
    }
}

struct SeqDeserializer<'de> {
    items: std::slice::Iter<'de, Value>,
    index: usize,
    is_set: bool,
}

impl<'de> SeqAccess<'de> for SeqDeserializer<'de> {
    type Error = SerdeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, SerdeError> {
        let Some(value) = self.items.next() else {
            return Ok(None);
        };
        let step = (!self.is_set).then(|| PathStep::ElementKeyInt(i64::try_from(self.index).unwrap_or(i64::MAX)));
        self.index += 1;
        seed.deserialize(ValueDeserializer { value })
            .map(Some)
            .map_err(|err| err.located(step))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDeserializer<'de> {
    entries: btree_map::Iter<'de, String, Value>,
    pending: Option<(&'de String, &'de Value)>,
    is_object: bool,
}

impl<'de> MapAccess<'de> for MapDeserializer<'de> {
    type Error = SerdeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, SerdeError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.pending = Some((key, value));
        seed.deserialize(BorrowedStrDeserializer::new(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, SerdeError> {
        let Some((key, value)) = self.pending.take() else {
            return Err(SerdeError::root("map value requested before its key"));
        };
        let step = if self.is_object {
            PathStep::Attribute(key.clone())
        } else {
            PathStep::ElementKeyString(key.clone())
        };
        seed.deserialize(ValueDeserializer { value })
            .map_err(|err| err.located(Some(step)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct EnumDeserializer<'de> {
    variant: &'de String,
    value: &'de Value,
}

impl<'de> EnumAccess<'de> for EnumDeserializer<'de> {
    type Error = SerdeError;
    type Variant = ValueDeserializer<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self::Variant), SerdeError> {
        let variant = seed.deserialize(self.variant.as_str().into_deserializer())?;
        Ok((variant, ValueDeserializer { value: self.value }))
    }
}

impl<'de> VariantAccess<'de> for ValueDeserializer<'de> {
    type Error = SerdeError;

    fn unit_variant(self) -> Result<(), SerdeError> {
        match self.value {
            Value::Null => Ok(()),
            other => Err(de::Error::invalid_type(
                Unexpected::Other(other.kind_name()),
                &"a unit variant",
            )),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, SerdeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, SerdeError> {
        self.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SerdeError> {
        self.deserialize_map(visitor)
    }
}

/// Serializes into an untyped value: sequences as tuples, structs as objects,
/// maps as maps. [`coerce`] then shapes it by the type.
struct LooseSerializer;

impl ser::Serializer for LooseSerializer {
    type Ok = Value;
    type Error = SerdeError;
    type SerializeSeq = SeqSerializer;
    type SerializeTuple = SeqSerializer;
    type SerializeTupleStruct = SeqSerializer;
    type SerializeTupleVariant = VariantSerializer<SeqSerializer>;
    type SerializeMap = MapSerializer;
    type SerializeStruct = StructSerializer;
    type SerializeStructVariant = VariantSerializer<StructSerializer>;

    fn serialize_bool(self, v: bool) -> Result<Value, SerdeError> {
        Ok(Value::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<Value, SerdeError> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<Value, SerdeError> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<Value, SerdeError> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<Value, SerdeError> {
        Ok(Value::Number(Number::Int(v)))
    }

    fn serialize_i128(self, v: i128) -> Result<Value, SerdeError> {
        Ok(Value::Number(match i64::try_from(v) {
            Ok(int) => Number::Int(int),
            Err(_) => match u64::try_from(v) {
                Ok(uint) => Number::UInt(uint),
                Err(_) => Number::Big(v.to_string()),
            },
        }))
    }

    fn serialize_u8(self, v: u8) -> Result<Value, SerdeError> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<Value, SerdeError> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<Value, SerdeError> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<Value, SerdeError> {
        Ok(Value::Number(match i64::try_from(v) {
            Ok(int) => Number::Int(int),
            Err(_) => Number::UInt(v),
        }))
    }

    fn serialize_u128(self, v: u128) -> Result<Value, SerdeError> {
        match i128::try_from(v) {
            Ok(int) => self.serialize_i128(int),
            Err(_) => Ok(Value::Number(Number::Big(v.to_string()))),
        }
    }

    fn serialize_f32(self, v: f32) -> Result<Value, SerdeError> {
        // Through the shortest decimal text, so 0.1f32 becomes 0.1 rather than 0.100000001.
        let widened = v.to_string().parse().unwrap_or(f64::from(v));
        Ok(Value::Number(Number::Float(widened)))
    }

    fn serialize_f64(self, v: f64) -> Result<Value, SerdeError> {
        Ok(Value::Number(Number::Float(v)))
    }

    fn serialize_char(self, v: char) -> Result<Value, SerdeError> {
        Ok(Value::String(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Value, SerdeError> {
        Ok(Value::String(v.to_owned()))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Value, SerdeError> {
        Ok(Value::Tuple(
            v.iter()
                .map(|byte| Value::Number(Number::Int(i64::from(*byte))))
                .collect(),
        ))
    }

    fn serialize_none(self) -> Result<Value, SerdeError> {
        Ok(Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, SerdeError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, SerdeError> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, SerdeError> {
        Ok(Value::Null)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, SerdeError> {
        Ok(Value::String(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, SerdeError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, SerdeError> {
        Ok(Value::object([(variant, value.serialize(self)?)]))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSerializer, SerdeError> {
        Ok(SeqSerializer {
            items: Vec::with_capacity(len.unwrap_or(0).min(1024)),
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<SeqSerializer, SerdeError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqSerializer, SerdeError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSerializer<SeqSerializer>, SerdeError> {
        Ok(VariantSerializer {
            variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<MapSerializer, SerdeError> {
        Ok(MapSerializer {
            entries: BTreeMap::new(),
            key: None,
        })
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<StructSerializer, SerdeError> {
        Ok(StructSerializer {
            attributes: BTreeMap::new(),
        })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantSerializer<StructSerializer>, SerdeError> {
        Ok(VariantSerializer {
            variant,
            inner: StructSerializer {
                attributes: BTreeMap::new(),
            },
        })
    }
}

struct SeqSerializer {
    items: Vec<Value>,
}

impl ser::SerializeSeq for SeqSerializer {
    type Ok = Value;
    type Error = SerdeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerdeError> {
        self.items.push(value.serialize(LooseSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value, SerdeError> {
        Ok(Value::Tuple(self.items))
    }
}

impl ser::SerializeTuple for SeqSerializer {
    type Ok = Value;
    type Error = SerdeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerdeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<Value, SerdeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqSerializer {
    type Ok = Value;
    type Error = SerdeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerdeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<Value, SerdeError> {
        ser::SerializeSeq::end(self)
    }
}

struct MapSerializer {
    entries: BTreeMap<String, Value>,
    key: Option<String>,
}

impl ser::SerializeMap for MapSerializer {
    type Ok = Value;
    type Error = SerdeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerdeError> {
        // Like serde_json, accept keys that print naturally as strings.
        self.key = Some(match key.serialize(LooseSerializer)? {
            Value::String(s) => s,
            Value::Number(number) => number.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(SerdeError::root("map keys must be strings")),
        });
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerdeError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| SerdeError::root("map value serialized before its key"))?;
        let value = value
            .serialize(LooseSerializer)
            .map_err(|err| err.located(Some(PathStep::ElementKeyString(key.clone()))))?;
        self.entries.insert(key, value);
        Ok(())
    }

    fn end(self) -> Result<Value, SerdeError> {
        Ok(Value::Map(self.entries))
    }
}

struct StructSerializer {
    attributes: BTreeMap<String, Value>,
}

impl ser::SerializeStruct for StructSerializer {
    type Ok = Value;
    type Error = SerdeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), SerdeError> {
        let value = value
            .serialize(LooseSerializer)
            .map_err(|err| err.located(Some(PathStep::Attribute(key.to_owned()))))?;
        self.attributes.insert(key.to_owned(), value);
        Ok(())
    }

    fn end(self) -> Result<Value, SerdeError> {
        Ok(Value::Object(self.attributes))
    }
}

/// A tuple or struct enum variant, written as `{variant: inner}`.
struct VariantSerializer<S> {
    variant: &'static str,
    inner: S,
}

impl ser::SerializeTupleVariant for VariantSerializer<SeqSerializer> {
    type Ok = Value;
    type Error = SerdeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerdeError> {
        ser::SerializeSeq::serialize_element(&mut self.inner, value)
    }

    fn end(self) -> Result<Value, SerdeError> {
        let inner = ser::SerializeSeq::end(self.inner)?;
        Ok(Value::object([(self.variant, inner)]))
    }
}

impl ser::SerializeStructVariant for VariantSerializer<StructSerializer> {
    type Ok = Value;
    type Error = SerdeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), SerdeError> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }

    fn end(self) -> Result<Value, SerdeError> {
        let inner = ser::SerializeStruct::end(self.inner)?;
        Ok(Value::object([(self.variant, inner)]))
    }
}

/// Shapes a loose value by `ty`: sequences become lists, sets or tuples, maps and
/// structs become maps or objects (filling absent attributes with null).
fn coerce(value: Value, ty: &Type, tracker: &mut Tracker) -> Result<Value, SerdeError> {
    let mismatch = |value: &Value, tracker: &Tracker| {
        SerdeError::at(tracker.path(), format!("expected {ty}, found {}", value.kind_name()))
    };
    match (ty, value) {
        (_, Value::Null) => Ok(Value::Null),
        (_, Value::Unknown) => Ok(Value::Unknown),
        (Type::Dynamic, value) => Ok(value),
        (Type::Bool, value @ Value::Bool(_))
        | (Type::Number, value @ Value::Number(_))
        | (Type::String, value @ Value::String(_)) => Ok(value),
        (Type::List(element) | Type::Set(element), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            let is_set = matches!(ty, Type::Set(_));
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                out.push(tracker.element(is_set, index, |t| coerce(item, element, t))?);
            }
            Ok(if is_set { Value::Set(out) } else { Value::List(out) })
        }
        (Type::Tuple(elements), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            if items.len() != elements.len() {
                return Err(SerdeError::at(
                    tracker.path(),
                    format!("tuple needs {} elements, found {}", elements.len(), items.len()),
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (index, (item, element)) in items.into_iter().zip(elements).enumerate() {
                out.push(tracker.element(false, index, |t| coerce(item, element, t))?);
            }
            Ok(Value::Tuple(out))
        }
        (Type::Map(element), Value::Map(entries) | Value::Object(entries)) => {
            let mut out = BTreeMap::new();
            for (key, item) in entries {
                let item = tracker.step(PathStep::ElementKeyString(key.clone()), |t| coerce(item, element, t))?;
                out.insert(key, item);
            }
            Ok(Value::Map(out))
        }
        (Type::Object(attributes), Value::Map(mut entries) | Value::Object(mut entries)) => {
            if let Some(extra) = entries.keys().find(|key| !attributes.contains_key(*key)) {
                return Err(SerdeError::at(
                    tracker.path(),
                    format!("field {} is not an attribute of the object type", Quoted(extra)),
                ));
            }
            let mut out = BTreeMap::new();
            for (name, attribute_type) in attributes {
                let item = entries.remove(name).unwrap_or(Value::Null);
                let item = tracker.step(PathStep::Attribute(name.clone()), |t| coerce(item, attribute_type, t))?;
                out.insert(name.clone(), item);
            }
            Ok(Value::Object(out))
        }
        (_, value) => Err(mismatch(&value, tracker)),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use serde::{Deserialize, Serialize};

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
                "at status: unknown variant, expected one of `ACTIVE`, `DISABLED`",
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
        check::<u8>(&Value::from(300), Err("invalid value: an integer, expected u8"));
        check::<u64>(&Value::Number(Number::UInt(u64::MAX)), Ok(u64::MAX));
        check::<i64>(&Value::Number(Number::Float(3.0)), Ok(3));
        check::<i64>(&Value::Number(Number::Big("1e3".into())), Ok(1000));
        check::<f64>(&Value::Number(Number::Big("0.5".into())), Ok(0.5));
        check::<f64>(&Value::from(2), Ok(2.0));
        check::<String>(&big, Ok("123456789012345678901234567890".to_owned()));
        check::<f64>(&big, Ok(1.2345678901234568e29));
        check::<i64>(
            &Value::Number(Number::Float(1.5)),
            Err("invalid type: a floating point number, expected i64"),
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
        check::<(String, i64)>(&Value::Tuple(vec![s("a"), Value::from(1)]), Ok(("a".to_owned(), 1)));
        check::<(String,)>(
            &Value::Tuple(vec![s("a"), Value::from(1)]),
            Err("invalid length 2, expected fewer elements"),
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
        assert_eq!(
            to_value(&("a", 1u64), &Type::Tuple(vec![Type::String, Type::Number])),
            Ok(Value::Tuple(vec![s("a"), Value::from(1)]))
        );
        assert_eq!(to_value(&Secret("k".into()), &Type::String), Ok(s("k")));
        assert_eq!(to_value(&None::<String>, &Type::String), Ok(Value::Null));
        assert_eq!(
            to_value(&u128::MAX, &Type::Number),
            Ok(Value::Number(Number::Big(u128::MAX.to_string())))
        );
        assert_eq!(to_value(&0.1f32, &Type::Number), Ok(Value::Number(Number::Float(0.1))));
        assert_eq!(
            to_value(&serde_json::json!({"a": [1, "x"]}), &Type::Dynamic),
            Ok(Value::Map(
                [("a".to_owned(), Value::Tuple(vec![Value::from(1), s("x")]))].into()
            ))
        );
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
        assert_eq!(
            error(to_value(&vec!["a"], &Type::Tuple(vec![]))),
            Err("tuple needs 0 elements, found 1".to_owned())
        );
    }
}
