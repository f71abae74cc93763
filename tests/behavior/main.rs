//! The behaviour suite (docs/behavior-suite.md): one named trial per behaviour and provider, through
//! `Arc<dyn Moderator>` as an application holds it, built by the facade's [`Builder`] from the
//! variables the provider's emulator hands out.
//!
//! Trials are named `behavior::<operation>::<behaviour>::<provider>`, so
//! `cargo test --test behavior -- behavior::bans::` runs the ban behaviours alone and
//! `cargo test --test behavior -- ::agora-rtc` one provider. A behaviour whose capability the provider
//! lacks is reported `ignored` with the reason; it never passes silently.
//!
//! By default every trial runs against the provider's emulator over loopback, on tokio's paused clock
//! (each trial on its own current-thread runtime, the emulator on the same one), so deadlines, backoff
//! and ban expiry cost no wall time. With `ROOM_MODERATOR_LIVE=<provider>` and that provider's
//! credentials in the environment, the behaviours marked live run against the real account instead
//! ([`live`]).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bans;
mod faults;
mod fixture;
mod kick;
mod kick_all;
mod live;
mod members;
mod tokens;
mod wiring;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use room_moderator::{Capabilities, Provider};

use fixture::{Fixture, Target};

/// What a behaviour answers: `Err` says what was wrong.
pub type Checked = Result<(), String>;

/// A behaviour's body, run with the trial's fixture.
pub type Run = for<'f> fn(&'f Fixture) -> Pin<Box<dyn Future<Output = Checked> + 'f>>;

/// One behaviour, run once per provider.
pub struct Behavior {
    /// The trial name's behaviour part (`absent_user_is_not_in_room`).
    pub name: &'static str,
    /// Whether the provider can have this behaviour, from its capabilities; `Err` is the reason
    /// the trial is ignored.
    pub gate: fn(&Capabilities) -> Result<(), &'static str>,
    /// Whether it runs against a real account too: it needs no seeded state and no fault injection,
    /// and removes only the users the live settings name.
    pub live: bool,
    /// The behaviour.
    pub run: Run,
}

/// A [`Behavior`] from an `async fn(&Fixture) -> Checked`, its gate and whether it runs live.
#[macro_export]
macro_rules! behavior {
    ($name:ident, $gate:expr) => {
        $crate::behavior!($name, $gate, false)
    };
    ($name:ident, $gate:expr, live) => {
        $crate::behavior!($name, $gate, true)
    };
    ($name:ident, $gate:expr, $live:expr) => {
        $crate::Behavior {
            name: stringify!($name),
            gate: $gate,
            live: $live,
            run: |fixture| Box::pin($name(fixture)),
        }
    };
}

/// Fails the behaviour with a formatted message unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($message:tt)+) => {
        if !$cond {
            return Err(format!($($message)+));
        }
    };
}

/// Every provider can have it.
pub fn always(_: &Capabilities) -> Result<(), &'static str> {
    Ok(())
}

/// Each operation's behaviours, under the module name used in trial names.
fn operations() -> [(&'static str, Vec<Behavior>); 7] {
    [
        ("wiring", wiring::behaviors()),
        ("kick", kick::behaviors()),
        ("faults", faults::behaviors()),
        ("members", members::behaviors()),
        ("kick_all", kick_all::behaviors()),
        ("bans", bans::behaviors()),
        ("tokens", tokens::behaviors()),
    ]
}

/// How long one trial may take, on its clock (paused: virtual time, so a hang fails instead of
/// stalling the run).
fn trial_limit(target: &Target) -> Duration {
    match target {
        Target::Emulated => Duration::from_secs(3600),
        Target::Live(_) => Duration::from_secs(300),
    }
}

fn trial(operation: &str, behavior: &Behavior, provider: Provider, target: Target) -> Trial {
    let name = format!(
        "behavior::{operation}::{}::{}",
        behavior.name,
        provider.name()
    );
    let capabilities = provider
        .capabilities()
        .expect("only compiled-in providers get trials");
    let skip = match (&target, (behavior.gate)(&capabilities)) {
        (_, Err(reason)) => Some(format!("{provider} cannot: {reason}")),
        (Target::Live(_), Ok(())) if !behavior.live => {
            Some("emulator only: needs seeded state or fault injection".to_owned())
        }
        (Target::Live(live), Ok(())) => live.unusable.clone(),
        (Target::Emulated, Ok(())) => None,
    };
    let run = behavior.run;
    Trial::ignorable_test(name, move || {
        if let Some(reason) = skip {
            return Ok(Completion::ignored_with(reason));
        }
        let limit = trial_limit(&target);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(matches!(target, Target::Emulated))
            .build()
            .map_err(|error| Failed::from(format!("runtime: {error}")))?;
        runtime.block_on(async move {
            let fixture = Fixture::start(provider, capabilities, target)
                .await
                .map_err(Failed::from)?;
            match tokio::time::timeout(limit, run(&fixture)).await {
                Ok(Ok(())) => Ok(Completion::Completed),
                Ok(Err(message)) => Err(Failed::from(message)),
                Err(_) => Err(Failed::from(format!("did not finish within {limit:?}"))),
            }
        })
    })
}

fn main() {
    let args = Arguments::from_args();
    let live = live::from_env();
    let mut trials = Vec::new();
    for (operation, behaviors) in operations() {
        for behavior in &behaviors {
            for provider in Provider::ALL.into_iter().filter(|p| p.is_compiled()) {
                let target = match &live {
                    Some(settings) if settings.provider == provider => {
                        Target::Live(settings.clone())
                    }
                    // Live mode aims at one provider; the others still run on their emulators.
                    _ => Target::Emulated,
                };
                trials.push(trial(operation, behavior, provider, target));
            }
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

/// Each user's outcome as `disconnected`, `not_in_room` or `failed:<Kind>`, in report order.
pub fn labels(report: &room_moderator::Report) -> Vec<String> {
    report
        .users()
        .iter()
        .map(|entry| match &entry.outcome {
            room_moderator::Outcome::Failed(error) => format!("failed:{:?}", error.kind()),
            other => other.label().to_owned(),
        })
        .collect()
}

/// The report holds exactly one outcome per distinct requested user, in the order first given, and
/// no user was tried more often than the retry policy allows (throttled answers aside: the engine
/// waits those out until the deadline, which bounds them).
pub fn one_outcome_each(report: &room_moderator::Report, users: &[String]) -> Checked {
    let mut distinct: Vec<&str> = Vec::new();
    for user in users {
        if !distinct.contains(&user.as_str()) {
            distinct.push(user);
        }
    }
    let reported: Vec<&str> = report.users().iter().map(|u| u.user.as_str()).collect();
    ensure!(
        reported == distinct,
        "outcomes for {reported:?}, asked for {distinct:?}"
    );
    let most = report
        .users()
        .iter()
        .filter(|u| {
            u.outcome.error().map(|e| e.kind()) != Some(room_moderator::ErrorKind::Throttled)
        })
        .map(|u| u.attempts)
        .max()
        .unwrap_or(0);
    ensure!(
        most <= fixture::MAX_ATTEMPTS,
        "{most} attempts; the policy allows {}",
        fixture::MAX_ATTEMPTS
    );
    Ok(())
}

/// Every label is `want`.
pub fn all_are(report: &room_moderator::Report, want: &str) -> Checked {
    let labels = labels(report);
    ensure!(
        labels.iter().all(|label| label == want),
        "expected every user {want}, got {labels:?}"
    );
    Ok(())
}
