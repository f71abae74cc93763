//! `moderator bench --presence`: a raid list in which some accounts have already left, against the
//! ZIM emulator's strict reading (one absent user fails a whole `KickoutRoomUser`), removed with the
//! presence check and without it (the failed batches then resolved by checking, or by halving where
//! presence cannot be read), measured by the emulator's counters.

use std::time::{Duration, Instant};

use room_moderator::{DisconnectRequest, Engine, Moderator};
use room_moderator_emulator::Emulator;
use serde_json::json;

use crate::{Failure, emulated};

/// How a run found the absent users.
#[derive(Clone, Copy)]
enum Mode {
    /// Presence checked before kicking (the default).
    Checked,
    /// No check first; batches that fail without naming anyone are checked afterwards.
    KickFirst,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Checked => "checked",
            Mode::KickFirst => "kick-first",
        }
    }
}

/// The request's users: `present` members of the room with `absent` accounts spread evenly among
/// them (every batch of a raid list tends to hold a few), as ids from reports would be.
fn raid_list(present: usize, absent: usize) -> (Vec<String>, Vec<String>) {
    let members: Vec<String> = (0..present).map(|i| format!("member-{i}")).collect();
    let total = present + absent;
    let mut list = Vec::with_capacity(total);
    let (mut m, mut a) = (0, 0);
    for i in 0..total {
        // Place absent account number `a` at about `a * total / absent`.
        if a < absent && i * absent >= a * total {
            list.push(format!("gone-{a}"));
            a += 1;
        } else if m < present {
            list.push(members[m].clone());
            m += 1;
        }
    }
    (members, list)
}

/// Runs both modes and prints them; `Ok(false)` when a run did not account for every user as
/// expected.
pub async fn run(
    users: usize,
    absent: usize,
    latency: Duration,
    json: bool,
) -> Result<bool, Failure> {
    if absent > users {
        return Err(Failure::Usage(format!(
            "--absent {absent} is more than the {users} users"
        )));
    }
    let emulator = Emulator::start().await.map_err(Failure::Io)?;
    let zim = emulator.zego().zim();
    let present = users - absent;
    if !json {
        println!(
            "ZIM (strict: one absent user fails the whole kick), {users} users of whom {absent} have left, from a room of {present}, at {latency:?} latency:\n"
        );
        println!(
            "{:<10} {:>6} {:>6} {:>10} {:>8} {:>12} {:>11} {:>6}",
            "mode", "calls", "kicks", "calls/user", "wall", "disconnected", "not_in_room", "failed"
        );
    }
    let mut all_right = true;
    for mode in [Mode::Checked, Mode::KickFirst] {
        let controls = zim.controls();
        controls.reset();
        controls.set_latency(latency);
        let room = format!("raid-{}", mode.name());
        let (members, list) = raid_list(present, absent);
        zim.seed_room(&room, members);
        let moderator = Engine::new(emulated::zim(&emulator).await?);
        let mut request = DisconnectRequest::new(room.as_str(), list);
        if let Mode::KickFirst = mode {
            request = request.without_presence_check();
        }
        let started = Instant::now();
        let report = moderator
            .disconnect(&request)
            .await
            .map_err(Failure::Config)?;
        let wall = started.elapsed();
        let summary = report.summary();
        let log = controls.requests();
        let kicks = log
            .iter()
            .filter(|entry| entry.target.contains("KickoutRoomUser"))
            .count();
        let calls = controls.counters().requests;
        all_right &= summary.disconnected == present && summary.not_in_room == absent;
        let per_user = calls as f64 / users.max(1) as f64;
        if json {
            println!(
                "{}",
                json!({
                    "case": "presence",
                    "mode": mode.name(),
                    "users": users,
                    "absent": absent,
                    "calls": calls,
                    "kicks": kicks,
                    "calls_per_user": (per_user * 1000.0).round() / 1000.0,
                    "wall_s": (wall.as_secs_f64() * 1000.0).round() / 1000.0,
                    "disconnected": summary.disconnected,
                    "not_in_room": summary.not_in_room,
                    "failed": summary.failed,
                })
            );
        } else {
            println!(
                "{:<10} {:>6} {:>6} {:>10.3} {:>7.2}s {:>12} {:>11} {:>6}",
                mode.name(),
                calls,
                kicks,
                per_user,
                wall.as_secs_f64(),
                summary.disconnected,
                summary.not_in_room,
                summary.failed
            );
        }
    }
    if !json {
        println!(
            "\ncalls: every request the emulator received (presence checks, room listing, kicks); kicks: KickoutRoomUser alone."
        );
    }
    Ok(all_right)
}

#[cfg(test)]
mod tests {
    use super::raid_list;

    #[test]
    fn the_raid_list_holds_every_member_and_every_absent_account_once() {
        let (members, list) = raid_list(900, 100);
        assert_eq!(members.len(), 900);
        assert_eq!(list.len(), 1000);
        assert_eq!(list.iter().filter(|u| u.starts_with("gone-")).count(), 100);
        let mut unique = list.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 1000);
        // Spread out: every batch of 50 holds some absent accounts.
        assert!(
            list.chunks(50)
                .all(|batch| batch.iter().any(|u| u.starts_with("gone-")))
        );
    }
}
