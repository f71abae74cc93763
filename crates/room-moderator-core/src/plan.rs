//! What a disconnect would do, computed without sending anything (for dry runs and estimates).

use std::num::NonZeroU32;
use std::time::Duration;

use crate::{Capabilities, PresencePlan};

/// The provider calls a request would need, before any retry.
///
/// ```
/// use room_moderator_core::{Capabilities, Plan};
/// let plan = Plan::new(&Capabilities::new(50).with_rate_per_second(20), 120);
/// assert_eq!(plan.batches, [50, 50, 20]);
/// assert_eq!(plan.min_duration.as_millis(), 100); // 3 calls evenly spaced at 20/s
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Plan {
    /// Distinct users.
    pub users: usize,
    /// Users per provider call, in sending order.
    pub batches: Vec<usize>,
    /// The rate the calls are paced to, if any.
    pub requests_per_second: Option<NonZeroU32>,
    /// The rate per minute the calls are paced to, for providers that count over a minute.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub requests_per_minute: Option<NonZeroU32>,
    /// The least time pacing alone needs to send every call (network time not included).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "min_duration_ms", with = "crate::json::millis")
    )]
    pub min_duration: Duration,
    /// The deadline the request would run under, if any (from [`Moderator::plan`](crate::Moderator::plan)).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "deadline_ms", with = "crate::json::optional_millis")
    )]
    pub deadline: Option<Duration>,
    /// How presence is checked before kicking, where the provider needs it (ZIM).
    pub presence: Option<PresencePlan>,
}

impl Plan {
    /// The plan for `users` distinct users under `caps`.
    pub fn new(caps: &Capabilities, users: usize) -> Self {
        let max = caps.max_users_per_call.get();
        let batches: Vec<usize> = (0..users)
            .step_by(max)
            .map(|start| max.min(users - start))
            .collect();
        let min_duration = match caps.rate_window() {
            Some((rate, window)) if batches.len() > 1 => {
                let gaps = u32::try_from(batches.len() - 1).unwrap_or(u32::MAX);
                window / rate.get() * gaps
            }
            _ => Duration::ZERO,
        };
        Plan {
            users,
            batches,
            requests_per_second: caps.requests_per_second,
            requests_per_minute: caps
                .requests_per_minute
                .filter(|_| caps.requests_per_second.is_none()),
            min_duration,
            deadline: None,
            presence: None,
        }
    }

    /// Records the deadline the request would run under.
    pub fn with_deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Records how presence would be checked first.
    pub fn with_presence(mut self, presence: Option<PresencePlan>) -> Self {
        self.presence = presence;
        self
    }

    /// Number of provider calls.
    pub fn calls(&self) -> usize {
        self.batches.len()
    }
}
