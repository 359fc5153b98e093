//! Reading frames: size, `type`, shape and version checks, in that order.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ProtocolError;
use crate::frames::{ClientFrame, ServerFrame, check_job_id};
use crate::{MAX_FRAME_BYTES, PROTOCOL_VERSION};

const CLIENT_TYPES: &[&str] = &["hello", "ack", "status", "ping", "pong", "error"];
const SERVER_TYPES: &[&str] = &["welcome", "job", "ping", "pong", "error"];

/// Read a frame sent by a device (the server's side).
///
/// # Errors
/// - [`ProtocolError::TooBig`] over [`MAX_FRAME_BYTES`]: close with 1009;
/// - [`ProtocolError::Malformed`], [`ProtocolError::UnknownType`],
///   [`ProtocolError::UnsupportedProtocol`] (a `hello` for another version): answer with
///   [`ProtocolError::error_frame`] and keep the connection.
pub fn parse_client_frame(text: &str) -> Result<ClientFrame, ProtocolError> {
    let frame: ClientFrame = parse_tagged(text, CLIENT_TYPES, "hello")?;
    if let ClientFrame::Ack(ack) = &frame {
        check_job_id(&ack.job_id)?;
    }
    Ok(frame)
}

/// Read a frame sent by the server (the device's side).
///
/// # Errors
/// As [`parse_client_frame`]; [`ProtocolError::UnsupportedProtocol`] for a `welcome` of
/// another version.
pub fn parse_server_frame(text: &str) -> Result<ServerFrame, ProtocolError> {
    let frame: ServerFrame = parse_tagged(text, SERVER_TYPES, "welcome")?;
    if let ServerFrame::Job(job) = &frame {
        job.check()?;
    }
    Ok(frame)
}

fn parse_tagged<T: DeserializeOwned>(
    text: &str,
    known_types: &[&str],
    versioned_type: &str,
) -> Result<T, ProtocolError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(ProtocolError::TooBig { len: text.len() });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| malformed(e.to_string()))?;
    let Some(object) = value.as_object() else {
        return Err(malformed("a frame is a JSON object".to_owned()));
    };
    let Some(frame_type) = object.get("type").and_then(Value::as_str) else {
        return Err(malformed("a frame has a string \"type\"".to_owned()));
    };
    if !known_types.contains(&frame_type) {
        return Err(ProtocolError::UnknownType {
            frame_type: truncate(frame_type, 64),
        });
    }
    // Check the version before the shape: another version may have another shape.
    if frame_type == versioned_type {
        if let Some(got) = object.get("protocol").and_then(Value::as_u64) {
            if got != u64::from(PROTOCOL_VERSION) {
                return Err(ProtocolError::UnsupportedProtocol {
                    got: u32::try_from(got).unwrap_or(u32::MAX),
                    supported: PROTOCOL_VERSION,
                });
            }
        }
    }
    serde_json::from_value(value).map_err(|e| malformed(e.to_string()))
}

fn malformed(detail: String) -> ProtocolError {
    ProtocolError::Malformed { detail }
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Ack, AckStage, Amount, Capabilities, ErrorCode, ErrorFrame, Hello, Job, Labels, Paper,
        Ping, Pong, PrinterState, Receipt, ReceiptItem, ShopInfo, StatusReport, Welcome,
    };

    fn receipt() -> Receipt {
        Receipt {
            shop_name: "카페 오더벨".into(),
            header: None,
            footer: None,
            order_number: "1001".into(),
            fulfillment: "매장 · 5번 테이블".into(),
            eta: Some("15분".into()),
            items: vec![
                ReceiptItem {
                    quantity: 2,
                    name: "아메리카노".into(),
                    options: vec!["샷 추가".into()],
                    line_total: Amount::Minor(10_000),
                },
                ReceiptItem {
                    quantity: 1,
                    name: "Tea".into(),
                    options: vec![],
                    line_total: Amount::Formatted("₩3,000".into()),
                },
            ],
            note: Some("얼음 적게".into()),
            subtotal: None,
            charges: vec![],
            total: Amount::Minor(13_000),
            currency: "KRW".into(),
            customer: Some("Kim".into()),
            ordered_at: "2026-11-28 14:00".into(),
            tracking_url: Some("https://orderbell.example/o/abc".into()),
            locale: Some("ko".into()),
            labels: Some(Labels {
                order: "ORDER".into(),
                reprint: "REPRINT".into(),
                eta: "Ready by".into(),
                note: "Note".into(),
                subtotal: "Subtotal".into(),
                total: "Total".into(),
                customer: "Customer".into(),
                ordered_at: "Ordered".into(),
                track: "Track".into(),
            }),
        }
    }

    fn job() -> Job {
        Job {
            job_id: "pj_01".into(),
            order_number: 1001,
            created_at: "2026-11-28T05:00:00Z".into(),
            copy: 1,
            copies: 2,
            reprint: false,
            kick_drawer: true,
            document: receipt(),
        }
    }

    fn client_frames() -> Vec<ClientFrame> {
        vec![
            ClientFrame::Hello(Hello {
                protocol: PROTOCOL_VERSION,
                client_version: "orderbell-printer/0.1.0".into(),
                capabilities: Capabilities {
                    paper: Paper::Mm58,
                    text_mode: "ks_x_1001".into(),
                    cutter: true,
                    drawer: false,
                },
            }),
            ClientFrame::Ack(Ack {
                job_id: "pj_01".into(),
                stage: AckStage::Received,
                reason: None,
            }),
            ClientFrame::Ack(Ack {
                job_id: "pj_01".into(),
                stage: AckStage::Failed,
                reason: Some("QR data too long".into()),
            }),
            ClientFrame::Status(StatusReport {
                state: PrinterState::PaperOut,
                detail: Some("roll paper end".into()),
            }),
            ClientFrame::Ping(Ping { nonce: Some(7) }),
            ClientFrame::Pong(Pong { nonce: None }),
            ClientFrame::Error(ErrorFrame {
                code: ErrorCode::UnknownType,
                message: "unknown frame type \"surprise\"".into(),
            }),
        ]
    }

    fn server_frames() -> Vec<ServerFrame> {
        vec![
            ServerFrame::Welcome(Welcome {
                protocol: PROTOCOL_VERSION,
                printer_id: "prn_1".into(),
                printer_name: "Counter".into(),
                shop: ShopInfo {
                    slug: "demo".into(),
                    name: "Demo".into(),
                },
                server_time: "2026-11-28T05:00:00Z".into(),
                heartbeat_secs: 15,
            }),
            ServerFrame::Job(job()),
            ServerFrame::Ping(Ping { nonce: None }),
            ServerFrame::Pong(Pong {
                nonce: Some(u64::MAX),
            }),
            ServerFrame::Error(ErrorFrame {
                code: ErrorCode::Other("rate_limited".into()),
                message: "slow down".into(),
            }),
        ]
    }

    #[test]
    fn client_frames_round_trip() {
        for frame in client_frames() {
            let json = frame.to_json().unwrap();
            assert_eq!(parse_client_frame(&json).unwrap(), frame, "{json}");
            // And a server does not take them for its own frames.
            let value: Value = serde_json::from_str(&json).unwrap();
            assert_eq!(value["type"], frame.type_name());
        }
    }

    #[test]
    fn server_frames_round_trip() {
        for frame in server_frames() {
            let json = frame.to_json().unwrap();
            assert_eq!(parse_server_frame(&json).unwrap(), frame, "{json}");
            let value: Value = serde_json::from_str(&json).unwrap();
            assert_eq!(value["type"], frame.type_name());
        }
    }

    #[test]
    fn wire_names_are_as_documented() {
        let json = ServerFrame::Job(job()).to_json().unwrap();
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["type"], "job");
        assert_eq!(value["document"]["items"][0]["line_total"], 10_000);
        assert_eq!(value["document"]["items"][1]["line_total"], "₩3,000");
        assert_eq!(value["kick_drawer"], true);
        let hello = client_frames().remove(0).to_json().unwrap();
        assert!(hello.contains(r#""paper":"58mm""#), "{hello}");
        let status = client_frames()[3].to_json().unwrap();
        assert!(status.contains(r#""state":"paper_out""#), "{status}");
        // Optional fields are left out, not null.
        let ack = client_frames()[1].to_json().unwrap();
        assert_eq!(ack, r#"{"type":"ack","job_id":"pj_01","stage":"received"}"#);
    }

    #[test]
    fn malformed_frames_are_answered_not_fatal() {
        for text in [
            "",
            "not json",
            "[1,2]",
            "{}",
            r#"{"type":5}"#,
            r#"{"type":"ack"}"#,
            r#"{"type":"ack","job_id":"x","stage":"eaten"}"#,
            r#"{"type":"ack","job_id":"","stage":"printed"}"#,
            r#"{"type":"status","state":"on_fire"}"#,
            r#"{"type":"hello","protocol":1}"#,
        ] {
            let err = parse_client_frame(text).unwrap_err();
            assert_eq!(err.code(), ErrorCode::MalformedFrame, "{text}: {err}");
            assert_eq!(err.close_code(), None);
            let answer = ServerFrame::from(err).to_json().unwrap();
            let parsed = parse_server_frame(&answer).unwrap();
            assert!(matches!(
                parsed,
                ServerFrame::Error(ErrorFrame {
                    code: ErrorCode::MalformedFrame,
                    ..
                })
            ));
        }
        for text in [
            r#"{"type":"job","job_id":"a","order_number":1,"created_at":"t","copy":0,"copies":1,"reprint":false,"document":{}}"#,
            r#"{"type":"welcome"}"#,
        ] {
            let err = parse_server_frame(text).unwrap_err();
            assert_eq!(err.code(), ErrorCode::MalformedFrame, "{text}: {err}");
        }
    }

    #[test]
    fn copy_must_be_within_copies() {
        let mut bad = job();
        bad.copy = 3;
        let json = ServerFrame::Job(bad).to_json().unwrap();
        let err = parse_server_frame(&json).unwrap_err();
        assert_eq!(err.code(), ErrorCode::MalformedFrame);
        assert!(err.to_string().contains("copy 3 of 2"), "{err}");
    }

    #[test]
    fn unknown_types_are_answered_not_fatal() {
        let err = parse_client_frame(r#"{"type":"welcome","protocol":1}"#).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnknownType);
        assert_eq!(err.close_code(), None);
        assert_eq!(err.error_frame().code.as_str(), "unknown_type");
        let err = parse_server_frame(r#"{"type":"hello"}"#).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnknownType);
        let err = parse_server_frame(r#"{"type":"ack"}"#).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnknownType);
        let long = format!(r#"{{"type":"{}"}}"#, "x".repeat(1000));
        let err = parse_client_frame(&long).unwrap_err();
        assert!(
            err.to_string().len() < 200,
            "the answer does not echo everything"
        );
    }

    #[test]
    fn other_protocol_versions_are_refused() {
        let hello = r#"{"type":"hello","protocol":2,"client_version":"x","capabilities":{"paper":"80mm","text_mode":"utf8","cutter":true,"drawer":false}}"#;
        let err = parse_client_frame(hello).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnsupportedProtocol);
        assert_eq!(err.close_code(), None);
        // Even if version 2 changed the shape.
        let err = parse_server_frame(r#"{"type":"welcome","protocol":2}"#).unwrap_err();
        assert_eq!(err.code(), ErrorCode::UnsupportedProtocol);
    }

    #[test]
    fn oversized_frames_close_with_1009() {
        let mut big = job();
        big.document.note = Some("가".repeat(MAX_FRAME_BYTES / 3 + 1));
        let json = ServerFrame::Job(big).to_json().unwrap();
        assert!(json.len() > MAX_FRAME_BYTES);
        let err = parse_server_frame(&json).unwrap_err();
        assert_eq!(err.close_code(), Some(1009));
        assert_eq!(err.code(), ErrorCode::FrameTooBig);
        // Exactly at the limit is still read (JSON allows trailing whitespace).
        let mut padded = String::from("{\"type\":\"ping\"}");
        padded.push_str(&" ".repeat(MAX_FRAME_BYTES - padded.len()));
        assert_eq!(padded.len(), MAX_FRAME_BYTES);
        assert!(matches!(
            parse_client_frame(&padded),
            Ok(ClientFrame::Ping(_))
        ));
        let over = format!("{padded} ");
        assert_eq!(
            parse_client_frame(&over).unwrap_err().close_code(),
            Some(1009)
        );
    }

    #[test]
    fn unknown_fields_are_ignored_for_compatibility() {
        let text = r#"{"type":"ping","nonce":1,"added_in_a_later_version":true}"#;
        assert_eq!(
            parse_client_frame(text).unwrap(),
            ClientFrame::Ping(Ping { nonce: Some(1) })
        );
    }

    #[test]
    fn error_codes_keep_unknown_strings() {
        let frame =
            parse_server_frame(r#"{"type":"error","code":"revoked","message":"bye"}"#).unwrap();
        let ServerFrame::Error(error) = frame else {
            panic!("not an error frame");
        };
        assert_eq!(error.code, ErrorCode::Other("revoked".into()));
        assert_eq!(String::from(error.code), "revoked");
        assert!(AckStage::Printed.is_final());
        assert!(!AckStage::Received.is_final());
        assert!(PrinterState::PaperNearEnd.can_print());
        assert!(!PrinterState::CoverOpen.can_print());
    }
}
