#![doc = include_str!("../README.md")]
//!
//! The framer is [`packet`]; the client is [`Client`]; TLS is [`tls`].

#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
pub mod packet;
pub mod tls;

pub use client::{Client, ClientConfig, ClientError, CloseReason, DEFAULT_EVENT_BUFFER, Event};
pub use packet::{EnginePacket, Handshake, PacketError, SocketPacket};
