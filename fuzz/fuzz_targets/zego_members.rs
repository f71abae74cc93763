//! ZIM `QueryRoomUserList` and RTC `DescribeUserList` answers: any status and body decode without
//! panicking, a page never ends on a cursor the docs call an end marker, and members have ids.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&[selector], body)) = data.split_first_chunk::<1>() else {
        return;
    };
    let rtc = selector & 1 == 1;
    let status = if selector & 2 == 0 { 200 } else { 500 };
    if let Ok(page) = room_moderator_zego::fuzzing::decode_members_page(rtc, status, body) {
        assert_eq!(status, 200, "a page from HTTP {status}");
        if let Some(next) = &page.next {
            assert!(
                !next.is_empty() && next != "0",
                "an end marker read as a cursor: {next:?}"
            );
        }
        assert!(
            page.members.iter().all(|m| !m.id.as_str().is_empty()),
            "a member without an id"
        );
    }
});
