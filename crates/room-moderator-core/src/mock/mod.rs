//! A recording, scriptable adapter, so applications can unit-test their moderation logic without a
//! network, under any provider's capabilities.
//!
//! The mock sits *under* the real [`Engine`], so batching, retries, pacing and reports behave exactly as
//! they do with a real provider.
//!
//! ```
//! use room_moderator_core::{Capabilities, DisconnectRequest, Error, ErrorKind, Moderator, Outcome, UserId};
//! use room_moderator_core::mock::{CallScript, MockAdapter};
//! # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
//! let mock = MockAdapter::with_capabilities(Capabilities::new(50).with_rate_per_second(20));
//! mock.push_call(CallScript::Fail(Error::new(ErrorKind::Throttled, "slow down").with_code("7")));
//! mock.set_absent(["ghost"]);
//! let moderator = mock.moderator();
//!
//! let report = moderator.disconnect(&DisconnectRequest::new("lobby", ["troll", "ghost"])).await?;
//! assert!(matches!(report.outcome(&UserId::new("troll")), Some(Outcome::Disconnected)));
//! assert!(matches!(report.outcome(&UserId::new("ghost")), Some(Outcome::NotInRoom)));
//! assert_eq!(mock.calls().len(), 2, "throttled once, then retried");
//! # Ok::<_, Error>(()) }).unwrap();
//! ```

mod side;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tokio::time::Instant;

pub use side::RecordedSideCall;

use crate::{
    Adapter, ApiLimits, BanRule, Batch, BatchResult, Capabilities, Engine, Error, ErrorKind,
    IdRule, LengthUnit, MemberPage, MemoryBanStore, Outcome, Presence, Reason, ReasonSupport,
    RoomId, Token, TokenOptions, UserId,
};

/// What the next provider call does, queued with [`MockAdapter::push_call`].
#[derive(Clone, Debug)]
pub enum CallScript {
    /// The call fails for every user in it with this error.
    Fail(Error),
    /// The call fails with this error without saying which user caused it.
    Unattributed(Error),
    /// The call takes this long, then behaves as usual.
    Delay(Duration),
}

/// What happens to one user, set with [`MockAdapter::fail_user`] and friends.
#[derive(Clone, Debug)]
enum UserScript {
    Fail { error: Error, times: Option<u32> },
}

/// One provider call the mock received.
#[derive(Clone, Debug)]
pub struct RecordedCall {
    /// The room.
    pub room: RoomId,
    /// The users in the call, in order.
    pub users: Vec<UserId>,
    /// The reason sent, if any.
    pub reason: Option<Reason>,
    /// The engine's attempt number for these users.
    pub attempt: u32,
    /// When the call arrived (tokio time, so paused clocks work).
    pub at: Instant,
}

/// One `disconnect_all` the mock received.
#[derive(Clone, Debug)]
pub struct RecordedClearRoom {
    /// The room.
    pub room: RoomId,
    /// The reason sent, if any.
    pub reason: Option<Reason>,
    /// When the call arrived.
    pub at: Instant,
}

#[derive(Default)]
struct State {
    calls: Vec<RecordedCall>,
    clears: Vec<RecordedClearRoom>,
    scripts: VecDeque<CallScript>,
    users: HashMap<UserId, UserScript>,
    absent: HashSet<UserId>,
    rooms: HashMap<RoomId, HashSet<UserId>>,
    unattributed_user_failures: bool,
    side: side::SideState,
}

/// A recording, scriptable [`Adapter`]. Clones share their state, so keep one to inspect after handing
/// the moderator to the code under test.
#[derive(Clone)]
pub struct MockAdapter {
    caps: Capabilities,
    state: Arc<Mutex<State>>,
    bans: Arc<MemoryBanStore>,
}

impl std::fmt::Debug for MockAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockAdapter")
            .field("caps", &self.caps)
            .finish_non_exhaustive()
    }
}

impl Default for MockAdapter {
    fn default() -> Self {
        MockAdapter::new()
    }
}

impl MockAdapter {
    /// Capabilities of a generous provider: 50 users per call, reasons up to 256 characters,
    /// `disconnect_all`, members listed 100 a page, tokens, bans through the store, no rate limit,
    /// ids up to 128 characters.
    pub const DEFAULT_CAPABILITIES: Capabilities = Capabilities::new(50)
        .with_reason(ReasonSupport::Limited {
            max_len: 256,
            unit: LengthUnit::Chars,
        })
        .with_disconnect_all(true)
        .with_members(ApiLimits::new(100))
        .with_tokens(ApiLimits::new(1))
        .with_room_id(IdRule::max_chars(128))
        .with_user_id(IdRule::max_chars(128));

    /// A mock with [`MockAdapter::DEFAULT_CAPABILITIES`].
    pub fn new() -> Self {
        MockAdapter::with_capabilities(MockAdapter::DEFAULT_CAPABILITIES)
    }

    /// A mock that behaves under `caps` (any provider's published capabilities, for example).
    pub fn with_capabilities(caps: Capabilities) -> Self {
        MockAdapter {
            caps,
            state: Arc::default(),
            bans: Arc::default(),
        }
    }

    /// A [`Moderator`](crate::Moderator) over this mock with default engine settings and the mock's
    /// in-memory ban store ([`MockAdapter::ban_store`]). Use [`Engine::builder`] with a clone of the
    /// mock for other settings.
    pub fn moderator(&self) -> Engine<MockAdapter> {
        Engine::builder(self.clone())
            .with_ban_store(self.ban_store())
            .build()
    }

    /// The in-memory ban store that [`MockAdapter::moderator`] uses, shared by the mock's clones: look
    /// in it to see which bans the code under test made.
    pub fn ban_store(&self) -> Arc<MemoryBanStore> {
        Arc::clone(&self.bans)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock has already failed; keep serving its data.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues what the next call does; queued scripts are used in order, then calls behave as usual.
    pub fn push_call(&self, script: CallScript) {
        self.state().scripts.push_back(script);
    }

    /// The next `n` calls fail as a whole with `error`.
    pub fn fail_next_calls(&self, n: usize, error: Error) {
        let mut state = self.state();
        state
            .scripts
            .extend(std::iter::repeat_n(CallScript::Fail(error), n));
    }

    /// `user` always fails with `error` (retried by the engine if the error is temporary).
    pub fn fail_user(&self, user: impl Into<UserId>, error: Error) {
        self.state()
            .users
            .insert(user.into(), UserScript::Fail { error, times: None });
    }

    /// `user` fails with `error` the next `times` calls carrying them, then behaves as usual.
    pub fn fail_user_times(&self, user: impl Into<UserId>, times: u32, error: Error) {
        self.state().users.insert(
            user.into(),
            UserScript::Fail {
                error,
                times: Some(times),
            },
        );
    }

    /// These users are in no room: they come back [`Outcome::NotInRoom`].
    pub fn set_absent(&self, users: impl IntoIterator<Item = impl Into<UserId>>) {
        self.state()
            .absent
            .extend(users.into_iter().map(Into::into));
    }

    /// Tracks membership of `room`: only these users are in it, and removed users leave it.
    /// Rooms never seeded accept every user.
    pub fn seed_room(
        &self,
        room: impl Into<RoomId>,
        users: impl IntoIterator<Item = impl Into<UserId>>,
    ) {
        self.state()
            .rooms
            .insert(room.into(), users.into_iter().map(Into::into).collect());
    }

    /// The users still in a seeded room, sorted.
    pub fn members(&self, room: &RoomId) -> Option<Vec<UserId>> {
        self.state().rooms.get(room).map(|members| {
            let mut members: Vec<_> = members.iter().cloned().collect();
            members.sort();
            members
        })
    }

    /// Behave like a provider that answers one code for a whole batch (ZEGO ZIM, say): when any user in
    /// a multi-user call is absent or scripted to fail permanently, the whole call fails without naming
    /// the user, and the engine has to split it.
    pub fn answer_unattributed(&self, enabled: bool) {
        self.state().unattributed_user_failures = enabled;
    }

    /// Every call received so far, in order.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.state().calls.clone()
    }

    /// Every `disconnect_all` received so far, in order.
    pub fn room_clears(&self) -> Vec<RecordedClearRoom> {
        self.state().clears.clone()
    }

    /// Forgets recorded calls (scripts and membership stay).
    pub fn clear_calls(&self) {
        let mut state = self.state();
        state.calls.clear();
        state.clears.clear();
    }
}

impl State {
    /// What happens to `user` in this call, consuming a limited script.
    fn user_outcome(&mut self, room: &RoomId, user: &UserId) -> Outcome {
        if let Some(UserScript::Fail { error, times }) = self.users.get_mut(user) {
            let error = error.clone();
            match times {
                Some(0) => {}
                Some(n) => {
                    *n -= 1;
                    return Outcome::Failed(error);
                }
                None => return Outcome::Failed(error),
            }
        }
        if self.absent.contains(user) {
            return Outcome::NotInRoom;
        }
        match self.rooms.get_mut(room).map(|members| members.remove(user)) {
            Some(false) => Outcome::NotInRoom,
            _ => Outcome::Disconnected,
        }
    }

    /// Whether `user` is not in `room`: set absent, or not a member of a seeded room.
    fn is_absent(&self, room: &RoomId, user: &UserId) -> bool {
        self.absent.contains(user)
            || self
                .rooms
                .get(room)
                .is_some_and(|members| !members.contains(user))
    }

    /// For unattributed mode: the first user-caused permanent problem in the batch, without applying it.
    fn first_user_problem(&self, room: &RoomId, users: &[UserId]) -> Option<Error> {
        users.iter().find_map(|user| {
            if let Some(UserScript::Fail { error, times }) = self.users.get(user)
                && !error.is_temporary()
                && *times != Some(0)
            {
                return Some(error.clone());
            }
            self.is_absent(room, user).then(|| {
                Error::new(
                    ErrorKind::NotInRoom,
                    "a user in this call is not in the room",
                )
                .with_provider("mock")
            })
        })
    }
}

#[async_trait]
impl Adapter for MockAdapter {
    fn provider(&self) -> &'static str {
        "mock"
    }

    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    async fn send_batch(&self, batch: Batch<'_>) -> BatchResult {
        let script = {
            let mut state = self.state();
            state.calls.push(RecordedCall {
                room: batch.room.clone(),
                users: batch.users.to_vec(),
                reason: batch.reason.cloned(),
                attempt: batch.attempt,
                at: Instant::now(),
            });
            state.scripts.pop_front()
        };
        match script {
            Some(CallScript::Fail(error)) => return BatchResult::Whole(error),
            Some(CallScript::Unattributed(error)) => return BatchResult::Unattributed(error),
            Some(CallScript::Delay(delay)) => tokio::time::sleep(delay).await,
            None => {}
        }
        let mut state = self.state();
        if state.unattributed_user_failures
            && batch.users.len() > 1
            && let Some(error) = state.first_user_problem(batch.room, batch.users)
        {
            return BatchResult::Unattributed(error);
        }
        BatchResult::PerUser(
            batch
                .users
                .iter()
                .map(|user| state.user_outcome(batch.room, user))
                .collect(),
        )
    }

    async fn members_page(&self, room: &RoomId, cursor: Option<&str>) -> Result<MemberPage, Error> {
        self.side_members_page(room, cursor)
    }

    async fn presence(&self, room: &RoomId, users: &[UserId]) -> Result<Vec<Presence>, Error> {
        self.side_presence(room, users)
    }

    async fn set_ban_rule(
        &self,
        room: &RoomId,
        user: &UserId,
        duration: Duration,
    ) -> Result<Option<SystemTime>, Error> {
        self.side_set_ban_rule(room, user, duration)
    }

    async fn delete_ban_rule(&self, room: &RoomId, user: &UserId) -> Result<(), Error> {
        self.side_delete_ban_rule(room, user)
    }

    async fn ban_rules(&self, room: &RoomId) -> Result<Vec<BanRule>, Error> {
        self.side_ban_rules(room)
    }

    async fn issue_token(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<Token, Error> {
        self.side_issue_token(room, user, options)
    }

    async fn disconnect_all(&self, room: &RoomId, reason: Option<&Reason>) -> Result<(), Error> {
        let script = {
            let mut state = self.state();
            state.clears.push(RecordedClearRoom {
                room: room.clone(),
                reason: reason.cloned(),
                at: Instant::now(),
            });
            state.scripts.pop_front()
        };
        match script {
            Some(CallScript::Fail(error) | CallScript::Unattributed(error)) => return Err(error),
            Some(CallScript::Delay(delay)) => tokio::time::sleep(delay).await,
            None => {}
        }
        if let Some(members) = self.state().rooms.get_mut(room) {
            members.clear();
        }
        Ok(())
    }
}
