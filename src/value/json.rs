//! The JSON codec for `DynamicValue.json` and `RawState.json`.
//!
//! Terraform sends JSON only as a fallback and in `UpgradeResourceState`, where the
//! raw state is the JSON stored in `terraform.tfstate` under the schema it was
//! written with. So decoding is lenient where go-cty's `cty/json` is: object keys
//! the type lacks are ignored (old state may hold removed attributes), missing
//! attributes are null, and primitives convert between strings, numbers and bools.
//! `dynamic` is `{"value": ..., "type": ...}`. JSON cannot hold unknowns.
//!
//! A small parser of our own reads the text so that numbers keep their exact
//! decimal text; serde_json would round big numbers to f64 without its
//! crate-wide `arbitrary_precision` feature.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::path::Tracker;
use super::types::implied_type;
use super::{AttributePath, DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind, Number, PathStep, Type, Value};

/// Maximum nesting of arrays and objects, matching serde_json's default limit.
const MAX_DEPTH: usize = 128;

/// Decodes `bytes` as one JSON value of type `ty`.
///
/// Errors (never panics) on malformed JSON, trailing data, nesting deeper than 128,
/// duplicate keys, and input that does not fit `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let text = std::str::from_utf8(bytes).map_err(|err| {
        DecodeError::new(
            &AttributePath::root(),
            DecodeErrorKind::Malformed(format!("JSON: invalid UTF-8 at byte {}", err.valid_up_to())),
        )
    })?;
    let mut parser = Parser { text, pos: 0 };
    let tree = parser.document()?;
    decode_tree(tree, ty, &mut Tracker::new())
}

/// Encodes `value` as JSON of type `ty`, in go-cty's layout.
///
/// Errors on unknown values (JSON cannot hold them), NaN and infinities, and values
/// that do not fit `ty` (see [`super::msgpack::encode`] for what fits).
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    let mut out = String::new();
    encode_into(value, ty, &mut Tracker::new(), &mut out)?;
    Ok(out.into_bytes())
}

/// Parsed JSON with numbers kept as text.
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// For type JSON inside dynamic values, which `Type::from_json` reads.
    fn into_serde(self) -> serde_json::Value {
        match self {
            Json::Null => serde_json::Value::Null,
            Json::Bool(b) => serde_json::Value::Bool(b),
            // Type JSON has no numbers; keep the text so the type error says "shape".
            Json::Number(text) => serde_json::Value::String(text),
            Json::String(s) => serde_json::Value::String(s),
            Json::Array(items) => serde_json::Value::Array(items.into_iter().map(Json::into_serde).collect()),
            Json::Object(entries) => serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(key, item)| (key, item.into_serde()))
                    .collect(),
            ),
        }
    }
}

/// A strict RFC 8259 parser over text already known to be UTF-8.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn document(&mut self) -> Result<Json, DecodeError> {
        let tree = self.value(0)?;
        self.skip_whitespace();
        if self.pos < self.text.len() {
            return Err(DecodeError::new(&AttributePath::root(), DecodeErrorKind::TrailingBytes));
        }
        Ok(tree)
    }

    fn error(&self, what: &str) -> DecodeError {
        DecodeError::new(
            &AttributePath::root(),
            DecodeErrorKind::Malformed(format!("JSON at byte {}: {what}", self.pos)),
        )
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), DecodeError> {
        self.skip_whitespace();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", char::from(byte))))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, DecodeError> {
        self.skip_whitespace();
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                let depth = self.deeper(depth)?;
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_whitespace();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth)?);
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return Err(self.error("expected ',' or ']'")),
                    }
                }
            }
            Some(b'{') => {
                let depth = self.deeper(depth)?;
                self.pos += 1;
                let mut entries = Vec::new();
                self.skip_whitespace();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Json::Object(entries));
                }
                loop {
                    self.skip_whitespace();
                    if self.peek() != Some(b'"') {
                        return Err(self.error("expected a string key"));
                    }
                    let key = self.string()?;
                    self.expect(b':')?;
                    entries.push((key, self.value(depth)?));
                    self.skip_whitespace();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Json::Object(entries));
                        }
                        _ => return Err(self.error("expected ',' or '}'")),
                    }
                }
            }
            Some(_) => Err(self.error("expected a value")),
        }
    }

    fn deeper(&self, depth: usize) -> Result<usize, DecodeError> {
        if depth >= MAX_DEPTH {
            Err(self.error("nesting too deep"))
        } else {
            Ok(depth + 1)
        }
    }

    fn literal(&mut self, word: &str, tree: Json) -> Result<Json, DecodeError> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(tree)
        } else {
            Err(self.error("invalid literal"))
        }
    }

    fn number(&mut self) -> Result<Json, DecodeError> {
        let start = self.pos;
        let digits = |parser: &mut Self| {
            let from = parser.pos;
            while matches!(parser.peek(), Some(b'0'..=b'9')) {
                parser.pos += 1;
            }
            parser.pos - from
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let integer_start = self.pos;
        let integer_digits = digits(self);
        if integer_digits == 0 || (integer_digits > 1 && self.text.as_bytes()[integer_start] == b'0') {
            return Err(self.error("invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        Ok(Json::Number(self.text[start..self.pos].to_owned()))
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        // The caller saw the opening quote.
        self.pos += 1;
        let mut out = String::new();
        let mut run_start = self.pos;
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    out.push_str(&self.text[run_start..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(&self.text[run_start..self.pos]);
                    self.pos += 1;
                    let simple = match self.peek() {
                        Some(b'"') => Some('"'),
                        Some(b'\\') => Some('\\'),
                        Some(b'/') => Some('/'),
                        Some(b'b') => Some('\u{8}'),
                        Some(b'f') => Some('\u{c}'),
                        Some(b'n') => Some('\n'),
                        Some(b'r') => Some('\r'),
                        Some(b't') => Some('\t'),
                        Some(b'u') => None,
                        _ => return Err(self.error("invalid escape")),
                    };
                    self.pos += 1;
                    let escaped = match simple {
                        Some(c) => c,
                        None => self.unicode_escape()?,
                    };
                    out.push(escaped);
                    run_start = self.pos;
                }
                Some(byte) if byte < 0x20 => return Err(self.error("control character in string")),
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Reads the hex digits after `\u` (and a following low surrogate if needed);
    /// leaves `pos` after the last digit.
    fn unicode_escape(&mut self) -> Result<char, DecodeError> {
        let high = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&high) {
            if !self.text[self.pos..].starts_with("\\u") {
                return Err(self.error("unpaired surrogate"));
            }
            self.pos += 2;
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err(self.error("unpaired surrogate"));
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
            high
        };
        char::from_u32(code).ok_or_else(|| self.error("unpaired surrogate"))
    }

    fn hex4(&mut self) -> Result<u32, DecodeError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|digits| digits.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        let code = u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid \\u escape"))?;
        self.pos += 4;
        Ok(code)
    }
}

fn decode_tree(tree: Json, ty: &Type, tracker: &mut Tracker) -> Result<Value, DecodeError> {
    let fail = |kind, tracker: &Tracker| DecodeError::new(tracker.path(), kind);
    let wrong_type = |tree: &Json, tracker: &Tracker| {
        DecodeError::new(
            tracker.path(),
            DecodeErrorKind::WrongType {
                expected: ty.to_string(),
                found: tree.kind(),
            },
        )
    };
    if let Json::Null = tree {
        return Ok(Value::Null);
    }
    match ty {
        Type::Dynamic => {
            let entries = match tree {
                Json::Object(entries) => entries,
                other => return Err(wrong_type(&other, tracker)),
            };
            let mut type_json = None;
            let mut value_json = None;
            for (key, item) in entries {
                match key.as_str() {
                    "type" => type_json = Some(item),
                    "value" => value_json = Some(item),
                    // Other keys carry nothing we need.
                    _ => {}
                }
            }
            let (Some(type_json), Some(value_json)) = (type_json, value_json) else {
                return Err(fail(
                    DecodeErrorKind::DynamicShape("expected {\"type\", \"value\"}"),
                    tracker,
                ));
            };
            let inner = Type::from_json(&type_json.into_serde())
                .map_err(|err| fail(DecodeErrorKind::DynamicType(err), tracker))?;
            decode_tree(value_json, &inner, tracker)
        }
        // go-cty converts between primitives when reading JSON; so do we.
        Type::Bool => match tree {
            Json::Bool(b) => Ok(Value::Bool(b)),
            Json::String(s) if s == "true" => Ok(Value::Bool(true)),
            Json::String(s) if s == "false" => Ok(Value::Bool(false)),
            other => Err(wrong_type(&other, tracker)),
        },
        Type::Number => match tree {
            Json::Number(text) | Json::String(text) => Number::parse(&text)
                .map(Value::Number)
                .map_err(|_| fail(DecodeErrorKind::InvalidNumber, tracker)),
            other => Err(wrong_type(&other, tracker)),
        },
        Type::String => match tree {
            Json::String(s) | Json::Number(s) => Ok(Value::String(s)),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            other => Err(wrong_type(&other, tracker)),
        },
        Type::List(element) | Type::Set(element) => {
            let is_set = matches!(ty, Type::Set(_));
            let items = match tree {
                Json::Array(items) => items,
                other => return Err(wrong_type(&other, tracker)),
            };
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                out.push(tracker.element(is_set, index, |t| decode_tree(item, element, t))?);
            }
            Ok(if is_set { Value::Set(out) } else { Value::List(out) })
        }
        Type::Tuple(elements) => {
            let items = match tree {
                Json::Array(items) => items,
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
                out.push(tracker.element(false, index, |t| decode_tree(item, element, t))?);
            }
            Ok(Value::Tuple(out))
        }
        Type::Map(element) => {
            let entries = match tree {
                Json::Object(entries) => entries,
                other => return Err(wrong_type(&other, tracker)),
            };
            let mut out = BTreeMap::new();
            for (key, item) in entries {
                let value = tracker.step(PathStep::ElementKeyString(key.clone()), |t| {
                    decode_tree(item, element, t)
                })?;
                if out.insert(key.clone(), value).is_some() {
                    return Err(fail(DecodeErrorKind::DuplicateKey(key), tracker));
                }
            }
            Ok(Value::Map(out))
        }
        Type::Object(attributes) => {
            let entries = match tree {
                Json::Object(entries) => entries,
                other => return Err(wrong_type(&other, tracker)),
            };
            let mut out = BTreeMap::new();
            for (key, item) in entries {
                // Raw state may hold attributes a newer schema removed; skip them.
                let Some(attribute_type) = attributes.get(&key) else {
                    continue;
                };
                let value = tracker.step(PathStep::Attribute(key.clone()), |t| {
                    decode_tree(item, attribute_type, t)
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

fn encode_into(value: &Value, ty: &Type, tracker: &mut Tracker, out: &mut String) -> Result<(), EncodeError> {
    let fail = |kind, tracker: &Tracker| EncodeError::new(tracker.path(), kind);
    match value {
        Value::Null => {
            out.push_str("null");
            return Ok(());
        }
        Value::Unknown => return Err(fail(EncodeErrorKind::Unknown, tracker)),
        _ => {}
    }
    match (ty, value) {
        (Type::Dynamic, _) => {
            let implied = implied_type(value).ok_or_else(|| fail(EncodeErrorKind::NoImpliedType, tracker))?;
            out.push_str("{\"value\":");
            encode_into(value, &implied, tracker, out)?;
            out.push_str(",\"type\":");
            out.push_str(&implied.to_json().to_string());
            out.push('}');
        }
        (Type::Bool, Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
        (Type::Number, Value::Number(number)) => match number {
            Number::Int(int) => push_display(out, int),
            Number::UInt(uint) => push_display(out, uint),
            Number::Float(float) if float.is_finite() => push_float(out, *float),
            Number::Float(_) => return Err(fail(EncodeErrorKind::NonFiniteNumber, tracker)),
            Number::Big(text) => match Number::parse(text) {
                Ok(Number::Int(int)) => push_display(out, int),
                Ok(Number::UInt(uint)) => push_display(out, uint),
                Ok(Number::Float(float)) => push_float(out, float),
                Ok(Number::Big(text)) => push_decimal(out, &text),
                Err(_) => return Err(fail(EncodeErrorKind::InvalidNumber, tracker)),
            },
        },
        (Type::String, Value::String(s)) => push_string(out, s),
        (Type::List(element) | Type::Set(element), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            let is_set = matches!(ty, Type::Set(_));
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                tracker.element(is_set, index, |t| encode_into(item, element, t, out))?;
            }
            out.push(']');
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
            out.push('[');
            for (index, (item, element)) in items.iter().zip(elements).enumerate() {
                if index > 0 {
                    out.push(',');
                }
                tracker.element(false, index, |t| encode_into(item, element, t, out))?;
            }
            out.push(']');
        }
        (Type::Map(element), Value::Map(entries) | Value::Object(entries)) => {
            out.push('{');
            for (index, (key, item)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                push_string(out, key);
                out.push(':');
                tracker.step(PathStep::ElementKeyString(key.clone()), |t| {
                    encode_into(item, element, t, out)
                })?;
            }
            out.push('}');
        }
        (Type::Object(attributes), Value::Map(entries) | Value::Object(entries)) => {
            if let Some(extra) = entries.keys().find(|key| !attributes.contains_key(*key)) {
                return Err(fail(EncodeErrorKind::UnsupportedAttribute(extra.clone()), tracker));
            }
            out.push('{');
            for (index, (name, attribute_type)) in attributes.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                push_string(out, name);
                out.push(':');
                let item = entries.get(name).unwrap_or(&Value::Null);
                tracker.step(PathStep::Attribute(name.clone()), |t| {
                    encode_into(item, attribute_type, t, out)
                })?;
            }
            out.push('}');
        }
        _ => return Err(EncodeError::wrong_type(tracker.path(), ty, value)),
    }
    Ok(())
}

fn push_display(out: &mut String, item: impl std::fmt::Display) {
    // Writing to a String cannot fail.
    let _ = write!(out, "{item}");
}

fn push_float(out: &mut String, float: f64) {
    // `{:?}` is the shortest round-trip text and always valid JSON for finite floats
    // ("1.0", "0.1", "1e300").
    let _ = write!(out, "{float:?}");
}

/// Writes decimal text `Number::parse` accepted, rewritten only where JSON is
/// stricter (leading zeros).
fn push_decimal(out: &mut String, text: &str) {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let integer_len = unsigned.find(|c: char| !c.is_ascii_digit()).unwrap_or(unsigned.len());
    let (integer, rest) = unsigned.split_at(integer_len);
    let trimmed = integer.trim_start_matches('0');
    out.push_str(sign);
    out.push_str(if trimmed.is_empty() { "0" } else { trimmed });
    out.push_str(rest);
}

fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, PartialEq)]
    enum Direction {
        Both,
        DecodeOnly,
    }
    use Direction::{Both, DecodeOnly};

    fn check(name: &str, ty: &Type, text: &str, expected: &Value, direction: Direction) {
        match decode(text.as_bytes(), ty) {
            Ok(decoded) => assert_eq!(&decoded, expected, "{name}: decode"),
            Err(err) => panic!("{name}: decode failed: {err}"),
        }
        if direction == Both {
            match encode(expected, ty) {
                Ok(encoded) => assert_eq!(String::from_utf8_lossy(&encoded), text, "{name}: encode"),
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
        let vectors: Vec<(&str, Type, &str, Value, Direction)> = vec![
            ("null", Type::String, "null", Value::Null, Both),
            ("string", Type::String, "\"hi\"", s("hi"), Both),
            (
                "escapes",
                Type::String,
                r#""a\"b\\c\nd\u0001é/""#,
                s("a\"b\\c\nd\u{1}é/"),
                Both,
            ),
            (
                "unicode escapes",
                Type::String,
                r#""\u00e9\ud83d\ude00\/""#,
                s("é😀/"),
                DecodeOnly,
            ),
            ("string from number", Type::String, "12.50", s("12.50"), DecodeOnly),
            ("string from bool", Type::String, "true", s("true"), DecodeOnly),
            ("bool", Type::Bool, "false", Value::Bool(false), Both),
            (
                "bool from string",
                Type::Bool,
                "\"true\"",
                Value::Bool(true),
                DecodeOnly,
            ),
            ("int", Type::Number, "42", n(42), Both),
            ("negative", Type::Number, "-7", n(-7), Both),
            ("float", Type::Number, "1.5", Value::Number(Number::Float(1.5)), Both),
            (
                "exponent",
                Type::Number,
                "1e300",
                Value::Number(Number::Float(1e300)),
                Both,
            ),
            (
                "big int",
                Type::Number,
                "123456789012345678901234567890",
                big("123456789012345678901234567890"),
                Both,
            ),
            (
                "precise decimal",
                Type::Number,
                "0.1000000000000000000001",
                big("0.1000000000000000000001"),
                Both,
            ),
            ("number from string", Type::Number, "\"12\"", n(12), DecodeOnly),
            (
                "list",
                Type::list(Type::String),
                "[\"a\",null]",
                Value::List(vec![s("a"), Value::Null]),
                Both,
            ),
            (
                "set",
                Type::set(Type::Number),
                "[2,1]",
                Value::Set(vec![n(1), n(2)]),
                DecodeOnly,
            ),
            (
                "map",
                Type::map(Type::Bool),
                "{\"a\":true,\"b\":null}",
                Value::Map([("a".to_owned(), Value::Bool(true)), ("b".to_owned(), Value::Null)].into()),
                Both,
            ),
            (
                "tuple",
                Type::Tuple(vec![Type::String, Type::Number]),
                "[\"a\",1]",
                Value::Tuple(vec![s("a"), n(1)]),
                Both,
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
                Both,
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
                DecodeOnly,
            ),
            (
                "dynamic",
                Type::Dynamic,
                "{\"value\":\"hi\",\"type\":\"string\"}",
                s("hi"),
                Both,
            ),
            (
                "dynamic type first",
                Type::Dynamic,
                "{\"type\":\"number\",\"value\":5}",
                n(5),
                DecodeOnly,
            ),
            (
                "dynamic object",
                Type::Dynamic,
                "{\"value\":{\"a\":[true]},\"type\":[\"object\",{\"a\":[\"list\",\"bool\"]}]}",
                Value::object([("a", Value::List(vec![Value::Bool(true)]))]),
                Both,
            ),
            ("dynamic null", Type::Dynamic, "null", Value::Null, Both),
            (
                "whitespace",
                Type::map(Type::list(Type::Number)),
                " \n{ \"a\" :\t[ 1 , 2 ]\r\n} ",
                Value::Map([("a".to_owned(), Value::List(vec![n(1), n(2)]))].into()),
                DecodeOnly,
            ),
        ];
        for (name, ty, text, value, direction) in &vectors {
            check(name, ty, text, value, *direction);
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
            (
                "duplicate key",
                roles.clone(),
                br#"{"role_names":[],"role_names":[]}"#,
                "",
                "duplicate key",
            ),
            (
                "tuple length",
                Type::Tuple(vec![Type::Bool]),
                b"[]",
                "",
                "tuple needs 1",
            ),
            (
                "dynamic without type",
                Type::Dynamic,
                br#"{"value":1}"#,
                "",
                "invalid dynamic value",
            ),
            (
                "dynamic bad type",
                Type::Dynamic,
                br#"{"value":1,"type":["list"]}"#,
                "",
                "invalid type in dynamic value",
            ),
            (
                "dynamic not an object",
                Type::Dynamic,
                b"[1]",
                "",
                "expected dynamic, found array",
            ),
            (
                "truncated",
                roles.clone(),
                br#"{"role_names":"#,
                "",
                "unexpected end of input",
            ),
            ("trailing", Type::Number, b"1 2", "", "trailing bytes"),
            ("empty", Type::String, b"", "", "unexpected end of input"),
            ("only whitespace", Type::String, b"  ", "", "unexpected end of input"),
            ("bad literal", Type::String, b"nul", "", "invalid literal"),
            ("leading zero", Type::Number, b"01", "", "invalid number"),
            ("bare minus", Type::Number, b"-", "", "invalid number"),
            ("dot without digits", Type::Number, b"1.", "", "invalid number"),
            ("exponent without digits", Type::Number, b"1e+", "", "invalid number"),
            ("plus sign", Type::Number, b"+1", "", "expected a value"),
            ("bad escape", Type::String, br#""\x""#, "", "invalid escape"),
            (
                "short unicode escape",
                Type::String,
                br#""\u12""#,
                "",
                "invalid \\u escape",
            ),
            (
                "lone high surrogate",
                Type::String,
                br#""\ud800""#,
                "",
                "unpaired surrogate",
            ),
            (
                "lone low surrogate",
                Type::String,
                br#""\udc00""#,
                "",
                "unpaired surrogate",
            ),
            ("control character", Type::String, b"\"a\x01\"", "", "control character"),
            ("unterminated string", Type::String, b"\"abc", "", "unterminated string"),
            ("missing colon", roles.clone(), br#"{"a" 1}"#, "", "expected ':'"),
            (
                "trailing comma",
                Type::list(Type::Number),
                b"[1,]",
                "",
                "expected a value",
            ),
            ("unquoted key", roles.clone(), b"{a:1}", "", "expected a string key"),
            ("invalid utf-8", Type::String, b"\"\xff\"", "", "invalid UTF-8"),
            ("escape at end", Type::String, b"\"\\", "", "invalid escape"),
        ];
        for (name, ty, input, path, message) in &cases {
            check_error(name, ty, input, path, message);
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        check_error("deep arrays", &Type::Dynamic, deep.as_bytes(), "", "nesting too deep");
        let deep_objects = "{\"a\":".repeat(100_000);
        check_error(
            "deep objects",
            &Type::Dynamic,
            deep_objects.as_bytes(),
            "",
            "nesting too deep",
        );
        let mut ok_type = Type::Number;
        for _ in 0..100 {
            ok_type = Type::list(ok_type);
        }
        let ok = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        assert!(decode(ok.as_bytes(), &ok_type).is_ok());
    }

    #[test]
    fn encode_rejects_what_json_cannot_hold() {
        let cases: Vec<(&str, Type, Value, &str, &str)> = vec![
            (
                "unknown inside",
                state_type(),
                Value::object([("role_names", Value::Set(vec![Value::Unknown]))]),
                "role_names",
                "unknown values cannot be encoded",
            ),
            (
                "nan",
                Type::Number,
                Value::Number(Number::Float(f64::NAN)),
                "",
                "not finite",
            ),
            (
                "infinity",
                Type::list(Type::Number),
                Value::List(vec![Value::Number(Number::Float(f64::INFINITY))]),
                "[0]",
                "not finite",
            ),
            (
                "extra attribute",
                state_type(),
                Value::object([("nope", Value::Null)]),
                "",
                "unsupported attribute",
            ),
            ("wrong kind", Type::Bool, s("true"), "", "cannot encode string as bool"),
        ];
        for (name, ty, value, path, message) in cases {
            match encode(&value, &ty) {
                Ok(bytes) => panic!("{name}: encoded to {}", String::from_utf8_lossy(&bytes)),
                Err(err) => {
                    assert_eq!(err.path.to_string(), path, "{name}: {err}");
                    assert!(err.to_string().contains(message), "{name}: {err}");
                }
            }
        }
    }

    #[test]
    fn big_numbers_are_written_as_valid_json() {
        let cases = [
            ("007", "7"),
            ("-00.5e3", "-500.0"),
            ("0001.00000000000000000000001", "1.00000000000000000000001"),
        ];
        for (text, expected) in cases {
            let encoded = encode(&big(text), &Type::Number).map(|b| String::from_utf8_lossy(&b).into_owned());
            assert_eq!(encoded.as_deref(), Ok(expected), "{text}");
        }
    }
}
