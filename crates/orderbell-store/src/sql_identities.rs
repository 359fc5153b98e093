//! [`IdentityStore`] on the SQL store: `queries::identities` on the writer and readers.

use async_trait::async_trait;
use orderbell_core::user::User;
use orderbell_core::{Timestamp, UserId};

use crate::identities::{Identity, IdentityStore, NewIdentity, OidcFlow};
use crate::queries::identities as q;
use crate::records::NewUser;
use crate::{Result, SqlStore};

#[async_trait]
impl IdentityStore for SqlStore {
    async fn create_oidc_flow(&self, flow: OidcFlow) -> Result<()> {
        self.write(move |db| q::create_flow(db, &flow)).await
    }

    async fn take_oidc_flow(&self, state_hash: &str, now: Timestamp) -> Result<Option<OidcFlow>> {
        let hash = state_hash.to_owned();
        self.write(move |db| q::take_flow(db, &hash, now)).await
    }

    async fn identity_user(
        &self,
        issuer: &str,
        subject: &str,
        now: Timestamp,
    ) -> Result<Option<User>> {
        let (issuer, subject) = (issuer.to_owned(), subject.to_owned());
        self.write(move |db| q::identity_user(db, &issuer, &subject, now))
            .await
    }

    async fn link_identity(&self, identity: NewIdentity) -> Result<Identity> {
        self.write(move |db| q::link(db, &identity)).await
    }

    async fn create_user_with_identity(
        &self,
        user: NewUser,
        identity: NewIdentity,
    ) -> Result<(User, Identity)> {
        self.write(move |db| q::create_user_with(db, &user, &identity))
            .await
    }

    async fn identities_of(&self, user: &UserId) -> Result<Vec<Identity>> {
        let user = user.clone();
        self.read(move |db| q::of(db, &user)).await
    }

    async fn unlink_identity(&self, user: &UserId, id: &str) -> Result<()> {
        let (user, id) = (user.clone(), id.to_owned());
        self.write(move |db| q::unlink(db, &user, &id)).await
    }
}
