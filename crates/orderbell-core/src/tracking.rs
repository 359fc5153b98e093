//! Guest tracking tokens. A token is the order id followed by an HMAC-SHA256 tag of it under a
//! server key, base64url: unguessable, checkable without storing anything, and the same every
//! time the order is shown (so staff can share the link again). The key is generated at first
//! start and kept in the database's settings, so every instance agrees on it.

use crate::OrderId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const TAG_LEN: usize = 16;

/// The server's tracking key, held as the HMAC state that has already taken the key and the
/// domain prefix: a tag then costs the id's own hashing only (a token is made for every order
/// answered).
#[derive(Clone)]
pub struct TrackingKey(Hmac<Sha256>);

impl TrackingKey {
    pub fn from_bytes(bytes: [u8; 32]) -> TrackingKey {
        // A key shorter than SHA-256's 64-byte block is zero-padded to it (RFC 2104, section
        // 2), so the padded block is the same key, and `KeyInit::new` takes it without a
        // length check that could fail.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&bytes);
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&block.into());
        mac.update(b"orderbell tracking v1\0");
        TrackingKey(mac)
    }

    /// Parses the hex form kept in settings.
    pub fn from_hex(text: &str) -> Option<TrackingKey> {
        let bytes = hex::decode(text).ok()?;
        Some(TrackingKey::from_bytes(bytes.try_into().ok()?))
    }

    fn tag(&self, id: &[u8; 16]) -> [u8; TAG_LEN] {
        let mut mac = self.0.clone();
        mac.update(id);
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&mac.finalize().into_bytes()[..TAG_LEN]);
        tag
    }

    /// The token for an order.
    pub fn token(&self, order: &OrderId) -> String {
        let id = order.to_bytes().unwrap_or_default();
        let mut raw = [0u8; 16 + TAG_LEN];
        raw[..16].copy_from_slice(&id);
        raw[16..].copy_from_slice(&self.tag(&id));
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The order a token names, if the token is genuine.
    pub fn order_id(&self, token: &str) -> Option<OrderId> {
        if token.len() > 64 {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
        if raw.len() != 16 + TAG_LEN {
            return None;
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&raw[..16]);
        let genuine: bool = self.tag(&id).ct_eq(&raw[16..]).into();
        genuine.then(|| OrderId::from_bytes(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_forgeries_fail() {
        let key = TrackingKey::from_bytes([7; 32]);
        let id = OrderId::from_parts(1_800_000_000_000, [3; 10]);
        let token = key.token(&id);
        assert_eq!(token.len(), 43);
        // Computed independently with Python's `hmac` (key 07×32, message the prefix and the
        // id's 16 bytes): the prepared HMAC state gives the tokens already handed out.
        assert_eq!(token, "AaMYXFAAAwMDAwMDAwMDA6H2ihsK5QTMBQH6_ko4-J8");
        assert_eq!(key.order_id(&token), Some(id.clone()));
        assert_eq!(key.token(&id), token, "stable");
        // Another key, a flipped character, or a truncated token are all refused.
        assert_eq!(TrackingKey::from_bytes([8; 32]).order_id(&token), None);
        let mut chars: Vec<char> = token.chars().collect();
        chars[40] = if chars[40] == 'A' { 'B' } else { 'A' };
        assert_eq!(key.order_id(&chars.into_iter().collect::<String>()), None);
        assert_eq!(key.order_id(&token[..42]), None);
        assert_eq!(key.order_id("not base64!"), None);
    }
}
