//! What several of core's test files share.

use std::time::SystemTime;

use async_trait::async_trait;
use room_moderator_core::{BanEntry, BanScope, BanStore, Error, ErrorKind, UserId};

/// A ban store that cannot be reached: every call fails, naming no provider.
#[derive(Debug)]
pub struct Unreachable;

#[async_trait]
impl BanStore for Unreachable {
    async fn put(&self, _: &BanScope, _: &[BanEntry]) -> Result<(), Error> {
        Err(Error::new(
            ErrorKind::Unavailable,
            "the ban store at redis://bans cannot be reached",
        ))
    }
    async fn remove(&self, _: &BanScope, _: &[UserId], _: SystemTime) -> Result<Vec<bool>, Error> {
        Err(Error::new(ErrorKind::Unavailable, "unreachable"))
    }
    async fn get(
        &self,
        _: &BanScope,
        _: &UserId,
        _: SystemTime,
    ) -> Result<Option<BanEntry>, Error> {
        Err(Error::new(ErrorKind::Unavailable, "unreachable"))
    }
    async fn list(&self, _: &BanScope, _: SystemTime) -> Result<Vec<BanEntry>, Error> {
        Err(Error::new(ErrorKind::Unavailable, "unreachable"))
    }
    fn location(&self) -> String {
        "nowhere".to_owned()
    }
}
