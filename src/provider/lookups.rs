//! Facts about Atlas that a provider process looks up once and shares between its calls.
//!
//! Terraform runs one provider process per walk (plan, apply) and provider configuration, and
//! every resource and data source of that walk is served by it. Facts that cannot change during
//! such a run are asked for once: [`project_org_id`] calls `getGroup` once per project, so N
//! resources in one project cost one `GET /groups/{groupId}` in all. Further caches of facts
//! that cannot change belong here too, built on [`Memo`]; listings of objects that can change
//! (and that the provider itself changes) are in [`super::listings`].
//!
//! - **Single flight.** Concurrent first lookups of one key share one request; the others wait
//!   for its answer.
//! - **Failures are not cached.** A failed lookup (a missing project, a 5xx) is returned to the
//!   callers that waited for it, and the next call asks Atlas again.
//! - **Scope.** Entries are keyed by the client's base URL as well, so clients configured for
//!   different Atlas endpoints in one process (the in-process tests) never share facts.
//!   Credentials are not part of the key: the facts are Atlas's, not the caller's, and every
//!   later call is still authorized by Atlas on its own.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, LazyLock, Mutex};

use tokio::sync::OnceCell;

use crate::atlas;

/// A per-process cache whose values are computed at most once per key at a time (single flight)
/// and kept for the life of the process once computed. Failed computations are not kept.
pub struct Memo<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    /// An empty cache.
    pub fn new() -> Self {
        Memo {
            cells: Mutex::new(HashMap::new()),
        }
    }

    /// The value for `key`: the cached one, or the one `compute` returns. Callers that arrive
    /// while a computation for `key` runs wait for it instead of starting their own; when it
    /// fails, each of them gets its own error (one of them computes again).
    pub async fn get_or_try_compute<E, F, Fut>(&self, key: K, compute: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let cell = {
            // A poisoned lock only means another caller panicked while inserting; the map
            // itself is still consistent.
            let mut cells = self.cells.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(cells.entry(key).or_default())
        };
        cell.get_or_try_init(compute).await.cloned()
    }

    /// Whether a value for `key` is cached.
    pub fn contains(&self, key: &K) -> bool {
        let cells = self.cells.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cells.get(key).is_some_and(|cell| cell.initialized())
    }
}

impl<K: Eq + Hash, V: Clone> Default for Memo<K, V> {
    fn default() -> Self {
        Memo::new()
    }
}

/// Project id to organization id, per Atlas base URL.
static PROJECT_ORGS: LazyLock<Memo<(String, String), String>> = LazyLock::new(Memo::new);

/// The organization that owns project `project_id` (`getGroup`), asked once per project and
/// provider process. Errors as `getGroup` does: a missing project is
/// [`atlas::Error::is_not_found`] (`GROUP_NOT_FOUND`), and is asked again next time.
pub async fn project_org_id(client: &atlas::Client, project_id: &str) -> Result<String, atlas::Error> {
    let key = (client.base_url().to_owned(), project_id.to_owned());
    PROJECT_ORGS
        .get_or_try_compute(key, || async {
            client.get_group(project_id).await.map(|group| group.org_id)
        })
        .await
}

/// The organization of the first of `project_ids` Atlas still has ([`project_org_id`] in
/// order, skipping the projects it answers not-found for, and repeats). When it has none of
/// them, the first one's not-found ([`atlas::Error::is_not_found`]); any other error stops the
/// search. An empty list is asked as one empty project ID, which the client refuses without a
/// request.
pub async fn first_project_org_id(client: &atlas::Client, project_ids: &[String]) -> Result<String, atlas::Error> {
    let Some(first) = project_ids.first() else {
        return project_org_id(client, "").await;
    };
    let mut first_not_found = None;
    for (index, project_id) in project_ids.iter().enumerate() {
        if project_ids[..index].contains(project_id) {
            continue;
        }
        match project_org_id(client, project_id).await {
            Ok(org_id) => return Ok(org_id),
            Err(err) if err.is_not_found() => {
                first_not_found.get_or_insert(err);
            }
            Err(err) => return Err(err),
        }
    }
    match first_not_found {
        Some(err) => Err(err),
        None => project_org_id(client, first).await,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn concurrent_first_lookups_share_one_computation_and_failures_are_not_kept() {
        let memo: Memo<&str, String> = Memo::new();
        let computed = AtomicUsize::new(0);
        let compute = || async {
            computed.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok::<_, ()>("org".to_string())
        };
        let answers = futures_join(&memo, compute).await;
        assert_eq!(answers, vec![Ok("org".to_string()); 3]);
        assert_eq!(computed.load(Ordering::SeqCst), 1, "one computation for three callers");
        assert!(memo.contains(&"project"));

        let failing: Memo<&str, String> = Memo::new();
        let first = failing
            .get_or_try_compute("p", || async { Err::<String, _>("5xx") })
            .await;
        assert_eq!(first, Err("5xx"));
        assert!(!failing.contains(&"p"), "a failure is not cached");
        let second = failing
            .get_or_try_compute("p", || async { Ok::<_, &str>("org".to_string()) })
            .await;
        assert_eq!(second, Ok("org".to_string()));
        let cached = failing
            .get_or_try_compute("p", || async { Err::<String, _>("not asked") })
            .await;
        assert_eq!(cached, Ok("org".to_string()), "the value is kept");
    }

    async fn futures_join<F, Fut>(memo: &Memo<&'static str, String>, compute: F) -> Vec<Result<String, ()>>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<String, ()>>,
    {
        let (a, b, c) = tokio::join!(
            memo.get_or_try_compute("project", &compute),
            memo.get_or_try_compute("project", &compute),
            memo.get_or_try_compute("project", &compute),
        );
        vec![a, b, c]
    }
}
