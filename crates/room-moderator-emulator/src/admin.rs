//! The admin API every emulated provider serves under `/_emulator/`, so that tests in any language can
//! seed rooms, script faults and read the request log over HTTP.
//!
//! | route | does |
//! |---|---|
//! | `PUT /_emulator/rooms/{room}` `{"members": ["u1", ...]}` | creates the room and adds members |
//! | `GET /_emulator/rooms/{room}` | `{"members": [...]}` or 404 |
//! | `POST /_emulator/faults` `{"fault": "status", "status": 503, "body": "..", "count": 2}` | queues faults |
//! | `GET /_emulator/requests` | the request log |
//! | `GET /_emulator/counters` | requests, throttled, violations, faults, peak per second, foreign |
//! | `POST /_emulator/settings` `{"latency_ms": 30, "foreign_load": 0.5}` | latency; share of the quota a hidden consumer takes |
//! | `POST /_emulator/reset` | clears rooms, faults, log and counters |

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::{Controls, Fault, RoomDirectory};

#[derive(Clone)]
struct Admin {
    controls: Controls,
    rooms: Arc<dyn RoomDirectory>,
}

/// The admin routes for one provider, to merge into its router.
pub fn router(controls: Controls, rooms: Arc<dyn RoomDirectory>) -> Router {
    Router::new()
        .route("/_emulator/rooms/{room}", get(get_room).put(put_room))
        .route("/_emulator/faults", post(post_faults))
        .route("/_emulator/requests", get(get_requests))
        .route("/_emulator/counters", get(get_counters))
        .route("/_emulator/reset", post(post_reset))
        .route("/_emulator/settings", post(post_settings))
        .with_state(Admin { controls, rooms })
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
enum FaultSpec {
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

impl FaultSpec {
    fn into_fault(self) -> (Fault, usize) {
        match self {
            FaultSpec::Status {
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
            FaultSpec::Throttle { retry_after, count } => (Fault::Throttle { retry_after }, count),
            FaultSpec::Delay { millis, count } => {
                (Fault::Delay(Duration::from_millis(millis)), count)
            }
            FaultSpec::Reset { count } => (Fault::Reset, count),
            FaultSpec::Malformed { body, count } => (Fault::Malformed(body), count),
        }
    }
}

async fn post_faults(State(admin): State<Admin>, Json(spec): Json<FaultSpec>) -> impl IntoResponse {
    let (fault, count) = spec.into_fault();
    admin.controls.push_faults(count, fault);
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
