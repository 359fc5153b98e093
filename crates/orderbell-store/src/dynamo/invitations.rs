//! TODO(dynamodb): invitations
#![allow(unused_imports)]

use crate::Result;
use crate::invitations::*;
use crate::notifications::NewNotification;
use crate::records::*;
use orderbell_core::shop::Shop;
use orderbell_core::user::{Member, Role};
use orderbell_core::{InvitationId, ShopId, Timestamp, UserId};

use super::{DynamoStore, unsupported};
pub(super) async fn create_invitation(
    _s: &DynamoStore,
    _invitation: NewInvitation,
    _mail: Option<NewNotification>,
) -> Result<Invitation> {
    Err(unsupported("create_invitation"))
}

pub(super) async fn open_invitations(
    _s: &DynamoStore,
    _shop: &ShopId,
    _now: Timestamp,
) -> Result<Vec<Invitation>> {
    Err(unsupported("open_invitations"))
}

pub(super) async fn revoke_invitation(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &InvitationId,
    _now: Timestamp,
) -> Result<()> {
    Err(unsupported("revoke_invitation"))
}

pub(super) async fn invitation(
    _s: &DynamoStore,
    _token_hash: &str,
    _now: Timestamp,
) -> Result<Option<(Invitation, Shop)>> {
    Err(unsupported("invitation"))
}

pub(super) async fn accept_invitation(
    _s: &DynamoStore,
    _token_hash: &str,
    _user: &UserId,
    _now: Timestamp,
) -> Result<(Shop, Member)> {
    Err(unsupported("accept_invitation"))
}
