//! The server end to end: API, CLI, printers, notifications, pages and the browser.
//!
//! One binary for the crate's integration tests (see docs/ARCHITECTURE.md, Tests): each file
//! below is a module; `support` holds the shared fixtures.

#[path = "support/pages.rs"]
mod pages_support;
#[path = "support/notify.rs"]
mod stubs;
mod support;

mod api;
mod cli;
mod e2e_browser;
mod faults;
mod listener;
mod mail;
mod mfa;
mod multi_instance;
mod notifications;
mod oidc;
mod pages;
mod pages_channels;
mod pages_escalation;
mod pages_owner;
mod pages_printers;
mod passkeys;
mod photos;
mod printers;
mod roles;
mod schemathesis;
mod sessions;
