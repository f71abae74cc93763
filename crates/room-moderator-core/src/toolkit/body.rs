//! How much of an answer is read, and how a body is quoted in messages.
//!
//! Provider answers are small JSON envelopes (a few hundred bytes). A server that sends more is not
//! the provider answering (a gateway page, a misconfigured endpoint, a hostile host) and must not make
//! the adapter buffer it all.

/// The most of an answer body an adapter reads: 64 KiB.
pub const MAX_BODY: usize = 64 * 1024;

/// Collects body chunks up to a limit and drops the rest.
///
/// ```
/// use room_moderator_core::toolkit::CappedBody;
/// let mut body = CappedBody::new(4);
/// assert!(!body.push(b"ab"));
/// assert!(body.push(b"cdef")); // full: stop reading
/// assert_eq!(body.into_bytes(), b"abcd");
/// ```
#[derive(Clone, Debug, Default)]
pub struct CappedBody {
    bytes: Vec<u8>,
    limit: usize,
}

impl CappedBody {
    /// An empty body that keeps at most `limit` bytes (use [`MAX_BODY`] unless there is a reason).
    pub fn new(limit: usize) -> Self {
        CappedBody {
            bytes: Vec::new(),
            limit,
        }
    }

    /// Appends what fits of `chunk`; `true` when the limit is reached and reading should stop.
    pub fn push(&mut self, chunk: &[u8]) -> bool {
        let room = self.limit.saturating_sub(self.bytes.len());
        self.bytes
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
        self.bytes.len() >= self.limit
    }

    /// The bytes kept.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// The start of a body, printable and at most 120 characters, for messages ("the body is empty"
/// for a blank one).
///
/// ```
/// use room_moderator_core::toolkit::snippet;
/// assert_eq!(snippet(b"  "), "the body is empty");
/// assert_eq!(snippet(b"<html>\n502</html>"), r#"body starts "<html> 502</html>""#);
/// ```
pub fn snippet(body: &[u8]) -> String {
    const MAX: usize = 120;
    if body.iter().all(u8::is_ascii_whitespace) {
        return "the body is empty".to_owned();
    }
    let text = String::from_utf8_lossy(body);
    let mut short: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX)
        .collect();
    if text.chars().nth(MAX).is_some() {
        short.push('…');
    }
    format!("body starts {short:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_at_most_the_limit_across_chunks() {
        let mut body = CappedBody::new(MAX_BODY);
        let chunk = vec![b'x'; 40 * 1024];
        assert!(!body.push(&chunk));
        assert!(body.push(&chunk));
        assert!(body.push(&chunk));
        assert_eq!(body.into_bytes().len(), MAX_BODY);
        let mut empty = CappedBody::new(0);
        assert!(empty.push(b""));
    }

    #[test]
    fn snippets_are_short_and_printable() {
        let long = "y".repeat(10_000);
        let quoted = snippet(long.as_bytes());
        assert!(quoted.len() < 140 && quoted.ends_with("…\""), "{quoted}");
        assert!(snippet(&[0xff, 0xfe, 0]).starts_with("body starts"));
    }
}
