//! Runs the built `moderator` binary against in-process emulators.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};

use moderator_emulator::Emulator;

fn moderator() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_moderator"));
    for var in [
        "ZEGO_APP_ID",
        "ZEGO_SERVER_SECRET",
        "ZEGO_REGION",
        "ZEGO_ENDPOINT",
        "MODERATOR_PROVIDER",
    ] {
        command.env_remove(var);
    }
    command
}

/// Runs the binary off the async runtime so the emulator keeps serving.
async fn run(mut command: Command, stdin: Option<&'static str>) -> Output {
    tokio::task::spawn_blocking(move || {
        command.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("binary starts");
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes()).expect("stdin written");
        }
        child.wait_with_output().expect("binary ends")
    })
    .await
    .expect("join")
}

fn zego_kick(emulator: &Emulator) -> Command {
    let zego = emulator.zego();
    let mut command = moderator();
    command
        .env("ZEGO_APP_ID", zego.app_id().to_string())
        .env("ZEGO_SERVER_SECRET", zego.server_secret())
        .args([
            "kick",
            "--provider",
            "zego-zim",
            "--room",
            "lobby",
            "--endpoint",
        ])
        .arg(zego.zim().url());
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn kick_prints_json_outcomes_and_exits_zero() {
    let emulator = Emulator::start().await.unwrap();
    emulator.zego().zim().seed_room("lobby", ["a", "b", "c"]);
    let mut command = zego_kick(&emulator);
    command.args(["--user", "a", "--user", "ghost", "--json", "-"]);
    let output = run(command, Some("b\n# comment\n\n")).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let outcomes: Vec<(&str, &str)> = lines
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
    let mut command = zego_kick(&emulator);
    // A wrong secret: the provider answers, every user fails with Unauthenticated.
    command
        .env("ZEGO_SERVER_SECRET", "ffffffffffffffffffffffffffffffff")
        .args(["--user", "a"]);
    let output = run(command, None).await;
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
    let file = std::env::temp_dir().join(format!("moderator-cli-users-{}.txt", std::process::id()));
    let users: String = (0..120).map(|i| format!("user-{i}\n")).collect();
    std::fs::write(&file, users).unwrap();
    let mut command = zego_kick(&emulator);
    command.arg("--users-file").arg(&file).arg("--dry-run");
    let output = run(command, None).await;
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
    let output = run(missing, None).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("ZEGO_APP_ID"));

    let mut bad_id = zego_kick(&emulator);
    bad_id.args(["--user", &"x".repeat(40)]);
    let output = run(bad_id, None).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid input"));

    let mut unreadable = zego_kick(&emulator);
    unreadable.args(["--users-file", "/nonexistent/list.txt"]);
    let output = run(unreadable, None).await;
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
        let mut command = moderator();
        command
            .env("ENABLEX_APP_ID", enablex.app_id())
            .env("ENABLEX_APP_KEY", enablex.app_key())
            .args([
                "kick-all",
                "--provider",
                "enablex",
                "--room",
                "stage",
                "--endpoint",
            ])
            .arg(enablex.api_url())
            .args(extra);
        command
    };
    let refused = run(base(&[]), None).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--yes"));
    assert_eq!(enablex.members("stage").map(|m| m.len()), Some(2));

    let done = run(base(&["--yes"]), None).await;
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
    let output = run(unsupported, None).await;
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
    for provider in ["zego-zim", "zego-rtc", "ivschat", "enablex"] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(provider))
            .expect(provider);
        assert!(row.ends_with("ok"), "{row}");
    }
}

#[test]
fn emulate_serves_and_prints_credentials() {
    // Port 0 would print nothing useful; pick a high port unlikely to be taken.
    let port = 20_000 + (std::process::id() % 20_000) as u16;
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
    assert!(admin.is_ok(), "the ZIM emulator accepts connections");
}
