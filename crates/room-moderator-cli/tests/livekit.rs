//! LiveKit through the binary against the embedded emulator: kicks with absent identities, a wrong
//! secret, members and kick-all keeping agents, and a banned identity refused a token without a call.

use room_moderator_emulator::Emulator;
use room_moderator_emulator::livekit::ParticipantKind;

mod common;
use common::bans::{issued, refused, room_args, run_expecting};
use common::{TempDir, configured, json_lines, run, stderr, stdout};

#[tokio::test(flavor = "multi_thread")]
async fn absent_identities_are_not_in_room_after_one_call_each() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("livekit-kick");
    let livekit = emulator.livekit();
    livekit.seed_room("standup", ["alice", "troll"]);
    let output = run_expecting(
        configured(
            &emulator,
            dir.path(),
            &[
                "kick",
                "--target",
                "livekit:standup",
                "--user",
                "troll",
                "--user",
                "ghost-1",
                "--user",
                "ghost-2",
                "--json",
            ],
        ),
        0,
    )
    .await;
    let lines = json_lines(&output);
    let outcomes: Vec<(&str, &str, u64)> = lines[..3]
        .iter()
        .map(|l| {
            (
                l["user"].as_str().expect("user"),
                l["outcome"].as_str().expect("outcome"),
                l["attempts"].as_u64().expect("attempts"),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("troll", "disconnected", 1),
            ("ghost-1", "not_in_room", 1),
            ("ghost-2", "not_in_room", 1)
        ]
    );
    assert_eq!(livekit.controls().counters().requests, 3, "no retry");
    assert_eq!(livekit.members("standup"), Some(vec!["alice".to_owned()]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_secret_fails_every_user_unauthenticated_and_exits_one() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("livekit-secret");
    let livekit = emulator.livekit();
    let users: Vec<String> = (0..40).map(|i| format!("user-{i}")).collect();
    livekit.seed_room("r", users.iter().cloned());
    let mut args = vec!["kick", "--target", "livekit:r", "--json"];
    for user in &users {
        args.extend(["--user", user.as_str()]);
    }
    let mut command = configured(&emulator, dir.path(), &args);
    command.env("LIVEKIT_API_SECRET", "not-the-secret");
    let output = run_expecting(command, 1).await;
    let lines = json_lines(&output);
    let (summary, users_out) = lines.split_last().expect("a summary");
    assert_eq!(users_out.len(), 40);
    for line in users_out {
        assert_eq!(line["outcome"], "failed", "{line}");
        assert_eq!(line["error"]["kind"], "unauthenticated", "{line}");
    }
    assert_eq!(summary["summary"]["failed"], 40);
    // The engine's default concurrency is 8: the job stops after the first answers.
    let calls = livekit.controls().counters().requests;
    assert!((1..=8).contains(&calls), "{calls} calls");
    assert!(!stderr(&output).contains("signature is invalid"));
}

#[tokio::test(flavor = "multi_thread")]
async fn members_and_kick_all_keep_agents_and_a_banned_identity_gets_no_token() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("livekit-bans");
    let livekit = emulator.livekit();
    livekit.seed_room("stage", ["alice", "troll"]);
    livekit.seed_participant("stage", "agent-1", ParticipantKind::Agent);
    let store = dir.path().join("bans.db");
    let with_store = |args: &[&str]| {
        let mut command = configured(&emulator, dir.path(), args);
        command.arg("--store").arg(&store);
        command
    };

    let output = run_expecting(
        configured(
            &emulator,
            dir.path(),
            &["members", "--provider", "livekit", "--room", "stage"],
        ),
        0,
    )
    .await;
    let text = stdout(&output);
    assert!(text.contains("alice") && text.contains("troll"), "{text}");
    assert!(!text.contains("agent-1"), "{text}");

    run_expecting(
        with_store(&room_args(
            "ban",
            "livekit",
            "stage",
            &["troll"],
            &["--reason", "spam"],
        )),
        0,
    )
    .await;
    let requests = livekit.controls().counters().requests;
    let error = refused(
        &run(with_store(&room_args(
            "token",
            "livekit",
            "stage",
            &["troll"],
            &[],
        )))
        .await,
    );
    assert_eq!(error.lines().count(), 1, "one line: {error}");
    assert!(error.contains("troll") && error.contains("spam"), "{error}");
    assert_eq!(livekit.controls().counters().requests, requests, "no call");
    let token = issued(
        &run(with_store(&room_args(
            "token",
            "livekit",
            "stage",
            &["bob"],
            &[
                "--name",
                "Bob",
                "--metadata",
                "{}",
                "--capability",
                "canSubscribe",
            ],
        )))
        .await,
    );
    livekit
        .join_with_token(&token)
        .expect("the emulator admits it");

    run_expecting(
        configured(
            &emulator,
            dir.path(),
            &[
                "kick-all",
                "--provider",
                "livekit",
                "--room",
                "stage",
                "--yes",
            ],
        ),
        0,
    )
    .await;
    assert_eq!(livekit.members("stage"), Some(vec!["agent-1".to_owned()]));
}
