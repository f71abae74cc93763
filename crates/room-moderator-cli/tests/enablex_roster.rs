//! An EnableX room that answers without a readable roster: `moderator kick` must not call the users
//! "already gone". It exits 1 with a protocol error, and the emulator (which records every signalling
//! frame it receives) saw no `drop` at all.

use std::process::{Command, Stdio};

use room_moderator_emulator::Emulator;
use room_moderator_emulator::enablex::RosterWithholding;

#[tokio::test(flavor = "multi_thread")]
async fn a_room_without_a_roster_is_a_protocol_failure_and_nothing_is_dropped() {
    let emulator = Emulator::start().await.expect("emulators start");
    let enablex = emulator.enablex();
    for withholding in [
        RosterWithholding::Missing,
        RosterWithholding::Null,
        RosterWithholding::NotAList,
    ] {
        enablex.seed_room("stage", ["alice", "bob"]);
        enablex.withhold_roster(Some(withholding));
        let mut command = Command::new(env!("CARGO_BIN_EXE_moderator"));
        command
            .env("ENABLEX_APP_ID", enablex.app_id())
            .env("ENABLEX_APP_KEY", enablex.app_key())
            .args(["kick", "--provider", "enablex", "--room", "stage"])
            .args(["--user", "alice", "--user", "bob", "--json", "--endpoint"])
            .arg(enablex.api_url())
            .stdin(Stdio::null());
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("join")
            .expect("binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{withholding:?}: {stdout}");
        let users: Vec<serde_json::Value> = stdout
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|line| line.get("user").is_some())
            .collect();
        assert_eq!(users.len(), 2, "{stdout}");
        for user in &users {
            assert_eq!(user["outcome"], "failed", "{withholding:?}: {user}");
            assert_eq!(user["error"]["kind"], "protocol", "{withholding:?}: {user}");
        }
        let drops: Vec<_> = enablex
            .frames()
            .into_iter()
            .filter(|frame| frame.event == "drop")
            .collect();
        assert!(drops.is_empty(), "{withholding:?}: {drops:?}");
        assert_eq!(
            enablex.members("stage").map(|m| m.len()),
            Some(2),
            "{withholding:?}: nobody was dropped"
        );
    }
}
