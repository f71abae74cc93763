//! Native ban rules: setting them for a ban, their renewal before they lapse, and lifting the
//! rules of bans that lapsed where the provider's rule has no timer of its own.
//!
//! Native rules last at most a day on ZEGO (`EffectiveTime` 1..86400 s: docs/providers/bans.md). A
//! longer or permanent ban is held whole by the store; its rule covers the first day, and every
//! library call that touches the room (`ban`, `bans`, `check`) renews a rule lapsing within
//! [`RENEW_WITHIN`]. Between such calls the join gate (`gate.rs`) is what keeps the user out.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use futures::stream;
use tokio::time::Instant;

use super::Native;
use crate::engine::Engine;
use crate::engine::call::side::SideApi;
use crate::{Adapter, BanEntry, BanScope, Error, ErrorKind, RoomId, UserId, wall_clock_now};

/// A native rule lapsing sooner than this, on a ban that lasts longer, is renewed by the next
/// library call that touches the room.
pub const RENEW_WITHIN: Duration = Duration::from_secs(3600);

/// A ban outlasts its rule only by more than this: providers state expiry in whole seconds, and a
/// rule that ends a moment before its ban needs no renewal call.
const RULE_SLACK: Duration = Duration::from_secs(60);

/// Marks a rule call skipped because an earlier one was refused for good.
const NOT_SENT: &str = "not sent: an earlier rule of this ban was refused";

fn not_sent() -> Error {
    Error::new(ErrorKind::Cancelled, NOT_SENT)
}

fn is_not_sent(error: &Error) -> bool {
    error.kind() == ErrorKind::Cancelled && error.message() == NOT_SENT
}

/// What [`Engine::lift_lapsed_rules`] did: the calls it made and, when it read the store, the bans
/// in it still active, so that its caller need not read the store a second time.
pub(super) struct Lapsed {
    pub(super) calls: u32,
    active: Option<Vec<BanEntry>>,
}

impl Lapsed {
    /// The bans active at `now` among those read, in the store's order; `None` when the store was
    /// not read (no native rules, or the read failed): the caller reads it itself.
    pub(super) fn active_at(self, now: SystemTime) -> Option<Vec<BanEntry>> {
        self.active.map(|entries| {
            entries
                .into_iter()
                .filter(|entry| entry.is_active(now))
                .collect()
        })
    }
}

impl<A: Adapter> Engine<A> {
    /// Sets native rules for `users`, paced to the rule API's rate. A rule refused for good (not
    /// enabled for the account, the rule limit reached) stops the rest: the store holds those bans,
    /// and one warning says why. Returns the users with a rule and its expiry.
    pub(super) async fn set_rules(
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
        let refused = AtomicBool::new(false);
        let results: Vec<(UserId, Result<Option<SystemTime>, Error>, u32)> =
            stream::iter(users.to_vec())
                .map(|user| self.set_rule(room, user, duration, native, deadline, &refused))
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
        warn_unruled(failures, users.len() - set.len(), users.len(), warnings);
        (set, calls)
    }

    /// One user's rule, unless `refused` says an earlier rule was refused for good (then it is
    /// not sent); a refusal for good sets `refused`. Returns the user, the rule's expiry as the
    /// provider said it, and the calls made.
    async fn set_rule(
        &self,
        room: &RoomId,
        user: UserId,
        duration: Duration,
        native: &Native,
        deadline: Instant,
        refused: &AtomicBool,
    ) -> (UserId, Result<Option<SystemTime>, Error>, u32) {
        let call = self
            .side_call(SideApi::BanRule, room, &native.set, deadline, || async {
                if refused.load(AtomicOrdering::Relaxed) {
                    return Err(not_sent());
                }
                self.adapter.set_ban_rule(room, &user, duration).await
            })
            .await;
        let made = match &call.result {
            Err(error) if is_not_sent(error) => call.calls.saturating_sub(1),
            // A rule refused for this user alone (Agora Chat's block list takes members only) does
            // not stop the others' rules.
            Err(error) if !error.is_temporary() && error.kind() != ErrorKind::NotInRoom => {
                refused.store(true, AtomicOrdering::Relaxed);
                call.calls
            }
            _ => call.calls,
        };
        (user, call.result, made)
    }

    /// Lifts the native rules of the room's bans (or of `user`'s alone) that lapsed while the store
    /// records their rule as still in force: a rule with no timer of its own (Agora Chat's block
    /// list, recorded until the provider's longest ban), whichever process set it. Runs before the
    /// store is read at `now` (which forgets lapsed bans); reads at the epoch, when none had lapsed.
    /// A rule that cannot be lifted keeps its entry for the next call. Returns the calls made and
    /// the bans read that are still active.
    pub(super) async fn lift_lapsed_rules(
        &self,
        scope: &BanScope,
        user: Option<&UserId>,
        deadline: Instant,
        warnings: &mut Vec<String>,
    ) -> Lapsed {
        let not_read = Lapsed {
            calls: 0,
            active: None,
        };
        let (Some(native), Ok(store)) = (self.native(), self.ban_store()) else {
            return not_read;
        };
        let now = wall_clock_now();
        let everything = SystemTime::UNIX_EPOCH;
        let entries = match user {
            Some(user) => store.get(scope, user, everything).await.map(Vec::from_iter),
            None => store.list(scope, everything).await,
        };
        let entries = match entries {
            Ok(entries) => entries,
            Err(error) => {
                warnings.push(format!("lapsed bans could not be read: {error}"));
                return not_read;
            }
        };
        let (active, lapsed): (Vec<BanEntry>, Vec<BanEntry>) =
            entries.into_iter().partition(|entry| entry.is_active(now));
        let mut calls = 0;
        let mut lifted = Vec::new();
        for entry in lapsed {
            if entry.rule_until.is_none_or(|until| until <= now) {
                continue;
            }
            let call = self
                .side_call(
                    SideApi::BanRule,
                    scope.room(),
                    &native.set,
                    deadline,
                    || self.adapter.delete_ban_rule(scope.room(), &entry.user),
                )
                .await;
            calls += call.calls;
            match call.result {
                Ok(()) => lifted.push(entry.user),
                Err(error) => {
                    warnings.push(format!(
                        "the provider's rule of a lapsed ban could not be lifted ({error}); the next call touching the room tries again"
                    ));
                    break;
                }
            }
        }
        if !lifted.is_empty()
            && let Err(error) = store.remove(scope, &lifted, now).await
        {
            warnings.push(format!("lifted rules could not be recorded: {error}"));
        }
        Lapsed {
            calls,
            active: Some(active),
        }
    }

    /// Renews the native rules of the room's bans that outlast their rule and whose rule lapses
    /// within [`RENEW_WITHIN`]. Returns the calls made.
    pub(super) async fn renew_room_rules(
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

    pub(super) async fn renew_rules(
        &self,
        scope: &BanScope,
        entries: Vec<BanEntry>,
        native: &Native,
        deadline: Instant,
        warnings: &mut Vec<String>,
    ) -> u32 {
        let now = wall_clock_now();
        let due = due_for_renewal(entries, now);
        if due.is_empty() {
            return 0;
        }
        let Ok(store) = self.ban_store() else {
            return 0;
        };
        let mut calls = 0;
        let mut renewed = Vec::new();
        for entry in due {
            let remaining = renewal_length(&entry, native.max_duration, now);
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
}

/// One warning per kind of rule failure (kind and code): `unruled` of `total` users have no native
/// rule, and the store and the join gate keep them out.
fn warn_unruled(failures: Vec<Error>, unruled: usize, total: usize, warnings: &mut Vec<String>) {
    let mut seen: Vec<(ErrorKind, Option<String>)> = Vec::new();
    for error in failures {
        let key = (error.kind(), error.code().map(str::to_owned));
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        warnings.push(format!(
            "no native ban rule for {unruled} of {total} users ({error}); the ban store holds their bans and the join gate (check, issue_token) keeps them out"
        ));
    }
}

/// The entries whose native rule lapses within [`RENEW_WITHIN`] of `now` while their ban outlasts
/// it (by more than [`RULE_SLACK`]).
fn due_for_renewal(entries: Vec<BanEntry>, now: SystemTime) -> Vec<BanEntry> {
    entries
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
        .collect()
}

/// How long a renewed rule lasts: what is left of the ban, at most one rule's longest and at
/// least a second.
fn renewal_length(entry: &BanEntry, max: Duration, now: SystemTime) -> Duration {
    entry
        .until
        .map_or(max, |until| {
            until.duration_since(now).unwrap_or(Duration::ZERO)
        })
        .min(max)
        .max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn only_rules_lapsing_soon_on_bans_that_outlast_them_are_due() {
        let now = SystemTime::UNIX_EPOCH + DAY * 100;
        let entry = |until: Option<SystemTime>, rule_until: Option<SystemTime>| {
            BanEntry::new("u", now - DAY)
                .with_until(until)
                .with_rule_until(rule_until)
        };
        let soon = Some(now + RENEW_WITHIN / 2);
        let later = Some(now + RENEW_WITHIN * 2);
        let due = due_for_renewal(
            vec![
                entry(None, soon),                             // permanent, lapsing: due
                entry(Some(now + DAY * 3), soon),              // outlasts it: due
                entry(soon.map(|t| t + RULE_SLACK / 2), soon), // ends with its rule: not due
                entry(None, later),                            // not lapsing yet
                entry(None, None),                             // no rule
            ],
            now,
        );
        assert_eq!(due.len(), 2);
        assert!(due.iter().all(|e| e.rule_until == soon));
        assert_eq!(due[0].until, None);
    }

    #[test]
    fn a_renewed_rule_covers_what_is_left_of_the_ban_within_one_rule() {
        let now = SystemTime::UNIX_EPOCH + DAY * 100;
        let ban = |until| BanEntry::new("u", now).with_until(until);
        assert_eq!(renewal_length(&ban(None), DAY, now), DAY);
        assert_eq!(renewal_length(&ban(Some(now + DAY * 3)), DAY, now), DAY);
        let hour = Duration::from_secs(3_600);
        assert_eq!(renewal_length(&ban(Some(now + hour)), DAY, now), hour);
        assert_eq!(
            renewal_length(&ban(Some(now - hour)), DAY, now),
            Duration::from_secs(1)
        );
    }
}
