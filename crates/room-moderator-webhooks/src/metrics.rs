//! Counters for callbacks received, refused and acted on, in the Prometheus text format.

use std::fmt;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// The `Content-Type` of [`Metrics::text`] (Prometheus text format 0.0.4).
pub const METRICS_CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderLabel {
    provider: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    provider: &'static str,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    provider: &'static str,
    outcome: &'static str,
}

/// Why a callback was refused, as the `reason` label says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// 401: no or a wrong signature.
    Signature,
    /// 400: outside the time window.
    Stale,
    /// 200 without acting: seen before.
    Replay,
    /// 413: over the body limit.
    TooBig,
    /// 400: unreadable.
    Malformed,
    /// 503: the work queue was full (the provider retries).
    QueueFull,
    /// 503: the replay cache could not be asked (the provider retries).
    ReplayCacheUnavailable,
}

impl Refused {
    fn label(self) -> &'static str {
        match self {
            Refused::Signature => "signature",
            Refused::Stale => "stale",
            Refused::Replay => "replay",
            Refused::TooBig => "too_big",
            Refused::Malformed => "malformed",
            Refused::QueueFull => "queue_full",
            Refused::ReplayCacheUnavailable => "replay_cache_unavailable",
        }
    }
}

/// What the worker did with one verified join, as the `outcome` label says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Acted {
    /// Not banned: nothing sent.
    NotBanned,
    /// The ban store could not be asked.
    LookupFailed,
    /// Banned and removed.
    Disconnected,
    /// Banned, already gone.
    NotInRoom,
    /// Banned, the kick failed.
    Failed,
    /// Banned, kicked moments ago, and a delayed kick is already pending for them.
    Coalesced,
}

impl Acted {
    fn label(self) -> &'static str {
        match self {
            Acted::NotBanned => "not_banned",
            Acted::LookupFailed => "lookup_failed",
            Acted::Disconnected => "disconnected",
            Acted::NotInRoom => "not_in_room",
            Acted::Failed => "failed",
            Acted::Coalesced => "coalesced",
        }
    }
}

/// The receiver's counters: `moderator_webhook_callbacks_total{provider}`,
/// `moderator_webhook_refused_total{provider,reason}` (reason: signature, stale, replay, too_big,
/// malformed, queue_full, replay_cache_unavailable) and `moderator_webhook_joins_total{provider,
/// outcome}` (outcome: not_banned, lookup_failed, and for re-kicks disconnected, not_in_room, failed,
/// coalesced).
pub struct Metrics {
    registry: Registry,
    received: Family<ProviderLabel, Counter>,
    refused: Family<ReasonLabels, Counter>,
    joins: Family<OutcomeLabels, Counter>,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("moderator_webhook");
        let received = Family::<ProviderLabel, Counter>::default();
        let refused = Family::<ReasonLabels, Counter>::default();
        let joins = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "callbacks",
            "Callbacks received, by provider",
            received.clone(),
        );
        registry.register(
            "refused",
            "Callbacks refused or not acted on, by provider and reason",
            refused.clone(),
        );
        registry.register(
            "joins",
            "Verified joins handled, by provider and outcome (re-kicks: disconnected, not_in_room, failed, coalesced)",
            joins.clone(),
        );
        Metrics {
            registry,
            received,
            refused,
            joins,
        }
    }

    pub(crate) fn received(&self, provider: &'static str) {
        self.received
            .get_or_create(&ProviderLabel { provider })
            .inc();
    }

    pub(crate) fn refused(&self, provider: &'static str, why: Refused) {
        self.refused
            .get_or_create(&ReasonLabels {
                provider,
                reason: why.label(),
            })
            .inc();
    }

    pub(crate) fn acted(&self, provider: &'static str, what: Acted) {
        self.joins
            .get_or_create(&OutcomeLabels {
                provider,
                outcome: what.label(),
            })
            .inc();
    }

    /// Every counter in the Prometheus text format ([`METRICS_CONTENT_TYPE`]).
    pub fn text(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_format() {
        let metrics = Metrics::new();
        metrics.received("livekit");
        metrics.refused("livekit", Refused::Signature);
        metrics.acted("zego-zim", Acted::Disconnected);
        let text = metrics.text();
        assert!(
            text.contains("moderator_webhook_callbacks_total{provider=\"livekit\"} 1"),
            "{text}"
        );
        assert!(
            text.contains(
                "moderator_webhook_refused_total{provider=\"livekit\",reason=\"signature\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "moderator_webhook_joins_total{provider=\"zego-zim\",outcome=\"disconnected\"} 1"
            ),
            "{text}"
        );
    }
}
