//! Entry points for the fuzz targets in `fuzz/` (hidden from the docs): the crate-private decoder of
//! ZEGO answers, reachable without a network. Not part of the API; may change at any release.

use moderator_core::Error;

use crate::Service;
use crate::response::{self, Answer};

/// Decodes one answer of ZIM (`rtc == false`) or RTC to `KickoutRoomUser` / `KickoutUser`, exactly as
/// the adapter does: `Ok` where it reads as success, the error the call's users would get otherwise.
pub fn decode_answer(rtc: bool, status: u16, body: &[u8]) -> Result<(), Error> {
    let service = if rtc { Service::Rtc } else { Service::Zim };
    match response::decode(service, status, None, body) {
        Answer::Success => Ok(()),
        Answer::Failure { error, .. } => Err(error),
    }
}
