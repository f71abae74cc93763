//! Verifying each provider's callback exactly as it documents (docs/webhooks.md), in constant time,
//! and reading the joins it reports. Pure functions of the request and the time: no I/O.

pub(crate) mod agora_chat;
pub(crate) mod agora_rtc;
pub(crate) mod livekit;
pub(crate) mod zego;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use room_moderator_core::{RoomId, UserId};
use serde_json::Value;
use subtle::ConstantTimeEq;

/// How far a signed timestamp may be from our clock, either way (ZEGO, Agora, Agora Chat). The
/// providers document none; their retries span at most a minute or two, so this refuses no genuine
/// retry (docs/webhooks.md, "Time windows").
pub const TIMESTAMP_WINDOW: Duration = Duration::from_secs(300);

/// A user who joined a room, as a verified callback reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Join {
    /// The room (ZEGO room id, LiveKit room name, Agora channel or chat room id).
    pub room: RoomId,
    /// The user (ZEGO user id, LiveKit identity, Agora uid, Agora Chat user name).
    pub user: UserId,
}

impl Join {
    pub(crate) fn new(room: &str, user: &str) -> Self {
        Join {
            room: RoomId::new(room),
            user: UserId::new(user),
        }
    }
}

/// A callback that passed verification.
#[derive(Debug)]
pub(crate) struct Verified {
    /// The provider's own id for this delivery, for the replay cache.
    pub(crate) key: String,
    /// The joins it reports (none for leaves and other events).
    pub(crate) joins: Vec<Join>,
}

/// Why a callback was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No signature, or one that does not match: 401.
    Signature,
    /// Signed, but its time is outside the window: 400.
    Stale,
    /// Not a callback we can read: 400.
    Malformed,
}

/// Whether `at` is within `window` of `now`, either way.
pub(crate) fn within(now: SystemTime, at: SystemTime, window: Duration) -> bool {
    match now.duration_since(at) {
        Ok(age) => age <= window,
        Err(ahead) => ahead.duration() <= window,
    }
}

/// A Unix time in seconds or milliseconds, told apart by magnitude: above 10^11 it is milliseconds
/// (10^11 seconds is the year 5138; 10^11 ms is 1973). `None` beyond what the clock can hold.
pub(crate) fn unix_time(value: u64) -> Option<SystemTime> {
    if value > 100_000_000_000 {
        UNIX_EPOCH.checked_add(Duration::from_millis(value))
    } else {
        UNIX_EPOCH.checked_add(Duration::from_secs(value))
    }
}

/// Whether the Unix time `value` (seconds or milliseconds, [`unix_time`]) is within `window` of `now`.
pub(crate) fn recent(now: SystemTime, value: u64, window: Duration) -> bool {
    unix_time(value).is_some_and(|at| within(now, at, window))
}

/// A JSON field as the text it was sent as: a string as is, a number as its decimal digits (what
/// a signature over "the value" covers).
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A field that holds an unsigned integer, sent as a number or a string of digits.
pub(crate) fn integer(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// Compares a hex digest as received (either case) with the digest computed, in constant time.
pub(crate) fn hex_matches(received: &str, expected: &[u8]) -> bool {
    match hex::decode(received.trim()) {
        Ok(bytes) => bytes.ct_eq(expected).into(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_milliseconds_by_magnitude() {
        assert_eq!(
            unix_time(1_499_676_978),
            Some(UNIX_EPOCH + Duration::from_secs(1_499_676_978))
        );
        assert_eq!(
            unix_time(1_499_676_978_027),
            Some(UNIX_EPOCH + Duration::from_millis(1_499_676_978_027))
        );
        let now = UNIX_EPOCH + Duration::from_secs(1_499_676_978);
        assert!(
            !recent(now, u64::MAX, Duration::from_secs(300)),
            "no overflow"
        );
    }

    #[test]
    fn window_both_ways() {
        let now = UNIX_EPOCH + Duration::from_secs(10_000);
        let window = Duration::from_secs(300);
        assert!(within(now, now - window, window));
        assert!(within(now, now + window, window));
        assert!(!within(now, now - window - Duration::from_secs(1), window));
        assert!(!within(now, now + window + Duration::from_secs(1), window));
    }

    #[test]
    fn hex_in_either_case_and_nothing_else() {
        assert!(hex_matches("0aff", &[0x0a, 0xff]));
        assert!(hex_matches("0AFF", &[0x0a, 0xff]));
        assert!(!hex_matches("0afe", &[0x0a, 0xff]));
        assert!(!hex_matches("0aff00", &[0x0a, 0xff]));
        assert!(!hex_matches("zz", &[0x0a]));
        assert!(!hex_matches("", &[0x0a]));
    }
}
