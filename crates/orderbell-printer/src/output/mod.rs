//! Outputs: where ticket bytes go. TCP (raw port 9100) is the only one that can answer
//! status queries; the others are one-way and their jobs end `unconfirmed`.

mod cups;
mod file;
mod stdout;
pub mod tcp;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::config::PrintSettings;
use crate::printer_state::PrinterReport;

/// An output, as given to `--printer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputSpec {
    /// `tcp://HOST[:PORT]`: raw TCP, port 9100 by default.
    Tcp {
        /// Host name or IP.
        host: String,
        /// Port.
        port: u16,
    },
    /// `file:PATH`: appended to.
    File(PathBuf),
    /// `usb:DEVICE`: a printer device file such as `/dev/usb/lp0`.
    Usb(PathBuf),
    /// `cups:QUEUE`: `lp -d QUEUE -o raw`.
    Cups(String),
    /// `stdout`.
    Stdout,
}

/// Why an output string was refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "--printer {given:?}: {why} (use tcp://HOST:PORT, file:PATH, usb:DEVICE, cups:QUEUE or stdout)"
)]
pub struct BadOutput {
    given: String,
    why: &'static str,
}

impl FromStr for OutputSpec {
    type Err = BadOutput;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why| BadOutput {
            given: s.to_owned(),
            why,
        };
        let s = s.trim();
        if s.eq_ignore_ascii_case("stdout") || s == "-" {
            return Ok(OutputSpec::Stdout);
        }
        if let Some(rest) = s.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            let (host, port) = split_host_port(rest).ok_or_else(|| bad("bad port"))?;
            if host.is_empty() {
                return Err(bad("no host"));
            }
            return Ok(OutputSpec::Tcp {
                host: host.to_owned(),
                port,
            });
        }
        let (kind, value) = s.split_once(':').ok_or_else(|| bad("unknown output"))?;
        if value.is_empty() {
            return Err(bad("nothing after the colon"));
        }
        match kind {
            "file" => Ok(OutputSpec::File(PathBuf::from(value))),
            "usb" => Ok(OutputSpec::Usb(PathBuf::from(value))),
            "cups" => {
                if value.starts_with('-') || value.chars().any(|c| c.is_whitespace()) {
                    return Err(bad("not a CUPS queue name"));
                }
                Ok(OutputSpec::Cups(value.to_owned()))
            }
            _ => Err(bad("unknown output")),
        }
    }
}

fn split_host_port(rest: &str) -> Option<(&str, u16)> {
    // [v6]:port, [v6], host:port, host
    if let Some(v6) = rest.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => Some((host, port.parse().ok()?)),
            None if after.is_empty() => Some((host, tcp::DEFAULT_PORT)),
            None => None,
        };
    }
    match rest.rsplit_once(':') {
        Some((host, port)) => Some((host, port.parse().ok()?)),
        None => Some((rest, tcp::DEFAULT_PORT)),
    }
}

impl fmt::Display for OutputSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputSpec::Tcp { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            OutputSpec::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            OutputSpec::File(path) => write!(f, "file:{}", path.display()),
            OutputSpec::Usb(path) => write!(f, "usb:{}", path.display()),
            OutputSpec::Cups(queue) => write!(f, "cups:{queue}"),
            OutputSpec::Stdout => f.write_str("stdout"),
        }
    }
}

/// A failed write or status query.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Could not connect / open the device.
    #[error("cannot reach {output}: {source}")]
    Unreachable {
        /// The output.
        output: String,
        /// Why.
        source: std::io::Error,
    },
    /// Writing failed part-way or timed out.
    #[error("writing to {output} failed: {source}")]
    Write {
        /// The output.
        output: String,
        /// Why.
        source: std::io::Error,
    },
    /// The printer took the connection but did not answer a status query in time, or
    /// answered with a byte that is not a DLE EOT status.
    #[error("{output} does not answer status queries: {detail}")]
    NoStatus {
        /// The output.
        output: String,
        /// What happened.
        detail: String,
    },
    /// `lp` failed.
    #[error("lp for {output} failed: {detail}")]
    Cups {
        /// The output.
        output: String,
        /// Exit status and stderr.
        detail: String,
    },
}

/// What a successful write tells about the printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// A one-way output took every byte.
    OneWay,
    /// TCP: every byte sent, then the printer answered the status query.
    Status(PrinterReport),
    /// TCP: every byte sent, but the status query failed (the bytes must not be resent).
    StatusFailed(String),
}

/// An output with its settings.
#[derive(Debug, Clone)]
pub struct Output {
    spec: OutputSpec,
    tcp: tcp::TcpSettings,
    lp_command: String,
}

impl Output {
    /// The output for these settings.
    #[must_use]
    pub fn new(settings: &PrintSettings) -> Self {
        Output {
            spec: settings.output.clone(),
            tcp: tcp::TcpSettings {
                timeout: settings.tcp_timeout,
            },
            lp_command: settings.lp_command.clone(),
        }
    }

    /// The output spec.
    #[must_use]
    pub fn spec(&self) -> &OutputSpec {
        &self.spec
    }

    /// This output can report the printer's status (TCP).
    #[must_use]
    pub fn confirms(&self) -> bool {
        matches!(self.spec, OutputSpec::Tcp { .. })
    }

    /// Write every byte (and, over TCP, query the status right after).
    ///
    /// # Errors
    /// The output could not take the bytes: the job may be retried.
    pub async fn write(&self, bytes: &[u8]) -> Result<Written, OutputError> {
        let name = self.spec.to_string();
        match &self.spec {
            OutputSpec::Tcp { host, port } => tcp::write(host, *port, &self.tcp, bytes).await,
            OutputSpec::File(path) => file::append(path, bytes, &name)
                .await
                .map(|()| Written::OneWay),
            OutputSpec::Usb(path) => file::write_device(path, bytes, &name)
                .await
                .map(|()| Written::OneWay),
            OutputSpec::Cups(queue) => cups::print(&self.lp_command, queue, bytes, &name)
                .await
                .map(|()| Written::OneWay),
            OutputSpec::Stdout => stdout::write(bytes, &name).await.map(|()| Written::OneWay),
        }
    }

    /// Ask the printer for its status (TCP only; `None` for one-way outputs).
    ///
    /// # Errors
    /// The printer could not be reached or did not answer.
    pub async fn query_status(&self) -> Option<Result<PrinterReport, OutputError>> {
        match &self.spec {
            OutputSpec::Tcp { host, port } => Some(tcp::query(host, *port, &self.tcp).await),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_parse_and_print_back() {
        for (given, expected) in [
            ("tcp://192.168.0.50:9100", "tcp://192.168.0.50:9100"),
            ("tcp://printer.local", "tcp://printer.local:9100"),
            ("tcp://[::1]:9101", "tcp://[::1]:9101"),
            ("file:/tmp/out.bin", "file:/tmp/out.bin"),
            ("usb:/dev/usb/lp0", "usb:/dev/usb/lp0"),
            ("cups:Kitchen_Printer", "cups:Kitchen_Printer"),
            ("stdout", "stdout"),
        ] {
            let spec: OutputSpec = given.parse().unwrap();
            assert_eq!(spec.to_string(), expected);
        }
        for bad in [
            "tcp://host:99999",
            "tcp://:9100",
            "lpt1",
            "cups:-o",
            "cups:a b",
            "file:",
        ] {
            assert!(bad.parse::<OutputSpec>().is_err(), "{bad}");
        }
    }
}
