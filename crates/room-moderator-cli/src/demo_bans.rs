//! `moderator demo`, second part: who is in a room, and keeping removed users out, against the
//! embedded emulators (bans kept in process memory, so the demo writes no file).

use std::sync::Arc;
use std::time::Duration;

use room_moderator::{
    BanRequest, Engine, MemoryBanStore, Moderator, RoomId, TokenDecision, TokenOptions, UserId,
};
use room_moderator_emulator::Emulator;

use crate::{Failure, emulated};

/// One line of the second table: what was done, what happened, and whether that is what the
/// provider's docs say should happen.
struct Step {
    what: String,
    result: String,
    ok: bool,
}

/// Runs the steps and prints them; `Ok(false)` if any step went otherwise than documented.
pub async fn run(emulator: &Emulator) -> Result<bool, Failure> {
    let store = Arc::new(MemoryBanStore::new());
    let mut steps = Vec::new();

    // Who is there: ZIM lists a room page by page.
    let zego = emulator.zego();
    zego.zim()
        .seed_room("lobby", (0..1_200).map(|i| format!("viewer-{i}")));
    let zim: Arc<dyn Moderator> = Arc::new(Engine::new(emulated::zim(emulator).await?));
    let members = zim
        .members(&RoomId::new("lobby"))
        .await
        .map_err(Failure::Config)?;
    steps.push(Step {
        what: "zego-zim: members of a room of 1,200".to_owned(),
        result: format!("{} listed", members.len()),
        ok: members.len() == 1_200,
    });

    // A native ban on RTC: a rule that refuses the login, plus the kick.
    zego.rtc().seed_room("stage", ["raider", "fan"]);
    let rtc: Arc<dyn Moderator> = Arc::new(
        Engine::builder(emulated::rtc(emulator).await?)
            .with_ban_store(store.clone())
            .build(),
    );
    let report = rtc
        .ban(
            &BanRequest::new("stage", ["raider"])
                .with_duration(Duration::from_secs(3600))
                .with_reason("raid"),
        )
        .await
        .map_err(Failure::Config)?;
    let refused = zego.rtc().login("stage", "raider").is_err();
    steps.push(Step {
        what: "zego-rtc: ban raider for 1 h, then raider logs in again".to_owned(),
        result: format!(
            "{} ({} calls), login {}",
            report.users[0].outcome.label(),
            report.calls,
            if refused { "refused" } else { "admitted" }
        ),
        ok: report.all_banned() && refused,
    });

    // A store ban on IVS Chat: the kick, then the join gate refuses a token without a call.
    let ivs = emulator.ivschat();
    let room = ivs.room_arn("chat");
    ivs.seed_room(&room, ["troll", "friend"]);
    let chat: Arc<dyn Moderator> = Arc::new(
        Engine::builder(emulated::ivschat(emulator).await?)
            .with_ban_store(store)
            .build(),
    );
    let report = chat
        .ban(&BanRequest::new(room.as_str(), ["troll"]).with_reason("spam"))
        .await
        .map_err(Failure::Config)?;
    let calls_before = ivs.token_controls().counters().requests;
    let options = TokenOptions::new().with_capability("SEND_MESSAGE");
    let room_id = RoomId::new(room.as_str());
    let troll = chat
        .issue_token(&room_id, &UserId::new("troll"), &options)
        .await
        .map_err(Failure::Config)?;
    let token_calls = ivs.token_controls().counters().requests - calls_before;
    steps.push(Step {
        what: "ivschat: ban troll, then troll asks for a token".to_owned(),
        result: format!(
            "{}, token {} ({token_calls} CreateChatToken calls)",
            report.users[0].outcome.label(),
            decision(&troll)
        ),
        ok: report.all_banned()
            && matches!(troll, TokenDecision::Refused { .. })
            && token_calls == 0,
    });
    let friend = chat
        .issue_token(&room_id, &UserId::new("friend"), &options)
        .await
        .map_err(Failure::Config)?;
    steps.push(Step {
        what: "ivschat: friend asks for a token".to_owned(),
        result: format!("token {}", decision(&friend)),
        ok: matches!(friend, TokenDecision::Issued(_)),
    });

    println!("\nWho is in a room, and keeping removed users out (bans in process memory):\n");
    let width = steps.iter().map(|s| s.what.len()).max().unwrap_or(0);
    let mut all_ok = true;
    for step in &steps {
        all_ok &= step.ok;
        println!(
            "{:<width$}  {}  {}",
            step.what,
            step.result,
            if step.ok { "ok" } else { "WRONG" }
        );
    }
    Ok(all_ok)
}

fn decision(decision: &TokenDecision) -> &'static str {
    match decision {
        TokenDecision::Issued(_) => "issued",
        TokenDecision::Refused { .. } => "refused",
    }
}
