//! EnableX `room-connected.userList`: any JSON decodes without panicking, a roster is read only from
//! a list, and never from a missing or `null` one.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        let missing = room_moderator_enablex::fuzzing::roster(None);
        assert!(missing.is_err(), "a missing userList read as a room");
        return;
    };
    match room_moderator_enablex::fuzzing::roster(Some(&value)) {
        Ok(connections) => {
            let list = value.as_array().expect("a roster comes from a list");
            assert!(connections <= list.len());
            assert!(list.is_empty() || connections > 0, "entries lost: {value}");
        }
        Err(why) => assert!(!why.is_empty()),
    }
});
