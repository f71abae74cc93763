//! Express RTC user ban rules, decoded (docs/providers/bans.md §1.2): `SetForbidUserRule` answers
//! `Data.ExpireTime`; `DescribeForbidUserRules` answers `Data.RuleList[]{RuleType, IP, RoomId, UserId,
//! DisabledPrivilegeList[], ExpireTime}`, active and expired rules of every room together.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use room_moderator_core::{BanRule, Error, RoomId, UserId};
use serde_json::{Map, Value};

use crate::Service;
use crate::response::{Decoded, integer};

/// `RuleType` 4: a rule for one user in one room.
pub(crate) const ROOM_USER: &str = "4";
/// `DisabledPrivilege` 1: login.
pub(crate) const LOGIN: &str = "1";

fn protocol(message: impl Into<String>) -> Error {
    Error::protocol(message).with_provider(Service::Rtc.provider())
}

/// `Data`, or an empty object when absent or null.
fn data(object: &Map<String, Value>) -> Result<Map<String, Value>, Error> {
    match object.get("Data") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(data)) => Ok(data.clone()),
        Some(_) => Err(protocol("Data is not an object")),
    }
}

/// A Unix time in seconds as a [`SystemTime`].
fn unix(secs: i64) -> Result<SystemTime, Error> {
    u64::try_from(secs)
        .ok()
        .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs)))
        .ok_or_else(|| protocol(format!("ExpireTime {secs} is not a Unix time")))
}

/// `SetForbidUserRule`'s answer: when the rule lapses, if it says.
pub(crate) fn set_answer(decoded: Decoded) -> Result<Option<SystemTime>, Error> {
    let object = decoded.into_success()?;
    match integer(&data(&object)?, "ExpireTime").map_err(protocol)? {
        Some(secs) => unix(secs).map(Some),
        None => Ok(None),
    }
}

/// `DescribeForbidUserRules`' answer: the room-and-user rules of `room` that keep a user from
/// logging in and lapse after `now`, one per user (the latest, should ZEGO hold several: whether a
/// second Set on the same key adds a rule is UNVERIFIED). Rules of other types, rooms, or for
/// publishing only are left out.
pub(crate) fn room_rules(
    decoded: Decoded,
    room: &RoomId,
    now: SystemTime,
) -> Result<Vec<BanRule>, Error> {
    let object = decoded.into_success()?;
    let data = data(&object)?;
    let entries = match data.get("RuleList") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(entries)) => entries,
        Some(_) => return Err(protocol("RuleList is not a list")),
    };
    let mut latest: BTreeMap<String, SystemTime> = BTreeMap::new();
    for entry in entries {
        let Value::Object(rule) = entry else {
            return Err(protocol("a RuleList entry is not an object"));
        };
        // Only RuleType 4 was asked for; a rule saying another type is not one of ours.
        if integer(rule, "RuleType")
            .map_err(protocol)?
            .is_some_and(|t| t != 4)
        {
            continue;
        }
        if rule.get("RoomId").and_then(Value::as_str) != Some(room.as_str()) {
            continue;
        }
        let login = match rule.get("DisabledPrivilegeList") {
            None | Some(Value::Null) => true,
            Some(Value::Array(privileges)) => privileges
                .iter()
                .any(|p| p.as_i64() == Some(1) || p.as_str() == Some(LOGIN)),
            Some(_) => return Err(protocol("DisabledPrivilegeList is not a list")),
        };
        if !login {
            continue;
        }
        let user = match rule.get("UserId").and_then(Value::as_str) {
            Some(user) if !user.is_empty() => user,
            _ => return Err(protocol("a room-and-user rule has no UserId")),
        };
        let expires = match integer(rule, "ExpireTime").map_err(protocol)? {
            Some(secs) => unix(secs)?,
            None => return Err(protocol("a rule has no ExpireTime")),
        };
        if expires <= now {
            continue;
        }
        let slot = latest.entry(user.to_owned()).or_insert(expires);
        *slot = (*slot).max(expires);
    }
    Ok(latest
        .into_iter()
        .map(|(user, expires)| BanRule::new(UserId::new(user), expires))
        .collect())
}

#[cfg(test)]
mod tests {
    use room_moderator_core::ErrorKind;

    use super::*;
    use crate::api::Api;
    use crate::response::decode_api;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn set_answers_the_expiry() {
        let decoded = decode_api(
            Api::SetForbidUserRule,
            200,
            None,
            br#"{"Code":0,"Data":{"ExpireTime":1700003600}}"#,
        );
        assert_eq!(set_answer(decoded).unwrap(), Some(at(1_700_003_600)));
        let decoded = decode_api(Api::SetForbidUserRule, 200, None, br#"{"Code":0}"#);
        assert_eq!(set_answer(decoded).unwrap(), None);
        let decoded = decode_api(
            Api::SetForbidUserRule,
            200,
            None,
            br#"{"Code":0,"Data":{"ExpireTime":"soon"}}"#,
        );
        assert_eq!(set_answer(decoded).unwrap_err().kind(), ErrorKind::Protocol);
    }

    #[test]
    fn codes_9_and_50123_are_distinct_permanent_errors() {
        let decoded = decode_api(
            Api::SetForbidUserRule,
            200,
            None,
            br#"{"Code":9,"Message":"Permission to use the current interface is not enabled"}"#,
        );
        let error = set_answer(decoded).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::PermissionDenied);
        assert!(!error.is_temporary());
        assert!(
            error
                .message()
                .starts_with("SetForbidUserRule is not enabled for this AppID; ask ZEGO support"),
            "{error}"
        );
        assert!(crate::is_ban_rules_not_enabled(&error));
        assert!(!crate::is_ban_rule_limit_reached(&error));
        let decoded = decode_api(Api::SetForbidUserRule, 200, None, br#"{"Code":50123}"#);
        let error = set_answer(decoded).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unsupported);
        assert!(!error.is_temporary());
        assert!(
            error
                .message()
                .contains("the limit of 200 active ban rules is reached"),
            "{error}"
        );
        assert!(crate::is_ban_rule_limit_reached(&error));
        assert!(!crate::is_ban_rules_not_enabled(&error));
    }

    #[test]
    fn listing_keeps_this_rooms_login_rules_in_force_one_per_user() {
        let body = br#"{"Code":0,"Data":{"RuleList":[
            {"RuleType":4,"IP":"","RoomId":"live","UserId":"a","DisabledPrivilegeList":[1],"ExpireTime":2000},
            {"RuleType":4,"IP":"","RoomId":"live","UserId":"a","DisabledPrivilegeList":[1,2],"ExpireTime":3000},
            {"RuleType":4,"IP":"","RoomId":"live","UserId":"gone","DisabledPrivilegeList":[1],"ExpireTime":900},
            {"RuleType":4,"IP":"","RoomId":"live","UserId":"mute","DisabledPrivilegeList":[2],"ExpireTime":5000},
            {"RuleType":4,"IP":"","RoomId":"other","UserId":"b","DisabledPrivilegeList":[1],"ExpireTime":5000},
            {"RuleType":1,"IP":"1.2.3.4","ExpireTime":5000},
            {"RoomId":"live","UserId":"c","ExpireTime":"4000"}
        ]}}"#;
        let room = RoomId::new("live");
        let decoded = decode_api(Api::DescribeForbidUserRules, 200, None, body);
        let rules = room_rules(decoded, &room, at(1000)).unwrap();
        assert_eq!(
            rules,
            [BanRule::new("a", at(3000)), BanRule::new("c", at(4000))]
        );
        let decoded = decode_api(
            Api::DescribeForbidUserRules,
            200,
            None,
            br#"{"Code":0,"Data":{}}"#,
        );
        assert!(room_rules(decoded, &room, at(1000)).unwrap().is_empty());
        for bad in [
            &br#"{"Code":0,"Data":{"RuleList":{}}}"#[..],
            br#"{"Code":0,"Data":{"RuleList":[{"RuleType":4,"RoomId":"live","ExpireTime":2000}]}}"#,
            br#"{"Code":0,"Data":{"RuleList":[{"RuleType":4,"RoomId":"live","UserId":"a"}]}}"#,
            br#"{"Code":0,"Data":{"RuleList":[{"RuleType":4,"RoomId":"live","UserId":"a","ExpireTime":-5}]}}"#,
        ] {
            let decoded = decode_api(Api::DescribeForbidUserRules, 200, None, bad);
            assert_eq!(room_rules(decoded, &room, at(1000)).unwrap_err().kind(), ErrorKind::Protocol);
        }
    }
}
