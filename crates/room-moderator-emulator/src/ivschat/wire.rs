//! IVS Chat's restJson1 answers: 200 with an empty body (DisconnectUser) or a JSON object
//! (CreateChatToken), or an error status with `x-amzn-ErrorType`,
//! `x-amzn-RequestId` and a JSON body whose members depend on the error (see the service model).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use crate::Fault;

/// The error types the emulator sends: the five DisconnectUser declares (CreateChatToken declares
/// the same but `ThrottlingException`, which it still answers over its quota),
/// `InternalServerException`, and the AWS front end's authentication errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorType {
    /// 403 `AccessDeniedException`.
    AccessDenied,
    /// 403 `PendingVerification`: the account is not verified yet.
    PendingVerification,
    /// 404 `ResourceNotFoundException`: no such room.
    ResourceNotFound,
    /// 429 `ThrottlingException`: over the operation's quota (DisconnectUser 100, CreateChatToken 200
    /// requests per second).
    Throttling,
    /// 400 `ValidationException`, with `reason` and `fieldList`.
    Validation,
    /// 500 `InternalServerException`.
    InternalServer,
    /// 403 `UnrecognizedClientException`: unknown access key or session token.
    UnrecognizedClient,
    /// 403 `InvalidSignatureException`: wrong signature, wrong scope, or a date more than 5 minutes off.
    InvalidSignature,
    /// 403 `IncompleteSignatureException`: a malformed `Authorization` header.
    IncompleteSignature,
    /// 403 `MissingAuthenticationTokenException`: no `Authorization` header.
    MissingAuthenticationToken,
}

impl ErrorType {
    /// The name sent in `x-amzn-ErrorType`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorType::AccessDenied => "AccessDeniedException",
            ErrorType::PendingVerification => "PendingVerification",
            ErrorType::ResourceNotFound => "ResourceNotFoundException",
            ErrorType::Throttling => "ThrottlingException",
            ErrorType::Validation => "ValidationException",
            ErrorType::InternalServer => "InternalServerException",
            ErrorType::UnrecognizedClient => "UnrecognizedClientException",
            ErrorType::InvalidSignature => "InvalidSignatureException",
            ErrorType::IncompleteSignature => "IncompleteSignatureException",
            ErrorType::MissingAuthenticationToken => "MissingAuthenticationTokenException",
        }
    }

    /// The HTTP status it comes with.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorType::Validation => StatusCode::BAD_REQUEST,
            ErrorType::ResourceNotFound => StatusCode::NOT_FOUND,
            ErrorType::Throttling => StatusCode::TOO_MANY_REQUESTS,
            ErrorType::InternalServer => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::AccessDenied
            | ErrorType::PendingVerification
            | ErrorType::UnrecognizedClient
            | ErrorType::InvalidSignature
            | ErrorType::IncompleteSignature
            | ErrorType::MissingAuthenticationToken => StatusCode::FORBIDDEN,
        }
    }

    /// The `x-amzn-ErrorType` value. AWS's front end (Coral) appends its namespace URL to the errors it
    /// raises itself, before the service sees the request; the SDK strips everything after `:`.
    fn header_value(self) -> String {
        match self {
            ErrorType::UnrecognizedClient
            | ErrorType::InvalidSignature
            | ErrorType::IncompleteSignature
            | ErrorType::MissingAuthenticationToken => format!(
                "{}:http://internal.amazon.com/coral/com.amazon.coral.service/",
                self.name()
            ),
            _ => self.name().to_owned(),
        }
    }
}

/// An error answer: the status of `error_type`, its headers, and `body` (which holds at least
/// `message`).
pub(super) fn error(error_type: ErrorType, request_id: &str, body: Value) -> Response {
    respond(
        error_type.status(),
        request_id,
        Some(&error_type.header_value()),
        body.to_string(),
    )
}

/// DisconnectUser's success: 200 and an empty body.
pub(super) fn success(request_id: &str) -> Response {
    respond(StatusCode::OK, request_id, None, String::new())
}

/// A success with a JSON body (CreateChatToken's `{token, tokenExpirationTime, ...}`).
pub(super) fn success_json(request_id: &str, body: &Value) -> Response {
    respond(StatusCode::OK, request_id, None, body.to_string())
}

/// 404 `ResourceNotFoundException` for room `room` (the identifier as sent).
pub(super) fn room_not_found(request_id: &str, room: &str) -> Response {
    error(
        ErrorType::ResourceNotFound,
        request_id,
        json!({
            "message": format!("Room {room} not found"),
            "resourceId": room,
            "resourceType": "ROOM",
        }),
    )
}

/// 429 `ThrottlingException` over a quota of `limit` per second; `resourceId` is the room the
/// request named, if its body says.
pub(super) fn throttled(request_id: &str, body: &[u8], limit: u32) -> Response {
    let room = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("roomIdentifier")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    error(
        ErrorType::Throttling,
        request_id,
        json!({
            "message": "Rate exceeded",
            "resourceId": room,
            "resourceType": "ROOM",
            "limit": limit,
        }),
    )
}

fn respond(
    status: StatusCode,
    request_id: &str,
    error_type: Option<&str>,
    body: String,
) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    if let Some(error_type) = error_type.and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert("x-amzn-errortype", error_type);
    }
    response
}

/// The `x-amzn-RequestId` of answers produced by [`error_fault`].
pub const SCRIPTED_REQUEST_ID: &str = "00000000-0000-4000-8000-000000000000";

/// A scripted fault that answers like IVS Chat would with `error_type` and `message`, for errors the
/// emulator does not produce by itself (`AccessDeniedException`, `PendingVerification`,
/// `InternalServerException`).
///
/// ```
/// use room_moderator_emulator::ivschat::{ErrorType, error_fault};
/// let fault = error_fault(ErrorType::PendingVerification, "Your account is pending verification.");
/// # let _ = fault;
/// ```
pub fn error_fault(error_type: ErrorType, message: &str) -> Fault {
    Fault::Status {
        status: error_type.status().as_u16(),
        body: json!({ "message": message }).to_string(),
        headers: vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("x-amzn-errortype".to_owned(), error_type.header_value()),
            (
                "x-amzn-requestid".to_owned(),
                SCRIPTED_REQUEST_ID.to_owned(),
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_model() {
        for (error_type, status) in [
            (ErrorType::AccessDenied, 403),
            (ErrorType::PendingVerification, 403),
            (ErrorType::ResourceNotFound, 404),
            (ErrorType::Throttling, 429),
            (ErrorType::Validation, 400),
            (ErrorType::InternalServer, 500),
            (ErrorType::UnrecognizedClient, 403),
            (ErrorType::InvalidSignature, 403),
        ] {
            assert_eq!(error_type.status().as_u16(), status, "{error_type:?}");
        }
    }

    #[test]
    fn error_answers_carry_type_request_id_and_json() {
        let response = error(
            ErrorType::UnrecognizedClient,
            "req-1",
            json!({"message": "The security token included in the request is invalid."}),
        );
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let headers = response.headers();
        assert_eq!(headers["x-amzn-requestid"], "req-1");
        assert!(
            headers["x-amzn-errortype"]
                .to_str()
                .is_ok_and(|t| t.starts_with("UnrecognizedClientException:http"))
        );
        assert_eq!(headers["content-type"], "application/json");
        let modeled = error(ErrorType::ResourceNotFound, "req-2", json!({}));
        assert_eq!(
            modeled.headers()["x-amzn-errortype"],
            "ResourceNotFoundException"
        );
    }
}
