//! `moderator kick` and `moderator kick-all`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use moderator::{
    AuditHook, Builder, DisconnectRequest, Moderator, Provider, Reason, RoomId, UserReport,
};

use crate::args::{KickAllArgs, KickArgs, Target};
use crate::{Failure, output, users};

/// Advances a progress bar as outcomes become final.
struct Progress(ProgressBar);

impl AuditHook for Progress {
    fn user_outcome(&self, _provider: &'static str, _room: &RoomId, _entry: &UserReport) {
        self.0.inc(1);
    }
}

fn builder(target: &Target) -> Builder {
    let mut builder = Builder::new(target.provider.into()).with_allow_http(target.allow_http);
    if let Some(endpoint) = &target.endpoint {
        builder = builder.with_endpoint(endpoint);
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
    let provider = Provider::from(args.target.provider);

    // A bar only for lists longer than one call; indicatif hides it when stderr is not a terminal.
    let batch = provider
        .capabilities()
        .map_or(1, |caps| caps.max_users_per_call.get());
    let bar = if request.users().len() > batch && !args.dry_run {
        let bar = ProgressBar::with_draw_target(
            Some(request.users().len() as u64),
            ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} users {elapsed}") {
            bar.set_style(style);
        }
        Some(bar)
    } else {
        None
    };
    let mut builder = builder(&args.target);
    if let Some(bar) = &bar {
        builder = builder.with_audit(Arc::new(Progress(bar.clone())));
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

    let report = moderator
        .disconnect(&request)
        .await
        .map_err(Failure::Config)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
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
    if !args.json {
        let _ = writeln!(stdout, "{}", output::summary_line(&report));
    }
    Ok(if report.all_gone() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Removes everyone, after confirmation.
pub async fn kick_all(args: KickAllArgs) -> Result<ExitCode, Failure> {
    let provider = Provider::from(args.target.provider);
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
    match moderator
        .disconnect_all(&RoomId::new(args.target.room.as_str()), reason.as_ref())
        .await
    {
        Ok(()) => {
            println!("removed everyone from {} on {provider}", args.target.room);
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("moderator: error: {error}");
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
    eprint!("This removes EVERYONE from room {room} on {provider}. Type the room id to confirm: ");
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
