//! ZegoZim against the emulator over loopback HTTP, through `Arc<dyn Moderator>`.

mod common;

use common::*;
use room_moderator_core::{DisconnectRequest, ErrorKind, Outcome, UserId};
use room_moderator_emulator::zego::{PartialBatch, ZegoConfig};

// The kick tests below turn the engine's presence check off: they script and count the kick's own
// answers. `presence_check_spares_the_failing_kick` shows the check.

fn outcome<'a>(report: &'a room_moderator_core::Report, user: &str) -> &'a Outcome {
    report
        .outcome(&UserId::new(user))
        .expect("every requested user has an outcome")
}

#[tokio::test]
async fn kicks_remove_members_and_carry_reason_and_operator() {
    let emu = emulator(ZegoConfig::default()).await;
    emu.zim().seed_room("lobby", ["alice", "troll", "spammer"]);
    let moderator = moderator(zim(&emu).with_from_user_id("mod-bot").build().unwrap());

    let request = DisconnectRequest::new("lobby", ["troll", "spammer"])
        .with_reason("spam")
        .without_presence_check();
    let report = moderator.disconnect(&request).await.unwrap();

    assert!(matches!(outcome(&report, "troll"), Outcome::Disconnected));
    assert!(matches!(outcome(&report, "spammer"), Outcome::Disconnected));
    assert!(report.reason_delivered());
    assert_eq!(report.calls(), 1);
    assert_eq!(emu.zim().members("lobby"), Some(vec!["alice".to_owned()]));
    let kicks = emu.zim().kicks();
    assert_eq!(kicks.len(), 2);
    assert!(kicks.iter().all(
        |k| k.reason.as_deref() == Some("spam") && k.from_user_id.as_deref() == Some("mod-bot")
    ));
    assert_eq!(emu.zim().controls().counters().violations, 0);
}

#[tokio::test]
async fn a_partial_batch_is_split_until_each_user_is_pinned() {
    let emu = emulator(ZegoConfig::default()).await; // FailWhole: one absent user fails the call
    emu.zim().seed_room("r", ["a", "b", "c", "d"]);
    let moderator = moderator(zim(&emu).build().unwrap());

    let request = DisconnectRequest::new("r", ["a", "ghost1", "b", "c", "ghost2", "d"])
        .without_presence_check();
    let report = moderator.disconnect(&request).await.unwrap();

    for present in ["a", "b", "c", "d"] {
        assert!(
            matches!(outcome(&report, present), Outcome::Disconnected),
            "{present}"
        );
    }
    for ghost in ["ghost1", "ghost2"] {
        assert!(
            matches!(outcome(&report, ghost), Outcome::NotInRoom),
            "{ghost}"
        );
    }
    assert!(report.calls() > 1, "the batch was split");
    assert_eq!(emu.zim().members("r"), Some(vec![]));
    let first = &emu.zim().controls().requests()[0];
    assert_eq!(
        values(first, "UserId[]").len(),
        6,
        "one call first, then splits"
    );
}

#[tokio::test]
async fn a_partial_batch_under_the_other_reading_still_leaves_nobody_in_the_room() {
    let emu = emulator(ZegoConfig {
        zim_partial: PartialBatch::RemovePresent,
        ..ZegoConfig::default()
    })
    .await;
    emu.zim().seed_room("r", ["a", "b"]);
    let moderator = moderator(zim(&emu).build().unwrap());

    let report = moderator
        .disconnect(&DisconnectRequest::new("r", ["a", "ghost", "b"]).without_presence_check())
        .await
        .unwrap();

    assert!(report.all_gone(), "{report:?}");
    assert!(matches!(outcome(&report, "ghost"), Outcome::NotInRoom));
    assert_eq!(emu.zim().members("r"), Some(vec![]));
}

#[tokio::test]
async fn a_single_absent_user_is_not_in_room_in_one_call() {
    let emu = emulator(ZegoConfig::default()).await;
    emu.zim().seed_room("r", ["a"]);
    let moderator = moderator(zim(&emu).build().unwrap());
    let report = moderator
        .disconnect(&DisconnectRequest::new("r", ["ghost"]).without_presence_check())
        .await
        .unwrap();
    assert!(matches!(outcome(&report, "ghost"), Outcome::NotInRoom));
    assert_eq!(report.calls(), 1);
}

#[tokio::test]
async fn one_hundred_twenty_users_go_in_calls_of_50_50_20() {
    let emu = emulator(ZegoConfig::default()).await;
    let users: Vec<String> = (0..120).map(|i| format!("user-{i:03}")).collect();
    emu.zim().seed_room("big", users.clone());
    let moderator = moderator(zim(&emu).build().unwrap());

    let report = moderator
        .disconnect(&DisconnectRequest::new("big", users).without_presence_check())
        .await
        .unwrap();

    assert_eq!(report.summary().disconnected, 120);
    assert_eq!(emu.zim().members("big"), Some(vec![]));
    let log = emu.zim().controls().requests();
    let mut sizes: Vec<usize> = log.iter().map(|r| values(r, "UserId[]").len()).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [20, 50, 50]);
    assert!(
        log.iter().all(|r| r.result == "ok"),
        "paced under 20/s: {log:?}"
    );
}

#[tokio::test]
async fn reserved_characters_round_trip_in_ids_and_reason() {
    let emu = emulator(ZegoConfig::default()).await;
    let room = "room #1&2+3";
    let users = ["u+1", "u 2", "a&b=c", "x#y", "%41", "q?r=s;t"];
    emu.zim().seed_room(room, users);
    let moderator = moderator(zim(&emu).build().unwrap());
    let reason = "a&b=c #1 +50% ?x";

    let report = moderator
        .disconnect(&DisconnectRequest::new(room, users).with_reason(reason))
        .await
        .unwrap();

    assert_eq!(report.summary().disconnected, users.len(), "{report:?}");
    assert_eq!(emu.zim().members(room), Some(vec![]));
    let kicks = emu.zim().kicks();
    let mut kicked: Vec<&str> = kicks.iter().map(|k| k.user.as_str()).collect();
    kicked.sort_unstable();
    let mut expected = users.to_vec();
    expected.sort_unstable();
    assert_eq!(kicked, expected);
    assert!(
        kicks
            .iter()
            .all(|k| k.room == room && k.reason.as_deref() == Some(reason))
    );
}

#[tokio::test]
async fn an_unknown_room_is_not_found() {
    let emu = emulator(ZegoConfig::default()).await;
    let moderator = moderator(zim(&emu).build().unwrap());
    let report = moderator
        .disconnect(&DisconnectRequest::new("nowhere", ["a", "b"]).without_presence_check())
        .await
        .unwrap();
    for user in ["a", "b"] {
        let error = outcome(&report, user).error().unwrap();
        assert_eq!(error.kind(), ErrorKind::NotFound);
        assert_eq!(error.code(), Some("660300001"));
        assert!(error.request_id().is_some());
    }
    assert_eq!(report.calls(), 1, "not retried");
}

#[tokio::test]
async fn invalid_ids_are_refused_before_anything_is_sent() {
    let emu = emulator(ZegoConfig::default()).await;
    let moderator = moderator(zim(&emu).build().unwrap());
    for request in [
        DisconnectRequest::new("r", ["slash/user"]),
        DisconnectRequest::new("r", ["x".repeat(33)]),
        DisconnectRequest::new("r".repeat(33), ["a"]),
        DisconnectRequest::new("r", ["a"]).with_reason("x".repeat(33)),
        DisconnectRequest::new("r", Vec::<String>::new()),
    ] {
        let err = moderator.disconnect(&request).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    }
    assert!(emu.zim().controls().requests().is_empty());
}

#[tokio::test]
async fn presence_check_spares_the_failing_kick() {
    let emu = emulator(ZegoConfig::default()).await;
    emu.zim().seed_room("r", ["a", "b", "c"]);
    let moderator = moderator(zim(&emu).build().unwrap());

    let report = moderator
        .disconnect(&DisconnectRequest::new("r", ["a", "ghost", "b"]))
        .await
        .unwrap();

    assert!(matches!(outcome(&report, "a"), Outcome::Disconnected));
    assert!(matches!(outcome(&report, "b"), Outcome::Disconnected));
    assert!(matches!(outcome(&report, "ghost"), Outcome::NotInRoom));
    assert_eq!(emu.zim().members("r"), Some(vec!["c".to_owned()]));
    let log = emu.zim().controls().requests();
    let asked = log.iter().filter(|r| {
        let action = value(r, "Action");
        action == "QueryRoomMembers" || action == "QueryRoomUserList"
    });
    assert!(asked.count() >= 1, "{log:?}");
    assert_eq!(emu.zim().controls().counters().violations, 0);
}
