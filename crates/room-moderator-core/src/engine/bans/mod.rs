//! Bans through the engine. `ban` (this file): validate, the store first (nothing is sent if the
//! ban cannot be remembered), native rules where the provider has them (`rules.rs`; ZEGO Express
//! RTC `SetForbidUserRule`: docs/providers/bans.md), then the kick (`engine/kick/`), all under the
//! ban's deadline. The other ban flows: `unban.rs`, `list.rs` (`bans`), `gate.rs` (the join gate,
//! `check`, and `issue_token`), and the rules' renewal before they lapse (`rules.rs`).

mod gate;
mod list;
mod rules;
mod unban;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;
use tracing::{Instrument, info, info_span, warn};

pub use rules::RENEW_WITHIN;

use crate::engine::call::deadline::{Operation, instant_after};
use crate::engine::{Engine, validate};
use crate::{
    Adapter, ApiLimits, BanEntry, BanOutcome, BanReport, BanRequest, BanScope, BanStore,
    BanSupport, BanUserReport, DisconnectRequest, Error, ErrorKind, Outcome, Plan, Reason, RoomId,
    UserId, wall_clock_now,
};

/// Longest reason kept with a ban, in characters (the kick carries at most what the provider takes).
const MAX_STORED_REASON: usize = 1024;

/// How long `calls` calls take at the API's documented rate (nothing without a rate).
fn paced(calls: usize, limits: &ApiLimits) -> Duration {
    match limits.requests_per_second {
        Some(rate) if calls > 1 => {
            Duration::from_secs_f64((calls - 1) as f64 / f64::from(rate.get()))
        }
        _ => Duration::ZERO,
    }
}

/// The native-rule side of a provider, when it has one.
struct Native {
    max_duration: Duration,
    set: ApiLimits,
    list: ApiLimits,
}

impl<A: Adapter> Engine<A> {
    fn ban_store(&self) -> Result<&Arc<dyn BanStore>, Error> {
        self.store.as_ref().ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                "no ban store is configured (EngineBuilder::with_ban_store; the moderator facade uses a file under the data directory by default)",
            )
        })
    }

    fn ban_scope(&self, room: &RoomId) -> BanScope {
        BanScope::new(
            self.adapter.provider(),
            self.adapter.account(),
            room.clone(),
        )
    }

    fn native(&self) -> Option<Native> {
        match self.caps.bans {
            BanSupport::Native {
                max_duration,
                requests_per_second,
                list_requests_per_second,
                ..
            } => Some(Native {
                max_duration,
                set: ApiLimits::new(1)
                    .with_rate_per_second(requests_per_second.map_or(0, |r| r.get())),
                list: ApiLimits::new(1)
                    .with_rate_per_second(list_requests_per_second.map_or(0, |r| r.get())),
            }),
            _ => None,
        }
    }

    fn unsupported_bans(&self) -> Result<(), Error> {
        if self.caps.bans == BanSupport::Unsupported {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "this provider cannot ban",
            ));
        }
        Ok(())
    }

    /// `ban`: validate, record in the store, set native rules (and renew the room's lapsing
    /// ones), then kick, all within the ban's deadline.
    pub(crate) async fn ban_users(&self, request: &BanRequest) -> Result<BanReport, Error> {
        let provider = self.adapter.provider();
        let span = info_span!("moderator.ban", provider, room = %request.room(), users = request.users().len());
        async {
            let (kick, users) = self.checked_ban(request)?;
            let store = self.ban_store()?;
            let deadline = self.ban_deadline(request, users.len())?;
            let scope = self.ban_scope(request.room());
            let now = wall_clock_now();
            let until = request.duration().and_then(|d| now.checked_add(d));
            let entries = ban_entries(request, &users, now, until);
            let mut warnings = Vec::new();
            let lift_calls = self
                .lift_lapsed_rules(&scope, None, deadline, &mut warnings)
                .await
                .calls;
            // The store first: if the ban cannot be remembered, nothing is sent.
            store.put(&scope, &entries).await?;

            let (rules, rule_calls) = match self.native() {
                Some(native) => {
                    self.ban_rules(request, &entries, &scope, &native, deadline, &mut warnings)
                        .await
                }
                None => (HashMap::new(), 0),
            };
            let (outcomes, kick_calls) = self.ban_kick(&kick, &users, deadline).await;
            let users = users
                .into_iter()
                .map(|user| {
                    let native = rules.contains_key(&user);
                    let outcome = ban_outcome(outcomes.get(&user), until, native);
                    BanUserReport { user, outcome }
                })
                .collect();
            // Returned in the report; logged at info so that a caller printing them does not show
            // them twice.
            for warning in &warnings {
                info!(provider, "{warning}");
            }
            Ok(BanReport {
                room: request.room().clone(),
                users,
                calls: lift_calls + rule_calls + kick_calls,
                warnings,
            })
        }
        .instrument(span)
        .await
    }

    /// A ban checked before anything is stored or sent: its kick and its distinct, valid users.
    fn checked_ban(&self, request: &BanRequest) -> Result<(DisconnectRequest, Vec<UserId>), Error> {
        self.unsupported_bans()?;
        let kick = self.kick_request_for(request)?;
        let users = validate::validate(self.adapter.as_ref(), &self.caps, &kick)?.users;
        if let Some(duration) = request.duration()
            && duration < Duration::from_secs(1)
        {
            return Err(Error::invalid_input(format!(
                "a ban of {duration:?} is shorter than one second; leave the duration out for a ban until lifted"
            )));
        }
        Ok((kick, users))
    }

    /// When a ban of `users` users must be done: its rules, then its kick.
    fn ban_deadline(&self, request: &BanRequest, users: usize) -> Result<Instant, Error> {
        let kick_plan = Plan::new(&self.caps, users);
        let rule_time = self
            .native()
            .map_or(Duration::ZERO, |native| paced(users, &native.set));
        Ok(instant_after(self.config.deadlines.resolve(
            Operation::Ban,
            request.deadline(),
            &kick_plan,
            kick_plan.min_duration.saturating_add(rule_time),
        )?))
    }

    /// A ban's native rules: one per user (each rule's expiry recorded with its ban, so that it is
    /// renewed), then the renewal of the room's other rules lapsing soon. Returns the users with a
    /// rule and when it ends, and the calls made.
    async fn ban_rules(
        &self,
        request: &BanRequest,
        entries: &[BanEntry],
        scope: &BanScope,
        native: &Native,
        deadline: Instant,
        warnings: &mut Vec<String>,
    ) -> (HashMap<UserId, SystemTime>, u32) {
        let users: Vec<UserId> = entries.iter().map(|entry| entry.user.clone()).collect();
        let rule_for = native
            .max_duration
            .min(request.duration().unwrap_or(native.max_duration));
        let (rules, mut calls) = self
            .set_rules(request.room(), &users, rule_for, native, deadline, warnings)
            .await;
        if !rules.is_empty() {
            let with_rules: Vec<BanEntry> = entries
                .iter()
                .filter_map(|entry| {
                    let rule_until = rules.get(&entry.user)?;
                    Some(entry.clone().with_rule_until(Some(*rule_until)))
                })
                .collect();
            if let Ok(store) = self.ban_store()
                && let Err(error) = store.put(scope, &with_rules).await
            {
                warn!(%error, "the rules were set but their expiry could not be recorded; they will not be renewed");
            }
        }
        // Other bans of the room whose rule lapses soon.
        calls += self
            .renew_room_rules(scope, native, deadline, warnings)
            .await;
        (rules, calls)
    }

    /// A ban's kick, by `deadline`: each user's outcome, and the calls made. A kick refused as a
    /// whole is every user's failure.
    async fn ban_kick(
        &self,
        kick: &DisconnectRequest,
        users: &[UserId],
        deadline: Instant,
    ) -> (HashMap<UserId, Outcome>, u32) {
        match self.kick_until(kick, Some(deadline)).await {
            Ok(report) => (
                report
                    .users()
                    .iter()
                    .map(|entry| (entry.user.clone(), entry.outcome.clone()))
                    .collect(),
                report.calls(),
            ),
            Err(error) => (
                users
                    .iter()
                    .map(|user| (user.clone(), Outcome::Failed(error.clone())))
                    .collect(),
                0,
            ),
        }
    }

    /// The kick a ban makes, validated like any kick (so a reason too long for the provider is an
    /// error before anything is stored or sent).
    fn kick_request_for(&self, request: &BanRequest) -> Result<DisconnectRequest, Error> {
        let mut kick = DisconnectRequest::new(request.room().clone(), request.users().to_vec());
        if let Some(reason) = request.reason() {
            if reason.chars().count() > MAX_STORED_REASON {
                return Err(Error::invalid_input(format!(
                    "the reason is longer than {MAX_STORED_REASON} characters"
                )));
            }
            kick = kick.with_reason(Reason::new(reason));
        }
        Ok(kick)
    }
}

/// The store's entries for a ban of `users` made `now`.
fn ban_entries(
    request: &BanRequest,
    users: &[UserId],
    now: SystemTime,
    until: Option<SystemTime>,
) -> Vec<BanEntry> {
    users
        .iter()
        .map(|user| {
            BanEntry::new(user.clone(), now)
                .with_until(until)
                .with_reason(request.reason().map(str::to_owned))
                .with_by(request.requested_by().map(str::to_owned))
        })
        .collect()
}

/// A banned user's outcome from their kick's outcome. The ban is recorded whatever the kick did.
fn ban_outcome(kicked: Option<&Outcome>, until: Option<SystemTime>, native: bool) -> BanOutcome {
    match kicked {
        Some(Outcome::Disconnected) => BanOutcome::Banned { until, native },
        Some(Outcome::NotInRoom) => BanOutcome::NotInRoom { until, native },
        Some(Outcome::Failed(error)) => BanOutcome::Failed {
            error: error.clone(),
            recorded: true,
        },
        None => BanOutcome::Failed {
            error: Error::protocol("the kick reported nothing for this user"),
            recorded: true,
        },
    }
}
