//! The limits of ZEGO's APIs other than the kicks: each action's documented rate, per AppID or per
//! room, over sliding one-second windows of the emulator's (tokio) clock. The kicks' per-AppID
//! quota stays in [`Controls`](crate::Controls), which also decides which actions draw from it.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::service::Action;
use super::wire::Reply;

const WINDOW: Duration = Duration::from_secs(1);

/// More windows than this and the idle ones are dropped (an idle window holds nothing that matters).
const MAX_WINDOWS: usize = 4096;

/// One documented limit of one action.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limit {
    /// Actions sharing one budget share a bucket name (SetForbidUserRule and DelForbidUserRule).
    pub bucket: &'static str,
    pub per_second: usize,
    pub per_room: bool,
    /// The product's answer over this limit.
    pub code: i64,
    pub message: &'static str,
}

/// A limit's bucket and, for a per-room limit, the room.
type WindowKey = (&'static str, Option<String>);

/// The sliding windows of every action's own limits.
#[derive(Debug, Default)]
pub(super) struct ApiLimits(Mutex<HashMap<WindowKey, VecDeque<Instant>>>);

impl ApiLimits {
    /// Admits one call of `action` on `room` at `now`, or answers the first limit it is over. The
    /// narrower (per-room) limits are listed first, so a call refused by one does not use another.
    pub(super) fn admit(&self, action: Action, room: Option<&str>, now: Instant) -> Option<Reply> {
        let mut windows = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > MAX_WINDOWS {
            windows.retain(|_, window| window.back().is_some_and(|&at| at + WINDOW > now));
        }
        for limit in action.limits() {
            let key = (
                limit.bucket,
                limit.per_room.then(|| room.unwrap_or("").to_owned()),
            );
            let window = windows.entry(key).or_default();
            while window.front().is_some_and(|&at| at + WINDOW <= now) {
                window.pop_front();
            }
            if window.len() >= limit.per_second {
                return Some(Reply::refused(limit.code, limit.message));
            }
            window.push_back(now);
        }
        None
    }

    pub(super) fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn per_room_and_per_app_windows_slide() {
        let limits = ApiLimits::default();
        let at = Instant::now();
        // QueryRoomMembers: 5/s per room, answered 660300006 beyond.
        for _ in 0..5 {
            assert!(
                limits
                    .admit(Action::QueryRoomMembers, Some("a"), at)
                    .is_none()
            );
        }
        let over = limits.admit(Action::QueryRoomMembers, Some("a"), at);
        assert_eq!(over.map(|r| r.code), Some(660300006));
        assert!(
            limits
                .admit(Action::QueryRoomMembers, Some("b"), at)
                .is_none(),
            "another room"
        );
        let later = at + Duration::from_millis(999);
        assert!(
            limits
                .admit(Action::QueryRoomMembers, Some("a"), later)
                .is_some()
        );
        let later = at + WINDOW;
        assert!(
            limits
                .admit(Action::QueryRoomMembers, Some("a"), later)
                .is_none()
        );

        // DescribeUserList: 1/s per room (207); the rule calls share 10/s per AppID (206).
        assert!(
            limits
                .admit(Action::DescribeUserList, Some("a"), at)
                .is_none()
        );
        let over = limits.admit(Action::DescribeUserList, Some("a"), at);
        assert_eq!(over.map(|r| r.code), Some(207));
        for i in 0..10 {
            let action = if i % 2 == 0 {
                Action::SetForbidUserRule
            } else {
                Action::DelForbidUserRule
            };
            assert!(limits.admit(action, Some(&i.to_string()), at).is_none());
        }
        let over = limits.admit(Action::SetForbidUserRule, Some("x"), at);
        assert_eq!(over.map(|r| r.code), Some(206));
        assert!(
            limits
                .admit(Action::DescribeForbidUserRules, None, at)
                .is_none()
        );
        let over = limits.admit(Action::DescribeForbidUserRules, None, at);
        assert_eq!(over.map(|r| r.code), Some(206));
        assert!(
            limits.admit(Action::KickoutUser, Some("a"), at).is_none(),
            "no own limit"
        );
    }
}
