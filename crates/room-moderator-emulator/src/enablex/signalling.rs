//! The signalling server: Socket.IO 2 (protocol v4 over Engine.IO v3, served by socketioxide's `v4`
//! feature) on the same listener as the REST API, implementing the events a moderator uses.
//!
//! - `token` (ack): the decoded token plus `version` / `hostType`; must carry a `tokenId` we issued,
//!   unused and at most 15 minutes old. Ack `{result: 0, clientId, connectedIP}`, then `room-connected`
//!   `{result, id, clientId, user, userList, room, streams}` to the joiner and `user-connected` to the
//!   others. Failures ack `{result: 1161, msg}`.
//! - `drop` (ack), moderator only (`{result: 5116, msg}` otherwise): `{"self": true}` leaves;
//!   `{"all": true}`, or a missing, empty or non-list `clientIds`, drops everyone else (as EnableX
//!   documents for `dropUser([])`); otherwise the listed clientIds, matched in their JSON type.
//!   Dropped sockets get `room-disconnected` `{cause: {msg: "disconnected-by-moderator"}}` and are
//!   disconnected; the others get `user-disconnected`.
//!
//! Every event is recorded as received ([`ReceivedFrame`](super::ReceivedFrame)) before anything
//! else, then admitted through [`Controls`](crate::Controls) (faults, latency, the rate limit: an
//! event over it is acked `{result: 429, msg}`).
//!
//! The error codes the real server acks with are UNVERIFIED; these reuse the SDKs' codes for the same
//! conditions.

use std::time::Duration;

use serde_json::{Value, json};
use socketioxide::extract::{AckSender, Event, SocketRef, TryData};

use super::Service;
use super::state::{EventKind, SignallingFault, TokenProblem};
use crate::{Admission, Api, Fault};

/// Tokens must be used within 15 minutes (EnableX "Create Token").
const TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Whether a socket that came through the gateway named the signalling host, as a header (Android
/// SDK) or a query parameter (web SDK).
fn forwarded_to_us(socket: &SocketRef) -> bool {
    let parts = socket.req_parts();
    let header = parts
        .headers
        .get("x-forwarded-host")
        .and_then(|v| v.to_str().ok());
    let query = parts.uri.query().unwrap_or_default();
    let in_query = query
        .split('&')
        .any(|pair| pair == format!("X-Forwarded-Host={}", super::GATEWAY_HOST));
    header == Some(super::GATEWAY_HOST) || in_query
}

/// Registers the event handlers on a new socket.
pub(crate) fn on_connect(service: Service, socket: SocketRef) {
    if service.config.gateway && !forwarded_to_us(&socket) {
        tracing::warn!("gateway connection without X-Forwarded-Host: disconnected");
        let _ = socket.disconnect();
        return;
    }
    let on_token = service.clone();
    socket.on(
        "token",
        move |socket: SocketRef, data: TryData<Value>, ack: AckSender| {
            let service = on_token.clone();
            async move { token(service, socket, data.0.unwrap_or(Value::Null), ack).await }
        },
    );
    let on_drop = service.clone();
    socket.on(
        "drop",
        move |socket: SocketRef, data: TryData<Value>, ack: AckSender| {
            let service = on_drop.clone();
            async move { drop_event(service, socket, data.0.unwrap_or(Value::Null), ack).await }
        },
    );
    let on_other = service.clone();
    socket.on_fallback(
        move |socket: SocketRef, Event(event): Event, data: TryData<Value>| {
            let service = on_other.clone();
            async move {
                let data = data.0.unwrap_or(Value::Null);
                service.state.record_frame(socket.id, &event, &data);
                tracing::debug!(event = %event, "ignoring a signalling event the emulator does not serve");
            }
        },
    );
    socket.on_disconnect(move |socket: SocketRef| {
        let service = service.clone();
        async move {
            if let Some((payload, others)) = service.state.leave(socket.id) {
                service.state.tell(&others, "user-disconnected", &payload);
            }
        }
    });
}

/// What a generic scripted fault (from [`crate::Controls`]) does to a signalling event.
fn generic_fault(socket: &SocketRef, fault: Fault, ack: AckSender) {
    match fault {
        Fault::Status { status, body, .. } => {
            let _ = ack.send(&json!({"result": status, "msg": body}));
        }
        Fault::Malformed(body) => {
            let _ = ack.send(&body);
        }
        Fault::Reset => {
            let _ = socket.clone().disconnect();
        }
        Fault::Throttle { .. } | Fault::Delay(_) => {
            let _ = ack.send(&json!({"result": 429, "msg": "rate limited"}));
        }
    }
}

/// Admission for a signalling event; `None` when the event was answered by a fault.
async fn admit(
    service: &Service,
    socket: &SocketRef,
    api: Api,
    ack: AckSender,
) -> Option<AckSender> {
    let event = match api {
        Api::EnablexJoin => "token",
        _ => "drop",
    };
    match service.controls.admit(Some(api), "SIO", event).await {
        Admission::Proceed => Some(ack),
        Admission::Throttled { .. } => {
            let _ = ack.send(&json!({"result": 429, "msg": "rate limited"}));
            None
        }
        Admission::Fault(fault) => {
            generic_fault(socket, fault, ack);
            None
        }
    }
}

async fn delay_if_scripted(fault: &Option<SignallingFault>) {
    if let Some(SignallingFault::DelayAck(delay)) = fault {
        tokio::time::sleep(*delay).await;
    }
}

async fn token(service: Service, socket: SocketRef, data: Value, ack: AckSender) {
    service.state.record_frame(socket.id, "token", &data);
    let Some(ack) = admit(&service, &socket, Api::EnablexJoin, ack).await else {
        return;
    };
    let fault = service.state.take_fault(EventKind::Token);
    if let Some(SignallingFault::RefuseToken { code, msg }) = &fault {
        let _ = ack.send(&json!({"result": code, "msg": msg}));
        return;
    }
    if data.get("version").is_none() || data.get("hostType").is_none() {
        // The SDKs always send these; a client that does not is not behaving like one.
        service
            .controls
            .record_violation("token event without version / hostType");
    }
    let token_id = data
        .get("tokenId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let joined = match service.state.join(socket.id, token_id, TOKEN_LIFETIME) {
        Ok(joined) => joined,
        Err(problem) => {
            let why = match problem {
                TokenProblem::Unknown => "token not issued by this server",
                TokenProblem::Used => "token already used (tokens are single use)",
                TokenProblem::Expired => "token expired (15 minutes)",
                TokenProblem::AlreadyJoined => "this socket already joined",
            };
            service.controls.record_violation(why);
            delay_if_scripted(&fault).await;
            let _ = ack
                .send(&json!({"result": 1161, "msg": format!("Token validation failed: {why}")}));
            return;
        }
    };
    delay_if_scripted(&fault).await;
    let _ =
        ack.send(&json!({"result": 0, "clientId": joined.client_id, "connectedIP": "127.0.0.1"}));
    service
        .state
        .tell(&joined.others, "user-connected", &joined.announce);
    if joined.room_connected_delay.is_zero() {
        let _ = socket.emit("room-connected", &joined.room_connected);
    } else {
        // Late: the joiner must wait for it, not take the silence for an empty room.
        tokio::spawn(async move {
            tokio::time::sleep(joined.room_connected_delay).await;
            let _ = socket.emit("room-connected", &joined.room_connected);
        });
    }
}

async fn drop_event(service: Service, socket: SocketRef, data: Value, ack: AckSender) {
    service.state.record_frame(socket.id, "drop", &data);
    let Some(ack) = admit(&service, &socket, Api::EnablexDrop, ack).await else {
        return;
    };
    let Some((room, client_id, role)) = service.state.member(socket.id) else {
        service
            .controls
            .record_violation("drop before joining a room");
        let _ = ack.send(&json!({"result": 1171, "msg": "room not connected"}));
        return;
    };
    if data.get("self").and_then(Value::as_bool) == Some(true) {
        let _ = ack.send(&json!({"result": 0, "msg": "left"}));
        if let Some((payload, others)) = service.state.leave(socket.id) {
            service.state.tell(&others, "user-disconnected", &payload);
        }
        let _ = socket.disconnect();
        return;
    }
    let fault = service.state.take_fault(EventKind::Drop);
    match &fault {
        Some(SignallingFault::CloseOnDrop) => {
            let _ = socket.disconnect();
            return;
        }
        Some(SignallingFault::RefuseDrop { code, msg }) => {
            let _ = ack.send(&json!({"result": code, "msg": msg}));
            return;
        }
        _ => {}
    }
    if !role.eq_ignore_ascii_case("moderator") {
        service
            .controls
            .record_violation("drop from a non-moderator");
        let _ = ack.send(&json!({"result": 5116, "msg": "Unauthorized Access"}));
        return;
    }
    let requested: &[Value] = data
        .get("clientIds")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    // EnableX: `dropUser([])` drops everyone, and so does `{all: true}`.
    let all = data.get("all").and_then(Value::as_bool) == Some(true) || requested.is_empty();
    let dropped = service
        .state
        .drop_connections(&room, &client_id, all, requested);
    let cause = json!({"cause": {"msg": "disconnected-by-moderator"}});
    for sid in &dropped.sockets {
        if let Some(target) = service.state.io.get_socket(*sid) {
            let _ = target.emit("room-disconnected", &cause);
            let _ = target.disconnect();
        }
    }
    for payload in &dropped.announcements {
        service
            .state
            .tell(&dropped.remaining, "user-disconnected", payload);
    }
    delay_if_scripted(&fault).await;
    let _ = ack.send(&json!({"result": 0, "msg": "Success", "dropped": dropped.record.dropped}));
}
