//! `POST /CreateChatToken`: admission (faults, 200 TPS), SigV4, the model's field rules, the room,
//! then a fresh random token with its expiry times.
//!
//! Follows docs/providers/bans.md §2.1 (CreateChatToken, from the service model and the API reference):
//! `roomIdentifier` (the room ARN) and `userId` (1..128) required; `capabilities` a list of
//! `SEND_MESSAGE | DISCONNECT_USER | DELETE_MESSAGE`; `sessionDurationInMinutes` 1..180, default 60;
//! `attributes` a string map of at most 1 KB; answer `{token, tokenExpirationTime,
//! sessionExpirationTime}` with ISO 8601 times; the token is valid for one minute.
//! UNVERIFIED and chosen here: the 1 KB of `attributes` is counted as the JSON object's bytes (the
//! strictest reading, so that a client passing here passes under every reading); the token's shape
//! (IVS's is opaque); `resourceId` in `ResourceNotFoundException` is the identifier as sent.

use std::collections::BTreeMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::sigv4::format_iso8601;
use super::validation::{self, Problems};
use super::wire;
use super::{IssuedChatToken, Service};
use crate::Api;

/// The capabilities the model's enum allows.
pub(super) const CAPABILITIES: [&str; 3] = ["SEND_MESSAGE", "DISCONNECT_USER", "DELETE_MESSAGE"];

/// The session length when the request names none.
const DEFAULT_SESSION_MINUTES: i64 = 60;

/// How long a token may wait before it is used ("valid for one minute").
const TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// The most bytes `attributes` may take, as a JSON object.
const MAX_ATTRIBUTES_BYTES: usize = 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateChatTokenRequest {
    room_identifier: Option<String>,
    user_id: Option<String>,
    capabilities: Option<Vec<String>>,
    session_duration_in_minutes: Option<i64>,
    attributes: Option<BTreeMap<String, String>>,
}

pub(super) async fn create_chat_token(
    State(service): State<Service>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let limit = service.config.create_chat_token_per_second;
    let (request_id, issued) = service
        .accept(
            Api::IvsToken,
            &service.token_controls,
            limit,
            &uri,
            &headers,
            &body,
            validate,
        )
        .await?;
    if !service.rooms.exists(&issued.room) {
        return Err(wire::room_not_found(&request_id, &issued.room));
    }
    let now = SystemTime::now();
    let minutes = issued
        .session_duration_in_minutes
        .unwrap_or(DEFAULT_SESSION_MINUTES)
        .unsigned_abs();
    let session_ends = now + Duration::from_secs(minutes * 60);
    let answer = json!({
        "token": random_token(&request_id),
        "tokenExpirationTime": format_iso8601(now + TOKEN_LIFETIME),
        "sessionExpirationTime": format_iso8601(session_ends),
    });
    service.record_token(issued);
    Ok(wire::success_json(&request_id, &answer))
}

/// The body against the model: what the token grants, or the `ValidationException` body.
fn validate(body: &[u8]) -> Result<IssuedChatToken, Value> {
    let request: CreateChatTokenRequest = validation::parse(body)?;
    let mut problems = Problems::default();
    problems.room_and_user(
        request.room_identifier.as_deref(),
        request.user_id.as_deref(),
    );
    problems.room_pattern("roomIdentifier", request.room_identifier.as_deref());
    let capabilities = request.capabilities.unwrap_or_default();
    for (at, capability) in capabilities.iter().enumerate() {
        if !CAPABILITIES.contains(&capability.as_str()) {
            problems.push(
                &format!("capabilities.{at}.member"),
                format!(
                    "Member must satisfy enum value set: [{}]",
                    CAPABILITIES.join(", ")
                ),
            );
        }
    }
    problems.range(
        "sessionDurationInMinutes",
        request.session_duration_in_minutes,
        1,
        180,
    );
    let attributes = request.attributes.unwrap_or_default();
    let attributes_size = serde_json::to_vec(&attributes).map_or(usize::MAX, |json| json.len());
    if !attributes.is_empty() && attributes_size > MAX_ATTRIBUTES_BYTES {
        problems.push(
            "attributes",
            format!(
                "Member must have a total size less than or equal to {MAX_ATTRIBUTES_BYTES} bytes"
            ),
        );
    }
    problems.into_answer()?;
    Ok(IssuedChatToken {
        room: request.room_identifier.unwrap_or_default(),
        user: request.user_id.unwrap_or_default(),
        capabilities,
        session_duration_in_minutes: request.session_duration_in_minutes,
        attributes,
    })
}

/// An opaque token, different on every call and unpredictable from outside (the process's random
/// hasher keys, the clock and the request id, through SHA-256). It is a test credential, not a
/// secure one.
pub(super) fn random_token(request_id: &str) -> String {
    let seed = RandomState::new().hash_one(request_id);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let digest = Sha256::new()
        .chain_update(seed.to_le_bytes())
        .chain_update(nanos.to_le_bytes())
        .chain_update(request_id.as_bytes())
        .finalize();
    format!("AQICAHemulator{}", hex::encode(digest))
}

#[cfg(test)]
mod tests {
    use super::super::validation::testing::{ROOM, fields};
    use super::*;

    #[test]
    fn a_full_request_passes_as_sent() {
        let body = json!({
            "roomIdentifier": ROOM,
            "userId": "alice",
            "capabilities": ["SEND_MESSAGE", "DELETE_MESSAGE"],
            "sessionDurationInMinutes": 180,
            "attributes": {"color": "blue"},
        })
        .to_string();
        let issued = validate(body.as_bytes()).expect("valid");
        assert_eq!(issued.capabilities, ["SEND_MESSAGE", "DELETE_MESSAGE"]);
        assert_eq!(issued.session_duration_in_minutes, Some(180));
        assert_eq!(issued.attributes["color"], "blue");
        let minimal = json!({"roomIdentifier": ROOM, "userId": "u"}).to_string();
        let issued = validate(minimal.as_bytes()).expect("valid");
        assert!(issued.capabilities.is_empty() && issued.attributes.is_empty());
        assert_eq!(issued.session_duration_in_minutes, None);
    }

    #[test]
    fn every_broken_field_is_listed() {
        let body = json!({
            "roomIdentifier": "lobby",
            "userId": "",
            "capabilities": ["SEND_MESSAGE", "VIEW"],
            "sessionDurationInMinutes": 181,
            "attributes": {"k": "v".repeat(1020)},
        })
        .to_string();
        let answer = validate(body.as_bytes()).expect_err("invalid");
        assert_eq!(answer["reason"], "FIELD_VALIDATION_FAILED");
        assert_eq!(
            fields(&answer),
            [
                "userId",
                "roomIdentifier",
                "capabilities.1.member",
                "sessionDurationInMinutes",
                "attributes"
            ]
        );
        let zero = json!({"roomIdentifier": ROOM, "userId": "u", "sessionDurationInMinutes": 0});
        let answer = validate(zero.to_string().as_bytes()).expect_err("0 minutes");
        assert_eq!(fields(&answer), ["sessionDurationInMinutes"]);
        let answer = validate(br#"{"roomIdentifier": 5}"#).expect_err("not a string");
        assert_eq!(answer["reason"], "OTHER");
    }

    #[test]
    fn tokens_differ_and_times_are_iso_8601() {
        assert_ne!(random_token("a"), random_token("a"));
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(format_iso8601(at), "2023-11-14T22:13:20.123Z");
    }
}
