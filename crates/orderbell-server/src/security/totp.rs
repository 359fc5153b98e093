//! The second factor: time-based one-time passwords (RFC 6238 — HMAC-SHA1, 30-second steps,
//! 6 digits, what every authenticator app reads from an `otpauth://` QR code), and recovery
//! codes for a lost phone.

use data_encoding::BASE32_NOPAD;
use totp_rs::{Algorithm, TOTP};

/// Seconds a code lasts.
pub const STEP_SECONDS: u64 = 30;
/// Recovery codes made when the factor is turned on.
pub const RECOVERY_CODES: usize = 10;

/// A new secret (160 bits, RFC 4226's recommended length), base32 without padding.
pub fn new_secret() -> String {
    BASE32_NOPAD.encode(&super::random_bytes::<20>())
}

fn totp(secret_b32: &str, account: &str) -> Option<TOTP> {
    let secret = BASE32_NOPAD.decode(secret_b32.as_bytes()).ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        secret,
        Some("Orderbell".to_owned()),
        account.replace(':', ""),
    )
    .ok()
}

/// `otpauth://totp/Orderbell:{account}?secret=…&issuer=Orderbell` for the QR code.
pub fn otpauth_uri(secret_b32: &str, account: &str) -> Option<String> {
    totp(secret_b32, account).map(|t| t.get_url())
}

/// The time step whose code `code` is — the current one or a neighbour, for clocks a little
/// apart — or `None`.
pub fn matching_step(secret_b32: &str, code: &str, unix_seconds: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret_b32, "x")?;
    let now = unix_seconds / STEP_SECONDS;
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .find(|step| {
            let expected = t.generate(step * STEP_SECONDS);
            subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), code.as_bytes()).into()
        })
        .and_then(|step| i64::try_from(step).ok())
}

/// Ten new recovery codes, `xxxxx-xxxxx` (50 bits each), shown once.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let raw = BASE32_NOPAD
                .encode(&super::random_bytes::<7>())
                .to_lowercase();
            format!("{}-{}", &raw[..5], &raw[5..10])
        })
        .collect()
}

/// A recovery code as typed (any case, spaces or dashes) in the form that is hashed.
pub fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1: the seed "12345678901234567890", 8-digit values; the last six
    /// digits are what a 6-digit generator gives.
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = BASE32_NOPAD.encode(b"12345678901234567890");
        for (time, eight) in [
            (59_u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let code = &eight[2..];
            assert_eq!(
                matching_step(&secret, code, time),
                i64::try_from(time / 30).ok(),
                "T = {time}"
            );
            // One step late or early still matches, two do not.
            assert!(matching_step(&secret, code, time + 30).is_some());
            assert!(matching_step(&secret, code, time + 90).is_none());
        }
        assert!(matching_step(&secret, "28708", 59).is_none());
        assert!(matching_step(&secret, "28708x", 59).is_none());
    }

    #[test]
    fn uris_and_recovery_codes() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        let uri = otpauth_uri(&secret, "kim@cafe.kr").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Orderbell:kim%40cafe.kr?secret="),
            "{uri}"
        );
        assert!(uri.contains("issuer=Orderbell"));
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-')
        );
        assert_eq!(normalize_recovery_code(" ABCDE-fghij "), "abcdefghij");
    }
}
