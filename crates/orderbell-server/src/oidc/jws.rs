//! Compact JWS (RFC 7515) verification of ID tokens against a provider's JWKS.
//!
//! Hand-written on `ring` (already in the tree for rustls and FCM) rather than the
//! `jsonwebtoken` crate: an ID token needs only a few algorithms, `ring` verifies RSA and
//! ECDSA from raw JWK components without the `rsa` crate (RUSTSEC-2023-0071), and the checks
//! that matter here (the algorithm from the provider's list, never `none` or HMAC, the key by
//! `kid`) stay in view.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::Deserialize;
use serde_json::Value;

/// One key of a JWK Set; unknown members are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    #[serde(default)]
    pub alg: Option<String>,
    #[serde(default)]
    pub n: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
    #[serde(default)]
    pub crv: Option<String>,
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub y: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// Why a token was refused (each a stable code on the error page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("the token is not a compact JWS")]
    Malformed,
    #[error("the token's algorithm is not accepted")]
    BadAlg,
    #[error("no key of the provider has the token's kid")]
    UnknownKey,
    #[error("the signature does not verify")]
    BadSignature,
}

/// Algorithms this server can verify; a provider's list narrows them further.
pub const SUPPORTED: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
];

/// A parsed token, not yet verified.
#[derive(Debug)]
pub struct Parsed {
    pub alg: String,
    pub kid: Option<String>,
    pub claims: Value,
    signing_input: String,
    signature: Vec<u8>,
}

fn b64(part: &str) -> Result<Vec<u8>, JwsError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwsError::Malformed)
}

/// Splits and decodes a compact JWS; refuses `none`, HMAC and whatever this server cannot
/// verify or the provider does not list (`allowed`).
pub fn parse(token: &str, allowed: &[String]) -> Result<Parsed, JwsError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed);
    };
    let header: Value = serde_json::from_slice(&b64(h)?).map_err(|_| JwsError::Malformed)?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(JwsError::Malformed)?
        .to_owned();
    if !SUPPORTED.contains(&alg.as_str()) || !allowed.contains(&alg) {
        return Err(JwsError::BadAlg);
    }
    if header.get("crit").is_some() {
        return Err(JwsError::Malformed);
    }
    let kid = header.get("kid").and_then(Value::as_str).map(str::to_owned);
    let claims: Value = serde_json::from_slice(&b64(p)?).map_err(|_| JwsError::Malformed)?;
    if !claims.is_object() {
        return Err(JwsError::Malformed);
    }
    Ok(Parsed {
        alg,
        kid,
        claims,
        signing_input: format!("{h}.{p}"),
        signature: b64(s)?,
    })
}

fn kty_of(alg: &str) -> &'static str {
    if alg.starts_with("ES") { "EC" } else { "RSA" }
}

/// The key the token names: by `kid`, or the only signing key of the right type when the
/// token names none. `None`: not in this set (fetch the set again, once).
pub fn find_key<'a>(parsed: &Parsed, keys: &'a [Jwk]) -> Option<&'a Jwk> {
    let fits = |k: &&Jwk| {
        k.kty == kty_of(&parsed.alg)
            && k.use_.as_deref().is_none_or(|u| u == "sig")
            && k.alg.as_deref().is_none_or(|a| a == parsed.alg)
    };
    match &parsed.kid {
        Some(kid) => keys
            .iter()
            .filter(fits)
            .find(|k| k.kid.as_deref() == Some(kid)),
        None => {
            let mut candidates = keys.iter().filter(fits);
            match (candidates.next(), candidates.next()) {
                (Some(k), None) => Some(k),
                _ => None,
            }
        }
    }
}

/// Verifies the signature with `key`.
pub fn verify(parsed: &Parsed, key: &Jwk) -> Result<(), JwsError> {
    let msg = parsed.signing_input.as_bytes();
    let sig = parsed.signature.as_slice();
    match parsed.alg.as_str() {
        "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => {
            let n = b64(key.n.as_deref().ok_or(JwsError::UnknownKey)?)?;
            let e = b64(key.e.as_deref().ok_or(JwsError::UnknownKey)?)?;
            let params: &signature::RsaParameters = match parsed.alg.as_str() {
                "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
                "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
                "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
                "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
                "PS384" => &signature::RSA_PSS_2048_8192_SHA384,
                _ => &signature::RSA_PSS_2048_8192_SHA512,
            };
            RsaPublicKeyComponents { n: &n, e: &e }
                .verify(params, msg, sig)
                .map_err(|_| JwsError::BadSignature)
        }
        "ES256" | "ES384" => {
            let (crv, len, alg): (&str, usize, &'static signature::EcdsaVerificationAlgorithm) =
                if parsed.alg == "ES256" {
                    ("P-256", 32, &signature::ECDSA_P256_SHA256_FIXED)
                } else {
                    ("P-384", 48, &signature::ECDSA_P384_SHA384_FIXED)
                };
            if key.crv.as_deref() != Some(crv) {
                return Err(JwsError::UnknownKey);
            }
            let x = b64(key.x.as_deref().ok_or(JwsError::UnknownKey)?)?;
            let y = b64(key.y.as_deref().ok_or(JwsError::UnknownKey)?)?;
            if x.len() != len || y.len() != len {
                return Err(JwsError::UnknownKey);
            }
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(4);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            UnparsedPublicKey::new(alg, point)
                .verify(msg, sig)
                .map_err(|_| JwsError::BadSignature)
        }
        _ => Err(JwsError::BadAlg),
    }
}

/// Signs a compact JWS with ES256 (Apple's client secret).
pub fn sign_es256(key: &p256::ecdsa::SigningKey, header: &Value, claims: &Value) -> String {
    use p256::ecdsa::signature::Signer;
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let p = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{h}.{p}");
    let sig: p256::ecdsa::Signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_and_hmac_are_refused() {
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
        let p = URL_SAFE_NO_PAD.encode(r#"{"sub":"1"}"#);
        let all: Vec<String> = ["none", "HS256", "RS256"].map(String::from).to_vec();
        assert_eq!(
            parse(&format!("{h}.{p}."), &all).unwrap_err(),
            JwsError::BadAlg
        );
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#);
        assert_eq!(
            parse(&format!("{h}.{p}.AAAA"), &all).unwrap_err(),
            JwsError::BadAlg
        );
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256"}"#);
        assert_eq!(
            parse(&format!("{h}.{p}.AAAA"), &all).unwrap_err(),
            JwsError::BadAlg,
            "not in the provider's list"
        );
        assert_eq!(parse("a.b", &all).unwrap_err(), JwsError::Malformed);
    }

    #[test]
    fn es256_round_trip() {
        let key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let token = sign_es256(
            &key,
            &serde_json::json!({"alg":"ES256","kid":"k1"}),
            &serde_json::json!({"sub":"1"}),
        );
        let point = key.verifying_key().to_encoded_point(false);
        let jwk = Jwk {
            kty: "EC".into(),
            kid: Some("k1".into()),
            use_: None,
            alg: None,
            n: None,
            e: None,
            crv: Some("P-256".into()),
            x: point.x().map(|x| URL_SAFE_NO_PAD.encode(x)),
            y: point.y().map(|y| URL_SAFE_NO_PAD.encode(y)),
        };
        let parsed = parse(&token, &["ES256".to_owned()]).unwrap();
        let found = find_key(&parsed, std::slice::from_ref(&jwk)).unwrap();
        verify(&parsed, found).unwrap();
        let mut tampered = token.clone();
        tampered.replace_range(token.len() - 3.., "AAA");
        let parsed = parse(&tampered, &["ES256".to_owned()]).unwrap();
        assert!(verify(&parsed, &jwk).is_err());
    }
}
