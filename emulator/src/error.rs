//! `ApiError`: every error the emulator answers, in Atlas's JSON error shape.
//!
//! Body: `{"error", "errorCode", "detail", "reason", "parameters"}` plus `badRequestDetail.fields`
//! for body validation. Errors are always sent as `application/json` (the spec declares every
//! error response that way), never with the versioned media type.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

/// An Atlas-style error response. Boxed so `Result<_, ApiError>` stays small; its fields are
/// readable through `Deref` (`err.error_code`).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} {}", .0.status.as_u16(), .0.error_code)]
pub struct ApiError(Box<ErrorDetails>);

/// The contents of an [`ApiError`].
#[derive(Debug, Clone)]
pub struct ErrorDetails {
    /// The HTTP status, also written as `error` in the body.
    pub status: StatusCode,
    /// Atlas's machine-readable code, such as `API_KEY_NOT_FOUND`.
    pub error_code: String,
    /// Human-readable explanation.
    pub detail: String,
    /// Values substituted into the detail, in order.
    pub parameters: Vec<Value>,
    /// Per-field violations for body validation errors.
    pub fields: Vec<FieldViolation>,
    /// Extra response headers such as `WWW-Authenticate` or `Retry-After`.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// One entry of `badRequestDetail.fields`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldViolation {
    /// The request body field at fault.
    pub field: String,
    /// What is wrong with it.
    pub description: String,
}

impl std::ops::Deref for ApiError {
    type Target = ErrorDetails;

    fn deref(&self) -> &ErrorDetails {
        &self.0
    }
}

impl ApiError {
    /// An error with no parameters.
    pub fn new(status: StatusCode, error_code: &str, detail: impl Into<String>) -> ApiError {
        ApiError(Box::new(ErrorDetails {
            status,
            error_code: error_code.to_owned(),
            detail: detail.into(),
            parameters: Vec::new(),
            fields: Vec::new(),
            headers: Vec::new(),
        }))
    }

    /// Appends one value to `parameters`.
    pub fn param(mut self, value: impl Into<Value>) -> ApiError {
        self.0.parameters.push(value.into());
        self
    }

    /// Adds a `badRequestDetail.fields` entry.
    pub fn field(mut self, field: &str, description: impl Into<String>) -> ApiError {
        self.0.fields.push(FieldViolation {
            field: field.to_owned(),
            description: description.into(),
        });
        self
    }

    /// Adds a response header; a value that is not a valid header is dropped.
    pub fn header(mut self, name: HeaderName, value: &str) -> ApiError {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.0.headers.push((name, value));
        }
        self
    }

    /// 400 with the given code.
    pub fn bad_request(error_code: &str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, error_code, detail)
    }

    /// 404 `API_KEY_NOT_FOUND` for an org API key id.
    pub fn api_key_not_found(id: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "API_KEY_NOT_FOUND",
            format!("No API key with ID {id} exists."),
        )
        .param(id)
    }

    /// 404 `API_KEY_WHITELIST_NOT_FOUND`: `entry` (a CIDR) is not on key `id`'s access list.
    pub fn access_entry_not_found(id: &str, entry: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "API_KEY_WHITELIST_NOT_FOUND",
            format!("IP address {entry} not on the access list for API key {id}."),
        )
        .param(entry)
        .param(id)
    }

    /// 404 `ORG_NOT_FOUND`.
    pub fn org_not_found(id: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "ORG_NOT_FOUND",
            format!("No organization with ID {id} exists."),
        )
        .param(id)
    }

    /// 404 `GROUP_NOT_FOUND`.
    pub fn group_not_found(id: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "GROUP_NOT_FOUND",
            format!("No group with ID {id} exists."),
        )
        .param(id)
    }

    /// 404 `RESOURCE_NOT_FOUND`, Atlas's generic not-found.
    pub fn resource_not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            format!("Cannot find resource {what}."),
        )
        .param(what)
    }

    /// 400 `PATH_PARAM_PARSE_ERROR` for a malformed id in `path`.
    pub fn path_param(path: &str) -> ApiError {
        ApiError::bad_request(
            "PATH_PARAM_PARSE_ERROR",
            format!("One or more path parameter in the request URI {path} is malformed."),
        )
        .param(path)
    }

    /// 400 `INVALID_QUERY_PARAMETER`.
    pub fn invalid_query(name: &str, expected: &str) -> ApiError {
        ApiError::bad_request(
            "INVALID_QUERY_PARAMETER",
            format!("Invalid query parameter {name} specified: expected {expected}."),
        )
        .param(name)
    }

    /// 400 `INVALID_QUERY_PARAMETER` for a query parameter the operation does not declare;
    /// parameters `[name]`.
    pub fn unknown_query(name: &str) -> ApiError {
        ApiError::bad_request(
            "INVALID_QUERY_PARAMETER",
            format!("Invalid query parameter {name} specified."),
        )
        .param(name)
    }

    /// 400 `MAX_API_KEYS_PER_ORG_EXCEEDED` (Atlas's code for its limit of 500 programmatic API
    /// keys per organization); parameters `[orgId, limit]`.
    pub fn max_api_keys(org_id: &str, limit: usize) -> ApiError {
        ApiError::bad_request(
            "MAX_API_KEYS_PER_ORG_EXCEEDED",
            format!("Organization {org_id} has reached the maximum of {limit} API keys."),
        )
        .param(org_id)
        .param(limit)
    }

    /// 413 `PAYLOAD_TOO_LARGE` for a request body over `limit` bytes; parameters `[limit]`.
    ///
    /// Neither the spec nor Atlas's error table documents a code for this, so the emulator
    /// names it after the HTTP reason phrase, as for its other undocumented statuses.
    pub fn payload_too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("The request body is larger than the emulator's limit of {limit} bytes."),
        )
        .param(limit)
    }

    /// 415 `UNSUPPORTED_MEDIA_TYPE` for a request body whose `Content-Type` is missing or not
    /// one of `accepted`; parameters `[the Content-Type sent, or ""]`.
    ///
    /// Undocumented by Atlas, like 413: the code is the reason phrase.
    pub fn unsupported_media_type(sent: &str, accepted: &[&str]) -> ApiError {
        let what = if sent.is_empty() {
            "A request body without a Content-Type".to_owned()
        } else {
            format!("Content-Type {sent}")
        };
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            format!("{what} is not supported; send {}.", accepted.join(" or ")),
        )
        .param(sent)
    }

    /// 408 `REQUEST_TIMEOUT` for a request body that stopped arriving (undocumented by Atlas,
    /// like 413).
    pub fn request_timeout(waited_ms: u128) -> ApiError {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "REQUEST_TIMEOUT",
            format!("The request body stopped arriving for {waited_ms} ms."),
        )
    }

    /// 500 `UNEXPECTED_ERROR`, for emulator bugs.
    pub fn internal(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "UNEXPECTED_ERROR", detail)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    error: u16,
    error_code: &'a str,
    detail: &'a str,
    reason: &'a str,
    parameters: &'a [Value],
    #[serde(skip_serializing_if = "Option::is_none")]
    bad_request_detail: Option<BadRequestDetail<'a>>,
}

#[derive(Serialize)]
struct BadRequestDetail<'a> {
    fields: &'a [FieldViolation],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let details = *self.0;
        let body = ErrorBody {
            error: details.status.as_u16(),
            error_code: &details.error_code,
            detail: &details.detail,
            reason: details.status.canonical_reason().unwrap_or("Unknown"),
            parameters: &details.parameters,
            bad_request_detail: (!details.fields.is_empty()).then_some(BadRequestDetail {
                fields: &details.fields,
            }),
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (details.status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response();
        for (name, value) in details.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn error_body_has_atlas_shape() {
        let response = ApiError::bad_request("INVALID_API_KEY_DESC", "bad desc")
            .param("desc")
            .field("desc", "too long")
            .into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
        let json: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "error": 400, "errorCode": "INVALID_API_KEY_DESC", "detail": "bad desc",
                "reason": "Bad Request", "parameters": ["desc"],
                "badRequestDetail": {"fields": [{"field": "desc", "description": "too long"}]}
            })
        );
    }
}
