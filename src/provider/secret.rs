//! Secrets Atlas shows once: a programmatic key's private key and an AI model key's secret are
//! in the create answer only (later reads mask them), so state keeps them from then on.

use crate::atlas::{self, ExposeSecret};
use crate::framework::{Diagnostic, Sensitive};
use crate::provider::errors;

/// The state value for a secret from a create answer.
pub fn sensitive(secret: &atlas::SecretString) -> Sensitive {
    Sensitive::new(secret.expose_secret())
}

/// The warning every import gives: `attribute` (such as `private_key`), which Atlas shows only
/// when the key is created, is null after an import and stays null.
pub fn not_imported(attribute: &str) -> Diagnostic {
    let what = attribute.replace('_', " ");
    let summary = errors::capitalized(&what);
    Diagnostic::warning(
        format!("{summary} not imported"),
        format!(
            "Atlas returns a key's {what} only when the key is created, so `{attribute}` is null after an import and \
             stays null. To get a usable {what}, create a new key, for example with \
             `terraform apply -replace=<resource address>`."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_warning_names_the_attribute() {
        let warning = not_imported("private_key");
        assert_eq!(warning.summary, "Private key not imported");
        assert!(warning.detail.contains("`private_key` is null after an import"));
        assert_eq!(not_imported("secret").summary, "Secret not imported");
    }

    #[test]
    fn sensitive_keeps_the_secret_but_hides_it_from_debug() {
        let value = sensitive(&atlas::SecretString::from("55c3bbb6-b4bb"));
        assert_eq!(value.expose(), "55c3bbb6-b4bb");
        assert_eq!(format!("{value:?}"), "<redacted>");
    }
}
