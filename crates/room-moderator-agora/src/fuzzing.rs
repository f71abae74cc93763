//! Entry points for the fuzz targets in `fuzz/`: every decoder of provider input, fed arbitrary
//! bytes. Not part of the API.

use room_moderator_core::RoomId;
use serde_json::Value;

fn object(data: &[u8]) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_slice::<Value>(data).ok()? {
        Value::Object(object) => Some(object),
        _ => None,
    }
}

/// The RTC decoders: the online list and the rule list (with its ISO 8601 times).
pub fn rtc_answers(data: &[u8]) {
    if let Some(object) = object(data) {
        let _ = crate::rtc::decode_online(&object);
        let _ = crate::rtc::decode_rules(&object, &RoomId::new("live"));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::answer::parse_iso8601(text);
    }
}

/// The Chat decoders: per-user results (both shapes) and member pages.
pub fn chat_answers(data: &[u8]) {
    if let Some(object) = object(data) {
        let _ = crate::chat::decode_user_results(&object);
        let _ = crate::chat::decode_members(&object, 1, 1000);
    }
}

/// The AccessToken2 reader.
pub fn token(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::token::parse_token(text);
    }
}
