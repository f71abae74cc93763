//! Bans through the engine: the store first, native rules where the provider has them, the kick,
//! the join gate and token issuing.

use super::Engine;
use crate::{
    Adapter, BanEntry, BanReport, BanRequest, Error, ErrorKind, JoinCheck, RoomId, TokenDecision,
    TokenOptions, UnbanReport, UserId,
};

fn todo_error() -> Error {
    Error::new(ErrorKind::Unsupported, "bans are being built")
}

impl<A: Adapter> Engine<A> {
    pub(crate) async fn ban_users(&self, request: &BanRequest) -> Result<BanReport, Error> {
        let _ = request;
        Err(todo_error())
    }

    pub(crate) async fn unban_users(
        &self,
        room: &RoomId,
        users: &[UserId],
    ) -> Result<UnbanReport, Error> {
        let _ = (room, users);
        Err(todo_error())
    }

    pub(crate) async fn list_bans(&self, room: &RoomId) -> Result<Vec<BanEntry>, Error> {
        let _ = room;
        Err(todo_error())
    }

    pub(crate) async fn join_check(
        &self,
        room: &RoomId,
        user: &UserId,
    ) -> Result<JoinCheck, Error> {
        let _ = (room, user);
        Err(todo_error())
    }

    pub(crate) async fn token_for(
        &self,
        room: &RoomId,
        user: &UserId,
        options: &TokenOptions,
    ) -> Result<TokenDecision, Error> {
        let _ = (room, user, options);
        Err(todo_error())
    }
}
