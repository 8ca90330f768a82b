//! Markdown docs rendered from schemas, so `docs/` can never disagree with the code.
//!
//! A page has the schema's description, the example HCL, the attributes grouped as
//! Required / Optional / Read-Only with their descriptions and validators, one section per
//! nested block, and the import command when the type can be imported.

use std::fmt::Write;

use crate::framework::schema::{Attribute, Block, Nesting};
use crate::framework::Schema;
use crate::value::Type;

/// What kind of page to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Resource,
    DataSource,
    Provider,
}

/// The inputs of one docs page.
pub struct Page<'a> {
    /// The provider's binary name for page titles, e.g. `terraform-provider-example`.
    pub provider: &'a str,
    pub kind: Kind,
    /// Full type name, e.g. `mongodbatlas_api_key`, or the provider name.
    pub name: &'a str,
    pub schema: &'a Schema,
    /// HCL shown under "Example Usage".
    pub example: &'a str,
    /// Shell lines shown under "Import", if the type can be imported.
    pub import: Option<&'a str>,
    /// Extra Markdown placed after the description (warnings, notes).
    pub notes: &'a str,
}

/// Renders one page.
pub fn render(page: &Page<'_>) -> String {
    let kind = match page.kind {
        Kind::Resource => "Resource",
        Kind::DataSource => "Data Source",
        Kind::Provider => "Provider",
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "---\npage_title: \"{} {kind} - {}\"\n---\n",
        page.name, page.provider
    );
    let _ = writeln!(
        out,
        "<!-- Generated from the provider schema by `make docs`; edit the schema or examples/, not this file. -->\n"
    );
    let _ = writeln!(out, "# {} ({kind})\n", page.name);
    let _ = writeln!(out, "{}\n", page.schema.block.description.trim());
    if !page.notes.trim().is_empty() {
        let _ = writeln!(out, "{}\n", page.notes.trim());
    }
    let _ = writeln!(out, "## Example Usage\n\n```terraform\n{}\n```\n", page.example.trim());
    out.push_str("## Schema\n\n");
    render_block(&mut out, &page.schema.block, None);
    if let Some(import) = page.import {
        let _ = writeln!(out, "## Import\n\n```shell\n{}\n```", import.trim());
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// A docs section title and which attributes belong under it.
type Group = (&'static str, fn(&Attribute) -> bool);

fn render_block(out: &mut String, block: &Block, parent: Option<&str>) {
    let groups: [Group; 3] = [
        ("Required", |a| a.required),
        ("Optional", |a| a.optional),
        ("Read-Only", |a| !a.required && !a.optional),
    ];
    for (title, belongs) in groups {
        let attributes: Vec<&Attribute> = block.attributes.iter().filter(|a| belongs(a)).collect();
        let blocks: Vec<_> = block
            .blocks
            .iter()
            .filter(|b| (title == "Optional" && b.min_items == 0) || (title == "Required" && b.min_items > 0))
            .collect();
        if attributes.is_empty() && blocks.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title}\n");
        for attribute in attributes {
            let _ = writeln!(out, "- {}", describe(attribute, parent));
        }
        for nested in blocks {
            let anchor = nested_anchor(parent, &nested.name);
            let kind = match nested.nesting {
                Nesting::List => "Block List",
                Nesting::Set => "Block Set",
                Nesting::Single => "Block",
            };
            let _ = writeln!(
                out,
                "- `{}` ({kind}) {} (see [below for nested schema](#{anchor}))",
                nested.name,
                nested.block.description.trim()
            );
        }
        out.push('\n');
    }
    for nested in &block.blocks {
        let anchor = nested_anchor(parent, &nested.name);
        let path = match parent {
            Some(parent) => format!("{parent}.{}", nested.name),
            None => nested.name.clone(),
        };
        let _ = writeln!(out, "<a id=\"{anchor}\"></a>\n### Nested Schema for `{path}`\n");
        render_block(out, &nested.block, Some(&path));
    }
    // Nested attributes and object-typed attributes (lists of objects in data sources) get
    // their own sections.
    for attribute in &block.attributes {
        let path = match parent {
            Some(parent) => format!("{parent}.{}", attribute.name),
            None => attribute.name.clone(),
        };
        if let Some(nested) = &attribute.nested {
            let _ = writeln!(
                out,
                "<a id=\"{}\"></a>\n### Nested Schema for `{path}`\n",
                nested_attribute_anchor(parent, &attribute.name)
            );
            let inner = Block {
                description: String::new(),
                attributes: nested.attributes.clone(),
                blocks: Vec::new(),
            };
            render_block(out, &inner, Some(&path));
        } else if let Some(fields) = object_fields(&attribute.ty) {
            let _ = writeln!(
                out,
                "<a id=\"{}\"></a>\n### Nested Schema for `{path}`\n",
                nested_anchor(parent, &attribute.name)
            );
            for (name, ty) in fields {
                let _ = writeln!(out, "- `{name}` ({})", type_name(ty));
            }
            out.push('\n');
        }
    }
}

fn describe(attribute: &Attribute, parent: Option<&str>) -> String {
    let mut kind = match &attribute.nested {
        Some(nested) => match nested.nesting {
            Nesting::Single => "Attributes".to_string(),
            Nesting::List => "Attributes List".to_string(),
            Nesting::Set => "Attributes Set".to_string(),
        },
        None => type_name(&attribute.ty),
    };
    if attribute.sensitive {
        kind.push_str(", Sensitive");
    }
    let mut text = format!("`{}` ({kind}) {}", attribute.name, attribute.description.trim());
    let mut rules: Vec<String> = attribute.validators.iter().map(|v| v.describe()).collect();
    if attribute.requires_replace {
        rules.push("changing it forces a new resource".to_string());
    }
    if let Some(default) = attribute.default.as_ref().and_then(|d| d.as_str()) {
        rules.push(format!("defaults to `\"{default}\"`"));
    }
    if !rules.is_empty() {
        let _ = write!(text, " Constraints: {}.", rules.join("; "));
    }
    if attribute.nested.is_some() {
        let _ = write!(
            text,
            " (see [below for nested schema](#{}))",
            nested_attribute_anchor(parent, &attribute.name)
        );
    } else if object_fields(&attribute.ty).is_some() {
        let _ = write!(
            text,
            " (see [below for nested schema](#{}))",
            nested_anchor(parent, &attribute.name)
        );
    }
    text
}

fn object_fields(ty: &Type) -> Option<&std::collections::BTreeMap<String, Type>> {
    match ty {
        Type::List(inner) | Type::Set(inner) => match inner.as_ref() {
            Type::Object(fields) => Some(fields),
            _ => None,
        },
        Type::Object(fields) => Some(fields),
        _ => None,
    }
}

fn nested_anchor(parent: Option<&str>, name: &str) -> String {
    match parent {
        Some(parent) => format!("nestedblock--{}--{name}", parent.replace('.', "--")),
        None => format!("nestedblock--{name}"),
    }
}

fn nested_attribute_anchor(parent: Option<&str>, name: &str) -> String {
    match parent {
        Some(parent) => format!("nestedatt--{}--{name}", parent.replace('.', "--")),
        None => format!("nestedatt--{name}"),
    }
}

fn type_name(ty: &Type) -> String {
    match ty {
        Type::Bool => "Boolean".to_string(),
        Type::Number => "Number".to_string(),
        Type::String => "String".to_string(),
        Type::List(inner) => format!("List of {}", type_name(inner)),
        Type::Set(inner) => format!("Set of {}", type_name(inner)),
        Type::Map(inner) => format!("Map of {}", type_name(inner)),
        Type::Object(_) => "Object".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::{length, nested, string, Schema};

    #[test]
    fn groups_attributes_and_shows_rules() {
        let schema = Schema::new("A key.").attributes([
            string("description")
                .required()
                .validate(length(1..=250))
                .doc("What it is for."),
            string("secret").computed().sensitive().doc("The secret."),
        ]);
        let page = render(&Page {
            provider: "terraform-provider-example",
            kind: Kind::Resource,
            name: "example_thing",
            schema: &schema,
            example: "resource \"example_thing\" \"x\" {}",
            import: Some("terraform import example_thing.x ID"),
            notes: "",
        });
        assert!(page.starts_with("---\npage_title: \"example_thing Resource - terraform-provider-example\"\n---\n"));
        assert!(page.contains("# example_thing (Resource)"));
        assert!(page.contains(
            "### Required\n\n- `description` (String) What it is for. Constraints: between 1 and 250 characters."
        ));
        assert!(page.contains("### Read-Only\n\n- `secret` (String, Sensitive) The secret."));
        assert!(page.contains("## Import\n\n```shell\nterraform import example_thing.x ID\n```"));
    }

    #[test]
    fn nested_attributes_get_a_section_with_their_own_flags() {
        let schema = Schema::new("Keys.").attributes([nested(
            "results",
            Nesting::List,
            [
                string("name").computed().doc("The name."),
                string("secret").computed().sensitive().doc("The secret."),
            ],
        )
        .computed()
        .doc("The keys.")]);
        let page = render(&Page {
            provider: "terraform-provider-example",
            kind: Kind::DataSource,
            name: "example_things",
            schema: &schema,
            example: "data \"example_things\" \"x\" {}",
            import: None,
            notes: "",
        });
        assert!(
            page.contains(
                "- `results` (Attributes List) The keys. (see [below for nested schema](#nestedatt--results))"
            ),
            "{page}"
        );
        assert!(page.contains("<a id=\"nestedatt--results\"></a>\n### Nested Schema for `results`\n\n### Read-Only\n\n- `name` (String) The name.\n- `secret` (String, Sensitive) The secret."), "{page}");
    }
}
