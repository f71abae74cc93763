//! Several `moderator kick` processes sharing one provider quota through Redis (`--redis URL`),
//! against the ZIM emulator, which enforces 20 calls in any sliding second and counts the busiest one.

mod common;

use std::process::{Command, Stdio};

use room_moderator_emulator::Emulator;
use room_moderator_state::testing::RedisServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_on_one_redis_quota_all_finish_without_being_throttled() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let emulator = Emulator::start().await.expect("emulators start");
    let zim = emulator.zego().zim();
    let dir = std::env::temp_dir().join(format!("moderator-shared-quota-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let mut children = Vec::new();
    for process in 0..4 {
        let room = format!("room-{process}");
        let users: Vec<String> = (0..1_000).map(|i| format!("p{process}-{i}")).collect();
        zim.seed_room(&room, users.clone());
        let file = dir.join(format!("{room}.txt"));
        std::fs::write(&file, users.join("\n")).expect("users file");
        let child = Command::new(env!("CARGO_BIN_EXE_moderator"))
            .env("ZEGO_APP_ID", emulator.zego().app_id().to_string())
            .env("ZEGO_SERVER_SECRET", emulator.zego().server_secret())
            .env_remove("MODERATOR_REDIS_URL")
            .args([
                "kick",
                "--provider",
                "zego-zim",
                "--room",
                &room,
                "--endpoint",
            ])
            .arg(zim.url())
            .arg("--users-file")
            .arg(&file)
            // The quota of the kicks alone: no presence check before them (tests/rooms.rs and
            // core cover it).
            .args(["--json", "--no-presence-check", "--redis", &redis.url()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts");
        children.push(child);
    }
    common::wait_all_succeed(children).await;
    let _ = std::fs::remove_dir_all(&dir);
    for process in 0..4 {
        assert_eq!(zim.members(&format!("room-{process}")), Some(Vec::new()));
    }
    let counters = zim.controls().counters();
    // 80 calls the job needs at 20/s. Without the shared pacer, four processes start at four times
    // the quota: dozens of throttled answers.
    common::assert_one_shared_quota(&counters, 80, 20);
    // Together close to the whole quota: from the first call the emulator saw to the last (process
    // start-up, slow on a busy machine, is not the pacer's doing), 80 calls at 20/s need 3.95 s.
    let log = zim.controls().requests();
    let span = log.last().map_or(0.0, |l| l.at) - log.first().map_or(0.0, |f| f.at);
    let rate = (log.len() - 1) as f64 / span;
    assert!(span >= 3.9, "{span:.2}s");
    // A throttled call (see above) makes its process cut its own rate to its share and climb back
    // slowly (the adaptive pacer); the quota is then not fully used for a few seconds. Without one,
    // the shared pacer alone must deliver the quota.
    if counters.throttled == 0 {
        assert!(rate >= 18.0, "{rate:.1} calls/s over {span:.2}s");
    }
}
