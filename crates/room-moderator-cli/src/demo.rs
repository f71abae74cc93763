//! `moderator demo`: every adapter against the embedded emulators, over real loopback.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use room_moderator::{DisconnectRequest, Engine, Moderator};
use room_moderator_emulator::Emulator;

use crate::{Failure, emulated};

/// Users seeded into every room, and who the demo asks to remove.
const PRESENT: [&str; 8] = ["ana", "ben", "chen", "dara", "eli", "femi", "gus", "hana"];
const KICK: [&str; 8] = [
    "ana", "ben", "chen", "dara", "eli", "femi", "ghost-1", "ghost-2",
];

/// Agora RTC takes integer uids only: the same eight people and two ghosts as uids (ana = 1, ...).
fn uid_of(name: &str) -> String {
    match name {
        "ghost-1" => "901".to_owned(),
        "ghost-2" => "902".to_owned(),
        name => PRESENT
            .iter()
            .position(|p| *p == name)
            .map_or_else(|| "999".to_owned(), |i| (i + 1).to_string()),
    }
}

/// One provider's run: its moderator, its room, whether it can tell an absent user, its members
/// after, and how it names the demo's users (Agora RTC: uids).
struct Case<'a> {
    moderator: Arc<dyn Moderator>,
    room: String,
    tells_absence: bool,
    members: Box<dyn Fn() -> Option<Vec<String>> + 'a>,
    id: fn(&str) -> String,
}

fn same(name: &str) -> String {
    name.to_owned()
}

struct Row {
    provider: &'static str,
    summary: room_moderator::Summary,
    calls: u32,
    millis: u128,
    check: Result<(), String>,
}

/// Runs the demo and prints the table; exit 1 if any provider's outcomes were not the expected ones.
pub async fn run() -> Result<ExitCode, Failure> {
    let emulator = Emulator::start().await.map_err(Failure::Io)?;
    let zego = emulator.zego();
    let ivs = emulator.ivschat();
    let enablex = emulator.enablex();
    let ivs_room = ivs.room_arn("demo");
    let stages = emulator.ivs_stages();
    let stage = stages.stage_arn("demo");
    // ana on two devices: two participants, both disconnected.
    stages.seed_stage(&stage, PRESENT.iter().copied().chain(["ana"]));
    zego.zim().seed_room("demo", PRESENT);
    zego.rtc().seed_room("demo", PRESENT);
    ivs.seed_room(&ivs_room, PRESENT);
    enablex.seed_room("demo", PRESENT);
    let livekit = emulator.livekit();
    livekit.seed_room("demo", PRESENT);
    let (agora_rtc, agora_chat) = (emulator.agora().rtc(), emulator.agora().chat());
    agora_rtc.seed_channel(
        "demo",
        PRESENT.iter().filter_map(|name| uid_of(name).parse().ok()),
    );
    agora_chat.seed_room("demo", None, PRESENT);

    let zim = emulated::zim(&emulator).await?;
    let rtc = emulated::rtc(&emulator).await?;
    let ivschat = emulated::ivschat(&emulator).await?;
    let ivs_stages = emulated::ivs_stages(&emulator).await?;
    let enx = emulated::enablex(&emulator).await?;
    let lk = emulated::livekit(&emulator).await?;
    let agora_rtc_adapter = emulated::agora_rtc(&emulator, None)?;
    let agora_chat_adapter = emulated::agora_chat(&emulator)?;

    // ZIM, IVS stages (listed first), EnableX, LiveKit and Agora Chat can tell an absent user; ZEGO
    // RTC, IVS Chat and Agora RTC answer success for them (documented).
    let cases: Vec<Case<'_>> = vec![
        Case {
            moderator: Arc::new(Engine::new(zim)),
            room: "demo".to_owned(),
            tells_absence: true,
            members: Box::new(|| zego.zim().members("demo")),
            id: same,
        },
        Case {
            moderator: Arc::new(Engine::new(rtc)),
            room: "demo".to_owned(),
            tells_absence: false,
            members: Box::new(|| zego.rtc().members("demo")),
            id: same,
        },
        Case {
            moderator: Arc::new(Engine::new(ivschat)),
            room: ivs_room.clone(),
            tells_absence: false,
            members: Box::new(|| ivs.members(&ivs_room)),
            id: same,
        },
        Case {
            moderator: Arc::new(Engine::new(ivs_stages)),
            room: stage.clone(),
            tells_absence: true,
            members: Box::new(|| stages.members(&stage)),
            id: same,
        },
        Case {
            moderator: Arc::new(Engine::new(enx)),
            room: "demo".to_owned(),
            tells_absence: true,
            members: Box::new(|| enablex.members("demo")),
            id: same,
        },
        Case {
            moderator: Arc::new(Engine::new(lk)),
            room: "demo".to_owned(),
            tells_absence: true,
            members: Box::new(|| livekit.members("demo")),
            id: same,
        },
        Case {
            moderator: Arc::new(Engine::new(agora_rtc_adapter)),
            room: "demo".to_owned(),
            tells_absence: false,
            members: Box::new(|| {
                Some(
                    agora_rtc
                        .online("demo")
                        .iter()
                        .map(u32::to_string)
                        .collect(),
                )
            }),
            id: uid_of,
        },
        Case {
            moderator: Arc::new(Engine::new(agora_chat_adapter)),
            room: "demo".to_owned(),
            tells_absence: true,
            members: Box::new(|| agora_chat.members("demo")),
            id: same,
        },
    ];

    let mut rows = Vec::new();
    for Case {
        moderator,
        room,
        tells_absence,
        members,
        id,
    } in cases
    {
        let users: Vec<String> = KICK.iter().map(|name| id(name)).collect();
        let request = DisconnectRequest::new(room.as_str(), users).with_reason("demo");
        let started = Instant::now();
        let report = moderator
            .disconnect(&request)
            .await
            .map_err(Failure::Config)?;
        let millis = started.elapsed().as_millis();
        let summary = report.summary();
        let expected_absent = if tells_absence { 2 } else { 0 };
        let mut remaining = members().unwrap_or_default();
        remaining.sort();
        let mut expected: Vec<String> = ["gus", "hana"].iter().map(|name| id(name)).collect();
        expected.sort();
        let check = if summary.failed > 0 {
            Err(report
                .failures()
                .map(|(u, e)| format!("{u}: {e}"))
                .collect::<Vec<_>>()
                .join("; "))
        } else if summary.not_in_room != expected_absent {
            Err(format!(
                "expected {expected_absent} not in room, got {}",
                summary.not_in_room
            ))
        } else if remaining != expected {
            Err(format!(
                "room should hold gus and hana ({expected:?}), holds {remaining:?}"
            ))
        } else {
            Ok(())
        };
        rows.push(Row {
            provider: moderator.provider(),
            summary,
            calls: report.calls(),
            millis,
            check,
        });
    }

    println!(
        "Kicking {} users ({} present, 2 absent) from a room of {} on each emulated provider:\n",
        KICK.len(),
        KICK.len() - 2,
        PRESENT.len()
    );
    println!(
        "{:<11} {:>5} {:>12} {:>11} {:>6} {:>5} {:>8}  check",
        "provider", "users", "disconnected", "not_in_room", "failed", "calls", "time"
    );
    let mut all_ok = true;
    for row in &rows {
        let check = match &row.check {
            Ok(()) => "ok".to_owned(),
            Err(why) => {
                all_ok = false;
                format!("WRONG: {why}")
            }
        };
        println!(
            "{:<11} {:>5} {:>12} {:>11} {:>6} {:>5} {:>6}ms  {check}",
            row.provider,
            KICK.len(),
            row.summary.disconnected,
            row.summary.not_in_room,
            row.summary.failed,
            row.calls,
            row.millis
        );
    }
    println!(
        "\nzego-rtc, ivschat and agora-rtc answer success for users who are not in the room, so they report them disconnected.\nivs-stages lists the stage once and disconnects each participant (ana is on two devices: 7 disconnects).\nagora-rtc takes integer uids (the same people as uids 1..8, the ghosts 901 and 902): one kicking rule each;\nagora-chat removes all eight in one call with per-user results."
    );
    all_ok &= crate::demo_bans::run(&emulator).await?;
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
