//! The in-memory Atlas: organizations, projects, programmatic API keys, AI model API keys,
//! service accounts and their access tokens.
//!
//! `Store` holds plain data plus the lookups and mutations handlers need; it knows nothing of
//! HTTP except that failures are `ApiError`s, so every rule lives in one place.
//! A key keeps its organization roles and a map from project id to its roles in that project;
//! responses serialise both into `roles[]` (see `views.rs`).
//!
//! Ids are random after their timestamp (see `ids`), so records carry a creation sequence number
//! and every listing is in creation order. An organization holds at most
//! `Config::max_api_keys_per_org` programmatic keys (Atlas: 500) through the API; the admin bulk
//! route may go past it to set up tests.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::error::ApiError;
use crate::ids::{self, IdGen, Timestamp};

/// A secret string whose `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret value; call only where the value must leave the emulator.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An Atlas organization.
#[derive(Debug, Clone)]
pub struct Org {
    /// 24-hex id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Creation order within the store.
    pub seq: u64,
}

/// An Atlas project ("group").
#[derive(Debug, Clone)]
pub struct Project {
    /// 24-hex id.
    pub id: String,
    /// Owning organization.
    pub org_id: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created: Timestamp,
    /// Creation order within the store.
    pub seq: u64,
}

/// A programmatic API key of one organization.
#[derive(Debug, Clone)]
pub struct ApiKey {
    /// 24-hex id (`apiUserId`).
    pub id: String,
    /// The organization the key belongs to.
    pub org_id: String,
    /// Description, 1..250 characters.
    pub desc: String,
    /// Digest user name: 8 lowercase letters.
    pub public_key: String,
    /// Digest password: a v4 UUID.
    pub private_key: Secret,
    /// Roles in the organization.
    pub org_roles: Vec<String>,
    /// Roles per assigned project.
    pub project_roles: BTreeMap<String, Vec<String>>,
    /// Creation order within the store.
    pub seq: u64,
}

/// An AI model (Voyage AI) API key, owned by one project.
#[derive(Debug, Clone)]
pub struct AiKey {
    /// 24 lowercase alphanumerics.
    pub id: String,
    /// Owning project.
    pub group_id: String,
    /// Name, 1..250 characters.
    pub name: String,
    /// `al-` and 43 URL-safe characters; returned only by create.
    pub secret: Secret,
    /// Creation time.
    pub created_at: Timestamp,
    /// Public key or client id of the creator.
    pub created_by: String,
    /// Always `ANY` today.
    pub cloud: String,
    /// Always `ANY` today.
    pub geography: String,
}

/// One entry of an organization API key's access list: a network in canonical form (host
/// bits clear), a single address being a `/32` or `/128`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntry {
    /// The network address.
    pub address: IpAddr,
    /// The prefix length, at most 32 (IPv4) or 128 (IPv6).
    pub prefix: u8,
    /// When the entry was added.
    pub created: Timestamp,
    /// Requests seen from `last_used_address`; `None` until used (set through the admin route).
    pub count: Option<u64>,
    /// Last request from this network; `None` until used.
    pub last_used: Option<Timestamp>,
    /// Address of the last request; `None` until used.
    pub last_used_address: Option<String>,
}

impl AccessEntry {
    /// An unused entry for `address/prefix`, created now.
    pub fn new(address: IpAddr, prefix: u8) -> AccessEntry {
        AccessEntry {
            address,
            prefix,
            created: Timestamp::now(),
            count: None,
            last_used: None,
            last_used_address: None,
        }
    }

    /// `address/prefix`, such as `203.0.113.10/32`.
    pub fn cidr(&self) -> String {
        format!("{}/{}", self.address, self.prefix)
    }

    /// True for a single address (`/32` or `/128`).
    pub fn is_single_address(&self) -> bool {
        self.prefix == if self.address.is_ipv4() { 32 } else { 128 }
    }
}

/// A service account that can mint OAuth access tokens.
#[derive(Debug, Clone)]
pub struct ServiceAccount {
    /// `mdb_sa_id_` and 24 hex.
    pub client_id: String,
    /// `mdb_sa_sk_` and random characters.
    pub client_secret: Secret,
    /// The organization the account belongs to.
    pub org_id: String,
}

/// An issued OAuth access token.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The service account that minted it.
    pub client_id: String,
    /// That account's organization.
    pub org_id: String,
    /// When it stops working.
    pub expires_at: Instant,
    /// Set by `/api/oauth/revoke`.
    pub revoked: bool,
}

/// Credentials of one seeded organization, returned by `Store::create_org`.
#[derive(Debug, Clone)]
pub struct SeededOrg {
    /// The organization id.
    pub org_id: String,
    /// Its projects.
    pub project_ids: Vec<String>,
    /// Public key of its `ORG_OWNER` API key.
    pub public_key: String,
    /// Private key of that API key.
    pub private_key: Secret,
    /// Client id of its service account.
    pub client_id: String,
    /// Client secret of that service account.
    pub client_secret: Secret,
}

/// The whole emulated Atlas.
#[derive(Debug, Default)]
pub struct Store {
    ids: IdGen,
    last_seq: u64,
    /// Organizations by id (id order is not creation order; see `seq`).
    pub orgs: BTreeMap<String, Org>,
    /// Projects by id (id order is not creation order; see `seq`).
    pub projects: BTreeMap<String, Project>,
    /// Programmatic API keys by id (id order is not creation order; see `seq`).
    pub api_keys: BTreeMap<String, ApiKey>,
    /// AI model API keys in creation order.
    pub ai_keys: Vec<AiKey>,
    /// Service accounts.
    pub service_accounts: Vec<ServiceAccount>,
    /// Access tokens by token value.
    pub tokens: HashMap<String, AccessToken>,
    /// Access-list entries of organization API keys, by key id, in creation order.
    pub access_lists: BTreeMap<String, Vec<AccessEntry>>,
    /// AI model rate limits set away from their defaults (see `ai_rate_limits`).
    pub rate_limits: crate::ai_rate_limits::RateLimitBook,
}

impl Store {
    /// An empty store.
    pub fn new() -> Store {
        Store::default()
    }

    /// Creates an organization with `projects` projects, one `ORG_OWNER` API key and one
    /// service account.
    pub fn create_org(&mut self, name: &str, projects: usize) -> SeededOrg {
        let org_id = self.ids.object_id();
        let seq = self.next_seq();
        self.orgs.insert(
            org_id.clone(),
            Org {
                id: org_id.clone(),
                name: name.to_owned(),
                seq,
            },
        );
        let project_ids: Vec<String> = (1..=projects)
            .map(|index| self.create_project(&org_id, &format!("{name}-project-{index}")))
            .collect();
        let key = self.create_api_key(&org_id, "Seeded organization owner key", vec!["ORG_OWNER".to_owned()]);
        let (public_key, private_key) = (key.public_key.clone(), key.private_key.clone());
        let account = ServiceAccount {
            client_id: ids::client_id(&mut self.ids),
            client_secret: Secret::new(ids::client_secret()),
            org_id: org_id.clone(),
        };
        self.service_accounts.push(account.clone());
        SeededOrg {
            org_id,
            project_ids,
            public_key,
            private_key,
            client_id: account.client_id,
            client_secret: account.client_secret,
        }
    }

    /// Creates a project in `org_id` and returns its id.
    pub fn create_project(&mut self, org_id: &str, name: &str) -> String {
        let id = self.ids.object_id();
        let project = Project {
            id: id.clone(),
            org_id: org_id.to_owned(),
            name: name.to_owned(),
            created: Timestamp::now(),
            seq: self.next_seq(),
        };
        self.projects.insert(id.clone(), project);
        id
    }

    /// Deletes a project with everything in it: its AI model keys and every key's assignment
    /// to it (the organization keys survive). Errors: 404 `GROUP_NOT_FOUND`.
    pub fn delete_project(&mut self, id: &str) -> Result<(), ApiError> {
        self.project(id)?;
        self.projects.remove(id);
        self.ai_keys.retain(|key| key.group_id != id);
        for key in self.api_keys.values_mut() {
            key.project_roles.remove(id);
        }
        Ok(())
    }

    /// The organization `id`, or 404 `ORG_NOT_FOUND`.
    pub fn org(&self, id: &str) -> Result<&Org, ApiError> {
        self.orgs.get(id).ok_or_else(|| ApiError::org_not_found(id))
    }

    /// The project `id`, or 404 `GROUP_NOT_FOUND`.
    pub fn project(&self, id: &str) -> Result<&Project, ApiError> {
        self.projects.get(id).ok_or_else(|| ApiError::group_not_found(id))
    }

    /// Creates an API key with validated organization roles, whatever the organization holds
    /// already (for seeding and the admin routes; the API uses [`Store::create_api_key_within`]).
    pub fn create_api_key(&mut self, org_id: &str, desc: &str, org_roles: Vec<String>) -> &ApiKey {
        let id = self.ids.object_id();
        let seq = self.next_seq();
        let key = ApiKey {
            id: id.clone(),
            org_id: org_id.to_owned(),
            desc: desc.to_owned(),
            public_key: self.unused_public_key(),
            private_key: Secret::new(ids::uuid_v4()),
            org_roles,
            project_roles: BTreeMap::new(),
            seq,
        };
        self.api_keys.entry(id).or_insert(key)
    }

    /// Creates an API key as the API does: only while `org_id` holds fewer than `limit` keys.
    ///
    /// Errors: 404 `ORG_NOT_FOUND`; 400 `MAX_API_KEYS_PER_ORG_EXCEEDED` (parameters
    /// `[orgId, limit]`) when the organization already holds `limit` keys or more.
    pub fn create_api_key_within(
        &mut self,
        org_id: &str,
        desc: &str,
        org_roles: Vec<String>,
        limit: usize,
    ) -> Result<&mut ApiKey, ApiError> {
        self.org(org_id)?;
        if self.api_keys.values().filter(|key| key.org_id == org_id).count() >= limit {
            return Err(ApiError::max_api_keys(org_id, limit));
        }
        let id = self.create_api_key(org_id, desc, org_roles).id.clone();
        self.org_key_mut(org_id, &id)
    }

    /// The key `id` of organization `org_id`, or 404 `API_KEY_NOT_FOUND`.
    pub fn org_key(&self, org_id: &str, id: &str) -> Result<&ApiKey, ApiError> {
        self.api_keys
            .get(id)
            .filter(|key| key.org_id == org_id)
            .ok_or_else(|| ApiError::api_key_not_found(id))
    }

    /// Mutable access to the key `id` of organization `org_id`, or 404 `API_KEY_NOT_FOUND`.
    pub fn org_key_mut(&mut self, org_id: &str, id: &str) -> Result<&mut ApiKey, ApiError> {
        self.api_keys
            .get_mut(id)
            .filter(|key| key.org_id == org_id)
            .ok_or_else(|| ApiError::api_key_not_found(id))
    }

    /// Deletes a key; its project assignments go with it.
    pub fn delete_org_key(&mut self, org_id: &str, id: &str) -> Result<(), ApiError> {
        self.org_key(org_id, id)?;
        self.api_keys.remove(id);
        self.access_lists.remove(id);
        Ok(())
    }

    /// The access list of key `id` of `org_id`, in creation order.
    ///
    /// Errors: 404 `API_KEY_NOT_FOUND`.
    pub fn access_list(&self, org_id: &str, id: &str) -> Result<&[AccessEntry], ApiError> {
        self.org_key(org_id, id)?;
        Ok(self.access_lists.get(id).map(Vec::as_slice).unwrap_or_default())
    }

    /// Adds `entries` to the access list of key `id`; an entry already there is kept as it is
    /// (Atlas answers such a POST with success and changes nothing).
    ///
    /// Errors: 404 `API_KEY_NOT_FOUND`.
    pub fn add_access_entries(&mut self, org_id: &str, id: &str, entries: Vec<AccessEntry>) -> Result<(), ApiError> {
        self.org_key(org_id, id)?;
        let list = self.access_lists.entry(id.to_owned()).or_default();
        for entry in entries {
            if !list
                .iter()
                .any(|held| held.address == entry.address && held.prefix == entry.prefix)
            {
                list.push(entry);
            }
        }
        Ok(())
    }

    /// The entry `address/prefix` of key `id`'s access list.
    ///
    /// Errors: 404 `API_KEY_NOT_FOUND`, 404 `API_KEY_WHITELIST_NOT_FOUND`.
    pub fn access_entry(&self, org_id: &str, id: &str, address: IpAddr, prefix: u8) -> Result<&AccessEntry, ApiError> {
        self.access_list(org_id, id)?
            .iter()
            .find(|entry| entry.address == address && entry.prefix == prefix)
            .ok_or_else(|| ApiError::access_entry_not_found(id, &format!("{address}/{prefix}")))
    }

    /// Removes the entry `address/prefix` from key `id`'s access list.
    ///
    /// Errors: as [`Store::access_entry`].
    pub fn remove_access_entry(&mut self, org_id: &str, id: &str, address: IpAddr, prefix: u8) -> Result<(), ApiError> {
        self.access_entry(org_id, id, address, prefix)?;
        if let Some(list) = self.access_lists.get_mut(id) {
            list.retain(|entry| !(entry.address == address && entry.prefix == prefix));
        }
        Ok(())
    }

    /// The keys of an organization, in creation order.
    pub fn keys_in_org(&self, org_id: &str) -> Vec<&ApiKey> {
        let mut keys: Vec<&ApiKey> = self.api_keys.values().filter(|key| key.org_id == org_id).collect();
        keys.sort_by_key(|key| key.seq);
        keys
    }

    /// The keys assigned to a project, in creation order.
    pub fn keys_in_project(&self, group_id: &str) -> Vec<&ApiKey> {
        let mut keys: Vec<&ApiKey> = self
            .api_keys
            .values()
            .filter(|key| key.project_roles.contains_key(group_id))
            .collect();
        keys.sort_by_key(|key| key.seq);
        keys
    }

    /// Every organization, in creation order.
    pub fn orgs_in_order(&self) -> Vec<&Org> {
        let mut orgs: Vec<&Org> = self.orgs.values().collect();
        orgs.sort_by_key(|org| org.seq);
        orgs
    }

    /// Every project, in creation order.
    pub fn projects_in_order(&self) -> Vec<&Project> {
        let mut projects: Vec<&Project> = self.projects.values().collect();
        projects.sort_by_key(|project| project.seq);
        projects
    }

    /// Every programmatic API key, in creation order.
    pub fn keys_in_order(&self) -> Vec<&ApiKey> {
        let mut keys: Vec<&ApiKey> = self.api_keys.values().collect();
        keys.sort_by_key(|key| key.seq);
        keys
    }

    /// The key whose public key is `public_key`, if any.
    pub fn key_by_public(&self, public_key: &str) -> Option<&ApiKey> {
        self.api_keys.values().find(|key| key.public_key == public_key)
    }

    /// Removes the assignment of key `id` to project `group_id`.
    ///
    /// Errors: `GROUP_NOT_FOUND`, or `API_KEY_NOT_FOUND` when the key is not in the project's
    /// organization or not assigned to the project.
    pub fn unassign(&mut self, group_id: &str, id: &str) -> Result<(), ApiError> {
        let org_id = self.project(group_id)?.org_id.clone();
        let key = self.org_key_mut(&org_id, id)?;
        if key.project_roles.remove(group_id).is_none() {
            return Err(not_assigned(id, group_id));
        }
        Ok(())
    }

    /// Creates an AI model key in `group_id`.
    pub fn create_ai_key(&mut self, group_id: &str, name: &str, created_by: &str) -> &AiKey {
        let key = AiKey {
            id: self.unused_ai_key_id(),
            group_id: group_id.to_owned(),
            name: name.to_owned(),
            secret: Secret::new(ids::ai_secret()),
            created_at: Timestamp::now(),
            created_by: created_by.to_owned(),
            cloud: "ANY".to_owned(),
            geography: "ANY".to_owned(),
        };
        self.ai_keys.push(key);
        let last = self.ai_keys.len() - 1;
        &self.ai_keys[last]
    }

    /// The AI key `id` of project `group_id`, or 404 `RESOURCE_NOT_FOUND`.
    pub fn ai_key_mut(&mut self, group_id: &str, id: &str) -> Result<&mut AiKey, ApiError> {
        self.ai_keys
            .iter_mut()
            .find(|key| key.id == id && key.group_id == group_id)
            .ok_or_else(|| ApiError::resource_not_found(id))
    }

    /// Deletes the AI key `id` of project `group_id`, or 404 `RESOURCE_NOT_FOUND`.
    pub fn delete_ai_key(&mut self, group_id: &str, id: &str) -> Result<(), ApiError> {
        let before = self.ai_keys.len();
        self.ai_keys.retain(|key| !(key.id == id && key.group_id == group_id));
        if self.ai_keys.len() == before {
            return Err(ApiError::resource_not_found(id));
        }
        Ok(())
    }

    /// The AI keys of every project of `org_id`, in creation order.
    pub fn ai_keys_in_org(&self, org_id: &str) -> Vec<&AiKey> {
        self.ai_keys
            .iter()
            .filter(|key| {
                self.projects
                    .get(&key.group_id)
                    .is_some_and(|project| project.org_id == org_id)
            })
            .collect()
    }

    /// The service account with these credentials, if they match.
    pub fn service_account(&self, client_id: &str, client_secret: &str) -> Option<&ServiceAccount> {
        self.service_accounts
            .iter()
            .find(|account| account.client_id == client_id && account.client_secret.expose() == client_secret)
    }

    /// Mints an access token for `account` valid for `ttl`.
    pub fn issue_token(&mut self, client_id: &str, org_id: &str, ttl: Duration) -> String {
        let token = ids::access_token(client_id);
        self.tokens.retain(|_, issued| issued.expires_at > Instant::now());
        self.tokens.insert(
            token.clone(),
            AccessToken {
                client_id: client_id.to_owned(),
                org_id: org_id.to_owned(),
                expires_at: Instant::now() + ttl,
                revoked: false,
            },
        );
        token
    }

    fn next_seq(&mut self) -> u64 {
        self.last_seq += 1;
        self.last_seq
    }

    fn unused_public_key(&self) -> String {
        loop {
            let candidate = ids::public_key();
            if self.key_by_public(&candidate).is_none() {
                return candidate;
            }
        }
    }

    fn unused_ai_key_id(&self) -> String {
        loop {
            let candidate = ids::ai_key_id();
            if self.ai_keys.iter().all(|key| key.id != candidate) {
                return candidate;
            }
        }
    }
}

/// 404 `API_KEY_NOT_FOUND` for a key that exists but is not assigned to the project.
pub fn not_assigned(id: &str, group_id: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "API_KEY_NOT_FOUND",
        format!("API key {id} is not assigned to group {group_id}."),
    )
    .param(id)
    .param(group_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_org_seeds_projects_key_and_account() {
        let mut store = Store::new();
        let seeded = store.create_org("acme", 3);
        assert_eq!(seeded.project_ids.len(), 3);
        let key = store.key_by_public(&seeded.public_key).expect("seeded key is findable");
        assert_eq!(key.org_roles, vec!["ORG_OWNER".to_owned()]);
        assert_eq!(key.org_id, seeded.org_id);
        assert!(store
            .service_account(&seeded.client_id, seeded.client_secret.expose())
            .is_some());
        assert_eq!(format!("{:?}", key.private_key), "<redacted>");
    }

    #[test]
    fn the_api_refuses_keys_past_the_org_limit_and_lists_stay_in_creation_order() {
        let mut store = Store::new();
        let seeded = store.create_org("acme", 1);
        let org = seeded.org_id.clone();
        let created: Vec<String> = (0..4)
            .map(|index| {
                store
                    .create_api_key_within(&org, &format!("k{index}"), vec!["ORG_MEMBER".into()], 5)
                    .map(|key| key.id.clone())
                    .expect("under the limit")
            })
            .collect();
        let refused = store.create_api_key_within(&org, "k5", vec!["ORG_MEMBER".into()], 5);
        let err = refused.expect_err("the sixth key is refused");
        assert_eq!(err.error_code, "MAX_API_KEYS_PER_ORG_EXCEEDED");
        assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST);
        assert_eq!(err.parameters, vec![serde_json::json!(org), serde_json::json!(5)]);
        let listed: Vec<&str> = store.keys_in_org(&org).iter().map(|key| key.desc.as_str()).collect();
        assert_eq!(listed, ["Seeded organization owner key", "k0", "k1", "k2", "k3"]);
        store.delete_org_key(&org, &created[0]).expect("deleted");
        assert!(store
            .create_api_key_within(&org, "k5", vec!["ORG_MEMBER".into()], 5)
            .is_ok());
        let missing = store.create_api_key_within("0123456789abcdef01234567", "k", vec![], 5);
        assert_eq!(
            missing.err().map(|err| err.error_code.clone()),
            Some("ORG_NOT_FOUND".into())
        );
    }

    #[test]
    fn deleting_a_key_removes_its_assignments() {
        let mut store = Store::new();
        let seeded = store.create_org("acme", 1);
        let id = store
            .create_api_key(&seeded.org_id, "k", vec!["ORG_MEMBER".into()])
            .id
            .clone();
        let project = seeded.project_ids[0].clone();
        store
            .org_key_mut(&seeded.org_id, &id)
            .expect("key")
            .project_roles
            .insert(project.clone(), vec!["GROUP_OWNER".into()]);
        assert_eq!(store.keys_in_project(&project).len(), 1);
        store.delete_org_key(&seeded.org_id, &id).expect("deleted");
        assert!(store.keys_in_project(&project).is_empty());
        let again = store.delete_org_key(&seeded.org_id, &id);
        assert_eq!(
            again.err().map(|err| err.error_code.clone()),
            Some("API_KEY_NOT_FOUND".into())
        );
    }
}
