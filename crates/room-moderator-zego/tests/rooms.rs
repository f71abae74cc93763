//! Who is in a room, through the adapters' own calls against the emulator over loopback HTTP: ZIM
//! `QueryRoomUserList` pages with either end marker, ZIM `QueryRoomMembers` in either spelling,
//! Express RTC `DescribeUserList` pages.

mod common;

use common::*;
use room_moderator_core::{Adapter, ErrorKind, MemberPage, Presence, RoomId, UserId};
use room_moderator_emulator::zego::{EndMarker, MembersSpelling, ZegoConfig};

/// Follows every page as the engine would, returning the ids and each page's size.
async fn all_pages(adapter: &impl Adapter, room: &str) -> (Vec<String>, Vec<usize>, Option<usize>) {
    let room = RoomId::new(room);
    let mut ids = Vec::new();
    let mut sizes = Vec::new();
    let mut total = None;
    let mut cursor: Option<String> = None;
    loop {
        let page: MemberPage = adapter
            .members_page(&room, cursor.as_deref())
            .await
            .expect("every page is listed");
        sizes.push(page.members.len());
        ids.extend(page.members.iter().map(|m| m.id.as_str().to_owned()));
        total = total.or(page.total);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return (ids, sizes, total),
        }
        assert!(sizes.len() < 10, "the list must end");
    }
}

fn users(ids: &[&str]) -> Vec<UserId> {
    ids.iter().map(|id| UserId::new(*id)).collect()
}

#[tokio::test]
async fn zim_lists_a_room_across_pages_with_either_end_marker() {
    for marker in [EndMarker::Empty, EndMarker::Zero] {
        let emu = emulator(ZegoConfig {
            zim_end_marker: marker,
            ..ZegoConfig::default()
        })
        .await;
        let members: Vec<String> = (0..1234).map(|i| format!("user-{i:04}")).collect();
        emu.zim().seed_room("big", members.clone());
        let adapter = zim(&emu).build().unwrap();

        let (ids, sizes, total) = all_pages(&adapter, "big").await;

        assert_eq!(ids, members, "{marker:?}");
        assert_eq!(sizes, [500, 500, 234]);
        assert_eq!(total, Some(1234));
        let log = emu.zim().controls().requests();
        assert_eq!(log.len(), 3);
        for (i, request) in log.iter().enumerate() {
            assert_eq!(value(request, "Action"), "QueryRoomUserList");
            assert_eq!(
                value(request, "Limit"),
                "500",
                "the same Limit on every page"
            );
            assert_eq!(value(request, "Mode"), "0");
            assert_eq!(values(request, "NextFlag").len(), usize::from(i > 0));
        }
    }
}

#[tokio::test]
async fn zim_list_codes_map_and_a_room_being_destroyed_is_empty() {
    let emu = emulator(ZegoConfig::default()).await;
    let adapter = zim(&emu).build().unwrap();
    let error = adapter
        .members_page(&RoomId::new("nowhere"), None)
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind(), error.code()),
        (ErrorKind::NotFound, Some("660300001"))
    );
    emu.zim().seed_room("closing", ["a"]);
    emu.zim().rooms().remove("closing", "a");
    let page = adapter
        .members_page(&RoomId::new("closing"), None)
        .await
        .unwrap();
    assert!(page.members.is_empty() && page.next.is_none());
    assert_eq!(adapter.account(), emu.app_id().to_string());
}

#[tokio::test]
async fn zim_presence_in_both_spellings_with_and_without_a_failed_code() {
    for spelling in [MembersSpelling::Current, MembersSpelling::Legacy] {
        let emu = emulator(ZegoConfig {
            zim_members_spelling: spelling,
            ..ZegoConfig::default()
        })
        .await;
        emu.zim().seed_room("r", ["a", "b"]);
        let adapter = zim(&emu).build().unwrap();
        let room = RoomId::new("r");

        // Code 0: some present, some absent.
        let answer = adapter
            .presence(&room, &users(&["a", "x", "b"]))
            .await
            .unwrap();
        assert_eq!(
            answer,
            [Presence::Present, Presence::Absent, Presence::Present],
            "{spelling:?}"
        );
        // Code != 0 with the error list: nobody is there, which is an answer, not an error.
        let answer = adapter.presence(&room, &users(&["x", "y"])).await.unwrap();
        assert_eq!(answer, [Presence::Absent, Presence::Absent], "{spelling:?}");

        let log = emu.zim().controls().requests();
        assert_eq!(values(&log[0], "UserId[]"), ["a", "x", "b"]);
        assert_eq!(value(&log[0], "Action"), "QueryRoomMembers");
    }
}

#[tokio::test]
async fn zim_presence_limits_and_codes() {
    let emu = emulator(ZegoConfig::default()).await;
    emu.zim().seed_room("r", ["a"]);
    let adapter = zim(&emu).build().unwrap();
    let room = RoomId::new("r");
    let eleven: Vec<UserId> = (0..11).map(|i| UserId::new(format!("u{i}"))).collect();
    let error = adapter.presence(&room, &eleven).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(
        emu.zim().controls().requests().is_empty(),
        "refused before sending"
    );
    let error = adapter
        .presence(&RoomId::new("nowhere"), &users(&["a"]))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    // 5/s per room: the sixth call within the second is throttled (660300006), a temporary error.
    let mut throttled = Vec::new();
    for _ in 0..6 {
        if let Err(error) = adapter.presence(&room, &users(&["a"])).await {
            throttled.push(error);
        }
    }
    assert_eq!(throttled.len(), 1, "{throttled:?}");
    assert_eq!(throttled[0].kind(), ErrorKind::Throttled);
    assert_eq!(throttled[0].code(), Some("660300006"));
    assert!(throttled[0].is_temporary());
}

#[tokio::test]
async fn rtc_lists_a_room_across_pages_by_marker() {
    let emu = emulator(ZegoConfig {
        api_rate_limits: false,
        ..ZegoConfig::default()
    })
    .await;
    let members: Vec<String> = (0..450).map(|i| format!("viewer-{i:03}")).collect();
    emu.rtc().seed_room("live", members.clone());
    let adapter = rtc(&emu).build().unwrap();

    let (ids, sizes, total) = all_pages(&adapter, "live").await;

    assert_eq!(ids, members);
    assert_eq!(sizes, [200, 200, 50]);
    assert_eq!(total, None);
    for request in emu.rtc().controls().requests() {
        assert_eq!(value(&request, "Action"), "DescribeUserList");
        assert_eq!(value(&request, "Limit"), "200");
    }
    let (ids, _, _) = all_pages(&adapter, "nowhere").await;
    assert!(ids.is_empty(), "a room that does not exist lists nobody");
    let error = adapter
        .presence(&RoomId::new("live"), &users(&["a"]))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
}

#[tokio::test]
async fn rtc_listing_is_throttled_per_room() {
    let emu = emulator(ZegoConfig::default()).await;
    let members: Vec<String> = (0..201).map(|i| format!("v{i:03}")).collect();
    emu.rtc().seed_room("live", members);
    let adapter = rtc(&emu).build().unwrap();
    let room = RoomId::new("live");
    let first = adapter.members_page(&room, None).await.unwrap();
    let error = adapter
        .members_page(&room, first.next.as_deref())
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind(), error.code()),
        (ErrorKind::Throttled, Some("207"))
    );
}

/// Through the engine: a presence check that asks (a few users in a large room) stays under
/// `QueryRoomMembers`' 5/s per room at the emulator, which counts calls on arrival, and the kick that
/// follows names only the present users.
#[tokio::test]
async fn the_engines_presence_queries_stay_under_the_per_room_limit() {
    use room_moderator_core::{DisconnectRequest, Engine, Moderator, Outcome};
    let emu = emulator(ZegoConfig::default()).await;
    // 30,000 members: listing would be 60 pages (3 s at 20/s); 40 users are 4 queries (0.6 s at 5/s).
    let members: Vec<String> = (0..30_000).map(|i| format!("m{i}")).collect();
    emu.zim().seed_room("arena", members.iter().cloned());
    let moderator = Engine::builder(zim(&emu).build().unwrap())
        // A busy 2-core CI machine delays some calls on loopback; a wider window absorbs it.
        .with_pacing_margin(std::time::Duration::from_millis(50))
        .build();
    let mut request_users: Vec<String> = members[..38].to_vec();
    request_users.extend(["gone-1".to_owned(), "gone-2".to_owned()]);
    let report = moderator
        .disconnect(&DisconnectRequest::new("arena", request_users))
        .await
        .unwrap();
    assert_eq!(report.summary().disconnected, 38);
    assert_eq!(report.summary().not_in_room, 2);
    let log = emu.zim().controls().requests();
    let queries = log
        .iter()
        .filter(|r| r.target.contains("QueryRoomMembers"))
        .count();
    let pages = log
        .iter()
        .filter(|r| r.target.contains("QueryRoomUserList"))
        .count();
    assert_eq!(
        (pages, queries),
        (1, 4),
        "one page to learn the room's size, then asking"
    );
    assert_eq!(emu.zim().controls().counters().throttled, 0);
    assert!(matches!(
        report.outcome(&UserId::new("gone-1")),
        Some(Outcome::NotInRoom)
    ));
}
