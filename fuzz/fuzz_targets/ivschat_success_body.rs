//! IVS Chat DisconnectUser success bodies: any body is checked without panicking, and only a blank
//! body or a JSON object is accepted as a disconnection.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    match room_moderator_ivs::fuzzing::check_success_body(body) {
        Ok(()) => assert!(
            body.iter().all(u8::is_ascii_whitespace)
                || matches!(
                    serde_json::from_slice::<serde_json::Value>(body),
                    Ok(serde_json::Value::Object(_))
                ),
            "accepted {body:?}"
        ),
        Err(message) => assert!(!message.is_empty()),
    }
});
