//! IvsChat emulator (placeholder until its issue lands).

use std::io;
use std::net::SocketAddr;

use crate::Server;

/// IvsChat emulator settings.
#[derive(Clone, Debug, Default)]
pub struct IvsChatConfig {}

/// A running IvsChat emulator.
#[derive(Debug)]
pub struct IvsChatEmulator {
    server: Server,
}

impl IvsChatEmulator {
    /// Starts the emulator.
    pub async fn start(config: IvsChatConfig, addr: SocketAddr) -> io::Result<Self> {
        let _ = config;
        let server = Server::start(addr, axum::Router::new()).await?;
        Ok(IvsChatEmulator { server })
    }

    /// Base URL.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }
}
