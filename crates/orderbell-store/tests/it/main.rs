//! The store's stories, on SQLite and PostgreSQL.
//!
//! One binary for the crate's integration tests (see docs/ARCHITECTURE.md, Tests): each file
//! below is a module; `support` holds the shared fixtures.

#[macro_use]
mod support;

mod conformance;
mod coordination;
mod dynamodb;
mod escalation;
mod lookup_cache;
mod notifications;
mod printing;
