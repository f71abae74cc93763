//! The adapter: one Twirp JSON call per identity to remove, one to list.

use async_trait::async_trait;
use room_moderator_core::toolkit::http::HttpClient;
use room_moderator_core::{
    Adapter, Batch, BatchResult, Capabilities, Error, MemberPage, Outcome, QuotaKey, RoomId, Token,
    TokenOptions, UserId,
};
use serde::Serialize;
use url::Url;

use crate::PROVIDER;
use crate::token::Signer;
use crate::twirp::{self, MemberKinds};

/// The LiveKit adapter. Build it with [`LiveKitBuilder`](crate::LiveKitBuilder); `Debug` never shows
/// the secret.
#[derive(Debug)]
pub struct LiveKit {
    http: HttpClient,
    signer: Signer,
    project: String,
    caps: Capabilities,
    member_kinds: MemberKinds,
}

impl LiveKit {
    pub(crate) fn new(
        http: HttpClient,
        signer: Signer,
        project: String,
        caps: Capabilities,
        member_kinds: MemberKinds,
    ) -> Self {
        LiveKit {
            http,
            signer,
            project,
            caps,
            member_kinds,
        }
    }

    /// The project's HTTP base URL (`wss://` made `https://`).
    pub fn endpoint(&self) -> &Url {
        self.http.endpoint()
    }

    /// The pace in requests a minute, every method together (`None`: unpaced).
    pub fn requests_per_minute(&self) -> Option<u32> {
        self.caps.requests_per_minute.map(|r| r.get())
    }

    /// Sends one RoomService call for `room` with its admin token.
    async fn call(
        &self,
        method: &'static str,
        room: &RoomId,
        body: &impl Serialize,
    ) -> Result<room_moderator_core::toolkit::http::HttpAnswer, Error> {
        let token = self.signer.admin_token(room.as_str())?;
        let url = self.http.url(twirp::path(method))?;
        self.http
            .send(self.http.post(url).bearer_auth(token).json(body))
            .await
    }
}

#[async_trait]
impl Adapter for LiveKit {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    /// One quota per project, shared by every method (Cloud counts them together).
    fn quota_key(&self) -> Option<QuotaKey> {
        Some(QuotaKey::new(PROVIDER, self.project.clone(), "server-api"))
    }

    /// The project host: bans are kept per project and room.
    fn account(&self) -> String {
        self.project.clone()
    }

    async fn send_batch(&self, batch: Batch<'_>) -> BatchResult {
        // One identity a call (Capabilities::new(1)); a longer batch would be an engine bug, and
        // each user still gets its own call.
        let mut outcomes = Vec::with_capacity(batch.users.len());
        for user in batch.users {
            let body = twirp::RoomParticipantIdentity {
                room: batch.room.as_str(),
                identity: user.as_str(),
            };
            let answer = match self.call("RemoveParticipant", batch.room, &body).await {
                Ok(answer) => answer,
                Err(error) => return BatchResult::Whole(error),
            };
            if answer.is_success() {
                match twirp::expect_object(&answer) {
                    Ok(()) => outcomes.push(Outcome::Disconnected),
                    Err(error) => return BatchResult::Whole(error),
                }
                continue;
            }
            match twirp::failure(&answer) {
                // Absent (or an unknown room, which holds nobody): gone already, never retried.
                (_, Some(code)) if code == "not_found" => outcomes.push(Outcome::NotInRoom),
                (error, _) => return BatchResult::Whole(error),
            }
        }
        BatchResult::PerUser(outcomes)
    }

    async fn members_page(
        &self,
        room: &RoomId,
        _cursor: Option<&str>,
    ) -> Result<MemberPage, Error> {
        let body = twirp::ListParticipantsRequest {
            room: room.as_str(),
        };
        let answer = self.call("ListParticipants", room, &body).await?;
        if answer.is_success() {
            let members = twirp::members(&answer, &self.member_kinds)?;
            return Ok(MemberPage::new(members, None));
        }
        match twirp::failure(&answer) {
            // livekit-server lists an unknown room as empty; if a server says not_found instead
            // (Cloud: UNVERIFIED), the room holds nobody either way.
            (_, Some(code)) if code == "not_found" => Ok(MemberPage::new(Vec::new(), None)),
            (error, _) => Err(error),
        }
    }

    async fn issue_token(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<Token, Error> {
        self.signer.join_token(room, user, options)
    }
}
