//! Agora: `room_moderator_agora::fuzzing::token` on arbitrary bytes (see its doc for the invariants).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    room_moderator_agora::fuzzing::token(data);
});
