//! `AttributePath`: where in a value something happened.
//!
//! Mirrors tfplugin6's `AttributePath` steps (attribute name, map key, list index)
//! so codec errors and diagnostics can point Terraform at the offending line.
//! Set elements have no address: paths stop at the set attribute.

use std::fmt;

use super::echo::{cut, truncate, ECHO_MAX_CHARS};

/// A path from the root of a value: `project_assignment[0].role_names`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AttributePath(pub Vec<PathStep>);

/// One step of an [`AttributePath`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    /// An object attribute or nested block (tfplugin6 `attribute_name`).
    Attribute(String),
    /// A map key (tfplugin6 `element_key_string`).
    ElementKeyString(String),
    /// A list index (tfplugin6 `element_key_int`).
    ElementKeyInt(i64),
}

impl PathStep {
    /// The step to element `index` of a list.
    pub(crate) fn index(index: usize) -> PathStep {
        // Indexes come from in-memory vectors, so they always fit an i64.
        PathStep::ElementKeyInt(i64::try_from(index).unwrap_or(i64::MAX))
    }
}

impl AttributePath {
    /// The empty path: the value itself.
    pub fn root() -> Self {
        AttributePath(Vec::new())
    }

    /// A path of one attribute step.
    pub fn attr(name: &str) -> Self {
        AttributePath::root().then_attr(name)
    }

    /// This path followed by an attribute step.
    pub fn then_attr(mut self, name: &str) -> Self {
        self.0.push(PathStep::Attribute(name.to_owned()));
        self
    }

    /// This path followed by a list index step.
    pub fn then_index(mut self, index: usize) -> Self {
        self.0.push(PathStep::index(index));
        self
    }

    /// This path followed by a map key step.
    pub fn then_key(mut self, key: &str) -> Self {
        self.0.push(PathStep::ElementKeyString(key.to_owned()));
        self
    }

    /// The steps, outermost first.
    pub fn steps(&self) -> &[PathStep] {
        &self.0
    }

    /// Whether this is the root path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

/// Terraform-like syntax: `a.b[0]["key"]`; the root path prints as nothing.
///
/// Names and keys come from input, so each is cut after [`ECHO_MAX_CHARS`] characters
/// (`name… (N characters)`) and the whole path after about [`PATH_MAX_CHARS`], ending in `…`.
impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut written = 0;
        for (position, step) in self.0.iter().enumerate() {
            if written > PATH_MAX_CHARS {
                return f.write_str("…");
            }
            let text = match step {
                PathStep::Attribute(name) if position == 0 => truncate(name, ECHO_MAX_CHARS).into_owned(),
                PathStep::Attribute(name) => format!(".{}", truncate(name, ECHO_MAX_CHARS)),
                PathStep::ElementKeyInt(index) => format!("[{index}]"),
                PathStep::ElementKeyString(key) => {
                    let (shown, total) = cut(key, ECHO_MAX_CHARS);
                    // JSON string syntax escapes quotes and control characters.
                    let quoted = serde_json::to_string(shown).unwrap_or_else(|_| format!("{shown:?}"));
                    match total {
                        None => format!("[{quoted}]"),
                        Some(total) => format!("[{quoted}… ({total} characters)]"),
                    }
                }
            };
            written += text.len();
            f.write_str(&text)?;
        }
        Ok(())
    }
}

/// About the most characters an [`AttributePath`] prints; longer paths end in `…`.
pub const PATH_MAX_CHARS: usize = 1_000;

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: AttributePath, expected: &str) {
        assert_eq!(path.to_string(), expected);
    }

    #[test]
    fn paths_display_like_terraform_references() {
        check(AttributePath::root(), "");
        check(AttributePath::attr("name"), "name");
        check(
            AttributePath::attr("project_assignment")
                .then_index(0)
                .then_attr("role_names"),
            "project_assignment[0].role_names",
        );
        check(AttributePath::attr("tags").then_key("env"), "tags[\"env\"]");
        check(AttributePath::root().then_key("a\"b"), "[\"a\\\"b\"]");
        check(AttributePath::root().then_index(3).then_index(4), "[3][4]");
    }

    #[test]
    fn long_names_and_deep_paths_print_bounded() {
        let name = "n".repeat(5_000_000);
        let shown = AttributePath::attr(&name).then_key(&name).to_string();
        assert_eq!(
            shown,
            format!(
                "{n}… (5000000 characters)[\"{n}\"… (5000000 characters)]",
                n = "n".repeat(200)
            )
        );
        let mut deep = AttributePath::root();
        for _ in 0..10_000 {
            deep = deep.then_attr(&"a".repeat(300));
        }
        let shown = deep.to_string();
        assert!(shown.len() < PATH_MAX_CHARS + 300, "{} bytes", shown.len());
        assert!(shown.ends_with('…'));
    }
}
