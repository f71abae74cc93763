//! Express RTC `KickoutUser` (zegocloud.com/docs/real-time-video-server/api-reference/room/kick-out-user):
//! 1..5 `UserId[]`, optional CustomReason up to 256 bytes, optional IsTest. Kicking a user who is not in
//! the room succeeds (ZEGO FAQ "kick-nonexistent-user-error").

use super::Kick;
use super::service::Shared;
use super::wire::{Params, Reply};
use crate::Removal;

const PARAMETER_ERROR: i64 = 2;
const PARAMETER_TOO_LONG: i64 = 3;
const NO_ROOM: i64 = 104;
const USER_LIST_TOO_LONG: i64 = 50011;

pub(super) fn kick(shared: &Shared, params: &Params) -> Reply {
    let Some(room) = params.get("RoomId") else {
        return Reply::rejected(PARAMETER_ERROR, "RoomId is required");
    };
    let users = params.all("UserId[]");
    if users.is_empty() || users.iter().any(|user| user.is_empty()) {
        return Reply::rejected(PARAMETER_ERROR, "UserId[] is required and not empty");
    }
    if users.len() > 5 {
        return Reply::rejected(
            USER_LIST_TOO_LONG,
            format!("{} users; at most 5 per call", users.len()),
        );
    }
    let reason = params.get("CustomReason");
    if reason.is_some_and(|reason| reason.len() > 256) {
        return Reply::rejected(PARAMETER_TOO_LONG, "CustomReason is longer than 256 bytes");
    }
    if !matches!(params.get("IsTest"), None | Some("true" | "false")) {
        return Reply::rejected(PARAMETER_ERROR, "IsTest must be true or false");
    }
    // An unknown room is answered with one of the documented "room does not exist" codes; which one
    // real RTC uses for a kick is not documented.
    if !shared.rooms.exists(room) {
        return Reply::refused(NO_ROOM, "room does not exist");
    }
    let mut removed = Vec::new();
    for user in users {
        if shared.rooms.remove(room, user) == Removal::Removed {
            removed.push(user.to_owned());
            shared.kicks.record(Kick {
                room: room.to_owned(),
                user: user.to_owned(),
                reason: reason.map(str::to_owned),
                from_user_id: None,
            });
        }
    }
    if !removed.is_empty() {
        shared.left(room, &removed, Some(None));
    }
    Reply::success()
}
