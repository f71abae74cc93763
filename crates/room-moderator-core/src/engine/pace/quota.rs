//! Which provider quota a call draws from, and the one adaptive pacer per quota in this process.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use super::adaptive::AdaptivePacer;
use super::pacer::RatePacer;

/// Names one provider quota: the provider, the account it is counted against (ZEGO AppID, AWS
/// region and endpoint, EnableX app) and the API. Engines whose adapters give the same key share one
/// adaptive pacer in the process, so they slow down and speed up together.
///
/// ```
/// use room_moderator_core::QuotaKey;
/// let key = QuotaKey::new("zego-zim", "1234567@https://zim-api.zego.im", "KickoutRoomUser");
/// assert_eq!(key.to_string(), "zego-zim/KickoutRoomUser/1234567@https://zim-api.zego.im");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QuotaKey {
    provider: &'static str,
    account: String,
    api: &'static str,
}

impl QuotaKey {
    /// The quota of `api` on `provider` for `account`. The account must not be a secret: it appears
    /// in traces.
    pub fn new(provider: &'static str, account: impl Into<String>, api: &'static str) -> Self {
        QuotaKey {
            provider,
            account: account.into(),
            api,
        }
    }

    /// The provider.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// The account.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The API.
    pub fn api(&self) -> &'static str {
        self.api
    }
}

impl fmt::Display for QuotaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.provider, self.api, self.account)
    }
}

type Registry = Mutex<HashMap<(QuotaKey, NonZeroU32, Duration, Duration), Weak<AdaptivePacer>>>;

/// The process's adaptive pacer for `key` at `rate` calls per `window` (counted over the window plus
/// `margin`), made on first use and kept while any engine holds it.
pub(crate) fn shared_pacer(
    key: &QuotaKey,
    rate: NonZeroU32,
    window: Duration,
    margin: Duration,
) -> Arc<AdaptivePacer> {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    let mut registry = REGISTRY
        .get_or_init(Registry::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    registry.retain(|_, pacer| pacer.strong_count() > 0);
    let entry = (key.clone(), rate, window, margin);
    if let Some(pacer) = registry.get(&entry).and_then(Weak::upgrade) {
        return pacer;
    }
    let pacer = Arc::new(adaptive_over_rate(key.to_string(), rate, window, margin));
    registry.insert(entry, Arc::downgrade(&pacer));
    pacer
}

/// An adaptive pacer over a new in-process rate pacer of `rate` calls per `window`; the adaptive
/// pacer counts per second (plus `margin`), up to the window's rate in a second, rounded up.
pub(crate) fn adaptive_over_rate(
    name: String,
    rate: NonZeroU32,
    window: Duration,
    margin: Duration,
) -> AdaptivePacer {
    AdaptivePacer::new(
        name,
        Arc::new(RatePacer::over_window(rate, window, margin)),
        per_second_ceiling(rate, window),
    )
    .with_margin(margin)
}

/// `rate` calls per `window` as calls per second, rounded up (the adaptive pacer's ceiling).
pub(crate) fn per_second_ceiling(rate: NonZeroU32, window: Duration) -> NonZeroU32 {
    let millis = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
    let per_second = (u64::from(rate.get()) * 1000).div_ceil(millis);
    NonZeroU32::new(u32::try_from(per_second).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pacer_per_key_and_rate_while_held() {
        let rate = NonZeroU32::new(20).unwrap();
        let a = QuotaKey::new("p", "acct-registry-test", "api");
        let margin = RatePacer::DEFAULT_MARGIN;
        let second = Duration::from_secs(1);
        let first = shared_pacer(&a, rate, second, margin);
        assert!(Arc::ptr_eq(&first, &shared_pacer(&a, rate, second, margin)));
        let other = QuotaKey::new("p", "another-acct-registry-test", "api");
        assert!(!Arc::ptr_eq(
            &first,
            &shared_pacer(&other, rate, second, margin)
        ));
        let minute = Duration::from_secs(60);
        assert!(!Arc::ptr_eq(
            &first,
            &shared_pacer(&a, rate, minute, margin)
        ));
        assert_eq!(
            per_second_ceiling(NonZeroU32::new(1000).unwrap(), minute).get(),
            17
        );
    }
}
