//! Wire-faithful local emulators of the providers `room-moderator` talks to: ZEGOCLOUD (ZIM and Express
//! RTC), Amazon IVS Chat, EnableX and Agora (RTC channel management and Agora Chat). None of them
//! offers a sandbox, so these are how the adapters, the CLI demo and application teams test against
//! something that speaks the real protocol.
//!
//! Each provider listens on its own port, keeps rooms and members in memory (seeded through the Rust
//! API or the admin routes under `/_emulator/`), checks signatures and credentials as documented,
//! answers the documented codes, enforces the documented rate limit, and has [`Controls`] for latency,
//! scripted faults, a request log and counters.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emulator = room_moderator_emulator::Emulator::start().await?;
//! # let _ = emulator;
//! # Ok(()) }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod admin;
mod controls;
mod rooms;
mod server;

#[cfg(feature = "agora")]
pub mod agora;
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
    /// First port; 0 picks free ports. Otherwise ZIM, RTC, IVS Chat, EnableX, Agora RTC and Agora
    /// Chat listen on `base_port`, `+1`, `+2`, `+3`, `+4` and `+5`.
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
    /// Agora settings (RTC on `base_port + 4`, Chat on `+5`).
    #[cfg(feature = "agora")]
    pub agora: agora::AgoraConfig,
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
            #[cfg(feature = "agora")]
            agora: agora::AgoraConfig::default(),
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
    #[cfg(feature = "agora")]
    agora: agora::AgoraEmulator,
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
            #[cfg(feature = "agora")]
            agora: agora::AgoraEmulator::start(config.agora, addr(4), addr(5)).await?,
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

    /// The Agora emulators (RTC channel management and Agora Chat).
    #[cfg(feature = "agora")]
    pub fn agora(&self) -> &agora::AgoraEmulator {
        &self.agora
    }
}
