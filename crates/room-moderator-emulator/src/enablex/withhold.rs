//! Withholding the roster from joiners: `room-connected` without a usable `userList`, or late.
//!
//! A client that reads a missing roster as an empty room reports every user absent while nobody was
//! dropped; these modes let tests prove a client does not.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

/// How `room-connected` withholds the roster from every joiner while set
/// ([`EnablexEmulator::withhold_roster`](super::EnablexEmulator::withhold_roster)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RosterWithholding {
    /// `room-connected` has no `userList` field.
    Missing,
    /// `userList` is `null`.
    Null,
    /// `userList` is a string, not a list.
    NotAList,
    /// `room-connected` (roster included) comes this long after the `token` ack.
    Late {
        /// The delay, in milliseconds.
        millis: u64,
    },
}

impl RosterWithholding {
    /// Changes `room_connected` as this mode says; returns how long to hold it back.
    pub(crate) fn apply(self, room_connected: &mut Value) -> Duration {
        let Some(object) = room_connected.as_object_mut() else {
            return Duration::ZERO;
        };
        match self {
            RosterWithholding::Missing => {
                object.remove("userList");
            }
            RosterWithholding::Null => {
                object.insert("userList".to_owned(), Value::Null);
            }
            RosterWithholding::NotAList => {
                object.insert(
                    "userList".to_owned(),
                    Value::String("withheld by the emulator".to_owned()),
                );
            }
            RosterWithholding::Late { millis } => return Duration::from_millis(millis),
        }
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_mode_changes_the_user_list() {
        let original = json!({"clientId": "me", "userList": [{"clientId": "a"}]});
        let apply = |mode: RosterWithholding| {
            let mut value = original.clone();
            let delay = mode.apply(&mut value);
            (value.get("userList").cloned(), delay)
        };
        assert_eq!(apply(RosterWithholding::Missing), (None, Duration::ZERO));
        assert_eq!(
            apply(RosterWithholding::Null),
            (Some(Value::Null), Duration::ZERO)
        );
        assert!(matches!(
            apply(RosterWithholding::NotAList),
            (Some(Value::String(_)), _)
        ));
        assert_eq!(
            apply(RosterWithholding::Late { millis: 250 }),
            (
                original.get("userList").cloned(),
                Duration::from_millis(250)
            )
        );
    }

    #[test]
    fn modes_read_from_admin_json() {
        let mode: RosterWithholding =
            serde_json::from_value(json!({"mode": "not-a-list"})).unwrap();
        assert_eq!(mode, RosterWithholding::NotAList);
        let mode: RosterWithholding =
            serde_json::from_value(json!({"mode": "late", "millis": 20})).unwrap();
        assert_eq!(mode, RosterWithholding::Late { millis: 20 });
    }
}
