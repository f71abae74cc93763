//! ZEGO ZIM and RTC answers: any status and body decode without panicking, and only a 2xx status
//! with `Code` 0 is ever a success.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&[selector, high, low], body)) = data.split_first_chunk::<3>().map(|(h, b)| (h, b))
    else {
        return;
    };
    let rtc = selector & 1 == 1;
    // Mostly 200 (ZEGO's usual status), sometimes anything.
    let status = if selector & 2 == 0 {
        200
    } else {
        u16::from_be_bytes([high, low]) % 1000
    };
    match room_moderator_zego::fuzzing::decode_answer(rtc, status, body) {
        Ok(()) => {
            assert!((200..300).contains(&status), "success under HTTP {status}");
            let value: serde_json::Value =
                serde_json::from_slice(body).expect("a success body is JSON");
            let code = &value["Code"];
            assert!(
                code.as_i64() == Some(0)
                    || code
                        .as_str()
                        .is_some_and(|s| s.trim().parse::<i64>() == Ok(0)),
                "success without Code 0: {value}"
            );
        }
        Err(error) => {
            assert!(!error.to_string().is_empty());
        }
    }
});
