//! `tcp://` output: raw TCP (port 9100), with timeouts on connect, write and status reads.
//!
//! A write opens a connection, sends every byte, then asks DLE EOT 1, 2, 4 on the same
//! connection (real-time commands: the printer answers even with data still buffered
//! or while stopped by a paper end) and closes. Status polls open their own connection.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::{OutputError, Written};
use crate::printer_state::{PrinterReport, QUERIES, interpret, is_status_byte};

/// The raw printing port.
pub const DEFAULT_PORT: u16 = 9100;

/// TCP settings.
#[derive(Debug, Clone, Copy)]
pub struct TcpSettings {
    /// Connect, write and per-answer read timeout.
    pub timeout: Duration,
}

fn name(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("tcp://[{host}]:{port}")
    } else {
        format!("tcp://{host}:{port}")
    }
}

async fn connect(host: &str, port: u16, settings: &TcpSettings) -> Result<TcpStream, OutputError> {
    let unreachable = |source| OutputError::Unreachable {
        output: name(host, port),
        source,
    };
    let stream = timeout(settings.timeout, TcpStream::connect((host, port)))
        .await
        .map_err(|_| unreachable(std::io::ErrorKind::TimedOut.into()))?
        .map_err(unreachable)?;
    // Tickets are written in one go; no need to wait for more.
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Send `bytes`, then query the status on the same connection.
pub(super) async fn write(
    host: &str,
    port: u16,
    settings: &TcpSettings,
    bytes: &[u8],
) -> Result<Written, OutputError> {
    let mut stream = connect(host, port, settings).await?;
    let write_error = |source| OutputError::Write {
        output: name(host, port),
        source,
    };
    timeout(settings.timeout, async {
        stream.write_all(bytes).await?;
        stream.flush().await
    })
    .await
    .map_err(|_| write_error(std::io::ErrorKind::TimedOut.into()))?
    .map_err(write_error)?;
    match ask(&mut stream, host, port, settings).await {
        Ok(report) => Ok(Written::Status(report)),
        Err(error) => Ok(Written::StatusFailed(error.to_string())),
    }
}

/// Open a connection and query the status.
pub(super) async fn query(
    host: &str,
    port: u16,
    settings: &TcpSettings,
) -> Result<PrinterReport, OutputError> {
    let mut stream = connect(host, port, settings).await?;
    ask(&mut stream, host, port, settings).await
}

async fn ask(
    stream: &mut TcpStream,
    host: &str,
    port: u16,
    settings: &TcpSettings,
) -> Result<PrinterReport, OutputError> {
    let no_status = |detail: String| OutputError::NoStatus {
        output: name(host, port),
        detail,
    };
    let mut answers = [0u8; 3];
    for (query, answer) in QUERIES.iter().zip(answers.iter_mut()) {
        timeout(settings.timeout, stream.write_all(query))
            .await
            .map_err(|_| no_status("timed out sending DLE EOT".to_owned()))?
            .map_err(|e| no_status(format!("sending DLE EOT: {e}")))?;
        // Skip bytes that are not status bytes (e.g. leftovers of automatic status back),
        // but not forever.
        let mut skipped = 0;
        loop {
            let byte = timeout(settings.timeout, stream.read_u8())
                .await
                .map_err(|_| no_status(format!("no answer to DLE EOT {}", query[2])))?
                .map_err(|e| {
                    no_status(format!("reading the answer to DLE EOT {}: {e}", query[2]))
                })?;
            if is_status_byte(byte) {
                *answer = byte;
                break;
            }
            skipped += 1;
            if skipped > 64 {
                return Err(no_status(format!(
                    "no status byte in the answer to DLE EOT {}",
                    query[2]
                )));
            }
        }
    }
    Ok(interpret(answers[0], answers[1], answers[2]))
}
