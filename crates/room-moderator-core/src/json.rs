//! The JSON shape of reports, outcomes, errors, capabilities and plans (feature `serde`).
//!
//! The shape is stable: field names are snake_case, enums are snake_case strings, durations are whole
//! milliseconds in fields ending `_ms`. Fields may be added; none are renamed or removed without a
//! major version.
//!
//! A [`Report`](crate::Report):
//!
//! ```json
//! {
//!   "room": "lobby",
//!   "users": [
//!     {"user": "alice", "outcome": "disconnected", "attempts": 1},
//!     {"user": "bob", "outcome": "not_in_room", "attempts": 1},
//!     {"user": "carol", "outcome": "failed", "attempts": 3, "error": {
//!       "kind": "throttled", "message": "too many requests", "code": "660300005",
//!       "request_id": "343649807833778782", "retry_status": "persistent", "provider": "zego-zim"}}
//!   ],
//!   "calls": 3,
//!   "throttled": 2,
//!   "elapsed_ms": 1250,
//!   "reason_delivered": true
//! }
//! ```
//!
//! An [`Error`] is `{kind, message, code, request_id, retry_status, provider}` (absent
//! values are `null`); its source chain is not serialized, and it never holds secrets.
//! [`ErrorKind`](crate::ErrorKind) and [`RetryStatus`](crate::RetryStatus) are strings
//! (`"permission_denied"`, `"temporary"`).
//!
//! [`Capabilities`](crate::Capabilities):
//! `{"max_users_per_call": 50, "reason": {"support": "limited", "max_len": 32, "unit": "bytes"},
//! "disconnect_all": false, "requests_per_second": 20, "room_id": {"max_len": 32, "unit": "bytes",
//! "charset": "<description>"}, "user_id": {..}}` (`requests_per_second`, `max_len` and `charset` may
//! be `null`; a provider that counts over a minute adds `"requests_per_minute": 1000`).
//!
//! [`Plan`](crate::Plan): `{"users": 120, "batches": [50, 50, 20], "requests_per_second": 20,
//! "min_duration_ms": 100, "deadline_ms": null}` (with `"requests_per_minute"` when paced per minute).
//!
//! Deserialize exists where a value can be rebuilt from its JSON: ids, [`ErrorKind`](crate::ErrorKind),
//! [`RetryStatus`](crate::RetryStatus), [`Summary`](crate::Summary), [`Plan`](crate::Plan),
//! [`LengthUnit`](crate::LengthUnit), [`ReasonSupport`](crate::ReasonSupport). Reports, outcomes and
//! errors are produced by the engine, and capabilities hold predicates, so they only serialize.
//!
//! ```
//! use room_moderator_core::{Error, ErrorKind, Outcome, Report, UserReport};
//! let error = Error::new(ErrorKind::PermissionDenied, "only a moderator may drop users")
//!     .with_provider("enablex")
//!     .with_code("5116");
//! let report = Report::new(
//!     "lobby".into(),
//!     vec![UserReport { user: "troll".into(), outcome: Outcome::Failed(error), attempts: 1 }],
//!     1,
//!     false,
//! );
//! let json = serde_json::to_value(&report).unwrap();
//! assert_eq!(json["users"][0]["outcome"], "failed");
//! assert_eq!(json["users"][0]["error"]["kind"], "permission_denied");
//! assert_eq!(json["users"][0]["error"]["retry_status"], "permanent");
//! assert_eq!(json["users"][0]["error"]["request_id"], serde_json::Value::Null);
//! assert_eq!(json["elapsed_ms"], 0);
//! ```

use serde::ser::SerializeStruct;

use crate::Error;

impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut error = serializer.serialize_struct("Error", 6)?;
        error.serialize_field("kind", &self.kind())?;
        error.serialize_field("message", self.message())?;
        error.serialize_field("code", &self.code())?;
        error.serialize_field("request_id", &self.request_id())?;
        error.serialize_field("retry_status", &self.status())?;
        error.serialize_field("provider", &self.provider())?;
        error.end()
    }
}

/// A duration as whole milliseconds (saturating at `u64::MAX`).
pub(crate) mod millis {
    use std::time::Duration;

    pub(crate) fn serialize<S: serde::Serializer>(
        duration: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
    }

    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        let millis: u64 = serde::Deserialize::deserialize(deserializer)?;
        Ok(Duration::from_millis(millis))
    }
}

/// An optional duration as whole milliseconds or `null`.
pub(crate) mod optional_millis {
    use std::time::Duration;

    pub(crate) fn serialize<S: serde::Serializer>(
        duration: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match duration {
            Some(duration) => super::millis::serialize(duration, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        let millis: Option<u64> = serde::Deserialize::deserialize(deserializer)?;
        Ok(millis.map(Duration::from_millis))
    }
}

/// A duration as whole seconds.
pub(crate) mod secs {
    use std::time::Duration;

    pub(crate) fn serialize<S: serde::Serializer>(
        duration: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(duration.as_secs())
    }
}

/// A point in time as whole Unix seconds, or `null` for "never" (a ban until lifted).
pub(crate) mod optional_unix_secs {
    use std::time::{SystemTime, UNIX_EPOCH};

    pub(crate) fn serialize<S: serde::Serializer>(
        time: &Option<SystemTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => super::unix_secs::serialize(time, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        let secs: Option<u64> = serde::Deserialize::deserialize(deserializer)?;
        Ok(secs.map(|secs| UNIX_EPOCH + std::time::Duration::from_secs(secs)))
    }
}

/// A point in time as whole Unix seconds (0 for anything before 1970).
pub(crate) mod unix_secs {
    use std::time::{SystemTime, UNIX_EPOCH};

    pub(crate) fn serialize<S: serde::Serializer>(
        time: &SystemTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
    }

    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<SystemTime, D::Error> {
        let secs: u64 = serde::Deserialize::deserialize(deserializer)?;
        Ok(UNIX_EPOCH + std::time::Duration::from_secs(secs))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use crate::{Capabilities, ErrorKind, IdRule, LengthUnit, Plan, ReasonSupport, RetryStatus};

    #[test]
    fn enums_are_snake_case_strings_both_ways() {
        assert_eq!(
            serde_json::to_value(ErrorKind::AccountNotReady).unwrap(),
            "account_not_ready"
        );
        assert_eq!(
            serde_json::from_value::<ErrorKind>(json!("not_in_room")).unwrap(),
            ErrorKind::NotInRoom
        );
        assert_eq!(
            serde_json::to_value(RetryStatus::Persistent).unwrap(),
            "persistent"
        );
    }

    #[test]
    fn capabilities_and_plans() {
        let caps = Capabilities::new(50)
            .with_rate_per_second(20)
            .with_reason(ReasonSupport::Limited {
                max_len: 32,
                unit: LengthUnit::Bytes,
            })
            .with_user_id(IdRule::max_bytes(32));
        let value = serde_json::to_value(caps).unwrap();
        assert_eq!(
            value,
            json!({
                "max_users_per_call": 50,
                "reason": {"support": "limited", "max_len": 32, "unit": "bytes"},
                "disconnect_all": false,
                "requests_per_second": 20,
                "room_id": {"max_len": null, "unit": "chars", "charset": null},
                "user_id": {"max_len": 32, "unit": "bytes", "charset": null},
                "members": null,
                "presence": null,
                "absent_users": "harmless",
                "bans": {"support": "store"},
                "tokens": null,
            })
        );
        let plan = Plan::new(&caps, 120).with_deadline(Some(Duration::from_secs(2)));
        let value = serde_json::to_value(&plan).unwrap();
        assert_eq!(
            value,
            json!({"users": 120, "batches": [50, 50, 20], "requests_per_second": 20,
                   "min_duration_ms": 100, "deadline_ms": 2000, "presence": null})
        );
        assert_eq!(serde_json::from_value::<Plan>(value).unwrap(), plan);
    }
}
