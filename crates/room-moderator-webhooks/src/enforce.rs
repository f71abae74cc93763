//! Acting after answering: verified joins wait in a bounded queue; workers ask the ban store
//! (`Moderator::check`) and re-kick banned users through the engine (`Moderator::disconnect`, which
//! paces, bounds, retries and audits the call), at most once per interval per (room, user).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use room_moderator_core::{
    DisconnectRequest, JoinCheck, Moderator, Outcome, Reason, RoomId, UserId,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::Route;
use crate::metrics::{Acted, Metrics};
use crate::verify::Join;

/// One verified join waiting for the worker.
#[derive(Debug)]
pub(crate) struct JoinJob {
    pub(crate) route: Route,
    pub(crate) join: Join,
}

/// The queue's sending side, and the handle that stops the worker.
pub(crate) struct Enforcer {
    queue: mpsc::Sender<JoinJob>,
    stop: watch::Sender<bool>,
    dispatcher: Mutex<Option<JoinHandle<()>>>,
}

/// Limits shared by the enforcer's parts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) queue: usize,
    pub(crate) concurrency: usize,
    pub(crate) rekick_interval: Duration,
    pub(crate) tracked: usize,
}

impl Enforcer {
    /// Starts the worker (on the current tokio runtime).
    pub(crate) fn start(
        moderators: HashMap<Route, Arc<dyn Moderator>>,
        metrics: Arc<Metrics>,
        limits: Limits,
    ) -> Self {
        let (queue, jobs) = mpsc::channel(limits.queue.max(1));
        let (stop, stopped) = watch::channel(false);
        let worker = Arc::new(Worker {
            moderators,
            metrics,
            limiter: Limiter::new(limits.rekick_interval, limits.tracked),
        });
        let dispatcher = tokio::spawn(dispatch(jobs, stopped, worker, limits.concurrency.max(1)));
        Enforcer {
            queue,
            stop,
            dispatcher: Mutex::new(Some(dispatcher)),
        }
    }

    /// Queues every job, or none: `false` when the queue has no room for all of them (or the
    /// receiver is shutting down).
    pub(crate) fn enqueue(&self, jobs: Vec<JoinJob>) -> bool {
        if self.queue.is_closed() || self.queue.capacity() < jobs.len() {
            return false;
        }
        // Only handlers send, each checking room first; a race can still find the queue full, and
        // the rest of that callback is then refused like the whole would have been.
        jobs.into_iter().all(|job| self.queue.try_send(job).is_ok())
    }

    /// Stops taking joins and waits for those queued and in flight to finish.
    pub(crate) async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let dispatcher = self
            .dispatcher
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(dispatcher) = dispatcher
            && let Err(error) = dispatcher.await
        {
            warn!(%error, "the webhook worker ended abnormally");
        }
    }
}

/// Takes jobs as workers free up; on stop, closes the queue, drains it and waits for every task.
async fn dispatch(
    mut jobs: mpsc::Receiver<JoinJob>,
    mut stop: watch::Receiver<bool>,
    worker: Arc<Worker>,
    concurrency: usize,
) {
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    let mut stopping = false;
    loop {
        while tasks.try_join_next().is_some() {}
        tokio::select! {
            biased;
            _ = stop.changed(), if !stopping => {
                stopping = true;
                jobs.close();
            }
            job = jobs.recv() => {
                let Some(job) = job else { break };
                let Ok(permit) = permits.clone().acquire_owned().await else { break };
                tasks.spawn(worker.clone().handle(job, permit));
            }
        }
    }
    while tasks.join_next().await.is_some() {}
}

struct Worker {
    moderators: HashMap<Route, Arc<dyn Moderator>>,
    metrics: Arc<Metrics>,
    limiter: Limiter,
}

impl Worker {
    async fn handle(self: Arc<Self>, job: JoinJob, _permit: OwnedSemaphorePermit) {
        let provider = job.route.name();
        let span = info_span!("webhooks.join", provider, room = %job.join.room);
        async {
            let Some(moderator) = self.moderators.get(&job.route) else {
                return;
            };
            let Join { room, user } = job.join;
            let reason = match moderator.check(&room, &user).await {
                Ok(JoinCheck::Allowed) => {
                    self.metrics.acted(provider, Acted::NotBanned);
                    return;
                }
                Ok(JoinCheck::Banned { reason, .. }) => reason,
                Err(error) => {
                    warn!(provider, %error, "the ban store could not be asked about a join");
                    self.metrics.acted(provider, Acted::LookupFailed);
                    return;
                }
            };
            let key = (job.route, room.clone(), user.clone());
            match self.limiter.admit(&key) {
                Admit::Now => {}
                Admit::Pending => {
                    debug!(%user, "a re-kick is already pending");
                    self.metrics.acted(provider, Acted::Coalesced);
                    return;
                }
                Admit::After(wait) => {
                    debug!(%user, ?wait, "re-kicked moments ago: waiting");
                    tokio::time::sleep(wait).await;
                    self.limiter.waited(&key);
                }
            }
            let outcome = rekick(moderator.as_ref(), room, user.clone(), reason).await;
            info!(outcome = ?outcome, "banned user re-kicked after a join callback");
            debug!(%user, "re-kicked");
            self.metrics.acted(provider, outcome);
        }
        .instrument(span)
        .await;
    }
}

/// Removes a banned user with the ban's reason.
async fn rekick(
    moderator: &dyn Moderator,
    room: RoomId,
    user: UserId,
    reason: Option<String>,
) -> Acted {
    let mut request = DisconnectRequest::new(room, [user.clone()]);
    if let Some(reason) = reason {
        request = request.with_reason(Reason::new(reason));
    }
    match moderator.disconnect(&request).await {
        Ok(report) => match report.outcome(&user) {
            Some(Outcome::Disconnected) => Acted::Disconnected,
            Some(Outcome::NotInRoom) => Acted::NotInRoom,
            Some(Outcome::Failed(error)) => {
                warn!(%error, "the re-kick failed");
                Acted::Failed
            }
            None => Acted::Failed,
        },
        Err(error) => {
            warn!(%error, "the re-kick was refused before sending");
            Acted::Failed
        }
    }
}

type Key = (Route, RoomId, UserId);

/// When a (room, user) may be kicked again, so that a client that reconnects at once cannot make us
/// loop: a join within the interval of the last kick waits for the interval's end (one such waiter
/// per user; more joins meanwhile are coalesced into it).
struct Limiter {
    interval: Duration,
    tracked: usize,
    slots: Mutex<HashMap<Key, Slot>>,
}

struct Slot {
    next: Instant,
    pending: bool,
}

enum Admit {
    Now,
    After(Duration),
    Pending,
}

impl Limiter {
    fn new(interval: Duration, tracked: usize) -> Self {
        Limiter {
            interval,
            tracked: tracked.max(1),
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Slot>> {
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn admit(&self, key: &Key) -> Admit {
        let now = Instant::now();
        let mut slots = self.lock();
        if let Some(slot) = slots.get_mut(key) {
            if slot.next <= now {
                slot.next = now + self.interval;
                return Admit::Now;
            }
            if slot.pending {
                return Admit::Pending;
            }
            let wait = slot.next - now;
            slot.pending = true;
            slot.next += self.interval;
            return Admit::After(wait);
        }
        if slots.len() >= self.tracked {
            slots.retain(|_, slot| slot.next > now || slot.pending);
        }
        // Still full (a flood of distinct banned users): kick without tracking; the engine paces.
        if slots.len() < self.tracked {
            slots.insert(
                key.clone(),
                Slot {
                    next: now + self.interval,
                    pending: false,
                },
            );
        }
        Admit::Now
    }

    fn waited(&self, key: &Key) {
        if let Some(slot) = self.lock().get_mut(key) {
            slot.pending = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        (Route::LiveKit, RoomId::new("r"), UserId::new("u"))
    }

    #[tokio::test(start_paused = true)]
    async fn one_kick_per_interval_and_one_waiter() {
        let limiter = Limiter::new(Duration::from_secs(1), 10);
        assert!(matches!(limiter.admit(&key()), Admit::Now));
        tokio::time::advance(Duration::from_millis(200)).await;
        assert!(
            matches!(limiter.admit(&key()), Admit::After(wait) if wait == Duration::from_millis(800))
        );
        assert!(matches!(limiter.admit(&key()), Admit::Pending));
        tokio::time::advance(Duration::from_millis(800)).await;
        limiter.waited(&key());
        assert!(
            matches!(limiter.admit(&key()), Admit::After(_)),
            "the waiter's kick counts too"
        );
        tokio::time::advance(Duration::from_secs(5)).await;
        limiter.waited(&key());
        assert!(matches!(limiter.admit(&key()), Admit::Now));
    }

    #[tokio::test(start_paused = true)]
    async fn bounded() {
        let limiter = Limiter::new(Duration::from_secs(1), 2);
        for user in ["a", "b", "c", "d"] {
            assert!(matches!(
                limiter.admit(&(Route::LiveKit, RoomId::new("r"), UserId::new(user))),
                Admit::Now
            ));
        }
        assert!(limiter.lock().len() <= 2);
    }
}
