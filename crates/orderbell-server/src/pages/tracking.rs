//! The guest's tracking page `/o/{token}`: where the order stands, live (the status part is
//! re-fetched from `/o/{token}/status` whenever `/o/{token}/live` reports a change), the
//! order's lines, the shop's contact, and the customer's notification opt-ins
//! (`templates/tracking/_optins.html`). An order nobody answered in time (`missed`) is
//! explained kindly, with the shop's phone number to call.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use orderbell_core::order::{Order, OrderStatus};
use orderbell_core::shop::Shop;

use super::error::PageError;
use super::i18n::Texts;
use super::qr::Qr;
use super::render::{Cache, Chrome, render};
use super::views::{OrderCard, ShownPhone};
use crate::pages::i18n::negotiate;
use crate::state::AppState;

pub struct Step {
    pub label: &'static str,
    /// `done`, `current` or `todo`.
    pub state: &'static str,
}

/// The live part of the page.
pub struct Progress {
    pub steps: Vec<Step>,
    /// One sentence under the status.
    pub hint: String,
}

fn progress(order: &Order, card: &OrderCard, t: &Texts) -> Progress {
    let reached = match order.status {
        OrderStatus::Pending => 0,
        OrderStatus::Accepted => 1,
        OrderStatus::Ready => 2,
        OrderStatus::Completed => 3,
        _ => usize::MAX,
    };
    let steps = if reached == usize::MAX {
        vec![]
    } else {
        [t.step_received, t.step_accepted, t.step_ready, t.step_done]
            .into_iter()
            .enumerate()
            .map(|(i, label)| Step {
                label,
                state: if i < reached || (i == reached && i == 3) {
                    "done"
                } else if i == reached {
                    "current"
                } else {
                    "todo"
                },
            })
            .collect()
    };
    let at = card.ready_at.clone().unwrap_or_default();
    let hint = match order.status {
        OrderStatus::Pending => t.pending_hint.to_owned(),
        OrderStatus::Accepted => t.ready_about.replace("{time}", &at),
        OrderStatus::Ready if order.fulfillment.kind() == "pickup" => {
            format!(
                "{} {}",
                t.ready_hint_pickup,
                t.ready_since.replace("{time}", &at)
            )
        }
        OrderStatus::Ready => t.ready_hint.to_owned(),
        OrderStatus::Completed => t.completed_hint.to_owned(),
        OrderStatus::Missed => t.missed_sorry.to_owned(),
        OrderStatus::Rejected | OrderStatus::Cancelled => String::new(),
    };
    Progress { steps, hint }
}

/// A chat link with its QR code.
pub struct ChatLink {
    pub url: String,
    pub qr: Option<Qr>,
}

impl ChatLink {
    pub fn new(url: String) -> ChatLink {
        ChatLink {
            qr: Qr::new(&url),
            url,
        }
    }
}

/// The customer's opt-ins: only the channels this server offers.
pub struct OptIns {
    pub telegram: Option<ChatLink>,
    pub whatsapp: Option<ChatLink>,
    /// `POST` a browser's subscription here (Web Push available).
    pub push_url: Option<String>,
    pub vapid_key: String,
}

impl OptIns {
    pub async fn of(state: &AppState, token: &str) -> OptIns {
        let available = crate::notifications::api::available(state).await;
        let links = crate::notifications::api::CustomerChannelsView::new(&available, token);
        OptIns {
            telegram: links.telegram.map(ChatLink::new),
            whatsapp: links.whatsapp.map(ChatLink::new),
            push_url: links
                .webpush
                .then(|| format!("/api/v1/orders/{token}/push/webpush")),
            vapid_key: available.vapid_public_key.unwrap_or_default(),
        }
    }

    pub fn any(&self) -> bool {
        self.telegram.is_some() || self.whatsapp.is_some() || self.push_url.is_some()
    }
}

#[derive(Template)]
#[template(path = "tracking.html")]
struct TrackingPage {
    page: Chrome,
    token: String,
    slug: String,
    shop_name: String,
    phone: Option<ShownPhone>,
    order: OrderCard,
    progress: Progress,
    optins: OptIns,
}

#[derive(Template)]
#[template(path = "tracking/_status.html")]
struct StatusPart {
    page: Chrome,
    order: OrderCard,
    progress: Progress,
    /// The shop's phone (a missed order asks the guest to call it).
    phone: Option<ShownPhone>,
}

/// The order and shop a token names; 404 for anything else.
pub async fn find(state: &AppState, token: &str) -> Result<(Order, Shop), PageError> {
    let id = state
        .tracking
        .order_id(token)
        .ok_or_else(PageError::not_found)?;
    let order = state
        .store
        .order_by_id(&id)
        .await?
        .ok_or_else(PageError::not_found)?;
    let shop = state
        .store
        .shop(&order.shop_id)
        .await?
        .ok_or_else(PageError::not_found)?;
    Ok((order, shop))
}

/// How often the tracking page reloads itself in a browser without JavaScript.
const NO_SCRIPT_REFRESH_SECONDS: u32 = 20;

/// `GET /o/{token}`.
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (order, shop) = find(&state, &token).await?;
    let lang = negotiate(&headers, Some(&shop.locale));
    let t = lang.texts();
    let card = OrderCard::new(&order, &shop, t);
    let title = format!("{} #{} · {}", t.order_number, order.number, shop.name);
    let view = TrackingPage {
        page: {
            let page = Chrome::new(lang, title, &format!("/o/{token}"), "tracking")
                .script("tracking.js")
                .script("push.js");
            // The page says it follows the order; without JavaScript a reload does that.
            if order.status.is_final() {
                page
            } else {
                page.refresh_without_script(NO_SCRIPT_REFRESH_SECONDS)
            }
        },
        progress: progress(&order, &card, t),
        optins: OptIns::of(&state, &token).await,
        token,
        slug: shop.slug.clone(),
        shop_name: shop.name.clone(),
        phone: shop.phone.as_deref().map(|p| ShownPhone::new(p, &shop)),
        order: card,
    };
    render(&view, StatusCode::OK, Cache::Private)
}

/// `GET /o/{token}/status`: the live part alone, for the page's script.
pub async fn status(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (order, shop) = find(&state, &token).await?;
    let lang = negotiate(&headers, Some(&shop.locale));
    let t = lang.texts();
    let card = OrderCard::new(&order, &shop, t);
    let view = StatusPart {
        page: Chrome::new(lang, "", "/", "tracking"),
        progress: progress(&order, &card, t),
        order: card,
        phone: shop.phone.as_deref().map(|p| ShownPhone::new(p, &shop)),
    };
    render(&view, StatusCode::OK, Cache::Private)
}
