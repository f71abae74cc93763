//! Socket.IO protocol v4 over Engine.IO v3 (what Socket.IO 2.x servers speak, and EnableX's
//! signalling servers with them), WebSocket transport only.
//!
//! No maintained Rust client speaks Engine.IO v3, so this is a small framer ([`packet`]) and a client
//! ([`Client`]) over tokio-tungstenite. It covers what a headless EnableX moderator needs: connect to
//! the root namespace, client-driven keep-alive, events, and acks in both directions. Binary
//! attachments and namespaces other than `/` are not supported.
//!
//! ```no_run
//! # async fn demo() -> Result<(), moderator_enablex::socketio::ClientError> {
//! use std::time::Duration;
//! use moderator_enablex::socketio::{Client, ClientConfig};
//! let url = "ws://127.0.0.1:3000/socket.io/?EIO=3&transport=websocket";
//! let (client, mut events) = Client::connect(url, ClientConfig::default()).await?;
//! let answer = client
//!     .emit_with_ack("echo", vec![serde_json::json!({"hello": 1})], Duration::from_secs(5))
//!     .await?;
//! # let _ = (answer, events.recv().await);
//! client.close(Duration::from_secs(1)).await;
//! # Ok(()) }
//! ```

mod client;
pub mod packet;
pub mod tls;

pub use client::{Client, ClientConfig, ClientError, CloseReason, DEFAULT_EVENT_BUFFER, Event};
pub use packet::{EnginePacket, Handshake, PacketError, SocketPacket};
