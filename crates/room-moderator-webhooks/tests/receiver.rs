//! The receiver end to end in process: each provider's genuine, forged, stale, replayed and
//! oversized callbacks, the re-kick of banned users (exactly one provider call, with the ban's
//! reason) and no provider call for anyone else, the full queue, the rate limit and the counters.
//! Requests go through the router itself (no sockets), on paused time.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use room_moderator_core::mock::{CallScript, MockAdapter};
use room_moderator_core::{BanRequest, Moderator, wall_clock_now};
use room_moderator_webhooks::sign::{self, SignedCallback};
use room_moderator_webhooks::{Route, Webhooks, WebhooksBuilder};
use tokio::time::Instant;
use tower::ServiceExt;

const KEY: &str = "APIkey";
const SECRET: &str = "callback-secret-0123456789";
const ROOM: &str = "lobby";
const TROLL: &str = "1001";
const GUEST: &str = "2002";

struct Setup {
    webhooks: Webhooks,
    router: Router,
    mock: MockAdapter,
}

/// A receiver with `route` configured over a fresh mock whose store bans TROLL in ROOM.
async fn setup(route: Route, tune: impl FnOnce(WebhooksBuilder) -> WebhooksBuilder) -> Setup {
    let mock = MockAdapter::new();
    let moderator: Arc<dyn Moderator> = Arc::new(mock.moderator());
    moderator
        .ban(&BanRequest::new(ROOM, [TROLL]).with_reason("raiding"))
        .await
        .expect("ban");
    mock.clear_calls();
    let builder = match route {
        Route::ZegoZim => WebhooksBuilder::new().zego_zim(["old-secret", SECRET], moderator),
        Route::ZegoRtc => WebhooksBuilder::new().zego_rtc([SECRET], moderator),
        Route::LiveKit => WebhooksBuilder::new().livekit([(KEY, SECRET)], moderator),
        Route::AgoraRtc => WebhooksBuilder::new().agora_rtc(SECRET, false, moderator),
        _ => WebhooksBuilder::new().agora_chat(SECRET, moderator),
    };
    let webhooks = tune(builder).build().expect("build");
    Setup {
        router: webhooks.router(),
        webhooks,
        mock,
    }
}

fn join(route: Route, user: &str, id: &str) -> SignedCallback {
    sign::event(
        route,
        true,
        (KEY, SECRET),
        (ROOM, user),
        id,
        wall_clock_now(),
    )
}

async fn send(router: &Router, callback: &SignedCallback) -> StatusCode {
    let mut request = Request::post(callback.path);
    for (name, value) in &callback.headers {
        request = request.header(*name, value);
    }
    let request = request
        .body(Body::from(callback.body.clone()))
        .expect("request");
    router
        .clone()
        .oneshot(request)
        .await
        .expect("infallible")
        .status()
}

#[tokio::test(start_paused = true)]
async fn a_banned_users_join_is_rekicked_once_with_the_bans_reason() {
    for route in Route::ALL {
        let setup = setup(route, |b| b).await;
        let start = Instant::now();
        let callback = join(route, TROLL, "delivery-1");
        assert_eq!(
            send(&setup.router, &callback).await,
            StatusCode::OK,
            "{route}"
        );
        assert_eq!(
            send(&setup.router, &callback).await,
            StatusCode::OK,
            "{route}: a replay is acknowledged"
        );
        setup.webhooks.shutdown().await;
        let calls = setup.mock.calls();
        assert_eq!(
            calls.len(),
            1,
            "{route}: exactly one disconnect, the replay acts on nothing"
        );
        assert_eq!(calls[0].users, [TROLL.into()], "{route}");
        assert_eq!(calls[0].room.as_str(), ROOM, "{route}");
        assert_eq!(
            calls[0].reason.as_ref().map(|r| r.as_str()),
            Some("raiding"),
            "{route}"
        );
        assert!(
            calls[0].at - start < Duration::from_secs(1),
            "{route}: re-kicked within a second"
        );
        let metrics = setup.webhooks.metrics().text();
        let provider = route.name();
        for line in [
            format!("moderator_webhook_callbacks_total{{provider=\"{provider}\"}} 2"),
            format!(
                "moderator_webhook_refused_total{{provider=\"{provider}\",reason=\"replay\"}} 1"
            ),
            format!(
                "moderator_webhook_joins_total{{provider=\"{provider}\",outcome=\"disconnected\"}} 1"
            ),
        ] {
            assert!(metrics.contains(&line), "{route}: {line} in\n{metrics}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn anyone_elses_join_makes_no_provider_call() {
    for route in Route::ALL {
        let setup = setup(route, |b| b).await;
        for n in 0..20 {
            let callback = join(route, GUEST, &format!("guest-{n}"));
            assert_eq!(
                send(&setup.router, &callback).await,
                StatusCode::OK,
                "{route}"
            );
        }
        let leave = sign::event(
            route,
            false,
            (KEY, SECRET),
            (ROOM, TROLL),
            "leave-1",
            wall_clock_now(),
        );
        assert_eq!(
            send(&setup.router, &leave).await,
            StatusCode::OK,
            "{route}: leaves are acknowledged"
        );
        setup.webhooks.shutdown().await;
        assert!(setup.mock.calls().is_empty(), "{route}: no kick");
        assert!(
            setup.mock.side_calls().is_empty(),
            "{route}: no other provider call"
        );
        let metrics = setup.webhooks.metrics().text();
        let line = format!(
            "moderator_webhook_joins_total{{provider=\"{}\",outcome=\"not_banned\"}} 20",
            route.name()
        );
        assert!(metrics.contains(&line), "{route}: {line} in\n{metrics}");
    }
}

#[tokio::test(start_paused = true)]
async fn forged_stale_and_oversized_callbacks_kick_nobody() {
    for route in Route::ALL {
        let setup = setup(route, |b| b).await;
        // Forged: signed with another secret.
        let forged = sign::event(
            route,
            true,
            (KEY, "not-the-secret"),
            (ROOM, TROLL),
            "f-1",
            wall_clock_now(),
        );
        assert_eq!(
            send(&setup.router, &forged).await,
            StatusCode::UNAUTHORIZED,
            "{route}"
        );
        // Tampered: a genuine signature over another body (or, where the body is not signed, a
        // malformed one), so nothing verifiable.
        let mut tampered = join(route, TROLL, "t-1");
        tampered.body.retain(|b| *b != b'}');
        let status = send(&setup.router, &tampered).await;
        assert!(
            matches!(status, StatusCode::UNAUTHORIZED | StatusCode::BAD_REQUEST),
            "{route}: {status}"
        );
        // Unsigned: no signature header, no signature field.
        let genuine = join(route, TROLL, "u-1");
        let body = String::from_utf8(genuine.body.clone()).expect("utf-8");
        let unsigned = SignedCallback {
            headers: vec![("content-type", "application/json".into())],
            body: body
                .replace("\"signature\"", "\"unsigned\"")
                .replace("\"security\"", "\"unsigned\"")
                .into_bytes(),
            ..genuine
        };
        assert_eq!(
            send(&setup.router, &unsigned).await,
            StatusCode::UNAUTHORIZED,
            "{route}"
        );
        // Stale: signed an hour ago (LiveKit: the token expired long since).
        let stale = sign::event(
            route,
            true,
            (KEY, SECRET),
            (ROOM, TROLL),
            "s-1",
            wall_clock_now() - Duration::from_secs(3600),
        );
        assert_eq!(
            send(&setup.router, &stale).await,
            StatusCode::BAD_REQUEST,
            "{route}"
        );
        // From the future, beyond the window.
        let ahead = sign::event(
            route,
            true,
            (KEY, SECRET),
            (ROOM, TROLL),
            "s-2",
            wall_clock_now() + Duration::from_secs(900),
        );
        assert_eq!(
            send(&setup.router, &ahead).await,
            StatusCode::BAD_REQUEST,
            "{route}"
        );
        // Oversized: over the limit, declared or not.
        let mut big = join(route, TROLL, "b-1");
        big.body = vec![b' '; route.body_limit() + 1];
        assert_eq!(
            send(&setup.router, &big).await,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{route}"
        );
        let mut request = Request::post(route.path());
        for (name, value) in &big.headers {
            request = request.header(*name, value);
        }
        let chunks = futures_chunks(route.body_limit() + 1);
        let request = request.body(Body::from_stream(chunks)).expect("request");
        let status = setup
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible")
            .status();
        assert_eq!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{route}: streamed without a length"
        );
        setup.webhooks.shutdown().await;
        assert!(setup.mock.calls().is_empty(), "{route}: nobody kicked");
        let metrics = setup.webhooks.metrics().text();
        for reason in ["signature", "stale", "too_big"] {
            let line = format!(
                "moderator_webhook_refused_total{{provider=\"{}\",reason=\"{reason}\"}}",
                route.name()
            );
            assert!(metrics.contains(&line), "{route}: {line} in\n{metrics}");
        }
    }
}

/// A body of `len` bytes sent in 1 KiB chunks with no `Content-Length`.
fn futures_chunks(len: usize) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..len.div_ceil(1024))
        .map(|i| Ok(vec![b' '; 1024.min(len - i * 1024)]))
        .collect();
    futures::stream::iter(chunks)
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_answers_503_and_the_retry_is_acted_on() {
    let setup = setup(Route::LiveKit, |b| b.queue_capacity(1).concurrency(1)).await;
    let moderator = setup.mock.moderator();
    moderator
        .ban(&BanRequest::new(ROOM, ["b1", "b2", "b3", "b4"]).with_reason("raiding"))
        .await
        .expect("ban");
    setup.mock.clear_calls();
    // The first kick takes ten seconds: the worker is busy, one join waits for it, one is queued.
    setup
        .mock
        .push_call(CallScript::Delay(Duration::from_secs(10)));
    for (n, user) in ["b1", "b2", "b3"].iter().enumerate() {
        assert_eq!(
            send(
                &setup.router,
                &join(Route::LiveKit, user, &format!("q-{n}"))
            )
            .await,
            StatusCode::OK
        );
        tokio::task::yield_now().await;
    }
    let refused = join(Route::LiveKit, "b4", "q-4");
    assert_eq!(
        send(&setup.router, &refused).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    tokio::time::sleep(Duration::from_secs(11)).await;
    // The provider's retry of the same delivery is not a replay: it was never taken.
    assert_eq!(send(&setup.router, &refused).await, StatusCode::OK);
    setup.webhooks.shutdown().await;
    let mut kicked: Vec<String> = setup
        .mock
        .calls()
        .iter()
        .flat_map(|c| c.users.iter().map(|u| u.to_string()))
        .collect();
    kicked.sort();
    assert_eq!(kicked, ["b1", "b2", "b3", "b4"]);
    assert!(
        setup
            .webhooks
            .metrics()
            .text()
            .contains("reason=\"queue_full\"} 1")
    );
}

#[tokio::test(start_paused = true)]
async fn a_user_who_reconnects_at_once_is_kicked_at_most_once_a_second() {
    let setup = setup(Route::ZegoRtc, |b| b).await;
    let start = Instant::now();
    for n in 0..10 {
        assert_eq!(
            send(
                &setup.router,
                &join(Route::ZegoRtc, TROLL, &format!("r{n}"))
            )
            .await,
            StatusCode::OK
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    setup.webhooks.shutdown().await;
    let calls = setup.mock.calls();
    assert_eq!(
        calls.len(),
        2,
        "one at once, one when the interval ends, the rest coalesced"
    );
    assert!(calls[0].at - start < Duration::from_millis(100));
    assert!(calls[1].at - calls[0].at >= Duration::from_secs(1));
    assert!(
        setup
            .webhooks
            .metrics()
            .text()
            .contains("outcome=\"coalesced\"} 8")
    );
}

#[tokio::test(start_paused = true)]
async fn after_shutdown_callbacks_are_answered_503() {
    let setup = setup(Route::AgoraRtc, |b| b).await;
    setup.webhooks.shutdown().await;
    assert_eq!(
        send(&setup.router, &join(Route::AgoraRtc, TROLL, "late")).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert!(setup.mock.calls().is_empty());
}

#[tokio::test]
async fn secrets_stay_out_of_debug() {
    let mock = MockAdapter::new();
    let builder = WebhooksBuilder::new()
        .livekit([(KEY, SECRET)], Arc::new(mock.moderator()))
        .zego_zim([SECRET], Arc::new(mock.moderator()));
    assert!(!format!("{builder:?}").contains(SECRET));
    let webhooks = builder.build().expect("build");
    assert!(!format!("{webhooks:?}").contains(SECRET));
    let empty = WebhooksBuilder::new()
        .agora_chat("", Arc::new(mock.moderator()))
        .build();
    assert!(empty.is_err());
    assert!(WebhooksBuilder::new().build().is_err());
    let absurd = WebhooksBuilder::new()
        .agora_chat(SECRET, Arc::new(mock.moderator()))
        .replay_ttl(Duration::MAX)
        .build();
    assert!(absurd.is_err());
}

/// Two receivers sharing one Redis replay cache act on a delivery once, whichever gets it.
#[cfg(feature = "redis")]
#[tokio::test]
async fn two_instances_on_one_redis_kick_once() {
    use room_moderator_webhooks::RedisReplayCache;
    let Some(redis) = room_moderator_state::testing::RedisServer::start() else {
        return;
    };
    let mock = MockAdapter::new();
    let moderator: Arc<dyn Moderator> = Arc::new(mock.moderator());
    moderator
        .ban(&BanRequest::new(ROOM, [TROLL]))
        .await
        .expect("ban");
    mock.clear_calls();
    let instance = || {
        let cache = Arc::new(RedisReplayCache::open(&redis.url()).expect("url"));
        WebhooksBuilder::new()
            .agora_rtc(SECRET, false, moderator.clone())
            .replay_cache(cache)
            .build()
            .expect("build")
    };
    let (a, b) = (instance(), instance());
    let callback = join(Route::AgoraRtc, TROLL, "shared-1");
    assert_eq!(send(&a.router(), &callback).await, StatusCode::OK);
    assert_eq!(send(&b.router(), &callback).await, StatusCode::OK);
    a.shutdown().await;
    b.shutdown().await;
    assert_eq!(mock.calls().len(), 1);
    assert!(b.metrics().text().contains("reason=\"replay\"} 1"));
    // Unreachable Redis: 503, so the provider retries.
    let down = WebhooksBuilder::new()
        .agora_rtc(SECRET, false, moderator.clone())
        .replay_cache(Arc::new(
            RedisReplayCache::open("redis://127.0.0.1:1/").expect("url"),
        ))
        .build()
        .expect("build");
    let callback = join(Route::AgoraRtc, TROLL, "shared-2");
    assert_eq!(
        send(&down.router(), &callback).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
}
