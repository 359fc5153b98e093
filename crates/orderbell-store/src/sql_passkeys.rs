//! [`PasskeyStore`] on the SQL store: `queries::passkeys` on the writer and readers.

use async_trait::async_trait;
use orderbell_core::{PasskeyId, Timestamp, UserId};

use crate::passkeys::{ChallengePurpose, NewPasskey, Passkey, PasskeyStore};
use crate::queries::passkeys as q;
use crate::{Result, SqlStore};

#[async_trait]
impl PasskeyStore for SqlStore {
    async fn create_passkey(&self, passkey: NewPasskey) -> Result<Passkey> {
        self.write(move |db| q::create(db, &passkey)).await
    }

    async fn passkeys_of(&self, user: &UserId) -> Result<Vec<Passkey>> {
        let user = user.clone();
        self.read(move |db| q::of_user(db, &user)).await
    }

    async fn has_passkey(&self, user: &UserId) -> Result<bool> {
        let user = user.clone();
        self.read(move |db| q::has_any(db, &user)).await
    }

    async fn passkey_by_credential(&self, credential_id: &str) -> Result<Option<Passkey>> {
        let id = credential_id.to_owned();
        self.read(move |db| q::by_credential(db, &id)).await
    }

    async fn rename_passkey(&self, user: &UserId, id: &PasskeyId, name: &str) -> Result<Passkey> {
        let (user, id, name) = (user.clone(), id.clone(), name.to_owned());
        self.write(move |db| q::rename(db, &user, &id, &name)).await
    }

    async fn delete_passkey(&self, user: &UserId, id: &PasskeyId) -> Result<()> {
        let (user, id) = (user.clone(), id.clone());
        self.write(move |db| q::delete(db, &user, &id)).await
    }

    async fn use_passkey(
        &self,
        id: &PasskeyId,
        seen: i64,
        new: i64,
        now: Timestamp,
    ) -> Result<bool> {
        let id = id.clone();
        self.write(move |db| q::use_passkey(db, &id, seen, new, now))
            .await
    }

    async fn create_webauthn_challenge(
        &self,
        hash: &str,
        user: Option<&UserId>,
        purpose: ChallengePurpose,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        let (hash, user) = (hash.to_owned(), user.cloned());
        self.write(move |db| {
            q::create_challenge(db, &hash, user.as_ref(), purpose, expires_at, now)
        })
        .await
    }

    async fn take_webauthn_challenge(
        &self,
        hash: &str,
        purpose: ChallengePurpose,
        now: Timestamp,
    ) -> Result<Option<Option<UserId>>> {
        let hash = hash.to_owned();
        self.write(move |db| q::take_challenge(db, &hash, purpose, now))
            .await
    }
}
