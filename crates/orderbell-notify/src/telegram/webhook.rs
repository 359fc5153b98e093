//! The webhook's shared secret: generated for `setWebhook(secret_token)`, checked on every
//! request in the `X-Telegram-Bot-Api-Secret-Token` header before anything else.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// 43 characters from `A-Z a-z 0-9 _ -` (the Bot API allows 1–256 of those).
pub fn generate_secret_token() -> SecretString {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    SecretString::from(URL_SAFE_NO_PAD.encode(bytes))
}

/// Constant-time comparison of the received header with the expected secret. A missing
/// header fails.
pub fn verify_webhook_secret(expected: &SecretString, received: Option<&[u8]>) -> bool {
    match received {
        Some(got) => bool::from(expected.expose_secret().as_bytes().ct_eq(got)),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_check() {
        let s = generate_secret_token();
        assert_eq!(s.expose_secret().len(), 43);
        assert!(
            s.expose_secret()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        );
        assert!(verify_webhook_secret(
            &s,
            Some(s.expose_secret().as_bytes())
        ));
        assert!(!verify_webhook_secret(&s, Some(b"nope")));
        assert!(!verify_webhook_secret(&s, Some(b"")));
        assert!(!verify_webhook_secret(&s, None));
        assert_ne!(s.expose_secret(), generate_secret_token().expose_secret());
    }
}
