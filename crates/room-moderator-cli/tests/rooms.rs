//! Room awareness through the binary, against the embedded emulators: `members` on ZIM, RTC and
//! IVS Chat (which cannot list), `kick` fanned out to a ZIM and an RTC room at once, and `kick-all`
//! by listing and kicking.

use room_moderator_emulator::{Emulator, Fault};

mod common;
use common::{TempDir, configured, json_lines, run, stderr, stdout};

/// `kick` fanned out: `--target <target>` for each of `targets`, `--user <user>` for each of
/// `users`, then `rest`.
fn kick_targets(
    emulator: &Emulator,
    home: &TempDir,
    targets: &[&str],
    users: &[&str],
    rest: &[&str],
) -> std::process::Command {
    let mut command = configured(emulator, home.path(), &["kick"]);
    for target in targets {
        command.args(["--target", target]);
    }
    for user in users {
        command.args(["--user", user]);
    }
    command.args(rest);
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn members_counts_first_then_lists_every_member_on_zim_and_rtc() {
    let emulator = Emulator::start().await.expect("emulators start");
    let home = TempDir::new("members-home");
    let zego = emulator.zego();
    zego.zim().seed_room("lobby", ["carol", "alice", "bob"]);
    zego.rtc().seed_room("stage", ["dave", "erin"]);

    for (provider, room, ids) in [
        ("zego-zim", "lobby", vec!["alice", "bob", "carol"]),
        ("zego-rtc", "stage", vec!["dave", "erin"]),
    ] {
        let human = configured(
            &emulator,
            home.path(),
            &["members", "--provider", provider, "--room", room],
        );
        let output = run(human).await;
        assert_eq!(
            output.status.code(),
            Some(0),
            "{provider}: {}",
            stderr(&output)
        );
        let text = stdout(&output);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            format!("{} members in {room} on {provider}", ids.len()),
            "{text}"
        );
        assert!(lines[1].starts_with("id"), "a header: {text}");
        let listed: Vec<&str> = lines[2..]
            .iter()
            .map(|line| line.split_whitespace().next().unwrap_or_default())
            .collect();
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ids, "{text}");

        let json = configured(
            &emulator,
            home.path(),
            &["members", "--provider", provider, "--room", room, "--json"],
        );
        let output = run(json).await;
        assert_eq!(
            output.status.code(),
            Some(0),
            "{provider}: {}",
            stderr(&output)
        );
        let lines = json_lines(&output);
        let (summary, members) = lines.split_last().expect("a summary line");
        assert_eq!(summary["summary"]["members"], ids.len(), "{summary}");
        assert_eq!(summary["provider"], provider);
        let mut listed: Vec<&str> = members
            .iter()
            .map(|m| {
                assert_eq!(m["provider"], provider);
                assert_eq!(m["room"], room);
                m["id"].as_str().expect("an id")
            })
            .collect();
        listed.sort_unstable();
        assert_eq!(listed, ids);
    }
    // Listing removed nobody.
    assert_eq!(zego.rtc().members("stage").map(|m| m.len()), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn members_of_an_empty_room_is_a_count_of_zero() {
    let emulator = Emulator::start().await.expect("emulators start");
    let home = TempDir::new("members-empty-home");
    emulator
        .zego()
        .rtc()
        .seed_room("empty", Vec::<String>::new());
    let command = configured(
        &emulator,
        home.path(),
        &["members", "--provider", "zego-rtc", "--room", "empty"],
    );
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "0 members in empty on zego-rtc\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn members_on_ivschat_is_unsupported_and_calls_nothing() {
    let emulator = Emulator::start().await.expect("emulators start");
    let home = TempDir::new("members-ivs-home");
    let ivs = emulator.ivschat();
    let room = ivs.room_arn("lobby");
    ivs.seed_room(&room, ["alice"]);
    let command = configured(
        &emulator,
        home.path(),
        &["members", "--provider", "ivschat", "--room", &room],
    );
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let error = stderr(&output);
    assert!(error.contains("unsupported"), "{error}");
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(stdout(&output).is_empty());
    assert_eq!(ivs.controls().counters().requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn kick_fans_out_to_two_targets_and_exits_one_when_one_of_them_fails() {
    let emulator = Emulator::start().await.expect("emulators start");
    let home = TempDir::new("fan-out-home");
    let zego = emulator.zego();
    zego.zim().seed_room("lobby", ["a", "b", "c"]);
    zego.rtc().seed_room("stage", ["a", "b", "d"]);
    // RTC answers every call with ZEGO code 2 (input parameter error): a permanent failure.
    zego.rtc().controls().push_faults(
        64,
        Fault::Status {
            status: 200,
            body: r#"{"Code": 2, "Message": "input parameter error", "RequestId": "r-1"}"#
                .to_owned(),
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        },
    );
    let command = kick_targets(
        &emulator,
        &home,
        &["zego-zim:lobby", "zego-rtc:stage"],
        &["a", "b"],
        &["--json"],
    );
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let lines = json_lines(&output);
    assert_eq!(
        lines.len(),
        6,
        "two users and a summary per target: {lines:?}"
    );
    // One report per target, in the targets' order.
    for line in &lines[..3] {
        assert_eq!(line["provider"], "zego-zim", "{line}");
        assert_eq!(line["room"], "lobby", "{line}");
    }
    for line in &lines[3..] {
        assert_eq!(line["provider"], "zego-rtc", "{line}");
        assert_eq!(line["room"], "stage", "{line}");
    }
    assert_eq!(lines[0]["outcome"], "disconnected");
    assert_eq!(lines[1]["outcome"], "disconnected");
    assert_eq!(lines[2]["summary"]["disconnected"], 2);
    assert_eq!(lines[3]["outcome"], "failed");
    assert_eq!(lines[4]["outcome"], "failed");
    assert_eq!(lines[5]["summary"]["failed"], 2);
    assert_eq!(zego.zim().members("lobby"), Some(vec!["c".to_owned()]));
    assert_eq!(
        zego.rtc().members("stage").map(|m| m.len()),
        Some(3),
        "the failed target kept its users"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kick_fans_out_for_people_with_a_header_per_target_and_exits_zero() {
    let emulator = Emulator::start().await.expect("emulators start");
    let home = TempDir::new("fan-out-ok-home");
    let zego = emulator.zego();
    zego.zim().seed_room("lobby", ["a", "c"]);
    zego.rtc().seed_room("stage", ["a", "d"]);
    let command = kick_targets(
        &emulator,
        &home,
        &["zego-zim:lobby", "zego-rtc:stage"],
        &["a"],
        &[],
    );
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let zim = text.find("zego-zim lobby:").expect("a ZIM header");
    let rtc = text.find("zego-rtc stage:").expect("an RTC header");
    assert!(zim < rtc, "{text}");
    assert_eq!(text.matches("disconnected ").count(), 2, "{text}");
    assert_eq!(zego.zim().members("lobby"), Some(vec!["c".to_owned()]));
    assert_eq!(zego.rtc().members("stage"), Some(vec!["d".to_owned()]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_over_two_targets_plans_each_with_zim_presence_calls_and_sends_nothing() {
    let emulator = Emulator::start().await.expect("emulators start");
    let home = TempDir::new("fan-out-dry-home");
    let zego = emulator.zego();
    let dry_run = || {
        kick_targets(
            &emulator,
            &home,
            &["zego-zim:lobby", "zego-rtc:stage"],
            &["a", "b"],
            &["--dry-run"],
        )
    };
    let output = run(dry_run()).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let (zim, rtc) = text.split_once("\n\n").expect("one plan per target");
    assert!(
        zim.contains("provider: zego-zim") && zim.contains("room: lobby"),
        "{zim}"
    );
    assert!(
        zim.contains("presence: checked first: 1 presence call"),
        "{zim}"
    );
    assert!(rtc.contains("provider: zego-rtc"), "{rtc}");
    assert!(
        !rtc.contains("presence"),
        "RTC kicks absent users harmlessly: {rtc}"
    );

    let mut skipped = dry_run();
    skipped.arg("--no-presence-check");
    let output = run(skipped).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("presence: not checked"),
        "{}",
        stdout(&output)
    );
    assert_eq!(zego.zim().controls().counters().requests, 0);
    assert_eq!(zego.rtc().controls().counters().requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_user_for_one_target_stops_every_target_before_sending() {
    let emulator = Emulator::start().await.expect("emulators start");
    let home = TempDir::new("fan-out-bad-home");
    let zego = emulator.zego();
    zego.zim().seed_room("lobby", ["a"]);
    zego.rtc().seed_room("stage", ["a"]);
    // ZIM takes at most 32 bytes in a user id.
    let long = "x".repeat(40);
    let command = kick_targets(
        &emulator,
        &home,
        &["zego-rtc:stage", "zego-zim:lobby"],
        &["a", &long],
        &[],
    );
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(zego.zim().controls().counters().requests, 0);
    assert_eq!(zego.rtc().controls().counters().requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn kick_all_lists_shows_the_count_and_kicks_exactly_those_members() {
    let emulator = Emulator::start().await.expect("emulators start");
    let home = TempDir::new("kick-all-home");
    let zim = emulator.zego().zim();
    zim.seed_room("lobby", ["a", "b", "c"]);

    let unconfirmed = configured(
        &emulator,
        home.path(),
        &["kick-all", "--provider", "zego-zim", "--room", "lobby"],
    );
    let output = run(unconfirmed).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--yes"), "{}", stderr(&output));
    assert_eq!(
        zim.controls().counters().requests,
        0,
        "nothing sent, not even the listing"
    );

    let confirmed = configured(
        &emulator,
        home.path(),
        &[
            "kick-all",
            "--provider",
            "zego-zim",
            "--room",
            "lobby",
            "--yes",
        ],
    );
    let output = run(confirmed).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("3 members in lobby on zego-zim: about to remove them all"),
        "{text}"
    );
    for user in ["a", "b", "c"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with("disconnected") && l.ends_with(user)),
            "a line for {user}: {text}"
        );
    }
    assert!(
        text.contains("3 disconnected, 0 not in room, 0 failed"),
        "{text}"
    );
    assert_eq!(zim.members("lobby"), Some(Vec::new()));

    emulator.zego().rtc().seed_room("stage", ["d", "e"]);
    let json = configured(
        &emulator,
        home.path(),
        &[
            "kick-all",
            "--provider",
            "zego-rtc",
            "--room",
            "stage",
            "--yes",
            "--json",
        ],
    );
    let output = run(json).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[2]["summary"]["disconnected"], 2);
    assert!(stderr(&output).contains("2 members in stage on zego-rtc"));
    assert_eq!(emulator.zego().rtc().members("stage"), Some(Vec::new()));
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_the_presence_check_prints_every_user_as_not_sent() {
    let emulator = Emulator::start().await.expect("emulators start");
    let home = TempDir::new("presence-interrupt-home");
    let zim = emulator.zego().zim();
    let users: Vec<String> = (0..20).map(|i| format!("user-{i}")).collect();
    zim.seed_room("lobby", users.clone());
    // The presence check's first call stays in flight until the process is interrupted.
    zim.controls()
        .set_latency(std::time::Duration::from_secs(30));
    let mut command = configured(
        &emulator,
        home.path(),
        &[
            "kick",
            "--provider",
            "zego-zim",
            "--room",
            "lobby",
            "--json",
        ],
    );
    for user in &users {
        command.args(["--user", user]);
    }
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().expect("binary starts");
    let mut waited = 0;
    while zim.controls().counters().requests < 1 && waited < 300 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    assert!(zim.kicks().is_empty(), "still checking presence");
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status();
    assert!(killed.is_ok_and(|s| s.success()));
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("the binary ends");
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 21, "every user once, then the summary");
    for line in &lines[..20] {
        assert_eq!(line["error"]["kind"], "cancelled", "{line}");
        assert_eq!(line["attempts"], 0, "{line}");
    }
    assert!(zim.kicks().is_empty(), "nobody was kicked");
    assert_eq!(zim.members("lobby").map(|m| m.len()), Some(20));
}
