//! `moderator kick-all`: everyone out of a room, natively (one provider call) or by listing the
//! members, showing how many, and removing exactly that list, after confirmation.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use room_moderator::{DisconnectRequest, Provider, Reason, RoomClear, RoomId, StopSignal};

use crate::args::KickAllArgs;
use crate::hook::KickHook;
use crate::interrupt::{self, Ended, Interrupts};
use crate::kick::{self, print_report};
use crate::{Failure, connect, output};

/// Removes everyone, after confirmation.
pub async fn kick_all(args: KickAllArgs) -> Result<ExitCode, Failure> {
    let provider = args.target.provider;
    let clear = provider
        .capabilities()
        .map_or(RoomClear::Unsupported, |caps| caps.room_clear());
    if clear == RoomClear::Unsupported {
        return Err(Failure::Usage(format!(
            "{provider} cannot remove everyone from a room: it can neither clear a room nor list its members"
        )));
    }
    // Nobody to ask and no --yes: refuse before anything is sent (listing included).
    if !args.yes && !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(
            "kick-all removes everyone: confirm interactively or pass --yes".to_owned(),
        ));
    }
    // The moderator stops sending on it, at the first Ctrl-C (or SIGTERM) once the job runs; the
    // hook keeps every outcome, for a job abandoned at a second one.
    let stop = StopSignal::new();
    let hook = Arc::new(KickHook::new(None));
    let moderator = connect::builder(provider, &args.target.connection)
        .with_audit(hook.clone())
        .with_stop(&stop)
        .build()
        .await
        .map_err(Failure::Config)?;
    let reason = args.reason.as_deref().map(Reason::new);
    // The room and reason are checked first, exactly as a kick would check them (a one-user plan),
    // so that a bad room is a usage error (exit 2) with nothing sent.
    let mut probe = DisconnectRequest::new(args.target.room.as_str(), ["x"]);
    if let Some(reason) = &reason {
        probe = probe.with_reason(reason.clone());
    }
    moderator.plan(&probe).map_err(Failure::Config)?;
    let room = RoomId::new(args.target.room.as_str());
    let shown = output::terminal_safe(&args.target.room);

    if moderator.capabilities().room_clear() == RoomClear::Native {
        if !args.yes {
            confirm(provider, &args.target.room, None)?;
        }
        let mut interrupts = Interrupts::listen(&stop);
        let (cleared, stopped) = match interrupts
            .run(moderator.disconnect_all(&room, reason.as_ref()))
            .await
        {
            Ended::Done { value, stopped } => (value, stopped),
            Ended::Abandoned => return Ok(interrupt::abandoned_exit("everyone")),
        };
        let code = match cleared {
            Ok(room_moderator::RoomCleared::Native) => {
                println!("removed everyone from {shown} on {provider}");
                ExitCode::SUCCESS
            }
            Ok(room_moderator::RoomCleared::ListedAndKicked(report)) => {
                print_report(args.json, provider, &args.target.room, &report);
                exit_for(report.all_gone())
            }
            Err(error) if !stopped => return connect::failed(error),
            // Stopped before the one call went out: not a usage error, whatever the error says.
            Err(error) => connect::error_exit(&error),
        };
        return Ok(if stopped {
            interrupt::stopped_exit()
        } else {
            code
        });
    }

    // List and kick: the operator sees how many before confirming, and exactly those are removed.
    let members = match moderator.members(&room).await {
        Ok(members) => members,
        Err(error) => return connect::failed(error),
    };
    if members.is_empty() {
        println!("nobody is in {shown} on {provider}; nothing to remove");
        return Ok(ExitCode::SUCCESS);
    }
    let count = format!(
        "{} member{} in {shown} on {provider}: about to remove {}",
        members.len(),
        if members.len() == 1 { "" } else { "s" },
        if members.len() == 1 { "it" } else { "them all" }
    );
    // Standard output stays JSON lines only with --json.
    if args.json {
        eprintln!("{count}");
    } else {
        println!("{count}");
    }
    if !args.yes {
        confirm(provider, &args.target.room, Some(members.len()))?;
    }
    // They were just listed: no presence check before the kick.
    let mut request = DisconnectRequest::new(room, members.into_iter().map(|member| member.id))
        .without_presence_check();
    if let Some(reason) = reason {
        request = request.with_reason(reason);
    }
    let started = std::time::Instant::now();
    let mut interrupts = Interrupts::listen(&stop);
    let (kicked, stopped) = match interrupts.run(moderator.disconnect(&request)).await {
        Ended::Done { value, stopped } => (value, stopped),
        Ended::Abandoned => {
            // Every user as the hook heard them: the engine told it a `cancelled` outcome for
            // each user not finished when the job's future was dropped.
            let report = kick::heard(
                &hook,
                provider,
                &args.target.room,
                request.users(),
                started.elapsed(),
            );
            print_report(args.json, provider, &args.target.room, &report);
            return Ok(interrupt::abandoned_exit("their users"));
        }
    };
    match kicked {
        Ok(report) => {
            print_report(args.json, provider, &args.target.room, &report);
            if stopped {
                return Ok(interrupt::stopped_exit());
            }
            Ok(exit_for(report.all_gone()))
        }
        Err(error) => Err(Failure::Config(error)),
    }
}

fn exit_for(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Asks the operator to type the room id; refuses when nobody is there to ask.
fn confirm(provider: Provider, room: &str, members: Option<usize>) -> Result<(), Failure> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::Usage(
            "kick-all removes everyone: confirm interactively or pass --yes".to_owned(),
        ));
    }
    let who = match members {
        Some(n) => format!("the {n} listed member{}", if n == 1 { "" } else { "s" }),
        None => "EVERYONE".to_owned(),
    };
    eprint!(
        "This removes {who} from room {} on {provider}. Type the room id to confirm: ",
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
        Err(Failure::Usage(
            "not confirmed; nobody was removed".to_owned(),
        ))
    }
}
