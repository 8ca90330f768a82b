//! Listings a provider process shares between its reads, so that refreshing N objects of one
//! parent costs one listing instead of N GETs.
//!
//! Terraform refreshes each resource with its own ReadResource call, many at once, all served
//! by one provider process per walk. Here the first read of an object of a parent (the keys of
//! an organization, the entries of a key's access list, the AI model keys or the rate limits of
//! a project) lists the parent's objects (every page, 500 per page), concurrent reads of the
//! same parent wait for that listing (single flight), and each read takes its object from it.
//! The helpers at the bottom ([`org_key`], [`access_list_entry`], [`ai_model_api_key`],
//! [`ai_model_rate_limit`]) are what resources and data sources call.
//!
//! - **Absent is not gone.** An object missing from a listing gets its own GET, and only a
//!   genuine not-found from that GET means it is gone; state is never dropped on a listing alone.
//! - **Our own changes win.** Every create, update and delete the provider makes records the
//!   object as changed ([`Listings::changed`], after the call, whatever its outcome); a listing
//!   whose flight began before that record never serves that object again (its read does its
//!   own GET), and never serves a whole-list read again (that read lists anew). A listing that
//!   was in flight while the change happened counts as begun before it.
//! - **A refused listing is every waiting read's answer.** When Atlas answers a listing with an
//!   error status other than a not-found (a 429 after the client's retries, a 401, 403 or 5xx),
//!   each read waiting on it gets that answer: its own GET would meet the same refusal, and N
//!   more requests are what a rate limit or a wrong key must not get. Any other failure (no
//!   answer, a not-found of the parent, an unreadable body) leaves each waiting read to its own
//!   GET, as if there were no listing. Reads that arrive later get a refusal too (Terraform
//!   sends them in waves of its parallelism: listing again per wave would repeat the refused
//!   request N / parallelism times), except a read of an object the provider changed since,
//!   which does its own GET; after a listing without an answer they list anew.
//! - **Scope.** Entries are keyed by the client's base URL as well, like [`super::lookups`].
//!
//! The listings' items carry every field the single GETs do (the contract gives each list and
//! its GET the same item schema: `ApiKeyUserDetails`, `UserAccessListResponse`,
//! `AiModelApiKeyResponse`, `AiModelRateLimitResponse`), and reads never take a secret from a
//! listing: Atlas masks them there as in every GET.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};

use tokio::sync::OnceCell;

use crate::atlas;
use crate::provider::network::Network;

/// The objects of one parent as one listing found them, in Atlas's order, with an index by id.
struct Listed<T> {
    items: Vec<T>,
    by_id: HashMap<String, usize>,
}

/// How one listing ended.
enum Outcome<T> {
    /// The parent's objects.
    Listed(Arc<Listed<T>>),
    /// Atlas answered with an error status other than a not-found; a GET would get the same.
    Refused(Box<atlas::ApiError>),
    /// No usable answer (transport, timeout, decode, cancellation, a not-found of the parent).
    Failed,
}

impl<T> Clone for Outcome<T> {
    fn clone(&self) -> Self {
        match self {
            Outcome::Listed(listed) => Outcome::Listed(Arc::clone(listed)),
            Outcome::Refused(api) => Outcome::Refused(api.clone()),
            Outcome::Failed => Outcome::Failed,
        }
    }
}

/// One listing of one parent: the parent's generation when it was made, and its outcome.
struct Flight<T> {
    generation: u64,
    outcome: OnceCell<Outcome<T>>,
}

impl<T> Flight<T> {
    /// Whether the listing ended without the parent's objects.
    fn failed(&self) -> bool {
        !matches!(self.outcome.get(), None | Some(Outcome::Listed(_)))
    }

    /// Whether the listing ended without any answer from Atlas (worth asking again).
    fn unanswered(&self) -> bool {
        matches!(self.outcome.get(), Some(Outcome::Failed))
    }
}

/// What one parent's listings know: a counter of changes the provider made under it, the
/// generation of each object's last change, and the newest listing.
struct Parent<T> {
    generation: u64,
    changed: HashMap<String, u64>,
    all_changed: u64,
    current: Option<Arc<Flight<T>>>,
}

impl<T> Default for Parent<T> {
    fn default() -> Self {
        Parent {
            generation: 0,
            changed: HashMap::new(),
            all_changed: 0,
            current: None,
        }
    }
}

impl<T> Parent<T> {
    /// Whether `flight` began after the provider's last change of object `id`.
    fn fresh_for(&self, flight: &Flight<T>, id: &str) -> bool {
        self.all_changed <= flight.generation
            && self.changed.get(id).is_none_or(|changed| *changed <= flight.generation)
    }

    /// A new flight at the current generation, made the newest.
    fn new_flight(&mut self) -> Arc<Flight<T>> {
        let flight = Arc::new(Flight {
            generation: self.generation,
            outcome: OnceCell::new(),
        });
        self.current = Some(Arc::clone(&flight));
        flight
    }
}

/// Per-process listings of one kind of object, by (base URL, parent). `id_of` names an item
/// as [`Listings::item`] and [`Listings::changed`] are asked about it.
pub struct Listings<T> {
    parents: Mutex<HashMap<(String, String), Parent<T>>>,
    id_of: fn(&T) -> Option<String>,
}

impl<T: Clone> Listings<T> {
    /// No listings yet; `id_of` gives an item's id (`None` for an item that cannot be matched).
    pub fn new(id_of: fn(&T) -> Option<String>) -> Self {
        Listings {
            parents: Mutex::new(HashMap::new()),
            id_of,
        }
    }

    fn with_parent<R>(&self, client: &atlas::Client, parent: &str, f: impl FnOnce(&mut Parent<T>) -> R) -> R {
        // A poisoned lock only means another caller panicked while holding it; the map is
        // still consistent (every update is a few assignments).
        let mut parents = self.parents.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(parents
            .entry((client.base_url().to_owned(), parent.to_owned()))
            .or_default())
    }

    /// Object `id` of `parent` from the newest listing, made with `list` when there is none or
    /// the newest got no answer: `Ok(None)` when the listing does not hold it, failed without an
    /// answer, or began before the provider's last change of `id` (the caller then does its own
    /// GET); Atlas's refusal of the listing when it refused it (see the module docs).
    pub async fn item<F, Fut>(
        &self,
        client: &atlas::Client,
        parent: &str,
        id: &str,
        list: F,
    ) -> Result<Option<T>, atlas::Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<T>, atlas::Error>>,
    {
        let flight = self.with_parent(client, parent, |state| match &state.current {
            Some(flight) if flight.unanswered() => Some(state.new_flight()),
            Some(flight) if state.fresh_for(flight, id) => Some(Arc::clone(flight)),
            // Only our own change makes the newest listing too old for `id`: one GET is
            // cheaper than listing the whole parent again.
            Some(_) => None,
            None => Some(state.new_flight()),
        });
        let Some(flight) = flight else {
            return Ok(None);
        };
        let listed = match self.fly(&flight, list, &mut None).await {
            Outcome::Listed(listed) => listed,
            Outcome::Refused(api) => return Err(atlas::Error::Api(api)),
            Outcome::Failed => return Ok(None),
        };
        let fresh = self.with_parent(client, parent, |state| state.fresh_for(&flight, id));
        Ok(listed
            .by_id
            .get(id)
            .filter(|_| fresh)
            .and_then(|index| listed.items.get(*index).cloned()))
    }

    /// Every object of `parent`, from a listing that began after the provider's last change
    /// under it (made with `list` when the newest one did not). Errors as `list` does.
    pub async fn all<F, Fut>(&self, client: &atlas::Client, parent: &str, list: F) -> Result<Vec<T>, atlas::Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Vec<T>, atlas::Error>>,
    {
        // A change during the flight makes it too old; after a few such races list directly.
        for _ in 0..3 {
            let flight = self.with_parent(client, parent, |state| match &state.current {
                Some(flight) if flight.generation == state.generation && !flight.failed() => Arc::clone(flight),
                _ => state.new_flight(),
            });
            let mut own_error = None;
            let listed = match self.fly(&flight, &list, &mut own_error).await {
                Outcome::Listed(listed) => listed,
                _ => {
                    return match own_error {
                        Some(err) => Err(err),
                        // Another reader's listing failed; this one asks for itself.
                        None => list().await,
                    };
                }
            };
            if self.with_parent(client, parent, |state| state.generation == flight.generation) {
                return Ok(listed.items.clone());
            }
        }
        list().await
    }

    /// Records that the provider changed (created, updated, deleted, or tried to) object `id`
    /// of `parent`: no listing that began before this call serves it again.
    pub fn changed(&self, client: &atlas::Client, parent: &str, id: &str) {
        self.with_parent(client, parent, |state| {
            state.generation += 1;
            state.changed.insert(id.to_owned(), state.generation);
        });
    }

    /// [`Listings::changed`] under every parent listed so far (for a change whose parent the
    /// caller does not know; a parent listed later is listed after the change anyway).
    pub fn changed_everywhere(&self, client: &atlas::Client, id: &str) {
        let mut parents = self.parents.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for ((base_url, _), state) in parents.iter_mut() {
            if base_url == client.base_url() {
                state.generation += 1;
                state.changed.insert(id.to_owned(), state.generation);
            }
        }
    }

    /// Records a change of every object of `parent` (the parent itself was deleted).
    pub fn changed_all(&self, client: &atlas::Client, parent: &str) {
        self.with_parent(client, parent, |state| {
            state.generation += 1;
            state.all_changed = state.generation;
        });
    }

    /// The outcome of `flight`, listing with `list` when nobody has yet; a failure of this
    /// caller's own listing is left in `own_error`.
    async fn fly<F, Fut>(&self, flight: &Flight<T>, list: F, own_error: &mut Option<atlas::Error>) -> Outcome<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<T>, atlas::Error>>,
    {
        let id_of = self.id_of;
        flight
            .outcome
            .get_or_init(|| async {
                match list().await {
                    Ok(items) => {
                        let by_id = items
                            .iter()
                            .enumerate()
                            .filter_map(|(index, item)| id_of(item).map(|id| (id, index)))
                            .collect();
                        Outcome::Listed(Arc::new(Listed { items, by_id }))
                    }
                    Err(err) => {
                        let outcome = match &err {
                            atlas::Error::Api(api) if !err.is_not_found() => {
                                tracing::debug!("listing refused ({err}); the waiting reads get the same answer");
                                Outcome::Refused(api.clone())
                            }
                            _ => {
                                tracing::debug!("listing failed ({err}); each read asks for its own object");
                                Outcome::Failed
                            }
                        };
                        *own_error = Some(err);
                        outcome
                    }
                }
            })
            .await
            .clone()
    }
}

/// Organization API keys by organization (`listOrgApiKeys`), by key id.
pub static ORG_KEYS: LazyLock<Listings<atlas::ApiKey>> = LazyLock::new(|| Listings::new(|key| Some(key.id.clone())));

/// Access-list entries by `{org_id}/{api_key_id}` (`listOrgApiKeyAccessListEntries`), by the
/// entry's CIDR block (an address is its `/32` or `/128`).
pub static ACCESS_LISTS: LazyLock<Listings<atlas::AccessListEntry>> = LazyLock::new(|| Listings::new(entry_cidr));

/// AI model API keys by project (`listGroupAiModelApiKeys`), by key id.
pub static AI_MODEL_API_KEYS: LazyLock<Listings<atlas::AiModelApiKey>> =
    LazyLock::new(|| Listings::new(|key| Some(key.api_key_id.clone())));

/// AI model rate limits by project (`getGroupAiModelApiRateLimits`), by
/// `{cloud}/{geography}/{model_group_name}`.
pub static AI_MODEL_RATE_LIMITS: LazyLock<Listings<atlas::AiModelRateLimit>> = LazyLock::new(|| {
    Listings::new(|limit| {
        Some(limit_id(&atlas::ModelGroupScope {
            cloud: limit.cloud.as_deref()?,
            geography: limit.geography.as_deref()?,
            model_group_name: limit.model_group_name.as_deref()?,
        }))
    })
});

/// The parent of a key's access list in [`ACCESS_LISTS`].
pub fn access_list_parent(org_id: &str, api_key_id: &str) -> String {
    format!("{org_id}/{api_key_id}")
}

/// A rate limit's id in [`AI_MODEL_RATE_LIMITS`].
pub fn limit_id(scope: &atlas::ModelGroupScope<'_>) -> String {
    format!("{}/{}/{}", scope.cloud, scope.geography, scope.model_group_name)
}

/// An entry's id in [`ACCESS_LISTS`]: its canonical CIDR block.
fn entry_cidr(entry: &atlas::AccessListEntry) -> Option<String> {
    entry
        .cidr_block
        .as_deref()
        .and_then(Network::entry)
        .or_else(|| entry.ip_address.as_deref().and_then(Network::entry))
        .map(|network| network.to_cidr())
}

/// Organization key `api_key_id` (`getOrgApiKey`): from the organization's listing, else its
/// own GET. `Ok(None)` only for a genuine not-found of that GET.
pub async fn org_key(
    client: &atlas::Client,
    org_id: &str,
    api_key_id: &str,
) -> Result<Option<atlas::ApiKey>, atlas::Error> {
    let listed = ORG_KEYS
        .item(client, org_id, api_key_id, || client.list_api_keys(org_id))
        .await?;
    match listed {
        Some(key) => Ok(Some(key)),
        None => client.get_api_key_opt(org_id, api_key_id).await,
    }
}

/// Records a change the provider made to organization key `api_key_id` (its description, its
/// roles, its project assignments), in whichever organization holds it (key ids are unique).
pub fn org_key_changed(client: &atlas::Client, api_key_id: &str) {
    ORG_KEYS.changed_everywhere(client, api_key_id);
}

/// Records that organization key `api_key_id` was deleted (or a delete was tried); its access
/// list went with it.
pub fn org_key_deleted(client: &atlas::Client, org_id: &str, api_key_id: &str) {
    ORG_KEYS.changed(client, org_id, api_key_id);
    ACCESS_LISTS.changed_all(client, &access_list_parent(org_id, api_key_id));
}

/// Entry `network` of a key's access list (`getOrgApiKeyAccessListEntry`): from the key's
/// listing, else its own GET. `Ok(None)` only for a genuine not-found of that GET.
pub async fn access_list_entry(
    client: &atlas::Client,
    org_id: &str,
    api_key_id: &str,
    network: &Network,
) -> Result<Option<atlas::AccessListEntry>, atlas::Error> {
    Ok(
        match listed_access_list_entry(client, org_id, api_key_id, network).await? {
            Some(entry) => Some(entry),
            None => {
                client
                    .get_access_list_entry_opt(org_id, api_key_id, &network.to_entry())
                    .await?
            }
        },
    )
}

/// Entry `network` from the key's listing only (`Ok(None)` when the listing does not serve it;
/// Atlas's refusal of the listing as an error).
pub async fn listed_access_list_entry(
    client: &atlas::Client,
    org_id: &str,
    api_key_id: &str,
    network: &Network,
) -> Result<Option<atlas::AccessListEntry>, atlas::Error> {
    ACCESS_LISTS
        .item(
            client,
            &access_list_parent(org_id, api_key_id),
            &network.to_cidr(),
            || client.list_access_list_entries(org_id, api_key_id),
        )
        .await
}

/// Records a change the provider made to entry `network` of a key's access list.
pub fn access_list_entry_changed(client: &atlas::Client, org_id: &str, api_key_id: &str, network: &Network) {
    ACCESS_LISTS.changed(client, &access_list_parent(org_id, api_key_id), &network.to_cidr());
}

/// AI model key `api_key_id` of a project (`getGroupAiModelApiKey`): from the project's
/// listing, else its own GET. `Ok(None)` only for a genuine not-found of that GET.
pub async fn ai_model_api_key(
    client: &atlas::Client,
    project_id: &str,
    api_key_id: &str,
) -> Result<Option<atlas::AiModelApiKey>, atlas::Error> {
    let listed = AI_MODEL_API_KEYS
        .item(client, project_id, api_key_id, || {
            client.list_ai_model_api_keys(project_id)
        })
        .await?;
    match listed {
        Some(key) => Ok(Some(key)),
        None => client.get_ai_model_api_key_opt(project_id, api_key_id).await,
    }
}

/// The project's rate limit of one model group from the project's listing only (`Ok(None)`
/// when the listing does not serve it; the caller does its own GET, whose errors it maps
/// itself; Atlas's refusal of the listing as an error).
pub async fn listed_ai_model_rate_limit(
    client: &atlas::Client,
    project_id: &str,
    scope: atlas::ModelGroupScope<'_>,
) -> Result<Option<atlas::AiModelRateLimit>, atlas::Error> {
    AI_MODEL_RATE_LIMITS
        .item(client, project_id, &limit_id(&scope), || {
            client.list_ai_model_rate_limits(project_id)
        })
        .await
}

/// The project's rate limit of one model group
/// (`getGroupAiModelApiCloudGeographyModelGroupNameRateLimits`): from the project's listing,
/// else its own GET. `Ok(None)` only for a genuine not-found of that GET.
pub async fn ai_model_rate_limit(
    client: &atlas::Client,
    project_id: &str,
    scope: atlas::ModelGroupScope<'_>,
) -> Result<Option<atlas::AiModelRateLimit>, atlas::Error> {
    match listed_ai_model_rate_limit(client, project_id, scope).await? {
        Some(limit) => Ok(Some(limit)),
        None => client.get_ai_model_rate_limit_opt(project_id, scope).await,
    }
}

/// Every key of the organization (`listOrgApiKeys`, all pages), from a listing that began after
/// the provider's last change of a key there.
pub async fn org_keys(client: &atlas::Client, org_id: &str) -> Result<Vec<atlas::ApiKey>, atlas::Error> {
    ORG_KEYS.all(client, org_id, || client.list_api_keys(org_id)).await
}

/// Every entry of a key's access list (`listOrgApiKeyAccessListEntries`, all pages), from a
/// listing that began after the provider's last change there.
pub async fn access_list(
    client: &atlas::Client,
    org_id: &str,
    api_key_id: &str,
) -> Result<Vec<atlas::AccessListEntry>, atlas::Error> {
    ACCESS_LISTS
        .all(client, &access_list_parent(org_id, api_key_id), || {
            client.list_access_list_entries(org_id, api_key_id)
        })
        .await
}

/// Every AI model key of the project (`listGroupAiModelApiKeys`, all pages), from a listing
/// that began after the provider's last change there.
pub async fn ai_model_api_keys(
    client: &atlas::Client,
    project_id: &str,
) -> Result<Vec<atlas::AiModelApiKey>, atlas::Error> {
    AI_MODEL_API_KEYS
        .all(client, project_id, || client.list_ai_model_api_keys(project_id))
        .await
}

/// The project's limit of every model group (`getGroupAiModelApiRateLimits`, all pages), from
/// a listing that began after the provider's last change there.
pub async fn ai_model_rate_limits(
    client: &atlas::Client,
    project_id: &str,
) -> Result<Vec<atlas::AiModelRateLimit>, atlas::Error> {
    AI_MODEL_RATE_LIMITS
        .all(client, project_id, || client.list_ai_model_rate_limits(project_id))
        .await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn client(base_url: &str) -> atlas::Client {
        let credentials = atlas::Credentials::Digest {
            public_key: "zmmrboas".into(),
            private_key: "55c3bbb6-b4bb-0be1-e66d20841f3e".to_owned().into(),
        };
        atlas::Client::new(atlas::Config::new(base_url, credentials, "tf/1.0")).unwrap_or_else(|err| panic!("{err}"))
    }

    fn listings() -> Listings<String> {
        Listings::new(|item| Some(item.clone()))
    }

    type Listed<'a> = std::pin::Pin<Box<dyn Future<Output = Result<Vec<String>, atlas::Error>> + Send + 'a>>;

    /// A listing of `items` that counts its calls.
    fn listing<'a>(calls: &'a AtomicUsize, items: &'a [&'a str]) -> impl Fn() -> Listed<'a> + 'a {
        move || {
            Box::pin(async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                Ok(items.iter().map(|item| item.to_string()).collect())
            })
        }
    }

    fn failing() -> Listed<'static> {
        Box::pin(async { Err(atlas::Error::Cancelled) })
    }

    #[tokio::test]
    async fn concurrent_reads_share_one_listing_and_absent_items_are_not_served() {
        let (cache, client, calls) = (listings(), client("http://127.0.0.1:9"), AtomicUsize::new(0));
        let list = listing(&calls, &["a", "b"]);
        let (a, b, c) = tokio::join!(
            cache.item(&client, "org", "a", &list),
            cache.item(&client, "org", "b", &list),
            cache.item(&client, "org", "gone", &list),
        );
        assert_eq!(
            (a.unwrap().as_deref(), b.unwrap().as_deref(), c.unwrap()),
            (Some("a"), Some("b"), None)
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one listing for three reads");
        assert_eq!(
            cache.all(&client, "org", &list).await.ok(),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the whole-list read shares it too");
        // Another parent, or another Atlas, lists on its own.
        cache.item(&client, "other", "a", &list).await.unwrap();
        cache
            .item(&self::client("http://127.0.0.1:10"), "org", "a", &list)
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_change_makes_older_listings_unusable_for_that_item_and_for_whole_lists() {
        let (cache, client, calls) = (listings(), client("http://127.0.0.1:9"), AtomicUsize::new(0));
        let list = listing(&calls, &["a", "b"]);
        assert!(cache.item(&client, "org", "a", &list).await.unwrap().is_some());
        cache.changed(&client, "org", "a");
        assert_eq!(
            cache.item(&client, "org", "a", &list).await.unwrap(),
            None,
            "a changed: its own GET"
        );
        assert_eq!(
            cache.item(&client, "org", "b", &list).await.unwrap().as_deref(),
            Some("b")
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1, "item reads do not list again");
        cache
            .all(&client, "org", &list)
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "a whole-list read lists after the change"
        );
        assert_eq!(
            cache.item(&client, "org", "a", &list).await.unwrap().as_deref(),
            Some("a")
        );
        cache.changed_everywhere(&client, "b");
        assert_eq!(cache.item(&client, "org", "b", &list).await.unwrap(), None);
        cache.changed_all(&client, "org");
        assert_eq!(cache.item(&client, "org", "a", &list).await.unwrap(), None);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_listing_in_flight_during_a_change_does_not_serve_the_changed_item() {
        let (cache, client) = (listings(), client("http://127.0.0.1:9"));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
        let slow = || async move {
            let _ = started_tx.send(());
            let _ = release_rx.await;
            Ok(vec!["a".to_string(), "b".to_string()])
        };
        let read = cache.item(&client, "org", "a", slow);
        let change = async {
            let _ = started_rx.await;
            cache.changed(&client, "org", "a");
            let _ = release_tx.send(());
        };
        let (found, ()) = tokio::join!(read, change);
        assert_eq!(found.unwrap(), None, "the listing began before the change");
        assert_eq!(
            cache
                .item(&client, "org", "b", || async { Ok(Vec::new()) })
                .await
                .unwrap()
                .as_deref(),
            Some("b"),
            "the other item is still served"
        );
    }

    #[tokio::test]
    async fn a_failed_listing_leaves_item_reads_to_their_own_gets_and_whole_lists_get_the_error() {
        let (cache, client, calls) = (listings(), client("http://127.0.0.1:9"), AtomicUsize::new(0));
        assert_eq!(cache.item(&client, "org", "a", failing).await.unwrap(), None);
        let list = listing(&calls, &["a"]);
        assert_eq!(
            cache.item(&client, "org", "a", &list).await.unwrap().as_deref(),
            Some("a"),
            "a read after the failed listing lists anew"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(cache.all(&client, "org2", failing).await.is_err(), "the error itself");
        assert_eq!(cache.all(&client, "org", &list).await.ok(), Some(vec!["a".to_string()]));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "a whole-list read shares the good listing"
        );
    }

    #[tokio::test]
    async fn a_refused_listing_is_the_answer_of_every_read_waiting_on_it() {
        let (cache, client, calls) = (listings(), client("http://127.0.0.1:9"), AtomicUsize::new(0));
        let refused = |status: u16, code: &str| {
            atlas::ApiError::from_response(
                "GET",
                "/api/atlas/v2/orgs/org/apiKeys",
                status,
                format!(r#"{{"error":{status},"errorCode":"{code}","detail":"no"}}"#).as_bytes(),
                None,
            )
        };
        let rate_limited = || {
            calls.fetch_add(1, Ordering::SeqCst);
            let api = refused(429, "RATE_LIMITED");
            async move {
                tokio::task::yield_now().await;
                Err::<Vec<String>, _>(atlas::Error::Api(Box::new(api)))
            }
        };
        let (a, b) = tokio::join!(
            cache.item(&client, "org", "a", rate_limited),
            cache.item(&client, "org", "b", rate_limited),
        );
        for read in [a, b] {
            let err = read.expect_err("the refusal is the read's answer");
            assert_eq!(err.api().map(|api| api.status), Some(429), "{err}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one listing, and no GET after it");
        // A read that arrives later (Terraform's next wave) gets the refusal without a request,
        // until the provider changes something there.
        let later = cache.item(&client, "org", "c", rate_limited).await;
        assert_eq!(later.expect_err("still refused").api().map(|api| api.status), Some(429));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the refusal is not asked for again");
        cache.changed(&client, "org", "d");
        let after_change = cache.item(&client, "org", "c", rate_limited).await;
        assert!(
            after_change.is_err(),
            "a change of another object leaves c's answer as it was"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // A not-found of the parent is no answer about the object: its own GET decides.
        let not_found =
            || async { Err::<Vec<String>, _>(atlas::Error::Api(Box::new(refused(404, "API_KEY_NOT_FOUND")))) };
        assert_eq!(cache.item(&client, "gone", "a", not_found).await.unwrap(), None);
    }

    #[test]
    fn entries_are_named_by_their_canonical_cidr_and_limits_by_their_path() {
        let entry = |ip: Option<&str>, cidr: Option<&str>| atlas::AccessListEntry {
            ip_address: ip.map(str::to_string),
            cidr_block: cidr.map(str::to_string),
            count: None,
            created: None,
            last_used: None,
            last_used_address: None,
        };
        assert_eq!(
            entry_cidr(&entry(Some("203.0.113.10"), None)).as_deref(),
            Some("203.0.113.10/32")
        );
        assert_eq!(
            entry_cidr(&entry(Some("203.0.113.10"), Some("203.0.113.10/32"))).as_deref(),
            Some("203.0.113.10/32")
        );
        assert_eq!(
            entry_cidr(&entry(None, Some("10.0.0.0/8"))).as_deref(),
            Some("10.0.0.0/8")
        );
        assert_eq!(entry_cidr(&entry(None, None)), None);
        let scope = atlas::ModelGroupScope {
            cloud: "ANY",
            geography: "ANY",
            model_group_name: "embed_large",
        };
        assert_eq!(limit_id(&scope), "ANY/ANY/embed_large");
    }
}
