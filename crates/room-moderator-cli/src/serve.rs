//! `moderator serve`: the webhook receiver as a process. One route per provider whose callback
//! secret is set, `GET /healthz`, `GET /metrics`; re-kicks banned users through each provider's
//! usual adapter (the same configuration `moderator kick` reads) and ban store.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::routing::get;
use room_moderator::webhooks::{
    METRICS_CONTENT_TYPE, RedisReplayCache, Route, Secret, Webhooks, WebhooksBuilder,
};
use room_moderator::{Moderator, Provider};

use crate::Failure;
use crate::args::{Connection, ServeArgs};
use crate::connect;

/// The variables holding each route's callback secret.
pub const ZEGO_CALLBACK_SECRET: &str = "ZEGO_CALLBACK_SECRET";
/// LiveKit signs with an API key and its secret.
pub const LIVEKIT_API_KEY: &str = "LIVEKIT_API_KEY";
/// The secret of [`LIVEKIT_API_KEY`].
pub const LIVEKIT_API_SECRET: &str = "LIVEKIT_API_SECRET";
/// Agora Notifications' secret.
pub const AGORA_NCS_SECRET: &str = "AGORA_NCS_SECRET";
/// Agora Chat's callback rule secret.
pub const AGORA_CHAT_CALLBACK_SECRET: &str = "AGORA_CHAT_CALLBACK_SECRET";

/// What `serve --help` adds: routes, secrets, several instances.
pub fn help() -> String {
    let secrets = |route: &str| match route {
        "zego" => ZEGO_CALLBACK_SECRET.to_owned(),
        "livekit" => format!("{LIVEKIT_API_KEY} and {LIVEKIT_API_SECRET}"),
        "agora-rtc" => AGORA_NCS_SECRET.to_owned(),
        _ => AGORA_CHAT_CALLBACK_SECRET.to_owned(),
    };
    [
        "Routes (one per provider whose secret is set; the others are named on stderr at start-up):".to_owned(),
        format!("  POST /webhooks/zego-zim    ZIM room_enter               {}", secrets("zego")),
        "                             (comma-separated for rotation: the CallbackSecret, not the ServerSecret)".to_owned(),
        format!("  POST /webhooks/zego-rtc    Express RTC room_login       {}", secrets("zego")),
        format!("  POST /webhooks/livekit     participant_joined           {}", secrets("livekit")),
        format!("  POST /webhooks/agora-rtc   channel events 103, 105, 107 {}", secrets("agora-rtc")),
        "                             (Agora-Signature-V2; V1 too with --agora-signature-v1)".to_owned(),
        format!("  POST /webhooks/agora-chat  chat-room JOIN               {}", secrets("agora-chat")),
        "  GET  /healthz              200 ok".to_owned(),
        "  GET  /metrics              Prometheus text: moderator_webhook_callbacks_total, _refused_total, _joins_total".to_owned(),
        String::new(),
        "A banned user's join is re-kicked with the ban's reason through the provider's adapter, configured".to_owned(),
        "by its usual variables (see `moderator kick --help`), with bans from --store / MODERATOR_BAN_STORE.".to_owned(),
        "Answers: 200 verified (a delivery seen before: 200, not acted on again), 401 bad signature, 400".to_owned(),
        "malformed or outside the time window, 413 over the size limit, 503 busy (the provider retries).".to_owned(),
        String::new(),
        "Several instances behind one load balancer: give each the same Redis, for the replay cache (a retry".to_owned(),
        "that reaches another instance is not acted on twice), the provider quota and the bans:".to_owned(),
        "  moderator serve --listen 0.0.0.0:8787 --redis redis://cache:6379/0 --store redis://cache:6379/0".to_owned(),
        "  moderator serve --listen 0.0.0.0:8788 --redis redis://cache:6379/0 --store redis://cache:6379/0".to_owned(),
        String::new(),
        "SIGTERM or Ctrl-C stops taking callbacks, finishes the re-kicks in flight, and exits 0.".to_owned(),
    ]
    .join("\n")
}

/// A variable's value, if set and not blank.
fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// Runs the receiver until SIGTERM or Ctrl-C.
pub async fn run(args: ServeArgs) -> Result<ExitCode, Failure> {
    let connection = Connection {
        endpoint: None,
        allow_http: false,
        redis: args.redis.clone(),
        deadline: None,
    };
    let moderator = |provider: Provider| {
        let builder = connect::with_store(
            connect::builder(provider, &connection),
            args.store.as_deref(),
        );
        async move { builder?.build().await.map_err(Failure::Config) }
    };
    let mut webhooks = WebhooksBuilder::new();
    let mut routes = 0;
    for route in Route::ALL {
        let missing = match route {
            Route::ZegoZim | Route::ZegoRtc => var(ZEGO_CALLBACK_SECRET)
                .is_none()
                .then_some(ZEGO_CALLBACK_SECRET.to_owned()),
            Route::LiveKit => (var(LIVEKIT_API_KEY).is_none() || var(LIVEKIT_API_SECRET).is_none())
                .then(|| format!("{LIVEKIT_API_KEY} and {LIVEKIT_API_SECRET}")),
            Route::AgoraRtc => var(AGORA_NCS_SECRET)
                .is_none()
                .then_some(AGORA_NCS_SECRET.to_owned()),
            _ => var(AGORA_CHAT_CALLBACK_SECRET)
                .is_none()
                .then_some(AGORA_CHAT_CALLBACK_SECRET.to_owned()),
        };
        if let Some(variable) = missing {
            eprintln!("no route for {route}: set {variable}");
            continue;
        }
        let provider: Provider = route.name().parse().map_err(Failure::Config)?;
        let kicker: Arc<dyn Moderator> = moderator(provider).await?;
        webhooks = match route {
            Route::ZegoZim | Route::ZegoRtc => {
                let secrets: Vec<Secret> = var(ZEGO_CALLBACK_SECRET)
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|secret| !secret.is_empty())
                    .map(Secret::new)
                    .collect();
                if route == Route::ZegoZim {
                    webhooks.zego_zim(secrets, kicker)
                } else {
                    webhooks.zego_rtc(secrets, kicker)
                }
            }
            Route::LiveKit => webhooks.livekit(
                [(
                    var(LIVEKIT_API_KEY).unwrap_or_default(),
                    Secret::new(var(LIVEKIT_API_SECRET).unwrap_or_default()),
                )],
                kicker,
            ),
            Route::AgoraRtc => webhooks.agora_rtc(
                Secret::new(var(AGORA_NCS_SECRET).unwrap_or_default()),
                args.agora_signature_v1,
                kicker,
            ),
            _ => webhooks.agora_chat(
                Secret::new(var(AGORA_CHAT_CALLBACK_SECRET).unwrap_or_default()),
                kicker,
            ),
        };
        routes += 1;
    }
    if routes == 0 {
        return Err(Failure::Usage(
            "no provider has a callback secret set: nothing to serve (see moderator serve --help)"
                .to_owned(),
        ));
    }
    if let Some(url) = &args.redis {
        webhooks = webhooks.replay_cache(Arc::new(
            RedisReplayCache::open(url).map_err(Failure::Config)?,
        ));
    }
    let webhooks = webhooks.build().map_err(Failure::Config)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|error| Failure::Usage(format!("cannot listen on {}: {error}", args.listen)))?;
    let address = listener
        .local_addr()
        .map_err(|error| Failure::Usage(format!("cannot listen on {}: {error}", args.listen)))?;
    println!("listening on http://{address}");
    let _ = std::io::stdout().flush();
    let app = app(&webhooks);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(stop_signal())
        .await;
    // Callbacks are no longer taken: finish the re-kicks queued and in flight.
    webhooks.shutdown().await;
    served.map_err(|error| Failure::Usage(format!("the server failed: {error}")))?;
    Ok(ExitCode::SUCCESS)
}

/// The webhook routes, `/healthz` and `/metrics`.
fn app(webhooks: &Webhooks) -> Router {
    let metrics = webhooks.clone();
    webhooks
        .router()
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/metrics",
            get(move || {
                let text = metrics.metrics().text();
                async move { ([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], text) }
            }),
        )
}

/// SIGTERM or Ctrl-C (SIGINT).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
