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
//! then shaped by the [`Type`] in one place ([`json::decode`] and the bridge share it); a
//! [`Number`] is serde_json's exact number text. Every failure is one [`Error`], carrying the
//! [`AttributePath`] where it happened; set elements have no address, so a path stops at the
//! set.

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
pub use serde_bridge::{from_value, to_value};
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
        fn child<'a>(value: &'a Value, step: &PathStep) -> Option<&'a Value> {
            match (value, step) {
                (Value::Object(entries), PathStep::Attribute(name) | PathStep::ElementKeyString(name))
                | (Value::Map(entries), PathStep::ElementKeyString(name)) => entries.get(name),
                (Value::List(elements), PathStep::ElementKeyInt(index)) => elements.get(usize::try_from(*index).ok()?),
                _ => None,
            }
        }
        path.steps().iter().try_fold(self, child).unwrap_or(&NULL)
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

    /// A list or set, as `ty` says, of `elements`.
    pub(crate) fn list_or_set(ty: &Type, elements: Vec<Value>) -> Value {
        match ty {
            Type::Set(_) => Value::Set(elements),
            _ => Value::List(elements),
        }
    }

    /// A map or object, as `ty` says, of `entries`; an object gets null for every attribute
    /// `entries` lacks.
    pub(crate) fn map_or_object(ty: &Type, mut entries: BTreeMap<String, Value>) -> Value {
        match ty {
            Type::Object(attributes) => {
                for name in attributes.keys() {
                    entries.entry(name.clone()).or_insert(Value::Null);
                }
                Value::Object(entries)
            }
            _ => Value::Map(entries),
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
        SortKey::of(self) == SortKey::of(other)
    }
}

/// A total order on values that agrees with `==`: equal values, and only those, have equal
/// keys. Set elements are sorted, so sets compare as multisets in O(n log n), and numbers
/// compare by [`Number::key`]. The order itself means nothing.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortKey<'a> {
    Null,
    Unknown,
    Bool(bool),
    Number(Option<NumberKey>),
    String(&'a str),
    List(Vec<SortKey<'a>>),
    Set(Vec<SortKey<'a>>),
    Map(Vec<(&'a str, SortKey<'a>)>),
    Object(Vec<(&'a str, SortKey<'a>)>),
}

impl<'a> SortKey<'a> {
    fn of(value: &'a Value) -> SortKey<'a> {
        let all = |values: &'a [Value]| values.iter().map(SortKey::of).collect::<Vec<_>>();
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
            Value::Number(number) => SortKey::Number(number.key()),
            Value::String(text) => SortKey::String(text),
            Value::List(elements) => SortKey::List(all(elements)),
            Value::Set(elements) => {
                let mut keys = all(elements);
                keys.sort_unstable();
                SortKey::Set(keys)
            }
            Value::Map(map) => SortKey::Map(entries(map)),
            Value::Object(attributes) => SortKey::Object(entries(attributes)),
        }
    }
}

impl From<i64> for Value {
    fn from(int: i64) -> Value {
        Value::Number(int.into())
    }
}

/// A value that could not be decoded, encoded or converted with the given type: from the
/// codecs and the serde bridge. Messages name types and attributes, never content.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// Where it went wrong: the root for malformed input. Set elements have no address, so a
    /// path stops at the set.
    pub path: AttributePath,
    /// What went wrong.
    pub kind: ErrorKind,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
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
    /// The value's kind does not fit the type it is encoded with.
    #[error("cannot encode {found} as {expected}")]
    CannotEncode {
        /// The type being encoded.
        expected: String,
        /// The kind of value found.
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
    /// A number that is not a decimal or an infinity: a NaN float, or text in a number
    /// position that is not a JSON number.
    #[error("invalid decimal number")]
    InvalidNumber,
    /// A string is not valid UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// The underlying writer failed.
    #[error("write failed: {0}")]
    Write(String),
    /// A serde error, without the content serde quotes.
    #[error("{0}")]
    Serde(String),
}

impl Error {
    /// An error at the root; callers up the value add their steps with [`Error::under`].
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error {
            path: AttributePath::root(),
            kind,
        }
    }

    /// This error as seen one level up, from where `step` leads to it; `None` for a set
    /// element, which has no address, so the path stops at the set.
    pub(crate) fn under(mut self, step: Option<PathStep>) -> Error {
        match step {
            Some(step) => self.path.0.insert(0, step),
            None => self.path = AttributePath::root(),
        }
        self
    }
}

/// `at <path>: <kind>`, or only the kind at the root.
impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.path.is_root() {
            write!(f, "at {}: ", self.path)?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
pub(crate) mod tests {
    //! Tests of `Value`, and value builders for the tests of the whole module.
    use super::*;

    pub(crate) fn s(text: &str) -> Value {
        Value::string(text)
    }

    pub(crate) fn n(int: i64) -> Value {
        Value::from(int)
    }

    /// A number from JSON number text.
    pub(crate) fn num(text: &str) -> Value {
        Value::Number(Number::parse(text).unwrap_or_else(|_| panic!("{text:?} is not a number")))
    }

    pub(crate) fn float(float: f64) -> Value {
        Value::Number(Number::from_f64(float).unwrap_or_else(|| panic!("{float} is NaN")))
    }

    pub(crate) fn list<const N: usize>(items: [Value; N]) -> Value {
        Value::List(items.into())
    }

    pub(crate) fn set<const N: usize>(items: [Value; N]) -> Value {
        Value::Set(items.into())
    }

    pub(crate) fn map<const N: usize>(entries: [(&str, Value); N]) -> Value {
        Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value))
                .collect(),
        )
    }

    pub(crate) fn strings(items: &[&str]) -> Vec<Value> {
        items.iter().map(|item| s(item)).collect()
    }

    /// The rows of a text table, one case a line: columns split at `|` and trimmed.
    pub(crate) fn rows<const N: usize>(table: &str) -> impl Iterator<Item = [&str; N]> {
        let lines = table.lines().filter(|line| !line.trim().is_empty());
        lines.map(|line| {
            let columns: Vec<&str> = line.split('|').map(str::trim).collect();
            columns.try_into().unwrap_or_else(|_| panic!("not {N} columns: {line}"))
        })
    }

    /// The types the tables name.
    pub(crate) fn ty(name: &str) -> Type {
        let block = Type::object([("project_id", Type::String), ("role_names", Type::set(Type::String))]);
        match name {
            "string" => Type::String,
            "number" => Type::Number,
            "bool" => Type::Bool,
            "list" => Type::list(Type::String),
            "set" => Type::set(Type::String),
            "id and name" => Type::object([("id", Type::String), ("name", Type::String)]),
            "map" => Type::map(Type::String),
            "map of bool" => Type::map(Type::Bool),
            "roles" => Type::object([("role_names", Type::list(Type::String))]),
            "role set" => Type::object([("role_names", Type::set(Type::String))]),
            "block" => Type::object([("name", Type::String), ("project_assignment", Type::list(block))]),
            other => panic!("no type {other:?}"),
        }
    }

    #[test]
    fn errors_display_their_path() {
        let kind = ErrorKind::WrongType {
            expected: "string".into(),
            found: "integer",
        };
        let err = Error::new(kind).under(Some(PathStep::index(1)));
        let err = err.under(Some(PathStep::Attribute("role_names".into())));
        assert_eq!(err.to_string(), "at role_names[1]: expected string, found integer");
        assert_eq!(err.clone().under(None).to_string(), "expected string, found integer");
        let err = Error::new(ErrorKind::Write("disk full".into()));
        assert_eq!(err.to_string(), "write failed: disk full");
    }
}
