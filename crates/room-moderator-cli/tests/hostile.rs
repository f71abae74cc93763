//! The `moderator` binary against input chosen to hurt it: user ids and provider messages carrying
//! terminal escape sequences, user files as Windows and spreadsheets write them, very long lists,
//! and the exit status contract (0 all out, 1 the provider was called and some user could not be
//! removed, 2 nothing was sent) for every subcommand that talks to a provider.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use room_moderator_emulator::{Emulator, Fault};

mod common;
use common::{enablex_kick_all, moderator, run, without_aws_environment, zim_kick};

/// An id that, printed raw, sets the terminal title, turns the text red, rings the bell, moves the
/// cursor home and reverses what follows (Trojan Source).
const HOSTILE: &str = "\u{1b}]0;owned\u{7}\u{1b}[31mmallory\u{1b}[H\u{202e}txt.exe\r";

/// What a terminal could act on in program output: C0/C1 controls (newlines between lines aside) and
/// bidirectional overrides.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

fn assert_terminal_safe(output: &Output) {
    for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            raw_controls(&text).is_empty(),
            "{name} carries raw control characters: {text:?}"
        );
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> Self {
        let path = std::env::temp_dir().join(format!(
            "moderator-hostile-{name}-{}.txt",
            std::process::id()
        ));
        std::fs::write(&path, bytes).expect("a temporary file");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// IVS Chat takes any character in a user id (up to 128), so a hostile id reaches the output.
fn ivs_kick(emulator: &Emulator) -> Command {
    let ivs = emulator.ivschat();
    let mut command = moderator();
    let home = std::env::temp_dir().join("moderator-hostile-no-aws-home");
    without_aws_environment(&mut command, &home);
    command
        .env("AWS_REGION", ivs.region())
        .env("AWS_ACCESS_KEY_ID", ivs.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", ivs.secret_access_key())
        .args(["kick", "--provider", "ivschat", "--room"])
        .arg(ivs.room_arn("lobby"))
        .arg("--endpoint")
        .arg(ivs.base_url());
    if let Some(token) = ivs.session_token() {
        command.env("AWS_SESSION_TOKEN", token);
    }
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_user_id_is_escaped_for_people_and_exact_in_json() {
    let emulator = Emulator::start().await.expect("emulators start");
    let ivs = emulator.ivschat();
    ivs.seed_room(&ivs.room_arn("lobby"), [HOSTILE, "bob"]);

    let mut human = ivs_kick(&emulator);
    human.args(["-vv", "--user", HOSTILE]);
    let output = run(human).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_terminal_safe(&output);
    let text = stdout(&output);
    assert!(
        text.contains("\\u{1b}]0;owned\\u{7}\\u{1b}[31mmallory\\u{1b}[H\\u{202e}txt.exe\\r"),
        "the id is shown, escaped: {text}"
    );
    assert_eq!(
        ivs.members(&ivs.room_arn("lobby")),
        Some(vec!["bob".to_owned()]),
        "the exact id was sent"
    );

    ivs.seed_room(&ivs.room_arn("lobby"), [HOSTILE]);
    let mut json = ivs_kick(&emulator);
    json.args(["--json", "--user", HOSTILE]);
    let output = run(json).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // serde_json writes C0 controls as `\u001b`; the line still decodes to the exact id.
    let text = stdout(&output);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    let first = stdout(&output);
    let first = first.lines().next().expect("one line per user");
    let value: serde_json::Value = serde_json::from_str(first).expect("JSON");
    assert_eq!(value["user"], HOSTILE, "JSON keeps the id exact");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_provider_message_is_escaped_and_the_kick_exits_one() {
    let emulator = Emulator::start().await.expect("emulators start");
    let zim = emulator.zego().zim();
    zim.seed_room("lobby", ["alice"]);
    // ZEGO code 2 ("input parameter error") is a permanent failure of the call: not retried.
    zim.controls().push_fault(Fault::Status {
        status: 200,
        body: r#"{"Code": 2, "Message": "\u001b]0;owned\u0007\u001b[2J\u001b[Hall good\r\n", "RequestId": "\u001b[31mr-1"}"#
            .to_owned(),
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
    });
    let mut command = zim_kick(&emulator);
    // The scripted answer is for the kick itself, not a presence check before it.
    command.args(["--user", "alice", "--no-presence-check"]);
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_terminal_safe(&output);
    let text = stdout(&output);
    // Core already flattens a provider's words to one line (controls become spaces); the request
    // id is quoted as sent, so the CLI escapes it.
    assert!(
        text.contains("failed") && text.contains("all good") && text.contains("\\u{1b}[31mr-1"),
        "the message is shown, escaped: {text}"
    );
    assert_eq!(zim.members("lobby"), Some(vec!["alice".to_owned()]));
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_quoting_hostile_text_are_escaped_and_exit_two() {
    let emulator = Emulator::start().await.expect("emulators start");
    // A file name and an id that the ZIM rules refuse: both are quoted in the error.
    let mut missing_file = zim_kick(&emulator);
    missing_file.args(["--users-file", "/nonexistent/\u{1b}[2Jusers.txt"]);
    let output = run(missing_file).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_terminal_safe(&output);
    assert!(
        stderr(&output).contains("\\u{1b}[2Jusers.txt"),
        "{}",
        stderr(&output)
    );

    let mut bad_id = zim_kick(&emulator);
    bad_id.args(["--user", "\u{1b}[2Jx"]);
    let output = run(bad_id).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_terminal_safe(&output);
    assert!(
        stderr(&output).contains("invalid input"),
        "{}",
        stderr(&output)
    );
    assert_eq!(emulator.zego().zim().controls().counters().requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_windows_users_file_with_bom_crlf_and_blank_lines_kicks_exactly_its_users() {
    let emulator = Emulator::start().await.expect("emulators start");
    let zim = emulator.zego().zim();
    zim.seed_room("lobby", ["alice", "bob", "carol", "dave"]);
    let file = TempFile::new(
        "windows",
        b"\xef\xbb\xbfalice\r\n\r\n  bob  \r\n\t\r\n# not a user\r\ncarol\r\n\r\n",
    );
    let mut command = zim_kick(&emulator);
    command.arg("--users-file").arg(&file.0).arg("--json");
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let users: Vec<String> = stdout(&output)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|value| value["user"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(users, ["alice", "bob", "carol"]);
    assert_eq!(zim.members("lobby"), Some(vec!["dave".to_owned()]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_thousand_line_file_is_read_whole() {
    let emulator = Emulator::start().await.expect("emulators start");
    let mut text = String::from("\u{feff}");
    for i in 0..100_000 {
        text.push_str(&format!("user-{i}\r\n"));
        if i % 1000 == 0 {
            text.push_str("\r\n");
        }
    }
    let file = TempFile::new("large", text.as_bytes());
    let mut command = zim_kick(&emulator);
    command.arg("--users-file").arg(&file.0).arg("--dry-run");
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let plan = stdout(&output);
    assert!(plan.contains("users: 100000 distinct"), "{plan}");
    assert!(
        plan.contains("calls: 2000 (batch sizes: 50 x 2000)"),
        "{plan}"
    );
    assert_eq!(emulator.zego().zim().controls().counters().requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn kick_exit_codes() {
    let emulator = Emulator::start().await.expect("emulators start");
    let zim = emulator.zego().zim();
    zim.seed_room("lobby", ["alice"]);

    let mut all_out = zim_kick(&emulator);
    all_out.args(["--user", "alice", "--user", "ghost"]);
    let output = run(all_out).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "0: everyone asked for is out: {}",
        stderr(&output)
    );

    zim.seed_room("lobby", ["alice"]);
    zim.controls().push_fault(Fault::Status {
        status: 200,
        body: r#"{"Code": 2, "Message": "bad"}"#.to_owned(),
        headers: Vec::new(),
    });
    let mut failed = zim_kick(&emulator);
    // The scripted answer is for the kick itself, not a presence check before it.
    failed.args(["--user", "alice", "--no-presence-check"]);
    let output = run(failed).await;
    assert_eq!(
        output.status.code(),
        Some(1),
        "1: the provider refused: {}",
        stderr(&output)
    );

    let before = zim.controls().counters().requests;
    let mut no_config = moderator();
    no_config.args([
        "kick",
        "--provider",
        "zego-zim",
        "--room",
        "lobby",
        "--user",
        "a",
    ]);
    assert_eq!(
        run(no_config).await.status.code(),
        Some(2),
        "2: no configuration"
    );
    let mut invalid_room = zim_kick(&emulator);
    invalid_room.args(["--room", "no spaces allowed", "--user", "alice"]);
    assert_eq!(
        run(invalid_room).await.status.code(),
        Some(2),
        "2: invalid room"
    );
    let empty = TempFile::new("empty", b"\xef\xbb\xbf\r\n\r\n");
    let mut no_users = zim_kick(&emulator);
    no_users.arg("--users-file").arg(&empty.0);
    let output = run(no_users).await;
    assert_eq!(
        output.status.code(),
        Some(2),
        "2: an empty list is never everyone"
    );
    assert!(
        stderr(&output).contains("never means everyone"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        zim.controls().counters().requests,
        before,
        "nothing was sent for any 2"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kick_all_exits_zero_when_the_room_is_cleared() {
    let emulator = Emulator::start().await.expect("emulators start");
    emulator.enablex().seed_room("stage", ["a", "b"]);
    let mut command = enablex_kick_all(&emulator, "stage");
    command.arg("--yes");
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        emulator.enablex().members("stage").unwrap_or_default(),
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kick_all_exits_one_when_the_provider_was_called_and_failed() {
    let emulator = Emulator::start().await.expect("emulators start");
    let enablex = emulator.enablex();
    enablex.seed_room("stage", ["a", "b"]);
    // The provider refuses the moderator token on every attempt: the request left, and failed.
    enablex.controls().push_faults(
        32,
        Fault::Status {
            status: 403,
            body: r#"{"result": 1, "error": "\u001b[2Jforbidden"}"#.to_owned(),
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        },
    );
    let mut command = enablex_kick_all(&emulator, "stage");
    command.arg("--yes");
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        enablex.controls().counters().requests > 0,
        "the provider was called"
    );
    assert_eq!(enablex.members("stage").map(|m| m.len()), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn kick_all_exits_two_when_nothing_was_sent() {
    let emulator = Emulator::start().await.expect("emulators start");
    let enablex = emulator.enablex();
    enablex.seed_room("stage", ["a", "b"]);

    let mut unconfirmed = enablex_kick_all(&emulator, "stage");
    unconfirmed.stdin(Stdio::null());
    let output = run(unconfirmed).await;
    assert_eq!(
        output.status.code(),
        Some(2),
        "no confirmation: {}",
        stderr(&output)
    );

    let mut no_config = moderator();
    no_config.args([
        "kick-all",
        "--provider",
        "enablex",
        "--room",
        "stage",
        "--yes",
    ]);
    let output = run(no_config).await;
    assert_eq!(
        output.status.code(),
        Some(2),
        "no configuration: {}",
        stderr(&output)
    );

    let mut unsupported = moderator();
    unsupported.args(["kick-all", "--provider", "ivschat", "--room", "r", "--yes"]);
    let output = run(unsupported).await;
    assert_eq!(
        output.status.code(),
        Some(2),
        "unsupported: {}",
        stderr(&output)
    );

    assert_eq!(
        enablex.controls().counters().requests,
        0,
        "nothing was sent"
    );
    assert_eq!(enablex.members("stage").map(|m| m.len()), Some(2));
}

/// An invalid room is refused before sending, so it is a usage error (2), not a failure (1).
#[tokio::test(flavor = "multi_thread")]
async fn kick_all_with_an_invalid_room_exits_two_and_sends_nothing() {
    let emulator = Emulator::start().await.expect("emulators start");
    let mut command = enablex_kick_all(&emulator, "no spaces \u{1b}[2J allowed");
    command.arg("--yes");
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_terminal_safe(&output);
    assert_eq!(emulator.enablex().controls().counters().requests, 0);
}
