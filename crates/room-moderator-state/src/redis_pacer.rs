//! A pacer whose schedule lives in Redis, shared by every process and host that uses it.

use std::collections::VecDeque;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use room_moderator_core::{Error, ErrorKind, Pacer, QuotaKey, RatePacer};
use tokio::time::Instant;
use tracing::{info, warn};

use crate::redis_link::RedisLink;

/// One atomic reservation of one or more grants, on Redis's own clock (`TIME`), so hosts with skewed
/// clocks agree.
///
/// The sorted set holds grant times in microseconds (past grants within the window, and reservations
/// in the near future). A new slot follows the last slot by the spacing (an absolute schedule:
/// lateness does not accumulate) and is at least a window after the grant `rate` places back (never
/// more than `rate` in any window). The caller is told how long to wait for each slot, so nobody
/// polls. At high rates several slots are reserved per round trip ([`RedisPacer::batch`]).
const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local rate = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local spacing = tonumber(ARGV[3])
local count = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local waits = {}
local slot = now
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #last > 0 then
  slot = math.max(slot, tonumber(last[2]) + spacing)
end
for i = 1, count do
  if i > 1 then
    slot = slot + spacing
  end
  local held = redis.call('ZCARD', KEYS[1])
  if held >= rate then
    local blocking = redis.call('ZRANGE', KEYS[1], held - rate, held - rate, 'WITHSCORES')
    slot = math.max(slot, tonumber(blocking[2]) + window)
  end
  redis.call('ZADD', KEYS[1], slot, ARGV[4] .. '-' .. i)
  waits[i] = slot - now
end
redis.call('PEXPIRE', KEYS[1], math.ceil((slot - now + window) / 1000) + 1000)
return waits
";

/// What to do while Redis cannot be reached. Either way, no call is ever sent unpaced.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Unreachable {
    /// Pace in this process at this share (0 to 1) of the quota, with one warning, until Redis
    /// answers again: several instances falling back together still stay under the quota when the
    /// shares add up to at most 1 (and the adaptive pacer in front slows down on throttling).
    PaceLocally {
        /// The share of the documented rate this process takes alone.
        share: f64,
    },
    /// Fail the calls with [`ErrorKind::Unavailable`] (nothing is sent).
    Fail,
}

/// Settings of a [`RedisPacer`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct RedisPacerOptions {
    /// What to do while Redis cannot be reached (default: pace locally at half the quota).
    pub unreachable: Unreachable,
    /// The longest one Redis round trip (or connection attempt) may take before Redis counts as
    /// unreachable (default 1 s).
    pub timeout: Duration,
    /// Added to the one-second window, as for the in-process pacer (default 10 ms).
    pub margin: Duration,
}

impl Default for RedisPacerOptions {
    fn default() -> Self {
        RedisPacerOptions {
            unreachable: Unreachable::PaceLocally { share: 0.5 },
            timeout: Duration::from_secs(1),
            margin: RatePacer::DEFAULT_MARGIN,
        }
    }
}

impl RedisPacerOptions {
    /// Sets what to do while Redis cannot be reached.
    pub fn unreachable(mut self, unreachable: Unreachable) -> Self {
        self.unreachable = unreachable;
        self
    }

    /// Sets the margin added to the one-second window (more absorbs more network jitter between
    /// this process and the provider, at the cost of a little of the quota).
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Sets the Redis round-trip timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A [`Pacer`] that shares one provider quota between every process and host using the same Redis.
///
/// Each grant is one atomic script on the server (a reservation in a sorted set keyed by the
/// [`QuotaKey`]), timed by Redis's clock; the answer says how long to wait. Put it under an engine
/// with [`EngineBuilder::with_pacer`](room_moderator_core::EngineBuilder::with_pacer): the engine's adaptive pacer
/// still runs in front of it, for callers that do not use this Redis.
///
/// ```no_run
/// use std::num::NonZeroU32;
/// use std::sync::Arc;
/// use room_moderator_core::{Engine, QuotaKey, mock::MockAdapter};
/// use room_moderator_state::{RedisPacer, RedisPacerOptions};
/// # async fn demo() -> Result<(), room_moderator_core::Error> {
/// let key = QuotaKey::new("zego-zim", "1234567@https://zim-api.zego.im", "KickoutRoomUser");
/// let pacer = RedisPacer::connect(
///     "redis://127.0.0.1:6379",
///     &key,
///     NonZeroU32::new(20).unwrap(),
///     RedisPacerOptions::default(),
/// )?;
/// let engine = Engine::builder(MockAdapter::new()).with_pacer(Arc::new(pacer)).build();
/// # let _ = engine; Ok(()) }
/// ```
pub struct RedisPacer {
    link: RedisLink,
    script: redis::Script,
    key: String,
    rate: NonZeroU32,
    spacing_us: u64,
    window_us: u64,
    options: RedisPacerOptions,
    /// The local pacer used while Redis is unreachable (`PaceLocally`).
    local: Option<RatePacer>,
    member_prefix: String,
    counter: AtomicU64,
    degraded: AtomicBool,
    /// While Redis is unreachable, when to try it again (not on every call: each try costs up to the
    /// timeout).
    retry_at: Mutex<Option<Instant>>,
    /// Slots reserved by the last batch and not handed out yet, earliest first.
    reserved: Mutex<VecDeque<Instant>>,
}

/// How long to pace locally before asking an unreachable Redis again.
const RETRY_REDIS_EVERY: Duration = Duration::from_secs(1);

impl RedisPacer {
    /// A pacer for `key` at `rate` calls per second, on the Redis at `url` (`redis://host:port/db`,
    /// `rediss://` for TLS). Checks the URL now; connects on first use, and again after a failure.
    pub fn connect(
        url: &str,
        key: &QuotaKey,
        rate: NonZeroU32,
        options: RedisPacerOptions,
    ) -> Result<Self, Error> {
        let link = RedisLink::open(url, options.timeout)?;
        let local = match options.unreachable {
            Unreachable::PaceLocally { share } => {
                let share = if share.is_finite() {
                    share.clamp(0.0, 1.0)
                } else {
                    0.0
                };
                // At least one call a second: zero would stall the job instead of pacing it.
                let local = (f64::from(rate.get()) * share).floor().max(1.0) as u32;
                Some(RatePacer::with_margin(
                    NonZeroU32::new(local).unwrap_or(NonZeroU32::MIN),
                    options.margin,
                ))
            }
            Unreachable::Fail => None,
        };
        let window = Duration::from_secs(1) + options.margin;
        Ok(RedisPacer {
            link,
            script: redis::Script::new(RESERVE),
            key: format!("moderator:pacer:{key}"),
            rate,
            spacing_us: 1_000_000u64.div_ceil(u64::from(rate.get())),
            window_us: u64::try_from(window.as_micros()).unwrap_or(u64::MAX),
            options,
            local,
            member_prefix: format!("{}-{}", std::process::id(), unique_suffix()),
            counter: AtomicU64::new(0),
            degraded: AtomicBool::new(false),
            retry_at: Mutex::new(None),
            reserved: Mutex::new(VecDeque::new()),
        })
    }

    /// The Redis key this pacer's schedule lives under.
    pub fn key(&self) -> &str {
        &self.key
    }

    async fn connection(&self) -> Result<ConnectionManager, redis::RedisError> {
        self.link.connection().await
    }

    /// How many slots one round trip reserves: one at up to 20 calls a second, then one more per 20
    /// calls a second (5 at IVS Chat's 100/s), so that Redis sees at most about 20 round trips a
    /// second per process. A process that stops early leaves at most `batch - 1` reserved slots
    /// unused, a small loss of the shared quota for a second.
    pub fn batch(&self) -> u32 {
        self.rate.get().div_ceil(20).max(1)
    }

    /// The next reserved slot: one left from the last batch, or a new batch.
    async fn next_slot(&self) -> Result<Instant, String> {
        let now = Instant::now();
        {
            let mut reserved = self.reserved.lock().unwrap_or_else(|p| p.into_inner());
            // A slot already more than a spacing in the past was missed; it is not used late.
            while let Some(slot) = reserved.pop_front() {
                if slot + self.spacing() >= now {
                    return Ok(slot);
                }
            }
        }
        let now = Instant::now();
        let waits = self.reserve().await?;
        let mut slots = waits.into_iter().map(|wait| now + wait);
        let first = slots
            .next()
            .ok_or_else(|| "Redis reserved no slot".to_owned())?;
        self.reserved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(slots);
        Ok(first)
    }

    fn spacing(&self) -> Duration {
        Duration::from_micros(self.spacing_us)
    }

    /// Reserves the next batch of slots; returns how long to wait for each.
    async fn reserve(&self) -> Result<Vec<Duration>, String> {
        let now = Instant::now();
        {
            let mut retry_at = self.retry_at.lock().unwrap_or_else(|p| p.into_inner());
            match *retry_at {
                Some(at) if now < at => return Err("unreachable a moment ago".to_owned()),
                // One caller tries; the others keep pacing locally meanwhile.
                Some(_) => *retry_at = Some(now + RETRY_REDIS_EVERY),
                None => {}
            }
        }
        let result = self.reserve_now().await;
        let mut retry_at = self.retry_at.lock().unwrap_or_else(|p| p.into_inner());
        *retry_at = match result {
            Ok(_) => None,
            Err(_) => Some(Instant::now() + RETRY_REDIS_EVERY),
        };
        result
    }

    async fn reserve_now(&self) -> Result<Vec<Duration>, String> {
        let attempt = async {
            let mut connection = self.connection().await.map_err(|e| e.to_string())?;
            let member = format!(
                "{}-{}",
                self.member_prefix,
                self.counter.fetch_add(1, Ordering::Relaxed)
            );
            let waits: Vec<i64> = self
                .script
                .key(&self.key)
                .arg(self.rate.get())
                .arg(self.window_us)
                .arg(self.spacing_us)
                .arg(member)
                .arg(self.batch())
                .invoke_async(&mut connection)
                .await
                .map_err(|e| e.to_string())?;
            Ok(waits
                .into_iter()
                .map(|wait| Duration::from_micros(u64::try_from(wait).unwrap_or(0)))
                .collect())
        };
        match tokio::time::timeout(self.options.timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {:?}", self.options.timeout)),
        }
    }
}

/// A few random-enough bits so that two pacers in one process use distinct members.
fn unique_suffix() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    nanos ^ (NEXT.fetch_add(1, Ordering::Relaxed) << 32)
}

impl fmt::Debug for RedisPacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client's connection info may hold a password: only the key and rate are shown.
        f.debug_struct("RedisPacer")
            .field("key", &self.key)
            .field("rate", &self.rate)
            .field("unreachable", &self.options.unreachable)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Pacer for RedisPacer {
    async fn acquire(&self) -> Result<(), Error> {
        match self.next_slot().await {
            Ok(slot) => {
                if self.degraded.swap(false, Ordering::Relaxed) {
                    info!(key = %self.key, "Redis answers again: pacing on the shared quota");
                }
                tokio::time::sleep_until(slot).await;
                Ok(())
            }
            Err(why) => match &self.local {
                Some(local) => {
                    if !self.degraded.swap(true, Ordering::Relaxed) {
                        warn!(key = %self.key, %why, rate = local.rate().get(), "Redis cannot be reached: pacing this process alone at its share of the quota until it answers");
                    }
                    local.acquire().await
                }
                None => Err(Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "the shared quota store (Redis) cannot be reached, so nothing was sent: {why}"
                    ),
                )),
            },
        }
    }
}
