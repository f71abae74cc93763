//! Runs the built `moderator` binary against in-process emulators.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use room_moderator_emulator::Emulator;

mod common;
use common::{
    enablex_kick_all, json_lines, moderator, run, run_with_input, without_aws_environment, zim_kick,
};

#[tokio::test(flavor = "multi_thread")]
async fn kick_prints_json_outcomes_and_exits_zero() {
    let emulator = Emulator::start().await.unwrap();
    emulator.zego().zim().seed_room("lobby", ["a", "b", "c"]);
    let mut command = zim_kick(&emulator);
    command.args(["--user", "a", "--user", "ghost", "--json", "-"]);
    let output = run_with_input(command, Some("b\n# comment\n\n")).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = json_lines(&output);
    let (summary, users) = lines.split_last().expect("a summary line");
    assert_eq!(summary["summary"]["disconnected"], 2);
    assert_eq!(summary["summary"]["not_in_room"], 1);
    let outcomes: Vec<(&str, &str)> = users
        .iter()
        .map(|v| (v["user"].as_str().unwrap(), v["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("a", "disconnected"),
            ("ghost", "not_in_room"),
            ("b", "disconnected")
        ]
    );
    assert_eq!(
        emulator.zego().zim().members("lobby"),
        Some(vec!["c".to_owned()])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kick_exits_one_when_a_user_fails() {
    let emulator = Emulator::start().await.unwrap();
    let mut command = zim_kick(&emulator);
    // A wrong secret: the provider answers, every user fails with Unauthenticated.
    command
        .env("ZEGO_SERVER_SECRET", "ffffffffffffffffffffffffffffffff")
        .args(["--user", "a"]);
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("failed") && stdout.contains("100000005"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("ffffffff"),
        "the secret must not be printed: {stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_plans_without_sending() {
    let emulator = Emulator::start().await.unwrap();
    let file = std::env::temp_dir().join(format!(
        "room-moderator-cli-users-{}.txt",
        std::process::id()
    ));
    let users: String = (0..120).map(|i| format!("user-{i}\n")).collect();
    std::fs::write(&file, users).unwrap();
    let mut command = zim_kick(&emulator);
    command.arg("--users-file").arg(&file).arg("--dry-run");
    let output = run(command).await;
    let _ = std::fs::remove_file(&file);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("calls: 3 (batch sizes: 50, 50, 20)"),
        "{stdout}"
    );
    assert_eq!(emulator.zego().zim().controls().counters().requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_and_config_errors_exit_two_with_one_line() {
    let emulator = Emulator::start().await.unwrap();
    let mut missing = moderator();
    missing.args([
        "kick",
        "--provider",
        "zego-zim",
        "--room",
        "lobby",
        "--user",
        "a",
    ]);
    let output = run(missing).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("ZEGO_APP_ID"));

    let mut bad_id = zim_kick(&emulator);
    bad_id.args(["--user", &"x".repeat(40)]);
    let output = run(bad_id).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid input"));

    let mut unreadable = zim_kick(&emulator);
    unreadable.args(["--users-file", "/nonexistent/list.txt"]);
    let output = run(unreadable).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read /nonexistent/list.txt"));
    assert_eq!(emulator.zego().zim().controls().counters().requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn kick_all_needs_confirmation_and_support() {
    let emulator = Emulator::start().await.unwrap();
    let enablex = emulator.enablex();
    enablex.seed_room("stage", ["a", "b"]);
    let base = |extra: &[&str]| {
        let mut command = enablex_kick_all(&emulator, "stage");
        command.args(extra);
        command
    };
    let refused = run(base(&[])).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--yes"));
    assert_eq!(enablex.members("stage").map(|m| m.len()), Some(2));

    let done = run(base(&["--yes"])).await;
    assert_eq!(
        done.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(
        enablex.members("stage").unwrap_or_default(),
        Vec::<String>::new()
    );

    let mut unsupported = moderator();
    unsupported.args(["kick-all", "--provider", "ivschat", "--room", "r", "--yes"]);
    let output = run(unsupported).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot remove everyone"));
}

#[test]
fn demo_prints_a_correct_table() {
    let output = moderator().arg("demo").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for provider in [
        "zego-zim",
        "zego-rtc",
        "ivschat ",
        "ivs-stages",
        "enablex",
        "livekit",
        "agora-rtc",
        "agora-chat",
    ] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(provider))
            .expect(provider);
        assert!(row.ends_with("ok"), "{row}");
    }
    // The second part: members, a native ban refusing the login, the join gate refusing a token.
    for step in [
        "zego-zim: members",
        "zego-rtc: ban raider",
        "ivschat: ban troll",
        "ivschat: friend",
    ] {
        let row = stdout.lines().find(|l| l.starts_with(step)).expect(step);
        assert!(row.ends_with("  ok"), "{row}");
    }
    assert!(
        stdout.contains("login refused")
            && stdout.contains("token refused (0 CreateChatToken calls)")
    );
}

/// A base port whose run of eight (one for each emulator) was free when asked: the port the system
/// hands out, with its seven neighbours checked, so that test runs side by side do not collide.
fn free_port_run() -> u16 {
    const EMULATORS: u16 = 8;
    let bindable = |port: u16| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
    for _ in 0..100 {
        let base = room_moderator_state::testing::free_port();
        if base <= u16::MAX - EMULATORS && (base..base + EMULATORS).all(bindable) {
            return base;
        }
    }
    panic!("no run of {EMULATORS} free loopback ports");
}

#[test]
fn emulate_serves_and_prints_credentials() {
    // A given base port: the emulators take it and the ports after it, as `--port` documents.
    let port = free_port_run();
    let mut child = moderator()
        .args([
            "emulate",
            "--port",
            &port.to_string(),
            "--seed",
            "lobby=a,b",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.starts_with("seeded room"))
        .collect();
    let text = lines.join("\n");
    let admin = std::net::TcpStream::connect(("127.0.0.1", port));
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        text.contains(&format!("ZEGO_ENDPOINT=http://127.0.0.1:{port}")),
        "{text}"
    );
    assert!(
        text.contains("ZEGO_SERVER_SECRET=") && text.contains("ENABLEX_APP_KEY="),
        "{text}"
    );
    assert!(
        text.contains(&format!("ZEGO_RTC_ENDPOINT=http://127.0.0.1:{}", port + 1)),
        "{text}"
    );
    assert!(admin.is_ok(), "the ZIM emulator accepts connections");
}

#[tokio::test(flavor = "multi_thread")]
async fn emulate_posts_signed_callbacks_to_the_given_url() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/app", receiver.local_addr().unwrap());
    let mut child = moderator()
        .args(["emulate", "--port", "0", "--seed", "lobby=7"])
        .args(["--callbacks", &url])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Every provider with signed callbacks announces the seeded member, each on its own route.
    let mut seen = std::collections::BTreeSet::new();
    let waited = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while seen.len() < 5 {
            let (mut socket, _) = receiver.accept().await.unwrap();
            let mut head = vec![0; 4096];
            let n = socket.read(&mut head).await.unwrap_or(0);
            let text = String::from_utf8_lossy(&head[..n]).to_string();
            if let Some(path) = text.lines().next().and_then(|l| l.split(' ').nth(1)) {
                seen.insert(path.to_owned());
            }
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                .await;
        }
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(waited.is_ok(), "callbacks seen: {seen:?}");
    let expected: std::collections::BTreeSet<String> =
        ["zego-zim", "zego-rtc", "livekit", "agora-rtc", "agora-chat"]
            .iter()
            .map(|p| format!("/app/webhooks/{p}"))
            .collect();
    assert_eq!(seen, expected);
}

/// `emulate --help` names every API and listener a fault rule can target, so that an operator
/// learns them there as the emulator grows.
#[test]
fn emulate_help_names_every_fault_target() {
    let output = moderator().args(["emulate", "--help"]).output().unwrap();
    // clap wraps the help text: compare it with the line breaks and indentation taken out.
    let help: String = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for api in room_moderator_emulator::Api::ALL {
        assert!(help.contains(api.name()), "{} is missing", api.name());
    }
    for listener in room_moderator_emulator::Listener::ALL {
        assert!(
            help.contains(&format!(" {},", listener.name()))
                || help.contains(&format!(" {} ", listener.name())),
            "{} is missing",
            listener.name()
        );
    }
}

#[test]
fn emulate_refuses_a_callback_url_that_is_not_http() {
    let output = moderator()
        .args(["emulate", "--port", "0", "--callbacks", "ftp://127.0.0.1/"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--callbacks"), "{stderr}");
}

fn users_file(name: &str, n: usize) -> std::path::PathBuf {
    let file = std::env::temp_dir().join(format!(
        "room-moderator-cli-{name}-{}.txt",
        std::process::id()
    ));
    let users: String = (0..n).map(|i| format!("user-{i}\n")).collect();
    std::fs::write(&file, users).expect("a temporary users file");
    file
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deadline_shorter_than_the_quota_allows_is_refused_before_sending() {
    let emulator = Emulator::start().await.unwrap();
    let file = users_file("deadline", 2_000);
    let mut command = zim_kick(&emulator);
    command
        .arg("--users-file")
        .arg(&file)
        .args(["--deadline", "1s"]);
    let output = run(command).await;
    let _ = std::fs::remove_file(&file);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("1s") && stderr.contains("1.95s"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(emulator.zego().zim().controls().counters().requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_shows_the_estimate_and_the_deadline() {
    let emulator = Emulator::start().await.unwrap();
    let file = users_file("estimate", 10_000);
    let mut command = zim_kick(&emulator);
    command.arg("--users-file").arg(&file).arg("--dry-run");
    let output = run(command).await;
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("calls: 200 (batch sizes: 50 x 200)"),
        "{stdout}"
    );
    assert!(stdout.contains("at least 9.95s"), "{stdout}");
    assert!(stdout.contains("deadline: 2m 39s 500ms"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_secret_costs_at_most_the_calls_in_flight_and_every_user_is_reported() {
    let emulator = Emulator::start().await.unwrap();
    let file = users_file("secret", 10_000);
    let mut command = zim_kick(&emulator);
    command
        .env("ZEGO_SERVER_SECRET", "ffffffffffffffffffffffffffffffff")
        .arg("--users-file")
        .arg(&file)
        .arg("--json");
    let output = run(command).await;
    let _ = std::fs::remove_file(&file);
    assert_eq!(output.status.code(), Some(1));
    let requests = emulator.zego().zim().controls().counters().requests;
    assert!((1..=8).contains(&requests), "{requests} calls");
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 10_001, "one line per user and the summary");
    assert!(
        lines[..10_000]
            .iter()
            .all(|l| l["error"]["kind"] == "unauthenticated"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[10_000]["summary"]["failed"], 10_000);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.lines().count() <= 3, "logged once: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ivschat_without_any_aws_credentials_exits_two_before_sending() {
    let emulator = Emulator::start().await.unwrap();
    let ivs = emulator.ivschat();
    let home = std::env::temp_dir().join(format!("room-moderator-cli-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    // `moderator()` already removes every AWS_ variable of this environment.
    let mut command = moderator();
    without_aws_environment(&mut command, &home);
    command
        .env("AWS_REGION", ivs.region())
        .args(["kick", "--provider", "ivschat", "--room"])
        .arg(ivs.room_arn("lobby"))
        .args(["--user", "a", "--endpoint"])
        .arg(ivs.base_url());
    let output = run(command).await;
    let _ = std::fs::remove_dir_all(&home);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("AWS_ACCESS_KEY_ID"), "{stderr}");
    assert!(stderr.lines().count() <= 3, "{stderr}");
    assert_eq!(ivs.controls().counters().requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_sending_drains_prints_every_user_and_exits_130() {
    let emulator = Emulator::start().await.unwrap();
    let zim = emulator.zego().zim();
    let file = users_file("interrupt", 10_000);
    zim.seed_room("lobby", (0..10_000).map(|i| format!("user-{i}")));
    let mut command = zim_kick(&emulator);
    command
        .arg("--users-file")
        .arg(&file)
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().expect("binary starts");
    // Interrupt once the job is under way (the first calls have arrived), not after a fixed sleep.
    let mut waited = 0;
    // (kicked users, not requests: the presence check before the kicks makes calls too)
    while zim.kicks().len() < 100 && waited < 300 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-INT", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()));
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 10_001, "every user once, then the summary");
    let removed = lines[..10_000]
        .iter()
        .filter(|l| l["outcome"] == "disconnected")
        .count();
    let cancelled = lines[..10_000]
        .iter()
        .filter(|l| l["error"]["kind"] == "cancelled")
        .count();
    assert_eq!(removed + cancelled, 10_000);
    assert!(
        cancelled > 0 && removed > 0,
        "{removed} removed, {cancelled} cancelled"
    );
    let calls = zim.controls().counters().requests;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        zim.controls().counters().requests,
        calls,
        "nothing sent after"
    );
    // The first interrupt stops sending and waits for the calls in flight (tests/stop.rs): no
    // user is left with "may or may not have removed". Every user reported removed left the room;
    // every user reported "not sent" is still there.
    let in_flight = lines[..10_000]
        .iter()
        .filter(|l| {
            l["error"]["kind"] == "cancelled"
                && l["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("may or may not"))
        })
        .count();
    let left = 10_000 - zim.members("lobby").map_or(0, |m| m.len());
    assert_eq!(in_flight, 0, "the calls in flight were answered");
    assert_eq!(
        left, removed,
        "{left} left the room; {removed} reported removed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bench_measures_a_job_at_the_quota() {
    let mut command = moderator();
    command.args([
        "bench",
        "--provider",
        "zego-rtc",
        "--users",
        "250",
        "--latency",
        "5ms",
        "--json",
    ]);
    let output = run(command).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let run: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(run["provider"], "zego-rtc");
    assert_eq!(run["removed"], 250);
    // 50 calls, plus one more for each that the emulator throttled (it counts exact sliding seconds
    // at arrival; a machine busy with other tests can delay a call past the pacer's margin).
    let throttled = run["throttled"].as_u64().unwrap();
    assert_eq!(run["calls"].as_u64().unwrap(), 50 + throttled, "{run}");
    assert!(throttled <= 2, "{run}");
    assert!(run["ratio"].as_f64().unwrap() >= 1.0, "{run}");
}
