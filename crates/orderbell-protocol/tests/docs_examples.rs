//! Every ```json block of docs/protocol.md is a frame this crate reads, and writes back
//! as the same JSON (so no example has a misspelled or ignored field).

use std::collections::BTreeSet;

use orderbell_protocol::{parse_client_frame, parse_server_frame};
use serde_json::Value;

fn json_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim_start() == "```json" => current = Some(String::new()),
            None => {}
            Some(_) if line.trim_start() == "```" => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    assert!(current.is_none(), "unclosed ```json block");
    blocks
}

#[test]
fn protocol_md_examples_parse_and_round_trip() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/protocol.md");
    let markdown = std::fs::read_to_string(path).unwrap();
    let blocks = json_blocks(&markdown);
    let mut client_types = BTreeSet::new();
    let mut server_types = BTreeSet::new();
    for block in &blocks {
        let original: Value =
            serde_json::from_str(block).unwrap_or_else(|e| panic!("not JSON: {e}\n{block}"));
        let client = parse_client_frame(block);
        let server = parse_server_frame(block);
        let written = match (&client, &server) {
            (Ok(frame), _) => {
                client_types.insert(frame.type_name());
                if let Ok(frame) = &server {
                    server_types.insert(frame.type_name());
                }
                frame.to_json().unwrap()
            }
            (Err(_), Ok(frame)) => {
                server_types.insert(frame.type_name());
                frame.to_json().unwrap()
            }
            (Err(c), Err(s)) => {
                panic!("neither side reads this example:\n{block}\nclient: {c}\nserver: {s}")
            }
        };
        let written: Value = serde_json::from_str(&written).unwrap();
        assert_eq!(written, original, "example does not round-trip:\n{block}");
    }
    let client_expected: BTreeSet<_> = ["hello", "ack", "status", "ping", "pong", "error"].into();
    let server_expected: BTreeSet<_> = ["welcome", "job", "ping", "pong", "error"].into();
    assert_eq!(
        client_types, client_expected,
        "every client frame has an example"
    );
    assert_eq!(
        server_types, server_expected,
        "every server frame has an example"
    );
}
