//! The only `drop` payloads this crate can send.
//!
//! EnableX reads `drop` broadly: `clientIds: []`, a missing `clientIds` or `all: true` ends the
//! session for EVERYONE, and `self: true` is a leave that a server ignoring `self` would read as
//! "drop everyone". So the payload is built here and nowhere else, from two shapes only:
//! `{"all": false, "clientIds": [..]}` with at least one id, and `disconnect_all`'s `{"all": true}`.
//! Leaving is not a `drop` at all: the session closes its namespace and socket.

use serde_json::{Value, json};

use crate::roster::ClientId;

/// A `drop` payload that is safe to send.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DropFrame(Value);

impl DropFrame {
    /// Drops exactly these connections; `None` when there are none (an empty list would drop
    /// everyone). The ids go back in the JSON type they came in.
    pub(crate) fn connections(client_ids: &[ClientId]) -> Option<DropFrame> {
        if client_ids.is_empty() {
            return None;
        }
        let ids: Vec<Value> = client_ids.iter().map(|id| id.wire.clone()).collect();
        Some(DropFrame(json!({"all": false, "clientIds": ids})))
    }

    /// Drops everyone in the room: only for `disconnect_all`.
    pub(crate) fn everyone() -> DropFrame {
        DropFrame(json!({"all": true}))
    }

    /// The payload to emit.
    pub(crate) fn into_payload(self) -> Value {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(wire: Value) -> ClientId {
        ClientId {
            text: wire.to_string(),
            wire,
        }
    }

    #[test]
    fn no_connections_means_no_frame() {
        assert_eq!(DropFrame::connections(&[]), None);
    }

    #[test]
    fn connections_keep_their_json_type() {
        let frame = DropFrame::connections(&[id(json!(42)), id(json!("c-7"))]).unwrap();
        assert_eq!(
            frame.into_payload(),
            json!({"all": false, "clientIds": [42, "c-7"]})
        );
    }

    #[test]
    fn everyone_is_its_own_shape() {
        assert_eq!(DropFrame::everyone().into_payload(), json!({"all": true}));
    }
}
