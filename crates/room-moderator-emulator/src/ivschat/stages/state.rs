//! The stages, their sessions and participants, and the participant tokens issued: the emulator's
//! model of IVS real-time, without the wire.
//!
//! Follows `docs/providers/ivs-stages.md`. UNVERIFIED and chosen here: a session starts when the
//! first participant joins a stage without one and ends when its last connected participant leaves
//! (AWS may keep it a few minutes longer); a participant id is 12 letters and digits, a session id
//! `st-` and 13 more (16 characters, as the model says); DisconnectParticipant of a participant that
//! already left answers success, of an unknown one 404; a disconnected participant's token cannot
//! join again (the Web SDK's `PARTICIPANT_DISCONNECTED`); participants are listed in the order they
//! joined.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use serde::Serialize;

/// One participant of a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Participant {
    /// IVS's participant id.
    pub participant_id: String,
    /// The user id its token carried (empty: none).
    pub user_id: String,
    /// Connected now.
    pub connected: bool,
    /// When it first joined.
    #[serde(skip)]
    pub first_join: SystemTime,
}

/// A token CreateParticipantToken issued: what it grants (never the token itself in views).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IssuedParticipantToken {
    /// The stage ARN.
    pub stage: String,
    /// The participant id the token stands for.
    pub participant_id: String,
    /// The user id, as sent (empty: none).
    pub user_id: String,
    /// The capabilities, as sent (none: IVS's default, both).
    pub capabilities: Vec<String>,
    /// `duration` in minutes as sent; `None`: IVS's default (720).
    pub duration: Option<i64>,
    /// The attributes, as sent.
    pub attributes: BTreeMap<String, String>,
}

/// Why a participant token could not join.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JoinRefusal {
    /// No token like it was issued (or it is for another stage).
    TokenInvalid,
    /// Its duration has passed (Web SDK `TOKEN_EXPIRED`, code 2).
    TokenExpired,
    /// Its participant was disconnected: the token is revoked for good (Web SDK
    /// `PARTICIPANT_DISCONNECTED`, code 10).
    ParticipantDisconnected,
    /// The stage does not exist (any more).
    StageNotFound,
}

#[derive(Clone, Debug)]
struct Token {
    issued: IssuedParticipantToken,
    expires: SystemTime,
    revoked: bool,
}

#[derive(Debug, Default)]
struct Stage {
    active: Option<String>,
    /// Every session's participants, in joining order.
    sessions: HashMap<String, Vec<Participant>>,
}

/// What DisconnectParticipant found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Disconnect {
    /// Connected, now disconnected.
    Disconnected,
    /// Known, already gone.
    AlreadyGone,
    /// No such participant on the stage.
    UnknownParticipant,
    /// No such stage.
    NoStage,
}

/// Every stage of the emulator.
#[derive(Debug, Default)]
pub(crate) struct Stages {
    stages: BTreeMap<String, Stage>,
    tokens: HashMap<String, Token>,
    issued: Vec<IssuedParticipantToken>,
    next_id: u64,
}

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` as `len` letters and digits (base 62, left-padded).
fn id_of(mut n: u64, len: usize) -> String {
    let mut out = vec![b'0'; len];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Stages {
    fn next(&mut self) -> u64 {
        self.next_id += 1;
        // Spread the ids out so that they do not look sequential.
        self.next_id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 8
    }

    /// Creates `stage` if needed.
    pub(crate) fn create(&mut self, stage: &str) {
        self.stages.entry(stage.to_owned()).or_default();
    }

    /// The stage's active session: `None` for no stage, `Some(None)` for a stage without one.
    pub(crate) fn active_session(&self, stage: &str) -> Option<Option<String>> {
        self.stages.get(stage).map(|s| s.active.clone())
    }

    /// Connects a new participant of `user` (creating the stage and a session if needed); returns its
    /// participant id.
    pub(crate) fn connect(&mut self, stage: &str, user: &str) -> String {
        let id = id_of(self.next(), 12);
        self.join_as(stage, &id, user);
        id
    }

    fn join_as(&mut self, stage: &str, participant: &str, user: &str) {
        let session_seed = self.next();
        let stage = self.stages.entry(stage.to_owned()).or_default();
        let session = stage
            .active
            .get_or_insert_with(|| format!("st-{}", id_of(session_seed, 13)))
            .clone();
        let participants = stage.sessions.entry(session).or_default();
        match participants
            .iter_mut()
            .find(|p| p.participant_id == participant)
        {
            Some(existing) => existing.connected = true,
            None => participants.push(Participant {
                participant_id: participant.to_owned(),
                user_id: user.to_owned(),
                connected: true,
                first_join: SystemTime::now(),
            }),
        }
    }

    /// The participants of `session` on `stage` (empty for an unknown stage or session).
    pub(crate) fn participants(&self, stage: &str, session: &str) -> Vec<Participant> {
        self.stages
            .get(stage)
            .and_then(|s| s.sessions.get(session))
            .cloned()
            .unwrap_or_default()
    }

    /// The active session's participants on `stage`, `None` for no stage.
    pub(crate) fn current(&self, stage: &str) -> Option<Vec<Participant>> {
        let active = self.stages.get(stage)?.active.clone();
        Some(
            active
                .map(|session| self.participants(stage, &session))
                .unwrap_or_default(),
        )
    }

    /// DisconnectParticipant: disconnects `participant` wherever it is connected on `stage`, revokes
    /// its token, and ends the session when nobody is left.
    pub(crate) fn disconnect(&mut self, stage: &str, participant: &str) -> Disconnect {
        let Some(found) = self.stages.get_mut(stage) else {
            return Disconnect::NoStage;
        };
        let mut result = Disconnect::UnknownParticipant;
        for (session, participants) in &mut found.sessions {
            let Some(p) = participants
                .iter_mut()
                .find(|p| p.participant_id == participant)
            else {
                continue;
            };
            if p.connected {
                p.connected = false;
                result = Disconnect::Disconnected;
                if found.active.as_deref() == Some(session.as_str())
                    && participants.iter().all(|p| !p.connected)
                {
                    found.active = None;
                }
            } else if result == Disconnect::UnknownParticipant {
                result = Disconnect::AlreadyGone;
            }
            break;
        }
        if result != Disconnect::UnknownParticipant {
            for token in self.tokens.values_mut() {
                if token.issued.stage == stage && token.issued.participant_id == participant {
                    token.revoked = true;
                }
            }
        }
        result
    }

    /// CreateParticipantToken: a token for a new participant id; `None` for no stage.
    pub(crate) fn issue(
        &mut self,
        mut issued: IssuedParticipantToken,
        token: String,
        expires: SystemTime,
    ) -> Option<IssuedParticipantToken> {
        if !self.stages.contains_key(&issued.stage) {
            return None;
        }
        issued.participant_id = id_of(self.next(), 12);
        self.tokens.insert(
            token,
            Token {
                issued: issued.clone(),
                expires,
                revoked: false,
            },
        );
        self.issued.push(issued.clone());
        Some(issued)
    }

    /// Every token issued, oldest first.
    pub(crate) fn issued(&self) -> Vec<IssuedParticipantToken> {
        self.issued.clone()
    }

    /// A client joining `stage` with `token` at `now`: its participant id, or why not.
    pub(crate) fn join(
        &mut self,
        stage: &str,
        token: &str,
        now: SystemTime,
    ) -> Result<String, JoinRefusal> {
        if !self.stages.contains_key(stage) {
            return Err(JoinRefusal::StageNotFound);
        }
        let found = self
            .tokens
            .get(token)
            .filter(|t| t.issued.stage == stage)
            .ok_or(JoinRefusal::TokenInvalid)?;
        if found.revoked {
            return Err(JoinRefusal::ParticipantDisconnected);
        }
        if found.expires <= now {
            return Err(JoinRefusal::TokenExpired);
        }
        let (participant, user) = (
            found.issued.participant_id.clone(),
            found.issued.user_id.clone(),
        );
        self.join_as(stage, &participant, &user);
        Ok(participant)
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        *self = Stages::default();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn sessions_start_and_end_with_their_participants() {
        let mut stages = Stages::default();
        assert_eq!(stages.active_session("s"), None);
        let first = stages.connect("s", "alice");
        let second = stages.connect("s", "alice");
        assert_ne!(first, second);
        assert_eq!(first.len(), 12);
        let session = stages.active_session("s").flatten().expect("active");
        assert!(
            session.starts_with("st-") && session.len() == 16,
            "{session}"
        );
        assert_eq!(stages.disconnect("s", &first), Disconnect::Disconnected);
        assert_eq!(stages.disconnect("s", &first), Disconnect::AlreadyGone);
        assert_eq!(
            stages.disconnect("s", "nobody"),
            Disconnect::UnknownParticipant
        );
        assert_eq!(stages.disconnect("t", &first), Disconnect::NoStage);
        assert!(stages.active_session("s").flatten().is_some());
        assert_eq!(stages.disconnect("s", &second), Disconnect::Disconnected);
        assert_eq!(stages.active_session("s"), Some(None));
        // The ended session can still be listed.
        assert_eq!(stages.participants("s", &session).len(), 2);
    }

    #[test]
    fn a_disconnect_revokes_that_token_only() {
        let mut stages = Stages::default();
        stages.create("s");
        let now = SystemTime::now();
        let later = now + Duration::from_secs(600);
        let grant = |user: &str| IssuedParticipantToken {
            stage: "s".into(),
            participant_id: String::new(),
            user_id: user.into(),
            capabilities: vec![],
            duration: None,
            attributes: BTreeMap::new(),
        };
        let phone = stages
            .issue(grant("troll"), "tok-phone".into(), later)
            .expect("stage");
        stages
            .issue(grant("troll"), "tok-laptop".into(), later)
            .expect("stage");
        let joined = stages.join("s", "tok-phone", now).expect("joins");
        assert_eq!(joined, phone.participant_id);
        assert_eq!(stages.disconnect("s", &joined), Disconnect::Disconnected);
        assert_eq!(
            stages.join("s", "tok-phone", now),
            Err(JoinRefusal::ParticipantDisconnected)
        );
        // The same user's other token still joins: revocation is per token.
        assert!(stages.join("s", "tok-laptop", now).is_ok());
        assert_eq!(
            stages.join("s", "tok-laptop", later),
            Err(JoinRefusal::TokenExpired)
        );
        assert_eq!(
            stages.join("s", "forged", now),
            Err(JoinRefusal::TokenInvalid)
        );
        assert_eq!(
            stages.join("other", "tok-laptop", now),
            Err(JoinRefusal::StageNotFound)
        );
        assert!(stages.issue(grant("x"), "t".into(), later).map(|i| i.stage) == Some("s".into()));
    }
}
