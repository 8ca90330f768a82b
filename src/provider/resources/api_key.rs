//! `mongodbatlas_api_key`: an organization programmatic API key.
//!
//! Atlas: `/orgs/{orgId}/apiKeys[/{apiUserId}]` (POST, GET, PATCH, DELETE).
//! Import ID: `<org_id>-<api_key_id>` (also `<org_id>/<api_key_id>`).
//! Atlas returns the private key only from POST, so Read keeps the value already in state,
//! and an imported key has a null private key. A key may also hold project roles (it can be
//! assigned to projects elsewhere); `role_names` holds only this organization's roles.
//! Read takes the key from the organization's listing that every read of the process shares
//! ([`listings::org_key`]), else from its own GET.
//!
//! State written by the official provider (SDKv2, schema version 0, the same attributes plus
//! `id` in its encoded form) upgrades in place: [`upgraded`] replaces that `id` with ours,
//! `{org_id}-{api_key_id}`, taking either part from the encoded one when the attribute is
//! missing. Our own states from before the `id` attribute get it the same way.
//!
//! A `moved` block from `mongodbatlas_project_api_key` turns that key into this type without
//! recreating it ([`moved`]); `org_id` stays empty until the first read learns it from the
//! private data the move left: the source state's organization, or (the official provider's
//! state has none) the organization of the first of its projects Atlas still has.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::atlas;
use crate::framework::{
    count, length, string, string_set, Applied, Cx, Diagnostic, Diagnostics, MoveFrom, MoveSource, Moved, Plan,
    Resource, Schema, Sensitive,
};
use crate::provider::errors::{self, OrDiagnose};
use crate::provider::validators::{self, MAX_ROLES};
use crate::provider::{import_id, listings, lookups, recover, secret};
use crate::value::Value;

use super::{moved, upgrade};

/// The resource type.
pub struct ApiKey;

/// State and configuration of one organization API key.
#[derive(Debug, Serialize, Deserialize)]
pub struct ApiKeyState {
    id: Option<String>,
    org_id: String,
    description: Option<String>,
    role_names: Option<BTreeSet<String>>,
    api_key_id: Option<String>,
    public_key: Option<String>,
    private_key: Option<Sensitive>,
}

/// Why `role_names` takes only organization roles.
const ORG_ROLES_ONLY: &str = "an organization API key takes organization roles (ORG_OWNER, ORG_MEMBER, \
    ORG_GROUP_CREATOR, ORG_BILLING_ADMIN, ORG_BILLING_READ_ONLY, ORG_READ_ONLY, ...); give it project roles \
    with mongodbatlas_api_key_project_assignment.";

#[async_trait]
impl Resource for ApiKey {
    type Client = atlas::Client;
    type State = ApiKeyState;
    const NAME: &'static str = "api_key";

    fn schema() -> Schema {
        Schema::new(
            "An organization programmatic API key. Atlas shows the private key once, when the key is created; \
             it is kept in Terraform state, so protect the state.",
        )
        .attributes([
            string("id")
                .computed()
                .use_state_for_unknown()
                .doc("The import ID, `{org_id}-{api_key_id}`."),
            string("org_id")
                .required()
                .requires_replace()
                .validate(validators::object_id())
                .doc("Unique 24-hexadecimal digit string that identifies the organization that owns the key. Changing it replaces the key."),
            string("description")
                .required()
                .validate(length(1..=250))
                .doc("Description of the key, 1 to 250 characters. Shown in the Atlas UI."),
            string_set("role_names")
                .required()
                .validate(count(1..=MAX_ROLES))
                .validate(validators::roles_with_prefix("ORG_", ORG_ROLES_ONLY))
                .doc("Organization roles granted to the key, such as `ORG_OWNER` or `ORG_READ_ONLY`. At least one, at most 100. Project roles of the key are not listed here."),
            string("api_key_id")
                .computed()
                .use_state_for_unknown()
                .doc("Unique 24-hexadecimal digit string that identifies the key."),
            string("public_key")
                .computed()
                .use_state_for_unknown()
                .doc("Public part of the key (the Digest user name)."),
            string("private_key")
                .computed()
                .sensitive()
                .use_state_for_unknown()
                .doc("Private part of the key. Atlas returns it only when the key is created; it is null for imported keys."),
        ])
    }

    fn modify_plan(prior: &Value, _config: &Value, _plan: &mut Plan, diags: &mut Diagnostics) {
        // Only a state moved from a project key and not yet read lacks the organization; a plan
        // from it would replace the key.
        if prior.get("org_id").as_str() == Some("") {
            diags.push(moved::not_refreshed("mongodbatlas_api_key", "organization (org_id)"));
        }
    }

    /// The organization is not required here: a state moved from the official provider's
    /// project key gets it at the first read (see [`moved`]), which also reports a state that
    /// lacks it for any other reason.
    fn upgrade(_version: i64, stored: Value) -> Result<Value, Diagnostics> {
        upgrade::require(upgraded(stored), "API key", &["api_key_id"], "{org_id}-{api_key_id}")
    }

    const MOVES_FROM: &'static [MoveFrom] = moved::FROM_PROJECT_KEY;

    fn move_state(source: MoveSource<'_>) -> Result<Moved, Diagnostics> {
        moved::org_key_from_project_key(&source.state)
    }

    async fn create(&self, cx: &Cx<atlas::Client>, planned: ApiKeyState) -> Applied<ApiKeyState> {
        let request = create_request(&planned);
        let org_id = planned.org_id.clone();
        let key = recover::create_or_adopt(
            cx,
            &RECOVERY,
            "Could not create API key",
            ERROR_ATTRS,
            cx.client.create_api_key(&planned.org_id, &request),
            |client| async move { client.list_api_keys(&org_id).await },
            |key| matches_request(&planned.org_id, &request, key),
            |id| format!("{}-{id}", planned.org_id),
        )
        .await?;
        listings::org_key_changed(&cx.client, &key.id);
        let private_key = key.private_key.as_ref().map(secret::sensitive);
        Ok(state_from_atlas(&planned.org_id, key, private_key))
    }

    async fn read(&self, cx: &Cx<atlas::Client>, prior: ApiKeyState) -> Result<Option<ApiKeyState>, Diagnostics> {
        let org_id = org_of(cx, &prior).await?;
        let found = listings::org_key(&cx.client, &org_id, prior.api_key_id())
            .await
            .or_diagnose("Could not read API key", ERROR_ATTRS)?;
        // Only a genuine not-found removes the key from state; every other error is reported.
        Ok(found.map(|key| {
            recover::claim(&key.id);
            state_from_atlas(&org_id, key, prior.private_key)
        }))
    }

    async fn update(&self, cx: &Cx<atlas::Client>, prior: ApiKeyState, planned: ApiKeyState) -> Applied<ApiKeyState> {
        recover::claim(prior.api_key_id());
        let request = atlas::UpdateApiKey {
            desc: planned.description.clone(),
            roles: planned.role_names.as_ref().map(|roles| roles.iter().cloned().collect()),
        };
        let updated = cx
            .client
            .update_api_key(&prior.org_id, prior.api_key_id(), &request)
            .await;
        // Also after a failure: Atlas may have applied the change before the answer was lost.
        listings::org_key_changed(&cx.client, prior.api_key_id());
        let updated = updated.or_diagnose("Could not update API key", ERROR_ATTRS)?;
        Ok(state_from_atlas(&prior.org_id, updated, prior.private_key))
    }

    async fn delete(&self, cx: &Cx<atlas::Client>, prior: ApiKeyState) -> Result<(), Diagnostics> {
        if prior.org_id.is_empty() {
            // A moved state not read yet (`destroy -refresh=false`): never guess the key is gone.
            return Err(moved::not_refreshed("mongodbatlas_api_key", "organization (org_id)").into());
        }
        let deleted = cx.client.delete_api_key(&prior.org_id, prior.api_key_id()).await;
        listings::org_key_deleted(&cx.client, &prior.org_id, prior.api_key_id());
        match deleted {
            // Already gone is what a delete wants.
            Err(err) if err.is_not_found() => Ok(()),
            result => Ok(result.or_diagnose("Could not delete API key", ERROR_ATTRS)?),
        }
    }

    async fn import(&self, cx: &Cx<atlas::Client>, id: &str) -> Result<ApiKeyState, Diagnostics> {
        let (org_id, api_key_id) =
            import_id::object_id_pair(id, "`{org_id}-{api_key_id}` (or `{org_id}/{api_key_id}`)")?;
        // Read fills in the rest; the private key cannot be recovered and stays null.
        cx.warn(secret::not_imported("private_key", &api_key_id));
        Ok(ApiKeyState {
            id: Some(format!("{org_id}-{api_key_id}")),
            org_id,
            description: None,
            role_names: None,
            api_key_id: Some(api_key_id),
            public_key: None,
            private_key: None,
        })
    }
}

impl ApiKeyState {
    /// The key's id; empty only in a state that was never created (Terraform never asks to read,
    /// update or delete one).
    fn api_key_id(&self) -> &str {
        self.api_key_id.as_deref().unwrap_or_default()
    }
}

/// The key's organization: `org_id` from state, or for a state just moved from a project key,
/// what the move left in the private data ([`moved::Hint`]): the source's organization, else
/// the organization of the first of its projects Atlas still has (`getGroup`, once per project
/// and process; a 404 tries the next). Errors when none of these is there, saying how to
/// import the key instead.
async fn org_of(cx: &Cx<atlas::Client>, prior: &ApiKeyState) -> Result<String, Diagnostics> {
    if !prior.org_id.is_empty() {
        return Ok(prior.org_id.clone());
    }
    let Some(hint) = moved::Hint::read(cx.private()) else {
        return Err(Diagnostic::error(
            "Could not read API key",
            "The stored state of this API key has no org_id (nor an `id` it can be read from), so the organization \
             of the key is unknown. Remove it from state with `terraform state rm <address>` and import it again with \
             `terraform import <address> {org_id}-{api_key_id}`.",
        )
        .into());
    };
    if let Some(org_id) = hint.moved_org_id {
        return Ok(org_id);
    }
    match lookups::first_project_org_id(&cx.client, &hint.moved_from_project_ids).await {
        Ok(org_id) => Ok(org_id),
        Err(err) if err.is_not_found() || hint.moved_from_project_ids.is_empty() => {
            Err(moved::organization_unknown(prior.api_key_id(), &hint.moved_from_project_ids).into())
        }
        Err(err) => {
            Err(errors::diagnose(&err, "Could not find the organization of the moved key's project", &[]).into())
        }
    }
}

/// Atlas error codes that blame one attribute, so Terraform underlines the right line.
const ERROR_ATTRS: &[(&str, &str)] = &[
    ("API_KEY_REQUIRES_DESCRIPTION", "description"),
    ("INVALID_API_KEY_DESC", "description"),
    ("MISSING_API_KEY_ROLES", "role_names"),
    ("INVALID_ROLE_FOR_ORG", "role_names"),
    ("INVALID_ENUM_VALUE", "role_names"),
    ("CANNOT_ADD_GROUP_ROLE", "role_names"),
    ("ORG_NOT_FOUND", "org_id"),
    ("INVALID_ORG_ID", "org_id"),
];

/// How recovery names this key type.
const RECOVERY: recover::Kind = recover::Kind {
    noun: "API key",
    secret: "private key",
    matched_by: "description and organization roles",
    listed_in: "the organization's API keys",
};

/// True when `key` has the description and exactly the organization roles `request` sent.
fn matches_request(org_id: &str, request: &atlas::CreateApiKey, key: &atlas::ApiKey) -> bool {
    let wanted: BTreeSet<&str> = request.roles.iter().map(String::as_str).collect();
    let held: BTreeSet<&str> = key
        .roles
        .iter()
        .filter(|role| role.org_id.as_deref() == Some(org_id))
        .map(|role| role.role_name.as_str())
        .collect();
    key.desc.as_deref() == Some(request.desc.as_str()) && held == wanted
}

fn create_request(planned: &ApiKeyState) -> atlas::CreateApiKey {
    atlas::CreateApiKey {
        desc: planned.description.clone().unwrap_or_default(),
        roles: planned.role_names.iter().flatten().cloned().collect(),
    }
}

/// The state for an Atlas key: organization roles of `org_id` only, and the private key
/// the caller kept (Atlas masks it after creation).
fn state_from_atlas(org_id: &str, key: atlas::ApiKey, private_key: Option<Sensitive>) -> ApiKeyState {
    let role_names = key
        .roles
        .iter()
        .filter(|role| role.role_name.starts_with("ORG_") && role.org_id.as_deref() == Some(org_id))
        .map(|role| role.role_name.clone())
        .collect();
    ApiKeyState {
        id: Some(format!("{org_id}-{}", key.id)),
        org_id: org_id.to_string(),
        description: key.desc,
        role_names: Some(role_names),
        api_key_id: Some(key.id),
        public_key: key.public_key,
        private_key,
    }
}

/// A stored state in the current shape (every version so far is 0, so shapes differ only by
/// content): `api_key_id` and `org_id` as stored, or taken from the official provider's encoded
/// `id` when missing, and `id` set to ours, `{org_id}-{api_key_id}` (null when a part is still
/// unknown). Attributes the official provider has and we do not were already dropped.
fn upgraded(mut stored: Value) -> Value {
    let stored_id = upgrade::text(&stored, "id");
    let from_id = |key| stored_id.as_deref().and_then(|id| upgrade::official_id_part(id, key));
    let api_key_id = upgrade::text(&stored, "api_key_id").or_else(|| from_id("api_key_id"));
    let org_id = upgrade::text(&stored, "org_id").or_else(|| from_id("org_id"));
    let id = upgrade::key_id(org_id.as_deref(), api_key_id.as_deref());
    for (name, value) in [("api_key_id", api_key_id), ("org_id", org_id)] {
        if let Some(value) = value {
            upgrade::set(&mut stored, name, Value::string(value));
        }
    }
    upgrade::set(&mut stored, "id", id);
    stored
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "5d09d6a59ccf6445652a444a";

    fn role(name: &str, org_id: Option<&str>, group_id: Option<&str>) -> atlas::RoleAssignment {
        atlas::RoleAssignment {
            role_name: name.to_string(),
            org_id: org_id.map(str::to_string),
            group_id: group_id.map(str::to_string),
        }
    }

    #[test]
    fn state_keeps_only_this_orgs_roles_and_the_prior_private_key() {
        let key: atlas::ApiKey = serde_json::from_value(serde_json::json!({
            "id": "6576974933969669aaaaaaaa",
            "desc": "d",
            "publicKey": "zmmrboas",
            "privateKey": "********-****-****-c4e26334754f",
            "roles": []
        }))
        .unwrap();
        let key = atlas::ApiKey {
            roles: vec![
                role("ORG_OWNER", Some(ORG), None),
                role("ORG_MEMBER", Some("aaaaaaaaaaaaaaaaaaaaaaaa"), None),
                role("GROUP_OWNER", None, Some("bbbbbbbbbbbbbbbbbbbbbbbb")),
            ],
            ..key
        };
        let state = state_from_atlas(ORG, key, Some(Sensitive::new("kept")));
        assert_eq!(state.role_names, Some(BTreeSet::from(["ORG_OWNER".to_string()])));
        assert_eq!(state.private_key.as_ref().map(Sensitive::expose), Some("kept"));
        assert_eq!(state.public_key.as_deref(), Some("zmmrboas"));
        assert_eq!(state.id, Some(format!("{ORG}-6576974933969669aaaaaaaa")));
        assert_eq!(format!("{:?}", state.private_key), "Some(<redacted>)");
    }

    #[test]
    fn recovery_matches_description_and_exactly_this_orgs_roles() {
        let request = atlas::CreateApiKey {
            desc: "twin".to_string(),
            roles: vec!["ORG_MEMBER".to_string()],
        };
        let key = |desc: &str, roles: Vec<atlas::RoleAssignment>| atlas::ApiKey {
            id: "6576974933969669aaaaaaaa".to_string(),
            desc: Some(desc.to_string()),
            public_key: None,
            private_key: None,
            roles,
        };
        let member = || role("ORG_MEMBER", Some(ORG), None);
        assert!(matches_request(ORG, &request, &key("twin", vec![member()])));
        // A project role does not change what the organization key holds.
        assert!(matches_request(
            ORG,
            &request,
            &key(
                "twin",
                vec![member(), role("GROUP_OWNER", None, Some("bbbbbbbbbbbbbbbbbbbbbbbb"))]
            )
        ));
        assert!(!matches_request(ORG, &request, &key("twin ", vec![member()])));
        assert!(!matches_request(ORG, &request, &key("twin", vec![])));
        assert!(!matches_request(
            ORG,
            &request,
            &key("twin", vec![member(), role("ORG_OWNER", Some(ORG), None)])
        ));
        assert!(!matches_request(
            ORG,
            &request,
            &key("twin", vec![role("ORG_MEMBER", Some("aaaaaaaaaaaaaaaaaaaaaaaa"), None)])
        ));
    }

    const KEY: &str = "6576974933969669aaaaaaaa";
    /// What the official provider keeps in `id` for `{api_key_id: KEY, org_id: ORG}`.
    const OFFICIAL_ID: &str =
        "YXBpX2tleV9pZA==:NjU3Njk3NDkzMzk2OTY2OWFhYWFhYWFh-b3JnX2lk:NWQwOWQ2YTU5Y2NmNjQ0NTY1MmE0NDRh";

    /// A stored state as the lenient decode hands it over: every attribute of the schema, null
    /// unless given in `pairs`.
    fn stored(pairs: &[(&str, Value)]) -> Value {
        let crate::value::Type::Object(fields) = ApiKey::schema().value_type() else {
            panic!("object type")
        };
        let mut state: std::collections::BTreeMap<String, Value> =
            fields.keys().map(|name| (name.clone(), Value::Null)).collect();
        for (name, value) in pairs {
            state.insert(name.to_string(), value.clone());
        }
        Value::Object(state)
    }

    fn official(id: &str, api_key_id: &str, org_id: &str) -> Value {
        stored(&[
            ("id", Value::string(id)),
            ("org_id", Value::string(org_id)),
            ("api_key_id", Value::string(api_key_id)),
            ("description", Value::string("d")),
            ("role_names", Value::Set(vec![Value::string("ORG_MEMBER")])),
            ("public_key", Value::string("zmmrboas")),
            ("private_key", Value::string("secret")),
        ])
    }

    #[test]
    fn upgrade_table() {
        let ours = format!("{ORG}-{KEY}");
        let with_id = |state: &Value, id: Value| {
            let mut state = state.clone();
            upgrade::set(&mut state, "id", id);
            state
        };
        let cases: Vec<(&str, Value, Value)> = vec![
            (
                "official state: the encoded id becomes ours, nothing else changes",
                official(OFFICIAL_ID, KEY, ORG),
                official(&ours, KEY, ORG),
            ),
            (
                "official state with parts missing or empty: taken from the encoded id",
                official(OFFICIAL_ID, "", ""),
                official(&ours, KEY, ORG),
            ),
            (
                "our own state from before the id attribute",
                with_id(&official("", KEY, ORG), Value::Null),
                official(&ours, KEY, ORG),
            ),
            (
                "our current state stays as it is",
                official(&ours, KEY, ORG),
                official(&ours, KEY, ORG),
            ),
            (
                "an id in no known form is replaced",
                official("legacy", KEY, ORG),
                official(&ours, KEY, ORG),
            ),
            (
                "no way to know the key: id null, for the decode check to report",
                official("legacy", "", ORG),
                with_id(&official("", "", ORG), Value::Null),
            ),
        ];
        for (name, input, expected) in cases {
            assert_eq!(upgraded(input), expected, "{name}");
        }
    }

    #[test]
    fn create_request_sends_description_and_roles() {
        let planned = ApiKeyState {
            id: None,
            org_id: ORG.to_string(),
            description: Some("My API Key".to_string()),
            role_names: Some(BTreeSet::from(["ORG_OWNER".to_string(), "ORG_READ_ONLY".to_string()])),
            api_key_id: None,
            public_key: None,
            private_key: None,
        };
        let request = create_request(&planned);
        assert_eq!(request.desc, "My API Key");
        assert_eq!(
            request.roles,
            vec!["ORG_OWNER".to_string(), "ORG_READ_ONLY".to_string()]
        );
    }
}
