//! Agora RTC channel event notifications ("NCS", docs/providers/webhooks.md §3.1-3.3) and Agora
//! Chat's chat-room join callback (§3.4).
//!
//! RTC: `POST` JSON `{noticeId, productId: 1, eventType, notifyMs, sid, payload}` with
//! `Agora-Signature` (lowercase hex HMAC-SHA1 of the raw body with the NCS secret) and
//! `Agora-Signature-V2` (the same with HMAC-SHA256). Joins are 103 (broadcaster), 105 (audience) and
//! 107 (communication); leaves 104, 106 and 108 with `reason` 3 when a kicking rule took the user
//! out, 1 when the user left. Every resend carries a new `notifyMs` and new signatures (Agora: the
//! field is "updated when the notification is resent"), the same `noticeId`.
//!
//! Chat: the shape follows the Easemob / Shengwang (Agora China) docs, UNVERIFIED for Agora Chat
//! (whether docs.agora.io's Agora Chat sends chat-room joins at all is not published):
//! `{callId: "{org}#{app}_{uuid}", event: "group_op_event", type: "CHATROOM", operation: "JOIN",
//! id: room, operator, payload: {member: [user], type: "DIRECT"}, timestamp (ms), security}` with
//! `security` = lowercase hex MD5 of `callId` + secret + `timestamp` (the body is not covered).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use hmac::{Hmac, Mac};
use md5::{Digest as _, Md5};
use serde_json::{Value, json};
use sha1::Sha1;
use sha2::Sha256;
use tokio::time::Instant;

use crate::callbacks::{AGORA_CHAT_RETRY, AGORA_RTC_RETRY, Callbacks, Signed, unix_millis};

/// The NCS secret the emulator signs RTC notifications with by default (a fixed test credential).
pub const DEFAULT_NCS_SECRET: &str = "emulator-agora-ncs-secret-0123";
/// The Agora Chat callback secret the emulator signs with by default (a fixed test credential).
pub const DEFAULT_CHAT_CALLBACK_SECRET: &str = "emulator-agora-chat-callback-secret";

/// `(Agora-Signature, Agora-Signature-V2)` of `body`: hex HMAC-SHA1 and HMAC-SHA256 with `secret`.
pub fn ncs_signatures(secret: &str, body: &[u8]) -> (String, String) {
    let v1 = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).map(|mut mac| {
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    });
    let v2 = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map(|mut mac| {
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    });
    // HMAC takes a key of any length: the errors cannot happen.
    (v1.unwrap_or_default(), v2.unwrap_or_default())
}

/// Agora Chat's `security`: lowercase hex MD5 of `call_id` + `secret` + `timestamp`.
pub fn chat_security(call_id: &str, secret: &str, timestamp: &str) -> String {
    let mut md5 = Md5::new();
    md5.update(call_id);
    md5.update(secret);
    md5.update(timestamp);
    hex::encode(md5.finalize())
}

/// A random id shaped like a UUID (`8-4-4-4-12` lowercase hex).
fn uuid_like() -> String {
    let hex = hex::encode(rand::random::<[u8; 16]>());
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A user's place in a channel, for the event numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// A communication-profile user (107 / 108).
    Communication,
    /// A live-broadcasting host (103 / 104).
    Broadcaster,
    /// A live-broadcasting audience member (105 / 106).
    Audience,
}

impl Role {
    fn join_event(self) -> u32 {
        match self {
            Role::Broadcaster => 103,
            Role::Audience => 105,
            Role::Communication => 107,
        }
    }
}

/// The RTC notification sender: the secret, the session of each user online, the client sequence.
#[derive(Debug)]
pub(super) struct RtcNotifier {
    pub callbacks: Callbacks,
    secret: String,
    /// (channel, uid) → (sid, join instant).
    sessions: Mutex<HashMap<(String, u32), (String, Instant)>>,
    client_seq: AtomicU64,
}

impl RtcNotifier {
    pub(super) fn new(secret: String) -> Self {
        RtcNotifier {
            callbacks: Callbacks::new("agora-rtc", AGORA_RTC_RETRY),
            secret,
            sessions: Mutex::default(),
            client_seq: AtomicU64::new(1),
        }
    }

    pub(super) fn secret(&self) -> &str {
        &self.secret
    }

    fn queue(&self, event_type: u32, sid: String, payload: Value) {
        let notice_id = uuid_like();
        let secret = self.secret.clone();
        self.callbacks.send(move || {
            let body = json!({
                "noticeId": notice_id,
                "productId": 1,
                "eventType": event_type,
                "notifyMs": unix_millis(),
                "sid": sid,
                "payload": payload,
            });
            let body = serde_json::to_vec(&body).unwrap_or_default();
            let (v1, v2) = ncs_signatures(&secret, &body);
            Signed {
                body,
                headers: vec![
                    ("content-type", "application/json".to_owned()),
                    ("agora-signature", v1),
                    ("agora-signature-v2", v2),
                ],
            }
        });
    }

    /// The fields every join and leave payload has (platform 7: Web).
    fn payload(&self, cname: &str, uid: u32) -> Value {
        json!({
            "channelName": cname,
            "uid": uid,
            "platform": 7,
            "clientSeq": self.client_seq.fetch_add(1, Ordering::Relaxed),
            "ts": unix_millis() / 1000,
            "account": uid.to_string(),
        })
    }

    /// `uid` joined `cname` as `role`.
    pub(super) fn joined(&self, cname: &str, uid: u32, role: Role) {
        let sid = hex::encode_upper(rand::random::<[u8; 16]>());
        self.sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((cname.to_owned(), uid), (sid.clone(), Instant::now()));
        if !self.callbacks.enabled() {
            return;
        }
        let payload = self.payload(cname, uid);
        self.queue(role.join_event(), sid, payload);
    }

    /// `uid` left `cname` (was `role`) for `reason` (3: kicked out through the REST API).
    pub(super) fn left(&self, cname: &str, uid: u32, role: Role, reason: u32) {
        let session = self
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(cname.to_owned(), uid));
        if !self.callbacks.enabled() {
            return;
        }
        let (sid, since) = session.unwrap_or_else(|| (String::new(), Instant::now()));
        let mut payload = self.payload(cname, uid);
        payload["reason"] = json!(reason);
        payload["duration"] = json!(since.elapsed().as_secs());
        self.queue(role.join_event() + 1, sid, payload);
    }
}

/// The Agora Chat callback sender.
#[derive(Debug)]
pub(super) struct ChatNotifier {
    pub callbacks: Callbacks,
    secret: String,
    app_key: String,
}

impl ChatNotifier {
    pub(super) fn new(secret: String, org: &str, app: &str) -> Self {
        ChatNotifier {
            callbacks: Callbacks::new("agora-chat", AGORA_CHAT_RETRY),
            secret,
            app_key: format!("{org}#{app}"),
        }
    }

    pub(super) fn secret(&self) -> &str {
        &self.secret
    }

    /// `user` joined chat room `room` (Shengwang's `group_op_event` JOIN; UNVERIFIED for Agora Chat).
    pub(super) fn joined(&self, room: &str, user: &str) {
        if !self.callbacks.enabled() {
            return;
        }
        let call_id = format!("{}_{}", self.app_key, uuid_like());
        let timestamp = unix_millis();
        let security = chat_security(&call_id, &self.secret, &timestamp.to_string());
        let body = json!({
            "callId": call_id,
            "appkey": self.app_key,
            "event": "group_op_event",
            "type": "CHATROOM",
            "operation": "JOIN",
            "id": room,
            "operator": user,
            "payload": { "member": [user], "type": "DIRECT" },
            "timestamp": timestamp,
            "security": security,
        });
        self.callbacks.send_fixed(Signed {
            body: serde_json::to_vec(&body).unwrap_or_default(),
            headers: vec![("content-type", "application/json".to_owned())],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_examples_sign_alike() {
        let body = br#"{"eventType":10,"noticeId":"4eb720f0-8da7-11e9-a43e-53f411c2761f","notifyMs":1560408533119,"payload":{"a":"1","b":2},"productId":1}"#;
        assert_eq!(
            ncs_signatures("secret", body),
            (
                "5a3bb6a6d9fad2ea9ae3fb707a14c9d7f3136df1".to_owned(),
                "de96da5acf03b0021ac3b4fa2225e7ae6f3533a30d50bb02c08ea4fa748bda24".to_owned()
            )
        );
        let body = br#"{"eventMs":1560408533119,"eventType":10,"noticeId":"4eb720f0-8da7-11e9-a43e-53f411c2761f","notifyMs":1560408533119,"payload":{"a":"1","b":2},"productId":1}"#;
        assert_eq!(
            ncs_signatures("secret", body).1,
            "6d3320c60b11101395b7fc8f9068748808a0aa1bfa064438e39d1bc2c7d74d99"
        );
    }
}
