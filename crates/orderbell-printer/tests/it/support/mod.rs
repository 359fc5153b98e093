//! Test support shared by the end-to-end tests.

pub mod fake_printer;
