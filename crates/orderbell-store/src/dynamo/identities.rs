//! TODO(dynamodb): identities
#![allow(unused_imports)]

use crate::Result;
use crate::identities::*;
use crate::records::NewUser;
use crate::records::*;
use orderbell_core::user::User;
use orderbell_core::{Timestamp, UserId};

use super::{DynamoStore, unsupported};
pub(super) async fn create_oidc_flow(_s: &DynamoStore, _flow: OidcFlow) -> Result<()> {
    Err(unsupported("create_oidc_flow"))
}

pub(super) async fn take_oidc_flow(
    _s: &DynamoStore,
    _state_hash: &str,
    _now: Timestamp,
) -> Result<Option<OidcFlow>> {
    Err(unsupported("take_oidc_flow"))
}

pub(super) async fn identity_user(
    _s: &DynamoStore,
    _issuer: &str,
    _subject: &str,
    _now: Timestamp,
) -> Result<Option<User>> {
    Err(unsupported("identity_user"))
}

pub(super) async fn link_identity(_s: &DynamoStore, _identity: NewIdentity) -> Result<Identity> {
    Err(unsupported("link_identity"))
}

pub(super) async fn create_user_with_identity(
    _s: &DynamoStore,
    _user: NewUser,
    _identity: NewIdentity,
) -> Result<(User, Identity)> {
    Err(unsupported("create_user_with_identity"))
}

pub(super) async fn identities_of(_s: &DynamoStore, _user: &UserId) -> Result<Vec<Identity>> {
    Err(unsupported("identities_of"))
}

pub(super) async fn unlink_identity(_s: &DynamoStore, _user: &UserId, _id: &str) -> Result<()> {
    Err(unsupported("unlink_identity"))
}
