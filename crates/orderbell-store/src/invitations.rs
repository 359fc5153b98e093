//! Invitations to join a shop: a single-use link (stored as the SHA-256 of its token) that
//! gives whoever opens it, signed in, a role in the shop. Valid for a fixed time, revocable.

use async_trait::async_trait;
use orderbell_core::shop::Shop;
use orderbell_core::user::{Member, Role};
use orderbell_core::{InvitationId, ShopId, Timestamp, UserId};

use crate::Result;
use crate::notifications::NewNotification;

/// An invitation to store; only the SHA-256 of its token is kept.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub id: InvitationId,
    pub shop_id: ShopId,
    pub token_hash: String,
    pub role: Role,
    /// Where it was mailed, if it was.
    pub email: Option<String>,
    pub invited_by: Option<UserId>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// An invitation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: InvitationId,
    pub shop_id: ShopId,
    pub role: Role,
    pub email: Option<String>,
    /// The name of who invited, while that account exists.
    pub invited_by: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait InvitationStore {
    /// Stores an invitation and queues the mail that carries it, in one transaction.
    async fn create_invitation(
        &self,
        invitation: NewInvitation,
        mail: Option<NewNotification>,
    ) -> Result<Invitation>;
    /// A shop's invitations that can still be used, the newest first.
    async fn open_invitations(&self, shop: &ShopId, now: Timestamp) -> Result<Vec<Invitation>>;
    /// Ends an invitation before its time (`NotFound` when the shop has no such open one).
    async fn revoke_invitation(
        &self,
        shop: &ShopId,
        id: &InvitationId,
        now: Timestamp,
    ) -> Result<()>;
    /// The open invitation with this token hash, and its shop (nothing is used).
    async fn invitation(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(Invitation, Shop)>>;
    /// Uses an invitation: `user` joins the shop with its role, and the link cannot be used
    /// again. `NotFound` when it is not open; `Conflict` (the link stays usable) when the user
    /// is a member already.
    async fn accept_invitation(
        &self,
        token_hash: &str,
        user: &UserId,
        now: Timestamp,
    ) -> Result<(Shop, Member)>;
}
