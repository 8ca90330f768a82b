//! Atlas's paginated list shape and the rule for when a listing is complete.
//!
//! Lists come back as `{results, totalCount, links}`; `pageNum` starts at 1 and `itemsPerPage`
//! defaults to 100 (max 500). `list_*` methods walk pages until the results collected reach
//! `totalCount`, or a page comes back empty, or (when `totalCount` is missing, which the
//! AI-model list allows) a page comes back short, which saves the extra empty-page call the
//! official provider makes.

use serde::{Deserialize, Deserializer};

/// Page size used by `list_*` methods: the contract's maximum for every list operation this
/// client calls, so a listing takes as few requests as Atlas allows.
pub(crate) const ITEMS_PER_PAGE: u32 = 500;

/// Safety stop for a server that never ends a listing (500 000 items at our page size).
pub(crate) const MAX_PAGES: u32 = 1000;

/// One page of a list operation.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    /// The items on this page (a `null` is read as an empty page).
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub results: Vec<T>,
    /// Total items across all pages; absent when `includeCount=false`.
    #[serde(default)]
    pub total_count: Option<u64>,
}

/// Whether the page just read is the last one.
///
/// `totalCount`, when present, decides (so a server that caps the page size below our request
/// does not end the listing early); without it a short page is the last one. An empty page
/// always ends the listing.
pub(crate) fn is_last_page(collected: usize, page_len: usize, items_per_page: u32, total_count: Option<u64>) -> bool {
    if page_len == 0 {
        return true;
    }
    match total_count {
        Some(total) => collected as u64 >= total,
        None => page_len < items_per_page as usize,
    }
}

/// Reads `null` or a missing list as empty.
pub(crate) fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_page_rule() {
        // (collected, page_len, items_per_page, total_count, last?)
        let cases = [
            (0, 0, 100, Some(0), true),
            (0, 0, 100, None, true),
            (100, 100, 100, Some(250), false),
            (200, 100, 100, Some(250), false),
            (250, 50, 100, Some(250), true),
            (100, 100, 100, Some(100), true),
            (100, 100, 100, None, false),
            (130, 30, 100, None, true),
            // A server that serves 50 per page although we asked for 100: totalCount decides.
            (50, 50, 100, Some(120), false),
            (120, 20, 100, Some(120), true),
            // A server whose count shrank while listing: stop rather than loop.
            (200, 100, 100, Some(150), true),
        ];
        for (collected, page_len, per_page, total, expected) in cases {
            assert_eq!(
                is_last_page(collected, page_len, per_page, total),
                expected,
                "collected {collected} page {page_len} total {total:?}"
            );
        }
    }

    #[test]
    fn page_reads_null_results_and_missing_count() {
        let page: Page<u32> =
            serde_json::from_str(r#"{"results": null, "links": []}"#).unwrap_or_else(|err| panic!("{err}"));
        assert!(page.results.is_empty());
        assert_eq!(page.total_count, None);
        let page: Page<u32> =
            serde_json::from_str(r#"{"results": [1, 2], "totalCount": 7}"#).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(page.results, vec![1, 2]);
        assert_eq!(page.total_count, Some(7));
    }
}
