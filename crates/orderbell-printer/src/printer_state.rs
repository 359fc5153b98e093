//! The printer's real-time status: DLE EOT n queries and what their answers mean.
//!
//! Bits per Epson's ESC/POS reference for DLE EOT (TM series; the same in Bixolon/Samsung
//! SRP, HPRT and Tally Dascom manuals), cross-checked with python-escpos' masks
//! (`RT_MASK_ONLINE = 8`, `RT_MASK_PAPER = 18`, `RT_MASK_LOWPAPER = 30`,
//! `RT_MASK_NOPAPER = 114`):
//!
//! | query | byte | bits |
//! |---|---|---|
//! | `10 04 01` printer status | `0b0xx1_x01x` | bit 3 (0x08) offline; bit 2 drawer pin 3 |
//! | `10 04 02` offline cause | `0b0xx1_xx1x` | bit 2 (0x04) cover open; bit 3 (0x08) feeding by the FEED button; bit 5 (0x20) printing stopped by paper end; bit 6 (0x40) error |
//! | `10 04 04` roll paper sensor | `0b0xx1_xx1x` | bits 2–3 (0x0C) paper near end; bits 5–6 (0x60) paper end |
//!
//! Every answer has bit 1 and bit 4 set and bits 0 and 7 clear (`byte & 0x93 == 0x12`),
//! which tells a status byte from anything else.

use orderbell_protocol::PrinterState;

/// DLE EOT 1: printer status.
pub const QUERY_PRINTER: [u8; 3] = [0x10, 0x04, 0x01];
/// DLE EOT 2: offline cause.
pub const QUERY_OFFLINE_CAUSE: [u8; 3] = [0x10, 0x04, 0x02];
/// DLE EOT 4: roll paper sensor.
pub const QUERY_PAPER: [u8; 3] = [0x10, 0x04, 0x04];

/// The three queries, in the order they are sent.
pub const QUERIES: [[u8; 3]; 3] = [QUERY_PRINTER, QUERY_OFFLINE_CAUSE, QUERY_PAPER];

const OFFLINE: u8 = 0x08;
const COVER_OPEN: u8 = 0x04;
const FEED_BUTTON: u8 = 0x08;
const PAPER_END_STOP: u8 = 0x20;
const ERROR: u8 = 0x40;
const NEAR_END: u8 = 0x0C;
const PAPER_END: u8 = 0x60;

/// The printer's state with a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterReport {
    /// The state.
    pub state: PrinterState,
    /// What the printer said.
    pub detail: String,
}

impl PrinterReport {
    /// A report.
    #[must_use]
    pub fn new(state: PrinterState, detail: impl Into<String>) -> Self {
        PrinterReport {
            state,
            detail: detail.into(),
        }
    }
}

/// Is `byte` a DLE EOT status byte (bits 1 and 4 on, 0 and 7 off)?
#[must_use]
pub const fn is_status_byte(byte: u8) -> bool {
    byte & 0x93 == 0x12
}

/// Interpret the answers to [`QUERIES`]: printer status, offline cause, paper sensor.
#[must_use]
pub fn interpret(printer: u8, offline_cause: u8, paper: u8) -> PrinterReport {
    if offline_cause & COVER_OPEN != 0 {
        return PrinterReport::new(PrinterState::CoverOpen, "cover open");
    }
    if paper & PAPER_END == PAPER_END || offline_cause & PAPER_END_STOP != 0 {
        return PrinterReport::new(PrinterState::PaperOut, "paper end");
    }
    if offline_cause & ERROR != 0 {
        return PrinterReport::new(
            PrinterState::Error,
            "printer error (cutter, head or mechanism)",
        );
    }
    if printer & OFFLINE != 0 {
        let detail = if offline_cause & FEED_BUTTON != 0 {
            "offline: paper is being fed with the FEED button"
        } else {
            "offline"
        };
        return PrinterReport::new(PrinterState::Offline, detail);
    }
    if paper & NEAR_END == NEAR_END {
        return PrinterReport::new(PrinterState::PaperNearEnd, "paper near end");
    }
    PrinterReport::new(PrinterState::Online, "online, paper present")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_escpos_masks_agree() {
        // python-escpos: paper_status() is 0 when status & 114 == 114, 1 when & 30 == 30.
        assert_eq!(0x12 | PAPER_END, 114);
        assert_eq!(0x12 | NEAR_END, 30);
        assert_eq!(OFFLINE, 8);
    }

    #[test]
    fn states_from_bytes() {
        let ok = 0x12;
        assert_eq!(interpret(ok, ok, ok).state, PrinterState::Online);
        assert_eq!(
            interpret(ok | 0x08, ok | 0x24, ok).state,
            PrinterState::CoverOpen
        );
        assert_eq!(
            interpret(ok | 0x08, ok | 0x20, ok | 0x60).state,
            PrinterState::PaperOut
        );
        assert_eq!(interpret(ok, ok, ok | 0x60).state, PrinterState::PaperOut);
        assert_eq!(
            interpret(ok, ok, ok | 0x0C).state,
            PrinterState::PaperNearEnd
        );
        assert_eq!(
            interpret(ok | 0x08, ok | 0x40, ok).state,
            PrinterState::Error
        );
        assert_eq!(
            interpret(ok | 0x08, ok | 0x08, ok).state,
            PrinterState::Offline
        );
        // The drawer bit does not matter.
        assert_eq!(interpret(ok | 0x04, ok, ok).state, PrinterState::Online);
        assert!(is_status_byte(0x12) && is_status_byte(0x7E) && is_status_byte(0x16));
        assert!(!is_status_byte(0x00) && !is_status_byte(0xFF) && !is_status_byte(b'A'));
    }
}
