//! RTC `DescribeForbidUserRules` answers: any body decodes without panicking, and only rules of the
//! asked room still in force come back, one per user.
#![no_main]

use std::collections::HashSet;
use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use room_moderator_core::RoomId;

fuzz_target!(|data: &[u8]| {
    let room = RoomId::new("room-1");
    let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    if let Ok(rules) = room_moderator_zego::fuzzing::decode_ban_rules(&room, now, 200, data) {
        assert!(
            rules.iter().all(|rule| rule.expires_at > now),
            "an expired rule"
        );
        let users: HashSet<_> = rules.iter().map(|rule| &rule.user).collect();
        assert_eq!(users.len(), rules.len(), "a user twice");
    }
});
