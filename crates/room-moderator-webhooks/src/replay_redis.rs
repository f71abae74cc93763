//! The replay cache in Redis, shared by every instance of the receiver: `SET key 1 NX EX ttl`.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use room_moderator_core::{Error, ErrorKind};
use tokio::sync::OnceCell;

use crate::ReplayCache;

/// Where the keys live: `<prefix><provider>:<delivery id>`.
pub const REDIS_KEY_PREFIX: &str = "moderator:webhooks:seen:";

/// The longest one Redis round trip (or connection attempt) may take.
const TIMEOUT: Duration = Duration::from_secs(2);

/// A replay cache several instances share through one Redis. When Redis cannot be reached the
/// receiver answers 503, so the provider retries rather than the delivery being acted on twice or
/// lost.
pub struct RedisReplayCache {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    location: String,
}

impl RedisReplayCache {
    /// Checks the URL (`redis://[user:password@]host[:port][/db]`); nothing is sent until first use.
    pub fn open(url: &str) -> Result<Self, Error> {
        // The URL may hold a password: the error never repeats it.
        let client = redis::Client::open(url).map_err(|_| {
            Error::config(
                "the Redis URL is not valid; expected redis://[user:password@]host[:port][/db]",
            )
        })?;
        let info = client.get_connection_info();
        let location = format!("redis://{}/{}", info.addr(), info.redis_settings().db());
        Ok(RedisReplayCache {
            client,
            connection: OnceCell::new(),
            location,
        })
    }

    async fn connection(&self) -> Result<ConnectionManager, Error> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1);
        let connect = ConnectionManager::new_with_config(self.client.clone(), config);
        self.connection
            .get_or_try_init(|| async {
                tokio::time::timeout(TIMEOUT, connect)
                    .await
                    .map_err(|_| unavailable("connecting timed out"))?
                    .map_err(|error| unavailable(&error.to_string()))
            })
            .await
            .cloned()
    }

    async fn run<T: redis::FromRedisValue>(&self, command: redis::Cmd) -> Result<T, Error> {
        let mut connection = self.connection().await?;
        tokio::time::timeout(TIMEOUT, command.query_async(&mut connection))
            .await
            .map_err(|_| unavailable("no answer in time"))?
            .map_err(|error| unavailable(&error.to_string()))
    }
}

fn unavailable(why: &str) -> Error {
    Error::new(
        ErrorKind::Unavailable,
        format!("the replay cache's Redis is unavailable: {why}"),
    )
}

impl fmt::Debug for RedisReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayCache")
            .field("location", &self.location)
            .finish()
    }
}

#[async_trait]
impl ReplayCache for RedisReplayCache {
    async fn first_sight(&self, key: &str, ttl: Duration) -> Result<bool, Error> {
        let mut command = redis::cmd("SET");
        command
            .arg(format!("{REDIS_KEY_PREFIX}{key}"))
            .arg(1)
            .arg("NX")
            .arg("EX")
            .arg(ttl.as_secs().max(1));
        let answer: Option<String> = self.run(command).await?;
        Ok(answer.is_some())
    }

    async fn forget(&self, key: &str) -> Result<(), Error> {
        let mut command = redis::cmd("DEL");
        command.arg(format!("{REDIS_KEY_PREFIX}{key}"));
        self.run::<i64>(command).await.map(drop)
    }
}
