//! The engine's promises, proven against the mock adapter on paused tokio time.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use room_moderator_core::mock::{CallScript, MockAdapter};
use room_moderator_core::{
    Adapter, AuditHook, Batch, BatchResult, Capabilities, DisconnectRequest, Engine, Error,
    ErrorKind, IdRule, LengthUnit, Moderator, Outcome, ReasonSupport, RetryPolicy, RetryStatus,
    RoomId, UserId, UserReport,
};
use tokio::time::Instant;

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user-{i}")).collect()
}

fn throttled() -> Error {
    Error::new(ErrorKind::Throttled, "slow down").with_code("7")
}

fn unavailable() -> Error {
    Error::new(ErrorKind::Unavailable, "busy").with_code("503")
}

fn denied() -> Error {
    Error::new(ErrorKind::PermissionDenied, "not a moderator").with_code("5116")
}

fn no_jitter() -> RetryPolicy {
    RetryPolicy::default().with_jitter(false)
}

fn outcome<'a>(report: &'a room_moderator_core::Report, user: &str) -> &'a Outcome {
    report
        .outcome(&UserId::new(user))
        .expect("user is in the report")
}

#[tokio::test(start_paused = true)]
async fn batches_follow_the_capability() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(50));
    let report = mock
        .moderator()
        .disconnect(&DisconnectRequest::new("room", users(120)))
        .await
        .unwrap();
    let sizes: Vec<usize> = mock.calls().iter().map(|c| c.users.len()).collect();
    assert_eq!(sizes, [50, 50, 20]);
    assert_eq!(report.calls(), 3);
    assert_eq!(report.summary().disconnected, 120);
}

#[tokio::test(start_paused = true)]
async fn tests_can_force_a_smaller_batch() {
    let mock = MockAdapter::new();
    let engine = Engine::builder(mock.clone())
        .with_capabilities(MockAdapter::DEFAULT_CAPABILITIES.with_max_users_per_call(2))
        .build();
    assert_eq!(engine.capabilities().max_users_per_call.get(), 2);
    engine
        .disconnect(&DisconnectRequest::new("room", users(5)))
        .await
        .unwrap();
    let sizes: Vec<usize> = mock.calls().iter().map(|c| c.users.len()).collect();
    assert_eq!(sizes, [2, 2, 1]);
    let sent: Vec<String> = mock
        .calls()
        .iter()
        .flat_map(|c| c.users.iter().map(|u| u.to_string()))
        .collect();
    assert_eq!(sent, users(5), "every user sent once, in order");
}

#[tokio::test(start_paused = true)]
async fn temporary_failures_are_retried_until_success() {
    let mock = MockAdapter::new();
    mock.fail_next_calls(2, throttled());
    let report = mock
        .moderator()
        .disconnect(&DisconnectRequest::new("room", ["a", "b"]))
        .await
        .unwrap();
    assert!(report.all_gone());
    assert_eq!(mock.calls().len(), 3);
    assert_eq!(
        mock.calls().iter().map(|c| c.attempt).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(report.users().iter().all(|u| u.attempts == 3));
}

#[tokio::test(start_paused = true)]
async fn permanent_failures_are_not_retried() {
    let mock = MockAdapter::new();
    mock.fail_next_calls(1, denied());
    let report = mock
        .moderator()
        .disconnect(&DisconnectRequest::new("room", ["a"]))
        .await
        .unwrap();
    assert_eq!(mock.calls().len(), 1);
    let error = outcome(&report, "a").error().expect("failed");
    assert_eq!(error.kind(), ErrorKind::PermissionDenied);
    assert_eq!(error.code(), Some("5116"));
    assert_eq!(error.status(), RetryStatus::Permanent);
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured() {
    let mock = MockAdapter::new();
    mock.push_call(CallScript::Fail(
        throttled().with_retry_after(Duration::from_secs(7)),
    ));
    let engine = Engine::builder(mock.clone())
        .with_retry(no_jitter())
        .build();
    engine
        .disconnect(&DisconnectRequest::new("room", ["a"]))
        .await
        .unwrap();
    let calls = mock.calls();
    assert_eq!(calls.len(), 2);
    assert!(
        calls[1].at - calls[0].at >= Duration::from_secs(7),
        "{:?}",
        calls[1].at - calls[0].at
    );
}

#[tokio::test(start_paused = true)]
async fn backoff_grows_between_retries() {
    let mock = MockAdapter::new();
    mock.fail_next_calls(3, throttled());
    let policy = no_jitter().with_backoff(Duration::from_millis(100), Duration::from_secs(10));
    let engine = Engine::builder(mock.clone()).with_retry(policy).build();
    engine
        .disconnect(&DisconnectRequest::new("room", ["a"]))
        .await
        .unwrap();
    let at: Vec<Instant> = mock.calls().iter().map(|c| c.at).collect();
    let gaps: Vec<u128> = at.windows(2).map(|w| (w[1] - w[0]).as_millis()).collect();
    assert_eq!(gaps, [100, 200, 400]);
}

#[tokio::test(start_paused = true)]
async fn retries_are_bounded_by_attempts_and_end_persistent() {
    let mock = MockAdapter::new();
    mock.fail_next_calls(100, unavailable());
    let engine = Engine::builder(mock.clone())
        .with_retry(no_jitter().with_max_attempts(3))
        .build();
    let report = engine
        .disconnect(&DisconnectRequest::new("room", ["a", "b"]))
        .await
        .unwrap();
    assert_eq!(mock.calls().len(), 3);
    for entry in report.users() {
        let error = entry.outcome.error().expect("failed");
        assert_eq!(error.kind(), ErrorKind::Unavailable);
        assert_eq!(error.status(), RetryStatus::Persistent);
        assert_eq!(entry.attempts, 3);
    }
}

#[tokio::test(start_paused = true)]
async fn retries_are_bounded_by_the_deadline() {
    let mock = MockAdapter::new();
    mock.fail_next_calls(100, throttled().with_retry_after(Duration::from_secs(10)));
    let engine = Engine::builder(mock.clone())
        .with_retry(no_jitter().with_max_attempts(50))
        .with_deadline(Duration::from_secs(25))
        .build();
    let started = Instant::now();
    let report = engine
        .disconnect(&DisconnectRequest::new("room", ["a"]))
        .await
        .unwrap();
    // Calls at 0 s, 10 s and 20 s; a fourth would start at 30 s, past the deadline.
    assert_eq!(mock.calls().len(), 3);
    assert!(started.elapsed() < Duration::from_secs(25));
    assert_eq!(
        outcome(&report, "a").error().map(Error::status),
        Some(RetryStatus::Persistent)
    );
}

#[tokio::test(start_paused = true)]
async fn a_call_still_in_flight_at_the_deadline_gets_a_timeout_outcome() {
    let mock = MockAdapter::new();
    mock.push_call(CallScript::Delay(Duration::from_secs(600)));
    let engine = Engine::builder(mock.clone())
        .with_deadline(Duration::from_secs(10))
        .build();
    let report = engine
        .disconnect(&DisconnectRequest::new("room", ["a", "b"]))
        .await
        .unwrap();
    for entry in report.users() {
        assert_eq!(
            entry.outcome.error().map(Error::kind),
            Some(ErrorKind::Timeout)
        );
        assert_eq!(entry.attempts, 1);
    }
}

#[tokio::test(start_paused = true)]
async fn only_unresolved_users_are_retried() {
    let mock = MockAdapter::new();
    mock.fail_user_times("b", 2, throttled());
    mock.set_absent(["c"]);
    let report = mock
        .moderator()
        .disconnect(&DisconnectRequest::new("room", ["a", "b", "c", "d"]))
        .await
        .unwrap();
    let calls: Vec<Vec<String>> = mock
        .calls()
        .iter()
        .map(|c| c.users.iter().map(|u| u.to_string()).collect())
        .collect();
    assert_eq!(calls, [vec!["a", "b", "c", "d"], vec!["b"], vec!["b"]]);
    assert!(matches!(outcome(&report, "b"), Outcome::Disconnected));
    assert!(matches!(outcome(&report, "c"), Outcome::NotInRoom));
    assert_eq!(
        report
            .users()
            .iter()
            .map(|u| u.attempts)
            .collect::<Vec<_>>(),
        [1, 3, 1, 1]
    );
}

#[tokio::test(start_paused = true)]
async fn unattributed_failures_are_split_until_pinned_to_users() {
    let mock = MockAdapter::new();
    mock.answer_unattributed(true);
    mock.seed_room("room", users(16).into_iter().filter(|u| u != "user-5"));
    mock.fail_user("user-11", denied());
    let report = mock
        .moderator()
        .disconnect(&DisconnectRequest::new("room", users(16)))
        .await
        .unwrap();
    assert!(matches!(outcome(&report, "user-5"), Outcome::NotInRoom));
    assert_eq!(
        outcome(&report, "user-11").error().and_then(Error::code),
        Some("5116")
    );
    assert_eq!(report.summary().disconnected, 14);
    assert_eq!(
        mock.members(&RoomId::new("room")),
        Some(vec![UserId::new("user-11")])
    );
    // Each split is one more call: far fewer than one call per user, more than one.
    assert!(
        mock.calls().len() > 1 && mock.calls().len() < 16,
        "{}",
        mock.calls().len()
    );
}

#[tokio::test(start_paused = true)]
async fn duplicates_are_sent_and_reported_once_in_input_order() {
    let mock = MockAdapter::new();
    let report = mock
        .moderator()
        .disconnect(&DisconnectRequest::new("room", ["c", "a", "c", "b", "a"]))
        .await
        .unwrap();
    let order: Vec<&str> = report.users().iter().map(|u| u.user.as_str()).collect();
    assert_eq!(order, ["c", "a", "b"]);
    assert_eq!(mock.calls()[0].users.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn an_empty_user_list_is_rejected_and_never_means_everyone() {
    let mock = MockAdapter::new();
    let error = mock
        .moderator()
        .disconnect(&DisconnectRequest::new("room", Vec::<String>::new()))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().contains("disconnect_all"), "{error}");
    assert!(mock.calls().is_empty() && mock.room_clears().is_empty());
}

#[tokio::test(start_paused = true)]
async fn bad_ids_and_reasons_are_rejected_before_sending() {
    let caps = Capabilities::new(10)
        .with_user_id(IdRule::max_bytes(4))
        .with_room_id(IdRule::max_chars(8))
        .with_reason(ReasonSupport::Limited {
            max_len: 5,
            unit: LengthUnit::Bytes,
        });
    let mock = MockAdapter::with_capabilities(caps);
    let moderator = mock.moderator();
    let cases = [
        (
            DisconnectRequest::new("room", ["ok", "toolong"]),
            "user id #2",
        ),
        (DisconnectRequest::new("room", ["ok", ""]), "is empty"),
        (
            DisconnectRequest::new("a-very-long-room", ["ok"]),
            "room id",
        ),
        (
            DisconnectRequest::new("room", ["ok"]).with_reason("too long"),
            "reason",
        ),
        (
            DisconnectRequest::new("room", ["ok"]).with_reason(""),
            "reason is empty",
        ),
    ];
    for (request, expected) in cases {
        let error = moderator.disconnect(&request).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert!(
            error.to_string().contains(expected),
            "{error} should mention {expected}"
        );
    }
    assert!(mock.calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_reason_the_provider_cannot_carry_is_not_sent_and_reported_undelivered() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(10));
    let request = DisconnectRequest::new("room", ["a"]).with_reason("spam");
    let report = mock.moderator().disconnect(&request).await.unwrap();
    assert!(!report.reason_delivered());
    assert!(mock.calls()[0].reason.is_none());

    let carrying = MockAdapter::new();
    let report = carrying.moderator().disconnect(&request).await.unwrap();
    assert!(report.reason_delivered());
    assert_eq!(
        carrying.calls()[0].reason.as_ref().map(|r| r.as_str()),
        Some("spam")
    );
}

/// Largest number of calls that fall into any window of `window` length.
fn busiest_window(times: &[Instant], window: Duration) -> usize {
    let mut times = times.to_vec();
    times.sort();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t < times[i] + window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn pacing_never_exceeds_the_rate_even_across_clones() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(1).with_rate_per_second(10));
    let engine = Engine::builder(mock.clone())
        .with_max_concurrency(16)
        .with_deadline(Duration::from_secs(3_600))
        .build();
    let other = engine.clone();
    let first = DisconnectRequest::new("room", users(40));
    let second = DisconnectRequest::new("other", users(40));
    let started = Instant::now();
    let (a, b) = tokio::join!(engine.disconnect(&first), other.disconnect(&second));
    assert!(a.unwrap().all_gone() && b.unwrap().all_gone());
    let times: Vec<Instant> = mock.calls().iter().map(|c| c.at).collect();
    assert_eq!(times.len(), 80);
    assert!(busiest_window(&times, Duration::from_secs(1)) <= 10);
    // And it does not crawl: 80 calls at 10/s take about 8 s.
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn concurrency_is_bounded() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(1));
    for _ in 0..20 {
        mock.push_call(CallScript::Delay(Duration::from_secs(1)));
    }
    let engine = Engine::builder(mock.clone())
        .with_max_concurrency(4)
        .build();
    let started = Instant::now();
    engine
        .disconnect(&DisconnectRequest::new("room", users(20)))
        .await
        .unwrap();
    // 20 one-second calls, 4 at a time: 5 seconds, and never more than 4 starting together.
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    let times: Vec<Instant> = mock.calls().iter().map(|c| c.at).collect();
    assert!(busiest_window(&times, Duration::from_millis(999)) <= 4);
}

#[tokio::test(start_paused = true)]
async fn disconnect_all_exists_only_where_the_capability_says() {
    let without = MockAdapter::with_capabilities(Capabilities::new(5));
    let error = without
        .moderator()
        .disconnect_all(&RoomId::new("room"), None)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
    assert!(without.room_clears().is_empty());

    let with = MockAdapter::new();
    with.seed_room("room", ["a", "b"]);
    with.fail_next_calls(1, throttled());
    with.moderator()
        .disconnect_all(&RoomId::new("room"), None)
        .await
        .unwrap();
    assert_eq!(with.room_clears().len(), 2, "throttled once, then retried");
    assert_eq!(with.members(&RoomId::new("room")), Some(vec![]));
}

/// An adapter that answers the wrong number of outcomes.
struct Miscounting;

#[async_trait]
impl Adapter for Miscounting {
    fn provider(&self) -> &'static str {
        "miscounting"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::new(10)
    }
    async fn send_batch(&self, _batch: Batch<'_>) -> BatchResult {
        BatchResult::PerUser(vec![Outcome::Disconnected])
    }
}

#[tokio::test(start_paused = true)]
async fn an_adapter_answering_the_wrong_count_yields_protocol_errors_not_lost_users() {
    let report = Engine::new(Miscounting)
        .disconnect(&DisconnectRequest::new("room", ["a", "b", "c"]))
        .await
        .unwrap();
    assert_eq!(report.users().len(), 3);
    assert!(
        report
            .users()
            .iter()
            .all(|u| u.outcome.error().map(Error::kind) == Some(ErrorKind::Protocol))
    );
}

#[derive(Default)]
struct Recorder(Mutex<Vec<(String, &'static str)>>);

impl AuditHook for Recorder {
    #[allow(clippy::unwrap_used)] // a poisoned lock means another assertion already failed
    fn user_outcome(&self, _provider: &'static str, _room: &RoomId, entry: &UserReport) {
        self.0
            .lock()
            .unwrap()
            .push((entry.user.to_string(), entry.outcome.label()));
    }
}

#[tokio::test(start_paused = true)]
async fn the_audit_hook_sees_every_outcome() {
    let mock = MockAdapter::new();
    mock.set_absent(["b"]);
    mock.fail_user("c", denied());
    let recorder = Arc::new(Recorder::default());
    let engine = Engine::builder(mock).with_audit(recorder.clone()).build();
    engine
        .disconnect(&DisconnectRequest::new("room", ["a", "b", "c"]))
        .await
        .unwrap();
    let seen = recorder.0.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            ("a".to_owned(), "disconnected"),
            ("b".to_owned(), "not_in_room"),
            ("c".to_owned(), "failed")
        ]
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Script {
        Throttle,
        Deny,
        Unattributed,
        Delay,
    }

    fn script() -> impl Strategy<Value = Script> {
        prop_oneof![
            Just(Script::Throttle),
            Just(Script::Deny),
            Just(Script::Unattributed),
            Just(Script::Delay)
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any user list (duplicates included) under any scripted failures: exactly one outcome per
        /// distinct user, in first-seen order, and every user that was sent was counted.
        #[test]
        fn every_distinct_user_gets_exactly_one_outcome_in_input_order(
            list in prop::collection::vec(0u8..40, 1..120),
            batch in 1usize..12,
            calls in prop::collection::vec(script(), 0..12),
            absent in prop::collection::vec(0u8..40, 0..10),
            failing in prop::collection::vec(0u8..40, 0..5),
            unattributed in any::<bool>(),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
            runtime.block_on(async {
                let mock = MockAdapter::with_capabilities(MockAdapter::DEFAULT_CAPABILITIES.with_max_users_per_call(batch));
                mock.answer_unattributed(unattributed);
                mock.set_absent(absent.iter().map(|n| format!("u{n}")));
                for n in &failing {
                    mock.fail_user(format!("u{n}"), denied());
                }
                for script in calls {
                    mock.push_call(match script {
                        Script::Throttle => CallScript::Fail(throttled()),
                        Script::Deny => CallScript::Fail(denied()),
                        Script::Unattributed => CallScript::Unattributed(denied()),
                        Script::Delay => CallScript::Delay(Duration::from_secs(3)),
                    });
                }
                let engine = Engine::builder(mock.clone()).with_max_concurrency(3).with_deadline(Duration::from_secs(20)).build();
                let requested: Vec<String> = list.iter().map(|n| format!("u{n}")).collect();
                let report = engine.disconnect(&DisconnectRequest::new("room", requested.clone())).await.unwrap();

                let mut seen = HashSet::new();
                let distinct: Vec<&String> = requested.iter().filter(|u| seen.insert(*u)).collect();
                let reported: Vec<&str> = report.users().iter().map(|u| u.user.as_str()).collect();
                prop_assert_eq!(reported, distinct.iter().map(|s| s.as_str()).collect::<Vec<_>>());
                let sent: usize = mock.calls().iter().map(|c| c.users.len()).sum();
                let attempts: u32 = report.users().iter().map(|u| u.attempts).sum();
                prop_assert_eq!(sent as u32, attempts);
                prop_assert!(mock.calls().iter().all(|c| c.users.len() <= batch && !c.users.is_empty()));
                for entry in report.users() {
                    let n: u8 = entry.user.as_str()[1..].parse().unwrap();
                    if let Outcome::Disconnected = entry.outcome {
                        prop_assert!(!absent.contains(&n) && !failing.contains(&n));
                    }
                }
                Ok(())
            })?;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn plan_validates_and_batches_without_sending() {
    let mock =
        MockAdapter::with_capabilities(MockAdapter::DEFAULT_CAPABILITIES.with_rate_per_second(10));
    let moderator = mock.moderator();
    let mut list = users(120);
    list.push("user-0".to_owned());
    let plan = moderator
        .plan(&DisconnectRequest::new("room", list))
        .unwrap();
    assert_eq!(plan.users, 120);
    assert_eq!(plan.batches, [50, 50, 20]);
    assert_eq!(plan.min_duration, Duration::from_millis(200));
    let error = moderator
        .plan(&DisconnectRequest::new("room", Vec::<String>::new()))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(mock.calls().is_empty());
}
