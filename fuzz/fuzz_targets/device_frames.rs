//! Any text as a device-protocol frame, from either side: parsed or refused with a protocol
//! error, never a panic; what parses can be written out and parsed again to the same frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderbell_protocol::{parse_client_frame, parse_server_frame};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(frame) = parse_client_frame(text) {
        let again = serde_json::to_string(&frame).expect("a parsed frame serializes");
        assert_eq!(parse_client_frame(&again).ok(), Some(frame));
    }
    if let Ok(frame) = parse_server_frame(text) {
        let again = serde_json::to_string(&frame).expect("a parsed frame serializes");
        assert_eq!(parse_server_frame(&again).ok(), Some(frame));
    }
});
