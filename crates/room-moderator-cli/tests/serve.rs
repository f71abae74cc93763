//! `moderator serve` as a process: its first line, `/healthz`, `/metrics`, one line per provider
//! without a secret, a signed ZIM `room_enter` of a banned user re-kicked in the emulator with the
//! ban's reason, and a clean exit on SIGTERM after the re-kick.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};

use common::{moderator, run, zego_env};
use room_moderator::adapter::wall_clock_now;
use room_moderator::webhooks::{Route, sign};
use room_moderator_emulator::Emulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "zego-callback-secret";

/// One HTTP/1.1 exchange on a fresh connection: the status and the body.
async fn http(
    address: &str,
    request_line: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, String) {
    let connect = tokio::net::TcpStream::connect(address);
    let mut stream = tokio::time::timeout(std::time::Duration::from_secs(10), connect)
        .await
        .expect("connects in time")
        .expect("connects");
    let mut head = format!(
        "{request_line} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("answers in time")
    .expect("read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Waits (off the runtime) for the child's first stdout line.
async fn first_line(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("piped");
    tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("a line");
        line
    })
    .await
    .expect("join")
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_rekicks_a_banned_zim_user_and_stops_on_sigterm() {
    let emulator = Emulator::start().await.expect("emulator");
    let zim = emulator.zego().zim();
    zim.seed_room("lobby", ["troll", "guest"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = format!("sqlite://{}", dir.path().join("bans.sqlite3").display());

    let mut ban = moderator();
    zego_env(&mut ban, &emulator);
    ban.args([
        "ban",
        "--provider",
        "zego-zim",
        "--room",
        "lobby",
        "--user",
        "troll",
        "--reason",
        "raiding",
        "--store",
        &store,
    ]);
    let output = run(ban).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The banned user comes back with the session they still hold.
    zim.seed_room("lobby", ["troll"]);
    let kicks_before = zim.kicks().len();

    let mut serve = moderator();
    zego_env(&mut serve, &emulator);
    serve
        .env("ZEGO_CALLBACK_SECRET", format!("rotated-out, {SECRET}"))
        .args(["serve", "--listen", "127.0.0.1:0", "--store", &store])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = serve.spawn().expect("serve starts");
    let line = first_line(&mut child).await;
    let address = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_owned();

    assert_eq!(
        http(&address, "GET /healthz", &[], b"").await,
        (200, "ok\n".to_owned())
    );
    let callback = sign::event(
        Route::ZegoZim,
        true,
        ("", SECRET),
        ("lobby", "troll"),
        "777001",
        wall_clock_now(),
    );
    let (status, _) = http(
        &address,
        &format!("POST {}", callback.path),
        &[("Content-Type", "application/json".into())],
        &callback.body,
    )
    .await;
    assert_eq!(status, 200);
    let forged = sign::event(
        Route::ZegoZim,
        true,
        ("", "guess"),
        ("lobby", "guest"),
        "777002",
        wall_clock_now(),
    );
    let (status, _) = http(
        &address,
        &format!("POST {}", forged.path),
        &[],
        &forged.body,
    )
    .await;
    assert_eq!(status, 401);
    let (status, metrics) = http(&address, "GET /metrics", &[], b"").await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains("moderator_webhook_callbacks_total{provider=\"zego-zim\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "moderator_webhook_refused_total{provider=\"zego-zim\",reason=\"signature\"} 1"
        ),
        "{metrics}"
    );

    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let output = tokio::task::spawn_blocking(move || {
        let status = child.wait().expect("exits");
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("piped")
            .read_to_string(&mut stderr)
            .expect("stderr");
        (status, stderr)
    })
    .await
    .expect("join");
    assert!(
        output.0.success(),
        "exit status {:?}, stderr:\n{}",
        output.0,
        output.1
    );
    assert!(
        output
            .1
            .contains("no route for livekit: set LIVEKIT_API_KEY and LIVEKIT_API_SECRET"),
        "{}",
        output.1
    );
    assert!(
        output
            .1
            .contains("no route for agora-rtc: set AGORA_NCS_SECRET"),
        "{}",
        output.1
    );
    assert!(!output.1.contains(SECRET), "no secret in the logs");

    let kicks = zim.kicks();
    let rekicks: Vec<_> = kicks[kicks_before..].iter().collect();
    assert_eq!(rekicks.len(), 1, "{rekicks:?}");
    assert_eq!(
        (rekicks[0].room.as_str(), rekicks[0].user.as_str()),
        ("lobby", "troll")
    );
    assert_eq!(rekicks[0].reason.as_deref(), Some("raiding"));
    assert_eq!(zim.members("lobby"), Some(vec!["guest".to_owned()]));
}

#[tokio::test]
async fn serve_without_any_secret_says_so_and_exits_2() {
    let mut serve = moderator();
    serve.args(["serve", "--listen", "127.0.0.1:0", "--store", "memory:"]);
    let output = run(serve).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for provider in ["zego-zim", "zego-rtc", "livekit", "agora-rtc", "agora-chat"] {
        assert!(
            stderr.contains(&format!("no route for {provider}: set ")),
            "{stderr}"
        );
    }
    assert!(
        stderr.contains("no provider has a callback secret set"),
        "{stderr}"
    );
}
