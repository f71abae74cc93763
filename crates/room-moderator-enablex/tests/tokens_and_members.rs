//! Tokens issued to users and the member listing, against the EnableX emulator over loopback HTTP and
//! Socket.IO 2.

#![allow(clippy::unwrap_used)] // tests may unwrap (helpers included)

mod common;

use std::time::{Duration, SystemTime};

use room_moderator_core::{Adapter, ErrorKind, Member, RoomId, TokenOptions, UserId};
use room_moderator_emulator::enablex::{EnablexEmulator, RosterWithholding};
use room_moderator_enablex::{DEFAULT_MODERATOR_REF, ENABLEX_CAPABILITIES, Enablex};
use serde_json::{Value, json};

use common::*;

fn adapter(emulator: &EnablexEmulator) -> Enablex {
    builder(emulator).build().unwrap()
}

fn ids(user: &str) -> (RoomId, UserId) {
    (RoomId::new(ROOM), UserId::new(user))
}

#[tokio::test]
async fn a_token_defaults_to_the_user_id_as_name_and_participant() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, Vec::<String>::new());
    let adapter = adapter(&emulator);
    let (room, alice) = ids("alice");
    let asked_at = SystemTime::now();
    let token = adapter
        .issue_token(&room, &alice, &TokenOptions::new())
        .await
        .unwrap();
    assert!(!format!("{token:?}").contains(token.secret()));
    let expires = token.expires_at.unwrap();
    assert!(expires >= asked_at + Duration::from_secs(15 * 60));
    assert!(expires <= SystemTime::now() + Duration::from_secs(15 * 60));
    assert_eq!(token.session_expires_at, None);

    let created = emulator.tokens();
    assert_eq!(
        created.len(),
        1,
        "one token call, none for a moderator session"
    );
    let made = &created[0];
    assert_eq!(
        (
            made.name.as_str(),
            made.role.as_str(),
            made.user_ref.as_str()
        ),
        ("alice", "participant", "alice")
    );
    assert_eq!(made.data, Value::Null);
    assert_eq!(emulator.controls().counters().violations, 0);

    // The token works: its holder joins the room under its user_ref.
    let (_client, _events) = join_with(&emulator, token.secret()).await;
    assert!(
        emulator
            .connections(ROOM)
            .unwrap()
            .iter()
            .any(|c| c.user_ref == "alice" && c.role == "participant" && c.live)
    );
}

#[tokio::test]
async fn name_role_and_data_are_sent_as_given() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, Vec::<String>::new());
    let (room, bob) = ids("bob");
    let options = TokenOptions::new()
        .with_name("Bob B.")
        .with_role("viewer")
        .with_attribute("team", "red");
    adapter(&emulator)
        .issue_token(&room, &bob, &options)
        .await
        .unwrap();
    let made = &emulator.tokens()[0];
    assert_eq!(
        (
            made.name.as_str(),
            made.role.as_str(),
            made.user_ref.as_str()
        ),
        ("Bob B.", "viewer", "bob")
    );
    assert_eq!(made.data, json!({"team": "red"}));
}

#[tokio::test]
async fn bad_options_are_refused_before_sending() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, Vec::<String>::new());
    let adapter = adapter(&emulator);
    let (room, alice) = ids("alice");
    for (options, says) in [
        (
            TokenOptions::new().with_role("host"),
            "moderator, participant, viewer",
        ),
        (
            TokenOptions::new().with_capability("SEND_MESSAGE"),
            "no capabilities",
        ),
        (
            TokenOptions::new().with_session_duration(Duration::from_secs(600)),
            "no session duration",
        ),
    ] {
        let error = adapter
            .issue_token(&room, &alice, &options)
            .await
            .expect_err(says);
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
        assert!(error.message().contains(says), "{says}: {error}");
    }
    for (room, user) in [("a/b", "alice"), (ROOM, ""), (ROOM, DEFAULT_MODERATOR_REF)] {
        let error = adapter
            .issue_token(&RoomId::new(room), &UserId::new(user), &TokenOptions::new())
            .await
            .expect_err("invalid target");
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    }
    assert_eq!(emulator.controls().counters().requests, 0, "nothing sent");
    assert!(emulator.tokens().is_empty());
}

#[tokio::test]
async fn an_unknown_room_is_not_found() {
    let emulator = emulator().await;
    let (room, alice) = ids("alice");
    let error = adapter(&emulator)
        .issue_token(&room, &alice, &TokenOptions::new())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    assert!(emulator.tokens().is_empty());
}

/// The room's connections as members, sorted by handle (as the adapter lists them), without the
/// headless moderator.
fn expected_members(emulator: &EnablexEmulator) -> Vec<Member> {
    let mut connections: Vec<_> = emulator
        .connections(ROOM)
        .unwrap()
        .into_iter()
        .filter(|c| c.user_ref != DEFAULT_MODERATOR_REF)
        .collect();
    connections.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    connections
        .into_iter()
        .map(|c| {
            Member::new(c.user_ref)
                .with_name(c.name)
                .with_handle(c.client_id)
        })
        .collect()
}

#[tokio::test]
async fn members_are_the_signalling_roster_with_names_and_client_ids() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice", "alice", "bob"]);
    let adapter = adapter(&emulator);
    let (room, carol) = ids("carol");
    let token = adapter
        .issue_token(&room, &carol, &TokenOptions::new().with_name("Carol C."))
        .await
        .unwrap();
    let (_client, _events) = join_with(&emulator, token.secret()).await;
    let expected = expected_members(&emulator);
    assert_eq!(expected.len(), 4);

    let page = adapter.members_page(&room, None).await.unwrap();
    assert_eq!(page.next, None, "one page");
    assert_eq!(page.members, expected);
    assert!(
        page.members
            .iter()
            .any(|m| m.id.as_str() == "carol" && m.name.as_deref() == Some("Carol C."))
    );
    // The listing session left, and nothing was dropped.
    settled_connections(&emulator).await;
    assert!(emulator.drops().is_empty());
    assert_eq!(emulator.controls().counters().violations, 0);

    // Through the engine, each user once (alice's first connection).
    let members = moderator(&emulator).members(&room).await.unwrap();
    let listed: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(listed.len(), 3);
    for user in ["alice", "bob", "carol"] {
        assert!(listed.contains(&user), "{user}: {listed:?}");
    }
    assert!(members.iter().all(|m| m.handle.is_some()));
}

#[tokio::test]
async fn members_reuse_a_kept_session() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice", "bob"]);
    let adapter = builder(&emulator).with_kept_session(true).build().unwrap();
    let room = RoomId::new(ROOM);
    let first = adapter.members_page(&room, None).await.unwrap();
    emulator.seed_room(ROOM, ["dave"]);
    // The kept session follows user-connected: dave appears without a new session.
    let mut second = adapter.members_page(&room, None).await.unwrap();
    let waited = tokio::time::timeout(EVENTUALLY, async {
        while second.members.len() < 3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            second = adapter.members_page(&room, None).await.unwrap();
        }
    })
    .await;
    assert!(waited.is_ok(), "{second:?}");
    assert_eq!(first.members.len(), 2);
    assert_eq!(tokens(&emulator), 1, "one session, one token");
    adapter.close().await;
}

#[tokio::test]
async fn an_unreadable_roster_is_an_error_never_an_empty_room() {
    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["alice"]);
    emulator.withhold_roster(Some(RosterWithholding::Null));
    let error = adapter(&emulator)
        .members_page(&RoomId::new(ROOM), None)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Protocol, "{error}");
}

#[tokio::test]
async fn account_and_capabilities() {
    let emulator = emulator().await;
    let adapter = adapter(&emulator);
    assert_eq!(adapter.account(), emulator.app_id());
    let caps = adapter.capabilities();
    assert!(caps.tokens.is_some() && caps.disconnect_all && caps.members.is_some());
    assert_eq!(caps.members, ENABLEX_CAPABILITIES.members);
    let error = adapter
        .members_page(&RoomId::new(ROOM), Some("2"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert_eq!(emulator.controls().counters().requests, 0);
}

#[tokio::test]
async fn a_banned_user_gets_no_token_and_no_token_call() {
    use std::sync::Arc;

    use room_moderator_core::{BanRequest, Engine, MemoryBanStore, Moderator, TokenDecision};

    let emulator = emulator().await;
    emulator.seed_room(ROOM, ["troll", "alice"]);
    let moderator: Arc<dyn Moderator> = Arc::new(
        Engine::builder(adapter(&emulator))
            .with_ban_store(Arc::new(MemoryBanStore::new()))
            .no_pacing()
            .build(),
    );
    moderator
        .ban(&BanRequest::new(ROOM, ["troll"]))
        .await
        .unwrap();
    assert_eq!(connected_users(&emulator).await, ["alice"]);
    let (room, troll) = ids("troll");
    let decision = moderator
        .issue_token(&room, &troll, &TokenOptions::new())
        .await
        .unwrap();
    assert!(
        matches!(decision, TokenDecision::Refused { .. }),
        "{decision:?}"
    );
    let decision = moderator
        .issue_token(&room, &UserId::new("alice"), &TokenOptions::new())
        .await
        .unwrap();
    assert!(matches!(decision, TokenDecision::Issued(_)), "{decision:?}");
    // Tokens: the headless moderator's for the kick, then alice's; none for troll.
    let created: Vec<(String, String)> = emulator
        .tokens()
        .into_iter()
        .map(|t| (t.user_ref, t.role))
        .collect();
    assert_eq!(
        created,
        [
            (DEFAULT_MODERATOR_REF.to_owned(), "moderator".to_owned()),
            ("alice".to_owned(), "participant".to_owned()),
        ]
    );
}
