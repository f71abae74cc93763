//! The service model's field rules, as IVS Chat answers them: one `ValidationException` listing
//! every broken field (`reason: FIELD_VALIDATION_FAILED`, `fieldList: [{name, message}]`), or reason
//! `OTHER` for a body that is not the request's JSON. Shared by every operation.
//!
//! UNVERIFIED and chosen here: a body that is not JSON answers `ValidationException` with reason
//! `OTHER` (the model declares no `SerializationException`); the messages follow the wording AWS's
//! Coral front end uses for constraint violations.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The room identifier pattern of the model.
pub(super) const ROOM_PATTERN: &str = "^arn:aws:ivschat:[a-z0-9-]+:[0-9]+:room/[a-zA-Z0-9-]+$";

/// The request's members, or the `ValidationException` body for a body that does not parse.
pub(super) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Value> {
    serde_json::from_slice(body).map_err(|e| {
        json!({
            "message": format!("Could not parse the request body: {e}"),
            "reason": "OTHER",
        })
    })
}

/// The broken fields of one request, in the order they were checked.
#[derive(Default)]
pub(super) struct Problems(Vec<(String, String)>);

impl Problems {
    /// Records a broken field.
    pub(super) fn push(&mut self, name: &str, message: impl Into<String>) {
        self.0.push((name.to_owned(), message.into()));
    }

    /// A string member of 1..=`max` characters (Smithy counts code points).
    pub(super) fn length(&mut self, name: &str, value: Option<&str>, max: usize, required: bool) {
        match value {
            None if required => self.push(name, "Member must not be null"),
            None => {}
            Some(value) => {
                let len = value.chars().count();
                if len < 1 {
                    self.push(name, "Member must have length greater than or equal to 1");
                } else if len > max {
                    self.push(
                        name,
                        format!("Member must have length less than or equal to {max}"),
                    );
                }
            }
        }
    }

    /// The members every operation takes, `roomIdentifier` and `userId`: both required, of
    /// 1..=128 characters (the room's pattern is checked apart, after the other members).
    pub(super) fn room_and_user(&mut self, room: Option<&str>, user: Option<&str>) {
        self.length("roomIdentifier", room, 128, true);
        self.length("userId", user, 128, true);
    }

    /// A non-empty room identifier must match [`ROOM_PATTERN`] (an empty one is a length problem).
    pub(super) fn room_pattern(&mut self, name: &str, value: Option<&str>) {
        if let Some(room) = value
            && !room.is_empty()
            && !is_room_arn(room)
        {
            self.push(
                name,
                format!("Member must satisfy regular expression pattern: {ROOM_PATTERN}"),
            );
        }
    }

    /// An optional string member of at most `max` characters (the empty string allowed).
    pub(super) fn at_most(&mut self, name: &str, value: Option<&str>, max: usize) {
        if value.is_some_and(|value| value.chars().count() > max) {
            self.push(
                name,
                format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// An integer member within `min..=max`.
    pub(super) fn range(&mut self, name: &str, value: Option<i64>, min: i64, max: i64) {
        match value {
            Some(value) if value < min => self.push(
                name,
                format!("Member must have value greater than or equal to {min}"),
            ),
            Some(value) if value > max => self.push(
                name,
                format!("Member must have value less than or equal to {max}"),
            ),
            _ => {}
        }
    }

    /// `Ok` when nothing is broken, else the `ValidationException` body.
    pub(super) fn into_answer(self) -> Result<(), Value> {
        if self.0.is_empty() {
            return Ok(());
        }
        let count = self.0.len();
        Err(json!({
            "message": format!(
                "{count} validation error{} detected",
                if count == 1 { "" } else { "s" }
            ),
            "reason": "FIELD_VALIDATION_FAILED",
            "fieldList": self
                .0
                .iter()
                .map(|(name, message)| json!({ "name": name, "message": message }))
                .collect::<Vec<_>>(),
        }))
    }
}

/// [`ROOM_PATTERN`], matched part by part: six `:`-separated fields, the last one `room/<id>`.
pub(super) fn is_room_arn(value: &str) -> bool {
    is_arn(value, "ivschat", "room")
}

/// `^arn:aws:<service>:[a-z0-9-]+:[0-9]+:<resource>/[a-zA-Z0-9-]+$` (IVS Chat rooms, IVS stages).
pub(super) fn is_arn(value: &str, service: &str, resource_type: &str) -> bool {
    let fields: Vec<&str> = value.splitn(6, ':').collect();
    let [arn, partition, named, region, account, resource] = fields[..] else {
        return false;
    };
    let word = |s: &str, ok: fn(char) -> bool| !s.is_empty() && s.chars().all(ok);
    (arn, partition, named) == ("arn", "aws", service)
        && word(region, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
        })
        && word(account, |c| c.is_ascii_digit())
        && resource
            .strip_prefix(resource_type)
            .and_then(|id| id.strip_prefix('/'))
            .is_some_and(|id| word(id, |c| c.is_ascii_alphanumeric() || c == '-'))
}

/// What the operations' tests share: a room ARN that passes, the broken fields an answer lists.
#[cfg(test)]
pub(super) mod testing {
    use serde_json::Value;

    /// A room identifier the model accepts.
    pub(crate) const ROOM: &str = "arn:aws:ivschat:us-east-1:123456789012:room/abc-DEF-1";

    /// The names in a `ValidationException` body's `fieldList`, in order (none without a list).
    pub(crate) fn fields(answer: &Value) -> Vec<String> {
        answer["fieldList"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|f| f["name"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_room_pattern() {
        assert!(is_room_arn(
            "arn:aws:ivschat:us-east-1:123456789012:room/abc-DEF-1"
        ));
        for bad in [
            "abc",
            "arn:aws:ivschat:us-east-1:123456789012:room/",
            "arn:aws:ivschat:us-east-1:123456789012:room/a_b",
            "arn:aws:ivschat:us-east-1:123456789012:room/a:b",
            "arn:aws:ivschat:US-EAST-1:123456789012:room/a",
            "arn:aws:ivschat:us-east-1:12x:room/a",
            "arn:aws:ivs:us-east-1:1:room/a",
            "arn:aws-cn:ivschat:us-east-1:1:room/a",
            "arn:aws:ivschat:us-east-1:1:channel/a",
        ] {
            assert!(!is_room_arn(bad), "{bad}");
        }
    }

    #[test]
    fn ranges_and_the_answer() {
        let mut problems = Problems::default();
        problems.range("n", Some(0), 1, 180);
        problems.range("n", Some(181), 1, 180);
        problems.range("n", Some(1), 1, 180);
        problems.range("n", None, 1, 180);
        let answer = problems.into_answer().expect_err("two problems");
        assert_eq!(answer["message"], "2 validation errors detected");
        assert_eq!(
            answer["fieldList"][0]["message"],
            "Member must have value greater than or equal to 1"
        );
        assert!(Problems::default().into_answer().is_ok());
    }
}
