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

/// One provider's run: its moderator, its room, whether it can tell an absent user, its members after.
struct Case<'a> {
    moderator: Arc<dyn Moderator>,
    room: String,
    tells_absence: bool,
    members: Box<dyn Fn() -> Option<Vec<String>> + 'a>,
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

    let zim = emulated::zim(&emulator).await?;
    let rtc = emulated::rtc(&emulator).await?;
    let ivschat = emulated::ivschat(&emulator).await?;
    let ivs_stages = emulated::ivs_stages(&emulator).await?;
    let enx = emulated::enablex(&emulator).await?;

    // ZIM, IVS stages (listed first) and EnableX can tell an absent user; RTC and IVS Chat answer
    // success for them (documented).
    let cases: Vec<Case<'_>> = vec![
        Case {
            moderator: Arc::new(Engine::new(zim)),
            room: "demo".to_owned(),
            tells_absence: true,
            members: Box::new(|| zego.zim().members("demo")),
        },
        Case {
            moderator: Arc::new(Engine::new(rtc)),
            room: "demo".to_owned(),
            tells_absence: false,
            members: Box::new(|| zego.rtc().members("demo")),
        },
        Case {
            moderator: Arc::new(Engine::new(ivschat)),
            room: ivs_room.clone(),
            tells_absence: false,
            members: Box::new(|| ivs.members(&ivs_room)),
        },
        Case {
            moderator: Arc::new(Engine::new(ivs_stages)),
            room: stage.clone(),
            tells_absence: true,
            members: Box::new(|| stages.members(&stage)),
        },
        Case {
            moderator: Arc::new(Engine::new(enx)),
            room: "demo".to_owned(),
            tells_absence: true,
            members: Box::new(|| enablex.members("demo")),
        },
    ];

    let mut rows = Vec::new();
    for Case {
        moderator,
        room,
        tells_absence,
        members,
    } in cases
    {
        let request = DisconnectRequest::new(room.as_str(), KICK).with_reason("demo");
        let started = Instant::now();
        let report = moderator
            .disconnect(&request)
            .await
            .map_err(Failure::Config)?;
        let millis = started.elapsed().as_millis();
        let summary = report.summary();
        let expected_absent = if tells_absence { 2 } else { 0 };
        let remaining = members().unwrap_or_default();
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
        } else if remaining != ["gus", "hana"] {
            Err(format!(
                "room should hold gus and hana, holds {remaining:?}"
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
        "\nzego-rtc and ivschat answer success for users who are not in the room, so they report them disconnected.\nivs-stages lists the stage once and disconnects each participant (ana is on two devices: 7 disconnects)."
    );
    all_ok &= crate::demo_bans::run(&emulator).await?;
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
