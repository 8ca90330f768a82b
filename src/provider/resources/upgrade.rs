//! What the resources' state upgrades share: reading the state ID the official provider keeps
//! in `id`, and reading and writing top-level string attributes of a stored state.
//!
//! The official provider's SDKv2 resources keep an encoded ID (`conversion.EncodeStateID` in
//! its `internal/common/conversion/encode_state.go`; reference notes on the official provider,
//! §2.1 and §3.1): the keys sorted, each pair written as `base64(key):base64(value)` in the
//! standard, padded alphabet, the pairs joined by `-`, which that alphabet never contains.
//! `mongodbatlas_api_key` keeps `{api_key_id, org_id}`, so its ID looks like
//! `YXBpX2tleV9pZA==:<base64 key id>-b3JnX2lk:<base64 org id>`; `mongodbatlas_project_api_key`
//! keeps `{api_key_id}` since v1.16.0 and `{api_key_id, project_id}` before.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::framework::{Diagnostic, Diagnostics};
use crate::value::Value;

/// An error unless every attribute in `required` is a non-empty string in the upgraded
/// `state`: a stored state that does not say which key (or where) it tracks cannot be read, so
/// the upgrade says so and how to recover, instead of a later read sending an empty ID to Atlas.
pub fn require(state: Value, type_name: &str, required: &[&str], import_format: &str) -> Result<Value, Diagnostics> {
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|name| text(&state, name).is_none())
        .collect();
    if missing.is_empty() {
        return Ok(state);
    }
    Err(Diagnostic::error(
        "Could not upgrade the stored state",
        format!(
            "The stored state of this {type_name} has no {} (nor an `id` it can be read from), so the key it \
             tracks is unknown. Remove it from state with `terraform state rm <address>` and import it again with \
             `terraform import <address> {import_format}`.",
            missing.join(" or ")
        ),
    )
    .into())
}

/// The value kept under `key` in `id`, an ID in the official provider's encoded form.
///
/// `None` when `id` is not wholly in that form (our own `{org_id}-{api_key_id}` is not: it has
/// no `:`; every pair must decode, with a non-empty key), when it holds no `key`, or when the
/// value is empty. Never panics on any input.
pub fn official_id_part(id: &str, key: &str) -> Option<String> {
    let mut found = None;
    for pair in id.split('-') {
        let (encoded_key, encoded_value) = pair.split_once(':')?;
        let pair_key = decode_base64_text(encoded_key).filter(|k| !k.is_empty())?;
        let pair_value = decode_base64_text(encoded_value)?;
        if pair_key == key {
            found = Some(pair_value);
        }
    }
    found.filter(|value| !value.is_empty())
}

/// The top-level attribute `name` of `state` when it is a non-empty string. The official
/// provider (SDKv2) may store an attribute it never set as `""`, which counts as absent.
pub fn text(state: &Value, name: &str) -> Option<String> {
    state
        .get(name)
        .as_str()
        .filter(|text| !text.is_empty())
        .map(str::to_string)
}

/// Sets the top-level attribute `name` of `state` (an object; anything else is left alone).
pub fn set(state: &mut Value, name: &str, value: Value) {
    if let Value::Object(attributes) = state {
        attributes.insert(name.to_string(), value);
    }
}

/// `{org_id}-{api_key_id}`, the `id` of our key resources, when both are known; else null,
/// for `read` to fill.
pub fn key_id(org_id: Option<&str>, api_key_id: Option<&str>) -> Value {
    match (org_id, api_key_id) {
        (Some(org_id), Some(api_key_id)) => Value::string(format!("{org_id}-{api_key_id}")),
        _ => Value::Null,
    }
}

fn decode_base64_text(encoded: &str) -> Option<String> {
    String::from_utf8(STANDARD.decode(encoded).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "5d09d6a59ccf6445652a444a";
    const KEY: &str = "6576974933969669aaaaaaaa";

    /// What the official provider's `EncodeStateID` writes for `pairs` (already sorted).
    fn encoded(pairs: &[(&str, &str)]) -> String {
        pairs
            .iter()
            .map(|(key, value)| format!("{}:{}", STANDARD.encode(key), STANDARD.encode(value)))
            .collect::<Vec<_>>()
            .join("-")
    }

    fn check(id: &str, key: &str, expected: Option<&str>) {
        assert_eq!(official_id_part(id, key).as_deref(), expected, "{key} of {id:?}");
    }

    #[test]
    fn official_id_parts_table() {
        let api_key = encoded(&[("api_key_id", KEY), ("org_id", ORG)]);
        // The literal prefix the reference notes show for api_key, and for project_api_key.
        assert!(api_key.starts_with("YXBpX2tleV9pZA==:"), "{api_key}");
        assert!(api_key.contains("-b3JnX2lk:"), "{api_key}");
        check(&api_key, "api_key_id", Some(KEY));
        check(&api_key, "org_id", Some(ORG));
        check(&api_key, "project_id", None);

        let project_key = encoded(&[("api_key_id", KEY)]);
        check(&project_key, "api_key_id", Some(KEY));
        check(&project_key, "org_id", None);
        let older_project_key = encoded(&[("api_key_id", KEY), ("project_id", "5d09d6a59ccf6445652a444b")]);
        check(&older_project_key, "project_id", Some("5d09d6a59ccf6445652a444b"));

        // Not the encoded form: our own ids, garbage, half-encoded ids, empty values.
        check(&format!("{ORG}-{KEY}"), "api_key_id", None);
        check("", "api_key_id", None);
        check("YXBpX2tleV9pZA==", "api_key_id", None);
        check("YXBpX2tleV9pZA==:!!!", "api_key_id", None);
        check(&format!("{api_key}-garbage"), "api_key_id", None);
        check(&format!("{api_key}-:"), "api_key_id", None);
        check(&encoded(&[("api_key_id", "")]), "api_key_id", None);
        check(&"-:".repeat(10_000), "api_key_id", None);
    }

    #[test]
    fn text_treats_empty_and_non_strings_as_absent() {
        let state = Value::object([
            ("a", Value::string("x")),
            ("b", Value::string("")),
            ("c", Value::Null),
            ("d", Value::Bool(true)),
        ]);
        assert_eq!(text(&state, "a").as_deref(), Some("x"));
        for name in ["b", "c", "d", "missing"] {
            assert_eq!(text(&state, name), None, "{name}");
        }
    }

    #[test]
    fn set_inserts_into_objects_only() {
        let mut state = Value::object([("a", Value::Null)]);
        set(&mut state, "b", Value::string("y"));
        assert_eq!(state.get("b"), &Value::string("y"));
        let mut not_object = Value::Null;
        set(&mut not_object, "b", Value::string("y"));
        assert!(not_object.is_null());
    }

    #[test]
    fn key_id_needs_both_parts() {
        assert_eq!(key_id(Some(ORG), Some(KEY)), Value::string(format!("{ORG}-{KEY}")));
        assert_eq!(key_id(None, Some(KEY)), Value::Null);
        assert_eq!(key_id(Some(ORG), None), Value::Null);
    }

    #[test]
    fn require_names_what_is_missing() {
        let state = Value::object([("api_key_id", Value::string("k")), ("org_id", Value::string(""))]);
        let err = require(
            state.clone(),
            "API key",
            &["api_key_id", "org_id"],
            "{org_id}-{api_key_id}",
        )
        .unwrap_err();
        let detail = &err.iter().next().expect("one diagnostic").detail;
        assert!(detail.contains("has no org_id"), "{detail}");
        assert!(
            detail.contains("terraform import <address> {org_id}-{api_key_id}"),
            "{detail}"
        );
        assert!(require(state, "API key", &["api_key_id"], "x").is_ok());
    }
}
