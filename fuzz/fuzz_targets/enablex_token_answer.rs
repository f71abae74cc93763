//! EnableX REST token answers (both documented envelopes): any status, headers and body decode without
//! panicking, a token only ever comes from a 2xx status, and it is never blank.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&[selector, high, low], rest)) = data.split_first_chunk::<3>().map(|(h, b)| (h, b))
    else {
        return;
    };
    let status = if selector & 1 == 0 {
        200
    } else {
        u16::from_be_bytes([high, low]) % 1000
    };
    // Optional headers, each a line before the body when the selector asks for it.
    let text = String::from_utf8_lossy(rest);
    let mut lines = text.splitn(3, '\n');
    let retry_after = if selector & 2 == 2 {
        lines.next()
    } else {
        None
    };
    let request_id = if selector & 4 == 4 {
        lines.next()
    } else {
        None
    };
    let body: String = lines.collect::<Vec<_>>().join("\n");
    let body = if selector & 6 == 0 {
        rest
    } else {
        body.as_bytes()
    };
    match room_moderator_enablex::fuzzing::token_answer(status, retry_after, request_id, body) {
        Ok(token) => {
            assert!((200..300).contains(&status), "a token under HTTP {status}");
            assert!(!token.trim().is_empty(), "a blank token");
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
