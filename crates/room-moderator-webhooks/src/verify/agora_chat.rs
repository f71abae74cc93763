//! Agora Chat post-delivery callbacks: a chat-room join.
//!
//! The body field `security` is the hex MD5 of `callId` + secret + `timestamp` (ms); only those two
//! fields are signed, so the replay cache keyed by `callId` is what stops a captured signature being
//! reused with another body. The samples show lowercase hex; the case is UNVERIFIED, so either is
//! accepted. The join event's shape comes from the Shengwang (Agora China) docs: `event`
//! `group_op_event`, `type` `CHATROOM`, `operation` `JOIN`, `id` the room (`group_id` also read),
//! `payload.member` the users; UNVERIFIED that Agora Chat outside China sends it
//! (docs/webhooks.md, Agora Chat).

use std::time::SystemTime;

use md5::{Digest, Md5};
use serde_json::Value;

use super::{Join, Refusal, TIMESTAMP_WINDOW, Verified, hex_matches, integer, recent, text};
use crate::Secret;

/// Verifies one Agora Chat callback.
pub(crate) fn verify(secret: &Secret, body: &[u8], now: SystemTime) -> Result<Verified, Refusal> {
    let callback: Value = serde_json::from_slice(body).map_err(|_| Refusal::Malformed)?;
    let field = |name: &str| callback.get(name).and_then(text);
    let (Some(call_id), Some(timestamp), Some(security)) =
        (field("callId"), field("timestamp"), field("security"))
    else {
        return Err(Refusal::Signature);
    };
    let mut md5 = Md5::new();
    md5.update(call_id.as_bytes());
    md5.update(secret.expose().as_bytes());
    md5.update(timestamp.as_bytes());
    if !hex_matches(&security, &md5.finalize()) {
        return Err(Refusal::Signature);
    }
    let at = integer(&Value::String(timestamp)).ok_or(Refusal::Malformed)?;
    if !recent(now, at, TIMESTAMP_WINDOW) {
        return Err(Refusal::Stale);
    }
    if call_id.is_empty() {
        return Err(Refusal::Malformed);
    }
    let mut joins = Vec::new();
    let is = |name: &str, value: &str| callback.get(name).and_then(Value::as_str) == Some(value);
    if is("event", "group_op_event") && is("type", "CHATROOM") && is("operation", "JOIN") {
        let room = field("id")
            .or_else(|| field("group_id"))
            .filter(|room| !room.is_empty())
            .ok_or(Refusal::Malformed)?;
        let members = callback
            .pointer("/payload/member")
            .and_then(Value::as_array)
            .ok_or(Refusal::Malformed)?;
        for member in members {
            match text(member) {
                Some(user) if !user.is_empty() => joins.push(Join::new(&room, &user)),
                _ => return Err(Refusal::Malformed),
            }
        }
    }
    Ok(Verified {
        key: format!("agora-chat:{call_id}"),
        joins,
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(1_700_000_000_000)
    }

    fn body(security: &str) -> String {
        format!(
            r#"{{"callId":"org#app_1","timestamp":1700000000000,"security":"{security}","event":"group_op_event","type":"CHATROOM","operation":"JOIN","id":"room1","operator":"u1","payload":{{"member":["u1","u2"],"type":"DIRECT"}}}}"#
        )
    }

    fn security(secret: &str) -> String {
        hex::encode(Md5::digest(format!("org#app_1{secret}1700000000000")))
    }

    #[test]
    fn genuine_join_of_two_members() {
        let body = body(&security("chat-secret"));
        let verified =
            verify(&Secret::new("chat-secret"), body.as_bytes(), now()).expect("verified");
        assert_eq!(verified.key, "agora-chat:org#app_1");
        assert_eq!(
            verified.joins,
            vec![Join::new("room1", "u1"), Join::new("room1", "u2")]
        );
        let upper = super::tests::body(&security("chat-secret").to_uppercase());
        assert!(verify(&Secret::new("chat-secret"), upper.as_bytes(), now()).is_ok());
    }

    #[test]
    fn refusals() {
        let forged = body(&security("guess"));
        assert_eq!(
            verify(&Secret::new("chat-secret"), forged.as_bytes(), now()).err(),
            Some(Refusal::Signature)
        );
        let genuine = body(&security("chat-secret"));
        let late = now() + Duration::from_secs(301);
        assert_eq!(
            verify(&Secret::new("chat-secret"), genuine.as_bytes(), late).err(),
            Some(Refusal::Stale)
        );
        assert_eq!(
            verify(&Secret::new("chat-secret"), b"{", now()).err(),
            Some(Refusal::Malformed)
        );
    }
}
