//! The VAPID key pair (ECDSA P-256), stored as web-push libraries do: the raw 32-byte private
//! scalar in unpadded base64url; the public key is the 65-byte uncompressed point, base64url,
//! which is what browsers take as `applicationServerKey`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_core::OsRng;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("VAPID private key is not base64url")]
    NotBase64,
    #[error("VAPID private key must be a 32-byte P-256 scalar")]
    BadScalar,
}

/// The application server's VAPID key pair.
#[derive(Clone)]
pub struct VapidKeyPair {
    secret: SecretKey,
}

impl fmt::Debug for VapidKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VapidKeyPair")
            .field("public_key", &self.public_key_base64url())
            .field("private_key", &"[REDACTED]")
            .finish()
    }
}

impl VapidKeyPair {
    /// A fresh random key pair (at first start).
    pub fn generate() -> Self {
        Self {
            secret: SecretKey::random(&mut OsRng),
        }
    }

    /// From the stored form (`ORDERBELL_VAPID_PRIVATE_KEY`): base64url of the raw scalar,
    /// padding tolerated.
    pub fn from_base64url(private: &str) -> Result<Self, KeyError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(private.trim().trim_end_matches('='))
            .map_err(|_| KeyError::NotBase64)?;
        Self::from_bytes(&bytes)
    }

    pub fn from_bytes(scalar: &[u8]) -> Result<Self, KeyError> {
        if scalar.len() != 32 {
            return Err(KeyError::BadScalar);
        }
        let secret = SecretKey::from_slice(scalar).map_err(|_| KeyError::BadScalar)?;
        Ok(Self { secret })
    }

    /// The stored form of the private key.
    pub fn private_key_base64url(&self) -> SecretString {
        SecretString::from(URL_SAFE_NO_PAD.encode(self.secret.to_bytes()))
    }

    /// The 65-byte uncompressed public point.
    pub fn public_key_bytes(&self) -> Vec<u8> {
        self.secret
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    /// The public key for `applicationServerKey` and the `k=` of the Authorization header.
    pub fn public_key_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.public_key_bytes())
    }

    pub(crate) fn secret(&self) -> &SecretKey {
        &self.secret
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn round_trip_and_debug() {
        let k = VapidKeyPair::generate();
        let stored = k.private_key_base64url();
        let again = VapidKeyPair::from_base64url(stored.expose_secret()).unwrap();
        assert_eq!(k.public_key_base64url(), again.public_key_base64url());
        assert_eq!(k.public_key_bytes().len(), 65);
        assert_eq!(k.public_key_bytes()[0], 4);
        let dbg = format!("{k:?}");
        assert!(!dbg.contains(stored.expose_secret()), "{dbg}");
    }

    #[test]
    fn known_public_key() {
        // RFC 8291 Appendix A: the application server's key pair.
        let k =
            VapidKeyPair::from_base64url("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw").unwrap();
        assert_eq!(
            k.public_key_base64url(),
            "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
        );
    }

    #[test]
    fn rejects_bad_keys() {
        assert_eq!(
            VapidKeyPair::from_base64url("!!").unwrap_err(),
            KeyError::NotBase64
        );
        assert_eq!(
            VapidKeyPair::from_base64url("AAAA").unwrap_err(),
            KeyError::BadScalar
        );
        let zero = URL_SAFE_NO_PAD.encode([0u8; 32]);
        assert_eq!(
            VapidKeyPair::from_base64url(&zero).unwrap_err(),
            KeyError::BadScalar
        );
    }
}
