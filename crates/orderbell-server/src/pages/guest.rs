//! The guest's shop page `/s/{slug}`: the menu by category, option groups with their limits,
//! the cart (a cookie; see `cart`), checkout, then the tracking page. While the shop is closed
//! (opening hours, a pause, or paused because nobody would hear an order) the page says until
//! when, in the shop's time zone, and offers no checkout.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use orderbell_core::FieldError;
use orderbell_core::menu::Menu;
use orderbell_core::pricing::{OrderRequest, price_order};
use orderbell_core::shop::{Ordering, Shop};
use serde_json::{Value, json};

use super::cart::{Cart, CartLine};
use super::error::PageError;
use super::form::Form;
use super::i18n::Texts;
use orderbell_core::text::international_phone;

use super::ordering::{Refused, check_guest_order, line_rules, take_guest_order};
use super::render::{Cache, Chrome, render, see_other};
use super::session::{check_origin, signed_in};
use super::views::{shop_tz, when};
use crate::http::client::ClientIp;
use crate::pages::i18n::negotiate;
use crate::security::random_bytes;
use crate::state::AppState;

pub struct OptionView {
    pub id: String,
    pub name: String,
    /// `+₩700`, or empty when free.
    pub price: String,
    pub sold_out: bool,
    pub checked: bool,
}

pub struct GroupView {
    pub id: String,
    pub name: String,
    pub rule: String,
    pub min: i64,
    pub max: i64,
    /// One choice at most: radio buttons.
    pub single: bool,
    pub required: bool,
    pub options: Vec<OptionView>,
}

pub struct ItemView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub price: String,
    pub sold_out: bool,
    /// The photo's address, when the item has one.
    pub photo_url: Option<String>,
    pub groups: Vec<GroupView>,
    pub errors: Vec<&'static str>,
}

pub struct CategoryView {
    pub id: String,
    pub name: String,
    pub items: Vec<ItemView>,
}

pub struct CartLineView {
    pub index: usize,
    pub quantity: i64,
    pub name: String,
    pub options: String,
    pub total: String,
    pub error: Option<&'static str>,
}

#[derive(Default)]
pub struct Checkout {
    pub name: String,
    pub phone: String,
    pub fulfillment: String,
    pub table: String,
    pub address: String,
    pub note: String,
    pub key: String,
    pub errors: Vec<(String, &'static str)>,
}

impl Checkout {
    /// The message for a field, if it has one.
    pub fn error(&self, field: &str) -> Option<&'static str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| *m)
    }

    pub fn is(&self, kind: &str) -> bool {
        self.fulfillment == kind || (self.fulfillment.is_empty() && kind == "pickup")
    }
}

#[derive(Template)]
#[template(path = "shop.html")]
pub struct ShopPage {
    pub page: Chrome,
    pub slug: String,
    pub shop_name: String,
    pub phone: Option<super::views::ShownPhone>,
    pub accepting: bool,
    /// How guests may order here (the fulfilment choices shown).
    pub offers: orderbell_core::shop::OrderingOptions,
    /// `Minimum order ₩10,000`, when the shop has one.
    pub min_order: Option<String>,
    /// `Delivery fee ₩3,000, added to the total.`, when delivery costs something.
    pub delivery_fee: Option<String>,
    /// Why guests cannot order now, and until when (opening hours or a pause).
    pub closed: Option<String>,
    pub categories: Vec<CategoryView>,
    pub cart: Vec<CartLineView>,
    pub cart_count: i64,
    pub cart_total: String,
    /// The total of a delivery order: the items and the delivery fee.
    pub cart_total_delivery: String,
    pub cart_full: bool,
    pub added: bool,
    pub checkout: Checkout,
    /// A general message above the checkout form.
    pub checkout_problem: Option<&'static str>,
}

impl ShopPage {
    /// Whether the page offers adding to the order and checkout.
    pub fn can_order(&self) -> bool {
        self.accepting && self.closed.is_none()
    }
}

/// Why guests cannot order from the shop now, in words, if they cannot: the same gate the
/// order intake applies (`crate::intake::guest_gate`), with the time it opens again in the
/// shop's time zone.
fn closed_words(state: &AppState, shop: &Shop, t: &Texts) -> Option<String> {
    let refused = crate::intake::guest_gate(state, shop).err()?;
    let now = state.now();
    let paused = matches!(shop.ordering(now), Ordering::Closed { paused: true, .. });
    let tz = shop_tz(shop);
    Some(match refused.reopens_at {
        Some(at) => {
            let words = if paused {
                t.shop_paused_until
            } else {
                t.shop_closed_until
            };
            words.replace("{time}", &when(at, now, &tz, t))
        }
        None => t.shop_closed_now.to_owned(),
    })
}

fn new_key() -> String {
    hex::encode(random_bytes::<16>())
}

fn option_price(shop: &Shop, price: i64) -> String {
    if price == 0 {
        String::new()
    } else {
        format!("+{}", shop.currency.format(price))
    }
}

fn categories(
    shop: &Shop,
    menu: &Menu,
    t: &Texts,
    item_errors: &[(String, &'static str)],
) -> Vec<CategoryView> {
    // Hidden items are not on the guest page; a category with nothing to show is left out.
    menu.categories
        .iter()
        .filter(|c| c.items.iter().any(|i| !i.hidden))
        .map(|c| CategoryView {
            id: c.id.to_string(),
            name: c.name.clone(),
            items: c
                .items
                .iter()
                .filter(|i| !i.hidden)
                .map(|i| ItemView {
                    id: i.id.to_string(),
                    name: i.name.clone(),
                    description: i.description.clone(),
                    price: shop.currency.format(i.price),
                    sold_out: i.sold_out,
                    photo_url: i.photo_url.clone(),
                    errors: item_errors
                        .iter()
                        .filter(|(id, _)| *id == i.id.as_str())
                        .map(|(_, m)| *m)
                        .collect(),
                    groups: i
                        .option_groups
                        .iter()
                        .filter(|g| !g.options.is_empty())
                        .map(|g| {
                            let single = g.max == 1;
                            let preselect = (single && g.min >= 1)
                                .then(|| g.options.iter().find(|o| !o.sold_out))
                                .flatten()
                                .map(|o| o.id.clone());
                            GroupView {
                                id: g.id.to_string(),
                                name: g.name.clone(),
                                rule: t.choose(g.min, g.max),
                                min: g.min,
                                max: g.max,
                                single,
                                required: single && g.min >= 1,
                                options: g
                                    .options
                                    .iter()
                                    .map(|o| OptionView {
                                        id: o.id.to_string(),
                                        name: o.name.clone(),
                                        price: option_price(shop, o.price),
                                        sold_out: o.sold_out,
                                        checked: preselect.as_ref() == Some(&o.id),
                                    })
                                    .collect(),
                            }
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

fn one_line(line: &CartLine) -> OrderRequest {
    OrderRequest {
        items: vec![line.request()],
        customer: None,
        fulfillment: None,
        note: None,
    }
}

/// The cart priced against the current menu, line by line.
fn cart_view(
    state: &AppState,
    shop: &Shop,
    menu: &Menu,
    cart: &Cart,
    t: &Texts,
) -> (Vec<CartLineView>, i64, i64) {
    let mut rules = line_rules(state, shop);
    rules.accepting_orders = true;
    let mut total = 0i64;
    let mut count = 0i64;
    let lines = cart
        .lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let name = menu
                .item(&line.item)
                .map_or_else(|| "?".to_owned(), |i| i.name.clone());
            match price_order(&one_line(line), menu, rules.clone()) {
                Ok(priced) => {
                    let item = priced.items.first();
                    let line_total = item.map_or(0, |i| i.line_total);
                    total = total.saturating_add(line_total);
                    count += line.quantity;
                    let view = item.map(|i| super::views::LineView::new(i, shop));
                    CartLineView {
                        index,
                        quantity: line.quantity,
                        name,
                        options: view.as_ref().map(|v| v.options.clone()).unwrap_or_default(),
                        total: shop.currency.format(line_total),
                        error: None,
                    }
                }
                Err(errors) => CartLineView {
                    index,
                    quantity: line.quantity,
                    name,
                    options: String::new(),
                    total: String::new(),
                    error: errors.0.first().map(|e| t.field_message(&e.field, e.code)),
                },
            }
        })
        .collect();
    (lines, total, count)
}

struct Extra {
    added: bool,
    item_errors: Vec<(String, &'static str)>,
    checkout: Checkout,
    checkout_problem: Option<&'static str>,
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    shop: &Shop,
    cart: &Cart,
    extra: Extra,
    status: StatusCode,
) -> Result<Response, PageError> {
    let lang = negotiate(headers, Some(&shop.locale));
    let t = lang.texts();
    let menu = state.store.menu(&shop.id).await?;
    let who = signed_in(state, headers).await?;
    let (cart_lines, total, count) = cart_view(state, shop, &menu, cart, t);
    let mut checkout = extra.checkout;
    if checkout.key.is_empty() {
        checkout.key = new_key();
    }
    let path = format!("/s/{}", shop.slug);
    let view = ShopPage {
        page: Chrome::new(lang, shop.name.clone(), &path, "shop")
            .user(who.as_ref())
            .script("shop.js"),
        slug: shop.slug.clone(),
        shop_name: shop.name.clone(),
        phone: shop
            .phone
            .as_deref()
            .map(|p| super::views::ShownPhone::new(p, shop)),
        accepting: shop.accepting_orders,
        closed: closed_words(state, shop, t),
        offers: shop.guest_ordering.clone(),
        delivery_fee: (shop.guest_ordering.delivery && shop.guest_ordering.delivery_fee > 0).then(
            || {
                orderbell_core::i18n::fill(
                    t.delivery_fee_notice,
                    &[(
                        "amount",
                        &shop.currency.format(shop.guest_ordering.delivery_fee),
                    )],
                )
            },
        ),
        min_order: (shop.guest_ordering.min_order > 0).then(|| {
            orderbell_core::i18n::fill(
                t.min_order_notice,
                &[(
                    "amount",
                    &shop.currency.format(shop.guest_ordering.min_order),
                )],
            )
        }),
        categories: categories(shop, &menu, t, &extra.item_errors),
        cart_full: cart.lines.len() >= super::cart::MAX_LINES,
        cart: cart_lines,
        cart_count: count,
        cart_total: shop.currency.format(total),
        cart_total_delivery: shop
            .currency
            .format(total.saturating_add(shop.guest_ordering.delivery_fee)),
        added: extra.added,
        checkout,
        checkout_problem: extra.checkout_problem,
    };
    let mut response = render(&view, status, Cache::Private)?;
    if extra.added {
        response
            .headers_mut()
            .insert("x-orderbell-cart", HeaderValue::from_static("added"));
    }
    Ok(response)
}

async fn find_shop(state: &AppState, slug: &str) -> Result<Shop, PageError> {
    state
        .store
        .shop_by_slug(slug)
        .await?
        .ok_or_else(PageError::not_found)
}

/// `GET /s/{slug}`.
pub async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let shop = find_shop(&state, &slug).await?;
    let cart = Cart::read(&headers, &shop.slug);
    let added = uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "added=1"));
    // `?table=7` from a table's QR code: dine-in at that table, already chosen.
    let table = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|q| q.into_iter().find(|(k, _)| k == "table").map(|(_, v)| v))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty() && t.chars().count() <= 20);
    let checkout = match table {
        Some(table) => Checkout {
            fulfillment: "dine_in".into(),
            table,
            ..Checkout::default()
        },
        None => Checkout::default(),
    };
    let extra = Extra {
        added,
        item_errors: vec![],
        checkout,
        checkout_problem: None,
    };
    page(&state, &headers, &shop, &cart, extra, StatusCode::OK).await
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// `POST /s/{slug}/cart`: add a line (`item`, `quantity`, `opt_*`) or `remove` one.
pub async fn cart(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let shop = find_shop(&state, &slug).await?;
    let mut cart = Cart::read(&headers, &shop.slug);
    let secure = state.config.is_https();
    if let Some(index) = form.get("remove").and_then(|i| i.parse::<usize>().ok()) {
        cart.remove(index);
        let to = format!("/s/{}#cart", shop.slug);
        return Ok(with_cookie(
            see_other(&to),
            &cart.set_cookie(&shop.slug, secure),
        ));
    }
    let item = form.text("item").to_owned();
    let quantity = form.text("quantity").trim().parse::<i64>().unwrap_or(1);
    let options: Vec<String> = form
        .0
        .iter()
        .filter(|(k, v)| k.starts_with("opt") && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect();
    let line = CartLine {
        item: item.clone(),
        quantity,
        options,
    };
    let menu = state.store.menu(&shop.id).await?;
    let lang = negotiate(&headers, Some(&shop.locale));
    let checked = price_order(&one_line(&line), &menu, line_rules(&state, &shop));
    let problem = match checked {
        Err(errors) => errors
            .0
            .first()
            .map(|e| lang.texts().field_error(e.code, &e.field)),
        Ok(_) if !cart.add(line) => Some(lang.texts().cart_full),
        Ok(_) => None,
    };
    if let Some(message) = problem {
        let extra = Extra {
            added: false,
            item_errors: vec![(item, message)],
            checkout: Checkout::default(),
            checkout_problem: None,
        };
        return page(
            &state,
            &headers,
            &shop,
            &cart,
            extra,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    // A table chosen by its QR code stays chosen through a cart post without JavaScript.
    let table = form
        .optional("table")
        .filter(|t| t.chars().count() <= 20)
        .map(|t| format!("&table={}", super::render::url_encode(&t)))
        .unwrap_or_default();
    let to = format!("/s/{}?added=1{table}#item-{}", shop.slug, item);
    Ok(with_cookie(
        see_other(&to),
        &cart.set_cookie(&shop.slug, secure),
    ))
}

/// A Korean shop's guests write local numbers (010-1234-5678); the API takes E.164.
fn order_body(shop: &Shop, cart: &Cart, form: &Form) -> Value {
    let items: Vec<Value> = cart
        .lines
        .iter()
        .map(|l| json!({"menu_item_id": l.item, "quantity": l.quantity, "option_ids": l.options}))
        .collect();
    let fulfillment = match form.text("fulfillment") {
        "dine_in" => json!({"type": "dine_in", "table": form.optional("table")}),
        "delivery" => json!({"type": "delivery", "address": form.text("address")}),
        _ => json!({"type": "pickup"}),
    };
    json!({
        "items": items,
        "customer": {
            "name": form.optional("name"),
            "phone": form.optional("phone").map(|p| international_phone(&p, shop.currency)),
        },
        "fulfillment": fulfillment,
        "note": form.optional("note"),
    })
}

/// Where a core field error belongs on the page.
fn checkout_field(field: &str) -> &str {
    match field {
        "customer.name" => "name",
        "customer.phone" => "phone",
        "fulfillment.table" => "table",
        "fulfillment.type" => "fulfillment",
        "fulfillment.address" => "address",
        "note" => "note",
        _ => "",
    }
}

/// `POST /s/{slug}/order`: checkout; on success, the tracking page.
pub async fn order(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    check_origin(&state, &headers)?;
    let shop = find_shop(&state, &slug).await?;
    let cart = Cart::read(&headers, &shop.slug);
    let lang = negotiate(&headers, Some(&shop.locale));
    let t = lang.texts();
    let mut checkout = Checkout {
        name: form.text("name").to_owned(),
        phone: form.text("phone").to_owned(),
        fulfillment: form.text("fulfillment").to_owned(),
        table: form.text("table").to_owned(),
        address: form.text("address").to_owned(),
        note: form.text("note").to_owned(),
        key: form.text("key").to_owned(),
        errors: vec![],
    };
    // The page asks for a name (and a phone for delivery) even though the API does not.
    if form.optional("name").is_none() {
        checkout.errors.push(("name".into(), t.err_required));
    }
    if checkout.fulfillment == "delivery" && form.optional("phone").is_none() {
        checkout.errors.push(("phone".into(), t.err_required));
    }
    let mut problem = None;
    // Closed meanwhile (the page was opened earlier): the page again, saying until when.
    if shop.accepting_orders && closed_words(&state, &shop, t).is_some() {
        let extra = Extra {
            added: false,
            item_errors: vec![],
            checkout,
            checkout_problem: None,
        };
        return page(&state, &headers, &shop, &cart, extra, StatusCode::CONFLICT).await;
    }
    let body = order_body(&shop, &cart, &form);
    // With errors of its own the page still checks the rest, so every error shows at once.
    let checked = if checkout.errors.is_empty() {
        take_guest_order(&state, &shop, ip, body, Some(&checkout.key))
            .await
            .map(Some)
    } else {
        check_guest_order(&state, &shop, &body).await.map(|()| None)
    };
    match checked {
        Ok(Some(order)) => {
            let to = format!("/o/{}", state.tracking.token(&order.id));
            let cleared = Cart::default().set_cookie(&shop.slug, state.config.is_https());
            return Ok(with_cookie(see_other(&to), &cleared));
        }
        Ok(None) => {}
        Err(Refused::Page(e)) => return Err(e),
        Err(Refused::Invalid(errors)) => {
            for FieldError { field, code, .. } in errors.0 {
                let message = t.field_message(&field, code);
                let place = checkout_field(&field);
                if place.is_empty() {
                    problem = Some(if field == "items" && code == "required" {
                        t.cart_empty
                    } else {
                        message
                    });
                } else if !checkout.errors.iter().any(|(p, _)| p == place) {
                    checkout.errors.push((place.to_owned(), message));
                }
            }
        }
    }
    let extra = Extra {
        added: false,
        item_errors: vec![],
        checkout,
        checkout_problem: problem.or(Some(t.fix_errors)),
    };
    page(
        &state,
        &headers,
        &shop,
        &cart,
        extra,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}
