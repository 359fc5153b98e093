//! TODO(dynamodb): passkeys
#![allow(unused_imports)]

use crate::Result;
use crate::passkeys::*;
use crate::records::*;
use orderbell_core::{PasskeyId, Timestamp, UserId};

use super::{DynamoStore, unsupported};
pub(super) async fn create_passkey(_s: &DynamoStore, _passkey: NewPasskey) -> Result<Passkey> {
    Err(unsupported("create_passkey"))
}

pub(super) async fn passkeys_of(_s: &DynamoStore, _user: &UserId) -> Result<Vec<Passkey>> {
    Err(unsupported("passkeys_of"))
}

pub(super) async fn has_passkey(_s: &DynamoStore, _user: &UserId) -> Result<bool> {
    Err(unsupported("has_passkey"))
}

pub(super) async fn passkey_by_credential(
    _s: &DynamoStore,
    _credential_id: &str,
) -> Result<Option<Passkey>> {
    Err(unsupported("passkey_by_credential"))
}

pub(super) async fn rename_passkey(
    _s: &DynamoStore,
    _user: &UserId,
    _id: &PasskeyId,
    _name: &str,
) -> Result<Passkey> {
    Err(unsupported("rename_passkey"))
}

pub(super) async fn delete_passkey(
    _s: &DynamoStore,
    _user: &UserId,
    _id: &PasskeyId,
) -> Result<()> {
    Err(unsupported("delete_passkey"))
}

pub(super) async fn use_passkey(
    _s: &DynamoStore,
    _id: &PasskeyId,
    _seen: i64,
    _new: i64,
    _now: Timestamp,
) -> Result<bool> {
    Err(unsupported("use_passkey"))
}

pub(super) async fn create_webauthn_challenge(
    _s: &DynamoStore,
    _hash: &str,
    _user: Option<&UserId>,
    _purpose: ChallengePurpose,
    _expires_at: Timestamp,
    _now: Timestamp,
) -> Result<()> {
    Err(unsupported("create_webauthn_challenge"))
}

pub(super) async fn take_webauthn_challenge(
    _s: &DynamoStore,
    _hash: &str,
    _purpose: ChallengePurpose,
    _now: Timestamp,
) -> Result<Option<Option<UserId>>> {
    Err(unsupported("take_webauthn_challenge"))
}
