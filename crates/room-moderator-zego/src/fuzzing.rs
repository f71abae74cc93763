//! Entry points for the fuzz targets in `fuzz/` (hidden from the docs): the crate-private decoder of
//! ZEGO answers, reachable without a network. Not part of the API; may change at any release.

use room_moderator_core::Error;

use crate::Service;
use crate::response::{self, Answer};

/// Decodes one answer of ZIM (`rtc == false`) or RTC to `KickoutRoomUser` / `KickoutUser`, exactly as
/// the adapter does: `Ok` where it reads as success, the error the call's users would get otherwise.
pub fn decode_answer(rtc: bool, status: u16, body: &[u8]) -> Result<(), Error> {
    let service = if rtc { Service::Rtc } else { Service::Zim };
    match response::decode(service, status, None, body) {
        Answer::Success => Ok(()),
        Answer::Failure { error, .. } => Err(error),
    }
}

/// Decodes one answer to ZIM `QueryRoomUserList` (`rtc == false`) or RTC `DescribeUserList` into a
/// page, as `members_page` does.
pub fn decode_members_page(
    rtc: bool,
    status: u16,
    body: &[u8],
) -> Result<room_moderator_core::MemberPage, Error> {
    use crate::api::Api;
    if rtc {
        crate::rooms::rtc_user_list(response::decode_api(
            Api::DescribeUserList,
            status,
            None,
            body,
        ))
    } else {
        crate::rooms::zim_user_list(response::decode_api(
            Api::QueryRoomUserList,
            status,
            None,
            body,
        ))
    }
}

/// Decodes one answer to ZIM `QueryRoomMembers` about `users`, as `presence` does: one answer per
/// user, in order, or the call's error.
pub fn decode_presence(
    users: &[room_moderator_core::UserId],
    status: u16,
    body: &[u8],
) -> Result<Vec<room_moderator_core::Presence>, Error> {
    let decoded = response::decode_api(crate::api::Api::QueryRoomMembers, status, None, body);
    crate::rooms::zim_presence(users, decoded)
}

/// Decodes one answer to RTC `DescribeForbidUserRules` into `room`'s rules in force at `now`, as
/// `ban_rules` does.
pub fn decode_ban_rules(
    room: &room_moderator_core::RoomId,
    now: std::time::SystemTime,
    status: u16,
    body: &[u8],
) -> Result<Vec<room_moderator_core::BanRule>, Error> {
    let decoded =
        response::decode_api(crate::api::Api::DescribeForbidUserRules, status, None, body);
    crate::rules::room_rules(decoded, room, now)
}
