//! The emulator's wall clock (the system time at start plus tokio's time since, so paused tests move
//! rule expiry and token validity) and the ISO 8601 UTC times Agora's rule list writes.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// Cheap to clone; clones share the origin.
#[derive(Clone, Debug)]
pub(crate) struct Clock {
    origin: Arc<(SystemTime, Instant)>,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock {
            origin: Arc::new((SystemTime::now(), Instant::now())),
        }
    }

    /// The wall time at `at`.
    pub(crate) fn wall(&self, at: Instant) -> SystemTime {
        let (wall, start) = *self.origin;
        wall + at.saturating_duration_since(start)
    }

    /// Unix seconds now.
    pub(crate) fn unix_now(&self) -> u64 {
        self.wall(Instant::now())
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// `2026-01-09T07:23:06.000Z` for `at`.
pub(crate) fn iso8601(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rest = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_rule_list() {
        let at = UNIX_EPOCH + Duration::from_millis(1_767_943_386_000);
        assert_eq!(iso8601(at), "2026-01-09T07:23:06.000Z");
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_599);
        assert_eq!(iso8601(leap), "2000-02-29T00:59:59.000Z");
    }
}
