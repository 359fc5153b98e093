//! Two-step sign-in for one's own account: a TOTP authenticator (RFC 6238) and recovery codes
//! (docs/accounts.md). Sign-in itself checks the second factor in `accounts::login`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use orderbell_core::user::User;
use serde::{Deserialize, Serialize};

use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::json::ApiJson;
use crate::security::{token, totp};
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TotpSetup {
    /// The secret, base32, for typing into an authenticator by hand.
    pub secret: String,
    /// `otpauth://totp/Orderbell:{email}?secret=…&issuer=Orderbell` (the QR code's content).
    pub otpauth_uri: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    /// Six digits from the authenticator.
    pub code: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes for when the authenticator is lost; shown this once.
    pub recovery_codes: Vec<String>,
}

fn unix_seconds(state: &AppState) -> u64 {
    u64::try_from(state.now().as_second()).unwrap_or_default()
}

/// Starts setting up an authenticator: a new secret, not in use until confirmed (201). 409
/// while two-step sign-in is on.
#[utoipa::path(post, operation_id = "start_totp", path = "/api/v1/me/mfa/totp", tag = "accounts",
    responses((status = 201, body = TotpSetup), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(StatusCode, Json<TotpSetup>)> {
    let user = caller.user()?;
    Ok((StatusCode::CREATED, Json(begin(&state, user).await?)))
}

/// A new pending secret for `user` (API and account page).
pub async fn begin(state: &AppState, user: &User) -> ApiResult<TotpSetup> {
    let secret = totp::new_secret();
    let otpauth_uri = totp::otpauth_uri(&secret, &user.email)
        .ok_or_else(|| ApiError::internal("otpauth URI", &"the secret did not encode"))?;
    state
        .store
        .set_pending_totp(&user.id, &secret, state.now())
        .await?;
    Ok(TotpSetup {
        secret,
        otpauth_uri,
    })
}

/// Turns two-step sign-in on with a code from the authenticator; answers the recovery codes.
#[utoipa::path(post, operation_id = "confirm_totp", path = "/api/v1/me/mfa/totp/confirm", tag = "accounts", request_body = TotpCode,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<TotpCode>,
) -> ApiResult<Json<RecoveryCodes>> {
    let user = caller.user()?;
    Ok(Json(finish(&state, user, &body.code).await?))
}

/// Checks the first code against the pending secret and turns it on (API and account page).
pub async fn finish(state: &AppState, user: &User, code: &str) -> ApiResult<RecoveryCodes> {
    let pending = state
        .store
        .totp(&user.id)
        .await?
        .filter(|t| !t.confirmed)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "nothing to confirm: start with POST /api/v1/me/mfa/totp",
            )
        })?;
    let step =
        totp::matching_step(&pending.secret, code, unix_seconds(state)).ok_or_else(|| {
            ApiError::field(
                "code",
                "invalid",
                "the code does not match; try the next one",
            )
        })?;
    let codes = totp::new_recovery_codes();
    let hashes = codes
        .iter()
        .map(|c| token::hash(&totp::normalize_recovery_code(c)))
        .collect();
    if !state
        .store
        .confirm_totp(&user.id, step, hashes, state.now())
        .await?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "two-step sign-in is on already",
        ));
    }
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

/// Turns two-step sign-in off (the secret and the recovery codes go).
#[utoipa::path(delete, operation_id = "remove_totp", path = "/api/v1/me/mfa/totp", tag = "accounts",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn remove(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    let user = caller.user()?;
    state.store.remove_totp(&user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a sign-in brought for the second factor.
#[derive(Debug, Default)]
pub struct SecondFactor<'a> {
    pub totp: Option<&'a str>,
    pub recovery_code: Option<&'a str>,
}

/// Checks the second factor of a user whose password was right: nothing to check without one;
/// 401 `mfa_required` when it was not given, `mfa_invalid` when it is wrong or used.
pub async fn check(state: &AppState, user: &User, given: SecondFactor<'_>) -> ApiResult<()> {
    let Some(factor) = state.store.totp(&user.id).await?.filter(|t| t.confirmed) else {
        return Ok(());
    };
    let invalid = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "mfa_invalid",
            "the code is wrong or was used already",
        )
    };
    match given {
        SecondFactor {
            totp: Some(code), ..
        } => {
            let step = totp::matching_step(&factor.secret, code, unix_seconds(state))
                .ok_or_else(invalid)?;
            if state.store.use_totp_step(&user.id, step).await? {
                Ok(())
            } else {
                Err(invalid())
            }
        }
        SecondFactor {
            recovery_code: Some(code),
            ..
        } => {
            let hash = token::hash(&totp::normalize_recovery_code(code));
            if state
                .store
                .use_recovery_code(&user.id, &hash, state.now())
                .await?
            {
                Ok(())
            } else {
                Err(invalid())
            }
        }
        _ => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "mfa_required",
            "two-step sign-in is on: send the authenticator's code as `totp` (or a recovery code as `recovery_code`)",
        )),
    }
}

/// Whether the user's two-step sign-in is on.
pub async fn is_on(state: &AppState, user: &User) -> ApiResult<bool> {
    Ok(state
        .store
        .totp(&user.id)
        .await?
        .is_some_and(|t| t.confirmed))
}

/// Whether the user has a second step a shop's `require_mfa_for_owners` accepts: an
/// authenticator (TOTP) that is on, or a passkey (which verifies the user itself).
pub async fn has_two_step(state: &AppState, user: &User) -> ApiResult<bool> {
    Ok(is_on(state, user).await? || state.store.has_passkey(&user.id).await?)
}

/// 403 `mfa_not_set_up`: the shop requires two-step sign-in of its owners.
pub fn not_set_up() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "mfa_not_set_up",
        "this needs two-step sign-in on your account: an authenticator (POST /api/v1/me/mfa/totp) or a passkey (POST /api/v1/me/passkeys/options), or the account page",
    )
}
