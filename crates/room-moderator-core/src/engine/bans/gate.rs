//! The join gate (`check`) and token issuing (`issue_token`): a banned user is refused before a
//! token is asked for; a lapsing native rule of that user is renewed on the way.

use tokio::time::Instant;
use tracing::warn;

use crate::engine::Engine;
use crate::engine::call::deadline::Operation;
use crate::engine::call::side::SideApi;
use crate::engine::validate;
use crate::{
    Adapter, Error, ErrorKind, JoinCheck, RoomId, TokenDecision, TokenOptions, UserId,
    wall_clock_now,
};

impl<A: Adapter> Engine<A> {
    pub(crate) async fn join_check(
        &self,
        room: &RoomId,
        user: &UserId,
    ) -> Result<JoinCheck, Error> {
        let deadline = self.one_call_deadline(Operation::Check)?;
        self.join_check_until(room, user, deadline).await
    }

    /// The join gate, renewing a lapsing native rule before `deadline`.
    async fn join_check_until(
        &self,
        room: &RoomId,
        user: &UserId,
        deadline: Instant,
    ) -> Result<JoinCheck, Error> {
        let provider = self.adapter.provider();
        self.unsupported_bans()?;
        validate::check_room(&self.caps, room)?;
        validate::check_user(&self.caps, user, "user id")?;
        let store = self.ban_store()?;
        let scope = self.ban_scope(room);
        let mut warnings = Vec::new();
        let lapsed = self
            .lift_lapsed_rules(&scope, Some(user), deadline, &mut warnings)
            .await;
        let now = wall_clock_now();
        let entry = match lapsed.active_at(now) {
            Some(entries) => entries.into_iter().find(|entry| entry.user == *user),
            None => store.get(&scope, user, now).await?,
        };
        let Some(entry) = entry else {
            for warning in warnings {
                warn!(provider, "{warning}");
            }
            return Ok(JoinCheck::Allowed);
        };
        if let Some(native) = self.native() {
            self.renew_rules(
                &scope,
                vec![entry.clone()],
                &native,
                deadline,
                &mut warnings,
            )
            .await;
            for warning in warnings {
                warn!(provider, "{warning}");
            }
        }
        Ok(JoinCheck::Banned {
            until: entry.until,
            reason: entry.reason,
        })
    }

    pub(crate) async fn token_for(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<TokenDecision, Error> {
        let Some(limits) = self.caps.tokens else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "this provider's tokens are issued by the application, not by moderator: call check before issuing one",
            ));
        };
        let deadline = self.one_call_deadline(Operation::IssueToken)?;
        if let JoinCheck::Banned { until, reason } =
            self.join_check_until(room, user, deadline).await?
        {
            return Ok(TokenDecision::Refused { until, reason });
        }
        let call = self
            .side_call(SideApi::Token, room, &limits, deadline, || {
                self.adapter.issue_token(room, user, options)
            })
            .await;
        call.result.map(TokenDecision::Issued)
    }
}
