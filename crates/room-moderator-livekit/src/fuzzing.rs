//! Entry points for the fuzz targets: every decoder of LiveKit answers, fed arbitrary bytes.

use room_moderator_core::toolkit::http::HttpAnswer;

use crate::PROVIDER;
use crate::twirp::{self, MemberKinds, ParticipantKind};

/// Decodes `body` as a `ListParticipants` answer (both member filters) and as a failed answer with
/// `status` under JSON and text content types. Must never panic.
pub fn answers(status: u16, body: &[u8]) {
    let success = HttpAnswer::new(PROVIDER, 200, body.to_vec())
        .with_header("content-type", "application/json");
    for kinds in [
        MemberKinds::All,
        MemberKinds::Only(vec![ParticipantKind::Standard]),
    ] {
        if let Ok(members) = twirp::members(&success, &kinds) {
            let mut ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
            let listed = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), listed, "an identity listed twice");
        }
    }
    let _ = twirp::expect_object(&success);
    for content_type in ["application/json", "text/plain; charset=utf-8"] {
        let failed = HttpAnswer::new(PROVIDER, status, body.to_vec())
            .with_header("content-type", content_type);
        let (error, _) = twirp::failure(&failed);
        let _ = error.to_string();
    }
}
