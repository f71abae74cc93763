//! Rate windows keyed by the caller's account (the RTC customer id, the Chat App Key) and the API:
//! a call is admitted when fewer than `rate` calls of that key were admitted in the sliding second
//! before it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

const WINDOW: Duration = Duration::from_secs(1);
/// Keys kept at most (a hostile client inventing customer ids cannot grow the map without bound).
const MAX_KEYS: usize = 10_000;

/// The admission times of each (account, API) in the last second.
type ByKey = HashMap<(String, &'static str), VecDeque<Instant>>;

/// Cheap to clone; clones share the windows.
#[derive(Clone, Debug, Default)]
pub(crate) struct Windows {
    windows: Arc<Mutex<ByKey>>,
}

impl Windows {
    /// Admits one call of `api` for `account` at `now` under `rate` a second (`None`: no limit).
    pub(crate) fn admit(
        &self,
        account: &str,
        api: &'static str,
        rate: Option<u32>,
        now: Instant,
    ) -> bool {
        let Some(rate) = rate else {
            return true;
        };
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() >= MAX_KEYS && !windows.contains_key(&(account.to_owned(), api)) {
            windows.retain(|_, admitted| admitted.back().is_some_and(|&at| at + WINDOW > now));
            if windows.len() >= MAX_KEYS {
                return false;
            }
        }
        let admitted = windows.entry((account.to_owned(), api)).or_default();
        while admitted.front().is_some_and(|&at| at + WINDOW <= now) {
            admitted.pop_front();
        }
        if admitted.len() >= rate as usize {
            return false;
        }
        admitted.push_back(now);
        true
    }

    /// Forgets every window.
    pub(crate) fn clear(&self) {
        self.windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }
}
