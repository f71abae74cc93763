//! The mock's calls besides kicks: member lists, presence, native ban rules and tokens, recorded
//! and scriptable like kicks.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::MockAdapter;
use crate::{
    BanRule, Error, Member, MemberPage, Presence, RoomId, Token, TokenOptions, UserId,
    wall_clock_now,
};

/// One call besides a kick that the mock received.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RecordedSideCall {
    /// Which: `members_page`, `presence`, `set_ban_rule`, `delete_ban_rule`, `ban_rules` or
    /// `issue_token`.
    pub api: &'static str,
    /// The room.
    pub room: RoomId,
    /// The users the call named (none for listings).
    pub users: Vec<UserId>,
    /// The rule's duration, for `set_ban_rule`.
    pub duration: Option<Duration>,
    /// When the call arrived (tokio time).
    pub at: Instant,
}

#[derive(Default)]
pub(super) struct SideState {
    calls: Vec<RecordedSideCall>,
    failures: HashMap<&'static str, VecDeque<Error>>,
    rules: HashMap<(RoomId, UserId), SystemTime>,
}

impl MockAdapter {
    /// The next `n` calls to `api` (see [`RecordedSideCall::api`]) fail with `error`.
    pub fn fail_side_calls(&self, api: &'static str, n: usize, error: Error) {
        self.state()
            .side
            .failures
            .entry(api)
            .or_default()
            .extend(std::iter::repeat_n(error, n));
    }

    /// Every call besides kicks received so far, in order.
    pub fn side_calls(&self) -> Vec<RecordedSideCall> {
        self.state().side.calls.clone()
    }

    /// The native ban rules in force, as `(room, user, expiry)`, sorted.
    pub fn ban_rules_in_force(&self) -> Vec<(RoomId, UserId, SystemTime)> {
        let now = wall_clock_now();
        let mut rules: Vec<_> = self
            .state()
            .side
            .rules
            .iter()
            .filter(|(_, until)| **until > now)
            .map(|((room, user), until)| (room.clone(), user.clone(), *until))
            .collect();
        rules.sort();
        rules
    }

    /// Records a side call and applies a scripted failure, if one is queued.
    fn side_call(
        &self,
        api: &'static str,
        room: &RoomId,
        users: &[UserId],
        duration: Option<Duration>,
    ) -> Result<(), Error> {
        let mut state = self.state();
        state.side.calls.push(RecordedSideCall {
            api,
            room: room.clone(),
            users: users.to_vec(),
            duration,
            at: Instant::now(),
        });
        match state
            .side
            .failures
            .get_mut(api)
            .and_then(VecDeque::pop_front)
        {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Pages of a seeded room's members (sorted), `members.per_call` a page; other rooms are empty.
    pub(super) fn side_members_page(
        &self,
        room: &RoomId,
        cursor: Option<&str>,
    ) -> Result<MemberPage, Error> {
        self.side_call("members_page", room, &[], None)?;
        let per_page = self.caps.members.map_or(100, |m| m.per_call.get());
        let start = match cursor {
            None => 0,
            Some(cursor) => cursor
                .parse::<usize>()
                .map_err(|_| Error::protocol("the mock got a cursor it never gave"))?,
        };
        let members = self.members(room).unwrap_or_default();
        let total = members.len();
        let page: Vec<Member> = members
            .into_iter()
            .skip(start)
            .take(per_page)
            .map(Member::new)
            .collect();
        let end = start + page.len();
        let next = (end < total).then(|| end.to_string());
        Ok(MemberPage::new(page, next).with_total(Some(total)))
    }

    /// Presence: users set absent are absent; in seeded rooms only members are present.
    pub(super) fn side_presence(
        &self,
        room: &RoomId,
        users: &[UserId],
    ) -> Result<Vec<Presence>, Error> {
        self.side_call("presence", room, users, None)?;
        let state = self.state();
        Ok(users
            .iter()
            .map(|user| {
                if state.is_absent(room, user) {
                    Presence::Absent
                } else {
                    Presence::Present
                }
            })
            .collect())
    }

    pub(super) fn side_set_ban_rule(
        &self,
        room: &RoomId,
        user: &UserId,
        duration: Duration,
    ) -> Result<Option<SystemTime>, Error> {
        self.side_call(
            "set_ban_rule",
            room,
            std::slice::from_ref(user),
            Some(duration),
        )?;
        let until = wall_clock_now() + duration;
        self.state()
            .side
            .rules
            .insert((room.clone(), user.clone()), until);
        Ok(Some(until))
    }

    pub(super) fn side_delete_ban_rule(&self, room: &RoomId, user: &UserId) -> Result<(), Error> {
        self.side_call("delete_ban_rule", room, std::slice::from_ref(user), None)?;
        self.state()
            .side
            .rules
            .remove(&(room.clone(), user.clone()));
        Ok(())
    }

    pub(super) fn side_ban_rules(&self, room: &RoomId) -> Result<Vec<BanRule>, Error> {
        self.side_call("ban_rules", room, &[], None)?;
        Ok(self
            .ban_rules_in_force()
            .into_iter()
            .filter(|(rule_room, _, _)| rule_room == room)
            .map(|(_, user, until)| BanRule::new(user, until))
            .collect())
    }

    pub(super) fn side_issue_token(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<Token, Error> {
        let _ = options;
        self.side_call("issue_token", room, std::slice::from_ref(user), None)?;
        Ok(Token::new(format!("mock-token-{room}-{user}"))
            .with_expires_at(Some(wall_clock_now() + Duration::from_secs(60))))
    }
}
