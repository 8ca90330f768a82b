//! Secrets Atlas shows once: a programmatic key's private key and an AI model key's secret are
//! in the create answer only (later reads mask them), so state keeps them from then on.

use crate::atlas::{self, ExposeSecret};
use crate::framework::{Diagnostic, Sensitive};
use crate::provider::errors;
use crate::value::Quoted;

/// The state value for a secret from a create answer.
pub fn sensitive(secret: &atlas::SecretString) -> Sensitive {
    Sensitive::new(secret.expose_secret())
}

/// The warning every import gives: `attribute` (such as `private_key`), which Atlas shows only
/// when the key is created, is null after the import of key `api_key_id` and stays null.
pub fn not_imported(attribute: &str, api_key_id: &str) -> Diagnostic {
    let what = attribute.replace('_', " ");
    let summary = errors::capitalized(&what);
    Diagnostic::warning(
        format!("{summary} not imported"),
        format!(
            "Atlas returns a key's {what} only when the key is created, so `{attribute}` of the imported key {} is \
             null and stays null. To get a usable {what}, create a new key, for example with \
             `terraform apply -replace=<resource address>`.",
            Quoted(api_key_id)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_warning_names_the_attribute() {
        let warning = not_imported("private_key", "6576974933969669aaaaaaaa");
        assert_eq!(warning.summary, "Private key not imported");
        assert!(
            warning
                .detail
                .contains("`private_key` of the imported key \"6576974933969669aaaaaaaa\" is null"),
            "{}",
            warning.detail
        );
        assert_eq!(not_imported("secret", "k").summary, "Secret not imported");
    }

    #[test]
    fn sensitive_keeps_the_secret_but_hides_it_from_debug() {
        let value = sensitive(&atlas::SecretString::from("55c3bbb6-b4bb"));
        assert_eq!(value.expose(), "55c3bbb6-b4bb");
        assert_eq!(format!("{value:?}"), "<redacted>");
    }
}
