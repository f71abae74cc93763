//! What the ban tests share (`bans.rs`, `ban_store.rs`): a room command's arguments, the exit code
//! check, the users `bans --json` lists, and the checks on a token refused or issued.

use std::process::{Command, Output};

use room_moderator_emulator::ivschat::IvsChatEmulator;

use super::{json_lines, run, stderr, stdout};

/// `<verb> --provider <provider> --room <room>`, `--user <user>` for each of `users`, then `rest`.
pub fn room_args<'a>(
    verb: &'a str,
    provider: &'a str,
    room: &'a str,
    users: &[&'a str],
    rest: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![verb, "--provider", provider, "--room", room];
    for user in users {
        args.extend(["--user", user]);
    }
    args.extend(rest);
    args
}

/// The process ended with `code`; both streams shown when it did not.
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
}

/// Runs `command` (off the async runtime) and checks that it ended with `code`.
pub async fn run_expecting(command: Command, code: i32) -> Output {
    let output = run(command).await;
    assert_exit(&output, code);
    output
}

/// The lines of `text` that start with `outcome` (`banned`, `lifted`, `failed`, ...).
pub fn lines_of<'t>(text: &'t str, outcome: &str) -> impl Iterator<Item = &'t str> {
    text.lines().filter(move |line| line.starts_with(outcome))
}

/// The users `bans --json` lists, in its order (the summary line left out).
pub fn listed(output: &Output) -> Vec<String> {
    let lines = json_lines(output);
    let (_summary, bans) = lines.split_last().expect("a summary line");
    bans.iter()
        .map(|ban| ban["user"].as_str().expect("a user").to_owned())
        .collect()
}

/// A `token` refused: exit code 1 and no token on standard output. Its standard error.
pub fn refused(output: &Output) -> String {
    assert_exit(output, 1);
    assert!(stdout(output).is_empty(), "no token: {}", stdout(output));
    stderr(output)
}

/// A `token` issued: exit code 0 and the token on standard output. The token, trimmed.
pub fn issued(output: &Output) -> String {
    assert_exit(output, 0);
    let token = stdout(output).trim().to_owned();
    assert!(!token.is_empty(), "a token: {}", stderr(output));
    token
}

/// The IVS Chat emulator's calls so far, to the room API (DisconnectUser) and to the token API
/// (CreateChatToken).
pub struct IvsCalls {
    rooms: u64,
    tokens: u64,
}

impl IvsCalls {
    pub fn of(ivs: &IvsChatEmulator) -> Self {
        IvsCalls {
            rooms: ivs.controls().counters().requests,
            tokens: ivs.token_controls().counters().requests,
        }
    }

    /// Neither API was called since, and no token was ever issued: a refusal that asked nobody.
    pub fn assert_none_since(&self, ivs: &IvsChatEmulator) {
        assert_eq!(
            ivs.controls().counters().requests,
            self.rooms,
            "the provider was not asked"
        );
        assert_eq!(
            ivs.token_controls().counters().requests,
            self.tokens,
            "no token call"
        );
        assert!(ivs.chat_tokens().is_empty(), "no token was issued");
    }
}
