//! `POST /DisconnectUser`: admission (faults, 100 TPS), SigV4, the model's field rules, the room.
//!
//! Follows the service model (`DisconnectUserRequest`, the five declared errors) and the API reference.
//! UNVERIFIED and chosen here: a body that is not JSON answers `ValidationException` with reason
//! `OTHER` (the model declares no `SerializationException`); `resourceId` in `ResourceNotFoundException`
//! and `ThrottlingException` is the room identifier as sent; no `Retry-After` is sent on throttling
//! (AWS documents none).

use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::sigv4::{self, SignedRequest};
use super::wire::{self, ErrorType};
use super::{Disconnection, Service};
use crate::{Admission, Removal, fault_response};

const ROOM_PATTERN: &str = "^arn:aws:ivschat:[a-z0-9-]+:[0-9]+:room/[a-zA-Z0-9-]+$";

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
) -> Response {
    let request_id = service.next_request_id();
    match service.controls.admit("POST", uri.path()).await {
        Admission::Proceed => {}
        Admission::Throttled { .. } => return throttled(&service, &request_id, &body),
        Admission::Fault(fault) => return fault_response(fault),
    }
    let signed = SignedRequest {
        method: "POST",
        path: uri.path(),
        query: uri.query(),
        headers: &headers,
        body: &body,
    };
    if let Err(rejection) = sigv4::verify(&signed, &service.expected(), SystemTime::now()) {
        service
            .controls
            .record_violation(rejection.error_type.name());
        return wire::error(
            rejection.error_type,
            &request_id,
            json!({ "message": rejection.message }),
        );
    }
    let valid = match validate(&body) {
        Ok(valid) => valid,
        Err(answer) => {
            service
                .controls
                .record_violation(ErrorType::Validation.name());
            return wire::error(ErrorType::Validation, &request_id, answer);
        }
    };
    match service.rooms.remove(&valid.room, &valid.user) {
        Removal::NoRoom => wire::error(
            ErrorType::ResourceNotFound,
            &request_id,
            json!({
                "message": format!("Room {} not found", valid.room),
                "resourceId": valid.room,
                "resourceType": "ROOM",
            }),
        ),
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
    }
}

fn throttled(service: &Service, request_id: &str, body: &[u8]) -> Response {
    let room = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("roomIdentifier")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    wire::error(
        ErrorType::Throttling,
        request_id,
        json!({
            "message": "Rate exceeded",
            "resourceId": room,
            "resourceType": "ROOM",
            "limit": service.config.requests_per_second.map_or(0, |r| r.get()),
        }),
    )
}

/// The body against the model: the request, or the `ValidationException` body to answer.
fn validate(body: &[u8]) -> Result<Valid, Value> {
    let request: DisconnectUserRequest = serde_json::from_slice(body).map_err(|e| {
        json!({
            "message": format!("Could not parse the request body: {e}"),
            "reason": "OTHER",
        })
    })?;
    let mut problems = Vec::new();
    let mut check = |name: &str, value: Option<&str>, max: usize, required: bool| match value {
        None if required => problems.push((name.to_owned(), "Member must not be null".to_owned())),
        None => {}
        Some(value) => {
            let len = value.chars().count();
            if len < 1 {
                problems.push((
                    name.to_owned(),
                    "Member must have length greater than or equal to 1".to_owned(),
                ));
            } else if len > max {
                problems.push((
                    name.to_owned(),
                    format!("Member must have length less than or equal to {max}"),
                ));
            }
        }
    };
    check(
        "roomIdentifier",
        request.room_identifier.as_deref(),
        128,
        true,
    );
    check("userId", request.user_id.as_deref(), 128, true);
    check("reason", request.reason.as_deref(), 256, false);
    if let Some(room) = &request.room_identifier
        && !room.is_empty()
        && !is_room_arn(room)
    {
        problems.push((
            "roomIdentifier".to_owned(),
            format!("Member must satisfy regular expression pattern: {ROOM_PATTERN}"),
        ));
    }
    match (request.room_identifier, request.user_id) {
        (Some(room), Some(user)) if problems.is_empty() => Ok(Valid {
            room,
            user,
            reason: request.reason,
        }),
        _ => Err(json!({
            "message": format!(
                "{} validation error{} detected",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            ),
            "reason": "FIELD_VALIDATION_FAILED",
            "fieldList": problems
                .iter()
                .map(|(name, message)| json!({ "name": name, "message": message }))
                .collect::<Vec<_>>(),
        })),
    }
}

/// [`ROOM_PATTERN`], matched part by part: six `:`-separated fields, the last one `room/<id>`.
fn is_room_arn(value: &str) -> bool {
    let fields: Vec<&str> = value.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = fields[..] else {
        return false;
    };
    let word = |s: &str, ok: fn(char) -> bool| !s.is_empty() && s.chars().all(ok);
    (arn, partition, service) == ("arn", "aws", "ivschat")
        && word(region, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
        })
        && word(account, |c| c.is_ascii_digit())
        && resource
            .strip_prefix("room/")
            .is_some_and(|id| word(id, |c| c.is_ascii_alphanumeric() || c == '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: &str = "arn:aws:ivschat:us-east-1:123456789012:room/abc-DEF-1";

    fn fields(answer: &Value) -> Vec<String> {
        answer["fieldList"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|f| f["name"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn the_room_pattern() {
        assert!(is_room_arn(ROOM));
        for bad in [
            "abc",
            "arn:aws:ivschat:us-east-1:123456789012:room/",
            "arn:aws:ivschat:us-east-1:123456789012:room/a_b",
            "arn:aws:ivschat:us-east-1:123456789012:room/a:b",
            "arn:aws:ivschat:US-EAST-1:123456789012:room/a",
            "arn:aws:ivschat:us-east-1:12x:room/a",
            "arn:aws:ivs:us-east-1:1:room/a",
            "arn:aws-cn:ivschat:us-east-1:1:room/a",
            "arn:aws:ivschat:us-east-1:1:channel/a",
        ] {
            assert!(!is_room_arn(bad), "{bad}");
        }
    }

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
