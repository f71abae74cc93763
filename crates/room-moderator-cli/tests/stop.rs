//! Ctrl-C during a kick and a ban, through the binary against the ZIM emulator: the first
//! interrupt stops sending and waits for the calls in flight (their users get the provider's real
//! outcome, the rest "not sent: stopped"); a second abandons the calls in flight.
//!
//! The emulator's latency keeps the first wave of calls in flight for seconds, so the interrupt
//! lands while they are on the wire whatever the machine's load: the test waits for the calls to
//! arrive, never for a fixed time.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use room_moderator_emulator::Emulator;

mod common;
use common::{TempDir, configured, json_lines, run, zim_kick};

/// Users in the job: 20 calls of 50 at ZIM's batch size, far more than are in flight at once.
const USERS: usize = 1_000;
/// How long the emulator holds every answer: longer than a loaded machine takes between the
/// calls' arrival and the interrupt, shorter than the adapter's 10 s per-call timeout.
const LATENCY: Duration = Duration::from_secs(5);

fn users_file(name: &str) -> std::path::PathBuf {
    let file = std::env::temp_dir().join(format!(
        "room-moderator-cli-stop-{name}-{}.txt",
        std::process::id()
    ));
    let users: String = (0..USERS).map(|i| format!("user-{i}\n")).collect();
    std::fs::write(&file, users).expect("a temporary users file");
    file
}

/// The running binary: its stderr lines as they come, its stdout read as it comes (so that a full
/// pipe never blocks it), and the calls in flight when its first wave had arrived.
struct Running {
    child: Child,
    heard: mpsc::Receiver<String>,
    stdout: std::thread::JoinHandle<Vec<u8>>,
    calls: u64,
}

/// `command` started with its stderr lines sent as they come and its stdout read as it comes (so
/// that a full pipe never blocks it).
fn spawned(
    mut command: Command,
) -> (
    Child,
    mpsc::Receiver<String>,
    std::thread::JoinHandle<Vec<u8>>,
) {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("binary starts");
    let stderr = child.stderr.take().expect("stderr piped");
    let mut out = child.stdout.take().expect("stdout piped");
    let stdout = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut bytes);
        bytes
    });
    let (lines, heard) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    (child, heard, stdout)
}

/// A ZIM kick of every user with the emulator holding each answer for [`LATENCY`], started.
async fn started(emulator: &Emulator, name: &str) -> Running {
    let zim = emulator.zego().zim();
    zim.seed_room("lobby", (0..USERS).map(|i| format!("user-{i}")));
    zim.controls().set_latency(LATENCY);
    let file = users_file(name);
    let mut command: Command = zim_kick(emulator);
    command
        .arg("--users-file")
        .arg(&file)
        .args(["--json", "--no-presence-check"]);
    let (child, heard, stdout) = spawned(command);
    // The first wave is in flight once its calls arrived (paced at 20 a second, so within half a
    // second of the first); the next can only follow their answers, LATENCY later, so the count
    // then holds still. Taken once it held for a second.
    let mut waited = 0;
    let mut calls = 0;
    let mut still = 0;
    while waited < 1_200 && still < 20 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
        let now = zim.controls().counters().requests;
        still = if now > 0 && now == calls {
            still + 1
        } else {
            0
        };
        calls = now;
    }
    let _ = std::fs::remove_file(&file);
    assert!(calls > 0, "the job started");
    eprintln!("{calls} calls in flight after {} ms", waited * 50);
    Running {
        child,
        heard,
        stdout,
        calls,
    }
}

fn interrupt(child: &Child) {
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    assert!(killed.is_ok_and(|s| s.success()));
}

/// Waits for a stderr line containing `text`, and returns it.
fn line_with(heard: &mpsc::Receiver<String>, text: &str) -> String {
    let mut before = Vec::new();
    loop {
        match heard.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.contains(text) => return line,
            Ok(line) => before.push(line),
            Err(error) => panic!("no stderr line with {text:?} ({error}), only {before:?}"),
        }
    }
}

async fn finished(child: Child, stdout: std::thread::JoinHandle<Vec<u8>>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut output = child.wait_with_output().expect("the binary ends");
        output.stdout = stdout.join().expect("stdout read");
        output
    })
    .await
    .expect("join")
}

/// The users whose outcome line's error message contains `text`.
fn with_message<'a>(lines: &'a [serde_json::Value], text: &str) -> Vec<&'a str> {
    lines
        .iter()
        .filter(|line| {
            line["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(text))
        })
        .filter_map(|line| line["user"].as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_ctrl_c_waits_for_the_calls_in_flight_and_reports_their_real_outcome() {
    let emulator = Emulator::start().await.expect("emulators start");
    let zim = emulator.zego().zim();
    let Running {
        child,
        heard,
        stdout,
        calls,
    } = started(&emulator, "drain").await;
    interrupt(&child);
    let stopping = line_with(&heard, "stopping:");
    assert!(
        stopping.contains(&format!("waiting for {calls} calls in flight")),
        "{stopping}"
    );
    let output = finished(child, stdout).await;
    assert_eq!(output.status.code(), Some(130));
    assert!(
        heard.iter().any(|line| line.contains("moderator: stopped")),
        "the end says the calls in flight were answered"
    );
    let lines = json_lines(&output);
    assert_eq!(lines.len(), USERS + 1, "every user once, then the summary");
    let users = &lines[..USERS];
    // Nothing was sent after the interrupt: the calls in flight then are all there are.
    assert_eq!(zim.controls().counters().requests, calls);
    let removed: Vec<&str> = users
        .iter()
        .filter(|l| l["outcome"] == "disconnected")
        .filter_map(|l| l["user"].as_str())
        .collect();
    let not_sent = with_message(users, "not sent: stopped");
    assert_eq!(
        removed.len() as u64,
        50 * calls,
        "the calls in flight answered"
    );
    assert_eq!(removed.len() + not_sent.len(), USERS);
    assert!(with_message(users, "may or may not").is_empty());
    for line in users {
        if line["outcome"] != "disconnected" {
            assert_eq!(line["error"]["kind"], "cancelled", "{line}");
            assert_eq!(line["attempts"], 0, "{line}");
        }
    }
    // The room agrees with the report.
    let members = zim.members("lobby").expect("the room");
    assert_eq!(members.len(), not_sent.len());
    assert!(
        removed
            .iter()
            .all(|user| !members.iter().any(|m| m == user))
    );
    assert!(
        not_sent
            .iter()
            .all(|user| members.iter().any(|m| m == user))
    );
    let summary = &lines[USERS]["summary"];
    assert_eq!(
        summary["disconnected"].as_u64(),
        Some(50 * calls),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_ctrl_c_abandons_the_calls_in_flight() {
    let emulator = Emulator::start().await.expect("emulators start");
    let zim = emulator.zego().zim();
    let Running {
        child,
        heard,
        stdout,
        calls,
    } = started(&emulator, "abandon").await;
    interrupt(&child);
    // The second only once the first was heard (two at once would be one to the process).
    line_with(&heard, "stopping:");
    interrupt(&child);
    let output = finished(child, stdout).await;
    assert_eq!(output.status.code(), Some(130));
    assert!(
        heard
            .iter()
            .any(|line| line.contains("moderator: interrupted")),
        "the end says the calls in flight may or may not have acted"
    );
    let lines = json_lines(&output);
    assert_eq!(lines.len(), USERS + 1, "every user once, then the summary");
    let users = &lines[..USERS];
    assert_eq!(zim.controls().counters().requests, calls);
    let in_flight = with_message(users, "may or may not");
    let not_sent = with_message(users, "not sent");
    assert_eq!(
        in_flight.len() as u64,
        50 * calls,
        "abandoned before answering"
    );
    assert_eq!(in_flight.len() + not_sent.len(), USERS);
    assert!(users.iter().all(|l| l["error"]["kind"] == "cancelled"));
    // The users not sent are all still in the room; those abandoned in flight may or may not be.
    let members = zim.members("lobby").expect("the room");
    assert!(
        not_sent
            .iter()
            .all(|user| members.iter().any(|m| m == user))
    );
    assert!(members.len() >= not_sent.len());
}

/// A ban stopped while its kick's presence check is on the wire: the check answers, no kick is
/// sent, every user is reported `cancelled` "not sent: stopped" with the ban recorded, and the
/// join gate keeps them out.
#[tokio::test(flavor = "multi_thread")]
async fn a_first_ctrl_c_stops_a_ban_after_the_calls_in_flight() {
    let emulator = Emulator::start().await.expect("emulators start");
    let zim = emulator.zego().zim();
    let home = TempDir::new("stop-ban");
    let store = format!("sqlite://{}", home.path().join("bans.sqlite3").display());
    let users: Vec<String> = (0..20).map(|i| format!("raider-{i}")).collect();
    zim.seed_room("lobby", users.clone());
    zim.controls().set_latency(LATENCY);
    let mut command = configured(
        &emulator,
        home.path(),
        &[
            "ban",
            "--provider",
            "zego-zim",
            "--room",
            "lobby",
            "--json",
            "--store",
            &store,
        ],
    );
    for user in &users {
        command.args(["--user", user]);
    }
    let (child, heard, stdout) = spawned(command);
    // The presence check lists the room (one page): held by the emulator for LATENCY.
    let mut waited = 0;
    while zim.controls().counters().requests < 1 && waited < 1_200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    interrupt(&child);
    let stopping = line_with(&heard, "stopping:");
    assert!(
        stopping.contains("waiting for 1 call in flight"),
        "{stopping}"
    );
    let output = finished(child, stdout).await;
    assert_eq!(output.status.code(), Some(130));
    let lines = json_lines(&output);
    assert_eq!(
        lines.len(),
        users.len() + 1,
        "every user once, then the summary"
    );
    for line in &lines[..users.len()] {
        assert_eq!(line["outcome"], "failed", "{line}");
        assert_eq!(line["recorded"], true, "{line}");
        assert_eq!(line["error"]["kind"], "cancelled", "{line}");
        assert!(
            line["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("not sent: stopped")),
            "{line}"
        );
    }
    assert_eq!(zim.controls().counters().requests, 1, "no kick was sent");
    assert!(zim.kicks().is_empty());
    assert_eq!(zim.members("lobby").map(|m| m.len()), Some(users.len()));
    // The ban holds all the same.
    zim.controls().set_latency(Duration::ZERO);
    let bans = configured(
        &emulator,
        home.path(),
        &[
            "bans",
            "--provider",
            "zego-zim",
            "--room",
            "lobby",
            "--json",
            "--store",
            &store,
        ],
    );
    let listed = json_lines(&run(bans).await);
    assert_eq!(listed.len(), users.len() + 1, "{listed:?}");
}
