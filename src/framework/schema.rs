//! Schemas as data: attributes, nested blocks, validators and plan modifiers.
//!
//! A resource declares what it is; the framework derives Terraform's schema, the docs,
//! plan-time validation and the generic plan rules from the declaration. Builders panic
//! only on programmer mistakes, and a test builds every registered schema.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::RangeInclusive;
use std::sync::Arc;

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
            fields.insert(block.name.clone(), block.nesting.wrap(block.block.value_type()));
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

impl Nesting {
    /// The type of a value nested this way whose elements have type `element`: the element
    /// itself, or a list or set of them.
    pub fn wrap(self, element: Type) -> Type {
        match self {
            Nesting::Single => element,
            Nesting::List => Type::List(Box::new(element)),
            Nesting::Set => Type::Set(Box::new(element)),
        }
    }

    /// "No blocks" as Terraform sends it: an empty list or set; `None` for a single block,
    /// which is null when absent.
    pub fn empty(self) -> Option<Value> {
        match self {
            Nesting::Single => None,
            Nesting::List => Some(Value::List(Vec::new())),
            Nesting::Set => Some(Value::Set(Vec::new())),
        }
    }
}

/// The attributes of a nested attribute (protocol 6 `Schema.Object`): an object, or a list or
/// set of objects, whose attributes carry their own flags (computed, sensitive, docs), so that
/// one field inside a list of objects can be sensitive.
#[derive(Clone, Debug)]
pub struct NestedAttributes {
    /// Whether the attribute holds one object, or a list or set of them.
    pub nesting: Nesting,
    /// The attributes of each object.
    pub attributes: Vec<Attribute>,
}

impl NestedAttributes {
    /// The object type of one element.
    pub fn object_type(&self) -> Type {
        Type::Object(
            self.attributes
                .iter()
                .map(|attribute| (attribute.name.clone(), attribute.ty.clone()))
                .collect(),
        )
    }
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
    /// Set for a nested attribute: its type is then given by these attributes (`ty` is their
    /// object type, wrapped by the nesting) and Terraform receives them as `nested_type`.
    pub nested: Option<NestedAttributes>,
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

/// A nested attribute: one object (`Nesting::Single`), or a list or set of objects, made of
/// `attributes`, each with its own flags. Its value type is the same as that of
/// `attribute(name, nesting.wrap(object))`, so state and data flows do not change; only the
/// schema Terraform sees does (and with it, which nested values are sensitive).
///
/// Panics on a duplicate nested name or a nested attribute that is neither required, optional
/// nor computed (programmer mistakes).
pub fn nested(name: &str, nesting: Nesting, attributes: impl IntoIterator<Item = Attribute>) -> Attribute {
    let mut inner: Vec<Attribute> = Vec::new();
    for attribute in attributes {
        assert!(
            !inner.iter().any(|a| a.name == attribute.name),
            "duplicate nested attribute {}.{}",
            name,
            attribute.name
        );
        attribute.check();
        inner.push(attribute);
    }
    let nested = NestedAttributes {
        nesting,
        attributes: inner,
    };
    let mut attribute = Attribute::new(name, nesting.wrap(nested.object_type()));
    attribute.nested = Some(nested);
    attribute
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
            nested: None,
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

/// One plan-time check of an attribute's known, non-null value, with the line the docs show.
///
/// The framework ships the generic ones ([`length`], [`count`], [`at_least`], [`one_of`]);
/// a provider writes its own for its domain (identifiers, role names) and hands them to
/// [`Attribute::validate`].
pub trait Check: fmt::Debug + Send + Sync {
    /// One line for the generated docs, such as `between 1 and 250 characters`.
    fn describe(&self) -> String;

    /// Adds one error to `diags` per problem with `value` at `path`. Echoed input goes through
    /// `value::Quoted`, so a huge value gives a bounded message.
    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics);
}

/// A [`Check`] as a schema holds it: cheap to clone, shared by every plan.
#[derive(Clone, Debug)]
pub struct Validator(Arc<dyn Check>);

impl Validator {
    /// Wraps a check.
    pub fn new(check: impl Check + 'static) -> Self {
        Validator(Arc::new(check))
    }

    /// See [`Check::describe`].
    pub fn describe(&self) -> String {
        self.0.describe()
    }

    /// See [`Check::check`].
    pub fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        self.0.check(value, path, diags)
    }
}

/// String length in characters.
#[derive(Debug)]
struct Length(RangeInclusive<usize>);

impl Check for Length {
    fn describe(&self) -> String {
        format!("between {} and {} characters", self.0.start(), self.0.end())
    }

    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(text) = value.as_str() else { return };
        let length = text.chars().count();
        if !self.0.contains(&length) {
            diags.attribute_error(
                path.clone(),
                "Invalid attribute value length",
                format!(
                    "Attribute {path} must be between {} and {} characters long, got {length}.",
                    self.0.start(),
                    self.0.end()
                ),
            );
        }
    }
}

/// Number of elements of a list or set.
#[derive(Debug)]
struct Count(RangeInclusive<usize>);

impl Count {
    fn expected(&self) -> String {
        if *self.0.end() == usize::MAX {
            format!("at least {}", self.0.start())
        } else {
            format!("between {} and {}", self.0.start(), self.0.end())
        }
    }
}

impl Check for Count {
    fn describe(&self) -> String {
        if *self.0.end() == usize::MAX {
            format!("at least {} element(s)", self.0.start())
        } else {
            format!("between {} and {} elements", self.0.start(), self.0.end())
        }
    }

    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(elements) = value.as_elements() else { return };
        if !self.0.contains(&elements.len()) {
            diags.attribute_error(
                path.clone(),
                "Invalid number of elements",
                format!(
                    "Attribute {path} must have {} elements, got {}.",
                    self.expected(),
                    elements.len()
                ),
            );
        }
    }
}

/// A string that is one of a fixed list.
#[derive(Debug)]
struct OneOf(&'static [&'static str]);

impl Check for OneOf {
    fn describe(&self) -> String {
        let quoted: Vec<String> = self.0.iter().map(|choice| format!("`{choice}`")).collect();
        format!("one of {}", quoted.join(", "))
    }

    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(text) = value.as_str() else { return };
        if !self.0.contains(&text) {
            diags.attribute_error(
                path.clone(),
                "Invalid attribute value",
                format!("Attribute {path} must be {}, got {}.", self.describe(), Quoted(text)),
            );
        }
    }
}

/// A whole number in a range.
#[derive(Debug)]
struct WholeNumber(RangeInclusive<i64>);

impl Check for WholeNumber {
    fn describe(&self) -> String {
        format!("a whole number from {} to {}", self.0.start(), self.0.end())
    }

    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(number) = value.as_number() else { return };
        if !number.as_i64().is_some_and(|n| self.0.contains(&n)) {
            diags.attribute_error(
                path.clone(),
                "Invalid attribute value",
                format!("Attribute {path} must be {}.", self.describe()),
            );
        }
    }
}

/// Most elements of one list or set that get a diagnostic each; the rest are counted in one more.
pub const MAX_ELEMENT_DIAGNOSTICS: usize = 10;

/// One error per offending element, at most [`MAX_ELEMENT_DIAGNOSTICS`] of them, then one that
/// counts the rest, so a set of 80,000 bad elements gives 11 diagnostics, not 80,000. For
/// validators of list and set elements.
pub fn report_elements<'a>(
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
    Validator::new(Length(range))
}

/// A validator for lists and sets with between `range.start()` and `range.end()` elements.
pub fn count(range: RangeInclusive<usize>) -> Validator {
    Validator::new(Count(range))
}

/// A validator for lists and sets with at least `min` elements.
pub fn at_least(min: usize) -> Validator {
    Validator::new(Count(min..=usize::MAX))
}

/// A validator for whole numbers in `range`.
pub fn whole_number(range: RangeInclusive<i64>) -> Validator {
    Validator::new(WholeNumber(range))
}

/// A validator for strings that must be one of `choices`.
pub fn one_of(choices: &'static [&'static str]) -> Validator {
    Validator::new(OneOf(choices))
}

/// Runs every attribute validator of `block` over the known values of `config`,
/// descending into nested attributes and nested blocks. Unknown and null values are skipped.
pub fn validate_config(block: &Block, config: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if !config.is_known() || config.is_null() {
        return;
    }
    validate_attributes(&block.attributes, config, path, diags);
    for nested in &block.blocks {
        let nested_path = path.clone().then_attr(&nested.name);
        each_nested(
            nested.nesting,
            config.get(&nested.name),
            &nested_path,
            &mut |element, element_path| validate_config(&nested.block, element, element_path, diags),
        );
    }
}

/// Runs the validators of `attributes` over the object `config`, descending into nested
/// attributes.
fn validate_attributes(attributes: &[Attribute], config: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if !config.is_known() || config.is_null() {
        return;
    }
    for attribute in attributes {
        let value = config.get(&attribute.name);
        let attribute_path = path.clone().then_attr(&attribute.name);
        if attribute.required && value.is_null() {
            // Terraform checks that a required argument is written, not that it holds a value:
            // `= var.unset` with a null default passes its checks and reaches us.
            diags.attribute_error(
                attribute_path.clone(),
                "Missing required argument",
                format!("The argument {attribute_path} is required, but its value is null. Set it to a value."),
            );
            continue;
        }
        if value.is_null() || !value.is_known() {
            continue;
        }
        for validator in &attribute.validators {
            validator.check(value, &attribute_path, diags);
        }
        if let Some(nested) = &attribute.nested {
            each_nested(nested.nesting, value, &attribute_path, &mut |element, element_path| {
                validate_attributes(&nested.attributes, element, element_path, diags)
            });
        }
    }
}

/// Calls `f` with each object of a value nested as `nesting`, and its path. Set elements
/// cannot be addressed, so their path is the set's.
fn each_nested(nesting: Nesting, value: &Value, path: &AttributePath, f: &mut dyn FnMut(&Value, &AttributePath)) {
    match nesting {
        Nesting::Single => f(value, path),
        Nesting::List => {
            for (index, element) in value.as_elements().unwrap_or_default().iter().enumerate() {
                f(element, &path.clone().then_index(index));
            }
        }
        Nesting::Set => {
            for element in value.as_elements().unwrap_or_default() {
                f(element, path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(validator: &Validator, value: Value) -> Vec<String> {
        let mut diags = Diagnostics::new();
        validator.check(&value, &AttributePath::attr("attr"), &mut diags);
        diags.iter().map(|d| d.detail.clone()).collect()
    }

    fn set(names: impl IntoIterator<Item = String>) -> Value {
        Value::Set(names.into_iter().map(Value::String).collect())
    }

    #[test]
    fn generic_validators() {
        let cases: Vec<(&str, Validator, Value, Option<&str>)> = vec![
            ("length ok", length(1..=3), Value::string("abc"), None),
            ("length counts characters", length(1..=3), Value::string("éé"), None),
            (
                "too long",
                length(1..=3),
                Value::string("abcd"),
                Some("Attribute attr must be between 1 and 3 characters long, got 4."),
            ),
            ("count ok", count(1..=2), set(["a".to_string()]), None),
            (
                "too many",
                count(1..=2),
                set(["a", "b", "c"].map(String::from)),
                Some("Attribute attr must have between 1 and 2 elements, got 3."),
            ),
            (
                "too few",
                at_least(1),
                set([]),
                Some("Attribute attr must have at least 1 elements, got 0."),
            ),
            ("one of ok", one_of(&["ANY", "AWS"]), Value::string("AWS"), None),
            (
                "not one of",
                one_of(&["ANY"]),
                Value::string("GCP"),
                Some("Attribute attr must be one of `ANY`, got \"GCP\"."),
            ),
            ("other types are skipped", length(1..=3), Value::Bool(true), None),
            (
                "a number in range",
                whole_number(1..=500),
                Value::Number(500i64.into()),
                None,
            ),
            (
                "a number out of range",
                whole_number(1..=500),
                Value::Number(0i64.into()),
                Some("Attribute attr must be a whole number from 1 to 500."),
            ),
        ];
        for (name, validator, value, expected) in cases {
            let got = check(&validator, value);
            match expected {
                None => assert!(got.is_empty(), "{name}: {got:?}"),
                Some(detail) => assert_eq!(got, vec![detail.to_string()], "{name}"),
            }
        }
    }

    #[test]
    fn nested_attributes_have_the_type_of_the_plain_attribute_and_validate_inside() {
        let plain = attribute(
            "results",
            Type::List(Box::new(Type::Object(BTreeMap::from([
                ("name".to_string(), Type::String),
                ("secret".to_string(), Type::String),
            ])))),
        );
        let results = nested(
            "results",
            Nesting::List,
            [
                string("name").optional().validate(length(1..=3)),
                string("secret").computed().sensitive(),
            ],
        )
        .optional();
        assert_eq!(results.ty, plain.ty);
        let single = nested("one", Nesting::Single, [string("x").computed()]);
        assert_eq!(
            single.ty,
            Type::Object(BTreeMap::from([("x".to_string(), Type::String)]))
        );

        let block = Block::new("b").attributes([results]);
        let element = |name: &str| {
            Value::Object(BTreeMap::from([
                ("name".to_string(), Value::string(name)),
                ("secret".to_string(), Value::Null),
            ]))
        };
        let config = Value::Object(BTreeMap::from([(
            "results".to_string(),
            Value::List(vec![element("ok"), element("too long")]),
        )]));
        let mut diags = Diagnostics::new();
        validate_config(&block, &config, &AttributePath::root(), &mut diags);
        let details: Vec<&str> = diags.iter().map(|d| d.detail.as_str()).collect();
        assert_eq!(details.len(), 1, "{details:?}");
        assert!(details[0].contains("between 1 and 3 characters"), "{details:?}");
    }

    #[test]
    fn a_required_argument_set_to_null_is_an_error_on_it_and_unknown_is_not() {
        let block = Block::new("b").attributes([
            string("name").required().validate(length(1..=3)),
            string("note").optional(),
            nested("items", Nesting::List, [string("key").required()]).optional(),
        ]);
        let config = |name: Value, key: Value| {
            Value::Object(BTreeMap::from([
                ("name".to_string(), name),
                ("note".to_string(), Value::Null),
                (
                    "items".to_string(),
                    Value::List(vec![Value::Object(BTreeMap::from([("key".to_string(), key)]))]),
                ),
            ]))
        };
        let run = |config: Value| {
            let mut diags = Diagnostics::new();
            validate_config(&block, &config, &AttributePath::root(), &mut diags);
            diags
                .iter()
                .map(|d| (d.summary.clone(), d.attribute.as_ref().map(|p| p.to_string())))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            run(config(Value::Null, Value::Null)),
            vec![
                ("Missing required argument".to_string(), Some("name".to_string())),
                (
                    "Missing required argument".to_string(),
                    Some("items[0].key".to_string())
                ),
            ]
        );
        assert_eq!(run(config(Value::Unknown, Value::string("k"))), vec![]);
    }

    #[test]
    #[should_panic(expected = "duplicate nested attribute results.name")]
    fn nested_attribute_names_are_unique() {
        nested(
            "results",
            Nesting::List,
            [string("name").computed(), string("name").computed()],
        );
    }

    #[test]
    fn validators_describe_themselves_for_the_docs() {
        assert_eq!(length(1..=250).describe(), "between 1 and 250 characters");
        assert_eq!(at_least(1).describe(), "at least 1 element(s)");
        assert_eq!(count(1..=100).describe(), "between 1 and 100 elements");
        assert_eq!(one_of(&["ANY", "AWS"]).describe(), "one of `ANY`, `AWS`");
    }

    #[test]
    fn many_offending_elements_give_a_bounded_number_of_diagnostics() {
        let mut diags = Diagnostics::new();
        let bad: Vec<String> = (0..80_000).map(|i| format!("bad {i}")).collect();
        let path = AttributePath::attr("role_names");
        report_elements(bad.iter().map(String::as_str), &path, "Invalid", &mut diags, |text| {
            format!("{} is bad", Quoted(text))
        });
        assert_eq!(diags.iter().count(), MAX_ELEMENT_DIAGNOSTICS + 1);
        assert_eq!(
            diags.iter().last().map(|d| d.detail.as_str()),
            Some("79990 more elements of role_names fail the same check.")
        );
    }

    #[test]
    fn huge_values_are_quoted_short() {
        let huge = "x".repeat(50 << 20);
        let got = check(&one_of(&["ANY"]), Value::string(huge));
        assert!(
            got[0].len() < 1_000 && got[0].contains("(52428800 characters)"),
            "{}",
            got[0].len()
        );
    }
}
