//! What `moderator kick` hears from the engine while a job runs: outcomes (kept, so that every user
//! can be printed even when the operator presses Ctrl-C mid-job) and calls (for the progress bar).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use indicatif::ProgressBar;
use room_moderator::{AuditHook, RoomId, UserId, UserReport};

/// Collects outcomes and drives the progress bar.
pub struct KickHook {
    bar: Option<ProgressBar>,
    started: Instant,
    outcomes: Mutex<HashMap<UserId, UserReport>>,
    calls: AtomicU32,
    throttled: AtomicU32,
}

impl KickHook {
    pub fn new(bar: Option<ProgressBar>) -> Self {
        KickHook {
            bar,
            started: Instant::now(),
            outcomes: Mutex::new(HashMap::new()),
            calls: AtomicU32::new(0),
            throttled: AtomicU32::new(0),
        }
    }

    /// The outcomes heard so far, for `users` in their order (each user once).
    pub fn outcomes_for(&self, users: &[UserId]) -> Vec<UserReport> {
        let mut heard = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        users.iter().filter_map(|user| heard.remove(user)).collect()
    }

    /// Calls answered and calls throttled so far.
    pub fn calls(&self) -> (u32, u32) {
        (
            self.calls.load(Ordering::Relaxed),
            self.throttled.load(Ordering::Relaxed),
        )
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl AuditHook for KickHook {
    fn user_outcome(&self, _provider: &'static str, _room: &RoomId, entry: &UserReport) {
        self.outcomes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(entry.user.clone(), entry.clone());
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn call_finished(&self, _provider: &'static str, _room: &RoomId, throttled: bool) {
        let calls = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        let throttled = self.throttled.load(Ordering::Relaxed)
            + if throttled {
                self.throttled.fetch_add(1, Ordering::Relaxed);
                1
            } else {
                0
            };
        if let Some(bar) = &self.bar {
            let seconds = self.started.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!(
                "{:.1} calls/s, {throttled} throttled",
                f64::from(calls) / seconds
            ));
        }
    }
}
