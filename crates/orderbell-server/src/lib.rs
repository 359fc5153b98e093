//! The `orderbell` server: configuration, command line, the HTTP API and background upkeep.

pub mod account_mail;
pub mod api;
pub mod app;
pub mod cli;
pub mod clock_jumps;
pub mod config;
pub mod demo;
pub mod escalation;
pub mod events;
pub mod http;
pub mod intake;
pub mod leases;
pub mod metrics;
pub mod notifications;
pub mod oidc;
pub mod openapi;
pub mod pages;
pub mod photos;
pub mod printers;
pub mod relay;
pub mod security;
pub mod state;
pub mod telemetry;
