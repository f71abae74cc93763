//! In-memory rooms and members, for providers whose members are plain user ids (ZEGO, IVS Chat).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// What seeding and listing rooms means for one provider; the admin API works through it.
pub trait RoomDirectory: Send + Sync + 'static {
    /// Creates `room` if needed and adds `users` to it.
    fn seed(&self, room: &str, users: &[String]);
    /// The room's member user ids, sorted, or `None` if the room does not exist.
    fn members(&self, room: &str) -> Option<Vec<String>>;
    /// Deletes every room.
    fn clear(&self);
}

/// What removing a user from a room found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// The user was a member and is gone now.
    Removed,
    /// The room exists but the user is not in it.
    NotMember,
    /// There is no such room.
    NoRoom,
}

/// Rooms holding sets of user ids. Cheap to clone; clones share the rooms.
#[derive(Clone, Debug, Default)]
pub struct MemberRooms {
    rooms: Arc<Mutex<BTreeMap<String, BTreeSet<String>>>>,
}

impl MemberRooms {
    fn rooms(&self) -> MutexGuard<'_, BTreeMap<String, BTreeSet<String>>> {
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `room` exists.
    pub fn exists(&self, room: &str) -> bool {
        self.rooms().contains_key(room)
    }

    /// Whether `user` is in `room`.
    pub fn contains(&self, room: &str, user: &str) -> bool {
        self.rooms()
            .get(room)
            .is_some_and(|members| members.contains(user))
    }

    /// Removes `user` from `room`.
    pub fn remove(&self, room: &str, user: &str) -> Removal {
        match self
            .rooms()
            .get_mut(room)
            .map(|members| members.remove(user))
        {
            None => Removal::NoRoom,
            Some(true) => Removal::Removed,
            Some(false) => Removal::NotMember,
        }
    }
}

impl RoomDirectory for MemberRooms {
    fn seed(&self, room: &str, users: &[String]) {
        self.rooms()
            .entry(room.to_owned())
            .or_default()
            .extend(users.iter().cloned());
    }

    fn members(&self, room: &str) -> Option<Vec<String>> {
        self.rooms()
            .get(room)
            .map(|members| members.iter().cloned().collect())
    }

    fn clear(&self) {
        self.rooms().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removal_distinguishes_member_absent_and_unknown_room() {
        let rooms = MemberRooms::default();
        rooms.seed("r", &["a".to_owned(), "b".to_owned()]);
        assert_eq!(rooms.remove("r", "a"), Removal::Removed);
        assert_eq!(rooms.remove("r", "a"), Removal::NotMember);
        assert_eq!(rooms.remove("nope", "a"), Removal::NoRoom);
        assert_eq!(rooms.members("r"), Some(vec!["b".to_owned()]));
    }
}
