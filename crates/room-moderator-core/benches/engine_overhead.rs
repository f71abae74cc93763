//! Engine overhead: users per second through validation, batching, dispatch and report assembly, with
//! the mock adapter (no network, no pacing). Prints figures; asserts nothing about speed.
//!
//! `cargo bench -p room-moderator-core --features mock --bench engine_overhead`

use std::time::{Duration, Instant};

use room_moderator_core::mock::{CallScript, MockAdapter};
use room_moderator_core::{DisconnectRequest, Engine, Error, ErrorKind, Moderator};

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a tokio runtime");
    println!(
        "{:>8} {:>6} {:>10} {:>12} {:>14}",
        "users", "batch", "calls", "elapsed", "users/s"
    );
    for (users, batch) in [(10_000, 1), (10_000, 5), (100_000, 50), (100_000, 1_000)] {
        let list: Vec<String> = (0..users).map(|i| format!("user-{i}")).collect();
        let mock = MockAdapter::with_capabilities(
            MockAdapter::DEFAULT_CAPABILITIES.with_max_users_per_call(batch),
        );
        let engine = Engine::builder(mock.clone())
            .no_pacing()
            .with_deadline(Duration::from_secs(3_600))
            .build();
        let request = DisconnectRequest::new("room", list);
        let started = Instant::now();
        let report = runtime
            .block_on(engine.disconnect(&request))
            .expect("valid request");
        let elapsed = started.elapsed();
        assert_eq!(report.users().len(), users);
        println!(
            "{users:>8} {batch:>6} {:>10} {:>12.2?} {:>14.0}",
            report.calls(),
            elapsed,
            users as f64 / elapsed.as_secs_f64()
        );
    }

    // Splitting cost: a 1,000-user batch failing without naming the user, one absent user per 100.
    let list: Vec<String> = (0..10_000).map(|i| format!("user-{i}")).collect();
    let mock = MockAdapter::with_capabilities(
        MockAdapter::DEFAULT_CAPABILITIES.with_max_users_per_call(1_000),
    );
    mock.answer_unattributed(true);
    mock.set_absent(list.iter().step_by(100).cloned());
    mock.push_call(CallScript::Fail(Error::new(
        ErrorKind::Throttled,
        "warm-up throttle",
    )));
    let engine = Engine::builder(mock.clone())
        .no_pacing()
        .with_deadline(Duration::from_secs(3_600))
        .build();
    let started = Instant::now();
    let report = runtime
        .block_on(engine.disconnect(&DisconnectRequest::new("room", list)))
        .expect("valid request");
    println!(
        "split: 10000 users, 100 absent, batch 1000 -> {} calls, {} not in room, {:.2?}",
        report.calls(),
        report.summary().not_in_room,
        started.elapsed()
    );
}
