//! The Redis pacer against a real `redis-server` and the ZIM emulator, which enforces 20 calls in any
//! sliding second and counts the busiest second.

#![cfg(feature = "redis")]

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use room_moderator_core::{
    Adapter, AdapterBuilder, DisconnectRequest, Engine, ErrorKind, Moderator, Outcome, Report,
};
use room_moderator_emulator::zego::{ZegoConfig, ZegoEmulator};
use room_moderator_state::testing::{RedisServer, free_port};
use room_moderator_state::{RedisPacer, RedisPacerOptions, Unreachable};
use room_moderator_zego::{ZegoRtcBuilder, ZegoZim, ZegoZimBuilder};

async fn emulator() -> ZegoEmulator {
    ZegoEmulator::start(
        ZegoConfig::default(),
        "127.0.0.1:0".parse().expect("an address"),
        "127.0.0.1:0".parse().expect("an address"),
    )
    .await
    .expect("emulator starts")
}

fn zim(emu: &ZegoEmulator) -> ZegoZim {
    ZegoZimBuilder::default()
        .with_vars(emu.zim_vars())
        .build()
        .expect("adapter")
}

/// An engine on the shared quota, as one instance of an application would build it. With
/// `adaptive` off, only Redis keeps the instances under the quota.
fn instance(
    emu: &ZegoEmulator,
    url: &str,
    options: RedisPacerOptions,
    adaptive: bool,
) -> Arc<dyn Moderator> {
    let adapter = zim(emu);
    let key = adapter.quota_key().expect("ZEGO names its quota");
    let pacer = RedisPacer::connect(url, &key, NonZeroU32::MIN.saturating_add(19), options)
        .expect("a valid URL");
    Arc::new(
        Engine::builder(adapter)
            .with_pacer(Arc::new(pacer))
            .with_adaptive(adaptive)
            .build(),
    )
}

fn users(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// `n` instances remove `per` users each from their own room, all at once.
async fn run_instances(
    emu: &ZegoEmulator,
    moderators: Vec<Arc<dyn Moderator>>,
    per: usize,
) -> Vec<Report> {
    let jobs = moderators.into_iter().enumerate().map(|(i, moderator)| {
        let room = format!("room-{i}");
        let list = users(&format!("i{i}"), per);
        emu.zim().seed_room(&room, list.clone());
        async move {
            // Only kicks: every user is there, and the quota measured is KickoutRoomUser's (the
            // presence check lists the room on another API with its own quota).
            moderator
                .disconnect(&DisconnectRequest::new(room, list).without_presence_check())
                .await
                .expect("valid request")
        }
    });
    futures::future::join_all(jobs).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_one_redis_hold_the_quota_together() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let emu = emulator().await;
    // The emulator runs in this process and counts calls when its handler runs: on a 2-core machine
    // busy with other tests, that can lag the send by more than the default 10 ms margin, so the
    // window here is one second plus 50 ms.
    let options = RedisPacerOptions::default().margin(Duration::from_millis(50));
    let moderators = (0..4)
        .map(|_| instance(&emu, &redis.url(), options, false))
        .collect();
    let started = Instant::now();
    let reports = run_instances(&emu, moderators, 1_000).await;
    let elapsed = started.elapsed();
    assert!(reports.iter().all(Report::all_gone));
    let counters = emu.zim().controls().counters();
    assert_eq!(counters.requests, 80);
    assert_eq!(counters.throttled, 0);
    assert!(counters.peak_per_second <= 20, "{counters:?}");
    // 80 calls at 20 a second: at least 3.95 s, and together at least 90% of the quota.
    let rate = 80.0 / elapsed.as_secs_f64();
    assert!(elapsed >= Duration::from_millis(3_900), "{elapsed:?}");
    assert!(rate >= 18.0, "{rate:.1} calls/s in {elapsed:?}");
}

/// At 50 calls a second each round trip to Redis reserves 3 slots; two instances still share the
/// quota exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_reservations_at_a_high_rate_hold_the_quota_too() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let emu = emulator().await;
    let options = RedisPacerOptions::default().margin(Duration::from_millis(50));
    let moderators: Vec<Arc<dyn Moderator>> = (0..2)
        .map(|_| {
            let adapter = ZegoRtcBuilder::default()
                .with_vars(emu.rtc_vars())
                .build()
                .expect("adapter");
            let key = adapter.quota_key().expect("ZEGO names its quota");
            let rate = adapter.capabilities().requests_per_second.expect("a rate");
            let pacer =
                RedisPacer::connect(&redis.url(), &key, rate, options).expect("a valid URL");
            assert_eq!(pacer.batch(), 3);
            Arc::new(
                Engine::builder(adapter)
                    .with_pacer(Arc::new(pacer))
                    .with_adaptive(false)
                    .build(),
            ) as Arc<dyn Moderator>
        })
        .collect();
    let jobs = moderators.into_iter().enumerate().map(|(i, moderator)| {
        let room = format!("stage-{i}");
        let list = users(&format!("r{i}"), 500);
        emu.rtc().seed_room(&room, list.clone());
        async move {
            moderator
                .disconnect(&DisconnectRequest::new(room, list))
                .await
                .expect("valid request")
        }
    });
    let started = Instant::now();
    let reports = futures::future::join_all(jobs).await;
    let elapsed = started.elapsed();
    assert!(reports.iter().all(Report::all_gone));
    let counters = emu.rtc().controls().counters();
    assert_eq!(counters.requests, 200);
    assert_eq!(counters.throttled, 0);
    assert!(counters.peak_per_second <= 50, "{counters:?}");
    // 200 calls at 50 a second need 3.98 s.
    assert!(elapsed >= Duration::from_millis(3_900), "{elapsed:?}");
    assert!(200.0 / elapsed.as_secs_f64() >= 45.0, "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restarted_mid_job_loses_no_user() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let emu = emulator().await;
    let options = RedisPacerOptions::default().timeout(Duration::from_millis(300));
    let moderators = (0..2)
        .map(|_| instance(&emu, &redis.url(), options, true))
        .collect();
    let jobs = run_instances(&emu, moderators, 1_500);
    let restart = async {
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        redis.stop();
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        redis.restart();
    };
    let (reports, ()) = tokio::join!(jobs, restart);
    for report in &reports {
        assert!(report.all_gone(), "{:?}", report.failures().next());
    }
    assert_eq!(emu.zim().members("room-0"), Some(Vec::new()));
    assert_eq!(emu.zim().members("room-1"), Some(Vec::new()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_redis_at_start_either_fails_before_sending_or_paces_locally() {
    let emu = emulator().await;
    let url = format!("redis://127.0.0.1:{}/", free_port());
    let options = RedisPacerOptions::default()
        .timeout(Duration::from_millis(300))
        .unreachable(Unreachable::Fail);
    let failing = instance(&emu, &url, options, true);
    emu.zim().seed_room("lobby", users("u", 1_000));
    let report = failing
        .disconnect(&DisconnectRequest::new("lobby", users("u", 100)))
        .await
        .expect("valid request");
    assert_eq!(
        emu.zim().controls().counters().requests,
        0,
        "nothing sent unpaced"
    );
    for entry in report.users() {
        let error = entry.outcome.error().expect("failed");
        assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
        assert!(error.message().contains("Redis"), "{error}");
        assert_eq!(entry.attempts, 0);
    }

    let options = RedisPacerOptions::default()
        .timeout(Duration::from_millis(300))
        .unreachable(Unreachable::PaceLocally { share: 0.5 });
    let local = instance(&emu, &url, options, true);
    let started = Instant::now();
    let report = local
        .disconnect(&DisconnectRequest::new("lobby", users("u", 1_000)))
        .await
        .expect("valid request");
    assert!(
        report
            .users()
            .iter()
            .all(|u| matches!(u.outcome, Outcome::Disconnected)),
        "{:?}",
        report.failures().next()
    );
    // 20 calls at half of 20 a second.
    assert!(
        started.elapsed() >= Duration::from_millis(1_800),
        "{:?}",
        started.elapsed()
    );
    let counters = emu.zim().controls().counters();
    assert_eq!(counters.throttled, 0);
    assert!(counters.peak_per_second <= 10, "{counters:?}");
}

#[test]
fn a_bad_url_is_a_config_error_that_does_not_repeat_it() {
    let key = room_moderator_core::QuotaKey::new("zego-zim", "1@x", "KickoutRoomUser");
    let error = RedisPacer::connect(
        "http://user:s3cret@host",
        &key,
        NonZeroU32::new(20).unwrap(),
        RedisPacerOptions::default(),
    )
    .expect_err("not a Redis URL");
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(!error.to_string().contains("s3cret"), "{error}");
}
