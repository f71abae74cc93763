//! How the suite wires a provider: the emulator hands out only variables the adapter reads.

use crate::fixture::Fixture;
use crate::{Behavior, Checked, always, behavior, ensure};

pub fn behaviors() -> Vec<Behavior> {
    vec![behavior!(emulator_hands_out_the_adapters_variables, always)]
}

/// The pairs cannot drift from the adapter's variable table ([`Provider::env_vars`]), and they
/// build a moderator (every other trial relies on that).
///
/// [`Provider::env_vars`]: room_moderator::Provider::env_vars
async fn emulator_hands_out_the_adapters_variables(f: &Fixture) -> Checked {
    // The adapter's variables, and the secret a webhook receiver checks this provider's callbacks
    // with (docs/webhooks.md), which the emulator signs its callbacks with.
    let mut names: Vec<&str> = f.provider.env_vars().iter().map(|var| var.name).collect();
    names.extend([
        "ZEGO_CALLBACK_SECRET",
        "AGORA_NCS_SECRET",
        "AGORA_CHAT_CALLBACK_SECRET",
    ]);
    let vars = f.emulator()?.vars();
    ensure!(vars.len() >= 3, "only {vars:?}");
    for (name, _) in &vars {
        ensure!(names.contains(name), "{} reads no {name}", f.provider);
    }
    f.moderator().await.map(drop)
}
