//! The Node.js side of this workspace's interop tests.
//!
//! Several crates test themselves against an implementation they did not write that runs on node: the
//! reference Socket.IO 2 server, LiveKit's official server SDK, Agora's official token builder. Each
//! keeps a small npm project (`package.json` and `package-lock.json`) beside its test; this crate
//! installs it when `node_modules` is missing, runs node there, and decides what a machine without
//! node means: outside CI the test is skipped with a message nobody can miss, and with the `CI`
//! environment variable set it fails, so CI never passes without running it.
//!
//! ```no_run
//! # async fn example() {
//! use room_moderator_node_interop::NodeProject;
//!
//! let node = NodeProject::new(
//!     concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop"),
//!     "agora-token",
//!     "agora-token interop test of room-moderator-agora",
//! );
//! if !node.ready().await {
//!     return; // skipped, and said so
//! }
//! let token = node.output(&["token.js", "an-app-id"]).await.expect("node runs");
//! # }
//! ```

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// How long a node run or an npm install may take before the test fails.
const WAIT: Duration = Duration::from_secs(120);

/// A test's npm project: its folder, the npm package that shows it is installed, and the test's
/// name for messages.
#[derive(Debug, Clone)]
pub struct NodeProject {
    dir: PathBuf,
    package: &'static str,
    test: &'static str,
}

impl NodeProject {
    /// The npm project in `dir`, installed once `node_modules/<package>` exists; `test` names the
    /// test in the skip message ("LiveKit interop test of room-moderator-livekit").
    pub fn new(dir: impl Into<PathBuf>, package: &'static str, test: &'static str) -> Self {
        Self {
            dir: dir.into(),
            package,
            test,
        }
    }

    /// The project's folder, where node runs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the test can run: node is there and the project installed (`npm ci`, or
    /// `npm install` without a lock file, when it is not). Otherwise the test is skipped with a loud
    /// message on stderr and `false` comes back, or, under CI, this panics.
    pub async fn ready(&self) -> bool {
        match self.prepare().await {
            Ok(()) => true,
            Err(why) => {
                self.skip(&why);
                false
            }
        }
    }

    async fn prepare(&self) -> Result<(), String> {
        self.output_of("node", &["--version"]).await?;
        let installed = self
            .dir
            .join("node_modules")
            .join(self.package)
            .join("package.json");
        if installed.exists() {
            return Ok(());
        }
        let install: &[&str] = if self.dir.join("package-lock.json").exists() {
            &["ci", "--no-audit", "--no-fund"]
        } else {
            &["install", "--no-audit", "--no-fund"]
        };
        self.output_of("npm", install).await.map(drop)
    }

    /// Skips (outside CI) or fails (under CI) because `why`.
    fn skip(&self, why: &str) {
        let test = self.test;
        if std::env::var_os("CI").is_some() {
            panic!("the {test} cannot run in CI: {why}");
        }
        // Written to the stderr handle directly: the test harness captures `eprintln!` of passing
        // tests, and a skip must be seen.
        let bar = "!".repeat(88);
        let message = format!(
            "\n{bar}\n!! SKIPPED: {test}: {why}\n\
             !! Install node and npm to run it (CI=1 turns this skip into a failure).\n{bar}\n\n"
        );
        let _ = std::io::stderr().write_all(message.as_bytes());
    }

    /// `node` in the project's folder with `args`, stdin closed: add environment and pipes, then
    /// spawn or run it.
    pub fn node(&self, args: &[&str]) -> Command {
        let mut command = Command::new("node");
        command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Runs `node args` to the end and returns its stdout, trimmed; an error says what failed,
    /// with node's stderr.
    pub async fn output(&self, args: &[&str]) -> Result<String, String> {
        self.output_of("node", args).await
    }

    async fn output_of(&self, program: &str, args: &[&str]) -> Result<String, String> {
        let run = Command::new(program)
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let shown = || format!("`{program} {}`", args.join(" "));
        let output = tokio::time::timeout(WAIT, run)
            .await
            .map_err(|_| format!("{} did not finish within {WAIT:?}", shown()))?
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "{} failed: {}: {}",
                shown(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }
}
