//! Schemas as data: attributes, nested blocks, validators and plan modifiers.
//!
//! A resource declares what it is; the framework derives Terraform's schema, the docs,
//! plan-time validation and the generic plan rules from the declaration. Builders panic
//! only on programmer mistakes, and a test builds every registered schema.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use crate::framework::diag::Diagnostics;
use crate::value::{AttributePath, Quoted, Type, Value};

/// A resource, data source or provider schema.
#[derive(Clone, Debug)]
pub struct Schema {
    /// State schema version; bump it together with an upgrade rule.
    pub version: i64,
    pub block: Block,
}

impl Schema {
    /// A version-0 schema whose top-level block has `description` and no attributes yet.
    pub fn new(description: &str) -> Self {
        Schema {
            version: 0,
            block: Block::new(description),
        }
    }

    /// Adds top-level attributes.
    pub fn attributes(mut self, attributes: impl IntoIterator<Item = Attribute>) -> Self {
        self.block = self.block.attributes(attributes);
        self
    }

    /// Adds a nested block type.
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.block = self.block.block(block);
        self
    }

    /// The object type Terraform uses for configs and states of this schema.
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }

    /// The attribute at the top level named `name`, if any.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.block.attributes.iter().find(|a| a.name == name)
    }
}

/// A block: attributes and nested block types.
#[derive(Clone, Debug)]
pub struct Block {
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
}

impl Block {
    /// An empty block.
    pub fn new(description: &str) -> Self {
        Block {
            description: description.to_string(),
            attributes: Vec::new(),
            blocks: Vec::new(),
        }
    }

    /// Adds attributes; panics on a duplicate name (a programmer mistake).
    pub fn attributes(mut self, attributes: impl IntoIterator<Item = Attribute>) -> Self {
        for attribute in attributes {
            assert!(
                !self.has_name(&attribute.name),
                "duplicate attribute {}",
                attribute.name
            );
            attribute.check();
            self.attributes.push(attribute);
        }
        self
    }

    /// Adds a nested block type; panics on a duplicate name.
    pub fn block(mut self, block: NestedBlock) -> Self {
        assert!(!self.has_name(&block.name), "duplicate block {}", block.name);
        self.blocks.push(block);
        self
    }

    fn has_name(&self, name: &str) -> bool {
        self.attributes.iter().any(|a| a.name == name) || self.blocks.iter().any(|b| b.name == name)
    }

    /// The object type of this block's values.
    pub fn value_type(&self) -> Type {
        let mut fields = BTreeMap::new();
        for attribute in &self.attributes {
            fields.insert(attribute.name.clone(), attribute.ty.clone());
        }
        for block in &self.blocks {
            let element = block.block.value_type();
            let ty = match block.nesting {
                Nesting::List => Type::List(Box::new(element)),
                Nesting::Set => Type::Set(Box::new(element)),
                Nesting::Single => element,
            };
            fields.insert(block.name.clone(), ty);
        }
        Type::Object(fields)
    }
}

/// How a nested block repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// Zero or one block.
    Single,
    /// An ordered list of blocks.
    List,
    /// An unordered set of blocks.
    Set,
}

/// A nested block type such as `project_assignment { ... }`.
#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

impl NestedBlock {
    /// An ordered, repeatable block with no count limits.
    pub fn list(name: &str, block: Block) -> Self {
        NestedBlock {
            name: name.to_string(),
            nesting: Nesting::List,
            block,
            min_items: 0,
            max_items: 0,
        }
    }
}

/// One attribute and everything declared about it.
#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// Value planned when the configuration leaves an optional+computed attribute unset.
    pub default: Option<Value>,
    pub validators: Vec<Validator>,
    pub requires_replace: bool,
    /// Keep the prior state's value in plans for existing objects instead of "known after apply".
    pub use_state_for_unknown: bool,
}

/// A string attribute.
pub fn string(name: &str) -> Attribute {
    Attribute::new(name, Type::String)
}

/// A set-of-strings attribute.
pub fn string_set(name: &str) -> Attribute {
    Attribute::new(name, Type::Set(Box::new(Type::String)))
}

/// An attribute of any type.
pub fn attribute(name: &str, ty: Type) -> Attribute {
    Attribute::new(name, ty)
}

impl Attribute {
    fn new(name: &str, ty: Type) -> Self {
        Attribute {
            name: name.to_string(),
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            default: None,
            validators: Vec::new(),
            requires_replace: false,
            use_state_for_unknown: false,
        }
    }

    /// The user must set it.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The user may set it.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// The provider sets it.
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }

    /// Terraform hides it in plans and outputs.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Markdown documentation, rendered into docs/ and shown by language servers.
    pub fn doc(mut self, description: &str) -> Self {
        self.description = description.to_string();
        self
    }

    /// Adds a plan-time validator.
    pub fn validate(mut self, validator: Validator) -> Self {
        self.validators.push(validator);
        self
    }

    /// A change to this attribute replaces the object.
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    /// Existing objects keep their prior value in plans.
    pub fn use_state_for_unknown(mut self) -> Self {
        self.use_state_for_unknown = true;
        self
    }

    /// Optional and computed, planned as `value` when unset.
    pub fn default_value(mut self, value: Value) -> Self {
        self.optional = true;
        self.computed = true;
        self.default = Some(value);
        self
    }

    fn check(&self) {
        assert!(
            self.required || self.optional || self.computed,
            "attribute {} must be required, optional or computed",
            self.name
        );
        assert!(
            !(self.required && (self.optional || self.computed)),
            "attribute {} cannot be required and optional or computed",
            self.name
        );
    }

    /// "Required", "Optional" or "Read-Only", as the docs group attributes.
    pub fn mode(&self) -> &'static str {
        if self.required {
            "Required"
        } else if self.optional {
            "Optional"
        } else {
            "Read-Only"
        }
    }
}

/// A plan-time check of one attribute's known value, described for the docs.
#[derive(Clone, Debug, PartialEq)]
pub enum Validator {
    /// String length in characters.
    Length(RangeInclusive<usize>),
    /// A 24-character lowercase hexadecimal Atlas ObjectId.
    ObjectId,
    /// Number of elements of a list or set.
    Count(RangeInclusive<usize>),
    /// Every element of a list or set is a string with this prefix; the text explains why.
    EachHasPrefix { prefix: &'static str, why: &'static str },
    /// Every element of a list or set is a non-empty string with no spaces.
    EachNonBlank,
}

impl Validator {
    /// Checks `value` (known, not null) at `path`, adding errors to `diags`.
    pub fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        match self {
            Validator::Length(range) => {
                if let Some(text) = value.as_str() {
                    let length = text.chars().count();
                    if !range.contains(&length) {
                        diags.attribute_error(
                            path.clone(),
                            "Invalid attribute value length",
                            format!(
                                "Attribute {path} must be between {} and {} characters long, got {length}.",
                                range.start(),
                                range.end()
                            ),
                        );
                    }
                }
            }
            Validator::ObjectId => {
                if let Some(text) = value.as_str() {
                    if !is_object_id(text) {
                        diags.attribute_error(
                            path.clone(),
                            "Invalid Atlas identifier",
                            format!(
                                "Attribute {path} must be a 24-character lowercase hexadecimal Atlas ID \
                                 such as 5d09d6a59ccf6445652a444a, got {}.",
                                Quoted(text)
                            ),
                        );
                    }
                }
            }
            Validator::Count(range) => {
                if let Some(elements) = value.as_elements() {
                    if !range.contains(&elements.len()) {
                        let expected = if *range.end() == usize::MAX {
                            format!("at least {}", range.start())
                        } else {
                            format!("between {} and {}", range.start(), range.end())
                        };
                        diags.attribute_error(
                            path.clone(),
                            "Invalid number of elements",
                            format!(
                                "Attribute {path} must have {expected} elements, got {}.",
                                elements.len()
                            ),
                        );
                    }
                }
            }
            Validator::EachHasPrefix { prefix, why } => {
                let offending = value
                    .as_elements()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|text| !text.starts_with(prefix));
                report_elements(offending, path, "Invalid role", diags, |text| {
                    format!("{} in {path} is not allowed: {why}", Quoted(text))
                });
            }
            Validator::EachNonBlank => {
                let offending = value
                    .as_elements()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|text| text.is_empty() || text.chars().any(char::is_whitespace));
                report_elements(offending, path, "Invalid role", diags, |text| {
                    format!(
                        "{} in {path} is not a role name: role names are words like GROUP_OWNER, without spaces.",
                        Quoted(text)
                    )
                });
            }
        }
    }

    /// One line for the generated docs.
    pub fn describe(&self) -> String {
        match self {
            Validator::Length(range) => {
                format!("between {} and {} characters", range.start(), range.end())
            }
            Validator::ObjectId => "a 24-character hexadecimal Atlas ID".to_string(),
            Validator::Count(range) if *range.end() == usize::MAX => {
                format!("at least {} element(s)", range.start())
            }
            Validator::Count(range) => {
                format!("between {} and {} elements", range.start(), range.end())
            }
            Validator::EachHasPrefix { prefix, .. } => format!("each value starts with `{prefix}`"),
            Validator::EachNonBlank => "each value is a role name without spaces".to_string(),
        }
    }
}

/// Most elements of one list or set that get a diagnostic each; the rest are counted in one more.
pub const MAX_ELEMENT_DIAGNOSTICS: usize = 10;

/// One error per offending element, at most [`MAX_ELEMENT_DIAGNOSTICS`] of them, then one that
/// counts the rest, so a set of 80,000 bad elements gives 11 diagnostics, not 80,000.
fn report_elements<'a>(
    offending: impl Iterator<Item = &'a str>,
    path: &AttributePath,
    summary: &str,
    diags: &mut Diagnostics,
    detail: impl Fn(&str) -> String,
) {
    let mut more = 0usize;
    for (index, text) in offending.enumerate() {
        if index < MAX_ELEMENT_DIAGNOSTICS {
            diags.attribute_error(path.clone(), summary, detail(text));
        } else {
            more += 1;
        }
    }
    if more > 0 {
        diags.attribute_error(
            path.clone(),
            summary,
            format!("{more} more elements of {path} fail the same check."),
        );
    }
}

/// A validator for string length in characters.
pub fn length(range: RangeInclusive<usize>) -> Validator {
    Validator::Length(range)
}

/// A validator for lists and sets with between `range.start()` and `range.end()` elements.
pub fn count(range: RangeInclusive<usize>) -> Validator {
    Validator::Count(range)
}

/// A validator for lists and sets with at least `min` elements.
pub fn at_least(min: usize) -> Validator {
    Validator::Count(min..=usize::MAX)
}

/// True for a 24-character lowercase hexadecimal string.
pub fn is_object_id(text: &str) -> bool {
    text.len() == 24 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Runs every attribute validator of `block` over the known values of `config`,
/// descending into nested blocks. Unknown and null values are skipped.
pub fn validate_config(block: &Block, config: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if !config.is_known() || config.is_null() {
        return;
    }
    for attribute in &block.attributes {
        let value = config.get(&attribute.name);
        if value.is_null() || !value.is_known() {
            continue;
        }
        let attribute_path = path.clone().then_attr(&attribute.name);
        for validator in &attribute.validators {
            validator.check(value, &attribute_path, diags);
        }
    }
    for nested in &block.blocks {
        let value = config.get(&nested.name);
        let nested_path = path.clone().then_attr(&nested.name);
        match nested.nesting {
            Nesting::Single => validate_config(&nested.block, value, &nested_path, diags),
            Nesting::List => {
                for (index, element) in value.as_elements().unwrap_or_default().iter().enumerate() {
                    validate_config(&nested.block, element, &nested_path.clone().then_index(index), diags);
                }
            }
            // Set elements cannot be addressed, so errors point at the block type.
            Nesting::Set => {
                for element in value.as_elements().unwrap_or_default() {
                    validate_config(&nested.block, element, &nested_path, diags);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(validator: Validator, value: Value) -> Vec<(String, String)> {
        let mut diags = Diagnostics::new();
        validator.check(&value, &AttributePath::attr("role_names"), &mut diags);
        diags.iter().map(|d| (d.summary.clone(), d.detail.clone())).collect()
    }

    fn roles(names: impl IntoIterator<Item = String>) -> Value {
        Value::Set(names.into_iter().map(Value::String).collect())
    }

    #[test]
    fn validators_quote_offending_values() {
        let got = check(Validator::ObjectId, Value::string("nope"));
        assert_eq!(got.len(), 1);
        assert!(got[0].1.ends_with("got \"nope\"."), "{}", got[0].1);
        let got = check(
            Validator::EachHasPrefix {
                prefix: "ORG_",
                why: "why",
            },
            roles(["ORG_OWNER".to_string(), "GROUP_OWNER".to_string()]),
        );
        assert_eq!(
            got,
            vec![(
                "Invalid role".to_string(),
                "\"GROUP_OWNER\" in role_names is not allowed: why".to_string()
            )]
        );
        let got = check(Validator::EachNonBlank, roles(["A B".to_string()]));
        assert!(
            got[0].1.starts_with("\"A B\" in role_names is not a role name"),
            "{got:?}"
        );
    }

    #[test]
    fn huge_offending_values_are_cut() {
        let huge = "x".repeat(50 << 20);
        for validator in [
            Validator::ObjectId,
            Validator::EachHasPrefix {
                prefix: "ORG_",
                why: "why",
            },
            Validator::EachNonBlank,
        ] {
            let value = match validator {
                Validator::ObjectId => Value::string(huge.clone()),
                _ => roles([format!("{huge} ")]),
            };
            let got = check(validator.clone(), value);
            assert_eq!(got.len(), 1, "{validator:?}");
            assert!(got[0].1.len() < 1_000, "{validator:?}: {} bytes", got[0].1.len());
            assert!(got[0].1.contains("(52428801 characters)") || got[0].1.contains("(52428800 characters)"));
        }
    }

    #[test]
    fn many_offending_elements_give_a_bounded_number_of_diagnostics() {
        let bad = roles((0..80_000).map(|i| format!("GROUP_{i}")));
        let got = check(
            Validator::EachHasPrefix {
                prefix: "ORG_",
                why: "why",
            },
            bad,
        );
        assert_eq!(got.len(), MAX_ELEMENT_DIAGNOSTICS + 1);
        assert_eq!(
            got.last().map(|d| d.1.as_str()),
            Some("79990 more elements of role_names fail the same check.")
        );
        let few = roles((0..MAX_ELEMENT_DIAGNOSTICS).map(|i| format!("bad {i}")));
        assert_eq!(check(Validator::EachNonBlank, few).len(), MAX_ELEMENT_DIAGNOSTICS);
    }
}
