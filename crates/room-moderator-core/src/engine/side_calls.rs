//! Calls other than kicks (member lists, presence, ban rules, tokens): each paced to its own API's
//! documented rate (per room where the limit is per room, and also against the kick's quota where
//! the API shares it), retried like kicks, within a deadline.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;
use tracing::debug;

use super::pacer::{Answer, Pacer, RatePacer};
use super::{Engine, persistent};
use crate::{Adapter, ApiLimits, Error, ErrorKind, RetryStatus, RoomId};

/// Which side API a call goes to; each has its own pacers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SideApi {
    Members,
    Presence,
    BanRule,
    BanList,
    Token,
}

/// Each side API's pacer (per room where its limit is per room) and when it was last used.
type PacerMap = HashMap<(SideApi, Option<RoomId>), (Arc<RatePacer>, Instant)>;

/// The in-process pacers of the side APIs, per API and (where the limit is per room) per room.
/// Bounded: pacers idle for longer than their window are dropped when the map grows.
#[derive(Debug, Default)]
pub(crate) struct SidePacers {
    pacers: Mutex<PacerMap>,
}

/// More pacers than this and idle ones are dropped (a pacer idle for over a second holds no state
/// that matters).
const MAX_IDLE_PACERS: usize = 1024;

impl SidePacers {
    fn map(&self) -> MutexGuard<'_, PacerMap> {
        self.pacers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn pacer(&self, api: SideApi, room: &RoomId, limits: &ApiLimits) -> Option<Arc<RatePacer>> {
        let rate = limits.requests_per_second?;
        let key = (api, limits.per_room.then(|| room.clone()));
        let now = Instant::now();
        let mut map = self.map();
        if map.len() >= MAX_IDLE_PACERS {
            map.retain(|_, (_, used)| {
                now.saturating_duration_since(*used) < Duration::from_secs(2)
            });
        }
        let entry = map
            .entry(key)
            .or_insert_with(|| (Arc::new(RatePacer::per_second(rate)), now));
        entry.1 = now;
        Some(Arc::clone(&entry.0))
    }
}

/// The answer of one side call, with how many provider calls it took.
pub(crate) struct SideCall<T> {
    pub result: Result<T, Error>,
    pub calls: u32,
}

impl<A: Adapter> Engine<A> {
    /// Makes one side call (sent again after throttling until `deadline`, retried on other temporary
    /// failures up to the retry policy), paced by the API's own pacer and, where it shares the
    /// kick's quota, by the kick's pacer too.
    pub(crate) async fn side_call<T, F, Fut>(
        &self,
        api: SideApi,
        room: &RoomId,
        limits: &ApiLimits,
        deadline: Option<Instant>,
        mut call: F,
    ) -> SideCall<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let own = self.side_pacers.pacer(api, room, limits);
        let kick = limits
            .shares_kick_quota
            .then_some(self.pacer.as_ref())
            .flatten();
        let mut calls = 0;
        let mut tries = 0;
        let mut throttles = 0;
        loop {
            let attempt = async {
                // The kick's quota first, the API's own limit last: the own limit (5/s per room for
                // ZIM presence) is the stricter one, and a grant taken right before sending holds
                // at the provider, where calls are counted on arrival.
                if let Some(pacer) = kick {
                    pacer.acquire().await?;
                }
                if let Some(pacer) = &own {
                    pacer.acquire().await?;
                }
                let sent_at = Instant::now();
                Ok::<_, Error>((sent_at, call().await))
            };
            let outcome = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, attempt)
                    .await
                    .unwrap_or_else(|_| Err(self.side_deadline_error())),
                None => attempt.await,
            };
            let (sent_at, result) = match outcome {
                Ok(sent) => sent,
                Err(error) => {
                    return SideCall {
                        result: Err(error),
                        calls,
                    };
                }
            };
            calls += 1;
            let error = match result {
                Ok(value) => {
                    if let Some(pacer) = kick {
                        pacer.feedback(sent_at, Answer::Accepted);
                    }
                    return SideCall {
                        result: Ok(value),
                        calls,
                    };
                }
                Err(error) => error,
            };
            let throttled = error.kind() == ErrorKind::Throttled;
            if let Some(pacer) = kick
                && !matches!(error.kind(), ErrorKind::Timeout | ErrorKind::Transport)
            {
                pacer.feedback(
                    sent_at,
                    if throttled {
                        Answer::Throttled
                    } else {
                        Answer::Accepted
                    },
                );
            }
            let policy = &self.config.retry;
            let wait = if throttled {
                throttles += 1;
                policy.delay(throttles, error.retry_after())
            } else if error.is_temporary() && policy.allows_another(tries + 1) {
                tries += 1;
                policy.delay(tries, error.retry_after())
            } else {
                return SideCall {
                    result: Err(persistent(error)),
                    calls,
                };
            };
            let at = Instant::now() + wait;
            if deadline.is_some_and(|deadline| at >= deadline) {
                return SideCall {
                    result: Err(persistent(error)),
                    calls,
                };
            }
            debug!(?api, %error, ?wait, "side call again after a temporary failure");
            tokio::time::sleep_until(at).await;
        }
    }

    fn side_deadline_error(&self) -> Error {
        Error::new(
            ErrorKind::Timeout,
            "the deadline passed before the provider answered",
        )
        .with_provider(self.adapter.provider())
        .with_status(RetryStatus::Persistent)
    }
}
