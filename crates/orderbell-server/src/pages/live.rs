//! Live links for pages, over Server-Sent Events: `/dashboard/{slug}/live` (every event of the
//! shop) and `/o/{token}/live` (changes of one order).
//!
//! The first message of every connection is `hello`: on it the page re-reads what it shows
//! (the board, or the order's status), which is how a reconnecting page catches up on what it
//! missed. Events are hints; the page always fetches the truth. A stream ends after
//! [`MAX_LIFETIME`] (the browser reconnects by itself), when the process is asked to stop (so
//! graceful shutdown is not held up by open pages), and, for a dashboard, within
//! [`SESSION_CHECK`] of its session ending or its member being removed.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use orderbell_core::{OrderId, ShopId, UserId};
use tokio::sync::watch;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::error::PageError;
use super::session::{member_of, require};
use crate::escalation::readiness::DashboardGuard;
use crate::events::{EventKind, ShopEvent};
use crate::state::AppState;

/// How long one stream lives before the browser is asked to reconnect.
const MAX_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// How often a dashboard stream checks that its session and membership still stand.
const SESSION_CHECK: Duration = Duration::from_secs(5);

/// Ends when the stream has lived [`MAX_LIFETIME`], the server starts to stop, or `access`
/// ends (the member's session or membership).
async fn end_of_stream(
    mut stopping: watch::Receiver<bool>,
    access: impl std::future::Future<Output = ()>,
) {
    tokio::select! {
        _ = stopping.wait_for(|s| *s) => {}
        () = tokio::time::sleep(MAX_LIFETIME) => {}
        () = access => {}
    }
}

/// Returns once the session is gone (logout, a password change elsewhere, expiry) or the user
/// is no longer a member of the shop; a failed read keeps the stream (the next check decides).
async fn access_ends(state: AppState, token_hash: String, shop: ShopId, user: UserId) {
    loop {
        tokio::time::sleep(SESSION_CHECK).await;
        let session = state.store.session(&token_hash, state.now()).await;
        let role = state.store.role(&shop, &user).await;
        if matches!(session, Ok(None)) || matches!(role, Ok(None)) {
            return;
        }
    }
}

fn sse(
    state: &AppState,
    keep: impl Fn(&ShopEvent) -> bool + Send + 'static,
    listening: Option<DashboardGuard>,
    access: impl std::future::Future<Output = ()> + Send + 'static,
) -> Response {
    let hello = stream::once(async {
        Ok::<Event, Infallible>(
            Event::default()
                .event("hello")
                .retry(Duration::from_secs(2))
                .data("{}"),
        )
    });
    let events = BroadcastStream::new(state.events.subscribe()).filter_map(
        move |item: Result<Arc<ShopEvent>, BroadcastStreamRecvError>| {
            let out = match item {
                // Events may have been missed (the relay between instances reconnected).
                Ok(event) if event.kind == EventKind::Resync && keep(&event) => {
                    Some(Event::default().event("resync").data("{}"))
                }
                Ok(event) if keep(&event) => Some(
                    Event::default()
                        .event("change")
                        .json_data(&*event)
                        .unwrap_or_else(|_| Event::default().event("resync").data("{}")),
                ),
                Ok(_) => None,
                // Too slow to keep up: the page re-reads everything.
                Err(BroadcastStreamRecvError::Lagged(_)) => {
                    Some(Event::default().event("resync").data("{}"))
                }
            };
            std::future::ready(out.map(Ok::<Event, Infallible>))
        },
    );
    // A dashboard with its sound on counts as a listener while its stream is open: the guard
    // lives in the stream and is dropped with it.
    let body = hello
        .chain(events)
        .take_until(end_of_stream(state.stopping.subscribe(), access))
        .map(move |event| {
            let _listening = &listening;
            event
        });
    let mut response = Sse::new(body)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Tells proxies such as nginx not to buffer the stream.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

fn for_shop(shop: ShopId) -> impl Fn(&ShopEvent) -> bool + Send + 'static {
    move |e| e.shop_id == shop
}

/// The order's own events, and the resyncs of its shop (they come one per shop when the relay
/// between instances reconnected).
fn for_order(order: OrderId, shop: ShopId) -> impl Fn(&ShopEvent) -> bool + Send + 'static {
    move |e| {
        e.order_id.as_ref() == Some(&order) || (e.kind == EventKind::Resync && e.shop_id == shop)
    }
}

/// `?sound=1`: the page's alarm is armed (it reconnects with this once sound is on).
#[derive(Debug, Default, serde::Deserialize)]
pub struct LiveQuery {
    #[serde(default)]
    sound: Option<String>,
}

/// `GET /dashboard/{slug}/live[?sound=1]`: members only.
pub async fn dashboard(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<LiveQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let who = require(&state, &headers, &format!("/dashboard/{slug}")).await?;
    let (shop, _) = member_of(&state, &who, &slug).await?;
    let listening = (q.sound.as_deref() == Some("1")).then(|| state.listeners.dashboard(&shop.id));
    let access = access_ends(
        state.clone(),
        who.token_hash.clone(),
        shop.id.clone(),
        who.user.id.clone(),
    );
    Ok(sse(&state, for_shop(shop.id), listening, access))
}

/// `GET /o/{token}/live`: anyone holding the tracking link.
pub async fn tracking(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let id = state
        .tracking
        .order_id(&token)
        .ok_or_else(PageError::not_found)?;
    let order = state
        .store
        .order_by_id(&id)
        .await
        .map_err(PageError::from)?
        .ok_or_else(PageError::not_found)?;
    // The tracking link is the access: it does not end.
    Ok(sse(
        &state,
        for_order(id, order.shop_id),
        None,
        std::future::pending(),
    ))
}
