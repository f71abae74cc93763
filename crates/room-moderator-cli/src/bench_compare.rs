//! `moderator bench --compare`: `moderator` against what an application would write instead, in one
//! run against the embedded emulators.
//!
//! - A naive sequential loop: one provider call per user, awaited in turn, no pacing, no retries
//!   (the same signed ZEGO request, the same IVS SDK call, through the adapter alone), against the
//!   engine on the same job, at the configured latency.
//! - Per-call overhead: the adapter's call against a hand-written raw call (ZEGO: reqwest GET signed
//!   with the documented MD5 signature; IVS: the SDK's `DisconnectUser`), sequentially, with no
//!   latency and no rate limit, so the difference is the adapter's own work.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_ivschat::config::{BehaviorVersion, Credentials, Region};
use room_moderator::adapter::{Adapter, Batch, BatchResult};
use room_moderator::{DisconnectRequest, Engine, Moderator, Outcome, RoomId, UserId};
use room_moderator_emulator::Emulator;
use serde_json::json;

use crate::{Failure, emulated};

/// What one side of a comparison did.
struct Side {
    removed: usize,
    calls: u64,
    throttled: u64,
    wall: Duration,
}

fn users(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// `calls` one-user calls through `adapter`, one after the other (users `u-0`, `u-1`, ...).
async fn sequential_calls<A: Adapter>(adapter: &A, room: &RoomId, calls: usize) -> Duration {
    let started = Instant::now();
    for i in 0..calls {
        let user = [UserId::new(format!("u-{i}"))];
        let _ = adapter
            .send_batch(Batch {
                room,
                users: &user,
                reason: None,
                attempt: 1,
            })
            .await;
    }
    started.elapsed()
}

/// Runs both comparisons and prints them.
pub async fn run(
    users_per_job: usize,
    latency: Duration,
    calls: usize,
    json: bool,
) -> Result<(), Failure> {
    let emulator = Emulator::start().await.map_err(Failure::Io)?;
    let naive = naive_against_engine(&emulator, users_per_job, latency).await?;
    let overhead = overhead(&emulator, calls).await?;
    if json {
        for (name, loop_side, engine_side) in &naive {
            println!(
                "{}",
                json!({
                    "comparison": "naive_loop",
                    "provider": name,
                    "users": users_per_job,
                    "latency_ms": latency.as_millis() as u64,
                    "loop": side_json(loop_side),
                    "moderator": side_json(engine_side),
                    "speedup": round3(loop_side.wall.as_secs_f64() / engine_side.wall.as_secs_f64().max(1e-9)),
                })
            );
        }
        for (name, raw, adapter) in &overhead {
            println!(
                "{}",
                json!({
                    "comparison": "per_call_overhead",
                    "provider": name,
                    "calls": calls,
                    "raw_us_per_call": micros(*raw, calls),
                    "adapter_us_per_call": micros(*adapter, calls),
                    "overhead": round3(adapter.as_secs_f64() / raw.as_secs_f64().max(1e-9) - 1.0),
                })
            );
        }
        return Ok(());
    }
    println!(
        "A naive sequential loop (one call per user, awaited in turn, no pacing, no retries) against moderator,\n{users_per_job} users, {latency:?} latency:\n"
    );
    println!(
        "{:<9} {:<10} {:>7} {:>6} {:>9} {:>9} {:>8}",
        "provider", "", "removed", "calls", "throttled", "wall", "speedup"
    );
    for (name, loop_side, engine_side) in &naive {
        println!(
            "{:<9} {:<10} {:>7} {:>6} {:>9} {:>8.2}s",
            name,
            "loop",
            loop_side.removed,
            loop_side.calls,
            loop_side.throttled,
            loop_side.wall.as_secs_f64()
        );
        println!(
            "{:<9} {:<10} {:>7} {:>6} {:>9} {:>8.2}s {:>7.1}x",
            name,
            "moderator",
            engine_side.removed,
            engine_side.calls,
            engine_side.throttled,
            engine_side.wall.as_secs_f64(),
            loop_side.wall.as_secs_f64() / engine_side.wall.as_secs_f64().max(1e-9)
        );
    }
    println!(
        "\nPer-call overhead of the adapter over a hand-written call, {calls} sequential calls, no latency, no rate limit:\n"
    );
    println!(
        "{:<9} {:>12} {:>14} {:>9}",
        "provider", "raw us/call", "adapter us/call", "overhead"
    );
    for (name, raw, adapter) in &overhead {
        println!(
            "{:<9} {:>12.1} {:>14.1} {:>8.1}%",
            name,
            micros(*raw, calls),
            micros(*adapter, calls),
            (adapter.as_secs_f64() / raw.as_secs_f64().max(1e-9) - 1.0) * 100.0
        );
    }
    Ok(())
}

fn side_json(side: &Side) -> serde_json::Value {
    json!({
        "removed": side.removed,
        "calls": side.calls,
        "throttled": side.throttled,
        "wall_s": round3(side.wall.as_secs_f64()),
    })
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

fn micros(total: Duration, calls: usize) -> f64 {
    total.as_secs_f64() * 1e6 / calls.max(1) as f64
}

/// ZIM: the loop and the engine on the same job, each on a fresh room.
async fn naive_against_engine(
    emulator: &Emulator,
    n: usize,
    latency: Duration,
) -> Result<Vec<(&'static str, Side, Side)>, Failure> {
    let controls = emulator.zego().zim().controls();
    controls.set_latency(latency);
    let mut results = Vec::new();

    controls.reset();
    let list = users("loop", n);
    emulator.zego().zim().seed_room("naive", list.clone());
    let adapter = emulated::zim(emulator).await?;
    let room = RoomId::new("naive");
    let started = Instant::now();
    let mut removed = 0;
    for user in &list {
        let user = [UserId::new(user.as_str())];
        let batch = Batch {
            room: &room,
            users: &user,
            reason: None,
            attempt: 1,
        };
        if let BatchResult::PerUser(outcomes) = adapter.send_batch(batch).await
            && matches!(outcomes.first(), Some(Outcome::Disconnected))
        {
            removed += 1;
        }
    }
    let wall = started.elapsed();
    let counters = controls.counters();
    let loop_side = Side {
        removed,
        calls: counters.requests,
        throttled: counters.throttled,
        wall,
    };

    controls.reset();
    let list = users("engine", n);
    emulator.zego().zim().seed_room("engine", list.clone());
    let moderator: Arc<dyn Moderator> = Arc::new(Engine::new(emulated::zim(emulator).await?));
    let started = Instant::now();
    let report = moderator
        .disconnect(&DisconnectRequest::new("engine", list))
        .await
        .map_err(Failure::Config)?;
    let wall = started.elapsed();
    let counters = controls.counters();
    let engine_side = Side {
        removed: report.summary().disconnected,
        calls: counters.requests,
        throttled: counters.throttled,
        wall,
    };
    controls.set_latency(Duration::ZERO);
    results.push(("zego-zim", loop_side, engine_side));
    Ok(results)
}

/// Raw calls against the adapter's, sequentially, with the rate limit and latency off.
async fn overhead(
    emulator: &Emulator,
    calls: usize,
) -> Result<Vec<(&'static str, Duration, Duration)>, Failure> {
    let mut results = Vec::new();

    // ZEGO ZIM: a hand-written signed GET with reqwest.
    let zego = emulator.zego();
    zego.zim().controls().set_rate_limit(None);
    zego.zim().seed_room("raw", users("u", calls));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| Failure::Io(std::io::Error::other(e)))?;
    let endpoint = zego.zim().url();
    let started = Instant::now();
    for i in 0..calls {
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let nonce = format!("{:016x}", i as u64 ^ 0x5eed_0000_0000);
        let signature =
            room_moderator::zego::sign(zego.app_id(), &nonce, zego.server_secret(), timestamp);
        let user = format!("u-{i}");
        let query = [
            ("Action", "KickoutRoomUser".to_owned()),
            ("AppId", zego.app_id().to_string()),
            ("SignatureNonce", nonce),
            ("Timestamp", timestamp.to_string()),
            ("Signature", signature),
            ("SignatureVersion", "2.0".to_owned()),
            ("RoomId", "raw".to_owned()),
            ("UserId[]", user),
        ];
        let answer = http
            .get(&endpoint)
            .query(&query)
            .send()
            .await
            .map_err(|e| Failure::Io(std::io::Error::other(e)))?;
        let _ = answer.bytes().await;
    }
    let raw = started.elapsed();
    zego.zim().seed_room("adapter", users("u", calls));
    let adapter = emulated::zim(emulator).await?;
    let through_adapter = sequential_calls(&adapter, &RoomId::new("adapter"), calls).await;
    zego.zim()
        .controls()
        .set_rate_limit(room_moderator::zego::ZIM_CAPABILITIES.requests_per_second);
    results.push(("zego-zim", raw, through_adapter));

    // IVS Chat: the SDK's DisconnectUser as the AWS docs show it.
    let ivs = emulator.ivschat();
    ivs.controls().set_rate_limit(None);
    let room = ivs.room_arn("overhead");
    ivs.seed_room(&room, users("u", calls));
    let config = aws_sdk_ivschat::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(ivs.region().to_owned()))
        .endpoint_url(ivs.base_url())
        .credentials_provider(Credentials::new(
            ivs.access_key_id(),
            ivs.secret_access_key(),
            None,
            None,
            "bench",
        ))
        .build();
    let client = aws_sdk_ivschat::Client::from_conf(config);
    let started = Instant::now();
    for i in 0..calls {
        let _ = client
            .disconnect_user()
            .room_identifier(&room)
            .user_id(format!("u-{i}"))
            .send()
            .await;
    }
    let raw = started.elapsed();
    let adapter = emulated::ivschat(emulator).await?;
    let through_adapter = sequential_calls(&adapter, &RoomId::new(room.as_str()), calls).await;
    ivs.controls()
        .set_rate_limit(room_moderator::ivs::IVSCHAT_CAPABILITIES.requests_per_second);
    results.push(("ivschat", raw, through_adapter));
    Ok(results)
}
