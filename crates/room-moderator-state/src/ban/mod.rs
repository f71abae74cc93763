//! Ban stores on real storage, and choosing one from a URL.

#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use room_moderator_core::{BanEntry, BanScope, BanStore, Error, MemoryBanStore, UserId};

#[cfg(feature = "redis")]
pub use self::redis::RedisBanStore;
#[cfg(feature = "sqlite")]
pub use self::sqlite::SqliteBanStore;

/// The ban store URL forms [`open_ban_store`] accepts, for messages.
const EXPECTED: &str = "expected sqlite:///absolute/path, a file path, redis://[user:password@]host[:port][/db], rediss://..., or memory:";

/// Opens the ban store named by `url`; `None` is the default file (see
/// [`default_ban_store_path`]).
///
/// | `url` | store |
/// |---|---|
/// | `None` | [`SqliteBanStore`] at `<data dir>/moderator/bans.sqlite3` (feature `sqlite`) |
/// | `sqlite:///abs/path`, or a plain path such as `/var/lib/app/bans.db` or `bans.db` | [`SqliteBanStore`] at that file (feature `sqlite`) |
/// | `redis://[user:password@]host[:port][/db]`, `rediss://…` | [`RedisBanStore`] (feature `redis`) |
/// | `memory:` | [`MemoryBanStore`]: this process only, lost when it exits |
///
/// Nothing is read, written or connected here: the file is created and Redis is reached on first
/// use, so a process that never bans never touches either. A URL that cannot name a store (or names
/// one whose feature is not compiled in) is
/// [`ErrorKind::Config`](room_moderator_core::ErrorKind::Config), without echoing the URL (it may
/// hold a password); no data directory for the default file is
/// [`ErrorKind::Unavailable`](room_moderator_core::ErrorKind::Unavailable).
///
/// ```
/// use room_moderator_state::open_ban_store;
/// let store = open_ban_store(Some("memory:"))?;
/// assert_eq!(store.location(), "process memory");
/// let err = open_ban_store(Some("ftp://example.com/bans")).unwrap_err();
/// assert_eq!(err.kind(), room_moderator_core::ErrorKind::Config);
/// # Ok::<_, room_moderator_core::Error>(())
/// ```
pub fn open_ban_store(url: Option<&str>) -> Result<Arc<dyn BanStore>, Error> {
    let Some(url) = url else {
        return default_store();
    };
    let url = url.trim();
    if url.is_empty() {
        return Err(Error::config(format!(
            "the ban store URL is empty; {EXPECTED}"
        )));
    }
    let lower = url.to_ascii_lowercase();
    if lower == "memory:" || lower == "memory://" {
        return Ok(Arc::new(MemoryBanStore::new()));
    }
    if lower.starts_with("redis://") || lower.starts_with("rediss://") {
        return redis_store(url);
    }
    if let Some(rest) = strip_prefix_ignore_case(url, "sqlite:") {
        let Some(path) = rest.strip_prefix("//") else {
            return Err(Error::config(format!(
                "a sqlite: ban store URL needs an absolute path, as sqlite:///var/lib/app/bans.sqlite3; {EXPECTED}"
            )));
        };
        if !std::path::Path::new(path).is_absolute() {
            return Err(Error::config(format!(
                "a sqlite:// ban store URL needs an absolute path after the two slashes (sqlite:///var/lib/app/bans.sqlite3); for a relative path give the path alone; {EXPECTED}"
            )));
        }
        return sqlite_store(path);
    }
    if let Some((scheme, _)) = url.split_once("://") {
        // Only the scheme is named: the rest may hold a password.
        let scheme: String = scheme.chars().take(20).collect();
        return Err(Error::config(format!(
            "unknown ban store URL scheme {scheme:?}; {EXPECTED}"
        )));
    }
    sqlite_store(url)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Where the default ban store lives: `<data dir>/moderator/bans.sqlite3`, the data directory being
/// `$XDG_DATA_HOME` or `~/.local/share` on Linux, `~/Library/Application Support` on macOS and
/// `%APPDATA%` on Windows. `None` when the platform names no data directory (no home directory).
#[cfg(feature = "sqlite")]
pub fn default_ban_store_path() -> Option<std::path::PathBuf> {
    dirs::data_dir().map(|dir| dir.join("moderator").join("bans.sqlite3"))
}

#[cfg(feature = "sqlite")]
fn default_store() -> Result<Arc<dyn BanStore>, Error> {
    let path = default_ban_store_path().ok_or_else(|| {
        Error::new(
            room_moderator_core::ErrorKind::Unavailable,
            "no data directory for the default ban store (no home directory); set a ban store path or URL",
        )
    })?;
    Ok(Arc::new(SqliteBanStore::new(path)))
}

#[cfg(not(feature = "sqlite"))]
fn default_store() -> Result<Arc<dyn BanStore>, Error> {
    Err(Error::config(
        "the default ban store (an SQLite file) is not compiled in (feature `sqlite`); set a ban store URL",
    ))
}

#[cfg(feature = "sqlite")]
fn sqlite_store(path: &str) -> Result<Arc<dyn BanStore>, Error> {
    Ok(Arc::new(SqliteBanStore::new(path)))
}

#[cfg(not(feature = "sqlite"))]
fn sqlite_store(_path: &str) -> Result<Arc<dyn BanStore>, Error> {
    Err(Error::config(
        "a file ban store needs the `sqlite` feature, which is not compiled in",
    ))
}

#[cfg(feature = "redis")]
fn redis_store(url: &str) -> Result<Arc<dyn BanStore>, Error> {
    Ok(Arc::new(RedisBanStore::connect(url)?))
}

#[cfg(not(feature = "redis"))]
fn redis_store(_url: &str) -> Result<Arc<dyn BanStore>, Error> {
    Err(Error::config(
        "a Redis ban store needs the `redis` feature, which is not compiled in",
    ))
}

/// A ban store that could not be opened: every call answers the error it was made with (usually
/// [`ErrorKind::Unavailable`](room_moderator_core::ErrorKind::Unavailable)), so that an application
/// that only kicks still starts, and one that bans learns why it cannot.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::time::SystemTime;
/// use room_moderator_core::{BanScope, BanStore, Error, ErrorKind};
/// use room_moderator_state::UnavailableBanStore;
/// let store = UnavailableBanStore::new(Error::new(ErrorKind::Unavailable, "no home directory"));
/// let scope = BanScope::new("mock", "account", "lobby");
/// let err = store.list(&scope, SystemTime::now()).await.unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Unavailable);
/// # })
/// ```
#[derive(Clone)]
pub struct UnavailableBanStore {
    error: Error,
}

impl UnavailableBanStore {
    /// A store answering `error` to every call.
    pub fn new(error: Error) -> Self {
        UnavailableBanStore { error }
    }

    /// The error every call answers.
    pub fn error(&self) -> &Error {
        &self.error
    }
}

impl fmt::Debug for UnavailableBanStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnavailableBanStore")
            .field("error", &self.error.to_string())
            .finish()
    }
}

#[async_trait]
impl BanStore for UnavailableBanStore {
    async fn put(&self, _scope: &BanScope, _entries: &[BanEntry]) -> Result<(), Error> {
        Err(self.error.clone())
    }

    async fn remove(
        &self,
        _scope: &BanScope,
        _users: &[UserId],
        _now: SystemTime,
    ) -> Result<Vec<bool>, Error> {
        Err(self.error.clone())
    }

    async fn get(
        &self,
        _scope: &BanScope,
        _user: &UserId,
        _now: SystemTime,
    ) -> Result<Option<BanEntry>, Error> {
        Err(self.error.clone())
    }

    async fn list(&self, _scope: &BanScope, _now: SystemTime) -> Result<Vec<BanEntry>, Error> {
        Err(self.error.clone())
    }

    fn location(&self) -> String {
        format!("unavailable ({})", self.error.message())
    }
}

/// A point in time as signed Unix nanoseconds (exact for SystemTime on Unix; saturating about 292
/// years either side of 1970).
#[cfg_attr(not(any(feature = "sqlite", feature = "redis")), allow(dead_code))]
pub(crate) fn unix_nanos(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_nanos())
            .map(|nanos| -nanos)
            .unwrap_or(i64::MIN),
    }
}

/// The inverse of [`unix_nanos`].
#[cfg_attr(not(any(feature = "sqlite", feature = "redis")), allow(dead_code))]
pub(crate) fn from_unix_nanos(nanos: i64) -> SystemTime {
    let magnitude = Duration::from_nanos(nanos.unsigned_abs());
    if nanos >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use room_moderator_core::ErrorKind;

    #[test]
    fn nanos_round_trip() {
        let now = SystemTime::now();
        assert_eq!(from_unix_nanos(unix_nanos(now)), now);
        let before = UNIX_EPOCH - Duration::from_nanos(1_500);
        assert_eq!(unix_nanos(before), -1_500);
        assert_eq!(from_unix_nanos(-1_500), before);
    }

    #[test]
    fn urls_that_name_no_store_are_config_errors_without_the_url() {
        for url in [
            "",
            "  ",
            "sqlite:relative.db",
            "sqlite://relative.db",
            "postgres://admin:hunter2@db/bans",
        ] {
            let err = open_ban_store(Some(url)).expect_err(url);
            assert_eq!(err.kind(), ErrorKind::Config, "{url}");
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn memory_urls() {
        for url in ["memory:", "MEMORY:", "memory://"] {
            let store = open_ban_store(Some(url)).expect(url);
            assert_eq!(store.location(), "process memory");
        }
    }
}
