//! The one fixture every behaviour starts from: the provider's moderator (built as an application
//! builds it, by the facade's `Builder` from variables), its emulator or the live settings, rooms and
//! user ids.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use room_moderator::{Builder, Capabilities, Moderator, Provider, RetryPolicy, RoomId};
use room_moderator_emulator::{Emulator, FaultRule, ProviderEmulator, Times};

use crate::Checked;
use crate::live::LiveSettings;

/// Attempts the engine may make for one user in the suite.
pub const MAX_ATTEMPTS: u32 = 3;
/// Each provider call's timeout in the suite (a hung call waits longer).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(2);
/// The engine's default in-flight calls (`EngineBuilder::max_concurrency`).
pub const MAX_CONCURRENCY: u64 = 8;

/// Where a trial's calls go.
#[derive(Clone, Debug)]
pub enum Target {
    /// The provider's emulator, on loopback, on paused time.
    Emulated,
    /// The real account.
    Live(LiveSettings),
}

/// How a trial's moderator differs from the default.
#[derive(Clone, Copy, Debug, Default)]
pub struct Settings {
    /// The per-request deadline (the engine's default otherwise).
    pub deadline: Option<Duration>,
    /// Every secret variable replaced by a value of the same length the provider refuses.
    pub wrong_secret: bool,
}

/// One trial's provider, emulator (or live settings) and ids.
pub struct Fixture {
    /// The provider under test.
    pub provider: Provider,
    /// Its published capabilities.
    pub caps: Capabilities,
    target: Target,
    emulator: Option<Emulator>,
    next_user: Cell<u64>,
    /// The default moderator, built once: its ban store (in memory) lives as long as the trial.
    default: tokio::sync::OnceCell<Arc<dyn Moderator>>,
}

impl Fixture {
    /// Starts the emulators (emulated target) on the trial's runtime.
    pub async fn start(
        provider: Provider,
        caps: Capabilities,
        target: Target,
    ) -> Result<Fixture, String> {
        let emulator = match target {
            Target::Emulated => Some(
                Emulator::start()
                    .await
                    .map_err(|error| format!("the emulators do not start: {error}"))?,
            ),
            Target::Live(_) => None,
        };
        Ok(Fixture {
            provider,
            caps,
            target,
            emulator,
            next_user: Cell::new(100_001),
            default: tokio::sync::OnceCell::new(),
        })
    }

    /// Whether the calls go to a real account.
    pub fn is_live(&self) -> bool {
        matches!(self.target, Target::Live(_))
    }

    /// The provider's emulator; `Err` in live mode (a behaviour that needs it is not marked live).
    pub fn emulator(&self) -> Result<ProviderEmulator<'_>, String> {
        let emulator = self
            .emulator
            .as_ref()
            .ok_or("this behaviour needs the emulator")?;
        emulator
            .provider(self.provider.name())
            .ok_or_else(|| format!("no emulator for {}", self.provider))
    }

    /// The room id for the room `name` (live: the live room, whatever the name).
    pub fn room(&self, name: &str) -> RoomId {
        match (&self.target, self.emulator()) {
            (Target::Live(live), _) => RoomId::new(live.room.clone()),
            (Target::Emulated, Ok(emulator)) => {
                RoomId::new(emulator.room_id(&format!("suite-{name}")))
            }
            (Target::Emulated, Err(_)) => RoomId::new(format!("suite-{name}")),
        }
    }

    /// `n` user ids nobody else in the trial uses: decimal integers, which every provider accepts
    /// (Agora RTC takes integer uids only). Live: the users the live settings name.
    pub fn users(&self, n: usize) -> Vec<String> {
        if let Target::Live(live) = &self.target {
            return live.users.iter().take(n.max(1)).cloned().collect();
        }
        let first = self.next_user.get();
        self.next_user.set(first + n as u64);
        (first..first + n as u64).map(|id| id.to_string()).collect()
    }

    /// A room on the emulator holding `n` new users.
    pub fn seeded(&self, name: &str, n: usize) -> Result<(RoomId, Vec<String>), String> {
        let room = self.room(name);
        let users = self.users(n);
        self.emulator()?.seed_room(room.as_str(), &users);
        Ok((room, users))
    }

    /// The users in `room` on the emulator now (none for a room it does not know).
    pub fn present(&self, room: &RoomId) -> Result<Vec<String>, String> {
        Ok(self.emulator()?.members(room.as_str()).unwrap_or_default())
    }

    /// Requests the provider's emulator has received so far, on every listener of the provider.
    pub fn requests(&self) -> Result<u64, String> {
        Ok(self.emulator()?.requests_received())
    }

    /// Answers the provider's calls with `fault`, `times` (`None`: for good).
    pub fn fault(&self, fault: room_moderator_emulator::Fault, times: Option<u64>) -> Checked {
        let rule = FaultRule {
            api: None,
            fault,
            times: times.map_or(Times::Always, Times::Next),
        };
        if self.emulator()?.controls().add_fault(rule) {
            Ok(())
        } else {
            Err("the emulator holds too many fault rules".to_owned())
        }
    }

    /// The provider's moderator with the suite's defaults: the same one for the whole trial, so
    /// that its bans are remembered.
    pub async fn moderator(&self) -> Result<Arc<dyn Moderator>, String> {
        self.default
            .get_or_try_init(|| self.moderator_with(Settings::default()))
            .await
            .cloned()
    }

    /// A new moderator for the provider, built as an application builds it: the facade's [`Builder`] over
    /// the emulator's variables (live: the process environment), bans in memory, the suite's retry
    /// policy and call timeout.
    pub async fn moderator_with(&self, settings: Settings) -> Result<Arc<dyn Moderator>, String> {
        let retry = RetryPolicy::default()
            .with_max_attempts(MAX_ATTEMPTS)
            .with_backoff(Duration::from_millis(10), Duration::from_millis(100))
            .with_jitter(false);
        let mut builder = Builder::new(self.provider)
            .with_ban_store("memory:")
            .with_timeout(CALL_TIMEOUT)
            .with_retry(retry);
        if let Some(deadline) = settings.deadline {
            builder = builder.with_deadline(deadline);
        }
        let vars: Option<Vec<(&'static str, String)>> = match &self.target {
            Target::Emulated => Some(self.emulator()?.vars()),
            Target::Live(_) if settings.wrong_secret => Some(
                self.provider
                    .env_vars()
                    .iter()
                    .filter_map(|var| Some((var.name, std::env::var(var.name).ok()?)))
                    .collect(),
            ),
            // The adapter's own from_env.
            Target::Live(_) => None,
        };
        if let Some(vars) = vars {
            let secret = |name: &str| {
                self.provider
                    .env_vars()
                    .iter()
                    .any(|var| var.secret && var.name == name)
            };
            builder = builder.with_vars(vars.into_iter().map(|(name, value)| {
                if settings.wrong_secret && secret(name) {
                    // Same length and alphabet class (hex stays hex), another value.
                    let wrong = if value.starts_with('f') { "e" } else { "f" };
                    (name, wrong.repeat(value.len()))
                } else {
                    (name, value)
                }
            }));
        }
        builder
            .build()
            .await
            .map_err(|error| format!("{} does not build: {error}", self.provider))
    }
}
