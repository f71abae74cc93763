//! The one place this crate touches reqwest: send one JSON call, read status, `Retry-After` and at
//! most [`MAX_BODY`] bytes. Everything else is plain data, so the adapters move onto core's shared
//! HTTP glue by replacing this file.

use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use room_moderator_core::toolkit::{
    CappedBody, MAX_BODY, Symptoms, TransportFailure, transport_error,
};
use room_moderator_core::{Error, parse_retry_after};
use serde_json::Value;
use url::Url;

/// The HTTP methods the two APIs use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Delete,
}

/// A complete answer.
#[derive(Clone, Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: Vec<u8>,
}

/// A reqwest client that follows no redirect (credentials ride on every call).
#[derive(Clone, Debug)]
pub(crate) struct Http {
    client: reqwest::Client,
    provider: &'static str,
}

impl Http {
    pub(crate) fn new(timeout: Duration, provider: &'static str) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::config(format!("cannot set up the HTTP client: {e}"))
                    .with_provider(provider)
                    .with_source(e)
            })?;
        Ok(Http { client, provider })
    }

    /// Sends `method url` with `Authorization: authorization` and, if given, `body` as JSON. `Err`
    /// only when no complete answer arrived.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: Url,
        authorization: &str,
        body: Option<&Value>,
    ) -> Result<Answer, Error> {
        let provider = self.provider;
        let failed = |e: reqwest::Error| {
            let e = e.without_url();
            let failure = TransportFailure::from_symptoms(Symptoms {
                timed_out: e.is_timeout(),
                connect: e.is_connect(),
                body: e.is_body() || e.is_decode(),
            });
            transport_error(provider, failure, &e).with_source(e)
        };
        let method = match method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut request = self
            .client
            .request(method, url)
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, "application/json");
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let mut response = request.send().await.map_err(failed)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let mut capped = CappedBody::new(MAX_BODY);
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if capped.push(&chunk) {
                break;
            }
        }
        Ok(Answer {
            status,
            retry_after,
            body: capped.into_bytes(),
        })
    }
}
