//! ZIM `KickoutRoomUser` (zegocloud.com/docs/zim-server/room/remove-user-from-the-room): RoomId up to
//! 32 characters, 1..50 `UserId[]` of up to 32 bytes, optional CustomReason (32 bytes) and FromUserId,
//! ids from the documented character set.

use super::service::Shared;
use super::wire::{Params, Reply};
use super::{Kick, PartialBatch};
use crate::Removal;

const INVALID_PARAMETER: i64 = 660000002;
const TOO_MANY_USERS: i64 = 660000011;
const USER_ID_TOO_LONG: i64 = 660000012;
const NO_ROOM: i64 = 660300001;
const NOT_IN_ROOM: i64 = 660300002;

/// Digits, letters and ``! # $ % & ( ) + - : ; < = . > ? @ [ ] ^ _ { } | ~ ,`` and space.
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&()+-:;<=.>?@[]^_{}|~, ".contains(c)
}

fn check_charset(what: &str, id: &str) -> Result<(), Reply> {
    match id.chars().find(|c| !allowed(*c)) {
        Some(bad) => Err(Reply::rejected(
            INVALID_PARAMETER,
            format!("{what} contains {bad:?}, which is not allowed"),
        )),
        None => Ok(()),
    }
}

pub(super) fn kick(shared: &Shared, params: &Params) -> Reply {
    match checked(params) {
        Ok(request) => apply(shared, request),
        Err(reply) => reply,
    }
}

struct Request<'a> {
    room: &'a str,
    users: Vec<&'a str>,
    reason: Option<&'a str>,
    operator: Option<&'a str>,
}

fn checked(params: &Params) -> Result<Request<'_>, Reply> {
    let room = params
        .get("RoomId")
        .ok_or_else(|| Reply::rejected(INVALID_PARAMETER, "RoomId is required"))?;
    if room.chars().count() > 32 {
        return Err(Reply::rejected(
            INVALID_PARAMETER,
            "RoomId is longer than 32 characters",
        ));
    }
    check_charset("RoomId", room)?;
    let mut users = params.all("UserId[]");
    if users.is_empty() {
        return Err(Reply::rejected(INVALID_PARAMETER, "UserId[] is required"));
    }
    if users.len() > 50 {
        return Err(Reply::rejected(
            TOO_MANY_USERS,
            format!("{} users; at most 50 per call", users.len()),
        ));
    }
    for user in &users {
        if user.is_empty() {
            return Err(Reply::rejected(INVALID_PARAMETER, "an empty UserId"));
        }
        if user.len() > 32 {
            return Err(Reply::rejected(
                USER_ID_TOO_LONG,
                "a UserId is longer than 32 bytes",
            ));
        }
        check_charset("UserId", user)?;
    }
    let mut seen = std::collections::HashSet::new();
    users.retain(|user| seen.insert(*user));
    let reason = params.get("CustomReason");
    if reason.is_some_and(|reason| reason.len() > 32) {
        return Err(Reply::rejected(
            INVALID_PARAMETER,
            "CustomReason is longer than 32 bytes",
        ));
    }
    let operator = params.get("FromUserId");
    if let Some(operator) = operator {
        if operator.len() > 32 {
            return Err(Reply::rejected(
                USER_ID_TOO_LONG,
                "FromUserId is longer than 32 bytes",
            ));
        }
        check_charset("FromUserId", operator)?;
    }
    Ok(Request {
        room,
        users,
        reason,
        operator,
    })
}

fn apply(shared: &Shared, request: Request<'_>) -> Reply {
    let rooms = &shared.rooms;
    if !rooms.exists(request.room) {
        return Reply::refused(NO_ROOM, "room does not exist");
    }
    let absent = request
        .users
        .iter()
        .filter(|user| !rooms.contains(request.room, user))
        .count();
    // UNVERIFIED what ZEGO does when only some users of a call are in the room: the knob picks a
    // reading. Either way the answer names no user.
    if absent > 0 && shared.config.zim_partial == PartialBatch::FailWhole {
        return Reply::refused(NOT_IN_ROOM, "user not in this room");
    }
    let mut removed = Vec::new();
    for user in &request.users {
        if rooms.remove(request.room, user) == Removal::Removed {
            removed.push((*user).to_owned());
            shared.kicks.record(Kick {
                room: request.room.to_owned(),
                user: (*user).to_owned(),
                reason: request.reason.map(str::to_owned),
                from_user_id: request.operator.map(str::to_owned),
            });
        }
    }
    if !removed.is_empty() {
        shared.left(request.room, &removed, Some(request.operator));
    }
    if absent > 0 {
        Reply::refused(NOT_IN_ROOM, "user not in this room")
    } else {
        Reply::success()
    }
}
