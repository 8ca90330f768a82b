//! `ephemeral "mongodbatlas_api_key"`: an organization programmatic API key that lives for one
//! Terraform run and never reaches the plan or the state.
//!
//! Atlas: open is `POST /orgs/{orgId}/apiKeys` (`createOrgApiKey`), then, when `access_list` is
//! set, one `POST /orgs/{orgId}/apiKeys/{apiUserId}/accessList` with every entry
//! (`createOrgApiKeyAccessListEntry`); close is `DELETE /orgs/{orgId}/apiKeys/{apiUserId}`
//! (`deleteOrgApiKey`), which also removes the access list.
//! Terraform opens it during plan and again during apply, so each command that evaluates it
//! makes and deletes one key (two calls, three with an access list).
//!
//! - The description Atlas holds is `description` followed by the marker of
//!   [`super::Marker`]; the result reports it as `atlas_description`, since Terraform requires
//!   the configured `description` back unchanged.
//! - An open that fails after Atlas created the key (the access list refused, Ctrl-C) deletes
//!   the key before it answers, or names it in an error when that delete fails too.
//! - A create whose answer was lost is followed by a lookup of the organization's keys for the
//!   marked description (unique thanks to its random reference), and every key found is deleted.
//! - The private data Terraform hands back to close holds the organization, the key's ID, its
//!   public key and its marked description: enough to delete it or name it, and no secret.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::{
    count, length, string, string_set, Cx, Diagnostic, Diagnostics, EphemeralResource, Opened, Schema, Sensitive,
};
use crate::provider::errors::{self, OrDiagnose};
use crate::provider::network::Network;
use crate::provider::secret;
use crate::provider::validators::{self, MAX_ROLES};
use crate::value::{AttributePath, Quoted, Value};

use super::{after_cleanup, cleanup_client, interrupted, left_behind, lost_create, within_deadline, Made, Marker};

/// The ephemeral resource type.
pub struct EphemeralApiKey;

/// Configuration and result of one ephemeral organization key.
#[derive(Debug, Serialize, Deserialize)]
pub struct EphemeralApiKeyState {
    org_id: String,
    description: String,
    role_names: BTreeSet<String>,
    access_list: Option<BTreeSet<String>>,
    api_key_id: Option<String>,
    public_key: Option<String>,
    private_key: Option<Sensitive>,
    atlas_description: Option<String>,
    opened_at: Option<String>,
}

/// What close needs to delete the key, and to name it if it cannot.
#[derive(Debug, Serialize, Deserialize)]
pub struct EphemeralApiKeyPrivate {
    org_id: String,
    api_key_id: String,
    public_key: Option<String>,
    description: String,
}

const OPEN: &str = "Could not open ephemeral API key";

#[async_trait]
impl EphemeralResource for EphemeralApiKey {
    type Client = atlas::Client;
    type State = EphemeralApiKeyState;
    type Private = EphemeralApiKeyPrivate;
    const NAME: &'static str = "api_key";

    fn schema() -> Schema {
        Schema::new(
            "An organization programmatic API key that exists only while Terraform runs: Terraform creates it when it \
             opens the ephemeral resource (once during plan, once more during apply) and deletes it at the end of that \
             run. Its public and private key can configure a provider alias or feed any argument that accepts \
             ephemeral values; neither the key nor its secret is written to the plan or the state.",
        )
        .attributes([
            string("org_id")
                .required()
                .validate(validators::object_id())
                .doc("Unique 24-hexadecimal digit string that identifies the organization that owns the key."),
            string("description")
                .required()
                .validate(length(1..=super::MAX_GIVEN_CHARS))
                .doc(&format!(
                    "Description of the key, 1 to {} characters. Atlas holds it followed by the ephemeral marker \
                     ` (ephemeral, opened <UTC time>, ref <6 hex digits>)` (see `atlas_description`), which brings it \
                     to Atlas's limit of 250 characters at most.",
                    super::MAX_GIVEN_CHARS
                )),
            string_set("role_names")
                .required()
                .validate(count(1..=MAX_ROLES))
                .validate(validators::roles_with_prefix("ORG_", ORG_ROLES_ONLY))
                .doc("Organization roles granted to the key, such as `ORG_READ_ONLY` or `ORG_OWNER`. At least one, at most 100."),
            string_set("access_list")
                .optional()
                .validate(count(1..=MAX_ACCESS_LIST_ENTRIES))
                .doc("IP addresses or CIDR blocks (such as `203.0.113.10` or `203.0.113.0/24`) the key may call Atlas from, added right after the key is created, for organizations that require an access list for API access. Unset: the key has no access list."),
            string("api_key_id")
                .computed()
                .doc("Unique 24-hexadecimal digit string that identifies the key."),
            string("public_key")
                .computed()
                .doc("Public part of the key (the Digest user name), for the `public_key` argument of a provider block."),
            string("private_key")
                .computed()
                .sensitive()
                .doc("Private part of the key, for the `private_key` argument of a provider block."),
            string("atlas_description")
                .computed()
                .doc("The description Atlas holds: `description` followed by the ephemeral marker, such as `ci (ephemeral, opened 2026-11-30T05:27:56Z, ref 3f9a1c)`. A key left behind by a crash is recognised by it."),
            string("opened_at")
                .computed()
                .doc("When the key was opened, in UTC to the second (RFC 3339), as the marker says."),
        ])
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        let Some(entries) = config.get("access_list").as_elements() else {
            return;
        };
        let entry = validators::access_list_entry();
        // An address and its /32 (/128) are one entry to Atlas, which refuses the pair.
        let mut seen = std::collections::BTreeMap::new();
        for element in entries.iter().filter(|element| element.is_known()) {
            entry.check(element, &AttributePath::attr("access_list"), diags);
            let Some(text) = element.as_str() else { continue };
            let Some(network) = Network::entry(text) else { continue };
            if let Some(first) = seen.insert(network.to_cidr(), text) {
                diags.push(
                    Diagnostic::error(
                        "Duplicate access list entry",
                        format!(
                            "{} and {} are the same entry of the key's access list; list it once.",
                            Quoted(first),
                            Quoted(text)
                        ),
                    )
                    .at(AttributePath::attr("access_list")),
                );
            }
        }
    }

    async fn open(
        &self,
        cx: &Cx<atlas::Client>,
        config: EphemeralApiKeyState,
    ) -> Result<Opened<EphemeralApiKeyState, EphemeralApiKeyPrivate>, Diagnostics> {
        let marker = Marker::now();
        let request = atlas::CreateApiKey {
            desc: marker.mark(&config.description),
            roles: config.role_names.iter().cloned().collect(),
        };
        let key = match cx.client.create_api_key(&config.org_id, &request).await {
            Ok(key) => key,
            Err(err) if err.may_have_been_processed() => {
                return Err(find_and_delete(cx, &config.org_id, &request.desc, &err).await.into());
            }
            Err(err) => return Err(errors::diagnose(&err, OPEN, ERROR_ATTRS).into()),
        };
        let private = EphemeralApiKeyPrivate {
            org_id: config.org_id.clone(),
            api_key_id: key.id.clone(),
            public_key: key.public_key.clone(),
            description: request.desc.clone(),
        };
        // Terraform stopped while the create ran: it will neither use nor close the key.
        if cx.cancel.is_cancelled() {
            return Err(abandon(cx, &private, interrupted(OPEN, "API key")).await);
        }
        let entries = access_list_request(config.access_list.iter().flatten());
        if !entries.is_empty() {
            let added = cx
                .client
                .create_access_list_entries(&config.org_id, &key.id, &entries)
                .await
                .or_diagnose(
                    "Could not add the access list of the ephemeral API key",
                    ACCESS_LIST_ATTRS,
                );
            if let Err(failure) = added {
                return Err(abandon(cx, &private, failure).await);
            }
        }
        let Some(private_key) = key.private_key.as_ref().map(secret::sensitive) else {
            let bug = Diagnostic::bug(OPEN, "Atlas's create answer had no private key");
            return Err(abandon(cx, &private, bug).await);
        };
        Ok(Opened {
            result: EphemeralApiKeyState {
                api_key_id: Some(key.id),
                public_key: key.public_key,
                private_key: Some(private_key),
                atlas_description: Some(request.desc),
                opened_at: Some(marker.opened_at),
                ..config
            },
            private,
        })
    }

    async fn close(&self, cx: &Cx<atlas::Client>, private: EphemeralApiKeyPrivate) -> Result<(), Diagnostics> {
        match cx.client.delete_api_key(&private.org_id, &private.api_key_id).await {
            // Already gone (deleted by hand, or the organization's cleanup) is what close wants.
            Ok(()) => Ok(()),
            Err(err) if err.is_not_found() => Ok(()),
            Err(err) => Err(left_behind(&made(&private), &err.to_string(), &by_hand(&private)).into()),
        }
    }
}

/// Why `role_names` takes only organization roles.
const ORG_ROLES_ONLY: &str = "an organization API key takes organization roles (ORG_OWNER, ORG_MEMBER, \
    ORG_GROUP_CREATOR, ORG_BILLING_ADMIN, ORG_BILLING_READ_ONLY, ORG_READ_ONLY, ...).";

/// Most entries in `access_list`: one request carries them all, and a key needs only a few.
const MAX_ACCESS_LIST_ENTRIES: usize = 100;

/// Atlas error codes of the key's create that blame one attribute.
const ERROR_ATTRS: &[(&str, &str)] = &[
    ("API_KEY_REQUIRES_DESCRIPTION", "description"),
    ("INVALID_API_KEY_DESC", "description"),
    ("MISSING_API_KEY_ROLES", "role_names"),
    ("INVALID_ROLE_FOR_ORG", "role_names"),
    ("INVALID_ENUM_VALUE", "role_names"),
    ("ORG_NOT_FOUND", "org_id"),
    ("INVALID_ORG_ID", "org_id"),
];

/// Atlas error codes of the access list's create, all about `access_list`.
const ACCESS_LIST_ATTRS: &[(&str, &str)] = &[
    ("INVALID_IP_ADDRESS_OR_CIDR_NOTATION", "access_list"),
    ("INVALID_CIDR_BLOCK", "access_list"),
    ("DUPLICATE_ADDRESSES_IN_INPUT", "access_list"),
];

/// One request element per entry: an address as `ipAddress`, a block as `cidrBlock`. Entries
/// that are neither were refused at validation; they are left out here.
fn access_list_request<'a>(entries: impl Iterator<Item = &'a String>) -> Vec<atlas::CreateAccessListEntry> {
    entries
        .filter_map(|entry| Network::entry(entry))
        .map(|network| match network.single_address() {
            Some(address) => atlas::CreateAccessListEntry {
                cidr_block: None,
                ip_address: Some(address),
            },
            None => atlas::CreateAccessListEntry {
                cidr_block: Some(network.to_cidr()),
                ip_address: None,
            },
        })
        .collect()
}

/// Deletes the key an open made but will not return, and says so after `failure`.
async fn abandon(cx: &Cx<atlas::Client>, private: &EphemeralApiKeyPrivate, failure: Diagnostic) -> Diagnostics {
    let client = cleanup_client(cx);
    let deleted = within_deadline(async {
        match client.delete_api_key(&private.org_id, &private.api_key_id).await {
            Err(err) if err.is_not_found() => Ok(()),
            result => result,
        }
    })
    .await;
    after_cleanup(failure, &made(private), deleted)
}

/// After a create whose answer was lost: deletes every key of the organization described
/// exactly `marked`, and says what was found.
async fn find_and_delete(cx: &Cx<atlas::Client>, org_id: &str, marked: &str, failure: &atlas::Error) -> Diagnostic {
    let client = cleanup_client(cx);
    let deleted = within_deadline(async {
        let keys = client.list_api_keys(org_id).await?;
        let mut ids = Vec::new();
        for key in keys.into_iter().filter(|key| key.desc.as_deref() == Some(marked)) {
            match client.delete_api_key(org_id, &key.id).await {
                Err(err) if !err.is_not_found() => return Err(err),
                _ => ids.push(key.id),
            }
        }
        Ok(ids)
    })
    .await;
    let by_hand = format!(
        "Find it among the organization's API keys by its description and delete it in the Atlas UI \
         (Organization Access Manager, Applications, API Keys) or with the Atlas CLI (`atlas organizations apiKeys \
         delete <id> --orgId {org_id}`)."
    );
    lost_create(OPEN, "API key", failure, marked, deleted, &by_hand)
}

/// The key in words, for messages.
fn made(private: &EphemeralApiKeyPrivate) -> Made<'_> {
    let public_key = private.public_key.as_deref().unwrap_or("unknown");
    Made {
        noun: "API key",
        id: &private.api_key_id,
        names: format!(
            "public key {public_key}, description {}, organization {}",
            crate::value::Quoted(&private.description),
            private.org_id
        ),
        by_hand: by_hand(private),
    }
}

/// How to delete the key by hand.
fn by_hand(private: &EphemeralApiKeyPrivate) -> String {
    let EphemeralApiKeyPrivate { org_id, api_key_id, .. } = private;
    format!(
        "Delete it by hand: in the Atlas UI (Organization Access Manager, Applications, API Keys), with the Atlas CLI \
         (`atlas organizations apiKeys delete {api_key_id} --orgId {org_id}`), or with Terraform by importing it \
         (`terraform import mongodbatlas_api_key.leftover {org_id}-{api_key_id}`) and destroying it."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_list_entries_are_addresses_or_blocks() {
        let entries: Vec<String> = [
            "203.0.113.10",
            "10.0.0.0/8",
            "2001:db8::/48",
            "198.51.100.7/32",
            "nonsense",
        ]
        .map(str::to_string)
        .into();
        let request = access_list_request(entries.iter());
        let sent: Vec<(Option<&str>, Option<&str>)> = request
            .iter()
            .map(|entry| (entry.ip_address.as_deref(), entry.cidr_block.as_deref()))
            .collect();
        assert_eq!(
            sent,
            [
                (Some("203.0.113.10"), None),
                (None, Some("10.0.0.0/8")),
                (None, Some("2001:db8::/48")),
                (Some("198.51.100.7"), None),
            ]
        );
    }

    fn config(access_list: Value) -> Value {
        Value::object([
            ("org_id", Value::string("5d09d6a59ccf6445652a444a")),
            ("description", Value::string("ci")),
            ("role_names", Value::Set(vec![Value::string("ORG_READ_ONLY")])),
            ("access_list", access_list),
        ])
    }

    #[test]
    fn validate_checks_each_known_access_list_entry() {
        let cases = [
            ("unset", Value::Null, 0),
            ("unknown", Value::Unknown, 0),
            ("good", Value::Set(vec![Value::string("10.0.0.0/8")]), 0),
            (
                "one bad, one unknown",
                Value::Set(vec![Value::string("10.0.0.1/8"), Value::Unknown]),
                1,
            ),
            ("not an address", Value::Set(vec![Value::string("example.com")]), 1),
            (
                "an address and its /32",
                Value::Set(vec![Value::string("10.0.0.1"), Value::string("10.0.0.1/32")]),
                1,
            ),
            (
                "an IPv6 address and its /128",
                Value::Set(vec![Value::string("2001:db8::1"), Value::string("2001:db8::1/128")]),
                1,
            ),
        ];
        for (name, access_list, errors) in cases {
            let mut diags = Diagnostics::new();
            EphemeralApiKey::validate(&config(access_list), &mut diags);
            assert_eq!(diags.iter().count(), errors, "{name}: {diags:?}");
            for diagnostic in diags.iter() {
                assert_eq!(diagnostic.attribute, Some(AttributePath::attr("access_list")), "{name}");
            }
        }
    }

    #[test]
    fn the_by_hand_advice_names_the_key_and_its_import_id() {
        let private = EphemeralApiKeyPrivate {
            org_id: "5d09d6a59ccf6445652a444a".to_string(),
            api_key_id: "6576974933969669aaaaaaaa".to_string(),
            public_key: Some("abcdefgh".to_string()),
            description: "ci (ephemeral, opened 2026-11-30T05:27:56Z, ref 3f9a1c)".to_string(),
        };
        let made = made(&private);
        assert!(
            made.names.contains("abcdefgh") && made.names.contains("ref 3f9a1c"),
            "{}",
            made.names
        );
        assert!(made
            .by_hand
            .contains("5d09d6a59ccf6445652a444a-6576974933969669aaaaaaaa"));
        let json = serde_json::to_string(&private).unwrap();
        assert!(!json.contains("private"), "no secret field in the private data: {json}");
    }
}
