//! Bans through the engine against the mock on paused time: the store first, native rules with
//! their fallback, the kick, renewal, the join gate and token issuing.

mod common;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use common::Unreachable;
use room_moderator_core::mock::MockAdapter;
use room_moderator_core::{
    BanEntry, BanOutcome, BanRequest, BanScope, BanStore, BanSupport, Capabilities, Engine, Error,
    ErrorKind, JoinCheck, MemoryBanStore, Moderator, RoomId, TokenDecision, TokenOptions,
    UnbanOutcome, UserId, wall_clock_now,
};

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(86_400);

/// ZEGO RTC's rule limits (docs/providers/bans.md §1.2) on the mock.
fn native_caps() -> Capabilities {
    MockAdapter::DEFAULT_CAPABILITIES.with_bans(BanSupport::Native {
        max_duration: DAY,
        max_rules: Some(200),
        requests_per_second: NonZeroU32::new(10),
        list_requests_per_second: NonZeroU32::new(1),
    })
}

fn room() -> RoomId {
    RoomId::new("stage")
}

#[tokio::test(start_paused = true)]
async fn a_native_ban_sets_one_rule_per_user_then_kicks_once() {
    let mock = MockAdapter::with_capabilities(native_caps());
    mock.seed_room("stage", ["a", "b", "c"]);
    let moderator = mock.moderator();
    let report = moderator
        .ban(
            &BanRequest::new("stage", ["a", "b", "c"])
                .with_duration(HOUR)
                .with_reason("raid"),
        )
        .await
        .unwrap();
    assert!(report.all_banned());
    assert!(report.warnings.is_empty());
    let rules: Vec<_> = mock
        .side_calls()
        .into_iter()
        .filter(|c| c.api == "set_ban_rule")
        .collect();
    assert_eq!(rules.len(), 3);
    assert!(rules.iter().all(|c| c.duration == Some(HOUR)));
    assert_eq!(mock.calls().len(), 1, "one kick for the three");
    assert!(matches!(
        report.users[0].outcome,
        BanOutcome::Banned {
            native: true,
            until: Some(_)
        }
    ));
    // The join gate refuses them.
    let check = moderator.check(&room(), &"a".into()).await.unwrap();
    assert!(matches!(check, JoinCheck::Banned { reason: Some(ref r), .. } if r == "raid"));
    assert_eq!(
        moderator.check(&room(), &"z".into()).await.unwrap(),
        JoinCheck::Allowed
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_rule_falls_back_to_the_store_with_one_warning() {
    let mock = MockAdapter::with_capabilities(native_caps());
    mock.fail_side_calls(
        "set_ban_rule",
        1,
        Error::new(
            ErrorKind::PermissionDenied,
            "SetForbidUserRule is not enabled",
        )
        .with_code("9"),
    );
    let report = mock
        .moderator()
        .ban(&BanRequest::new("stage", ["a", "b", "c"]).with_duration(HOUR))
        .await
        .unwrap();
    assert!(report.all_banned(), "{report:?}");
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(report.warnings[0].contains("not enabled"));
    assert!(
        report
            .users
            .iter()
            .all(|u| matches!(u.outcome, BanOutcome::Banned { native: false, .. }))
    );
    assert_eq!(mock.calls().len(), 1, "still removed");
    let attempts = mock
        .side_calls()
        .iter()
        .filter(|c| c.api == "set_ban_rule")
        .count();
    assert_eq!(attempts, 1, "no rule call after the refusal");
}

#[tokio::test(start_paused = true)]
async fn a_ban_expires_with_time_and_a_permanent_one_does_not() {
    let mock = MockAdapter::new();
    let moderator = mock.moderator();
    moderator
        .ban(&BanRequest::new("stage", ["brief"]).with_duration(HOUR))
        .await
        .unwrap();
    moderator
        .ban(&BanRequest::new("stage", ["forever"]))
        .await
        .unwrap();
    assert_eq!(moderator.bans(&room()).await.unwrap().len(), 2);
    tokio::time::advance(HOUR + Duration::from_secs(1)).await;
    assert_eq!(
        moderator.check(&room(), &"brief".into()).await.unwrap(),
        JoinCheck::Allowed
    );
    assert!(matches!(
        moderator.check(&room(), &"forever".into()).await.unwrap(),
        JoinCheck::Banned { until: None, .. }
    ));
    let bans = moderator.bans(&room()).await.unwrap();
    assert_eq!(
        bans.iter().map(|b| b.user.as_str()).collect::<Vec<_>>(),
        ["forever"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_ban_longer_than_a_rule_is_renewed_when_the_room_is_touched() {
    let mock = MockAdapter::with_capabilities(native_caps());
    let moderator = mock.moderator();
    moderator
        .ban(&BanRequest::new("stage", ["a"]).with_duration(3 * DAY))
        .await
        .unwrap();
    let first: Vec<_> = mock
        .side_calls()
        .into_iter()
        .filter(|c| c.api == "set_ban_rule")
        .collect();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].duration, Some(DAY), "a rule covers at most a day");
    // Early on nothing is due.
    moderator.check(&room(), &"a".into()).await.unwrap();
    assert_eq!(
        mock.side_calls()
            .iter()
            .filter(|c| c.api == "set_ban_rule")
            .count(),
        1
    );
    // Within the last hour of the rule, the next check renews it.
    tokio::time::advance(DAY - Duration::from_secs(600)).await;
    moderator.check(&room(), &"a".into()).await.unwrap();
    assert_eq!(
        mock.side_calls()
            .iter()
            .filter(|c| c.api == "set_ban_rule")
            .count(),
        2
    );
    assert_eq!(mock.ban_rules_in_force().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn unban_lifts_the_store_entry_and_deletes_the_rule() {
    let mock = MockAdapter::with_capabilities(native_caps());
    let moderator = mock.moderator();
    moderator
        .ban(&BanRequest::new("stage", ["a"]).with_duration(HOUR))
        .await
        .unwrap();
    let report = moderator
        .unban(&room(), &["a".into(), "never".into()])
        .await
        .unwrap();
    assert!(matches!(report.users[0].outcome, UnbanOutcome::Lifted));
    assert!(matches!(report.users[1].outcome, UnbanOutcome::NotBanned));
    let deletes: Vec<_> = mock
        .side_calls()
        .into_iter()
        .filter(|c| c.api == "delete_ban_rule")
        .collect();
    assert_eq!(deletes.len(), 1, "only the rule this library set");
    assert!(mock.ban_rules_in_force().is_empty());
    assert_eq!(
        moderator.check(&room(), &"a".into()).await.unwrap(),
        JoinCheck::Allowed
    );
}

/// A ban store in memory that counts its reads (`get` and `list`).
#[derive(Debug, Default)]
pub struct CountingReads {
    inner: MemoryBanStore,
    reads: AtomicUsize,
}

impl CountingReads {
    /// The reads so far.
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::Relaxed)
    }

    fn read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }
}

#[async_trait::async_trait]
impl BanStore for CountingReads {
    async fn put(&self, scope: &BanScope, entries: &[BanEntry]) -> Result<(), Error> {
        self.inner.put(scope, entries).await
    }
    async fn remove(
        &self,
        scope: &BanScope,
        users: &[UserId],
        now: SystemTime,
    ) -> Result<Vec<bool>, Error> {
        self.inner.remove(scope, users, now).await
    }
    async fn get(
        &self,
        scope: &BanScope,
        user: &UserId,
        now: SystemTime,
    ) -> Result<Option<BanEntry>, Error> {
        self.read();
        self.inner.get(scope, user, now).await
    }
    async fn list(&self, scope: &BanScope, now: SystemTime) -> Result<Vec<BanEntry>, Error> {
        self.read();
        self.inner.list(scope, now).await
    }
    fn location(&self) -> String {
        self.inner.location()
    }
}

/// Where native rules exist, the store is read at the epoch to find rules of lapsed bans to lift;
/// the same read answers the question asked, so a join check (a webhook receiver's hot path) and a
/// listing read the store once.
#[tokio::test(start_paused = true)]
async fn a_check_and_a_listing_on_native_rules_read_the_store_once() {
    let mock = MockAdapter::with_capabilities(native_caps());
    let store = Arc::new(CountingReads::default());
    let moderator = Engine::builder(mock.clone())
        .with_ban_store(store.clone())
        .build();
    moderator
        .ban(
            &BanRequest::new("stage", ["troll"])
                .with_duration(HOUR)
                .with_reason("spam"),
        )
        .await
        .unwrap();
    let before = store.reads();
    let check = moderator.check(&room(), &"troll".into()).await.unwrap();
    assert!(
        matches!(check, JoinCheck::Banned { reason: Some(ref r), .. } if r == "spam"),
        "{check:?}"
    );
    assert_eq!(
        moderator.check(&room(), &"friend".into()).await.unwrap(),
        JoinCheck::Allowed
    );
    assert_eq!(store.reads() - before, 2, "one read a check");
    let listed = moderator.bans(&room()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(store.reads() - before, 3, "one read a listing");
    // A lapsed ban is neither banned nor listed, though the read covers it.
    tokio::time::advance(HOUR * 2).await;
    assert_eq!(
        moderator.check(&room(), &"troll".into()).await.unwrap(),
        JoinCheck::Allowed
    );
    assert!(moderator.bans(&room()).await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_banned_user_gets_no_token_and_no_call_is_made() {
    let mock = MockAdapter::new();
    let moderator = mock.moderator();
    moderator
        .ban(&BanRequest::new("stage", ["troll"]).with_reason("spam"))
        .await
        .unwrap();
    let refused = moderator
        .issue_token(&room(), &"troll".into(), &TokenOptions::new())
        .await
        .unwrap();
    assert!(
        matches!(refused, TokenDecision::Refused { until: None, reason: Some(ref r) } if r == "spam")
    );
    assert!(mock.side_calls().iter().all(|c| c.api != "issue_token"));
    let issued = moderator
        .issue_token(&room(), &"friend".into(), &TokenOptions::new())
        .await
        .unwrap();
    assert!(matches!(issued, TokenDecision::Issued(_)));
    moderator.unban(&room(), &["troll".into()]).await.unwrap();
    let after = moderator
        .issue_token(&room(), &"troll".into(), &TokenOptions::new())
        .await
        .unwrap();
    assert!(matches!(after, TokenDecision::Issued(_)));
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_store_fails_the_ban_before_any_provider_call() {
    let mock = MockAdapter::with_capabilities(native_caps());
    let moderator = Engine::builder(mock.clone())
        .with_ban_store(Arc::new(Unreachable))
        .build();
    let error = moderator
        .ban(&BanRequest::new("stage", ["a"]).with_duration(HOUR))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(mock.calls().is_empty() && mock.side_calls().is_empty());
    let error = moderator
        .issue_token(&room(), &"a".into(), &TokenOptions::new())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert!(
        mock.side_calls().is_empty(),
        "no token without asking the store"
    );
}

#[tokio::test(start_paused = true)]
async fn bad_input_is_refused_before_anything_is_stored_or_sent() {
    let mock = MockAdapter::new();
    let store = mock.ban_store();
    let moderator = mock.moderator();
    let empty = moderator
        .ban(&BanRequest::new("stage", Vec::<String>::new()))
        .await
        .unwrap_err();
    assert_eq!(empty.kind(), ErrorKind::InvalidInput);
    let short = moderator
        .ban(&BanRequest::new("stage", ["a"]).with_duration(Duration::from_millis(10)))
        .await
        .unwrap_err();
    assert_eq!(short.kind(), ErrorKind::InvalidInput);
    let scope = BanScope::new("mock", "mock", "stage");
    assert!(
        store
            .list(&scope, wall_clock_now())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(mock.calls().is_empty());
    // No store configured at all: a configuration error, nothing sent.
    let bare = Engine::new(MockAdapter::new());
    let error = bare
        .ban(&BanRequest::new("stage", ["a"]))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Config);
    let _ = MemoryBanStore::new();
}
