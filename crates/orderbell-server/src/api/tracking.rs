//! Public order tracking by the token in the guest's link.

use axum::Json;
use axum::extract::{Path, State};

use super::views::TrackingView;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// The order a tracking link points to, as its guest sees it.
#[utoipa::path(get, operation_id = "get_tracked_order", path = "/api/v1/orders/{tracking_token}", tag = "orders",
    params(("tracking_token" = String, Path)),
    responses((status = 200, body = TrackingView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<TrackingView>> {
    let id = state
        .tracking
        .order_id(&token)
        .ok_or_else(ApiError::not_found)?;
    let order = state
        .store
        .order_by_id(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let shop = state
        .store
        .shop(&order.shop_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(TrackingView::new(shop, order, state.now())))
}
