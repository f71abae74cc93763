//! Sessions kept open across calls, one per room ([`EnablexBuilder::with_kept_session`]).
//!
//! - Each room has its own lock, held for a whole batch (token, connect, join, drop) so that one
//!   room never has two batches racing on one session; other rooms go ahead meanwhile.
//! - A session left unused for the idle limit is left by a timer task: the headless moderator is a
//!   visible participant and may hold a moderator slot, so it must not linger.
//! - A room without a session is forgotten, so the table does not grow with every room ever used.
//! - Dropping the table drops the sessions, and a dropped session leaves in the background.
//!
//! [`EnablexBuilder::with_kept_session`]: crate::EnablexBuilder::with_kept_session

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio::time::{Instant, sleep_until};
use tracing::debug;

use room_moderator_core::RoomId;

/// What the table needs of a session.
pub(crate) trait KeptSession: Send + 'static {
    /// Whether the session can still serve a batch.
    fn is_usable(&mut self) -> bool;
    /// Leaves the room.
    fn leave(self) -> impl Future<Output = ()> + Send;
}

struct Slot<S> {
    session: Option<S>,
    idle_deadline: Instant,
    /// Whether a timer task watches this slot.
    reaping: bool,
}

type SharedSlot<S> = Arc<Mutex<Slot<S>>>;

struct Inner<S> {
    rooms: StdMutex<HashMap<RoomId, SharedSlot<S>>>,
    idle: Duration,
}

impl<S> Inner<S> {
    fn rooms(&self) -> MutexGuard<'_, HashMap<RoomId, SharedSlot<S>>> {
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Removes `room`'s entry if it is `slot` and nobody but the table and the caller holds it
    /// (anyone else holding it may be about to put a session in). The caller knows it is empty.
    fn forget_if_unused(&self, room: &RoomId, slot: &SharedSlot<S>) {
        let mut rooms = self.rooms();
        if rooms
            .get(room)
            .is_some_and(|entry| Arc::ptr_eq(entry, slot))
            && Arc::strong_count(slot) <= 2
        {
            rooms.remove(room);
        }
    }
}

/// The kept sessions of one adapter.
pub(crate) struct KeptSessions<S> {
    inner: Arc<Inner<S>>,
}

impl<S: KeptSession> KeptSessions<S> {
    /// An empty table whose sessions are left after `idle` without use.
    pub(crate) fn new(idle: Duration) -> Self {
        KeptSessions {
            inner: Arc::new(Inner {
                rooms: StdMutex::new(HashMap::new()),
                idle,
            }),
        }
    }

    /// Waits for `room`'s lock; other rooms are not affected. A session idle past the limit whose
    /// timer has not run yet is left here.
    pub(crate) async fn lock(&self, room: &RoomId) -> RoomLock<S> {
        let slot = {
            let mut rooms = self.inner.rooms();
            let slot = rooms.entry(room.clone()).or_insert_with(|| {
                Arc::new(Mutex::new(Slot {
                    session: None,
                    idle_deadline: Instant::now(),
                    reaping: false,
                }))
            });
            Arc::clone(slot)
        };
        let mut lock = RoomLock {
            guard: slot.lock_owned().await,
            inner: Arc::clone(&self.inner),
            room: room.clone(),
        };
        if Instant::now() >= lock.guard.idle_deadline {
            lock.retire().await;
        }
        lock
    }

    /// Leaves every room, waiting for batches in flight to finish first.
    pub(crate) async fn close_all(&self) {
        let slots: Vec<(RoomId, SharedSlot<S>)> = self.inner.rooms().drain().collect();
        for (room, slot) in slots {
            let session = slot.lock().await.session.take();
            if let Some(session) = session {
                debug!(room = %room, "leaving a kept session");
                session.leave().await;
            }
        }
    }

    /// How many rooms the table holds.
    #[cfg(test)]
    fn rooms(&self) -> usize {
        self.inner.rooms().len()
    }
}

/// One room's slot, locked: its session is in use, never idle. Releasing it starts the idle time.
pub(crate) struct RoomLock<S: KeptSession> {
    guard: OwnedMutexGuard<Slot<S>>,
    inner: Arc<Inner<S>>,
    room: RoomId,
}

impl<S: KeptSession> RoomLock<S> {
    /// Leaves the room's session if it can no longer be used.
    pub(crate) async fn retire_unusable(&mut self) {
        if let Some(session) = &mut self.guard.session
            && !session.is_usable()
        {
            self.retire().await;
        }
    }

    /// Leaves the room's session, if any.
    pub(crate) async fn retire(&mut self) {
        if let Some(session) = self.guard.session.take() {
            debug!(room = %self.room, "retiring a kept session");
            session.leave().await;
        }
    }

    /// The room's session, if it has one.
    pub(crate) fn session(&mut self) -> Option<&mut S> {
        self.guard.session.as_mut()
    }

    /// Keeps `session` for the room (after [`retire`](Self::retire) or
    /// [`retire_unusable`](Self::retire_unusable) emptied it).
    pub(crate) fn keep(&mut self, session: S) {
        self.guard.session = Some(session);
    }
}

impl<S: KeptSession> Drop for RoomLock<S> {
    fn drop(&mut self) {
        self.guard.idle_deadline = Instant::now() + self.inner.idle;
        if self.guard.session.is_none() {
            self.inner
                .forget_if_unused(&self.room, OwnedMutexGuard::mutex(&self.guard));
            return;
        }
        if self.guard.reaping {
            return;
        }
        // Without a runtime (a lock dropped during shutdown) nothing can run a timer; the next
        // lock of the room still finds the session expired.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            self.guard.reaping = true;
            runtime.spawn(reap(
                Arc::downgrade(&self.inner),
                self.room.clone(),
                Arc::downgrade(OwnedMutexGuard::mutex(&self.guard)),
            ));
        }
    }
}

/// Leaves the slot's session once it has been idle for the limit. Holds no strong reference while
/// it sleeps, so dropping the table ends it.
async fn reap<S: KeptSession>(inner: Weak<Inner<S>>, room: RoomId, slot: Weak<Mutex<Slot<S>>>) {
    loop {
        let deadline = {
            let Some(slot) = slot.upgrade() else {
                return;
            };
            let mut guard = slot.lock().await;
            if guard.session.is_none() {
                guard.reaping = false;
                return;
            }
            if Instant::now() >= guard.idle_deadline {
                let session = guard.session.take();
                guard.reaping = false;
                if let Some(inner) = inner.upgrade() {
                    inner.forget_if_unused(&room, &slot);
                }
                drop(guard);
                if let Some(session) = session {
                    debug!(room = %room, "leaving an idle kept session");
                    session.leave().await;
                }
                return;
            }
            guard.idle_deadline
        };
        sleep_until(deadline).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::time::{sleep, timeout};

    use super::*;

    const IDLE: Duration = Duration::from_secs(60);

    /// A session that counts how often sessions of its kind were left.
    struct Fake {
        usable: bool,
        left: Arc<AtomicUsize>,
    }

    impl KeptSession for Fake {
        fn is_usable(&mut self) -> bool {
            self.usable
        }

        async fn leave(self) {
            self.left.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn fake(left: &Arc<AtomicUsize>) -> Fake {
        Fake {
            usable: true,
            left: Arc::clone(left),
        }
    }

    fn room(name: &str) -> RoomId {
        RoomId::new(name)
    }

    #[tokio::test(start_paused = true)]
    async fn rooms_lock_independently() {
        let kept = KeptSessions::<Fake>::new(IDLE);
        let _a = kept.lock(&room("a")).await;
        // Another room goes ahead while "a" is held...
        assert!(
            timeout(Duration::from_secs(1), kept.lock(&room("b")))
                .await
                .is_ok()
        );
        // ...the same room waits.
        assert!(
            timeout(Duration::from_secs(1), kept.lock(&room("a")))
                .await
                .is_err()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_session_is_left_after_the_limit_and_not_before() {
        let left = Arc::new(AtomicUsize::new(0));
        let kept = KeptSessions::new(IDLE);
        kept.lock(&room("a")).await.keep(fake(&left));
        sleep(IDLE - Duration::from_millis(1)).await;
        assert_eq!(left.load(Ordering::SeqCst), 0);
        // Using it restarts the idle time.
        assert!(kept.lock(&room("a")).await.session().is_some());
        sleep(IDLE - Duration::from_millis(1)).await;
        assert_eq!(left.load(Ordering::SeqCst), 0);
        sleep(Duration::from_millis(2)).await;
        assert_eq!(left.load(Ordering::SeqCst), 1);
        assert_eq!(kept.rooms(), 0, "the room is forgotten");
        assert!(kept.lock(&room("a")).await.session().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn an_unusable_or_expired_session_is_retired_at_the_next_lock() {
        let left = Arc::new(AtomicUsize::new(0));
        let kept = KeptSessions::new(IDLE);
        kept.lock(&room("a")).await.keep(Fake {
            usable: false,
            left: Arc::clone(&left),
        });
        let mut lock = kept.lock(&room("a")).await;
        lock.retire_unusable().await;
        assert!(lock.session().is_none());
        assert_eq!(left.load(Ordering::SeqCst), 1);
        lock.keep(fake(&left));
        lock.retire_unusable().await;
        assert!(lock.session().is_some(), "a usable session stays");
        // However long a batch holds the lock, its session is in use, not idle.
        sleep(IDLE * 2).await;
        lock.retire_unusable().await;
        assert!(lock.session().is_some());
        drop(lock);
        assert_eq!(left.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_expired_session_whose_timer_is_late_is_left_at_the_next_lock() {
        let left = Arc::new(AtomicUsize::new(0));
        let kept = KeptSessions::new(IDLE);
        // Taken and put back without a timer, as a lock dropped outside a runtime would.
        {
            let mut lock = kept.lock(&room("a")).await;
            lock.keep(fake(&left));
            lock.guard.reaping = true;
        }
        sleep(IDLE * 2).await;
        assert_eq!(left.load(Ordering::SeqCst), 0, "no timer ran");
        assert!(kept.lock(&room("a")).await.session().is_none());
        assert_eq!(left.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn close_all_leaves_every_room() {
        let left = Arc::new(AtomicUsize::new(0));
        let kept = KeptSessions::new(IDLE);
        for name in ["a", "b", "c"] {
            kept.lock(&room(name)).await.keep(fake(&left));
        }
        kept.close_all().await;
        assert_eq!(left.load(Ordering::SeqCst), 3);
        assert_eq!(kept.rooms(), 0);
        // The timers find nothing left to do.
        sleep(IDLE * 2).await;
        assert_eq!(left.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn rooms_without_sessions_are_forgotten() {
        let kept = KeptSessions::<Fake>::new(IDLE);
        for n in 0..100 {
            drop(kept.lock(&room(&format!("r{n}"))).await);
        }
        assert_eq!(kept.rooms(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_table_drops_its_sessions() {
        let left = Arc::new(AtomicUsize::new(0));
        let kept = KeptSessions::new(IDLE);
        kept.lock(&room("a")).await.keep(fake(&left));
        let watch = Arc::downgrade(&kept.inner);
        drop(kept);
        assert!(watch.upgrade().is_none());
        // The timer ends without leaving (a dropped real session closes its socket by itself).
        sleep(IDLE * 2).await;
        assert_eq!(left.load(Ordering::SeqCst), 0);
    }
}
