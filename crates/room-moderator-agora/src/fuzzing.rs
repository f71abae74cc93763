//! Entry points for the fuzz targets in `fuzz/`: every decoder of provider input, fed arbitrary
//! bytes, with the invariants the targets assert. Not part of the API.

use room_moderator_core::RoomId;
use serde_json::Value;

use crate::token::{AppCredentials, parse_token};

fn object(data: &[u8]) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_slice::<Value>(data).ok()? {
        Value::Object(object) => Some(object),
        _ => None,
    }
}

/// The RTC decoders (online list, rule list, ISO 8601 times): no panic; every member and rule uid
/// decoded is a valid integer uid.
pub fn rtc_answers(data: &[u8]) {
    if let Some(object) = object(data) {
        if let Ok(page) = crate::rtc::decode_online(&object) {
            assert!(page.next.is_none(), "the online list has one page");
            for member in &page.members {
                assert!(member.id.as_str().parse::<u64>().is_ok(), "{:?}", member.id);
            }
        }
        if let Ok(rules) = crate::rtc::decode_rules(&object, &RoomId::new("live")) {
            assert!(rules.iter().all(|(_, uid, _)| *uid > 0));
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::answer::parse_iso8601(text);
    }
}

/// The Chat decoders (per-user results in both shapes, member pages): no panic; a page names a
/// next page only when full.
pub fn chat_answers(data: &[u8]) {
    if let Some(object) = object(data) {
        let _ = crate::chat::decode_user_results(&object);
        if let Ok(page) = crate::chat::decode_members(&object, 1, 3) {
            assert!(page.next.is_none() || page.members.len() >= 3);
        }
    }
}

/// The AccessToken2 reader on arbitrary text, and a round trip of a token built from the input's
/// first 12 bytes (issue time, validity, salt).
pub fn token(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_token(text);
    }
    if let Some((head, _)) = data.split_first_chunk::<12>() {
        let word = |i: usize| u32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
        let (issued, expire, salt) = (word(0), word(4), word(8));
        let Ok(credentials) = AppCredentials::new(
            "970CA35de60c44645bbae8a215061b33",
            "5CFd2fd1755d40ecb72977518be15d3b",
        ) else {
            return;
        };
        let parsed = parse_token(&credentials.app_token_at(issued, expire, salt));
        let parsed = parsed.unwrap_or_else(|e| panic!("our own token does not parse: {e}"));
        assert_eq!(
            (parsed.issued, parsed.expire, parsed.salt),
            (issued, expire, salt)
        );
    }
}
