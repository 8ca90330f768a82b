//! The layering, checked by reading the sources: `tfplugin`, `value` and `framework` know
//! nothing of Atlas or of the provider built on them; `atlas` knows nothing of Terraform; the
//! emulator shares no code with the provider crate.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file below `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|err| panic!("read {}: {err}", dir.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text = std::fs::read_to_string(&path).expect("read source");
                found.push((path, text));
            }
        }
    }
    assert!(!found.is_empty(), "no sources under {}", dir.display());
    found
}

/// True when `text` holds `word` as a whole word, ignoring case (`mongodbatlas` is not `atlas`).
fn has_word(text: &str, word: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.match_indices(word).any(|(at, _)| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The `file:line` of every line of `dir`'s sources for which `bad` holds.
fn offending(dir: &str, bad: impl Fn(&str) -> bool) -> Vec<String> {
    sources(&root().join(dir))
        .iter()
        .flat_map(|(path, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, line)| bad(line))
                .map(|(number, line)| format!("{}:{}: {}", path.display(), number + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn protocol_codec_and_framework_know_nothing_of_atlas_or_the_provider() {
    for dir in ["src/tfplugin", "src/value", "src/framework"] {
        let found = offending(dir, |line| {
            line.contains("crate::atlas") || line.contains("crate::provider") || has_word(line, "atlas")
        });
        assert!(
            found.is_empty(),
            "{dir} must not mention Atlas or the provider:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn atlas_knows_nothing_of_terraform() {
    let found = offending("src/atlas", |line| {
        ["crate::framework", "crate::tfplugin", "crate::value", "crate::provider"]
            .iter()
            .any(|module| line.contains(module))
    });
    assert!(
        found.is_empty(),
        "src/atlas must not use Terraform-side modules:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_emulator_shares_no_code_with_the_provider() {
    let found = offending("emulator", |line| line.contains("terraform_provider_mongodbatlas"));
    assert!(found.is_empty(), "the emulator must stand alone:\n{}", found.join("\n"));
}

#[test]
fn the_word_check_ignores_longer_words() {
    assert!(has_word("talks to Atlas;", "atlas"));
    assert!(has_word("atlas::Client", "atlas"));
    assert!(!has_word("mongodb/mongodbatlas", "atlas"));
    assert!(!has_word("atlas_emulator", "atlas"));
}
