//! Wire-faithful local emulators of the providers `room-moderator` talks to: ZEGOCLOUD (ZIM and Express
//! RTC), Amazon IVS Chat and EnableX. None of them offers a sandbox, so these are how the adapters, the
//! CLI demo and application teams test against something that speaks the real protocol.
//!
//! Each provider listens on its own port, keeps rooms and members in memory (seeded through the Rust
//! API or the admin routes under `/_emulator/`), checks signatures and credentials as documented,
//! answers the documented codes, enforces the documented rate limit, and has [`Controls`] for latency,
//! scripted faults, a request log and counters.
//!
//! Each provider's emulator hands out the variables that point its adapter at it
//! ([`Emulator::vars`], or `zego().zim_vars()`, `ivschat().vars()`, ...), for the adapter builders'
//! `with_vars` and the facade's `Builder::with_vars`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emulator = room_moderator_emulator::Emulator::start().await?;
//! for (name, value) in emulator.vars("zego-zim") {
//!     println!("{name}={value}");
//! }
//! # Ok(()) }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod admin;
mod controls;
mod rooms;
mod server;

#[cfg(feature = "enablex")]
pub mod enablex;
#[cfg(feature = "ivschat")]
pub mod ivschat;
#[cfg(feature = "zego")]
pub mod zego;

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub use controls::{Admission, Controls, Counters, Fault, LoggedRequest, fault_response};
pub use rooms::{MemberRooms, Removal, RoomDirectory};
pub use server::Server;

/// Where and how to run the emulators.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EmulatorConfig {
    /// Address to listen on; loopback by default.
    pub host: IpAddr,
    /// First port; 0 picks free ports. Otherwise ZIM, RTC, IVS Chat and EnableX listen on
    /// `base_port`, `+1`, `+2` and `+3`.
    pub base_port: u16,
    /// ZEGO settings.
    #[cfg(feature = "zego")]
    pub zego: zego::ZegoConfig,
    /// IVS Chat settings.
    #[cfg(feature = "ivschat")]
    pub ivschat: ivschat::IvsChatConfig,
    /// EnableX settings.
    #[cfg(feature = "enablex")]
    pub enablex: enablex::EnablexConfig,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            base_port: 0,
            #[cfg(feature = "zego")]
            zego: zego::ZegoConfig::default(),
            #[cfg(feature = "ivschat")]
            ivschat: ivschat::IvsChatConfig::default(),
            #[cfg(feature = "enablex")]
            enablex: enablex::EnablexConfig::default(),
        }
    }
}

/// The running emulators of every compiled-in provider. Dropping it stops them.
#[derive(Debug)]
pub struct Emulator {
    #[cfg(feature = "zego")]
    zego: zego::ZegoEmulator,
    #[cfg(feature = "ivschat")]
    ivschat: ivschat::IvsChatEmulator,
    #[cfg(feature = "enablex")]
    enablex: enablex::EnablexEmulator,
}

impl Emulator {
    /// Starts every compiled-in provider on free loopback ports with default credentials.
    pub async fn start() -> io::Result<Emulator> {
        Emulator::start_with(EmulatorConfig::default()).await
    }

    /// Starts every compiled-in provider with `config`.
    pub async fn start_with(config: EmulatorConfig) -> io::Result<Emulator> {
        let addr = |offset: u16| {
            let port = if config.base_port == 0 {
                0
            } else {
                config.base_port.saturating_add(offset)
            };
            SocketAddr::new(config.host, port)
        };
        let _ = &addr;
        Ok(Emulator {
            #[cfg(feature = "zego")]
            zego: zego::ZegoEmulator::start(config.zego, addr(0), addr(1)).await?,
            #[cfg(feature = "ivschat")]
            ivschat: ivschat::IvsChatEmulator::start(config.ivschat, addr(2)).await?,
            #[cfg(feature = "enablex")]
            enablex: enablex::EnablexEmulator::start(config.enablex, addr(3)).await?,
        })
    }

    /// The ZEGO emulators (ZIM and RTC).
    #[cfg(feature = "zego")]
    pub fn zego(&self) -> &zego::ZegoEmulator {
        &self.zego
    }

    /// The IVS Chat emulator.
    #[cfg(feature = "ivschat")]
    pub fn ivschat(&self) -> &ivschat::IvsChatEmulator {
        &self.ivschat
    }

    /// The EnableX emulator.
    #[cfg(feature = "enablex")]
    pub fn enablex(&self) -> &enablex::EnablexEmulator {
        &self.enablex
    }

    /// The emulator of the provider named `name` as the adapters name themselves (`zego-zim`,
    /// `zego-rtc`, `ivschat`, `enablex`; case-insensitive), if it is compiled in.
    #[cfg(any(feature = "zego", feature = "ivschat", feature = "enablex"))]
    pub fn provider(&self, name: &str) -> Option<ProviderEmulator<'_>> {
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            #[cfg(feature = "zego")]
            "zego-zim" => Some(ProviderEmulator::ZegoZim(&self.zego)),
            #[cfg(feature = "zego")]
            "zego-rtc" => Some(ProviderEmulator::ZegoRtc(&self.zego)),
            #[cfg(feature = "ivschat")]
            "ivschat" => Some(ProviderEmulator::IvsChat(&self.ivschat)),
            #[cfg(feature = "enablex")]
            "enablex" => Some(ProviderEmulator::Enablex(&self.enablex)),
            _ => None,
        }
    }

    /// The `(name, value)` pairs that point the adapter of provider `name` at its emulator (empty
    /// for a provider not compiled in): credentials and endpoint.
    pub fn vars(&self, name: &str) -> Vec<(&'static str, String)> {
        #[cfg(any(feature = "zego", feature = "ivschat", feature = "enablex"))]
        if let Some(provider) = self.provider(name) {
            return provider.vars();
        }
        let _ = name;
        Vec::new()
    }
}

/// One provider's emulator, chosen by name ([`Emulator::provider`]), driven the same way whatever the
/// provider: its variables, controls, rooms.
#[cfg(any(feature = "zego", feature = "ivschat", feature = "enablex"))]
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum ProviderEmulator<'e> {
    /// ZEGO ZIM.
    #[cfg(feature = "zego")]
    ZegoZim(&'e zego::ZegoEmulator),
    /// ZEGO Express RTC.
    #[cfg(feature = "zego")]
    ZegoRtc(&'e zego::ZegoEmulator),
    /// Amazon IVS Chat.
    #[cfg(feature = "ivschat")]
    IvsChat(&'e ivschat::IvsChatEmulator),
    /// EnableX.
    #[cfg(feature = "enablex")]
    Enablex(&'e enablex::EnablexEmulator),
}

#[cfg(any(feature = "zego", feature = "ivschat", feature = "enablex"))]
impl ProviderEmulator<'_> {
    /// The variables that point the provider's adapter here.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        match self {
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoZim(zego) => zego.zim_vars(),
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoRtc(zego) => zego.rtc_vars(),
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsChat(ivs) => ivs.vars(),
            #[cfg(feature = "enablex")]
            ProviderEmulator::Enablex(enablex) => enablex.vars(),
        }
    }

    /// Latency, faults, the request log and counters.
    pub fn controls(&self) -> &Controls {
        match self {
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoZim(zego) => zego.zim().controls(),
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoRtc(zego) => zego.rtc().controls(),
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsChat(ivs) => ivs.controls(),
            #[cfg(feature = "enablex")]
            ProviderEmulator::Enablex(enablex) => enablex.controls(),
        }
    }

    /// The room id an adapter sends for the room `name` (IVS Chat: its ARN; the name elsewhere).
    pub fn room_id(&self, name: &str) -> String {
        match self {
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsChat(ivs) => ivs.room_arn(name),
            #[allow(unreachable_patterns)]
            _ => name.to_owned(),
        }
    }

    /// Creates `room` (as [`room_id`](Self::room_id) names it) with `users` in it.
    pub fn seed_room(&self, room: &str, users: &[String]) {
        let users = users.iter().cloned();
        match self {
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoZim(zego) => zego.zim().seed_room(room, users),
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoRtc(zego) => zego.rtc().seed_room(room, users),
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsChat(ivs) => ivs.seed_room(room, users),
            #[cfg(feature = "enablex")]
            ProviderEmulator::Enablex(enablex) => enablex.seed_room(room, users),
        }
    }

    /// The users in `room`, or `None` for an unknown room.
    pub fn members(&self, room: &str) -> Option<Vec<String>> {
        match self {
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoZim(zego) => zego.zim().members(room),
            #[cfg(feature = "zego")]
            ProviderEmulator::ZegoRtc(zego) => zego.rtc().members(room),
            #[cfg(feature = "ivschat")]
            ProviderEmulator::IvsChat(ivs) => ivs.members(room),
            #[cfg(feature = "enablex")]
            ProviderEmulator::Enablex(enablex) => enablex.members(room),
        }
    }
}
