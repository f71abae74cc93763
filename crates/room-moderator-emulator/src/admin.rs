//! The admin API every emulated provider serves under `/_emulator/`, so that tests in any language can
//! seed rooms, script faults and read the request log over HTTP.
//!
//! | route | does |
//! |---|---|
//! | `PUT /_emulator/rooms/{room}` `{"members": ["u1", ...]}` | creates the room and adds members |
//! | `GET /_emulator/rooms/{room}` | `{"members": [...]}` or 404 |
//! | `POST /_emulator/faults` `{"fault": "status", "status": 503, "body": "..", "count": 2}` | queues faults |
//! | `POST /_emulator/faults` `{"api": "zim-kick", "spec": "throttle-first:10"}` | a fault rule for one API |
//! | `DELETE /_emulator/faults` | drops every fault rule, lasting ones included |
//! | `GET /_emulator/requests` | the request log |
//! | `GET /_emulator/counters` | requests, throttled, violations, faults, peak per second, foreign |
//! | `POST /_emulator/settings` `{"latency_ms": 30, "foreign_load": 0.5}` | latency; share of the quota a hidden consumer takes |
//! | `POST /_emulator/reset` | clears rooms, faults, log and counters |
//! | `POST /_emulator/callbacks` `{"url": "http://127.0.0.1:8787"}` | where signed join/leave callbacks go (ZEGO, LiveKit, Agora; [`crate::callbacks`]) |
//!
//! A fault is written either as JSON (`"fault"`: `status`, `throttle` with `retry_after`, `delay`
//! with `millis`, `reset`, `malformed` with `body`) or as the text of
//! [`FaultSpec::parse_fault`](crate::FaultSpec::parse_fault) (`"spec": "body:200:text/html:<html>"`).
//! It answers the next `count` calls (1 by default) or, with `"always": true`, every call until
//! `DELETE /_emulator/faults` or a reset. With `"api"` (a name of [`Api`], such as `zim-kick`, or the
//! provider's operation name, `KickoutRoomUser`) only calls of that API count; without, every call the
//! listener serves (on IVS Chat: every DisconnectUser call). An API the listener does not serve is
//! refused with 400, as is a malformed fault; 429 once [`MAX_FAULT_RULES`](crate::MAX_FAULT_RULES)
//! rules are held.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{Api, Controls, Fault, FaultRule, FaultSpec, RoomDirectory, Times};

#[derive(Clone)]
struct Admin {
    controls: Controls,
    rooms: Arc<dyn RoomDirectory>,
    apis: Arc<[(Api, Controls)]>,
}

/// The admin routes for one provider, to merge into its router: `controls` are the listener's (the
/// log, counters and settings routes read them), `apis` every API it serves with the controls that
/// admit its calls (where a fault rule for that API goes).
pub fn router(
    controls: Controls,
    rooms: Arc<dyn RoomDirectory>,
    apis: Vec<(Api, Controls)>,
) -> Router {
    Router::new()
        .route("/_emulator/rooms/{room}", get(get_room).put(put_room))
        .route("/_emulator/faults", post(post_faults).delete(delete_faults))
        .route("/_emulator/requests", get(get_requests))
        .route("/_emulator/counters", get(get_counters))
        .route("/_emulator/reset", post(post_reset))
        .route("/_emulator/settings", post(post_settings))
        .with_state(Admin {
            controls,
            rooms,
            apis: apis.into(),
        })
}

#[derive(Deserialize)]
struct Members {
    members: Vec<String>,
}

async fn put_room(
    State(admin): State<Admin>,
    Path(room): Path<String>,
    Json(body): Json<Members>,
) -> impl IntoResponse {
    admin.rooms.seed(&room, &body.members);
    Json(json!({ "members": admin.rooms.members(&room).unwrap_or_default() }))
}

async fn get_room(State(admin): State<Admin>, Path(room): Path<String>) -> impl IntoResponse {
    match admin.rooms.members(&room) {
        Some(members) => (StatusCode::OK, Json(json!({ "members": members }))),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no such room" })),
        ),
    }
}

/// A fault as written in JSON.
#[derive(Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
enum FaultJson {
    Status {
        status: u16,
        #[serde(default)]
        body: String,
        #[serde(default)]
        headers: Vec<(String, String)>,
        #[serde(default = "one")]
        count: usize,
    },
    Throttle {
        retry_after: Option<u64>,
        #[serde(default = "one")]
        count: usize,
    },
    Delay {
        millis: u64,
        #[serde(default = "one")]
        count: usize,
    },
    Reset {
        #[serde(default = "one")]
        count: usize,
    },
    Malformed {
        body: String,
        #[serde(default = "one")]
        count: usize,
    },
}

fn one() -> usize {
    1
}

impl FaultJson {
    fn into_fault(self) -> (Fault, usize) {
        match self {
            FaultJson::Status {
                status,
                body,
                headers,
                count,
            } => (
                Fault::Status {
                    status,
                    body,
                    headers,
                },
                count,
            ),
            FaultJson::Throttle { retry_after, count } => (Fault::Throttle { retry_after }, count),
            FaultJson::Delay { millis, count } => {
                (Fault::Delay(Duration::from_millis(millis)), count)
            }
            FaultJson::Reset { count } => (Fault::Reset, count),
            FaultJson::Malformed { body, count } => (Fault::Malformed(body), count),
        }
    }
}

/// A fault request: the fault as JSON or as text, which API, how many calls.
fn fault_rule(admin: &Admin, mut body: Value) -> Result<(Controls, FaultRule), String> {
    let Some(fields) = body.as_object_mut() else {
        return Err("expected a JSON object".to_owned());
    };
    let api = match fields.remove("api") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name.parse::<Api>()?),
        Some(other) => return Err(format!("api: expected a name, got {other}")),
    };
    let always = match fields.remove("always") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(always)) => always,
        Some(other) => return Err(format!("always: expected true or false, got {other}")),
    };
    let (fault, times) = match fields.remove("spec") {
        Some(Value::String(spec)) => {
            if !fields.is_empty() {
                return Err("with spec, give only api and always".to_owned());
            }
            FaultSpec::parse_fault(&spec)?
        }
        Some(other) => return Err(format!("spec: expected text, got {other}")),
        None => {
            if always && fields.contains_key("count") {
                return Err("give count or always, not both".to_owned());
            }
            let spec: FaultJson =
                serde_json::from_value(body).map_err(|error| error.to_string())?;
            let (fault, count) = spec.into_fault();
            (fault, Times::Next(count as u64))
        }
    };
    let times = if always { Times::Always } else { times };
    let controls = match api {
        None => admin.controls.clone(),
        Some(api) => admin
            .apis
            .iter()
            .find(|(served, _)| *served == api)
            .map(|(_, controls)| controls.clone())
            .ok_or_else(|| {
                format!(
                    "{api} is not served here; this listener serves {}",
                    admin
                        .apis
                        .iter()
                        .map(|(api, _)| api.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?,
    };
    Ok((controls, FaultRule { api, fault, times }))
}

async fn post_faults(State(admin): State<Admin>, Json(body): Json<Value>) -> impl IntoResponse {
    match fault_rule(&admin, body) {
        Ok((controls, rule)) => {
            // `"count": 0` asks for nothing, and is answered like any accepted rule.
            if rule.times == Times::Next(0) || controls.add_fault(rule) {
                StatusCode::NO_CONTENT.into_response()
            } else {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(
                        json!({ "error": "too many fault rules; DELETE /_emulator/faults first" }),
                    ),
                )
                    .into_response()
            }
        }
        Err(error) => (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response(),
    }
}

async fn delete_faults(State(admin): State<Admin>) -> impl IntoResponse {
    admin.controls.clear_faults();
    for (_, controls) in admin.apis.iter() {
        controls.clear_faults();
    }
    StatusCode::NO_CONTENT
}

async fn get_requests(State(admin): State<Admin>) -> impl IntoResponse {
    Json(admin.controls.requests())
}

async fn get_counters(State(admin): State<Admin>) -> impl IntoResponse {
    Json(admin.controls.counters())
}

/// Settings to change; absent fields stay as they are.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    latency_ms: Option<u64>,
    foreign_load: Option<f64>,
}

async fn post_settings(
    State(admin): State<Admin>,
    Json(settings): Json<Settings>,
) -> impl IntoResponse {
    if let Some(millis) = settings.latency_ms {
        admin.controls.set_latency(Duration::from_millis(millis));
    }
    if let Some(share) = settings.foreign_load {
        admin.controls.set_foreign_load(share);
    }
    StatusCode::NO_CONTENT
}

async fn post_reset(State(admin): State<Admin>) -> impl IntoResponse {
    admin.controls.reset();
    admin.rooms.clear();
    StatusCode::NO_CONTENT
}
