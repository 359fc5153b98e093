//! Orders: taking them (guests, the shop's own systems, staff), listing, reading, and moving
//! them through their lifecycle.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orderbell_core::order::{OrderAction, OrderEvent, OrderSource, OrderStatus};
use orderbell_core::pricing::OrderRequest;
use orderbell_core::{OrderId, Timestamp, ValidationErrors};
use orderbell_store::{IdempotencyKey, OrderFilter};
use serde::Deserialize;

use super::views::{OrderPageView, OrderView, order_with_jobs, orders_with_jobs};
use crate::events::{EventKind, ShopEvent};
use crate::http::auth::{Caller, Need, access, shop_access};
use crate::http::client::ClientIp;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::json::{ApiJson, ApiJsonWithBytes, ApiQuery, OptionalJson};
use crate::intake::{Intake, Taken, take};
use crate::security::token;
use crate::state::AppState;

fn parse_order_id(id: &str) -> ApiResult<OrderId> {
    OrderId::parse(id).ok_or_else(ApiError::not_found)
}

/// The `Idempotency-Key` header, checked: 1 to 255 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or("");
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::field(
            "Idempotency-Key",
            "invalid",
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(Some(key.to_owned()))
}

/// A hash of the request that does not depend on whitespace or key order.
fn request_hash(body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .map(|v| v.to_string().into_bytes())
        .unwrap_or_else(|_| body.to_vec());
    token::hash_bytes(&canonical)
}

/// Takes a new order.
///
/// Without credentials this is a guest order: lines name menu items and options, the server
/// prices them. With an API key (`orders:write`) or as a signed-in member, lines may also be
/// free-form with prices. Answers 201 once the order is durably stored; a repeated
/// `Idempotency-Key` with the same body answers 200 with the same order.
#[utoipa::path(post, operation_id = "create_order", path = "/api/v1/shops/{slug}/orders", tag = "orders",
    params(("slug" = String, Path, description = "The shop"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = OrderRequest,
    responses((status = 201, body = OrderView), (status = 200, description = "Replayed", body = OrderView),
              (status = 409, description = "`shop_closed`: guests cannot order now (opening hours or a pause); `reopens_at` says when", body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJsonWithBytes(request, body): ApiJsonWithBytes<OrderRequest>,
) -> ApiResult<Response> {
    let shop = state
        .store
        .shop_by_slug(&slug)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let (source, scope) = match &caller {
        Caller::ApiKey(key) => {
            access(&state, &caller, &shop, Need::WriteOrders).await?;
            (OrderSource::Api, format!("api:{}", key.id))
        }
        Caller::User { user, .. } if state.store.role(&shop.id, &user.id).await?.is_some() => {
            (OrderSource::Staff, format!("user:{}", user.id))
        }
        // A guest's keys are its own: scoped to the client's address, so one client can neither
        // replay another's order (and read its details) nor block its key. A guest whose
        // address changes between retries makes a second order; docs/security.md says so.
        _ => (OrderSource::Guest, format!("guest:{ip}")),
    };
    let guest = source == OrderSource::Guest;
    let key = idempotency_key(&headers)?;
    let intake = Intake {
        source,
        actor: if guest {
            orderbell_core::order::Actor::guest()
        } else {
            caller.actor()
        },
        ip,
        idempotency: key.map(|k| IdempotencyKey {
            key: format!("{scope}:{k}"),
            request_hash: request_hash(&body),
        }),
    };
    let created = take(&state, &shop, intake, &request).await?;
    let (status, view, replayed) = match created {
        // The jobs were written with the order: nothing to read back.
        Taken::New(o, jobs) => (
            StatusCode::CREATED,
            OrderView::with_jobs(&state, &shop.slug, o, jobs),
            false,
        ),
        Taken::Replayed(o) => (
            StatusCode::OK,
            order_with_jobs(&state, &shop.slug, o).await?,
            true,
        ),
    };
    let location = format!("/api/v1/shops/{}/orders/{}", shop.slug, view.id);
    let mut response = (status, Json(view)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Comma-separated statuses, e.g. `pending,accepted`.
    pub status: Option<String>,
    /// Only orders created at or after this time (RFC 3339).
    pub since: Option<String>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

use orderbell_core::cursor::{decode as decode_cursor, encode as encode_cursor};

/// Lists the shop's orders, newest first.
#[utoipa::path(get, operation_id = "list_orders", path = "/api/v1/shops/{slug}/orders", tag = "orders",
    params(("slug" = String, Path), ListQuery),
    responses((status = 200, body = OrderPageView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<OrderPageView>> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::ReadOrders).await?;
    let mut errors = ValidationErrors::new();
    let mut statuses = vec![];
    for s in q
        .status
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match s.parse::<OrderStatus>() {
            Ok(st) => statuses.push(st),
            Err(_) => errors.add("status", "invalid", format!("unknown status {s:?}")),
        }
    }
    let since = match q.since.as_deref() {
        Some(s) => match s.parse::<Timestamp>() {
            Ok(t) => Some(t),
            Err(_) => {
                errors.add(
                    "since",
                    "invalid",
                    "since must be an RFC 3339 time, e.g. 2026-11-28T05:00:00Z",
                );
                None
            }
        },
        None => None,
    };
    let before_number = match q.cursor.as_deref() {
        Some(c) => {
            let n = decode_cursor(c);
            if n.is_none() {
                errors.add("cursor", "invalid", "cursor is not one this server gave");
            }
            n
        }
        None => None,
    };
    let limit = q.limit.unwrap_or(50);
    errors.range("limit", limit, 1, 100);
    errors.into_result()?;
    let page = state
        .store
        .orders(
            &shop.id,
            OrderFilter {
                statuses,
                since,
                before_number,
                limit,
            },
        )
        .await?;
    Ok(Json(OrderPageView {
        next_cursor: page.next_before_number.map(encode_cursor),
        orders: orders_with_jobs(&state, &shop.slug, page.orders).await?,
    }))
}

/// One order of the shop.
#[utoipa::path(get, operation_id = "get_order", path = "/api/v1/shops/{slug}/orders/{id}", tag = "orders",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult<Json<OrderView>> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::ReadOrders).await?;
    let id = parse_order_id(&id)?;
    let order = state
        .store
        .order(&shop.id, &id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(order_with_jobs(&state, &shop.slug, order).await?))
}

/// Who did what to the order, oldest first.
#[utoipa::path(get, path = "/api/v1/shops/{slug}/orders/{id}/events", tag = "orders",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Vec<OrderEvent>), (status = 404, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult<Json<Vec<OrderEvent>>> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::ReadOrders).await?;
    let id = parse_order_id(&id)?;
    state
        .store
        .order(&shop.id, &id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(state.store.order_events(&shop.id, &id).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// Minutes until the order is ready, 1 to 240.
    pub eta_minutes: i64,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Shown to the customer; at most 200 characters.
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyRequest {}

async fn act(
    state: &AppState,
    slug: &str,
    id: &str,
    caller: &Caller,
    action: OrderAction,
) -> ApiResult<Json<OrderView>> {
    let (shop, caller) = shop_access(state, caller, slug, Need::WriteOrders).await?;
    let id = parse_order_id(id)?;
    let order = state
        .store
        .apply_order_action(&shop.id, &id, action, caller.actor(), state.now())
        .await?;
    state
        .events
        .publish(ShopEvent::of_order(EventKind::OrderUpdated, &order));
    Ok(Json(order_with_jobs(state, &shop.slug, order).await?))
}

/// Someone saw the order (stops the alarm); changes nothing else.
#[utoipa::path(post, path = "/api/v1/shops/{slug}/orders/{id}/acknowledge", tag = "orders",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
    OptionalJson(_): OptionalJson<EmptyRequest>,
) -> ApiResult<Json<OrderView>> {
    act(&state, &slug, &id, &caller, OrderAction::Acknowledge).await
}

/// Accepts a pending order with the minutes until it is ready.
#[utoipa::path(post, path = "/api/v1/shops/{slug}/orders/{id}/accept", tag = "orders",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = AcceptRequest,
    responses((status = 200, body = OrderView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(body): ApiJson<AcceptRequest>,
) -> ApiResult<Json<OrderView>> {
    let action = OrderAction::accept(body.eta_minutes)?;
    act(&state, &slug, &id, &caller, action).await
}

/// Rejects a pending order.
#[utoipa::path(post, path = "/api/v1/shops/{slug}/orders/{id}/reject", tag = "orders",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = ReasonRequest,
    responses((status = 200, body = OrderView), (status = 409, body = ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
    OptionalJson(body): OptionalJson<ReasonRequest>,
) -> ApiResult<Json<OrderView>> {
    let action = OrderAction::reject(body.reason.as_deref())?;
    act(&state, &slug, &id, &caller, action).await
}

/// Marks an accepted order ready.
#[utoipa::path(post, path = "/api/v1/shops/{slug}/orders/{id}/ready", tag = "orders",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 409, body = ErrorBody)))]
pub async fn ready(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
    OptionalJson(_): OptionalJson<EmptyRequest>,
) -> ApiResult<Json<OrderView>> {
    act(&state, &slug, &id, &caller, OrderAction::Ready).await
}

/// Completes a ready order (picked up, served or delivered).
#[utoipa::path(post, path = "/api/v1/shops/{slug}/orders/{id}/complete", tag = "orders",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 409, body = ErrorBody)))]
pub async fn complete(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
    OptionalJson(_): OptionalJson<EmptyRequest>,
) -> ApiResult<Json<OrderView>> {
    act(&state, &slug, &id, &caller, OrderAction::Complete).await
}

/// Cancels an order that is pending, accepted or ready.
#[utoipa::path(post, path = "/api/v1/shops/{slug}/orders/{id}/cancel", tag = "orders",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = ReasonRequest,
    responses((status = 200, body = OrderView), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
    OptionalJson(body): OptionalJson<ReasonRequest>,
) -> ApiResult<Json<OrderView>> {
    let action = OrderAction::cancel(body.reason.as_deref())?;
    act(&state, &slug, &id, &caller, action).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_fail() {
        assert_eq!(decode_cursor(&encode_cursor(1042)), Some(1042));
        assert_eq!(decode_cursor("bm86MTA0Mg"), None);
        assert_eq!(decode_cursor("!!"), None);
    }

    #[test]
    fn request_hashes_ignore_layout() {
        assert_eq!(
            request_hash(br#"{"a":1,"b":[2]}"#),
            request_hash(b"{ \"b\": [2], \"a\": 1 }")
        );
        assert_ne!(request_hash(br#"{"a":1}"#), request_hash(br#"{"a":2}"#));
    }
}
