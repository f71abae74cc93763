//! Wall-clock time that follows tokio's clock, so that ban expiry can be tested on paused time.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

/// The wall-clock time now, as the engine stamps and expires bans.
///
/// It is the system time at the first call plus the tokio time elapsed since then, so a test that
/// pauses and advances tokio's clock (`tokio::time::pause`, `advance`) moves ban expiry with it.
/// Outside tests the two clocks agree (to within the system clock's own adjustments).
pub fn wall_clock_now() -> SystemTime {
    static ORIGIN: OnceLock<(SystemTime, std::time::Instant)> = OnceLock::new();
    let (wall, real) = *ORIGIN.get_or_init(|| (SystemTime::now(), Instant::now().into_std()));
    // tokio's Instant is std's Instant shifted by the paused clock's advances.
    let since: Duration = Instant::now().into_std().saturating_duration_since(real);
    wall.checked_add(since).unwrap_or(wall)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn follows_paused_time() {
        let before = wall_clock_now();
        tokio::time::advance(Duration::from_secs(3600)).await;
        let after = wall_clock_now();
        let moved = after.duration_since(before).unwrap_or_default();
        assert!(moved >= Duration::from_secs(3600), "{moved:?}");
    }
}
