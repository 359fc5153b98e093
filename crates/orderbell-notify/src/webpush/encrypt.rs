//! RFC 8291 message encryption: one `aes128gcm` record (RFC 8188) keyed by ECDH between a
//! fresh application-server key and the subscription's `p256dh`, mixed with its `auth` secret.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;

/// The record size written in the header (as in RFC 8291's example).
pub const RECORD_SIZE: u32 = 4096;
/// Largest plaintext that keeps the whole body within 4096 bytes, the size every push service
/// must accept (RFC 8291 §4): 4096 − 86 (header) − 16 (tag) − 1 (delimiter).
pub const MAX_PLAINTEXT_LEN: usize = 3993;

const HEADER_LEN: usize = 16 + 4 + 1 + 65;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncryptError {
    #[error("subscription p256dh is not a P-256 public key")]
    BadPublicKey,
    #[error("subscription auth secret must be 16 bytes")]
    BadAuthSecret,
    #[error("payload is {0} bytes; at most {MAX_PLAINTEXT_LEN} fit in one push message")]
    TooLarge(usize),
    #[error("key derivation or encryption failed")]
    Crypto,
}

/// Encrypts `plaintext` for a subscription (`ua_public`: the 65-byte `p256dh`, `auth`: the
/// 16-byte auth secret) with a fresh key pair and salt. Returns the request body.
pub fn encrypt(plaintext: &[u8], ua_public: &[u8], auth: &[u8]) -> Result<Vec<u8>, EncryptError> {
    let mut salt = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let as_secret = SecretKey::random(&mut OsRng);
    encrypt_with(plaintext, ua_public, auth, &salt, &as_secret)
}

/// [`encrypt`] with a given salt and application-server key (for test vectors only: reusing
/// either across messages breaks the scheme).
pub fn encrypt_with(
    plaintext: &[u8],
    ua_public: &[u8],
    auth: &[u8],
    salt: &[u8; 16],
    as_secret: &SecretKey,
) -> Result<Vec<u8>, EncryptError> {
    if plaintext.len() > MAX_PLAINTEXT_LEN {
        return Err(EncryptError::TooLarge(plaintext.len()));
    }
    if auth.len() != 16 {
        return Err(EncryptError::BadAuthSecret);
    }
    let ua_key = PublicKey::from_sec1_bytes(ua_public).map_err(|_| EncryptError::BadPublicKey)?;
    let ua_point = ua_key.to_encoded_point(false);
    let as_point = as_secret.public_key().to_encoded_point(false);

    // ecdh_secret = ECDH(as_private, ua_public)
    let shared = p256::ecdh::diffie_hellman(as_secret.to_nonzero_scalar(), ua_key.as_affine());

    // IKM = HKDF(salt = auth_secret, ikm = ecdh_secret, info = "WebPush: info" 0x00 ua_public as_public, 32)
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(ua_point.as_bytes());
    key_info.extend_from_slice(as_point.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), &shared.raw_secret_bytes()[..])
        .expand(&key_info, &mut ikm)
        .map_err(|_| EncryptError::Crypto)?;

    // RFC 8188: PRK = HKDF-Extract(salt, IKM); CEK and NONCE expanded from it.
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .map_err(|_| EncryptError::Crypto)?;
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
        .map_err(|_| EncryptError::Crypto)?;

    // One record, so the sequence number is 0 and the nonce is used as derived. The last
    // record's padding delimiter is 0x02, with no further padding.
    let mut record = Vec::with_capacity(plaintext.len() + 1);
    record.extend_from_slice(plaintext);
    record.push(0x02);
    let cipher = Aes128Gcm::new_from_slice(&cek).map_err(|_| EncryptError::Crypto)?;
    let sealed = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &record,
                aad: b"",
            },
        )
        .map_err(|_| EncryptError::Crypto)?;

    let mut body = Vec::with_capacity(HEADER_LEN + sealed.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_point.as_bytes());
    body.extend_from_slice(&sealed);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).unwrap()
    }

    /// RFC 8291 Appendix A, byte for byte.
    #[test]
    fn rfc8291_appendix_a() {
        let plaintext = b"When I grow up, I want to be a watermelon";
        let as_private = b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw");
        let ua_public = b64(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        );
        let auth = b64("BTBZMqHH6r4Tts7J_aSIgg");
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let expected = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml\
                        mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT\
                        pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";
        let as_secret = SecretKey::from_slice(&as_private).unwrap();
        let body = encrypt_with(plaintext, &ua_public, &auth, &salt, &as_secret).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.encode(&body), expected);
    }

    #[test]
    fn fresh_salt_and_key_each_time() {
        let ua = SecretKey::random(&mut OsRng)
            .public_key()
            .to_encoded_point(false);
        let a = encrypt(b"x", ua.as_bytes(), &[7; 16]).unwrap();
        let b = encrypt(b"x", ua.as_bytes(), &[7; 16]).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), HEADER_LEN + 1 + 1 + 16);
    }

    #[test]
    fn refuses_bad_input() {
        let ua = SecretKey::random(&mut OsRng)
            .public_key()
            .to_encoded_point(false);
        assert_eq!(
            encrypt(b"x", &[4; 65], &[0; 16]).unwrap_err(),
            EncryptError::BadPublicKey
        );
        assert_eq!(
            encrypt(b"x", ua.as_bytes(), &[0; 15]).unwrap_err(),
            EncryptError::BadAuthSecret
        );
        let big = vec![b'a'; MAX_PLAINTEXT_LEN + 1];
        assert_eq!(
            encrypt(&big, ua.as_bytes(), &[0; 16]).unwrap_err(),
            EncryptError::TooLarge(big.len())
        );
        assert_eq!(
            encrypt(&big[1..], ua.as_bytes(), &[0; 16]).unwrap().len(),
            4096
        );
    }
}
