//! The menu editor `/dashboard/{slug}/menu` (owners edit, staff may toggle sold-out):
//! categories, items, option groups and options, prices, sold-out switches. One form per
//! change, each posting an `op` to the same address.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use orderbell_core::menu::{CategoryInput, ItemInput, OptionGroupInput, OptionInput};
use orderbell_core::user::Role;
use orderbell_core::{CategoryId, Currency, MenuItemId, OptionGroupId, OptionId, ValidationErrors};
use orderbell_store::StoreError;

use super::dashboard::nav;
use super::error::PageError;
use super::form::Form;
use super::i18n::Lang;
use super::render::{Cache, Chrome, render, see_other};
use super::session::{form_user, member_of, require};
use crate::state::AppState;

pub struct OptionRow {
    pub id: String,
    pub name: String,
    pub price: String,
    pub sold_out: bool,
}

pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub rule: String,
    pub options: Vec<OptionRow>,
}

pub struct ItemRow {
    pub id: String,
    pub name: String,
    pub description: String,
    /// In major units for the input (`4500`, `4.50`).
    pub price_input: String,
    pub price: String,
    pub sold_out: bool,
    pub groups: Vec<GroupRow>,
}

pub struct CategoryRow {
    pub id: String,
    pub name: String,
    pub items: Vec<ItemRow>,
}

#[derive(Template)]
#[template(path = "settings/menu.html")]
struct MenuPage {
    page: Chrome,
    slug: String,
    owner: bool,
    categories: Vec<CategoryRow>,
    step: String,
    errors: Vec<String>,
}

/// A price as typed (`4500`, `4.5`, `4.50`) in minor units of the currency.
pub fn parse_price(currency: Currency, text: &str) -> Option<i64> {
    let text = text.trim().replace(',', "");
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let exp = usize::from(currency.exponent());
    if whole.is_empty() && frac.is_empty()
        || frac.len() > exp
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || whole.len() > 12
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<exp$}").parse().ok()?
    };
    whole
        .checked_mul(10i64.pow(u32::from(currency.exponent())))?
        .checked_add(frac)
}

/// Minor units as typed back into an input.
pub fn price_input(currency: Currency, minor: i64) -> String {
    let exp = u32::from(currency.exponent());
    if exp == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(exp);
    let width = usize::try_from(exp).unwrap_or(2);
    format!("{}.{:0width$}", minor / scale, minor % scale)
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    errors: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}/menu");
    let who = require(state, headers, &path).await?;
    let (shop, role) = member_of(state, &who, slug).await?;
    let lang = Lang::negotiate(headers, Some(&shop.locale));
    let t = lang.texts();
    let menu = state.store.menu(&shop.id).await?;
    let c = shop.currency;
    let categories = menu
        .categories
        .iter()
        .map(|cat| CategoryRow {
            id: cat.id.to_string(),
            name: cat.name.clone(),
            items: cat
                .items
                .iter()
                .map(|i| ItemRow {
                    id: i.id.to_string(),
                    name: i.name.clone(),
                    description: i.description.clone().unwrap_or_default(),
                    price_input: price_input(c, i.price),
                    price: c.format(i.price),
                    sold_out: i.sold_out,
                    groups: i
                        .option_groups
                        .iter()
                        .map(|g| GroupRow {
                            id: g.id.to_string(),
                            name: g.name.clone(),
                            rule: t.choose(g.min, g.max),
                            options: g
                                .options
                                .iter()
                                .map(|o| OptionRow {
                                    id: o.id.to_string(),
                                    name: o.name.clone(),
                                    price: c.format(o.price),
                                    sold_out: o.sold_out,
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let view = MenuPage {
        page: Chrome::new(
            lang,
            format!("{} · {}", t.menu_editor, shop.name),
            &path,
            "settings",
        )
        .user(Some(&who))
        .nav(nav(&shop, role, "menu")),
        slug: shop.slug.clone(),
        owner: role == Role::Owner,
        categories,
        step: if c.exponent() == 0 {
            "1".to_owned()
        } else {
            format!("0.{}1", "0".repeat(usize::from(c.exponent()) - 1))
        },
        errors,
    };
    render(&view, status, Cache::Private)
}

/// `GET /dashboard/{slug}/menu`.
pub async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    page(&state, &headers, &slug, vec![], StatusCode::OK).await
}

/// `POST /dashboard/{slug}/menu`.
pub async fn save(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}/menu");
    let who = form_user(&state, &headers, &form, &path).await?;
    let (shop, role) = member_of(&state, &who, &slug).await?;
    let op = form.text("op");
    // Staff may switch sold-out on and off; everything else is for owners.
    let toggles = matches!(op, "toggle_item" | "toggle_option");
    if role != Role::Owner && !toggles {
        return Err(PageError::new(super::error::ErrorKind::Forbidden));
    }
    let s = &state.store;
    let sid = &shop.id;
    let now = state.now();
    let price = |name: &str| -> Result<Option<i64>, ValidationErrors> {
        match form.optional(name) {
            None => Ok(None),
            Some(p) => parse_price(shop.currency, &p).map(Some).ok_or_else(|| {
                ValidationErrors::single(name, "invalid", format!("{name} is not a price"))
            }),
        }
    };
    let on = |name: &str| form.text(name) == "on" || form.text(name) == "true";
    let result: Result<(), StoreError> = async {
        let v = StoreError::Validation;
        match op {
            "add_category" => {
                let c = CategoryInput {
                    name: form.optional("name"),
                    position: None,
                };
                s.create_category(
                    sid,
                    state.new_id(CategoryId::from_parts),
                    c.validate(true).map_err(v)?,
                    now,
                )
                .await?;
            }
            "rename_category" => {
                let c = CategoryInput {
                    name: form.optional("name"),
                    position: None,
                };
                let cid = CategoryId::parse(form.text("id")).ok_or(StoreError::NotFound)?;
                s.update_category(sid, &cid, c.validate(false).map_err(v)?)
                    .await?;
            }
            "delete_category" => {
                let cid = CategoryId::parse(form.text("id")).ok_or(StoreError::NotFound)?;
                s.delete_category(sid, &cid).await?;
            }
            "add_item" | "update_item" => {
                let input = ItemInput {
                    category_id: form.optional("category"),
                    name: form.optional("name"),
                    description: Some(form.text("description").to_owned()),
                    price: price("price").map_err(v)?,
                    sold_out: (op == "update_item").then(|| on("sold_out")),
                    position: None,
                };
                if op == "add_item" {
                    s.create_item(
                        sid,
                        state.new_id(MenuItemId::from_parts),
                        input.validate(true).map_err(v)?,
                        now,
                    )
                    .await?;
                } else {
                    let iid = MenuItemId::parse(form.text("id")).ok_or(StoreError::NotFound)?;
                    s.update_item(sid, &iid, input.validate(false).map_err(v)?, now)
                        .await?;
                }
            }
            "toggle_item" => {
                let iid = MenuItemId::parse(form.text("id")).ok_or(StoreError::NotFound)?;
                let input = ItemInput {
                    sold_out: Some(on("sold_out")),
                    ..ItemInput::default()
                };
                s.update_item(sid, &iid, input.validate(false).map_err(v)?, now)
                    .await?;
            }
            "delete_item" => {
                let iid = MenuItemId::parse(form.text("id")).ok_or(StoreError::NotFound)?;
                s.delete_item(sid, &iid).await?;
            }
            "add_group" => {
                let iid = MenuItemId::parse(form.text("item")).ok_or(StoreError::NotFound)?;
                let g = OptionGroupInput {
                    name: form.optional("name"),
                    min: form.text("min").trim().parse().ok(),
                    max: form.text("max").trim().parse().ok(),
                    position: None,
                };
                s.create_option_group(
                    sid,
                    &iid,
                    state.new_id(OptionGroupId::from_parts),
                    g.validate(true).map_err(v)?,
                )
                .await?;
            }
            "delete_group" => {
                let gid = OptionGroupId::parse(form.text("id")).ok_or(StoreError::NotFound)?;
                s.delete_option_group(sid, &gid).await?;
            }
            "add_option" => {
                let gid = OptionGroupId::parse(form.text("group")).ok_or(StoreError::NotFound)?;
                let o = OptionInput {
                    name: form.optional("name"),
                    price: price("price").map_err(v)?,
                    sold_out: None,
                    position: None,
                };
                s.create_option(
                    sid,
                    &gid,
                    state.new_id(OptionId::from_parts),
                    o.validate(true).map_err(v)?,
                )
                .await?;
            }
            "toggle_option" => {
                let oid = OptionId::parse(form.text("id")).ok_or(StoreError::NotFound)?;
                let o = OptionInput {
                    sold_out: Some(on("sold_out")),
                    ..OptionInput::default()
                };
                s.update_option(sid, &oid, o.validate(false).map_err(v)?)
                    .await?;
            }
            "delete_option" => {
                let oid = OptionId::parse(form.text("id")).ok_or(StoreError::NotFound)?;
                s.delete_option(sid, &oid).await?;
            }
            _ => return Err(StoreError::NotFound),
        }
        Ok(())
    }
    .await;
    let t = Lang::negotiate(&headers, Some(&shop.locale)).texts();
    let anchor = form
        .optional("anchor")
        .filter(|a| a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    match result {
        Ok(()) => Ok(see_other(&match anchor {
            Some(a) => format!("{path}#{a}"),
            None => path,
        })),
        Err(StoreError::Validation(errors)) => {
            let messages = errors.0.into_iter().map(|e| e.message).collect();
            page(
                &state,
                &headers,
                &slug,
                messages,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(StoreError::Conflict(_)) if op == "delete_category" => {
            page(
                &state,
                &headers,
                &slug,
                vec![t.empty_category_first.to_owned()],
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_follow_the_currency() {
        assert_eq!(parse_price(Currency::KRW, "4,500"), Some(4500));
        assert_eq!(parse_price(Currency::KRW, "4.5"), None);
        assert_eq!(parse_price(Currency::USD, "4.5"), Some(450));
        assert_eq!(parse_price(Currency::USD, "4.50"), Some(450));
        assert_eq!(parse_price(Currency::USD, "4.505"), None);
        assert_eq!(parse_price(Currency::USD, "-1"), None);
        assert_eq!(price_input(Currency::USD, 450), "4.50");
        assert_eq!(price_input(Currency::KRW, 4500), "4500");
    }
}
