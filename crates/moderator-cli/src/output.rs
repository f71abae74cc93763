//! Printing outcomes: one JSON object per user, or a line per user and a summary for people.

use moderator::{Error, Outcome, Plan, Report, UserReport};
use serde_json::{Value, json};

/// The JSON object for one user's outcome.
pub fn user_json(provider: &str, room: &str, entry: &UserReport) -> Value {
    let mut object = json!({
        "provider": provider,
        "room": room,
        "user": entry.user.as_str(),
        "outcome": entry.outcome.label(),
        "attempts": entry.attempts,
    });
    if let (Outcome::Failed(error), Some(map)) = (&entry.outcome, object.as_object_mut()) {
        map.insert("error".to_owned(), error_json(error));
    }
    object
}

/// The JSON object for an error.
pub fn error_json(error: &Error) -> Value {
    json!({
        "kind": format!("{:?}", error.kind()),
        "message": error.message(),
        "code": error.code(),
        "request_id": error.request_id(),
        "retry": format!("{:?}", error.status()),
    })
}

/// One line per user for people.
pub fn user_line(entry: &UserReport) -> String {
    match &entry.outcome {
        Outcome::Failed(error) => format!("{:<12} {}  {error}", "failed", entry.user),
        outcome => format!("{:<12} {}", outcome.label(), entry.user),
    }
}

/// The closing summary for people.
pub fn summary_line(report: &Report) -> String {
    let summary = report.summary();
    format!(
        "{} disconnected, {} not in room, {} failed ({} provider call{}{})",
        summary.disconnected,
        summary.not_in_room,
        summary.failed,
        report.calls(),
        if report.calls() == 1 { "" } else { "s" },
        if report.reason_delivered() {
            ", reason delivered"
        } else {
            ""
        }
    )
}

/// What a dry run prints.
pub fn plan_text(provider: &str, room: &str, plan: &Plan) -> String {
    let rate = plan
        .requests_per_second
        .map_or("no documented rate limit".to_owned(), |r| {
            format!("paced to {r} calls/s")
        });
    let sizes: Vec<String> = plan.batches.iter().map(usize::to_string).collect();
    format!(
        "dry run: nothing sent\nprovider: {provider}\nroom: {room}\nusers: {} distinct\ncalls: {} (batch sizes: {})\npacing: {rate}\nestimated time: at least {:.2?} plus network time",
        plan.users,
        plan.calls(),
        sizes.join(", "),
        plan.min_duration
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use moderator::{ErrorKind, UserId};

    #[test]
    fn failed_outcomes_carry_kind_code_and_request_id() {
        let entry = UserReport {
            user: UserId::new("u1"),
            outcome: Outcome::Failed(
                Error::new(ErrorKind::PermissionDenied, "nope")
                    .with_code("5116")
                    .with_request_id("r-1"),
            ),
            attempts: 1,
        };
        let value = user_json("enablex", "room", &entry);
        assert_eq!(value["outcome"], "failed");
        assert_eq!(value["error"]["kind"], "PermissionDenied");
        assert_eq!(value["error"]["code"], "5116");
        assert_eq!(value["error"]["request_id"], "r-1");
    }

    #[test]
    fn successes_have_no_error_field() {
        let entry = UserReport {
            user: UserId::new("u1"),
            outcome: Outcome::NotInRoom,
            attempts: 1,
        };
        let value = user_json("zego-zim", "room", &entry);
        assert_eq!(value["outcome"], "not_in_room");
        assert!(value.get("error").is_none());
    }
}
