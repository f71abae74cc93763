//! The HTTP glue of every reqwest-based adapter, written once (feature `http`).
//!
//! An adapter builds its request and decodes its answer; everything between is here:
//!
//! - [`HttpClient::new`] checks the [`Connection`] (endpoint policy, positive timeout) and sets up
//!   rustls, the timeout (connecting included) and **no redirects** (a redirect could carry a
//!   signature or credentials elsewhere, perhaps over plain http; a 3xx is reported as
//!   [`ErrorKind::Config`](crate::ErrorKind::Config) by [`status_meaning`](super::status_meaning)).
//! - [`HttpClient::send`] sends, reads at most [`MAX_BODY`] bytes of the answer, and maps a failure
//!   before a complete answer to [`transport_error`] with the URL dropped (it may hold a signature).
//! - [`HttpAnswer`] carries the status, the headers and the capped body: [`HttpAnswer::json`] decodes a
//!   success (a body that does not decode is [`ErrorKind::Protocol`](crate::ErrorKind::Protocol), never
//!   a success), [`HttpAnswer::failure`] writes a failed answer's error through
//!   [`classify()`](super::classify()) with the adapter's code table, `Retry-After` included.
//!
//! ```no_run
//! use room_moderator_core::Error;
//! use room_moderator_core::toolkit::http::HttpClient;
//! use room_moderator_core::toolkit::{CodeMeaning, Connection};
//!
//! #[derive(serde::Deserialize)]
//! struct Removed { removed: u32 }
//! #[derive(serde::Deserialize)]
//! struct Refusal { code: String, msg: String }
//!
//! fn lookup(code: &str) -> Option<CodeMeaning> {
//!     (code == "not_found").then(|| CodeMeaning::new(room_moderator_core::ErrorKind::NotFound, "no such room"))
//! }
//!
//! # async fn demo() -> Result<(), Error> {
//! let http = HttpClient::new(&Connection::default(), "https://api.example.com/v1/", "acme")?;
//! let url = http.url(["rooms", "lobby", "kick"])?;
//! let answer = http.send(http.post(url).bearer_auth("token").json(&["spammer"])).await?;
//! if !answer.is_success() {
//!     let refusal: Option<Refusal> = answer.try_json();
//!     let code = refusal.as_ref().map(|r| r.code.as_str());
//!     let said = refusal.as_ref().map_or("", |r| r.msg.as_str());
//!     return Err(answer.failure(code, code.and_then(lookup), said));
//! }
//! let removed: Removed = answer.json()?;
//! # let _ = removed.removed;
//! # Ok(()) }
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use serde::de::DeserializeOwned;
use url::Url;

use crate::toolkit::body::{CappedBody, MAX_BODY, snippet};
use crate::toolkit::classify::{CodeMeaning, FailedAnswer};
use crate::toolkit::config::Connection;
use crate::toolkit::endpoint::HTTP;
use crate::toolkit::transport::{Symptoms, TransportFailure, transport_error};
use crate::{Error, parse_retry_after};

pub use reqwest::{Method, RequestBuilder};

/// An HTTP client for one provider endpoint: rustls, the connection's timeout, no redirects.
///
/// Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    endpoint: Url,
    provider: &'static str,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("provider", &self.provider)
            .field("endpoint", &self.endpoint.as_str())
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client for `connection`'s endpoint (else `default_endpoint`), checked by
    /// [`Connection::checked_endpoint`] (https unless loopback or opted in; a positive timeout).
    /// Fails with [`ErrorKind::Config`](crate::ErrorKind::Config) naming `provider`.
    pub fn new(
        connection: &Connection,
        default_endpoint: &str,
        provider: &'static str,
    ) -> Result<Self, Error> {
        let endpoint = connection.checked_endpoint(default_endpoint, HTTP, provider)?;
        let client = reqwest::Client::builder()
            .timeout(connection.timeout)
            .connect_timeout(connection.timeout)
            .user_agent(concat!("room-moderator/", env!("CARGO_PKG_VERSION")))
            // A redirect could take a signature or credentials elsewhere, possibly over plain http.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::config(format!("cannot set up the HTTP client: {e}"))
                    .with_provider(provider)
                    .with_source(e)
            })?;
        Ok(HttpClient {
            client,
            endpoint,
            provider,
        })
    }

    /// The checked endpoint.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// The provider named in errors.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// The endpoint with `segments` appended to its path, each percent-encoded as one segment (a
    /// room id holding `/` or `?` stays one segment); the endpoint's query is kept.
    ///
    /// ```
    /// use room_moderator_core::toolkit::Connection;
    /// use room_moderator_core::toolkit::http::HttpClient;
    /// let http = HttpClient::new(&Connection::default(), "https://api.example.com/v2/", "acme")?;
    /// assert_eq!(http.url(["rooms", "a/b", "tokens"])?.as_str(), "https://api.example.com/v2/rooms/a%2Fb/tokens");
    /// # Ok::<_, room_moderator_core::Error>(())
    /// ```
    pub fn url<'s>(&self, segments: impl IntoIterator<Item = &'s str>) -> Result<Url, Error> {
        let mut url = self.endpoint.clone();
        url.path_segments_mut()
            .map_err(|()| {
                Error::config(format!("the endpoint {} cannot take a path", self.endpoint))
                    .with_provider(self.provider)
            })?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// A request of `method` to `url` (add headers, auth, a query or a body, then [`send`](Self::send)).
    pub fn request(&self, method: Method, url: Url) -> RequestBuilder {
        self.client.request(method, url)
    }

    /// A GET to `url`.
    pub fn get(&self, url: Url) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    /// A POST to `url`.
    pub fn post(&self, url: Url) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    /// Sends `request` and reads the answer: status, headers and at most [`MAX_BODY`] bytes of body
    /// (the rest is dropped). `Err` only when no complete answer arrived: [`ErrorKind::Timeout`] or
    /// [`ErrorKind::Transport`] (both temporary), or [`ErrorKind::Config`] for a request that could
    /// not be built. Errors never hold the URL.
    ///
    /// [`ErrorKind::Timeout`]: crate::ErrorKind::Timeout
    /// [`ErrorKind::Transport`]: crate::ErrorKind::Transport
    /// [`ErrorKind::Config`]: crate::ErrorKind::Config
    pub async fn send(&self, request: RequestBuilder) -> Result<HttpAnswer, Error> {
        let failed = |error: reqwest::Error| self.transport(error);
        let mut response = request.send().await.map_err(failed)?;
        let status = response.status().as_u16();
        let received = SystemTime::now();
        let mut body = CappedBody::new(MAX_BODY);
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if body.push(&chunk) {
                break;
            }
        }
        Ok(HttpAnswer {
            provider: self.provider,
            status,
            headers: std::mem::take(response.headers_mut()),
            body: body.into_bytes(),
            received,
        })
    }

    /// A failure before a complete answer arrived. The URL is dropped: it may hold a signature.
    fn transport(&self, error: reqwest::Error) -> Error {
        let error = error.without_url();
        if error.is_builder() {
            return Error::config(format!("the request cannot be built: {error}"))
                .with_provider(self.provider)
                .with_source(error);
        }
        let failure = TransportFailure::from_symptoms(Symptoms {
            timed_out: error.is_timeout(),
            connect: error.is_connect(),
            body: error.is_body() || error.is_decode(),
        });
        transport_error(self.provider, failure, &error).with_source(error)
    }
}

/// One complete HTTP answer: status, headers and at most [`MAX_BODY`] bytes of body.
#[derive(Clone, Debug)]
pub struct HttpAnswer {
    provider: &'static str,
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    received: SystemTime,
}

impl HttpAnswer {
    /// An answer from `provider` with `status` and `body` and no headers, for decoders' tests and fuzz
    /// targets (adapters get theirs from [`HttpClient::send`]).
    pub fn new(provider: &'static str, status: u16, body: impl Into<Vec<u8>>) -> Self {
        HttpAnswer {
            provider,
            status,
            headers: HeaderMap::new(),
            body: body.into(),
            received: SystemTime::now(),
        }
    }

    /// Adds a header; a name or value that is not valid in HTTP is ignored (as no server could send
    /// it).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            self.headers.append(name, value);
        }
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as read (at most [`MAX_BODY`] bytes).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The first value of header `name` (case-insensitive), when it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// `Retry-After` (seconds, or an HTTP date relative to when the answer arrived), if the answer
    /// carried a readable one.
    pub fn retry_after(&self) -> Option<Duration> {
        parse_retry_after(self.header(RETRY_AFTER.as_str())?, self.received)
    }

    /// The body decoded as JSON into `T`. A body that does not decode is not the provider's answer
    /// (a proxy's page, `{"ok": true}`): [`Error::unreadable_answer`], temporary with an unknown
    /// effect, quoting its start; never a success. An adapter whose call is not safe to repeat marks
    /// it permanent.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|why| {
            Error::unreadable_answer(format!(
                "HTTP {} but the body is not the answer expected ({why}): {}",
                self.status,
                snippet(&self.body)
            ))
            .with_provider(self.provider)
        })
    }

    /// The body decoded as JSON into `T`, if it decodes (for reading a failed answer's envelope).
    pub fn try_json<T: DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The error of a failed answer: the kind by [`classify()`](super::classify()) from the status
    /// and the provider's `code` (as sent) with the adapter table's row for it (`known`), what the
    /// provider `said`, and `Retry-After`. See [`FailedAnswer::into_error`].
    pub fn failure(&self, code: Option<&str>, known: Option<CodeMeaning>, said: &str) -> Error {
        let error = FailedAnswer {
            status: self.status,
            code,
            known,
            said,
        }
        .into_error(self.provider);
        match self.retry_after() {
            Some(wait) => error.with_retry_after(wait),
            None => error,
        }
    }

    /// The error of a failed answer whose body names no code: the status decides.
    pub fn status_failure(&self) -> Error {
        self.failure(None, None, "")
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::Router;
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    use axum::routing::{get, post};

    use super::*;
    use crate::ErrorKind;

    const PROVIDER: &str = "acme";

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Ok_ {
        ok: bool,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Refusal {
        code: String,
        msg: String,
    }

    const NOT_FOUND: CodeMeaning = CodeMeaning::new(ErrorKind::NotFound, "no such room");

    fn lookup(code: &str) -> Option<CodeMeaning> {
        (code == "not_found").then_some(NOT_FOUND)
    }

    /// How the adapter under test reads an answer: success decoded, failure classified.
    fn decode(answer: &HttpAnswer) -> Result<Ok_, Error> {
        if !answer.is_success() {
            let refusal: Option<Refusal> = answer.try_json();
            let code = refusal.as_ref().map(|r| r.code.as_str());
            let said = refusal.as_ref().map_or("", |r| r.msg.as_str());
            return Err(answer.failure(code, code.and_then(lookup), said));
        }
        answer.json()
    }

    async fn serve(app: Router) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    fn client(addr: SocketAddr, timeout: Duration) -> HttpClient {
        let connection = Connection {
            endpoint: Some(format!("http://{addr}/v1/")),
            timeout,
            ..Connection::default()
        };
        HttpClient::new(&connection, "https://unused.example/", PROVIDER).unwrap()
    }

    async fn call(http: &HttpClient, path: &str) -> Result<HttpAnswer, Error> {
        let url = http.url(["x", path]).unwrap();
        http.send(
            http.post(url)
                .json(&serde_json::json!({"secret": "s3cr3t"})),
        )
        .await
    }

    fn app() -> Router {
        Router::new()
            .route("/v1/x/ok", post(|| async { r#"{"ok":true}"# }))
            .route(
                "/v1/x/throttled-seconds",
                post(|| async {
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        [(header::RETRY_AFTER, "7")],
                        r#"{"code":"not_found","msg":"slow down"}"#,
                    )
                }),
            )
            .route(
                "/v1/x/throttled-date",
                post(|| async {
                    let at = SystemTime::now() + Duration::from_secs(120);
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        [(header::RETRY_AFTER, httpdate::fmt_http_date(at))],
                    )
                        .into_response()
                }),
            )
            .route(
                "/v1/x/busy",
                post(|| async { (StatusCode::BAD_GATEWAY, "<html>502 Bad Gateway</html>") }),
            )
            .route(
                "/v1/x/missing",
                post(|| async {
                    (
                        StatusCode::NOT_FOUND,
                        r#"{"code":"not_found","msg":"room lobby"}"#,
                    )
                }),
            )
            .route(
                "/v1/x/junk",
                post(|| async { "<html><body>Welcome to nginx</body></html>" }),
            )
            .route(
                "/v1/x/huge",
                post(|| async {
                    format!(r#"{{"ok":true,"padding":"{}"}}"#, "x".repeat(2 * MAX_BODY))
                }),
            )
            .route(
                "/v1/x/redirect",
                post(|| async {
                    (
                        StatusCode::TEMPORARY_REDIRECT,
                        [(header::LOCATION, "http://127.0.0.1:9/v1/x/ok")],
                    )
                }),
            )
            .route(
                "/v1/x/silent",
                post(|| async {
                    std::future::pending::<()>().await;
                    ""
                }),
            )
            .route("/v1/x/get", get(|| async { r#"{"ok":false}"# }))
    }

    #[tokio::test]
    async fn a_success_decodes() {
        let http = client(serve(app()).await, Duration::from_secs(5));
        let answer = call(&http, "ok").await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(decode(&answer).unwrap(), Ok_ { ok: true });
        let answer = http
            .send(http.get(http.url(["x", "get"]).unwrap()))
            .await
            .unwrap();
        assert_eq!(decode(&answer).unwrap(), Ok_ { ok: false });
    }

    #[tokio::test]
    async fn throttling_is_throttling_whatever_the_body_says_and_carries_retry_after() {
        let http = client(serve(app()).await, Duration::from_secs(5));
        let error = decode(&call(&http, "throttled-seconds").await.unwrap()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Throttled, "{error}");
        assert!(error.is_temporary());
        assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(error.code(), Some("not_found"));
        assert_eq!(error.provider(), Some(PROVIDER));

        let error = decode(&call(&http, "throttled-date").await.unwrap()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Throttled, "{error}");
        let wait = error.retry_after().expect("an HTTP date is read");
        assert!(
            wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
    }

    #[tokio::test]
    async fn a_known_code_refines_the_status_and_a_5xx_is_temporary() {
        let http = client(serve(app()).await, Duration::from_secs(5));
        let error = decode(&call(&http, "missing").await.unwrap()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
        assert!(error.message().contains("room lobby"), "{error}");
        assert_eq!(error.retry_after(), None);

        let error = decode(&call(&http, "busy").await.unwrap()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
        assert!(error.is_temporary());
        assert!(error.message().starts_with("HTTP 502"), "{error}");
    }

    #[tokio::test]
    async fn a_2xx_that_is_not_the_answer_is_a_protocol_error() {
        let http = client(serve(app()).await, Duration::from_secs(5));
        let error = decode(&call(&http, "junk").await.unwrap()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Protocol, "{error}");
        assert!(
            error.is_temporary(),
            "an unreadable answer is retried: {error}"
        );
        assert!(error.message().contains("nginx"), "{error}");
        assert_eq!(error.provider(), Some(PROVIDER));
    }

    #[tokio::test]
    async fn bodies_are_read_up_to_64_kib() {
        let http = client(serve(app()).await, Duration::from_secs(5));
        let answer = call(&http, "huge").await.unwrap();
        assert_eq!(answer.body().len(), MAX_BODY);
        // Read whole, it would decode.
        let error = decode(&answer).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Protocol, "{error}");
        assert!(error.message().len() < 400, "{}", error.message().len());
    }

    #[tokio::test]
    async fn redirects_are_reported_not_followed() {
        let http = client(serve(app()).await, Duration::from_secs(5));
        let answer = call(&http, "redirect").await.unwrap();
        assert_eq!(answer.status(), 307);
        let error = decode(&answer).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config, "{error}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_server_times_out_without_the_url() {
        let addr = serve(app()).await;
        let http = client(addr, Duration::from_secs(3));
        let started = tokio::time::Instant::now();
        let error = call(&http, "silent").await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
        assert!(error.is_temporary());
        assert!(started.elapsed() >= Duration::from_secs(3));
        assert!(!error.to_string().contains("127.0.0.1"), "{error}");
        assert!(!format!("{error:?}").contains("/v1/x"), "{error:?}");
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_temporary_transport_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let http = client(addr, Duration::from_secs(5));
        let error = call(&http, "ok").await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
        assert!(error.is_temporary());
        assert!(error.message().starts_with("could not connect"), "{error}");
        assert!(!error.to_string().contains(&addr.to_string()), "{error}");
    }

    #[test]
    fn the_endpoint_policy_applies() {
        let mut connection = Connection {
            endpoint: Some("http://api.example.com/".to_owned()),
            ..Connection::default()
        };
        let error = HttpClient::new(&connection, "https://unused.example/", PROVIDER).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config);
        assert_eq!(error.provider(), Some(PROVIDER));
        connection.endpoint = None;
        connection.timeout = Duration::ZERO;
        assert!(HttpClient::new(&connection, "https://api.example.com/", PROVIDER).is_err());
    }

    #[test]
    fn answers_built_by_hand_read_the_same() {
        let answer = HttpAnswer::new(PROVIDER, 429, "")
            .with_header("Retry-After", "9")
            .with_header("x-request-id", "r-1")
            .with_header("bad header", "ignored");
        assert_eq!(answer.retry_after(), Some(Duration::from_secs(9)));
        assert_eq!(answer.header("X-Request-Id"), Some("r-1"));
        assert_eq!(answer.status_failure().kind(), ErrorKind::Throttled);
        assert!(!answer.is_success());
    }
}
