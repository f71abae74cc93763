//! `POST /DisconnectUser`: admission (faults, 100 TPS), SigV4, the model's field rules, the room.
//!
//! Follows the service model (`DisconnectUserRequest`, the five declared errors) and the API reference.
//! UNVERIFIED and chosen here: `resourceId` in `ResourceNotFoundException` and `ThrottlingException`
//! is the room identifier as sent; no `Retry-After` is sent on throttling (AWS documents none).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::validation::{self, Problems};
use super::wire;
use super::{Disconnection, Service};
use crate::{Api, Removal};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DisconnectUserRequest {
    room_identifier: Option<String>,
    user_id: Option<String>,
    reason: Option<String>,
}

/// A request that passed the model's rules.
struct Valid {
    room: String,
    user: String,
    reason: Option<String>,
}

pub(super) async fn disconnect_user(
    State(service): State<Service>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Response> {
    let limit = service.config.requests_per_second;
    let (request_id, valid) = service
        .accept(
            Api::IvsKick,
            &service.controls,
            limit,
            &uri,
            &headers,
            &body,
            validate,
        )
        .await?;
    Ok(match service.rooms.remove(&valid.room, &valid.user) {
        Removal::NoRoom => wire::room_not_found(&request_id, &valid.room),
        // IVS answers the same whether or not the user was connected.
        removal => {
            service.record(Disconnection {
                room: valid.room,
                user: valid.user,
                reason: valid.reason,
                was_member: removal == Removal::Removed,
            });
            wire::success(&request_id)
        }
    })
}

/// The body against the model: the request, or the `ValidationException` body to answer.
fn validate(body: &[u8]) -> Result<Valid, Value> {
    let request: DisconnectUserRequest = validation::parse(body)?;
    let mut problems = Problems::default();
    problems.room_and_user(
        request.room_identifier.as_deref(),
        request.user_id.as_deref(),
    );
    problems.length("reason", request.reason.as_deref(), 256, false);
    problems.room_pattern("roomIdentifier", request.room_identifier.as_deref());
    problems.into_answer()?;
    match (request.room_identifier, request.user_id) {
        (Some(room), Some(user)) => Ok(Valid {
            room,
            user,
            reason: request.reason,
        }),
        // Unreachable: both are required above; answered as the model would anyway.
        _ => {
            Err(json!({"message": "Member must not be null", "reason": "FIELD_VALIDATION_FAILED"}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::validation::testing::{ROOM, fields};
    use super::*;

    #[test]
    fn valid_requests_pass() {
        let body = json!({"roomIdentifier": ROOM, "userId": "u", "reason": "r"}).to_string();
        let valid = validate(body.as_bytes()).expect("valid");
        assert_eq!((valid.room.as_str(), valid.user.as_str()), (ROOM, "u"));
        assert_eq!(valid.reason.as_deref(), Some("r"));
        let no_reason = json!({"roomIdentifier": ROOM, "userId": "é".repeat(128)}).to_string();
        assert!(validate(no_reason.as_bytes()).is_ok());
    }

    #[test]
    fn every_broken_field_is_listed() {
        let body = json!({
            "roomIdentifier": "lobby",
            "userId": "u".repeat(129),
            "reason": "r".repeat(257),
        })
        .to_string();
        let answer = validate(body.as_bytes()).err().expect("invalid");
        assert_eq!(answer["reason"], "FIELD_VALIDATION_FAILED");
        assert_eq!(answer["message"], "3 validation errors detected");
        assert_eq!(fields(&answer), ["userId", "reason", "roomIdentifier"]);

        let empty = json!({"roomIdentifier": ROOM, "userId": "", "reason": ""}).to_string();
        let answer = validate(empty.as_bytes()).err().expect("invalid");
        assert_eq!(fields(&answer), ["userId", "reason"]);

        let missing = json!({}).to_string();
        let answer = validate(missing.as_bytes()).err().expect("invalid");
        assert_eq!(fields(&answer), ["roomIdentifier", "userId"]);
        assert_eq!(answer["fieldList"][0]["message"], "Member must not be null");
    }

    #[test]
    fn a_body_that_is_not_json_is_a_validation_error() {
        let answer = validate(b"<xml/>").err().expect("invalid");
        assert_eq!(answer["reason"], "OTHER");
    }
}
