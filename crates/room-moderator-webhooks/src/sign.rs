//! Callbacks signed as each provider signs them, for tests and load generators (ours and
//! applications'): what the receiver must accept. Not used by the receiver itself.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use md5::Md5;
use serde_json::{Value, json};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::Route;

/// One callback ready to send: `POST path` with these headers and body.
#[derive(Clone, Debug)]
pub struct SignedCallback {
    /// The route's path (`/webhooks/<provider>`).
    pub path: &'static str,
    /// Headers to send (`Content-Type` and the provider's signature headers).
    pub headers: Vec<(&'static str, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

fn millis(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

fn seconds(now: SystemTime) -> u64 {
    millis(now) / 1000
}

/// A ZEGO callback: `fields` (a JSON object) plus `appid`, `timestamp`, `nonce` and `signature`
/// (SHA-1 of the three sorted values).
pub fn zego(
    route: Route,
    secret: &str,
    mut fields: Value,
    timestamp: &str,
    nonce: &str,
) -> SignedCallback {
    let mut parts = [secret, timestamp, nonce];
    parts.sort_unstable();
    let signature = hex::encode(Sha1::digest(parts.concat()));
    if let Some(map) = fields.as_object_mut() {
        map.insert("timestamp".into(), json!(timestamp));
        map.insert("nonce".into(), json!(nonce));
        map.insert("signature".into(), json!(signature));
    }
    SignedCallback {
        path: route.path(),
        headers: vec![("content-type", "application/json".into())],
        body: fields.to_string().into_bytes(),
    }
}

/// A LiveKit webhook: `body` as is, `Authorization` an HS256 token from `api_key`/`secret`, valid
/// five minutes from `now`, carrying the body's SHA-256.
pub fn livekit(api_key: &str, secret: &str, body: Vec<u8>, now: SystemTime) -> SignedCallback {
    let now = seconds(now);
    let claims = json!({
        "iss": api_key, "nbf": now, "iat": now, "exp": now + 300,
        "sha256": STANDARD.encode(Sha256::digest(&body)),
    });
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    // Encoding a JSON object with an HMAC key does not fail.
    .unwrap_or_default();
    SignedCallback {
        path: Route::LiveKit.path(),
        headers: vec![
            ("content-type", "application/webhook+json".into()),
            ("authorization", token),
        ],
        body,
    }
}

/// An Agora RTC notification: `body` as is, with `Agora-Signature-V2` (HMAC-SHA256) and
/// `Agora-Signature` (HMAC-SHA1).
pub fn agora_rtc(secret: &str, body: Vec<u8>) -> SignedCallback {
    let v2 = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map(|mac| hex::encode(mac.chain_update(&body).finalize().into_bytes()))
        .unwrap_or_default();
    let v1 = Hmac::<Sha1>::new_from_slice(secret.as_bytes())
        .map(|mac| hex::encode(mac.chain_update(&body).finalize().into_bytes()))
        .unwrap_or_default();
    SignedCallback {
        path: Route::AgoraRtc.path(),
        headers: vec![
            ("content-type", "application/json".into()),
            ("agora-signature-v2", v2),
            ("agora-signature", v1),
        ],
        body,
    }
}

/// An Agora Chat callback: `fields` plus `callId`, `timestamp` and `security` (MD5 of `callId`,
/// secret, `timestamp`).
pub fn agora_chat(
    secret: &str,
    mut fields: Value,
    call_id: &str,
    timestamp_ms: u64,
) -> SignedCallback {
    let security = hex::encode(Md5::digest(format!("{call_id}{secret}{timestamp_ms}")));
    if let Some(map) = fields.as_object_mut() {
        map.insert("callId".into(), json!(call_id));
        map.insert("timestamp".into(), json!(timestamp_ms));
        map.insert("security".into(), json!(security));
    }
    SignedCallback {
        path: Route::AgoraChat.path(),
        headers: vec![("content-type", "application/json".into())],
        body: fields.to_string().into_bytes(),
    }
}

/// The provider's "user joined" (`joined`) or "user left" callback for `user` in `room`, with `id`
/// making the delivery unique (the nonce, event id, noticeId or callId), signed at `now` with
/// `(api_key, secret)` (the API key names LiveKit's secret; ignored elsewhere). Agora RTC users are
/// uids (digits).
pub fn event(
    route: Route,
    joined: bool,
    (api_key, secret): (&str, &str),
    (room, user): (&str, &str),
    id: &str,
    now: SystemTime,
) -> SignedCallback {
    match route {
        Route::ZegoZim => {
            let fields = if joined {
                json!({"appid": "1", "event": "room_enter", "room_id": room, "operator_account": user})
            } else {
                json!({"appid": "1", "event": "room_exit", "room_id": room, "exit_type": "Kickout", "exit_user_ids": [user]})
            };
            zego(route, secret, fields, &millis(now).to_string(), id)
        }
        Route::ZegoRtc => {
            let event = if joined { "room_login" } else { "room_logout" };
            let fields = json!({"appid": "1", "event": event, "room_id": room, "user_account": user, "session_id": id});
            zego(route, secret, fields, &seconds(now).to_string(), id)
        }
        Route::LiveKit => {
            let event = if joined {
                "participant_joined"
            } else {
                "participant_left"
            };
            let body = json!({
                "event": event, "room": {"sid": "RM_1", "name": room},
                "participant": {"sid": "PA_1", "identity": user, "state": "ACTIVE"},
                "id": id, "createdAt": seconds(now).to_string(),
            });
            livekit(api_key, secret, body.to_string().into_bytes(), now)
        }
        Route::AgoraRtc => {
            let uid: Value = user
                .parse::<u64>()
                .map_or_else(|_| json!(user), |uid| json!(uid));
            let body = json!({
                "noticeId": id, "productId": 1, "eventType": if joined { 103 } else { 104 },
                "notifyMs": millis(now), "sid": "S1",
                "payload": {"channelName": room, "uid": uid, "platform": 7, "clientSeq": 1, "ts": seconds(now), "account": user},
            });
            agora_rtc(secret, body.to_string().into_bytes())
        }
        Route::AgoraChat => {
            let operation = if joined { "JOIN" } else { "LEAVE" };
            let fields = json!({
                "event": "group_op_event", "type": "CHATROOM", "operation": operation, "id": room,
                "operator": user, "payload": {"member": [user], "type": "DIRECT"},
            });
            agora_chat(secret, fields, id, millis(now))
        }
    }
}
