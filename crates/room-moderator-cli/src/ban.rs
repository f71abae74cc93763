//! `moderator ban`, `moderator unban` and `moderator bans`: keeping removed users out, through the
//! ban store (`--store`, else `MODERATOR_BAN_STORE`) and the provider's own rules where it has them.

use std::collections::HashSet;
use std::io::Write;
use std::process::ExitCode;
use std::time::SystemTime;

use room_moderator::{
    BanEntry, BanOutcome, BanReport, BanRequest, BanUserReport, RoomId, StopSignal, UnbanOutcome,
    UnbanReport, UnbanUserReport, UserId,
};
use serde_json::{Value, json};

use crate::args::{BanArgs, BansArgs, UnbanArgs};
use crate::interrupt::{self, Ended, Interrupts};
use crate::{Failure, connect, output, users};

/// Bans the users: one line per user, the warnings once each on stderr; exit 1 if any failed.
pub async fn ban(args: BanArgs) -> Result<ExitCode, Failure> {
    let users = users::from_args(&args.users)?;
    let target = &args.target.target;
    let mut request = BanRequest::new(target.room.as_str(), users.iter().map(String::as_str));
    if let Some(duration) = args.duration {
        request = request.with_duration(duration.into());
    }
    if let Some(reason) = &args.reason {
        request = request.with_reason(reason.as_str());
    }
    if let Some(by) = &args.by {
        request = request.with_requested_by(by.as_str());
    }
    // The first Ctrl-C (or SIGTERM) stops sending: the calls in flight answer, the users not sent
    // are reported `cancelled`; a second abandons the ban where it stands.
    let stop = StopSignal::new();
    let builder = connect::builder(target.provider, &target.connection).with_stop(&stop);
    let moderator = connect::with_store(builder, args.target.store.as_deref())?
        .build()
        .await
        .map_err(Failure::Config)?;
    let (banned, stopped) = match Interrupts::listen(&stop).run(moderator.ban(&request)).await {
        Ended::Done { value, stopped } => (value, stopped),
        Ended::Abandoned => return Ok(interrupt::abandoned_exit("or banned their users")),
    };
    // `Err`: the ban as a whole failed: refused before anything was sent (exit 2), or the provider
    // answered nothing usable within the deadline (exit 1).
    let report = match banned {
        Ok(report) => report,
        Err(error) => return connect::failed(error),
    };
    let provider = target.provider.name();
    warn_once(&report.warnings);
    let mut stdout = std::io::stdout().lock();
    for entry in &report.users {
        let line = if args.json {
            output::placed(provider, &target.room, serde_json::to_value(entry)).to_string()
        } else {
            ban_line(entry)
        };
        let _ = writeln!(stdout, "{line}");
    }
    let summary = if args.json {
        ban_summary_json(provider, &target.room, &report).to_string()
    } else {
        ban_summary_line(&report)
    };
    let _ = writeln!(stdout, "{summary}");
    if stopped {
        return Ok(interrupt::stopped_exit());
    }
    Ok(exit_for(report.all_banned()))
}

/// Lifts the users' bans: one line per user; exit 1 if any could not be lifted.
pub async fn unban(args: UnbanArgs) -> Result<ExitCode, Failure> {
    let users: Vec<UserId> = users::from_args(&args.users)?
        .into_iter()
        .map(UserId::new)
        .collect();
    let target = &args.target.target;
    let moderator = connect::build_with_store(&args.target).await?;
    let report = match moderator
        .unban(&RoomId::new(target.room.as_str()), &users)
        .await
    {
        Ok(report) => report,
        Err(error) => return connect::failed(error),
    };
    let provider = target.provider.name();
    let mut stdout = std::io::stdout().lock();
    for entry in &report.users {
        let line = if args.json {
            output::placed(provider, &target.room, serde_json::to_value(entry)).to_string()
        } else {
            unban_line(entry)
        };
        let _ = writeln!(stdout, "{line}");
    }
    let summary = if args.json {
        unban_summary_json(provider, &target.room, &report).to_string()
    } else {
        unban_summary_line(&report)
    };
    let _ = writeln!(stdout, "{summary}");
    let failed = report
        .users
        .iter()
        .any(|entry| matches!(entry.outcome, UnbanOutcome::Failed(_)));
    Ok(exit_for(!failed))
}

/// The room's active bans: the count first, then user, until, reason and by.
pub async fn bans(args: BansArgs) -> Result<ExitCode, Failure> {
    let target = &args.target.target;
    let moderator = connect::build_with_store(&args.target).await?;
    connect::check_room(moderator.as_ref(), &target.room)?;
    let bans = match moderator.bans(&RoomId::new(target.room.as_str())).await {
        Ok(bans) => bans,
        Err(error) => return connect::failed(error),
    };
    let provider = target.provider.name();
    let mut stdout = std::io::stdout().lock();
    if args.json {
        for entry in &bans {
            let _ = writeln!(
                stdout,
                "{}",
                output::placed(provider, &target.room, serde_json::to_value(entry))
            );
        }
        let summary = json!({
            "provider": provider,
            "room": target.room,
            "summary": { "bans": bans.len() },
        });
        let _ = writeln!(stdout, "{summary}");
    } else {
        let _ = writeln!(
            stdout,
            "{} ban{} in {} on {provider}",
            bans.len(),
            if bans.len() == 1 { "" } else { "s" },
            output::terminal_safe(&target.room)
        );
        if !bans.is_empty() {
            let _ = write!(stdout, "{}", bans_table(&bans));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn exit_for(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Each warning once, on stderr.
fn warn_once(warnings: &[String]) {
    let mut seen = HashSet::new();
    for warning in warnings {
        if seen.insert(warning.as_str()) {
            eprintln!("moderator: warning: {}", output::terminal_safe(warning));
        }
    }
}

/// `2025-01-31T12:00:00Z`, or `lifted` for a ban without end.
pub fn until_text(until: Option<SystemTime>) -> String {
    until.map_or("lifted".to_owned(), |at| {
        humantime::format_rfc3339_seconds(at).to_string()
    })
}

/// One ban outcome for people.
fn ban_line(entry: &BanUserReport) -> String {
    let user = output::terminal_safe(entry.user.as_str());
    let native = |native: bool| if native { ", provider rule set" } else { "" };
    match &entry.outcome {
        BanOutcome::Banned { until, native: n } => format!(
            "{:<12} {user}  until {}{}",
            "banned",
            until_text(*until),
            native(*n)
        ),
        BanOutcome::NotInRoom { until, native: n } => format!(
            "{:<12} {user}  banned until {}{}",
            "not in room",
            until_text(*until),
            native(*n)
        ),
        BanOutcome::Failed { error, recorded } => format!(
            "{:<12} {user}  {}{}",
            "failed",
            output::terminal_safe(&error.to_string()),
            if *recorded {
                " (the ban is recorded: the join gate keeps the user out)"
            } else {
                " (not banned)"
            }
        ),
    }
}

fn ban_counts(report: &BanReport) -> (usize, usize, usize) {
    let count = |label: &str| {
        report
            .users
            .iter()
            .filter(|entry| entry.outcome.label() == label)
            .count()
    };
    (count("banned"), count("not_in_room"), count("failed"))
}

fn ban_summary_line(report: &BanReport) -> String {
    let (banned, absent, failed) = ban_counts(report);
    format!(
        "{banned} banned, {absent} not in room (banned all the same), {failed} failed ({} provider call{})",
        report.calls,
        if report.calls == 1 { "" } else { "s" }
    )
}

fn ban_summary_json(provider: &str, room: &str, report: &BanReport) -> Value {
    let (banned, absent, failed) = ban_counts(report);
    json!({
        "provider": provider,
        "room": room,
        "summary": {
            "banned": banned,
            "not_in_room": absent,
            "failed": failed,
            "calls": report.calls,
            "warnings": report.warnings,
        }
    })
}

/// One unban outcome for people.
fn unban_line(entry: &UnbanUserReport) -> String {
    let user = output::terminal_safe(entry.user.as_str());
    match &entry.outcome {
        UnbanOutcome::Lifted => format!("{:<12} {user}", "lifted"),
        UnbanOutcome::NotBanned => format!("{:<12} {user}", "not banned"),
        UnbanOutcome::Failed(error) => format!(
            "{:<12} {user}  {}",
            "failed",
            output::terminal_safe(&error.to_string())
        ),
    }
}

fn unban_counts(report: &UnbanReport) -> (usize, usize, usize) {
    let mut counts = (0, 0, 0);
    for entry in &report.users {
        match entry.outcome {
            UnbanOutcome::Lifted => counts.0 += 1,
            UnbanOutcome::NotBanned => counts.1 += 1,
            UnbanOutcome::Failed(_) => counts.2 += 1,
        }
    }
    counts
}

fn unban_summary_line(report: &UnbanReport) -> String {
    let (lifted, not_banned, failed) = unban_counts(report);
    format!(
        "{lifted} lifted, {not_banned} not banned, {failed} failed ({} provider call{})",
        report.calls,
        if report.calls == 1 { "" } else { "s" }
    )
}

fn unban_summary_json(provider: &str, room: &str, report: &UnbanReport) -> Value {
    let (lifted, not_banned, failed) = unban_counts(report);
    json!({
        "provider": provider,
        "room": room,
        "summary": {
            "lifted": lifted,
            "not_banned": not_banned,
            "failed": failed,
            "calls": report.calls,
        }
    })
}

/// The bans as a table of user, until, reason and by.
fn bans_table(bans: &[BanEntry]) -> String {
    let text = |value: Option<&str>| {
        value.map_or("-".to_owned(), |v| output::terminal_safe(v).into_owned())
    };
    let rows: Vec<[String; 4]> = bans
        .iter()
        .map(|entry| {
            [
                output::terminal_safe(entry.user.as_str()).into_owned(),
                until_text(entry.until),
                text(entry.reason.as_deref()),
                text(entry.by.as_deref()),
            ]
        })
        .collect();
    output::columns(&["user", "until", "reason", "by"], &rows)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use room_moderator::{Error, ErrorKind};

    use super::*;

    #[test]
    fn ban_lines_say_until_when_and_escape_ids() {
        let until = Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        let banned = BanUserReport {
            user: UserId::new("alice"),
            outcome: BanOutcome::Banned {
                until,
                native: true,
            },
        };
        assert_eq!(
            ban_line(&banned),
            "banned       alice  until 2023-11-14T22:13:20Z, provider rule set"
        );
        let absent = BanUserReport {
            user: UserId::new("b\u{1b}[2J"),
            outcome: BanOutcome::NotInRoom {
                until: None,
                native: false,
            },
        };
        assert_eq!(
            ban_line(&absent),
            "not in room  b\\u{1b}[2J  banned until lifted"
        );
        let failed = BanUserReport {
            user: UserId::new("carol"),
            outcome: BanOutcome::Failed {
                error: Error::new(ErrorKind::Unavailable, "down"),
                recorded: true,
            },
        };
        assert!(
            ban_line(&failed).contains("recorded"),
            "{}",
            ban_line(&failed)
        );
    }

    #[test]
    fn json_lines_keep_the_library_shape_with_provider_and_room() {
        let entry = BanUserReport {
            user: UserId::new("alice"),
            outcome: BanOutcome::NotInRoom {
                until: None,
                native: false,
            },
        };
        let value = output::placed("zego-rtc", "lobby", serde_json::to_value(&entry));
        assert_eq!(value["provider"], "zego-rtc");
        assert_eq!(value["user"], "alice");
        assert_eq!(value["outcome"], "not_in_room");
    }

    #[test]
    fn the_bans_table_has_dashes_for_what_is_unknown() {
        let entry = BanEntry::new("alice", UNIX_EPOCH).with_reason(Some("spam".to_owned()));
        let text = bans_table(&[entry]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("user"), "{text}");
        assert!(
            lines[1].contains("lifted") && lines[1].contains("spam"),
            "{text}"
        );
        assert!(lines[1].ends_with('-'), "{text}");
    }
}
