//! Twirp's two encodings of the few RoomService messages the emulator serves, and its error form
//! (docs/providers/livekit.md, "Transport" and "Error codes").
//!
//! Protobuf messages are written by hand with prost's derive (field numbers from livekit's
//! `livekit_room.proto` and `livekit_models.proto`): no code generation at build time. JSON follows
//! protojson as the generated Twirp handler uses it: requests take snake_case or lowerCamelCase keys
//! and ignore unknown ones; answers use the proto (snake_case) names, emit every field, write int64
//! as strings and enums as names.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prost::Message;
use serde_json::{Map, Value, json};

/// `RoomParticipantIdentity` (RemoveParticipant, GetParticipant).
#[derive(Clone, PartialEq, Message)]
pub struct RoomParticipantIdentity {
    /// The room's name.
    #[prost(string, tag = "1")]
    pub room: String,
    /// The participant's identity.
    #[prost(string, tag = "2")]
    pub identity: String,
    /// Cloud only: revoke the identity's tokens whose `nbf` is before this (unit UNVERIFIED).
    #[prost(int64, tag = "3")]
    pub revoke_token_ts: i64,
}

/// `ListParticipantsRequest`.
#[derive(Clone, PartialEq, Message)]
pub struct ListParticipantsRequest {
    /// The room's name.
    #[prost(string, tag = "1")]
    pub room: String,
}

/// `ListParticipantsResponse`.
#[derive(Clone, PartialEq, Message)]
pub struct ListParticipantsResponse {
    /// Every participant, no pages.
    #[prost(message, repeated, tag = "1")]
    pub participants: Vec<ParticipantInfo>,
}

/// `RemoveParticipantResponse` (empty).
#[derive(Clone, PartialEq, Message)]
pub struct RemoveParticipantResponse {}

/// The fields of `ParticipantInfo` the emulator fills (tracks, permission, attributes and the rest
/// are left at their defaults, which protobuf omits and JSON writes as empty).
#[derive(Clone, PartialEq, Message)]
pub struct ParticipantInfo {
    /// `PA_...`.
    #[prost(string, tag = "1")]
    pub sid: String,
    /// The identity.
    #[prost(string, tag = "2")]
    pub identity: String,
    /// `State`: JOINING 0, JOINED 1, ACTIVE 2, DISCONNECTED 3.
    #[prost(int32, tag = "3")]
    pub state: i32,
    /// Metadata.
    #[prost(string, tag = "5")]
    pub metadata: String,
    /// Join time, seconds.
    #[prost(int64, tag = "6")]
    pub joined_at: i64,
    /// Display name.
    #[prost(string, tag = "9")]
    pub name: String,
    /// Version.
    #[prost(uint32, tag = "10")]
    pub version: u32,
    /// Region.
    #[prost(string, tag = "12")]
    pub region: String,
    /// Whether it publishes.
    #[prost(bool, tag = "13")]
    pub is_publisher: bool,
    /// `Kind`: STANDARD 0, INGRESS 1, EGRESS 2, SIP 3, AGENT 4, CONNECTOR 7, BRIDGE 8.
    #[prost(int32, tag = "14")]
    pub kind: i32,
    /// Join time, milliseconds.
    #[prost(int64, tag = "17")]
    pub joined_at_ms: i64,
}

const STATES: &[(i32, &str)] = &[
    (0, "JOINING"),
    (1, "JOINED"),
    (2, "ACTIVE"),
    (3, "DISCONNECTED"),
];

/// `ParticipantInfo.Kind` names by number.
pub const KINDS: &[(i32, &str)] = &[
    (0, "STANDARD"),
    (1, "INGRESS"),
    (2, "EGRESS"),
    (3, "SIP"),
    (4, "AGENT"),
    (7, "CONNECTOR"),
    (8, "BRIDGE"),
];

fn enum_name(table: &[(i32, &'static str)], value: i32) -> Value {
    table
        .iter()
        .find(|(n, _)| *n == value)
        .map_or_else(|| Value::from(value), |(_, name)| Value::from(*name))
}

impl ParticipantInfo {
    /// protojson with proto names and every field emitted, as the server answers.
    pub fn to_json(&self) -> Value {
        json!({
            "sid": self.sid,
            "identity": self.identity,
            "state": enum_name(STATES, self.state),
            "tracks": [],
            "metadata": self.metadata,
            "joined_at": self.joined_at.to_string(),
            "joined_at_ms": self.joined_at_ms.to_string(),
            "name": self.name,
            "version": self.version,
            "permission": null,
            "region": self.region,
            "is_publisher": self.is_publisher,
            "kind": enum_name(KINDS, self.kind),
            "attributes": {},
            "disconnect_reason": "UNKNOWN_REASON",
            "kind_details": [],
            "data_tracks": [],
        })
    }
}

/// The request encoding, from `Content-Type` (anything after `;` ignored, case-insensitive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// `application/json`.
    Json,
    /// `application/protobuf`.
    Protobuf,
}

impl Encoding {
    /// The encoding `content_type` names, if Twirp serves it.
    pub fn from_content_type(content_type: &str) -> Option<Encoding> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Some(Encoding::Json),
            "application/protobuf" => Some(Encoding::Protobuf),
            _ => None,
        }
    }
}

/// A request message decodable from both encodings.
pub trait Request: Message + Default + Sized {
    /// Fills the message from a protojson object (keys already checked to be an object).
    fn from_json(object: &Map<String, Value>) -> Option<Self>;

    /// The room the request acts on (every RoomService request names one).
    fn room(&self) -> &str;
}

/// A string field under its proto or JSON name: absent or null is empty, another type is malformed.
fn string_field(object: &Map<String, Value>, proto: &str, camel: &str) -> Option<String> {
    match object.get(proto).or_else(|| object.get(camel)) {
        None | Some(Value::Null) => Some(String::new()),
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => None,
    }
}

/// An int64 field: a JSON number or a decimal string (protojson accepts both).
fn int64_field(object: &Map<String, Value>, proto: &str, camel: &str) -> Option<i64> {
    match object.get(proto).or_else(|| object.get(camel)) {
        None | Some(Value::Null) => Some(0),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse().ok(),
        Some(_) => None,
    }
}

impl Request for RoomParticipantIdentity {
    fn from_json(object: &Map<String, Value>) -> Option<Self> {
        Some(RoomParticipantIdentity {
            room: string_field(object, "room", "room")?,
            identity: string_field(object, "identity", "identity")?,
            revoke_token_ts: int64_field(object, "revoke_token_ts", "revokeTokenTs")?,
        })
    }

    fn room(&self) -> &str {
        &self.room
    }
}

impl Request for ListParticipantsRequest {
    fn from_json(object: &Map<String, Value>) -> Option<Self> {
        Some(ListParticipantsRequest {
            room: string_field(object, "room", "room")?,
        })
    }

    fn room(&self) -> &str {
        &self.room
    }
}

/// Decodes a request body; `Err` is the `malformed` answer.
pub fn decode<T: Request>(encoding: Encoding, body: &[u8]) -> Result<T, Refusal> {
    match encoding {
        Encoding::Protobuf => T::decode(body).map_err(|_| {
            Refusal::new(
                TwirpCode::Malformed,
                "the protobuf request could not be decoded",
            )
        }),
        Encoding::Json => {
            // Only the first JSON value is read, as Go's json.Decoder does.
            let first = serde_json::Deserializer::from_slice(body)
                .into_iter::<Value>()
                .next();
            match first {
                Some(Ok(Value::Object(object))) => T::from_json(&object),
                _ => None,
            }
            .ok_or_else(|| {
                Refusal::new(
                    TwirpCode::Malformed,
                    "the json request could not be decoded",
                )
            })
        }
    }
}

/// Encodes an answer: protobuf bytes or protojson.
pub fn answer(encoding: Encoding, message: &impl Message, json: Value) -> Response {
    match encoding {
        Encoding::Protobuf => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/protobuf"),
            )],
            message.encode_to_vec(),
        )
            .into_response(),
        Encoding::Json => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            json.to_string(),
        )
            .into_response(),
    }
}

/// The Twirp error codes the emulator answers, with their HTTP statuses (Twirp v8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwirpCode {
    /// 401.
    Unauthenticated,
    /// 404.
    NotFound,
    /// 404.
    BadRoute,
    /// 400.
    Malformed,
    /// 429.
    ResourceExhausted,
    /// 503.
    Unavailable,
    /// 501.
    Unimplemented,
    /// 500.
    Internal,
}

impl TwirpCode {
    /// The code as written in the body.
    pub fn name(self) -> &'static str {
        match self {
            TwirpCode::Unauthenticated => "unauthenticated",
            TwirpCode::NotFound => "not_found",
            TwirpCode::BadRoute => "bad_route",
            TwirpCode::Malformed => "malformed",
            TwirpCode::ResourceExhausted => "resource_exhausted",
            TwirpCode::Unavailable => "unavailable",
            TwirpCode::Unimplemented => "unimplemented",
            TwirpCode::Internal => "internal",
        }
    }

    /// The HTTP status Twirp sends with it.
    pub fn status(self) -> u16 {
        match self {
            TwirpCode::Unauthenticated => 401,
            TwirpCode::NotFound | TwirpCode::BadRoute => 404,
            TwirpCode::Malformed => 400,
            TwirpCode::ResourceExhausted => 429,
            TwirpCode::Unavailable => 503,
            TwirpCode::Unimplemented => 501,
            TwirpCode::Internal => 500,
        }
    }
}

/// The JSON body of a Twirp error.
pub fn error_body(code: TwirpCode, msg: &str, meta: Option<Value>) -> String {
    let mut body = json!({ "code": code.name(), "msg": msg });
    if let Some(meta) = meta {
        body["meta"] = meta;
    }
    body.to_string()
}

/// A Twirp error, answered as JSON with the code's status.
#[derive(Clone, Debug)]
pub struct Refusal {
    /// The code.
    pub code: TwirpCode,
    /// The message.
    pub msg: String,
    /// `meta`, if any.
    pub meta: Option<Value>,
}

impl Refusal {
    /// A refusal without `meta`.
    pub fn new(code: TwirpCode, msg: impl Into<String>) -> Self {
        Refusal {
            code,
            msg: msg.into(),
            meta: None,
        }
    }

    /// `bad_route` with the `twirp_invalid_route` meta.
    pub fn bad_route(msg: impl Into<String>, method: &str, path: &str) -> Self {
        Refusal {
            code: TwirpCode::BadRoute,
            msg: msg.into(),
            meta: Some(json!({ "twirp_invalid_route": format!("{method} {path}") })),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            error_body(self.code, &self.msg, self.meta),
        )
            .into_response()
    }
}

/// A text/plain answer, as the auth middleware, the body limiter and Go's mux send.
pub fn plain(status: StatusCode, text: impl Into<String>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        text.into(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_requests_take_both_spellings_and_int64_as_string_or_number() {
        let object = |v: Value| v.as_object().cloned().expect("object");
        let camel = RoomParticipantIdentity::from_json(&object(
            json!({"room": "r", "identity": "u", "revokeTokenTs": "17", "extra": 1}),
        ))
        .expect("decodes");
        assert_eq!(camel.revoke_token_ts, 17);
        let snake = RoomParticipantIdentity::from_json(&object(
            json!({"room": "r", "identity": "u", "revoke_token_ts": 18}),
        ))
        .expect("decodes");
        assert_eq!(snake.revoke_token_ts, 18);
        assert!(RoomParticipantIdentity::from_json(&object(json!({"room": 5}))).is_none());
    }

    #[test]
    fn content_types_are_matched_on_their_essence() {
        assert_eq!(
            Encoding::from_content_type("Application/JSON; charset=UTF-8"),
            Some(Encoding::Json)
        );
        assert_eq!(
            Encoding::from_content_type("application/protobuf"),
            Some(Encoding::Protobuf)
        );
        assert_eq!(Encoding::from_content_type("text/plain"), None);
    }

    #[test]
    fn answers_write_int64_as_strings_and_enums_as_names() {
        let info = ParticipantInfo {
            identity: "u".to_owned(),
            state: 2,
            kind: 4,
            joined_at: 5,
            ..Default::default()
        };
        let json = info.to_json();
        assert_eq!(json["state"], "ACTIVE");
        assert_eq!(json["kind"], "AGENT");
        assert_eq!(json["joined_at"], "5");
        let bytes = info.encode_to_vec();
        assert_eq!(
            ParticipantInfo::decode(bytes.as_slice()).expect("round trip"),
            info
        );
    }
}
