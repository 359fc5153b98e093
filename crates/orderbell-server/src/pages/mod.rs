//! Web pages rendered by the server: guest ordering, tracking, accounts, the dashboard PWA
//! (issue 5).

use axum::Router;

use crate::state::AppState;

/// Routes of this module (full paths).
pub fn routes() -> Router<AppState> {
    Router::new()
}
