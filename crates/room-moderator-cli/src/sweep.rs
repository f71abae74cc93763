//! `moderator sweep`: one pass over a room for providers with no signed join callback (EnableX,
//! IVS real-time; docs/providers/webhooks.md): list the members, remove those the ban store holds as
//! banned there, each with its ban's reason.

use std::io::Write;
use std::process::ExitCode;

use room_moderator::sweep::{SweepReport, sweep as sweep_room};
use room_moderator::{Outcome, RoomId};

use crate::args::{BanTarget, SweepArgs, Target};
use crate::{Failure, connect, output};

/// Sweeps the room: one line per banned member found, then a summary; exit 1 if one stayed.
pub async fn sweep(args: SweepArgs) -> Result<ExitCode, Failure> {
    let target = BanTarget {
        target: Target {
            provider: args.target.provider,
            room: args.target.room.clone(),
            connection: args.connection,
        },
        store: args.store,
    };
    let moderator = connect::build_with_store(&target).await?;
    connect::check_room(moderator.as_ref(), &target.target.room)?;
    let report = match sweep_room(
        moderator.as_ref(),
        &RoomId::new(target.target.room.as_str()),
    )
    .await
    {
        Ok(report) => report,
        Err(error) => return connect::failed(error),
    };
    let mut stdout = std::io::stdout().lock();
    for swept in &report.kicked {
        let user = output::terminal_safe(swept.user.as_str());
        let reason = swept
            .reason
            .as_deref()
            .map(|reason| format!("  reason: {}", output::terminal_safe(reason)))
            .unwrap_or_default();
        let line = match &swept.outcome {
            Outcome::Failed(error) => format!(
                "{:<12} {user}{reason}  {}",
                "failed",
                output::terminal_safe(&error.to_string())
            ),
            outcome => format!("{:<12} {user}{reason}", outcome.label()),
        };
        let _ = writeln!(stdout, "{line}");
    }
    let _ = writeln!(stdout, "{}", summary(&report, args.target.provider.name()));
    Ok(if report.all_gone() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn summary(report: &SweepReport, provider: &str) -> String {
    let failed = report
        .kicked
        .iter()
        .filter(|swept| !swept.outcome.is_gone())
        .count();
    format!(
        "swept {} on {provider}: {} member{}, {} active ban{}, {} banned member{} removed, {failed} failed",
        output::terminal_safe(report.room.as_str()),
        report.members,
        if report.members == 1 { "" } else { "s" },
        report.bans,
        if report.bans == 1 { "" } else { "s" },
        report.kicked.len() - failed,
        if report.kicked.len() - failed == 1 {
            ""
        } else {
            "s"
        },
    )
}
