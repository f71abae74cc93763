//! One Redis connection, as the pacer and the ban store both use it: the URL checked up front, one
//! multiplexed connection made on first use (and again after a failure), and every wait bounded.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ConnectionAddr, RedisError};
use room_moderator_core::Error;
use tokio::sync::OnceCell;

/// A Redis client and its lazily made connection.
pub(crate) struct RedisLink {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    timeout: Duration,
}

impl RedisLink {
    /// Checks `url` (nothing is sent); connections wait at most `timeout` for Redis.
    pub(crate) fn open(url: &str, timeout: Duration) -> Result<Self, Error> {
        // The URL may hold a password: the error says what is expected, not what was given.
        let client = redis::Client::open(url).map_err(|_| {
            if url.trim_start().to_ascii_lowercase().starts_with("rediss:") {
                Error::config(
                    "the Redis URL is not valid, or rediss:// (TLS) is not compiled into this build; expected redis://[user:password@]host[:port][/db]",
                )
            } else {
                Error::config(
                    "the Redis URL is not valid; expected redis://[user:password@]host[:port][/db] (or rediss:// for TLS)",
                )
            }
        })?;
        Ok(RedisLink {
            client,
            connection: OnceCell::new(),
            timeout,
        })
    }

    /// The longest one round trip or connection attempt may take.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sets the timeout (for connections made after this call).
    pub(crate) fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The connection, made now if there is none yet (bounded by the timeout).
    pub(crate) async fn connection(&self) -> Result<ConnectionManager, RedisError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1);
        self.connection
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), config))
            .await
            .cloned()
    }

    /// `redis://host:port/db` (`rediss://` with TLS, `redis+unix://path` for a socket): never the
    /// user name or password.
    pub(crate) fn location(&self) -> String {
        let info = self.client.get_connection_info();
        let db = info.redis_settings().db();
        match info.addr() {
            ConnectionAddr::Tcp(host, port) => format!("redis://{host}:{port}/{db}"),
            ConnectionAddr::TcpTls { host, port, .. } => format!("rediss://{host}:{port}/{db}"),
            ConnectionAddr::Unix(path) => format!("redis+unix://{}", path.display()),
            // Newer address kinds: the Display form holds no credentials either.
            other => format!("redis://{other}/{db}"),
        }
    }
}
