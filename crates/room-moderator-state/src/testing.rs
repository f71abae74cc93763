//! A throwaway `redis-server` on a free loopback port, for tests and benchmarks of code that shares a
//! quota through Redis (ours and applications').
//!
//! ```no_run
//! let Some(redis) = room_moderator_state::testing::RedisServer::start() else {
//!     return; // not installed here, and not in CI: the test says it skipped
//! };
//! let url = redis.url(); // redis://127.0.0.1:PORT/
//! # let _ = url;
//! ```

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server` (no persistence), stopped when dropped.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server, or returns `None` (after saying so) when `redis-server` is not installed and
    /// this is not CI. In CI a missing server fails the test: `.ci/run` installs it.
    pub fn start() -> Option<RedisServer> {
        let port = free_port();
        let mut server = RedisServer { port, child: None };
        match server.spawn() {
            Ok(()) => Some(server),
            Err(why) if std::env::var_os("CI").is_some() => {
                panic!("cannot start redis-server ({why}); .ci/run installs it with apt-get")
            }
            Err(why) => {
                eprintln!(
                    "SKIPPED: cannot start redis-server ({why}); install it to run this test"
                );
                None
            }
        }
    }

    fn spawn(&mut self) -> Result<(), String> {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        self.child = Some(child);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("not listening on port {} after 10 s", self.port))
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server (its data is lost, as after a crash).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn().expect("redis-server restarts");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}
