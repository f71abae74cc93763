//! `moderator kick`: the same users removed from one room or from several (`--target`), the rooms
//! worked in parallel, one report per room.

use std::collections::HashSet;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use room_moderator::{
    DisconnectRequest, Error, ErrorKind, Moderator, Outcome, Plan, Provider, Report, RoomId,
    StopSignal, UserId, UserReport,
};
use tokio::task::JoinSet;

use crate::args::{KickArgs, TargetSpec};
use crate::hook::KickHook;
use crate::interrupt::{self, Ended, Interrupts};
use crate::{Failure, connect, output, targets, users};

/// One room's job: built, validated and planned before anything is sent anywhere.
struct Job {
    provider: Provider,
    room: String,
    moderator: Arc<dyn Moderator>,
    request: DisconnectRequest,
    plan: Plan,
    hook: Arc<KickHook>,
}

/// Removes the given users from every target and prints their outcomes.
pub async fn kick(args: KickArgs) -> Result<ExitCode, Failure> {
    let users = users::from_args(&args.users)?;
    let targets = targets::resolve(&args)?;
    // Several bars share stderr through one MultiProgress; indicatif hides them off a terminal.
    let bars = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let mut jobs = Vec::with_capacity(targets.len());
    // Every moderator stops sending on it: at the first Ctrl-C (or SIGTERM).
    let stop = StopSignal::new();
    // Every room is configured and validated before anything is sent to any of them.
    for target in &targets {
        jobs.push(prepare(&args, target, &users, &bars, &stop).await?);
    }

    if args.dry_run {
        let mut stdout = std::io::stdout().lock();
        for (index, job) in jobs.iter().enumerate() {
            if index > 0 {
                let _ = writeln!(stdout);
            }
            let _ = writeln!(
                stdout,
                "{}",
                output::plan_text(job.provider.name(), &job.room, &job.plan)
            );
            let caps = job.moderator.capabilities();
            if let Some(line) = output::presence_text(&job.plan, &caps, args.no_presence_check) {
                let _ = writeln!(stdout, "{line}");
            }
        }
        return Ok(ExitCode::SUCCESS);
    }

    // From here on the first interrupt stops sending and drains; a second abandons.
    let mut interrupts = Interrupts::listen(&stop);
    let started = std::time::Instant::now();
    let mut running = JoinSet::new();
    for (index, job) in jobs.iter().enumerate() {
        let moderator = job.moderator.clone();
        let request = job.request.clone();
        running.spawn(async move { (index, moderator.disconnect(&request).await) });
    }
    let mut reports: Vec<Option<Report>> = jobs.iter().map(|_| None).collect();
    let mut refused = None;
    let ended = interrupts
        .run(async {
            while let Some(joined) = running.join_next().await {
                match joined {
                    Ok((index, Ok(report))) => reports[index] = Some(report),
                    // `Err` means nothing was sent for that room (validated above, so rare).
                    Ok((_, Err(error))) => refused = Some(error),
                    // A task that panicked: its users are reported from what the hook heard.
                    Err(_) => {}
                }
            }
        })
        .await;
    let (stopped, abandoned) = match ended {
        Ended::Done { stopped, .. } => (stopped, false),
        Ended::Abandoned => (true, true),
    };
    if abandoned {
        // Dropping the jobs' futures makes the engine tell the hooks a `cancelled` outcome for every
        // user not finished; wait until every task is gone so that all of them are heard.
        running.shutdown().await;
    }
    let mut all_gone = true;
    for (index, job) in jobs.iter().enumerate() {
        job.hook.finish();
        let report = reports[index]
            .take()
            .unwrap_or_else(|| heard_report(job, started.elapsed()));
        all_gone &= report.all_gone();
        if jobs.len() > 1 && !args.json {
            println!(
                "{}{} {}:",
                if index > 0 { "\n" } else { "" },
                job.provider,
                output::terminal_safe(&job.room)
            );
        }
        print_report(args.json, job.provider, &job.room, &report);
    }
    if abandoned {
        return Ok(interrupt::abandoned_exit("their users"));
    }
    if stopped {
        return Ok(interrupt::stopped_exit());
    }
    if let Some(error) = refused {
        return Ok(connect::error_exit(&error));
    }
    Ok(if all_gone {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Builds one room's moderator from its provider's configuration and plans its request.
async fn prepare(
    args: &KickArgs,
    target: &TargetSpec,
    users: &[String],
    bars: &MultiProgress,
    stop: &StopSignal,
) -> Result<Job, Failure> {
    let mut request =
        DisconnectRequest::new(target.room.as_str(), users.iter().map(String::as_str));
    if let Some(reason) = &args.reason {
        request = request.with_reason(reason.as_str());
    }
    if args.no_presence_check {
        request = request.without_presence_check();
    }
    // A bar only for lists longer than one call.
    let batch = target
        .provider
        .capabilities()
        .map_or(1, |caps| caps.max_users_per_call.get());
    let bar = (request.users().len() > batch && !args.dry_run).then(|| {
        let bar = bars.add(ProgressBar::new(request.users().len() as u64));
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} users {{elapsed}} {} {{msg}}",
            target.provider
        )) {
            bar.set_style(style);
        }
        bar
    });
    let hook = Arc::new(KickHook::new(bar));
    let moderator = connect::builder(target.provider, &args.connection)
        .with_audit(hook.clone())
        .with_stop(stop)
        .build()
        .await
        .map_err(Failure::Config)?;
    let plan = moderator.plan(&request).map_err(Failure::Config)?;
    Ok(Job {
        provider: target.provider,
        room: target.room.clone(),
        moderator,
        request,
        plan,
        hook,
    })
}

/// The report of a job that did not finish (abandoned at a second Ctrl-C): every user's outcome as
/// the hook heard it, and `cancelled` (not sent) for any user it heard nothing about (the job was
/// stopped before its kicks began, during the presence check say), so that every user is still
/// printed once.
fn heard_report(job: &Job, elapsed: std::time::Duration) -> Report {
    heard(
        &job.hook,
        job.provider,
        &job.room,
        job.request.users(),
        elapsed,
    )
}

/// What `hook` heard of a kick of `requested` from `room` that was abandoned: see [`heard_report`].
pub fn heard(
    hook: &KickHook,
    provider: Provider,
    room: &str,
    requested: &[UserId],
    elapsed: std::time::Duration,
) -> Report {
    let (calls, throttled) = hook.calls();
    let users = distinct(requested);
    let mut heard = hook.outcomes_for(&users).into_iter().peekable();
    let users = users
        .into_iter()
        .map(|user| match heard.next_if(|entry| entry.user == user) {
            Some(entry) => entry,
            None => UserReport {
                user,
                outcome: Outcome::Failed(
                    Error::new(
                        ErrorKind::Cancelled,
                        "not sent: the request was cancelled first",
                    )
                    .with_provider(provider.name()),
                ),
                attempts: 0,
            },
        })
        .collect();
    Report::new(RoomId::new(room), users, calls, false)
        .with_throttled(throttled)
        .with_elapsed(elapsed)
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

/// One line per user, then the summary; as JSON objects with `json`.
pub fn print_report(json: bool, provider: Provider, room: &str, report: &Report) {
    let mut stdout = std::io::stdout().lock();
    for entry in report.users() {
        let line = if json {
            output::user_json(provider.name(), room, entry).to_string()
        } else {
            output::user_line(entry)
        };
        // A closed pipe (`| head`) is not worth a panic.
        let _ = writeln!(stdout, "{line}");
    }
    let summary = if json {
        output::summary_json(provider.name(), room, report).to_string()
    } else {
        output::summary_line(report)
    };
    let _ = writeln!(stdout, "{summary}");
}
