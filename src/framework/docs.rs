//! Markdown docs rendered from schemas, so `docs/` can never disagree with the code.
//!
//! Pages follow the layout of HashiCorp's `tfplugindocs`, which the Terraform Registry renders:
//! YAML frontmatter with `page_title`, `subcategory` and `description`; the description and
//! notes; `## Example Usage`; `## Schema` with `### Required`, `### Optional` and
//! `### Read-Only`, each nested block under `<a id="nestedblock--…">` and each nested
//! attribute under `<a id="nestedatt--…">`, every nested field with its description; and for
//! an importable resource `## Import` with an `import {}` block and the `terraform import`
//! command for every ID form. Ephemeral resources get `<name> (Ephemeral Resource)` pages, as
//! `tfplugindocs` renders them under `docs/ephemeral-resources/`. [`check_layout`] tells whether a
//! page follows that layout.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::framework::schema::{Attribute, Block, Nesting};
use crate::framework::Schema;
use crate::value::Type;

/// What kind of page to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Resource,
    DataSource,
    EphemeralResource,
    Provider,
}

impl Kind {
    fn title(self) -> &'static str {
        match self {
            Kind::Resource => "Resource",
            Kind::DataSource => "Data Source",
            Kind::EphemeralResource => "Ephemeral Resource",
            Kind::Provider => "Provider",
        }
    }
}

/// One ID form a resource can be imported with, shown both as an `import {}` block and as a
/// `terraform import` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportId {
    /// What the form is, as Markdown prose (may be empty).
    pub note: String,
    /// The resource address, e.g. `example_thing.this`.
    pub address: String,
    /// An example ID in this form.
    pub id: String,
}

impl ImportId {
    /// Reads the ID forms from a shell snippet of `terraform import <address> <id>` lines;
    /// the `#` comment lines before a command become its note. Other lines are ignored.
    pub fn parse_shell(text: &str) -> Vec<ImportId> {
        let mut forms = Vec::new();
        let mut note = Vec::new();
        for line in text.lines().map(str::trim) {
            if let Some(comment) = line.strip_prefix('#') {
                note.push(comment.trim().to_string());
            } else if let Some(rest) = line.strip_prefix("terraform import ") {
                let mut words = rest.split_whitespace();
                if let (Some(address), Some(id)) = (words.next(), words.next()) {
                    forms.push(ImportId {
                        note: note.join(" "),
                        address: address.to_string(),
                        id: id.trim_matches(|c| c == '"' || c == '\'').to_string(),
                    });
                }
                note.clear();
            }
        }
        forms
    }
}

/// The inputs of one docs page.
pub struct Page<'a> {
    /// The provider's binary name for page titles, e.g. `terraform-provider-example`.
    pub provider: &'a str,
    pub kind: Kind,
    /// Full type name, e.g. `mongodbatlas_api_key`, or the provider name.
    pub name: &'a str,
    /// The registry's navigation group for the page (frontmatter `subcategory`), given by the
    /// provider; `None` for the provider page, which has none.
    pub subcategory: Option<&'a str>,
    pub schema: &'a Schema,
    /// HCL shown under "Example Usage".
    pub example: &'a str,
    /// The ID forms shown under "Import"; empty when the type cannot be imported.
    pub import: &'a [ImportId],
    /// Extra Markdown placed after the description (warnings, notes).
    pub notes: &'a str,
}

/// Renders one page.
pub fn render(page: &Page<'_>) -> String {
    let kind = page.kind.title();
    let mut out = String::new();
    let description = page.schema.block.description.trim();
    let _ = writeln!(out, "---\npage_title: \"{} {kind} - {}\"", page.name, page.provider);
    let _ = writeln!(out, "subcategory: \"{}\"", page.subcategory.unwrap_or_default());
    let _ = writeln!(out, "description: |-");
    for line in description.lines() {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out, "---\n");
    let _ = writeln!(
        out,
        "<!-- Generated from the provider schema by `make docs`; edit the schema or examples/, not this file. -->\n"
    );
    let _ = writeln!(out, "# {} ({kind})\n", page.name);
    let _ = writeln!(out, "{description}\n");
    if !page.notes.trim().is_empty() {
        let _ = writeln!(out, "{}\n", page.notes.trim());
    }
    let _ = writeln!(out, "## Example Usage\n\n```terraform\n{}\n```\n", page.example.trim());
    out.push_str("## Schema\n\n");
    render_block(&mut out, &page.schema.block, None);
    if !page.import.is_empty() {
        render_import(&mut out, page.import);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn render_import(out: &mut String, forms: &[ImportId]) {
    out.push_str("## Import\n\n");
    let notes: Vec<&str> = forms
        .iter()
        .map(|f| f.note.as_str())
        .filter(|n| !n.is_empty())
        .collect();
    for note in &notes {
        let _ = writeln!(out, "{note}\n");
    }
    out.push_str("In Terraform v1.5.0 and later, use an `import` block");
    if forms.len() > 1 {
        // A configuration takes one import block per resource address.
        out.push_str(" (the blocks below are alternative ID forms: use one per resource)");
    }
    out.push_str(":\n\n```terraform\n");
    for (i, form) in forms.iter().enumerate() {
        if i > 0 {
            out.push_str("\n# or\n");
        }
        let _ = writeln!(out, "import {{\n  to = {}\n  id = \"{}\"\n}}", form.address, form.id);
    }
    out.push_str("```\n\nOr use the `terraform import` command:\n\n```shell\n");
    for form in forms {
        let _ = writeln!(out, "terraform import {} {}", form.address, form.id);
    }
    out.push_str("```\n\n");
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

/// Checks that a rendered page follows the registry layout described in the module docs and
/// returns every departure from it, each naming the line or anchor at fault.
///
/// The rules: frontmatter with a non-empty `page_title`, a `subcategory` line (non-empty
/// except on the provider page) and a `description: |-` with text; `# <name> (<kind>)`;
/// `## Example Usage` with a `terraform` code block, then `## Schema`, after which only
/// `## Import` may follow; in the schema, every section has at most one each of
/// `### Required`, `### Optional`, `### Read-Only`, in that order; every field is
/// ``- `name` (Type) description`` with a description; every nested schema sits under an
/// `<a id="nestedblock--…">` (blocks) or `<a id="nestedatt--…">` (nested attributes) anchor
/// directly followed by its `### Nested Schema for` title, every anchor is linked and every
/// link has its anchor; an `## Import` section has one `import {}` block and one
/// `terraform import` command per ID form.
pub fn check_layout(page: &str, kind: Kind) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    let body = match check_frontmatter(page, kind, &mut errors) {
        Some(body) => body,
        None => return Err(errors),
    };
    let lines: Vec<&str> = body.lines().collect();
    let kind_title = kind.title();
    match lines.iter().find(|l| l.starts_with("# ")) {
        Some(title) if title.ends_with(&format!(" ({kind_title})")) => {}
        Some(title) => errors.push(format!("title `{title}` does not end with `({kind_title})`")),
        None => errors.push("no `# <name> (<kind>)` title".to_string()),
    }
    let h2: Vec<(usize, &str)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("## "))
        .map(|(i, l)| (i, *l))
        .collect();
    let position = |title: &str| {
        h2.iter()
            .filter(|(_, l)| *l == title)
            .map(|(i, _)| *i)
            .collect::<Vec<_>>()
    };
    let (example, schema, import) = (
        position("## Example Usage"),
        position("## Schema"),
        position("## Import"),
    );
    if example.len() != 1 || schema.len() != 1 {
        errors.push("needs exactly one `## Example Usage` and one `## Schema`".to_string());
        return Err(errors);
    }
    let (example, schema) = (example[0], schema[0]);
    if example > schema {
        errors.push("`## Example Usage` comes after `## Schema`".to_string());
    }
    if lines.get(example + 2) != Some(&"```terraform") {
        errors.push("`## Example Usage` does not open a ```terraform code block".to_string());
    }
    for (_, title) in h2.iter().filter(|(i, _)| *i > schema) {
        if *title != "## Import" {
            errors.push(format!("`{title}` after `## Schema`; only `## Import` may follow it"));
        }
    }
    if import.len() > 1 {
        errors.push("more than one `## Import`".to_string());
    }
    if kind != Kind::Resource && !import.is_empty() {
        errors.push(format!("a {kind_title} page has an `## Import` section"));
    }
    let schema_end = import.first().copied().unwrap_or(lines.len());
    check_schema(&lines[schema + 1..schema_end], &mut errors);
    if let Some(&start) = import.first() {
        check_import(&lines[start + 1..], &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Checks the frontmatter and returns the page after it.
fn check_frontmatter<'p>(page: &'p str, kind: Kind, errors: &mut Vec<String>) -> Option<&'p str> {
    let Some(rest) = page.strip_prefix("---\n") else {
        errors.push("the page does not start with `---` frontmatter".to_string());
        return None;
    };
    let Some(end) = rest.find("\n---\n") else {
        errors.push("the frontmatter is not closed by `---`".to_string());
        return None;
    };
    let front: Vec<&str> = rest[..end].lines().collect();
    let value = |key: &str| {
        front
            .iter()
            .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(": ")))
            .map(|v| v.trim().trim_matches('"'))
    };
    match value("page_title") {
        Some(title) if !title.is_empty() => {}
        _ => errors.push("the frontmatter has no `page_title`".to_string()),
    }
    match value("subcategory") {
        None => errors.push("the frontmatter has no `subcategory`".to_string()),
        Some("") if kind != Kind::Provider => errors.push("the frontmatter's `subcategory` is empty".to_string()),
        Some(_) => {}
    }
    match front.iter().position(|l| *l == "description: |-") {
        Some(at)
            if front
                .get(at + 1)
                .is_some_and(|l| l.starts_with("  ") && !l.trim().is_empty()) => {}
        _ => errors.push("the frontmatter has no `description: |-` with indented text".to_string()),
    }
    Some(&rest[end + 5..])
}

fn check_schema(lines: &[&str], errors: &mut Vec<String>) {
    const GROUPS: [&str; 3] = ["### Required", "### Optional", "### Read-Only"];
    let mut anchors = BTreeSet::new();
    let mut links = BTreeSet::new();
    // Index in GROUPS of the last group heading of the current section.
    let mut group: Option<usize> = None;
    let mut section = "the top level".to_string();
    for (i, line) in lines.iter().enumerate() {
        if let Some(rest) = line.strip_prefix("<a id=\"") {
            let anchor = rest.strip_suffix("\"></a>").unwrap_or(rest);
            if !(anchor.starts_with("nestedblock--") || anchor.starts_with("nestedatt--")) {
                errors.push(format!(
                    "anchor `{anchor}` is neither `nestedblock--…` nor `nestedatt--…`"
                ));
            }
            if !anchors.insert(anchor.to_string()) {
                errors.push(format!("anchor `{anchor}` appears twice"));
            }
            if !lines
                .get(i + 1)
                .is_some_and(|next| next.starts_with("### Nested Schema for `"))
            {
                errors.push(format!("anchor `{anchor}` is not followed by `### Nested Schema for`"));
            }
        } else if let Some(path) = line.strip_prefix("### Nested Schema for ") {
            section = path.to_string();
            group = None;
        } else if let Some(at) = GROUPS.iter().position(|g| line == g) {
            if group.is_some_and(|last| last >= at) {
                errors.push(format!("`{line}` out of order or repeated in {section}"));
            }
            group = Some(at);
        } else if line.starts_with('#') {
            errors.push(format!(
                "heading `{line}` in the schema; only Required, Optional, Read-Only and nested schemas belong there"
            ));
        } else if let Some(field) = line.strip_prefix("- ") {
            if group.is_none() {
                errors.push(format!(
                    "field `{field}` in {section} is under no Required / Optional / Read-Only heading"
                ));
            }
            check_field(field, &section, &mut links, errors);
        } else if !line.trim().is_empty() {
            errors.push(format!("unexpected line in the schema: `{line}`"));
        }
    }
    for link in links.difference(&anchors) {
        errors.push(format!("link to `#{link}` has no anchor"));
    }
    for anchor in anchors.difference(&links) {
        errors.push(format!("anchor `{anchor}` is never linked"));
    }
}

/// Checks one ``- `name` (Type) description`` line and collects its nested-schema link.
fn check_field(field: &str, section: &str, links: &mut BTreeSet<String>, errors: &mut Vec<String>) {
    let parsed = field
        .strip_prefix('`')
        .and_then(|rest| rest.split_once("` ("))
        .and_then(|(name, rest)| {
            rest.split_once(')')
                .map(|(ty, description)| (name, ty, description.trim()))
        });
    let Some((name, ty, description)) = parsed else {
        errors.push(format!(
            "field `{field}` in {section} is not ``- `name` (Type) description``"
        ));
        return;
    };
    let (text, link) = match description.rsplit_once(" (see [below for nested schema](#") {
        Some((text, link)) => (text.trim(), link.strip_suffix("))")),
        None if description.starts_with("(see [below for nested schema](#") => (
            "",
            description
                .strip_prefix("(see [below for nested schema](#")
                .and_then(|l| l.strip_suffix("))")),
        ),
        None => (description, None),
    };
    if text.is_empty() {
        errors.push(format!("`{name}` in {section} has no description"));
    }
    let nested = ty.starts_with("Block") || ty.starts_with("Attributes");
    match link {
        Some(link) => {
            let expected = if ty.starts_with("Block") {
                "nestedblock--"
            } else {
                "nestedatt--"
            };
            if !link.starts_with(expected) {
                errors.push(format!(
                    "`{name}` ({ty}) in {section} links to `#{link}`, not a `{expected}` anchor"
                ));
            }
            links.insert(link.to_string());
        }
        None if nested => errors.push(format!("`{name}` ({ty}) in {section} has no link to its nested schema")),
        None => {}
    }
}

fn check_import(lines: &[&str], errors: &mut Vec<String>) {
    let mut blocks = 0;
    let mut commands = 0;
    let mut fence: Option<&str> = None;
    for line in lines {
        match fence {
            None => fence = line.strip_prefix("```").filter(|lang| !lang.is_empty()),
            Some(_) if *line == "```" => fence = None,
            Some("terraform") if line.trim() == "import {" => blocks += 1,
            Some("shell") if line.starts_with("terraform import ") => commands += 1,
            Some(_) => {}
        }
    }
    if blocks == 0 || commands == 0 {
        errors.push(
            "`## Import` needs both an `import {}` block (```terraform) and a `terraform import` command (```shell)"
                .to_string(),
        );
    } else if blocks != commands {
        errors.push(format!("`## Import` has {blocks} `import {{}}` blocks but {commands} `terraform import` commands; each ID form needs both"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::NestedBlock;
    use crate::framework::{length, nested, string, Schema};

    fn thing_schema() -> Schema {
        let mut schema = Schema::new("A key.").attributes([
            string("description")
                .required()
                .validate(length(1..=250))
                .doc("What it is for."),
            string("secret").computed().sensitive().doc("The secret."),
        ]);
        schema.block.blocks.push(NestedBlock {
            name: "assignment".to_string(),
            nesting: Nesting::List,
            min_items: 0,
            max_items: 0,
            block: Block {
                description: "Where it is assigned.".to_string(),
                attributes: vec![string("project_id").required().doc("The project.")],
                blocks: Vec::new(),
            },
        });
        schema
    }

    fn thing_page(schema: &Schema, import: &[ImportId]) -> String {
        render(&Page {
            provider: "terraform-provider-example",
            kind: Kind::Resource,
            name: "example_thing",
            subcategory: Some("Things"),
            schema,
            example: "resource \"example_thing\" \"x\" {}",
            import,
            notes: "",
        })
    }

    fn two_forms() -> Vec<ImportId> {
        ImportId::parse_shell(
            "# The organization ID and the thing ID, joined by \"-\" (or \"/\").\n\
             terraform import example_thing.x 1-2\n\
             terraform import example_thing.x 1/2\n",
        )
    }

    #[test]
    fn groups_attributes_and_shows_rules() {
        let page = thing_page(&thing_schema(), &two_forms());
        assert!(
            page.starts_with(
                "---\npage_title: \"example_thing Resource - terraform-provider-example\"\nsubcategory: \"Things\"\ndescription: |-\n  A key.\n---\n"
            ),
            "{page}"
        );
        assert!(page.contains("# example_thing (Resource)"));
        assert!(page.contains(
            "### Required\n\n- `description` (String) What it is for. Constraints: between 1 and 250 characters."
        ));
        assert!(page.contains("### Read-Only\n\n- `secret` (String, Sensitive) The secret."));
        assert!(page.contains("- `assignment` (Block List) Where it is assigned. (see [below for nested schema](#nestedblock--assignment))"), "{page}");
        assert!(page.contains("<a id=\"nestedblock--assignment\"></a>\n### Nested Schema for `assignment`\n\n### Required\n\n- `project_id` (String) The project."), "{page}");
        check_layout(&page, Kind::Resource).unwrap();
    }

    #[test]
    fn import_shows_a_block_and_a_command_for_every_id_form() {
        let forms = two_forms();
        assert_eq!(forms.len(), 2);
        assert_eq!(
            forms[0].note,
            "The organization ID and the thing ID, joined by \"-\" (or \"/\")."
        );
        assert_eq!(forms[1].note, "");
        let page = thing_page(&thing_schema(), &forms);
        assert!(page.contains(
            "## Import\n\nThe organization ID and the thing ID, joined by \"-\" (or \"/\").\n\n\
             In Terraform v1.5.0 and later, use an `import` block (the blocks below are alternative ID forms: use \
             one per resource):\n\n```terraform\n\
             import {\n  to = example_thing.x\n  id = \"1-2\"\n}\n\n# or\nimport {\n  to = example_thing.x\n  id = \"1/2\"\n}\n```\n\n\
             Or use the `terraform import` command:\n\n```shell\n\
             terraform import example_thing.x 1-2\nterraform import example_thing.x 1/2\n```"
        ), "{page}");
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
            subcategory: Some("Things"),
            schema: &schema,
            example: "data \"example_things\" \"x\" {}",
            import: &[],
            notes: "",
        });
        assert!(
            page.contains(
                "- `results` (Attributes List) The keys. (see [below for nested schema](#nestedatt--results))"
            ),
            "{page}"
        );
        assert!(page.contains("<a id=\"nestedatt--results\"></a>\n### Nested Schema for `results`\n\n### Read-Only\n\n- `name` (String) The name.\n- `secret` (String, Sensitive) The secret."), "{page}");
        check_layout(&page, Kind::DataSource).unwrap();
    }

    /// Breaks a good page with `edit` and returns what the check says.
    fn broken(edit: impl Fn(String) -> String) -> String {
        let page = edit(thing_page(&thing_schema(), &two_forms()));
        check_layout(&page, Kind::Resource)
            .expect_err("a page off the layout passed the check")
            .join("\n")
    }

    #[test]
    fn ephemeral_resource_pages_are_titled_as_tfplugindocs_titles_them() {
        let page = render(&Page {
            provider: "terraform-provider-example",
            kind: Kind::EphemeralResource,
            name: "example_thing",
            subcategory: Some("Things"),
            schema: &thing_schema(),
            example: "ephemeral \"example_thing\" \"x\" {}",
            import: &[],
            notes: "",
        });
        assert!(
            page.starts_with("---\npage_title: \"example_thing Ephemeral Resource - terraform-provider-example\"\n")
        );
        assert!(page.contains("# example_thing (Ephemeral Resource)"), "{page}");
        check_layout(&page, Kind::EphemeralResource).unwrap();
        let errors = check_layout(&page, Kind::Resource).unwrap_err().join("\n");
        assert!(errors.contains("does not end with `(Resource)`"), "{errors}");
    }

    #[test]
    fn pages_off_the_layout_are_refused() {
        let errors = broken(|p| p.replace("subcategory: \"Things\"\n", ""));
        assert!(errors.contains("no `subcategory`"), "{errors}");
        let errors = broken(|p| p.replace("subcategory: \"Things\"", "subcategory: \"\""));
        assert!(errors.contains("`subcategory` is empty"), "{errors}");
        let errors = broken(|p| p.replace("description: |-\n  A key.\n", ""));
        assert!(errors.contains("description"), "{errors}");
        let errors = broken(|p| p.replacen("### Required", "### Arguments", 1));
        assert!(errors.contains("heading `### Arguments`"), "{errors}");
        let errors = broken(|p| {
            p.replacen("### Read-Only\n\n- `secret` (String, Sensitive) The secret.\n", "", 1)
                .replacen(
                    "### Required\n\n",
                    "### Read-Only\n\n- `secret` (String, Sensitive) The secret.\n\n### Required\n\n",
                    1,
                )
        });
        assert!(errors.contains("`### Required` out of order"), "{errors}");
        let errors = broken(|p| p.replace("- `project_id` (String) The project.", "- `project_id` (String)"));
        assert!(
            errors.contains("`project_id` in `assignment` has no description"),
            "{errors}"
        );
        let errors = broken(|p| p.replace("<a id=\"nestedblock--assignment\"></a>", "<a id=\"assignment\"></a>"));
        assert!(errors.contains("anchor `assignment` is neither"), "{errors}");
        assert!(
            errors.contains("link to `#nestedblock--assignment` has no anchor"),
            "{errors}"
        );
        let errors = broken(|p| p.replace("(#nestedblock--assignment)", "(#nestedatt--assignment)"));
        assert!(errors.contains("not a `nestedblock--` anchor"), "{errors}");
        let errors = broken(|p| p.replace("import {\n  to = example_thing.x\n  id = \"1/2\"\n}\n", ""));
        assert!(errors.contains("2 `terraform import` commands"), "{errors}");
        let errors = broken(|p| {
            p[..p.find("In Terraform v1.5.0").unwrap()].to_string()
                + "```shell\nterraform import example_thing.x 1-2\n```"
        });
        assert!(errors.contains("needs both"), "{errors}");
        let errors = broken(|p| p + "\n\n## Notes\n\nMore.");
        assert!(errors.contains("`## Notes` after `## Schema`"), "{errors}");
        let errors = broken(|p| p.replace("# example_thing (Resource)", "# example_thing"));
        assert!(errors.contains("does not end with `(Resource)`"), "{errors}");
    }
}
