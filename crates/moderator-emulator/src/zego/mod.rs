//! Zego emulator (placeholder until its issue lands).

use std::io;
use std::net::SocketAddr;

use crate::Server;

/// Zego emulator settings.
#[derive(Clone, Debug, Default)]
pub struct ZegoConfig {}

/// A running Zego emulator.
#[derive(Debug)]
pub struct ZegoEmulator {
    server: Server,
}

impl ZegoEmulator {
    /// Starts the emulator.
    pub async fn start(
        config: ZegoConfig,
        zim_addr: SocketAddr,
        rtc_addr: SocketAddr,
    ) -> io::Result<Self> {
        let _ = config;
        let _ = rtc_addr;
        let server = Server::start(zim_addr, axum::Router::new()).await?;
        Ok(ZegoEmulator { server })
    }

    /// Base URL.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }
}
