//! Agora emulators.
