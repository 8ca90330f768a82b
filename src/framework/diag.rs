//! Diagnostics: what a user sees when something is wrong, with the attribute it is about.
//!
//! Every user-facing problem travels as a [`Diagnostic`]; gRPC status errors are kept for
//! protocol faults. An attribute path makes Terraform point at the offending line of HCL.

use crate::value::{truncate, AttributePath, PathStep, ECHO_MAX_CHARS};

/// Most characters of a summary that leave the provider; longer ones are cut by [`Diagnostic::bounded`].
pub const SUMMARY_MAX_CHARS: usize = 500;

/// Most characters of a detail that leave the provider; longer ones are cut by [`Diagnostic::bounded`].
/// Messages quote input through [`crate::value::quote`] and stay far below this; the cut is
/// the last line of defence for text built from something else, such as a remote API's error body.
pub const DETAIL_MAX_CHARS: usize = 8_000;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem or notice, optionally tied to an attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A short sentence-case phrase naming the action, e.g. "Could not create API key".
    pub summary: String,
    /// Full sentences: what happened and what to do next.
    pub detail: String,
    /// The attribute the diagnostic is about, if any.
    pub attribute: Option<AttributePath>,
}

impl Diagnostic {
    /// An error not tied to an attribute.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// A warning not tied to an attribute.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary, detail)
        }
    }

    /// Ties the diagnostic to an attribute.
    pub fn at(mut self, path: AttributePath) -> Self {
        self.attribute = Some(path);
        self
    }

    /// This diagnostic with the summary cut after [`SUMMARY_MAX_CHARS`] characters, the detail
    /// after [`DETAIL_MAX_CHARS`], and the attribute path ended before the first step whose
    /// name or key is longer than [`ECHO_MAX_CHARS`] (such a step came from input, not from a
    /// schema, and the parent is a fine place to point at). The protocol layer applies it to
    /// every diagnostic it sends.
    pub fn bounded(mut self) -> Self {
        if let std::borrow::Cow::Owned(cut) = truncate(&self.summary, SUMMARY_MAX_CHARS) {
            self.summary = cut;
        }
        if let std::borrow::Cow::Owned(cut) = truncate(&self.detail, DETAIL_MAX_CHARS) {
            self.detail = cut;
        }
        if let Some(path) = &mut self.attribute {
            let too_long = |step: &PathStep| match step {
                PathStep::Attribute(text) | PathStep::ElementKeyString(text) => {
                    text.len() > ECHO_MAX_CHARS && text.chars().nth(ECHO_MAX_CHARS).is_some()
                }
                PathStep::ElementKeyInt(_) => false,
            };
            if let Some(first_long) = path.0.iter().position(too_long) {
                path.0.truncate(first_long);
            }
        }
        self
    }

    /// An internal impossibility: says so and asks for a report.
    pub fn bug(summary: impl Into<String>, what: impl std::fmt::Display) -> Self {
        Diagnostic::error(
            summary,
            format!("{what}. This is a bug in the provider, please report it."),
        )
    }
}

/// An ordered collection of diagnostics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Adds an error about the attribute at `path`.
    pub fn attribute_error(&mut self, path: AttributePath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail).at(path));
    }

    /// Adds all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// True when there are no diagnostics at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The diagnostics in order.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// `Err(self)` when there is an error, so `?` can stop an operation.
    pub fn into_result(self) -> Result<Diagnostics, Diagnostics> {
        if self.has_errors() {
            Err(self)
        } else {
            Ok(self)
        }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Diagnostics(vec![diagnostic])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Diagnostics(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_cuts_long_text_and_input_path_steps() {
        let huge = "h".repeat(10 << 20);
        let diagnostic = Diagnostic::error(huge.clone(), huge.clone())
            .at(AttributePath::attr("tags").then_key(&huge).then_attr("x"))
            .bounded();
        assert_eq!(
            diagnostic.summary,
            format!("{}… (10485760 characters)", "h".repeat(SUMMARY_MAX_CHARS))
        );
        assert!(diagnostic.detail.len() < DETAIL_MAX_CHARS + 100);
        assert_eq!(diagnostic.attribute, Some(AttributePath::attr("tags")));
    }

    #[test]
    fn bounded_keeps_ordinary_diagnostics() {
        let diagnostic = Diagnostic::warning("Summary", "Detail.").at(AttributePath::attr("role_names").then_index(2));
        assert_eq!(diagnostic.clone().bounded(), diagnostic);
        let name = "é".repeat(ECHO_MAX_CHARS);
        let at_limit = Diagnostic::error("s", "d").at(AttributePath::attr(&name));
        assert_eq!(
            at_limit.clone().bounded(),
            at_limit,
            "200 two-byte characters are not too long"
        );
    }
}
