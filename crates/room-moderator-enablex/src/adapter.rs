//! The adapter: one batch = one `drop` emitted by a headless moderator session.

use std::fmt;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use room_moderator_core::{
    Adapter, Batch, BatchResult, Capabilities, DisconnectRequest, Error, ErrorKind, MemberPage,
    Reason, RoomId, Token as JoinToken, TokenOptions, UserId,
};

use crate::builder::EnablexBuilder;
use crate::join_token::{self, TOKEN_LIFETIME};
use crate::kept::{KeptSession, KeptSessions};
use crate::rest::{RestClient, TokenRequest};
use crate::session::{Session, SessionSettings};
use crate::token::Token;
use crate::{PROVIDER, ROOM_ID_RULE, USER_REF_RULE};

/// The role requested for the headless moderator's token.
const MODERATOR_ROLE: &str = "moderator";

/// `disconnect_all` may take this many step timeouts in all (waiting for the room's kept session,
/// token, connect, join, room-connected, drop, leave), whatever happens in between.
const DISCONNECT_ALL_STEPS: u32 = 6;

/// Listing a room may take this many step timeouts in all (waiting for the room's kept session,
/// token, connect, join, room-connected, leave).
const MEMBERS_STEPS: u32 = 6;

/// The EnableX adapter: creates a moderator token over REST, joins the room's signalling session as a
/// headless moderator, emits `drop` for the batch's users, and leaves.
///
/// Turn it into a [`Moderator`](room_moderator_core::Moderator) with
/// [`Engine::new`](room_moderator_core::Engine::new) or
/// [`AdapterExt::into_moderator`](room_moderator_core::AdapterExt::into_moderator):
///
/// ```no_run
/// # async fn run() -> Result<(), room_moderator_core::Error> {
/// use std::sync::Arc;
/// use room_moderator_core::{AdapterExt, DisconnectRequest, Moderator};
/// use room_moderator_enablex::Enablex;
/// let moderator: Arc<dyn Moderator> = Arc::new(Enablex::from_env()?.into_moderator());
/// let report = moderator
///     .disconnect(&DisconnectRequest::new("6123abcd6123abcd6123abcd", ["user-ref-1"]))
///     .await?;
/// # let _ = report; Ok(()) }
/// ```
pub struct Enablex {
    rest: RestClient,
    settings: SessionSettings,
    moderator_name: String,
    moderator_ref: String,
    caps: Capabilities,
    /// Sessions kept open per room, when [`EnablexBuilder::with_kept_session`] is set.
    kept: Option<KeptSessions<Session>>,
}

impl fmt::Debug for Enablex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enablex")
            .field("rest", &self.rest)
            .field("settings", &self.settings)
            .field("moderator_name", &self.moderator_name)
            .field("moderator_ref", &self.moderator_ref)
            .field("capabilities", &self.caps)
            .field("keep_session", &self.kept.is_some())
            .finish()
    }
}

impl Enablex {
    pub(crate) fn new(
        rest: RestClient,
        settings: SessionSettings,
        moderator_name: String,
        moderator_ref: String,
        caps: Capabilities,
        kept_idle: Option<Duration>,
    ) -> Self {
        Enablex {
            rest,
            settings,
            moderator_name,
            moderator_ref,
            caps,
            kept: kept_idle.map(KeptSessions::new),
        }
    }

    /// Starts a builder with the application's credentials.
    pub fn builder(app_id: impl Into<String>, app_key: impl Into<String>) -> EnablexBuilder {
        EnablexBuilder::new(app_id, app_key)
    }

    /// The adapter configured from `ENABLEX_APP_ID`, `ENABLEX_APP_KEY` and `ENABLEX_API_URL`.
    pub fn from_env() -> Result<Enablex, Error> {
        EnablexBuilder::from_env().build()
    }

    /// Leaves every room a kept session is in (see [`EnablexBuilder::with_kept_session`]), after
    /// the batches in flight. Without kept sessions there is nothing to do: every call already left.
    /// (Dropping the adapter also leaves, in the background.)
    pub async fn close(&self) {
        if let Some(kept) = &self.kept {
            kept.close_all().await;
        }
    }

    /// A new token (tokens are single use) and a new session in `room`.
    async fn open_session(&self, room: &RoomId) -> Result<Session, Error> {
        let request = TokenRequest {
            name: &self.moderator_name,
            role: MODERATOR_ROLE,
            user_ref: &self.moderator_ref,
            data: None,
        };
        let raw = self.rest.create_token(room, &request).await?;
        let token = Token::decode(&raw)?;
        Session::join(&token, &self.settings).await
    }

    /// The batch on the room's kept session, opening (or replacing) it as needed. Only this room
    /// waits for its lock.
    async fn send_on_kept(&self, kept: &KeptSessions<Session>, batch: Batch<'_>) -> BatchResult {
        let mut room = kept.lock(batch.room).await;
        room.retire_unusable().await;
        if room.session().is_none() {
            match self.open_session(batch.room).await {
                Ok(session) => room.keep(session),
                Err(error) => return BatchResult::Whole(error),
            }
        }
        let Some(session) = room.session() else {
            return BatchResult::Whole(
                Error::protocol("the kept session vanished").with_provider(PROVIDER),
            );
        };
        let result = session.drop_users(batch.users, true).await;
        // A session lost mid-drop is replaced on the next call, with a new token.
        room.retire_unusable().await;
        result
    }

    /// The room's members from the roster of a headless session: the room's kept session when
    /// sessions are kept (opened if needed), else a session of its own that leaves afterwards.
    async fn list_members(&self, room: &RoomId) -> Result<MemberPage, Error> {
        let members = match &self.kept {
            Some(kept) => {
                let mut lock = kept.lock(room).await;
                lock.retire_unusable().await;
                if lock.session().is_none() {
                    lock.keep(self.open_session(room).await?);
                }
                let Some(session) = lock.session() else {
                    return Err(
                        Error::protocol("the kept session vanished").with_provider(PROVIDER)
                    );
                };
                let members = session.members();
                lock.retire_unusable().await;
                members?
            }
            None => {
                let mut session = self.open_session(room).await?;
                let members = session.members();
                session.leave().await;
                members?
            }
        };
        Ok(MemberPage::new(members, None))
    }

    /// `drop {"all": true}` on a session of its own; a kept session of the room is retired first
    /// (it would be dropped too), and the room stays locked until the end.
    async fn drop_everyone(&self, room: &RoomId) -> Result<(), Error> {
        let _room_lock = match &self.kept {
            Some(kept) => {
                let mut lock = kept.lock(room).await;
                lock.retire().await;
                Some(lock)
            }
            None => None,
        };
        let mut session = self.open_session(room).await?;
        let result = session.drop_all().await;
        session.leave().await;
        result
    }
}

impl KeptSession for Session {
    fn is_usable(&mut self) -> bool {
        self.is_open()
    }

    fn leave(self) -> impl Future<Output = ()> + Send {
        Session::leave(self)
    }
}

#[async_trait]
impl Adapter for Enablex {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    /// The APP ID: bans are kept per application and room.
    fn account(&self) -> String {
        self.rest.app_id().to_owned()
    }

    /// Refuses a request naming the headless moderator's own `user_ref` before anything is sent:
    /// every session of this adapter joins with it, so it would name sibling sessions of concurrent
    /// batches (the sessions never drop such connections anyway).
    fn check(&self, request: &DisconnectRequest) -> Result<(), Error> {
        if request
            .users()
            .iter()
            .any(|user| user.as_str() == self.moderator_ref)
        {
            return Err(Error::invalid_input(format!(
                "{:?} is the headless moderator's own user_ref; choose another with \
                 EnablexBuilder::with_moderator_ref to drop that user",
                self.moderator_ref
            ))
            .with_provider(PROVIDER));
        }
        Ok(())
    }

    async fn send_batch(&self, batch: Batch<'_>) -> BatchResult {
        if let Some(kept) = &self.kept {
            return self.send_on_kept(kept, batch).await;
        }
        let mut session = match self.open_session(batch.room).await {
            Ok(session) => session,
            Err(error) => return BatchResult::Whole(error),
        };
        let result = session.drop_users(batch.users, false).await;
        session.leave().await;
        result
    }

    /// `drop {"all": true}`: ends the session for everyone in the room. EnableX carries no reason.
    /// Bounded as a whole by `DISCONNECT_ALL_STEPS` step timeouts.
    async fn disconnect_all(&self, room: &RoomId, reason: Option<&Reason>) -> Result<(), Error> {
        let _ = reason;
        let limit = self.settings.timeout.saturating_mul(DISCONNECT_ALL_STEPS);
        match tokio::time::timeout(limit, self.drop_everyone(room)).await {
            Ok(result) => result,
            // The session is dropped with the future, which closes its socket in the background.
            Err(_) => Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "disconnect_all did not finish within {limit:?}; everyone may or may not \
                     have been dropped"
                ),
            )
            .with_provider(PROVIDER)),
        }
    }

    /// The room's connections from the signalling roster (`room-connected.userList`), as one page:
    /// each with its `user_ref` as the id, its name, and its clientId as the handle (a user on two
    /// devices is listed once per connection). The REST users list is not used: it has no clientIds.
    async fn members_page(&self, room: &RoomId, cursor: Option<&str>) -> Result<MemberPage, Error> {
        if let Some(cursor) = cursor {
            // The listing is one page; a cursor can only come from a caller's mistake.
            return Err(Error::invalid_input(format!(
                "EnableX lists a room in one page; there is no page {cursor:?}"
            ))
            .with_provider(PROVIDER));
        }
        let limit = self.settings.timeout.saturating_mul(MEMBERS_STEPS);
        match tokio::time::timeout(limit, self.list_members(room)).await {
            Ok(result) => result,
            Err(_) => Err(Error::new(
                ErrorKind::Timeout,
                format!("listing the room did not finish within {limit:?}"),
            )
            .with_provider(PROVIDER)),
        }
    }

    /// A token for `user` from EnableX's REST token call (the one the headless moderator uses):
    /// `name` defaults to the user id, `role` to `participant`, `user_ref` is the user id,
    /// `attributes` travel as `data`; all checked before sending. `expires_at` is 15 minutes from
    /// the answer, by the local clock (EnableX tokens say nothing of their expiry).
    async fn issue_token(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<JoinToken, Error> {
        ROOM_ID_RULE.check(room.as_str()).map_err(|problem| {
            Error::invalid_input(format!("room id {problem}")).with_provider(PROVIDER)
        })?;
        USER_REF_RULE.check(user.as_str()).map_err(|problem| {
            Error::invalid_input(format!("user id {problem}")).with_provider(PROVIDER)
        })?;
        let asked = join_token::prepare(user, options, &self.moderator_ref)?;
        let request = TokenRequest {
            name: asked.name,
            role: asked.role,
            user_ref: asked.user_ref,
            data: asked.data,
        };
        let token = self.rest.create_token(room, &request).await?;
        Ok(JoinToken::new(token).with_expires_at(SystemTime::now().checked_add(TOKEN_LIFETIME)))
    }
}
