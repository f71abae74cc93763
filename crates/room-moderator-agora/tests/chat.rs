//! `AgoraChat` through the engine against the Chat emulator over loopback HTTP: removals in batches
//! of 60 with per-user results, member paging and kick-all, bans through the block list lapsing on
//! time (in the process that set them and in another sharing the ban store), and a wrong
//! certificate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use room_moderator_agora::{AgoraChat, AgoraChatBuilder};
use room_moderator_core::{
    BanOutcome, BanRequest, DisconnectRequest, Engine, ErrorKind, JoinCheck, MemoryBanStore,
    Moderator, Outcome, RoomCleared, RoomId, UserId, wall_clock_now,
};
use room_moderator_emulator::agora::{AgoraConfig, AgoraEmulator};
use room_moderator_state::SqliteBanStore;

async fn emulator() -> AgoraEmulator {
    let any = "127.0.0.1:0".parse().unwrap();
    AgoraEmulator::start(AgoraConfig::default(), any, any)
        .await
        .unwrap()
}

fn chat(emu: &AgoraEmulator) -> AgoraChatBuilder {
    let chat = emu.chat();
    AgoraChatBuilder::new(chat.app_id(), chat.certificate())
        .with_app_key(chat.org(), chat.app())
        .with_endpoint(chat.base_url())
}

fn engine(adapter: AgoraChat) -> Arc<dyn Moderator> {
    Arc::new(
        Engine::builder(adapter)
            .with_ban_store(Arc::new(MemoryBanStore::new()))
            .build(),
    )
}

#[tokio::test]
async fn a_thousand_members_in_batches_of_sixty_with_absent_users_not_in_room() {
    let emu = emulator().await;
    // 900 of the 1,000 are in the room; every tenth is not.
    let users: Vec<String> = (0..1000).map(|i| format!("user{i}")).collect();
    let present: Vec<&String> = users
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 != 0)
        .map(|(_, u)| u)
        .collect();
    emu.chat().seed_room(
        "66213271109633",
        Some("host"),
        present.iter().map(|u| u.as_str()),
    );
    let moderator = engine(chat(&emu).build().unwrap());
    let report = moderator
        .disconnect(&DisconnectRequest::new("66213271109633", users.clone()))
        .await
        .unwrap();
    assert_eq!(report.calls(), 17, "1,000 users in batches of 60");
    assert_eq!(emu.chat().controls().counters().throttled, 0);
    let summary = report.summary();
    assert_eq!(
        (summary.disconnected, summary.not_in_room, summary.failed),
        (900, 100, 0),
        "{summary:?}"
    );
    for (i, user) in users.iter().enumerate() {
        let expected = if i % 10 == 0 {
            Outcome::NotInRoom
        } else {
            Outcome::Disconnected
        };
        assert_eq!(
            report.outcome(&UserId::new(user.as_str())).unwrap().label(),
            expected.label(),
            "{user}"
        );
    }
    assert_eq!(emu.chat().members("66213271109633").unwrap(), ["host"]);
    let first = &emu.chat().controls().requests()[0];
    assert_eq!(first.method, "DELETE");
    assert!(
        first.target.contains("/users/user0%2Cuser1%2C"),
        "{}",
        first.target
    );
}

#[tokio::test]
async fn one_user_answers_an_object_and_a_non_member_is_not_in_room() {
    let emu = emulator().await;
    emu.chat().seed_room("r", None, ["a"]);
    let moderator = engine(chat(&emu).build().unwrap());
    let report = moderator
        .disconnect(&DisconnectRequest::new("r", ["a"]))
        .await
        .unwrap();
    assert!(matches!(report.users()[0].outcome, Outcome::Disconnected));
    let report = moderator
        .disconnect(&DisconnectRequest::new("r", ["a"]))
        .await
        .unwrap();
    assert!(
        matches!(report.users()[0].outcome, Outcome::NotInRoom),
        "{report:?}"
    );
    let error = moderator
        .disconnect(&DisconnectRequest::new("nope", ["a"]))
        .await
        .unwrap();
    match &error.users()[0].outcome {
        Outcome::Failed(error) => assert_eq!(error.kind(), ErrorKind::NotFound),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn members_page_by_page_and_kick_all_by_listing() {
    let emu = emulator().await;
    emu.chat()
        .seed_room("big", Some("owner"), (0..2500).map(|i| format!("m{i}")));
    let moderator = engine(chat(&emu).build().unwrap());
    let members = moderator.members(&RoomId::new("big")).await.unwrap();
    assert_eq!(members.len(), 2501);
    let pages = emu
        .chat()
        .controls()
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .count();
    assert_eq!(pages, 3);
    let cleared = moderator
        .disconnect_all(&RoomId::new("big"), None)
        .await
        .unwrap();
    let RoomCleared::ListedAndKicked(report) = cleared else {
        panic!("Agora Chat has no kick-all call: it lists and kicks");
    };
    assert_eq!(report.users().len(), 2501);
    assert!(
        emu.chat().members("big").unwrap().len() <= 1,
        "at most the owner stays"
    );
}

#[tokio::test(start_paused = true)]
async fn a_ban_blocks_the_user_and_lapses_on_time() {
    let _ = wall_clock_now();
    let emu = emulator().await;
    emu.chat().seed_room("r", Some("host"), ["troll", "fan"]);
    let moderator = engine(chat(&emu).build().unwrap());
    let report = moderator
        .ban(&BanRequest::new("r", ["troll", "gone"]).with_duration(Duration::from_secs(600)))
        .await
        .unwrap();
    let outcome = |user: &str| {
        report
            .users
            .iter()
            .find(|e| e.user.as_str() == user)
            .unwrap()
            .outcome
            .clone()
    };
    assert!(
        matches!(outcome("troll"), BanOutcome::Banned { native: true, .. }),
        "{report:?}"
    );
    // Not a member: the block list refuses it, the store keeps the ban.
    assert!(
        matches!(outcome("gone"), BanOutcome::NotInRoom { native: false, .. }),
        "{report:?}"
    );
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert_eq!(emu.chat().blocked("r"), ["troll"]);
    assert!(
        !emu.chat()
            .members("r")
            .unwrap()
            .contains(&"troll".to_owned())
    );
    assert!(emu.chat().join("r", "troll").is_err());
    let room = RoomId::new("r");
    assert!(matches!(
        moderator.check(&room, &UserId::new("gone")).await.unwrap(),
        JoinCheck::Banned { .. }
    ));

    tokio::time::advance(Duration::from_secs(601)).await;

    assert!(matches!(
        moderator.check(&room, &UserId::new("troll")).await.unwrap(),
        JoinCheck::Allowed
    ));
    // The next call touching the room lifts the lapsed block.
    assert!(moderator.bans(&room).await.unwrap().is_empty());
    assert!(emu.chat().blocked("r").is_empty());
    assert!(emu.chat().join("r", "troll").is_ok());
}

/// Two processes (two engines, each its own adapter) sharing one SQLite ban store: A blocks for an
/// hour; once the ban lapsed, B's next call on the room lifts the block A set.
#[tokio::test(start_paused = true)]
async fn a_block_set_by_another_process_is_lifted_once_its_ban_lapsed() {
    let _ = wall_clock_now();
    let emu = emulator().await;
    emu.chat().seed_room("r", Some("host"), ["troll", "fan"]);
    let dir = std::env::temp_dir().join(format!("moderator-agora-lapse-{}", std::process::id()));
    let path = dir.join("bans.sqlite3");
    let sharing = |adapter: AgoraChat| -> Arc<dyn Moderator> {
        Arc::new(
            Engine::builder(adapter)
                .with_ban_store(Arc::new(SqliteBanStore::new(&path)))
                .build(),
        )
    };
    let a = sharing(chat(&emu).build().unwrap());
    let b = sharing(chat(&emu).build().unwrap());
    let room = RoomId::new("r");
    let report = a
        .ban(&BanRequest::new("r", ["troll"]).with_duration(Duration::from_secs(3600)))
        .await
        .unwrap();
    assert!(report.all_banned(), "{report:?}");
    assert_eq!(emu.chat().blocked("r"), ["troll"]);
    // B sees the ban while it holds, and leaves the block alone.
    assert!(matches!(
        b.check(&room, &UserId::new("troll")).await.unwrap(),
        JoinCheck::Banned { .. }
    ));
    assert_eq!(emu.chat().blocked("r"), ["troll"]);

    tokio::time::advance(Duration::from_secs(3601)).await;

    assert!(b.bans(&room).await.unwrap().is_empty());
    assert!(emu.chat().blocked("r").is_empty());
    assert!(emu.chat().join("r", "troll").is_ok());
    // Lifted once: nothing is left for A or B to lift.
    let before = emu.chat().controls().counters().requests;
    assert!(a.bans(&room).await.unwrap().is_empty());
    assert!(matches!(
        b.check(&room, &UserId::new("troll")).await.unwrap(),
        JoinCheck::Allowed
    ));
    // At most A's adapter lifting again the block it remembers setting.
    assert!(emu.chat().controls().counters().requests <= before + 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A block lifted out of band (by an operator in Agora Console) while the ban holds: the user
/// rejoins, and a kick of them (a webhook receiver's re-kick) removes them for real rather than
/// being reported done on the strength of the block this adapter remembers setting.
#[tokio::test]
async fn a_kick_after_the_block_was_lifted_elsewhere_removes_the_user() {
    let emu = emulator().await;
    emu.chat().seed_room("r", Some("host"), ["troll"]);
    let moderator = engine(chat(&emu).build().unwrap());
    let report = moderator
        .ban(&BanRequest::new("r", ["troll"]))
        .await
        .unwrap();
    assert!(
        matches!(
            report.users[0].outcome,
            BanOutcome::Banned { native: true, .. }
        ),
        "{report:?}"
    );
    assert!(emu.chat().unblock("r", "troll"));
    emu.chat().join("r", "troll").unwrap();
    let kick = moderator
        .disconnect(&DisconnectRequest::new("r", ["troll"]))
        .await
        .unwrap();
    assert!(
        matches!(
            kick.outcome(&UserId::new("troll")),
            Some(Outcome::Disconnected)
        ),
        "{kick:?}"
    );
    assert_eq!(emu.chat().members("r"), Some(vec!["host".to_owned()]));
}

#[tokio::test]
async fn unban_lifts_the_block() {
    let emu = emulator().await;
    emu.chat().seed_room("r", None, ["troll"]);
    let moderator = engine(chat(&emu).build().unwrap());
    moderator
        .ban(&BanRequest::new("r", ["troll"]))
        .await
        .unwrap();
    assert_eq!(emu.chat().blocked("r"), ["troll"]);
    let unban = moderator
        .unban(&RoomId::new("r"), &[UserId::new("troll")])
        .await
        .unwrap();
    assert_eq!(unban.calls, 1);
    assert!(emu.chat().blocked("r").is_empty());
    assert!(emu.chat().join("r", "troll").is_ok());
}

#[tokio::test]
async fn a_wrong_certificate_fails_every_user_fast() {
    let emu = emulator().await;
    emu.chat()
        .seed_room("r", None, (0..300).map(|i| format!("u{i}")));
    let adapter = AgoraChatBuilder::new(emu.chat().app_id(), "0123456789abcdef0123456789abcdef")
        .with_app_key(emu.chat().org(), emu.chat().app())
        .with_endpoint(emu.chat().base_url())
        .build()
        .unwrap();
    let moderator: Arc<dyn Moderator> =
        Arc::new(Engine::builder(adapter).with_max_concurrency(2).build());
    let users: Vec<String> = (0..300).map(|i| format!("u{i}")).collect();
    let report = moderator
        .disconnect(&DisconnectRequest::new("r", users))
        .await
        .unwrap();
    for entry in report.users() {
        match &entry.outcome {
            Outcome::Failed(error) => {
                assert_eq!(error.kind(), ErrorKind::Unauthenticated);
                assert_eq!(error.code(), Some("auth_bad_access_token"));
            }
            other => panic!("{other:?}"),
        }
    }
    let calls = emu.chat().controls().counters().requests;
    assert!((1..=2).contains(&calls), "{calls} calls");
}
