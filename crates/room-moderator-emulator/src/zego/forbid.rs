//! Express RTC user ban rules (docs/providers/bans.md §1.2): `SetForbidUserRule`, `DelForbidUserRule` and
//! `DescribeForbidUserRules`, and the login they refuse.
//!
//! - Rules are keyed by type and target (IP, room, user, room + user); setting the same key again
//!   replaces the rule (whether ZEGO overwrites or adds is UNVERIFIED; replacing keeps one rule per
//!   key, which is what a client that lists rules can cope with either way).
//! - A rule lapses `EffectiveTime` seconds after it was set, on the emulator's clock (tokio's, so
//!   paused tests can advance it). Expired rules are still listed (the docs say the list holds them,
//!   perhaps incompletely) until an hour after they lapsed.
//! - At most 200 rules of one type (100 by IP) in force at once: one more answers 50123. The 200 is
//!   `ZegoConfig::rtc_max_ban_rules` (and the `max_ban_rules` switch), so tests reach it cheaply.
//! - The feature must be enabled by ZEGO support: with the switch off every rule call answers 9.
//! - A login to a room is refused while a rule with privilege 1 (Login) covers the user there; the
//!   error a real client sees is UNVERIFIED, so the emulator's refusal just says which rule.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::service::Shared;
use super::wire::{Params, Reply};

const PARAMETER_ERROR: i64 = 2;
const NOT_ENABLED: i64 = 9;
const TOO_MANY_RULES: i64 = 50123;
/// The longest `EffectiveTime`: one day.
const MAX_EFFECTIVE_TIME: u64 = 86_400;
/// How long a lapsed rule is still listed.
const LISTED_AFTER_EXPIRY: Duration = Duration::from_secs(3600);

/// The emulator's wall clock: the system time at start plus tokio's time since, so that advancing a
/// paused tokio clock lapses rules and moves `ExpireTime` with it.
#[derive(Debug)]
pub(super) struct Clock {
    wall: SystemTime,
    start: Instant,
}

impl Clock {
    pub(super) fn new() -> Self {
        Clock {
            wall: SystemTime::now(),
            start: Instant::now(),
        }
    }

    fn unix_secs(&self, at: Instant) -> u64 {
        let wall = self.wall + at.saturating_duration_since(self.start);
        wall.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }
}

/// Which users a rule covers: `RuleType` 1 by IP, 2 by room, 3 by user, 4 by room and user.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key {
    rule_type: u8,
    ip: String,
    room: String,
    user: String,
}

#[derive(Clone, Debug)]
struct Rule {
    privileges: Vec<u8>,
    expires: Instant,
}

/// A ban rule as the emulator holds it, for tests to inspect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ForbidRule {
    /// 1 by IP, 2 by room, 3 by user, 4 by room and user.
    pub rule_type: u8,
    /// The IP (type 1), else empty.
    pub ip: String,
    /// The room (types 2 and 4), else empty.
    pub room: String,
    /// The user (types 3 and 4), else empty.
    pub user: String,
    /// `DisabledPrivilege[]`: 1 login, 2 publish.
    pub privileges: Vec<u8>,
    /// The `EffectiveTime` it was set for, in seconds.
    pub effective_secs: u64,
    /// When it lapses (Unix seconds on the emulator's clock).
    pub expire_time: u64,
}

/// The rules of one RTC emulator.
#[derive(Debug)]
pub(super) struct Rules {
    clock: Clock,
    rules: Mutex<BTreeMap<Key, (Rule, u64)>>,
}

impl Rules {
    pub(super) fn new() -> Self {
        Rules {
            clock: Clock::new(),
            rules: Mutex::new(BTreeMap::new()),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, BTreeMap<Key, (Rule, u64)>> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn clear(&self) {
        self.map().clear();
    }

    /// Now, in Unix seconds, on the emulator's clock (the one rules lapse on).
    pub(super) fn unix_now(&self) -> u64 {
        self.clock.unix_secs(Instant::now())
    }

    /// Every rule still held (active or lately lapsed), in key order.
    pub(super) fn all(&self) -> Vec<ForbidRule> {
        self.map()
            .iter()
            .map(|(key, (rule, secs))| self.view(key, rule, *secs))
            .collect()
    }

    /// The active rule refusing `user`'s login to `room`, if any.
    fn refusing(&self, room: &str, user: &str, now: Instant) -> Option<ForbidRule> {
        let map = self.map();
        map.iter()
            .filter(|(_, (rule, _))| rule.expires > now && rule.privileges.contains(&1))
            .find(|(key, _)| match key.rule_type {
                2 => key.room == room,
                3 => key.user == user,
                4 => key.room == room && key.user == user,
                _ => false,
            })
            .map(|(key, (rule, secs))| self.view(key, rule, *secs))
    }

    /// A held rule as the emulator shows it.
    fn view(&self, key: &Key, rule: &Rule, effective_secs: u64) -> ForbidRule {
        ForbidRule {
            rule_type: key.rule_type,
            ip: key.ip.clone(),
            room: key.room.clone(),
            user: key.user.clone(),
            privileges: rule.privileges.clone(),
            effective_secs,
            expire_time: self.clock.unix_secs(rule.expires),
        }
    }
}

/// `RuleType` and the target fields it requires.
fn key(params: &Params) -> Result<Key, Reply> {
    let rule_type = match params.get("RuleType") {
        Some("1") => 1,
        Some("2") => 2,
        Some("3") => 3,
        Some("4") => 4,
        _ => {
            return Err(Reply::rejected(
                PARAMETER_ERROR,
                "RuleType must be 1, 2, 3 or 4",
            ));
        }
    };
    let field = |name: &str, needed: bool| -> Result<String, Reply> {
        match (needed, params.get(name)) {
            (true, Some(value)) => Ok(value.to_owned()),
            (true, None) => Err(Reply::rejected(
                PARAMETER_ERROR,
                format!("{name} is required for RuleType {rule_type}"),
            )),
            (false, _) => Ok(String::new()),
        }
    };
    Ok(Key {
        rule_type,
        ip: field("IP", rule_type == 1)?,
        room: field("RoomId", matches!(rule_type, 2 | 4))?,
        user: field("UserId", matches!(rule_type, 3 | 4))?,
    })
}

fn enabled(shared: &Shared) -> Result<(), Reply> {
    if shared.switches().ban_rules_enabled {
        Ok(())
    } else {
        Err(Reply::refused(
            NOT_ENABLED,
            "Permission to use the current interface is not enabled",
        ))
    }
}

/// `SetForbidUserRule`: `RuleType`, its target, `DisabledPrivilege[]` (1 and/or 2) and
/// `EffectiveTime` (1..86400 s). Answers `Data.ExpireTime`.
pub(super) fn set(shared: &Shared, params: &Params) -> Reply {
    if let Err(reply) = enabled(shared) {
        return reply;
    }
    let key = match key(params) {
        Ok(key) => key,
        Err(reply) => return reply,
    };
    let mut privileges = Vec::new();
    for raw in params.all("DisabledPrivilege[]") {
        match raw {
            "1" => privileges.push(1),
            "2" => privileges.push(2),
            _ => return Reply::rejected(PARAMETER_ERROR, "DisabledPrivilege[] must be 1 or 2"),
        }
    }
    privileges.sort_unstable();
    privileges.dedup();
    if privileges.is_empty() {
        return Reply::rejected(PARAMETER_ERROR, "DisabledPrivilege[] is required");
    }
    let secs = match params.get("EffectiveTime").map(str::parse::<u64>) {
        Some(Ok(secs)) if (1..=MAX_EFFECTIVE_TIME).contains(&secs) => secs,
        _ => return Reply::rejected(PARAMETER_ERROR, "EffectiveTime must be 1..86400 seconds"),
    };
    let max = shared.switches().max_ban_rules;
    let now = Instant::now();
    let rules = &shared.rules;
    let mut map = rules.map();
    map.retain(|_, (rule, _)| rule.expires + LISTED_AFTER_EXPIRY > now);
    let cap = if key.rule_type == 1 {
        max.min(100)
    } else {
        max
    };
    let in_force = map
        .iter()
        .filter(|(k, (rule, _))| k.rule_type == key.rule_type && rule.expires > now && **k != key)
        .count();
    if in_force >= cap {
        return Reply::refused(
            TOO_MANY_RULES,
            "number of ban rules currently within the validity period exceeds the limit",
        );
    }
    let expires = now + Duration::from_secs(secs);
    map.insert(
        key,
        (
            Rule {
                privileges,
                expires,
            },
            secs,
        ),
    );
    Reply::success().with(
        "Data",
        json!({ "ExpireTime": rules.clock.unix_secs(expires) }),
    )
}

/// `DelForbidUserRule`: `RuleType` and its target. Deleting a rule that does not exist succeeds.
pub(super) fn delete(shared: &Shared, params: &Params) -> Reply {
    if let Err(reply) = enabled(shared) {
        return reply;
    }
    match key(params) {
        Ok(key) => {
            shared.rules.map().remove(&key);
            Reply::success()
        }
        Err(reply) => reply,
    }
}

/// `DescribeForbidUserRules`: `RuleType` only; answers `Data.RuleList`, lapsed rules included.
pub(super) fn describe(shared: &Shared, params: &Params) -> Reply {
    if let Err(reply) = enabled(shared) {
        return reply;
    }
    let rule_type: u8 = match params.get("RuleType").map(str::parse) {
        Some(Ok(t @ 1..=4)) => t,
        _ => return Reply::rejected(PARAMETER_ERROR, "RuleType must be 1, 2, 3 or 4"),
    };
    let list: Vec<Value> = shared
        .rules
        .all()
        .into_iter()
        .filter(|rule| rule.rule_type == rule_type)
        .map(|rule| {
            json!({
                "RuleType": rule.rule_type,
                "IP": rule.ip,
                "RoomId": rule.room,
                "UserId": rule.user,
                "DisabledPrivilegeList": rule.privileges,
                "ExpireTime": rule.expire_time,
            })
        })
        .collect();
    Reply::success().with("Data", json!({ "RuleList": list }))
}

/// A login refused by a ban rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LoginRefused {
    /// The room.
    pub room: String,
    /// The user.
    pub user: String,
    /// The rule that refused it.
    pub rule: Box<ForbidRule>,
}

impl fmt::Display for LoginRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "login of {:?} to room {:?} refused by a ban rule (RuleType {}) until Unix time {}",
            self.user, self.room, self.rule.rule_type, self.rule.expire_time
        )
    }
}

impl std::error::Error for LoginRefused {}

/// One login attempt, as the emulator saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Login {
    /// The room.
    pub room: String,
    /// The user.
    pub user: String,
    /// Whether it was let in.
    pub admitted: bool,
}

/// Logs `user` in to `room` unless a rule refuses it; a user let in becomes a member.
pub(super) fn login(shared: &Shared, room: &str, user: &str) -> Result<(), LoginRefused> {
    let refused = shared
        .rules
        .refusing(room, user, Instant::now())
        .map(|rule| LoginRefused {
            room: room.to_owned(),
            user: user.to_owned(),
            rule: Box::new(rule),
        });
    shared.logins.record(Login {
        room: room.to_owned(),
        user: user.to_owned(),
        admitted: refused.is_none(),
    });
    match refused {
        Some(refused) => Err(refused),
        None => {
            use crate::RoomDirectory;
            shared.rooms.seed(room, &[user.to_owned()]);
            shared.entered(room, user);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_need_their_targets() {
        let params = Params::parse("RuleType=4&RoomId=r&UserId=u");
        assert_eq!(
            key(&params).ok(),
            Some(Key {
                rule_type: 4,
                ip: String::new(),
                room: "r".to_owned(),
                user: "u".to_owned(),
            })
        );
        assert!(key(&Params::parse("RuleType=4&RoomId=r")).is_err());
        assert!(key(&Params::parse("RuleType=5&RoomId=r&UserId=u")).is_err());
        assert!(key(&Params::parse("RuleType=3&UserId=u")).is_ok());
    }
}
