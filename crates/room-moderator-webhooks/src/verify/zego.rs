//! ZEGO ZIM (`room_enter`) and Express RTC (`room_login`) callbacks.
//!
//! The body carries `signature` = lowercase hex SHA-1 of the CallbackSecret, `timestamp` and `nonce`
//! sorted as strings (byte order) and concatenated, using the exact text received (a JSON number is
//! its digits). The body itself is not signed, so the signature can only be checked after parsing;
//! the replay cache keyed by (`appid`, `timestamp`, `nonce`) is what stops a captured signature
//! being reused with another body (docs/webhooks.md, ZEGO).

use std::time::SystemTime;

use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use tracing::debug;

use super::{Join, Refusal, TIMESTAMP_WINDOW, Verified, hex_matches, integer, recent, text};
use crate::{Route, Secret};

/// Verifies one ZEGO callback for `route` (ZIM or RTC) against any of `secrets` (rotation: the
/// CallbackSecret, and the ServerSecret too if the application lists it, since the English ZIM page
/// names the ServerSecret: UNVERIFIED which one ZIM signs with).
pub(crate) fn verify(
    route: Route,
    secrets: &[Secret],
    content_type: Option<&str>,
    body: &[u8],
    now: SystemTime,
) -> Result<Verified, Refusal> {
    let fields = fields(content_type, body)?;
    let field = |name: &str| fields.get(name).and_then(text);
    let (Some(signature), Some(timestamp), Some(nonce)) =
        (field("signature"), field("timestamp"), field("nonce"))
    else {
        return Err(Refusal::Signature);
    };
    let matched = secrets
        .iter()
        .position(|secret| hex_matches(&signature, &digest(secret.expose(), &timestamp, &nonce)));
    let Some(index) = matched else {
        return Err(Refusal::Signature);
    };
    debug!(
        provider = route.name(),
        secret = index,
        "callback secret matched"
    );
    // UNVERIFIED unit: the ZIM tables say ms, its sample and the RTC pages seconds; told apart by size.
    let at = integer(&Value::String(timestamp.clone())).ok_or(Refusal::Malformed)?;
    if !recent(now, at, TIMESTAMP_WINDOW) {
        return Err(Refusal::Stale);
    }
    let appid = field("appid").unwrap_or_default();
    let key = format!("{}:{appid}:{timestamp}:{nonce}", route.name());
    let (join_event, user_field) = match route {
        Route::ZegoZim => ("room_enter", "operator_account"),
        _ => ("room_login", "user_account"),
    };
    let mut joins = Vec::new();
    if field("event").as_deref() == Some(join_event) {
        let (Some(room), Some(user)) = (field("room_id"), field(user_field)) else {
            return Err(Refusal::Malformed);
        };
        if room.is_empty() || user.is_empty() {
            return Err(Refusal::Malformed);
        }
        joins.push(Join::new(&room, &user));
    }
    Ok(Verified { key, joins })
}

/// SHA-1 of the three values sorted as strings and concatenated.
fn digest(secret: &str, timestamp: &str, nonce: &str) -> [u8; 20] {
    let mut parts = [secret, timestamp, nonce];
    parts.sort_unstable();
    let mut sha = Sha1::new();
    for part in parts {
        sha.update(part.as_bytes());
    }
    sha.finalize().into()
}

/// The body's fields. JSON by default; a form body (ZEGO's optional POST/FORM format) when the
/// `Content-Type` says so or the body does not start with `{`. JSON values are never url-decoded:
/// ZIM ids may hold `%` and `+` (UNVERIFIED whether ZEGO ever percent-encodes JSON values).
fn fields(content_type: Option<&str>, body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    let form = content_type.is_some_and(|kind| {
        kind.trim_start()
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    }) || body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{');
    if form {
        return Ok(url::form_urlencoded::parse(body)
            .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
            .collect());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Refusal::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn secrets() -> Vec<Secret> {
        vec![Secret::new("secret")]
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_470_820_198)
    }

    #[test]
    fn published_example() {
        // SignatureVerificationEN: nonce 123412, timestamp 1470820198, secret "secret".
        assert_eq!(
            hex::encode(digest("secret", "1470820198", "123412")),
            "5bd59fd62953a8059fb7eaba95720f66d19e4517"
        );
    }

    #[test]
    fn sorted_as_strings_not_numbers() {
        // "9" sorts after "1470820198" as a string, before it as a number.
        let mut sha = Sha1::new();
        sha.update(b"14708201989secret");
        let as_strings: [u8; 20] = sha.finalize().into();
        assert_eq!(digest("secret", "1470820198", "9"), as_strings);
    }

    #[test]
    fn zim_room_enter_with_number_fields() {
        let body = br#"{"appid":1,"event":"room_enter","room_id":"r1","nonce":123412,"signature":"5bd59fd62953a8059fb7eaba95720f66d19e4517","operator_account":"userA","timestamp":1470820198}"#;
        let verified = verify(Route::ZegoZim, &secrets(), None, body, now()).expect("verified");
        assert_eq!(verified.joins, vec![Join::new("r1", "userA")]);
        assert_eq!(verified.key, "zego-zim:1:1470820198:123412");
    }

    #[test]
    fn rtc_room_login_with_string_fields_and_a_rotated_secret() {
        let body = br#"{"appid":"1","event":"room_login","room_id":"r1","nonce":"123412","signature":"5BD59FD62953A8059FB7EABA95720F66D19E4517","user_account":"u","timestamp":"1470820198"}"#;
        let rotated = vec![Secret::new("old"), Secret::new("secret")];
        let verified = verify(Route::ZegoRtc, &rotated, None, body, now()).expect("verified");
        assert_eq!(verified.joins, vec![Join::new("r1", "u")]);
    }

    #[test]
    fn milliseconds_are_windowed_too() {
        let ts = "1470820198000";
        let signature = hex::encode(digest("secret", ts, "5"));
        let body = format!(
            r#"{{"appid":"1","event":"room_enter","room_id":"r","nonce":"5","signature":"{signature}","operator_account":"u","timestamp":{ts}}}"#
        );
        assert!(verify(Route::ZegoZim, &secrets(), None, body.as_bytes(), now()).is_ok());
        let late = now() + Duration::from_secs(301);
        assert_eq!(
            verify(Route::ZegoZim, &secrets(), None, body.as_bytes(), late).err(),
            Some(Refusal::Stale)
        );
    }

    #[test]
    fn form_bodies_are_decoded() {
        let body = b"appid=1&event=room_login&room_id=a%2Bb&nonce=123412&signature=5bd59fd62953a8059fb7eaba95720f66d19e4517&user_account=u%25&timestamp=1470820198";
        let verified = verify(
            Route::ZegoRtc,
            &secrets(),
            Some("application/x-www-form-urlencoded"),
            body,
            now(),
        )
        .expect("verified");
        assert_eq!(verified.joins, vec![Join::new("a+b", "u%")]);
    }

    #[test]
    fn refusals() {
        let forged = br#"{"event":"room_enter","room_id":"r","nonce":"123412","signature":"5bd59fd62953a8059fb7eaba95720f66d19e4518","operator_account":"u","timestamp":1470820198}"#;
        assert_eq!(
            verify(Route::ZegoZim, &secrets(), None, forged, now()).err(),
            Some(Refusal::Signature)
        );
        let unsigned = br#"{"event":"room_enter","room_id":"r","nonce":"1","operator_account":"u","timestamp":1}"#;
        assert_eq!(
            verify(Route::ZegoZim, &secrets(), None, unsigned, now()).err(),
            Some(Refusal::Signature)
        );
        assert_eq!(
            verify(Route::ZegoZim, &secrets(), None, b"{not json", now()).err(),
            Some(Refusal::Malformed)
        );
        let stale = now() + Duration::from_secs(3600);
        let good = br#"{"event":"room_enter","room_id":"r","nonce":"123412","signature":"5bd59fd62953a8059fb7eaba95720f66d19e4517","operator_account":"u","timestamp":1470820198}"#;
        assert_eq!(
            verify(Route::ZegoZim, &secrets(), None, good, stale).err(),
            Some(Refusal::Stale)
        );
    }

    #[test]
    fn leaves_are_verified_but_report_no_join() {
        let body = br#"{"appid":"1","event":"room_exit","room_id":"r","exit_type":"Kickout","nonce":"123412","signature":"5bd59fd62953a8059fb7eaba95720f66d19e4517","timestamp":1470820198}"#;
        let verified = verify(Route::ZegoZim, &secrets(), None, body, now()).expect("verified");
        assert!(verified.joins.is_empty());
    }
}
