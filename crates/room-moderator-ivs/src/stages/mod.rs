//! Amazon IVS real-time stages: removes application users from a stage with
//! [DisconnectParticipant](https://docs.aws.amazon.com/ivs/latest/RealTimeAPIReference/API_DisconnectParticipant.html),
//! on the official `aws-sdk-ivsrealtime` (SigV4 under the signing name `ivs`, restJson1). Feature
//! `stages`. Facts and sources: `docs/providers/ivs-stages.md`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use room_moderator_core::{AdapterExt, DisconnectRequest, Moderator};
//! use room_moderator_ivs::IvsStages;
//! # async fn demo() -> Result<(), room_moderator_core::Error> {
//! let moderator: Arc<dyn Moderator> = Arc::new(IvsStages::from_env().await?.into_moderator());
//! let report = moderator
//!     .disconnect(&DisconnectRequest::new(
//!         "arn:aws:ivs:us-east-1:123456789012:stage/a1B2c3D4e5F6",
//!         ["raider-1", "raider-2"],
//!     ))
//!     .await?;
//! println!("{:?}", report.summary());
//! # Ok(()) }
//! ```
//!
//! How a kick works: `DisconnectParticipant` takes IVS's participant id, not the application's user
//! id, and a user on two devices is two participants. So a request lists the stage's active session
//! once (`GetStage` for its id, then `ListParticipants` of the connected participants, 100 a page,
//! every page: the engine's presence check drives it through [`members_page`](Adapter::members_page)),
//! matches users locally, and disconnects each connected participant of each user. No active
//! session: every user is `NotInRoom` after the one `GetStage`. Every operation is paced to its own
//! quota (5 per second per account and region), so N participants take at least (N-1)/5 seconds.
//!
//! Keeping a user out: a disconnect revokes that participant's token only. Other tokens of the same
//! user (another device, one issued but not used yet) stay valid, and IVS has no user-level ban: the
//! ban store and [`issue_token`](room_moderator_core::Moderator::issue_token) (which refuses a banned
//! user before calling `CreateParticipantToken`) are what keep the user out.

mod errors;
mod pacing;
pub(crate) mod roster;
mod token;

use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_ivsrealtime::types::ParticipantState;
use room_moderator_core::{
    AbsentUsers, Adapter, ApiLimits, Batch, BatchResult, Capabilities, DisconnectRequest, Error,
    ErrorKind, IdRule, LengthUnit, MAX_MEMBERS, MemberPage, Outcome, QuotaKey, Reason,
    ReasonSupport, RoomId, Token, TokenOptions, UserId,
};
use tokio::time::Instant;
use tracing::debug;

use crate::builder::{IvsBuilder, Parts, STAGES_ENV_VARS, ivs_service};
use crate::capabilities::check_arn;
use crate::sdk_error::from_sdk_error;
use pacing::{Operation, OperationPacers};
use roster::{Cursor, Listed, PageEnd, PageError, Roster, Rosters, lock};

pub use token::{
    CREATE_PARTICIPANT_TOKEN_PER_SECOND, MAX_TOKEN_MINUTES, MIN_TOKEN_MINUTES,
    PARTICIPANT_TOKEN_CAPABILITIES,
};

/// The provider name in errors, traces and reports.
pub const PROVIDER: &str = "ivs-stages";

/// Every stage operation's documented quota (DisconnectParticipant, GetStage, ListParticipants, ...),
/// per operation, account and region, not adjustable.
pub const STAGE_OPERATIONS_PER_SECOND: u32 = 5;

/// Longest reason, in characters (`DisconnectParticipant.reason`, 0..128).
pub const MAX_STAGE_REASON_CHARS: usize = 128;

/// Stage ARNs: at most 128 characters (and the pattern, see [`check_stage_arn`]).
pub const STAGE_ID_RULE: IdRule = IdRule::max_chars(128);

/// User ids as tokens carry them: at most 128 characters.
pub const STAGE_USER_ID_RULE: IdRule = IdRule::max_chars(128);

/// ListParticipants: 100 participants a page, 5 pages a second.
pub const LIST_PARTICIPANTS: ApiLimits =
    ApiLimits::new(100).with_rate_per_second(STAGE_OPERATIONS_PER_SECOND);

/// CreateParticipantToken: one token a call, 50 a second.
pub const CREATE_PARTICIPANT_TOKEN: ApiLimits =
    ApiLimits::new(1).with_rate_per_second(CREATE_PARTICIPANT_TOKEN_PER_SECOND);

/// The stages adapter's capabilities: one user per kick (each of whose participants is one
/// DisconnectParticipant), 5 a second, reasons up to 128 characters, member listing (users with their
/// participant ids as handles), so room clearing by listing, bans in the ban store, and tokens from
/// CreateParticipantToken.
///
/// `absent_users` is [`AbsentUsers::FailTheCall`] although no call fails for an absent user: it is
/// how the engine is told to list the room before kicking, and a stage must be listed anyway to learn
/// the participant ids (absent users then cost no call at all).
///
/// ```
/// use room_moderator_core::{BanSupport, RoomClear};
/// use room_moderator_ivs::STAGES_CAPABILITIES;
/// assert_eq!(STAGES_CAPABILITIES.max_users_per_call.get(), 1);
/// assert_eq!(STAGES_CAPABILITIES.requests_per_second.map(|r| r.get()), Some(5));
/// assert_eq!(STAGES_CAPABILITIES.room_clear(), RoomClear::ListAndKick);
/// assert_eq!(STAGES_CAPABILITIES.bans, BanSupport::Store);
/// assert!(STAGES_CAPABILITIES.tokens.is_some());
/// ```
pub const STAGES_CAPABILITIES: Capabilities = Capabilities::new(1)
    .with_rate_per_second(STAGE_OPERATIONS_PER_SECOND)
    .with_reason(ReasonSupport::Limited {
        max_len: MAX_STAGE_REASON_CHARS,
        unit: LengthUnit::Chars,
    })
    .with_disconnect_all(false)
    .with_room_id(STAGE_ID_RULE)
    .with_user_id(STAGE_USER_ID_RULE)
    .with_members(LIST_PARTICIPANTS)
    .with_absent_users(AbsentUsers::FailTheCall)
    .with_tokens(CREATE_PARTICIPANT_TOKEN);

/// The most pages a listing the adapter runs by itself may take (a session of [`MAX_MEMBERS`]
/// participants at 100 a page, and one more).
const MAX_PAGES: usize = MAX_MEMBERS / 100 + 1;

/// Checks that `stage` matches `arn:aws:ivs:[a-z0-9-]+:[0-9]+:stage/[a-zA-Z0-9-]+` (the model's
/// `StageArn` pattern), returning a sentence that says what is wrong.
///
/// ```
/// use room_moderator_ivs::check_stage_arn;
/// assert!(check_stage_arn("arn:aws:ivs:us-east-1:123456789012:stage/a1B2c3D4e5F6").is_ok());
/// assert!(check_stage_arn("arn:aws:ivschat:us-east-1:123456789012:room/a1B2").is_err());
/// ```
pub fn check_stage_arn(stage: &str) -> Result<(), String> {
    check_arn(stage, "ivs", "stage")
}

/// Builds an [`IvsStages`] adapter (see [`IvsBuilder`]): `AWS_ENDPOINT_URL_IVS_REALTIME` is its
/// endpoint variable.
pub type IvsStagesBuilder = IvsBuilder<IvsStages>;

ivs_service!(
    IvsStages,
    aws_sdk_ivsrealtime,
    "IvsStages",
    PROVIDER,
    STAGES_ENV_VARS,
    STAGES_CAPABILITIES,
    "AWS_ENDPOINT_URL_IVS_REALTIME"
);

/// The IVS real-time stages adapter. Turn it into a [`Moderator`](room_moderator_core::Moderator)
/// with `Engine::new(adapter)` or `adapter.into_moderator()`; clones share pacers and listings.
#[derive(Clone)]
pub struct IvsStages {
    client: aws_sdk_ivsrealtime::Client,
    region: String,
    endpoint: Option<String>,
    timeout: Duration,
    pacers: Arc<OperationPacers>,
    rosters: Rosters,
    /// Held while a kick lists a stage by itself, so that concurrent kicks wait for one listing.
    listing: Arc<tokio::sync::Mutex<()>>,
}

impl fmt::Debug for IvsStages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The SDK client holds the credentials provider; it stays out of Debug.
        f.debug_struct("IvsStages")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .field("rosters", &self.rosters)
            .finish_non_exhaustive()
    }
}

fn invalid(message: String) -> Error {
    Error::invalid_input(message).with_provider(PROVIDER)
}

/// Checks the stage ARN (which an [`IdRule`] cannot express), for every operation.
fn check_stage(stage: &RoomId) -> Result<(), Error> {
    STAGE_ID_RULE
        .check(stage.as_str())
        .map_err(|problem| invalid(format!("stage ARN {problem}")))?;
    check_stage_arn(stage.as_str()).map_err(|problem| {
        invalid(format!(
            "room {:?} is not an IVS stage ARN: it {problem}",
            stage.as_str()
        ))
    })
}

impl IvsStages {
    /// Starts a builder with nothing set (see [`IvsBuilder::new`]).
    pub fn builder() -> IvsStagesBuilder {
        IvsStagesBuilder::new()
    }

    /// The adapter configured from the AWS environment (see [`IvsBuilder::from_env`]).
    pub async fn from_env() -> Result<IvsStages, Error> {
        IvsStagesBuilder::from_env().build().await
    }

    /// The adapter configured from a loaded [`SdkConfig`] (the same one IVS Chat's adapter takes);
    /// nothing to wait for.
    pub fn from_sdk_config(sdk: &SdkConfig) -> Result<IvsStages, Error> {
        IvsStagesBuilder::from_sdk_config(sdk).finish()
    }

    fn from_parts(client: aws_sdk_ivsrealtime::Client, parts: Parts) -> Self {
        let account = account_label(&parts.region, parts.endpoint.as_deref());
        let rate = NonZeroU32::MIN.saturating_add(STAGE_OPERATIONS_PER_SECOND - 1);
        IvsStages {
            client,
            pacers: Arc::new(OperationPacers::for_account(&account, rate)),
            region: parts.region,
            endpoint: parts.endpoint,
            timeout: parts.timeout,
            rosters: Rosters::default(),
            listing: Arc::default(),
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

    fn account_label(&self) -> String {
        account_label(&self.region, self.endpoint.as_deref())
    }

    /// The stage's active session id (`GetStage`), `None` when it has none.
    async fn active_session(&self, stage: &str) -> Result<Option<String>, Error> {
        self.pacers.acquire(Operation::GetStage).await?;
        let output = self
            .client
            .get_stage()
            .arn(stage)
            .send()
            .await
            .map_err(from_sdk_error)?;
        Ok(output
            .stage()
            .and_then(|stage| stage.active_session_id())
            .filter(|id| !id.trim().is_empty())
            .map(str::to_owned))
    }

    /// One page of the session's connected participants (`ListParticipants`, 100 a page) and IVS's
    /// token for the next.
    async fn participants_page(
        &self,
        stage: &str,
        session: &str,
        token: Option<String>,
    ) -> Result<(Vec<Listed>, Option<String>), Error> {
        self.pacers.acquire(Operation::ListParticipants).await?;
        let output = self
            .client
            .list_participants()
            .stage_arn(stage)
            .session_id(session)
            .filter_by_state(ParticipantState::Connected)
            .max_results(100)
            .set_next_token(token)
            .send()
            .await
            .map_err(from_sdk_error)?;
        let page = output
            .participants()
            .iter()
            .filter_map(|p| {
                Some(Listed {
                    participant: p.participant_id().filter(|id| !id.is_empty())?.to_owned(),
                    user: p.user_id().unwrap_or_default().to_owned(),
                    // The filter asked for connected ones; the state is checked all the same.
                    connected: p.state() == Some(&ParticipantState::Connected),
                })
            })
            .collect();
        Ok((page, output.next_token().map(str::to_owned)))
    }

    /// The stage's roster: the fresh one a listing left (the engine's check before this request),
    /// or a listing of its own, one at a time (kicks arriving together wait for it).
    async fn roster(&self, stage: &RoomId) -> Result<Arc<Mutex<Roster>>, Error> {
        if let Some(roster) = self.rosters.fresh(stage.as_str(), Instant::now()) {
            return Ok(roster);
        }
        let _one_listing = self.listing.lock().await;
        if let Some(roster) = self.rosters.fresh(stage.as_str(), Instant::now()) {
            return Ok(roster);
        }
        debug!("no fresh listing of the stage; listing it before kicking");
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self.members_page(stage, cursor.as_deref()).await?;
            match page.next {
                Some(next) => cursor = Some(next),
                None => {
                    return self
                        .rosters
                        .fresh(stage.as_str(), Instant::now())
                        .ok_or_else(|| {
                            Error::protocol("the stage's listing was dropped as it ended")
                                .with_provider(PROVIDER)
                        });
                }
            }
        }
        Err(Error::protocol(format!(
            "the stage's listing did not end within {MAX_PAGES} pages"
        ))
        .with_provider(PROVIDER))
    }

    /// `DisconnectParticipant` for one participant.
    async fn disconnect(
        &self,
        stage: &str,
        participant: &str,
        reason: Option<&Reason>,
    ) -> Result<(), Error> {
        self.pacers
            .acquire(Operation::DisconnectParticipant)
            .await?;
        self.client
            .disconnect_participant()
            .stage_arn(stage)
            .participant_id(participant)
            .set_reason(reason.map(|r| r.as_str().to_owned()))
            .send()
            .await
            .map(drop)
            .map_err(from_sdk_error)
    }
}

/// `<region>@<endpoint>` (`aws` for AWS's own endpoint): what names the account's quotas and bans
/// without a call, as for IVS Chat.
fn account_label(region: &str, endpoint: Option<&str>) -> String {
    format!("{region}@{}", endpoint.unwrap_or("aws"))
}

#[async_trait]
impl Adapter for IvsStages {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        STAGES_CAPABILITIES
    }

    /// The kick's quota: DisconnectParticipant's 5 TPS per account and region.
    fn quota_key(&self) -> Option<QuotaKey> {
        Some(QuotaKey::new(
            PROVIDER,
            self.account_label(),
            "DisconnectParticipant",
        ))
    }

    fn account(&self) -> String {
        self.account_label()
    }

    fn check(&self, request: &DisconnectRequest) -> Result<(), Error> {
        check_stage(request.room())
    }

    /// Disconnects every connected participant of the batch's user, as the stage's latest listing
    /// knows them. A participant IVS no longer knows (404) has left: not an error. A failure stops
    /// the user's call; a retry only sends what is left.
    async fn send_batch(&self, batch: Batch<'_>) -> BatchResult {
        let user = match batch.single_user(PROVIDER, "IVS stages DisconnectParticipant") {
            Ok(user) => user,
            Err(whole) => return whole,
        };
        let roster = match self.roster(batch.room).await {
            Ok(roster) => roster,
            Err(error) => return BatchResult::Whole(error),
        };
        let participants = lock(&roster).participants(user.as_str());
        if participants.is_empty() {
            return BatchResult::PerUser(vec![Outcome::NotInRoom]);
        }
        let stage = batch.room.as_str();
        let mut disconnected = false;
        for participant in participants {
            match self.disconnect(stage, &participant, batch.reason).await {
                Ok(()) => {
                    disconnected = true;
                    lock(&roster).gone(user.as_str(), &participant, true);
                }
                Err(error) if error.kind() == ErrorKind::NotFound => {
                    // UNVERIFIED what IVS answers for a participant that left: a 404 is read as
                    // "already gone", a 200 as disconnected; both end the participant here.
                    debug!(%error, "the participant is no longer on the stage");
                    lock(&roster).gone(user.as_str(), &participant, false);
                }
                Err(error) => {
                    debug!(%error, attempt = batch.attempt, "DisconnectParticipant failed");
                    return BatchResult::Whole(error);
                }
            }
        }
        // A retry after a partial failure: the participants disconnected by the earlier attempt
        // count.
        let kicked = disconnected || (batch.attempt > 1 && lock(&roster).kicked(user.as_str()));
        BatchResult::PerUser(vec![if kicked {
            Outcome::Disconnected
        } else {
            Outcome::NotInRoom
        }])
    }

    /// One page of the stage's connected participants; the first also asks `GetStage` for the
    /// active session (none: an empty list at once). Members are whole users, the handle their
    /// participant ids separated by spaces, so they come with the last page (earlier pages are
    /// empty); the listing then serves the kicks of this request.
    async fn members_page(&self, room: &RoomId, cursor: Option<&str>) -> Result<MemberPage, Error> {
        check_stage(room)?;
        let stage = room.as_str();
        let (number, session, token) = match cursor {
            None => {
                let Some(session) = self.active_session(stage).await? else {
                    self.rosters.no_session(stage, Instant::now());
                    return Ok(MemberPage::new(Vec::new(), None));
                };
                let number = self.rosters.start(stage, &session, Instant::now());
                (number, session, None)
            }
            Some(cursor) => {
                let cursor = Cursor::parse(cursor).ok_or_else(|| {
                    Error::protocol("not a page cursor of this adapter").with_provider(PROVIDER)
                })?;
                (cursor.listing, cursor.session, Some(cursor.token))
            }
        };
        let (page, next) = self.participants_page(stage, &session, token).await?;
        match self
            .rosters
            .add_page(number, &page, next.as_deref(), Instant::now())
        {
            Ok(PageEnd::More(cursor)) => Ok(MemberPage::new(Vec::new(), Some(cursor))),
            Ok(PageEnd::Done(members)) => Ok(MemberPage::new(members, None)),
            Err(PageError::UnknownListing) => Err(Error::protocol(
                "this listing was dropped (too many listings at once); list the stage again",
            )
            .with_provider(PROVIDER)),
            Err(PageError::TooMany) => Err(Error::protocol(format!(
                "the stage has more than {MAX_MEMBERS} connected participants; stopping rather than holding more"
            ))
            .with_provider(PROVIDER)),
        }
    }

    /// CreateParticipantToken for `user` on the stage `room`, the user id always set (a token
    /// without one could not be kicked by user): capabilities (`PUBLISH`, `SUBSCRIBE`), duration
    /// (`session_duration`, 1 to 20,160 whole minutes) and attributes (1 KB) checked before sending;
    /// no name or role. The engine asks the ban store first.
    async fn issue_token(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<Token, Error> {
        check_stage(room)?;
        // The user id is not quoted: it is exposed to every participant but still the app's data.
        STAGE_USER_ID_RULE
            .check(user.as_str())
            .map_err(|problem| invalid(format!("user id {problem}")))?;
        let request = token::prepare(options)?;
        let output = self
            .client
            .create_participant_token()
            .stage_arn(room.as_str())
            .user_id(user.as_str())
            .set_capabilities(request.capabilities)
            .set_duration(request.duration)
            .set_attributes(request.attributes)
            .send()
            .await
            .map_err(|err| {
                let error = from_sdk_error(err);
                debug!(%error, "CreateParticipantToken failed");
                error
            })?;
        token::token_from_output(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_arns_follow_the_model() {
        assert_eq!(
            check_stage_arn("arn:aws:ivs:us-east-1:123456789012:stage/a1B2c3D4e5F6"),
            Ok(())
        );
        for (arn, says) in [
            ("a1B2c3D4e5F6", "does not start with"),
            ("arn:aws:ivschat:us-east-1:1:room/a", "does not start with"),
            (
                "arn:aws:ivs:us-east-1:1:channel/a",
                "resource \"channel/a\"",
            ),
            ("arn:aws:ivs:us-east-1:1:stage/a_b", "stage id \"a_b\""),
            ("arn:aws:ivs:us-east-1:1:stages/a", "resource"),
        ] {
            let err = check_stage_arn(arn).expect_err(arn);
            assert!(err.contains(says), "{arn}: {err}");
        }
        let long = RoomId::new(format!("arn:aws:ivs:us-east-1:1:stage/{}", "a".repeat(120)));
        assert!(check_stage(&long).is_err());
    }
}
