//! Every ZEGO server API the adapters call, as data: its `Action`, its product, and the codes whose
//! meaning differs for it from the product's table.

use crate::Service;

/// One ZEGO server API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Api {
    /// ZIM: remove users from a room.
    KickoutRoomUser,
    /// ZIM: everyone in a room, paged by `NextFlag`.
    QueryRoomUserList,
    /// ZIM: which of up to 10 users are in a room.
    QueryRoomMembers,
    /// Express RTC: remove users from a room.
    KickoutUser,
    /// Express RTC: everyone in a room, paged by `Marker`.
    DescribeUserList,
    /// Express RTC: set a ban rule.
    SetForbidUserRule,
    /// Express RTC: delete a ban rule.
    DelForbidUserRule,
    /// Express RTC: list the ban rules of one type.
    DescribeForbidUserRules,
}

impl Api {
    /// The `Action` query parameter.
    pub(crate) fn action(self) -> &'static str {
        match self {
            Api::KickoutRoomUser => "KickoutRoomUser",
            Api::QueryRoomUserList => "QueryRoomUserList",
            Api::QueryRoomMembers => "QueryRoomMembers",
            Api::KickoutUser => "KickoutUser",
            Api::DescribeUserList => "DescribeUserList",
            Api::SetForbidUserRule => "SetForbidUserRule",
            Api::DelForbidUserRule => "DelForbidUserRule",
            Api::DescribeForbidUserRules => "DescribeForbidUserRules",
        }
    }

    /// The product serving it.
    pub(crate) fn service(self) -> Service {
        match self {
            Api::KickoutRoomUser | Api::QueryRoomUserList | Api::QueryRoomMembers => Service::Zim,
            _ => Service::Rtc,
        }
    }

    /// The product's kick.
    pub(crate) fn kick(service: Service) -> Api {
        match service {
            Service::Zim => Api::KickoutRoomUser,
            Service::Rtc => Api::KickoutUser,
        }
    }
}
