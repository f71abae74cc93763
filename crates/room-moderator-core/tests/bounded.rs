//! Every operation is bounded in time and recovers quickly: a provider that throttles for good, a
//! throttled start, answers that are not the provider's (paused clock, the mock adapter).

use std::num::NonZeroU32;
use std::time::Duration;

use room_moderator_core::mock::{CallScript, MockAdapter};
use room_moderator_core::{
    BanOutcome, BanRequest, BanSupport, Capabilities, DisconnectRequest, Engine, Error, ErrorKind,
    JoinCheck, Moderator, Operation, Plan, RetryStatus, RoomId, TokenOptions, UnbanOutcome, UserId,
};
use tokio::time::Instant;

const DAY: Duration = Duration::from_secs(86_400);

fn throttled() -> Error {
    Error::new(ErrorKind::Throttled, "too many requests")
        .with_code("429")
        .with_retry_after(Duration::from_secs(1))
}

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user-{i}")).collect()
}

/// A provider at 20 calls a second with native ban rules, members and tokens, whose every call of
/// every API is throttled for good.
fn throttling_for_good() -> MockAdapter {
    let mock = MockAdapter::with_capabilities(
        MockAdapter::DEFAULT_CAPABILITIES
            .with_rate_per_second(20)
            .with_bans(BanSupport::Native {
                max_duration: DAY,
                max_rules: None,
                requests_per_second: NonZeroU32::new(10),
                list_requests_per_second: NonZeroU32::new(1),
            }),
    );
    mock.fail_next_calls(1_000_000, throttled());
    for api in [
        "members_page",
        "set_ban_rule",
        "delete_ban_rule",
        "ban_rules",
        "issue_token",
    ] {
        mock.fail_side_calls(api, 1_000_000, throttled());
    }
    mock
}

/// Asserts `started` ended by `deadline` (nothing runs past it but the last call's answer).
fn ended_by(started: Instant, deadline: Duration, what: &str) {
    let took = started.elapsed();
    assert!(
        took <= deadline,
        "{what} took {took:?}, past its {deadline:?} deadline"
    );
}

#[tokio::test(start_paused = true)]
async fn every_operation_returns_at_its_deadline_when_the_provider_throttles_for_good() {
    let mock = throttling_for_good();
    let deadline = Duration::from_secs(20);
    let engine = Engine::builder(mock.clone())
        .with_ban_store(mock.ban_store())
        .with_deadline(deadline)
        .build();
    let room = RoomId::from("room");

    let started = Instant::now();
    let report = engine
        .disconnect(&DisconnectRequest::new("room", users(120)))
        .await
        .unwrap();
    ended_by(started, deadline, "disconnect");
    assert_eq!(report.users().len(), 120);
    assert!(report.users().iter().all(|u| u.outcome.error().is_some()));

    let started = Instant::now();
    let cleared = engine.disconnect_all(&room, None).await;
    ended_by(started, deadline, "disconnect_all");
    let error = cleared.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Throttled, "{error}");
    assert_eq!(error.status(), RetryStatus::Persistent);
    assert!(
        error.message().contains("gave up on kick-all after"),
        "{error}"
    );

    let started = Instant::now();
    let members = engine.members(&room).await;
    ended_by(started, deadline, "members");
    assert_eq!(members.unwrap_err().kind(), ErrorKind::Throttled);

    let started = Instant::now();
    let banned = engine
        .ban(&BanRequest::new("room", ["raider"]).with_duration(Duration::from_secs(3_600)))
        .await
        .unwrap();
    ended_by(started, deadline, "ban");
    match &banned.users[0].outcome {
        BanOutcome::Failed { error, recorded } => {
            assert!(
                *recorded,
                "the ban is in the store whatever the provider did"
            );
            assert_eq!(error.kind(), ErrorKind::Throttled, "{error}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        banned
            .warnings
            .iter()
            .any(|w| w.contains("no native ban rule")),
        "{:?}",
        banned.warnings
    );

    let started = Instant::now();
    let listed = engine.bans(&room).await.unwrap();
    ended_by(started, deadline, "bans");
    assert_eq!(
        listed.len(),
        1,
        "the store's ban, though the rule list was throttled"
    );

    let started = Instant::now();
    let check = engine.check(&room, &UserId::from("raider")).await.unwrap();
    ended_by(started, deadline, "check");
    assert!(matches!(check, JoinCheck::Banned { .. }), "{check:?}");

    let started = Instant::now();
    let token = engine
        .issue_token(&room, &UserId::from("friend"), &TokenOptions::new())
        .await;
    ended_by(started, deadline, "issue_token");
    let error = token.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Throttled);
    assert!(
        error.to_string().contains("gave up on a token after"),
        "{error}"
    );

    let started = Instant::now();
    let unbanned = engine
        .unban(&room, &[UserId::from("raider")])
        .await
        .unwrap();
    ended_by(started, deadline, "unban");
    assert!(matches!(
        unbanned.users[0].outcome,
        UnbanOutcome::Lifted | UnbanOutcome::Failed(_)
    ));
}

#[tokio::test(start_paused = true)]
async fn a_token_somebody_waits_for_gives_up_within_seconds_by_default() {
    let mock = throttling_for_good();
    let engine = mock.moderator();
    let started = Instant::now();
    let error = engine
        .issue_token(
            &RoomId::from("room"),
            &UserId::from("friend"),
            &TokenOptions::new(),
        )
        .await
        .unwrap_err();
    let default = Operation::IssueToken.default_deadline(Duration::ZERO);
    assert_eq!(default, Duration::from_secs(10));
    ended_by(started, default, "issue_token");
    assert_eq!(error.kind(), ErrorKind::Throttled);
    assert_eq!(error.provider(), Some("mock"));
    let calls = mock.side_calls().len();
    assert!((2..=12).contains(&calls), "{calls} token calls in 10 s");
}

#[tokio::test(start_paused = true)]
async fn a_deadline_per_operation_and_per_request_override_the_engine_wide_one() {
    let mock = throttling_for_good();
    let engine = Engine::builder(mock.clone())
        .with_ban_store(mock.ban_store())
        .with_deadline(Duration::from_secs(60))
        .with_operation_deadline(Operation::IssueToken, Duration::from_secs(2))
        .build();
    let started = Instant::now();
    let _ = engine
        .issue_token(
            &RoomId::from("room"),
            &UserId::from("a"),
            &TokenOptions::new(),
        )
        .await;
    ended_by(started, Duration::from_secs(2), "issue_token");

    let started = Instant::now();
    let report = engine
        .disconnect(
            &DisconnectRequest::new("room", users(10)).with_deadline(Duration::from_secs(3)),
        )
        .await
        .unwrap();
    ended_by(started, Duration::from_secs(3), "disconnect");
    assert!(report.users().iter().all(|u| u.outcome.error().is_some()));
    let plan = engine
        .plan(&DisconnectRequest::new("room", users(10)).with_deadline(Duration::from_secs(3)))
        .unwrap();
    assert_eq!(plan.deadline, Some(Duration::from_secs(3)));
}

/// The minimum a job of `users` needs at the capabilities' rate, and the issue's target for a job
/// that meets a throttled start: 1.5 times that, plus a second.
fn target(caps: &Capabilities, users: usize) -> (Duration, Duration) {
    let min = Plan::new(caps, users).min_duration;
    (min, min.mul_f64(1.5) + Duration::from_secs(1))
}

#[tokio::test(start_paused = true)]
async fn a_job_that_starts_throttled_recovers_the_full_rate_quickly() {
    // ZIM's shape: 50 users a call at 20 calls a second; IVS's: one user a call at 100.
    for (caps, n) in [
        (Capabilities::new(50).with_rate_per_second(20), 5_000),
        (Capabilities::new(1).with_rate_per_second(100), 1_000),
        (Capabilities::new(5).with_rate_per_second(50), 1_000),
    ] {
        let mock = MockAdapter::with_capabilities(caps);
        // Another job had just spent the quota: ten throttled answers before any call is granted.
        mock.fail_next_calls(10, throttled());
        let engine = mock.moderator();
        let started = Instant::now();
        let report = engine
            .disconnect(&DisconnectRequest::new("room", users(n)))
            .await
            .unwrap();
        let took = started.elapsed();
        assert!(report.all_gone(), "{:?}", report.summary());
        assert_eq!(report.throttled(), 10);
        let (min, target) = target(&caps, n);
        assert!(
            took <= target,
            "{n} users at {caps:?}: {took:?} for a minimum of {min:?} (target {target:?})"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn answers_that_are_not_the_providers_are_retried_then_everyone_is_removed() {
    let mock = MockAdapter::new();
    for _ in 0..3 {
        mock.push_call(CallScript::Fail(Error::unreadable_answer(
            "HTTP 200 but the body is not the provider's answer: {\"ok\": true}",
        )));
    }
    let engine = mock.moderator();
    let report = engine
        .disconnect(&DisconnectRequest::new("room", users(500)))
        .await
        .unwrap();
    assert!(report.all_gone(), "{:?}", report.summary());
    assert_eq!(report.calls(), 10 + 3);
}

#[tokio::test(start_paused = true)]
async fn a_captive_proxy_stops_the_job_within_max_concurrency_plus_three_calls() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(50).with_rate_per_second(20));
    mock.fail_next_calls(
        1_000_000,
        Error::unreadable_answer(
            "HTTP 200 but the body is HTML: <html>Sign in to the Wi-Fi</html>",
        ),
    );
    let engine = Engine::builder(mock.clone())
        .with_max_concurrency(8)
        .build();
    let report = engine
        .disconnect(&DisconnectRequest::new("room", users(10_000)))
        .await
        .unwrap();
    let calls = mock.calls().len();
    assert!(calls <= 8 + 3, "{calls} calls into the same wall");
    assert_eq!(report.users().len(), 10_000);
    for entry in report.users() {
        let error = entry.outcome.error().expect("nobody was removed");
        assert_eq!(error.kind(), ErrorKind::Protocol, "{}: {error}", entry.user);
        assert!(!error.is_temporary());
    }
}

#[tokio::test(start_paused = true)]
async fn an_unreadable_answer_to_a_call_that_is_not_safe_to_repeat_is_not_repeated() {
    let mock = MockAdapter::new();
    mock.fail_side_calls(
        "issue_token",
        1,
        Error::unreadable_answer("<html>").with_status(RetryStatus::Permanent),
    );
    let engine = mock.moderator();
    let error = engine
        .issue_token(
            &RoomId::from("room"),
            &UserId::from("a"),
            &TokenOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Protocol);
    assert_eq!(mock.side_calls().len(), 1);
}
