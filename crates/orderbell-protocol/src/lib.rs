//! # orderbell-protocol
//!
//! The device protocol between the Orderbell server and a printer client
//! (`orderbell-printer`, or anything else that speaks it): JSON text frames over the
//! WebSocket at [`DEVICE_WS_PATH`], each an object tagged by `"type"`.
//!
//! - Client → server: [`ClientFrame`] — `hello`, `ack`, `status`, `ping`, `pong`, `error`.
//! - Server → client: [`ServerFrame`] — `welcome`, `job`, `ping`, `pong`, `error`.
//!
//! Receiving: [`parse_client_frame`] (server side) and [`parse_server_frame`] (client
//! side) check the size ([`MAX_FRAME_BYTES`]), the `type`, the shape and the protocol
//! version, and say what to answer: an [`ErrorFrame`] that keeps the connection
//! ([`ProtocolError::error_frame`]), or a WebSocket close code
//! ([`ProtocolError::close_code`], 1009 for an oversized frame).
//!
//! Sending: [`ClientFrame::to_json`] / [`ServerFrame::to_json`].
//!
//! docs/protocol.md in the repository describes the delivery and acknowledgement rules;
//! its JSON examples are parsed by this crate's tests.
//!
//! ```
//! use orderbell_protocol::{parse_client_frame, ClientFrame, ErrorCode, ProtocolError};
//!
//! let frame = parse_client_frame(r#"{"type":"ack","job_id":"pj_1","stage":"received"}"#)?;
//! assert!(matches!(frame, ClientFrame::Ack(_)));
//!
//! let err = parse_client_frame(r#"{"type":"dance"}"#).unwrap_err();
//! assert_eq!(err.code(), ErrorCode::UnknownType);
//! assert_eq!(err.close_code(), None); // answer with err.error_frame(), keep the connection
//! # Ok::<(), ProtocolError>(())
//! ```

mod error;
mod frames;
mod parse;
mod receipt;

pub use error::{ErrorCode, ProtocolError};
pub use frames::{
    Ack, AckStage, Capabilities, ClientFrame, ErrorFrame, Hello, Job, Paper, Ping, Pong,
    PrinterState, ServerFrame, ShopInfo, StatusReport, Welcome,
};
pub use parse::{parse_client_frame, parse_server_frame};
pub use receipt::{Amount, Charge, Labels, Receipt, ReceiptItem};

/// The protocol version this crate speaks (`hello.protocol`, `welcome.protocol`).
///
/// Additive changes (new optional fields, new frame types a peer may answer with
/// `unknown_type`) keep the version; anything else bumps it.
pub const PROTOCOL_VERSION: u32 = 1;

/// The largest text frame either side accepts, in bytes (64 KiB). A peer that receives a
/// bigger one closes the connection with [`CLOSE_MESSAGE_TOO_BIG`].
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// WebSocket close code 1009 "message too big" (RFC 6455 §7.4.1).
pub const CLOSE_MESSAGE_TOO_BIG: u16 = 1009;

/// WebSocket close code 1001 "going away": the server instance is stopping; the client
/// reconnects (with jitter), behind a load balancer to another instance.
pub const CLOSE_GOING_AWAY: u16 = 1001;

/// WebSocket close code 1008 "policy violation" (e.g. a device token revoked while connected).
pub const CLOSE_POLICY_VIOLATION: u16 = 1008;

/// Path of the device WebSocket on the server.
pub const DEVICE_WS_PATH: &str = "/api/v1/devices/ws";

/// The server's default ping interval, sent in `welcome.heartbeat_secs`.
pub const DEFAULT_HEARTBEAT_SECS: u32 = 15;

/// A connection that has carried no frame (of any kind) for this long is dead, on both sides.
pub const DEAD_AFTER_SECS: u32 = 45;

/// Jobs older than this are expired by the server and no longer delivered.
pub const JOB_EXPIRY_HOURS: u32 = 12;
