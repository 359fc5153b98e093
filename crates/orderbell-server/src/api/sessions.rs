//! One's own sessions: where the account is signed in, and ending them (docs/accounts.md).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use orderbell_core::Timestamp;
use serde::Serialize;

use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// How many hex digits of a session's token hash name it.
pub const ID_DIGITS: usize = 16;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionEntry {
    /// Names the session for `DELETE /api/v1/me/sessions/{id}` (not a credential).
    pub id: String,
    /// The session this request came with.
    pub current: bool,
    /// `password` (with two-step sign-in when it is on).
    pub auth_method: String,
    /// The browser that signed in, as it named itself.
    pub user_agent: Option<String>,
    /// The address it signed in from.
    pub ip: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// When it was last used (recorded every few minutes).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
}

fn own_session(caller: &Caller) -> ApiResult<(&orderbell_core::user::User, &str)> {
    match caller {
        Caller::User { user, token_hash } => Ok((user, token_hash)),
        _ => Err(ApiError::unauthenticated("sign in first")),
    }
}

/// The signed-in user's live sessions, the most recently used first.
pub async fn entries(
    state: &AppState,
    user: &orderbell_core::user::User,
    current: &str,
) -> ApiResult<Vec<SessionEntry>> {
    Ok(state
        .store
        .sessions_of(&user.id, state.now())
        .await?
        .into_iter()
        .map(|s| SessionEntry {
            id: s.token_hash.chars().take(ID_DIGITS).collect(),
            current: s.token_hash == current,
            auth_method: s.auth_method,
            user_agent: s.user_agent,
            ip: s.ip,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
        })
        .collect())
}

/// Where this account is signed in.
#[utoipa::path(get, operation_id = "list_sessions", path = "/api/v1/me/sessions", tag = "accounts",
    responses((status = 200, body = Vec<SessionEntry>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<SessionEntry>>> {
    let (user, current) = own_session(&caller)?;
    Ok(Json(entries(&state, user, current).await?))
}

/// Ends one session (another device, or this one).
#[utoipa::path(delete, operation_id = "end_session", path = "/api/v1/me/sessions/{id}", tag = "accounts",
    params(("id" = String, Path, description = "a session's `id` from the list")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let (user, _) = own_session(&caller)?;
    if state.store.end_session(&user.id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}

/// Ends every session of the account but this one.
#[utoipa::path(delete, operation_id = "end_other_sessions", path = "/api/v1/me/sessions", tag = "accounts",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn end_others(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    let (user, current) = own_session(&caller)?;
    state.store.delete_other_sessions(&user.id, current).await?;
    Ok(StatusCode::NO_CONTENT)
}
