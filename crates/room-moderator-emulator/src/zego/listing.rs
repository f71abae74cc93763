//! Who is in a room (docs/providers/presence.md): ZIM `QueryRoomUserList` (everyone, paged by `NextFlag`),
//! ZIM `QueryRoomMembers` (are these users in the room) and Express RTC `DescribeUserList` (everyone,
//! paged by `Marker`).
//!
//! Members are listed in id order (`Mode=0`; `Mode=1` reverses it: the emulator keeps no login
//! times). The cursor is the hex of the last id listed, so a member who leaves between pages never
//! shifts the next page. What ends a ZIM list and how `QueryRoomMembers` spells its fields are
//! switches ([`EndMarker`], [`MembersSpelling`]), since ZEGO's docs give both readings.

use serde_json::{Value, json};

use super::service::Shared;
use super::wire::{Params, Reply};
use super::{EndMarker, MembersSpelling};
use crate::RoomDirectory;

const INVALID_PARAMETER: i64 = 660000002;
const TOO_MANY_USERS: i64 = 660000011;
const USER_ID_TOO_LONG: i64 = 660000012;
const NO_ROOM: i64 = 660300001;
const ROOM_USER_LIST_EMPTY: i64 = 660300008;
const NOT_IN_ROOM: i64 = 660300012;
const RTC_PARAMETER_ERROR: i64 = 2;

/// One page of `members` (sorted) after `cursor`, in `mode`'s order, and whether more follow.
fn page<'a>(
    members: &'a [String],
    cursor: Option<&str>,
    newest_first: bool,
    limit: usize,
) -> (Vec<&'a String>, bool) {
    let ordered: Box<dyn Iterator<Item = &String>> = if newest_first {
        Box::new(members.iter().rev())
    } else {
        Box::new(members.iter())
    };
    let mut rest = ordered.filter(|id| match cursor {
        None => true,
        Some(after) if newest_first => id.as_str() < after,
        Some(after) => id.as_str() > after,
    });
    let page: Vec<&String> = rest.by_ref().take(limit).collect();
    (page, rest.next().is_some())
}

/// The cursor's id: the hex of the last id listed.
fn decode_cursor(raw: Option<&str>) -> Result<Option<String>, ()> {
    match raw {
        None => Ok(None),
        Some(hex) => hex::decode(hex)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .map(Some)
            .ok_or(()),
    }
}

/// `Limit`: absent or 0 is the default; above `max` or not a number is refused.
fn limit(params: &Params, max: usize) -> Option<usize> {
    match params.get("Limit").map(str::parse::<usize>) {
        None | Some(Ok(0)) => Some(max),
        Some(Ok(n)) if n <= max => Some(n),
        _ => None,
    }
}

/// `Mode`: 0 (default) or 1.
fn newest_first(params: &Params) -> Option<bool> {
    match params.get("Mode") {
        None | Some("0") => Some(false),
        Some("1") => Some(true),
        Some(_) => None,
    }
}

/// ZIM `QueryRoomUserList`: `RoomId`, `Mode`, `NextFlag`, `Limit` (0..500, default 500).
pub(super) fn query_room_user_list(shared: &Shared, params: &Params) -> Reply {
    let Some(room) = params.get("RoomId") else {
        return Reply::rejected(INVALID_PARAMETER, "RoomId is required");
    };
    let (Some(limit), Some(newest_first)) = (limit(params, 500), newest_first(params)) else {
        return Reply::rejected(INVALID_PARAMETER, "Limit must be 0..500 and Mode 0 or 1");
    };
    let Ok(cursor) = decode_cursor(params.get("NextFlag")) else {
        return Reply::rejected(
            INVALID_PARAMETER,
            "NextFlag is not one this server returned",
        );
    };
    let Some(members) = shared.rooms.members(room) else {
        return Reply::refused(NO_ROOM, "room does not exist");
    };
    // A ZIM room nobody is in is being destroyed.
    if members.is_empty() {
        return Reply::refused(ROOM_USER_LIST_EMPTY, "room user list empty");
    }
    let (listed, more) = page(&members, cursor.as_deref(), newest_first, limit);
    let next = match (listed.last(), more) {
        (Some(last), true) => hex::encode(last),
        _ => match shared.switches().end_marker {
            EndMarker::Empty => String::new(),
            EndMarker::Zero => "0".to_owned(),
        },
    };
    let users: Vec<Value> = listed
        .iter()
        .map(|id| json!({ "UserId": id, "UserName": id }))
        .collect();
    Reply::success()
        .with("Count", json!(members.len()))
        .with("NextFlag", json!(next))
        .with("UserList", Value::Array(users))
}

/// ZIM `QueryRoomMembers`: `RoomId` and 1..10 `UserId[]`. The users in the room come in `UserList`,
/// the others in `ErrorList` with SubCode 660300012; when nobody is there the call fails (Code
/// 660300012) and `ErrorList` still names everyone (docs/providers/presence.md: read it on errors too).
pub(super) fn query_room_members(shared: &Shared, params: &Params) -> Reply {
    let Some(room) = params.get("RoomId") else {
        return Reply::rejected(INVALID_PARAMETER, "RoomId is required");
    };
    let users = params.all("UserId[]");
    if users.is_empty() || users.iter().any(|user| user.is_empty()) {
        return Reply::rejected(INVALID_PARAMETER, "UserId[] is required and not empty");
    }
    if users.len() > 10 {
        return Reply::rejected(
            TOO_MANY_USERS,
            format!("{} users; at most 10 per call", users.len()),
        );
    }
    if users.iter().any(|user| user.len() > 32) {
        return Reply::rejected(USER_ID_TOO_LONG, "a UserId is longer than 32 bytes");
    }
    if !shared.rooms.exists(room) {
        return Reply::refused(NO_ROOM, "room does not exist");
    }
    let legacy = shared.switches().members_spelling == MembersSpelling::Legacy;
    let (present, absent): (Vec<&str>, Vec<&str>) = users
        .iter()
        .partition(|user| shared.rooms.contains(room, user));
    let present: Vec<Value> = present
        .iter()
        .map(|id| {
            if legacy {
                json!({ "UserId": id, "UserName": id })
            } else {
                json!({ "user_id": id, "user_name": id, "avatar": "", "extra": "" })
            }
        })
        .collect();
    let errors: Vec<Value> = absent
        .iter()
        .map(|id| json!({ "UserId": id, "SubCode": NOT_IN_ROOM }))
        .collect();
    let reply = if present.is_empty() {
        Reply::refused(NOT_IN_ROOM, "user not in the specified room")
    } else {
        Reply::success()
    };
    reply.with("UserList", Value::Array(present)).with(
        if legacy { "ErrorUser" } else { "ErrorList" },
        Value::Array(errors),
    )
}

/// Express RTC `DescribeUserList`: `RoomId`, `Mode`, `Limit` (0..200, default 200), `Marker`. A room
/// that does not exist lists nobody; `Data.Marker` is empty at the end.
pub(super) fn describe_user_list(shared: &Shared, params: &Params) -> Reply {
    let Some(room) = params.get("RoomId") else {
        return Reply::rejected(RTC_PARAMETER_ERROR, "RoomId is required");
    };
    let (Some(limit), Some(newest_first)) = (limit(params, 200), newest_first(params)) else {
        return Reply::rejected(RTC_PARAMETER_ERROR, "Limit must be 0..200 and Mode 0 or 1");
    };
    let Ok(cursor) = decode_cursor(params.get("Marker")) else {
        return Reply::rejected(
            RTC_PARAMETER_ERROR,
            "Marker is not one this server returned",
        );
    };
    let members = shared.rooms.members(room).unwrap_or_default();
    let (listed, more) = page(&members, cursor.as_deref(), newest_first, limit);
    let marker = match (listed.last(), more) {
        (Some(last), true) => hex::encode(last),
        _ => String::new(),
    };
    let users: Vec<Value> = listed
        .iter()
        .map(|id| json!({ "UserId": id, "UserName": id, "UserRole": 0 }))
        .collect();
    Reply::success().with("Data", json!({ "Marker": marker, "UserList": users }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_the_cursor_in_both_orders() {
        let members: Vec<String> = ["a", "b", "c", "d", "e"].map(str::to_owned).to_vec();
        let (first, more) = page(&members, None, false, 2);
        assert_eq!((first, more), (vec![&members[0], &members[1]], true));
        let (next, more) = page(&members, Some("b"), false, 2);
        assert_eq!((next, more), (vec![&members[2], &members[3]], true));
        let (last, more) = page(&members, Some("d"), false, 2);
        assert_eq!((last, more), (vec![&members[4]], false));
        let (first, _) = page(&members, None, true, 2);
        assert_eq!(first, vec![&members[4], &members[3]]);
        let (next, _) = page(&members, Some("d"), true, 2);
        assert_eq!(next, vec![&members[2], &members[1]]);
        assert!(!page(&members, None, false, 5).1, "exactly full: no more");
    }

    #[test]
    fn cursors_are_hex_of_an_id() {
        assert_eq!(
            decode_cursor(Some(&hex::encode("0"))),
            Ok(Some("0".to_owned()))
        );
        assert_eq!(decode_cursor(None), Ok(None));
        assert!(decode_cursor(Some("zz")).is_err());
    }
}
