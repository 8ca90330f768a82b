//! Terraform's value model and its wire codecs.
//!
//! Terraform sends every config, plan and state as a `DynamicValue`: msgpack (or, as a
//! fallback, JSON) shaped by the schema's implied [`Type`]. This module holds
//! [`Value`] (with Terraform's null and unknown), [`Type`], [`AttributePath`] for
//! pointing at parts of a value, the [`msgpack`] codec, the [`json`] decoder for raw
//! state, and a serde bridge ([`from_value`], [`to_value`]) so resources work with plain
//! structs. It knows nothing of the remote API, gRPC or the framework.
//!
//! JSON, both from Terraform and from serde, is read by `serde_json` into a loose tree and
//! then shaped by the [`Type`] in one place ([`json::decode`] and the bridge share it).
//! Codec errors carry the [`AttributePath`] where they happened; set elements have no
//! address, so a path stops at the set.

use std::collections::BTreeMap;

mod echo;
pub mod json;
pub mod msgpack;
mod number;
mod path;
mod serde_bridge;
mod types;

pub use echo::{quote, truncate, Quoted, ECHO_MAX_CHARS};
use number::NumberKey;
pub use number::{InvalidNumber, Number};
pub use path::{AttributePath, PathStep, PATH_MAX_CHARS};
pub use serde_bridge::{from_value, to_value, SerdeError};
pub use types::Type;

/// A Terraform value. Which variant is valid depends on the [`Type`] it is read or
/// written with; the codecs check that.
///
/// Equality treats sets as multisets (order-insensitive) and numbers numerically.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Null, valid for every type.
    #[default]
    Null,
    /// Not known until apply, valid for every type.
    Unknown,
    /// A bool.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// Elements of a list.
    List(Vec<Value>),
    /// Elements of a set, in no particular order.
    Set(Vec<Value>),
    /// Entries of a map.
    Map(BTreeMap<String, Value>),
    /// Attributes of an object (a block, or an object-typed attribute).
    Object(BTreeMap<String, Value>),
}

/// Returned by reference for absent attributes and paths.
static NULL: Value = Value::Null;

impl Value {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// An object value from `(name, value)` pairs.
    pub fn object<N: Into<String>>(attributes: impl IntoIterator<Item = (N, Value)>) -> Value {
        Value::Object(
            attributes
                .into_iter()
                .map(|(name, value)| (name.into(), value))
                .collect(),
        )
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this is unknown (at the top level only).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Whether this is not unknown at the top level; parts inside may still be unknown.
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// Whether no part of this value, at any depth, is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(elements) | Value::Set(elements) => elements.iter().all(Value::is_wholly_known),
            Value::Map(entries) | Value::Object(entries) => entries.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bool, if this is a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is a number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The attributes, if this is an object.
    pub fn as_object(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Object(attributes) => Some(attributes),
            _ => None,
        }
    }

    /// The entries, if this is a map.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The elements, if this is a list or set.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(elements) | Value::Set(elements) => Some(elements),
            _ => None,
        }
    }

    /// The attribute `attr` of an object; null when absent or when this is not an object.
    pub fn get(&self, attr: &str) -> &Value {
        match self {
            Value::Object(attributes) => attributes.get(attr).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// The attribute `attr` of an object, mutably; `None` when absent or not an object.
    pub fn get_mut(&mut self, attr: &str) -> Option<&mut Value> {
        match self {
            Value::Object(attributes) => attributes.get_mut(attr),
            _ => None,
        }
    }

    /// The value at `path`: attributes of objects, keys of maps (and objects),
    /// indexes of lists. Null when any step is absent; sets cannot be
    /// indexed, so a step into a set gives null too.
    pub fn at(&self, path: &AttributePath) -> &Value {
        let mut current = self;
        for step in path.steps() {
            current = match (current, step) {
                (Value::Object(attributes), PathStep::Attribute(name))
                | (Value::Object(attributes), PathStep::ElementKeyString(name))
                | (Value::Map(attributes), PathStep::ElementKeyString(name)) => match attributes.get(name) {
                    Some(value) => value,
                    None => return &NULL,
                },
                (Value::List(elements), PathStep::ElementKeyInt(index)) => {
                    match usize::try_from(*index).ok().and_then(|i| elements.get(i)) {
                        Some(value) => value,
                        None => return &NULL,
                    }
                }
                _ => return &NULL,
            };
        }
        current
    }

    /// A copy with every unknown, at any depth, replaced by null.
    pub fn null_unknowns(&self) -> Value {
        match self {
            Value::Unknown => Value::Null,
            Value::List(elements) => Value::List(elements.iter().map(Value::null_unknowns).collect()),
            Value::Set(elements) => Value::Set(elements.iter().map(Value::null_unknowns).collect()),
            Value::Map(entries) => Value::Map(entries.iter().map(|(k, v)| (k.clone(), v.null_unknowns())).collect()),
            Value::Object(attributes) => {
                Value::Object(attributes.iter().map(|(k, v)| (k.clone(), v.null_unknowns())).collect())
            }
            other => other.clone(),
        }
    }

    /// A word for the kind of value, for error messages (never the content).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) | (Value::Unknown, Value::Unknown) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Set(a), Value::Set(b)) => multiset_eq(a, b),
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }
}

/// Order-insensitive comparison counting duplicates, in O(n log n): both sides are sorted
/// by [`SortKey`], which agrees with `==`, and then compared pairwise. Sets in the same
/// order, the usual case, are recognised in one linear pass first.
fn multiset_eq(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.iter().zip(b).all(|(left, right)| left == right) {
        return true;
    }
    // Equal keys mean equal values except where a NaN hides inside, which equals nothing.
    let (left, right) = (SortKey::sorted(a), SortKey::sorted(b));
    left == right && !left.iter().any(SortKey::has_nan)
}

/// A total order on values that agrees with `==` (sets compared as multisets, numbers
/// numerically): equal values have equal keys. The order itself means nothing; it only lets
/// set comparison sort instead of searching. A NaN key equals another NaN key although NaN
/// equals nothing, hence [`SortKey::has_nan`].
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortKey<'a> {
    Null,
    Unknown,
    Bool(bool),
    Number(NumberKey<'a>),
    String(&'a str),
    List(Vec<SortKey<'a>>),
    /// Sorted, so that the order of elements does not matter.
    Set(Vec<SortKey<'a>>),
    Map(Vec<(&'a str, SortKey<'a>)>),
    Object(Vec<(&'a str, SortKey<'a>)>),
}

impl<'a> SortKey<'a> {
    fn of(value: &'a Value) -> SortKey<'a> {
        let entries = |entries: &'a BTreeMap<String, Value>| {
            entries
                .iter()
                .map(|(name, value)| (name.as_str(), SortKey::of(value)))
                .collect()
        };
        match value {
            Value::Null => SortKey::Null,
            Value::Unknown => SortKey::Unknown,
            Value::Bool(b) => SortKey::Bool(*b),
            Value::Number(number) => SortKey::Number(number.sort_key()),
            Value::String(text) => SortKey::String(text),
            Value::List(elements) => SortKey::List(elements.iter().map(SortKey::of).collect()),
            Value::Set(elements) => SortKey::Set(SortKey::sorted(elements)),
            Value::Map(map) => SortKey::Map(entries(map)),
            Value::Object(attributes) => SortKey::Object(entries(attributes)),
        }
    }

    fn sorted(values: &'a [Value]) -> Vec<SortKey<'a>> {
        let mut keys: Vec<SortKey<'a>> = values.iter().map(SortKey::of).collect();
        keys.sort_unstable();
        keys
    }

    fn has_nan(&self) -> bool {
        match self {
            SortKey::Number(NumberKey::NaN) => true,
            SortKey::List(keys) | SortKey::Set(keys) => keys.iter().any(SortKey::has_nan),
            SortKey::Map(entries) | SortKey::Object(entries) => entries.iter().any(|(_, key)| key.has_nan()),
            _ => false,
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(int: i64) -> Value {
        Value::Number(Number::Int(int))
    }
}

impl From<Number> for Value {
    fn from(number: Number) -> Value {
        Value::Number(number)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(option: Option<T>) -> Value {
        option.map_or(Value::Null, Into::into)
    }
}

/// Bytes that could not be decoded as a value of the expected type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{kind}", PathPrefix(path))]
pub struct DecodeError {
    /// Where decoding failed; the root for malformed input.
    pub path: AttributePath,
    /// What went wrong.
    pub kind: DecodeErrorKind,
}

/// What went wrong while decoding. Messages name types and attributes, never content.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The bytes are not well-formed msgpack or JSON.
    #[error("malformed {0}")]
    Malformed(String),
    /// A complete value was followed by more bytes.
    #[error("unexpected trailing bytes after the value")]
    TrailingBytes,
    /// The input has a different shape than the type requires.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// The type being decoded.
        expected: String,
        /// The kind of input found.
        found: &'static str,
    },
    /// An object has an attribute its type does not declare (the message quotes at most
    /// 200 characters of the name).
    #[error("unsupported attribute {}", Quoted(.0))]
    UnsupportedAttribute(String),
    /// A map or object has the same key twice (the message quotes at most 200 characters).
    #[error("duplicate key {}", Quoted(.0))]
    DuplicateKey(String),
    /// A map or object key is not a string.
    #[error("map keys must be strings")]
    NonStringKey,
    /// A string in a number position is not a decimal number.
    #[error("invalid decimal number")]
    InvalidNumber,
    /// A string is not valid UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
}

impl DecodeError {
    pub(crate) fn new(path: &AttributePath, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            path: path.clone(),
            kind,
        }
    }
}

/// A value that cannot be encoded with the given type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{kind}", PathPrefix(path))]
pub struct EncodeError {
    /// Where encoding failed.
    pub path: AttributePath,
    /// What went wrong.
    pub kind: EncodeErrorKind,
}

/// What went wrong while encoding. Messages name types and attributes, never content.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeErrorKind {
    /// The value's kind does not fit the type.
    #[error("cannot encode {found} as {expected}")]
    WrongType {
        /// The type being encoded.
        expected: String,
        /// The kind of value found.
        found: &'static str,
    },
    /// An object value has an attribute its type does not declare (the message quotes at most
    /// 200 characters of the name).
    #[error("unsupported attribute {}", Quoted(.0))]
    UnsupportedAttribute(String),
    /// A `Number::Big` whose text is not a decimal number.
    #[error("invalid decimal number")]
    InvalidNumber,
    /// The underlying writer failed.
    #[error("write failed: {0}")]
    Write(String),
}

impl EncodeError {
    pub(crate) fn new(path: &AttributePath, kind: EncodeErrorKind) -> EncodeError {
        EncodeError {
            path: path.clone(),
            kind,
        }
    }

    pub(crate) fn wrong_type(path: &AttributePath, ty: &Type, value: &Value) -> EncodeError {
        EncodeError::new(
            path,
            EncodeErrorKind::WrongType {
                expected: ty.to_string(),
                found: value.kind_name(),
            },
        )
    }
}

/// Prints `at <path>: ` for a non-root path, nothing for the root.
pub(crate) struct PathPrefix<'a>(&'a AttributePath);

impl std::fmt::Display for PathPrefix<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_root() {
            Ok(())
        } else {
            write!(f, "at {}: ", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(a: &Value, b: &Value, equal: bool) {
        assert_eq!(a == b, equal, "{a:?} == {b:?}");
    }

    fn strings(items: &[&str]) -> Vec<Value> {
        items.iter().map(|s| Value::string(*s)).collect()
    }

    #[test]
    fn equality_is_multiset_for_sets_and_numeric_for_numbers() {
        check(&Value::Null, &Value::Null, true);
        check(&Value::Unknown, &Value::Unknown, true);
        check(&Value::Null, &Value::Unknown, false);
        check(
            &Value::Set(strings(&["a", "b"])),
            &Value::Set(strings(&["b", "a"])),
            true,
        );
        check(
            &Value::Set(strings(&["a", "a", "b"])),
            &Value::Set(strings(&["a", "b", "b"])),
            false,
        );
        check(
            &Value::List(strings(&["a", "b"])),
            &Value::List(strings(&["b", "a"])),
            false,
        );
        check(&Value::from(1), &Value::Number(Number::Float(1.0)), true);
        check(&Value::from(1), &Value::Number(Number::UInt(1)), true);
        check(&Value::from(1), &Value::string("1"), false);
        check(
            &Value::object([("a", Value::Set(vec![Value::from(1), Value::from(2)]))]),
            &Value::object([("a", Value::Set(vec![Value::from(2), Value::from(1)]))]),
            true,
        );
    }

    #[test]
    fn set_equality_sorts_consistently_with_equality() {
        let nan = || Value::Number(Number::Float(f64::NAN));
        let big = |text: &str| Value::Number(Number::Big(text.to_owned()));
        let set = |items: Vec<Value>| Value::Set(items);
        // Numbers in different forms are one element, whichever order they come in.
        check(
            &set(vec![Value::from(1), big("2.50"), Value::Number(Number::Float(0.1))]),
            &set(vec![
                big("0.1"),
                Value::Number(Number::Float(2.5)),
                Value::Number(Number::UInt(1)),
            ]),
            true,
        );
        check(
            &set(vec![big("1e2"), Value::from(100), Value::from(3)]),
            &set(vec![Value::from(3), Value::from(100), Value::from(100)]),
            true,
        );
        check(
            &set(vec![big("1e2"), Value::from(3), Value::from(3)]),
            &set(vec![Value::from(3), Value::from(100), Value::from(100)]),
            false,
        );
        // Invalid number text equals only itself.
        check(&set(vec![big("x"), big("y")]), &set(vec![big("y"), big("x")]), true);
        check(&set(vec![big("x"), big("y")]), &set(vec![big("y"), big("z")]), false);
        // NaN equals nothing, also inside a set, in any order.
        check(
            &set(vec![nan(), Value::from(1)]),
            &set(vec![Value::from(1), nan()]),
            false,
        );
        check(&set(vec![nan()]), &set(vec![nan()]), false);
        check(
            &set(vec![Value::List(vec![nan()]), Value::from(1)]),
            &set(vec![Value::from(1), Value::List(vec![nan()])]),
            false,
        );
        // Sets of sets and of objects, each in another order.
        let inner = |items: &[&str]| Value::Set(strings(items));
        check(
            &set(vec![inner(&["a", "b"]), inner(&["c"]), Value::Null, Value::Unknown]),
            &set(vec![Value::Unknown, inner(&["c"]), Value::Null, inner(&["b", "a"])]),
            true,
        );
        check(
            &set(vec![inner(&["a", "b"]), inner(&["c"])]),
            &set(vec![inner(&["a", "c"]), inner(&["b"])]),
            false,
        );
        let object = |name: &str, roles: &[&str]| Value::object([("name", Value::string(name)), ("r", inner(roles))]);
        check(
            &set(vec![object("p", &["x", "y"]), object("q", &[])]),
            &set(vec![object("q", &[]), object("p", &["y", "x"])]),
            true,
        );
        // Kinds never mix: a map is not an object.
        check(
            &set(vec![Value::Map(BTreeMap::new()), Value::Object(BTreeMap::new())]),
            &set(vec![Value::Object(BTreeMap::new()), Value::Map(BTreeMap::new())]),
            true,
        );
    }

    #[test]
    fn large_sets_compare_in_any_order() {
        let forward: Vec<Value> = (0..100_000).map(|i| Value::string(format!("ROLE_{i}"))).collect();
        let mut backward = forward.clone();
        backward.reverse();
        check(&Value::Set(forward.clone()), &Value::Set(backward.clone()), true);
        backward[0] = Value::string("ROLE_other");
        check(&Value::Set(forward.clone()), &Value::Set(backward), false);
        let mut duplicated = forward.clone();
        duplicated[1] = duplicated[0].clone();
        check(&Value::Set(forward), &Value::Set(duplicated), false);
    }

    #[test]
    fn accessors_walk_objects_lists_and_maps() {
        let value = Value::object([
            ("name", Value::string("k")),
            (
                "project_assignment",
                Value::List(vec![Value::object([(
                    "role_names",
                    Value::Set(strings(&["GROUP_READ_ONLY"])),
                )])]),
            ),
            ("tags", Value::Map([("env".to_owned(), Value::string("dev"))].into())),
            ("later", Value::Unknown),
        ]);
        assert_eq!(value.get("name").as_str(), Some("k"));
        assert!(value.get("missing").is_null());
        assert!(Value::string("x").get("name").is_null());
        let roles = AttributePath::attr("project_assignment")
            .then_index(0)
            .then_attr("role_names");
        assert_eq!(value.at(&roles).as_elements().map(<[Value]>::len), Some(1));
        assert!(value
            .at(&AttributePath::attr("project_assignment").then_index(1))
            .is_null());
        assert_eq!(
            value.at(&AttributePath::attr("tags").then_key("env")).as_str(),
            Some("dev")
        );
        assert!(value.at(&roles.clone().then_index(0)).is_null());
        assert!(value.is_known());
        assert!(!value.is_wholly_known());
        assert!(value.null_unknowns().is_wholly_known());
        assert!(value.null_unknowns().get("later").is_null());
        let mut value = value;
        if let Some(name) = value.get_mut("name") {
            *name = Value::string("renamed");
        }
        assert_eq!(value.get("name").as_str(), Some("renamed"));
        assert!(value.get_mut("missing").is_none());
    }

    #[test]
    fn errors_display_their_path() {
        let err = DecodeError::new(
            &AttributePath::attr("role_names").then_index(1),
            DecodeErrorKind::WrongType {
                expected: "string".into(),
                found: "integer",
            },
        );
        assert_eq!(err.to_string(), "at role_names[1]: expected string, found integer");
        let err = EncodeError::new(&AttributePath::root(), EncodeErrorKind::InvalidNumber);
        assert_eq!(err.to_string(), "invalid decimal number");
    }
}
