//! The JSON API under `/api/v1` (ARCHITECTURE.md §4).

pub mod accounts;
pub mod health;
pub mod menu;
pub mod orders;
pub mod shops;
pub mod tracking;
pub mod views;
