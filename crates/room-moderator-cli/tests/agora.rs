//! Agora through the binary against the embedded emulators: the RTC channel and the chat room of one
//! live room in one command (`--target agora-rtc:... --target agora-chat:...`), `members`, a timed
//! ban refusing the join and `unban` deleting its rule, string accounts refused before sending, and
//! a wrong customer secret.

use std::process::Command;

use room_moderator_emulator::Emulator;

mod common;
use common::bans::{room_args, run_expecting};
use common::{TempDir, agora_env, json_lines, moderator, run, stdout};

fn agora(emulator: &Emulator, args: &[&str]) -> Command {
    let mut command = moderator();
    agora_env(&mut command, emulator);
    command.args(args);
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn one_kick_reaches_the_channel_and_the_chat_room() {
    let emulator = Emulator::start().await.expect("emulators start");
    let (rtc, chat) = (emulator.agora().rtc(), emulator.agora().chat());
    rtc.seed_channel("show", [42, 7]);
    chat.seed_room("66213271109633", Some("host"), ["42", "fan"]);
    let output = run_expecting(
        agora(
            &emulator,
            &[
                "kick",
                "--target",
                "agora-rtc:show",
                "--target",
                "agora-chat:66213271109633",
                "--user",
                "42",
                "--json",
            ],
        ),
        0,
    )
    .await;
    let lines = json_lines(&output);
    let providers: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["provider"].as_str())
        .collect();
    assert!(
        providers.contains(&"agora-rtc") && providers.contains(&"agora-chat"),
        "{lines:?}"
    );
    assert_eq!(rtc.online("show"), [7]);
    assert_eq!(chat.members("66213271109633").unwrap(), ["fan", "host"]);

    let output = run_expecting(
        agora(
            &emulator,
            &room_args("members", "agora-chat", "66213271109633", &[], &[]),
        ),
        0,
    )
    .await;
    let listed = stdout(&output);
    assert!(
        listed.contains("fan") && listed.contains("host"),
        "{listed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timed_ban_on_rtc_refuses_the_join_until_unban() {
    let emulator = Emulator::start().await.expect("emulators start");
    let rtc = emulator.agora().rtc();
    rtc.seed_channel("stage", [589_517_928, 5]);
    let dir = TempDir::new("agora-bans");
    let store = dir.path().join("bans.db");
    let with_store = |args: &[&str]| {
        let mut command = agora(&emulator, args);
        command.arg("--store").arg(&store);
        command
    };
    run_expecting(
        with_store(&room_args(
            "ban",
            "agora-rtc",
            "stage",
            &["589517928"],
            &["--duration", "1h"],
        )),
        0,
    )
    .await;
    assert_eq!(rtc.rules().len(), 1);
    assert!(rtc.join("stage", 589_517_928).is_err());
    run_expecting(
        with_store(&room_args(
            "unban",
            "agora-rtc",
            "stage",
            &["589517928"],
            &[],
        )),
        0,
    )
    .await;
    assert!(rtc.rules().is_empty());
    assert!(rtc.join("stage", 589_517_928).is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn string_accounts_exit_two_before_sending() {
    let emulator = Emulator::start().await.expect("emulators start");
    let output = run(agora(
        &emulator,
        &room_args("kick", "agora-rtc", "stage", &["alice"], &[]),
    ))
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no string user accounts"), "{stderr}");
    assert_eq!(emulator.agora().rtc().controls().counters().requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_customer_secret_fails_every_user_within_the_calls_in_flight() {
    let emulator = Emulator::start().await.expect("emulators start");
    let users: Vec<String> = (1..=500u32).map(|u| u.to_string()).collect();
    let mut args = vec![
        "kick",
        "--provider",
        "agora-rtc",
        "--room",
        "stage",
        "--json",
    ];
    for user in &users {
        args.extend(["--user", user.as_str()]);
    }
    let mut command = agora(&emulator, &args);
    command.env("AGORA_CUSTOMER_SECRET", "wrong-secret");
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(1));
    let requests = emulator.agora().rtc().controls().counters().requests;
    assert!((1..=8).contains(&requests), "{requests} calls");
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 501, "one line per user and the summary");
    assert!(
        lines[..500]
            .iter()
            .all(|l| l["error"]["kind"] == "unauthenticated"),
        "{}",
        lines[0]
    );
    assert!(!stdout(&output).contains("wrong-secret"));
}
