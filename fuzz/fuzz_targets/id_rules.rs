//! Id validation (core's `IdRule::check`) under every adapter's published rules: any text is checked
//! without panicking, and an accepted id is within the rule's length and character set.
#![no_main]

use libfuzzer_sys::fuzz_target;
use room_moderator_core::{Capabilities, IdRule};

fn rules() -> Vec<IdRule> {
    let caps: [Capabilities; 4] = [
        room_moderator_zego::ZIM_CAPABILITIES,
        room_moderator_zego::RTC_CAPABILITIES,
        room_moderator_ivs::IVSCHAT_CAPABILITIES,
        room_moderator_enablex::ENABLEX_CAPABILITIES,
    ];
    let mut rules: Vec<IdRule> = caps.iter().flat_map(|c| [c.room_id, c.user_id]).collect();
    rules.push(IdRule::ANY);
    rules.push(IdRule::max_bytes(3));
    rules
}

fuzz_target!(|data: &[u8]| {
    let Ok(id) = std::str::from_utf8(data) else {
        return;
    };
    for rule in rules() {
        match rule.check(id) {
            Ok(()) => {
                if let Some(max) = rule.max_len {
                    assert!(rule.unit.measure(id) <= max, "{id:?} over {max}");
                }
                if let Some(charset) = rule.charset {
                    assert!(id.chars().all(charset.allows), "{id:?} outside the charset");
                }
            }
            Err(problem) => assert!(!problem.is_empty()),
        }
    }
});
