//! `moderator bench`: bulk removal against the embedded emulators at each provider's documented
//! quota, with network latency, measured from outside (the emulator counts calls, throttled answers
//! and the busiest second). With `--contention N`, N `moderator kick` processes share one account;
//! with `--throttled-start N`, the first N kick calls are throttled (another job has just spent the
//! quota), then the provider serves normally.

use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use room_moderator::adapter::Adapter;
use room_moderator::{Capabilities, DisconnectRequest, Engine, Moderator};
use room_moderator_emulator::{Api, Controls, Emulator, Fault, FaultRule};
use serde_json::json;

use crate::args::{BenchArgs, BenchProvider};
use crate::{Failure, emulated};

/// One measured run.
struct Run {
    provider: &'static str,
    processes: usize,
    /// Whether the processes shared a Redis pacer.
    shared: bool,
    users: usize,
    removed: usize,
    calls: u64,
    throttled: u64,
    peak: u64,
    rate: u32,
    wall: Duration,
    /// `(calls one job needs - 1) / rate`: pacing alone, no network.
    minimum: Duration,
    failed_processes: usize,
    /// How many calls were throttled on purpose at the start (`--throttled-start`).
    throttled_start: Option<u64>,
}

impl Run {
    fn ratio(&self) -> f64 {
        let minimum = self.minimum.as_secs_f64();
        if minimum > 0.0 {
            self.wall.as_secs_f64() / minimum
        } else {
            0.0
        }
    }

    /// The throttled start's target: 1.5 x the minimum + 1 s (issue 20).
    fn target(&self) -> Duration {
        self.minimum.mul_f64(1.5) + Duration::from_secs(1)
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "throttled_start": self.throttled_start,
            "target_s": self.throttled_start.map(|_| round3(self.target().as_secs_f64())),
            "within_target": self.throttled_start.map(|_| self.wall <= self.target()),
            "provider": self.provider,
            "processes": self.processes,
            "shared_pacer": self.shared,
            "users": self.users,
            "removed": self.removed,
            "calls": self.calls,
            "throttled": self.throttled,
            "peak_calls_in_1s": self.peak,
            "rate": self.rate,
            "wall_s": round3(self.wall.as_secs_f64()),
            "minimum_s": round3(self.minimum.as_secs_f64()),
            "ratio": round3(self.ratio()),
            "failed_processes": self.failed_processes,
        })
    }
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

impl BenchProvider {
    fn name(self) -> &'static str {
        match self {
            BenchProvider::ZegoZim => "zego-zim",
            BenchProvider::ZegoRtc => "zego-rtc",
            BenchProvider::Ivschat => "ivschat",
            BenchProvider::IvsStages => "ivs-stages",
            BenchProvider::AgoraRtc => "agora-rtc",
            BenchProvider::AgoraChat => "agora-chat",
        }
    }

    fn default_users(self, throttled_start: bool) -> usize {
        match (self, throttled_start) {
            (BenchProvider::ZegoZim, false) => 10_000,
            (BenchProvider::ZegoRtc, false) => 2_500,
            (BenchProvider::Ivschat, false) => 2_000,
            (BenchProvider::AgoraRtc | BenchProvider::IvsStages, _) => 200,
            (BenchProvider::AgoraChat, _) => 1_000,
            (BenchProvider::ZegoZim, true) => 5_000,
            (_, true) => 1_000,
        }
    }

    /// The kick's API, for the throttled start.
    fn kick_api(self) -> Api {
        match self {
            BenchProvider::ZegoZim => Api::ZimKick,
            BenchProvider::ZegoRtc => Api::RtcKick,
            BenchProvider::Ivschat => Api::IvsKick,
            BenchProvider::IvsStages => Api::StagesDisconnect,
            BenchProvider::AgoraRtc => Api::AgoraRtcKick,
            BenchProvider::AgoraChat => Api::AgoraChatRemove,
        }
    }

    fn capabilities(self) -> Capabilities {
        match self {
            BenchProvider::ZegoZim => room_moderator::zego::ZIM_CAPABILITIES,
            BenchProvider::ZegoRtc => room_moderator::zego::RTC_CAPABILITIES,
            BenchProvider::Ivschat => room_moderator::ivs::IVSCHAT_CAPABILITIES,
            BenchProvider::IvsStages => room_moderator::ivs::STAGES_CAPABILITIES,
            BenchProvider::AgoraRtc => room_moderator::agora::RTC_CAPABILITIES,
            BenchProvider::AgoraChat => room_moderator::agora::CHAT_CAPABILITIES,
        }
    }
}

/// The emulated provider a run talks to.
struct Target<'a> {
    emulator: &'a Emulator,
    provider: BenchProvider,
}

impl Target<'_> {
    fn controls(&self) -> &Controls {
        match self.provider {
            BenchProvider::ZegoZim => self.emulator.zego().zim().controls(),
            BenchProvider::ZegoRtc => self.emulator.zego().rtc().controls(),
            BenchProvider::Ivschat => self.emulator.ivschat().controls(),
            // DisconnectParticipant's own quota (the stage's listing has another).
            BenchProvider::IvsStages => self.emulator.ivs_stages().controls(),
            BenchProvider::AgoraRtc => self.emulator.agora().rtc().controls(),
            BenchProvider::AgoraChat => self.emulator.agora().chat().controls(),
        }
    }

    /// Agora RTC: the App ID of process `index` (the account's App IDs in turn, sharing its quota).
    fn agora_app_id(&self, index: usize) -> String {
        let ids = self.emulator.agora().rtc().app_ids();
        ids.get(index % ids.len().max(1))
            .cloned()
            .unwrap_or_default()
    }

    fn room(&self, name: &str) -> String {
        match self.provider {
            BenchProvider::Ivschat => self.emulator.ivschat().room_arn(name),
            BenchProvider::IvsStages => self.emulator.ivs_stages().stage_arn(name),
            _ => name.to_owned(),
        }
    }

    fn seed(&self, room: &str, users: &[String]) {
        let users = users.iter().cloned();
        match self.provider {
            BenchProvider::ZegoZim => self.emulator.zego().zim().seed_room(room, users),
            BenchProvider::ZegoRtc => self.emulator.zego().rtc().seed_room(room, users),
            BenchProvider::Ivschat => self.emulator.ivschat().seed_room(room, users),
            BenchProvider::IvsStages => self.emulator.ivs_stages().seed_stage(room, users),
            // `APPID/channel` names a channel of another App ID of the account.
            BenchProvider::AgoraRtc => {
                let rtc = self.emulator.agora().rtc();
                let (appid, channel) = room
                    .split_once('/')
                    .map_or((rtc.app_id(), room), |(a, c)| (a.to_owned(), c));
                rtc.seed_channel_of(&appid, channel, users.filter_map(|u| u.parse().ok()));
            }
            BenchProvider::AgoraChat => self.emulator.agora().chat().seed_room(room, None, users),
        }
    }

    fn members(&self, room: &str) -> usize {
        match self.provider {
            BenchProvider::ZegoZim => self.emulator.zego().zim().members(room),
            BenchProvider::ZegoRtc => self.emulator.zego().rtc().members(room),
            BenchProvider::Ivschat => self.emulator.ivschat().members(room),
            BenchProvider::IvsStages => self.emulator.ivs_stages().members(room),
            BenchProvider::AgoraRtc => Some(
                self.emulator
                    .agora()
                    .rtc()
                    .online(room)
                    .iter()
                    .map(u32::to_string)
                    .collect(),
            ),
            BenchProvider::AgoraChat => self.emulator.agora().chat().members(room),
        }
        .map_or(0, |members| members.len())
    }

    fn endpoint(&self) -> String {
        match self.provider {
            BenchProvider::ZegoZim => self.emulator.zego().zim().url(),
            BenchProvider::ZegoRtc => self.emulator.zego().rtc().url(),
            BenchProvider::Ivschat => self.emulator.ivschat().base_url(),
            BenchProvider::IvsStages => self.emulator.ivs_stages().base_url(),
            BenchProvider::AgoraRtc => self.emulator.agora().rtc().base_url(),
            BenchProvider::AgoraChat => self.emulator.agora().chat().base_url(),
        }
    }

    /// An engine in this process, with default settings, as an application would hold it.
    async fn moderator(&self) -> Result<Arc<dyn Moderator>, Failure> {
        Ok(match self.provider {
            BenchProvider::ZegoZim => engine(emulated::zim(self.emulator).await?),
            BenchProvider::ZegoRtc => engine(emulated::rtc(self.emulator).await?),
            BenchProvider::Ivschat => engine(emulated::ivschat(self.emulator).await?),
            BenchProvider::IvsStages => engine(emulated::ivs_stages(self.emulator).await?),
            BenchProvider::AgoraRtc => engine(emulated::agora_rtc(self.emulator, None)?),
            BenchProvider::AgoraChat => engine(emulated::agora_chat(self.emulator)?),
        })
    }

    /// `moderator kick` as an operator would run it, credentials in the environment.
    fn kick_command(
        &self,
        room: &str,
        users_file: &std::path::Path,
        redis: Option<&str>,
    ) -> std::process::Command {
        let mut command = match std::env::current_exe() {
            Ok(exe) => std::process::Command::new(exe),
            Err(_) => std::process::Command::new("moderator"),
        };
        let zego = self.emulator.zego();
        let ivs = self.emulator.ivschat();
        match self.provider {
            BenchProvider::ZegoZim | BenchProvider::ZegoRtc => {
                command
                    .env("ZEGO_APP_ID", zego.app_id().to_string())
                    .env("ZEGO_SERVER_SECRET", zego.server_secret());
            }
            BenchProvider::Ivschat | BenchProvider::IvsStages => {
                command
                    .env("AWS_REGION", ivs.region())
                    .env("AWS_ACCESS_KEY_ID", ivs.access_key_id())
                    .env("AWS_SECRET_ACCESS_KEY", ivs.secret_access_key())
                    .env("AWS_EC2_METADATA_DISABLED", "true")
                    .env_remove("AWS_SESSION_TOKEN")
                    .env_remove("AWS_PROFILE");
            }
            BenchProvider::AgoraRtc => {
                let rtc = self.emulator.agora().rtc();
                // A room `APPID/channel` is a channel of that App ID of the account.
                let appid = room
                    .split_once('/')
                    .map_or(rtc.app_id(), |(a, _)| a.to_owned());
                command
                    .env("AGORA_APP_ID", appid)
                    .env("AGORA_CUSTOMER_ID", rtc.customer_id())
                    .env("AGORA_CUSTOMER_SECRET", rtc.customer_secret());
            }
            BenchProvider::AgoraChat => {
                let chat = self.emulator.agora().chat();
                command
                    .env("AGORA_APP_ID", chat.app_id())
                    .env("AGORA_APP_CERTIFICATE", chat.certificate())
                    .env("AGORA_CHAT_ORG", chat.org())
                    .env("AGORA_CHAT_APP", chat.app());
            }
        }
        let room = match self.provider {
            BenchProvider::AgoraRtc => room.rsplit_once('/').map_or(room, |(_, channel)| channel),
            _ => room,
        };
        command
            .args(["kick", "--provider", self.provider.name(), "--room", room])
            .arg("--endpoint")
            .arg(self.endpoint())
            .arg("--users-file")
            .arg(users_file)
            .arg("--json")
            .arg("--no-presence-check")
            .env_remove("MODERATOR_REDIS_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(url) = redis {
            command.arg("--redis").arg(url);
        }
        command
    }
}

fn engine<A: Adapter>(adapter: A) -> Arc<dyn Moderator> {
    Arc::new(Engine::new(adapter))
}

fn users(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// Runs the benchmark and prints the table (or JSON lines).
pub async fn run(args: BenchArgs) -> Result<ExitCode, Failure> {
    if args.compare {
        crate::bench_compare::run(
            args.users.unwrap_or(1_000),
            args.latency.into(),
            args.overhead_calls,
            args.json,
        )
        .await?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.presence {
        let users = args.users.unwrap_or(1_000);
        let absent = args.absent.unwrap_or(users / 10);
        let all_right =
            crate::bench_presence::run(users, absent, args.latency.into(), args.json).await?;
        return Ok(if all_right {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let emulator = Emulator::start().await.map_err(Failure::Io)?;
    let providers = if args.providers.is_empty() {
        vec![
            BenchProvider::ZegoZim,
            BenchProvider::ZegoRtc,
            BenchProvider::Ivschat,
        ]
    } else {
        args.providers.clone()
    };
    let latency: Duration = args.latency.into();
    if !args.json {
        println!(
            "Bulk removal against the embedded emulators at {:?} latency{}{}:\n",
            latency,
            args.contention
                .map_or(String::new(), |n| format!(", {n} processes on one account")),
            if args.foreign_load > 0.0 {
                format!(
                    ", {:.0}% of the quota taken by a foreign consumer",
                    args.foreign_load * 100.0
                )
            } else {
                String::new()
            }
        );
        if let Some(n) = args.throttled_start {
            println!(
                "Throttled start: the first {n} kick calls are answered throttled, then the quota is free.\n"
            );
        }
        print!(
            "{:<9} {:>6} {:>5} {:>6} {:>7} {:>6} {:>9} {:>8} {:>9} {:>7} {:>8}",
            "provider",
            "pacer",
            "procs",
            "users",
            "removed",
            "calls",
            "throttled",
            "wall",
            "minimum",
            "ratio",
            "peak/1s"
        );
        println!(
            "{}",
            if args.throttled_start.is_some() {
                format!(" {:>8} {:>6}", "target", "met")
            } else {
                String::new()
            }
        );
    }
    let mut all_removed = true;
    let mut ran_before = false;
    for provider in providers {
        let target = Target {
            emulator: &emulator,
            provider,
        };
        let mut shared = vec![None];
        if let Some(url) = &args.redis {
            shared.push(Some(url.as_str()));
        }
        for redis in shared {
            // The emulators' own rate windows (Agora's are per account and API, not in the
            // controls that `measure` resets) forget the previous run after a second.
            if std::mem::take(&mut ran_before) {
                tokio::time::sleep(Duration::from_millis(1_100)).await;
            }
            ran_before = true;
            let run = measure(&target, &args, latency, redis).await?;
            all_removed &= run.removed == run.users && run.failed_processes == 0;
            if args.json {
                println!("{}", run.json());
            } else {
                print!(
                    "{:<9} {:>6} {:>5} {:>6} {:>7} {:>6} {:>9} {:>7.2}s {:>8.2}s {:>7.3} {:>5} /{}",
                    run.provider,
                    if run.shared { "redis" } else { "own" },
                    run.processes,
                    run.users,
                    run.removed,
                    run.calls,
                    run.throttled,
                    run.wall.as_secs_f64(),
                    run.minimum.as_secs_f64(),
                    run.ratio(),
                    run.peak,
                    run.rate,
                );
                if run.throttled_start.is_some() {
                    println!(
                        " {:>7.2}s {:>6}",
                        run.target().as_secs_f64(),
                        if run.wall <= run.target() {
                            "yes"
                        } else {
                            "no"
                        }
                    );
                } else {
                    println!();
                }
            }
        }
    }
    if !args.json {
        println!(
            "\nminimum: (calls the job needs - 1) / documented rate; ratio: wall / minimum. peak/1s: most calls the\nemulator received in any sliding second, against the documented rate. pacer: each process its own\n(adaptive), or one quota shared through Redis. throttled: answers over the rate plus those scripted\nby --throttled-start."
        );
        if args.throttled_start.is_some() {
            println!("target: 1.5 x minimum + 1 s, for a job that meets a throttled start.");
        }
    }
    Ok(if all_removed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn measure(
    target: &Target<'_>,
    args: &BenchArgs,
    latency: Duration,
    redis: Option<&str>,
) -> Result<Run, Failure> {
    let provider = target.provider;
    let caps = provider.capabilities();
    let rate = caps.requests_per_second.map_or(0, |r| r.get());
    let batch = caps.max_users_per_call.get();
    let total = args
        .users
        .unwrap_or_else(|| provider.default_users(args.throttled_start.is_some()));
    let processes = args.contention.unwrap_or(1).max(1);
    let controls = target.controls();
    controls.reset();
    controls.set_latency(latency);
    controls.set_foreign_load(args.foreign_load);
    if let Some(n) = args.throttled_start {
        // The provider's own throttled answer, with no Retry-After: as a quota spent by another job.
        controls.add_fault(FaultRule::next(
            provider.kick_api(),
            n,
            Fault::Throttle { retry_after: None },
        ));
    }

    // The users, split between the processes, each on its own room.
    let jobs: Vec<(String, Vec<String>)> = (0..processes)
        .map(|p| {
            let share = total / processes + usize::from(p < total % processes);
            let room = target.room(&format!("bench-{}-{p}", provider.name()));
            match provider {
                // Integer uids, each process on its own App ID of the account (the rate is the
                // account's: every App ID shares it).
                BenchProvider::AgoraRtc => (
                    if p == 0 {
                        room
                    } else {
                        format!("{}/{room}", target.agora_app_id(p))
                    },
                    (1..=share).map(|u| (u + 100_000 * p).to_string()).collect(),
                ),
                _ => (room, users(&format!("p{p}-user"), share)),
            }
        })
        .collect();
    for (room, users) in &jobs {
        target.seed(room, users);
    }
    let calls_needed: usize = jobs.iter().map(|(_, u)| u.len().div_ceil(batch)).sum();
    let minimum = if rate > 0 && calls_needed > 1 {
        Duration::from_secs_f64((calls_needed - 1) as f64 / f64::from(rate))
    } else {
        Duration::ZERO
    };

    let started = Instant::now();
    let mut failed_processes = 0;
    if args.contention.is_none() {
        let moderator = target.moderator().await?;
        let (room, users) = &jobs[0];
        // The quota runs measure kicks at the rate; every user is in the room, so no presence
        // check (`--presence` measures that).
        moderator
            .disconnect(
                &DisconnectRequest::new(room.as_str(), users.clone()).without_presence_check(),
            )
            .await
            .map_err(Failure::Config)?;
    } else {
        let dir = std::env::temp_dir().join(format!("moderator-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(Failure::Io)?;
        let mut children = Vec::new();
        for (index, (room, users)) in jobs.iter().enumerate() {
            let file = dir.join(format!("{}-{index}.txt", provider.name()));
            std::fs::write(&file, users.join("\n")).map_err(Failure::Io)?;
            children.push(target.kick_command(room, &file, redis));
        }
        let started_children: Vec<_> = children
            .iter_mut()
            .map(|command| command.spawn())
            .collect::<Result<_, _>>()
            .map_err(Failure::Io)?;
        let statuses = tokio::task::spawn_blocking(move || {
            started_children
                .into_iter()
                .map(|mut child| child.wait().map(|s| s.success()).unwrap_or(false))
                .collect::<Vec<bool>>()
        })
        .await
        .map_err(|e| Failure::Io(std::io::Error::other(e)))?;
        failed_processes = statuses.iter().filter(|ok| !**ok).count();
        let _ = std::fs::remove_dir_all(&dir);
    }
    let wall = started.elapsed();
    controls.set_foreign_load(0.0);
    controls.clear_faults();
    let counters = controls.counters();
    let removed = jobs
        .iter()
        .map(|(room, users)| users.len() - target.members(room).min(users.len()))
        .sum();
    Ok(Run {
        provider: provider.name(),
        processes,
        shared: redis.is_some(),
        users: total,
        removed,
        calls: counters.requests,
        // The scripted throttles are the only scripted faults of a run.
        throttled: counters.throttled + counters.faults,
        peak: counters.peak_per_second,
        rate,
        wall,
        minimum,
        failed_processes,
        throttled_start: args.throttled_start,
    })
}
