//! `mongodbatlas_access_list_api_key`: one entry (an address or a CIDR block) of an
//! organization API key's access list.
//!
//! Atlas: `/orgs/{orgId}/apiKeys/{apiUserId}/accessList[/{ipAddress}]` (POST an array, GET,
//! DELETE); there is no update, so every configured attribute replaces the entry when it
//! changes, `org_id` and `api_key_id` included (the official provider updates those in place
//! against the old entry).
//! Import ID: `{org_id}-{api_key_id}-{ip_or_cidr}` (also with `/` between the parts).
//!
//! - An address and its `/32` (`/128`) block are one entry: state holds both `ip_address` and
//!   `cidr_block` for it, so a configuration may name it either way and switching between the
//!   two forms plans no change. A wider block has a null `ip_address`.
//! - The entry is named in paths by its address, or by its CIDR as one `%2F`-encoded segment.
//! - Create refuses to adopt an entry that already exists (Atlas's POST would succeed silently
//!   and two configurations would own it): it reads the entry first (1 GET, 404), then POSTs.
//!   If the POST fails in a way that may still have added the entry, it reads it back and keeps
//!   it, since the first read proved nobody else owned it.
//! - Read takes the entry from the key's access-list listing that every read of the process
//!   shares ([`listings::access_list_entry`]); an entry missing there gets its own GET, and only
//!   a genuine not-found of that GET (entry or key gone) drops it from state, never a 400 as in
//!   the official provider.
//! - State written by the official provider (SDKv2, an encoded `id`) needs no upgrade: the
//!   attributes have the same names, and the first read sets `id` to ours.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::{string, Applied, Cx, Diagnostic, Diagnostics, Failed, Resource, Schema};
use crate::provider::claims::Claim;
use crate::provider::errors::OrDiagnose;
use crate::provider::network::Network;
use crate::provider::{import_id, listings, validators};
use crate::value::{AttributePath, Quoted, Value};

/// The resource type.
pub struct AccessListApiKey;

/// State and configuration of one access-list entry.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessListApiKeyState {
    id: Option<String>,
    org_id: String,
    api_key_id: String,
    ip_address: Option<String>,
    cidr_block: Option<String>,
}

/// The import formats, as errors show them.
const IMPORT_FORMATS: &str = "`{org_id}-{api_key_id}-{ip_address_or_cidr_block}` (or with `/` between the parts)";

#[async_trait]
impl Resource for AccessListApiKey {
    type Client = atlas::Client;
    type State = AccessListApiKeyState;
    const NAME: &'static str = "access_list_api_key";

    fn schema() -> Schema {
        Schema::new(
            "One entry of an organization API key's access list: an IP address or a CIDR block from which the key may \
             call the Atlas Administration API. Set exactly one of `ip_address` and `cidr_block`.",
        )
        .attributes([
            string("id")
                .computed()
                .use_state_for_unknown()
                .doc("The import ID, `{org_id}-{api_key_id}-{ip_address_or_cidr_block}`; a single address is named without its `/32` or `/128`."),
            string("org_id")
                .required()
                .requires_replace()
                .validate(validators::object_id())
                .doc("Unique 24-hexadecimal digit string that identifies the organization that owns the API key. Changing it replaces the entry."),
            string("api_key_id")
                .required()
                .requires_replace()
                .validate(validators::api_key_id())
                .doc("Unique 24-hexadecimal digit string that identifies the organization API key (its ID, not its 8-letter public key). Changing it replaces the entry."),
            string("ip_address")
                .optional()
                .computed()
                .requires_replace()
                .validate(validators::ip_address())
                .doc("One IPv4 or IPv6 address to allow, such as `203.0.113.10`. Conflicts with `cidr_block`. For an entry set through `cidr_block`, Atlas reports the address when the block is a single address (`/32` or `/128`), else null. Changing it replaces the entry."),
            string("cidr_block")
                .optional()
                .computed()
                .requires_replace()
                .validate(validators::cidr_block())
                .doc("A block of addresses in CIDR notation with no host bits set, such as `203.0.113.0/24`. Conflicts with `ip_address`. An address set through `ip_address` reads back as its `/32` (or `/128`) block, and either form names the same entry without a diff. Changing it replaces the entry."),
        ])
    }

    fn validate(config: &Value, diags: &mut Diagnostics) {
        let (ip, cidr) = (config.get("ip_address"), config.get("cidr_block"));
        if !ip.is_known() || !cidr.is_known() {
            return;
        }
        match (ip.is_null(), cidr.is_null()) {
            (false, false) => diags.attribute_error(
                AttributePath::attr("cidr_block"),
                "Conflicting access list entry",
                "Set only one of ip_address and cidr_block: one entry is either one address or one block. For a \
                 single address, ip_address = \"a.b.c.d\" and cidr_block = \"a.b.c.d/32\" name the same entry.",
            ),
            (true, true) => diags.attribute_error(
                AttributePath::attr("ip_address"),
                "Missing access list entry",
                "Set one of ip_address (one address, such as \"203.0.113.10\") and cidr_block (a block, such as \
                 \"203.0.113.0/24\").",
            ),
            _ => {}
        }
    }

    async fn create(&self, cx: &Cx<atlas::Client>, planned: AccessListApiKeyState) -> Applied<AccessListApiKeyState> {
        let (network, attribute) = planned.configured_network()?;
        // Two resources of this configuration for one entry (`1.2.3.4` and `1.2.3.4/32`) would
        // both find it absent and both create it: the second is refused here.
        let entry_id = import_id(&planned.org_id, &planned.api_key_id, &network);
        let claim = Claim::take(&cx.client, Self::NAME, &entry_id, || {
            configured_twice(&planned, &network, attribute)
        })?;
        let created = create_entry(cx, &planned, &network, attribute).await;
        listings::access_list_entry_changed(&cx.client, &planned.org_id, &planned.api_key_id, &network);
        if matches!(&created, Ok(_) | Err(Failed { state: Some(_), .. })) {
            claim.keep();
        }
        created
    }
    async fn read(
        &self,
        cx: &Cx<atlas::Client>,
        prior: AccessListApiKeyState,
    ) -> Result<Option<AccessListApiKeyState>, Diagnostics> {
        let network = prior.stored_network()?;
        let found = listings::access_list_entry(&cx.client, &prior.org_id, &prior.api_key_id, &network)
            .await
            .or_diagnose("Could not read access list entry", ERROR_ATTRS)?;
        Ok(found.map(|entry| state_from_atlas(&prior, &network, &entry)))
    }

    async fn update(
        &self,
        cx: &Cx<atlas::Client>,
        prior: AccessListApiKeyState,
        _planned: AccessListApiKeyState,
    ) -> Applied<AccessListApiKeyState> {
        // Every configured attribute requires replacement, so there is nothing to change in place.
        match self.read(cx, prior).await? {
            Some(state) => Ok(state),
            None => Err(Diagnostic::error(
                "Access list entry not found",
                "The entry disappeared during the apply; run terraform apply again to create it.",
            )
            .into()),
        }
    }

    async fn delete(&self, cx: &Cx<atlas::Client>, prior: AccessListApiKeyState) -> Result<(), Diagnostics> {
        let network = prior.stored_network()?;
        let deleted = cx
            .client
            .delete_access_list_entry(&prior.org_id, &prior.api_key_id, &network.to_entry())
            .await;
        listings::access_list_entry_changed(&cx.client, &prior.org_id, &prior.api_key_id, &network);
        match deleted {
            // Already gone (the entry or its key) is what a delete wants.
            Err(err) if err.is_not_found() => {}
            result => result.or_diagnose("Could not delete access list entry", ERROR_ATTRS)?,
        }
        let entry_id = import_id(&prior.org_id, &prior.api_key_id, &network);
        Claim::release(&cx.client, Self::NAME, &entry_id);
        Ok(())
    }

    async fn import(&self, _cx: &Cx<atlas::Client>, id: &str) -> Result<AccessListApiKeyState, Diagnostics> {
        let (org_id, api_key_id, entry) = import_id::object_id_pair_and_rest(id, IMPORT_FORMATS)?;
        let Some(network) = Network::entry(&entry) else {
            return Err(Diagnostic::error(
                "Invalid import ID",
                format!(
                    "The import ID {} does not end in an IP address or a canonical CIDR block: {} is neither. Use \
                     {IMPORT_FORMATS}.",
                    Quoted(id),
                    Quoted(&entry)
                ),
            )
            .into());
        };
        Ok(AccessListApiKeyState {
            id: Some(import_id(&org_id, &api_key_id, &network)),
            ip_address: network.single_address(),
            cidr_block: Some(network.to_cidr()),
            org_id,
            api_key_id,
        })
    }
}

impl AccessListApiKeyState {
    /// The configured entry and the attribute that names it.
    fn configured_network(&self) -> Result<(Network, &'static str), Diagnostic> {
        let network = match (&self.ip_address, &self.cidr_block) {
            (Some(ip), None) => Network::address(ip).map(|network| (network, "ip_address")),
            (None, Some(cidr)) => Network::cidr(cidr).ok().map(|network| (network, "cidr_block")),
            _ => None,
        };
        network.ok_or_else(|| {
            Diagnostic::bug(
                "Could not create access list entry",
                "the plan holds neither exactly one valid ip_address nor cidr_block",
            )
        })
    }

    /// The entry a stored state tracks: its `cidr_block`, else its `ip_address`.
    fn stored_network(&self) -> Result<Network, Diagnostic> {
        self.cidr_block
            .as_deref()
            .and_then(Network::entry)
            .or_else(|| self.ip_address.as_deref().and_then(Network::entry))
            .ok_or_else(|| {
                Diagnostic::error(
                    "Access list entry without an address",
                    format!(
                        "The stored state names neither a valid ip_address nor cidr_block. Remove it with terraform \
                         state rm and import the entry with {IMPORT_FORMATS}."
                    ),
                )
            })
    }
}

/// Fails, on `attribute`, when the key already holds the entry: Atlas would accept the POST
/// silently and two configurations would own one entry. The error names the import ID.
/// Creates the entry after making sure it is absent (see [`refuse_existing`]).
async fn create_entry(
    cx: &Cx<atlas::Client>,
    planned: &AccessListApiKeyState,
    network: &Network,
    attribute: &str,
) -> Applied<AccessListApiKeyState> {
    refuse_existing(cx, planned, network, attribute).await?;
    let request = [atlas::CreateAccessListEntry {
        ip_address: planned.ip_address.clone(),
        cidr_block: planned.cidr_block.clone(),
    }];
    let listed = match cx
        .client
        .create_access_list_entries(&planned.org_id, &planned.api_key_id, &request)
        .await
    {
        Ok(page) => page.results.into_iter().find(|listed| same_network(listed, network)),
        Err(err) if err.may_have_been_processed() => return recover_created(cx, planned, network, &err).await,
        Err(err) => return Err(err).or_diagnose("Could not create access list entry", ERROR_ATTRS)?,
    };
    let created = match listed {
        Some(found) => found,
        // The POST answers the first page of the list only; a long list needs one read.
        None => cx
            .client
            .get_access_list_entry(&planned.org_id, &planned.api_key_id, &network.to_entry())
            .await
            .or_diagnose("Could not read the new access list entry", ERROR_ATTRS)?,
    };
    Ok(state_from_atlas(planned, network, &created))
}

/// The error for a second resource of this configuration on the same entry.
fn configured_twice(planned: &AccessListApiKeyState, network: &Network, attribute: &str) -> Diagnostic {
    Diagnostic::error(
        "Access list entry configured twice",
        format!(
            "Another mongodbatlas_access_list_api_key in this configuration already manages {} on API key {} \
             (an address and its /32 or /128 block are one entry). Keep one resource for it.",
            network.to_cidr(),
            Quoted(&planned.api_key_id)
        ),
    )
    .at(AttributePath::attr(attribute))
}

async fn refuse_existing(
    cx: &Cx<atlas::Client>,
    planned: &AccessListApiKeyState,
    network: &Network,
    attribute: &str,
) -> Result<(), Diagnostic> {
    let existing = cx
        .client
        .get_access_list_entry_opt(&planned.org_id, &planned.api_key_id, &network.to_entry())
        .await
        .or_diagnose("Could not check the API key access list", ERROR_ATTRS)?;
    if existing.is_none() {
        return Ok(());
    }
    Err(Diagnostic::error(
        "Access list entry already exists",
        format!(
            "API key {} already allows {}. Creating it again would make this configuration share an entry that \
             something else manages (deleting either would remove both). To manage the existing entry here, import \
             it: terraform import <address> {}",
            Quoted(&planned.api_key_id),
            network.to_cidr(),
            import_id(&planned.org_id, &planned.api_key_id, network)
        ),
    )
    .at(AttributePath::attr(attribute)))
}

/// After a create that failed in a way that may have added the entry anyway (`err`): the entry
/// was absent just before, so one there now is ours and is kept, with a warning; absent, the
/// error stands; unknown, the error also names the import command.
async fn recover_created(
    cx: &Cx<atlas::Client>,
    planned: &AccessListApiKeyState,
    network: &Network,
    err: &atlas::Error,
) -> Applied<AccessListApiKeyState> {
    let mut diagnostic = crate::provider::errors::diagnose(err, "Could not create access list entry", ERROR_ATTRS);
    match cx
        .client
        .get_access_list_entry_opt(&planned.org_id, &planned.api_key_id, &network.to_entry())
        .await
    {
        Ok(Some(found)) => {
            cx.warn(Diagnostic::warning(
                "Access list entry created despite an error",
                format!(
                    "Atlas answered the create with an error, but the entry {} exists now and was absent just before, \
                     so it is tracked as created. The error was: {}",
                    network.to_cidr(),
                    diagnostic.detail
                ),
            ));
            Ok(state_from_atlas(planned, network, &found))
        }
        Ok(None) => Err(Failed::from(diagnostic)),
        Err(_) => {
            diagnostic.detail.push_str(&format!(
                " Atlas may have added the entry anyway; if the next apply reports that it already exists, import \
                 it: terraform import <address> {}",
                import_id(&planned.org_id, &planned.api_key_id, network)
            ));
            Err(Failed::from(diagnostic))
        }
    }
}

/// `{org_id}-{api_key_id}-{entry}`, the official import format.
fn import_id(org_id: &str, api_key_id: &str, network: &Network) -> String {
    format!("{org_id}-{api_key_id}-{network}")
}

/// Atlas error codes that blame one attribute.
const ERROR_ATTRS: &[(&str, &str)] = &[
    ("ORG_NOT_FOUND", "org_id"),
    ("INVALID_ORG_ID", "org_id"),
    ("USER_CANNOT_ACCESS_ORG", "org_id"),
    ("API_KEY_NOT_FOUND", "api_key_id"),
    ("PATH_PARAM_PARSE_ERROR", "api_key_id"),
    ("INVALID_IP_ADDRESS_OR_CIDR_NOTATION", "ip_address"),
    ("INVALID_CIDR_BLOCK", "cidr_block"),
    ("CANNOT_ADD_IP_ADDRESS_TO_API_KEY_WHITELIST", "ip_address"),
];

/// True when Atlas's `entry` is `network`.
fn same_network(entry: &atlas::AccessListEntry, network: &Network) -> bool {
    entry_network(entry) == Some(*network)
}

/// The network of an entry as Atlas reports it: its `cidrBlock`, else its `ipAddress`.
fn entry_network(entry: &atlas::AccessListEntry) -> Option<Network> {
    entry
        .cidr_block
        .as_deref()
        .and_then(Network::entry)
        .or_else(|| entry.ip_address.as_deref().and_then(Network::entry))
}

/// The state for Atlas's `entry` of `network`, as Atlas spells it (configurations must use the
/// canonical spelling, so it never shows a diff).
fn state_from_atlas(
    base: &AccessListApiKeyState,
    network: &Network,
    entry: &atlas::AccessListEntry,
) -> AccessListApiKeyState {
    let network = entry_network(entry).unwrap_or(*network);
    AccessListApiKeyState {
        id: Some(import_id(&base.org_id, &base.api_key_id, &network)),
        org_id: base.org_id.clone(),
        api_key_id: base.api_key_id.clone(),
        ip_address: network.single_address(),
        cidr_block: Some(network.to_cidr()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "5d09d6a59ccf6445652a444a";
    const KEY: &str = "6576974933969669aaaaaaaa";

    fn state(ip: Option<&str>, cidr: Option<&str>) -> AccessListApiKeyState {
        AccessListApiKeyState {
            id: None,
            org_id: ORG.into(),
            api_key_id: KEY.into(),
            ip_address: ip.map(str::to_string),
            cidr_block: cidr.map(str::to_string),
        }
    }

    fn reported(ip: Option<&str>, cidr: Option<&str>) -> atlas::AccessListEntry {
        atlas::AccessListEntry {
            ip_address: ip.map(str::to_string),
            cidr_block: cidr.map(str::to_string),
            count: None,
            created: None,
            last_used: None,
            last_used_address: None,
        }
    }

    #[test]
    fn an_address_and_its_32_read_back_as_both_forms() {
        // (configured ip, configured cidr, Atlas's ip, Atlas's cidr, expected state ip, cidr, id entry)
        let cases = [
            (
                Some("10.0.0.1"),
                None,
                Some("10.0.0.1"),
                Some("10.0.0.1/32"),
                Some("10.0.0.1"),
                Some("10.0.0.1/32"),
                "10.0.0.1",
            ),
            (
                None,
                Some("10.0.0.1/32"),
                Some("10.0.0.1"),
                Some("10.0.0.1/32"),
                Some("10.0.0.1"),
                Some("10.0.0.1/32"),
                "10.0.0.1",
            ),
            (
                None,
                Some("10.0.0.0/24"),
                None,
                Some("10.0.0.0/24"),
                None,
                Some("10.0.0.0/24"),
                "10.0.0.0/24",
            ),
            // Atlas might name a range's first address too: a range never gets an ip_address.
            (
                None,
                Some("10.0.0.0/24"),
                Some("10.0.0.0"),
                Some("10.0.0.0/24"),
                None,
                Some("10.0.0.0/24"),
                "10.0.0.0/24",
            ),
            (
                Some("2001:DB8::1"),
                None,
                Some("2001:db8::1"),
                Some("2001:db8::1/128"),
                Some("2001:db8::1"),
                Some("2001:db8::1/128"),
                "2001:db8::1",
            ),
            (
                Some("10.0.0.1"),
                None,
                Some("10.0.0.1"),
                None,
                Some("10.0.0.1"),
                Some("10.0.0.1/32"),
                "10.0.0.1",
            ),
        ];
        for (ip, cidr, atlas_ip, atlas_cidr, want_ip, want_cidr, entry) in cases {
            let base = state(ip, cidr);
            let network = base.stored_network().unwrap_or_else(|err| panic!("{err:?}"));
            let got = state_from_atlas(&base, &network, &reported(atlas_ip, atlas_cidr));
            assert_eq!(got.ip_address.as_deref(), want_ip, "{ip:?} {cidr:?}");
            assert_eq!(got.cidr_block.as_deref(), want_cidr, "{ip:?} {cidr:?}");
            assert_eq!(got.id, Some(format!("{ORG}-{KEY}-{entry}")));
        }
    }

    #[test]
    fn configured_network_names_its_attribute() {
        let (network, attribute) = state(Some("10.0.0.1"), None)
            .configured_network()
            .unwrap_or_else(|err| panic!("{err:?}"));
        assert_eq!((network.to_entry(), attribute), ("10.0.0.1".to_string(), "ip_address"));
        let (network, attribute) = state(None, Some("10.0.0.0/8"))
            .configured_network()
            .unwrap_or_else(|err| panic!("{err:?}"));
        assert_eq!(
            (network.to_entry(), attribute),
            ("10.0.0.0/8".to_string(), "cidr_block")
        );
        assert!(state(None, None).configured_network().is_err());
        assert!(state(Some("10.0.0.1"), Some("10.0.0.1/32"))
            .configured_network()
            .is_err());
        assert!(state(None, None).stored_network().is_err());
    }

    #[tokio::test]
    async fn import_ids_with_a_huge_entry_are_refused_briefly() {
        let cx = Cx::new(
            std::sync::Arc::new(
                atlas::Client::new(atlas::Config::new(
                    "https://cloud.mongodb.com",
                    atlas::Credentials::AccessToken(atlas::SecretString::from("t")),
                    "test",
                ))
                .unwrap_or_else(|err| panic!("{err}")),
            ),
            tokio_util::sync::CancellationToken::new(),
        );
        let huge = format!("{ORG}-{KEY}-{}", "1".repeat(50 << 20));
        let err = AccessListApiKey.import(&cx, &huge).await.err().unwrap_or_default();
        let detail: String = err.iter().map(|d| d.detail.clone()).collect();
        assert!(
            detail.contains("does not end in an IP address"),
            "{}",
            &detail[..200.min(detail.len())]
        );
        assert!(detail.len() < 2_000, "{} bytes", detail.len());
        let ok = AccessListApiKey
            .import(&cx, &format!("{ORG}/{KEY}/10.0.0.0/8"))
            .await
            .unwrap_or_else(|err| panic!("{err:?}"));
        assert_eq!(ok.id, Some(format!("{ORG}-{KEY}-10.0.0.0/8")));
        assert_eq!((ok.ip_address, ok.cidr_block.as_deref()), (None, Some("10.0.0.0/8")));
    }

    #[test]
    fn exactly_one_of_ip_address_and_cidr_block() {
        let config = |ip: Value, cidr: Value| {
            Value::Object(
                [("ip_address".to_string(), ip), ("cidr_block".to_string(), cidr)]
                    .into_iter()
                    .collect(),
            )
        };
        let errors = |value: Value| {
            let mut diags = Diagnostics::new();
            AccessListApiKey::validate(&value, &mut diags);
            diags
                .iter()
                .map(|d| (d.summary.clone(), d.attribute.clone()))
                .collect::<Vec<_>>()
        };
        let ip = || Value::string("10.0.0.1");
        let cidr = || Value::string("10.0.0.0/24");
        assert!(errors(config(ip(), Value::Null)).is_empty());
        assert!(errors(config(Value::Null, cidr())).is_empty());
        assert!(
            errors(config(Value::Unknown, Value::Null)).is_empty(),
            "unknown: decided at apply"
        );
        assert_eq!(
            errors(config(ip(), cidr())),
            vec![(
                "Conflicting access list entry".to_string(),
                Some(AttributePath::attr("cidr_block"))
            )]
        );
        assert_eq!(
            errors(config(Value::Null, Value::Null)),
            vec![(
                "Missing access list entry".to_string(),
                Some(AttributePath::attr("ip_address"))
            )]
        );
    }
}
