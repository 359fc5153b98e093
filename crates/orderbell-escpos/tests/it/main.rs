//! The encoder against reference implementations, properties and ticket snapshots.
//!
//! One binary for the crate's integration tests (see docs/ARCHITECTURE.md, Tests): each file
//! below is a module; `support` holds the shared fixtures.

mod ks_x_1001;
mod properties;
mod python_reference;
mod tickets;
