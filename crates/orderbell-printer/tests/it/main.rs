//! The printer client end to end: against an emulated printer, and against the real server.
//!
//! One binary for the crate's integration tests (see docs/ARCHITECTURE.md, Tests): each file
//! below is a module; `support` holds the shared fixtures.

mod support;

mod e2e;
mod with_server;
