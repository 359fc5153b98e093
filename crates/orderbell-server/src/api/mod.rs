//! The JSON API under `/api/v1`: every route and shape is in the OpenAPI document
//! (`/api/openapi.json`, built in `openapi.rs`); docs/ARCHITECTURE.md §4 walks one order through it.

pub mod accounts;
pub mod health;
pub mod invitations;
pub mod menu;
pub mod mfa;
pub mod orders;
pub mod passkeys;
pub mod sessions;
pub mod shops;
pub mod tracking;
pub mod views;
