//! What a newcomer runs first and what the guides promise, through the real `terraform`: the
//! rotation guide's example rotates a key creating the new one before deleting the old one,
//! the migration guide's `moved` path turns a project key into an organization key and
//! assignments in one apply that writes nothing and keeps the private key (and its import-only
//! path works, without the private key), `scripts/dev-override.sh` (behind `make dev-override`)
//! prints a CLI configuration Terraform parses and uses, and `scripts/demo.sh` (behind `make demo`) prints plain text that hides
//! secrets unless asked.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::World;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory of the provider binary under test, which `dev_overrides` points at.
fn plugin_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-mongodbatlas"))
        .parent()
        .expect("binary has a parent directory")
        .to_path_buf()
}

/// The first ```terraform code block of a Markdown file.
fn first_terraform_block(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let start = text.find("```terraform\n").expect("a terraform block") + "```terraform\n".len();
    let end = start + text[start..].find("\n```").expect("a closed terraform block");
    text[start..end].to_string()
}

#[test]
fn rotation_guide_example_creates_the_new_key_before_deleting_the_old_one() {
    let mut world = World::new();
    world.set_env("TF_VAR_org_id", &world.org_id());
    world.set_env("TF_VAR_project_id", &world.project_id(0));
    world.write(&first_terraform_block(&root().join("docs/guides/rotate-keys.md")));
    world.apply();
    let old = world.resource_values("mongodbatlas_api_key.ci")["api_key_id"]
        .as_str()
        .expect("api_key_id")
        .to_string();
    let run = world.plan();
    assert_eq!(run.code, 0, "the example does not converge:\n{}", run.output());

    world.clear_requests();
    let run = world.terraform(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-var",
        "rotation=2",
    ]);
    assert_eq!(run.code, 0, "rotation failed:\n{}", run.output());
    let new = world.resource_values("mongodbatlas_api_key.ci")["api_key_id"]
        .as_str()
        .expect("api_key_id")
        .to_string();
    assert_ne!(new, old, "the key was not replaced");
    let (org, project) = (world.org_id(), world.project_id(0));
    let mutations = world.mutations();
    let at = |call: String| {
        mutations
            .iter()
            .position(|m| *m == call)
            .unwrap_or_else(|| panic!("no `{call}` in {mutations:#?}"))
    };
    let create_key = at(format!("POST /api/atlas/v2/orgs/{org}/apiKeys"));
    let assign_new = at(format!("POST /api/atlas/v2/groups/{project}/apiKeys/{new}"));
    let allow_new = at(format!("POST /api/atlas/v2/orgs/{org}/apiKeys/{new}/accessList"));
    let unassign_old = at(format!("DELETE /api/atlas/v2/groups/{project}/apiKeys/{old}"));
    let disallow_old = at(format!(
        "DELETE /api/atlas/v2/orgs/{org}/apiKeys/{old}/accessList/192.0.2.0%2F24"
    ));
    let delete_old = at(format!("DELETE /api/atlas/v2/orgs/{org}/apiKeys/{old}"));
    assert_eq!(mutations.len(), 6, "one create and one delete each: {mutations:#?}");
    assert!(create_key < assign_new && create_key < allow_new, "{mutations:#?}");
    assert!(assign_new < unassign_old && allow_new < disallow_old, "{mutations:#?}");
    assert!(unassign_old < delete_old && disallow_old < delete_old, "{mutations:#?}");
    let keys = world.atlas_state()["api_keys"].clone();
    let ids: Vec<&str> = keys
        .as_array()
        .expect("api_keys")
        .iter()
        .filter_map(|k| k["id"].as_str())
        .collect();
    assert!(ids.contains(&new.as_str()) && !ids.contains(&old.as_str()), "{ids:?}");
    let run = world.terraform(&[
        "plan",
        "-detailed-exitcode",
        "-no-color",
        "-input=false",
        "-var",
        "rotation=2",
    ]);
    assert_eq!(run.code, 0, "no convergence after the rotation:\n{}", run.output());
}

/// The ```terraform code blocks of the section of a Markdown file whose heading starts with
/// `heading`, up to the next heading of the same level.
fn terraform_blocks_in_section(path: &Path, heading: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in {}", path.display()));
    let level = heading.split(' ').next().unwrap_or("##").to_string() + " ";
    let body = &text[start + heading.len()..];
    let end = body.find(&format!("\n{level}")).unwrap_or(body.len());
    body[..end]
        .split("```terraform\n")
        .skip(1)
        .map(|block| {
            block
                .split("\n```")
                .next()
                .expect("a closed terraform block")
                .to_string()
        })
        .collect()
}

/// The variables the migration guide's snippets use.
const GUIDE_VARIABLES: &str = "\nvariable \"org_id\" {}\nvariable \"project_a\" {}\nvariable \"project_b\" {}\n";

#[test]
fn migration_guide_moves_a_project_key_to_an_org_key_keeping_its_secret_or_imports_it() {
    let guide = root().join("docs/guides/migrate-from-official-provider.md");
    let blocks = terraform_blocks_in_section(&guide, "## From `mongodbatlas_project_api_key`");
    assert_eq!(
        blocks.len(),
        3,
        "before, after with moved, and the import-only path: {blocks:#?}"
    );
    let world_with_key = || {
        let mut world = World::new();
        world.set_env("TF_VAR_org_id", &world.org_id());
        world.set_env("TF_VAR_project_a", &world.project_id(0));
        world.set_env("TF_VAR_project_b", &world.project_id(1));
        world.write(&(blocks[0].clone() + GUIDE_VARIABLES));
        world.apply();
        let key = world.resource_values("mongodbatlas_project_api_key.ci");
        (world, key)
    };

    // With moved: one apply, nothing written to Atlas, the private key kept.
    let (world, before) = world_with_key();
    world.write(&(blocks[1].clone() + GUIDE_VARIABLES));
    world.clear_requests();
    let run = world.apply();
    assert!(
        run.stdout
            .contains("Resources: 2 imported, 0 added, 0 changed, 0 destroyed."),
        "{}",
        run.output()
    );
    assert_eq!(world.mutations(), Vec::<String>::new());
    let after = world.resource_values("mongodbatlas_api_key.ci");
    assert_eq!(after["private_key"], before["private_key"]);
    assert!(after["private_key"].is_string());
    assert_eq!(after["api_key_id"], before["api_key_id"]);
    let run = world.plan();
    assert_eq!(
        run.code,
        0,
        "the migrated configuration does not converge:\n{}",
        run.output()
    );

    // Without moved: removed and import blocks, nothing written either, the private key gone.
    let (world, before) = world_with_key();
    let moved_block = "moved {\n  from = mongodbatlas_project_api_key.ci\n  to   = mongodbatlas_api_key.ci\n}\n";
    assert!(blocks[1].contains(moved_block), "{}", blocks[1]);
    let api_key_id = before["api_key_id"].as_str().expect("api_key_id");
    let import_only = blocks[1].replace(moved_block, "")
        + "\n"
        + &blocks[2].replace("6576974933969669aaaaaaaa", api_key_id)
        + GUIDE_VARIABLES;
    world.write(&import_only);
    world.clear_requests();
    let run = world.apply();
    assert!(
        run.stdout
            .contains("Resources: 3 imported, 0 added, 0 changed, 0 destroyed."),
        "{}",
        run.output()
    );
    assert_eq!(world.mutations(), Vec::<String>::new());
    let after = world.resource_values("mongodbatlas_api_key.ci");
    assert_eq!(after["api_key_id"], before["api_key_id"]);
    assert!(after["private_key"].is_null(), "an imported key has no private key");
    assert_eq!(world.plan().code, 0);
}

#[test]
fn dev_override_prints_a_cli_config_terraform_uses() {
    let output = Command::new("sh")
        .arg(root().join("scripts/dev-override.sh"))
        .arg(plugin_dir())
        .output()
        .expect("run scripts/dev-override.sh");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let config = String::from_utf8(output.stdout).expect("utf-8");
    assert!(
        config.contains("provider_installation {") && config.contains("TF_CLI_CONFIG_FILE"),
        "{config}"
    );
    let mut world = World::new();
    let path = world.dir.path().join("dev.tfrc");
    std::fs::write(&path, &config).unwrap();
    world.set_env("TF_CLI_CONFIG_FILE", path.to_str().unwrap());
    world.write(&format!(
        "resource \"mongodbatlas_api_key\" \"k\" {{\n  org_id      = \"{}\"\n  description = \"dev override\"\n  role_names  = [\"ORG_READ_ONLY\"]\n}}\n",
        world.org_id()
    ));
    let run = world.terraform(&["plan", "-no-color", "-input=false"]);
    assert_eq!(run.code, 0, "{}", run.output());
    let out = run.output();
    assert!(out.contains("Provider development overrides are in effect"), "{out}");
    assert!(out.contains("mongodbatlas_api_key.k will be created"), "{out}");
    assert!(!out.contains("problems with the CLI configuration"), "{out}");
}

/// Runs `scripts/demo.sh` with its output piped (not a terminal) and returns what it printed.
fn demo(show_secrets: bool) -> String {
    let dir = plugin_dir();
    assert!(
        dir.join("atlas-emulator").exists(),
        "{} has no atlas-emulator; `cargo test --workspace` (make test) builds it, or run `cargo build -p atlas-emulator`",
        dir.display()
    );
    let mut command = Command::new("bash");
    command
        .arg(root().join("scripts/demo.sh"))
        .env("DEMO_BIN_DIR", &dir)
        .env_remove("NO_COLOR")
        .env_remove("TF_LOG")
        .env_remove("TF_CLI_CONFIG_FILE");
    if show_secrets {
        command.env("SHOW_SECRETS", "1");
    } else {
        command.env_remove("SHOW_SECRETS");
    }
    let output = command.output().expect("run scripts/demo.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "demo failed:\n{text}");
    text
}

/// The value of every `name = value` line whose name ends in `private_key` or `secret`.
fn secret_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.trim().trim_start_matches(['+', '~', ' ']).split_once(" = ")?;
            let name = name.trim();
            (name.ends_with("private_key") || name.ends_with("secret"))
                .then(|| (name.to_string(), value.trim().to_string()))
        })
        .collect()
}

#[test]
fn demo_prints_plain_text_with_three_types_and_hides_secrets_unless_asked() {
    let text = demo(false);
    assert!(!text.contains('\u{1b}'), "escape codes in:\n{text}");
    for gone in [
        "Warning",
        "development overrides",
        "releases.",
        "without -compact-warnings",
    ] {
        assert!(!text.contains(gone), "`{gone}` in:\n{text}");
    }
    for shown in [
        "mongodbatlas_api_key.org: Creation complete",
        "mongodbatlas_project_api_key.project: Creation complete",
        "mongodbatlas_ai_model_api_key.ai: Creation complete",
        "found no differences, so no changes are needed",
        "Destroy complete! Resources: 3 destroyed.",
    ] {
        assert!(text.contains(shown), "no `{shown}` in:\n{text}");
    }
    let secrets = secret_lines(&text);
    assert!(secrets.len() >= 6, "{secrets:?}");
    for (name, value) in &secrets {
        assert!(
            ["<sensitive>", "(sensitive value)", "(known after apply)"].contains(&value.as_str()),
            "{name} = {value} shown without SHOW_SECRETS:\n{text}"
        );
    }

    let text = demo(true);
    let shown: Vec<(String, String)> = secret_lines(&text)
        .into_iter()
        .filter(|(_, value)| !value.starts_with('<') && !value.starts_with('('))
        .collect();
    let names: Vec<&str> = shown.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["org_private_key", "project_private_key", "ai_secret"], "{text}");
    assert!(shown.iter().all(|(_, value)| value.len() >= 16), "{shown:?}");
}
