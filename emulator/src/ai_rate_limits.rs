//! AI model (Voyage AI) rate limits: the model-group catalog, the organization and project
//! limits, and the rules the API enforces on them.
//!
//! Every organization has a limit per model group ([`MODEL_GROUPS`] gives the defaults; the
//! admin routes can change them). Every project of the organization has a limit per group too:
//! until it is set, and again after a reset, it is the organization's limit (read live, so a
//! later change of the organization's limit shows in such projects). A project limit can be
//! set to any positive `int32` up to the organization's limit; lowering the organization's
//! limit later leaves project limits already set as they are.
//!
//! `cloud` and `geography` accept only `ANY` in this API version, so limits are kept per
//! model group alone.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::Serialize;

use crate::error::ApiError;
use crate::store::Store;

/// One model group and its default organization limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelGroup {
    /// The name used in paths, such as `embed_large`.
    pub name: &'static str,
    /// The embedding or reranking models in the group.
    pub model_names: &'static [&'static str],
    /// The organization's default limits for the group.
    pub defaults: Limits,
}

/// Requests and tokens per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Requests per minute, 1..=`i32::MAX`.
    pub requests_per_minute_limit: i64,
    /// Tokens per minute, 1..=`i32::MAX`.
    pub tokens_per_minute_limit: i64,
}

/// The model groups every organization has. `embed_large` carries the spec's example values
/// (2000 requests and 3,000,000 tokens per minute); the other groups and all model names are
/// the emulator's own seed data.
pub const MODEL_GROUPS: &[ModelGroup] = &[
    ModelGroup {
        name: "embed_large",
        model_names: &["voyage-3-large", "voyage-context-3"],
        defaults: Limits {
            requests_per_minute_limit: 2000,
            tokens_per_minute_limit: 3_000_000,
        },
    },
    ModelGroup {
        name: "embed_medium",
        model_names: &["voyage-3.5", "voyage-code-3"],
        defaults: Limits {
            requests_per_minute_limit: 2000,
            tokens_per_minute_limit: 8_000_000,
        },
    },
    ModelGroup {
        name: "embed_small",
        model_names: &["voyage-3.5-lite"],
        defaults: Limits {
            requests_per_minute_limit: 2000,
            tokens_per_minute_limit: 16_000_000,
        },
    },
    ModelGroup {
        name: "rerank",
        model_names: &["rerank-2.5", "rerank-2.5-lite"],
        defaults: Limits {
            requests_per_minute_limit: 2000,
            tokens_per_minute_limit: 4_000_000,
        },
    },
];

/// The only `cloud` and `geography` of this API version.
pub const ANY: &str = "ANY";

/// The endpoint host for `ANY`/`ANY` (the spec's example).
pub const ENDPOINT: &str = "ai.mongodb.com";

/// Request body field names, as in `AiModelsRateLimitUpdateRequest`.
pub const REQUESTS_FIELD: &str = "requestsPerMinuteLimit";
/// See [`REQUESTS_FIELD`].
pub const TOKENS_FIELD: &str = "tokensPerMinuteLimit";

/// Limits set away from their defaults, by (organization or project id, model group name).
#[derive(Debug, Default)]
pub struct RateLimitBook {
    /// Organization limits changed through the admin routes.
    pub org: BTreeMap<(String, String), Limits>,
    /// Project limits set through the API or the admin routes.
    pub project: BTreeMap<(String, String), Limits>,
}

/// The model group `name`, or 404 `RESOURCE_NOT_FOUND`.
pub fn model_group(name: &str) -> Result<&'static ModelGroup, ApiError> {
    MODEL_GROUPS
        .iter()
        .find(|group| group.name == name)
        .ok_or_else(|| ApiError::resource_not_found(name))
}

/// Checks a `cloud` or `geography` path parameter: the spec's enum holds only `ANY`.
///
/// Errors: 400 `INVALID_ENUM_VALUE`, parameters `[value, name]`.
pub fn check_scope(name: &str, value: &str) -> Result<(), ApiError> {
    if value == ANY {
        return Ok(());
    }
    Err(ApiError::bad_request(
        "INVALID_ENUM_VALUE",
        format!("An invalid enumeration value {value} was specified for {name}."),
    )
    .param(value)
    .param(name))
}

/// Checks new project limits against the spec (positive `int32`) and the organization's limits
/// `ceiling` for `group`; every offending field is reported.
///
/// Errors: 400 `VALIDATION_ERROR` whose detail and `badRequestDetail.fields` name each field and
/// the organization's value; parameters are the offending field names.
pub fn check_limits(group: &str, wanted: Limits, ceiling: Limits) -> Result<(), ApiError> {
    let checks = [
        (
            REQUESTS_FIELD,
            wanted.requests_per_minute_limit,
            ceiling.requests_per_minute_limit,
        ),
        (
            TOKENS_FIELD,
            wanted.tokens_per_minute_limit,
            ceiling.tokens_per_minute_limit,
        ),
    ];
    let problems: Vec<(&str, String)> = checks
        .into_iter()
        .filter_map(|(field, value, org_limit)| {
            let problem = if value < 1 {
                format!("{field} must be a positive integer, got {value}.")
            } else if value > i64::from(i32::MAX) {
                format!("{field} must be at most {}, got {value}.", i32::MAX)
            } else if value > org_limit {
                format!("{field} {value} exceeds the organization's limit of {org_limit} for model group {group}.")
            } else {
                return None;
            };
            Some((field, problem))
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    let detail = problems
        .iter()
        .map(|(_, problem)| problem.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let mut error = ApiError::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", detail);
    for (field, problem) in problems {
        error = error.param(field).field(field, problem);
    }
    Err(error)
}

impl Store {
    /// The organization's limits for `group`.
    ///
    /// Errors: 404 `ORG_NOT_FOUND`, or `RESOURCE_NOT_FOUND` for an unknown group.
    pub fn org_rate_limit(&self, org_id: &str, group: &str) -> Result<Limits, ApiError> {
        self.org(org_id)?;
        let group = model_group(group)?;
        Ok(self
            .rate_limits
            .org
            .get(&(org_id.to_owned(), group.name.to_owned()))
            .copied()
            .unwrap_or(group.defaults))
    }

    /// The project's limits for `group`: set ones, or else its organization's.
    ///
    /// Errors: 404 `GROUP_NOT_FOUND`, or `RESOURCE_NOT_FOUND` for an unknown group.
    pub fn project_rate_limit(&self, group_id: &str, group: &str) -> Result<Limits, ApiError> {
        let org_id = self.project(group_id)?.org_id.clone();
        let org_limits = self.org_rate_limit(&org_id, group)?;
        Ok(self
            .rate_limits
            .project
            .get(&(group_id.to_owned(), group.to_owned()))
            .copied()
            .unwrap_or(org_limits))
    }

    /// Sets the project's limits for `group` as `updateGroupAiModelApiCloudGeographyModelGroupNameRateLimits`
    /// does, and returns them.
    ///
    /// Errors: as [`Store::project_rate_limit`], and [`check_limits`]'s 400.
    pub fn set_project_rate_limit(&mut self, group_id: &str, group: &str, wanted: Limits) -> Result<Limits, ApiError> {
        let org_id = self.project(group_id)?.org_id.clone();
        let ceiling = self.org_rate_limit(&org_id, group)?;
        check_limits(group, wanted, ceiling)?;
        self.rate_limits
            .project
            .insert((group_id.to_owned(), group.to_owned()), wanted);
        Ok(wanted)
    }

    /// Restores the organization's limits for `group` in the project and returns them.
    ///
    /// Errors: as [`Store::project_rate_limit`].
    pub fn reset_project_rate_limit(&mut self, group_id: &str, group: &str) -> Result<Limits, ApiError> {
        self.project_rate_limit(group_id, group)?;
        self.rate_limits
            .project
            .remove(&(group_id.to_owned(), group.to_owned()));
        self.project_rate_limit(group_id, group)
    }

    /// Restores the organization's limits for every group of the project.
    ///
    /// Errors: 404 `GROUP_NOT_FOUND`.
    pub fn reset_project_rate_limits(&mut self, group_id: &str) -> Result<(), ApiError> {
        self.project(group_id)?;
        self.rate_limits.project.retain(|(project, _), _| project != group_id);
        Ok(())
    }

    /// Sets the organization's limits for `group` (admin only: the API has no such operation).
    ///
    /// Errors: 404 `ORG_NOT_FOUND` or `RESOURCE_NOT_FOUND`; 400 `VALIDATION_ERROR` for a
    /// limit that is not a positive `int32`.
    pub fn set_org_rate_limit(&mut self, org_id: &str, group: &str, limits: Limits) -> Result<Limits, ApiError> {
        self.org_rate_limit(org_id, group)?;
        let unbounded = Limits {
            requests_per_minute_limit: i64::from(i32::MAX),
            tokens_per_minute_limit: i64::from(i32::MAX),
        };
        check_limits(group, limits, unbounded)?;
        self.rate_limits
            .org
            .insert((org_id.to_owned(), group.to_owned()), limits);
        Ok(limits)
    }
}

/// `AiModelRateLimitResponse` for `group` at `limits`.
pub fn view(group: &ModelGroup, limits: Limits) -> serde_json::Value {
    serde_json::json!({
        "cloud": ANY,
        "endpoint": ENDPOINT,
        "geography": ANY,
        "modelGroupName": group.name,
        "modelNames": group.model_names,
        "requestsPerMinuteLimit": limits.requests_per_minute_limit,
        "tokensPerMinuteLimit": limits.tokens_per_minute_limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(requests: i64, tokens: i64) -> Limits {
        Limits {
            requests_per_minute_limit: requests,
            tokens_per_minute_limit: tokens,
        }
    }

    #[test]
    fn project_limits_default_to_the_org_and_may_not_exceed_it() {
        let mut store = Store::new();
        let seeded = store.create_org("acme", 2);
        let (org, p0, p1) = (&seeded.org_id, &seeded.project_ids[0], &seeded.project_ids[1]);
        assert_eq!(
            store.project_rate_limit(p0, "embed_large").ok(),
            Some(limits(2000, 3_000_000))
        );
        store
            .set_org_rate_limit(org, "embed_large", limits(1000, 2_000_000))
            .expect("org limit");
        assert_eq!(
            store.project_rate_limit(p1, "embed_large").ok(),
            Some(limits(1000, 2_000_000)),
            "an unset project follows its organization"
        );
        assert_eq!(
            store.set_project_rate_limit(p0, "embed_large", limits(500, 1000)).ok(),
            Some(limits(500, 1000))
        );
        assert_eq!(
            store.project_rate_limit(p0, "embed_large").ok(),
            Some(limits(500, 1000))
        );
        let err = store
            .set_project_rate_limit(p0, "embed_large", limits(1001, 0))
            .expect_err("over the org limit and not positive");
        assert_eq!(err.error_code, "VALIDATION_ERROR");
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, [REQUESTS_FIELD, TOKENS_FIELD]);
        assert!(
            err.detail
                .contains("organization's limit of 1000 for model group embed_large"),
            "{}",
            err.detail
        );
        assert!(err.fields[0].description.contains("1000"), "{:?}", err.fields);
        assert_eq!(
            store.project_rate_limit(p0, "embed_large").ok(),
            Some(limits(500, 1000)),
            "unchanged"
        );
        assert_eq!(
            store.reset_project_rate_limit(p0, "embed_large").ok(),
            Some(limits(1000, 2_000_000))
        );
        store.set_project_rate_limit(p0, "rerank", limits(1, 1)).expect("set");
        store.reset_project_rate_limits(p0).expect("reset all");
        assert!(store.rate_limits.project.is_empty());
    }

    #[test]
    fn unknown_groups_and_scopes_are_refused() {
        let mut store = Store::new();
        let seeded = store.create_org("acme", 1);
        let err = store
            .project_rate_limit(&seeded.project_ids[0], "embed_huge")
            .expect_err("unknown group");
        assert_eq!(
            (err.status, err.error_code.as_str()),
            (StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND")
        );
        let err = check_scope("cloud", "AWS").expect_err("not ANY");
        assert_eq!(err.error_code, "INVALID_ENUM_VALUE");
        assert!(check_scope("geography", ANY).is_ok());
        let err = check_limits("rerank", limits(i64::from(i32::MAX) + 1, 1), limits(i64::MAX, i64::MAX))
            .expect_err("beyond int32");
        assert!(err.detail.contains("at most 2147483647"), "{}", err.detail);
    }
}
