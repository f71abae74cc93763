//! Who is in a room: members as providers list them, and presence of named users.

use std::num::{NonZeroU32, NonZeroUsize};

use crate::UserId;

/// One member of a room, as the provider lists it.
///
/// ```
/// use room_moderator_core::Member;
/// let member = Member::new("alice").with_name("Alice").with_handle("client-7");
/// assert_eq!(member.id.as_str(), "alice");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Member {
    /// The user id, as the kick calls take it.
    pub id: UserId,
    /// The display name, where the provider gives one.
    #[cfg_attr(
        feature = "serde",
        serde(skip_serializing_if = "Option::is_none", default)
    )]
    pub name: Option<String>,
    /// The provider's own handle for this connection, where it has one (EnableX `clientId`).
    #[cfg_attr(
        feature = "serde",
        serde(skip_serializing_if = "Option::is_none", default)
    )]
    pub handle: Option<String>,
}

impl Member {
    /// A member with only an id.
    pub fn new(id: impl Into<UserId>) -> Self {
        Member {
            id: id.into(),
            name: None,
            handle: None,
        }
    }

    /// Sets the display name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the provider's handle.
    pub fn with_handle(mut self, handle: impl Into<String>) -> Self {
        self.handle = Some(handle.into());
        self
    }
}

/// One page of a room's member list, as an adapter decodes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MemberPage {
    /// The members on this page.
    pub members: Vec<Member>,
    /// Where the next page starts; `None` at the end of the list. Adapters map every end marker the
    /// provider documents (ZIM: `""` and `"0"`) to `None`.
    pub next: Option<String>,
    /// The room's total, when the provider says (ZIM `Count`).
    pub total: Option<usize>,
}

impl MemberPage {
    /// A page of `members` followed by `next`.
    pub fn new(members: Vec<Member>, next: Option<String>) -> Self {
        MemberPage {
            members,
            next,
            total: None,
        }
    }

    /// Records the room's total.
    pub fn with_total(mut self, total: Option<usize>) -> Self {
        self.total = total;
        self
    }
}

/// Whether one queried user is in the room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// In the room.
    Present,
    /// Not in the room (never joined, left, or logged out).
    Absent,
}

/// Limits of one provider API besides the kick: how much one call carries and how often it may be
/// called. In JSON (feature `serde`): `{"per_call": 10, "requests_per_second": 5, "per_room": true, ...}`.
///
/// ```
/// use room_moderator_core::ApiLimits;
/// const QUERY_ROOM_MEMBERS: ApiLimits = ApiLimits::new(10).with_rate_per_second(5).per_room();
/// assert!(QUERY_ROOM_MEMBERS.per_room);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ApiLimits {
    /// Most items (users, members) one call carries or returns.
    pub per_call: NonZeroUsize,
    /// The documented rate, if any.
    pub requests_per_second: Option<NonZeroU32>,
    /// Whether the rate counts per room rather than per account.
    pub per_room: bool,
    /// Whether the calls also count against the kick's quota (where the docs do not say, adapters
    /// assume they do: the conservative reading).
    pub shares_kick_quota: bool,
}

impl ApiLimits {
    /// `per_call` items a call, no rate, per account, separate from the kick's quota.
    ///
    /// # Panics
    /// If `per_call` is zero (a programming error in the adapter, caught at compile time in a `const`).
    pub const fn new(per_call: usize) -> Self {
        ApiLimits {
            per_call: match NonZeroUsize::new(per_call) {
                Some(n) => n,
                None => panic!("per_call must be at least 1"),
            },
            requests_per_second: None,
            per_room: false,
            shares_kick_quota: false,
        }
    }

    /// Sets the documented rate; 0 means none.
    pub const fn with_rate_per_second(mut self, requests: u32) -> Self {
        self.requests_per_second = NonZeroU32::new(requests);
        self
    }

    /// The rate counts per room.
    pub const fn per_room(mut self) -> Self {
        self.per_room = true;
        self
    }

    /// The calls also draw from the kick's quota.
    pub const fn sharing_kick_quota(mut self) -> Self {
        self.shares_kick_quota = true;
        self
    }
}

/// How a provider answers a kick that names a user who is not in the room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum AbsentUsers {
    /// Per user, or as a success: nothing to check first (RTC, IVS, EnableX).
    Harmless,
    /// The whole call may fail without saying who was absent (ZIM `KickoutRoomUser`, 660300002):
    /// the engine checks presence first where it can.
    FailTheCall,
}

/// How `disconnect_all` works on a provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum RoomClear {
    /// One native call (EnableX `dropUser([])`).
    Native,
    /// List the members, then kick them (ZIM, RTC).
    ListAndKick,
    /// Not possible (IVS Chat cannot list a room).
    Unsupported,
}
