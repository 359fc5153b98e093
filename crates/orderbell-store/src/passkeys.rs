//! Passkeys (WebAuthn credentials) of an account, and the single-use challenges that
//! registering and signing in with them answer. The server checks the WebAuthn ceremonies;
//! this keeps what they need: each credential's id, COSE public key and signature counter,
//! and each challenge's SHA-256 hash until it is used or expires.

use async_trait::async_trait;
use orderbell_core::{PasskeyId, Timestamp, UserId};

use crate::Result;

/// A passkey to store.
#[derive(Debug, Clone)]
pub struct NewPasskey {
    pub id: PasskeyId,
    pub user_id: UserId,
    /// The credential id, base64url without padding.
    pub credential_id: String,
    /// The COSE_Key, as the authenticator sent it.
    pub public_key: Vec<u8>,
    /// The COSE algorithm (-7 ES256, -257 RS256).
    pub alg: i64,
    pub sign_count: i64,
    pub name: String,
    pub transports: Vec<String>,
    pub created_at: Timestamp,
}

/// A passkey as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passkey {
    pub id: PasskeyId,
    pub user_id: UserId,
    pub credential_id: String,
    pub public_key: Vec<u8>,
    pub alg: i64,
    pub sign_count: i64,
    pub name: String,
    pub transports: Vec<String>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// What a challenge was given out for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengePurpose {
    /// Registering a passkey on the signed-in account.
    Register,
    /// Signing in with a passkey.
    SignIn,
}

impl ChallengePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengePurpose::Register => "register",
            ChallengePurpose::SignIn => "sign_in",
        }
    }
}

#[async_trait]
pub trait PasskeyStore {
    /// Stores a passkey; `Conflict` when its credential id is registered already (to anyone).
    async fn create_passkey(&self, passkey: NewPasskey) -> Result<Passkey>;
    /// A user's passkeys, the oldest first.
    async fn passkeys_of(&self, user: &UserId) -> Result<Vec<Passkey>>;
    /// Whether the user has at least one passkey.
    async fn has_passkey(&self, user: &UserId) -> Result<bool>;
    /// The passkey with this credential id (base64url), whoever's it is.
    async fn passkey_by_credential(&self, credential_id: &str) -> Result<Option<Passkey>>;
    /// Renames one of the user's passkeys; `NotFound` when the user has no such passkey.
    async fn rename_passkey(&self, user: &UserId, id: &PasskeyId, name: &str) -> Result<Passkey>;
    /// Removes one of the user's passkeys; `NotFound` when the user has no such passkey.
    async fn delete_passkey(&self, user: &UserId, id: &PasskeyId) -> Result<()>;
    /// Records a sign-in: the counter moves from `seen` to `new` and the time is kept. `false`
    /// (nothing changes) when the stored counter is no longer `seen` (another sign-in won the
    /// race) or the passkey is gone.
    async fn use_passkey(
        &self,
        id: &PasskeyId,
        seen: i64,
        new: i64,
        now: Timestamp,
    ) -> Result<bool>;
    /// Keeps a new challenge (its SHA-256 hash), for `user` when it is a registration; drops
    /// the expired ones.
    async fn create_webauthn_challenge(
        &self,
        hash: &str,
        user: Option<&UserId>,
        purpose: ChallengePurpose,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<()>;
    /// Uses a challenge once: `Some(user it was given to)` when it exists for this purpose, is
    /// unused and unexpired (it is used from then on), `None` otherwise.
    async fn take_webauthn_challenge(
        &self,
        hash: &str,
        purpose: ChallengePurpose,
        now: Timestamp,
    ) -> Result<Option<Option<UserId>>>;
}
