//! Identifier newtypes, so that a room can never be passed where a user is expected.
//!
//! They accept any string: whether an id is acceptable depends on the provider, so the check happens
//! against the adapter's [`Capabilities`](crate::Capabilities) before anything is sent.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(transparent))]
        pub struct $name(String);

        impl $name {
            /// Wraps a string. Validation happens later, against the provider's rules.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The id as sent to the provider.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the inner string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&String> for $name {
            fn from(value: &String) -> Self {
                Self(value.clone())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type! {
    /// A room (ZEGO `RoomId`, IVS Chat room ARN, EnableX `room_id`).
    ///
    /// ```
    /// use room_moderator_core::RoomId;
    /// let room = RoomId::new("lobby-1");
    /// assert_eq!(room.as_str(), "lobby-1");
    /// ```
    RoomId
}

id_type! {
    /// A user as the application knows them (ZEGO `UserId`, IVS `userId`, EnableX `user_ref`).
    UserId
}

id_type! {
    /// Why a user is removed; shown to the user where the provider carries it.
    Reason
}
