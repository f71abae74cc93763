//! Load figures for the receiver: 1,000 signed "user joined" callbacks a second per provider, from
//! users who are not banned (the store holds 1,000 bans of others), over real loopback HTTP. Prints
//! the answers, latency percentiles and the provider calls made (must be 0).
//!
//! `cargo run --release -p room-moderator-webhooks --example callback_load [-- SECONDS]`

use std::sync::Arc;
use std::time::Duration;

use room_moderator_core::mock::MockAdapter;
use room_moderator_core::{BanRequest, Moderator, wall_clock_now};
use room_moderator_webhooks::sign;
use room_moderator_webhooks::{Route, WebhooksBuilder};
use tokio::sync::Semaphore;
use tokio::time::Instant;

const KEY: &str = "APIkey";
const SECRET: &str = "load-secret-0123456789";
const RATE: u64 = 1_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    println!(
        "{:<11} {:>9} {:>7} {:>7} {:>9} {:>9} {:>9} {:>15}",
        "provider", "callbacks", "200", "other", "rate/s", "p50 ms", "p99 ms", "provider calls"
    );
    for route in Route::ALL {
        let mock = MockAdapter::new();
        let moderator: Arc<dyn Moderator> = Arc::new(mock.moderator());
        let banned: Vec<String> = (0..1_000).map(|n| format!("9{n:05}")).collect();
        moderator.ban(&BanRequest::new("lobby", banned)).await?;
        mock.clear_calls();
        let builder = WebhooksBuilder::new();
        let builder = match route {
            Route::ZegoZim => builder.zego_zim([SECRET], moderator),
            Route::ZegoRtc => builder.zego_rtc([SECRET], moderator),
            Route::LiveKit => builder.livekit([(KEY, SECRET)], moderator),
            Route::AgoraRtc => builder.agora_rtc(SECRET, false, moderator),
            _ => builder.agora_chat(SECRET, moderator),
        };
        let webhooks = builder.build()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let server = tokio::spawn(axum::serve(listener, webhooks.router()).into_future());

        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        let total = RATE * seconds;
        let in_flight = Arc::new(Semaphore::new(512));
        let mut tasks = tokio::task::JoinSet::new();
        let start = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / RATE));
        for n in 0..total {
            tick.tick().await;
            let user = format!("{}", 100_000 + n);
            let callback = sign::event(
                route,
                true,
                (KEY, SECRET),
                ("lobby", &user),
                &format!("load-{n}"),
                wall_clock_now(),
            );
            let mut request = client
                .post(format!("{base}{}", callback.path))
                .body(callback.body);
            for (name, value) in callback.headers {
                request = request.header(name, value);
            }
            let permit = in_flight.clone().acquire_owned().await?;
            tasks.spawn(async move {
                let sent = Instant::now();
                let status = request
                    .send()
                    .await
                    .map(|answer| answer.status().as_u16())
                    .unwrap_or(0);
                drop(permit);
                (status, sent.elapsed())
            });
        }
        let mut latencies = Vec::new();
        let (mut ok, mut other) = (0u64, 0u64);
        while let Some(result) = tasks.join_next().await {
            let (status, latency) = result?;
            if status == 200 {
                ok += 1
            } else {
                other += 1
            }
            latencies.push(latency);
        }
        let elapsed = start.elapsed();
        webhooks.shutdown().await;
        server.abort();
        latencies.sort();
        let percentile = |p: f64| {
            let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
            latencies
                .get(index)
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        let calls = mock.calls().len() + mock.side_calls().len();
        println!(
            "{:<11} {:>9} {:>7} {:>7} {:>9.0} {:>9.2} {:>9.2} {:>15}",
            route.name(),
            total,
            ok,
            other,
            total as f64 / elapsed.as_secs_f64(),
            percentile(0.5),
            percentile(0.99),
            calls
        );
        assert_eq!(
            calls, 0,
            "a join by a user who is not banned made a provider call"
        );
    }
    Ok(())
}
