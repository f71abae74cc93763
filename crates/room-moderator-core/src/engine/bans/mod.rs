//! Bans through the engine: the store first (nothing is sent if it cannot be written), native rules
//! where the provider has them (ZEGO Express RTC `SetForbidUserRule`: docs/providers/bans.md §1.2), the kick, the
//! join gate and token issuing.
//!
//! Native rules last at most a day on ZEGO (`EffectiveTime` 1..86400 s). A longer or permanent ban is
//! held whole by the store; its rule covers the first day, and every library call that touches the
//! room (`ban`, `bans`, `check`) renews a rule lapsing within [`RENEW_WITHIN`]. Between such calls the
//! join gate ([`Moderator::check`](crate::Moderator::check)) is what keeps the user out.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use futures::stream;
use tracing::{Instrument, info, info_span, warn};

use tokio::time::Instant;

use crate::engine::call::deadline::{Operation, instant_after};
use crate::engine::call::side::SideApi;
use crate::engine::{Engine, validate};
use crate::{
    Adapter, ApiLimits, BanEntry, BanOutcome, BanReport, BanRequest, BanScope, BanStore,
    BanSupport, BanUserReport, DisconnectRequest, Error, ErrorKind, JoinCheck, Outcome, Plan,
    Reason, RoomId, TokenDecision, TokenOptions, UnbanOutcome, UnbanReport, UnbanUserReport,
    UserId, wall_clock_now,
};

/// A native rule lapsing sooner than this, on a ban that lasts longer, is renewed by the next
/// library call that touches the room.
pub const RENEW_WITHIN: Duration = Duration::from_secs(3600);

/// A ban outlasts its rule only by more than this: providers state expiry in whole seconds, and a
/// rule that ends a moment before its ban needs no renewal call.
const RULE_SLACK: Duration = Duration::from_secs(60);

/// Longest reason kept with a ban, in characters (the kick carries at most what the provider takes).
const MAX_STORED_REASON: usize = 1024;

/// Marks a rule call skipped because an earlier one was refused for good.
const NOT_SENT: &str = "not sent: an earlier rule of this ban was refused";

fn not_sent() -> Error {
    Error::new(ErrorKind::Cancelled, NOT_SENT)
}

fn is_not_sent(error: &Error) -> bool {
    error.kind() == ErrorKind::Cancelled && error.message() == NOT_SENT
}

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

    /// Sets native rules for `users`, paced to the rule API's rate. A rule refused for good (not
    /// enabled for the account, the rule limit reached) stops the rest: the store holds those bans,
    /// and one warning says why. Returns the users with a rule and its expiry.
    async fn set_rules(
        &self,
        room: &RoomId,
        users: &[UserId],
        duration: Duration,
        native: &Native,
        deadline: Instant,
        warnings: &mut Vec<String>,
    ) -> (HashMap<UserId, SystemTime>, u32) {
        // Set once a rule is refused for good: the calls not yet sent are then not sent at all
        // (checked after each call's pacing wait, so at most the calls already on the wire follow).
        let refused = std::sync::atomic::AtomicBool::new(false);
        let results: Vec<(UserId, Result<Option<SystemTime>, Error>, u32)> =
            stream::iter(users.to_vec())
                .map(|user: UserId| {
                    let refused = &refused;
                    async move {
                        let call = self
                            .side_call(SideApi::BanRule, room, &native.set, deadline, || async {
                                if refused.load(std::sync::atomic::Ordering::Relaxed) {
                                    return Err(not_sent());
                                }
                                self.adapter.set_ban_rule(room, &user, duration).await
                            })
                            .await;
                        let made = match &call.result {
                            Err(error) if is_not_sent(error) => call.calls.saturating_sub(1),
                            // A rule refused for this user alone (Agora Chat's block list takes
                            // members only) does not stop the others' rules.
                            Err(error)
                                if !error.is_temporary()
                                    && error.kind() != ErrorKind::NotInRoom =>
                            {
                                refused.store(true, std::sync::atomic::Ordering::Relaxed);
                                call.calls
                            }
                            _ => call.calls,
                        };
                        (user, call.result, made)
                    }
                })
                .buffered(self.config.max_concurrency)
                .collect()
                .await;
        let mut calls = 0;
        let mut set = HashMap::new();
        let now = wall_clock_now();
        let mut failures: Vec<Error> = Vec::new();
        for (user, result, made) in results {
            calls += made;
            match result {
                Ok(expires) => {
                    set.insert(user, expires.unwrap_or(now + duration));
                }
                Err(error) if !is_not_sent(&error) => failures.push(error),
                Err(_) => {}
            }
        }
        let unruled = users.len() - set.len();
        let mut seen: Vec<(ErrorKind, Option<String>)> = Vec::new();
        for error in failures {
            let key = (error.kind(), error.code().map(str::to_owned));
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            warnings.push(format!(
                "no native ban rule for {unruled} of {} users ({error}); the ban store holds their bans and the join gate (check, issue_token) keeps them out",
                users.len()
            ));
        }
        (set, calls)
    }

    /// Renews the native rules of the room's bans that outlast their rule and whose rule lapses
    /// within [`RENEW_WITHIN`]. Returns the calls made.
    async fn renew_room_rules(
        &self,
        scope: &BanScope,
        native: &Native,
        deadline: Instant,
        warnings: &mut Vec<String>,
    ) -> u32 {
        let Ok(store) = self.ban_store() else {
            return 0;
        };
        let now = wall_clock_now();
        let entries = match store.list(scope, now).await {
            Ok(entries) => entries,
            Err(error) => {
                warnings.push(format!("rules due for renewal could not be read: {error}"));
                return 0;
            }
        };
        self.renew_rules(scope, entries, native, deadline, warnings)
            .await
    }

    async fn renew_rules(
        &self,
        scope: &BanScope,
        entries: Vec<BanEntry>,
        native: &Native,
        deadline: Instant,
        warnings: &mut Vec<String>,
    ) -> u32 {
        let now = wall_clock_now();
        let due: Vec<BanEntry> = entries
            .into_iter()
            .filter(|entry| {
                let Some(rule_until) = entry.rule_until else {
                    return false;
                };
                let outlasts = entry
                    .until
                    .is_none_or(|until| until > rule_until + RULE_SLACK);
                let lapsing = rule_until <= now + RENEW_WITHIN;
                outlasts && lapsing
            })
            .collect();
        if due.is_empty() {
            return 0;
        }
        let Ok(store) = self.ban_store() else {
            return 0;
        };
        let mut calls = 0;
        let mut renewed = Vec::new();
        for entry in due {
            let remaining = entry
                .until
                .map_or(native.max_duration, |until| {
                    until.duration_since(now).unwrap_or(Duration::ZERO)
                })
                .min(native.max_duration)
                .max(Duration::from_secs(1));
            let call = self
                .side_call(
                    SideApi::BanRule,
                    scope.room(),
                    &native.set,
                    deadline,
                    || {
                        self.adapter
                            .set_ban_rule(scope.room(), &entry.user, remaining)
                    },
                )
                .await;
            calls += call.calls;
            match call.result {
                Ok(expires) => {
                    let rule_until = expires.unwrap_or(now + remaining);
                    renewed.push(entry.with_rule_until(Some(rule_until)));
                }
                Err(error) => {
                    warnings.push(format!(
                        "a native ban rule due for renewal could not be renewed ({error}); the join gate keeps the user out"
                    ));
                    break;
                }
            }
        }
        if let Err(error) = store.put(scope, &renewed).await {
            warnings.push(format!("renewed rules could not be recorded: {error}"));
        }
        calls
    }

    pub(crate) async fn unban_users(
        &self,
        room: &RoomId,
        users: &[UserId],
    ) -> Result<UnbanReport, Error> {
        let provider = self.adapter.provider();
        self.unsupported_bans()?;
        let users = validate::validate(
            self.adapter.as_ref(),
            &self.caps,
            &DisconnectRequest::new(room.clone(), users.to_vec()),
        )?
        .users;
        let store = self.ban_store()?;
        let scope = self.ban_scope(room);
        let now = wall_clock_now();
        let native = self.native();
        let rule_time = native
            .as_ref()
            .map_or(Duration::ZERO, |native| paced(users.len(), &native.set));
        let deadline = instant_after(self.deadline_of(
            Operation::Unban,
            None,
            &Plan::new(&self.caps, users.len()),
            rule_time,
        )?);
        // Which rules this library set, read before the entries go; only where rules exist.
        let before: HashMap<UserId, BanEntry> = match native {
            Some(_) => store
                .list(&scope, now)
                .await?
                .into_iter()
                .map(|entry| (entry.user.clone(), entry))
                .collect(),
            None => HashMap::new(),
        };
        let lifted = store.remove(&scope, &users, now).await?;
        let mut calls = 0;
        let mut outcomes = Vec::with_capacity(users.len());
        for (user, was_banned) in users.into_iter().zip(lifted) {
            let mut outcome = if was_banned {
                UnbanOutcome::Lifted
            } else {
                UnbanOutcome::NotBanned
            };
            // Only rules this library set (recorded with the ban) are deleted: a rule set by
            // someone else is theirs to lift.
            let had_rule = before
                .get(&user)
                .and_then(|entry| entry.rule_until)
                .is_some_and(|rule_until| rule_until > now);
            if let (Some(native), true) = (&native, had_rule) {
                let call = self
                    .side_call(SideApi::BanRule, room, &native.set, deadline, || {
                        self.adapter.delete_ban_rule(room, &user)
                    })
                    .await;
                calls += call.calls;
                if let Err(error) = call.result {
                    warn!(provider, %error, "the ban was lifted from the store but the provider's rule could not be deleted");
                    outcome = UnbanOutcome::Failed(error);
                }
            }
            outcomes.push(UnbanUserReport { user, outcome });
        }
        Ok(UnbanReport {
            room: room.clone(),
            users: outcomes,
            calls,
        })
    }

    pub(crate) async fn list_bans(&self, room: &RoomId) -> Result<Vec<BanEntry>, Error> {
        let provider = self.adapter.provider();
        self.unsupported_bans()?;
        validate::check_room(provider, &self.caps, room)?;
        let store = self.ban_store()?;
        let deadline = self.one_call_deadline(Operation::Bans)?;
        let scope = self.ban_scope(room);
        let now = wall_clock_now();
        let mut entries = store.list(&scope, now).await?;
        if let Some(native) = self.native() {
            let mut warnings = Vec::new();
            self.renew_rules(&scope, entries.clone(), &native, deadline, &mut warnings)
                .await;
            for warning in warnings {
                warn!(provider, "{warning}");
            }
            let rules = self
                .side_call(SideApi::BanList, room, &native.list, deadline, || {
                    self.adapter.ban_rules(room)
                })
                .await;
            match rules.result {
                Ok(rules) => {
                    for rule in rules {
                        if rule.expires_at <= now {
                            continue;
                        }
                        match entries.iter_mut().find(|entry| entry.user == rule.user) {
                            Some(entry) => entry.rule_until = Some(rule.expires_at),
                            // A rule this store does not know (set by another tool): shown as it is.
                            None => entries.push(
                                BanEntry::new(rule.user, now)
                                    .with_until(Some(rule.expires_at))
                                    .with_by(Some(
                                        "a provider rule not in the ban store".to_owned(),
                                    ))
                                    .with_rule_until(Some(rule.expires_at)),
                            ),
                        }
                    }
                    entries.sort_by(|a, b| a.user.cmp(&b.user));
                }
                Err(error) => {
                    warn!(provider, %error, "the provider's ban rules could not be read; listing the store's bans only");
                }
            }
        }
        Ok(entries)
    }

    pub(crate) async fn join_check(
        &self,
        room: &RoomId,
        user: &UserId,
    ) -> Result<JoinCheck, Error> {
        let deadline = self.one_call_deadline(Operation::Check)?;
        self.join_check_until(room, user, deadline).await
    }

    /// The join gate, renewing a lapsing native rule before `deadline`.
    async fn join_check_until(
        &self,
        room: &RoomId,
        user: &UserId,
        deadline: Instant,
    ) -> Result<JoinCheck, Error> {
        let provider = self.adapter.provider();
        self.unsupported_bans()?;
        validate::check_room(provider, &self.caps, room)?;
        validate::check_user(provider, &self.caps, user, "user id")?;
        let store = self.ban_store()?;
        let scope = self.ban_scope(room);
        let now = wall_clock_now();
        let Some(entry) = store.get(&scope, user, now).await? else {
            return Ok(JoinCheck::Allowed);
        };
        if let Some(native) = self.native() {
            let mut warnings = Vec::new();
            self.renew_rules(
                &scope,
                vec![entry.clone()],
                &native,
                deadline,
                &mut warnings,
            )
            .await;
            for warning in warnings {
                warn!(provider, "{warning}");
            }
        }
        Ok(JoinCheck::Banned {
            until: entry.until,
            reason: entry.reason,
        })
    }

    pub(crate) async fn token_for(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<TokenDecision, Error> {
        let provider = self.adapter.provider();
        let Some(limits) = self.caps.tokens else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "this provider's tokens are issued by the application, not by moderator: call check before issuing one",
            )
            .with_provider(provider));
        };
        let deadline = self.one_call_deadline(Operation::IssueToken)?;
        if let JoinCheck::Banned { until, reason } =
            self.join_check_until(room, user, deadline).await?
        {
            return Ok(TokenDecision::Refused { until, reason });
        }
        let call = self
            .side_call(SideApi::Token, room, &limits, deadline, || {
                self.adapter.issue_token(room, user, options)
            })
            .await;
        call.result.map(TokenDecision::Issued)
    }
}
