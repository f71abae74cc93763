//! Agora adapters for `room-moderator`: remove users from RTC channels through the channel
//! management REST API (kicking rules, which also give native timed bans) and from Agora Chat chat
//! rooms through the Chat REST API (member removal and the room's block list).

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod token;
