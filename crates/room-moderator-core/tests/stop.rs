//! The caller's graceful stop ([`StopSignal`]), on paused tokio time against the mock: nothing is
//! sent after the stop, calls in flight are answered and their users get the provider's real
//! outcome, users never sent are `cancelled` ("not sent: stopped"), and the report comes back as
//! soon as the calls in flight have answered.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use room_moderator_core::mock::{CallScript, MockAdapter};
use room_moderator_core::{
    AuditHook, BanOutcome, BanRequest, Capabilities, DisconnectRequest, Engine, Error, ErrorKind,
    JoinCheck, Moderator, Outcome, Report, RetryPolicy, RoomCleared, RoomId, StopSignal, UserId,
    UserReport,
};
use tokio::time::Instant;

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user-{i}")).collect()
}

/// Every outcome the audit hook heard, by user.
#[derive(Default)]
struct Heard(Mutex<HashMap<UserId, Vec<Outcome>>>);

impl AuditHook for Heard {
    fn user_outcome(&self, _: &'static str, _: &RoomId, entry: &UserReport) {
        let mut heard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        heard
            .entry(entry.user.clone())
            .or_default()
            .push(entry.outcome.clone());
    }
}

/// Whether `outcome` is the one of a user never sent because of the stop.
fn not_sent(outcome: &Outcome) -> bool {
    outcome.error().is_some_and(|error| {
        error.kind() == ErrorKind::Cancelled && error.message().contains("not sent: stopped")
    })
}

/// `job`'s answer, with the time it came.
async fn timed<T>(job: impl std::future::Future<Output = T>) -> (T, Instant) {
    let answer = job.await;
    (answer, Instant::now())
}

/// Stops `stop` at `at` (paused time), saying how many calls were on the wire then.
async fn stop_at(stop: &StopSignal, at: Instant) -> usize {
    tokio::time::sleep_until(at).await;
    let in_flight = stop.in_flight();
    stop.stop();
    in_flight
}

/// 100 users, 10 a call, 2 calls at a time, each call taking 10 s: stopped at 5 s, the two calls on
/// the wire finish (their 20 users are removed), nothing else is sent, and the report is back when
/// they answer.
#[tokio::test(start_paused = true)]
async fn a_stop_mid_job_drains_the_calls_in_flight_and_sends_nothing_more() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(10));
    let everyone = users(100);
    mock.seed_room("lobby", everyone.clone());
    for _ in 0..10 {
        mock.push_call(CallScript::Delay(Duration::from_secs(10)));
    }
    let heard = Arc::new(Heard::default());
    let engine = Engine::builder(mock.clone())
        .with_max_concurrency(2)
        .with_audit(heard.clone())
        .build();
    let stop = StopSignal::new();
    let request = DisconnectRequest::new("lobby", everyone.clone()).with_stop(&stop);
    let started = Instant::now();
    let ((report, done), in_flight) = tokio::join!(
        timed(engine.disconnect(&request)),
        stop_at(&stop, started + Duration::from_secs(5))
    );
    let report = report.unwrap();
    assert_eq!(in_flight, 2, "two calls on the wire at the stop");
    assert_eq!(stop.in_flight(), 0);
    assert_eq!(mock.calls().len(), 2, "no call was sent after the stop");
    assert!(mock.calls().iter().all(|call| call.at == started));
    assert_eq!(
        done - started,
        Duration::from_secs(10),
        "back as soon as the calls in flight answered"
    );
    let sent: Vec<UserId> = mock.calls().iter().flat_map(|c| c.users.clone()).collect();
    assert_eq!(sent.len(), 20);
    for entry in report.users() {
        if sent.contains(&entry.user) {
            assert!(matches!(entry.outcome, Outcome::Disconnected), "{entry:?}");
            assert_eq!(entry.attempts, 1);
        } else {
            assert!(not_sent(&entry.outcome), "{entry:?}");
            assert_eq!(entry.attempts, 0);
        }
    }
    assert_eq!(report.summary().disconnected, 20);
    assert_eq!(report.summary().failed, 80);
    assert_eq!(report.calls(), 2);
    // The room agrees: the 80 not sent are still in it.
    assert_eq!(mock.members(&RoomId::new("lobby")).unwrap().len(), 80);
    // The audit hook heard every user exactly once.
    let heard = heard.0.lock().unwrap();
    assert_eq!(heard.len(), 100);
    assert!(heard.values().all(|outcomes| outcomes.len() == 1));
}

/// Calls waiting for their paced slot are not sent after a stop: at one call a second, a stop at
/// 2.5 s leaves the three calls sent at 0, 1 and 2 s, and the report is back at once.
#[tokio::test(start_paused = true)]
async fn paced_calls_waiting_for_their_slot_are_not_sent_after_a_stop() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(1).with_rate_per_second(1));
    let engine = Engine::builder(mock.clone()).with_adaptive(false).build();
    let stop = StopSignal::new();
    let request = DisconnectRequest::new("lobby", users(10)).with_stop(&stop);
    let started = Instant::now();
    let ((report, done), _) = tokio::join!(
        timed(engine.disconnect(&request)),
        stop_at(&stop, started + Duration::from_millis(2_500))
    );
    let report = report.unwrap();
    assert_eq!(mock.calls().len(), 3, "{:?}", mock.calls());
    assert_eq!(done - started, Duration::from_millis(2_500));
    assert_eq!(report.summary().disconnected, 3);
    let unsent = report
        .users()
        .iter()
        .filter(|entry| not_sent(&entry.outcome))
        .count();
    assert_eq!(unsent, 7);
}

/// A retry waiting for its backoff is not sent after a stop: the user is `cancelled`, not sent
/// again, quoting the provider's answer (throttled), and the report does not wait out the backoff.
#[tokio::test(start_paused = true)]
async fn a_retry_waiting_out_its_backoff_is_not_sent_after_a_stop() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(10));
    mock.push_call(CallScript::Fail(
        Error::new(ErrorKind::Throttled, "slow down").with_retry_after(Duration::from_secs(20)),
    ));
    let engine = Engine::builder(mock.clone())
        .with_retry(RetryPolicy::default().with_jitter(false))
        .build();
    let stop = StopSignal::new();
    let request = DisconnectRequest::new("lobby", ["a", "b"]).with_stop(&stop);
    let started = Instant::now();
    let ((report, done), _) = tokio::join!(
        timed(engine.disconnect(&request)),
        stop_at(&stop, started + Duration::from_secs(1))
    );
    let report = report.unwrap();
    assert_eq!(mock.calls().len(), 1, "the retry was not sent");
    assert_eq!(done - started, Duration::from_secs(1));
    for entry in report.users() {
        let error = entry.outcome.error().expect("a failure");
        assert_eq!(error.kind(), ErrorKind::Cancelled);
        assert!(
            error.message().contains("not sent again: stopped")
                && error.message().contains("slow down"),
            "{error}"
        );
        assert!(!error.is_temporary());
        assert_eq!(entry.attempts, 1);
    }
}

/// A call in flight at the stop is not waited for past the operation's deadline: a provider that
/// never answers leaves its users with the deadline's "may or may not" outcome, at the deadline.
#[tokio::test(start_paused = true)]
async fn a_call_in_flight_is_waited_for_no_longer_than_the_deadline() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(1));
    mock.push_call(CallScript::Delay(Duration::from_secs(3_600)));
    let engine = Engine::builder(mock.clone())
        .with_max_concurrency(1)
        .build();
    let stop = StopSignal::new();
    let request = DisconnectRequest::new("lobby", ["slow", "never"])
        .with_deadline(Duration::from_secs(30))
        .with_stop(&stop);
    let started = Instant::now();
    let ((report, done), _) = tokio::join!(
        timed(engine.disconnect(&request)),
        stop_at(&stop, started + Duration::from_secs(1))
    );
    let report = report.unwrap();
    assert_eq!(done - started, Duration::from_secs(30));
    assert_eq!(mock.calls().len(), 1);
    let slow = report
        .outcome(&UserId::new("slow"))
        .unwrap()
        .error()
        .unwrap();
    assert_eq!(slow.kind(), ErrorKind::Timeout);
    assert!(slow.message().contains("may or may not"), "{slow}");
    assert!(not_sent(report.outcome(&UserId::new("never")).unwrap()));
}

/// Dropping the future is still a hard cancel: the call on the wire is abandoned, its user's
/// outcome says so, and the signal no longer counts it.
#[tokio::test(start_paused = true)]
async fn dropping_the_future_still_cancels_hard() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(1));
    mock.push_call(CallScript::Delay(Duration::from_secs(10)));
    let heard = Arc::new(Heard::default());
    let engine = Engine::builder(mock.clone())
        .with_max_concurrency(1)
        .with_audit(heard.clone())
        .build();
    let stop = StopSignal::new();
    let request = DisconnectRequest::new("lobby", ["a", "b"]).with_stop(&stop);
    let cut = tokio::time::timeout(Duration::from_secs(1), engine.disconnect(&request)).await;
    assert!(cut.is_err(), "dropped at 1 s");
    assert_eq!(stop.in_flight(), 0);
    let heard = heard.0.lock().unwrap();
    let a = heard[&UserId::new("a")][0].error().unwrap();
    assert!(a.message().contains("may or may not"), "{a}");
    let b = heard[&UserId::new("b")][0].error().unwrap();
    assert!(b.message().contains("not sent"), "{b}");
}

/// A ban stopped before its kick: recorded all the same, nothing sent, every user `cancelled`.
#[tokio::test(start_paused = true)]
async fn a_stopped_ban_is_recorded_and_sends_nothing() {
    let mock = MockAdapter::new();
    let stop = StopSignal::new();
    stop.stop();
    let report = mock
        .moderator()
        .ban(&BanRequest::new("lobby", ["raider-1", "raider-2"]).with_stop(&stop))
        .await
        .unwrap();
    assert!(mock.calls().is_empty());
    for entry in &report.users {
        match &entry.outcome {
            BanOutcome::Failed { error, recorded } => {
                assert!(*recorded);
                assert_eq!(error.kind(), ErrorKind::Cancelled);
                assert!(error.message().contains("not sent: stopped"), "{error}");
            }
            other => panic!("{other:?}"),
        }
    }
    let check = mock
        .moderator()
        .check(&RoomId::new("lobby"), &UserId::new("raider-1"))
        .await
        .unwrap();
    assert!(
        matches!(check, JoinCheck::Banned { .. }),
        "the ban holds: {check:?}"
    );
}

/// A ban stopped mid-kick: the kick calls in flight answer, the rest are not sent.
#[tokio::test(start_paused = true)]
async fn a_ban_stopped_mid_kick_drains_its_calls_in_flight() {
    let mock = MockAdapter::with_capabilities(
        MockAdapter::DEFAULT_CAPABILITIES.with_max_users_per_call(1),
    );
    for _ in 0..4 {
        mock.push_call(CallScript::Delay(Duration::from_secs(2)));
    }
    let engine = Engine::builder(mock.clone())
        .with_ban_store(mock.ban_store())
        .with_max_concurrency(1)
        .build();
    let stop = StopSignal::new();
    let request = BanRequest::new("lobby", ["a", "b", "c"]).with_stop(&stop);
    let started = Instant::now();
    let ((report, done), in_flight) = tokio::join!(
        timed(engine.ban(&request)),
        stop_at(&stop, started + Duration::from_secs(1))
    );
    let report = report.unwrap();
    assert_eq!(in_flight, 1);
    assert_eq!(done - started, Duration::from_secs(2));
    assert_eq!(mock.calls().len(), 1);
    assert!(matches!(report.users[0].outcome, BanOutcome::Banned { .. }));
    for entry in &report.users[1..] {
        assert!(
            matches!(&entry.outcome, BanOutcome::Failed { error, recorded: true } if error.kind() == ErrorKind::Cancelled),
            "{entry:?}"
        );
    }
}

/// An engine given a signal stops every operation with it, those without a request included:
/// kick-all in one call, and the member listing, are not sent once it is stopped.
#[tokio::test(start_paused = true)]
async fn an_engine_wide_stop_holds_back_one_call_operations() {
    let mock = MockAdapter::new();
    let stop = StopSignal::new();
    let engine = Engine::builder(mock.clone()).with_stop(&stop).build();
    let room = RoomId::new("lobby");
    // Not stopped yet: as usual.
    assert!(matches!(
        engine.disconnect_all(&room, None).await,
        Ok(RoomCleared::Native)
    ));
    stop.stop();
    let error = engine.disconnect_all(&room, None).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Cancelled);
    assert!(error.message().contains("not sent: stopped"), "{error}");
    assert_eq!(mock.room_clears().len(), 1);
    let error = engine.members(&room).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Cancelled);
    assert!(mock.side_calls().is_empty());
    let report: Report = engine
        .disconnect(&DisconnectRequest::new("lobby", ["a"]))
        .await
        .unwrap();
    assert!(not_sent(report.outcome(&UserId::new("a")).unwrap()));
    assert!(mock.calls().is_empty());
}

/// A side call's retry backoff ends at the stop: the member listing fails at once, `cancelled`,
/// quoting the provider's last answer.
#[tokio::test(start_paused = true)]
async fn a_side_call_waiting_to_retry_ends_at_the_stop() {
    let mock = MockAdapter::new();
    mock.fail_side_calls(
        "members_page",
        1,
        Error::new(ErrorKind::Unavailable, "busy").with_retry_after(Duration::from_secs(20)),
    );
    let stop = StopSignal::new();
    let engine = Engine::builder(mock.clone()).with_stop(&stop).build();
    let room = RoomId::new("lobby");
    let started = Instant::now();
    let ((listed, done), _) = tokio::join!(
        timed(engine.members(&room)),
        stop_at(&stop, started + Duration::from_secs(1))
    );
    let error = listed.unwrap_err();
    assert_eq!(done - started, Duration::from_secs(1));
    assert_eq!(error.kind(), ErrorKind::Cancelled);
    assert!(
        error.message().contains("not sent again: stopped") && error.message().contains("busy"),
        "{error}"
    );
    assert_eq!(mock.side_calls().len(), 1);
}
