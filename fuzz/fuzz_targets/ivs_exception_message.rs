//! IVS error bodies: any body yields `exceptionMessage`'s text or nothing, without panicking, and
//! what is kept is one non-empty line of bounded length.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Some(text) = room_moderator_ivs::fuzzing::exception_message(body) {
        assert!(!text.is_empty());
        assert!(!text.contains('\n') && !text.contains('\r'), "{text:?}");
        assert!(text.chars().count() <= 203, "{}", text.len());
    }
});
