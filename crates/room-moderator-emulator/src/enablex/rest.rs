//! The Video v2 server API routes the adapter uses (create token, list users), and the EnableX admin
//! routes (the tokens created, the knob that withholds the roster).
//!
//! HTTP Basic `APP_ID:APP_KEY` on every call. Validation failures answer the classic envelope
//! `{"result": <code>, "error", "desc"}` (Rooms API codes 10001 / 10002); authentication, unknown rooms
//! and throttling answer the newer `{"status": "error", "error_code", "message", "request_id"}` with
//! HTTP 401 / 404 / 429. Which envelope the real Video v2 uses for which error is UNVERIFIED; using both
//! keeps clients honest about reading both.

use std::time::Instant;

use axum::Json;
use axum::extract::{Path, State as Extract};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::state::{CreatedToken, IssuedToken};
use super::{RosterWithholding, Service};
use crate::{Admission, Api, fault_response};

const ROLES: [&str; 3] = ["moderator", "participant", "viewer"];

/// The most keys a token's `data` may hold (EnableX "Create Token").
const MAX_DATA_KEYS: usize = 5;

fn newer_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({
            "status": "error",
            "error_code": code,
            "message": message,
            "request_id": format!("emu-{}", rand_suffix()),
        })),
    )
        .into_response()
}

fn classic_error(status: StatusCode, code: u32, error: &str, desc: &str) -> Response {
    (
        status,
        Json(json!({"result": code, "error": error, "desc": desc})),
    )
        .into_response()
}

fn rand_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{nanos:x}")
}

/// Admission, faults and Basic auth, shared by every route. `None` means: go ahead.
async fn gate(
    service: &Service,
    api: Api,
    method: &str,
    target: &str,
    headers: &HeaderMap,
) -> Option<Response> {
    match service.controls.admit(Some(api), method, target).await {
        Admission::Proceed => {}
        Admission::Throttled { retry_after } => {
            let mut response = newer_error(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                "Too many requests",
            );
            if let Some(seconds) = retry_after
                && let Ok(value) = seconds.to_string().parse()
            {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return Some(response);
        }
        Admission::Fault(fault) => return Some(fault_response(fault)),
    }
    let expected = format!(
        "Basic {}",
        STANDARD.encode(format!(
            "{}:{}",
            service.config.app_id, service.config.app_key
        ))
    );
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        service
            .controls
            .record_violation("missing or wrong Basic APP_ID:APP_KEY");
        return Some(newer_error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Invalid APP_ID or APP_KEY",
        ));
    }
    None
}

/// `POST /video/v2/rooms/{room_id}/tokens`.
pub(crate) async fn create_token(
    Extract(service): Extract<Service>,
    Path(room): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let target = format!("/video/v2/rooms/{room}/tokens");
    if let Some(response) = gate(&service, Api::EnablexToken, "POST", &target, &headers).await {
        return response;
    }
    let Ok(Value::Object(body)) = serde_json::from_str::<Value>(&body) else {
        service
            .controls
            .record_violation("body is not a JSON object");
        return classic_error(
            StatusCode::BAD_REQUEST,
            10002,
            "Invalid Parameter",
            "body must be a JSON object with name, role, user_ref",
        );
    };
    let text = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default();
    if text("name").trim().is_empty() {
        service.controls.record_violation("name missing");
        return classic_error(
            StatusCode::BAD_REQUEST,
            10002,
            "Invalid Parameter",
            "name missing",
        );
    }
    let role = text("role");
    if !ROLES.contains(&role) {
        service
            .controls
            .record_violation("role is not moderator, participant or viewer");
        return newer_error(
            StatusCode::BAD_REQUEST,
            "INVALID_PARAM",
            "role must be moderator, participant or viewer",
        );
    }
    // `data`: an object of at most 5 keys. Which error EnableX answers otherwise is UNVERIFIED; the
    // same INVALID_PARAM as a bad role.
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    match &data {
        Value::Null => {}
        Value::Object(keys) if keys.len() <= MAX_DATA_KEYS => {}
        _ => {
            service
                .controls
                .record_violation("data is not an object of at most 5 keys");
            return newer_error(
                StatusCode::BAD_REQUEST,
                "INVALID_PARAM",
                "data must be an object with at most 5 keys",
            );
        }
    }
    if !service.state.room_exists(&room) {
        return newer_error(StatusCode::NOT_FOUND, "NOT_FOUND", "room not found");
    }
    let requested_role = role.to_owned();
    let role = service
        .state
        .forced_role()
        .unwrap_or_else(|| role.to_owned());
    let token_id = service.state.issue_token(
        IssuedToken {
            room: room.clone(),
            role: role.clone(),
            name: text("name").to_owned(),
            user_ref: text("user_ref").to_owned(),
            issued: Instant::now(),
            used: false,
        },
        CreatedToken {
            room: room.clone(),
            name: text("name").to_owned(),
            role: requested_role,
            issued_role: role.clone(),
            user_ref: text("user_ref").to_owned(),
            data,
        },
    );
    // Tokens point at this listener for signalling, as the Host the client used to reach us.
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| service.addr.get().map(ToString::to_string))
        .unwrap_or_default();
    let mut token = json!({
        "tokenId": token_id,
        "host": host,
        "secure": false,
        "roomId": room,
        "role": role,
        "user_ref": text("user_ref"),
        "name": text("name"),
        "logId": format!("log-{token_id}"),
        "version": "v2",
        "roomMeta": {"settings": {"mode": "group", "moderators": "1", "participants": "100"}},
    });
    if service.config.gateway {
        token["gateway"] = json!(token["host"]);
        token["host"] = json!(super::GATEWAY_HOST);
    }
    Json(json!({"result": 0, "token": STANDARD.encode(token.to_string())})).into_response()
}

/// `GET /video/v2/rooms/{room_id}/users`: the live roster, without clientIds (as documented).
pub(crate) async fn list_users(
    Extract(service): Extract<Service>,
    Path(room): Path<String>,
    headers: HeaderMap,
) -> Response {
    let target = format!("/video/v2/rooms/{room}/users");
    if let Some(response) = gate(&service, Api::EnablexUsers, "GET", &target, &headers).await {
        return response;
    }
    let Some(connections) = service.state.connections(&room) else {
        return newer_error(StatusCode::NOT_FOUND, "NOT_FOUND", "room not found");
    };
    let users: Vec<Value> = connections
        .iter()
        .map(|c| json!({"name": c.name, "user_ref": c.user_ref, "role": c.role, "permissions": {}}))
        .collect();
    if users.is_empty() {
        return Json(json!({"result": 0, "total": 0, "users": null})).into_response();
    }
    Json(json!({"result": 0, "total": users.len(), "users": users})).into_response()
}

/// `GET /_emulator/enablex/tokens`: every token created, oldest first (what was asked for, never the
/// token).
pub(crate) async fn list_created_tokens(Extract(service): Extract<Service>) -> Response {
    Json(service.state.created_tokens()).into_response()
}

/// `PUT /_emulator/enablex/roster-withholding` with a [`RosterWithholding`] as JSON.
pub(crate) async fn withhold_roster(Extract(service): Extract<Service>, body: String) -> Response {
    match serde_json::from_str::<RosterWithholding>(&body) {
        Ok(mode) => {
            service.state.set_withholding(Some(mode));
            Json(json!({"withholding": format!("{mode:?}")})).into_response()
        }
        Err(error) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": format!(
                "expected {{\"mode\": \"missing\" | \"null\" | \"not-a-list\" | \"late\", \"millis\": ..}}: {error}"
            )})),
        )
            .into_response(),
    }
}

/// `DELETE /_emulator/enablex/roster-withholding`: joiners get the roster again.
pub(crate) async fn stop_withholding_roster(Extract(service): Extract<Service>) -> Response {
    service.state.set_withholding(None);
    Json(json!({"withholding": null})).into_response()
}
