//! Enablex emulator (placeholder until its issue lands).

use std::io;
use std::net::SocketAddr;

use crate::Server;

/// Enablex emulator settings.
#[derive(Clone, Debug, Default)]
pub struct EnablexConfig {}

/// A running Enablex emulator.
#[derive(Debug)]
pub struct EnablexEmulator {
    server: Server,
}

impl EnablexEmulator {
    /// Starts the emulator.
    pub async fn start(config: EnablexConfig, addr: SocketAddr) -> io::Result<Self> {
        let _ = config;
        let server = Server::start(addr, axum::Router::new()).await?;
        Ok(EnablexEmulator { server })
    }

    /// Base URL.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }
}
