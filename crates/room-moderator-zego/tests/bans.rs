//! Express RTC ban rules through the adapter against the emulator over loopback HTTP: set, list and
//! delete; codes 9 and 50123 (and a ban through the engine past the rule limit); and the emulator
//! refusing a banned user's login.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use room_moderator_core::{
    Adapter, BanOutcome, BanRequest, BanSupport, Engine, ErrorKind, JoinCheck, MemoryBanStore,
    Moderator, RetryStatus, RoomId, UserId, wall_clock_now,
};
use room_moderator_emulator::zego::ZegoConfig;
use room_moderator_zego::{is_ban_rule_limit_reached, is_ban_rules_not_enabled};

#[tokio::test]
async fn set_list_and_delete_a_rule_and_the_login_it_refuses() {
    let emu = emulator(ZegoConfig {
        api_rate_limits: false,
        ..ZegoConfig::default()
    })
    .await;
    emu.rtc().seed_room("live", ["troll", "fan"]);
    let adapter = rtc(&emu).build().unwrap();
    let (room, troll) = (RoomId::new("live"), UserId::new("troll"));
    assert!(matches!(
        adapter.capabilities().bans,
        BanSupport::Native {
            max_rules: Some(200),
            ..
        }
    ));

    let expires = adapter
        .set_ban_rule(&room, &troll, Duration::from_secs(3600))
        .await
        .unwrap()
        .expect("SetForbidUserRule answers Data.ExpireTime");
    let left = expires
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    assert!(
        left > Duration::from_secs(3590) && left <= Duration::from_secs(3601),
        "{left:?}"
    );
    let set = &emu.rtc().controls().requests()[0];
    assert_eq!(value(set, "Action"), "SetForbidUserRule");
    assert_eq!(value(set, "RuleType"), "4");
    assert_eq!(value(set, "RoomId"), "live");
    assert_eq!(value(set, "UserId"), "troll");
    assert_eq!(value(set, "DisabledPrivilege[]"), "1");
    assert_eq!(value(set, "EffectiveTime"), "3600");
    let held = emu.rtc().ban_rules();
    assert_eq!(
        (
            held[0].rule_type,
            held[0].privileges.clone(),
            held[0].effective_secs
        ),
        (4, vec![1], 3600)
    );

    // The rule keeps the user out of this room only; it does not eject (the engine kicks too).
    assert!(emu.rtc().login("live", "troll").is_err());
    assert!(emu.rtc().login("elsewhere", "troll").is_ok());
    assert_eq!(emu.rtc().refused_logins(), 1);

    adapter
        .set_ban_rule(
            &RoomId::new("other"),
            &UserId::new("fan"),
            Duration::from_millis(1500),
        )
        .await
        .unwrap();
    let rounded = emu.rtc().controls().requests();
    assert_eq!(
        value(&rounded[1], "EffectiveTime"),
        "2",
        "whole seconds, rounded up"
    );

    let rules = adapter.ban_rules(&room).await.unwrap();
    assert_eq!(rules.len(), 1, "only this room's rules: {rules:?}");
    assert_eq!(rules[0].user.as_str(), "troll");
    assert_eq!(rules[0].expires_at, expires);

    adapter.delete_ban_rule(&room, &troll).await.unwrap();
    let deleted = emu.rtc().controls().requests();
    let del = deleted.last().unwrap();
    assert_eq!(value(del, "Action"), "DelForbidUserRule");
    assert_eq!(
        (value(del, "RuleType"), value(del, "UserId")),
        ("4".to_owned(), "troll".to_owned())
    );
    assert!(adapter.ban_rules(&room).await.unwrap().is_empty());
    assert!(emu.rtc().login("live", "troll").is_ok());
}

#[tokio::test]
async fn durations_outside_one_second_to_one_day_are_refused_locally() {
    let emu = emulator(ZegoConfig::default()).await;
    let adapter = rtc(&emu).build().unwrap();
    let (room, user) = (RoomId::new("r"), UserId::new("u"));
    for duration in [Duration::ZERO, Duration::from_secs(86_401)] {
        let error = adapter
            .set_ban_rule(&room, &user, duration)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{duration:?}");
    }
    assert!(emu.rtc().controls().requests().is_empty());
    let zim = zim(&emu).build().unwrap();
    let error = zim
        .set_ban_rule(&room, &user, Duration::from_secs(60))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported, "ZIM has no ban rules");
}

#[tokio::test]
async fn code_9_says_to_ask_zego_support() {
    let emu = emulator(ZegoConfig {
        rtc_ban_rules: false,
        ..ZegoConfig::default()
    })
    .await;
    let adapter = rtc(&emu).build().unwrap();
    let (room, user) = (RoomId::new("r"), UserId::new("u"));
    let error = adapter
        .set_ban_rule(&room, &user, Duration::from_secs(60))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PermissionDenied);
    assert_eq!(error.status(), RetryStatus::Permanent);
    assert_eq!(error.code(), Some("9"));
    assert!(
        error.message().starts_with(
            "SetForbidUserRule is not enabled for this AppID; ask ZEGO support to enable user ban rules"
        ),
        "{error}"
    );
    assert!(is_ban_rules_not_enabled(&error));
    assert!(is_ban_rules_not_enabled(
        &adapter.delete_ban_rule(&room, &user).await.unwrap_err()
    ));
    assert!(is_ban_rules_not_enabled(
        &adapter.ban_rules(&room).await.unwrap_err()
    ));

    emu.rtc().set_ban_rules_enabled(true);
    assert!(
        adapter
            .set_ban_rule(&room, &user, Duration::from_secs(60))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn code_50123_says_the_200_rules_are_in_force() {
    let emu = emulator(ZegoConfig {
        api_rate_limits: false,
        ..ZegoConfig::default()
    })
    .await;
    let adapter = rtc(&emu).build().unwrap();
    let room = RoomId::new("r");
    for i in 0..200 {
        adapter
            .set_ban_rule(
                &room,
                &UserId::new(format!("u{i}")),
                Duration::from_secs(600),
            )
            .await
            .unwrap();
    }
    let error = adapter
        .set_ban_rule(&room, &UserId::new("one-more"), Duration::from_secs(600))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
    assert_eq!(error.status(), RetryStatus::Permanent);
    assert_eq!(error.code(), Some("50123"));
    assert!(
        error
            .message()
            .contains("the limit of 200 active ban rules is reached"),
        "{error}"
    );
    assert!(is_ban_rule_limit_reached(&error));
    assert!(!is_ban_rules_not_enabled(&error));
    assert_eq!(adapter.ban_rules(&room).await.unwrap().len(), 200);
}

#[tokio::test]
async fn rule_calls_are_throttled_with_206() {
    let emu = emulator(ZegoConfig::default()).await;
    let adapter = rtc(&emu).build().unwrap();
    let room = RoomId::new("r");
    assert!(adapter.ban_rules(&room).await.is_ok());
    let error = adapter.ban_rules(&room).await.unwrap_err();
    assert_eq!(
        (error.kind(), error.code()),
        (ErrorKind::Throttled, Some("206"))
    );
    assert!(error.is_temporary());
}

#[tokio::test(start_paused = true)]
async fn a_lapsed_rule_is_not_listed_and_lets_the_user_back_in() {
    // The engine's clock starts at its first reading, as the engine's first ban would take it.
    let _ = wall_clock_now();
    let emu = emulator(ZegoConfig::default()).await;
    let adapter = rtc(&emu).build().unwrap();
    let (room, user) = (RoomId::new("live"), UserId::new("troll"));
    adapter
        .set_ban_rule(&room, &user, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(emu.rtc().login("live", "troll").is_err());

    tokio::time::advance(Duration::from_secs(61)).await;

    assert!(emu.rtc().login("live", "troll").is_ok());
    assert_eq!(
        emu.rtc().ban_rules().len(),
        1,
        "the emulator still lists the lapsed rule"
    );
    assert!(
        adapter.ban_rules(&room).await.unwrap().is_empty(),
        "the adapter drops it"
    );
}

#[tokio::test]
async fn the_rule_limit_falls_back_to_the_store_with_one_warning() {
    // The limit at 2 rather than 200: three users ban with two rules and one 50123.
    let emu = emulator(ZegoConfig {
        rtc_max_ban_rules: 2,
        ..ZegoConfig::default()
    })
    .await;
    emu.rtc().seed_room("live", ["a", "b", "c", "fan"]);
    let store = Arc::new(MemoryBanStore::new());
    let moderator: Arc<dyn Moderator> = Arc::new(
        Engine::builder(rtc(&emu).build().unwrap())
            .with_ban_store(store.clone())
            .build(),
    );
    let report = moderator
        .ban(&BanRequest::new("live", ["a", "b", "c"]).with_duration(Duration::from_secs(3600)))
        .await
        .unwrap();

    assert!(report.all_banned(), "{report:?}");
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let warning = &report.warnings[0];
    assert!(
        warning.contains("no native ban rule for 1 of 3 users")
            && warning.contains("50123")
            && warning.contains("limit of 200 active ban rules"),
        "{warning}"
    );
    let native: Vec<bool> = report
        .users
        .iter()
        .map(|entry| match entry.outcome {
            BanOutcome::Banned { native, .. } => native,
            ref other => panic!("{}: {other:?}", entry.user.as_str()),
        })
        .collect();
    assert_eq!(native.iter().filter(|n| **n).count(), 2, "{report:?}");
    let rules = emu.rtc().ban_rules();
    assert_eq!(rules.len(), 2, "{rules:?}");
    let set_calls = emu
        .rtc()
        .controls()
        .requests()
        .iter()
        .filter(|request| value(request, "Action") == "SetForbidUserRule")
        .count();
    assert_eq!(set_calls, 3, "two rules set, one refused, no retry");

    let room = RoomId::new("live");
    for user in ["a", "b", "c"] {
        assert!(
            matches!(
                moderator.check(&room, &UserId::new(user)).await.unwrap(),
                JoinCheck::Banned { .. }
            ),
            "{user}"
        );
    }
    assert_eq!(
        moderator.check(&room, &UserId::new("fan")).await.unwrap(),
        JoinCheck::Allowed
    );
    assert_eq!(moderator.bans(&room).await.unwrap().len(), 3);
    // Removed all the same, the one without a rule too.
    assert_eq!(emu.rtc().members("live"), Some(vec!["fan".to_owned()]));
    let kicked: Vec<String> = emu.rtc().kicks().into_iter().map(|k| k.user).collect();
    assert_eq!(kicked.len(), 3, "{kicked:?}");
}
