//! `moderator token`: a join token issued through the provider (IVS Chat, EnableX; minted locally
//! for LiveKit and ZEGO), refused to a banned user before the provider is asked anything.
//!
//! The token is a secret: it goes to standard output, as the command's output, and nowhere else.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use room_moderator::{Error, ErrorKind, RoomId, TokenDecision, TokenOptions, UserId};
use serde_json::json;

use crate::args::TokenArgs;
use crate::ban::until_text;
use crate::{Failure, connect, output};

/// Issues the token and prints it; a banned user gets one line on stderr and exit 1.
pub async fn token(args: TokenArgs) -> Result<ExitCode, Failure> {
    let target = &args.target.target;
    let provider = target.provider;
    if provider
        .capabilities()
        .is_some_and(|caps| caps.tokens.is_none())
    {
        return Err(Failure::Config(
            Error::new(
                ErrorKind::Unsupported,
                "this provider's tokens are not issued server-side by moderator (tokens: ivschat, ivs-stages, enablex, livekit, zego-zim, zego-rtc)",
            )
            .with_provider(provider.name()),
        ));
    }
    let mut options = TokenOptions::new();
    for capability in &args.capabilities {
        options = options.with_capability(capability.as_str());
    }
    if let Some(duration) = args.session_duration {
        options = options.with_session_duration(duration.into());
    }
    if let Some(name) = &args.name {
        options = options.with_name(name.as_str());
    }
    if let Some(metadata) = &args.metadata {
        options = options.with_metadata(metadata.as_str());
    }
    if let Some(role) = &args.role {
        options = options.with_role(role.as_str());
    }
    let moderator = connect::build_with_store(&args.target).await?;
    connect::check_room(moderator.as_ref(), &target.room)?;
    let decision = match moderator
        .issue_token(
            &RoomId::new(target.room.as_str()),
            &UserId::new(args.user.as_str()),
            &options,
        )
        .await
    {
        Ok(decision) => decision,
        Err(error) => return connect::failed(error),
    };
    match decision {
        TokenDecision::Issued(token) => {
            if args.json {
                let line = json!({
                    "provider": provider.name(),
                    "room": target.room,
                    "user": args.user,
                    "token": token.secret(),
                    "expires_at_unix": token.expires_at.and_then(unix_secs),
                    "session_expires_at_unix": token.session_expires_at.and_then(unix_secs),
                });
                println!("{line}");
            } else {
                println!("{}", token.secret());
            }
            Ok(ExitCode::SUCCESS)
        }
        TokenDecision::Refused { until, reason } => {
            eprintln!(
                "moderator: refused: {} is banned from {} on {provider} until {}{}",
                output::terminal_safe(&args.user),
                output::terminal_safe(&target.room),
                until_text(until),
                reason.map_or(" (no reason given)".to_owned(), |reason| format!(
                    ": {}",
                    output::terminal_safe(&reason)
                ))
            );
            Ok(ExitCode::from(1))
        }
    }
}

fn unix_secs(at: SystemTime) -> Option<u64> {
    at.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}
