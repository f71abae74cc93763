//! One behaviour suite for every ban store (process memory, the SQLite file, Redis), then what only
//! a shared store has to show: several instances on one file or one Redis, atomic writes, unreadable
//! data, and a store that cannot be reached.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use room_moderator_core::{BanEntry, BanScope, BanStore, ErrorKind, MemoryBanStore, UserId};

/// A fixed moment with nanoseconds, so that stores must keep times exactly.
fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn users(list: &[&str]) -> Vec<UserId> {
    list.iter().copied().map(UserId::from).collect()
}

fn names(entries: &[BanEntry]) -> Vec<&str> {
    entries.iter().map(|entry| entry.user.as_str()).collect()
}

/// The behaviour every [`BanStore`] shares, on an empty store.
async fn conformance(store: &dyn BanStore) {
    let t0 = t0();
    let lobby = BanScope::new("zego-rtc", "1234567", "lobby");
    assert!(!store.location().is_empty());

    // Empty.
    assert_eq!(store.list(&lobby, t0).await.expect("list"), []);
    assert_eq!(
        store.get(&lobby, &"alice".into(), t0).await.expect("get"),
        None
    );
    assert_eq!(
        store
            .remove(&lobby, &users(&["alice"]), t0)
            .await
            .expect("remove"),
        [false]
    );
    store.put(&lobby, &[]).await.expect("an empty put");
    assert_eq!(
        store
            .remove(&lobby, &[], t0)
            .await
            .expect("an empty remove"),
        Vec::<bool>::new()
    );

    // Put, get and list, with times kept to the nanosecond and reasons in any script, with ':'.
    let alice = BanEntry::new("alice", t0)
        .with_reason(Some("spam: 広告 🚫 «café»\nline two".to_owned()))
        .with_by(Some("moderator:ops/1".to_owned()));
    let bob = BanEntry::new("bob", t0)
        .with_until(Some(t0 + secs(60)))
        .with_rule_until(Some(t0 + secs(30)));
    let carol =
        BanEntry::new("carol", t0 + Duration::from_nanos(1)).with_until(Some(t0 + secs(10)));
    store
        .put(&lobby, &[carol.clone(), alice.clone(), bob.clone()])
        .await
        .expect("put");
    assert_eq!(
        store.get(&lobby, &"alice".into(), t0).await.expect("get"),
        Some(alice.clone())
    );
    assert_eq!(
        store.get(&lobby, &"bob".into(), t0).await.expect("get"),
        Some(bob.clone())
    );
    assert_eq!(
        store.list(&lobby, t0).await.expect("list"),
        [alice.clone(), bob.clone(), carol.clone()],
        "ordered by user id"
    );

    // Expiry at the given `now`: a ban ending at `now` no longer holds.
    let carol_until = t0 + secs(10);
    assert_eq!(
        store
            .get(
                &lobby,
                &"carol".into(),
                carol_until - Duration::from_nanos(1)
            )
            .await
            .expect("get"),
        Some(carol.clone())
    );
    assert_eq!(
        store
            .get(&lobby, &"carol".into(), carol_until)
            .await
            .expect("get"),
        None
    );
    assert_eq!(
        names(&store.list(&lobby, carol_until).await.expect("list")),
        ["alice", "bob"]
    );
    assert_eq!(
        names(&store.list(&lobby, t0 + secs(3600)).await.expect("list")),
        ["alice"]
    );

    // Scopes never meet: another provider, account or room, nor parts that differ only by where a
    // ':' falls.
    for other in [
        BanScope::new("zego-zim", "1234567", "lobby"),
        BanScope::new("zego-rtc", "7654321", "lobby"),
        BanScope::new("zego-rtc", "1234567", "lobby-2"),
        BanScope::new("zego-rtc:1234567", "", "lobby"),
        BanScope::new("zego-rtc", "1234567:lobby", ""),
    ] {
        assert_eq!(store.list(&other, t0).await.expect("list"), [], "{other}");
        assert_eq!(
            store.get(&other, &"alice".into(), t0).await.expect("get"),
            None,
            "{other}"
        );
    }
    let colon_a = BanScope::new("ivschat", "a:b", "c");
    let colon_b = BanScope::new("ivschat", "a", "b:c");
    let colon_c = BanScope::new("ivschat", "a%3Ab", "c");
    store
        .put(&colon_a, &[BanEntry::new("dave", t0)])
        .await
        .expect("put");
    assert_eq!(
        names(&store.list(&colon_a, t0).await.expect("list")),
        ["dave"]
    );
    assert_eq!(store.list(&colon_b, t0).await.expect("list"), []);
    assert_eq!(store.list(&colon_c, t0).await.expect("list"), []);
    let elsewhere = BanScope::new("zego-rtc", "1234567", "lobby-2");
    store
        .put(
            &elsewhere,
            &[BanEntry::new("alice", t0).with_reason(Some("elsewhere".to_owned()))],
        )
        .await
        .expect("put");
    assert_eq!(
        store.get(&lobby, &"alice".into(), t0).await.expect("get"),
        Some(alice.clone())
    );

    // A put replaces; within one put the last entry for a user wins.
    let alice_again = BanEntry::new("alice", t0 + secs(1)).with_reason(Some("again".to_owned()));
    let erin_first = BanEntry::new("erin", t0).with_reason(Some("first".to_owned()));
    let erin_last = BanEntry::new("erin", t0).with_reason(Some("last".to_owned()));
    store
        .put(
            &lobby,
            &[alice_again.clone(), erin_first, erin_last.clone()],
        )
        .await
        .expect("put");
    assert_eq!(
        store.get(&lobby, &"alice".into(), t0).await.expect("get"),
        Some(alice_again)
    );
    assert_eq!(
        store.get(&lobby, &"erin".into(), t0).await.expect("get"),
        Some(erin_last)
    );

    // Remove: one answer per user, in order; true only where an active ban was lifted.
    store
        .put(
            &lobby,
            &[
                BanEntry::new("frank", t0).with_until(Some(t0 + secs(5))),
                bob.clone(),
            ],
        )
        .await
        .expect("put");
    let lifted = store
        .remove(
            &lobby,
            &users(&["alice", "frank", "nobody", "bob", "alice"]),
            t0 + secs(6),
        )
        .await
        .expect("remove");
    assert_eq!(lifted, [true, false, false, true, false]);
    assert_eq!(
        store.get(&lobby, &"alice".into(), t0).await.expect("get"),
        None
    );
    assert_eq!(
        store.get(&lobby, &"frank".into(), t0).await.expect("get"),
        None,
        "removed, not only expired"
    );
    assert_eq!(
        names(&store.list(&lobby, t0).await.expect("list")),
        ["erin"]
    );
    // The other scopes kept theirs.
    assert_eq!(
        names(&store.list(&elsewhere, t0).await.expect("list")),
        ["alice"]
    );
    assert_eq!(
        names(&store.list(&colon_a, t0).await.expect("list")),
        ["dave"]
    );

    // Many users in one put, all visible together.
    let many: Vec<BanEntry> = (0..200)
        .map(|i| BanEntry::new(format!("user-{i:03}"), t0))
        .collect();
    let crowd = BanScope::new("enablex", "app", "crowd");
    store.put(&crowd, &many).await.expect("put");
    assert_eq!(store.list(&crowd, t0).await.expect("list"), many);
}

#[tokio::test]
async fn memory_store_conforms() {
    conformance(&MemoryBanStore::new()).await;
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use room_moderator_state::{SqliteBanStore, open_ban_store};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_store_conforms() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("nested").join("dirs").join("bans.sqlite3");
        let store = SqliteBanStore::new(&path);
        assert!(!path.exists(), "nothing is created before the first call");
        conformance(&store).await;
        assert!(path.exists());
        assert_eq!(store.location(), path.display().to_string());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_url_forms_open_the_same_file() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("bans.sqlite3");
        let url = format!("sqlite://{}", path.display());
        let by_url = open_ban_store(Some(&url)).expect("a sqlite URL");
        let by_path = open_ban_store(Some(&path.display().to_string())).expect("a path");
        let scope = BanScope::new("mock", "account", "lobby");
        by_url
            .put(&scope, &[BanEntry::new("troll", t0())])
            .await
            .expect("put");
        assert!(
            by_path
                .get(&scope, &"troll".into(), t0())
                .await
                .expect("get")
                .is_some()
        );
        assert_eq!(by_url.location(), path.display().to_string());
    }

    /// Two instances on one file, as two processes of one host: each sees the other's bans, and
    /// writes from both at once all succeed (the busy timeout makes them wait, not fail).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_instances_on_one_file_share_bans_and_write_at_once() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("bans.sqlite3");
        let first = Arc::new(SqliteBanStore::new(&path));
        let second = Arc::new(SqliteBanStore::new(&path));
        let scope = BanScope::new("ivschat", "123456789012/us-east-1", "room");

        first
            .put(&scope, &[BanEntry::new("from-first", t0())])
            .await
            .expect("put");
        assert!(
            second
                .get(&scope, &"from-first".into(), t0())
                .await
                .expect("get")
                .is_some()
        );
        second
            .put(&scope, &[BanEntry::new("from-second", t0())])
            .await
            .expect("put");
        assert_eq!(
            names(&first.list(&scope, t0()).await.expect("list")),
            ["from-first", "from-second"]
        );
        assert_eq!(
            second
                .remove(&scope, &users(&["from-first"]), t0())
                .await
                .expect("remove"),
            [true]
        );
        assert_eq!(
            first
                .remove(&scope, &users(&["from-first"]), t0())
                .await
                .expect("remove"),
            [false]
        );

        let writes = (0..40).map(|i| {
            let store = if i % 2 == 0 {
                Arc::clone(&first)
            } else {
                Arc::clone(&second)
            };
            let scope = scope.clone();
            tokio::spawn(async move {
                let batch: Vec<BanEntry> = (0..5)
                    .map(|j| BanEntry::new(format!("w{i:02}-{j}"), t0()))
                    .collect();
                store.put(&scope, &batch).await
            })
        });
        for write in futures::future::join_all(writes).await {
            write
                .expect("the task ran")
                .expect("every concurrent put succeeds");
        }
        assert_eq!(
            first.list(&scope, t0()).await.expect("list").len(),
            1 + 40 * 5
        );
        assert_eq!(
            second.list(&scope, t0()).await.expect("list").len(),
            1 + 40 * 5
        );
    }

    /// This test binary again, as a second process writing to the same file while this one does.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn another_process_on_the_same_file() {
        if let Ok(path) = std::env::var("MODERATOR_TEST_BAN_CHILD") {
            // The child: write 50 bans one put at a time.
            let store = SqliteBanStore::new(path);
            let scope = BanScope::new("mock", "account", "shared");
            for i in 0..50 {
                store
                    .put(&scope, &[BanEntry::new(format!("child-{i:02}"), t0())])
                    .await
                    .expect("the child's put");
            }
            return;
        }
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("bans.sqlite3");
        let exe = std::env::current_exe().expect("the test binary");
        let child = tokio::process::Command::new(exe)
            .args([
                "--exact",
                "sqlite::another_process_on_the_same_file",
                "--test-threads",
                "1",
            ])
            .env("MODERATOR_TEST_BAN_CHILD", &path)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the child starts");
        let store = SqliteBanStore::new(&path);
        let scope = BanScope::new("mock", "account", "shared");
        for i in 0..50 {
            store
                .put(&scope, &[BanEntry::new(format!("parent-{i:02}"), t0())])
                .await
                .expect("the parent's put");
        }
        let status = child
            .wait_with_output()
            .await
            .expect("the child ends")
            .status;
        assert!(status.success(), "the child failed: {status}");
        let all = store.list(&scope, t0()).await.expect("list");
        assert_eq!(all.len(), 100, "{:?}", names(&all));
    }

    /// A put that fails part-way keeps nothing (a trigger refuses one user of the batch).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_put_keeps_nothing() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("bans.sqlite3");
        let store = SqliteBanStore::open(&path).await.expect("opens");
        let raw = rusqlite::Connection::open(&path).expect("raw connection");
        raw.execute_batch(
            "CREATE TRIGGER poison BEFORE INSERT ON bans WHEN NEW.user_id = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END;",
        )
        .expect("trigger");
        drop(raw);
        let scope = BanScope::new("mock", "account", "lobby");
        let batch = [
            BanEntry::new("first", t0()),
            BanEntry::new("poison", t0()),
            BanEntry::new("last", t0()),
        ];
        store
            .put(&scope, &batch)
            .await
            .expect_err("the trigger refuses");
        assert_eq!(store.list(&scope, t0()).await.expect("list"), []);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unknown_schema_version_is_a_clear_protocol_error() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("bans.sqlite3");
        let raw = rusqlite::Connection::open(&path).expect("raw connection");
        raw.execute_batch("PRAGMA user_version = 99")
            .expect("version");
        drop(raw);
        let err = SqliteBanStore::open(&path).await.expect_err("version 99");
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(err.message().contains("schema version 99"), "{err}");
        assert!(err.message().contains(&path.display().to_string()), "{err}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_file_that_is_not_a_database_is_a_protocol_error() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("bans.sqlite3");
        std::fs::write(&path, vec![b'x'; 4096]).expect("garbage");
        let store = SqliteBanStore::new(&path);
        let err = store
            .list(&BanScope::new("mock", "a", "r"), t0())
            .await
            .expect_err("garbage");
        assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    }

    /// A path that cannot be created (its "directory" is a file; root ignores permissions, not
    /// this) answers Unavailable naming it, on every call, without failing construction.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unusable_path_is_unavailable_when_used() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"not a directory").expect("file");
        let path = file.join("bans.sqlite3");
        let store = open_ban_store(Some(&path.display().to_string())).expect("opening is lazy");
        let scope = BanScope::new("mock", "a", "r");
        for _ in 0..2 {
            let err = store
                .put(&scope, &[BanEntry::new("u", t0())])
                .await
                .expect_err("unusable");
            assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
            assert!(err.message().contains(&path.display().to_string()), "{err}");
        }
    }
}

#[cfg(feature = "redis")]
mod redis_store {
    use super::*;
    use room_moderator_state::testing::RedisServer;
    use room_moderator_state::{RedisBanStore, open_ban_store};

    async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
        redis::Client::open(url)
            .expect("url")
            .get_multiplexed_async_connection()
            .await
            .expect("raw connection")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn redis_store_conforms() {
        let Some(redis) = RedisServer::start() else {
            return;
        };
        let store = open_ban_store(Some(&redis.url())).expect("a redis URL");
        conformance(store.as_ref()).await;
        let raw_url = redis.url();
        let mut raw = raw(&raw_url).await;
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("moderator:bans:*")
            .query_async(&mut raw)
            .await
            .expect("keys");
        assert!(
            keys.contains(&"moderator:bans:ivschat:a%3Ab:c".to_owned()),
            "{keys:?}"
        );
    }

    /// Two instances (two hosts) on one Redis: each sees the other's bans, and a ban lifted by both
    /// at once is reported lifted once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_instances_share_bans_and_lift_each_once() {
        let Some(redis) = RedisServer::start() else {
            return;
        };
        let first = Arc::new(RedisBanStore::connect(&redis.url()).expect("url"));
        let second = Arc::new(RedisBanStore::connect(&redis.url()).expect("url"));
        let scope = BanScope::new("zego-zim", "1234567", "lobby");
        first
            .put(&scope, &[BanEntry::new("troll", t0())])
            .await
            .expect("put");
        assert!(
            second
                .get(&scope, &"troll".into(), t0())
                .await
                .expect("get")
                .is_some()
        );
        for round in 0..20 {
            let user = format!("user-{round}");
            first
                .put(&scope, &[BanEntry::new(user.as_str(), t0())])
                .await
                .expect("put");
            let which = users(&[&user]);
            let (a, b) = tokio::join!(
                first.remove(&scope, &which, t0()),
                second.remove(&scope, &which, t0()),
            );
            let lifted = [a.expect("remove")[0], b.expect("remove")[0]];
            assert_eq!(
                lifted.iter().filter(|&&l| l).count(),
                1,
                "round {round}: {lifted:?}"
            );
        }
    }

    /// Expired fields are dropped by `list`, and a ban re-made between reading and dropping stays.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn list_drops_expired_fields() {
        let Some(redis) = RedisServer::start() else {
            return;
        };
        let store = RedisBanStore::connect(&redis.url()).expect("url");
        let scope = BanScope::new("mock", "a", "r");
        store
            .put(
                &scope,
                &[
                    BanEntry::new("old", t0()).with_until(Some(t0() + secs(1))),
                    BanEntry::new("kept", t0()),
                ],
            )
            .await
            .expect("put");
        assert_eq!(
            names(&store.list(&scope, t0() + secs(2)).await.expect("list")),
            ["kept"]
        );
        let mut raw = raw(&redis.url()).await;
        let fields: Vec<String> = redis::cmd("HKEYS")
            .arg(store.key(&scope))
            .query_async(&mut raw)
            .await
            .expect("hkeys");
        assert_eq!(fields, ["kept"]);
    }

    /// Data the store did not write: a key of another type, an entry that is not JSON.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unreadable_data_is_a_protocol_error() {
        let Some(redis) = RedisServer::start() else {
            return;
        };
        let store = RedisBanStore::connect(&redis.url()).expect("url");
        let mut raw = raw(&redis.url()).await;
        let wrong_type = BanScope::new("mock", "a", "string-key");
        let () = redis::cmd("SET")
            .arg(store.key(&wrong_type))
            .arg("x")
            .query_async(&mut raw)
            .await
            .expect("set");
        let err = store
            .list(&wrong_type, t0())
            .await
            .expect_err("a string key");
        assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
        let err = store
            .put(&wrong_type, &[BanEntry::new("u", t0())])
            .await
            .expect_err("a string key");
        assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");

        let garbage = BanScope::new("mock", "a", "garbage");
        let () = redis::cmd("HSET")
            .arg(store.key(&garbage))
            .arg("u")
            .arg("{not json")
            .query_async(&mut raw)
            .await
            .map(|_: i64| ())
            .expect("hset");
        let err = store
            .get(&garbage, &"u".into(), t0())
            .await
            .expect_err("not JSON");
        assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
        let err = store.list(&garbage, t0()).await.expect_err("not JSON");
        assert_eq!(err.kind(), ErrorKind::Protocol, "{err}");
    }

    /// A closed port: Unavailable within the timeout, naming the host, never the password.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unreachable_redis_is_unavailable_within_the_timeout() {
        // A port held bound but not listening: refused, and no other test's server can take it.
        let held = tokio::net::TcpSocket::new_v4().expect("a socket");
        held.bind("127.0.0.1:0".parse().expect("an address"))
            .expect("bind");
        let port = held.local_addr().expect("its address").port();
        let store = RedisBanStore::connect(&format!("redis://user:hunter2@127.0.0.1:{port}/3"))
            .expect("url")
            .with_timeout(Duration::from_millis(500));
        assert_eq!(store.location(), format!("redis://127.0.0.1:{port}/3"));
        assert!(!format!("{store:?}").contains("hunter2"));
        let scope = BanScope::new("mock", "a", "r");
        let started = std::time::Instant::now();
        let err = store
            .put(&scope, &[BanEntry::new("u", t0())])
            .await
            .expect_err("closed port");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
        assert!(
            err.message().contains(&format!("127.0.0.1:{port}")),
            "{err}"
        );
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = store.list(&scope, t0()).await.expect_err("closed port");
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    }

    /// Redis stops and comes back: calls fail Unavailable meanwhile, and work again after.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_restarted_redis_is_used_again() {
        let Some(mut redis) = RedisServer::start() else {
            return;
        };
        let store = RedisBanStore::connect(&redis.url()).expect("url");
        let scope = BanScope::new("mock", "a", "r");
        store
            .put(&scope, &[BanEntry::new("u", t0())])
            .await
            .expect("put");
        redis.stop();
        let err = store.list(&scope, t0()).await.expect_err("stopped");
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
        redis.restart();
        // The connection manager reconnects in the background; the first call may still see the
        // old connection fail, so allow a bounded number of attempts (each bounded by the timeout).
        let mut last = None;
        for _ in 0..20 {
            match store.put(&scope, &[BanEntry::new("v", t0())]).await {
                Ok(()) => {
                    last = None;
                    break;
                }
                Err(err) => {
                    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
                    last = Some(err);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        assert!(last.is_none(), "never reconnected: {last:?}");
        assert_eq!(names(&store.list(&scope, t0()).await.expect("list")), ["v"]);
    }
}
