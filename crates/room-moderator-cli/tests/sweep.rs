//! `moderator sweep` against the EnableX emulator (no signed join callback there): a banned user
//! back in the room is removed with the ban's reason, a bystander stays, and a room without banned
//! members sends no drop.

use room_moderator_emulator::Emulator;

mod common;
use common::bans::run_expecting;
use common::{TempDir, configured, stdout};

fn with_store(emulator: &Emulator, dir: &TempDir, args: &[&str]) -> std::process::Command {
    let mut command = configured(emulator, dir.path(), args);
    command.arg("--store").arg(dir.path().join("bans.db"));
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_removes_the_banned_members_only() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("sweep");
    let enablex = emulator.enablex();
    enablex.seed_room("stage", ["troll", "alice"]);
    let ban = [
        "ban",
        "--provider",
        "enablex",
        "--room",
        "stage",
        "--user",
        "troll",
        "--reason",
        "spam",
    ];
    run_expecting(with_store(&emulator, &dir, &ban), 0).await;
    assert_eq!(enablex.members("stage").unwrap(), ["alice"]);

    // The banned user comes back (EnableX has no native ban), with a newcomer.
    enablex.seed_room("stage", ["troll", "bob"]);
    let sweep = ["sweep", "--target", "enablex:stage"];
    let output = run_expecting(with_store(&emulator, &dir, &sweep), 0).await;
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("disconnected"), "{text}");
    assert!(
        lines[0].contains("troll") && lines[0].contains("reason: spam"),
        "{text}"
    );
    assert_eq!(
        lines[1],
        "swept stage on enablex: 3 members, 1 active ban, 1 banned member removed, 0 failed"
    );
    assert_eq!(enablex.members("stage").unwrap(), ["alice", "bob"]);

    // Nobody banned is in the room now: no drop is sent.
    let drops = |emulator: &Emulator| {
        emulator
            .enablex()
            .frames()
            .into_iter()
            .filter(|frame| frame.event == "drop")
            .count()
    };
    let before = drops(&emulator);
    let output = run_expecting(with_store(&emulator, &dir, &sweep), 0).await;
    assert!(stdout(&output).contains("0 banned members removed"));
    assert_eq!(drops(&emulator), before);
}
