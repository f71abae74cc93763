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
            .with_provider(self.adapter.provider())
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
            return Err(
                Error::new(ErrorKind::Unsupported, "this provider cannot ban")
                    .with_provider(self.adapter.provider()),
            );
        }
        Ok(())
    }

    pub(crate) async fn ban_users(&self, request: &BanRequest) -> Result<BanReport, Error> {
        let provider = self.adapter.provider();
        let span = info_span!("moderator.ban", provider, room = %request.room(), users = request.users().len());
        async {
            self.unsupported_bans()?;
            let kick = self.kick_request_for(request)?;
            let users = validate::validate(self.adapter.as_ref(), &self.caps, &kick)?.users;
            if let Some(duration) = request.duration()
                && duration < Duration::from_secs(1)
            {
                return Err(Error::invalid_input(format!(
                    "a ban of {duration:?} is shorter than one second; leave the duration out for a ban until lifted"
                ))
                .with_provider(provider));
            }
            let store = self.ban_store()?;
            // The rules, then the kick, all within the ban's deadline.
            let kick_plan = Plan::new(&self.caps, users.len());
            let rule_time = self
                .native()
                .map_or(Duration::ZERO, |native| paced(users.len(), &native.set));
            let deadline = instant_after(self.deadline_of(
                Operation::Ban,
                request.deadline(),
                &kick_plan,
                kick_plan.min_duration.saturating_add(rule_time),
            )?);
            let scope = self.ban_scope(request.room());
            let now = wall_clock_now();
            let until = request.duration().and_then(|d| now.checked_add(d));
            let entries: Vec<BanEntry> = users
                .iter()
                .map(|user| {
                    BanEntry::new(user.clone(), now)
                        .with_until(until)
                        .with_reason(request.reason().map(str::to_owned))
                        .with_by(request.requested_by().map(str::to_owned))
                })
                .collect();
            // The store first: if the ban cannot be remembered, nothing is sent.
            store.put(&scope, &entries).await?;

            let mut warnings = Vec::new();
            let mut calls = 0;
            let mut native_users: HashMap<UserId, SystemTime> = HashMap::new();
            if let Some(native) = self.native() {
                let rule_for = native.max_duration.min(request.duration().unwrap_or(native.max_duration));
                let (set, rule_calls) = self
                    .set_rules(request.room(), &users, rule_for, &native, deadline, &mut warnings)
                    .await;
                calls += rule_calls;
                native_users = set;
                if !native_users.is_empty() {
                    let with_rules: Vec<BanEntry> = entries
                        .iter()
                        .filter_map(|entry| {
                            native_users
                                .get(&entry.user)
                                .map(|rule_until| entry.clone().with_rule_until(Some(*rule_until)))
                        })
                        .collect();
                    if let Err(error) = store.put(&scope, &with_rules).await {
                        warn!(%error, "the rules were set but their expiry could not be recorded; they will not be renewed");
                    }
                }
                // Other bans of the room whose rule lapses soon.
                calls += self
                    .renew_room_rules(&scope, &native, deadline, &mut warnings)
                    .await;
            }

            let report = self.kick_until(&kick, Some(deadline)).await;
            let (outcomes, kick_calls) = match report {
                Ok(report) => {
                    let calls = report.calls();
                    let outcomes: HashMap<UserId, Outcome> = report
                        .users()
                        .iter()
                        .map(|entry| (entry.user.clone(), entry.outcome.clone()))
                        .collect();
                    (outcomes, calls)
                }
                Err(error) => (
                    users
                        .iter()
                        .map(|user| (user.clone(), Outcome::Failed(error.clone())))
                        .collect(),
                    0,
                ),
            };
            calls += kick_calls;
            let users = users
                .into_iter()
                .map(|user| {
                    let native = native_users.contains_key(&user);
                    let outcome = match outcomes.get(&user) {
                        Some(Outcome::Disconnected) => BanOutcome::Banned { until, native },
                        Some(Outcome::NotInRoom) => BanOutcome::NotInRoom { until, native },
                        Some(Outcome::Failed(error)) => BanOutcome::Failed {
                            error: error.clone(),
                            recorded: true,
                        },
                        None => BanOutcome::Failed {
                            error: Error::protocol("the kick reported nothing for this user")
                                .with_provider(provider),
                            recorded: true,
                        },
                    };
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
                calls,
                warnings,
            })
        }
        .instrument(span)
        .await
    }

    /// The kick a ban makes, validated like any kick (so a reason too long for the provider is an
    /// error before anything is stored or sent).
    fn kick_request_for(&self, request: &BanRequest) -> Result<DisconnectRequest, Error> {
        let mut kick = DisconnectRequest::new(request.room().clone(), request.users().to_vec());
        if let Some(reason) = request.reason() {
            if reason.chars().count() > MAX_STORED_REASON {
                return Err(Error::invalid_input(format!(
                    "the reason is longer than {MAX_STORED_REASON} characters"
                ))
                .with_provider(self.adapter.provider()));
            }
            kick = kick.with_reason(Reason::new(reason));
        }
        Ok(kick)
    }
}
