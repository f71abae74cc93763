//! `members`: listing a room, every page, each member once, bounded ([`MAX_MEMBERS`], a cursor
//! seen twice). Each page goes through the one call path as a side call (`call/side.rs`). The
//! listing also serves `disconnect_all` where the provider has no one call for it
//! (`kick/mod.rs`) and the presence check by listing (`kick/presence.rs`).

use std::collections::HashSet;

use tokio::time::Instant;
use tracing::{Instrument, debug, info_span};

use crate::engine::call::deadline::Operation;
use crate::engine::call::side::SideApi;
use crate::engine::{Engine, validate};
use crate::{Adapter, Error, ErrorKind, Member, RoomId};

/// The most members one listing gathers. A room larger than this is refused rather than held in
/// memory: a provider that kept answering pages (or a cursor that loops) must not grow the list
/// without bound.
pub const MAX_MEMBERS: usize = 1_000_000;

impl<A: Adapter> Engine<A> {
    /// `members`, under its operation's deadline.
    pub(crate) async fn members_of(&self, room: &RoomId) -> Result<Vec<Member>, Error> {
        let span = info_span!("moderator.members", provider = self.adapter.provider(), %room);
        let deadline = self.one_call_deadline(Operation::Members)?;
        self.list_members(room, deadline).instrument(span).await.0
    }

    /// Every member of `room`, each once (the listing is a snapshot, not a transaction: pages may
    /// repeat a member who moved), with the provider calls it took.
    pub(crate) async fn list_members(
        &self,
        room: &RoomId,
        deadline: Instant,
    ) -> (Result<Vec<Member>, Error>, u32) {
        let (listing, calls) = self.list_members_while(room, deadline, |_| true).await;
        let listing = listing.and_then(|members| {
            members.ok_or_else(|| Error::protocol("the listing stopped early"))
        });
        (listing, calls)
    }

    /// Lists `room`, page after page, while `worth_going_on(total)` says so after the first page
    /// (`Ok(None)` when it said no).
    pub(crate) async fn list_members_while(
        &self,
        room: &RoomId,
        deadline: Instant,
        worth_going_on: impl Fn(Option<usize>) -> bool,
    ) -> (Result<Option<Vec<Member>>, Error>, u32) {
        let Some(limits) = self.caps.members else {
            return (
                Err(Error::new(
                    ErrorKind::Unsupported,
                    "this provider cannot list a room's members",
                )),
                0,
            );
        };
        if let Err(error) = validate::check_room(&self.caps, room) {
            return (Err(error), 0);
        }
        let mut members = Vec::new();
        let mut seen: HashSet<crate::UserId> = HashSet::new();
        let mut cursors: HashSet<String> = HashSet::new();
        let mut cursor: Option<String> = None;
        let mut calls = 0;
        loop {
            let page = self
                .side_call(SideApi::Members, room, &limits, deadline, || {
                    self.adapter.members_page(room, cursor.as_deref())
                })
                .await;
            calls += page.calls;
            let page = match page.result {
                Ok(page) => page,
                Err(error) => return (Err(error), calls),
            };
            if calls == 1 && page.next.is_some() && !worth_going_on(page.total) {
                return (Ok(None), calls);
            }
            for member in page.members {
                if seen.insert(member.id.clone()) {
                    members.push(member);
                }
            }
            if members.len() > MAX_MEMBERS {
                return (
                    Err(Error::protocol(format!(
                        "the provider listed more than {MAX_MEMBERS} members; stopping rather than holding more"
                    ))),
                    calls,
                );
            }
            match page.next {
                None => break,
                Some(next) if !cursors.insert(next.clone()) => {
                    return (
                        Err(Error::protocol(
                            "the provider returned a page cursor it had returned before; the listing would never end",
                        )),
                        calls,
                    );
                }
                Some(next) => cursor = Some(next),
            }
        }
        debug!(members = members.len(), calls, "listed the room");
        (Ok(Some(members)), calls)
    }
}
