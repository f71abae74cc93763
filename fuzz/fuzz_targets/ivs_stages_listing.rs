//! IVS stage listings: any pages of participants (as JSON `[[["id","user",connected], ...], ...]`)
//! and any cursor text are read without panicking; the members are exactly the users of the
//! connected participants that name one, each valid participant id once, and cursors round-trip.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};

use libfuzzer_sys::fuzz_target;
use room_moderator_ivs::fuzzing::{ListedParticipant, parse_stage_cursor, stage_listing};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_stage_cursor(text);
    }
    let Ok(pages) = serde_json::from_slice::<Vec<Vec<ListedParticipant>>>(data) else {
        return;
    };
    let Some(members) = stage_listing(&pages) else {
        assert!(
            pages.is_empty(),
            "a listing of {} pages was refused",
            pages.len()
        );
        return;
    };
    // The last word on each participant wins (a later page re-listing it); ids outside the model's
    // `[a-zA-Z0-9-_]{1,64}` are left out.
    let valid = |id: &str| {
        (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let mut expected: BTreeMap<&str, &str> = BTreeMap::new();
    for (participant, user, connected) in pages.iter().flatten() {
        if *connected && valid(participant) {
            expected.insert(participant, user);
        }
    }
    let mut seen = BTreeSet::new();
    for (user, participants) in &members {
        assert!(!user.is_empty());
        for participant in participants {
            assert!(seen.insert(participant.clone()), "{participant} twice");
            assert_eq!(expected.get(participant.as_str()), Some(&user.as_str()));
        }
    }
    let named = expected.values().filter(|user| !user.is_empty()).count();
    assert_eq!(seen.len(), named);
});
