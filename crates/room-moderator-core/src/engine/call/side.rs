//! Calls other than kicks (member lists, presence, ban rules, tokens): each paced to its own API's
//! documented rate by an adaptive pacer (per room where the limit is per room, and also against the
//! kick's quota where the API shares it), through the one call path (`call/mod.rs`).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::{Called, Pacing};
use crate::engine::Engine;
use crate::engine::pace::{AdaptivePacer, Pacer};
use crate::{Adapter, ApiLimits, Error, RoomId};

/// Which side API a call goes to; each has its own pacers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SideApi {
    Members,
    Presence,
    BanRule,
    BanList,
    Token,
}

impl SideApi {
    /// What one call of this API is, in errors.
    fn what(self) -> &'static str {
        match self {
            SideApi::Members => "a member page",
            SideApi::Presence => "a presence query",
            SideApi::BanRule => "a ban rule",
            SideApi::BanList => "the ban rule list",
            SideApi::Token => "a token",
        }
    }
}

/// Each side API's pacer (per room where its limit is per room) and when it was last used.
type PacerMap = HashMap<(SideApi, Option<RoomId>), (Arc<AdaptivePacer>, Instant)>;

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

    fn pacer(
        &self,
        provider: &'static str,
        api: SideApi,
        room: &RoomId,
        limits: &ApiLimits,
    ) -> Option<Arc<AdaptivePacer>> {
        let rate = limits.requests_per_second?;
        let key = (api, limits.per_room.then(|| room.clone()));
        let now = Instant::now();
        let mut map = self.map();
        if map.len() >= MAX_IDLE_PACERS {
            map.retain(|_, (_, used)| {
                now.saturating_duration_since(*used) < Duration::from_secs(2)
            });
        }
        let entry = map.entry(key).or_insert_with(|| {
            let name = format!("{provider}/{api:?}");
            (Arc::new(AdaptivePacer::over_rate(name, rate)), now)
        });
        entry.1 = now;
        Some(Arc::clone(&entry.0))
    }
}

impl<A: Adapter> Engine<A> {
    /// Makes one side call through the one call path ([`Engine::call`]), paced by the API's own
    /// (adaptive) pacer and, where it shares the kick's quota, by the kick's pacer first.
    pub(crate) async fn side_call<T, F, Fut>(
        &self,
        api: SideApi,
        room: &RoomId,
        limits: &ApiLimits,
        deadline: Instant,
        call: F,
    ) -> Called<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let pacing = Pacing {
            kick: limits
                .shares_kick_quota
                .then_some(self.pacer.as_deref())
                .flatten(),
            own: self
                .side_pacers
                .pacer(self.adapter.provider(), api, room, limits)
                .map(|pacer| pacer as Arc<dyn Pacer>),
        };
        self.call(api.what(), &pacing, deadline, call).await
    }
}
