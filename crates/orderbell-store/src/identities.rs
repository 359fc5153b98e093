//! Sign-in with OpenID Connect: identities at providers (issuer and subject) linked to
//! accounts, and the sign-ins under way (stored by the SHA-256 of their `state`, single use).

use async_trait::async_trait;
use orderbell_core::user::User;
use orderbell_core::{Timestamp, UserId};

use crate::Result;
use crate::records::NewUser;

/// An identity to link; `(issuer, subject)` names it, and links to one account at most.
#[derive(Debug, Clone)]
pub struct NewIdentity {
    pub id: String,
    pub user_id: UserId,
    /// The provider's name in the configuration (`google`).
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    /// The address the provider gave, if any.
    pub email: Option<String>,
    pub created_at: Timestamp,
}

/// A linked identity as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub id: String,
    pub user_id: UserId,
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
}

/// A sign-in under way: what the callback needs to finish it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcFlow {
    /// SHA-256 (hex) of the `state` sent to the provider.
    pub state_hash: String,
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Where to go after (a local path).
    pub next: String,
    /// The signed-in account that asked to link, if any.
    pub link_user_id: Option<UserId>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait IdentityStore {
    /// Stores a sign-in under way (and forgets the expired ones).
    async fn create_oidc_flow(&self, flow: OidcFlow) -> Result<()>;
    /// Takes (deletes and returns) the live flow with this state hash: a state works once.
    async fn take_oidc_flow(&self, state_hash: &str, now: Timestamp) -> Result<Option<OidcFlow>>;
    /// The account an identity is linked to; records its use.
    async fn identity_user(
        &self,
        issuer: &str,
        subject: &str,
        now: Timestamp,
    ) -> Result<Option<User>>;
    /// Links an identity to an account. `Conflict` when it is linked already (to any account).
    async fn link_identity(&self, identity: NewIdentity) -> Result<Identity>;
    /// Creates an account and links the identity to it, in one transaction. `Conflict` when
    /// the e-mail has an account or the identity is linked.
    async fn create_user_with_identity(
        &self,
        user: NewUser,
        identity: NewIdentity,
    ) -> Result<(User, Identity)>;
    /// An account's identities, the oldest first.
    async fn identities_of(&self, user: &UserId) -> Result<Vec<Identity>>;
    /// Unlinks one of an account's identities (`NotFound` when it has no such one).
    async fn unlink_identity(&self, user: &UserId, id: &str) -> Result<()>;
}
