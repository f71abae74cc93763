//! The adapter: one batch = one `drop` emitted by a headless moderator session.

use std::collections::HashMap;
use std::fmt;

use async_trait::async_trait;
use tokio::sync::Mutex;

use moderator_core::{Adapter, Batch, BatchResult, Capabilities, Error, Reason, RoomId};

use crate::PROVIDER;
use crate::builder::EnablexBuilder;
use crate::rest::{RestClient, TokenRequest};
use crate::session::{Session, SessionSettings};
use crate::token::Token;

/// The role requested for the headless moderator's token.
const MODERATOR_ROLE: &str = "moderator";

/// The EnableX adapter: creates a moderator token over REST, joins the room's signalling session as a
/// headless moderator, emits `drop` for the batch's users, and leaves.
///
/// Turn it into a [`Moderator`](moderator_core::Moderator) with
/// [`Engine::new`](moderator_core::Engine::new) or
/// [`AdapterExt::into_moderator`](moderator_core::AdapterExt::into_moderator):
///
/// ```no_run
/// # async fn run() -> Result<(), moderator_core::Error> {
/// use std::sync::Arc;
/// use moderator_core::{AdapterExt, DisconnectRequest, Moderator};
/// use moderator_enablex::Enablex;
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
    kept: Option<Mutex<HashMap<RoomId, Session>>>,
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
        keep_session: bool,
    ) -> Self {
        Enablex {
            rest,
            settings,
            moderator_name,
            moderator_ref,
            caps,
            kept: keep_session.then(|| Mutex::new(HashMap::new())),
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

    /// Leaves every room a kept session is in (see [`EnablexBuilder::with_kept_session`]). Without
    /// kept sessions there is nothing to do: every call already left.
    pub async fn close(&self) {
        let Some(kept) = &self.kept else {
            return;
        };
        let sessions: Vec<Session> = kept.lock().await.drain().map(|(_, s)| s).collect();
        for session in sessions {
            session.leave().await;
        }
    }

    /// A new token (tokens are single use) and a new session in `room`.
    async fn open_session(&self, room: &RoomId) -> Result<Session, Error> {
        let request = TokenRequest {
            name: &self.moderator_name,
            role: MODERATOR_ROLE,
            user_ref: &self.moderator_ref,
        };
        let raw = self.rest.create_token(room, &request).await?;
        let token = Token::decode(&raw)?;
        Session::join(&token, &self.settings).await
    }

    /// The batch on the room's kept session, opening (or replacing) it as needed.
    async fn send_on_kept(
        &self,
        kept: &Mutex<HashMap<RoomId, Session>>,
        batch: Batch<'_>,
    ) -> BatchResult {
        let mut sessions = kept.lock().await;
        if let Some(stale) = sessions.remove_if_closed(batch.room) {
            stale.leave().await;
        }
        if !sessions.contains_key(batch.room) {
            match self.open_session(batch.room).await {
                Ok(session) => {
                    sessions.insert(batch.room.clone(), session);
                }
                Err(error) => return BatchResult::Whole(error),
            }
        }
        let Some(session) = sessions.get_mut(batch.room) else {
            return BatchResult::Whole(
                Error::protocol("the kept session vanished").with_provider(PROVIDER),
            );
        };
        let result = session.drop_users(batch.users).await;
        // A session lost mid-drop is replaced on the next call, with a new token.
        if let Some(stale) = sessions.remove_if_closed(batch.room) {
            stale.leave().await;
        }
        result
    }
}

/// Removing a kept session that can no longer be used.
trait KeptSessions {
    fn remove_if_closed(&mut self, room: &RoomId) -> Option<Session>;
}

impl KeptSessions for HashMap<RoomId, Session> {
    fn remove_if_closed(&mut self, room: &RoomId) -> Option<Session> {
        if self.get_mut(room)?.is_open() {
            None
        } else {
            self.remove(room)
        }
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

    async fn send_batch(&self, batch: Batch<'_>) -> BatchResult {
        if let Some(kept) = &self.kept {
            return self.send_on_kept(kept, batch).await;
        }
        let mut session = match self.open_session(batch.room).await {
            Ok(session) => session,
            Err(error) => return BatchResult::Whole(error),
        };
        let result = session.drop_users(batch.users).await;
        session.leave().await;
        result
    }

    /// `drop {"all": true}`: ends the session for everyone in the room. EnableX carries no reason.
    async fn disconnect_all(&self, room: &RoomId, reason: Option<&Reason>) -> Result<(), Error> {
        let _ = reason;
        // Everyone is dropped, a kept session of ours included: retire it first.
        if let Some(kept) = &self.kept {
            let stale = kept.lock().await.remove(room);
            if let Some(stale) = stale {
                stale.leave().await;
            }
        }
        let mut session = self.open_session(room).await?;
        let result = session.drop_all().await;
        session.leave().await;
        result
    }
}
