//! Fan-out through the trait objects an application holds: one raider removed from a ZIM chat room
//! and an RTC video room (each against its emulator over loopback) and a third room on a provider
//! whose credentials are refused, in one call; one report per target, the failing one not stopping
//! the others, each target paced by its own provider.

use std::sync::Arc;

use room_moderator::mock::MockAdapter;
use room_moderator::zego::{ZegoRtcBuilder, ZegoZimBuilder};
use room_moderator::{
    AdapterBuilder, AdapterExt, Error, ErrorKind, Moderator, Outcome, Target, UserId,
    disconnect_everywhere,
};
use room_moderator_emulator::Emulator;

#[tokio::test]
async fn one_call_removes_a_user_from_chat_and_video_and_reports_each_room() {
    let emulator = Emulator::start().await.expect("the emulators start");
    let zego = emulator.zego();
    zego.zim().seed_room("match-42", ["raider", "fan"]);
    zego.rtc().seed_room("match-42", ["raider", "fan"]);
    let chat: Arc<dyn Moderator> = Arc::new(
        ZegoZimBuilder::default()
            .with_vars(zego.zim_vars())
            .build()
            .expect("ZIM builds")
            .into_moderator(),
    );
    let video: Arc<dyn Moderator> = Arc::new(
        ZegoRtcBuilder::default()
            .with_vars(zego.rtc_vars())
            .build()
            .expect("RTC builds")
            .into_moderator(),
    );
    let refused = MockAdapter::new();
    refused.fail_next_calls(1, Error::new(ErrorKind::Unauthenticated, "bad secret"));
    let other: Arc<dyn Moderator> = Arc::new(refused.moderator());

    let targets = [
        Target::new(chat, "match-42"),
        Target::new(video, "match-42"),
        Target::new(other, "elsewhere"),
    ];
    let raider = [UserId::new("raider"), UserId::new("already-gone")];
    let reports = disconnect_everywhere(&targets, &raider, None).await;

    let providers: Vec<_> = reports.iter().map(|r| r.provider).collect();
    assert_eq!(providers, ["zego-zim", "zego-rtc", "mock"]);
    let chat = reports[0].result.as_ref().expect("ZIM was sent");
    assert!(matches!(
        chat.outcome(&"raider".into()),
        Some(Outcome::Disconnected)
    ));
    // ZIM checked presence first: the absent account was never put in a kick.
    assert!(matches!(
        chat.outcome(&"already-gone".into()),
        Some(Outcome::NotInRoom)
    ));
    let video = reports[1].result.as_ref().expect("RTC was sent");
    assert!(video.all_gone());
    let failed = reports[2].result.as_ref().expect("the mock was sent");
    assert_eq!(failed.summary().failed, 2);
    assert!(
        failed
            .failures()
            .all(|(_, e)| e.kind() == ErrorKind::Unauthenticated)
    );

    assert_eq!(zego.zim().members("match-42"), Some(vec!["fan".to_owned()]));
    assert_eq!(zego.rtc().members("match-42"), Some(vec!["fan".to_owned()]));
}
