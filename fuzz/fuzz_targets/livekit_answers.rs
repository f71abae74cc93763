//! LiveKit RoomService answers: any status and body decode without panicking, as a
//! `ListParticipants` success (each identity at most once) and as a failure under JSON and
//! text/plain content types.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&[high, low], body)) = data.split_first_chunk::<2>() else {
        return;
    };
    let status = u16::from_be_bytes([high, low]) % 1000;
    room_moderator_livekit::fuzzing::answers(status, body);
});
