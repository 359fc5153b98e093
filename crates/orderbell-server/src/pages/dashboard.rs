//! The shop dashboard: `/dashboard` (your shops, create one), `/dashboard/{slug}` (the live
//! board: new, in progress, ready), its fragment `/dashboard/{slug}/board` (what the page's
//! script re-fetches on every live event), order detail with history, and the order actions
//! as forms (`POST /dashboard/{slug}/orders/{id}/{action}`), which work without JavaScript.
//!
//! Never miss an order: each unanswered card shows how long it has waited and its next
//! escalation step; the page shows whether a new order would be heard (the readiness strip,
//! refreshed by `static/js/escalation.js` from `GET /api/v1/shops/{slug}/readiness`), a red
//! banner when nobody would hear one while the shop is open, and pauses guest ordering
//! (`POST /dashboard/{slug}/pause`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use jiff::SignedDuration;
use orderbell_core::i18n::fill;
use orderbell_core::order::{Order, OrderAction, OrderStatus};
use orderbell_core::shop::{NewShopRequest, Shop, ShopPatchRequest};
use orderbell_core::user::Role;
use orderbell_core::{OrderId, ShopId, Timestamp, ValidationErrors};
use orderbell_store::alerts::{AlertStatus, OrderAlert};
use orderbell_store::notifications::Recipient;
use orderbell_store::{OrderFilter, StoreError};

use super::error::PageError;
use super::form::Form;
use super::i18n::Texts;
use super::render::{Cache, Chrome, ShopNav, render, see_other};
use super::session::{SignedIn, form_user, member_of, require};
use super::views::{ETA_PRESETS, OrderCard, date_time, shop_tz, when};
use crate::events::{EventKind, ShopEvent};
use crate::pages::i18n::negotiate;
use crate::state::AppState;

pub struct ShopLink {
    pub slug: String,
    pub name: String,
    pub role: &'static str,
}

#[derive(Template)]
#[template(path = "dashboard/index.html")]
struct IndexPage {
    page: Chrome,
    shops: Vec<ShopLink>,
    errors: Vec<String>,
    slug: String,
    name: String,
}

/// What the board shows; shared by the page and its fragment.
pub struct Board {
    pub slug: String,
    pub new: Vec<OrderCard>,
    pub doing: Vec<OrderCard>,
    pub ready: Vec<OrderCard>,
    pub recent: Vec<OrderCard>,
    pub presets: Vec<i64>,
    pub reject_reasons: Vec<&'static str>,
    pub cancel_reasons: Vec<&'static str>,
    /// Pending orders nobody has seen yet: the alarm rings while this is above zero.
    pub alarming: usize,
    /// The shop's active printers and how they are.
    pub printers: Vec<PrinterBadge>,
    /// Some printer is offline, out of paper or open.
    pub printer_problem: bool,
    /// The server's clock when the board was made (ms since the epoch): the page's script
    /// counts the orders' ages from it, whatever the device's clock says.
    pub now_ms: i64,
    /// Minutes the one-tap Accept gives (the shop's default ETA).
    pub default_eta: i64,
    /// The shop's time zone, for the board's clock.
    pub tz: String,
    /// The clock when the board was made, `HH:MM` in the shop's time zone.
    pub clock: String,
    /// The shop has taken at least one order (the first-run checklist's last step).
    pub has_orders: bool,
}

/// The first-run checklist on the board, until every step is done.
pub struct Checklist {
    pub steps: Vec<CheckStep>,
}

pub struct CheckStep {
    pub label: &'static str,
    pub done: bool,
    /// A step the list does not wait for (a shop may take orders at any hour).
    pub optional: bool,
    pub href: String,
}

impl Checklist {
    /// `None` once the shop has a menu, a printer or a linked phone, and an order (opening hours
    /// are offered, not required).
    fn of(
        shop: &Shop,
        menu: &orderbell_core::menu::Menu,
        board: &Board,
        channels: usize,
        t: &Texts,
    ) -> Option<Checklist> {
        let base = format!("/dashboard/{}", shop.slug);
        let steps = vec![
            CheckStep {
                label: t.check_menu,
                done: menu.categories.iter().any(|c| !c.items.is_empty()),
                optional: false,
                href: format!("{base}/menu"),
            },
            CheckStep {
                label: t.check_hours,
                done: shop.opening_hours.is_some(),
                optional: true,
                href: format!("{base}/settings#hours"),
            },
            CheckStep {
                label: t.check_listener,
                done: !board.printers.is_empty() || channels > 0,
                optional: false,
                href: if board.printers.is_empty() {
                    format!("{base}/printers")
                } else {
                    format!("{base}/channels")
                },
            },
            CheckStep {
                label: t.check_test_order,
                done: board.has_orders,
                optional: false,
                href: format!("/s/{}", shop.slug),
            },
        ];
        (!steps.iter().all(|s| s.done || s.optional)).then_some(Checklist { steps })
    }
}

/// Would a new order be heard? The strip at the top of the board, first drawn here from
/// [`crate::escalation::readiness::readiness`], then refreshed by the page's script from the
/// same answer as JSON (`GET /api/v1/shops/{slug}/readiness`).
pub struct ReadinessView {
    /// The JSON the script re-reads.
    pub url: String,
    /// The shop's time zone (the script says times in it).
    pub tz: String,
    pub open: bool,
    pub hearing: bool,
    /// Open, closed until…, or paused until…
    pub state_text: String,
    pub hearing_text: &'static str,
    pub dashboards: usize,
    pub printers: usize,
    pub channels: usize,
    /// The problems in words, each once.
    pub problems: Vec<&'static str>,
    /// Guest ordering is paused (the Resume button shows instead of the pause buttons).
    pub paused: bool,
    /// The red banner: open, and nobody would hear a new order.
    pub banner: bool,
    /// The pause buttons.
    pub pause_buttons: Vec<PauseButton>,
}

/// `Pause 15 min`.
pub struct PauseButton {
    pub minutes: i64,
    pub label: String,
}

impl ReadinessView {
    fn new(
        r: &crate::escalation::readiness::Readiness,
        shop: &Shop,
        now: Timestamp,
        t: &Texts,
    ) -> ReadinessView {
        let tz = shop_tz(shop);
        let state_text = if r.open {
            t.ready_open.to_owned()
        } else if let Some(until) = r.paused_until {
            t.ready_paused_until
                .replace("{time}", &when(until, now, &tz, t))
        } else if let Some(at) = r.reopens_at {
            t.ready_closed_until
                .replace("{time}", &when(at, now, &tz, t))
        } else {
            t.ready_closed.to_owned()
        };
        let mut problems: Vec<&'static str> = vec![];
        for p in &r.problems {
            let words = t.problem(p.code);
            if !problems.contains(&words) {
                problems.push(words);
            }
        }
        ReadinessView {
            url: format!("/api/v1/shops/{}/readiness", shop.slug),
            tz: shop.time_zone.clone(),
            open: r.open,
            hearing: r.hearing,
            state_text,
            hearing_text: if r.hearing {
                t.ready_hearing
            } else {
                t.ready_not_hearing
            },
            dashboards: r.listeners.dashboards,
            printers: r.listeners.printers,
            channels: r.listeners.channels,
            problems,
            paused: r.paused_until.is_some(),
            banner: r.open && !r.hearing,
            pause_buttons: PAUSE_MINUTES
                .iter()
                .map(|&minutes| PauseButton {
                    minutes,
                    label: t.pause_minutes.replace("{n}", &minutes.to_string()),
                })
                .collect(),
        }
    }
}

/// The pause buttons of the board.
pub const PAUSE_MINUTES: [i64; 3] = [15, 30, 60];

/// One printer on the board: connected and able to print, or what is wrong.
pub struct PrinterBadge {
    pub name: String,
    pub ok: bool,
    pub text: String,
}

#[derive(Template)]
#[template(path = "dashboard/board.html")]
struct BoardPage {
    page: Chrome,
    board: Board,
    shop_name: String,
    accepting: bool,
    /// Someone else answered an order first: what happened to it, in words.
    stale: Option<String>,
    ready: ReadinessView,
    checklist: Option<Checklist>,
}

#[derive(Template)]
#[template(path = "dashboard/_board.html")]
struct BoardPart {
    page: Chrome,
    board: Board,
}

pub struct EventView {
    pub at: String,
    pub what: &'static str,
    pub who: String,
    pub detail: Option<String>,
}

/// One row of an order's notification delivery log.
pub struct DeliveryRow {
    pub at: String,
    pub channel: &'static str,
    /// `member` or `customer`, in words.
    pub recipient: &'static str,
    /// Masked.
    pub destination: String,
    /// `queued`, `sent`, `delivered`, `failed`… (the class) and in words.
    pub status: String,
    pub status_label: &'static str,
    pub attempts: i64,
    pub error: Option<String>,
}

impl DeliveryRow {
    fn new(
        d: crate::notifications::api::DeliveryView,
        tz: &jiff::tz::TimeZone,
        t: &Texts,
    ) -> DeliveryRow {
        let error = match (d.error_code, d.last_error) {
            (Some(code), Some(e)) => Some(format!("{code}: {e}")),
            (code, e) => e.or(code),
        };
        DeliveryRow {
            at: date_time(d.sent_at.unwrap_or(d.updated_at), tz),
            channel: t.channel_label(d.channel),
            recipient: if d.recipient == Recipient::Customer.as_str() {
                t.recipient_customer
            } else {
                t.recipient_member
            },
            destination: d.destination,
            status_label: t.delivery(&d.status),
            status: d.status,
            attempts: d.attempts,
            error,
        }
    }
}

#[derive(Template)]
#[template(path = "dashboard/order.html")]
struct OrderPage {
    page: Chrome,
    board: Board,
    o: OrderCard,
    events: Vec<EventView>,
    deliveries: Vec<DeliveryRow>,
    tracking_path: String,
}

pub fn nav(shop: &Shop, role: Role, active: &'static str) -> ShopNav {
    ShopNav {
        slug: shop.slug.clone(),
        name: shop.name.clone(),
        owner: role == Role::Owner,
        active,
    }
}

/// `GET /dashboard`.
pub async fn index(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let who = require(&state, &headers, "/dashboard").await?;
    index_page(
        &state,
        &headers,
        &who,
        vec![],
        String::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

async fn index_page(
    state: &AppState,
    headers: &HeaderMap,
    who: &SignedIn,
    errors: Vec<String>,
    slug: String,
    name: String,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = negotiate(headers, None);
    let t = lang.texts();
    let shops = state.store.shops_of(&who.user.id).await?;
    let view = IndexPage {
        page: Chrome::new(lang, t.your_shops, "/dashboard", "dashboard")
            .user(Some(who))
            .script("new-shop.js"),
        shops: shops
            .into_iter()
            .map(|(s, r)| ShopLink {
                slug: s.slug,
                name: s.name,
                role: crate::account_mail::role_name(t, r),
            })
            .collect(),
        errors,
        slug,
        name,
    };
    render(&view, status, Cache::Private)
}

/// A free slug for a new shop whose owner left the field empty: from the name, Hangul
/// romanised (`Cafe Seoul` → `cafe-seoul`, `김밥천국` → `gimbapcheonguk`, then `…-2`…), else
/// `shop-` and four random digits.
async fn suggest_slug(state: &AppState, name: &str) -> Result<String, PageError> {
    let base = orderbell_core::text::slug_from_name(name);
    for attempt in 0..8u32 {
        let candidate = match (&base, attempt) {
            (Some(b), 0) => b.clone(),
            (Some(b), n @ 1..=3) => format!("{}-{}", b.chars().take(37).collect::<String>(), n + 1),
            _ => {
                let [a, b] = crate::security::random_bytes::<2>();
                format!("shop-{:04}", u16::from_le_bytes([a, b]) % 10_000)
            }
        };
        if state.store.shop_by_slug(&candidate).await?.is_none() {
            return Ok(candidate);
        }
    }
    // Eight taken in a row: let the store refuse the last with a clear message.
    Ok(format!("shop-{}", state.now().as_millisecond() % 100_000))
}

/// `POST /dashboard`: creates a shop owned by the signed-in user; an empty slug is suggested.
pub async fn create_shop(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let who = form_user(&state, &headers, &form, "/dashboard").await?;
    let lang = negotiate(&headers, None);
    let name = form.text("name").trim().to_owned();
    let currency = form.optional("currency").map(|c| c.to_ascii_uppercase());
    let money = currency
        .as_deref()
        .and_then(orderbell_core::Currency::from_code)
        .unwrap_or(orderbell_core::Currency::KRW);
    let typed = form.text("slug").trim().to_lowercase();
    let slug = if typed.is_empty() {
        suggest_slug(&state, &name).await?
    } else {
        typed
    };
    let request = NewShopRequest {
        slug,
        name,
        currency,
        time_zone: form.optional("time_zone"),
        // The shop's language: asked on the form, else the page's.
        locale: Some(
            form.optional("locale")
                .unwrap_or_else(|| lang.code().to_owned()),
        ),
        phone: form
            .optional("phone")
            .map(|p| orderbell_core::text::international_phone(&p, money)),
    };
    let slug = request.slug.clone();
    let t = lang.texts();
    if !who.user.email_verified {
        let message = format!(
            "{} {}",
            t.email_unverified,
            fill(t.verify_needed, &[("email", &who.user.email)])
        );
        let name = form.text("name").to_owned();
        return index_page(
            &state,
            &headers,
            &who,
            vec![message],
            slug,
            name,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let problems = |e: ValidationErrors| super::form::error_messages(e.0, t);
    let created = match request.validate() {
        Ok(new) => {
            state
                .store
                .create_shop(
                    state.new_id(ShopId::from_parts),
                    new,
                    &who.user.id,
                    state.now(),
                )
                .await
        }
        Err(e) => Err(StoreError::Validation(e)),
    };
    match created {
        Ok(shop) => Ok(see_other(&format!("/dashboard/{}", shop.slug))),
        Err(StoreError::Validation(e)) => {
            let name = form.text("name").to_owned();
            index_page(
                &state,
                &headers,
                &who,
                problems(e),
                slug,
                name,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(StoreError::Conflict(_)) => {
            let name = form.text("name").to_owned();
            let taken = fill(t.err_slug_taken, &[("slug", &slug)]);
            index_page(
                &state,
                &headers,
                &who,
                vec![taken],
                slug.clone(),
                name,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The detail of a history line in the page's language: an acceptance's ETA is stored as
/// `eta N min` (`orderbell_store::queries::orders`), a reason or a printer name as written.
fn history_detail(kind: &str, detail: Option<String>, t: &Texts) -> Option<String> {
    let detail = detail?;
    let eta = detail
        .strip_prefix("eta ")
        .and_then(|d| d.strip_suffix(" min"))
        .and_then(|m| m.parse::<u32>().ok());
    match (kind, eta) {
        ("accept", Some(m)) => Some(fill(t.history_eta, &[("m", &m)])),
        _ => Some(detail),
    }
}

async fn board(state: &AppState, shop: &Shop, t: &Texts) -> Result<Board, PageError> {
    let open = state
        .store
        .orders(
            &shop.id,
            OrderFilter {
                statuses: vec![
                    OrderStatus::Pending,
                    OrderStatus::Accepted,
                    OrderStatus::Ready,
                ],
                since: None,
                before_number: None,
                limit: 100,
            },
        )
        .await?;
    let closed = state
        .store
        .orders(
            &shop.id,
            OrderFilter {
                statuses: vec![
                    OrderStatus::Completed,
                    OrderStatus::Rejected,
                    OrderStatus::Cancelled,
                    OrderStatus::Missed,
                ],
                since: None,
                before_number: None,
                limit: 8,
            },
        )
        .await?;
    let now = state.now();
    let calls = crate::escalation::calls_enabled(state);
    let alerts: HashMap<OrderId, OrderAlert> = state
        .store
        .active_alerts(&shop.id)
        .await?
        .into_iter()
        .map(|a| (a.order_id.clone(), a))
        .collect();
    // In progress and ready: oldest first, the order waiting longest on top.
    let cards = |status: OrderStatus| -> Vec<OrderCard> {
        open.orders
            .iter()
            .rev()
            .filter(|o| o.status == status)
            .map(|o| OrderCard::new(o, shop, t).waiting(o, shop, alerts.get(&o.id), calls, now, t))
            .collect()
    };
    // New: newest first, so the order that rings is the one in view in a rush (each card says
    // how long it has waited).
    let mut new = cards(OrderStatus::Pending);
    new.reverse();
    let printers: Vec<PrinterBadge> = state
        .store
        .printers(&shop.id)
        .await?
        .into_iter()
        .filter(|p| p.revoked_at.is_none())
        .map(|p| {
            let view = crate::printers::api::PrinterView::new(state, p);
            let online = view.connection == "online";
            let state = view.status.unwrap_or_else(|| "online".into());
            let ok = online && matches!(state.as_str(), "online" | "paper_near_end");
            let text = if online {
                t.printer_state(&state)
            } else {
                t.printer_offline
            }
            .to_owned();
            PrinterBadge {
                name: view.name,
                ok,
                text,
            }
        })
        .collect();
    let printer_problem = printers.iter().any(|p| !p.ok);
    Ok(Board {
        now_ms: now.as_millisecond(),
        default_eta: i64::from(shop.default_eta_minutes),
        tz: shop.time_zone.clone(),
        clock: super::views::clock(now, &shop_tz(shop)),
        has_orders: !open.orders.is_empty() || !closed.orders.is_empty(),
        printers,
        printer_problem,
        slug: shop.slug.clone(),
        alarming: new.iter().filter(|o| o.alarming()).count(),
        new,
        doing: cards(OrderStatus::Accepted),
        ready: cards(OrderStatus::Ready),
        recent: closed
            .orders
            .iter()
            .map(|o| OrderCard::new(o, shop, t))
            .collect(),
        presets: ETA_PRESETS.to_vec(),
        reject_reasons: vec![
            t.reason_busy,
            t.reason_sold_out,
            t.reason_closing,
            t.reason_no_delivery,
        ],
        cancel_reasons: vec![
            t.reason_guest_asked,
            t.reason_sold_out,
            t.reason_busy,
            t.reason_closing,
        ],
    })
}

/// `?stale=<order id>` after an action someone else beat: who answered the order and when
/// (`#1042 was already answered: Accepted by Kim at 12:41`); `?stale=1`: the general notice.
async fn stale_notice(
    state: &AppState,
    shop: &Shop,
    uri: &Uri,
    t: &Texts,
) -> Result<Option<String>, PageError> {
    let Some(value) = uri.query().and_then(|q| q.strip_prefix("stale=")) else {
        return Ok(None);
    };
    let general = Some(t.invalid_transition.to_owned());
    let Some(id) = OrderId::parse(value) else {
        return Ok(general);
    };
    let Some(order) = state.store.order(&shop.id, &id).await? else {
        return Ok(general);
    };
    let events = state.store.order_events(&shop.id, &id).await?;
    let Some(last) = events.iter().rev().find(|e| e.kind != "acknowledge") else {
        return Ok(general);
    };
    let who = match last.actor.kind.as_str() {
        "guest" => t.by_guest.to_owned(),
        "system" => t.by_system.to_owned(),
        _ => last.actor.name.clone().unwrap_or_default(),
    };
    Ok(Some(fill(
        t.already_answered,
        &[
            ("n", &order.number),
            ("what", &t.action(&last.kind)),
            ("who", &who),
            ("time", &super::views::clock(last.at, &shop_tz(shop))),
        ],
    )))
}

/// `GET /dashboard/{slug}`.
pub async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}");
    let who = require(&state, &headers, &path).await?;
    let (shop, role) = member_of(&state, &who, &slug).await?;
    let lang = negotiate(&headers, Some(&shop.locale));
    let t = lang.texts();
    let readiness = crate::escalation::readiness::readiness(&state, &shop)
        .await
        .map_err(|e| PageError::internal("reading readiness", &format!("{e:#}")))?;
    let board = board(&state, &shop, t).await?;
    let menu = state.store.menu(&shop.id).await?;
    let view = BoardPage {
        page: Chrome::new(lang, format!("{} · {}", t.board, shop.name), &path, "board")
            .user(Some(&who))
            .nav(nav(&shop, role, "board"))
            .script("dashboard.js"),
        checklist: Checklist::of(&shop, &menu, &board, readiness.listeners.channels, t),
        board,
        shop_name: shop.name.clone(),
        accepting: shop.accepting_orders,
        stale: stale_notice(&state, &shop, &uri, t).await?,
        ready: ReadinessView::new(&readiness, &shop, state.now(), t),
    };
    render(&view, StatusCode::OK, Cache::Private)
}

/// `GET /dashboard/{slug}/board`: the board alone.
pub async fn fragment(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let who = require(&state, &headers, &format!("/dashboard/{slug}")).await?;
    let (shop, _) = member_of(&state, &who, &slug).await?;
    let lang = negotiate(&headers, Some(&shop.locale));
    let view = BoardPart {
        page: Chrome::new(lang, "", "/", "board").user(Some(&who)),
        board: board(&state, &shop, lang.texts()).await?,
    };
    render(&view, StatusCode::OK, Cache::Private)
}

async fn find_order(state: &AppState, shop: &Shop, id: &str) -> Result<Order, PageError> {
    let id = OrderId::parse(id).ok_or_else(PageError::not_found)?;
    state
        .store
        .order(&shop.id, &id)
        .await?
        .ok_or_else(PageError::not_found)
}

/// `GET /dashboard/{slug}/orders/{id}`: one order with its history.
pub async fn order(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}/orders/{id}");
    let who = require(&state, &headers, &path).await?;
    let (shop, role) = member_of(&state, &who, &slug).await?;
    let order = find_order(&state, &shop, &id).await?;
    let lang = negotiate(&headers, Some(&shop.locale));
    let t = lang.texts();
    let tz = shop_tz(&shop);
    let events = state
        .store
        .order_events(&shop.id, &order.id)
        .await?
        .into_iter()
        .map(|e| EventView {
            at: date_time(e.at, &tz),
            what: t.action(&e.kind),
            who: match e.actor.kind.as_str() {
                "guest" => t.by_guest.to_owned(),
                "system" => t.by_system.to_owned(),
                _ => e.actor.name.unwrap_or_default(),
            },
            detail: history_detail(&e.kind, e.detail, t),
        })
        .collect();
    let deliveries = state
        .store
        .order_notifications(&shop.id, &order.id)
        .await?
        .into_iter()
        .map(|n| DeliveryRow::new(crate::notifications::api::DeliveryView::new(n), &tz, t))
        .collect();
    let view = OrderPage {
        page: Chrome::new(
            lang,
            format!("#{} · {}", order.number, shop.name),
            &path,
            "order",
        )
        .user(Some(&who))
        .nav(nav(&shop, role, "board"))
        .script("dashboard.js"),
        board: board(&state, &shop, t).await?,
        tracking_path: format!("/o/{}", state.tracking.token(&order.id)),
        o: OrderCard::new(&order, &shop, t)
            .waiting(
                &order,
                &shop,
                state
                    .store
                    .order_alert(&order.id)
                    .await?
                    .filter(|a| a.status == AlertStatus::Active)
                    .as_ref(),
                crate::escalation::calls_enabled(&state),
                state.now(),
                t,
            )
            .expanded(),
        events,
        deliveries,
    };
    render(&view, StatusCode::OK, Cache::Private)
}

fn parse_action(action: &str, form: &Form) -> Result<OrderAction, PageError> {
    let eta = match form.text("eta_minutes") {
        "custom" => form.text("eta_custom"),
        other => other,
    };
    let eta = eta.trim().parse::<i64>().ok();
    OrderAction::requested(action, eta, form.get("reason"))
        .ok_or_else(PageError::not_found)?
        .map_err(|_| PageError::new(super::error::ErrorKind::BadRequest))
}

/// `POST /dashboard/{slug}/orders/{id}/{action}`: acknowledge, accept, reject, ready, complete
/// or cancel; then back to where the form was.
pub async fn act(
    State(state): State<AppState>,
    Path((slug, id, action)): Path<(String, String, String)>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let board_path = format!("/dashboard/{slug}");
    let who = form_user(&state, &headers, &form, &board_path).await?;
    let (shop, _) = member_of(&state, &who, &slug).await?;
    let id = OrderId::parse(&id).ok_or_else(PageError::not_found)?;
    let action = parse_action(&action, &form)?;
    let back = super::render::local_path(form.text("back"))
        .map_or_else(|| format!("{board_path}#order-{id}"), str::to_owned);
    match state
        .store
        .apply_order_action(&shop.id, &id, action, who.caller().actor(), state.now())
        .await
    {
        Ok(order) => {
            state
                .events
                .publish(ShopEvent::of_order(EventKind::OrderUpdated, &order));
            Ok(see_other(&back))
        }
        // Someone else moved the order first: show the board as it is now.
        Err(StoreError::InvalidTransition(_)) => Ok(see_other(&format!("{board_path}?stale={id}"))),
        Err(e) => Err(e.into()),
    }
}

/// `POST /dashboard/{slug}/pause` (members): `minutes=15` (1 to 240) pauses guest ordering
/// that long from now; `minutes=0` resumes it. Then back to the board.
pub async fn pause(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let board_path = format!("/dashboard/{slug}");
    let who = form_user(&state, &headers, &form, &board_path).await?;
    let (shop, _) = member_of(&state, &who, &slug).await?;
    let bad = || PageError::new(super::error::ErrorKind::BadRequest);
    let minutes = form
        .text("minutes")
        .trim()
        .parse::<i64>()
        .map_err(|_| bad())?;
    let now = state.now();
    let until = match minutes {
        0 => None,
        1..=240 => Some(
            now.checked_add(SignedDuration::from_mins(minutes))
                .map_err(|_| bad())?
                .to_string(),
        ),
        _ => return Err(bad()),
    };
    let patch = ShopPatchRequest {
        paused_until: Some(until),
        ..ShopPatchRequest::default()
    }
    .validate_for(&shop)
    .map_err(|_| bad())?;
    let shop = state.store.update_shop(&shop.id, patch, now).await?;
    state
        .events
        .publish(ShopEvent::of_shop(shop.id, EventKind::ShopUpdated, now));
    Ok(see_other(&board_path))
}
