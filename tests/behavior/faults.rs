//! What the engine makes of a misbehaving provider: throttling for a while or for good, a hung
//! call, a junk answer with HTTP 200, an outage, refused credentials. Faults are scripted on the
//! provider's emulator for every call it receives.

use std::time::Duration;

use room_moderator::Report;
use room_moderator_emulator::Fault;
use tokio::time::Instant;

use crate::fixture::{CALL_TIMEOUT, Fixture, MAX_CONCURRENCY, Settings};
use crate::kick::kick_with;
use crate::{Behavior, Checked, all_are, always, behavior, ensure, labels};

pub fn behaviors() -> Vec<Behavior> {
    vec![
        behavior!(throttled_first_then_served, always),
        behavior!(throttled_forever_ends_by_the_deadline, always),
        behavior!(hung_calls_time_out, always),
        behavior!(junk_200_answers_are_never_success, always),
        behavior!(an_outage_is_retried_until_it_passes, always),
        behavior!(a_429_with_retry_after_is_waited_out, always),
        behavior!(a_reset_connection_is_a_transport_failure, always),
        behavior!(wrong_secret_is_unauthenticated_without_retry, always, live),
    ]
}

/// The request deadline of the bounded behaviours.
const DEADLINE: Duration = Duration::from_secs(8);

/// Kicks the users of a freshly seeded room with `fault` scripted `times` (`None`: for good) and a
/// moderator with `settings`; the report and how long it took on the trial's clock.
async fn kick_under(
    f: &Fixture,
    fault: Fault,
    times: Option<u64>,
    settings: Settings,
) -> Result<(Report, Duration), String> {
    let (room, users) = f.seeded("faults", 2)?;
    let moderator = f.moderator_with(settings).await?;
    f.fault(fault, times)?;
    let started = Instant::now();
    let report = kick_with(&*moderator, &room, &users, None).await?;
    Ok((report, started.elapsed()))
}

fn bounded() -> Settings {
    Settings {
        deadline: Some(DEADLINE),
        ..Settings::default()
    }
}

/// Every user failed with one of `kinds`, and the request ended within the deadline (and the
/// one call that may be in flight when it passes).
fn failed_in_time(report: &Report, took: Duration, kinds: &[&str]) -> Checked {
    for label in labels(report) {
        ensure!(
            kinds.iter().any(|kind| label == format!("failed:{kind}")),
            "expected failed as one of {kinds:?}, got {label}"
        );
    }
    ensure!(
        took <= DEADLINE + CALL_TIMEOUT,
        "took {took:?}; the deadline is {DEADLINE:?}"
    );
    Ok(())
}

async fn throttled_first_then_served(f: &Fixture) -> Checked {
    let throttle = Fault::Throttle { retry_after: None };
    let (report, _) = kick_under(f, throttle, Some(1), Settings::default()).await?;
    all_are(&report, "disconnected")?;
    let faults = f.emulator()?.controls().counters().faults;
    ensure!(faults == 1, "{faults} throttled answers; one was scripted");
    Ok(())
}

async fn throttled_forever_ends_by_the_deadline(f: &Fixture) -> Checked {
    let throttle = Fault::Throttle {
        retry_after: Some(1),
    };
    let (report, took) = kick_under(f, throttle, None, bounded()).await?;
    failed_in_time(&report, took, &["Throttled", "Timeout"])
}

async fn hung_calls_time_out(f: &Fixture) -> Checked {
    let hang = Fault::Delay(Duration::from_secs(600));
    let (report, took) = kick_under(f, hang, None, bounded()).await?;
    failed_in_time(&report, took, &["Timeout"])
}

async fn junk_200_answers_are_never_success(f: &Fixture) -> Checked {
    let captive = Fault::Malformed("<html><body>Welcome to the hotel network</body></html>".into());
    let (report, took) = kick_under(f, captive, None, bounded()).await?;
    failed_in_time(&report, took, &["Protocol"])?;
    // The removal's effect is unknown, so the kick may go again, but never past the policy
    // (checked by `one_outcome_each`).
    ensure!(
        f.present(&f.room("faults"))?.len() == 2,
        "a junk answer cannot have removed anyone"
    );
    Ok(())
}

async fn an_outage_is_retried_until_it_passes(f: &Fixture) -> Checked {
    let (report, _) = kick_under(f, Fault::unavailable(), Some(2), Settings::default()).await?;
    all_are(&report, "disconnected")?;
    ensure!(f.present(&f.room("faults"))?.is_empty(), "users left");
    Ok(())
}

async fn wrong_secret_is_unauthenticated_without_retry(f: &Fixture) -> Checked {
    let (room, users) = if f.is_live() {
        (f.room("creds"), f.users(2))
    } else {
        f.seeded("creds", 20)?
    };
    let moderator = f
        .moderator_with(Settings {
            wrong_secret: true,
            ..Settings::default()
        })
        .await?;
    let report = kick_with(&*moderator, &room, &users, None).await?;
    all_are(&report, "failed:Unauthenticated")?;
    let retried = report.users().iter().filter(|u| u.attempts > 1).count();
    ensure!(retried == 0, "{retried} users were retried");
    if !f.is_live() {
        // The first refusal stops the request: at most the calls already in flight went out.
        let sent = f.requests()?;
        ensure!(
            sent <= MAX_CONCURRENCY,
            "{sent} calls for 20 users; the first refusal should stop the rest"
        );
        ensure!(
            f.present(&f.room("creds"))?.len() == 20,
            "someone was removed"
        );
    }
    Ok(())
}

async fn a_429_with_retry_after_is_waited_out(f: &Fixture) -> Checked {
    let slow_down = Fault::Status {
        status: 429,
        body: "slow down".to_owned(),
        headers: vec![("retry-after".to_owned(), "2".to_owned())],
    };
    let (report, took) = kick_under(f, slow_down, Some(1), Settings::default()).await?;
    all_are(&report, "disconnected")?;
    ensure!(
        took >= Duration::from_secs(2),
        "sent again after {took:?}; the answer said Retry-After: 2"
    );
    Ok(())
}

async fn a_reset_connection_is_a_transport_failure(f: &Fixture) -> Checked {
    let (report, took) = kick_under(f, Fault::Reset, None, bounded()).await?;
    failed_in_time(&report, took, &["Transport"])
}
