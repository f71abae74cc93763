//! Who is in the room, by signalling `clientId`.
//!
//! `room-connected.userList`, `user-connected` and `user-disconnected` are the only sources of
//! clientIds (the REST users list has none). One `user_ref` can hold several clientIds: a user on
//! several devices.
//!
//! A roster we cannot read is an error, never an empty room: reading "nobody is here" from a missing
//! `userList` would report every user `NotInRoom` while nobody was dropped. For the same reason an
//! entry without a clientId makes the whole list unreadable (that entry could be the user asked for).
//!
//! clientIds are kept as the JSON value the server sent (a number stays a number) because the
//! server compares the ids in `drop` with its own; only lookups use their text.

use std::collections::BTreeMap;

use room_moderator_core::Member;
use serde_json::Value;

/// A string or number field as text.
pub(crate) fn field(value: &Value, name: &str) -> Option<String> {
    id_text(value.get(name)?)
}

/// A string or number as text; anything else (or an empty string) is no id.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One connection's clientId: its text for lookups and the value to send back.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ClientId {
    /// The id as text (a number in decimal).
    pub text: String,
    /// The id exactly as the server sent it.
    pub wire: Value,
}

#[derive(Clone, Debug)]
struct Entry {
    wire: Value,
    user_ref: Option<String>,
    name: Option<String>,
}

/// Why a roster could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unreadable(pub String);

/// The room's connections, by clientId text.
#[derive(Clone, Debug, Default)]
pub(crate) struct Roster {
    by_client_id: BTreeMap<String, Entry>,
}

impl Roster {
    /// The roster from `room-connected.userList`, which must be a list of entries that each name a
    /// clientId (an empty list is an empty room).
    pub(crate) fn from_user_list(list: Option<&Value>) -> Result<Roster, Unreadable> {
        let entries = match list {
            Some(Value::Array(entries)) => entries,
            None => return Err(Unreadable("room-connected has no userList".to_owned())),
            Some(Value::Null) => {
                return Err(Unreadable("room-connected.userList is null".to_owned()));
            }
            Some(other) => {
                return Err(Unreadable(format!(
                    "room-connected.userList is not a list but {}",
                    json_type(other)
                )));
            }
        };
        let mut roster = Roster::default();
        for (at, entry) in entries.iter().enumerate() {
            if !roster.connected(entry) {
                return Err(Unreadable(format!(
                    "room-connected.userList[{at}] names no clientId"
                )));
            }
        }
        Ok(roster)
    }

    /// Applies `user-connected`; `false` when the entry names no clientId.
    pub(crate) fn connected(&mut self, entry: &Value) -> bool {
        let Some(wire) = entry.get("clientId") else {
            return false;
        };
        let Some(text) = id_text(wire) else {
            return false;
        };
        let user_ref = field(entry, "user_ref");
        let name = field(entry, "name");
        self.by_client_id.insert(
            text,
            Entry {
                wire: wire.clone(),
                user_ref,
                name,
            },
        );
        true
    }

    /// Applies `user-disconnected`.
    pub(crate) fn disconnected(&mut self, entry: &Value) {
        if let Some(client_id) = field(entry, "clientId") {
            self.by_client_id.remove(&client_id);
        }
    }

    /// Forgets clientIds we dropped (the server's `user-disconnected` may come later or never).
    pub(crate) fn remove(&mut self, client_ids: &[ClientId]) {
        for client_id in client_ids {
            self.by_client_id.remove(&client_id.text);
        }
    }

    /// Every clientId of `user`: all its `user_ref` connections, plus the connection whose clientId is
    /// `user` when `match_client_ids` is set. Never one of ours: not `own` (this session's
    /// connection), and not any connection joined with `own_ref` (a sibling session of this adapter).
    pub(crate) fn client_ids_for(
        &self,
        user: &str,
        match_client_ids: bool,
        own: &str,
        own_ref: &str,
    ) -> Vec<ClientId> {
        self.by_client_id
            .iter()
            .filter(|(client_id, entry)| {
                let user_ref = entry.user_ref.as_deref();
                client_id.as_str() != own
                    && user_ref != Some(own_ref)
                    && (user_ref == Some(user) || (match_client_ids && client_id.as_str() == user))
            })
            .map(|(text, entry)| ClientId {
                text: text.clone(),
                wire: entry.wire.clone(),
            })
            .collect()
    }

    /// Every connection as a [`Member`]: its `user_ref` as the id, its name, its clientId as the
    /// handle; one member per connection (a user on two devices is listed twice, with two handles).
    /// Never one of ours (`own`, or a connection joined with `own_ref`). A connection without a
    /// `user_ref` is listed under its clientId, the only id it has (a drop finds it by clientId only
    /// with client-id matching on).
    pub(crate) fn members(&self, own: &str, own_ref: &str) -> Vec<Member> {
        self.by_client_id
            .iter()
            .filter(|(client_id, entry)| {
                client_id.as_str() != own && entry.user_ref.as_deref() != Some(own_ref)
            })
            .map(|(client_id, entry)| {
                let id = entry.user_ref.as_deref().unwrap_or(client_id);
                let member = Member::new(id).with_handle(client_id.as_str());
                match &entry.name {
                    Some(name) => member.with_name(name.as_str()),
                    None => member,
                }
            })
            .collect()
    }

    /// How many connections the room has.
    pub(crate) fn len(&self) -> usize {
        self.by_client_id.len()
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roster() -> Roster {
        Roster::from_user_list(Some(&json!([
            {"clientId": "c1", "user_ref": "alice", "role": "participant"},
            {"clientId": "c2", "user_ref": "alice", "role": "participant"},
            {"clientId": "c3", "user_ref": "bob"},
            {"clientId": "me", "user_ref": "mod", "role": "moderator"},
            {"clientId": "sibling", "user_ref": "mod", "role": "moderator"},
            {"clientId": 42, "user_ref": 7},
        ])))
        .unwrap()
    }

    fn texts(ids: Vec<ClientId>) -> Vec<String> {
        ids.into_iter().map(|id| id.text).collect()
    }

    #[test]
    fn a_user_on_two_devices_has_two_client_ids() {
        let roster = roster();
        assert_eq!(
            texts(roster.client_ids_for("alice", false, "me", "mod")),
            ["c1", "c2"]
        );
        assert_eq!(roster.len(), 6);
    }

    #[test]
    fn client_ids_keep_their_json_type() {
        let ids = roster().client_ids_for("7", false, "me", "mod");
        assert_eq!(
            ids,
            [ClientId {
                text: "42".to_owned(),
                wire: json!(42)
            }]
        );
        let ids = roster().client_ids_for("bob", false, "me", "mod");
        assert_eq!(ids[0].wire, json!("c3"));
    }

    #[test]
    fn client_ids_match_only_when_asked_and_never_ours() {
        let roster = roster();
        assert!(roster.client_ids_for("c3", false, "me", "mod").is_empty());
        assert_eq!(
            texts(roster.client_ids_for("c3", true, "me", "mod")),
            ["c3"]
        );
        assert!(roster.client_ids_for("me", true, "me", "mod").is_empty());
        assert!(roster.client_ids_for("mod", false, "me", "mod").is_empty());
        assert!(
            roster
                .client_ids_for("sibling", true, "me", "mod")
                .is_empty(),
            "a sibling session of ours is never a target"
        );
    }

    #[test]
    fn follows_connects_and_disconnects() {
        let mut roster = roster();
        assert!(roster.connected(&json!({"clientId": "c9", "user_ref": "bob"})));
        assert_eq!(
            texts(roster.client_ids_for("bob", false, "me", "mod")),
            ["c3", "c9"]
        );
        roster.disconnected(&json!({"clientId": "c3"}));
        roster.disconnected(&json!({"nothing": true}));
        let left = roster.client_ids_for("bob", false, "me", "mod");
        assert_eq!(texts(left.clone()), ["c9"]);
        roster.remove(&left);
        assert!(roster.client_ids_for("bob", false, "me", "mod").is_empty());
        assert!(!roster.connected(&json!({"user_ref": "no-client-id"})));
        assert!(!roster.connected(&json!({"clientId": "", "user_ref": "x"})));
    }

    #[test]
    fn members_are_connections_with_ids_names_and_client_ids_never_ours() {
        let mut roster = roster();
        assert!(roster.connected(&json!({"clientId": "c7", "name": "No Ref"})));
        assert!(roster.connected(&json!({"clientId": "c8", "user_ref": "carol", "name": "Carol"})));
        let members = roster.members("me", "mod");
        let listed: Vec<(&str, Option<&str>, Option<&str>)> = members
            .iter()
            .map(|m| (m.id.as_str(), m.name.as_deref(), m.handle.as_deref()))
            .collect();
        assert_eq!(
            listed,
            [
                ("7", None, Some("42")),
                ("alice", None, Some("c1")),
                ("alice", None, Some("c2")),
                ("bob", None, Some("c3")),
                ("c7", Some("No Ref"), Some("c7")),
                ("carol", Some("Carol"), Some("c8")),
            ]
        );
    }

    #[test]
    fn an_empty_list_is_an_empty_room() {
        assert_eq!(Roster::from_user_list(Some(&json!([]))).unwrap().len(), 0);
    }

    #[test]
    fn a_missing_or_malformed_user_list_is_unreadable() {
        for list in [
            None,
            Some(json!(null)),
            Some(json!("junk")),
            Some(json!(3)),
            Some(json!({"c1": {"user_ref": "a"}})),
            Some(json!([{"clientId": "c1"}, {"user_ref": "no-client-id"}])),
            Some(json!([{"clientId": null, "user_ref": "a"}])),
            Some(json!(["c1"])),
        ] {
            assert!(
                Roster::from_user_list(list.as_ref()).is_err(),
                "{list:?} must not read as a room"
            );
        }
    }
}
