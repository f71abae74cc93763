//! `moderator kick` and `moderator kick-all`.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use moderator::{Builder, DisconnectRequest, Moderator, Provider, Reason, RoomId, UserId};

use crate::args::{KickAllArgs, KickArgs, Target};
use crate::hook::KickHook;
use crate::{Failure, output, users};

/// Exit status after Ctrl-C (128 + SIGINT), as shells report it.
const INTERRUPTED: u8 = 130;

fn builder(target: &Target) -> Builder {
    let mut builder = Builder::new(target.provider).with_allow_http(target.allow_http);
    if let Some(endpoint) = &target.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    if let Some(url) = &target.redis {
        builder = builder.with_redis(url);
    }
    builder
}

/// Removes the given users and prints their outcomes.
pub async fn kick(args: KickArgs) -> Result<ExitCode, Failure> {
    let users = users::collect(
        &args.users,
        args.users_file.as_deref(),
        args.stdin.is_some(),
    )
    .map_err(Failure::Usage)?;
    let mut request = DisconnectRequest::new(args.target.room.as_str(), users);
    if let Some(reason) = &args.reason {
        request = request.with_reason(reason.as_str());
    }
    let provider = args.target.provider;

    // A bar only for lists longer than one call; indicatif hides it when stderr is not a terminal.
    let batch = provider
        .capabilities()
        .map_or(1, |caps| caps.max_users_per_call.get());
    let bar = if request.users().len() > batch && !args.dry_run {
        let bar = ProgressBar::with_draw_target(
            Some(request.users().len() as u64),
            ProgressDrawTarget::stderr(),
        );
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} users {elapsed} {msg}")
        {
            bar.set_style(style);
        }
        Some(bar)
    } else {
        None
    };
    let hook = Arc::new(KickHook::new(bar));
    let mut builder = builder(&args.target).with_audit(hook.clone());
    if let Some(deadline) = args.deadline {
        builder = builder.with_deadline(deadline.into());
    }
    let moderator = builder.build().await.map_err(Failure::Config)?;

    if args.dry_run {
        let plan = moderator.plan(&request).map_err(Failure::Config)?;
        println!(
            "{}",
            output::plan_text(provider.name(), &args.target.room, &plan)
        );
        return Ok(ExitCode::SUCCESS);
    }

    let started = std::time::Instant::now();
    let finished = tokio::select! {
        report = moderator.disconnect(&request) => Some(report.map_err(Failure::Config)?),
        _ = tokio::signal::ctrl_c() => None,
    };
    // On Ctrl-C the job's future was dropped above: the engine has told the hook a `cancelled`
    // outcome for every user it had not finished, so every user is printed either way.
    hook.finish();
    let report = match finished {
        Some(report) => report,
        None => {
            let (calls, throttled) = hook.calls();
            let users = hook.outcomes_for(&distinct(request.users()));
            let report =
                moderator::Report::new(RoomId::new(args.target.room.as_str()), users, calls, false)
                    .with_throttled(throttled)
                    .with_elapsed(started.elapsed());
            print_report(&args, provider, &report);
            eprintln!(
                "moderator: interrupted: calls in flight may or may not have removed their users; nothing else was sent"
            );
            return Ok(ExitCode::from(INTERRUPTED));
        }
    };
    print_report(&args, provider, &report);
    Ok(if report.all_gone() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Each user once, in first-seen order (as the report lists them).
fn distinct(users: &[UserId]) -> Vec<UserId> {
    let mut seen = HashSet::new();
    users
        .iter()
        .filter(|user| seen.insert(*user))
        .cloned()
        .collect()
}

fn print_report(args: &KickArgs, provider: Provider, report: &moderator::Report) {
    let mut stdout = std::io::stdout().lock();
    for entry in report.users() {
        let line = if args.json {
            output::user_json(provider.name(), &args.target.room, entry).to_string()
        } else {
            output::user_line(entry)
        };
        // A closed pipe (`| head`) is not worth a panic.
        let _ = writeln!(stdout, "{line}");
    }
    let summary = if args.json {
        output::summary_json(provider.name(), &args.target.room, report).to_string()
    } else {
        output::summary_line(report)
    };
    let _ = writeln!(stdout, "{summary}");
}

/// Removes everyone, after confirmation.
pub async fn kick_all(args: KickAllArgs) -> Result<ExitCode, Failure> {
    let provider = args.target.provider;
    if let Some(caps) = provider.capabilities()
        && !caps.disconnect_all
    {
        return Err(Failure::Usage(format!(
            "{provider} cannot remove everyone from a room at once"
        )));
    }
    if !args.yes {
        confirm(provider, &args.target.room)?;
    }
    let moderator: Arc<dyn Moderator> = builder(&args.target)
        .build()
        .await
        .map_err(Failure::Config)?;
    let reason = args.reason.as_deref().map(Reason::new);
    // `disconnect_all` answers `Err` both for a request refused before sending and for a provider
    // failure; the room and reason are checked here first, exactly as a kick would check them (a
    // one-user plan), so that a bad room is a usage error (exit 2) with nothing sent.
    let mut probe = DisconnectRequest::new(args.target.room.as_str(), ["x"]);
    if let Some(reason) = &reason {
        probe = probe.with_reason(reason.clone());
    }
    moderator.plan(&probe).map_err(Failure::Config)?;
    let room = output::terminal_safe(&args.target.room);
    match moderator
        .disconnect_all(&RoomId::new(args.target.room.as_str()), reason.as_ref())
        .await
    {
        Ok(moderator::RoomCleared::Native) => {
            println!("removed everyone from {room} on {provider}");
            Ok(ExitCode::SUCCESS)
        }
        Ok(moderator::RoomCleared::ListedAndKicked(report)) => {
            let summary = report.summary();
            println!(
                "removed {} of {} listed from {room} on {provider} ({} not there, {} failed)",
                summary.disconnected,
                report.users().len(),
                summary.not_in_room,
                summary.failed
            );
            Ok(if report.all_gone() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Err(error) => {
            eprintln!(
                "moderator: error: {}",
                output::terminal_safe(&error.to_string())
            );
            Ok(ExitCode::from(1))
        }
    }
}

/// Asks the operator to type the room id; refuses when nobody is there to ask.
fn confirm(provider: Provider, room: &str) -> Result<(), Failure> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::Usage(
            "kick-all removes everyone: confirm interactively or pass --yes".to_owned(),
        ));
    }
    eprint!(
        "This removes EVERYONE from room {} on {provider}. Type the room id to confirm: ",
        output::terminal_safe(room)
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin
        .read_line(&mut answer)
        .map_err(|e| Failure::Usage(format!("cannot read the confirmation: {e}")))?;
    if answer.trim() == room {
        Ok(())
    } else {
        Err(Failure::Usage("not confirmed; nothing was sent".to_owned()))
    }
}
