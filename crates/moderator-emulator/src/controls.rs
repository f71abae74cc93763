//! What every emulated provider shares: latency, scripted faults, a request log, counters and a rate
//! limit. A provider's handler calls [`Controls::admit`] first and answers the fault it gets, if any.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::Serialize;

/// A scripted misbehaviour, answered instead of the next request(s).
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
pub struct Counters {
    /// Requests received.
    pub requests: u64,
    /// Requests answered with the provider's throttling response because they exceeded the rate.
    pub throttled: u64,
    /// Requests rejected for breaking the provider's rules (bad signature, bad parameters, ...).
    pub violations: u64,
    /// Requests answered with a scripted fault.
    pub faults: u64,
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

struct State {
    latency: Duration,
    faults: VecDeque<Fault>,
    log: Vec<LoggedRequest>,
    counters: Counters,
    limiter: Option<Arc<DefaultDirectRateLimiter>>,
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
    /// Controls enforcing `per_second` requests per second (token bucket, burst of one second's worth),
    /// or no limit.
    pub fn new(per_second: Option<NonZeroU32>) -> Self {
        Controls {
            state: Arc::new(Mutex::new(State {
                latency: Duration::ZERO,
                faults: VecDeque::new(),
                log: Vec::new(),
                counters: Counters::default(),
                limiter: per_second
                    .map(|rate| Arc::new(RateLimiter::direct(Quota::per_second(rate)))),
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds latency to every request.
    pub fn set_latency(&self, latency: Duration) {
        self.state().latency = latency;
    }

    /// Changes the rate limit (`None`: unlimited).
    pub fn set_rate_limit(&self, per_second: Option<NonZeroU32>) {
        self.state().limiter =
            per_second.map(|rate| Arc::new(RateLimiter::direct(Quota::per_second(rate))));
    }

    /// Queues a fault for the next request.
    pub fn push_fault(&self, fault: Fault) {
        self.state().faults.push_back(fault);
    }

    /// Queues the same fault for the next `n` requests.
    pub fn push_faults(&self, n: usize, fault: Fault) {
        self.state().faults.extend(std::iter::repeat_n(fault, n));
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state().log.clone()
    }

    /// Counters so far.
    pub fn counters(&self) -> Counters {
        self.state().counters
    }

    /// Forgets log, counters and queued faults.
    pub fn reset(&self) {
        let mut state = self.state();
        state.log.clear();
        state.faults.clear();
        state.counters = Counters::default();
    }

    /// Logs a request and decides how to treat it: latency and delays are waited out here; scripted
    /// faults come before the rate limit; a request over the rate limit is counted as throttled.
    pub async fn admit(&self, method: &str, target: &str) -> Admission {
        let (latency, fault, limiter) = {
            let mut state = self.state();
            state.counters.requests += 1;
            let fault = state.faults.pop_front();
            (state.latency, fault, state.limiter.clone())
        };
        tokio::time::sleep(latency).await;
        let (admission, result) = match fault {
            Some(Fault::Delay(delay)) => {
                tokio::time::sleep(delay).await;
                (Admission::Proceed, "ok (delayed)")
            }
            Some(Fault::Throttle { retry_after }) => {
                (Admission::Throttled { retry_after }, "fault: throttle")
            }
            Some(fault) => (Admission::Fault(fault), "fault"),
            None => match limiter.map(|limiter| limiter.check()) {
                Some(Err(_)) => (
                    Admission::Throttled {
                        retry_after: Some(1),
                    },
                    "throttled",
                ),
                _ => (Admission::Proceed, "ok"),
            },
        };
        let mut state = self.state();
        match &admission {
            Admission::Throttled { .. } if result == "throttled" => state.counters.throttled += 1,
            Admission::Throttled { .. } | Admission::Fault(_) => state.counters.faults += 1,
            Admission::Proceed => {}
        }
        state.log.push(LoggedRequest {
            at: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or_default(),
            method: method.to_owned(),
            target: target.to_owned(),
            result: result.to_owned(),
        });
        admission
    }

    /// Records that the last request broke a rule of the provider's (bad signature, bad parameter).
    pub fn record_violation(&self, why: &str) {
        let mut state = self.state();
        state.counters.violations += 1;
        if let Some(last) = state.log.last_mut() {
            last.result = format!("rejected: {why}");
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
