//! Who is in the room, by signalling `clientId`.
//!
//! `room-connected.userList`, `user-connected` and `user-disconnected` are the only sources of
//! clientIds (the REST users list has none). One `user_ref` can hold several clientIds: a user on
//! several devices.

use std::collections::BTreeMap;

use serde_json::Value;

/// The room's connections: clientId -> `user_ref` (if the server named one).
#[derive(Clone, Debug, Default)]
pub(crate) struct Roster {
    by_client_id: BTreeMap<String, Option<String>>,
}

/// A string or number field as text.
pub(crate) fn field(value: &Value, name: &str) -> Option<String> {
    match value.get(name)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Roster {
    /// The roster from `room-connected.userList`; entries without a clientId are skipped.
    pub(crate) fn from_user_list(list: Option<&Value>) -> Roster {
        let mut roster = Roster::default();
        let entries = match list {
            Some(Value::Array(entries)) => entries.as_slice(),
            // Some servers send an object keyed by clientId.
            Some(Value::Object(map)) => {
                for (client_id, entry) in map {
                    roster.insert(Some(client_id.clone()), entry);
                }
                return roster;
            }
            _ => &[],
        };
        for entry in entries {
            roster.connected(entry);
        }
        roster
    }

    fn insert(&mut self, client_id: Option<String>, entry: &Value) {
        if let Some(client_id) = client_id.or_else(|| field(entry, "clientId")) {
            self.by_client_id
                .insert(client_id, field(entry, "user_ref"));
        }
    }

    /// Applies `user-connected`.
    pub(crate) fn connected(&mut self, entry: &Value) {
        self.insert(None, entry);
    }

    /// Applies `user-disconnected`.
    pub(crate) fn disconnected(&mut self, entry: &Value) {
        if let Some(client_id) = field(entry, "clientId") {
            self.by_client_id.remove(&client_id);
        }
    }

    /// Forgets clientIds we dropped (the server's `user-disconnected` may come later or never).
    pub(crate) fn remove(&mut self, client_ids: &[String]) {
        for client_id in client_ids {
            self.by_client_id.remove(client_id);
        }
    }

    /// Every clientId of `user`: all its `user_ref` connections, plus the connection whose clientId is
    /// `user` when `match_client_ids` is set. Never `own` (the moderator's own connection).
    pub(crate) fn client_ids_for(
        &self,
        user: &str,
        match_client_ids: bool,
        own: &str,
    ) -> Vec<String> {
        self.by_client_id
            .iter()
            .filter(|(client_id, user_ref)| {
                client_id.as_str() != own
                    && (user_ref.as_deref() == Some(user)
                        || (match_client_ids && client_id.as_str() == user))
            })
            .map(|(client_id, _)| client_id.clone())
            .collect()
    }

    /// How many connections the room has.
    pub(crate) fn len(&self) -> usize {
        self.by_client_id.len()
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
            {"user_ref": "no-client-id"},
            {"clientId": 42, "user_ref": 7},
        ])))
    }

    #[test]
    fn a_user_on_two_devices_has_two_client_ids() {
        assert_eq!(roster().client_ids_for("alice", false, "me"), ["c1", "c2"]);
        assert_eq!(roster().client_ids_for("7", false, "me"), ["42"]);
        assert_eq!(roster().len(), 5);
    }

    #[test]
    fn client_ids_match_only_when_asked_and_never_our_own() {
        let roster = roster();
        assert!(roster.client_ids_for("c3", false, "me").is_empty());
        assert_eq!(roster.client_ids_for("c3", true, "me"), ["c3"]);
        assert!(roster.client_ids_for("me", true, "me").is_empty());
        assert!(roster.client_ids_for("mod", false, "me").is_empty());
    }

    #[test]
    fn follows_connects_and_disconnects() {
        let mut roster = roster();
        roster.connected(&json!({"clientId": "c9", "user_ref": "bob"}));
        assert_eq!(roster.client_ids_for("bob", false, "me"), ["c3", "c9"]);
        roster.disconnected(&json!({"clientId": "c3"}));
        roster.disconnected(&json!({"nothing": true}));
        assert_eq!(roster.client_ids_for("bob", false, "me"), ["c9"]);
        roster.remove(&["c9".to_owned()]);
        assert!(roster.client_ids_for("bob", false, "me").is_empty());
    }

    #[test]
    fn user_list_as_an_object_or_missing() {
        let roster = Roster::from_user_list(Some(
            &json!({"c1": {"user_ref": "a"}, "c2": {"user_ref": "a"}}),
        ));
        assert_eq!(roster.client_ids_for("a", false, ""), ["c1", "c2"]);
        assert_eq!(Roster::from_user_list(None).len(), 0);
        assert_eq!(Roster::from_user_list(Some(&json!("junk"))).len(), 0);
    }
}
