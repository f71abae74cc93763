//! ZEGO's wire format as the emulator reads and writes it: query parameters in, the
//! `{"Code","Message","RequestId"}` envelope out (always HTTP 200, as ZEGO documents).

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// The query parameters of one request, decoded (`+` and `%20` both read as a space, as Go's
/// `url.ParseQuery` on ZEGO's side would). `UserId%5B%5D` decodes to `UserId[]`, so both spellings
/// of the array key are accepted.
#[derive(Debug, Default)]
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub(super) fn parse(query: &str) -> Self {
        Params(
            url::form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `key`, if present and not empty.
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Every value of `key`, in order.
    pub(super) fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// What the emulator answers, and whether the request broke ZEGO's rules (counted as a violation) or
/// was a legitimate request with an unhappy answer (unknown room, absent user).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Reply {
    pub code: i64,
    pub message: String,
    pub violation: bool,
    /// Fields of the answer besides the envelope (`UserList`, `Data`, ...).
    pub fields: Map<String, Value>,
}

impl Reply {
    pub(super) fn success() -> Self {
        Reply {
            code: 0,
            message: "success".to_owned(),
            violation: false,
            fields: Map::new(),
        }
    }

    /// The request broke a documented rule (signature, limits, parameters).
    pub(super) fn rejected(code: i64, message: impl Into<String>) -> Self {
        Reply {
            code,
            message: message.into(),
            violation: true,
            fields: Map::new(),
        }
    }

    /// A well-formed request that fails for a business reason.
    pub(super) fn refused(code: i64, message: impl Into<String>) -> Self {
        Reply {
            code,
            message: message.into(),
            violation: false,
            fields: Map::new(),
        }
    }

    /// Adds a field to the answer.
    pub(super) fn with(mut self, key: &str, value: Value) -> Self {
        self.fields.insert(key.to_owned(), value);
        self
    }

    pub(super) fn into_response(self, request_id: u64) -> Response {
        let mut body = self.fields;
        body.insert("Code".to_owned(), json!(self.code));
        body.insert("Message".to_owned(), json!(self.message));
        body.insert("RequestId".to_owned(), json!(request_id.to_string()));
        Json(Value::Object(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_of_the_array_key_and_both_spaces() {
        let params = Params::parse("UserId[]=a&UserId%5B%5D=b+c&UserId%5b%5d=d%20e&RoomId=&X=%26");
        assert_eq!(params.all("UserId[]"), ["a", "b c", "d e"]);
        assert_eq!(params.get("RoomId"), None, "empty counts as missing");
        assert_eq!(params.get("X"), Some("&"));
        assert_eq!(params.get("Y"), None);
    }
}
