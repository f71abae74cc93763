//! ZegoRtc against the emulator over loopback HTTP, through `Arc<dyn Moderator>`.

mod common;

use common::*;
use room_moderator_core::{DisconnectRequest, ErrorKind, Outcome, UserId};
use room_moderator_emulator::zego::ZegoConfig;

#[tokio::test]
async fn kicks_remove_members_and_absent_users_are_reported_disconnected() {
    let emu = emulator(ZegoConfig::default()).await;
    emu.rtc().seed_room("live", ["host", "viewer", "troll"]);
    let moderator = moderator(rtc(&emu).build().unwrap());

    let report = moderator
        .disconnect(&DisconnectRequest::new("live", ["troll", "ghost"]).with_reason("abuse"))
        .await
        .unwrap();

    // RTC answers success for users who were not in the room (ZEGO FAQ), so both read Disconnected.
    for user in ["troll", "ghost"] {
        assert!(
            matches!(
                report.outcome(&UserId::new(user)),
                Some(Outcome::Disconnected)
            ),
            "{user}"
        );
    }
    assert_eq!(report.calls(), 1);
    assert_eq!(
        emu.rtc().members("live"),
        Some(vec!["host".to_owned(), "viewer".to_owned()])
    );
    let kicks = emu.rtc().kicks();
    assert_eq!(kicks.len(), 1);
    assert_eq!(kicks[0].reason.as_deref(), Some("abuse"));
}

#[tokio::test]
async fn twelve_users_go_in_calls_of_5_5_2_with_is_test() {
    let emu = emulator(ZegoConfig::default()).await;
    let users: Vec<String> = (0..12).map(|i| format!("u{i}")).collect();
    emu.rtc().seed_room("live", users.clone());
    let moderator = moderator(rtc(&emu).with_is_test(false).build().unwrap());

    let report = moderator
        .disconnect(&DisconnectRequest::new("live", users))
        .await
        .unwrap();

    assert_eq!(report.summary().disconnected, 12);
    assert_eq!(emu.rtc().members("live"), Some(vec![]));
    let log = emu.rtc().controls().requests();
    let mut sizes: Vec<usize> = log.iter().map(|r| values(r, "UserId[]").len()).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [2, 5, 5]);
    assert!(
        log.iter()
            .all(|r| value(r, "Action") == "KickoutUser" && value(r, "IsTest") == "false")
    );
}

#[tokio::test]
async fn any_characters_and_a_long_reason_round_trip() {
    let emu = emulator(ZegoConfig::default()).await;
    let room = "直播 #1/&?";
    let users = ["用户/1", "a+b c", "%zz"];
    emu.rtc().seed_room(room, users);
    let moderator = moderator(rtc(&emu).build().unwrap());
    let reason = format!("ça va? 100% & #tag +1 {}", "é".repeat(100));
    assert!(reason.len() <= 256);

    let report = moderator
        .disconnect(&DisconnectRequest::new(room, users).with_reason(reason.as_str()))
        .await
        .unwrap();

    assert_eq!(report.summary().disconnected, 3);
    assert_eq!(emu.rtc().members(room), Some(vec![]));
    assert!(
        emu.rtc()
            .kicks()
            .iter()
            .all(|k| k.reason.as_deref() == Some(reason.as_str()))
    );
}

#[tokio::test]
async fn an_unknown_room_is_not_found_and_a_long_reason_is_refused_locally() {
    let emu = emulator(ZegoConfig::default()).await;
    let moderator = moderator(rtc(&emu).build().unwrap());
    let report = moderator
        .disconnect(&DisconnectRequest::new("gone", ["a"]))
        .await
        .unwrap();
    let error = report.outcome(&UserId::new("a")).unwrap().error().unwrap();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(error.code(), Some("104"));

    let err = moderator
        .disconnect(&DisconnectRequest::new("gone", ["a"]).with_reason("x".repeat(257)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(emu.rtc().controls().requests().len(), 1);
}
