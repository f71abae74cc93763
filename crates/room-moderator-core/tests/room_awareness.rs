//! Room awareness against the mock on paused time: members, presence-checked kicks on providers
//! where an absent user fails the whole call (ZIM), list-and-kick room clearing, and fan-out.

use std::sync::Arc;

use room_moderator_core::mock::MockAdapter;
use room_moderator_core::{
    AbsentUsers, ApiLimits, Capabilities, DisconnectRequest, Error, ErrorKind, Moderator, Outcome,
    PresencePlan, RoomClear, RoomCleared, Target, UserId, disconnect_everywhere,
};

/// ZIM's kick and presence limits (docs/providers/presence.md), on the mock.
const ZIM_LIKE: Capabilities = Capabilities::new(50)
    .with_rate_per_second(20)
    .with_members(
        ApiLimits::new(500)
            .with_rate_per_second(20)
            .sharing_kick_quota(),
    )
    .with_presence(
        ApiLimits::new(10)
            .with_rate_per_second(5)
            .per_room()
            .sharing_kick_quota(),
    )
    .with_absent_users(AbsentUsers::FailTheCall);

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:04}")).collect()
}

/// A strict ZIM: any absent user fails the whole kick without saying who.
fn strict_zim(room: &str, present: &[String]) -> MockAdapter {
    let mock = MockAdapter::with_capabilities(ZIM_LIKE);
    mock.seed_room(room, present.iter().cloned());
    mock.answer_unattributed(true);
    mock
}

/// The user the requests add who is in no room.
const GONE: &str = "gone-1";

/// `users`, then [`GONE`].
fn and_one_gone(users: &[String]) -> Vec<String> {
    let mut users = users.to_vec();
    users.push(GONE.to_owned());
    users
}

/// [`GONE`] was reported not in the room.
fn assert_gone_is_not_in_room(report: &room_moderator_core::Report) {
    assert!(matches!(
        report.outcome(&UserId::new(GONE)),
        Some(Outcome::NotInRoom)
    ));
}

fn count(report: &room_moderator_core::Report, wanted: fn(&Outcome) -> bool) -> usize {
    report.users().iter().filter(|u| wanted(&u.outcome)).count()
}

#[tokio::test(start_paused = true)]
async fn a_raid_list_with_absent_users_costs_a_listing_plus_the_kicks() {
    let present = ids("present", 900);
    let mock = strict_zim("stage", &present);
    let mut request_users = present.clone();
    request_users.extend(ids("gone", 100));
    let moderator = mock.moderator();
    let started = tokio::time::Instant::now();
    let report = moderator
        .disconnect(&DisconnectRequest::new("stage", request_users))
        .await
        .unwrap();
    assert_eq!(count(&report, |o| matches!(o, Outcome::Disconnected)), 900);
    assert_eq!(count(&report, |o| matches!(o, Outcome::NotInRoom)), 100);
    // 2 pages of the room (900 at 500 a page) and 18 kicks of 50.
    assert_eq!(mock.calls().len(), 18, "kicks");
    assert_eq!(mock.side_calls().len(), 2, "listing pages");
    assert_eq!(report.calls(), 20);
    assert!(
        started.elapsed().as_secs_f64() <= 3.0,
        "{:?}",
        started.elapsed()
    );
    // No kick named an absent user.
    assert!(
        mock.calls()
            .iter()
            .all(|call| call.users.iter().all(|u| u.as_str().starts_with("present")))
    );
}

#[tokio::test(start_paused = true)]
async fn a_small_request_asks_about_its_users_instead_of_listing() {
    let present = ids("present", 300);
    let mock = strict_zim("stage", &present);
    let users = vec![present[0].clone(), GONE.to_owned(), present[1].clone()];
    let moderator = mock.moderator();
    let plan = moderator
        .plan(&DisconnectRequest::new("stage", users.clone()))
        .unwrap();
    assert!(matches!(
        plan.presence,
        Some(PresencePlan::QueryUsers { calls: 1, .. })
    ));
    let report = moderator
        .disconnect(&DisconnectRequest::new("stage", users))
        .await
        .unwrap();
    assert_gone_is_not_in_room(&report);
    assert_eq!(count(&report, |o| matches!(o, Outcome::Disconnected)), 2);
    let side = mock.side_calls();
    assert_eq!(side.len(), 1);
    assert_eq!(side[0].api, "presence");
    assert_eq!(
        mock.calls().len(),
        1,
        "one kick with only the present users"
    );
}

#[tokio::test(start_paused = true)]
async fn a_user_leaving_between_check_and_kick_is_resolved_by_a_second_check_not_by_halving() {
    let present = ids("present", 40);
    let mock = strict_zim("stage", &present);
    // The check says present-0007 is there; it leaves before the kick (scripted: the first kick
    // fails without naming anyone).
    mock.push_call(room_moderator_core::mock::CallScript::Unattributed(
        Error::new(ErrorKind::NotInRoom, "a user is not in the room").with_code("660300002"),
    ));
    let report = mock
        .moderator()
        .disconnect(&DisconnectRequest::new("stage", present.clone()))
        .await
        .unwrap();
    assert!(report.all_gone());
    // The room (40 members) is one page: listed before the kick, and again after the failed kick.
    let side: Vec<_> = mock.side_calls().into_iter().map(|c| c.api).collect();
    assert_eq!(side, ["members_page", "members_page"]);
    assert_eq!(
        mock.calls().len(),
        2,
        "the failed kick and one kick again, no halving"
    );
}

#[tokio::test(start_paused = true)]
async fn with_the_check_off_the_kick_goes_first_and_a_failed_batch_is_checked_after() {
    let present = ids("present", 8);
    let mock = strict_zim("stage", &present);
    let users = and_one_gone(&present);
    let moderator = mock.moderator();
    let request = DisconnectRequest::new("stage", users).without_presence_check();
    assert!(moderator.plan(&request).unwrap().presence.is_none());
    let report = moderator.disconnect(&request).await.unwrap();
    assert_gone_is_not_in_room(&report);
    // Nothing before the first kick; the failing batch is then checked instead of halved:
    // 1 kick + 1 check + 1 kick.
    assert_eq!(mock.calls().len(), 2);
    let side = mock.side_calls();
    assert_eq!(side.len(), 1);
    assert!(
        side[0].at >= mock.calls()[0].at,
        "the check came after the first kick"
    );
}

#[tokio::test(start_paused = true)]
async fn when_presence_cannot_be_read_halving_is_the_last_resort() {
    let present = ids("present", 8);
    let mock = strict_zim("stage", &present);
    mock.fail_side_calls(
        "presence",
        10,
        Error::new(ErrorKind::PermissionDenied, "no"),
    );
    let users = and_one_gone(&present);
    let report = mock
        .moderator()
        .disconnect(&DisconnectRequest::new("stage", users))
        .await
        .unwrap();
    assert_gone_is_not_in_room(&report);
    assert_eq!(count(&report, |o| matches!(o, Outcome::Disconnected)), 8);
    assert!(mock.calls().len() > 2, "split to pin the absent user");
}

#[tokio::test(start_paused = true)]
async fn members_are_listed_over_every_page_once_each() {
    let mock = MockAdapter::with_capabilities(ZIM_LIKE);
    mock.seed_room("stage", ids("m", 1234));
    let members = mock.moderator().members(&"stage".into()).await.unwrap();
    assert_eq!(members.len(), 1234);
    assert_eq!(mock.side_calls().len(), 3, "500 + 500 + 234");
}

#[tokio::test(start_paused = true)]
async fn members_on_a_provider_that_cannot_list_is_unsupported_without_a_call() {
    let mock = MockAdapter::with_capabilities(Capabilities::new(1));
    let error = mock.moderator().members(&"stage".into()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
    assert!(mock.side_calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn disconnect_all_lists_and_kicks_where_there_is_no_native_call() {
    let present = ids("present", 120);
    let mock = strict_zim("stage", &present);
    let moderator = mock.moderator();
    assert_eq!(
        moderator.capabilities().room_clear(),
        RoomClear::ListAndKick
    );
    let cleared = moderator
        .disconnect_all(&"stage".into(), None)
        .await
        .unwrap();
    let RoomCleared::ListedAndKicked(report) = cleared else {
        panic!("expected a listed clear");
    };
    assert_eq!(report.users().len(), 120);
    assert!(report.all_gone());
    assert_eq!(report.calls(), 1 + 3, "one page, three kicks");
    assert_eq!(mock.members(&"stage".into()), Some(vec![]));
    assert!(mock.room_clears().is_empty(), "no native clear was called");
}

#[tokio::test(start_paused = true)]
async fn fan_out_reports_each_target_and_one_failure_does_not_stop_the_others() {
    let chat = strict_zim("chat", &ids("u", 3));
    let video = MockAdapter::with_capabilities(Capabilities::new(5).with_rate_per_second(50));
    let broken = MockAdapter::new();
    broken.fail_next_calls(1, Error::new(ErrorKind::Unauthenticated, "bad secret"));
    let targets = [
        Target::new(Arc::new(chat.moderator()), "chat"),
        Target::new(Arc::new(video.moderator()), "video"),
        Target::new(Arc::new(broken.moderator()), "other"),
    ];
    let users: Vec<UserId> = ids("u", 3).into_iter().map(UserId::new).collect();
    let reports = disconnect_everywhere(&targets, &users, None).await;
    assert_eq!(reports.len(), 3);
    assert!(reports[0].result.as_ref().unwrap().all_gone());
    assert!(reports[1].result.as_ref().unwrap().all_gone());
    let failed = reports[2].result.as_ref().unwrap();
    assert_eq!(failed.summary().failed, 3);
    assert_eq!(video.calls().len(), 1);
}

#[derive(Default)]
struct Heard(std::sync::Mutex<Vec<room_moderator_core::UserReport>>);

impl room_moderator_core::AuditHook for Heard {
    fn user_outcome(
        &self,
        _: &'static str,
        _: &room_moderator_core::RoomId,
        entry: &room_moderator_core::UserReport,
    ) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(entry.clone());
    }
}

#[tokio::test(start_paused = true)]
async fn giving_up_during_the_presence_check_still_gives_every_user_one_outcome() {
    let present = ids("present", 30);
    // Presence by asking only (no listing), so that the check takes a while: 3 queries at 5/s.
    let mock = MockAdapter::with_capabilities(
        Capabilities::new(50)
            .with_rate_per_second(20)
            .with_presence(ApiLimits::new(10).with_rate_per_second(5).per_room())
            .with_absent_users(AbsentUsers::FailTheCall),
    );
    mock.seed_room("stage", present.iter().cloned());
    let heard = Arc::new(Heard::default());
    let moderator = room_moderator_core::Engine::builder(mock.clone())
        .with_audit(heard.clone())
        .build();
    // Three presence queries at 5/s take 400 ms; give up after 100.
    let request = DisconnectRequest::new("stage", present.clone());
    let gave_up = tokio::time::timeout(
        std::time::Duration::from_millis(100),
        moderator.disconnect(&request),
    )
    .await;
    assert!(gave_up.is_err());
    let heard = heard.0.lock().unwrap();
    assert_eq!(heard.len(), 30);
    assert!(heard.iter().all(|entry| {
        entry.attempts == 0
            && entry
                .outcome
                .error()
                .is_some_and(|e| e.kind() == ErrorKind::Cancelled)
    }));
    assert!(mock.calls().is_empty(), "no kick was sent");
}

#[tokio::test(start_paused = true)]
async fn a_presence_check_failing_for_the_whole_room_sends_no_kick() {
    let mock = strict_zim("stage", &ids("present", 5));
    mock.fail_side_calls(
        "presence",
        1,
        Error::new(ErrorKind::NotFound, "the room does not exist").with_code("660300001"),
    );
    let report = mock
        .moderator()
        .disconnect(&DisconnectRequest::new("stage", ids("present", 5)))
        .await
        .unwrap();
    assert!(
        mock.calls().is_empty(),
        "no kick after the room was found missing"
    );
    assert_eq!(report.summary().failed, 5);
    assert!(report.users().iter().all(|u| {
        u.attempts == 0
            && u.outcome
                .error()
                .is_some_and(|e| e.kind() == ErrorKind::NotFound)
    }));
}

#[tokio::test(start_paused = true)]
async fn in_a_large_room_a_few_users_are_asked_about_after_one_page() {
    // 20,000 members are 40 pages (about 2 s at 20/s); 30 users are 3 queries (0.4 s at 5/s).
    let members = ids("member", 20_000);
    let mock = strict_zim("arena", &members);
    let users = and_one_gone(&members[..29]);
    let report = mock
        .moderator()
        .disconnect(&DisconnectRequest::new("arena", users))
        .await
        .unwrap();
    assert_gone_is_not_in_room(&report);
    let side: Vec<_> = mock.side_calls().into_iter().map(|c| c.api).collect();
    assert_eq!(side, ["members_page", "presence", "presence", "presence"]);
    assert_eq!(mock.calls().len(), 1);
}
