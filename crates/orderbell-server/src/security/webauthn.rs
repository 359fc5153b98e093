//! The WebAuthn Relying Party checks for passkeys: registration (W3C Web Authentication
//! Level 3, §7.1 "Registering a New Credential") and authentication (§7.2 "Verifying an
//! Authentication Assertion"), written here on crates already in the tree.
//!
//! Why not `webauthn-rs`: it verifies through OpenSSL (a C library and its build, which this
//! workspace does not otherwise need), and brings attestation-chain code we do not use; what
//! Orderbell needs is the two ceremonies' checks, ES256 and RS256 signatures and a little CBOR.
//!
//! - ES256 (COSE alg -7) with `p256` (RustCrypto ECDSA, DER signatures).
//! - RS256 (COSE alg -257, RSASSA-PKCS1-v1_5 with SHA-256) with `ring`, already linked for
//!   rustls; the project keeps the `rsa` crate out of the server (see orderbell-notify's
//!   Cargo.toml), and `ring` only accepts moduli of 2048 to 8192 bits.
//! - CBOR (RFC 8949) with the small decoder in [`cbor`]: definite lengths only (CTAP2's
//!   canonical form never uses others), no tags or floats, bounded depth.
//!
//! No attestation is verified: the server asks for `attestation: "none"` and accepts the
//! `none` format (with its empty statement) and `packed` (whose statement, self attestation or
//! not, is ignored); a passkey is trusted because the signed-in account registered it, not
//! because of its maker.
//!
//! Every refusal is a [`Error::Refused`] (the API answers one code for all of them, so a caller
//! learns nothing about which check failed); input that cannot be read is
//! [`Error::Malformed`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// COSE algorithm ES256: ECDSA on P-256 with SHA-256.
pub const ES256: i64 = -7;
/// COSE algorithm RS256: RSASSA-PKCS1-v1_5 with SHA-256.
pub const RS256: i64 = -257;
/// The algorithms offered in `pubKeyCredParams`, the preferred first.
pub const ALGORITHMS: [i64; 2] = [ES256, RS256];
/// A credential id is at most this long (§6.5.1, `credentialIdLength`).
pub const CREDENTIAL_ID_MAX: usize = 1023;

/// Authenticator data flags (§6.1).
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;
const ED: u8 = 0x80;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input cannot be read (base64url, JSON, CBOR, lengths).
    #[error("malformed WebAuthn data: {0}")]
    Malformed(&'static str),
    /// Readable, but a check of the ceremony failed.
    #[error("WebAuthn check failed: {0}")]
    Refused(&'static str),
}

type Result<T> = std::result::Result<T, Error>;

/// Who the credentials are for: the RP ID (a host name) and the one origin pages run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    pub id: String,
    pub origin: String,
}

impl RelyingParty {
    /// From the server's public URL: the origin is its scheme, host and port; the RP ID its
    /// host. `None` when the URL has no host.
    pub fn from_public_url(public_url: &str) -> Option<RelyingParty> {
        let url = url::Url::parse(public_url).ok()?;
        let id = url.host_str()?.to_owned();
        let origin = url.origin();
        if !origin.is_tuple() {
            return None;
        }
        Some(RelyingParty {
            id,
            origin: origin.ascii_serialization(),
        })
    }

    fn id_hash(&self) -> [u8; 32] {
        Sha256::digest(self.id.as_bytes()).into()
    }
}

/// base64url without padding (what WebAuthn's JSON forms use).
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads base64url without padding.
pub fn unb64(text: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| Error::Malformed("not base64url"))
}

/// What a registration checked and keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    pub credential_id: Vec<u8>,
    /// The COSE_Key as the authenticator sent it.
    pub public_key: Vec<u8>,
    pub alg: i64,
    pub sign_count: u32,
    pub user_verified: bool,
    pub backup_eligible: bool,
}

/// What the caller expects of a ceremony.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    pub rp: &'a RelyingParty,
    /// The challenge the server gave out (raw bytes).
    pub challenge: &'a [u8],
    /// Whether the UV flag must be set (`userVerification: "required"`).
    pub user_verification: bool,
}

#[derive(Deserialize)]
struct ClientData {
    #[serde(rename = "type")]
    kind: String,
    challenge: String,
    origin: String,
    #[serde(rename = "crossOrigin", default)]
    cross_origin: Option<bool>,
}

/// §7.1 steps 5–12 / §7.2 steps 7–14: the client data, parsed and checked.
fn check_client_data(json: &[u8], kind: &str, expect: &Expect<'_>) -> Result<()> {
    let data: ClientData =
        serde_json::from_slice(json).map_err(|_| Error::Malformed("clientDataJSON"))?;
    if data.kind != kind {
        return Err(Error::Refused("clientDataJSON type"));
    }
    let given = URL_SAFE_NO_PAD
        .decode(&data.challenge)
        .map_err(|_| Error::Refused("challenge"))?;
    if !bool::from(given.as_slice().ct_eq(expect.challenge)) {
        return Err(Error::Refused("challenge"));
    }
    if data.origin != expect.rp.origin {
        return Err(Error::Refused("origin"));
    }
    // Orderbell's pages never run in another site's frame: a cross-origin call is refused
    // (and `topOrigin`, only present with it, is not looked at).
    if data.cross_origin == Some(true) {
        return Err(Error::Refused("crossOrigin"));
    }
    Ok(())
}

/// Parsed authenticator data (§6.1).
#[derive(Debug)]
struct AuthData {
    rp_id_hash: [u8; 32],
    flags: u8,
    sign_count: u32,
    attested: Option<Attested>,
}

#[derive(Debug)]
struct Attested {
    credential_id: Vec<u8>,
    public_key: Vec<u8>,
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
    if bytes.len() < n {
        return Err(Error::Malformed("authenticator data is too short"));
    }
    let (head, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(head)
}

fn parse_auth_data(data: &[u8]) -> Result<AuthData> {
    let mut rest = data;
    let mut rp_id_hash = [0u8; 32];
    rp_id_hash.copy_from_slice(take(&mut rest, 32)?);
    let flags = take(&mut rest, 1)?[0];
    let mut count = [0u8; 4];
    count.copy_from_slice(take(&mut rest, 4)?);
    let sign_count = u32::from_be_bytes(count);
    let attested = if flags & AT != 0 {
        let _aaguid = take(&mut rest, 16)?;
        let len = take(&mut rest, 2)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if len > CREDENTIAL_ID_MAX {
            return Err(Error::Malformed("credential id is too long"));
        }
        let credential_id = take(&mut rest, len)?.to_vec();
        let (_, used) =
            cbor::decode_prefix(rest).map_err(|_| Error::Malformed("credential public key"))?;
        let public_key = take(&mut rest, used)?.to_vec();
        Some(Attested {
            credential_id,
            public_key,
        })
    } else {
        None
    };
    if flags & ED != 0 {
        let (ext, used) = cbor::decode_prefix(rest).map_err(|_| Error::Malformed("extensions"))?;
        if !matches!(ext, cbor::Value::Map(_)) {
            return Err(Error::Malformed("extensions"));
        }
        take(&mut rest, used)?;
    }
    if !rest.is_empty() {
        return Err(Error::Malformed("authenticator data has trailing bytes"));
    }
    Ok(AuthData {
        rp_id_hash,
        flags,
        sign_count,
        attested,
    })
}

/// The flag checks both ceremonies share: the RP ID hash, user presence, user verification
/// when required, and backup state only on a backup-eligible credential.
fn check_auth_data(auth: &AuthData, expect: &Expect<'_>) -> Result<()> {
    if !bool::from(auth.rp_id_hash.ct_eq(&expect.rp.id_hash())) {
        return Err(Error::Refused("rpIdHash"));
    }
    if auth.flags & UP == 0 {
        return Err(Error::Refused("user not present"));
    }
    if expect.user_verification && auth.flags & UV == 0 {
        return Err(Error::Refused("user not verified"));
    }
    if auth.flags & BE == 0 && auth.flags & BS != 0 {
        return Err(Error::Refused("backup state without backup eligibility"));
    }
    Ok(())
}

/// A credential public key, ready to verify with.
enum PublicKey {
    Es256(p256::ecdsa::VerifyingKey),
    Rs256 { n: Vec<u8>, e: Vec<u8> },
}

/// Reads a COSE_Key (RFC 9052 §7, RFC 9053 §2.1 and RFC 8230) of an algorithm offered.
fn public_key(cose: &[u8]) -> Result<(i64, PublicKey)> {
    let key = cbor::decode(cose).map_err(|_| Error::Malformed("COSE key"))?;
    let int = |label: i64| key.get_int(label).and_then(cbor::Value::as_int);
    let bytes = |label: i64| key.get_int(label).and_then(cbor::Value::as_bytes);
    let alg = int(3).ok_or(Error::Refused("COSE key without alg"))?;
    match (int(1), alg) {
        // kty EC2, crv P-256.
        (Some(2), ES256) => {
            let (Some(1), Some(x), Some(y)) = (int(-1), bytes(-2), bytes(-3)) else {
                return Err(Error::Refused("ES256 key"));
            };
            if x.len() != 32 || y.len() != 32 {
                return Err(Error::Refused("ES256 key"));
            }
            // SEC 1 uncompressed: 0x04, x, y.
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(x);
            point.extend_from_slice(y);
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                .map_err(|_| Error::Refused("ES256 key is not on the curve"))?;
            Ok((ES256, PublicKey::Es256(key)))
        }
        // kty RSA.
        (Some(3), RS256) => {
            let (Some(n), Some(e)) = (bytes(-1), bytes(-2)) else {
                return Err(Error::Refused("RS256 key"));
            };
            let strip = |v: &[u8]| {
                let start = v.iter().position(|b| *b != 0).unwrap_or(v.len());
                v[start..].to_vec()
            };
            Ok((
                RS256,
                PublicKey::Rs256 {
                    n: strip(n),
                    e: strip(e),
                },
            ))
        }
        _ => Err(Error::Refused("algorithm not offered")),
    }
}

fn verify_signature(key: &PublicKey, message: &[u8], signature: &[u8]) -> Result<()> {
    let ok = match key {
        PublicKey::Es256(key) => {
            use p256::ecdsa::signature::Verifier;
            p256::ecdsa::Signature::from_der(signature)
                .ok()
                .is_some_and(|sig| key.verify(message, &sig).is_ok())
        }
        PublicKey::Rs256 { n, e } => ring::signature::RsaPublicKeyComponents { n, e }
            .verify(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                message,
                signature,
            )
            .is_ok(),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::Refused("signature"))
    }
}

/// §7.1: checks a registration (`navigator.credentials.create()`'s answer) against the
/// challenge the server gave out; `raw_id` is the credential's `rawId`, which must be the id
/// in the attested credential data.
pub fn verify_registration(
    expect: &Expect<'_>,
    raw_id: &[u8],
    client_data_json: &[u8],
    attestation_object: &[u8],
) -> Result<NewCredential> {
    check_client_data(client_data_json, "webauthn.create", expect)?;
    let object =
        cbor::decode(attestation_object).map_err(|_| Error::Malformed("attestationObject"))?;
    let fmt = object
        .get_text("fmt")
        .and_then(cbor::Value::as_text)
        .ok_or(Error::Malformed("attestationObject fmt"))?;
    let statement = object
        .get_text("attStmt")
        .ok_or(Error::Malformed("attestationObject attStmt"))?;
    let auth_data = object
        .get_text("authData")
        .and_then(cbor::Value::as_bytes)
        .ok_or(Error::Malformed("attestationObject authData"))?;
    let auth = parse_auth_data(auth_data)?;
    check_auth_data(&auth, expect)?;
    let attested = auth
        .attested
        .ok_or(Error::Refused("no attested credential data"))?;
    if attested.credential_id.as_slice() != raw_id {
        return Err(Error::Refused("rawId is not the attested credential id"));
    }
    let (alg, _) = public_key(&attested.public_key)?;
    // §8.7: `none` has an empty statement. `packed` is taken without verifying its statement
    // (see the module's notes); other formats are not supported.
    match (fmt, statement) {
        ("none", cbor::Value::Map(entries)) if entries.is_empty() => {}
        ("packed", cbor::Value::Map(_)) => {}
        _ => return Err(Error::Refused("attestation format")),
    }
    Ok(NewCredential {
        credential_id: attested.credential_id,
        public_key: attested.public_key,
        alg,
        sign_count: auth.sign_count,
        user_verified: auth.flags & UV != 0,
        backup_eligible: auth.flags & BE != 0,
    })
}

/// A stored credential to check an assertion with.
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    /// Its COSE_Key.
    pub public_key: &'a [u8],
    pub sign_count: u32,
}

/// §7.2 steps 7–21: checks an assertion (`navigator.credentials.get()`'s answer) by a
/// credential found by its id (and whose user handle the caller checked). Answers the new
/// signature counter. When the stored or the new counter is not zero, the new one must be
/// greater: otherwise the credential may have been cloned, and the sign-in is refused.
pub fn verify_assertion(
    expect: &Expect<'_>,
    stored: Stored<'_>,
    client_data_json: &[u8],
    authenticator_data: &[u8],
    signature: &[u8],
) -> Result<u32> {
    check_client_data(client_data_json, "webauthn.get", expect)?;
    let auth = parse_auth_data(authenticator_data)?;
    check_auth_data(&auth, expect)?;
    let (_, key) = public_key(stored.public_key)?;
    let mut message = authenticator_data.to_vec();
    message.extend_from_slice(&Sha256::digest(client_data_json));
    verify_signature(&key, &message, signature)?;
    if (stored.sign_count != 0 || auth.sign_count != 0) && auth.sign_count <= stored.sign_count {
        return Err(Error::Refused("signature counter did not increase"));
    }
    Ok(auth.sign_count)
}

/// A minimal CBOR (RFC 8949) reader for attestation objects and COSE keys.
pub mod cbor {
    /// How deep arrays and maps may nest.
    const MAX_DEPTH: usize = 16;

    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Value {
        Unsigned(u64),
        /// -1 - n.
        Negative(u64),
        Bytes(Vec<u8>),
        Text(String),
        Array(Vec<Value>),
        Map(Vec<(Value, Value)>),
        Bool(bool),
        Null,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Malformed;

    impl Value {
        /// An integer that fits `i64`.
        pub fn as_int(&self) -> Option<i64> {
            match self {
                Value::Unsigned(n) => i64::try_from(*n).ok(),
                Value::Negative(n) => i64::try_from(*n).ok().map(|n| -1 - n),
                _ => None,
            }
        }

        pub fn as_bytes(&self) -> Option<&[u8]> {
            match self {
                Value::Bytes(b) => Some(b),
                _ => None,
            }
        }

        pub fn as_text(&self) -> Option<&str> {
            match self {
                Value::Text(t) => Some(t),
                _ => None,
            }
        }

        /// A map's value under an integer label.
        pub fn get_int(&self, label: i64) -> Option<&Value> {
            match self {
                Value::Map(entries) => entries
                    .iter()
                    .find(|(k, _)| k.as_int() == Some(label))
                    .map(|(_, v)| v),
                _ => None,
            }
        }

        /// A map's value under a text key.
        pub fn get_text(&self, key: &str) -> Option<&Value> {
            match self {
                Value::Map(entries) => entries
                    .iter()
                    .find(|(k, _)| k.as_text() == Some(key))
                    .map(|(_, v)| v),
                _ => None,
            }
        }
    }

    /// Decodes exactly one item that fills `input`.
    pub fn decode(input: &[u8]) -> Result<Value, Malformed> {
        let (value, used) = decode_prefix(input)?;
        if used == input.len() {
            Ok(value)
        } else {
            Err(Malformed)
        }
    }

    /// Decodes the first item of `input`; answers it and how many bytes it took.
    pub fn decode_prefix(input: &[u8]) -> Result<(Value, usize), Malformed> {
        let mut reader = Reader { input, at: 0 };
        let value = reader.item(0)?;
        Ok((value, reader.at))
    }

    struct Reader<'a> {
        input: &'a [u8],
        at: usize,
    }

    impl Reader<'_> {
        fn bytes(&mut self, n: usize) -> Result<&[u8], Malformed> {
            let end = self.at.checked_add(n).ok_or(Malformed)?;
            let slice = self.input.get(self.at..end).ok_or(Malformed)?;
            self.at = end;
            Ok(slice)
        }

        fn argument(&mut self, info: u8) -> Result<u64, Malformed> {
            Ok(match info {
                0..=23 => u64::from(info),
                24 => u64::from(self.bytes(1)?[0]),
                25 => {
                    let b = self.bytes(2)?;
                    u64::from(u16::from_be_bytes([b[0], b[1]]))
                }
                26 => {
                    let b = self.bytes(4)?;
                    u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                }
                27 => {
                    let b = self.bytes(8)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    u64::from_be_bytes(a)
                }
                // Indefinite lengths (31) and reserved values.
                _ => return Err(Malformed),
            })
        }

        /// A length that can be in the input at all (each item takes a byte at least).
        fn length(&mut self, info: u8) -> Result<usize, Malformed> {
            let n = usize::try_from(self.argument(info)?).map_err(|_| Malformed)?;
            if n > self.input.len().saturating_sub(self.at) {
                return Err(Malformed);
            }
            Ok(n)
        }

        fn item(&mut self, depth: usize) -> Result<Value, Malformed> {
            if depth > MAX_DEPTH {
                return Err(Malformed);
            }
            let head = self.bytes(1)?[0];
            let (major, info) = (head >> 5, head & 0x1f);
            Ok(match major {
                0 => Value::Unsigned(self.argument(info)?),
                1 => Value::Negative(self.argument(info)?),
                2 => {
                    let n = self.length(info)?;
                    Value::Bytes(self.bytes(n)?.to_vec())
                }
                3 => {
                    let n = self.length(info)?;
                    let text = std::str::from_utf8(self.bytes(n)?).map_err(|_| Malformed)?;
                    Value::Text(text.to_owned())
                }
                4 => {
                    let n = self.length(info)?;
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.item(depth + 1)?);
                    }
                    Value::Array(items)
                }
                5 => {
                    let n = self.length(info)?;
                    let mut entries = Vec::with_capacity(n);
                    for _ in 0..n {
                        let key = self.item(depth + 1)?;
                        let value = self.item(depth + 1)?;
                        if entries.iter().any(|(k, _)| *k == key) {
                            return Err(Malformed);
                        }
                        entries.push((key, value));
                    }
                    Value::Map(entries)
                }
                7 => match info {
                    20 => Value::Bool(false),
                    21 => Value::Bool(true),
                    22 => Value::Null,
                    _ => return Err(Malformed),
                },
                // Tags (6) are not used by WebAuthn's structures.
                _ => return Err(Malformed),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    use super::*;

    // W3C Web Authentication Level 3, §16.2 "ES256 Credential with No Attestation" (RP ID
    // example.org, origin https://example.org): a registration and an assertion with the same
    // credential.
    const REG_CLIENT_DATA: &str = "7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a22414d4d507434557878475453746e63647134313759447742466938767049612d7077386f4f755657345441222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e6465642077697468206164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a20426b5165446a646354427258426941774a544c4535513d3d227d";
    const REG_CHALLENGE: &str = "AMMPt4UxxGTStncdq417YDwBFi8vpIa-pw8oOuVW4TA";
    const ATTESTATION_OBJECT: &str = "a363666d74646e6f6e656761747453746d74a068617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b559000000008446ccb9ab1db374750b2367ff6f3a1f0020f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220";
    const CREDENTIAL_ID: &str = "f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4";
    const AUTH_CLIENT_DATA: &str = "7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a224f63446e55685158756c5455506f334a5558543049393770767a7a59425039745a63685879617630314167222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d";
    const AUTH_CHALLENGE: &str = "OcDnUhQXulTUPo3JUXT0I97pvzzYBP9tZchXyav01Ag";
    const AUTH_DATA: &str =
        "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000";
    const SIGNATURE: &str = "3046022100f50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd380221008480ac0f0b93538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87";

    // §16 "Packed Attestation with RS256 Credential": the RSA key is (2^1279 - 1)(2^2203 - 1)
    // (§16: "constructed from the two smallest Mersenne primes 2^p - 1 such that p >= 1024");
    // its packed statement (with a certificate) is taken unverified, as any `packed` one.
    const RS_REG_CHALLENGE: &str =
        "bea8f0770009bd57f2c0df6fea9f743a27e4b61bbe923c862c7aad7a9fc8e4a6";
    const RS_CREDENTIAL_ID: &str =
        "992a18acc83f67533600c1138a4b4c4bd236de13629cf025ed17cb00b00b74df";
    const RS_REG_CLIENT_DATA: &str = "7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a2276716a776477414a76566679774e3976367039304f69666b7468752d6b6a79474c48717465705f49354b59222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d";
    const RS_ATTESTATION_OBJECT: &str = "a363666d74667061636b65646761747453746d74a363616c672663736967584730450221008b8c5c6ea8c142c032e0be69e1353d44461c5c9109941cdda951b976eb95b6b302204d52f406c19e254b3ff9589bd18070fb055ac8db12fdd0a6734bea9d7168e900637835638159022630820222308201c7a00302010202101f6fb7a5ece81b45896b983a995da5f3300a06082a8648ce3d0403023062311e301c06035504030c15576562417574686e207465737420766563746f7273310c300a060355040a0c0357334331253023060355040b0c1c41757468656e74696361746f72204174746573746174696f6e204341310b30090603550406130241413020170d3234303130313030303030305a180f33303234303130313030303030305a305f311e301c06035504030c15576562417574686e207465737420766563746f7273310c300a060355040a0c0357334331223020060355040b0c1941757468656e74696361746f72204174746573746174696f6e310b30090603550406130241413059301306072a8648ce3d020106082a8648ce3d03010703420004b7b36b7542a11120b443c794d0c99fdc25a06b76586413d81e086163ef6fe147a557afc34e2861d9057d6d465d4705a0310550bdeeb5f35ee35b9425ab859981a360305e300c0603551d130101ff04023000300e0603551d0f0101ff040403020780301d0603551d0e04160414fb37b647bccfb9e54d989eaaacc1633868703fb3301f0603551d2304183016801445aff715b0dd786741fee996ebc16547a3931b1e300a06082a8648ce3d0403020349003046022100b86bc129d92afca7d9869a39f70f139a305b4073a39eb654d81424bed5757d91022100cf9f7c60cab7c4a7d3e7f0020f281a93d4fd0a9f95121b989f56932a68885fba68617574684461746159021bbfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b55d00000000428f8878298b9862a36ad8c7527bfef20020992a18acc83f67533600c1138a4b4c4bd236de13629cf025ed17cb00b00b74dfa4010303390100205901b403fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff800000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000012143010001";
    const RS_AUTH_CHALLENGE: &str =
        "295f59f5fa8fe62c5aca9e27626c78c8da376ae6d8cd2dd29aebad601e1bc4c5";
    const RS_AUTH_DATA: &str =
        "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000";
    const RS_AUTH_CLIENT_DATA: &str = "7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a224b56395a39667150356978617970346e596d7834794e6f33617562597a5333536d75757459423462784d55222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d";
    const RS_SIGNATURE: &str = "01063d52d7c39b4d432fc7063c5d93e582bdcb16889cd71f888d67d880ea730a428498d3bc8e1ee11f2b1ecbe6c292b118c55ffaaddefa8cad0a54dd137c51f1eec673f1bb6c4d1789d6826a222b22d0f585fc901fdc933212e579d199b89d672aa44891333e6a1355536025e82b25590256c3538229b55737083b2f6b9377e49e2472f11952f79fdd0da180b5ffd901b4049a8f081bb40711bef76c62aed943571f2d0575304cb549d68d8892f95086a30f93716aee818f8dc06e96c0d5e0ed4cfa9fd8773d90464b68cf140f7986666ff9c9e3302acd0535d60d769f465e2ab57ef8aabc89fccfef7ba32a64154a8b3d26be2298f470b8cc5377dbe3dfd4b0b45f8f01e63bde6cfc76b62771f9b70aa27cf40152cad93aa5acd784fd4b90f676e2ea828d0bf2400aebbaae4153e5838f537f88b6228346782a93a899be66ec77de45b3efcf311da6321c92e6b0cd11bfe653bf3e98cee8e341f02d67dbb6f9c98d9e8178090cfb5b70fbc6d541599ac794ae2f1d4de1286ec8de8c2daf7b1d15c8438e90d924df5c19045220a4c8438c1b979bbe016cf3d0eeec23c3999d4882cc645b776de930756612cdc6dd398160ff02a6";

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn rp() -> RelyingParty {
        RelyingParty::from_public_url("https://example.org").unwrap()
    }

    fn expect<'a>(rp: &'a RelyingParty, challenge: &'a [u8]) -> Expect<'a> {
        Expect {
            rp,
            challenge,
            user_verification: false,
        }
    }

    fn register(rp: &RelyingParty, challenge: &[u8]) -> Result<NewCredential> {
        verify_registration(
            &expect(rp, challenge),
            &h(CREDENTIAL_ID),
            &h(REG_CLIENT_DATA),
            &h(ATTESTATION_OBJECT),
        )
    }

    fn assert_with(
        rp: &RelyingParty,
        challenge: &[u8],
        auth_data: &[u8],
        signature: &[u8],
        stored_count: u32,
    ) -> Result<u32> {
        let key = register(&self::rp(), &unb64(REG_CHALLENGE).unwrap())
            .unwrap()
            .public_key;
        verify_assertion(
            &expect(rp, challenge),
            Stored {
                public_key: &key,
                sign_count: stored_count,
            },
            &h(AUTH_CLIENT_DATA),
            auth_data,
            signature,
        )
    }

    #[test]
    fn the_relying_party_comes_from_the_public_url() {
        assert_eq!(
            RelyingParty::from_public_url("http://localhost:8080/").unwrap(),
            RelyingParty {
                id: "localhost".into(),
                origin: "http://localhost:8080".into()
            }
        );
        assert_eq!(
            RelyingParty::from_public_url("https://orders.example.com:443/shop").unwrap(),
            RelyingParty {
                id: "orders.example.com".into(),
                origin: "https://orders.example.com".into()
            }
        );
    }

    #[test]
    fn the_spec_registration_vector_verifies() {
        let new = register(&rp(), &unb64(REG_CHALLENGE).unwrap()).unwrap();
        assert_eq!(new.credential_id, h(CREDENTIAL_ID));
        assert_eq!(new.alg, ES256);
        assert_eq!(new.sign_count, 0);
        assert!(!new.user_verified);
        assert!(new.backup_eligible);
        // The vector's flags have no UV: a server that requires it refuses.
        let challenge = unb64(REG_CHALLENGE).unwrap();
        let rp = rp();
        let strict = Expect {
            user_verification: true,
            ..expect(&rp, &challenge)
        };
        assert_eq!(
            verify_registration(
                &strict,
                &h(CREDENTIAL_ID),
                &h(REG_CLIENT_DATA),
                &h(ATTESTATION_OBJECT)
            ),
            Err(Error::Refused("user not verified"))
        );
    }

    #[test]
    fn the_spec_assertion_vector_verifies() {
        let challenge = unb64(AUTH_CHALLENGE).unwrap();
        assert_eq!(
            assert_with(&rp(), &challenge, &h(AUTH_DATA), &h(SIGNATURE), 0),
            Ok(0)
        );
    }

    #[test]
    fn the_spec_rs256_vectors_verify_with_a_packed_statement_ignored() {
        let rp = rp();
        let challenge = h(RS_REG_CHALLENGE);
        let new = verify_registration(
            &Expect {
                rp: &rp,
                challenge: &challenge,
                user_verification: true,
            },
            &h(RS_CREDENTIAL_ID),
            &h(RS_REG_CLIENT_DATA),
            &h(RS_ATTESTATION_OBJECT),
        )
        .unwrap();
        assert_eq!((new.alg, new.user_verified), (RS256, true));
        let challenge = h(RS_AUTH_CHALLENGE);
        let stored = Stored {
            public_key: &new.public_key,
            sign_count: 0,
        };
        let check = |signature: &[u8]| {
            verify_assertion(
                &expect(&rp, &challenge),
                stored,
                &h(RS_AUTH_CLIENT_DATA),
                &h(RS_AUTH_DATA),
                signature,
            )
        };
        assert_eq!(check(&h(RS_SIGNATURE)), Ok(0));
        let mut bad = h(RS_SIGNATURE);
        bad[100] ^= 0x40;
        assert_eq!(check(&bad), Err(Error::Refused("signature")));
        // The ES256 assertion is no RS256 signature.
        assert_eq!(check(&h(SIGNATURE)), Err(Error::Refused("signature")));
    }

    #[test]
    fn a_registration_for_another_origin_challenge_or_rp_is_refused() {
        let challenge = unb64(REG_CHALLENGE).unwrap();
        let other_origin = RelyingParty {
            id: "example.org".into(),
            origin: "https://evil.example".into(),
        };
        assert_eq!(
            register(&other_origin, &challenge),
            Err(Error::Refused("origin"))
        );
        let other_id = RelyingParty {
            id: "example.com".into(),
            origin: "https://example.org".into(),
        };
        assert_eq!(
            register(&other_id, &challenge),
            Err(Error::Refused("rpIdHash"))
        );
        assert_eq!(
            register(&rp(), &[7u8; 32]),
            Err(Error::Refused("challenge"))
        );
        // An assertion's client data is no registration.
        let rp = rp();
        let auth_challenge = unb64(AUTH_CHALLENGE).unwrap();
        assert_eq!(
            verify_registration(
                &expect(&rp, &auth_challenge),
                &h(CREDENTIAL_ID),
                &h(AUTH_CLIENT_DATA),
                &h(ATTESTATION_OBJECT)
            ),
            Err(Error::Refused("clientDataJSON type"))
        );
        // The rawId must be the attested id.
        assert_eq!(
            verify_registration(
                &expect(&rp, &challenge),
                &[1, 2, 3],
                &h(REG_CLIENT_DATA),
                &h(ATTESTATION_OBJECT)
            ),
            Err(Error::Refused("rawId is not the attested credential id"))
        );
    }

    #[test]
    fn a_tampered_or_foreign_assertion_is_refused() {
        let challenge = unb64(AUTH_CHALLENGE).unwrap();
        let mut sig = h(SIGNATURE);
        sig[20] ^= 1;
        assert_eq!(
            assert_with(&rp(), &challenge, &h(AUTH_DATA), &sig, 0),
            Err(Error::Refused("signature"))
        );
        // A signed byte changed: the counter now reads 1, and the signature no longer holds.
        let mut data = h(AUTH_DATA);
        data[36] = 1;
        assert_eq!(
            assert_with(&rp(), &challenge, &data, &h(SIGNATURE), 0),
            Err(Error::Refused("signature"))
        );
        assert_eq!(
            assert_with(&rp(), &[0u8; 32], &h(AUTH_DATA), &h(SIGNATURE), 0),
            Err(Error::Refused("challenge"))
        );
        let elsewhere = RelyingParty {
            id: "example.org".into(),
            origin: "https://example.org:8443".into(),
        };
        assert_eq!(
            assert_with(&elsewhere, &challenge, &h(AUTH_DATA), &h(SIGNATURE), 0),
            Err(Error::Refused("origin"))
        );
        let other_id = RelyingParty {
            id: "login.example.org".into(),
            origin: "https://example.org".into(),
        };
        assert_eq!(
            assert_with(&other_id, &challenge, &h(AUTH_DATA), &h(SIGNATURE), 0),
            Err(Error::Refused("rpIdHash"))
        );
        // No user presence.
        let mut absent = h(AUTH_DATA);
        absent[32] &= !UP;
        assert_eq!(
            assert_with(&rp(), &challenge, &absent, &h(SIGNATURE), 0),
            Err(Error::Refused("user not present"))
        );
        // Trailing bytes after the authenticator data.
        let mut long = h(AUTH_DATA);
        long.push(0);
        assert_eq!(
            assert_with(&rp(), &challenge, &long, &h(SIGNATURE), 0),
            Err(Error::Malformed("authenticator data has trailing bytes"))
        );
    }

    #[test]
    fn a_counter_that_does_not_grow_is_refused() {
        // The vector's counter is 0: with a stored counter of 3 it went backwards.
        let challenge = unb64(AUTH_CHALLENGE).unwrap();
        assert_eq!(
            assert_with(&rp(), &challenge, &h(AUTH_DATA), &h(SIGNATURE), 3),
            Err(Error::Refused("signature counter did not increase"))
        );
    }

    #[test]
    fn cut_or_flipped_input_is_an_error_never_a_panic() {
        let rp = rp();
        let reg_challenge = unb64(REG_CHALLENGE).unwrap();
        let object = h(ATTESTATION_OBJECT);
        for end in 0..object.len() {
            assert!(
                verify_registration(
                    &expect(&rp, &reg_challenge),
                    &h(CREDENTIAL_ID),
                    &h(REG_CLIENT_DATA),
                    &object[..end]
                )
                .is_err()
            );
        }
        // Every single-bit change of the attestation object is refused or still reads as the
        // same credential (a bit in the ignored AAGUID), never accepted as something else.
        let good = register(&rp, &reg_challenge).unwrap();
        for i in 0..object.len() * 8 {
            let mut bad = object.clone();
            bad[i / 8] ^= 1 << (i % 8);
            if let Ok(new) = verify_registration(
                &expect(&rp, &reg_challenge),
                &h(CREDENTIAL_ID),
                &h(REG_CLIENT_DATA),
                &bad,
            ) {
                assert_eq!(
                    (new.credential_id, new.public_key.len()),
                    (good.credential_id.clone(), good.public_key.len()),
                    "bit {i}"
                );
            }
        }
        let auth_challenge = unb64(AUTH_CHALLENGE).unwrap();
        let data = h(AUTH_DATA);
        for end in 0..data.len() {
            assert!(assert_with(&rp, &auth_challenge, &data[..end], &h(SIGNATURE), 0).is_err());
        }
        for i in 0..data.len() * 8 {
            let mut bad = data.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert!(
                assert_with(&rp, &auth_challenge, &bad, &h(SIGNATURE), 0).is_err(),
                "bit {i}"
            );
        }
    }

    #[test]
    fn cbor_is_read_strictly() {
        use cbor::{Value, decode};
        assert_eq!(decode(&[0x20]), Ok(Value::Negative(0)));
        assert_eq!(decode(&[0x20]).unwrap().as_int(), Some(-1));
        assert_eq!(
            decode(&[0x39, 0x01, 0x00]).unwrap().as_int(),
            Some(RS256),
            "-257"
        );
        // Indefinite lengths, truncation, trailing bytes, duplicate keys, tags, floats.
        for bad in [
            &[0x5f, 0x41, 0x00, 0xff][..],
            &[0x58, 0x05, 0x00],
            &[0x00, 0x00],
            &[0xa2, 0x01, 0x00, 0x01, 0x00],
            &[0xc0, 0x00],
            &[0xf9, 0x3c, 0x00],
            &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ] {
            assert!(decode(bad).is_err(), "{bad:02x?}");
        }
        let mut deep = vec![0x81u8; 40];
        deep.push(0x00);
        assert!(decode(&deep).is_err());
    }
}
