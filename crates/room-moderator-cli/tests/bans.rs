//! Bans through the binary, against the embedded emulators and a ban store file shared by the
//! processes: `ban`, then `bans`, `unban`, and `token` refusing a banned user without calling the
//! provider while issuing one to anybody else.

use std::process::Output;

use room_moderator_emulator::Emulator;

mod common;
use common::bans::{IvsCalls, issued, lines_of, listed, refused, room_args, run_expecting};
use common::{TempDir, configured, json_lines, run, stderr, stdout};

/// The command with `--store` pointing at this test's ban store file.
fn with_store(emulator: &Emulator, dir: &TempDir, args: &[&str]) -> std::process::Command {
    let store = dir.path().join("bans.db");
    let mut command = configured(emulator, dir.path(), args);
    command.arg("--store").arg(&store);
    command
}

/// Runs `args` with this test's ban store and checks that the process ended with `code`.
async fn run_with_store(emulator: &Emulator, dir: &TempDir, args: &[&str], code: i32) -> Output {
    run_expecting(with_store(emulator, dir, args), code).await
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[tokio::test(flavor = "multi_thread")]
async fn ban_then_bans_then_unban_on_rtc() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("bans-rtc");
    let rtc = emulator.zego().rtc();
    rtc.seed_room("stage", ["troll", "regular"]);

    let before = now_unix();
    let output = run_with_store(
        &emulator,
        &dir,
        &room_args(
            "ban",
            "zego-rtc",
            "stage",
            &["troll", "raider"],
            &[
                "--duration",
                "1h",
                "--reason",
                "spam",
                "--by",
                "alice",
                "--json",
            ],
        ),
        0,
    )
    .await;
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0]["user"], "troll");
    assert_eq!(lines[0]["outcome"], "banned");
    assert_eq!(lines[0]["provider"], "zego-rtc");
    let until = lines[0]["until_unix"].as_u64().expect("until");
    assert!(
        (before + 3600..=now_unix() + 3600).contains(&until),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1]["user"], "raider");
    assert!(
        ["banned", "not_in_room"].contains(&lines[1]["outcome"].as_str().unwrap_or_default()),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2]["summary"]["failed"], 0);
    assert_eq!(rtc.members("stage"), Some(vec!["regular".to_owned()]));
    assert!(
        rtc.ban_rules()
            .iter()
            .any(|rule| format!("{rule:?}").contains("troll")),
        "a native rule: {:?}",
        rtc.ban_rules()
    );

    let output = run_with_store(
        &emulator,
        &dir,
        &room_args("bans", "zego-rtc", "stage", &[], &[]),
        0,
    )
    .await;
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "2 bans in stage on zego-rtc", "{text}");
    assert!(lines[1].starts_with("user"), "{text}");
    let troll = lines
        .iter()
        .find(|l| l.starts_with("troll"))
        .expect("troll's ban");
    assert!(troll.contains("spam") && troll.contains("alice"), "{troll}");

    let output = run_with_store(
        &emulator,
        &dir,
        &room_args("unban", "zego-rtc", "stage", &["troll", "nobody"], &[]),
        0,
    )
    .await;
    let text = stdout(&output);
    assert!(
        lines_of(&text, "lifted").any(|l| l.ends_with("troll")),
        "{text}"
    );
    assert!(
        lines_of(&text, "not banned").any(|l| l.ends_with("nobody")),
        "{text}"
    );

    let output = run_with_store(
        &emulator,
        &dir,
        &room_args("bans", "zego-rtc", "stage", &[], &["--json"]),
        0,
    )
    .await;
    let lines = json_lines(&output);
    let (summary, bans) = lines.split_last().expect("a summary");
    assert_eq!(summary["summary"]["bans"], 1, "{lines:?}");
    assert_eq!(bans[0]["user"], "raider");
    assert_eq!(bans[0]["reason"], "spam");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_banned_user_gets_no_token_and_the_provider_is_not_called() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("bans-token");
    let ivs = emulator.ivschat();
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["troll", "regular"]);

    let output = run_with_store(
        &emulator,
        &dir,
        &room_args(
            "ban",
            "ivschat",
            &room,
            &["troll"],
            &["--reason", "hate speech"],
        ),
        0,
    )
    .await;
    let text = stdout(&output);
    assert!(
        lines_of(&text, "banned").any(|l| l.contains("troll") && l.contains("until lifted")),
        "{text}"
    );
    assert_eq!(ivs.members(&room), Some(vec!["regular".to_owned()]));

    let calls = IvsCalls::of(ivs);
    let token = with_store(
        &emulator,
        &dir,
        &room_args("token", "ivschat", &room, &["troll"], &[]),
    );
    let error = refused(&run(token).await);
    assert_eq!(error.lines().count(), 1, "one line: {error}");
    assert!(
        error.contains("troll")
            && error.contains(&room)
            && error.contains("lifted")
            && error.contains("hate speech"),
        "{error}"
    );
    calls.assert_none_since(ivs);

    let token = with_store(
        &emulator,
        &dir,
        &room_args(
            "token",
            "ivschat",
            &room,
            &["regular"],
            &[
                "--capability",
                "SEND_MESSAGE",
                "--session-duration",
                "30m",
                // Debug traces of every crate: the token must still appear only on stdout.
                "-vv",
            ],
        ),
    );
    let output = run(token).await;
    let token = issued(&output);
    assert!(!token.contains(' '), "{token:?}");
    assert_eq!(ivs.chat_tokens().len(), 1, "one token issued");
    assert!(
        !stderr(&output).contains(&token),
        "the token is only on stdout"
    );

    let output = run_with_store(
        &emulator,
        &dir,
        &room_args("token", "ivschat", &room, &["regular"], &["--json"]),
        0,
    )
    .await;
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0]["token"].as_str().is_some_and(|t| !t.is_empty()),
        "{}",
        lines[0]
    );
    assert_eq!(lines[0]["user"], "regular");
}

#[tokio::test(flavor = "multi_thread")]
async fn enablex_issues_tokens_and_refuses_them_after_a_ban() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("bans-enablex");
    let enablex = emulator.enablex();
    enablex.seed_room("stage", ["alice"]);

    let token = with_store(
        &emulator,
        &dir,
        &room_args(
            "token",
            "enablex",
            "stage",
            &["bob"],
            &["--name", "Bob", "--role", "participant"],
        ),
    );
    issued(&run(token).await);

    let output = run_with_store(
        &emulator,
        &dir,
        &room_args(
            "ban",
            "enablex",
            "stage",
            &["bob"],
            &["--duration", "10m", "--reason", "spam"],
        ),
        0,
    )
    .await;
    assert!(
        stdout(&output).contains("not in room"),
        "{}",
        stdout(&output)
    );

    let token = with_store(
        &emulator,
        &dir,
        &room_args("token", "enablex", "stage", &["bob"], &[]),
    );
    let error = refused(&run(token).await);
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(error.contains("bob") && error.contains("spam"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_ban_and_token_requests_exit_two_before_sending() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("bans-bad");
    let rtc = emulator.zego().rtc();
    rtc.seed_room("stage", ["troll"]);
    for args in [
        // No users: an empty list never means everyone.
        room_args("ban", "zego-rtc", "stage", &[], &[]),
        room_args(
            "ban",
            "zego-rtc",
            "stage",
            &["troll"],
            &["--duration", "soon"],
        ),
        room_args("unban", "zego-rtc", "stage", &[], &[]),
        // Agora's join tokens are the application's, not moderator's.
        room_args("token", "agora-rtc", "stage", &["42"], &[]),
        room_args("token", "ivschat", "stage", &[], &[]),
    ] {
        let output = run_with_store(&emulator, &dir, &args, 2).await;
        assert!(
            stderr(&output).starts_with("error:")
                || stderr(&output).starts_with("moderator: error:"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert_eq!(rtc.controls().counters().requests, 0);
    assert_eq!(rtc.members("stage"), Some(vec!["troll".to_owned()]));
}

#[tokio::test(flavor = "multi_thread")]
async fn native_rules_not_enabled_is_one_warning_and_the_ban_still_holds() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("bans-warning");
    let rtc = emulator.zego().rtc();
    rtc.seed_room("stage", ["troll", "raider"]);
    rtc.set_ban_rules_enabled(false);
    let output = run_with_store(
        &emulator,
        &dir,
        &room_args("ban", "zego-rtc", "stage", &["troll", "raider"], &[]),
        0,
    )
    .await;
    let error = stderr(&output);
    let warnings: Vec<&str> = lines_of(&error, "moderator: warning:").collect();
    assert_eq!(warnings.len(), 1, "once, not per user: {error}");
    assert!(
        lines_of(&stdout(&output), "banned").count() == 2,
        "{}",
        stdout(&output)
    );
    assert_eq!(rtc.members("stage"), Some(Vec::new()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ban_whose_kick_fails_exits_one_and_says_the_ban_is_recorded() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("bans-failed");
    let zim = emulator.zego().zim();
    zim.seed_room("lobby", ["troll"]);
    // Every ZIM call answers ZEGO code 2 (input parameter error): permanent, nothing removed.
    zim.controls().push_faults(
        64,
        room_moderator_emulator::Fault::Status {
            status: 200,
            body: r#"{"Code": 2, "Message": "input parameter error"}"#.to_owned(),
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        },
    );
    let output = run_with_store(
        &emulator,
        &dir,
        &room_args(
            "ban",
            "zego-zim",
            "lobby",
            &["troll"],
            &["--reason", "spam"],
        ),
        1,
    )
    .await;
    let text = stdout(&output);
    assert!(
        lines_of(&text, "failed").any(|l| l.contains("troll") && l.contains("recorded")),
        "{text}"
    );
    assert_eq!(zim.members("lobby"), Some(vec!["troll".to_owned()]));
    // Recorded all the same: the room's bans list the user.
    let output = run_with_store(
        &emulator,
        &dir,
        &room_args("bans", "zego-zim", "lobby", &[], &["--json"]),
        0,
    )
    .await;
    assert_eq!(listed(&output), ["troll"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_reasons_and_ids_are_escaped_in_bans_and_in_the_refusal() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("bans-hostile");
    let ivs = emulator.ivschat();
    let room = ivs.room_arn("lobby");
    let hostile_user = "\u{1b}]0;owned\u{7}mallory";
    let hostile_reason = "\u{1b}[2J\u{1b}[Hcleared\r\n\u{202e}";
    ivs.seed_room(&room, [hostile_user]);
    let output = run_with_store(
        &emulator,
        &dir,
        &room_args(
            "ban",
            "ivschat",
            &room,
            &[hostile_user],
            &["--reason", hostile_reason, "--by", "\u{1b}[31mop"],
        ),
        0,
    )
    .await;
    let bans = run_with_store(
        &emulator,
        &dir,
        &room_args("bans", "ivschat", &room, &[], &[]),
        0,
    )
    .await;
    let token = with_store(
        &emulator,
        &dir,
        &room_args("token", "ivschat", &room, &[hostile_user], &[]),
    );
    let refusal = run(token).await;
    refused(&refusal);
    for output in [&output, &bans, &refusal] {
        for text in [stdout(output), stderr(output)] {
            assert!(
                !text
                    .chars()
                    .any(|c| (c.is_control() && c != '\n') || matches!(c, '\u{202a}'..='\u{202e}')),
                "raw control characters: {text:?}"
            );
        }
    }
    assert!(stdout(&bans).contains("\\u{1b}[2J"), "{}", stdout(&bans));
    assert_eq!(stderr(&refusal).lines().count(), 1, "{}", stderr(&refusal));
}
