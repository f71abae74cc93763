//! The providers the receiver has a route for, with their paths and body limits.

use std::fmt;

/// One provider product whose "user joined" callback the receiver verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Route {
    /// ZEGO ZIM room callbacks (`room_enter`).
    ZegoZim,
    /// ZEGO Express RTC room callbacks (`room_login`).
    ZegoRtc,
    /// LiveKit webhooks (`participant_joined`).
    LiveKit,
    /// Agora RTC channel event notifications (event types 103, 105, 107).
    AgoraRtc,
    /// Agora Chat post-delivery callbacks (chat-room `JOIN`).
    AgoraChat,
}

/// Raw body limit for every route but LiveKit's.
pub const BODY_LIMIT: usize = 64 * 1024;

/// LiveKit's limit: a join event carries the participant's metadata (up to 512 KiB) and attributes
/// (up to 64 KiB), so it can exceed 512 KiB (docs/webhooks.md, LiveKit).
pub const LIVEKIT_BODY_LIMIT: usize = 1024 * 1024;

impl Route {
    /// Every route, in a fixed order.
    pub const ALL: [Route; 5] = [
        Route::ZegoZim,
        Route::ZegoRtc,
        Route::LiveKit,
        Route::AgoraRtc,
        Route::AgoraChat,
    ];

    /// The CLI's provider name (`zego-zim`, `zego-rtc`, `livekit`, `agora-rtc`, `agora-chat`).
    pub fn name(self) -> &'static str {
        match self {
            Route::ZegoZim => "zego-zim",
            Route::ZegoRtc => "zego-rtc",
            Route::LiveKit => "livekit",
            Route::AgoraRtc => "agora-rtc",
            Route::AgoraChat => "agora-chat",
        }
    }

    /// The path the provider posts to: `/webhooks/<name>`.
    pub fn path(self) -> &'static str {
        match self {
            Route::ZegoZim => "/webhooks/zego-zim",
            Route::ZegoRtc => "/webhooks/zego-rtc",
            Route::LiveKit => "/webhooks/livekit",
            Route::AgoraRtc => "/webhooks/agora-rtc",
            Route::AgoraChat => "/webhooks/agora-chat",
        }
    }

    /// The largest raw body accepted; above it the answer is 413.
    pub fn body_limit(self) -> usize {
        match self {
            Route::LiveKit => LIVEKIT_BODY_LIMIT,
            _ => BODY_LIMIT,
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
