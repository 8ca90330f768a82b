//! Per-request context for Atlas handlers: media-type negotiation, the caller, the common query
//! parameters (`envelope`, `pretty`, `pageNum`, `itemsPerPage`, `includeCount`) and the
//! response builders that apply them.
//!
//! Each operation accepts only the query parameters the contract declares for it (see
//! [`declared_query_params`]); any other name gets 400 `INVALID_QUERY_PARAMETER`.
//!
//! Success responses carry the versioned media type as `Content-Type`; 204s have no body.
//! `envelope=true` wraps a single resource as `{"status", "content"}` and adds `status` to a
//! paginated object; errors are never wrapped and keep their real HTTP status.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;

/// Media type of the Programmatic API Keys, organization and project operations.
pub const V2023: &str = "application/vnd.atlas.2023-01-01+json";
/// Media type of the AI Model API Keys and AI Model Rate Limits operations.
pub const V2025: &str = "application/vnd.atlas.2025-03-12+json";

/// The media type an Atlas path requires: 2025-03-12 for the AI model paths (`aiModelApiKeys`,
/// `aiModelApiClouds`, `aiModelApiRateLimits`), 2023-01-01 for the rest.
pub fn media_type_for(path: &str) -> &'static str {
    if path.contains("/aiModelApi") {
        V2025
    } else {
        V2023
    }
}

/// Checks `Accept` names the path's media type (any entry of a list; parameters ignored).
///
/// Errors: 406 `INVALID_VERSION` when `Accept` is missing or names another version.
pub fn negotiate(path: &str, headers: &HeaderMap) -> Result<&'static str, ApiError> {
    let wanted = media_type_for(path);
    let accepted = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|range| range.split(';').next().unwrap_or_default().trim())
        .any(|range| range.eq_ignore_ascii_case(wanted));
    if accepted {
        return Ok(wanted);
    }
    Err(ApiError::new(
        StatusCode::NOT_ACCEPTABLE,
        "INVALID_VERSION",
        format!("This resource requires the header Accept: {wanted}."),
    )
    .param(wanted))
}

const COMMON: &[&str] = &["envelope", "pretty"];
const PAGED: &[&str] = &["envelope", "pretty", "pageNum", "itemsPerPage", "includeCount"];
const PAGED_WITHOUT_COUNT: &[&str] = &["envelope", "pretty", "pageNum", "itemsPerPage"];
const LIST_ORGS: &[&str] = &["envelope", "pretty", "pageNum", "itemsPerPage", "includeCount", "name"];

/// The query parameters the contract declares for `method` on the route `template` (axum's
/// matched path, such as `/api/atlas/v2/orgs/{org_id}/apiKeys`):
/// - every operation: `envelope`, `pretty`;
/// - `listOrgs`: also `pageNum`, `itemsPerPage`, `includeCount`, `name`;
/// - the org and project API key lists, and `updateGroupApiKeyRoles` (a PATCH, as the spec
///   says): also `pageNum`, `itemsPerPage`, `includeCount`;
/// - the AI model key lists and rate-limit lists: also `pageNum`, `itemsPerPage` (no
///   `includeCount`);
/// - an API key's access list, both the GET and the POST (as the spec says): also `pageNum`,
///   `itemsPerPage`, `includeCount`.
pub fn declared_query_params(method: &Method, template: &str) -> &'static [&'static str] {
    let is_list = *method == Method::GET;
    if is_list && template == "/api/atlas/v2/orgs" {
        LIST_ORGS
    } else if (is_list && template.ends_with("/apiKeys"))
        || ((is_list || *method == Method::POST) && template.ends_with("/accessList"))
    {
        PAGED
    } else if is_list && (template.ends_with("/aiModelApiKeys") || template.ends_with("/aiModelApiRateLimits")) {
        PAGED_WITHOUT_COUNT
    } else if *method == Method::PATCH
        && template.starts_with("/api/atlas/v2/groups/")
        && template.contains("/apiKeys/")
    {
        PAGED
    } else {
        COMMON
    }
}

/// Checks that `query` (the raw query string) names only parameters the operation declares.
///
/// Errors: 400 `INVALID_QUERY_PARAMETER`, parameters `[name]`, for the first other name.
pub fn check_query(method: &Method, template: &str, query: Option<&str>) -> Result<(), ApiError> {
    let declared = declared_query_params(method, template);
    let Some(query) = query else {
        return Ok(());
    };
    match form_urlencoded::parse(query.as_bytes()).find(|(name, _)| !declared.contains(&name.as_ref())) {
        Some((name, _)) => Err(ApiError::unknown_query(&name)),
        None => Ok(()),
    }
}

/// What the guard middleware learned about an authenticated Atlas request.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// The caller.
    pub principal: Principal,
    /// The negotiated media type.
    pub media_type: &'static str,
}

/// Paging parameters of a list request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// One-based page number.
    pub num: usize,
    /// Page size, 1..=500.
    pub items_per_page: usize,
    /// Whether to report `totalCount`.
    pub include_count: bool,
}

/// Handler context: the state, the caller and the request's common parameters.
pub struct Ctx {
    /// Shared emulator state.
    pub state: AppState,
    /// The authenticated caller.
    pub principal: Principal,
    media_type: &'static str,
    path: String,
    query: Vec<(String, String)>,
    envelope: bool,
    pretty: bool,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Ctx, ApiError> {
        let info = parts
            .extensions
            .get::<RequestInfo>()
            .cloned()
            .ok_or_else(|| ApiError::internal("request reached a handler unauthenticated"))?;
        let query: Vec<(String, String)> = parts
            .uri
            .query()
            .map(|raw| form_urlencoded::parse(raw.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let mut cx = Ctx {
            state: state.clone(),
            principal: info.principal,
            media_type: info.media_type,
            path: parts.uri.path().to_owned(),
            query,
            envelope: false,
            pretty: false,
        };
        cx.envelope = cx.bool_param("envelope", false)?;
        cx.pretty = cx.bool_param("pretty", false)?;
        Ok(cx)
    }
}

impl Ctx {
    /// The request path, as used in `PATH_PARAM_PARSE_ERROR` details.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Paging parameters with Atlas's defaults (1, 100, true).
    ///
    /// Errors: 400 `INVALID_QUERY_PARAMETER` for non-numbers or values out of range.
    pub fn page(&self) -> Result<Page, ApiError> {
        Ok(Page {
            num: self.int_param("pageNum", 1, 1, usize::MAX)?,
            items_per_page: self.int_param("itemsPerPage", 100, 1, 500)?,
            include_count: self.bool_param("includeCount", true)?,
        })
    }

    /// The `self` link of this request.
    pub fn self_link(&self) -> Value {
        json!([{"href": self.url(None), "rel": "self"}])
    }

    /// A link list whose `self` points at `path` (for resources listed or created here).
    pub fn link_to(&self, path: &str) -> Value {
        json!([{"href": format!("{}{path}", self.state.base_url()), "rel": "self"}])
    }

    /// 200 with `body`.
    pub fn ok<T: Serialize>(&self, body: &T) -> Result<Response, ApiError> {
        self.reply(StatusCode::OK, to_value(body)?, false)
    }

    /// 201 with `body`.
    pub fn created<T: Serialize>(&self, body: &T) -> Result<Response, ApiError> {
        self.reply(StatusCode::CREATED, to_value(body)?, false)
    }

    /// 204 with no body.
    pub fn no_content(&self) -> Result<Response, ApiError> {
        Ok(StatusCode::NO_CONTENT.into_response())
    }

    /// 200 with one page of `items` in Atlas's paginated shape.
    pub fn list<T: Serialize>(&self, items: Vec<T>, page: Page) -> Result<Response, ApiError> {
        let total = items.len();
        let start = page.num.saturating_sub(1).saturating_mul(page.items_per_page);
        let results: Vec<T> = items.into_iter().skip(start).take(page.items_per_page).collect();
        let mut links = vec![json!({"href": self.url(None), "rel": "self"})];
        if page.num > 1 {
            links.push(json!({"href": self.url(Some(page.num - 1)), "rel": "previous"}));
        }
        if start.saturating_add(page.items_per_page) < total {
            links.push(json!({"href": self.url(Some(page.num + 1)), "rel": "next"}));
        }
        let mut body = json!({"links": links, "results": to_value(&results)?});
        if page.include_count {
            body["totalCount"] = json!(total);
        }
        self.reply(StatusCode::OK, body, true)
    }

    fn reply(&self, status: StatusCode, body: Value, paginated: bool) -> Result<Response, ApiError> {
        let body = match (self.envelope, paginated, body) {
            (false, _, body) => body,
            (true, true, mut body) => {
                body["status"] = json!(status.as_u16());
                body
            }
            (true, false, body) => json!({"status": status.as_u16(), "content": body}),
        };
        let bytes = if self.pretty {
            serde_json::to_vec_pretty(&body)
        } else {
            serde_json::to_vec(&body)
        }
        .map_err(|err| ApiError::internal(format!("could not encode the response: {err}")))?;
        Ok((status, [(header::CONTENT_TYPE, self.media_type)], bytes).into_response())
    }

    fn url(&self, page_num: Option<usize>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        let mut replaced = false;
        for (key, value) in &self.query {
            match page_num {
                Some(num) if key == "pageNum" => {
                    query.append_pair(key, &num.to_string());
                    replaced = true;
                }
                _ => {
                    query.append_pair(key, value);
                }
            }
        }
        if let (Some(num), false) = (page_num, replaced) {
            query.append_pair("pageNum", &num.to_string());
        }
        let query = query.finish();
        let base = format!("{}{}", self.state.base_url(), self.path);
        if query.is_empty() {
            base
        } else {
            format!("{base}?{query}")
        }
    }

    fn bool_param(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.query(name) {
            None => Ok(default),
            Some(value) if value.eq_ignore_ascii_case("true") => Ok(true),
            Some(value) if value.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(ApiError::invalid_query(name, "true or false")),
        }
    }

    fn int_param(&self, name: &str, default: usize, min: usize, max: usize) -> Result<usize, ApiError> {
        let Some(text) = self.query(name) else {
            return Ok(default);
        };
        match text.parse::<usize>() {
            Ok(value) if (min..=max).contains(&value) => Ok(value),
            _ if max == usize::MAX => Err(ApiError::invalid_query(name, &format!("an integer >= {min}"))),
            _ => Err(ApiError::invalid_query(
                name,
                &format!("an integer from {min} to {max}"),
            )),
        }
    }
}

fn to_value<T: Serialize>(body: &T) -> Result<Value, ApiError> {
    serde_json::to_value(body).map_err(|err| ApiError::internal(format!("could not encode the response: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).expect("ascii"));
        headers
    }

    #[test]
    fn only_declared_query_parameters_are_accepted() {
        let check = |method: Method, template: &str, query: &str| {
            check_query(&method, template, Some(query))
                .err()
                .map(|err| err.parameters.clone())
        };
        let org_keys = "/api/atlas/v2/orgs/{org_id}/apiKeys";
        let ai_keys = "/api/atlas/v2/groups/{group_id}/aiModelApiKeys";
        let assignment = "/api/atlas/v2/groups/{group_id}/apiKeys/{api_user_id}";
        let paged = "pageNum=1&itemsPerPage=5&includeCount=false&envelope=true&pretty=true";
        assert_eq!(check(Method::GET, org_keys, paged), None);
        assert_eq!(check(Method::GET, "/api/atlas/v2/orgs", "name=x&pageNum=2"), None);
        assert_eq!(check(Method::PATCH, assignment, paged), None);
        assert_eq!(
            check(Method::GET, ai_keys, "pageNum=2&itemsPerPage=9&envelope=false"),
            None
        );
        assert_eq!(check(Method::POST, org_keys, "envelope=true&pretty=false"), None);
        assert_eq!(
            check(Method::GET, org_keys, "pageNum=1&foo=2"),
            Some(vec![json!("foo")])
        );
        assert_eq!(
            check(Method::GET, ai_keys, "includeCount=true"),
            Some(vec![json!("includeCount")])
        );
        assert_eq!(check(Method::POST, org_keys, "pageNum=1"), Some(vec![json!("pageNum")]));
        assert_eq!(check(Method::GET, org_keys, "name=x"), Some(vec![json!("name")]));
        assert_eq!(
            check(Method::DELETE, assignment, "itemsPerPage=1"),
            Some(vec![json!("itemsPerPage")])
        );
        assert!(check_query(&Method::GET, org_keys, None).is_ok());
    }

    #[test]
    fn negotiation_picks_the_version_by_path() {
        let keys = "/api/atlas/v2/orgs/0123456789abcdef01234567/apiKeys";
        let ai = "/api/atlas/v2/groups/0123456789abcdef01234567/aiModelApiKeys";
        assert_eq!(negotiate(keys, &accept(V2023)).ok(), Some(V2023));
        assert_eq!(
            negotiate(keys, &accept(&format!("application/json, {V2023};charset=utf-8"))).ok(),
            Some(V2023)
        );
        assert_eq!(negotiate(ai, &accept(V2025)).ok(), Some(V2025));
        let refused = negotiate(ai, &accept(V2023)).expect_err("wrong version");
        assert_eq!(refused.status, StatusCode::NOT_ACCEPTABLE);
        assert!(negotiate(keys, &HeaderMap::new()).is_err());
        assert!(negotiate(keys, &accept("application/json")).is_err());
    }
}
