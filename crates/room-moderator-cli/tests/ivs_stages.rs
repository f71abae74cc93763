//! `moderator` on IVS real-time stages against the embedded emulator, configured the way an
//! operator would (`AWS_ENDPOINT_URL_IVS_REALTIME` and the AWS credentials in the environment):
//! one kick fanned out to an IVS Chat room and a stage, members with their participant ids, and
//! wrong credentials failing fast with exit 1.

mod common;

use std::time::Instant;

use common::{TempDir, configured, json_lines, run, stderr, stdout};
use room_moderator_emulator::Emulator;
use room_moderator_emulator::ivschat::stages::Operation;

#[tokio::test(flavor = "multi_thread")]
async fn one_kick_reaches_an_ivs_chat_room_and_a_stage_together() {
    let emulator = Emulator::start().await.expect("emulators start");
    let chat = emulator.ivschat();
    let stages = emulator.ivs_stages();
    let room = chat.room_arn("show");
    let stage = stages.stage_arn("show");
    chat.seed_room(&room, ["troll", "fan"]);
    stages.seed_stage(&stage, ["troll", "troll", "fan"]);
    let home = TempDir::new("ivs-stages-fan-out");
    let chat_target = format!("ivschat:{room}");
    let stage_target = format!("ivs-stages:{stage}");
    let command = configured(
        &emulator,
        home.path(),
        &[
            "kick",
            "--target",
            &chat_target,
            "--target",
            &stage_target,
            "--user",
            "troll",
            "--reason",
            "raid",
            "--json",
        ],
    );
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = json_lines(&output);
    let outcomes: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l["user"] == "troll")
        .map(|l| {
            (
                l["provider"].as_str().unwrap_or_default(),
                l["outcome"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        outcomes.contains(&("ivschat", "disconnected")),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&("ivs-stages", "disconnected")),
        "{outcomes:?}"
    );
    assert_eq!(chat.members(&room), Some(vec!["fan".to_owned()]));
    assert_eq!(stages.members(&stage), Some(vec!["fan".to_owned()]));
    let disconnections = stages.disconnections();
    assert_eq!(disconnections.len(), 2, "both of troll's devices");
    assert!(
        disconnections
            .iter()
            .all(|d| d.reason.as_deref() == Some("raid"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn members_shows_users_with_their_participant_ids() {
    let emulator = Emulator::start().await.expect("emulators start");
    let stages = emulator.ivs_stages();
    let stage = stages.stage_arn("studio");
    stages.seed_stage(&stage, ["alice", "bob", "alice"]);
    let home = TempDir::new("ivs-stages-members");
    let command = configured(
        &emulator,
        home.path(),
        &[
            "members",
            "--provider",
            "ivs-stages",
            "--room",
            &stage,
            "--json",
        ],
    );
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = json_lines(&output);
    let alice = lines
        .iter()
        .find(|l| l["id"] == "alice" || l["user"] == "alice")
        .unwrap_or_else(|| panic!("{}", stdout(&output)));
    let handle = alice["handle"].as_str().unwrap_or_default();
    assert_eq!(handle.split(' ').count(), 2, "{alice}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_credentials_fail_fast_with_exit_one() {
    let emulator = Emulator::start().await.expect("emulators start");
    let stages = emulator.ivs_stages();
    let stage = stages.stage_arn("studio");
    let users: Vec<String> = (0..50).map(|i| format!("u{i}")).collect();
    stages.seed_stage(&stage, &users);
    let home = TempDir::new("ivs-stages-wrong");
    let mut command = configured(
        &emulator,
        home.path(),
        &[
            "kick",
            "--provider",
            "ivs-stages",
            "--room",
            &stage,
            "--json",
        ],
    );
    command.env("AWS_SECRET_ACCESS_KEY", "not-the-secret");
    for user in &users {
        command.args(["--user", user]);
    }
    let started = Instant::now();
    let output = run(command).await;
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let lines = json_lines(&output);
    assert!(
        lines
            .iter()
            .filter(|l| l.get("user").is_some())
            .all(|l| l["error"]["kind"] == "unauthenticated"),
        "{}",
        stdout(&output)
    );
    // One GetStage refused, nothing else sent, and no pacing through 50 users.
    let requests: Vec<u64> = Operation::ALL
        .iter()
        .map(|&op| stages.operation_controls(op).counters().requests)
        .collect();
    assert_eq!(requests, [1, 0, 0, 0]);
    assert!(took.as_secs() < 5, "{took:?}");
    assert_eq!(stages.members(&stage).map(|m| m.len()), Some(50));
}
