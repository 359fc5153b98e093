//! RFC 8292 VAPID: an ES256 JWT naming the push service's origin, signed with our key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use url::Url;

use super::keys::VapidKeyPair;

/// RFC 8292 §2: `exp` MUST NOT be more than 24 hours from the time of the request.
pub const MAX_VALIDITY: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VapidError {
    #[error("push endpoint has no origin")]
    NoOrigin,
    #[error("VAPID subject must be a mailto: or https: URI")]
    BadSubject,
    #[error("clock is before 1970")]
    Clock,
}

/// The signed JWT: `{"typ":"JWT","alg":"ES256"}` . `{"aud", "exp", "sub"}`.
/// `validity` is capped at 24 hours.
pub fn vapid_jwt(
    keys: &VapidKeyPair,
    endpoint: &Url,
    subject: &str,
    now: SystemTime,
    validity: Duration,
) -> Result<String, VapidError> {
    if !(subject.starts_with("mailto:") || subject.starts_with("https://")) {
        return Err(VapidError::BadSubject);
    }
    let origin = endpoint.origin();
    if !origin.is_tuple() {
        return Err(VapidError::NoOrigin);
    }
    let exp = now
        .checked_add(validity.min(MAX_VALIDITY))
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .ok_or(VapidError::Clock)?
        .as_secs();
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims =
        serde_json::json!({ "aud": origin.ascii_serialization(), "exp": exp, "sub": subject });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{claims}");
    let signature: Signature = SigningKey::from(keys.secret()).sign(signing_input.as_bytes());
    // JWS ES256: the fixed-size r || s, not DER.
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

/// The `Authorization` header value: `vapid t=<jwt>, k=<public key>`.
pub fn vapid_authorization(
    keys: &VapidKeyPair,
    endpoint: &Url,
    subject: &str,
    now: SystemTime,
    validity: Duration,
) -> Result<String, VapidError> {
    let jwt = vapid_jwt(keys, endpoint, subject, now, validity)?;
    Ok(format!("vapid t={jwt}, k={}", keys.public_key_base64url()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn jwt_claims_and_signature() {
        let keys = VapidKeyPair::generate();
        let endpoint = Url::parse("https://push.example.net:8443/wpush/v2/abc?x=1").unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let jwt = vapid_jwt(
            &keys,
            &endpoint,
            "mailto:owner@cafe.example",
            now,
            Duration::from_secs(48 * 3600),
        )
        .unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net:8443");
        assert_eq!(claims["exp"], 1_700_000_000 + 24 * 3600);
        assert_eq!(claims["sub"], "mailto:owner@cafe.example");
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "ES256");

        let vk = VerifyingKey::from_sec1_bytes(&keys.public_key_bytes()).unwrap();
        let sig = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        vk.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .unwrap();

        let auth = vapid_authorization(
            &keys,
            &endpoint,
            "https://cafe.example/",
            now,
            Duration::from_secs(3600),
        )
        .unwrap();
        assert!(auth.starts_with("vapid t="));
        assert!(auth.ends_with(&format!(", k={}", keys.public_key_base64url())));
    }

    #[test]
    fn default_port_is_not_in_aud() {
        let keys = VapidKeyPair::generate();
        let endpoint = Url::parse("https://fcm.googleapis.com:443/fcm/send/x").unwrap();
        let jwt = vapid_jwt(
            &keys,
            &endpoint,
            "mailto:a@b.c",
            SystemTime::now(),
            Duration::from_secs(60),
        )
        .unwrap();
        let claims: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(jwt.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["aud"], "https://fcm.googleapis.com");
    }

    #[test]
    fn refuses_bad_subject() {
        let keys = VapidKeyPair::generate();
        let endpoint = Url::parse("https://push.example/x").unwrap();
        let r = vapid_jwt(
            &keys,
            &endpoint,
            "owner@cafe.example",
            SystemTime::now(),
            Duration::from_secs(60),
        );
        assert_eq!(r.unwrap_err(), VapidError::BadSubject);
    }
}
