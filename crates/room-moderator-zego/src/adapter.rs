//! The adapter: one signed GET per call (every API goes through [`ZegoAdapter::call`]), its answer
//! decoded into what happened to each user.

use std::fmt;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use room_moderator_core::toolkit::http::HttpClient;
use room_moderator_core::{
    Adapter, ApiLimits, BanRule, BanSupport, Batch, BatchResult, Capabilities, Error, ErrorKind,
    MemberPage, Outcome, Presence, QuotaKey, RoomId, Token, TokenOptions, UserId, wall_clock_now,
};
use tracing::debug;
use url::Url;

use crate::api::Api;
use crate::builder::ZegoBuilder;
use crate::codes::Blame;
use crate::product::{Product, ProductOptions, Rtc, Service, Zim};
use crate::request::{kick_params, kick_url, signed_query};
use crate::response::{Answer, Decoded, decode_api};
use crate::signer::Signer;
use crate::{rooms, rules, token};

/// A ZEGO kick adapter for one product; use the aliases [`ZegoZim`] and [`ZegoRtc`].
///
/// Turn it into a [`Moderator`](room_moderator_core::Moderator) with
/// [`Engine::new`](room_moderator_core::Engine::new), which adds validation, batching (50 users per ZIM call,
/// 5 per RTC call), pacing to the documented rate, retries and splitting.
///
/// What a call's answer means for its users:
/// - `Code` 0: every user is [`Outcome::Disconnected`]. Express RTC also answers success for users who
///   were not in the room (ZEGO FAQ "kick-nonexistent-user-error"), so for RTC `Disconnected` means
///   "not in the room any more", never [`Outcome::NotInRoom`].
/// - ZIM 660300002 / 660300012 ("user not in the room"): on a one-user call, that user is
///   [`Outcome::NotInRoom`]. On a larger call the answer does not say which user, so it is
///   [`BatchResult::Unattributed`] and the engine splits the batch until each user has an outcome.
///   Whether ZEGO removed the other users of that call first is UNVERIFIED; if it did, they are
///   reported `NotInRoom` by the split calls (they are gone either way).
/// - Every other code: the same error for the whole call, kind from the code table.
pub struct ZegoAdapter<P: Product> {
    http: HttpClient,
    signer: Signer,
    options: P::Options,
}

/// The ZIM (in-app chat) adapter: `KickoutRoomUser`.
pub type ZegoZim = ZegoAdapter<Zim>;
/// The Express RTC (audio/video) adapter: `KickoutUser`.
pub type ZegoRtc = ZegoAdapter<Rtc>;

impl<P: Product> ZegoAdapter<P> {
    pub(crate) fn new(http: HttpClient, signer: Signer, options: P::Options) -> Self {
        ZegoAdapter {
            http,
            signer,
            options,
        }
    }

    /// A builder for this product (same as `ZegoZimBuilder::default()` / `ZegoRtcBuilder::default()`).
    pub fn builder() -> ZegoBuilder<P> {
        ZegoBuilder::default()
    }

    /// Builds the adapter from the environment; see [`ZegoBuilder::from_env`].
    pub fn from_env() -> Result<Self, Error> {
        ZegoBuilder::from_env().build()
    }

    /// Where requests go.
    pub fn endpoint(&self) -> &Url {
        self.http.endpoint()
    }

    /// The AppId requests are signed for.
    pub fn app_id(&self) -> u32 {
        self.signer.app_id()
    }

    /// Signs and sends one call of `api` with `params` after the public parameters, and decodes the
    /// answer: the one request path of every API. A fresh nonce and timestamp for every call (the
    /// engine calls again for each retry). `Err` only when no complete answer arrived (timeout,
    /// connection, body).
    async fn call(&self, api: Api, params: &[(&str, &str)]) -> Result<Decoded, Error> {
        let signed = self.signer.sign_now();
        // IsTest (RTC) is a public parameter of every RTC call; FromUserId (ZIM) names the operator
        // of a removal only.
        let mut extra = Vec::new();
        if <P::Options as ProductOptions>::ON_EVERY_CALL || api == Api::kick(P::SERVICE) {
            self.options.params(&mut extra);
        }
        let query = signed_query(api.action(), &signed, params, &extra);
        let url = kick_url(self.http.endpoint(), &query);
        let answer = self.http.send(self.http.get(url)).await?;
        Ok(decode_api(
            api,
            answer.status(),
            answer.retry_after(),
            answer.body(),
        ))
    }

    fn unsupported(&self, message: &'static str) -> Error {
        Error::new(ErrorKind::Unsupported, message).with_provider(P::SERVICE.provider())
    }

    /// The product's presence query, if its [`Product::CAPABILITIES`] have one.
    fn presence_limits(&self) -> Result<ApiLimits, Error> {
        P::CAPABILITIES
            .presence
            .ok_or_else(|| self.unsupported("this provider cannot say who is in a room"))
    }

    /// The longest native ban rule, if the product's [`Product::CAPABILITIES`] have native bans.
    fn native_bans(&self) -> Result<Duration, Error> {
        match P::CAPABILITIES.bans {
            BanSupport::Native { max_duration, .. } => Ok(max_duration),
            _ => Err(self.unsupported("this provider has no native ban rules")),
        }
    }
}

#[async_trait]
impl<P: Product> Adapter for ZegoAdapter<P> {
    fn provider(&self) -> &'static str {
        P::SERVICE.provider()
    }

    fn capabilities(&self) -> Capabilities {
        P::CAPABILITIES
    }

    /// ZEGO's rates are per AppID (docs/providers/zego.md); the endpoint is part of the key so that an emulator and
    /// the real service, or two regions, are not paced as one.
    fn quota_key(&self) -> Option<QuotaKey> {
        Some(QuotaKey::new(
            P::SERVICE.provider(),
            format!("{}@{}", self.app_id(), self.endpoint().as_str()),
            P::SERVICE.action(),
        ))
    }

    /// The AppID, for both products.
    fn account(&self) -> String {
        self.app_id().to_string()
    }

    /// ZIM `QueryRoomUserList` (`Mode` 0, `Limit` 500 on every page, `NextFlag` from the last page)
    /// or Express RTC `DescribeUserList` (`Mode` 0, `Limit` 200, `Marker`).
    async fn members_page(&self, room: &RoomId, cursor: Option<&str>) -> Result<MemberPage, Error> {
        let Some(members) = P::CAPABILITIES.members else {
            return Err(self.unsupported("this provider cannot list a room's members"));
        };
        let limit = members.per_call.to_string();
        match P::SERVICE {
            Service::Zim => {
                let mut params = vec![("RoomId", room.as_str()), ("Mode", "0")];
                if let Some(cursor) = cursor {
                    params.push(("NextFlag", cursor));
                }
                params.push(("Limit", &limit));
                rooms::zim_user_list(self.call(Api::QueryRoomUserList, &params).await?)
            }
            Service::Rtc => {
                let mut params = vec![("RoomId", room.as_str()), ("Mode", "0"), ("Limit", &limit)];
                if let Some(cursor) = cursor {
                    params.push(("Marker", cursor));
                }
                rooms::rtc_user_list(self.call(Api::DescribeUserList, &params).await?)
            }
        }
    }

    /// ZIM `QueryRoomMembers` (up to 10 users); Express RTC needs none (its kick answers success
    /// for absent users) and has none here.
    async fn presence(&self, room: &RoomId, users: &[UserId]) -> Result<Vec<Presence>, Error> {
        let limits = self.presence_limits()?;
        if users.is_empty() {
            return Ok(Vec::new());
        }
        if users.len() > limits.per_call.get() {
            return Err(Error::invalid_input(format!(
                "QueryRoomMembers takes at most {} users; {} given",
                limits.per_call,
                users.len()
            ))
            .with_provider(P::SERVICE.provider()));
        }
        let mut params = vec![("RoomId", room.as_str())];
        params.extend(users.iter().map(|user| ("UserId[]", user.as_str())));
        rooms::zim_presence(users, self.call(Api::QueryRoomMembers, &params).await?)
    }

    /// Express RTC `SetForbidUserRule`: `RuleType` 4 (this user in this room), `DisabledPrivilege[]`
    /// 1 (login), `EffectiveTime` in whole seconds (rounded up), 1..=86400. Answers
    /// `Data.ExpireTime`. Code 9 (not enabled for the AppID) and 50123 (200 rules in force) are
    /// permanent errors the engine recognises: see [`is_ban_rules_not_enabled`] and
    /// [`is_ban_rule_limit_reached`].
    ///
    /// [`is_ban_rules_not_enabled`]: crate::is_ban_rules_not_enabled
    /// [`is_ban_rule_limit_reached`]: crate::is_ban_rule_limit_reached
    async fn set_ban_rule(
        &self,
        room: &RoomId,
        user: &UserId,
        duration: Duration,
    ) -> Result<Option<SystemTime>, Error> {
        let max_duration = self.native_bans()?;
        let secs = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
        if secs == 0 || duration > max_duration {
            return Err(Error::invalid_input(format!(
                "a ban rule lasts 1 to {} seconds; {duration:?} asked",
                max_duration.as_secs()
            ))
            .with_provider(P::SERVICE.provider()));
        }
        let secs = secs.to_string();
        let params = [
            ("RuleType", rules::ROOM_USER),
            ("RoomId", room.as_str()),
            ("UserId", user.as_str()),
            ("DisabledPrivilege[]", rules::LOGIN),
            ("EffectiveTime", secs.as_str()),
        ];
        rules::set_answer(self.call(Api::SetForbidUserRule, &params).await?)
    }

    /// Express RTC `DelForbidUserRule` (`RuleType` 4, `RoomId`, `UserId`).
    async fn delete_ban_rule(&self, room: &RoomId, user: &UserId) -> Result<(), Error> {
        self.native_bans()?;
        let params = [
            ("RuleType", rules::ROOM_USER),
            ("RoomId", room.as_str()),
            ("UserId", user.as_str()),
        ];
        self.call(Api::DelForbidUserRule, &params)
            .await?
            .into_success()
            .map(drop)
    }

    /// Express RTC `DescribeForbidUserRules` (`RuleType` 4): the login rules of `room` still in
    /// force on the engine's clock ([`wall_clock_now`]).
    async fn ban_rules(&self, room: &RoomId) -> Result<Vec<BanRule>, Error> {
        self.native_bans()?;
        let decoded = self
            .call(
                Api::DescribeForbidUserRules,
                &[("RuleType", rules::ROOM_USER)],
            )
            .await?;
        rules::room_rules(decoded, room, wall_clock_now())
    }

    /// A login token ("token04", built locally: no provider call) for `user`: ZIM `login` or, bound
    /// to `room`, Express `loginRoom` (see the crate's `token` module docs and
    /// docs/providers/zego.md).
    async fn issue_token(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<Token, Error> {
        token::login_token(
            P::SERVICE,
            (self.app_id(), self.signer.secret()),
            room,
            user,
            options,
            self.signer.now(),
        )
    }

    async fn send_batch(&self, batch: Batch<'_>) -> BatchResult {
        let answer = match self.call(Api::kick(P::SERVICE), &kick_params(&batch)).await {
            Ok(decoded) => decoded.answer,
            Err(error) => return BatchResult::Whole(error),
        };
        let users = batch.users.len();
        match answer {
            Answer::Success => {
                debug!(users, "removed");
                BatchResult::all(users, Outcome::Disconnected)
            }
            Answer::Failure { error, blame } => {
                debug!(%error, ?blame, users, "call failed");
                match blame {
                    Blame::Call => BatchResult::Whole(error),
                    Blame::SomeUser if users == 1 => {
                        BatchResult::PerUser(vec![if error.kind() == ErrorKind::NotInRoom {
                            Outcome::NotInRoom
                        } else {
                            Outcome::Failed(error)
                        }])
                    }
                    Blame::SomeUser => BatchResult::Unattributed(error),
                }
            }
        }
    }
}

impl<P: Product> fmt::Debug for ZegoAdapter<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZegoAdapter")
            .field("service", &P::SERVICE)
            .field("endpoint", &self.endpoint().as_str())
            .field("signer", &self.signer)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}
