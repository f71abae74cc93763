//! Where `moderator kick` removes users: one `--provider/--room`, or several `--target
//! PROVIDER:ROOM` (the same users from each room, each built from its own provider's configuration).

use std::collections::HashSet;

use crate::Failure;
use crate::args::{KickArgs, TargetSpec};

/// The rooms to work, in the order given, each once.
pub fn resolve(args: &KickArgs) -> Result<Vec<TargetSpec>, Failure> {
    let targets = match (args.provider, &args.room) {
        (Some(provider), Some(room)) => vec![TargetSpec {
            provider,
            room: room.clone(),
        }],
        // clap requires --provider with --room and one of --provider or --target.
        _ => args.targets.clone(),
    };
    if targets.is_empty() {
        return Err(Failure::Usage(
            "no room given: use --provider and --room, or --target PROVIDER:ROOM".to_owned(),
        ));
    }
    let mut seen = HashSet::new();
    for target in &targets {
        if !seen.insert((target.provider, target.room.as_str())) {
            return Err(Failure::Usage(format!(
                "--target {}:{} is given twice",
                target.provider, target.room
            )));
        }
    }
    // One --endpoint cannot serve two providers; each provider's own variable can.
    if args.connection.endpoint.is_some()
        && targets.iter().any(|t| t.provider != targets[0].provider)
    {
        return Err(Failure::Usage(
            "--endpoint applies to one provider; with targets on several providers set each provider's endpoint variable instead (see --help)".to_owned(),
        ));
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};

    fn kick_args(line: &[&str]) -> KickArgs {
        let cli = Cli::try_parse_from(["moderator", "kick"].iter().chain(line)).expect("parses");
        match cli.command {
            Command::Kick(args) => args,
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_target_splits_at_the_first_colon() {
        let args = kick_args(&[
            "--target",
            "ivschat:arn:aws:ivschat:us-east-1:123:room/abc",
            "--target",
            "zego-zim:lobby",
            "--user",
            "a",
        ]);
        let targets = resolve(&args).unwrap();
        assert_eq!(targets[0].provider, room_moderator::Provider::IvsChat);
        assert_eq!(targets[0].room, "arn:aws:ivschat:us-east-1:123:room/abc");
        assert_eq!(targets[1].room, "lobby");
    }

    #[test]
    fn the_single_form_still_works_and_cannot_mix_with_targets() {
        let args = kick_args(&["--provider", "zego-rtc", "--room", "r", "--user", "a"]);
        let targets = resolve(&args).unwrap();
        assert_eq!(targets.len(), 1);
        assert_eq!(targets[0].provider, room_moderator::Provider::ZegoRtc);
        let mixed = Cli::try_parse_from([
            "moderator",
            "kick",
            "--provider",
            "zego-rtc",
            "--room",
            "r",
            "--target",
            "zego-zim:r",
            "--user",
            "a",
        ]);
        assert!(mixed.is_err());
        assert!(Cli::try_parse_from(["moderator", "kick", "--user", "a"]).is_err());
    }

    #[test]
    fn bad_targets_are_usage_errors() {
        for bad in ["lobby", "zoom:lobby", "zego-zim:"] {
            let parsed = Cli::try_parse_from(["moderator", "kick", "--target", bad, "--user", "a"]);
            assert!(parsed.is_err(), "{bad}");
        }
        let twice = kick_args(&[
            "--target",
            "zego-zim:a",
            "--target",
            "zego-zim:a",
            "--user",
            "u",
        ]);
        assert!(resolve(&twice).is_err());
        let endpoint = kick_args(&[
            "--target",
            "zego-zim:a",
            "--target",
            "zego-rtc:a",
            "--endpoint",
            "http://127.0.0.1:1",
            "--user",
            "u",
        ]);
        assert!(resolve(&endpoint).is_err());
    }
}
