//! `docs/` and `tests/golden/provider-schema.json` are generated from the code; these tests
//! regenerate them and fail when what is committed is stale (run `make docs` to accept).
//! They also check every resource and data source has an example, and that every page follows
//! the registry layout (`framework::docs::check_layout`), committed or freshly rendered.

use std::path::{Path, PathBuf};

use serde_json::{json, Value as Json};
use terraform_provider_mongodbatlas::framework::docs::{check_layout, render, ImportId, Kind, Page};
use terraform_provider_mongodbatlas::framework::schema::{Attribute, Block, Nesting};
use terraform_provider_mongodbatlas::framework::{Provider, Schema};
use terraform_provider_mongodbatlas::provider::registry::docs_subcategory;
use terraform_provider_mongodbatlas::provider::AtlasProvider;

/// The binary name page titles carry.
const PROVIDER: &str = "terraform-provider-mongodbatlas";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|_| panic!("missing {}", path.display()))
}

fn read_optional(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Writes `content` to `path` when it differs and returns whether it was stale.
fn refresh(path: &Path, content: &str) -> bool {
    if read_optional(path).as_deref() == Some(content) {
        return false;
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
    true
}

/// The subcategory of a type; a type without one fails here rather than getting a page the
/// registry would file nowhere.
fn subcategory(name: &str) -> &'static str {
    docs_subcategory(name)
        .unwrap_or_else(|| panic!("no docs subcategory for {name}: add it to registry::docs_subcategory"))
}

/// Every page: its path, its kind and its rendered text.
fn pages() -> Vec<(PathBuf, Kind, String)> {
    let provider = AtlasProvider::new();
    let prefix = <AtlasProvider as Provider>::TYPE_PREFIX;
    let mut pages = Vec::new();
    let examples = root().join("examples");
    let provider_schema = provider.schema();
    pages.push((
        root().join("docs/index.md"),
        Kind::Provider,
        render(&Page {
            provider: PROVIDER,
            kind: Kind::Provider,
            name: prefix,
            subcategory: None,
            schema: &provider_schema,
            example: &read(&examples.join("provider/provider.tf")),
            import: &[],
            notes: &read_optional(&examples.join("provider/notes.md")).unwrap_or_default(),
        }),
    ));
    for resource in provider.resources() {
        let full = format!("{prefix}_{}", resource.name());
        let dir = examples.join("resources").join(&full);
        let import = ImportId::parse_shell(&read(&dir.join("import.sh")));
        assert!(!import.is_empty(), "{full}: import.sh has no `terraform import` line");
        pages.push((
            root().join(format!("docs/resources/{}.md", resource.name())),
            Kind::Resource,
            render(&Page {
                provider: PROVIDER,
                kind: Kind::Resource,
                name: &full,
                subcategory: Some(subcategory(resource.name())),
                schema: resource.schema(),
                example: &read(&dir.join("resource.tf")),
                import: &import,
                notes: &read_optional(&dir.join("notes.md")).unwrap_or_default(),
            }),
        ));
    }
    for data_source in provider.data_sources() {
        let full = format!("{prefix}_{}", data_source.name());
        let dir = examples.join("data-sources").join(&full);
        pages.push((
            root().join(format!("docs/data-sources/{}.md", data_source.name())),
            Kind::DataSource,
            render(&Page {
                provider: PROVIDER,
                kind: Kind::DataSource,
                name: &full,
                subcategory: Some(subcategory(data_source.name())),
                schema: data_source.schema(),
                example: &read(&dir.join("data-source.tf")),
                import: &[],
                notes: &read_optional(&dir.join("notes.md")).unwrap_or_default(),
            }),
        ));
    }
    for ephemeral in provider.ephemeral_resources() {
        let full = format!("{prefix}_{}", ephemeral.name());
        let dir = examples.join("ephemeral-resources").join(&full);
        pages.push((
            root().join(format!("docs/ephemeral-resources/{}.md", ephemeral.name())),
            Kind::EphemeralResource,
            render(&Page {
                provider: PROVIDER,
                kind: Kind::EphemeralResource,
                name: &full,
                subcategory: Some(subcategory(ephemeral.name())),
                schema: ephemeral.schema(),
                example: &read(&dir.join("ephemeral-resource.tf")),
                import: &[],
                notes: &read_optional(&dir.join("notes.md")).unwrap_or_default(),
            }),
        ));
    }
    pages
}

#[test]
fn docs_are_generated_from_the_schema() {
    let stale: Vec<String> = pages()
        .into_iter()
        .filter(|(path, _, content)| refresh(path, &format!("{content}\n")))
        .map(|(path, _, _)| path.display().to_string())
        .collect();
    assert!(
        stale.is_empty() || std::env::var_os("UPDATE_GOLDEN").is_some(),
        "docs were stale and have been rewritten; review and commit them: {stale:?}"
    );
}

/// The rendered pages, which `docs_are_generated_from_the_schema` holds equal to what is committed.
#[test]
fn every_page_follows_the_registry_layout() {
    let mut off: Vec<String> = Vec::new();
    for (path, kind, content) in pages() {
        if let Err(errors) = check_layout(&content, kind) {
            off.push(format!("{}:\n  {}", path.display(), errors.join("\n  ")));
        }
    }
    assert!(off.is_empty(), "pages off the registry layout:\n{}", off.join("\n"));
}

#[test]
fn guides_have_registry_frontmatter() {
    let dir = root().join("docs/guides");
    let mut guides: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|_| panic!("missing {}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    guides.sort();
    let names: Vec<String> = guides
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.contains(&"migrate-from-official-provider.md".to_string())
            && names.contains(&"rotate-keys.md".to_string()),
        "guides: {names:?}"
    );
    for path in guides {
        let text = read(&path);
        let front = text
            .strip_prefix("---\n")
            .and_then(|rest| rest.split_once("\n---\n"))
            .map(|(front, _)| front)
            .unwrap_or_else(|| panic!("{}: no frontmatter", path.display()));
        for key in ["page_title: \"", "description: |-\n  "] {
            assert!(front.contains(key), "{}: frontmatter lacks {key:?}", path.display());
        }
    }
}

fn nesting_name(nesting: Nesting) -> &'static str {
    match nesting {
        Nesting::List => "list",
        Nesting::Set => "set",
        Nesting::Single => "single",
    }
}

/// An attribute; a nested one has `nested_type` (nesting and attributes) and no `type`, as on the wire.
fn attribute_json(a: &Attribute) -> Json {
    let mut attribute = json!({
        "name": a.name, "type": a.ty.to_json(), "required": a.required, "optional": a.optional,
        "computed": a.computed, "sensitive": a.sensitive, "requires_replace": a.requires_replace,
        "description": a.description,
    });
    if let Some(nested) = &a.nested {
        attribute["type"] = Json::Null;
        attribute["nested_type"] = json!({
            "nesting": nesting_name(nested.nesting),
            "attributes": nested.attributes.iter().map(attribute_json).collect::<Vec<_>>(),
        });
    }
    attribute
}

fn block_json(block: &Block) -> Json {
    let attributes: Vec<Json> = block.attributes.iter().map(attribute_json).collect();
    let blocks: Vec<Json> = block
        .blocks
        .iter()
        .map(|b| {
            json!({"name": b.name, "nesting": nesting_name(b.nesting), "min_items": b.min_items, "block": block_json(&b.block)})
        })
        .collect();
    json!({"description": block.description, "attributes": attributes, "blocks": blocks})
}

fn schema_json(schema: &Schema) -> Json {
    json!({"version": schema.version, "block": block_json(&schema.block)})
}

#[test]
fn golden_provider_schema() {
    let provider = AtlasProvider::new();
    let prefix = <AtlasProvider as Provider>::TYPE_PREFIX;
    let resources: serde_json::Map<String, Json> = provider
        .resources()
        .iter()
        .map(|r| (format!("{prefix}_{}", r.name()), schema_json(r.schema())))
        .collect();
    let data_sources: serde_json::Map<String, Json> = provider
        .data_sources()
        .iter()
        .map(|d| (format!("{prefix}_{}", d.name()), schema_json(d.schema())))
        .collect();
    let ephemeral_resources: serde_json::Map<String, Json> = provider
        .ephemeral_resources()
        .iter()
        .map(|e| (format!("{prefix}_{}", e.name()), schema_json(e.schema())))
        .collect();
    let golden = json!({
        "provider": schema_json(&provider.schema()),
        "provider_meta": provider.meta_schema().as_ref().map(schema_json),
        "resource_schemas": resources,
        "data_source_schemas": data_sources,
        "ephemeral_resource_schemas": ephemeral_resources,
    });
    let text = serde_json::to_string_pretty(&golden).unwrap() + "\n";
    let stale = refresh(&root().join("tests/golden/provider-schema.json"), &text);
    assert!(
        !stale || std::env::var_os("UPDATE_GOLDEN").is_some(),
        "tests/golden/provider-schema.json was stale and has been rewritten; review the schema change and commit it"
    );
}

#[test]
fn every_schema_attribute_is_documented() {
    let provider = AtlasProvider::new();
    let mut missing = Vec::new();
    fn undocumented(owner: &str, attributes: &[Attribute], missing: &mut Vec<String>) {
        for attribute in attributes {
            if attribute.description.trim().is_empty() {
                missing.push(format!("{owner}.{}", attribute.name));
            }
            if let Some(nested) = &attribute.nested {
                undocumented(&format!("{owner}.{}", attribute.name), &nested.attributes, missing);
            }
        }
    }
    let mut check = |owner: String, block: &Block| undocumented(&owner, &block.attributes, &mut missing);
    check("provider".into(), &provider.schema().block);
    for resource in provider.resources() {
        check(resource.name().to_string(), &resource.schema().block);
        for nested in &resource.schema().block.blocks {
            check(format!("{}.{}", resource.name(), nested.name), &nested.block);
        }
    }
    for data_source in provider.data_sources() {
        check(format!("data.{}", data_source.name()), &data_source.schema().block);
    }
    for ephemeral in provider.ephemeral_resources() {
        check(format!("ephemeral.{}", ephemeral.name()), &ephemeral.schema().block);
    }
    assert!(missing.is_empty(), "attributes without a description: {missing:?}");
}

#[test]
fn provider_notes_cover_every_compatibility_argument_and_provider_meta() {
    let notes = read(&root().join("examples/provider/notes.md"));
    let provider = AtlasProvider::new();
    let mut names: Vec<String> = terraform_provider_mongodbatlas::provider::UNUSED
        .iter()
        .map(|(name, _)| name.to_string())
        .collect();
    names.extend(provider.schema().block.attributes.iter().map(|a| a.name.clone()));
    let meta = provider.meta_schema().expect("provider_meta schema");
    names.extend(meta.block.attributes.iter().map(|a| a.name.clone()));
    names.extend(
        [
            "MONGODB_ATLAS_PUBLIC_API_KEY",
            "MONGODB_ATLAS_PUBLIC_KEY",
            "MCLI_PUBLIC_API_KEY",
            "MONGODB_ATLAS_PRIVATE_API_KEY",
            "MONGODB_ATLAS_PRIVATE_KEY",
            "MCLI_PRIVATE_API_KEY",
            "MONGODB_ATLAS_BASE_URL",
            "MCLI_OPS_MANAGER_URL",
            "MONGODB_REALM_BASE_URL",
            "MONGODB_ATLAS_ACCESS_TOKEN",
            "MONGODB_ATLAS_CLIENT_ID",
            "MONGODB_ATLAS_CLIENT_SECRET",
        ]
        .map(str::to_string),
    );
    let missing: Vec<&String> = names
        .iter()
        .filter(|name| !notes.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "examples/provider/notes.md does not mention {missing:?}"
    );
}
