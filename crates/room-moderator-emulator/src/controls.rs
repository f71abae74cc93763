//! What every emulated provider shares: latency, scripted faults, a request log, counters and a rate
//! limit. A provider's handler calls [`Controls::admit`] first and answers the fault it gets, if any.
//!
//! Scripted faults are [`FaultRule`]s, matched in the order they were added: the first rule for the
//! call's [`Api`] (or for every call) answers it and, if it lasts a number of calls, counts one down.
//! [`Controls::push_fault`] is a rule for the next call, whatever its API.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::time::Instant;

use crate::faults::{Api, FaultRule, Times};

/// A scripted misbehaviour, answered instead of the request(s) a [`FaultRule`] matches.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer this HTTP status, body and headers.
    Status {
        /// The status code.
        status: u16,
        /// The body, sent as is.
        body: String,
        /// Extra headers.
        headers: Vec<(String, String)>,
    },
    /// Answer the provider's own throttling response (ZEGO code 7 / 660300005, IVS ThrottlingException,
    /// EnableX 429), optionally with `Retry-After` in seconds.
    Throttle {
        /// Seconds for `Retry-After`, where the provider sends one.
        retry_after: Option<u64>,
    },
    /// Wait this long before handling the request as usual (to provoke client timeouts).
    Delay(Duration),
    /// Cut the connection after the headers, without a body.
    Reset,
    /// Answer 200 with this body, whatever the provider would say (HTML, truncated JSON, nothing).
    Malformed(String),
}

impl Fault {
    /// A plain 503 with an HTML body, as a gateway would send.
    pub fn unavailable() -> Self {
        Fault::Status {
            status: 503,
            body: "<html><body>503 Service Unavailable</body></html>".to_owned(),
            headers: vec![("content-type".to_owned(), "text/html".to_owned())],
        }
    }
}

/// One request as the emulator saw it.
#[derive(Clone, Debug, Serialize)]
pub struct LoggedRequest {
    /// Seconds since the Unix epoch, with fractions.
    pub at: f64,
    /// HTTP method, or `"SIO"` for a signalling event.
    pub method: String,
    /// Path and query, or the event name.
    pub target: String,
    /// What the emulator did: `"ok"`, `"throttled"`, `"fault"`, `"rejected: <why>"`.
    pub result: String,
}

/// Counters over everything a provider emulator received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Counters {
    /// Requests received.
    pub requests: u64,
    /// Requests answered with the provider's throttling response because they exceeded the rate.
    pub throttled: u64,
    /// Requests rejected for breaking the provider's rules (bad signature, bad parameters, ...).
    pub violations: u64,
    /// Requests answered with a scripted fault (a scripted throttle included).
    pub faults: u64,
    /// The most requests received in any sliding one-second window (counted exactly, at arrival).
    pub peak_per_second: u64,
    /// Calls of the simulated foreign consumer that the quota admitted (see
    /// [`Controls::set_foreign_load`]); not part of `requests`.
    pub foreign: u64,
}

/// What [`Controls::admit`] decided.
#[derive(Debug)]
pub enum Admission {
    /// Handle the request normally.
    Proceed,
    /// The provider's rate limit was exceeded: answer its throttling response.
    Throttled {
        /// Seconds to advertise in `Retry-After`, if any.
        retry_after: Option<u64>,
    },
    /// Answer this scripted fault (never [`Fault::Throttle`] or [`Fault::Delay`], which are resolved here).
    Fault(Fault),
}

/// The request log keeps this many entries, the newest (so a long soak cannot grow it without bound).
pub const LOG_CAPACITY: usize = 100_000;

/// The most fault rules one listener holds at once; [`Controls::add_fault`] refuses more.
pub const MAX_FAULT_RULES: usize = 1_024;

const WINDOW: Duration = Duration::from_secs(1);

/// The documented rate, enforced over every sliding one-second window: a request is admitted when
/// fewer than `rate` requests were admitted in the second before it. Throttled requests do not use
/// the quota (as with a token bucket); a stricter provider may count them too, which only makes
/// backing off matter more.
struct Quota {
    rate: u32,
    admitted: VecDeque<Instant>,
    foreign: Option<Foreign>,
}

/// A consumer of the same quota that the client cannot see: another instance, another team's
/// service. It calls at a fixed share of the rate, evenly spaced; a call the window has no room for
/// waits and goes first when room appears (the foreign consumer keeps its share whatever the client
/// does, as a well-behaved competitor that retries would).
struct Foreign {
    share: f64,
    spacing: Duration,
    next: Instant,
    /// Calls due but not yet admitted, at most one second's worth.
    waiting: u32,
}

impl Quota {
    fn new(rate: NonZeroU32) -> Self {
        Quota {
            rate: rate.get(),
            admitted: VecDeque::new(),
            foreign: None,
        }
    }

    fn prune(&mut self, now: Instant) {
        while self.admitted.front().is_some_and(|&at| at + WINDOW <= now) {
            self.admitted.pop_front();
        }
    }

    fn try_admit(&mut self, at: Instant) -> bool {
        self.prune(at);
        if self.admitted.len() < self.rate as usize {
            self.admitted.push_back(at);
            true
        } else {
            false
        }
    }

    /// Plays the foreign consumer's calls up to `now`; returns how many were admitted.
    fn run_foreign(&mut self, now: Instant) -> u64 {
        let Some(mut foreign) = self.foreign.take() else {
            return 0;
        };
        // After a long idle spell only the last two seconds matter to the window.
        if now.saturating_duration_since(foreign.next) > 2 * WINDOW {
            foreign.next = now - 2 * WINDOW;
        }
        let mut admitted = 0;
        while foreign.next <= now {
            foreign.waiting = (foreign.waiting + 1).min(self.rate);
            while foreign.waiting > 0 && self.try_admit(foreign.next) {
                foreign.waiting -= 1;
                admitted += 1;
            }
            foreign.next += foreign.spacing;
        }
        while foreign.waiting > 0 && self.try_admit(now) {
            foreign.waiting -= 1;
            admitted += 1;
        }
        self.foreign = Some(foreign);
        admitted
    }
}

struct State {
    latency: Duration,
    faults: VecDeque<FaultRule>,
    log: VecDeque<LoggedRequest>,
    counters: Counters,
    quota: Option<Quota>,
    /// Arrival times within the last second, for the peak.
    arrivals: VecDeque<Instant>,
}

/// Latency, faults, log, counters and rate limit of one emulated provider. Cheap to clone.
#[derive(Clone)]
pub struct Controls {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Controls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controls")
            .field("counters", &self.counters())
            .finish_non_exhaustive()
    }
}

impl Controls {
    /// Controls enforcing `per_second` requests in any sliding one-second window, or no limit.
    pub fn new(per_second: Option<NonZeroU32>) -> Self {
        Controls {
            state: Arc::new(Mutex::new(State {
                latency: Duration::ZERO,
                faults: VecDeque::new(),
                log: VecDeque::new(),
                counters: Counters::default(),
                quota: per_second.map(Quota::new),
                arrivals: VecDeque::new(),
            })),
        }
    }

    /// Whether `other` is a clone of these controls (the same listener's).
    pub fn same_as(&self, other: &Controls) -> bool {
        Arc::ptr_eq(&self.state, &other.state)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds latency to every request: the answer leaves this long after the request arrived.
    pub fn set_latency(&self, latency: Duration) {
        self.state().latency = latency;
    }

    /// Changes the rate limit (`None`: unlimited). A foreign load carries over.
    pub fn set_rate_limit(&self, per_second: Option<NonZeroU32>) {
        let mut state = self.state();
        let share = state
            .quota
            .as_ref()
            .and_then(|q| q.foreign.as_ref())
            .map(|f| f.share);
        state.quota = per_second.map(Quota::new);
        drop(state);
        if let Some(share) = share {
            self.set_foreign_load(share);
        }
    }

    /// Simulates a foreign consumer of the quota taking `share` (0 to 1) of the rate, so that
    /// contention can be reproduced with one client. 0 turns it off; without a rate limit it does
    /// nothing.
    pub fn set_foreign_load(&self, share: f64) {
        let mut state = self.state();
        let Some(quota) = state.quota.as_mut() else {
            return;
        };
        let share = if share.is_finite() {
            share.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let per_second = f64::from(quota.rate) * share;
        quota.foreign = (per_second > 0.0).then(|| Foreign {
            share,
            spacing: Duration::from_secs_f64(1.0 / per_second),
            next: Instant::now(),
            waiting: 0,
        });
    }

    /// Queues a fault for the next request, whatever its API.
    pub fn push_fault(&self, fault: Fault) {
        self.push_faults(1, fault);
    }

    /// Queues the same fault for the next `n` requests, whatever their API.
    pub fn push_faults(&self, n: usize, fault: Fault) {
        if n > 0 {
            let _ = self.add_fault(FaultRule {
                api: None,
                fault,
                times: Times::Next(n as u64),
            });
        }
    }

    /// Adds a fault rule after those already held: it answers the calls it matches that no earlier
    /// rule answers. `false` (and nothing added) when [`MAX_FAULT_RULES`] are held, or when it
    /// would answer no call (`Times::Next(0)`).
    pub fn add_fault(&self, rule: FaultRule) -> bool {
        let mut state = self.state();
        if state.faults.len() >= MAX_FAULT_RULES || rule.times == Times::Next(0) {
            return false;
        }
        state.faults.push_back(rule);
        true
    }

    /// Drops every fault rule, those lasting for good included.
    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    /// The fault rules held, in the order they match (a counted rule with what it has left).
    pub fn faults(&self) -> Vec<FaultRule> {
        self.state().faults.iter().cloned().collect()
    }

    /// The last requests (at most `LOG_CAPACITY`), oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state().log.iter().cloned().collect()
    }

    /// Counters so far.
    pub fn counters(&self) -> Counters {
        self.state().counters
    }

    /// Forgets log, counters, queued faults and the quota's window.
    pub fn reset(&self) {
        let mut state = self.state();
        state.log.clear();
        state.faults.clear();
        state.counters = Counters::default();
        state.arrivals.clear();
        if let Some(quota) = state.quota.as_mut() {
            quota.admitted.clear();
        }
    }

    /// Logs a request of `api` (`None`: one no [`Api`] names) and decides how to treat it. The
    /// request is counted and judged when it arrives: scripted faults first, then the rate limit.
    /// Latency and delays are waited out afterwards, before the answer.
    pub async fn admit(&self, api: Option<Api>, method: &str, target: &str) -> Admission {
        self.admit_with(api, method, target, true, |_| true).await
    }

    /// [`admit`](Self::admit) for a provider API with a limit of its own (per room, say): when no
    /// fault is scripted, `own_limit` is asked first (with the arrival time; `false` throttles the
    /// request), then the provider's rate limit, but only if `provider_quota` (the API shares it).
    pub async fn admit_with(
        &self,
        api: Option<Api>,
        method: &str,
        target: &str,
        provider_quota: bool,
        own_limit: impl FnOnce(Instant) -> bool,
    ) -> Admission {
        let now = Instant::now();
        let (latency, admission) = {
            let mut state = self.state();
            state.counters.requests += 1;
            state.arrivals.push_back(now);
            while state.arrivals.front().is_some_and(|&at| at + WINDOW <= now) {
                state.arrivals.pop_front();
            }
            let in_window = state.arrivals.len() as u64;
            state.counters.peak_per_second = state.counters.peak_per_second.max(in_window);
            let foreign = state
                .quota
                .as_mut()
                .map_or(0, |quota| quota.run_foreign(now));
            state.counters.foreign += foreign;
            let (admission, result) = match next_fault(&mut state.faults, api) {
                Some(Fault::Delay(delay)) => (Err(delay), "ok (delayed)"),
                Some(Fault::Throttle { retry_after }) => {
                    (Ok(Admission::Throttled { retry_after }), "fault: throttle")
                }
                Some(fault) => (Ok(Admission::Fault(fault)), "fault"),
                None => {
                    let admitted = own_limit(now)
                        && (!provider_quota
                            || state
                                .quota
                                .as_mut()
                                .is_none_or(|quota| quota.try_admit(now)));
                    if admitted {
                        (Ok(Admission::Proceed), "ok")
                    } else {
                        (
                            Ok(Admission::Throttled {
                                retry_after: Some(1),
                            }),
                            "throttled",
                        )
                    }
                }
            };
            match &admission {
                Ok(Admission::Throttled { .. }) if result == "throttled" => {
                    state.counters.throttled += 1
                }
                Ok(Admission::Throttled { .. } | Admission::Fault(_)) => state.counters.faults += 1,
                _ => {}
            }
            if state.log.len() >= LOG_CAPACITY {
                state.log.pop_front();
            }
            state.log.push_back(LoggedRequest {
                at: SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map(|d| d.as_secs_f64())
                    .unwrap_or_default(),
                method: method.to_owned(),
                target: target.to_owned(),
                result: result.to_owned(),
            });
            (state.latency, admission)
        };
        tokio::time::sleep(latency).await;
        match admission {
            Ok(admission) => admission,
            Err(delay) => {
                tokio::time::sleep(delay).await;
                Admission::Proceed
            }
        }
    }

    /// Records that the last request broke a rule of the provider's (bad signature, bad parameter).
    pub fn record_violation(&self, why: &str) {
        let mut state = self.state();
        state.counters.violations += 1;
        if let Some(last) = state.log.back_mut() {
            last.result = format!("rejected: {why}");
        }
    }
}

/// The fault of the first rule matching a call of `api`, counting it down (and dropping it when
/// spent).
fn next_fault(rules: &mut VecDeque<FaultRule>, api: Option<Api>) -> Option<Fault> {
    let index = rules.iter().position(|rule| rule.matches(api))?;
    let rule = &mut rules[index];
    match &mut rule.times {
        Times::Always => Some(rule.fault.clone()),
        Times::Next(left) => {
            *left = left.saturating_sub(1);
            if *left == 0 {
                rules.remove(index).map(|rule| rule.fault)
            } else {
                Some(rule.fault.clone())
            }
        }
    }
}

/// The HTTP answer for a scripted fault other than throttling.
pub fn fault_response(fault: Fault) -> Response {
    match fault {
        Fault::Status {
            status,
            body,
            headers,
        } => {
            let mut response = (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                body,
            )
                .into_response();
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) =
                    (HeaderName::try_from(name), HeaderValue::try_from(value))
                {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
        Fault::Malformed(body) => (StatusCode::OK, body).into_response(),
        Fault::Reset => {
            // A body stream that fails makes hyper abort the connection mid-response.
            let failing = futures::stream::once(async {
                Err::<Vec<u8>, _>(std::io::Error::other("emulated reset"))
            });
            Response::builder()
                .status(StatusCode::OK)
                .header("content-length", "100")
                .body(Body::from_stream(failing))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Fault::Throttle { .. } | Fault::Delay(_) => {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(n: u32) -> Option<NonZeroU32> {
        NonZeroU32::new(n)
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_holds_over_every_sliding_second_and_the_peak_is_exact() {
        let controls = Controls::new(rate(10));
        // 10 calls in the first 100 ms fill the window; the 11th at 900 ms is throttled, and the
        // window frees at 1000 ms exactly, not at a fixed second boundary.
        for _ in 0..10 {
            assert!(matches!(
                controls.admit(None, "GET", "/").await,
                Admission::Proceed
            ));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert!(matches!(
            controls.admit(None, "GET", "/").await,
            Admission::Throttled { .. }
        ));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(matches!(
            controls.admit(None, "GET", "/").await,
            Admission::Proceed
        ));
        let counters = controls.counters();
        assert_eq!(counters.throttled, 1);
        assert_eq!(
            counters.peak_per_second, 11,
            "all received in one second count"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_foreign_consumer_takes_its_share_of_the_quota() {
        let controls = Controls::new(rate(20));
        controls.set_foreign_load(0.5);
        let mut admitted = 0;
        for _ in 0..200 {
            if matches!(controls.admit(None, "GET", "/").await, Admission::Proceed) {
                admitted += 1;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        // Five seconds of a quota of 20 a second: 100 calls in all, about half of them foreign (the
        // client gets a few more in the first second, before the foreign calls add up).
        let foreign = controls.counters().foreign;
        assert!(
            (95..=101).contains(&(admitted + foreign)),
            "{admitted} + {foreign}"
        );
        assert!((40..=55).contains(&foreign), "{foreign}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_api_with_its_own_limit_may_stay_outside_the_provider_quota() {
        let controls = Controls::new(rate(1));
        assert!(matches!(
            controls.admit(None, "GET", "/").await,
            Admission::Proceed
        ));
        // The provider's quota is used up: an API outside it proceeds, unless its own limit says no.
        assert!(matches!(
            controls.admit_with(None, "GET", "/", false, |_| true).await,
            Admission::Proceed
        ));
        assert!(matches!(
            controls
                .admit_with(None, "GET", "/", false, |_| false)
                .await,
            Admission::Throttled { .. }
        ));
        assert!(matches!(
            controls.admit_with(None, "GET", "/", true, |_| true).await,
            Admission::Throttled { .. }
        ));
        assert_eq!(controls.counters().throttled, 2);
        assert_eq!(controls.requests().len(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn the_log_is_bounded() {
        let controls = Controls::new(None);
        for _ in 0..LOG_CAPACITY + 10 {
            controls.admit(None, "GET", "/").await;
        }
        assert_eq!(controls.requests().len(), LOG_CAPACITY);
        assert_eq!(controls.counters().requests, (LOG_CAPACITY + 10) as u64);
    }
}

#[cfg(test)]
mod rule_tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rules_match_their_api_in_order_and_count_down() {
        let controls = Controls::new(None);
        controls.add_fault(FaultRule::next(
            Api::ZimKick,
            2,
            Fault::Throttle { retry_after: None },
        ));
        controls.add_fault(FaultRule::always(Api::ZimKick, Fault::Reset));
        controls.push_fault(Fault::Malformed("x".to_owned()));
        let kick = || controls.admit(Some(Api::ZimKick), "GET", "/");
        assert!(matches!(kick().await, Admission::Throttled { .. }));
        // A call of another API skips the kick's rules and takes the next one for every call.
        assert!(matches!(
            controls.admit(Some(Api::ZimList), "GET", "/").await,
            Admission::Fault(Fault::Malformed(_))
        ));
        assert!(matches!(
            controls.admit(Some(Api::ZimList), "GET", "/").await,
            Admission::Proceed
        ));
        assert!(matches!(kick().await, Admission::Throttled { .. }));
        for _ in 0..3 {
            assert!(matches!(kick().await, Admission::Fault(Fault::Reset)));
        }
        assert_eq!(controls.faults().len(), 1);
        controls.clear_faults();
        assert!(matches!(kick().await, Admission::Proceed));
        assert_eq!(controls.counters().faults, 6);
    }

    #[test]
    fn rules_are_bounded() {
        let controls = Controls::new(None);
        for _ in 0..MAX_FAULT_RULES {
            assert!(controls.add_fault(FaultRule::always(Api::IvsKick, Fault::Reset)));
        }
        assert!(!controls.add_fault(FaultRule::always(Api::IvsKick, Fault::Reset)));
        assert!(!Controls::new(None).add_fault(FaultRule::next(Api::IvsKick, 0, Fault::Reset)));
    }
}
