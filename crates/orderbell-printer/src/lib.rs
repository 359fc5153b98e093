//! # orderbell-printer
//!
//! The client that runs beside a receipt printer: it holds a WebSocket to the Orderbell
//! server (orderbell-protocol), writes every job to a durable spool before acknowledging
//! it, prints jobs one at a time in order through an output (TCP 9100, file, USB device
//! file, CUPS raw queue, stdout), and acknowledges `printed` only once the printer
//! confirmed it. A job id is printed at most once, also across restarts.
//!
//! Modules, one concept each:
//! - [`cli`], [`config`]: flags > env > TOML file > defaults;
//! - [`connection`]: the WebSocket session, reconnects ([`backoff`]);
//! - [`spool`]: the job spool and the record of finished job ids;
//! - [`worker`]: takes spooled jobs in order, renders ([`ticket`]), writes ([`output`]),
//!   confirms ([`printer_state`]);
//! - [`board`]: what the [`status`] page shows; [`test_page`]: samples of each text mode;
//! - [`app`]: wires them together and handles signals.

pub mod app;
pub mod backoff;
pub mod board;
pub mod cli;
pub mod config;
pub mod connection;
pub mod output;
pub mod printer_state;
pub mod spool;
pub mod status;
pub mod test_page;
pub mod ticket;
pub mod worker;
