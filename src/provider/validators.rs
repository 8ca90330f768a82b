//! Plan-time checks that know Atlas: its identifiers and its roles.

use crate::framework::schema::report_elements;
use crate::framework::{Check, Diagnostics, Validator};
use crate::provider::network::{CidrError, Network};
use crate::value::{AttributePath, Quoted, Value};

/// Most roles one key can hold in one scope. Atlas defines fewer than 30 roles in all, and
/// Terraform core compares planned and applied sets pairwise, so an unbounded set would let
/// one typo'd `for` expression stall `terraform apply` for minutes.
pub const MAX_ROLES: usize = 100;

/// True for a 24-character lowercase hexadecimal string, the shape of every Atlas ObjectId
/// (organization, project and programmatic key ids).
pub fn is_object_id(text: &str) -> bool {
    text.len() == 24 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A string that is an Atlas ObjectId.
pub fn object_id() -> Validator {
    Validator::new(ObjectId)
}

/// A string that is the Atlas ObjectId of a programmatic API key; a value shaped like a public
/// key (8 lowercase letters) gets a hint that the key's ID is wanted instead.
pub fn api_key_id() -> Validator {
    Validator::new(ApiKeyId)
}

#[derive(Debug)]
struct ApiKeyId;

impl Check for ApiKeyId {
    fn describe(&self) -> String {
        ObjectId.describe()
    }

    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(text) = value.as_str() else { return };
        if is_object_id(text) {
            return;
        }
        let mut detail = format!(
            "Attribute {path} must be a 24-character lowercase hexadecimal Atlas ID such as 5d09d6a59ccf6445652a444a, got {}.",
            Quoted(text)
        );
        if text.len() == 8 && text.bytes().all(|b| b.is_ascii_lowercase()) {
            detail.push_str(
                " That looks like the key's public key; use its ID instead (api_key_id of mongodbatlas_api_key, or id in \
                 the Atlas UI and API).",
            );
        }
        diags.attribute_error(path.clone(), "Invalid Atlas identifier", detail);
    }
}

/// A string that can name an AI model group in a path and an import ID, such as `embed_large`:
/// not empty, without whitespace or `/`. Atlas publishes no list of group names, so a name of
/// this shape that Atlas does not know is refused by Atlas (404).
pub fn model_group_name() -> Validator {
    Validator::new(PathSegment {
        what: "a model group name",
        example: "embed_large",
    })
}

/// A string that can name an AI model API key in a path: Atlas types the ID as a plain string,
/// so only what cannot be one path segment is refused (empty, `.`, `..`, `/`, whitespace).
pub fn ai_model_api_key_id() -> Validator {
    Validator::new(PathSegment {
        what: "an AI model API key ID",
        example: "5d09d6a59ccf6445652a444a",
    })
}

/// True for text that can be one path segment and one import-ID part, as [`model_group_name`]
/// and [`ai_model_api_key_id`] require: not empty, not `.` or `..`, no `/`, no whitespace.
pub fn is_path_segment(text: &str) -> bool {
    !text.is_empty() && text != "." && text != ".." && !text.contains('/') && !text.chars().any(char::is_whitespace)
}

/// Every element of a set is a role name starting with `prefix`; `why` says what to do instead.
pub fn roles_with_prefix(prefix: &'static str, why: &'static str) -> Validator {
    Validator::new(RolePrefix { prefix, why })
}

/// No element of a set is a role name starting with `prefix`; `why` says where such roles go.
pub fn roles_without_prefix(prefix: &'static str, why: &'static str) -> Validator {
    Validator::new(NoRolePrefix { prefix, why })
}

/// Every element of a set is a role name: an upper-case word such as `GROUP_OWNER`.
pub fn role_names() -> Validator {
    Validator::new(RoleNames)
}

#[derive(Debug)]
struct ObjectId;

impl Check for ObjectId {
    fn describe(&self) -> String {
        "a 24-character hexadecimal Atlas ID".to_string()
    }

    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(text) = value.as_str() else { return };
        if !is_object_id(text) {
            diags.attribute_error(
                path.clone(),
                "Invalid Atlas identifier",
                format!(
                    "Attribute {path} must be a 24-character lowercase hexadecimal Atlas ID such as \
                     5d09d6a59ccf6445652a444a, got {}.",
                    Quoted(text)
                ),
            );
        }
    }
}

/// A name Atlas takes as one path segment: `what` names it, `example` shows one.
#[derive(Debug)]
struct PathSegment {
    what: &'static str,
    example: &'static str,
}

impl Check for PathSegment {
    fn describe(&self) -> String {
        format!(
            "{} such as `{}`, without spaces or `/`, and not `.` or `..`",
            self.what, self.example
        )
    }

    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(text) = value.as_str() else { return };
        if !is_path_segment(text) {
            diags.attribute_error(
                path.clone(),
                format!(
                    "Invalid {}",
                    self.what.trim_start_matches("a ").trim_start_matches("an ")
                ),
                format!(
                    "Attribute {path} must be {} such as {}: not empty, not . or .., and without spaces or /, got {}.",
                    self.what,
                    self.example,
                    Quoted(text)
                ),
            );
        }
    }
}

#[derive(Debug)]
struct RolePrefix {
    prefix: &'static str,
    why: &'static str,
}

impl Check for RolePrefix {
    fn describe(&self) -> String {
        format!("each value starts with `{}`", self.prefix)
    }

    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let offending = strings(value).filter(|text| !text.starts_with(self.prefix));
        report_elements(offending, path, "Invalid role", diags, |text| {
            format!("{} in {path} is not allowed: {}", Quoted(text), self.why)
        });
    }
}

#[derive(Debug)]
struct NoRolePrefix {
    prefix: &'static str,
    why: &'static str,
}

impl Check for NoRolePrefix {
    fn describe(&self) -> String {
        format!("no value starts with `{}`", self.prefix)
    }

    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let offending = strings(value).filter(|text| text.starts_with(self.prefix));
        report_elements(offending, path, "Invalid role", diags, |text| {
            format!("{} in {path} is not allowed: {}", Quoted(text), self.why)
        });
    }
}

#[derive(Debug)]
struct RoleNames;

impl Check for RoleNames {
    fn describe(&self) -> String {
        "each value is an upper-case role name such as `GROUP_OWNER`".to_string()
    }

    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let offending = strings(value).filter(|text| !is_role_name(text));
        report_elements(offending, path, "Invalid role", diags, |text| {
            format!(
                "{} in {path} is not a role name: role names are upper-case words like GROUP_OWNER, without spaces.",
                Quoted(text)
            )
        });
    }
}

/// True for Atlas's role-name shape: upper-case letters, digits and `_`, starting with a letter.
fn is_role_name(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_uppercase())
        && text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// A string that is one IPv4 or IPv6 address (no prefix); see [`crate::provider::network`].
pub fn ip_address() -> Validator {
    Validator::new(IpAddressCheck)
}

/// A string that is a CIDR block in canonical network form; a block with host bits set gets a
/// diagnostic naming the canonical form.
pub fn cidr_block() -> Validator {
    Validator::new(CidrBlockCheck)
}

/// A string that is an address or a canonical CIDR block (an access-list entry to look up).
pub fn access_list_entry() -> Validator {
    Validator::new(EntryCheck)
}

#[derive(Debug)]
struct EntryCheck;

impl Check for EntryCheck {
    fn describe(&self) -> String {
        "an IPv4 or IPv6 address, or a CIDR block in canonical network form".to_string()
    }

    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(text) = value.as_str() else { return };
        if text.contains('/') {
            CidrBlockCheck.check(value, path, diags);
        } else if Network::address(text).is_some() {
            IpAddressCheck.check(value, path, diags);
        } else {
            diags.attribute_error(
                path.clone(),
                "Invalid access list entry",
                format!(
                    "Attribute {path} must be an IPv4 or IPv6 address or a CIDR block such as 203.0.113.0/24, got {}.",
                    Quoted(text)
                ),
            );
        }
    }
}

#[derive(Debug)]
struct IpAddressCheck;

impl Check for IpAddressCheck {
    fn describe(&self) -> String {
        "an IPv4 or IPv6 address".to_string()
    }

    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(text) = value.as_str() else { return };
        if let Some(canonical) = Network::address(text).and_then(|network| network.single_address()) {
            if canonical != text {
                // Atlas stores the canonical spelling; another one would show as a change.
                diags.attribute_error(
                    path.clone(),
                    "IP address not in canonical form",
                    format!(
                        "Attribute {path} must be written as Atlas stores it: {} is {canonical}; write {canonical}.",
                        Quoted(text)
                    ),
                );
            }
            return;
        }
        let hint = if Network::entry(text).is_some() {
            " For a block of addresses, set cidr_block instead."
        } else {
            ""
        };
        diags.attribute_error(
            path.clone(),
            "Invalid IP address",
            format!(
                "Attribute {path} must be one IPv4 or IPv6 address such as 203.0.113.10 or 2001:db8::1, got {}.{hint}",
                Quoted(text)
            ),
        );
    }
}

#[derive(Debug)]
struct CidrBlockCheck;

impl Check for CidrBlockCheck {
    fn describe(&self) -> String {
        "a CIDR block in canonical network form".to_string()
    }

    fn check(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(text) = value.as_str() else { return };
        let canonical = match Network::cidr(text) {
            Ok(network) if network.to_cidr() == text => return,
            // Atlas stores the canonical spelling (lowercase, shortest IPv6 form, no leading
            // zeros); another one would show as a change.
            Ok(network) => Some(network.to_cidr()),
            Err(CidrError::NotCanonical(canonical)) => Some(canonical),
            Err(CidrError::Malformed) => None,
        };
        match canonical {
            Some(canonical) => diags.attribute_error(
                path.clone(),
                "CIDR block is not in canonical network form",
                format!(
                    "Attribute {path} must be a CIDR block in canonical form, with no host bits set and spelled as \
                     Atlas stores it: {} is the network {canonical}; write {canonical}.",
                    Quoted(text)
                ),
            ),
            None => diags.attribute_error(
                path.clone(),
                "Invalid CIDR block",
                format!(
                    "Attribute {path} must be a CIDR block such as 203.0.113.0/24 or 2001:db8::/48 (prefix at most 32 \
                     for IPv4, 128 for IPv6), got {}.",
                    Quoted(text)
                ),
            ),
        }
    }
}

/// The string elements of a list or set.
fn strings(value: &Value) -> impl Iterator<Item = &str> {
    value.as_elements().unwrap_or_default().iter().filter_map(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(validator: &Validator, value: Value) -> Vec<String> {
        let mut diags = Diagnostics::new();
        validator.check(&value, &AttributePath::attr("role_names"), &mut diags);
        diags.iter().map(|d| d.detail.clone()).collect()
    }

    fn roles(names: &[&str]) -> Value {
        Value::Set(names.iter().map(|name| Value::string(*name)).collect())
    }

    #[test]
    fn atlas_validators() {
        let (ids, org_only, names) = (object_id(), roles_with_prefix("ORG_", "why"), role_names());
        let groups = model_group_name();
        let no_org = roles_without_prefix("ORG_", "why not");
        let cases: Vec<(&str, &Validator, Value, Vec<&str>)> = vec![
            ("an ObjectId", &ids, Value::string("5d09d6a59ccf6445652a444a"), vec![]),
            (
                "upper case is not an ObjectId",
                &ids,
                Value::string("5D09D6A59CCF6445652A444A"),
                vec![
                    "Attribute role_names must be a 24-character lowercase hexadecimal Atlas ID such as \
                      5d09d6a59ccf6445652a444a, got \"5D09D6A59CCF6445652A444A\".",
                ],
            ),
            (
                "organization roles",
                &org_only,
                roles(&["ORG_OWNER", "ORG_MEMBER"]),
                vec![],
            ),
            (
                "a project role among organization roles",
                &org_only,
                roles(&["ORG_OWNER", "GROUP_OWNER"]),
                vec!["\"GROUP_OWNER\" in role_names is not allowed: why"],
            ),
            ("project roles", &no_org, roles(&["GROUP_OWNER", "GROUP_READ_ONLY"]), vec![]),
            (
                "an organization role among project roles",
                &no_org,
                roles(&["GROUP_OWNER", "ORG_READ_ONLY"]),
                vec!["\"ORG_READ_ONLY\" in role_names is not allowed: why not"],
            ),
            ("role names", &names, roles(&["GROUP_OWNER"]), vec![]),
            ("a model group", &groups, Value::string("embed_large"), vec![]),
            (
                "a model group with a slash",
                &groups,
                Value::string("a/b"),
                vec![
                    "Attribute role_names must be a model group name such as embed_large: not empty, not . or .., \
                     and without spaces or /, got \"a/b\".",
                ],
            ),
            (
                "a model group that is a path step",
                &groups,
                Value::string(".."),
                vec![
                    "Attribute role_names must be a model group name such as embed_large: not empty, not . or .., \
                     and without spaces or /, got \"..\".",
                ],
            ),
            (
                "an empty model group",
                &groups,
                Value::string(""),
                vec![
                    "Attribute role_names must be a model group name such as embed_large: not empty, not . or .., \
                     and without spaces or /, got \"\".",
                ],
            ),
            (
                "a role name with a space",
                &names,
                roles(&["A B", "", "group_owner"]),
                vec![
                    "\"A B\" in role_names is not a role name: role names are upper-case words like GROUP_OWNER, without spaces.",
                    "\"\" in role_names is not a role name: role names are upper-case words like GROUP_OWNER, without spaces.",
                    "\"group_owner\" in role_names is not a role name: role names are upper-case words like GROUP_OWNER, without spaces.",
                ],
            ),
        ];
        for (name, validator, value, expected) in cases {
            assert_eq!(check(validator, value), expected, "{name}");
        }
    }

    #[test]
    fn api_key_ids_hint_at_public_keys() {
        let check_at = |text: &str| {
            let mut diags = Diagnostics::new();
            api_key_id().check(&Value::string(text), &AttributePath::attr("api_key_id"), &mut diags);
            diags.iter().map(|d| d.detail.clone()).collect::<Vec<_>>()
        };
        assert!(check_at("5d09d6a59ccf6445652a444a").is_empty());
        assert!(check_at("zmmrboas")[0].contains("looks like the key's public key"));
        assert!(!check_at("not-a-key")[0].contains("public key"));
        assert_eq!(api_key_id().describe(), object_id().describe());
    }

    #[test]
    fn network_validators() {
        let check_at = |validator: &Validator, text: &str| {
            let mut diags = Diagnostics::new();
            validator.check(&Value::string(text), &AttributePath::attr("cidr_block"), &mut diags);
            diags.iter().map(|d| d.detail.clone()).collect::<Vec<_>>()
        };
        let (ip, cidr, entry) = (ip_address(), cidr_block(), access_list_entry());
        assert!(check_at(&ip, "203.0.113.10").is_empty());
        assert!(check_at(&ip, "2001:db8::1").is_empty());
        assert_eq!(
            check_at(&ip, "10.0.0.0/24"),
            [
                "Attribute cidr_block must be one IPv4 or IPv6 address such as 203.0.113.10 or 2001:db8::1, got \
              \"10.0.0.0/24\". For a block of addresses, set cidr_block instead."
            ]
        );
        assert!(check_at(&cidr, "10.0.0.0/24").is_empty());
        assert_eq!(
            check_at(&cidr, "10.0.0.1/24"),
            [
                "Attribute cidr_block must be a CIDR block in canonical form, with no host bits set and spelled as \
                 Atlas stores it: \"10.0.0.1/24\" is the network 10.0.0.0/24; write 10.0.0.0/24."
            ]
        );
        for (validator, spelled, canonical) in [
            (&cidr, "10.0.0.0/08", "10.0.0.0/8"),
            (&cidr, "2001:DB8::/32", "2001:db8::/32"),
            (&ip, "2001:DB8::ABCD", "2001:db8::abcd"),
            (&ip, "2001:0db8:0:0:0:0:0:abcd", "2001:db8::abcd"),
            (&entry, "2001:DB8::1", "2001:db8::1"),
        ] {
            let details = check_at(validator, spelled);
            assert_eq!(details.len(), 1, "{spelled}: {details:?}");
            assert!(
                details[0].ends_with(&format!("write {canonical}.")),
                "{spelled}: {details:?}"
            );
        }
        assert_eq!(
            check_at(&entry, "localhost"),
            [
                "Attribute cidr_block must be an IPv4 or IPv6 address or a CIDR block such as 203.0.113.0/24, got \
              \"localhost\"."
            ]
        );
        assert_eq!(check_at(&cidr, "10.0.0.0/33").len(), 1);
        assert_eq!(check_at(&cidr, "10.0.0.1").len(), 1);
        assert!(check_at(&entry, "10.0.0.1").is_empty());
        assert!(check_at(&entry, "10.0.0.0/24").is_empty());
        assert!(check_at(&entry, "10.0.0.1/24")[0].contains("write 10.0.0.0/24"));
        assert!(check_at(&entry, "nope")[0].contains("IPv4 or IPv6 address or a CIDR block"));
        let mut diags = Diagnostics::new();
        ip.check(&Value::Unknown, &AttributePath::attr("ip_address"), &mut diags);
        assert!(diags.is_empty(), "unknown values wait for apply");
    }

    #[test]
    fn huge_offending_values_are_cut() {
        let huge = "x".repeat(50 << 20);
        let cases = [
            (object_id(), Value::string(huge.clone())),
            (
                roles_with_prefix("ORG_", "why"),
                Value::Set(vec![Value::string(huge.clone())]),
            ),
            (role_names(), Value::Set(vec![Value::string(format!("{huge} "))])),
        ];
        for (validator, value) in cases {
            let got = check(&validator, value);
            assert_eq!(got.len(), 1, "{validator:?}");
            assert!(got[0].len() < 1_000, "{validator:?}: {} bytes", got[0].len());
        }
    }

    #[test]
    fn validators_describe_themselves_for_the_docs() {
        assert_eq!(object_id().describe(), "a 24-character hexadecimal Atlas ID");
        assert_eq!(
            roles_with_prefix("ORG_", "x").describe(),
            "each value starts with `ORG_`"
        );
        assert_eq!(
            roles_without_prefix("ORG_", "x").describe(),
            "no value starts with `ORG_`"
        );
        assert_eq!(
            role_names().describe(),
            "each value is an upper-case role name such as `GROUP_OWNER`"
        );
    }
}
