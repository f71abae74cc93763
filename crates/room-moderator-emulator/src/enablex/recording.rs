//! Every signalling event the emulator received, as received, so tests can assert exactly what a
//! client sent (which `drop` payloads, in which JSON types), including events the emulator refused
//! or does not handle.

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::Value;

/// How many frames are kept; older ones are forgotten first, so a long run cannot grow the log
/// without bound.
pub const MAX_RECORDED_FRAMES: usize = 10_000;

/// One signalling event received from a client.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReceivedFrame {
    /// The sender's clientId, once it has joined a room.
    #[serde(rename = "clientId")]
    pub client_id: Option<String>,
    /// The event name (`token`, `drop`, ...).
    pub event: String,
    /// The event's data as received (several arguments arrive as a list).
    pub data: Value,
}

/// The bounded log of received frames.
#[derive(Debug, Default)]
pub(crate) struct FrameLog {
    frames: VecDeque<ReceivedFrame>,
}

impl FrameLog {
    pub(crate) fn push(&mut self, frame: ReceivedFrame) {
        if self.frames.len() == MAX_RECORDED_FRAMES {
            self.frames.pop_front();
        }
        self.frames.push_back(frame);
    }

    pub(crate) fn all(&self) -> Vec<ReceivedFrame> {
        self.frames.iter().cloned().collect()
    }

    pub(crate) fn clear(&mut self) {
        self.frames.clear();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keeps_the_newest_frames_up_to_the_limit() {
        let mut log = FrameLog::default();
        for n in 0..MAX_RECORDED_FRAMES + 5 {
            log.push(ReceivedFrame {
                client_id: None,
                event: "drop".to_owned(),
                data: json!(n),
            });
        }
        let frames = log.all();
        assert_eq!(frames.len(), MAX_RECORDED_FRAMES);
        assert_eq!(frames[0].data, json!(5));
    }
}
