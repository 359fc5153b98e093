//! [`InvitationStore`] on the SQL store: `queries::invitations` on the writer and readers.

use async_trait::async_trait;
use orderbell_core::shop::Shop;
use orderbell_core::user::Member;
use orderbell_core::{InvitationId, ShopId, Timestamp, UserId};

use crate::invitations::{Invitation, InvitationStore, NewInvitation};
use crate::notifications::NewNotification;
use crate::queries::invitations as q;
use crate::{Result, SqlStore};

#[async_trait]
impl InvitationStore for SqlStore {
    async fn create_invitation(
        &self,
        invitation: NewInvitation,
        mail: Option<NewNotification>,
    ) -> Result<Invitation> {
        self.write(move |db| q::create(db, &invitation, mail.as_ref()))
            .await
    }

    async fn open_invitations(&self, shop: &ShopId, now: Timestamp) -> Result<Vec<Invitation>> {
        let shop = shop.clone();
        self.read(move |db| q::open(db, &shop, now)).await
    }

    async fn revoke_invitation(
        &self,
        shop: &ShopId,
        id: &InvitationId,
        now: Timestamp,
    ) -> Result<()> {
        let (shop, id) = (shop.clone(), id.clone());
        self.write(move |db| q::revoke(db, &shop, &id, now)).await
    }

    async fn invitation(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(Invitation, Shop)>> {
        let hash = token_hash.to_owned();
        self.read(move |db| q::by_token(db, &hash, now)).await
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        user: &UserId,
        now: Timestamp,
    ) -> Result<(Shop, Member)> {
        let (hash, user) = (token_hash.to_owned(), user.clone());
        self.write(move |db| q::accept(db, &hash, &user, now)).await
    }
}
