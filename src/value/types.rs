//! [`Type`]: the cty type a value is read and written with.
//!
//! Every schema implies one `Type`; the codecs are driven by it, because msgpack and JSON
//! alone cannot tell a list from a set or an object from a map. [`Type::to_json`] gives the
//! form Terraform reads in `Schema.Attribute.type`: `"string"`, `["list","string"]`,
//! `["object",{...}]`. No schema here declares `dynamic` or tuple types, so neither exists.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use super::PathStep;

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
    /// `list(T)`: ordered elements of one type.
    List(Box<Type>),
    /// `set(T)`: unordered, unaddressable elements of one type.
    Set(Box<Type>),
    /// `map(T)`: string keys to values of one type.
    Map(Box<Type>),
    /// `object({...})`: a fixed set of named attributes, each with its own type.
    Object(BTreeMap<String, Type>),
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

    /// The step to element `index` of a list; `None` for a set, whose elements have no
    /// address.
    pub(crate) fn element_step(&self, index: usize) -> Option<PathStep> {
        matches!(self, Type::List(_)).then(|| PathStep::index(index))
    }

    /// The type of attribute or map entry `key`, and the step to it; `None` for other types
    /// and for attributes an object does not declare.
    pub(crate) fn member(&self, key: &str) -> Option<(&Type, PathStep)> {
        match self {
            Type::Object(attributes) => Some((attributes.get(key)?, PathStep::Attribute(key.to_owned()))),
            Type::Map(element) => Some((element, PathStep::ElementKeyString(key.to_owned()))),
            _ => None,
        }
    }

    /// The cty JSON form of this type, as Terraform reads it in schemas.
    pub fn to_json(&self) -> Json {
        match self {
            Type::Bool => Json::from("bool"),
            Type::Number => Json::from("number"),
            Type::String => Json::from("string"),
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
            Type::List(element) => write!(f, "list of {element}"),
            Type::Set(element) => write!(f, "set of {element}"),
            Type::Map(element) => write!(f, "map of {element}"),
            Type::Object(_) => f.write_str("object"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_json_is_cty_syntax() {
        let ty = Type::object([("tags", Type::map(Type::String)), ("ids", Type::set(Type::Number))]);
        assert_eq!(
            ty.to_json().to_string(),
            r#"["object",{"ids":["set","number"],"tags":["map","string"]}]"#
        );
        assert_eq!(ty.to_string(), "object");
        assert_eq!(Type::list(Type::set(Type::String)).to_string(), "list of set of string");
        assert_eq!(Type::list(Type::Bool).to_json().to_string(), r#"["list","bool"]"#);
    }
}
