//! ZIM `QueryRoomMembers` answers in either spelling: any body decodes without panicking, and an
//! answer is one presence per queried user, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use room_moderator_core::UserId;

fuzz_target!(|data: &[u8]| {
    let Some((&[count], body)) = data.split_first_chunk::<1>() else {
        return;
    };
    let users: Vec<UserId> = (0..usize::from(count % 10) + 1)
        .map(|i| UserId::new(format!("u{i}")))
        .collect();
    if let Ok(presence) = room_moderator_zego::fuzzing::decode_presence(&users, 200, body) {
        assert_eq!(presence.len(), users.len(), "not one answer per user");
    }
});
