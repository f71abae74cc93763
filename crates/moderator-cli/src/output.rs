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

/// Provider calls per second over the job.
fn calls_per_second(report: &Report) -> f64 {
    let seconds = report.elapsed().as_secs_f64();
    if seconds > 0.0 {
        f64::from(report.calls()) / seconds
    } else {
        0.0
    }
}

/// The closing summary for people.
pub fn summary_line(report: &Report) -> String {
    let summary = report.summary();
    format!(
        "{} disconnected, {} not in room, {} failed ({} provider call{}, {} throttled, {:.1} calls/s over {:.1?}{})",
        summary.disconnected,
        summary.not_in_room,
        summary.failed,
        report.calls(),
        if report.calls() == 1 { "" } else { "s" },
        report.throttled(),
        calls_per_second(report),
        report.elapsed(),
        if report.reason_delivered() {
            ", reason delivered"
        } else {
            ""
        }
    )
}

/// The closing JSON line: `{"provider", "room", "summary": {...}}`, after the per-user lines.
pub fn summary_json(provider: &str, room: &str, report: &Report) -> Value {
    let summary = report.summary();
    json!({
        "provider": provider,
        "room": room,
        "summary": {
            "disconnected": summary.disconnected,
            "not_in_room": summary.not_in_room,
            "failed": summary.failed,
            "calls": report.calls(),
            "throttled": report.throttled(),
            "elapsed_ms": u64::try_from(report.elapsed().as_millis()).unwrap_or(u64::MAX),
            "calls_per_second": (calls_per_second(report) * 10.0).round() / 10.0,
            "reason_delivered": report.reason_delivered(),
        }
    })
}

/// What a dry run prints.
pub fn plan_text(provider: &str, room: &str, plan: &Plan) -> String {
    let rate = plan
        .requests_per_second
        .map_or("no documented rate limit".to_owned(), |r| {
            format!("paced to {r} calls/s")
        });
    let sizes: Vec<String> = plan.batches.iter().map(usize::to_string).collect();
    let deadline = plan.deadline.map_or("none".to_owned(), |d| {
        humantime::format_duration(d).to_string()
    });
    format!(
        "dry run: nothing sent\nprovider: {provider}\nroom: {room}\nusers: {} distinct\ncalls: {} (batch sizes: {})\npacing: {rate}\nestimated time: at least {:.2?} plus network time\ndeadline: {deadline}",
        plan.users,
        plan.calls(),
        compact(&sizes),
        plan.min_duration
    )
}

/// Batch sizes, with runs of the same size written once with a count (`50 x 200, 20`).
fn compact(sizes: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut index = 0;
    while index < sizes.len() {
        let run = sizes[index..]
            .iter()
            .take_while(|size| **size == sizes[index])
            .count();
        if run > 3 {
            parts.push(format!("{} x {run}", sizes[index]));
        } else {
            parts.extend(sizes[index..index + run].iter().cloned());
        }
        index += run;
    }
    parts.join(", ")
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
