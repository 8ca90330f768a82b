//! Request body parsing with Atlas-style 400s instead of axum's plain-text rejections.
//!
//! `JsonBody` reads any JSON; `Fields` reads one object strictly: unknown attributes are refused
//! (`INVALID_ATTRIBUTE`), wrong types name the attribute (`INVALID_JSON_ATTRIBUTE`), and `null`
//! counts as absent. Strictness catches client serialisation mistakes that Atlas would refuse.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// A parsed JSON request body.
#[derive(Debug, Clone)]
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<JsonBody, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| malformed("The request body could not be read."))?;
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
        assert_eq!(code(JsonBody(json!([])).object(&[])), "INVALID_JSON");
        assert_eq!(code(JsonBody(json!({})).array()), "INVALID_JSON");
    }
}
