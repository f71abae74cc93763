//! What every provider adapter needs around its transport, written once so that the same fault gives
//! the same [`ErrorKind`](crate::ErrorKind) on every provider.
//!
//! Without features core keeps no HTTP client: these are functions over plain data (a status, a code
//! table's row, a description of a transport failure, body chunks, a URL), so reqwest-based adapters
//! and the AWS SDK adapter map the same way. With the `http` feature, [`http`](mod@http) adds the
//! reqwest glue every HTTP adapter shares (client, send, capped answer, decoding, classification).
//!
//! - [`status`]: the one HTTP-status table ([`status_meaning`]).
//! - [`classify()`]: "429 wins, then the provider's body code refines the status" over an adapter's
//!   code table ([`classify()`], [`FailedAnswer`]).
//! - [`endpoint`]: https unless loopback or opted in ([`check_endpoint`]).
//! - [`body`]: how much of an answer is read ([`MAX_BODY`], [`CappedBody`]) and how it is quoted.
//! - [`transport`]: timeouts, refused connections, broken bodies ([`transport_error`]).
//! - `http` (feature `http`): [`HttpClient`](http::HttpClient) and [`HttpAnswer`](http::HttpAnswer).
//! - [`config`]: one configuration contract for every adapter builder ([`AdapterBuilder`],
//!   [`Connection`], [`EnvVar`], [`Vars`], [`connection_setters!`](crate::connection_setters)).
//!
//! `Retry-After` is read by [`parse_retry_after`](crate::parse_retry_after).

pub mod body;
pub mod classify;
pub mod config;
pub mod endpoint;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;
pub mod status;
pub mod transport;

pub use body::{CappedBody, MAX_BODY, snippet};
pub use classify::{Classified, CodeMeaning, FailedAnswer, classify};
pub use config::{AdapterBuilder, Connection, DEFAULT_TIMEOUT, EnvVar, Vars, env_vars, non_empty};
pub use endpoint::{HTTP, Schemes, WEBSOCKET, check_endpoint};
pub use status::{StatusMeaning, status_meaning};
pub use transport::{Symptoms, TransportFailure, transport_error};
