//! Amazon IVS Chat adapter for `room-moderator`: removes users from chat rooms with
//! [DisconnectUser](https://docs.aws.amazon.com/ivs/latest/ChatAPIReference/API_DisconnectUser.html),
//! on the official `aws-sdk-ivschat` (which signs with SigV4 and speaks restJson1).
//!
//! Applications usually reach this crate through the facade, [`room-moderator`](https://docs.rs/room-moderator/latest/room_moderator/)
//! with its `ivschat` feature, as `room_moderator::ivs`; its front page has the install line, a first
//! removal and the other providers.
//!
//! ```no_run
//! use std::sync::Arc;
//! use room_moderator_core::{AdapterExt, DisconnectRequest, Moderator};
//! use room_moderator_ivs::IvsChat;
//! # async fn demo() -> Result<(), room_moderator_core::Error> {
//! let moderator: Arc<dyn Moderator> = Arc::new(IvsChat::from_env().await?.into_moderator());
//! let report = moderator
//!     .disconnect(
//!         &DisconnectRequest::new("arn:aws:ivschat:us-east-1:123456789012:room/g1H2I3j4k5L6", ["troll"])
//!             .with_reason("harassment"),
//!     )
//!     .await?;
//! println!("{:?}", report.summary());
//! # Ok(()) }
//! ```
//!
//! What to know:
//! - One user per call, 100 calls per second per account and region ([`IVSCHAT_CAPABILITIES`]); the
//!   engine paces to it. Rooms must be ARNs, user ids 1..128 characters, reasons up to 256 characters;
//!   all checked before anything is sent (the SDK checks nothing).
//! - IVS does not say whether the user was connected: a user who was not in the room is reported
//!   [`Outcome::Disconnected`] too, never `NotInRoom`.
//! - Retries belong to the engine; the SDK's own retries are turned off so that attempts never
//!   multiply.
//! - Errors keep the AWS error code (`"ThrottlingException"`) and the request id (`x-amzn-RequestId`).
//! - Join tokens: [`Moderator::issue_token`](room_moderator_core::Moderator::issue_token) calls
//!   [CreateChatToken](https://docs.aws.amazon.com/ivs/latest/ChatAPIReference/API_CreateChatToken.html)
//!   after the engine asked the ban store, so a banned user gets no token (AWS's documented ban
//!   pattern). Capabilities ([`TOKEN_CAPABILITIES`]), session duration (1 to 180 minutes) and
//!   attributes (1 KB) are checked before anything is sent.
//! - IVS cannot list a room's members (no API does): `members` is
//!   [`Unsupported`](room_moderator_core::ErrorKind::Unsupported), without a call.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod capabilities;
mod chat_token;
mod codes;
mod endpoint;
/// Decoders of provider input for the fuzz targets in `fuzz/`; not part of the API.
#[doc(hidden)]
pub mod fuzzing;
mod sdk_error;
#[cfg(feature = "stages")]
#[cfg_attr(docsrs, doc(cfg(feature = "stages")))]
pub mod stages;
mod success_body;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::SdkConfig;
use room_moderator_core::{
    Adapter, Batch, BatchResult, Capabilities, DisconnectRequest, Error, Outcome, QuotaKey, RoomId,
    Token, TokenOptions, UserId,
};
use tracing::debug;

use builder::Parts;
#[doc(hidden)]
pub use builder::Settings;
pub use builder::{
    CREDENTIALS_TIMEOUT, DEFAULT_TIMEOUT, ENV_VARS, IvsBuilder, IvsChatBuilder, IvsService,
    STAGES_ENV_VARS,
};
pub use capabilities::{
    CREATE_CHAT_TOKEN, IVSCHAT_CAPABILITIES, MAX_REASON_CHARS, REQUESTS_PER_SECOND, ROOM_ID_RULE,
    USER_ID_RULE, check_room_arn,
};
pub use chat_token::{
    CREATE_CHAT_TOKEN_PER_SECOND, MAX_ATTRIBUTES_BYTES, MAX_SESSION_MINUTES, MIN_SESSION_MINUTES,
    TOKEN_CAPABILITIES,
};
#[cfg(feature = "stages")]
#[cfg_attr(docsrs, doc(cfg(feature = "stages")))]
pub use stages::{
    CREATE_PARTICIPANT_TOKEN, IvsStages, IvsStagesBuilder, LIST_PARTICIPANTS,
    MAX_STAGE_REASON_CHARS, STAGE_OPERATIONS_PER_SECOND, STAGES_CAPABILITIES, check_stage_arn,
};

/// The provider name in errors, traces and reports.
pub const PROVIDER: &str = "ivschat";

/// The IVS Chat adapter: one DisconnectUser call per user. Turn it into a
/// [`Moderator`](room_moderator_core::Moderator) with `Engine::new(adapter)` or `adapter.into_moderator()`.
#[derive(Clone)]
pub struct IvsChat {
    client: aws_sdk_ivschat::Client,
    region: String,
    endpoint: Option<String>,
    timeout: Duration,
}

impl fmt::Debug for IvsChat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The SDK client holds the credentials provider; it stays out of Debug.
        f.debug_struct("IvsChat")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl IvsChat {
    /// Starts a builder with nothing set (see [`IvsChatBuilder::new`]).
    pub fn builder() -> IvsChatBuilder {
        IvsChatBuilder::new()
    }

    /// The adapter configured from the AWS environment (see [`IvsChatBuilder::from_env`]).
    pub async fn from_env() -> Result<IvsChat, Error> {
        IvsChatBuilder::from_env().build().await
    }

    /// The adapter configured from a loaded [`SdkConfig`]; nothing to wait for.
    pub fn from_sdk_config(sdk: &SdkConfig) -> Result<IvsChat, Error> {
        IvsChatBuilder::from_sdk_config(sdk).finish()
    }

    /// The adapter over a configured client (for [`IvsService`]).
    fn from_parts(client: aws_sdk_ivschat::Client, parts: Parts) -> Self {
        IvsChat {
            client,
            region: parts.region,
            endpoint: parts.endpoint,
            timeout: parts.timeout,
        }
    }

    /// The region requests go to.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The endpoint override, if one was given through the builder or the `SdkConfig`.
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// `<region>@<endpoint>` (`aws` for AWS's own endpoint): what names the account's quotas and bans
    /// without a call (the account id is only in room ARNs, and asking STS would cost a call).
    fn account_label(&self) -> String {
        let endpoint = self.endpoint.as_deref().unwrap_or("aws");
        format!("{}@{endpoint}", self.region)
    }
}

/// Checks that `room` is an IVS Chat room ARN (the pattern an [`IdRule`](room_moderator_core::IdRule)
/// cannot express), for every operation.
fn check_room(room: &RoomId) -> Result<(), Error> {
    check_room_arn(room.as_str()).map_err(|problem| {
        Error::invalid_input(format!(
            "room {:?} is not an IVS Chat room ARN: it {problem}",
            room.as_str()
        ))
        .with_provider(PROVIDER)
    })
}

/// Checks the room and user of a token request against the model's rules (the SDK checks nothing).
fn check_token_target(room: &RoomId, user: &UserId) -> Result<(), Error> {
    ROOM_ID_RULE
        .check(room.as_str())
        .map_err(|problem| {
            Error::invalid_input(format!("room id {problem}")).with_provider(PROVIDER)
        })
        .and_then(|()| check_room(room))?;
    USER_ID_RULE.check(user.as_str()).map_err(|problem| {
        // The user id is not quoted: it is sensitive (docs/providers/ivschat.md).
        Error::invalid_input(format!("user id {problem}")).with_provider(PROVIDER)
    })
}

#[async_trait]
impl Adapter for IvsChat {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        IVSCHAT_CAPABILITIES
    }

    /// DisconnectUser's 100 TPS are per AWS account and region (docs/providers/ivschat.md); the account is not
    /// known without an extra call, so region and endpoint name the quota.
    fn quota_key(&self) -> Option<QuotaKey> {
        Some(QuotaKey::new(
            PROVIDER,
            self.account_label(),
            "DisconnectUser",
        ))
    }

    /// Region and endpoint, as [`quota_key`](Adapter::quota_key) names the account: stable, not a
    /// secret, and known without a call.
    fn account(&self) -> String {
        self.account_label()
    }

    fn check(&self, request: &DisconnectRequest) -> Result<(), Error> {
        check_room(request.room())
    }

    async fn send_batch(&self, batch: Batch<'_>) -> BatchResult {
        let user = match batch.single_user(PROVIDER, "IVS Chat DisconnectUser") {
            Ok(user) => user,
            Err(whole) => return whole,
        };
        let result = self
            .client
            .disconnect_user()
            .room_identifier(batch.room.as_str())
            .user_id(user.as_str())
            .set_reason(batch.reason.map(|r| r.as_str().to_owned()))
            .send()
            .await;
        match result {
            // IVS disconnects every connection of the user and answers the same whether or not the
            // user was connected, so "not in room" cannot be told apart: both are `Disconnected`.
            Ok(_) => BatchResult::PerUser(vec![Outcome::Disconnected]),
            Err(err) => {
                let error = sdk_error::from_sdk_error(err);
                debug!(%error, attempt = batch.attempt, "DisconnectUser failed");
                BatchResult::Whole(error)
            }
        }
    }

    /// CreateChatToken for `user` in `room`: capabilities, session duration and attributes from
    /// `options`, checked before sending (no name or role: IVS tokens have none). One call; the
    /// engine owns retries and asks the ban store first.
    async fn issue_token(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<Token, Error> {
        check_token_target(room, user)?;
        let request = chat_token::prepare(options)?;
        let output = self
            .client
            .create_chat_token()
            .room_identifier(room.as_str())
            .user_id(user.as_str())
            .set_capabilities(request.capabilities)
            .set_session_duration_in_minutes(request.session_duration_in_minutes)
            .set_attributes(request.attributes)
            .send()
            .await
            .map_err(|err| {
                let error = sdk_error::from_sdk_error(err);
                debug!(%error, "CreateChatToken failed");
                error
            })?;
        chat_token::token_from_output(output)
    }
}
