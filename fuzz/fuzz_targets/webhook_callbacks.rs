//! Provider callbacks as the webhook receiver reads them: any signature header and body, on every
//! route, are verified or refused without panicking. The first byte picks the route; the header runs
//! to the first zero byte, the body is the rest.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (header, body) = match rest.iter().position(|b| *b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (&rest[..0], rest),
    };
    room_moderator_webhooks::fuzzing::verify(selector, header, body);
});
