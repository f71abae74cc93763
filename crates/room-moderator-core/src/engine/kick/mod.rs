//! Removing users: `disconnect` and `disconnect_all`.
//!
//! - `disconnect` ([`Engine::kick_until`]): validate (`engine/validate.rs`), then the presence check
//!   where a kick naming an absent user fails the whole call (`presence.rs`, before any kick), then
//!   the dispatch loop (`dispatch.rs`): batches in flight, retries, splits, fail-fast, exactly one
//!   outcome per user. Every batch is sent through the one call path (`engine/call/`). A ban's kick
//!   and kick-all by listing come here too, under their own operation's deadline.
//! - `disconnect_all`: one provider call where the provider has one ([`Engine::clear_room`]), else
//!   list the room (`engine/members.rs`) and kick everyone listed ([`Engine::list_and_kick`]).

mod dispatch;
mod jobs;
mod presence;
mod progress;

use std::time::Duration;

use tokio::time::Instant;
use tracing::{Instrument, info_span};

pub use presence::{PresencePlan, QUERY_FIRST_CALLS};

use crate::engine::call::Pacing;
use crate::engine::call::deadline::{self, Operation};
use crate::engine::{Engine, validate};
use crate::{
    Adapter, DisconnectRequest, Error, ErrorKind, Outcome, Plan, Reason, Report, RoomClear,
    RoomCleared, RoomId,
};

impl<A: Adapter> Engine<A> {
    /// What a `disconnect` of `request` would take, without sending anything.
    pub(crate) fn plan_kick(&self, request: &DisconnectRequest) -> Result<Plan, Error> {
        let valid = validate::validate(self.adapter.as_ref(), &self.caps, request)?;
        let plan = Plan::new(&self.caps, valid.users.len())
            .with_presence(self.presence_plan(valid.users.len(), request.presence_check()));
        let deadline = self.disconnect_deadline(request, &plan)?;
        Ok(plan.with_deadline(Some(deadline)))
    }

    /// How long a `disconnect` of `request`, planned as `plan`, may take.
    fn disconnect_deadline(
        &self,
        request: &DisconnectRequest,
        plan: &Plan,
    ) -> Result<Duration, Error> {
        self.config.deadlines.resolve(
            Operation::Disconnect,
            request.deadline(),
            plan,
            plan.min_duration,
        )
    }

    /// A kick, finished by `until` when given (the deadline of the operation it is part of: a ban,
    /// kick-all by listing), else by its own deadline.
    pub(crate) async fn kick_until(
        &self,
        request: &DisconnectRequest,
        until: Option<Instant>,
    ) -> Result<Report, Error> {
        let provider = self.adapter.provider();
        let valid = validate::validate(self.adapter.as_ref(), &self.caps, request)?;
        let deadline = match until {
            Some(until) => until,
            None => {
                let plan = Plan::new(&self.caps, valid.users.len());
                deadline::instant_after(self.disconnect_deadline(request, &plan)?)
            }
        };
        let span = info_span!("moderator.disconnect", provider, room = %request.room(), users = valid.users.len());
        let started = Instant::now();
        let dispatched = self
            .dispatch(
                request.room(),
                &valid.users,
                valid.reason,
                deadline,
                request.presence_check(),
            )
            .instrument(span)
            .await;
        progress::log_failures(provider, &dispatched.users);
        let reason_delivered = valid.reason.is_some()
            && dispatched
                .users
                .iter()
                .any(|entry| matches!(entry.outcome, Outcome::Disconnected));
        Ok(Report::new(
            request.room().clone(),
            dispatched.users,
            dispatched.calls,
            reason_delivered,
        )
        .with_throttled(dispatched.throttled)
        .with_elapsed(started.elapsed()))
    }

    /// `disconnect_all`: one provider call where the provider has one, else list and kick; refused
    /// before anything is sent where the provider can do neither.
    pub(crate) async fn remove_everyone(
        &self,
        room: &RoomId,
        reason: Option<&Reason>,
    ) -> Result<RoomCleared, Error> {
        let provider = self.adapter.provider();
        validate::check_room(&self.caps, room)?;
        let reason = validate::reason_to_send(&self.caps, reason)?;
        match self.caps.room_clear() {
            RoomClear::Unsupported => Err(Error::new(
                ErrorKind::Unsupported,
                "this provider can neither remove everyone at once nor list a room's members",
            )),
            RoomClear::ListAndKick => {
                let span = info_span!("moderator.disconnect_all", provider, %room, method = "list_and_kick");
                self.list_and_kick(room, reason).instrument(span).await
            }
            RoomClear::Native => {
                let span = info_span!("moderator.disconnect_all", provider, %room);
                let result = self.stamped(self.clear_room(room, reason).instrument(span).await);
                if let Some(audit) = &self.config.audit {
                    audit.room_cleared(provider, room, result.as_ref().copied());
                }
                result.map(|()| RoomCleared::Native)
            }
        }
    }

    /// `disconnect_all` in one provider call, through the one call path with the kick's pacer.
    async fn clear_room(&self, room: &RoomId, reason: Option<&Reason>) -> Result<(), Error> {
        let deadline = self.one_call_deadline(Operation::DisconnectAll)?;
        let pacing = Pacing {
            kick: self.pacer.as_deref(),
            own: None,
        };
        self.call("kick-all", &pacing, deadline, || {
            self.adapter.disconnect_all(room, reason)
        })
        .await
        .result
    }

    /// `disconnect_all` where the provider has no one call: list, then remove everyone listed (no
    /// presence check first: they were just listed; a kick that still meets someone gone is
    /// resolved as any other).
    async fn list_and_kick(
        &self,
        room: &RoomId,
        reason: Option<&Reason>,
    ) -> Result<RoomCleared, Error> {
        // A deadline set for kick-all covers the listing and the kick; without one, each part has
        // its own default.
        let until = self
            .config
            .deadlines
            .configured(Operation::DisconnectAll)
            .map(deadline::instant_after);
        let listing_deadline = match until {
            Some(until) => until,
            None => self.one_call_deadline(Operation::Members)?,
        };
        let (members, listing_calls) = self.list_members(room, listing_deadline).await;
        let members = members?;
        let mut request =
            DisconnectRequest::new(room.clone(), members.into_iter().map(|member| member.id))
                .without_presence_check();
        if let Some(reason) = reason {
            request = request.with_reason(reason.clone());
        }
        if request.users().is_empty() {
            return Ok(RoomCleared::ListedAndKicked(Report::new(
                room.clone(),
                Vec::new(),
                listing_calls,
                false,
            )));
        }
        let report = self.kick_until(&request, until).await?;
        Ok(RoomCleared::ListedAndKicked(
            report.with_extra_calls(listing_calls),
        ))
    }
}
