//! Any text as a tracking token or a list cursor: refused or decoded, never a panic; only a
//! token this key made decodes, and to the order it was made for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderbell_core::OrderId;
use orderbell_core::tracking::TrackingKey;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let key = TrackingKey::from_bytes([7; 32]);
    if let Some(id) = key.order_id(text) {
        assert_eq!(key.token(&id), text, "only this key's own tokens decode");
    }
    if let Some(n) = orderbell_core::cursor::decode(text) {
        assert_eq!(orderbell_core::cursor::decode(&orderbell_core::cursor::encode(n)), Some(n));
    }
    if data.len() >= 16 {
        let mut raw = [0u8; 16];
        raw.copy_from_slice(&data[..16]);
        let id = OrderId::from_bytes(raw);
        assert_eq!(key.order_id(&key.token(&id)), Some(id));
    }
});
