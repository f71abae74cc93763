//! Presence checks before kicking, on providers where a kick naming an absent user fails the whole
//! call without saying who (ZIM `KickoutRoomUser`, 660300002: docs/providers/presence.md).
//!
//! Two ways to learn who is there, and the engine takes the cheaper for the request's size:
//! - ask about the users themselves (ZIM `QueryRoomMembers`: 10 users a call, 5/s per room), or
//! - list the whole room (ZIM `QueryRoomUserList`: 500 members a page, 20/s).
//!
//! Asking costs `ceil(users / 10)` calls at 5/s; listing costs `ceil(room / 500)` calls at 20/s.
//! When [`QUERY_FIRST_CALLS`] query (up to 10 users) does it, the engine asks; beyond that the
//! room's first page says how big it is, and the engine keeps listing only while the remaining
//! pages take no longer than asking would (a room of up to 500 is one call, whatever the request's
//! size). A check is a snapshot: someone can leave between the check and the kick, which the
//! dispatch loop resolves by checking that batch again, the same way.

use std::collections::HashSet;

use futures::future::join_all;
use tokio::time::Instant;
use tracing::debug;

use crate::engine::Engine;
use crate::engine::call::side::SideApi;
use crate::{AbsentUsers, Adapter, ApiLimits, Error, ErrorKind, Presence, RoomId, UserId};

/// Users already known absent, and the calls it took to learn it.
pub(crate) struct Checked {
    /// One flag per distinct user of the request, in order: `true` when present.
    pub present: Vec<bool>,
    pub calls: u32,
    /// A failure of the check that concerns the whole request (a missing room, bad credentials):
    /// the kick would fail alike, so it is not sent.
    pub stop: Option<Error>,
}

/// Up to this many presence queries, asking is taken without looking at the room's size.
pub const QUERY_FIRST_CALLS: usize = 1;

/// How presence would be checked before kicking, for plans and dry runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "method", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum PresencePlan {
    /// Ask about the users: exactly `calls` calls.
    QueryUsers {
        /// Calls needed.
        calls: usize,
        /// Users per call.
        per_call: usize,
    },
    /// List the room: one call per `per_call` members of the room (its size is learnt from the
    /// first page; asking is taken instead if the room turns out larger than that is worth).
    ListRoom {
        /// Members per page.
        per_call: usize,
        /// The asking alternative's calls, if the provider can ask.
        query_calls: Option<usize>,
    },
}

impl PresencePlan {
    /// The least number of calls the check makes.
    pub fn min_calls(&self) -> usize {
        match self {
            PresencePlan::QueryUsers { calls, .. } => *calls,
            PresencePlan::ListRoom { .. } => 1,
        }
    }
}

fn calls_for(users: usize, limits: &ApiLimits) -> usize {
    users.div_ceil(limits.per_call.get())
}

/// Seconds the calls take at the API's rate (0 without a rate).
fn seconds_for(calls: usize, limits: &ApiLimits) -> f64 {
    match limits.requests_per_second {
        Some(rate) if calls > 1 => (calls - 1) as f64 / f64::from(rate.get()),
        _ => 0.0,
    }
}

impl<A: Adapter> Engine<A> {
    /// Whether the provider can say who is in a room.
    pub(crate) fn can_check_presence(&self) -> bool {
        self.caps.presence.is_some() || self.caps.members.is_some()
    }

    /// How a request of `users` distinct users would be checked before kicking, if at all.
    pub(crate) fn presence_plan(&self, users: usize, wanted: bool) -> Option<PresencePlan> {
        if !wanted || self.caps.absent_users != AbsentUsers::FailTheCall {
            return None;
        }
        match (self.caps.presence, self.caps.members) {
            (Some(query), members) => {
                let calls = calls_for(users, &query);
                match members {
                    Some(list) if calls > QUERY_FIRST_CALLS => Some(PresencePlan::ListRoom {
                        per_call: list.per_call.get(),
                        query_calls: Some(calls),
                    }),
                    _ => Some(PresencePlan::QueryUsers {
                        calls,
                        per_call: query.per_call.get(),
                    }),
                }
            }
            (None, Some(list)) => Some(PresencePlan::ListRoom {
                per_call: list.per_call.get(),
                query_calls: None,
            }),
            (None, None) => None,
        }
    }

    /// Checks who of `users` is in `room` before kicking. `None` when no check applies or presence
    /// could not be read (the kick then goes ahead, and splitting resolves what it must).
    pub(crate) async fn precheck(
        &self,
        room: &RoomId,
        users: &[UserId],
        wanted: bool,
        deadline: Instant,
    ) -> Option<Checked> {
        let plan = self.presence_plan(users.len(), wanted)?;
        let (result, calls) = match plan {
            PresencePlan::QueryUsers { .. } => self.query_presence(room, users, deadline).await,
            PresencePlan::ListRoom { query_calls, .. } => {
                self.presence_by_listing(room, users, query_calls, deadline)
                    .await
            }
        };
        match result {
            Ok(presence) => {
                let present: Vec<bool> = presence.iter().map(|p| *p == Presence::Present).collect();
                debug!(
                    absent = present.iter().filter(|p| !**p).count(),
                    calls, "presence checked before kicking"
                );
                Some(Checked {
                    present,
                    calls,
                    stop: None,
                })
            }
            // A missing room or credentials the provider refuses would fail the kick alike. A
            // permission or feature missing for the presence API alone would not: kick anyway.
            Err(error)
                if !error.is_temporary()
                    && matches!(
                        error.kind(),
                        ErrorKind::NotFound
                            | ErrorKind::Unauthenticated
                            | ErrorKind::AccountNotReady
                            | ErrorKind::Config
                    ) =>
            {
                Some(Checked {
                    present: vec![true; users.len()],
                    calls,
                    stop: Some(error),
                })
            }
            Err(error) => {
                debug!(%error, "presence could not be read; kicking without a check");
                // The calls were made all the same: report them.
                Some(Checked {
                    present: vec![true; users.len()],
                    calls,
                    stop: None,
                })
            }
        }
    }

    /// Presence of `users` by whichever way the provider has (asking first), for a batch whose kick
    /// failed without naming anyone.
    pub(crate) async fn presence_of(
        &self,
        room: &RoomId,
        users: &[UserId],
        deadline: Instant,
    ) -> (Result<Vec<Presence>, Error>, u32) {
        match (self.caps.presence, self.caps.members) {
            (Some(query), Some(_)) if calls_for(users.len(), &query) > QUERY_FIRST_CALLS => {
                let query_calls = Some(calls_for(users.len(), &query));
                self.presence_by_listing(room, users, query_calls, deadline)
                    .await
            }
            (Some(_), _) => self.query_presence(room, users, deadline).await,
            (None, _) => self.presence_by_listing(room, users, None, deadline).await,
        }
    }

    /// Asks about `users`, `per_call` at a time (the calls are paced by the API's own pacer).
    async fn query_presence(
        &self,
        room: &RoomId,
        users: &[UserId],
        deadline: Instant,
    ) -> (Result<Vec<Presence>, Error>, u32) {
        let Some(limits) = self.caps.presence else {
            return (Err(Error::protocol("no presence API")), 0);
        };
        let chunks: Vec<&[UserId]> = users.chunks(limits.per_call.get()).collect();
        let answers = join_all(chunks.iter().map(|chunk| {
            self.side_call(SideApi::Presence, room, &limits, deadline, move || {
                self.adapter.presence(room, chunk)
            })
        }))
        .await;
        let mut calls = 0;
        let mut presence = Vec::with_capacity(users.len());
        let mut failure = None;
        for (chunk, answer) in chunks.iter().zip(answers) {
            calls += answer.calls;
            match answer.result {
                Ok(found) if found.len() == chunk.len() => presence.extend(found),
                Ok(found) => {
                    failure.get_or_insert(Error::protocol(format!(
                        "the adapter answered presence for {} of {} users",
                        found.len(),
                        chunk.len()
                    )));
                }
                Err(error) => {
                    failure.get_or_insert(error);
                }
            }
        }
        match failure {
            Some(error) => (Err(error), calls),
            None => (Ok(presence), calls),
        }
    }

    /// Lists the room and says who of `users` is in it. With `query_calls` (the asking
    /// alternative), stops after the first page if the room is large enough that asking is cheaper.
    async fn presence_by_listing(
        &self,
        room: &RoomId,
        users: &[UserId],
        query_calls: Option<usize>,
        deadline: Instant,
    ) -> (Result<Vec<Presence>, Error>, u32) {
        let (Some(list), query) = (self.caps.members, self.caps.presence) else {
            return (Err(Error::protocol("no member listing")), 0);
        };
        let worth_listing = |total: Option<usize>| -> bool {
            let (Some(total), Some(query_calls), Some(query)) = (total, query_calls, query) else {
                return true;
            };
            let pages = calls_for(total, &list);
            // Time and calls both count: listing goes on while its remaining pages take no longer
            // than asking would.
            seconds_for(pages, &list) <= seconds_for(query_calls, &query)
        };
        let (listing, calls) = self.list_members_while(room, deadline, worth_listing).await;
        match listing {
            Ok(Some(members)) => {
                let present: HashSet<&UserId> = members.iter().map(|m| &m.id).collect();
                let presence = users
                    .iter()
                    .map(|user| {
                        if present.contains(user) {
                            Presence::Present
                        } else {
                            Presence::Absent
                        }
                    })
                    .collect();
                (Ok(presence), calls)
            }
            Ok(None) => {
                debug!(
                    "the room is larger than listing it is worth; asking about the users instead"
                );
                let (result, more) = self.query_presence(room, users, deadline).await;
                (result, calls + more)
            }
            Err(error) => (Err(error), calls),
        }
    }
}
