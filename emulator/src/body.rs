//! Request body parsing with Atlas-style errors instead of axum's plain-text rejections.
//!
//! `JsonBody` reads any JSON, after three checks that every route with a body shares:
//! - `Content-Type` must be `application/json` or, on Atlas paths, the path's versioned media
//!   type (`application/vnd.atlas.2023-01-01+json` or `…2025-03-12+json`; parameters such as
//!   `charset` are ignored). Anything else, or a body without `Content-Type`, gets 415
//!   `UNSUPPORTED_MEDIA_TYPE` (Atlas documents no code for this; the name is the reason phrase).
//! - The body may be at most `Options::max_body_bytes` (default [`DEFAULT_MAX_BODY_BYTES`],
//!   4 MiB); a larger one gets 413 `PAYLOAD_TOO_LARGE`. Up to four times the limit is read and
//!   discarded first, so the client gets the answer instead of a reset connection; with
//!   `Expect: 100-continue` the 413 comes before the client sends anything.
//! - The body must keep arriving: a pause longer than `Options::header_read_timeout` gets 408
//!   `REQUEST_TIMEOUT`, and the connection closes.
//!
//! `Fields` reads one object strictly: unknown attributes are refused (`INVALID_ATTRIBUTE`),
//! wrong types name the attribute (`INVALID_JSON_ATTRIBUTE`), and `null` counts as absent.
//! Strictness catches client serialisation mistakes that Atlas would refuse.

use std::pin::Pin;

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::ctx::media_type_for;
use crate::error::ApiError;
use crate::state::{AppState, BodyLimits};

/// The default request body limit: 4 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// How many times the limit an oversized body may be drained before the answer.
const DRAIN_FACTOR: usize = 4;

/// A parsed JSON request body.
#[derive(Debug, Clone)]
pub struct JsonBody(pub Value);

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<JsonBody, ApiError> {
        check_content_type(&req)?;
        let bytes = read_limited(req, state.body_limits()).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(malformed("A JSON request body is required."));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|_| malformed("Received JSON is malformed."))
    }
}

impl JsonBody {
    /// The body as an object whose attributes are all in `allowed`.
    ///
    /// Errors: 400 `INVALID_JSON` if not an object, `INVALID_ATTRIBUTE` for an unknown name.
    pub fn object<'a>(&'a self, allowed: &[&str]) -> Result<Fields<'a>, ApiError> {
        let Value::Object(map) = &self.0 else {
            return Err(ApiError::bad_request(
                "INVALID_JSON",
                "The request body must be a JSON object.",
            ));
        };
        fields(map, allowed)
    }

    /// The body as an array.
    ///
    /// Errors: 400 `INVALID_JSON` if it is not an array.
    pub fn array(&self) -> Result<&[Value], ApiError> {
        match &self.0 {
            Value::Array(items) => Ok(items),
            _ => Err(ApiError::bad_request(
                "INVALID_JSON",
                "The request body must be a JSON array.",
            )),
        }
    }

    /// The body decoded into `T` (for emulator admin bodies).
    ///
    /// Errors: 400 `INVALID_JSON` with serde's explanation.
    pub fn decode<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        serde_json::from_value(self.0)
            .map_err(|err| ApiError::bad_request("INVALID_JSON", format!("Invalid request body: {err}.")))
    }
}

/// Checks an array element as an object with `allowed` attributes.
pub fn element<'a>(value: &'a Value, allowed: &[&str]) -> Result<Fields<'a>, ApiError> {
    match value {
        Value::Object(map) => fields(map, allowed),
        _ => Err(ApiError::bad_request(
            "INVALID_JSON",
            "Each array element must be a JSON object.",
        )),
    }
}

/// Typed, strict access to one JSON object.
#[derive(Debug)]
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    /// Attribute `name` as a string; `None` when absent or null.
    pub fn string(&self, name: &str) -> Result<Option<&'a str>, ApiError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    /// Attribute `name` as a whole number; `None` when absent or null. A fraction or a number
    /// beyond `i64` is the wrong type.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) => number.as_i64().map(Some).ok_or_else(|| wrong_type(name, "an integer")),
            Some(_) => Err(wrong_type(name, "an integer")),
        }
    }

    /// Attribute `name` as an array of strings; `None` when absent or null.
    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        let items = match self.map.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(wrong_type(name, "an array of strings")),
        };
        items
            .iter()
            .map(|item| match item {
                Value::String(text) => Ok(text.clone()),
                _ => Err(wrong_type(name, "an array of strings")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// The `Content-Type` values accepted for a body sent to `path`.
pub fn accepted_content_types(path: &str) -> Vec<&'static str> {
    if path.starts_with("/api/atlas/") {
        vec![media_type_for(path), "application/json"]
    } else {
        vec!["application/json"]
    }
}

fn check_content_type(req: &Request) -> Result<(), ApiError> {
    let accepted = accepted_content_types(req.uri().path());
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        if req.body().size_hint().exact() == Some(0) {
            // No body at all: the JSON check below answers MALFORMED_JSON.
            return Ok(());
        }
        return Err(ApiError::unsupported_media_type("", &accepted));
    };
    let sent = String::from_utf8_lossy(value.as_bytes());
    let essence = sent.split(';').next().unwrap_or_default().trim();
    if accepted.iter().any(|wanted| wanted.eq_ignore_ascii_case(essence)) {
        Ok(())
    } else {
        Err(ApiError::unsupported_media_type(&sent, &accepted))
    }
}

async fn read_limited(req: Request, limits: BodyLimits) -> Result<Bytes, ApiError> {
    let max = limits.max_bytes;
    let drain_cap = max.saturating_mul(DRAIN_FACTOR);
    let declared = content_length(req.headers());
    if let Some(length) = declared.filter(|length| *length > max) {
        if expects_continue(req.headers()) || length > drain_cap {
            // The client waits for 100 Continue (hyper sends it only when the body is read), or
            // the body is too large to drain: answer now, the connection then closes.
            return Err(ApiError::payload_too_large(max));
        }
    }
    let mut body = req.into_body();
    let mut kept = Vec::with_capacity(declared.unwrap_or(0).min(max));
    let mut total = 0usize;
    loop {
        let frame = tokio::time::timeout(limits.read_timeout, next_frame(&mut body))
            .await
            .map_err(|_| ApiError::request_timeout(limits.read_timeout.as_millis()))?;
        let data = match frame {
            None => break,
            Some(Err(_)) => return Err(malformed("The request body could not be read.")),
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => data,
                Err(_trailers) => continue,
            },
        };
        total = total.saturating_add(data.len());
        if total > drain_cap {
            return Err(ApiError::payload_too_large(max));
        }
        if total <= max {
            kept.extend_from_slice(&data);
        }
    }
    if total > max {
        return Err(ApiError::payload_too_large(max));
    }
    Ok(Bytes::from(kept))
}

async fn next_frame(body: &mut Body) -> Option<Result<hyper::body::Frame<Bytes>, axum::Error>> {
    std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await
}

fn content_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse().ok())
}

fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

fn fields<'a>(map: &'a Map<String, Value>, allowed: &[&str]) -> Result<Fields<'a>, ApiError> {
    if let Some(unknown) = map.keys().find(|key| !allowed.contains(&key.as_str())) {
        return Err(
            ApiError::bad_request("INVALID_ATTRIBUTE", format!("Invalid attribute {unknown} specified."))
                .param(unknown.as_str())
                .field(unknown, "Unknown attribute."),
        );
    }
    Ok(Fields { map })
}

fn malformed(detail: &str) -> ApiError {
    ApiError::bad_request("MALFORMED_JSON", detail)
}

fn wrong_type(name: &str, expected: &str) -> ApiError {
    ApiError::bad_request(
        "INVALID_JSON_ATTRIBUTE",
        format!("Received JSON for the {name} attribute does not match expected format."),
    )
    .param(name)
    .field(name, format!("Must be {expected}."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code<T>(result: Result<T, ApiError>) -> String {
        result.err().map(|err| err.error_code.clone()).unwrap_or_default()
    }

    #[test]
    fn fields_are_strict() {
        let body = JsonBody(json!({"desc": "d", "roles": ["A"], "extra": 1}));
        assert_eq!(code(body.object(&["desc", "roles"])), "INVALID_ATTRIBUTE");
        let body = JsonBody(json!({"desc": 3, "roles": ["A", 1], "nothing": null}));
        let fields = body.object(&["desc", "roles", "nothing"]).expect("object");
        assert_eq!(code(fields.string("desc")), "INVALID_JSON_ATTRIBUTE");
        assert_eq!(code(fields.strings("roles")), "INVALID_JSON_ATTRIBUTE");
        assert_eq!(fields.string("nothing").ok(), Some(None));
        let body = JsonBody(json!({"n": 5, "f": 1.5, "s": "5", "big": 1e30}));
        let fields = body.object(&["n", "f", "s", "big", "none"]).expect("object");
        assert_eq!(fields.integer("n").ok(), Some(Some(5)));
        assert_eq!(fields.integer("none").ok(), Some(None));
        for name in ["f", "s", "big"] {
            assert_eq!(code(fields.integer(name)), "INVALID_JSON_ATTRIBUTE", "{name}");
        }
        assert_eq!(code(JsonBody(json!([])).object(&[])), "INVALID_JSON");
        assert_eq!(code(JsonBody(json!({})).array()), "INVALID_JSON");
    }
}
