//! Data source types, one file each. None of them exposes a usable secret.

pub mod access_list_api_key;
pub mod ai_model_api_key;
pub mod ai_model_org_api_key;
pub mod ai_model_rate_limit;
pub mod api_key;
pub mod api_key_project_assignment;
pub mod project_api_key;
pub mod roles_org_id;

use std::collections::BTreeSet;

use crate::atlas;
use crate::framework::{attribute, string, string_set, whole_number, Attribute};
use crate::value::Type;

/// Page size when only `page_num` is set, as Atlas defaults it.
const DEFAULT_ITEMS_PER_PAGE: u32 = 100;

/// `page_num` and `items_per_page`, the official plural data sources' paging arguments.
pub(crate) fn paging_attributes() -> [Attribute; 2] {
    [
        attribute("page_num", Type::Number)
            .optional()
            .validate(whole_number(1..=i64::from(u32::MAX)))
            .doc("Return only this page of results (1-based). When neither this nor `items_per_page` is set, every page is read."),
        attribute("items_per_page", Type::Number)
            .optional()
            .validate(whole_number(1..=500))
            .doc("Return pages of this many results (1 to 500, default 100) and only the page `page_num` names (default 1)."),
    ]
}

/// Every item of a list, or only the page `page_num` / `items_per_page` ask for (see
/// [`requested_page`]). `all` and `one_page` are not run unless chosen.
pub(crate) async fn all_or_one_page<T, All, OnePage>(
    page_num: Option<u32>,
    items_per_page: Option<u32>,
    all: All,
    one_page: impl FnOnce(u32, u32) -> OnePage,
) -> Result<Vec<T>, atlas::Error>
where
    All: std::future::Future<Output = Result<Vec<T>, atlas::Error>>,
    OnePage: std::future::Future<Output = Result<atlas::Page<T>, atlas::Error>>,
{
    match requested_page(page_num, items_per_page) {
        None => all.await,
        Some((page, size)) => one_page(page, size).await.map(|page| page.results),
    }
}

/// The one page to read, or `None` to read every page: both unset reads every page; either
/// set reads exactly one page, the other defaulting to page 1 and 100 items.
pub(crate) fn requested_page(page_num: Option<u32>, items_per_page: Option<u32>) -> Option<(u32, u32)> {
    match (page_num, items_per_page) {
        (None, None) => None,
        (page, size) => Some((page.unwrap_or(1), size.unwrap_or(DEFAULT_ITEMS_PER_PAGE))),
    }
}

/// The attributes of one `{project_id, role_names}` assignment, as the project data sources
/// list them (a nested attribute, so that each field carries its description).
pub(crate) fn assignment_attributes() -> [Attribute; 2] {
    [
        string("project_id")
            .computed()
            .doc("Unique 24-hexadecimal digit string that identifies a project the key is assigned to."),
        string_set("role_names")
            .computed()
            .doc("Roles of the key in that project, such as `GROUP_OWNER`."),
    ]
}

/// Organization roles of `org_id` held by `key`.
pub(crate) fn org_role_names(key: &atlas::ApiKey, org_id: &str) -> BTreeSet<String> {
    key.roles
        .iter()
        .filter(|role| role.role_name.starts_with("ORG_") && role.org_id.as_deref() == Some(org_id))
        .map(|role| role.role_name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_reads_every_page_unless_asked_for_one() {
        assert_eq!(requested_page(None, None), None);
        assert_eq!(requested_page(Some(3), None), Some((3, 100)));
        assert_eq!(requested_page(None, Some(5)), Some((1, 5)));
        assert_eq!(requested_page(Some(2), Some(500)), Some((2, 500)));
    }
}
