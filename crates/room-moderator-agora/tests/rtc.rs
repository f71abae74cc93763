//! `AgoraRtc` through the engine against the RTC emulator over loopback HTTP: kicks at the
//! account's 10/s, native timed bans refusing joins and deleted by id, the lookup after a POST whose
//! effect is unknown, members in both channel modes, kick-all and uids (a wrong secret is the behaviour suite's
//! `behavior::faults::wrong_secret_is_unauthenticated_without_retry::agora-rtc`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use room_moderator_agora::{AgoraRtc, AgoraRtcBuilder};
use room_moderator_core::{
    Adapter, BanOutcome, BanRequest, DisconnectRequest, Engine, ErrorKind, MemoryBanStore,
    Moderator, RoomId, UserId,
};
use room_moderator_emulator::Fault;
use room_moderator_emulator::agora::{AgoraConfig, AgoraEmulator, LostAnswer};

async fn emulator(config: AgoraConfig) -> AgoraEmulator {
    let any = "127.0.0.1:0".parse().unwrap();
    AgoraEmulator::start(config, any, any).await.unwrap()
}

fn rtc(emu: &AgoraEmulator) -> AgoraRtcBuilder {
    let rtc = emu.rtc();
    AgoraRtcBuilder::new(rtc.app_id(), rtc.customer_id(), rtc.customer_secret())
        .with_endpoint(rtc.base_url())
}

fn engine(adapter: AgoraRtc) -> Arc<dyn Moderator> {
    Arc::new(
        Engine::builder(adapter)
            .with_ban_store(Arc::new(MemoryBanStore::new()))
            .build(),
    )
}

/// On tokio's paused clock (the emulator's windows and the engine's pacer both read it), so the
/// figure is the pacing's own, not the machine's load; `moderator bench` measures wall time.
#[tokio::test(start_paused = true)]
async fn two_hundred_users_at_ten_a_second_without_a_throttled_answer() {
    let emu = emulator(AgoraConfig::default()).await;
    emu.rtc().seed_channel("live", 1..=200);
    let moderator = engine(rtc(&emu).build().unwrap());
    let users: Vec<String> = (1..=200u32).map(|u| u.to_string()).collect();
    let started = Instant::now();
    let report = moderator
        .disconnect(&DisconnectRequest::new("live", users))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(report.all_gone(), "{:?}", report.summary());
    assert_eq!(report.calls(), 200);
    let counters = emu.rtc().controls().counters();
    assert_eq!(counters.throttled, 0, "{counters:?}");
    assert_eq!(report.throttled(), 0);
    assert!(emu.rtc().online("live").is_empty());
    // 200 calls at 10 a second in any sliding second: the last can start 19.9 s after the first.
    let minimum = Duration::from_millis(19_900);
    let ratio = elapsed.as_secs_f64() / minimum.as_secs_f64();
    eprintln!(
        "agora-rtc: 200 users in {elapsed:?} ({ratio:.3}x the minimum {minimum:?}), peak {}/s, 0 throttled",
        counters.peak_per_second
    );
    assert!(ratio <= 1.03, "{elapsed:?} is {ratio:.3}x the minimum");
    assert!(counters.peak_per_second <= 10, "{counters:?}");
    let sent = &emu.rtc().controls().requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.target.as_str()),
        ("POST", "/dev/v1/kicking-rule")
    );
}

#[tokio::test]
async fn an_hour_ban_refuses_the_join_and_unban_deletes_its_rule() {
    let emu = emulator(AgoraConfig::default()).await;
    emu.rtc().seed_channel("live", [589_517_928, 42]);
    let moderator = engine(rtc(&emu).build().unwrap());
    let report = moderator
        .ban(&BanRequest::new("live", ["589517928"]).with_duration(Duration::from_secs(3600)))
        .await
        .unwrap();
    assert!(
        matches!(
            report.users[0].outcome,
            BanOutcome::Banned { native: true, .. }
        ),
        "{report:?}"
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    // One rule call: the rule took the user offline, so the kick sends nothing more.
    assert_eq!(emu.rtc().controls().counters().requests, 1);
    let rules = emu.rtc().rules();
    assert_eq!(rules.len(), 1);
    assert_eq!(
        (rules[0].uid, rules[0].cname.as_deref()),
        (Some(589_517_928), Some("live"))
    );
    assert!(
        rules[0].seconds_left > 3590 && rules[0].seconds_left <= 3600,
        "{rules:?}"
    );
    assert_eq!(emu.rtc().online("live"), [42]);
    let refused = emu.rtc().join("live", 589_517_928).unwrap_err();
    assert!(
        refused.contains(&format!("kicking rule {}", rules[0].id)),
        "{refused}"
    );
    assert!(
        emu.rtc().join("other", 589_517_928).is_ok(),
        "the rule is for this channel only"
    );

    let bans = moderator.bans(&RoomId::new("live")).await.unwrap();
    assert_eq!(bans.len(), 1);
    assert!(bans[0].rule_until.is_some());

    let unban = moderator
        .unban(&RoomId::new("live"), &[UserId::new("589517928")])
        .await
        .unwrap();
    assert_eq!(unban.calls, 1, "{unban:?}");
    assert!(emu.rtc().rules().is_empty());
    let deleted = emu
        .rtc()
        .controls()
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(deleted, 1);
    assert!(emu.rtc().join("live", 589_517_928).is_ok());
}

#[tokio::test]
async fn another_process_deletes_the_rule_by_the_id_in_the_rule_list() {
    let emu = emulator(AgoraConfig::default()).await;
    let (room, user) = (RoomId::new("live"), UserId::new("77"));
    let first = rtc(&emu).build().unwrap();
    first
        .set_ban_rule(&room, &user, Duration::from_secs(600))
        .await
        .unwrap();
    let second = rtc(&emu).build().unwrap();
    let rules = second.ban_rules(&room).await.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].user.as_str(), "77");
    let fresh = rtc(&emu).build().unwrap();
    fresh.delete_ban_rule(&room, &user).await.unwrap();
    assert!(emu.rtc().rules().is_empty());
}

#[tokio::test]
async fn a_rule_post_that_timed_out_or_answered_504_is_looked_up_before_it_is_sent_again() {
    let emu = emulator(AgoraConfig::default()).await;
    let (room, user) = (RoomId::new("live"), UserId::new("5"));
    let adapter = rtc(&emu)
        .with_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    // The server makes the rule but the answer comes too late.
    emu.rtc()
        .lose_next_rule_answer(LostAnswer::Late(Duration::from_millis(600)));
    let expires = adapter
        .set_ban_rule(&room, &user, Duration::from_secs(600))
        .await
        .unwrap();
    assert!(expires.is_some());
    let methods: Vec<String> = emu
        .rtc()
        .controls()
        .requests()
        .into_iter()
        .map(|r| r.method)
        .collect();
    assert_eq!(methods, ["POST", "GET"], "one POST, then the lookup");
    assert_eq!(emu.rtc().rules().len(), 1);

    // The rule is made and the gateway answers 504: found, not sent again.
    emu.rtc().controls().reset();
    emu.rtc().lose_next_rule_answer(LostAnswer::Status(504));
    let user = UserId::new("9");
    assert!(
        adapter
            .set_ban_rule(&room, &user, Duration::from_secs(600))
            .await
            .unwrap()
            .is_some()
    );
    let methods: Vec<String> = emu
        .rtc()
        .controls()
        .requests()
        .into_iter()
        .map(|r| r.method)
        .collect();
    assert_eq!(methods, ["POST", "GET"]);
    assert_eq!(emu.rtc().rules().len(), 2);

    // A 504 whose rule was not made: the lookup finds nothing and the error stays temporary.
    emu.rtc().controls().reset();
    emu.rtc().controls().push_fault(Fault::Status {
        status: 504,
        body: String::new(),
        headers: vec![],
    });
    let error = adapter
        .set_ban_rule(&room, &UserId::new("6"), Duration::from_secs(600))
        .await
        .unwrap_err();
    assert!(error.is_temporary(), "{error}");
    let methods: Vec<String> = emu
        .rtc()
        .controls()
        .requests()
        .into_iter()
        .map(|r| r.method)
        .collect();
    assert_eq!(methods, ["POST", "GET"]);
}

#[tokio::test]
async fn members_in_both_modes_and_kick_all_as_one_channel_rule() {
    let emu = emulator(AgoraConfig::default()).await;
    emu.rtc().seed_live("show", [1, 2], 100..10_105);
    let moderator = engine(rtc(&emu).build().unwrap());
    let members = moderator.members(&RoomId::new("show")).await.unwrap();
    // The list names the first 10,000 audience members only.
    assert_eq!(members.len(), 10_002);
    emu.rtc().seed_channel("call", [7, 8, 9]);
    assert_eq!(
        moderator.members(&RoomId::new("call")).await.unwrap().len(),
        3
    );
    assert!(
        moderator
            .members(&RoomId::new("empty"))
            .await
            .unwrap()
            .is_empty()
    );

    emu.rtc().controls().reset();
    moderator
        .disconnect_all(&RoomId::new("show"), None)
        .await
        .unwrap();
    assert!(
        emu.rtc().online("show").is_empty(),
        "everyone, beyond the 10,000 listed"
    );
    assert_eq!(emu.rtc().controls().counters().requests, 1);
    assert!(emu.rtc().rules().is_empty(), "time 0: nobody is kept out");
    assert!(emu.rtc().join("show", 1).is_ok());
}

#[tokio::test]
async fn string_accounts_fail_before_anything_is_sent() {
    let emu = emulator(AgoraConfig::default()).await;
    let moderator = engine(rtc(&emu).build().unwrap());
    for bad in ["alice", "0", "4294967296", "12a"] {
        let error = moderator
            .disconnect(&DisconnectRequest::new("live", ["5", bad]))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{bad}");
        assert!(
            error.message().contains("no string user accounts"),
            "{error}"
        );
        let error = moderator
            .ban(&BanRequest::new("live", [bad]))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{bad}");
    }
    assert_eq!(emu.rtc().controls().counters().requests, 0);
}

#[tokio::test]
async fn the_quota_is_the_accounts_across_app_ids() {
    let emu = emulator(AgoraConfig::default()).await;
    let one = rtc(&emu).build().unwrap();
    let ids = emu.rtc().app_ids().to_vec();
    let two = AgoraRtcBuilder::new(
        &ids[1],
        emu.rtc().customer_id(),
        emu.rtc().customer_secret(),
    )
    .with_endpoint(emu.rtc().base_url())
    .build()
    .unwrap();
    assert_eq!(one.quota_key(), two.quota_key());
    assert_ne!(one.account(), two.account());
    // The emulator counts the two App IDs in one window: the 11th rule call within a second is 429.
    let room = RoomId::new("r");
    for i in 0..10u32 {
        let adapter = if i % 2 == 0 { &one } else { &two };
        adapter.disconnect_all(&room, None).await.unwrap();
    }
    let error = two.disconnect_all(&room, None).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Throttled);
}
