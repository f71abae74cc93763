//! Who is connected to a stage, as one listing of its active session saw them: the participants of
//! each application user, kept so that a bulk kick lists the session once and matches users locally
//! (`ListParticipants` is 5 calls per second, like `DisconnectParticipant`: one filtered listing per
//! user would double a raid's calls).
//!
//! A listing runs page by page (the engine drives the pages through `members_page`, or the adapter
//! itself when a kick arrives without one): its pages accumulate here under a listing number carried
//! in the page cursor, and the last page turns them into the stage's [`Roster`], which replaces the
//! previous one. Bounded: at most [`MAX_LISTINGS`] listings in progress and [`MAX_STAGES`] rosters
//! (the oldest dropped), at most [`MAX_MEMBERS`] participants each.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use room_moderator_core::{MAX_MEMBERS, Member};
use tokio::time::Instant;

/// Listings in progress at once; a listing abandoned midway (its request failed) is dropped when
/// more start.
pub(crate) const MAX_LISTINGS: usize = 64;

/// Stages whose roster is kept.
pub(crate) const MAX_STAGES: usize = 256;

/// How long a roster serves kicks at least; it serves longer for sessions whose disconnects take
/// longer at the quota (see [`Roster::fresh`]).
const MIN_FRESH: Duration = Duration::from_secs(60);

/// How long one disconnect takes at the quota of 5 per second.
const PER_DISCONNECT: Duration = Duration::from_millis(200);

/// One participant as a listing page gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Listed {
    /// IVS's participant id (what `DisconnectParticipant` takes).
    pub participant: String,
    /// The application's user id the token was issued for; empty when the token had none.
    pub user: String,
    /// Whether the participant is connected (`state == CONNECTED`).
    pub connected: bool,
}

/// A stage's connected participants, per user, as of one listing of its active session (none: a
/// stage without one, where nobody is connected).
#[derive(Clone, Debug)]
pub(crate) struct Roster {
    taken: Instant,
    /// User id to participant ids, in listing order; participants disconnected since are removed.
    by_user: HashMap<String, Vec<String>>,
    /// How many participants the listing found, for the freshness rule.
    listed: usize,
    /// Users a kick disconnected a participant of.
    kicked: HashSet<String>,
}

impl Roster {
    /// A stage without an active session.
    pub(crate) fn empty(taken: Instant) -> Self {
        Roster {
            taken,
            by_user: HashMap::new(),
            listed: 0,
            kicked: HashSet::new(),
        }
    }

    /// The connected participants of a session, grouped by user (participants without a user id
    /// cannot be kicked by user and are left out).
    pub(crate) fn of(taken: Instant, listed: &BTreeMap<String, String>) -> Self {
        let mut by_user: HashMap<String, Vec<String>> = HashMap::new();
        for (participant, user) in listed {
            if !user.is_empty() {
                by_user
                    .entry(user.clone())
                    .or_default()
                    .push(participant.clone());
            }
        }
        Roster {
            taken,
            by_user,
            listed: listed.len(),
            kicked: HashSet::new(),
        }
    }

    /// Whether the roster may still serve kicks at `now`: a minute, or twice as long as
    /// disconnecting everyone listed takes at the quota if that is longer, so that a raid's kicks
    /// use the listing taken at its start (a newer listing replaces it anyway).
    pub(crate) fn fresh(&self, now: Instant) -> bool {
        let span = MIN_FRESH.max(
            PER_DISCONNECT
                .saturating_mul(u32::try_from(self.listed.saturating_mul(2)).unwrap_or(u32::MAX)),
        );
        now.saturating_duration_since(self.taken) < span
    }

    /// The participants of `user` still connected as far as this roster knows.
    pub(crate) fn participants(&self, user: &str) -> Vec<String> {
        self.by_user.get(user).cloned().unwrap_or_default()
    }

    /// Forgets `participant` of `user`: it was `disconnected` by a kick, or IVS no longer knows it.
    pub(crate) fn gone(&mut self, user: &str, participant: &str, disconnected: bool) {
        if let Some(participants) = self.by_user.get_mut(user) {
            participants.retain(|p| p != participant);
        }
        if disconnected {
            self.kicked.insert(user.to_owned());
        }
    }

    /// Whether a kick disconnected a participant of `user` from this roster.
    pub(crate) fn kicked(&self, user: &str) -> bool {
        self.kicked.contains(user)
    }

    /// The members: one per user, the handle their participant ids separated by spaces.
    pub(crate) fn members(&self) -> Vec<Member> {
        let mut members: Vec<Member> = self
            .by_user
            .iter()
            .filter(|(_, participants)| !participants.is_empty())
            .map(|(user, participants)| {
                Member::new(user.as_str()).with_handle(participants.join(" "))
            })
            .collect();
        members.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        members
    }
}

/// A listing in progress.
struct Listing {
    stage: String,
    session: String,
    started: Instant,
    /// Participant id to user id, connected participants only (a retried page adds nothing twice).
    connected: BTreeMap<String, String>,
}

#[derive(Default)]
struct State {
    next: u64,
    listings: HashMap<u64, Listing>,
    rosters: HashMap<String, Arc<Mutex<Roster>>>,
}

/// The rosters and listings of one adapter (and its clones).
#[derive(Clone, Default)]
pub(crate) struct Rosters {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Rosters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("Rosters")
            .field("stages", &state.rosters.len())
            .field("listings", &state.listings.len())
            .finish()
    }
}

/// What a page did to its listing.
#[derive(Debug, PartialEq)]
pub(crate) enum PageEnd {
    /// More pages follow: the cursor for the next.
    More(String),
    /// The listing is complete: the stage's members.
    Done(Vec<Member>),
}

/// Why a page could not be added.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PageError {
    /// The cursor names no listing in progress (dropped, or not one of ours).
    UnknownListing,
    /// The session has more participants than a listing may hold.
    TooMany,
}

impl Rosters {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stage's roster, if it is fresh at `now`.
    pub(crate) fn fresh(&self, stage: &str, now: Instant) -> Option<Arc<Mutex<Roster>>> {
        let roster = self.state().rosters.get(stage).cloned()?;
        let fresh = lock(&roster).fresh(now);
        fresh.then_some(roster)
    }

    /// Records that `stage` has no active session.
    pub(crate) fn no_session(&self, stage: &str, now: Instant) {
        self.install(stage, Roster::empty(now));
    }

    fn install(&self, stage: &str, roster: Roster) {
        let mut state = self.state();
        if state.rosters.len() >= MAX_STAGES && !state.rosters.contains_key(stage) {
            let oldest = state
                .rosters
                .iter()
                .min_by_key(|(_, roster)| lock(roster).taken)
                .map(|(stage, _)| stage.clone());
            if let Some(oldest) = oldest {
                state.rosters.remove(&oldest);
            }
        }
        state
            .rosters
            .insert(stage.to_owned(), Arc::new(Mutex::new(roster)));
    }

    /// Starts a listing of `session` on `stage`; its number goes into every page cursor.
    pub(crate) fn start(&self, stage: &str, session: &str, now: Instant) -> u64 {
        let mut state = self.state();
        if state.listings.len() >= MAX_LISTINGS {
            let oldest = state
                .listings
                .iter()
                .min_by_key(|(_, listing)| listing.started)
                .map(|(n, _)| *n);
            if let Some(oldest) = oldest {
                state.listings.remove(&oldest);
            }
        }
        state.next += 1;
        let number = state.next;
        state.listings.insert(
            number,
            Listing {
                stage: stage.to_owned(),
                session: session.to_owned(),
                started: now,
                connected: BTreeMap::new(),
            },
        );
        number
    }

    /// Adds one page to listing `number`; `next` is IVS's token for the page after it (`None` or
    /// empty at the end). At the end the listing becomes its stage's roster.
    pub(crate) fn add_page(
        &self,
        number: u64,
        page: &[Listed],
        next: Option<&str>,
        now: Instant,
    ) -> Result<PageEnd, PageError> {
        let mut state = self.state();
        let listing = state
            .listings
            .get_mut(&number)
            .ok_or(PageError::UnknownListing)?;
        for entry in page
            .iter()
            .filter(|entry| entry.connected && is_participant_id(&entry.participant))
        {
            listing
                .connected
                .insert(entry.participant.clone(), entry.user.clone());
        }
        if listing.connected.len() > MAX_MEMBERS {
            state.listings.remove(&number);
            return Err(PageError::TooMany);
        }
        match next.filter(|next| !next.is_empty()) {
            Some(next) => Ok(PageEnd::More(Cursor::encode(
                number,
                &listing.session,
                next,
            ))),
            None => {
                let Some(listing) = state.listings.remove(&number) else {
                    return Err(PageError::UnknownListing);
                };
                drop(state);
                let roster = Roster::of(now, &listing.connected);
                let members = roster.members();
                self.install(&listing.stage, roster);
                Ok(PageEnd::Done(members))
            }
        }
    }
}

/// Whether `id` is a participant id as the model defines them (`[a-zA-Z0-9-_]`, 1..64): anything
/// else could not be sent back to `DisconnectParticipant`, and is left out.
pub(crate) fn is_participant_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Locks one roster (a poisoned lock still holds a usable roster).
pub(crate) fn lock(roster: &Mutex<Roster>) -> MutexGuard<'_, Roster> {
    roster.lock().unwrap_or_else(|p| p.into_inner())
}

/// The page cursor handed to the engine: `<listing>.<session>.<IVS next token>`. A session id is
/// `st-` and letters and digits, a next token `[a-zA-Z0-9+/=_-]*` (the model): neither has a `.`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// The listing number.
    pub listing: u64,
    /// The session being listed.
    pub session: String,
    /// IVS's `nextToken`.
    pub token: String,
}

impl Cursor {
    fn encode(listing: u64, session: &str, token: &str) -> String {
        format!("{listing}.{session}.{token}")
    }

    /// Reads a cursor this module made; `None` for anything else.
    pub(crate) fn parse(cursor: &str) -> Option<Cursor> {
        let mut parts = cursor.splitn(3, '.');
        let listing = parts.next()?.parse().ok()?;
        let session = parts.next()?;
        let token = parts.next()?;
        if session.is_empty() || token.is_empty() {
            return None;
        }
        Some(Cursor {
            listing,
            session: session.to_owned(),
            token: token.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(participant: &str, user: &str, connected: bool) -> Listed {
        Listed {
            participant: participant.to_owned(),
            user: user.to_owned(),
            connected,
        }
    }

    #[test]
    fn pages_accumulate_into_a_roster_by_user() {
        let rosters = Rosters::default();
        let now = Instant::now();
        let number = rosters.start("stage", "st-abc", now);
        let first = rosters
            .add_page(
                number,
                &[listed("p1", "alice", true), listed("p2", "bob", true)],
                Some("tok/2="),
                now,
            )
            .expect("page");
        let PageEnd::More(cursor) = first else {
            panic!("more pages")
        };
        let parsed = Cursor::parse(&cursor).expect("our cursor");
        assert_eq!(
            parsed,
            Cursor {
                listing: number,
                session: "st-abc".to_owned(),
                token: "tok/2=".to_owned()
            }
        );
        // A retried page adds nothing twice; disconnected and anonymous participants are left out.
        let page = [
            listed("p2", "bob", true),
            listed("p3", "alice", true),
            listed("p4", "carol", false),
            listed("p5", "", true),
            listed("p 6", "dave", true),
        ];
        let end = rosters.add_page(number, &page, None, now).expect("page");
        let PageEnd::Done(members) = end else {
            panic!("done")
        };
        let shown: Vec<(&str, Option<&str>)> = members
            .iter()
            .map(|m| (m.id.as_str(), m.handle.as_deref()))
            .collect();
        assert_eq!(shown, [("alice", Some("p1 p3")), ("bob", Some("p2"))]);
        let roster = rosters.fresh("stage", now).expect("installed");
        assert_eq!(lock(&roster).participants("alice"), ["p1", "p3"]);
        assert!(lock(&roster).participants("carol").is_empty());
        assert_eq!(
            rosters.add_page(number, &[], None, now),
            Err(PageError::UnknownListing)
        );
    }

    #[test]
    fn a_roster_serves_a_minute_or_twice_its_disconnects() {
        let now = Instant::now();
        let small = Roster::of(now, &BTreeMap::new());
        assert!(small.fresh(now + Duration::from_secs(59)));
        assert!(!small.fresh(now + Duration::from_secs(60)));
        let many: BTreeMap<String, String> = (0..600)
            .map(|i| (format!("p{i}"), format!("u{i}")))
            .collect();
        let big = Roster::of(now, &many);
        assert!(big.fresh(now + Duration::from_secs(239)));
        assert!(!big.fresh(now + Duration::from_secs(240)));
    }

    #[test]
    fn foreign_cursors_are_refused() {
        for bad in ["", "x", "1", "1.st-a", "1..tok", "1.st-a.", "a.st-a.tok"] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
        assert!(Cursor::parse("7.st-a.t.o.k").is_some());
    }

    #[test]
    fn listings_and_rosters_are_bounded() {
        let rosters = Rosters::default();
        let now = Instant::now();
        let first = rosters.start("s", "st-a", now);
        for i in 0..MAX_LISTINGS {
            rosters.start("s", "st-a", now + Duration::from_millis(i as u64 + 1));
        }
        assert_eq!(
            rosters.add_page(first, &[], None, now),
            Err(PageError::UnknownListing)
        );
        for i in 0..=MAX_STAGES {
            rosters.no_session(&format!("stage-{i}"), now + Duration::from_millis(i as u64));
        }
        assert_eq!(rosters.state().rosters.len(), MAX_STAGES);
        assert!(rosters.fresh("stage-0", now).is_none());
    }
}
