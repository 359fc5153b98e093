//! The provider clients against the providers' own descriptions and independent implementations.
//!
//! One binary for the crate's integration tests (see docs/ARCHITECTURE.md, Tests): each file
//! below is a module; `support` holds the shared fixtures.

mod support;

mod fcm_loopback;
mod telegram_standin;
mod twilio_prism;
mod twiml_voice;
mod webpush_python;
