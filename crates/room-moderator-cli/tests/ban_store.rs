//! Where the binary keeps bans between runs: without `--store`, the file under the data directory
//! of the home it runs with (one host: a second process with the same home sees the ban, one with
//! another home does not); with a Redis store, two processes on different homes (two hosts) share
//! the bans, lifts included.

use std::path::{Path, PathBuf};
use std::process::Command;

use room_moderator_emulator::Emulator;
use room_moderator_state::testing::RedisServer;

mod common;
use common::bans::{IvsCalls, issued, lines_of, listed, refused, room_args, run_expecting};
use common::{TempDir, configured, run, stdout};

/// The binary against the emulator with `home` as its home directory and no `--store`: the data
/// directory is the home's (no `XDG_DATA_HOME`), so the ban store is the default file under it.
fn at_home(emulator: &Emulator, home: &Path, args: &[&str]) -> Command {
    let mut command = configured(emulator, home, args);
    command.env_remove("XDG_DATA_HOME");
    command
}

/// `bans --json` for the IVS room, at `home`.
fn bans_at(emulator: &Emulator, home: &Path, room: &str) -> Command {
    at_home(
        emulator,
        home,
        &room_args("bans", "ivschat", room, &[], &["--json"]),
    )
}

/// Every `bans.sqlite3` under `dir`.
fn store_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().is_some_and(|name| name == "bans.sqlite3") {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn without_store_the_ban_outlives_the_process_in_the_homes_data_directory() {
    let emulator = Emulator::start().await.expect("emulators start");
    let home = TempDir::new("ban-home");
    let other_home = TempDir::new("ban-other-home");
    let ivs = emulator.ivschat();
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["troll", "regular"]);
    let token_for_troll = room_args("token", "ivschat", &room, &["troll"], &[]);

    let ban = at_home(
        &emulator,
        home.path(),
        &room_args("ban", "ivschat", &room, &["troll"], &["--reason", "spam"]),
    );
    run_expecting(ban, 0).await;
    assert_eq!(ivs.members(&room), Some(vec!["regular".to_owned()]));
    let files = store_files(home.path());
    assert_eq!(files.len(), 1, "one store file under the home: {files:?}");
    #[cfg(target_os = "linux")]
    assert_eq!(
        files[0],
        home.path().join(".local/share/moderator/bans.sqlite3")
    );

    // A second process on the same host (same home): the ban is there.
    let output = run_expecting(bans_at(&emulator, home.path(), &room), 0).await;
    assert_eq!(listed(&output), ["troll"]);

    let calls = IvsCalls::of(ivs);
    let error = refused(&run(at_home(&emulator, home.path(), &token_for_troll)).await);
    assert!(
        error.contains("refused") && error.contains("spam"),
        "{error}"
    );
    calls.assert_none_since(ivs);

    // Another home (another host's default store): no ban there.
    let output = run_expecting(bans_at(&emulator, other_home.path(), &room), 0).await;
    assert!(listed(&output).is_empty(), "{}", stdout(&output));
    issued(&run(at_home(&emulator, other_home.path(), &token_for_troll)).await);
    assert_eq!(ivs.chat_tokens().len(), 1);
    // Still banned at the first home.
    assert_eq!(
        listed(&run(bans_at(&emulator, home.path(), &room)).await),
        ["troll"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hosts_share_bans_and_lifts_through_redis() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let emulator = Emulator::start().await.expect("emulators start");
    let host_a = TempDir::new("ban-redis-a");
    let host_b = TempDir::new("ban-redis-b");
    let ivs = emulator.ivschat();
    let room = ivs.room_arn("stage");
    ivs.seed_room(&room, ["troll", "regular"]);
    let url = redis.url();
    // Host A names the store with --store, host B with MODERATOR_BAN_STORE.
    let on_a = |args: &[&str]| {
        let mut command = at_home(&emulator, host_a.path(), args);
        command.arg("--store").arg(&url);
        command
    };
    let on_b = |args: &[&str]| {
        let mut command = at_home(&emulator, host_b.path(), args);
        command.env("MODERATOR_BAN_STORE", &url);
        command
    };
    let token_for_troll = room_args("token", "ivschat", &room, &["troll"], &[]);

    run_expecting(
        on_a(&room_args(
            "ban",
            "ivschat",
            &room,
            &["troll"],
            &["--duration", "1h", "--reason", "raid"],
        )),
        0,
    )
    .await;
    assert_eq!(ivs.members(&room), Some(vec!["regular".to_owned()]));

    let calls = IvsCalls::of(ivs);
    let error = refused(&run(on_b(&token_for_troll)).await);
    assert!(error.contains("raid"), "{error}");
    calls.assert_none_since(ivs);
    let output = run_expecting(
        on_b(&room_args("bans", "ivschat", &room, &[], &["--json"])),
        0,
    )
    .await;
    assert_eq!(listed(&output), ["troll"]);

    let output = run_expecting(
        on_b(&room_args("unban", "ivschat", &room, &["troll"], &[])),
        0,
    )
    .await;
    assert!(
        lines_of(&stdout(&output), "lifted").any(|l| l.ends_with("troll")),
        "{}",
        stdout(&output)
    );

    issued(&run(on_a(&token_for_troll)).await);
    assert_eq!(ivs.chat_tokens().len(), 1, "the token was issued");
    // Neither host wrote a default store file: the bans were in Redis only.
    assert!(store_files(host_a.path()).is_empty());
    assert!(store_files(host_b.path()).is_empty());
}
