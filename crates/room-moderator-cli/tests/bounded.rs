//! Every command returns within its `--deadline` when the provider misbehaves (issue 20), against
//! the in-process emulators with fault rules: an API throttled for good, a gateway's 429 with
//! `Retry-After`, junk HTTP 200 answers then the real service, and a captive proxy's HTML page for
//! every call. A failure bounded by the deadline exits 1 with one line naming the provider.
//!
//! These are real processes on real time: each is killed at its deadline plus a generous grace, and
//! the bounds asserted are that grace, never a close timing.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use room_moderator_emulator::{Emulator, FaultSpec};

mod common;
use common::{TempDir, configured, json_lines, stderr, stdout};

/// How long after its deadline a command may still be running before it counts as unbounded: the
/// process's start, one call in flight (each has its own timeout) and the report.
const GRACE: Duration = Duration::from_secs(5);

/// Runs `command` for at most `deadline + GRACE`; a process still running then is killed and the
/// test fails, saying so.
async fn run_bounded(command: Command, deadline: Duration) -> (Output, Duration) {
    let limit = deadline + GRACE;
    let mut command = tokio::process::Command::from(command);
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let started = Instant::now();
    let child = command.spawn().expect("the binary starts");
    match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(output) => (output.expect("the binary ends"), started.elapsed()),
        // Dropping the future kills the process.
        Err(_) => panic!(
            "still running {limit:?} after it started, with --deadline {deadline:?}: the command is not bounded"
        ),
    }
}

fn fault(emulator: &Emulator, spec: &str) {
    let spec: FaultSpec = spec.parse().expect("a fault spec");
    emulator.add_fault(&spec).expect("the fault is set");
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
}

/// The one error line: names `provider` and says throttled or timed out.
fn assert_bounded_failure_line(output: &Output, provider: &str) {
    let text = format!("{}{}", stdout(output), stderr(output));
    assert!(
        text.lines().any(|line| line.contains(provider)
            && (line.contains("throttled") || line.contains("timed out"))),
        "no line naming {provider} and throttled / timed out:\n{text}"
    );
}

fn users_file(dir: &TempDir, users: &[String]) -> std::path::PathBuf {
    let path = dir.path().join("users.txt");
    std::fs::write(&path, users.join("\n")).expect("users file");
    path
}

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user-{i}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_with_create_chat_token_throttled_for_good_returns_within_its_deadline() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("bounded-token");
    let ivs = emulator.ivschat();
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, Vec::<String>::new());
    fault(&emulator, "ivs-token=throttle");
    let deadline = Duration::from_secs(3);
    let command = configured(
        &emulator,
        dir.path(),
        &[
            "token",
            "--provider",
            "ivschat",
            "--room",
            &room,
            "--user",
            "alice",
            "--store",
            "memory:",
            "--deadline",
            "3s",
        ],
    );
    let (output, _) = run_bounded(command, deadline).await;
    assert_exit(&output, 1);
    assert_bounded_failure_line(&output, "ivschat");
    assert!(
        ivs.token_controls().counters().requests >= 1,
        "CreateChatToken was asked"
    );
    assert!(ivs.chat_tokens().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ban_on_rtc_behind_a_gateway_answering_429_retry_after_1_returns_within_its_deadline() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("bounded-ban");
    emulator
        .zego()
        .rtc()
        .seed_room("stage", ["troll", "regular"]);
    fault(
        &emulator,
        "rtc=body:retry-after=1:429:text/plain:Too Many Requests",
    );
    let deadline = Duration::from_secs(3);
    let command = configured(
        &emulator,
        dir.path(),
        &[
            "ban",
            "--provider",
            "zego-rtc",
            "--room",
            "stage",
            "--user",
            "troll",
            "--store",
            "memory:",
            "--deadline",
            "3s",
        ],
    );
    let (output, _) = run_bounded(command, deadline).await;
    assert_exit(&output, 1);
    assert_bounded_failure_line(&output, "zego-rtc");
    assert!(emulator.zego().rtc().controls().counters().requests >= 1);
    assert_eq!(
        emulator.zego().rtc().members("stage").map(|m| m.len()),
        Some(2),
        "nobody was removed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn three_junk_200_answers_then_the_real_service_remove_all_500_zim_users() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("bounded-junk");
    let zim = emulator.zego().zim();
    let everyone = users(500);
    zim.seed_room("lobby", everyone.clone());
    fault(
        &emulator,
        r#"zim-kick=body-first:3:200:application/json:{"ok": true}"#,
    );
    let deadline = Duration::from_secs(8);
    let mut command = configured(
        &emulator,
        dir.path(),
        &[
            "kick",
            "--provider",
            "zego-zim",
            "--room",
            "lobby",
            "--no-presence-check",
            "--json",
            "--deadline",
            "8s",
        ],
    );
    command.arg("--users-file").arg(users_file(&dir, &everyone));
    let (output, _) = run_bounded(command, deadline).await;
    assert_exit(&output, 0);
    assert_eq!(zim.members("lobby"), Some(Vec::new()), "everyone is out");
    let lines = json_lines(&output);
    let outcomes: Vec<_> = lines.iter().filter(|l| l.get("user").is_some()).collect();
    assert_eq!(outcomes.len(), 500);
    assert!(
        outcomes.iter().all(|l| l["outcome"] == "disconnected"),
        "{}",
        stdout(&output)
    );
    assert_eq!(
        zim.controls().counters().faults,
        3,
        "the three junk answers were met"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_captive_proxy_page_for_every_call_stops_10000_users_within_the_call_bound() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("bounded-captive");
    let zim = emulator.zego().zim();
    let everyone = users(10_000);
    zim.seed_room("lobby", everyone.clone());
    fault(
        &emulator,
        "zim=body:200:text/html:<html><body><form action=/login>Sign in to continue</form></body></html>",
    );
    // 200 calls at ZIM's 20/s need 10 s, so the deadline must allow them; the job is expected to
    // stop long before, after max_concurrency + 3 calls.
    let deadline = Duration::from_secs(12);
    let mut command = configured(
        &emulator,
        dir.path(),
        &[
            "kick",
            "--provider",
            "zego-zim",
            "--room",
            "lobby",
            "--no-presence-check",
            "--json",
            "--deadline",
            "12s",
        ],
    );
    command.arg("--users-file").arg(users_file(&dir, &everyone));
    let (output, _) = run_bounded(command, deadline).await;
    assert_exit(&output, 1);
    // The engine's default max_concurrency is 8: at most 8 calls in flight when the streak of three
    // is seen, and no call after.
    let max_concurrency = 8;
    let calls = zim.controls().counters().requests;
    assert!(
        calls <= max_concurrency + 3,
        "{calls} calls into a captive proxy for 10,000 users; at most {} expected",
        max_concurrency + 3
    );
    let lines = json_lines(&output);
    let outcomes: Vec<_> = lines.iter().filter(|l| l.get("user").is_some()).collect();
    assert_eq!(outcomes.len(), 10_000, "every user is reported");
    assert!(
        outcomes
            .iter()
            .all(|l| l["outcome"] == "failed" && l["error"]["kind"] == "protocol"),
        "every user failed with the protocol error; first: {:?}",
        outcomes.iter().find(|l| l["error"]["kind"] != "protocol")
    );
    assert_eq!(zim.members("lobby").map(|m| m.len()), Some(10_000));
}

#[tokio::test(flavor = "multi_thread")]
async fn kick_all_on_rtc_throttled_for_good_returns_at_its_deadline() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("bounded-kick-all-rtc");
    emulator.zego().rtc().seed_room("stage", ["a", "b", "c"]);
    fault(&emulator, "rtc=throttle");
    let deadline = Duration::from_secs(3);
    let command = configured(
        &emulator,
        dir.path(),
        &[
            "kick-all",
            "--provider",
            "zego-rtc",
            "--room",
            "stage",
            "--yes",
            "--deadline",
            "3s",
        ],
    );
    let (output, _) = run_bounded(command, deadline).await;
    assert_exit(&output, 1);
    assert_bounded_failure_line(&output, "zego-rtc");
    assert_eq!(
        emulator.zego().rtc().members("stage").map(|m| m.len()),
        Some(3)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kick_all_on_enablex_throttled_for_good_returns_at_its_deadline() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("bounded-kick-all-enablex");
    emulator.enablex().seed_room("stage", ["a", "b"]);
    fault(&emulator, "enablex=throttle");
    let deadline = Duration::from_secs(3);
    let command = configured(
        &emulator,
        dir.path(),
        &[
            "kick-all",
            "--provider",
            "enablex",
            "--room",
            "stage",
            "--yes",
            "--deadline",
            "3s",
        ],
    );
    let (output, _) = run_bounded(command, deadline).await;
    assert_exit(&output, 1);
    assert_bounded_failure_line(&output, "enablex");
    assert_eq!(
        emulator.enablex().members("stage").map(|m| m.len()),
        Some(2)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn members_on_rtc_throttled_for_good_returns_at_its_deadline() {
    let emulator = Emulator::start().await.expect("emulators start");
    let dir = TempDir::new("bounded-members");
    emulator.zego().rtc().seed_room("stage", ["a"]);
    fault(&emulator, "rtc-list=throttle");
    let deadline = Duration::from_secs(3);
    let command = configured(
        &emulator,
        dir.path(),
        &[
            "members",
            "--provider",
            "zego-rtc",
            "--room",
            "stage",
            "--deadline",
            "3s",
        ],
    );
    let (output, _) = run_bounded(command, deadline).await;
    assert_exit(&output, 1);
    assert_bounded_failure_line(&output, "zego-rtc");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_provider_command_takes_a_deadline() {
    for subcommand in [
        "kick", "kick-all", "members", "ban", "unban", "bans", "token",
    ] {
        let output = common::moderator()
            .args([subcommand, "--help"])
            .output()
            .expect("help");
        assert!(
            stdout(&output).contains("--deadline <DURATION>"),
            "{subcommand} --help has no --deadline"
        );
    }
    // A duration humantime cannot read is a usage error, before anything is sent.
    let output = common::moderator()
        .args([
            "members",
            "--provider",
            "zego-rtc",
            "--room",
            "r",
            "--deadline",
            "soon",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}
