//! Claims on Atlas objects that have no ID of their own, so that two resources of one
//! configuration never both take the same object.
//!
//! An assignment of a key to a project, or the rate limit of a model group, is named by its
//! path alone: two resources with the same arguments would both "create" it and then fight over
//! it at every apply. Terraform creates the resources of one apply in one provider process, so a
//! per-process claim taken by create refuses the second resource before it calls Atlas. A claim
//! lasts for the life of the process once the create succeeds, ends when its create fails, and
//! ends on delete, so a replacement in the same apply may take it again.
//!
//! That claim is per process: a resource created by an earlier apply is not known to a later
//! process. Types whose objects Atlas can tell apart (an assignment exists or not) also check
//! Atlas before creating. A rate limit always exists, so it also claims at plan time
//! ([`claim_in_plan`]): Terraform plans every resource of a configuration once per walk, in one
//! provider process per provider configuration, so two resources planning one object meet there
//! whether they are new or already in state.

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex};

use crate::atlas;
use crate::framework::Diagnostic;

/// Every claimed object of this process, as `"{base_url} {type} {object}"`.
static CLAIMED: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

fn claimed() -> std::sync::MutexGuard<'static, HashSet<String>> {
    // A poisoned lock only means another caller panicked while inserting; the set is intact.
    CLAIMED.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A claim on one object during its create; released on drop unless [`Claim::keep`] ran.
#[must_use = "a claim dropped at once releases the object"]
pub struct Claim(Option<String>);

impl Claim {
    fn entry(client: &atlas::Client, type_name: &str, object: &str) -> String {
        format!("{} {type_name} {object}", client.base_url())
    }

    /// Claims `object` of `type_name` (for example `"{project_id}/{api_key_id}"`), or returns
    /// `refused` when another resource of this process holds it.
    pub fn take(
        client: &atlas::Client,
        type_name: &str,
        object: &str,
        refused: impl FnOnce() -> Diagnostic,
    ) -> Result<Claim, Diagnostic> {
        let entry = Claim::entry(client, type_name, object);
        if !claimed().insert(entry.clone()) {
            return Err(refused());
        }
        Ok(Claim(Some(entry)))
    }

    /// Keeps the claim for the life of the process: the object now belongs to a resource.
    pub fn keep(mut self) {
        self.0 = None;
    }

    /// Releases the claim on a deleted object, so a later create in this process may take it.
    pub fn release(client: &atlas::Client, type_name: &str, object: &str) {
        claimed().remove(&Claim::entry(client, type_name, object));
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Some(entry) = self.0.take() {
            claimed().remove(&entry);
        }
    }
}

/// Objects planned in this process, as `"{type} {object}"`, with the fingerprint of the plan
/// that claimed each.
static PLANNED: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Claims `object` of `type_name` for the plan whose configuration reads as `fingerprint`.
/// False when a plan with another fingerprint claimed it in this process: two resources of the
/// configuration plan the same object. A resource planned again (a replacement is planned twice)
/// keeps its claim, so it never conflicts with itself; two resources configured identically are
/// left to the create-time claim.
pub fn claim_in_plan(type_name: &str, object: &str, fingerprint: String) -> bool {
    let mut planned = PLANNED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let held = planned
        .entry(format!("{type_name} {object}"))
        .or_insert_with(|| fingerprint.clone());
    *held == fingerprint
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_is_refused_until_the_first_is_released() {
        let client = atlas::Client::new(atlas::Config::new(
            "http://127.0.0.1:9",
            atlas::Credentials::AccessToken("t".to_owned().into()),
            "test",
        ))
        .expect("client");
        let refused = || Diagnostic::error("taken", "taken");
        let take = || Claim::take(&client, "t", "p/k", refused);
        let first = take().expect("first claim");
        assert_eq!(take().err().map(|d| d.summary), Some("taken".to_string()));
        assert!(
            Claim::take(&client, "other_type", "p/k", refused).is_ok(),
            "types apart"
        );
        drop(first);
        take().expect("free after a failed create").keep();
        assert!(take().is_err(), "kept after a create");
        Claim::release(&client, "t", "p/k");
        take().expect("free after a delete").keep();
        Claim::release(&client, "t", "p/k");
    }

    #[test]
    fn a_plan_claim_refuses_another_plan_but_not_the_same_one() {
        assert!(claim_in_plan("t", "p/ANY/ANY/g", "first".to_string()));
        assert!(
            claim_in_plan("t", "p/ANY/ANY/g", "first".to_string()),
            "the same plan again"
        );
        assert!(!claim_in_plan("t", "p/ANY/ANY/g", "second".to_string()));
        assert!(claim_in_plan("t", "p/ANY/ANY/other", "second".to_string()));
    }
}
