//! Where the binary keeps bans between runs: without `--store`, the file under the data directory
//! of the home it runs with (one host: a second process with the same home sees the ban, one with
//! another home does not); with a Redis store, two processes on different homes (two hosts) share
//! the bans, lifts included.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use moderator_emulator::Emulator;
use moderator_state::testing::RedisServer;

mod common;
use common::{TempDir, configured, json_lines, run, stderr, stdout};

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
}

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
        &["bans", "--provider", "ivschat", "--room", room, "--json"],
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

/// The users `bans --json` lists.
fn listed(output: &Output) -> Vec<String> {
    let lines = json_lines(output);
    let (_summary, bans) = lines.split_last().expect("a summary line");
    bans.iter()
        .map(|ban| ban["user"].as_str().expect("a user").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn without_store_the_ban_outlives_the_process_in_the_homes_data_directory() {
    let emulator = Emulator::start().await.expect("emulators start");
    let home = TempDir::new("ban-home");
    let other_home = TempDir::new("ban-other-home");
    let ivs = emulator.ivschat();
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["troll", "regular"]);

    let ban = at_home(
        &emulator,
        home.path(),
        &[
            "ban",
            "--provider",
            "ivschat",
            "--room",
            &room,
            "--user",
            "troll",
            "--reason",
            "spam",
        ],
    );
    let output = run(ban).await;
    assert_exit(&output, 0);
    assert_eq!(ivs.members(&room), Some(vec!["regular".to_owned()]));
    let files = store_files(home.path());
    assert_eq!(files.len(), 1, "one store file under the home: {files:?}");
    #[cfg(target_os = "linux")]
    assert_eq!(
        files[0],
        home.path().join(".local/share/moderator/bans.sqlite3")
    );

    // A second process on the same host (same home): the ban is there.
    let output = run(bans_at(&emulator, home.path(), &room)).await;
    assert_exit(&output, 0);
    assert_eq!(listed(&output), ["troll"]);

    let calls = ivs.controls().counters().requests;
    let tokens = ivs.token_controls().counters().requests;
    let refused = at_home(
        &emulator,
        home.path(),
        &[
            "token",
            "--provider",
            "ivschat",
            "--room",
            &room,
            "--user",
            "troll",
        ],
    );
    let output = run(refused).await;
    assert_exit(&output, 1);
    assert!(stdout(&output).is_empty(), "no token: {}", stdout(&output));
    assert!(
        stderr(&output).contains("refused") && stderr(&output).contains("spam"),
        "{}",
        stderr(&output)
    );
    assert_eq!(ivs.controls().counters().requests, calls);
    assert_eq!(
        ivs.token_controls().counters().requests,
        tokens,
        "no token call"
    );
    assert!(ivs.chat_tokens().is_empty());

    // Another home (another host's default store): no ban there.
    let output = run(bans_at(&emulator, other_home.path(), &room)).await;
    assert_exit(&output, 0);
    assert!(listed(&output).is_empty(), "{}", stdout(&output));
    let issued = at_home(
        &emulator,
        other_home.path(),
        &[
            "token",
            "--provider",
            "ivschat",
            "--room",
            &room,
            "--user",
            "troll",
        ],
    );
    let output = run(issued).await;
    assert_exit(&output, 0);
    assert!(!stdout(&output).trim().is_empty());
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
    let token_args = [
        "token",
        "--provider",
        "ivschat",
        "--room",
        &room,
        "--user",
        "troll",
    ];

    let output = run(on_a(&[
        "ban",
        "--provider",
        "ivschat",
        "--room",
        &room,
        "--user",
        "troll",
        "--duration",
        "1h",
        "--reason",
        "raid",
    ]))
    .await;
    assert_exit(&output, 0);
    assert_eq!(ivs.members(&room), Some(vec!["regular".to_owned()]));

    let tokens = ivs.token_controls().counters().requests;
    let output = run(on_b(&token_args)).await;
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("raid"), "{}", stderr(&output));
    assert_eq!(ivs.token_controls().counters().requests, tokens);
    let output = run(on_b(&[
        "bans",
        "--provider",
        "ivschat",
        "--room",
        &room,
        "--json",
    ]))
    .await;
    assert_exit(&output, 0);
    assert_eq!(listed(&output), ["troll"]);

    let output = run(on_b(&[
        "unban",
        "--provider",
        "ivschat",
        "--room",
        &room,
        "--user",
        "troll",
    ]))
    .await;
    assert_exit(&output, 0);
    assert!(
        stdout(&output)
            .lines()
            .any(|l| l.starts_with("lifted") && l.ends_with("troll")),
        "{}",
        stdout(&output)
    );

    let output = run(on_a(&token_args)).await;
    assert_exit(&output, 0);
    assert!(!stdout(&output).trim().is_empty());
    assert_eq!(ivs.chat_tokens().len(), 1, "the token was issued");
    // Neither host wrote a default store file: the bans were in Redis only.
    assert!(store_files(host_a.path()).is_empty());
    assert!(store_files(host_b.path()).is_empty());
}
