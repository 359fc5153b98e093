//! Invitations to join a shop (docs/accounts.md, "Staff invitations and roles"): an owner makes
//! a single-use link for a role, mailed to an address or handed out; whoever opens it signed in
//! joins the shop with that role. Links live 7 days and are stored as SHA-256 hashes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::SignedDuration;
use orderbell_core::i18n::Lang;
use orderbell_core::shop::Shop;
use orderbell_core::text::normalize_email;
use orderbell_core::user::{Member, Role, User};
use orderbell_core::{InvitationId, Timestamp};
use orderbell_store::{Invitation, NewInvitation, StoreError};
use serde::{Deserialize, Serialize};

use crate::http::auth::{Caller, Need, shop_access};
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::json::ApiJson;
use crate::security::token;
use crate::state::AppState;

/// An invitation works this long.
pub const VALID: SignedDuration = SignedDuration::from_hours(24 * 7);

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationRequest {
    pub role: Role,
    /// Where to mail the link (needs mail on the server); left out, the link is only shown.
    pub email: Option<String>,
}

/// An open invitation (its link is shown only when it is made).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    pub id: InvitationId,
    pub role: Role,
    /// Where it was mailed, if it was.
    pub email: Option<String>,
    /// The name of who made it.
    pub invited_by: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
}

impl From<Invitation> for InvitationView {
    fn from(i: Invitation) -> InvitationView {
        InvitationView {
            id: i.id,
            role: i.role,
            email: i.email,
            invited_by: i.invited_by,
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

/// A new invitation: the link, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationCreated {
    #[serde(flatten)]
    pub invitation: InvitationView,
    /// `{public_url}/invite/{token}`: single use, until `expires_at`.
    pub url: String,
}

/// What the holder of a link sees before joining.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationPreview {
    pub shop: String,
    pub shop_name: String,
    pub role: Role,
    pub invited_by: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
}

/// The shop joined.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Joined {
    /// The shop's slug.
    pub shop: String,
    pub member: Member,
}

/// Makes an invitation and, with `email`, mails it (in the reader's language of the shop).
pub async fn invite(
    state: &AppState,
    shop: &Shop,
    by: Option<&User>,
    role: Role,
    email: Option<&str>,
    lang: Lang,
) -> ApiResult<InvitationCreated> {
    let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(raw) => Some(normalize_email(raw).ok_or_else(|| {
            ApiError::field("email", "invalid", "email is not an e-mail address")
        })?),
    };
    if email.is_some() && !crate::account_mail::enabled(state) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_configured",
            "this server sends no mail: leave `email` out and hand out the link",
        ));
    }
    if let Some(to) = &email {
        state.limits.account_mail(to).await?;
    }
    let secret = token::new_token();
    let now = state.now();
    let expires_at = now
        .checked_add(VALID)
        .map_err(|e| ApiError::internal("invitation expiry", &e))?;
    let url = format!("{}/invite/{secret}", state.config.public_url);
    let inviter = by.map_or_else(|| shop.name.clone(), |u| u.name.clone());
    let mail = match &email {
        Some(to) => Some(crate::account_mail::invitation(
            state,
            to,
            shop,
            role,
            &inviter,
            url.clone(),
            lang,
        )?),
        None => None,
    };
    let invitation = state
        .store
        .create_invitation(
            NewInvitation {
                id: state.new_id(InvitationId::from_parts),
                shop_id: shop.id.clone(),
                token_hash: token::hash(&secret),
                role,
                email,
                invited_by: by.map(|u| u.id.clone()),
                created_at: now,
                expires_at,
            },
            mail,
        )
        .await?;
    if let Ok(n) = &state.notifier {
        n.wake.notify_one();
    }
    Ok(InvitationCreated {
        invitation: invitation.into(),
        url,
    })
}

/// Joins the shop of an open invitation. 404 for a link that is not open, 409
/// `already_member` (the link stays usable), 409 `email_unverified` for an owner's invitation
/// to an account whose address is unconfirmed.
pub async fn join(state: &AppState, user: &User, secret: &str) -> ApiResult<(Shop, Member)> {
    let hash = token::hash(secret);
    let now = state.now();
    let (invitation, _) = state
        .store
        .invitation(&hash, now)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if invitation.role == Role::Owner && !user.email_verified {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "email_unverified",
            "an owner's e-mail address must be confirmed: open the link sent to it first",
        ));
    }
    match state.store.accept_invitation(&hash, &user.id, now).await {
        Err(StoreError::Conflict(message)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_member",
            message,
        )),
        other => Ok(other?),
    }
}

/// Invites someone to the shop (owners only): a link for `role`, mailed to `email` or only
/// returned. The link is in this answer and nowhere else.
#[utoipa::path(post, operation_id = "create_invitation", path = "/api/v1/shops/{slug}/invitations", tag = "shops",
    params(("slug" = String, Path)), request_body = InvitationRequest,
    responses((status = 201, body = InvitationCreated), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
    ApiJson(body): ApiJson<InvitationRequest>,
) -> ApiResult<(StatusCode, Json<InvitationCreated>)> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::Owner).await?;
    let by = match &caller {
        Caller::User { user, .. } => Some(user),
        _ => None,
    };
    let lang = Lang::parse(&shop.locale).unwrap_or(Lang::En);
    let made = invite(&state, &shop, by, body.role, body.email.as_deref(), lang).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// The shop's open invitations (owners only), the newest first.
#[utoipa::path(get, operation_id = "list_invitations", path = "/api/v1/shops/{slug}/invitations", tag = "shops",
    params(("slug" = String, Path)),
    responses((status = 200, body = Vec<InvitationView>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
) -> ApiResult<Json<Vec<InvitationView>>> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::Owner).await?;
    let open = state.store.open_invitations(&shop.id, state.now()).await?;
    Ok(Json(open.into_iter().map(InvitationView::from).collect()))
}

/// Revokes an open invitation (owners only).
#[utoipa::path(delete, operation_id = "revoke_invitation", path = "/api/v1/shops/{slug}/invitations/{id}", tag = "shops",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult<StatusCode> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::Owner).await?;
    let id = InvitationId::parse(&id).ok_or_else(ApiError::not_found)?;
    state
        .store
        .revoke_invitation(&shop.id, &id, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an open invitation offers (anyone holding the link). 404 once used, revoked or expired.
#[utoipa::path(get, operation_id = "get_invitation", path = "/api/v1/invitations/{token}", tag = "shops",
    params(("token" = String, Path)),
    responses((status = 200, body = InvitationPreview), (status = 404, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    Path(secret): Path<String>,
) -> ApiResult<Json<InvitationPreview>> {
    let (invitation, shop) = state
        .store
        .invitation(&token::hash(&secret), state.now())
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(InvitationPreview {
        shop: shop.slug,
        shop_name: shop.name,
        role: invitation.role,
        invited_by: invitation.invited_by,
        expires_at: invitation.expires_at,
    }))
}

/// Accepts an invitation: the signed-in account joins the shop with its role, and the link is
/// used up. 409 `already_member` for a member (the link stays usable).
#[utoipa::path(post, operation_id = "accept_invitation", path = "/api/v1/invitations/{token}", tag = "shops",
    params(("token" = String, Path)),
    responses((status = 200, body = Joined), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    caller: Caller,
) -> ApiResult<Json<Joined>> {
    let Caller::User { user, .. } = &caller else {
        return Err(ApiError::unauthenticated(
            "sign in (or create an account) to accept an invitation",
        ));
    };
    let (shop, member) = join(&state, user, &secret).await?;
    Ok(Json(Joined {
        shop: shop.slug,
        member,
    }))
}
