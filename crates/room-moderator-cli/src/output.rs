//! Printing outcomes: one JSON object per user, or a line per user and a summary for people.
//!
//! User ids, room ids and provider messages come from people we do not trust (a username chosen to
//! carry terminal escape sequences) and from providers' answers. Human output goes through
//! [`terminal_safe`]; JSON output keeps every string exact (serde_json escapes control characters).

use std::borrow::Cow;
use std::fmt::Write as _;

use room_moderator::{ApiLimits, Capabilities, Outcome, Plan, PresencePlan, Report, UserReport};
use serde_json::{Value, json};

/// Whether a terminal could act on `c` instead of showing it: C0 and C1 control characters, DEL,
/// and the Unicode bidirectional controls that reorder what is displayed (Trojan Source).
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character a terminal could act on written as a visible escape: `\n`, `\r`,
/// `\t`, or `\u{1b}` for the rest. Everything else, backslashes included, is kept as it is, so a
/// clean id prints unchanged; use `--json` when the exact bytes matter.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => safe.push_str("\\n"),
            '\r' => safe.push_str("\\r"),
            '\t' => safe.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(safe, "\\u{{{:x}}}", u32::from(c));
            }
            c => safe.push(c),
        }
    }
    Cow::Owned(safe)
}

/// The JSON object for one user's outcome.
///
/// The library's own JSON shape for a [`UserReport`] (`room_moderator_core::json`: `user`, `outcome`,
/// `attempts`, and `error` with `kind`, `message`, `code`, `request_id`, `retry_status`, `provider`
/// for a failure), with the provider and room added so that each line stands alone.
pub fn user_json(provider: &str, room: &str, entry: &UserReport) -> Value {
    placed(provider, room, serde_json::to_value(entry))
}

/// The library's JSON object `fields` (a report line, a member, a ban) with the provider and room
/// first, so that each line stands alone.
pub fn placed(provider: &str, room: &str, fields: serde_json::Result<Value>) -> Value {
    let mut object = json!({ "provider": provider, "room": room });
    if let (Some(map), Ok(Value::Object(fields))) = (object.as_object_mut(), fields) {
        map.extend(fields);
    }
    object
}

/// Standard error for log lines: every event is made [`terminal_safe`] before it is written, so an id,
/// a request id or a provider message quoted in a trace cannot drive the operator's terminal. Use it
/// with colours off (the formatter's own escape sequences would be escaped too).
#[derive(Clone, Copy, Debug, Default)]
pub struct SafeStderr;

impl std::io::Write for SafeStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The formatter writes one whole event per call; a line break only ends it.
        let text = String::from_utf8_lossy(buf);
        let (event, newline) = match text.strip_suffix('\n') {
            Some(event) => (event, "\n"),
            None => (&*text, ""),
        };
        let line = format!("{}{newline}", terminal_safe(event));
        std::io::stderr().lock().write_all(line.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for SafeStderr {
    type Writer = SafeStderr;

    fn make_writer(&'a self) -> Self::Writer {
        SafeStderr
    }
}

/// One line per user for people, the id and the provider's message made [`terminal_safe`].
pub fn user_line(entry: &UserReport) -> String {
    let user = terminal_safe(entry.user.as_str());
    match &entry.outcome {
        Outcome::Failed(error) => format!(
            "{:<12} {user}  {}",
            "failed",
            terminal_safe(&error.to_string())
        ),
        outcome => format!("{:<12} {user}", outcome.label()),
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
    let room = terminal_safe(room);
    let rate = match (plan.requests_per_second, plan.requests_per_minute) {
        (Some(r), _) => format!("paced to {r} calls/s"),
        (None, Some(r)) => format!("paced to {r} calls/min"),
        (None, None) => "no documented rate limit".to_owned(),
    };
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

/// What a dry run adds about the presence check before the kick, where the provider needs one.
pub fn presence_text(plan: &Plan, caps: &Capabilities, skipped: bool) -> Option<String> {
    let query = caps.presence.map(|limits| limits_text(&limits));
    let list = caps.members.map(|limits| limits_text(&limits));
    match plan.presence {
        Some(PresencePlan::QueryUsers { calls, per_call }) => Some(format!(
            "presence: checked first: {calls} presence call{} ({per_call} users each{})",
            if calls == 1 { "" } else { "s" },
            query.map_or(String::new(), |rate| format!(", {rate}")),
        )),
        Some(PresencePlan::ListRoom {
            per_call,
            query_calls,
        }) => Some(format!(
            "presence: checked first: the room's member list ({per_call} a page{}){}",
            list.map_or(String::new(), |rate| format!(", {rate}")),
            match (query_calls, caps.presence) {
                (Some(calls), Some(limits)) => format!(
                    ", or up to {calls} presence calls ({} users each{}) if the room is too large for listing to be cheaper",
                    limits.per_call,
                    query.map_or(String::new(), |rate| format!(", {rate}")),
                ),
                _ => String::new(),
            }
        )),
        Some(_) => Some("presence: checked first".to_owned()),
        None if skipped && caps.absent_users == room_moderator::AbsentUsers::FailTheCall => Some(
            "presence: not checked (--no-presence-check): a call naming someone absent fails whole and is split to find who".to_owned(),
        ),
        None => None,
    }
}

/// An API's rate for people: `5/s per room`, `20/s`, or `no documented rate`.
fn limits_text(limits: &ApiLimits) -> String {
    match limits.requests_per_second {
        Some(rate) if limits.per_room => format!("{rate}/s per room"),
        Some(rate) => format!("{rate}/s"),
        None => "no documented rate".to_owned(),
    }
}

/// Rows under a header, each column as wide as its widest cell (counted in characters), two spaces
/// apart, the last column not padded. Cells must already be [`terminal_safe`].
pub fn columns<const N: usize>(headers: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = headers.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = String::new();
        for (index, cell) in cells.enumerate() {
            if index + 1 == N {
                out.push_str(cell);
            } else {
                let pad = widths[index].saturating_sub(cell.chars().count());
                out.push_str(cell);
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        text.push_str(out.trim_end());
        text.push('\n');
    };
    line(&mut headers.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    text
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
    use room_moderator::{Error, ErrorKind, UserId};

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
        assert_eq!(value["error"]["kind"], "permission_denied");
        assert_eq!(value["error"]["retry_status"], "permanent");
        assert_eq!(value["provider"], "enablex");
        assert_eq!(value["user"], "u1");
        assert_eq!(value["error"]["code"], "5116");
        assert_eq!(value["error"]["request_id"], "r-1");
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(terminal_safe("alice"), "alice");
        assert!(matches!(terminal_safe("a\\b ü 名"), Cow::Borrowed(_)));
        assert_eq!(
            terminal_safe("\u{1b}[2J\u{7}x\ny\r\tz\u{7f}\u{9b}"),
            "\\u{1b}[2J\\u{7}x\\ny\\r\\tz\\u{7f}\\u{9b}"
        );
        assert_eq!(terminal_safe("abc\u{202e}txt.exe"), "abc\\u{202e}txt.exe");
    }

    #[test]
    fn human_lines_escape_ids_and_provider_messages_while_json_stays_exact() {
        let hostile = "\u{1b}]0;owned\u{7}\u{1b}[31mevil\r\n";
        let entry = UserReport {
            user: UserId::new(hostile),
            outcome: Outcome::Failed(Error::new(
                ErrorKind::InvalidInput,
                "provider said \u{1b}[2J\u{1b}[H",
            )),
            attempts: 1,
        };
        let line = user_line(&entry);
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert!(line.contains("\\u{1b}[31mevil\\r\\n"), "{line}");
        assert!(line.contains("provider said \\u{1b}[2J"), "{line}");
        let value = user_json("ivschat", "room", &entry);
        assert_eq!(value["user"], hostile);
        assert_eq!(value["error"]["message"], "provider said \u{1b}[2J\u{1b}[H");
        let text = value.to_string();
        assert!(!text.chars().any(char::is_control), "{text:?}");
    }

    #[test]
    fn a_dry_run_escapes_the_room() {
        let caps = room_moderator::Capabilities::new(1);
        let plan = Plan::new(&caps, 1);
        let text = plan_text("ivschat", "r\u{1b}[8m", &plan);
        assert!(text.contains("room: r\\u{1b}[8m"), "{text}");
    }

    #[test]
    fn a_dry_run_says_how_presence_is_checked_first() {
        use room_moderator::{AbsentUsers, ApiLimits, Capabilities};
        let caps = Capabilities::new(50)
            .with_absent_users(AbsentUsers::FailTheCall)
            .with_presence(ApiLimits::new(10).with_rate_per_second(5).per_room())
            .with_members(ApiLimits::new(500).with_rate_per_second(20));
        let query = Plan::new(&caps, 20).with_presence(Some(PresencePlan::QueryUsers {
            calls: 2,
            per_call: 10,
        }));
        assert_eq!(
            presence_text(&query, &caps, false).as_deref(),
            Some("presence: checked first: 2 presence calls (10 users each, 5/s per room)")
        );
        let list = Plan::new(&caps, 120).with_presence(Some(PresencePlan::ListRoom {
            per_call: 500,
            query_calls: Some(12),
        }));
        let text = presence_text(&list, &caps, false).unwrap_or_default();
        assert!(
            text.starts_with("presence: checked first: the room's member list (500 a page, 20/s)")
                && text.contains("up to 12 presence calls (10 users each, 5/s per room)"),
            "{text}"
        );
        let skipped = Plan::new(&caps, 20);
        assert!(
            presence_text(&skipped, &caps, true).is_some_and(|t| t.contains("not checked")),
            "said when skipped"
        );
        assert_eq!(presence_text(&skipped, &Capabilities::new(5), true), None);
    }

    #[test]
    fn columns_line_up_and_the_last_is_not_padded() {
        let rows = [
            ["alice".to_owned(), "x".to_owned()],
            ["b".to_owned(), "-".to_owned()],
        ];
        assert_eq!(
            columns(&["id", "name"], &rows),
            "id     name\nalice  x\nb      -\n"
        );
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
