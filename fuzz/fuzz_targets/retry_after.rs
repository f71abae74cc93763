//! `Retry-After` as providers send it (seconds or an HTTP date): any header text parses without
//! panicking, and seconds are read as seconds.
#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    let now: SystemTime = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let parsed = room_moderator_core::parse_retry_after(value, now);
    let trimmed = value.trim();
    if let Ok(seconds) = trimmed.parse::<u64>()
        && trimmed.bytes().all(|b| b.is_ascii_digit())
    {
        assert_eq!(parsed, Some(Duration::from_secs(seconds)));
    }
});
