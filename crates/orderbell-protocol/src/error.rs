//! Why a received frame was refused, and what the receiver answers.

use std::fmt;

use crate::frames::ErrorFrame;
use crate::{CLOSE_MESSAGE_TOO_BIG, MAX_FRAME_BYTES};

/// The `code` of an `error` frame.
///
/// Serialized as its snake_case string; a code this version does not know is kept as
/// [`ErrorCode::Other`] so newer servers can add codes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ErrorCode {
    /// Not JSON, not an object, no string `type`, or fields missing / of the wrong type.
    MalformedFrame,
    /// A `type` the receiver does not know.
    UnknownType,
    /// `hello.protocol` / `welcome.protocol` is a version the receiver does not speak.
    UnsupportedProtocol,
    /// A frame over [`MAX_FRAME_BYTES`] (sent, if at all, just before close code 1009).
    FrameTooBig,
    /// A frame that is valid but not expected now (e.g. a `job` before `welcome`,
    /// an `ack` before `hello`).
    UnexpectedFrame,
    /// Any other code.
    Other(String),
}

impl ErrorCode {
    /// The wire string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::MalformedFrame => "malformed_frame",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::UnsupportedProtocol => "unsupported_protocol",
            ErrorCode::FrameTooBig => "frame_too_big",
            ErrorCode::UnexpectedFrame => "unexpected_frame",
            ErrorCode::Other(code) => code,
        }
    }
}

impl From<String> for ErrorCode {
    fn from(code: String) -> Self {
        match code.as_str() {
            "malformed_frame" => ErrorCode::MalformedFrame,
            "unknown_type" => ErrorCode::UnknownType,
            "unsupported_protocol" => ErrorCode::UnsupportedProtocol,
            "frame_too_big" => ErrorCode::FrameTooBig,
            "unexpected_frame" => ErrorCode::UnexpectedFrame,
            _ => ErrorCode::Other(code),
        }
    }
}

impl From<ErrorCode> for String {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::Other(code) => code,
            known => known.as_str().to_owned(),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a frame could not be read (or written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// Over [`MAX_FRAME_BYTES`]: close the connection with code 1009.
    #[error("frame of {len} bytes is over the {MAX_FRAME_BYTES}-byte limit")]
    TooBig {
        /// Size of the frame in bytes.
        len: usize,
    },
    /// Not a frame of this protocol: answer `malformed_frame`, keep the connection.
    #[error("malformed frame: {detail}")]
    Malformed {
        /// What was wrong (serde's message, or a validation rule).
        detail: String,
    },
    /// A `type` this side does not know: answer `unknown_type`, keep the connection.
    #[error("unknown frame type {frame_type:?}")]
    UnknownType {
        /// The `type` received.
        frame_type: String,
    },
    /// A protocol version this side does not speak: answer `unsupported_protocol`.
    #[error("protocol version {got} is not supported (this side speaks {supported})")]
    UnsupportedProtocol {
        /// Version received.
        got: u32,
        /// Version spoken here.
        supported: u32,
    },
    /// A frame could not be serialized (not expected for these types).
    #[error("could not encode frame: {0}")]
    Encode(String),
}

impl ProtocolError {
    /// The `error` frame code that answers this error.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        match self {
            ProtocolError::TooBig { .. } => ErrorCode::FrameTooBig,
            ProtocolError::Malformed { .. } | ProtocolError::Encode(_) => ErrorCode::MalformedFrame,
            ProtocolError::UnknownType { .. } => ErrorCode::UnknownType,
            ProtocolError::UnsupportedProtocol { .. } => ErrorCode::UnsupportedProtocol,
        }
    }

    /// `Some(1009)` when the receiver must close the connection; `None` when it answers
    /// with [`ProtocolError::error_frame`] and keeps the connection.
    #[must_use]
    pub fn close_code(&self) -> Option<u16> {
        match self {
            ProtocolError::TooBig { .. } => Some(CLOSE_MESSAGE_TOO_BIG),
            _ => None,
        }
    }

    /// The `error` frame to answer with.
    #[must_use]
    pub fn error_frame(&self) -> ErrorFrame {
        ErrorFrame {
            code: self.code(),
            message: self.to_string(),
        }
    }
}
