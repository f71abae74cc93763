//! The same fault gives the same kind on every provider: a base URL that answers 404 to everything
//! (a typo, a missing path prefix, the wrong service behind a proxy) is `Config` on ZEGO, IVS Chat and
//! EnableX, never "room not found"; and a redirect is never followed by any adapter (it could carry a
//! signature or credentials elsewhere).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use room_moderator::enablex::EnablexBuilder;
use room_moderator::ivs::IvsChatBuilder;
use room_moderator::zego::{ZegoRtcBuilder, ZegoZimBuilder};
use room_moderator::{AdapterExt, DisconnectRequest, ErrorKind, Moderator, Outcome};

const IVS_ROOM: &str = "arn:aws:ivschat:us-east-1:123456789012:room/g1H2I3j4k5L6";

/// Serves `router` on a loopback port; returns its base URL and a counter of requests it received.
async fn serve(router: Router) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&hits);
    let router = router.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let counted = Arc::clone(&counted);
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                next.run(request).await
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (base, hits)
}

/// Every adapter pointed at `base`, each with a room its rules accept.
async fn every_adapter(base: &str) -> Vec<(&'static str, Arc<dyn Moderator>, &'static str)> {
    let zim = ZegoZimBuilder::new(1, "server-secret")
        .with_endpoint(base)
        .build()
        .expect("zim");
    let rtc = ZegoRtcBuilder::new(1, "server-secret")
        .with_endpoint(base)
        .build()
        .expect("rtc");
    let ivs = IvsChatBuilder::new()
        .with_region("us-east-1")
        .with_credentials("AKIDEXAMPLE", "secret-key", None)
        .with_endpoint(base)
        .build()
        .await
        .expect("ivschat");
    let enablex = EnablexBuilder::new("app-id", "app-key")
        .with_endpoint(format!("{base}/video/v2/"))
        .build()
        .expect("enablex");
    vec![
        ("zego-zim", Arc::new(zim.into_moderator()), "lobby"),
        ("zego-rtc", Arc::new(rtc.into_moderator()), "lobby"),
        ("ivschat", Arc::new(ivs.into_moderator()), IVS_ROOM),
        ("enablex", Arc::new(enablex.into_moderator()), "lobby"),
    ]
}

/// The kind each adapter reports for one user removed through `base`.
async fn kinds(base: &str) -> Vec<(&'static str, ErrorKind, String)> {
    let mut kinds = Vec::new();
    for (name, moderator, room) in every_adapter(base).await {
        let report = moderator
            .disconnect(&DisconnectRequest::new(room, ["troll"]))
            .await
            .expect("the request is valid, so it is sent");
        match report.outcome(&"troll".into()) {
            Some(Outcome::Failed(error)) => kinds.push((name, error.kind(), error.to_string())),
            other => panic!("{name}: expected a failure, got {other:?}"),
        }
    }
    kinds
}

#[tokio::test]
async fn a_base_url_that_answers_404_is_a_config_error_on_every_provider() {
    let (base, hits) =
        serve(Router::new().fallback(|| async { (StatusCode::NOT_FOUND, "Not Found") })).await;
    for (name, kind, error) in kinds(&base).await {
        assert_eq!(kind, ErrorKind::Config, "{name}: {error}");
        assert!(error.contains("404"), "{name}: {error}");
    }
    // One call each: Config is permanent, so nothing is retried.
    assert_eq!(hits.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn no_adapter_follows_a_redirect() {
    let (elsewhere, followed) = serve(
        Router::new()
            .fallback(|| async { (StatusCode::OK, r#"{"Code":0,"result":0,"token":"x"}"#) }),
    )
    .await;
    let (base, hits) = serve(Router::new().fallback(move || {
        let location = format!("{elsewhere}/moved");
        async move { (StatusCode::FOUND, [(header::LOCATION, location)]).into_response() }
    }))
    .await;
    for (name, kind, error) in kinds(&base).await {
        assert_eq!(kind, ErrorKind::Config, "{name}: {error}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 4);
    assert_eq!(
        followed.load(Ordering::SeqCst),
        0,
        "an adapter followed the redirect"
    );
}
