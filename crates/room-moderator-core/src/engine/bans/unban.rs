//! `unban`: the store first, then the native rules this library set (a rule someone else set is
//! theirs to lift).

use std::collections::HashMap;
use std::time::Duration;

use tracing::warn;

use super::paced;
use crate::engine::Engine;
use crate::engine::call::deadline::{Operation, instant_after};
use crate::engine::call::side::SideApi;
use crate::engine::validate;
use crate::{
    Adapter, BanEntry, DisconnectRequest, Error, Plan, RoomId, UnbanOutcome, UnbanReport,
    UnbanUserReport, UserId, wall_clock_now,
};

impl<A: Adapter> Engine<A> {
    pub(crate) async fn unban_users(
        &self,
        room: &RoomId,
        users: &[UserId],
    ) -> Result<UnbanReport, Error> {
        let provider = self.adapter.provider();
        self.unsupported_bans()?;
        let users = validate::validate(
            self.adapter.as_ref(),
            &self.caps,
            &DisconnectRequest::new(room.clone(), users.to_vec()),
        )?
        .users;
        let store = self.ban_store()?;
        let scope = self.ban_scope(room);
        let now = wall_clock_now();
        let native = self.native();
        let rule_time = native
            .as_ref()
            .map_or(Duration::ZERO, |native| paced(users.len(), &native.set));
        let deadline = instant_after(self.config.deadlines.resolve(
            Operation::Unban,
            None,
            &Plan::new(&self.caps, users.len()),
            rule_time,
        )?);
        let mut warnings = Vec::new();
        let lapsed = self
            .lift_lapsed_rules(&scope, None, deadline, &mut warnings)
            .await;
        let mut calls = lapsed.calls;
        for warning in warnings {
            warn!(provider, "{warning}");
        }
        // Which rules this library set, read before the entries go; only where rules exist.
        let before: HashMap<UserId, BanEntry> = match (&native, lapsed.active_at(now)) {
            (None, _) => HashMap::new(),
            (Some(_), Some(entries)) => by_user(entries),
            (Some(_), None) => by_user(store.list(&scope, now).await?),
        };
        let lifted = store.remove(&scope, &users, now).await?;
        let mut outcomes = Vec::with_capacity(users.len());
        for (user, was_banned) in users.into_iter().zip(lifted) {
            let mut outcome = if was_banned {
                UnbanOutcome::Lifted
            } else {
                UnbanOutcome::NotBanned
            };
            // Only rules this library set (recorded with the ban) are deleted: a rule set by
            // someone else is theirs to lift.
            let had_rule = before
                .get(&user)
                .and_then(|entry| entry.rule_until)
                .is_some_and(|rule_until| rule_until > now);
            if let (Some(native), true) = (&native, had_rule) {
                let call = self
                    .side_call(SideApi::BanRule, room, &native.set, deadline, || {
                        self.adapter.delete_ban_rule(room, &user)
                    })
                    .await;
                calls += call.calls;
                if let Err(error) = call.result {
                    warn!(provider, %error, "the ban was lifted from the store but the provider's rule could not be deleted");
                    outcome = UnbanOutcome::Failed(error);
                }
            }
            outcomes.push(UnbanUserReport { user, outcome });
        }
        Ok(UnbanReport {
            room: room.clone(),
            users: outcomes,
            calls,
        })
    }
}

fn by_user(entries: Vec<BanEntry>) -> HashMap<UserId, BanEntry> {
    entries
        .into_iter()
        .map(|entry| (entry.user.clone(), entry))
        .collect()
}
