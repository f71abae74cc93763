//! Agora RTC channel event notifications (Agora Notifications, "NCS"): event types 103 (broadcaster
//! joined), 105 (audience joined) and 107 (user joined, communication profile).
//!
//! `Agora-Signature-V2` is the lowercase hex HMAC-SHA256 of the raw body with the NCS secret;
//! `Agora-Signature` the HMAC-SHA1. We require V2 and accept V1 only when configured. No replay window
//! is documented (UNVERIFIED): `notifyMs` is re-stamped and re-signed on each resend, so a ±300 s
//! window on it refuses no genuine retry, and replays are keyed on `noticeId`
//! (docs/webhooks.md, Agora RTC).

use std::time::SystemTime;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha1::Sha1;
use sha2::Sha256;

use super::{Join, Refusal, TIMESTAMP_WINDOW, Verified, integer, recent, text};
use crate::Secret;

/// The event types that report a user joining the channel.
const JOIN_EVENTS: [u64; 3] = [103, 105, 107];

/// Verifies one notification: `v2` and `v1` are the two signature headers as received.
pub(crate) fn verify(
    secret: &Secret,
    accept_v1: bool,
    v2: Option<&str>,
    v1: Option<&str>,
    body: &[u8],
    now: SystemTime,
) -> Result<Verified, Refusal> {
    let key = secret.expose().as_bytes();
    let signed = match (v2, v1) {
        (Some(signature), _) => matches::<Hmac<Sha256>>(key, body, signature),
        (None, Some(signature)) if accept_v1 => matches::<Hmac<Sha1>>(key, body, signature),
        _ => false,
    };
    if !signed {
        return Err(Refusal::Signature);
    }
    let notice: Value = serde_json::from_slice(body).map_err(|_| Refusal::Malformed)?;
    let id = notice
        .get("noticeId")
        .and_then(text)
        .filter(|id| !id.is_empty())
        .ok_or(Refusal::Malformed)?;
    let notify_ms = notice
        .get("notifyMs")
        .and_then(integer)
        .ok_or(Refusal::Malformed)?;
    if !recent(now, notify_ms, TIMESTAMP_WINDOW) {
        return Err(Refusal::Stale);
    }
    let mut joins = Vec::new();
    let event = notice.get("eventType").and_then(integer);
    if event.is_some_and(|event| JOIN_EVENTS.contains(&event)) {
        let channel = notice
            .pointer("/payload/channelName")
            .and_then(Value::as_str);
        // The uid is what the RTC adapter kicks by (a kicking rule names a uid); a user who joined
        // with a string account still has an integer uid in the event.
        let uid = notice.pointer("/payload/uid").and_then(text);
        match (channel, uid) {
            (Some(channel), Some(uid)) if !channel.is_empty() && !uid.is_empty() => {
                joins.push(Join::new(channel, &uid));
            }
            _ => return Err(Refusal::Malformed),
        }
    }
    Ok(Verified {
        key: format!("agora-rtc:{id}"),
        joins,
    })
}

/// Whether `signature` (hex, either case) is the HMAC of `body` under `key`, checked by the MAC's
/// constant-time `verify_slice`.
fn matches<M: Mac + hmac::digest::KeyInit>(key: &[u8], body: &[u8], signature: &str) -> bool {
    let Ok(expected) = hex::decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = <M as Mac>::new_from_slice(key) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    const EXAMPLE_1: &[u8] = br#"{"eventType":10,"noticeId":"4eb720f0-8da7-11e9-a43e-53f411c2761f","notifyMs":1560408533119,"payload":{"a":"1","b":2},"productId":1}"#;
    const EXAMPLE_2: &[u8] = br#"{"eventMs":1560408533119,"eventType":10,"noticeId":"4eb720f0-8da7-11e9-a43e-53f411c2761f","notifyMs":1560408533119,"payload":{"a":"1","b":2},"productId":1}"#;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(1_560_408_533_119)
    }

    fn secret() -> Secret {
        Secret::new("secret")
    }

    #[test]
    fn published_examples() {
        for (body, v1, v2) in [
            (
                EXAMPLE_1,
                "5a3bb6a6d9fad2ea9ae3fb707a14c9d7f3136df1",
                "de96da5acf03b0021ac3b4fa2225e7ae6f3533a30d50bb02c08ea4fa748bda24",
            ),
            (
                EXAMPLE_2,
                "033c62f40f687675f17f0f41f91a40c71c0f134c",
                "6d3320c60b11101395b7fc8f9068748808a0aa1bfa064438e39d1bc2c7d74d99",
            ),
        ] {
            let verified = verify(&secret(), false, Some(v2), None, body, now()).expect("V2");
            assert_eq!(
                verified.key,
                "agora-rtc:4eb720f0-8da7-11e9-a43e-53f411c2761f"
            );
            assert!(verified.joins.is_empty());
            assert!(verify(&secret(), true, None, Some(v1), body, now()).is_ok());
            assert_eq!(
                verify(&secret(), false, None, Some(v1), body, now()).err(),
                Some(Refusal::Signature),
                "V1 only when configured"
            );
        }
    }

    fn sign(body: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"secret").expect("key");
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn joins_by_uid() {
        for event in [103, 105, 107] {
            let body = format!(
                r#"{{"noticeId":"n{event}","productId":1,"eventType":{event},"notifyMs":1560408533119,"sid":"s","payload":{{"channelName":"ch","uid":12345,"platform":7,"clientSeq":1,"ts":1560408533,"account":"alice"}}}}"#
            );
            let verified = verify(
                &secret(),
                false,
                Some(&sign(body.as_bytes())),
                None,
                body.as_bytes(),
                now(),
            )
            .expect("verified");
            assert_eq!(verified.joins, vec![Join::new("ch", "12345")]);
        }
    }

    #[test]
    fn refusals() {
        let wrong = "00".repeat(32);
        assert_eq!(
            verify(&secret(), false, Some(&wrong), None, EXAMPLE_1, now()).err(),
            Some(Refusal::Signature)
        );
        assert_eq!(
            verify(&secret(), false, None, None, EXAMPLE_1, now()).err(),
            Some(Refusal::Signature)
        );
        assert_eq!(
            verify(&secret(), false, Some("not hex"), None, EXAMPLE_1, now()).err(),
            Some(Refusal::Signature)
        );
        let late = now() + Duration::from_secs(301);
        let v2 = sign(EXAMPLE_1);
        assert_eq!(
            verify(&secret(), false, Some(&v2), None, EXAMPLE_1, late).err(),
            Some(Refusal::Stale)
        );
        let body = b"[1]";
        assert_eq!(
            verify(&secret(), false, Some(&sign(body)), None, body, now()).err(),
            Some(Refusal::Malformed)
        );
    }
}
