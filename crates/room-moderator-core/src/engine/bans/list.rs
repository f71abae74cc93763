//! `bans`: the store's bans of a room, after renewing their lapsing rules, merged with the
//! provider's own rule list where it has one (a rule set by another tool is shown as it is).

use tracing::warn;

use crate::engine::Engine;
use crate::engine::call::deadline::Operation;
use crate::engine::call::side::SideApi;
use crate::engine::validate;
use crate::{Adapter, BanEntry, Error, RoomId, wall_clock_now};

impl<A: Adapter> Engine<A> {
    pub(crate) async fn list_bans(&self, room: &RoomId) -> Result<Vec<BanEntry>, Error> {
        let provider = self.adapter.provider();
        self.unsupported_bans()?;
        validate::check_room(&self.caps, room)?;
        let store = self.ban_store()?;
        let deadline = self.one_call_deadline(Operation::Bans)?;
        let scope = self.ban_scope(room);
        let mut warnings = Vec::new();
        let lapsed = self
            .lift_lapsed_rules(&scope, None, deadline, &mut warnings)
            .await;
        let now = wall_clock_now();
        let mut entries = match lapsed.active_at(now) {
            Some(entries) => entries,
            None => store.list(&scope, now).await?,
        };
        if let Some(native) = self.native() {
            self.renew_rules(&scope, entries.clone(), &native, deadline, &mut warnings)
                .await;
            for warning in warnings {
                warn!(provider, "{warning}");
            }
            let rules = self
                .side_call(SideApi::BanList, room, &native.list, deadline, || {
                    self.adapter.ban_rules(room)
                })
                .await;
            match rules.result {
                Ok(rules) => {
                    for rule in rules {
                        if rule.expires_at <= now {
                            continue;
                        }
                        match entries.iter_mut().find(|entry| entry.user == rule.user) {
                            Some(entry) => entry.rule_until = Some(rule.expires_at),
                            // A rule this store does not know (set by another tool): shown as it is.
                            None => entries.push(
                                BanEntry::new(rule.user, now)
                                    .with_until(Some(rule.expires_at))
                                    .with_by(Some(
                                        "a provider rule not in the ban store".to_owned(),
                                    ))
                                    .with_rule_until(Some(rule.expires_at)),
                            ),
                        }
                    }
                    entries.sort_by(|a, b| a.user.cmp(&b.user));
                }
                Err(error) => {
                    warn!(provider, %error, "the provider's ban rules could not be read; listing the store's bans only");
                }
            }
        }
        Ok(entries)
    }
}
