//! Random tokens (session cookies, API keys): shown once, stored only as SHA-256 (hex).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// What API keys start with, so they are recognisable (and findable by secret scanners).
pub const API_KEY_PREFIX: &str = "obk_";

/// A new random token: 32 bytes, base64url.
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(super::random_bytes::<32>())
}

/// A new API key: `obk_` and 32 random bytes.
pub fn new_api_key() -> String {
    format!("{API_KEY_PREFIX}{}", new_token())
}

/// SHA-256 of a token, hex: what is stored and looked up.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// SHA-256 of arbitrary bytes, hex.
pub fn hash_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_are_sha256() {
        assert_ne!(new_token(), new_token());
        assert_eq!(new_token().len(), 43);
        assert!(new_api_key().starts_with("obk_"));
        // FIPS 180-2 test vector.
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
