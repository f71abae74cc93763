//! Every error that leaves an engine names the adapter's provider, exactly once: what each
//! operation returns (as `Err`, or inside its report), and what the audit hook hears. The mock's
//! scripted errors name no provider, so the name can only come from the engine's stamp.

mod common;

use std::sync::{Arc, Mutex};

use common::Unreachable;
use room_moderator_core::mock::MockAdapter;
use room_moderator_core::{
    AuditHook, BanOutcome, BanRequest, Capabilities, DisconnectRequest, Engine, Error, ErrorKind,
    Moderator, Outcome, Reason, RoomCleared, RoomId, TokenOptions, UnbanOutcome, UserId,
    UserReport,
};

/// The mock's provider name.
const MOCK: &str = "mock";

/// `error` names the mock, and its message says so once.
#[track_caller]
fn names_the_provider_once(error: &Error) {
    assert_eq!(error.provider(), Some(MOCK), "{error:?}");
    let shown = error.to_string();
    assert_eq!(shown.matches(MOCK).count(), 1, "{shown}");
    assert!(shown.starts_with("mock: "), "{shown}");
}

/// A failure with no provider named, as an adapter or a store might return it.
fn denied() -> Error {
    Error::new(ErrorKind::PermissionDenied, "not allowed")
}

fn room() -> RoomId {
    RoomId::new("stage")
}

fn engine(mock: &MockAdapter) -> Engine<MockAdapter> {
    Engine::builder(mock.clone())
        .with_ban_store(mock.ban_store())
        .build()
}

#[tokio::test(start_paused = true)]
async fn plan_and_disconnect_name_the_provider_in_errors_and_outcomes() {
    let mock = MockAdapter::new();
    let moderator = engine(&mock);
    let empty = DisconnectRequest::new("stage", Vec::<UserId>::new());
    names_the_provider_once(&moderator.plan(&empty).unwrap_err());
    names_the_provider_once(&moderator.disconnect(&empty).await.unwrap_err());

    mock.fail_user("troll", denied());
    let report = moderator
        .disconnect(&DisconnectRequest::new("stage", ["troll"]))
        .await
        .unwrap();
    match report.outcome(&UserId::new("troll")) {
        Some(Outcome::Failed(error)) => names_the_provider_once(error),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_reason_too_long_names_the_provider_once() {
    let mock = MockAdapter::new();
    let request = DisconnectRequest::new("stage", ["troll"]).with_reason("x".repeat(300));
    names_the_provider_once(&engine(&mock).disconnect(&request).await.unwrap_err());
}

#[tokio::test(start_paused = true)]
async fn disconnect_all_names_the_provider_whichever_way_it_fails() {
    // One call, refused.
    let mock = MockAdapter::new();
    mock.fail_next_calls(1, denied());
    let reason = Reason::new("raid");
    names_the_provider_once(
        &engine(&mock)
            .disconnect_all(&room(), Some(&reason))
            .await
            .unwrap_err(),
    );

    // Neither one call nor a listing.
    let bare = MockAdapter::with_capabilities(Capabilities::new(10));
    names_the_provider_once(
        &engine(&bare)
            .disconnect_all(&room(), None)
            .await
            .unwrap_err(),
    );

    // Listed and kicked: the kick's outcomes.
    let listing = MockAdapter::with_capabilities(
        MockAdapter::DEFAULT_CAPABILITIES.with_disconnect_all(false),
    );
    listing.seed_room(room(), ["troll"]);
    listing.fail_user("troll", denied());
    match engine(&listing)
        .disconnect_all(&room(), None)
        .await
        .unwrap()
    {
        RoomCleared::ListedAndKicked(report) => match report.outcome(&UserId::new("troll")) {
            Some(Outcome::Failed(error)) => names_the_provider_once(error),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn members_names_the_provider() {
    let mock = MockAdapter::new();
    mock.fail_side_calls("members_page", 1, denied());
    names_the_provider_once(&engine(&mock).members(&room()).await.unwrap_err());

    let bare = MockAdapter::with_capabilities(Capabilities::new(10));
    names_the_provider_once(&engine(&bare).members(&room()).await.unwrap_err());
}

#[tokio::test(start_paused = true)]
async fn ban_flows_name_the_provider_in_errors_and_reports() {
    let mock = MockAdapter::new();
    let moderator = engine(&mock);
    // Checked before anything is stored.
    let too_short = BanRequest::new("stage", ["troll"]).with_duration(Default::default());
    names_the_provider_once(&moderator.ban(&too_short).await.unwrap_err());
    // Recorded, but the kick failed.
    mock.fail_user("troll", denied());
    let report = moderator
        .ban(&BanRequest::new("stage", ["troll"]))
        .await
        .unwrap();
    match &report.users[0].outcome {
        BanOutcome::Failed { error, recorded } => {
            assert!(recorded);
            names_the_provider_once(error);
        }
        other => panic!("{other:?}"),
    }

    // Without a store: every ban flow refuses, naming the provider.
    every_ban_flow_fails_naming_the_provider(&Engine::new(MockAdapter::new())).await;
}

#[tokio::test(start_paused = true)]
async fn a_store_failure_names_the_provider_of_the_operation() {
    let moderator = Engine::builder(MockAdapter::new())
        .with_ban_store(Arc::new(Unreachable))
        .build();
    every_ban_flow_fails_naming_the_provider(&moderator).await;
}

/// `ban`, `unban`, `bans`, `check` and `issue_token` all fail, each error naming the provider once.
async fn every_ban_flow_fails_naming_the_provider(moderator: &dyn Moderator) {
    let user = UserId::new("troll");
    let users = std::slice::from_ref(&user);
    let ban = BanRequest::new("stage", ["troll"]);
    names_the_provider_once(&moderator.ban(&ban).await.expect_err("ban"));
    names_the_provider_once(&moderator.unban(&room(), users).await.expect_err("unban"));
    names_the_provider_once(&moderator.bans(&room()).await.expect_err("bans"));
    names_the_provider_once(&moderator.check(&room(), &user).await.expect_err("check"));
    let options = TokenOptions::default();
    let token = moderator.issue_token(&room(), &user, &options).await;
    names_the_provider_once(&token.expect_err("issue_token"));
}

#[tokio::test(start_paused = true)]
async fn unban_and_issue_token_name_the_provider_of_a_failed_call() {
    let mock = MockAdapter::new();
    let moderator = engine(&mock);
    let user = UserId::new("guest");
    mock.fail_side_calls("issue_token", 1, denied());
    names_the_provider_once(
        &moderator
            .issue_token(&room(), &user, &TokenOptions::default())
            .await
            .unwrap_err(),
    );
    let report = moderator
        .unban(&room(), std::slice::from_ref(&user))
        .await
        .unwrap();
    assert!(matches!(report.users[0].outcome, UnbanOutcome::NotBanned));
}

#[tokio::test(start_paused = true)]
async fn a_provider_named_by_the_adapter_is_kept_not_doubled() {
    let mock = MockAdapter::new();
    mock.fail_user(
        "troll",
        Error::new(ErrorKind::PermissionDenied, "not allowed").with_provider("zego-rtc"),
    );
    let report = engine(&mock)
        .disconnect(&DisconnectRequest::new("stage", ["troll"]))
        .await
        .unwrap();
    match report.outcome(&UserId::new("troll")) {
        Some(Outcome::Failed(error)) => {
            assert_eq!(error.provider(), Some("zego-rtc"));
            assert!(!error.to_string().contains(MOCK), "{error}");
        }
        other => panic!("{other:?}"),
    }
}

#[derive(Default)]
struct Heard(Mutex<Vec<Error>>);

impl AuditHook for Heard {
    fn user_outcome(&self, _provider: &'static str, _room: &RoomId, entry: &UserReport) {
        if let Some(error) = entry.outcome.error() {
            self.0.lock().expect("not poisoned").push(error.clone());
        }
    }
    fn room_cleared(&self, _provider: &'static str, _room: &RoomId, result: Result<(), &Error>) {
        if let Err(error) = result {
            self.0.lock().expect("not poisoned").push(error.clone());
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_audit_hook_hears_errors_naming_the_provider() {
    let mock = MockAdapter::new();
    let heard = Arc::new(Heard::default());
    let moderator = Engine::builder(mock.clone())
        .with_audit(heard.clone())
        .build();
    mock.fail_user("troll", denied());
    moderator
        .disconnect(&DisconnectRequest::new("stage", ["troll"]))
        .await
        .unwrap();
    mock.fail_next_calls(1, denied());
    moderator.disconnect_all(&room(), None).await.unwrap_err();
    let heard = heard.0.lock().unwrap();
    assert_eq!(heard.len(), 2);
    for error in heard.iter() {
        names_the_provider_once(error);
    }
}
