//! Every way a DisconnectUser call can fail, through the real SDK deserializer (aws-smithy-mocks replays
//! raw HTTP answers) or, for failures without an answer, from constructed `SdkError`s.

use std::time::Duration;

use aws_sdk_ivschat::config::http::HttpResponse;
use aws_sdk_ivschat::error::{BuildError, ConnectorError, SdkError};
use aws_sdk_ivschat::operation::disconnect_user::DisconnectUserError;
use aws_sdk_ivschat::types::error::AccessDeniedException;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::body::SdkBody;
use room_moderator_core::{
    Adapter, Batch, BatchResult, DisconnectRequest, Engine, Error, ErrorKind, Moderator, Outcome,
    Reason, RetryPolicy, RetryStatus, RoomId, UserId,
};

use super::from_sdk_error;

/// The mapping as DisconnectUser uses it.
fn disconnect_error(err: SdkError<DisconnectUserError, HttpResponse>) -> Error {
    from_sdk_error(err)
}
use crate::{IvsChat, IvsChatBuilder};

const ROOM: &str = "arn:aws:ivschat:us-east-1:123456789012:room/g1H2I3j4k5L6";
const REQUEST_ID: &str = "3e6f3a0c-6b2e-4b8e-9d55-0d2f9a1b7c11";

fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    let mut response = HttpResponse::new(
        status.try_into().expect("valid status"),
        SdkBody::from(body.to_owned()),
    );
    for (name, value) in headers {
        response
            .headers_mut()
            .insert((*name).to_owned(), (*value).to_owned());
    }
    response
}

/// An IVS error answer as the service sends it: `x-amzn-ErrorType`, `x-amzn-RequestId`, JSON body.
fn aws_error(status: u16, error_type: &'static str, body: &'static str) -> Rule {
    mock!(aws_sdk_ivschat::Client::disconnect_user).then_http_response(move || {
        answer(
            status,
            &[
                ("x-amzn-ErrorType", error_type),
                ("x-amzn-RequestId", REQUEST_ID),
                ("content-type", "application/json"),
            ],
            body,
        )
    })
}

fn adapter(rule: &Rule) -> IvsChat {
    let client = mock_client!(aws_sdk_ivschat, RuleMode::Sequential, [rule]);
    // `finish` is `build` without the (here absent) environment loading, so this stays synchronous.
    IvsChatBuilder::from_conf(client.config().clone())
        .finish()
        .expect("mock adapter")
}

async fn send(adapter: &IvsChat, reason: Option<&str>) -> BatchResult {
    let room = RoomId::new(ROOM);
    let users = [UserId::new("troll")];
    let reason = reason.map(Reason::new);
    adapter
        .send_batch(Batch {
            room: &room,
            users: &users,
            reason: reason.as_ref(),
            attempt: 1,
        })
        .await
}

async fn failure(rule: Rule) -> Error {
    match send(&adapter(&rule), None).await {
        BatchResult::Whole(error) => error,
        other => panic!("expected a whole-batch failure, got {other:?}"),
    }
}

fn assert_error(error: &Error, kind: ErrorKind, code: Option<&str>, temporary: bool) {
    assert_eq!(error.kind(), kind, "{error}");
    assert_eq!(error.code(), code, "{error}");
    assert_eq!(error.is_temporary(), temporary, "{error}");
    assert_eq!(error.provider(), Some("ivschat"));
}

#[tokio::test]
async fn success_is_disconnected_and_the_request_carries_room_user_and_reason() {
    let rule = mock!(aws_sdk_ivschat::Client::disconnect_user)
        .match_requests(|input| {
            input.room_identifier() == Some(ROOM)
                && input.user_id() == Some("troll")
                && input.reason() == Some("spam")
        })
        .then_http_response(|| answer(200, &[("x-amzn-RequestId", REQUEST_ID)], ""));
    let result = send(&adapter(&rule), Some("spam")).await;
    assert!(
        matches!(&result, BatchResult::PerUser(outcomes) if matches!(outcomes[..], [Outcome::Disconnected])),
        "{result:?}"
    );
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn an_empty_json_object_is_success_too() {
    let rule = mock!(aws_sdk_ivschat::Client::disconnect_user)
        .then_http_response(|| answer(200, &[], "{}"));
    assert!(matches!(
        send(&adapter(&rule), None).await,
        BatchResult::PerUser(_)
    ));
}

#[tokio::test]
async fn a_200_that_is_not_disconnect_users_answer_is_a_protocol_error() {
    let rule = mock!(aws_sdk_ivschat::Client::disconnect_user).then_http_response(|| {
        answer(
            200,
            &[("x-amzn-RequestId", REQUEST_ID)],
            "<html>captive portal</html>",
        )
    });
    let error = failure(rule).await;
    assert_error(&error, ErrorKind::Protocol, None, true);
    assert_eq!(error.request_id(), Some(REQUEST_ID));
    assert!(error.message().contains("captive portal"), "{error}");
}

/// One error answer as IVS (or the AWS front end) sends it, and what it must become.
struct ErrorCase {
    status: u16,
    error_type: &'static str,
    body: &'static str,
    kind: ErrorKind,
    code: &'static str,
    temporary: bool,
    /// What the message must say (the typed members the SDK parsed).
    says: &'static [&'static str],
}

const ERROR_CASES: &[ErrorCase] = &[
    ErrorCase {
        status: 403,
        error_type: "AccessDeniedException",
        body: r#"{"message":"User is not authorized to perform: ivschat:DisconnectUser"}"#,
        kind: ErrorKind::PermissionDenied,
        code: "AccessDeniedException",
        temporary: false,
        says: &["not authorized"],
    },
    ErrorCase {
        status: 403,
        error_type: "PendingVerification",
        body: r#"{"message":"Your account is pending verification."}"#,
        kind: ErrorKind::AccountNotReady,
        code: "PendingVerification",
        temporary: false,
        says: &["pending verification"],
    },
    ErrorCase {
        status: 404,
        error_type: "ResourceNotFoundException",
        body: r#"{"message":"Room not found","resourceId":"g1H2I3j4k5L6","resourceType":"ROOM"}"#,
        kind: ErrorKind::NotFound,
        code: "ResourceNotFoundException",
        temporary: false,
        says: &["ROOM \"g1H2I3j4k5L6\""],
    },
    ErrorCase {
        status: 429,
        error_type: "ThrottlingException",
        body: r#"{"message":"Rate exceeded","resourceId":"g1H2I3j4k5L6","resourceType":"ROOM","limit":100}"#,
        kind: ErrorKind::Throttled,
        code: "ThrottlingException",
        temporary: true,
        says: &["Rate exceeded", "limit 100"],
    },
    ErrorCase {
        status: 400,
        error_type: "ValidationException",
        body: r#"{"message":"2 validation errors detected","reason":"FIELD_VALIDATION_FAILED","fieldList":[{"name":"userId","message":"Member must have length less than or equal to 128"},{"name":"reason","message":"too long"}]}"#,
        kind: ErrorKind::InvalidInput,
        code: "ValidationException",
        temporary: false,
        says: &[
            "FIELD_VALIDATION_FAILED",
            "userId: Member must have length less than or equal to 128",
            "reason: too long",
        ],
    },
    ErrorCase {
        status: 500,
        error_type: "InternalServerException",
        body: r#"{"message":"Internal failure"}"#,
        kind: ErrorKind::Unavailable,
        code: "InternalServerException",
        temporary: true,
        says: &["Internal failure"],
    },
    // The AWS front end appends its namespace URL; the SDK strips it.
    ErrorCase {
        status: 403,
        error_type: "UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.coral.service/",
        body: r#"{"message":"The security token included in the request is invalid."}"#,
        kind: ErrorKind::Unauthenticated,
        code: "UnrecognizedClientException",
        temporary: false,
        says: &["security token"],
    },
    ErrorCase {
        status: 403,
        error_type: "InvalidSignatureException",
        body: r#"{"message":"Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)"}"#,
        kind: ErrorKind::Unauthenticated,
        code: "InvalidSignatureException",
        temporary: false,
        says: &["Signature expired"],
    },
    // A code we do not know keeps the code and follows the status.
    ErrorCase {
        status: 409,
        error_type: "ConflictException",
        body: r#"{"message":"something new"}"#,
        kind: ErrorKind::InvalidInput,
        code: "ConflictException",
        temporary: false,
        says: &["something new"],
    },
    // A 429 is throttling whatever the code says.
    ErrorCase {
        status: 429,
        error_type: "ValidationException",
        body: r#"{"message":"odd","reason":"OTHER"}"#,
        kind: ErrorKind::Throttled,
        code: "ValidationException",
        temporary: true,
        says: &["odd"],
    },
];

#[tokio::test]
async fn every_error_answer_maps_to_its_kind_code_and_request_id() {
    for case in ERROR_CASES {
        let error = failure(aws_error(case.status, case.error_type, case.body)).await;
        assert_error(&error, case.kind, Some(case.code), case.temporary);
        assert_eq!(error.request_id(), Some(REQUEST_ID), "{error}");
        assert_eq!(error.retry_after(), None, "IVS sends no Retry-After");
        for said in case.says {
            assert!(error.message().contains(said), "{said}: {error}");
        }
    }
}

#[tokio::test]
async fn a_gateway_503_without_a_code_is_unavailable_by_status() {
    let rule = mock!(aws_sdk_ivschat::Client::disconnect_user).then_http_response(|| {
        answer(
            503,
            &[
                ("content-type", "text/html"),
                ("x-amzn-RequestId", REQUEST_ID),
            ],
            "<html><body>503 Service Unavailable</body></html>",
        )
    });
    let error = failure(rule).await;
    assert_error(&error, ErrorKind::Unavailable, None, true);
    assert_eq!(error.request_id(), Some(REQUEST_ID));
}

#[tokio::test]
async fn the_code_may_come_from_the_body_type() {
    let rule = mock!(aws_sdk_ivschat::Client::disconnect_user).then_http_response(|| {
        answer(
            400,
            &[("x-amzn-RequestId", REQUEST_ID)],
            r#"{"__type":"com.amazonaws.ivschat#ValidationException","message":"bad","reason":"OTHER"}"#,
        )
    });
    let error = failure(rule).await;
    assert_error(
        &error,
        ErrorKind::InvalidInput,
        Some("ValidationException"),
        false,
    );
    assert!(error.message().contains("reason OTHER"), "{error}");
}

#[tokio::test]
async fn a_retry_after_from_a_proxy_is_honoured() {
    let rule = mock!(aws_sdk_ivschat::Client::disconnect_user).then_http_response(|| {
        answer(
            503,
            &[
                ("retry-after", "7"),
                ("x-amzn-ErrorType", "ServiceUnavailableException"),
            ],
            r#"{"message":"busy"}"#,
        )
    });
    let error = failure(rule).await;
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn a_modeled_error_without_an_answer_maps_by_its_code() {
    let rule = mock!(aws_sdk_ivschat::Client::disconnect_user).then_error(|| {
        DisconnectUserError::AccessDeniedException(
            AccessDeniedException::builder()
                .message("denied")
                .build()
                .expect("message is set"),
        )
    });
    let error = failure(rule).await;
    assert_eq!(error.kind(), ErrorKind::PermissionDenied);
    assert_eq!(error.code(), Some("AccessDeniedException"));
}

fn raw(status: u16) -> HttpResponse {
    answer(status, &[("x-amzn-RequestId", REQUEST_ID)], "")
}

#[test]
fn timeouts_are_timeouts() {
    let error = disconnect_error(SdkError::timeout_error("operation timed out"));
    assert_error(&error, ErrorKind::Timeout, None, true);
    let error = disconnect_error(SdkError::dispatch_failure(ConnectorError::timeout(
        "connect timed out".into(),
    )));
    assert_error(&error, ErrorKind::Timeout, None, true);
}

#[test]
fn dispatch_failures_are_transport_or_config() {
    let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    let error = disconnect_error(SdkError::dispatch_failure(ConnectorError::io(io.into())));
    assert_error(&error, ErrorKind::Transport, None, true);
    assert!(error.message().contains("refused"), "{error}");

    let no_credentials = aws_credential_types::provider::error::CredentialsError::not_loaded(
        "no providers in chain",
    );
    let error = disconnect_error(SdkError::dispatch_failure(ConnectorError::other(
        no_credentials.into(),
        None,
    )));
    assert_error(&error, ErrorKind::Config, None, false);

    let refused = crate::endpoint::check("http://example.com", false).expect_err("refused");
    let error = disconnect_error(SdkError::dispatch_failure(ConnectorError::other(
        refused.into(),
        None,
    )));
    assert_error(&error, ErrorKind::Config, None, false);
    assert!(error.message().contains("with_allow_http"), "{error}");
}

#[test]
fn response_errors_are_protocol_or_transport() {
    let error = disconnect_error(SdkError::response_error("truncated answer", raw(200)));
    // Not the service's answer: sent again, like a 5xx.
    assert_error(&error, ErrorKind::Protocol, None, true);
    assert_eq!(error.request_id(), Some(REQUEST_ID));

    let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
    let error = disconnect_error(SdkError::response_error(reset, raw(200)));
    assert_error(&error, ErrorKind::Transport, None, true);
}

#[test]
fn construction_failures_are_invalid_input_or_config() {
    let error = disconnect_error(SdkError::construction_failure(BuildError::missing_field(
        "user_id", "required",
    )));
    assert_error(&error, ErrorKind::InvalidInput, None, false);
    let error = disconnect_error(SdkError::construction_failure("no endpoint resolver"));
    assert_error(&error, ErrorKind::Config, None, false);
}

fn throttled() -> HttpResponse {
    answer(
        429,
        &[("x-amzn-ErrorType", "ThrottlingException")],
        r#"{"message":"Rate exceeded","limit":100}"#,
    )
}

/// `throttles` throttled answers, then success.
fn throttled_then_success(throttles: usize) -> Rule {
    mock!(aws_sdk_ivschat::Client::disconnect_user)
        .sequence()
        .http_response(throttled)
        .times(throttles)
        .http_response(|| answer(200, &[], ""))
        .build()
}

#[tokio::test]
async fn one_send_is_one_http_request_even_when_throttled() {
    let rule = throttled_then_success(3);
    let adapter = adapter(&rule);
    let result = send(&adapter, None).await;
    assert!(matches!(result, BatchResult::Whole(ref e) if e.kind() == ErrorKind::Throttled));
    assert_eq!(rule.num_calls(), 1, "the SDK must not retry by itself");
}

#[tokio::test(start_paused = true)]
async fn the_engine_owns_retries_one_request_per_attempt() {
    let rule = throttled_then_success(3);
    let engine = Engine::builder(adapter(&rule))
        .with_retry(
            RetryPolicy::default()
                .with_max_attempts(4)
                .with_jitter(false),
        )
        .build();
    let report = engine
        .disconnect(&DisconnectRequest::new(ROOM, ["troll"]))
        .await
        .expect("valid request");
    assert!(matches!(report.users()[0].outcome, Outcome::Disconnected));
    assert_eq!(report.users()[0].attempts, 4);
    assert_eq!(rule.num_calls(), 4);

    let rule = mock!(aws_sdk_ivschat::Client::disconnect_user)
        .sequence()
        .http_response(throttled)
        .repeatedly()
        .build();
    // Throttling is re-sent until the deadline (it does not spend the attempt budget).
    let engine = Engine::builder(adapter(&rule))
        .with_retry(RetryPolicy::default().with_max_attempts(3))
        .with_deadline(std::time::Duration::from_secs(10))
        .build();
    let report = engine
        .disconnect(&DisconnectRequest::new(ROOM, ["troll"]))
        .await
        .expect("valid request");
    let error = report.users()[0].outcome.error().expect("failed");
    assert_eq!(error.kind(), ErrorKind::Throttled);
    assert_eq!(error.status(), RetryStatus::Persistent);
    assert_eq!(
        rule.num_calls(),
        report.users()[0].attempts as usize,
        "engine attempts, not engine x SDK"
    );
    assert_eq!(report.throttled(), report.users()[0].attempts);
}

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let rule =
        mock!(aws_sdk_ivschat::Client::disconnect_user).then_http_response(|| answer(200, &[], ""));
    let engine = Engine::new(adapter(&rule));
    for (request, says) in [
        (
            DisconnectRequest::new("g1H2I3j4k5L6", ["troll"]),
            "not an IVS Chat room ARN",
        ),
        (
            DisconnectRequest::new(ROOM, ["u".repeat(129)]),
            "the limit is 128 characters",
        ),
        (
            DisconnectRequest::new(ROOM, ["troll"]).with_reason("r".repeat(257)),
            "at most 256",
        ),
        (DisconnectRequest::new(ROOM, Vec::<String>::new()), "empty"),
    ] {
        let error = engine.disconnect(&request).await.expect_err(says);
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
        assert!(error.message().contains(says), "{error}");
    }
    assert_eq!(rule.num_calls(), 0);
}

#[tokio::test]
async fn a_larger_batch_than_ivs_takes_is_refused_unsent() {
    let rule =
        mock!(aws_sdk_ivschat::Client::disconnect_user).then_http_response(|| answer(200, &[], ""));
    let adapter = adapter(&rule);
    let room = RoomId::new(ROOM);
    let users = [UserId::new("a"), UserId::new("b")];
    let result = adapter
        .send_batch(Batch {
            room: &room,
            users: &users,
            reason: None,
            attempt: 1,
        })
        .await;
    assert!(matches!(result, BatchResult::Whole(ref e) if e.kind() == ErrorKind::Config));
    assert_eq!(rule.num_calls(), 0);
}
