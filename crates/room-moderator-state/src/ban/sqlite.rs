//! Bans in one SQLite file, shared by every process of one host.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use room_moderator_core::{BanEntry, BanScope, BanStore, Error, ErrorKind, UserId};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::{from_unix_nanos, unix_nanos};

/// The schema this build reads and writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bans (
    provider TEXT NOT NULL,
    account TEXT NOT NULL,
    room TEXT NOT NULL,
    user_id TEXT NOT NULL,
    reason TEXT,
    banned_by TEXT,
    banned_at_ns INTEGER NOT NULL,
    until_ns INTEGER,
    rule_until_ns INTEGER,
    PRIMARY KEY (provider, account, room, user_id)
) WITHOUT ROWID;
";

const COLUMNS: &str = "user_id, reason, banned_by, banned_at_ns, until_ns, rule_until_ns";

/// Bans in an SQLite file, safe to share between the processes of one host (a CLI run next to a
/// long-lived service): write-ahead logging, a busy timeout so that one process waits for another's
/// write instead of failing, and one transaction per `put` or `remove` (all or nothing).
///
/// The file and its parent directories are created on first use, not by [`new`](Self::new): a
/// process that never bans never touches the disk. Each call runs on Tokio's blocking pool and is
/// bounded by [`with_timeout`](Self::with_timeout) (default 10 s; the busy timeout is 5 s). A file
/// that cannot be created or opened answers [`ErrorKind::Unavailable`] naming the path, and is tried
/// again on the next call; a file that is not a ban store of a schema this build knows answers
/// [`ErrorKind::Protocol`].
///
/// ```
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// use std::time::{Duration, Instant, SystemTime};
/// use room_moderator_core::{BanEntry, BanScope, BanStore};
/// use room_moderator_state::SqliteBanStore;
/// let dir = std::env::temp_dir().join(format!("moderator-doc-{}", std::process::id()));
/// let store = SqliteBanStore::new(dir.join("bans.sqlite3"));
/// let scope = BanScope::new("zego-rtc", "1234567", "lobby");
/// let now = SystemTime::now();
/// let ban = BanEntry::new("troll", now).with_until(Some(now + Duration::from_secs(3600)));
/// store.put(&scope, &[ban]).await?;
/// assert!(store.get(&scope, &"troll".into(), now).await?.is_some());
/// assert_eq!(store.remove(&scope, &["troll".into()], now).await?, [true]);
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<_, room_moderator_core::Error>(()) }).unwrap();
/// ```
pub struct SqliteBanStore {
    path: PathBuf,
    connection: Arc<Mutex<Option<Connection>>>,
    busy_timeout: Duration,
    timeout: Duration,
}

impl SqliteBanStore {
    /// How long a call waits for another process's write before failing.
    pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
    /// How long one call may take in all.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A store in the file at `path`, opened (and created) on first use.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SqliteBanStore {
            path: path.into(),
            connection: Arc::new(Mutex::new(None)),
            busy_timeout: Self::DEFAULT_BUSY_TIMEOUT,
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// A store in the file at `path`, opened now: fails as the first call would if the file cannot be
    /// created or is not a ban store this build can read.
    pub async fn open(path: impl Into<PathBuf>) -> Result<Self, Error> {
        let store = SqliteBanStore::new(path);
        store.run(|_| Ok(())).await?;
        Ok(store)
    }

    /// Sets how long one call may take in all (including waiting for other processes). The busy
    /// timeout is half of it.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.busy_timeout = timeout / 2;
        self
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on the connection (opened first if needed) on the blocking pool, bounded by the
    /// timeout. SQLite answers "busy" without waiting in a few cases (another process creating the
    /// file or recovering its log): those are tried again until the busy timeout has passed.
    async fn run<T, F>(&self, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: Fn(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        let path = self.path.clone();
        let busy_timeout = self.busy_timeout;
        let task = tokio::task::spawn_blocking(move || {
            let mut slot = connection.lock().unwrap_or_else(|p| p.into_inner());
            let deadline = Instant::now() + busy_timeout;
            loop {
                let outcome = match slot.as_mut() {
                    Some(conn) => work(conn).map_err(Failure::Sql),
                    None => open_connection(&path, busy_timeout)
                        .and_then(|conn| work(slot.insert(conn)).map_err(Failure::Sql)),
                };
                let error = match outcome {
                    Ok(value) => return Ok(value),
                    Err(Failure::Sql(error)) if is_busy(&error) && Instant::now() < deadline => {
                        std::thread::sleep(BUSY_RETRY);
                        continue;
                    }
                    Err(Failure::Sql(error)) => store_error(&path, error),
                    Err(Failure::Store(error)) => error,
                };
                if error.kind() == ErrorKind::Unavailable {
                    // Opened again on the next call (the file may have been moved, the disk
                    // remounted).
                    *slot = None;
                }
                return Err(error);
            }
        });
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(unavailable(
                &self.path,
                &format!("the database call did not finish: {join}"),
            )),
            Err(_) => Err(unavailable(
                &self.path,
                &format!("no answer within {:?}", self.timeout),
            )),
        }
    }
}

/// How long to wait before trying again after SQLite said "busy" without waiting itself.
const BUSY_RETRY: Duration = Duration::from_millis(10);

/// Why a call failed: a database answer (maybe "busy", worth another try), or a store error.
enum Failure {
    Sql(rusqlite::Error),
    Store(Error),
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if matches!(failure.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl fmt::Debug for SqliteBanStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteBanStore")
            .field("path", &self.path)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn unavailable(path: &Path, why: &str) -> Error {
    Error::new(
        ErrorKind::Unavailable,
        format!("the ban store {} cannot be used: {why}", path.display()),
    )
}

/// A database error as a store error: unreadable data is `Protocol`, anything else (a locked, full,
/// read-only or missing file) `Unavailable`.
fn store_error(path: &Path, error: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    let corrupt = match &error {
        rusqlite::Error::SqliteFailure(failure, _) => matches!(
            failure.code,
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase
        ),
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::Utf8Error(..) => true,
        _ => false,
    };
    if corrupt {
        Error::new(
            ErrorKind::Protocol,
            format!(
                "the ban store {} holds unreadable data: {error}",
                path.display()
            ),
        )
    } else {
        unavailable(path, &error.to_string())
    }
}

fn open_connection(path: &Path, busy_timeout: Duration) -> Result<Connection, Failure> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            Failure::Store(unavailable(
                path,
                &format!("cannot create {}: {e}", parent.display()),
            ))
        })?;
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(Failure::Sql)?;
    conn.busy_timeout(busy_timeout).map_err(Failure::Sql)?;
    // Readers never wait for a writer, and a writer only for another writer.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(Failure::Sql)?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(path = %path.display(), %mode, "the ban store could not switch to write-ahead logging");
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(Failure::Sql)?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(Failure::Sql)?;
    match version {
        0 => {
            tx.execute_batch(SCHEMA).map_err(Failure::Sql)?;
            tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
                .map_err(Failure::Sql)?;
        }
        SCHEMA_VERSION => {}
        other => {
            return Err(Failure::Store(Error::new(
                ErrorKind::Protocol,
                format!(
                    "the ban store {} has schema version {other}, and this build knows only {SCHEMA_VERSION} (was it written by a newer moderator?)",
                    path.display()
                ),
            )));
        }
    }
    tx.commit().map_err(Failure::Sql)?;
    Ok(conn)
}

fn opt_nanos(time: Option<SystemTime>) -> Option<i64> {
    time.map(unix_nanos)
}

fn entry_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<BanEntry> {
    let user: String = row.get(0)?;
    let banned_at: i64 = row.get(3)?;
    let until: Option<i64> = row.get(4)?;
    let rule_until: Option<i64> = row.get(5)?;
    Ok(BanEntry::new(user, from_unix_nanos(banned_at))
        .with_reason(row.get(1)?)
        .with_by(row.get(2)?)
        .with_until(until.map(from_unix_nanos))
        .with_rule_until(rule_until.map(from_unix_nanos)))
}

#[async_trait]
impl BanStore for SqliteBanStore {
    async fn put(&self, scope: &BanScope, entries: &[BanEntry]) -> Result<(), Error> {
        if entries.is_empty() {
            return Ok(());
        }
        let scope = scope.clone();
        let entries = entries.to_vec();
        self.run(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut insert = tx
                    .prepare_cached(&format!(
                        "INSERT OR REPLACE INTO bans (provider, account, room, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                    ))?;
                for entry in &entries {
                    insert
                        .execute(params![
                            scope.provider(),
                            scope.account(),
                            scope.room().as_str(),
                            entry.user.as_str(),
                            entry.reason,
                            entry.by,
                            unix_nanos(entry.banned_at),
                            opt_nanos(entry.until),
                            opt_nanos(entry.rule_until),
                        ])?;
                }
            }
            // Dropped uncommitted on any error above: nothing of this put is kept.
            tx.commit()
        })
        .await
    }

    async fn remove(
        &self,
        scope: &BanScope,
        users: &[UserId],
        now: SystemTime,
    ) -> Result<Vec<bool>, Error> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let scope = scope.clone();
        let users = users.to_vec();
        let now = unix_nanos(now);
        self.run(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut lifted = Vec::with_capacity(users.len());
            {
                let mut delete = tx
                    .prepare_cached(
                        "DELETE FROM bans WHERE provider = ?1 AND account = ?2 AND room = ?3 AND user_id = ?4 RETURNING until_ns",
                    )?;
                for user in &users {
                    let until: Option<Option<i64>> = delete
                        .query_row(
                            params![
                                scope.provider(),
                                scope.account(),
                                scope.room().as_str(),
                                user.as_str()
                            ],
                            |row| row.get(0),
                        )
                        .optional()?;
                    lifted.push(match until {
                        None => false,
                        Some(None) => true,
                        Some(Some(until)) => until > now,
                    });
                }
            }
            tx.commit()?;
            Ok(lifted)
        })
        .await
    }

    async fn get(
        &self,
        scope: &BanScope,
        user: &UserId,
        now: SystemTime,
    ) -> Result<Option<BanEntry>, Error> {
        let scope = scope.clone();
        let user = user.clone();
        let now = unix_nanos(now);
        self.run(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM bans WHERE provider = ?1 AND account = ?2 AND room = ?3 AND user_id = ?4 AND (until_ns IS NULL OR until_ns > ?5)"
            ))
            .and_then(|mut select| {
                select
                    .query_row(
                        params![
                            scope.provider(),
                            scope.account(),
                            scope.room().as_str(),
                            user.as_str(),
                            now
                        ],
                        entry_from_row,
                    )
                    .optional()
            })
        })
        .await
    }

    async fn list(&self, scope: &BanScope, now: SystemTime) -> Result<Vec<BanEntry>, Error> {
        let scope = scope.clone();
        let now = unix_nanos(now);
        self.run(move |conn| {
            let expired: i64 = conn
                .prepare_cached(
                    "SELECT count(*) FROM bans WHERE provider = ?1 AND account = ?2 AND room = ?3 AND until_ns <= ?4",
                )
                .and_then(|mut count| {
                    count.query_row(
                        params![scope.provider(), scope.account(), scope.room().as_str(), now],
                        |row| row.get(0),
                    )
                })?;
            if expired > 0 {
                // Expired bans never count; dropping them keeps the file from growing with old bans.
                conn.prepare_cached(
                    "DELETE FROM bans WHERE provider = ?1 AND account = ?2 AND room = ?3 AND until_ns <= ?4",
                )
                .and_then(|mut delete| {
                    delete.execute(params![
                        scope.provider(),
                        scope.account(),
                        scope.room().as_str(),
                        now
                    ])
                })?;
            }
            let mut select = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM bans WHERE provider = ?1 AND account = ?2 AND room = ?3 AND (until_ns IS NULL OR until_ns > ?4) ORDER BY user_id"
                ))?;
            let rows = select
                .query_map(
                    params![scope.provider(), scope.account(), scope.room().as_str(), now],
                    entry_from_row,
                )?;
            rows.collect::<Result<Vec<_>, _>>()
        })
        .await
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }
}
