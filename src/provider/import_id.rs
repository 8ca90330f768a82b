//! Import ID parsing shared by the resources.
//!
//! Organization and project keys accept `<first>-<api_key_id>` (the documented format) and
//! `<first>/<api_key_id>`; both parts are Atlas ObjectIds, which never contain either
//! separator. A malformed ID gets an error that shows the accepted formats.

use crate::framework::Diagnostic;
use crate::provider::validators::{is_object_id, is_path_segment};
use crate::value::Quoted;

/// Splits `id` into two 24-hex Atlas IDs joined by `-` or `/`. `formats` is shown in the
/// error, e.g. "`{org_id}-{api_key_id}` or `{org_id}/{api_key_id}`".
pub fn object_id_pair(id: &str, formats: &str) -> Result<(String, String), Diagnostic> {
    let parts = id.trim().split_once(['-', '/']);
    match parts {
        Some((first, second)) if is_object_id(first) && is_object_id(second) => {
            Ok((first.to_string(), second.to_string()))
        }
        _ => Err(malformed(id, formats, "each Atlas ID is")),
    }
}

/// Splits `id` at its only `/` into a 24-hex ID and a second part that is one path segment
/// ([`is_path_segment`]).
pub fn object_id_slash_name(id: &str, formats: &str) -> Result<(String, String), Diagnostic> {
    match id.trim().split_once('/') {
        Some((first, second)) if is_object_id(first) && is_path_segment(second) => {
            Ok((first.to_string(), second.to_string()))
        }
        _ => Err(malformed(id, formats, "the project ID is")),
    }
}

/// Splits `id` into two 24-hex Atlas IDs and a non-empty rest, each joined by `-` or `/`
/// (`{org_id}-{api_key_id}-{entry}`). The rest may itself hold `-` or `/` (a CIDR such as
/// `10.0.0.0/24`); the ObjectIds have a fixed length, so the split is by position.
pub fn object_id_pair_and_rest(id: &str, formats: &str) -> Result<(String, String, String), Diagnostic> {
    let trimmed = id.trim();
    let is_separator = |at: usize| matches!(trimmed.as_bytes().get(at), Some(b'-' | b'/'));
    let parts = (trimmed.len() > 50 && is_separator(24) && is_separator(49))
        .then(|| (trimmed.get(..24), trimmed.get(25..49), trimmed.get(50..)));
    match parts {
        Some((Some(first), Some(second), Some(rest))) if is_object_id(first) && is_object_id(second) => {
            Ok((first.to_string(), second.to_string(), rest.to_string()))
        }
        _ => Err(malformed(id, formats, "the organization and API key IDs are")),
    }
}

/// Splits `id` at every `/` into a 24-hex ID followed by exactly `names` parts, each one path
/// segment ([`is_path_segment`]), such as `{project_id}/{cloud}/{geography}/{model_group_name}`.
pub fn object_id_slash_names(id: &str, names: usize, formats: &str) -> Result<(String, Vec<String>), Diagnostic> {
    let mut parts = id.trim().split('/');
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let well_formed = is_object_id(first) && rest.len() == names && rest.iter().all(|part| is_path_segment(part));
    if !well_formed {
        return Err(malformed(id, formats, "the project ID is"));
    }
    Ok((first.to_string(), rest.into_iter().map(str::to_string).collect()))
}

/// The error for an import ID not in `formats`; `which_ids` says which parts are ObjectIds.
fn malformed(id: &str, formats: &str, which_ids: &str) -> Diagnostic {
    Diagnostic::error(
        "Invalid import ID",
        format!(
            "The import ID {} is not in the expected format. Use {formats}, where {which_ids} 24 lowercase \
             hexadecimal characters.",
            Quoted(id)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "5d09d6a59ccf6445652a444a";
    const KEY: &str = "6576974933969669aaaaaaaa";

    fn check_pair(input: &str, expected: Option<(&str, &str)>) {
        let got = object_id_pair(input, "`{org_id}-{api_key_id}`").ok();
        let expected = expected.map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(got, expected, "input {input:?}");
    }

    #[test]
    fn pairs() {
        check_pair(&format!("{ORG}-{KEY}"), Some((ORG, KEY)));
        check_pair(&format!("{ORG}/{KEY}"), Some((ORG, KEY)));
        check_pair(&format!(" {ORG}-{KEY} "), Some((ORG, KEY)));
        check_pair(ORG, None);
        check_pair(&format!("{ORG}-"), None);
        check_pair(&format!("{ORG}-{KEY}-x"), None);
        check_pair(&format!("{ORG}_{KEY}"), None);
        check_pair(&format!("{}-{KEY}", ORG.to_uppercase()), None);
        check_pair("", None);
        check_pair("-", None);
        check_pair("é-ü", None);
    }

    #[test]
    fn malformed_id_names_the_formats() {
        let err = object_id_pair("nope", "`{org_id}-{api_key_id}`").unwrap_err();
        assert!(err.detail.contains("{org_id}-{api_key_id}"), "{}", err.detail);
        assert!(err.detail.contains("\"nope\""));
    }

    #[test]
    fn huge_ids_are_cut_in_the_error() {
        let huge = "i".repeat(50 << 20);
        for err in [
            object_id_pair(&huge, "`A-B`").unwrap_err(),
            object_id_slash_name(&huge, "`A/B`").unwrap_err(),
        ] {
            assert!(err.detail.len() < 1_000, "{} bytes", err.detail.len());
            assert!(err.detail.contains("…\" (52428800 characters)"), "{}", err.detail);
        }
    }

    #[test]
    fn pairs_and_rests() {
        let ok = |input: &str| object_id_pair_and_rest(input, "f").ok();
        let triple = |rest: &str| Some((ORG.to_string(), KEY.to_string(), rest.to_string()));
        assert_eq!(ok(&format!("{ORG}-{KEY}-10.0.0.1")), triple("10.0.0.1"));
        assert_eq!(ok(&format!("{ORG}/{KEY}/10.0.0.0/24")), triple("10.0.0.0/24"));
        assert_eq!(ok(&format!("{ORG}-{KEY}/2001:db8::/48")), triple("2001:db8::/48"));
        assert_eq!(ok(&format!("{ORG}-{KEY}-")), None);
        assert_eq!(ok(&format!("{ORG}-{KEY}")), None);
        assert_eq!(ok(&format!("{ORG}_{KEY}-10.0.0.1")), None);
        assert_eq!(ok(&format!("{ORG}-zmmrboas-10.0.0.1")), None);
        assert_eq!(ok("é-ü-x"), None);
    }

    #[test]
    fn slash_names() {
        let ok = object_id_slash_name(&format!("{ORG}/a86r5kwrfsk5r5ku5tgvhmpj"), "`PROJECT_ID/API_KEY_ID`").unwrap();
        assert_eq!(ok, (ORG.to_string(), "a86r5kwrfsk5r5ku5tgvhmpj".to_string()));
        for bad in [
            ORG.to_string(),
            format!("{ORG}/"),
            format!("{ORG}/a/b"),
            format!("{ORG}-abc"),
            "x/abc".to_string(),
        ] {
            assert!(object_id_slash_name(&bad, "`PROJECT_ID/API_KEY_ID`").is_err(), "{bad}");
        }
    }

    #[test]
    fn slash_separated_names() {
        let format = "`{project_id}/{cloud}/{geography}/{model_group_name}`";
        let ok = object_id_slash_names(&format!(" {ORG}/ANY/ANY/embed_large "), 3, format).unwrap();
        assert_eq!(
            ok,
            (ORG.to_string(), vec!["ANY".into(), "ANY".into(), "embed_large".into()])
        );
        for bad in [
            format!("{ORG}/ANY/embed_large"),
            format!("{ORG}/ANY/ANY/embed_large/x"),
            format!("{ORG}/ANY//embed_large"),
            format!("{ORG}/ANY/ANY/embed large"),
            format!("{ORG}/ANY/ANY/.."),
            format!("{ORG}-ANY-ANY-embed_large"),
            "x/ANY/ANY/embed_large".to_string(),
            String::new(),
        ] {
            let err = object_id_slash_names(&bad, 3, format).unwrap_err();
            assert!(err.detail.contains(format), "{bad}: {}", err.detail);
        }
    }

    proptest::proptest! {
        #[test]
        fn parsers_never_panic(input in "\\PC{0,80}") {
            let _ = object_id_pair(&input, "f");
            let _ = object_id_slash_name(&input, "f");
            let _ = object_id_pair_and_rest(&input, "f");
            let _ = object_id_slash_names(&input, 3, "f");
        }

        #[test]
        fn valid_pairs_round_trip(first in "[0-9a-f]{24}", second in "[0-9a-f]{24}", slash in proptest::bool::ANY) {
            let separator = if slash { "/" } else { "-" };
            let parsed = object_id_pair(&format!("{first}{separator}{second}"), "f").unwrap();
            proptest::prop_assert_eq!(parsed, (first, second));
        }

        #[test]
        fn errors_quote_the_input_safely(input in "[ -~]{0,40}") {
            if let Err(err) = object_id_pair(&input, "f") {
                let quoted = format!("{:?}", input);
                proptest::prop_assert!(err.detail.contains(&quoted));
            }
        }
    }
}
