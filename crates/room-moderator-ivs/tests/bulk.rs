//! Done when: 250 users in one request against the emulator, which enforces IVS's 100 TPS, give 250
//! correct outcomes and not one throttled request, because the engine's pacer keeps the adapter under
//! the documented rate. Runs for about 2.5 s of real time (250 calls at 100 per second).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{adapter, emulator};
use room_moderator_core::{DisconnectRequest, Engine, Moderator, Outcome};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_fifty_users_at_the_documented_rate_with_no_throttling() {
    let ivs = emulator().await;
    let room = ivs.room_arn("town-hall");
    // 200 of the 250 targets are connected; 30 bystanders must stay.
    let targets: Vec<String> = (0..250).map(|i| format!("user-{i:03}")).collect();
    let bystanders: Vec<String> = (0..30).map(|i| format!("bystander-{i:02}")).collect();
    ivs.seed_room(&room, targets.iter().take(200).chain(&bystanders).cloned());

    // The emulator counts calls over exact sliding seconds when its handler runs, in this process; on
    // a 2-core machine busy with other tests that can lag a send by more than the default 10 ms
    // margin, so this job paces over a second plus 50 ms.
    let moderator: Arc<dyn Moderator> = Arc::new(
        Engine::builder(adapter(&ivs).await)
            .with_pacing_margin(Duration::from_millis(50))
            .build(),
    );
    let started = Instant::now();
    let report = moderator
        .disconnect(&DisconnectRequest::new(&room, targets.clone()).with_reason("raid"))
        .await
        .expect("valid request");
    let elapsed = started.elapsed();

    assert_eq!(report.users().len(), 250);
    for (entry, user) in report.users().iter().zip(&targets) {
        assert_eq!(entry.user.as_str(), user, "input order");
        assert!(
            matches!(entry.outcome, Outcome::Disconnected),
            "{user}: {:?}",
            entry.outcome
        );
        assert_eq!(entry.attempts, 1, "{user} needed a retry");
    }
    assert_eq!(report.calls(), 250);

    let counters = ivs.controls().counters();
    assert_eq!(counters.throttled, 0, "the pacer must keep under 100 TPS");
    assert_eq!(counters.requests, 250);
    assert_eq!(counters.violations, 0);
    assert_eq!(counters.faults, 0);

    let mut remaining = bystanders.clone();
    remaining.sort();
    assert_eq!(ivs.members(&room), Some(remaining));
    let disconnections = ivs.disconnections();
    assert_eq!(disconnections.len(), 250);
    assert_eq!(disconnections.iter().filter(|d| d.was_member).count(), 200);
    assert!(
        disconnections
            .iter()
            .all(|d| d.reason.as_deref() == Some("raid"))
    );
    // 250 calls evenly spaced at 100 per second cannot take less than 2.49 s: the pacer did the work.
    assert!(elapsed >= Duration::from_millis(2_400), "{elapsed:?}");
}
