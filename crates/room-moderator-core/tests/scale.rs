//! The engine at scale, on paused tokio time: pacing at the quota and never above it, fail-fast,
//! deadlines sized to the job, retries that do not block, throttling as backpressure, and one outcome
//! per user even when the caller gives up mid-job.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use proptest::prelude::*;
use room_moderator_core::mock::{CallScript, MockAdapter};
use room_moderator_core::{
    Adapter, AdaptivePacer, AuditHook, Batch, BatchResult, Capabilities, DisconnectRequest, Engine,
    Error, ErrorKind, Moderator, Outcome, RetryPolicy, RetryStatus, RoomId, UserReport,
};
use tokio::time::Instant;

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user-{i}")).collect()
}

/// The most entries of `times` (sorted) in any window of `span`.
fn busiest(times: &[Instant], span: Duration) -> usize {
    let mut end = 0;
    let mut best = 0;
    for start in 0..times.len() {
        while end < times.len() && times[end] < times[start] + span {
            end += 1;
        }
        best = best.max(end - start);
    }
    best
}

fn call_times(mock: &MockAdapter) -> Vec<Instant> {
    let mut times: Vec<Instant> = mock.calls().iter().map(|c| c.at).collect();
    times.sort();
    times
}

#[tokio::test(start_paused = true)]
async fn a_long_job_runs_at_the_full_rate_and_never_above_it() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(1).with_rate_per_second(100));
    let report = mock
        .moderator()
        .disconnect(&DisconnectRequest::new("room", users(1_000)))
        .await
        .unwrap();
    assert_eq!(report.summary().disconnected, 1_000);
    let times = call_times(&mock);
    assert!(busiest(&times, Duration::from_secs(1)) <= 100);
    let span = times[999] - times[0];
    let minimum = Duration::from_millis(9_990);
    let ratio = span.as_secs_f64() / minimum.as_secs_f64();
    assert!(
        ratio <= 1.01,
        "{span:?} for 1,000 calls at 100/s: ratio {ratio:.4}"
    );
}

#[tokio::test(start_paused = true)]
async fn retries_and_split_calls_are_paced_too() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(4).with_rate_per_second(10));
    mock.answer_unattributed(true);
    mock.set_absent(["user-3", "user-17", "user-18"]);
    mock.fail_next_calls(
        3,
        Error::new(ErrorKind::Unavailable, "busy").with_code("503"),
    );
    let engine = Engine::builder(mock.clone())
        .with_retry(RetryPolicy::default().with_backoff(Duration::ZERO, Duration::ZERO))
        .build();
    engine
        .disconnect(&DisconnectRequest::new("room", users(40)))
        .await
        .unwrap();
    let times = call_times(&mock);
    assert!(
        times.len() > 13,
        "retries and splits happened: {}",
        times.len()
    );
    assert!(busiest(&times, Duration::from_secs(1)) <= 10);
}

fn unauthenticated() -> Error {
    Error::new(ErrorKind::Unauthenticated, "signature mismatch").with_code("100000004")
}

#[tokio::test(start_paused = true)]
async fn a_request_wide_failure_stops_the_job_after_at_most_the_calls_in_flight() {
    for (error, concurrency) in [
        (unauthenticated(), 8),
        (
            Error::new(ErrorKind::NotFound, "room does not exist").with_code("660300001"),
            3,
        ),
    ] {
        let mock = MockAdapter::with_capabilities(Capabilities::new(50).with_rate_per_second(20));
        mock.fail_next_calls(10_000, error.clone());
        let engine = Engine::builder(mock.clone())
            .with_max_concurrency(concurrency)
            .build();
        let report = engine
            .disconnect(&DisconnectRequest::new("room", users(10_000)))
            .await
            .unwrap();
        assert!(
            mock.calls().len() <= concurrency,
            "{} calls for {:?}",
            mock.calls().len(),
            error.kind()
        );
        assert_eq!(report.users().len(), 10_000);
        let sent = mock.calls().len() * 50;
        for (index, entry) in report.users().iter().enumerate() {
            let failure = entry.outcome.error().expect("every user failed");
            assert_eq!(failure.kind(), error.kind());
            assert_eq!(failure.code(), error.code());
            if index >= sent {
                assert_eq!(entry.attempts, 0, "{}", entry.user);
                assert!(failure.message().starts_with("not sent"), "{failure}");
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_deadline_shorter_than_the_plan_is_refused_before_sending() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(1).with_rate_per_second(100));
    let engine = Engine::builder(mock.clone())
        .with_deadline(Duration::from_secs(5))
        .build();
    let request = DisconnectRequest::new("room", users(2_000));
    let error = engine.disconnect(&request).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(
        error.message().contains("5s") && error.message().contains("19.99s"),
        "{error}"
    );
    assert!(engine.plan(&request).is_err());
    assert!(mock.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_default_deadline_never_cuts_short_a_job_the_quota_allows() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(1).with_rate_per_second(100));
    let engine = mock.moderator();
    let request = DisconnectRequest::new("room", users(7_000));
    let plan = engine.plan(&request).unwrap();
    assert!(plan.deadline.unwrap() > plan.min_duration * 2);
    let report = engine.disconnect(&request).await.unwrap();
    assert_eq!(report.summary().disconnected, 7_000);
}

#[tokio::test(start_paused = true)]
async fn users_never_sent_before_a_deadline_are_reported_as_not_sent() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(1).with_rate_per_second(10));
    mock.push_call(CallScript::Delay(Duration::from_secs(3)));
    let engine = Engine::builder(mock.clone())
        .with_max_concurrency(1)
        .with_deadline(Duration::from_millis(2_500))
        .build();
    let report = engine
        .disconnect(&DisconnectRequest::new("room", users(20)))
        .await
        .unwrap();
    let last = report.users().last().unwrap();
    assert_eq!(last.attempts, 0);
    let error = last.outcome.error().unwrap();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(error.message().starts_with("not sent"), "{error}");
    assert!(!error.to_string().contains("still failing"), "{error}");
    let deadline = mock.calls()[0].at + Duration::from_millis(2_500);
    assert!(mock.calls().iter().all(|call| call.at < deadline));
}

#[tokio::test(start_paused = true)]
async fn a_retry_waiting_for_retry_after_does_not_slow_fresh_batches() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(1).with_rate_per_second(10));
    mock.push_call(CallScript::Fail(
        Error::new(ErrorKind::Unavailable, "busy").with_retry_after(Duration::from_secs(30)),
    ));
    let engine = Engine::builder(mock.clone())
        .with_max_concurrency(1)
        .build();
    engine
        .disconnect(&DisconnectRequest::new("room", users(50)))
        .await
        .unwrap();
    let calls = mock.calls();
    assert_eq!(calls.len(), 51);
    // The other 49 users went out at the rate while user-0 waited, with the one slot free.
    let fresh: Vec<Instant> = calls[1..50].iter().map(|c| c.at).collect();
    assert!(fresh[48] - calls[0].at < Duration::from_millis(5_100));
    assert_eq!(calls[50].users[0].as_str(), "user-0");
    assert!(calls[50].at - calls[0].at >= Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_is_clamped() {
    let mock = MockAdapter::new();
    mock.push_call(CallScript::Fail(
        Error::new(ErrorKind::Unavailable, "busy").with_retry_after(Duration::from_secs(u64::MAX)),
    ));
    let engine = Engine::builder(mock.clone())
        .with_retry(RetryPolicy::default().with_max_retry_after(Duration::from_secs(90)))
        .with_deadline(Duration::from_secs(3_600))
        .build();
    let report = engine
        .disconnect(&DisconnectRequest::new("room", ["a"]))
        .await
        .unwrap();
    assert!(report.all_gone());
    let calls = mock.calls();
    assert_eq!(calls.len(), 2);
    assert!(calls[1].at - calls[0].at <= Duration::from_secs(90));
}

fn throttled() -> Error {
    Error::new(ErrorKind::Throttled, "too many requests").with_code("7")
}

#[tokio::test(start_paused = true)]
async fn throttled_answers_do_not_spend_the_attempt_budget() {
    let mock = MockAdapter::new();
    mock.fail_next_calls(6, throttled());
    let engine = Engine::builder(mock.clone())
        .with_retry(RetryPolicy::default().with_max_attempts(2))
        .build();
    let report = engine
        .disconnect(&DisconnectRequest::new("room", ["a"]))
        .await
        .unwrap();
    assert!(report.all_gone(), "{:?}", report.users());
    assert_eq!(report.users()[0].attempts, 7);
    assert_eq!(report.throttled(), 6);
}

#[tokio::test(start_paused = true)]
async fn a_job_throttled_for_good_ends_at_its_deadline_with_every_user_accounted_for() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(5).with_rate_per_second(10));
    mock.fail_next_calls(1_000_000, throttled());
    let engine = Engine::builder(mock.clone())
        .with_deadline(Duration::from_secs(30))
        .build();
    let started = Instant::now();
    let report = engine
        .disconnect(&DisconnectRequest::new("room", users(100)))
        .await
        .unwrap();
    assert!(started.elapsed() <= Duration::from_secs(30));
    assert_eq!(report.users().len(), 100);
    for entry in report.users() {
        let error = entry.outcome.error().expect("throttled for good");
        if entry.attempts == 0 {
            // Slowed down so much that its call never went out.
            assert_eq!(error.kind(), ErrorKind::Timeout, "{}", entry.user);
            assert!(error.message().starts_with("not sent"), "{error}");
        } else {
            assert_eq!(error.kind(), ErrorKind::Throttled, "{}", entry.user);
            assert_eq!(error.status(), RetryStatus::Persistent);
        }
    }
    // Adaptive pacing slowed the re-sends well below the documented 10/s.
    assert!(mock.calls().len() < 150, "{} calls", mock.calls().len());
}

/// A provider that enforces `rate` calls in any sliding second over every engine calling it, with a
/// one-way latency, and remembers when calls arrived.
#[derive(Clone)]
struct QuotaProvider {
    caps: Capabilities,
    latency: Duration,
    state: Arc<Mutex<QuotaState>>,
}

#[derive(Default)]
struct QuotaState {
    admitted: VecDeque<Instant>,
    arrivals: Vec<Instant>,
    throttled: usize,
}

impl QuotaProvider {
    fn new(rate: u32, latency: Duration) -> Self {
        QuotaProvider {
            caps: Capabilities::new(50).with_rate_per_second(rate),
            latency,
            state: Arc::default(),
        }
    }
}

#[async_trait]
impl Adapter for QuotaProvider {
    fn provider(&self) -> &'static str {
        "quota"
    }

    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    async fn send_batch(&self, batch: Batch<'_>) -> BatchResult {
        tokio::time::sleep(self.latency).await;
        let rate = self.caps.requests_per_second.map_or(u32::MAX, |r| r.get());
        let now = Instant::now();
        let admitted = {
            let mut state = self.state.lock().expect("provider state");
            state.arrivals.push(now);
            while state
                .admitted
                .front()
                .is_some_and(|&at| at + Duration::from_secs(1) <= now)
            {
                state.admitted.pop_front();
            }
            if state.admitted.len() < rate as usize {
                state.admitted.push_back(now);
                true
            } else {
                state.throttled += 1;
                false
            }
        };
        if admitted {
            BatchResult::all(batch.users.len(), Outcome::Disconnected)
        } else {
            BatchResult::Whole(throttled())
        }
    }
}

/// `instances` engines, each with its own pacer as separate processes would have, remove `per` users
/// each through one provider quota at the same time. Returns (all gone, throttled, calls, elapsed).
async fn contend(instances: usize, per: usize, rate: u32) -> (bool, usize, usize, Duration) {
    let provider = QuotaProvider::new(rate, Duration::from_millis(30));
    let started = Instant::now();
    let jobs = (0..instances).map(|i| {
        let engine = Engine::builder(provider.clone()).build();
        let request = DisconnectRequest::new(format!("room-{i}"), users(per));
        async move { engine.disconnect(&request).await.expect("a valid request") }
    });
    let reports = futures::future::join_all(jobs).await;
    let elapsed = started.elapsed();
    let state = provider.state.lock().expect("provider state");
    (
        reports.iter().all(|r| r.all_gone()),
        state.throttled,
        state.arrivals.len(),
        elapsed,
    )
}

#[tokio::test(start_paused = true)]
async fn four_instances_on_one_quota_slow_down_instead_of_losing_users() {
    for rate in [20, 50, 100] {
        let per = 50 * 50 * rate as usize / 20;
        let (all_gone, throttled, calls, elapsed) = contend(4, per, rate).await;
        let minimum = Duration::from_secs_f64(((4 * per / 50) - 1) as f64 / f64::from(rate));
        assert!(all_gone, "rate {rate}: users were lost");
        assert!(
            throttled * 10 <= calls,
            "rate {rate}: {throttled} of {calls} calls throttled"
        );
        assert!(
            elapsed <= minimum * 2,
            "rate {rate}: {elapsed:?}, minimum {minimum:?}"
        );
        println!(
            "rate {rate}: {calls} calls, {throttled} throttled, {elapsed:?} (minimum {minimum:?})"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_rate_is_cut_on_throttling_restored_on_success_and_never_above_the_quota() {
    let pacer = Arc::new(AdaptivePacer::over_rate(
        "test",
        NonZeroU32::new(20).unwrap(),
    ));
    let provider = QuotaProvider::new(20, Duration::from_millis(30));
    // Someone else takes 15 of the 20 calls a second for the first 10 seconds.
    let foreign = provider.clone();
    tokio::spawn(async move {
        let start = Instant::now();
        let mut every = tokio::time::interval(Duration::from_millis(1000 / 15));
        while start.elapsed() < Duration::from_secs(10) {
            every.tick().await;
            let foreign = foreign.clone();
            tokio::spawn(async move {
                foreign
                    .send_batch(Batch {
                        room: &RoomId::new("other"),
                        users: &[room_moderator_core::UserId::new("x")],
                        reason: None,
                        attempt: 1,
                    })
                    .await
            });
        }
    });
    let engine = Engine::builder(provider.clone())
        .with_pacer(pacer.clone())
        .with_adaptive(false)
        .build();
    let mut limits = Vec::new();
    let probe = pacer.clone();
    let sampler = tokio::spawn(async move {
        let mut seen = Vec::new();
        for _ in 0..60 {
            seen.push(probe.current_limit());
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        seen
    });
    let report = engine
        .disconnect(&DisconnectRequest::new("room", users(50 * 400)))
        .await
        .unwrap();
    assert!(report.all_gone());
    limits.extend(sampler.await.unwrap());
    assert!(
        limits.iter().any(|l| l.is_some_and(|l| l <= 10)),
        "cut: {limits:?}"
    );
    assert!(limits.iter().flatten().all(|&l| l <= 20), "{limits:?}");
    assert_eq!(limits.last(), Some(&None), "restored: {limits:?}");
}

/// Records every outcome the audit hook hears.
#[derive(Default)]
struct Heard(Mutex<HashMap<String, usize>>);

impl AuditHook for Heard {
    fn user_outcome(&self, _provider: &'static str, _room: &RoomId, entry: &UserReport) {
        *self
            .0
            .lock()
            .expect("heard outcomes")
            .entry(entry.user.to_string())
            .or_default() += 1;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Whenever the caller drops the future, the audit hook has heard exactly one outcome per
    /// distinct user: the ones already final, and `Cancelled` for the rest.
    #[test]
    fn dropping_the_future_mid_job_still_gives_one_outcome_per_user(
        drop_after_ms in 0u64..6_000,
        n in 1usize..300,
        fail_first in 0usize..4,
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(async {
            let mock = MockAdapter::with_capabilities(Capabilities::new(7).with_rate_per_second(10));
            mock.fail_next_calls(fail_first, Error::new(ErrorKind::Unavailable, "busy"));
            mock.push_call(CallScript::Delay(Duration::from_millis(700)));
            let heard = Arc::new(Heard::default());
            let engine = Engine::builder(mock.clone()).with_audit(heard.clone()).build();
            let request = DisconnectRequest::new("room", users(n));
            let finished = tokio::time::timeout(
                Duration::from_millis(drop_after_ms),
                engine.disconnect(&request),
            )
            .await
            .is_ok();
            let heard = heard.0.lock().unwrap();
            prop_assert_eq!(heard.len(), n, "finished: {}", finished);
            prop_assert!(heard.values().all(|&count| count == 1));
            Ok(())
        })?;
    }
}
