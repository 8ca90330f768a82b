//! `Type`: the cty type system as Terraform sends it, and its JSON form.
//!
//! Schemas imply a `Type`; the codecs are driven by it, because msgpack and JSON
//! alone cannot tell a list from a set or an object from a map. The JSON form is
//! the one Terraform uses in `DynamicValue` for dynamic values and in
//! `Schema.Attribute.type`: `"string"`, `["list","string"]`, `["object",{...}]`.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use super::Quoted;

/// A cty type. Objects keep their attributes sorted, which is also the order
/// the encoders write them in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    /// `bool`.
    Bool,
    /// `number`: arbitrary precision decimal.
    Number,
    /// `string`.
    String,
    /// `dynamic` (cty's `DynamicPseudoType`): the value carries its own type on the wire.
    Dynamic,
    /// `list(T)`: ordered elements of one type.
    List(Box<Type>),
    /// `set(T)`: unordered, unaddressable elements of one type.
    Set(Box<Type>),
    /// `map(T)`: string keys to values of one type.
    Map(Box<Type>),
    /// `object({...})`: a fixed set of named attributes, each with its own type.
    Object(BTreeMap<String, Type>),
    /// `tuple([...])`: a fixed number of elements, each with its own type.
    Tuple(Vec<Type>),
}

/// Why a JSON document is not a cty type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeError {
    /// A string that names no primitive type (the message quotes at most 200 characters).
    #[error("unknown primitive type {}", Quoted(.0))]
    UnknownPrimitive(String),
    /// An array whose first element names no type constructor (the message quotes at most
    /// 200 characters).
    #[error("unknown type constructor {}", Quoted(.0))]
    UnknownConstructor(String),
    /// The JSON has the wrong shape for a type (for example a number, or `["list"]`).
    #[error("invalid type JSON: {0}")]
    Shape(&'static str),
}

impl Type {
    /// `list(element)`.
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    /// `set(element)`.
    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    /// `map(element)`.
    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    /// `object({...})` from `(name, type)` pairs; a repeated name keeps the last type.
    pub fn object<N: Into<String>>(attributes: impl IntoIterator<Item = (N, Type)>) -> Type {
        Type::Object(attributes.into_iter().map(|(name, ty)| (name.into(), ty)).collect())
    }

    /// The cty JSON form of this type, as Terraform writes it in schemas and dynamic values.
    pub fn to_json(&self) -> Json {
        match self {
            Type::Bool => Json::from("bool"),
            Type::Number => Json::from("number"),
            Type::String => Json::from("string"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(element) => Json::Array(vec![Json::from("list"), element.to_json()]),
            Type::Set(element) => Json::Array(vec![Json::from("set"), element.to_json()]),
            Type::Map(element) => Json::Array(vec![Json::from("map"), element.to_json()]),
            Type::Object(attributes) => {
                let map = attributes
                    .iter()
                    .map(|(name, ty)| (name.clone(), ty.to_json()))
                    .collect();
                Json::Array(vec![Json::from("object"), Json::Object(map)])
            }
            Type::Tuple(elements) => Json::Array(vec![
                Json::from("tuple"),
                Json::Array(elements.iter().map(Type::to_json).collect()),
            ]),
        }
    }

    /// Parses the cty JSON form of a type.
    ///
    /// Accepts the optional-attributes form `["object",{...},["name",...]]` and ignores
    /// its third element, since optionality only matters for type constraints.
    /// Errors on anything else that is not a type.
    pub fn from_json(v: &Json) -> Result<Type, TypeError> {
        match v {
            Json::String(name) => match name.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(TypeError::UnknownPrimitive(other.to_owned())),
            },
            Json::Array(items) => {
                let constructor = match items.first() {
                    Some(Json::String(constructor)) => constructor.as_str(),
                    _ => return Err(TypeError::Shape("array must start with a constructor name")),
                };
                match (constructor, &items[1..]) {
                    ("list", [element]) => Ok(Type::list(Type::from_json(element)?)),
                    ("set", [element]) => Ok(Type::set(Type::from_json(element)?)),
                    ("map", [element]) => Ok(Type::map(Type::from_json(element)?)),
                    ("object", [Json::Object(attributes)]) | ("object", [Json::Object(attributes), Json::Array(_)]) => {
                        let mut out = BTreeMap::new();
                        for (name, ty) in attributes {
                            out.insert(name.clone(), Type::from_json(ty)?);
                        }
                        Ok(Type::Object(out))
                    }
                    ("tuple", [Json::Array(elements)]) => Ok(Type::Tuple(
                        elements.iter().map(Type::from_json).collect::<Result<_, _>>()?,
                    )),
                    ("list" | "set" | "map", _) => {
                        Err(TypeError::Shape("collection type needs exactly one element type"))
                    }
                    ("object", _) => Err(TypeError::Shape("object type needs an attribute map")),
                    ("tuple", _) => Err(TypeError::Shape("tuple type needs an element array")),
                    (other, _) => Err(TypeError::UnknownConstructor(other.to_owned())),
                }
            }
            _ => Err(TypeError::Shape("expected a string or an array")),
        }
    }

    /// The element type of a list, set or map.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(element) | Type::Set(element) | Type::Map(element) => Some(element),
            _ => None,
        }
    }

    /// The attribute types of an object type.
    pub fn attribute_types(&self) -> Option<&BTreeMap<String, Type>> {
        match self {
            Type::Object(attributes) => Some(attributes),
            _ => None,
        }
    }
}

/// A short human name for error messages: `string`, `list of string`, `object`.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => f.write_str("bool"),
            Type::Number => f.write_str("number"),
            Type::String => f.write_str("string"),
            Type::Dynamic => f.write_str("dynamic"),
            Type::List(element) => write!(f, "list of {element}"),
            Type::Set(element) => write!(f, "set of {element}"),
            Type::Map(element) => write!(f, "map of {element}"),
            Type::Object(_) => f.write_str("object"),
            Type::Tuple(_) => f.write_str("tuple"),
        }
    }
}

/// The type the encoders announce for a value in a `dynamic` position.
///
/// Null and unknown imply `dynamic`. A list implies `list(T)` when its elements
/// unify (null elements unify with anything) and a tuple otherwise; a map likewise
/// falls back to an object; a set whose elements do not unify has no type.
pub(crate) fn implied_type(value: &super::Value) -> Option<Type> {
    use super::Value;
    Some(match value {
        Value::Null | Value::Unknown => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(elements) => match unify_all(elements)? {
            Ok(element) => Type::list(element),
            Err(types) => Type::Tuple(types),
        },
        Value::Set(elements) => Type::set(unify_all(elements)?.ok()?),
        Value::Tuple(elements) => Type::Tuple(elements.iter().map(implied_type).collect::<Option<_>>()?),
        Value::Map(entries) => {
            let values: Vec<Value> = entries.values().cloned().collect();
            match unify_all(&values)? {
                Ok(element) => Type::map(element),
                Err(_) => Type::Object(
                    entries
                        .iter()
                        .map(|(k, v)| Some((k.clone(), implied_type(v)?)))
                        .collect::<Option<_>>()?,
                ),
            }
        }
        Value::Object(attributes) => Type::Object(
            attributes
                .iter()
                .map(|(k, v)| Some((k.clone(), implied_type(v)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

/// `Ok(T)` when all elements' implied types unify into `T` (`dynamic` when empty),
/// `Err(types)` with each element's own type when they do not; `None` when an
/// element has no implied type at all.
fn unify_all(elements: &[super::Value]) -> Option<Result<Type, Vec<Type>>> {
    let types: Vec<Type> = elements.iter().map(implied_type).collect::<Option<_>>()?;
    let mut unified = Type::Dynamic;
    for ty in &types {
        match unify(&unified, ty) {
            Some(next) => unified = next,
            None => return Some(Err(types)),
        }
    }
    Some(Ok(unified))
}

/// The most specific type both `a` and `b` conform to, treating `dynamic` (the
/// implied type of null) as a wildcard; `None` when they conflict.
fn unify(a: &Type, b: &Type) -> Option<Type> {
    match (a, b) {
        (Type::Dynamic, other) | (other, Type::Dynamic) => Some(other.clone()),
        (Type::List(x), Type::List(y)) => Some(Type::list(unify(x, y)?)),
        (Type::Set(x), Type::Set(y)) => Some(Type::set(unify(x, y)?)),
        (Type::Map(x), Type::Map(y)) => Some(Type::map(unify(x, y)?)),
        (Type::Object(x), Type::Object(y)) if x.len() == y.len() => {
            let mut out = BTreeMap::new();
            for (name, xt) in x {
                out.insert(name.clone(), unify(xt, y.get(name)?)?);
            }
            Some(Type::Object(out))
        }
        (Type::Tuple(x), Type::Tuple(y)) if x.len() == y.len() => Some(Type::Tuple(
            x.iter().zip(y).map(|(xt, yt)| unify(xt, yt)).collect::<Option<_>>()?,
        )),
        (x, y) if x == y => Some(x.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Number, Value};

    fn check(json: &str, expected: Result<Type, TypeError>) {
        let parsed: Json = match serde_json::from_str(json) {
            Ok(parsed) => parsed,
            Err(err) => panic!("{json}: {err}"),
        };
        let ty = Type::from_json(&parsed);
        assert_eq!(ty, expected, "{json}");
        if let Ok(ty) = ty {
            // Round trip, modulo the optional-attributes list we drop.
            assert_eq!(Type::from_json(&ty.to_json()).as_ref(), Ok(&ty), "{json}");
        }
    }

    #[test]
    fn type_json() {
        check("\"string\"", Ok(Type::String));
        check("\"number\"", Ok(Type::Number));
        check("\"bool\"", Ok(Type::Bool));
        check("\"dynamic\"", Ok(Type::Dynamic));
        check("[\"list\",\"string\"]", Ok(Type::list(Type::String)));
        check("[\"set\",[\"map\",\"bool\"]]", Ok(Type::set(Type::map(Type::Bool))));
        check(
            "[\"object\",{\"b\":\"number\",\"a\":[\"tuple\",[\"string\",\"dynamic\"]]}]",
            Ok(Type::object([
                ("a", Type::Tuple(vec![Type::String, Type::Dynamic])),
                ("b", Type::Number),
            ])),
        );
        check(
            "[\"object\",{\"a\":\"string\"},[\"a\"]]",
            Ok(Type::object([("a", Type::String)])),
        );
        check("[\"object\",{}]", Ok(Type::Object(BTreeMap::new())));
        check("\"str\"", Err(TypeError::UnknownPrimitive("str".into())));
        check(
            "[\"vector\",\"string\"]",
            Err(TypeError::UnknownConstructor("vector".into())),
        );
        check(
            "[\"list\"]",
            Err(TypeError::Shape("collection type needs exactly one element type")),
        );
        check(
            "[\"list\",\"string\",\"string\"]",
            Err(TypeError::Shape("collection type needs exactly one element type")),
        );
        check(
            "[\"object\",[]]",
            Err(TypeError::Shape("object type needs an attribute map")),
        );
        check(
            "[\"tuple\",{}]",
            Err(TypeError::Shape("tuple type needs an element array")),
        );
        check("[]", Err(TypeError::Shape("array must start with a constructor name")));
        check("1", Err(TypeError::Shape("expected a string or an array")));
        check("[\"list\",\"nope\"]", Err(TypeError::UnknownPrimitive("nope".into())));
    }

    #[test]
    fn to_json_is_cty_syntax() {
        let ty = Type::object([("tags", Type::map(Type::String)), ("ids", Type::set(Type::Number))]);
        assert_eq!(
            ty.to_json().to_string(),
            r#"["object",{"ids":["set","number"],"tags":["map","string"]}]"#
        );
        assert_eq!(ty.to_string(), "object");
        assert_eq!(Type::list(Type::set(Type::String)).to_string(), "list of set of string");
    }

    #[test]
    fn implied_types_unify_nulls() {
        let s = Value::string;
        let cases: Vec<(Value, Option<Type>)> = vec![
            (Value::Null, Some(Type::Dynamic)),
            (Value::Number(Number::Int(1)), Some(Type::Number)),
            (Value::List(vec![]), Some(Type::list(Type::Dynamic))),
            (Value::List(vec![Value::Null, s("a")]), Some(Type::list(Type::String))),
            (
                Value::List(vec![s("a"), Value::Bool(true)]),
                Some(Type::Tuple(vec![Type::String, Type::Bool])),
            ),
            (Value::Set(vec![s("a"), Value::Bool(true)]), None),
            (
                Value::Map([("a".to_owned(), s("x")), ("b".to_owned(), Value::Bool(false))].into()),
                Some(Type::object([("a", Type::String), ("b", Type::Bool)])),
            ),
            (
                Value::List(vec![
                    Value::object([("a", Value::Null)]),
                    Value::object([("a", Value::List(vec![s("x")]))]),
                ]),
                Some(Type::list(Type::object([("a", Type::list(Type::String))]))),
            ),
            (
                Value::List(vec![Value::object([("a", s("x"))]), Value::object([("b", s("x"))])]),
                Some(Type::Tuple(vec![
                    Type::object([("a", Type::String)]),
                    Type::object([("b", Type::String)]),
                ])),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(implied_type(&value), expected, "{value:?}");
        }
    }
}
