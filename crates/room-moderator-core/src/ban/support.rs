//! How a provider bans, as a capability.

use std::num::NonZeroU32;
use std::time::Duration;

/// How a provider keeps a removed user out. In JSON (feature `serde`): `{"support": "store"}` or
/// `{"support": "native", "max_duration_secs": 86400, "max_rules": 200, ...}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "support", rename_all = "snake_case"))]
pub enum BanSupport {
    /// Server-side rules that refuse the user's login (ZEGO Express RTC `SetForbidUserRule`), on top
    /// of the ban store. Longer bans than `max_duration` are held by the store and the rule renewed.
    Native {
        /// The longest one rule lasts.
        #[cfg_attr(
            feature = "serde",
            serde(rename = "max_duration_secs", with = "crate::json::secs")
        )]
        max_duration: Duration,
        /// How many rules may be in force at once, if limited.
        max_rules: Option<u32>,
        /// The documented rate of setting and deleting rules.
        requests_per_second: Option<NonZeroU32>,
        /// The documented rate of listing rules.
        list_requests_per_second: Option<NonZeroU32>,
    },
    /// No server-side rule: the ban store and the join gate keep the user out (ZIM, IVS Chat,
    /// EnableX, as each provider's docs advise).
    Store,
    /// This provider cannot ban.
    Unsupported,
}
