//! The frames: what each side may send, field by field.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, ProtocolError};
use crate::receipt::Receipt;

/// Longest accepted `job_id`, in bytes.
pub(crate) const MAX_JOB_ID_BYTES: usize = 128;

/// A frame sent by the device (printer client) to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// First frame after the upgrade: who the client is and what the printer can do.
    Hello(Hello),
    /// Progress of one job.
    Ack(Ack),
    /// The printer's state changed (or is repeated after reconnecting).
    Status(StatusReport),
    /// Keep-alive; the server answers `pong` with the same nonce.
    Ping(Ping),
    /// Answer to the server's `ping`.
    Pong(Pong),
    /// The client could not use a frame the server sent (the connection stays open).
    Error(ErrorFrame),
}

/// A frame sent by the server to the device.
#[expect(
    clippy::large_enum_variant,
    reason = "frames are short-lived, one at a time; boxing `Job` would only complicate building and matching"
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// Answer to `hello`: the connection is established.
    Welcome(Welcome),
    /// A ticket to print.
    Job(Job),
    /// Keep-alive; the client answers `pong` with the same nonce.
    Ping(Ping),
    /// Answer to the client's `ping`.
    Pong(Pong),
    /// The server could not use a frame the client sent (the connection stays open).
    Error(ErrorFrame),
}

/// `hello`: the first frame a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Protocol version the client speaks ([`PROTOCOL_VERSION`](crate::PROTOCOL_VERSION)).
    pub protocol: u32,
    /// Client software and version, e.g. `"orderbell-printer/0.1.0"`.
    pub client_version: String,
    /// What the printer can do.
    pub capabilities: Capabilities,
}

/// What the printer beside the client can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Paper width.
    pub paper: Paper,
    /// Text mode the client renders with, e.g. `"ks_x_1001"`, `"ascii:cp437"`, `"utf8"`,
    /// `"image"` (the names of orderbell-escpos' `TextMode`). Informational.
    pub text_mode: String,
    /// The printer cuts paper.
    pub cutter: bool,
    /// A cash drawer is connected (jobs with `kick_drawer` open it).
    pub drawer: bool,
}

/// Paper width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Paper {
    /// 58 mm roll (32 columns).
    #[serde(rename = "58mm")]
    Mm58,
    /// 80 mm roll (48 columns).
    #[serde(rename = "80mm")]
    Mm80,
}

/// `ack`: how far a job got on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// The job's id, as sent in `job.job_id`.
    pub job_id: String,
    /// How far it got.
    pub stage: AckStage,
    /// Why, for `failed` and `unconfirmed` (human sentence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Stages of a job on the device. `received` is progress; the other three are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckStage {
    /// Written to the client's durable spool; the server stops counting it as undelivered
    /// but keeps resending it on every (re)connect until a final stage arrives.
    Received,
    /// The printer took every byte and reported itself online with paper.
    Printed,
    /// The job can never print (e.g. the document cannot be rendered). Final.
    Failed,
    /// Every byte was handed to a one-way output (file, USB, CUPS, stdout) that cannot
    /// report whether the paper came out. Final.
    Unconfirmed,
}

impl AckStage {
    /// `printed`, `failed` and `unconfirmed` end a job; `received` does not.
    #[must_use]
    pub const fn is_final(self) -> bool {
        !matches!(self, AckStage::Received)
    }

    /// The wire string.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            AckStage::Received => "received",
            AckStage::Printed => "printed",
            AckStage::Failed => "failed",
            AckStage::Unconfirmed => "unconfirmed",
        }
    }
}

/// `status`: the printer's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    /// The state.
    pub state: PrinterState,
    /// Details for people (e.g. `"connection refused: 192.168.0.50:9100"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The printer's state as the client sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrinterState {
    /// Online with paper (or a one-way output that accepted the last write).
    Online,
    /// Cannot be reached, or reports itself offline for no more specific reason.
    Offline,
    /// Online, but the paper roll is nearly used up.
    PaperNearEnd,
    /// Out of paper: jobs are held until paper is loaded.
    PaperOut,
    /// Cover open: jobs are held until it is closed.
    CoverOpen,
    /// Another printer error (cutter jam, head overheated, …).
    Error,
}

impl PrinterState {
    /// The printer can print now (`online` or `paper_near_end`).
    #[must_use]
    pub const fn can_print(self) -> bool {
        matches!(self, PrinterState::Online | PrinterState::PaperNearEnd)
    }

    /// The wire string.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            PrinterState::Online => "online",
            PrinterState::Offline => "offline",
            PrinterState::PaperNearEnd => "paper_near_end",
            PrinterState::PaperOut => "paper_out",
            PrinterState::CoverOpen => "cover_open",
            PrinterState::Error => "error",
        }
    }
}

/// `ping`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {
    /// Echoed in the `pong`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<u64>,
}

/// `pong`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pong {
    /// The `ping`'s nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<u64>,
}

/// `welcome`: the server accepted the `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// Protocol version the server speaks on this connection.
    pub protocol: u32,
    /// The printer (device) this token belongs to.
    pub printer_id: String,
    /// Its name, e.g. `"Counter"`.
    pub printer_name: String,
    /// The shop it prints for.
    pub shop: ShopInfo,
    /// Server clock, RFC 3339 UTC.
    pub server_time: String,
    /// The server pings at this interval; the client pings when idle this long.
    pub heartbeat_secs: u32,
}

/// The shop a printer belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopInfo {
    /// URL slug, e.g. `"demo"`.
    pub slug: String,
    /// Display name.
    pub name: String,
}

/// `job`: one copy of one ticket to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Unique per printer and copy; the same id is resent until a final `ack`.
    pub job_id: String,
    /// The order's number, as shown to people.
    pub order_number: i64,
    /// When the job was created, RFC 3339 UTC (jobs are sent oldest first).
    pub created_at: String,
    /// Which copy this is, 1-based.
    pub copy: u32,
    /// How many copies of this ticket the printer prints.
    pub copies: u32,
    /// Reprint requested by a person (the ticket says so).
    pub reprint: bool,
    /// Open the cash drawer after this ticket (only if the client has a drawer).
    #[serde(default, skip_serializing_if = "is_false")]
    pub kick_drawer: bool,
    /// The ticket.
    pub document: Receipt,
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_false(value: &bool) -> bool {
    !*value
}

/// `error`: the server could not use a frame (or refuses something).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorFrame {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human sentence.
    pub message: String,
}

impl ClientFrame {
    /// The JSON text of this frame.
    ///
    /// # Errors
    /// [`ProtocolError::Encode`] if serialization fails (not expected for these types).
    pub fn to_json(&self) -> Result<String, ProtocolError> {
        serde_json::to_string(self).map_err(|e| ProtocolError::Encode(e.to_string()))
    }

    /// The frame's `type`.
    #[must_use]
    pub const fn type_name(&self) -> &'static str {
        match self {
            ClientFrame::Hello(_) => "hello",
            ClientFrame::Ack(_) => "ack",
            ClientFrame::Status(_) => "status",
            ClientFrame::Ping(_) => "ping",
            ClientFrame::Pong(_) => "pong",
            ClientFrame::Error(_) => "error",
        }
    }
}

impl ServerFrame {
    /// The JSON text of this frame.
    ///
    /// # Errors
    /// [`ProtocolError::Encode`] if serialization fails (not expected for these types).
    pub fn to_json(&self) -> Result<String, ProtocolError> {
        serde_json::to_string(self).map_err(|e| ProtocolError::Encode(e.to_string()))
    }

    /// The frame's `type`.
    #[must_use]
    pub const fn type_name(&self) -> &'static str {
        match self {
            ServerFrame::Welcome(_) => "welcome",
            ServerFrame::Job(_) => "job",
            ServerFrame::Ping(_) => "ping",
            ServerFrame::Pong(_) => "pong",
            ServerFrame::Error(_) => "error",
        }
    }
}

impl From<ProtocolError> for ClientFrame {
    fn from(error: ProtocolError) -> Self {
        ClientFrame::Error(error.error_frame())
    }
}

impl From<ProtocolError> for ServerFrame {
    fn from(error: ProtocolError) -> Self {
        ServerFrame::Error(error.error_frame())
    }
}

/// Rules serde cannot express: checked after a frame was decoded.
pub(crate) fn check_job_id(job_id: &str) -> Result<(), ProtocolError> {
    if job_id.is_empty() || job_id.len() > MAX_JOB_ID_BYTES || job_id.chars().any(char::is_control)
    {
        return Err(ProtocolError::Malformed {
            detail: format!(
                "job_id must be 1..={MAX_JOB_ID_BYTES} bytes without control characters"
            ),
        });
    }
    Ok(())
}

impl Job {
    pub(crate) fn check(&self) -> Result<(), ProtocolError> {
        check_job_id(&self.job_id)?;
        if self.copies == 0 || self.copy == 0 || self.copy > self.copies {
            return Err(ProtocolError::Malformed {
                detail: format!(
                    "copy {} of {} is out of range (1 <= copy <= copies)",
                    self.copy, self.copies
                ),
            });
        }
        Ok(())
    }
}
