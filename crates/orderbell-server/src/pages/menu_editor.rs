//! The menu editor `/dashboard/{slug}/menu` (owners edit, staff may toggle sold-out):
//! categories, items, option groups and options, prices, sold-out switches. One form per
//! change, each posting an `op` to the same address.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use orderbell_core::menu::{CategoryInput, ItemInput, MenuEntry, OptionGroupInput, OptionInput};
use orderbell_core::user::Duty;
use orderbell_core::{
    CategoryId, Currency, MenuItemId, OptionGroupId, OptionId, ShopId, ValidationErrors,
};
use orderbell_store::StoreError;

use super::dashboard::nav;
use super::error::PageError;
use super::form::Form;
use super::render::{Cache, Chrome, render, see_other};
use super::session::{form_user, member_of, require};
use crate::pages::i18n::negotiate;
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
    /// Hidden from guests.
    pub hidden: bool,
    /// The photo's address, when the item has one.
    pub photo_url: Option<String>,
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
    let lang = negotiate(headers, Some(&shop.locale));
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
                    hidden: i.hidden,
                    photo_url: i.photo_url.clone(),
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
        owner: role.may(Duty::Menu),
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

/// One change the menu form posts (`op=…`), with its fields read and typed. Checking the
/// inputs against the menu rules is left to the function that applies it.
enum MenuOp {
    AddCategory {
        name: Option<String>,
    },
    RenameCategory {
        id: CategoryId,
        name: Option<String>,
    },
    DeleteCategory {
        id: CategoryId,
    },
    AddItem {
        item: ItemInput,
    },
    UpdateItem {
        id: MenuItemId,
        item: ItemInput,
    },
    ToggleItem {
        id: MenuItemId,
        sold_out: bool,
    },
    /// Hide an item from guests, or show it again (owners).
    HideItem {
        id: MenuItemId,
        hidden: bool,
    },
    DeleteItem {
        id: MenuItemId,
    },
    AddGroup {
        item: MenuItemId,
        group: OptionGroupInput,
    },
    DeleteGroup {
        id: OptionGroupId,
    },
    AddOption {
        group: OptionGroupId,
        option: OptionInput,
    },
    ToggleOption {
        id: OptionId,
        sold_out: bool,
    },
    DeleteOption {
        id: OptionId,
    },
    Move {
        entry: MenuEntry,
        up: bool,
    },
    RemovePhoto {
        id: MenuItemId,
    },
}

/// Staff may switch sold-out on and off; every other `op` is for owners.
fn staff_may(op: &str) -> bool {
    matches!(op, "toggle_item" | "toggle_option")
}

/// An id field of the form; one that does not parse names nothing there is.
fn form_id<T>(form: &Form, field: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(form.text(field)).ok_or(StoreError::NotFound)
}

/// A price field of the form in minor units, `None` when empty.
fn form_price(form: &Form, currency: Currency, field: &str) -> Result<Option<i64>, StoreError> {
    match form.optional(field) {
        None => Ok(None),
        Some(p) => currency.parse(&p).map(Some).ok_or_else(|| {
            StoreError::Validation(ValidationErrors::single(
                field,
                "invalid",
                format!("{field} is not a price"),
            ))
        }),
    }
}

/// A switch of the form: `on` or `true`.
fn form_on(form: &Form, field: &str) -> bool {
    form.text(field) == "on" || form.text(field) == "true"
}

impl MenuOp {
    /// Reads the form's `op` and the fields it needs. An unknown `op` or an id that does not
    /// parse is `NotFound`; a price that does not parse is a validation error.
    fn parse(form: &Form, currency: Currency) -> Result<MenuOp, StoreError> {
        let item = |sold_out: Option<bool>| -> Result<ItemInput, StoreError> {
            Ok(ItemInput {
                category_id: form.optional("category"),
                name: form.optional("name"),
                description: Some(form.text("description").to_owned()),
                price: form_price(form, currency, "price")?,
                sold_out,
                hidden: None,
                position: None,
            })
        };
        Ok(match form.text("op") {
            "add_category" => MenuOp::AddCategory {
                name: form.optional("name"),
            },
            "rename_category" => MenuOp::RenameCategory {
                id: form_id(form, "id", CategoryId::parse)?,
                name: form.optional("name"),
            },
            "delete_category" => MenuOp::DeleteCategory {
                id: form_id(form, "id", CategoryId::parse)?,
            },
            "add_item" => MenuOp::AddItem { item: item(None)? },
            "update_item" => {
                // A bad price is answered before an unknown id.
                let item = item(Some(form_on(form, "sold_out")))?;
                MenuOp::UpdateItem {
                    id: form_id(form, "id", MenuItemId::parse)?,
                    item,
                }
            }
            "toggle_item" => MenuOp::ToggleItem {
                id: form_id(form, "id", MenuItemId::parse)?,
                sold_out: form_on(form, "sold_out"),
            },
            "hide_item" => MenuOp::HideItem {
                id: form_id(form, "id", MenuItemId::parse)?,
                hidden: form_on(form, "hidden"),
            },
            "delete_item" => MenuOp::DeleteItem {
                id: form_id(form, "id", MenuItemId::parse)?,
            },
            "add_group" => MenuOp::AddGroup {
                item: form_id(form, "item", MenuItemId::parse)?,
                group: OptionGroupInput {
                    name: form.optional("name"),
                    min: form.text("min").trim().parse().ok(),
                    max: form.text("max").trim().parse().ok(),
                    position: None,
                },
            },
            "delete_group" => MenuOp::DeleteGroup {
                id: form_id(form, "id", OptionGroupId::parse)?,
            },
            "add_option" => MenuOp::AddOption {
                group: form_id(form, "group", OptionGroupId::parse)?,
                option: OptionInput {
                    name: form.optional("name"),
                    price: form_price(form, currency, "price")?,
                    sold_out: None,
                    position: None,
                },
            },
            "toggle_option" => MenuOp::ToggleOption {
                id: form_id(form, "id", OptionId::parse)?,
                sold_out: form_on(form, "sold_out"),
            },
            "delete_option" => MenuOp::DeleteOption {
                id: form_id(form, "id", OptionId::parse)?,
            },
            "remove_photo" => MenuOp::RemovePhoto {
                id: form_id(form, "id", MenuItemId::parse)?,
            },
            "move" => MenuOp::Move {
                entry: match form.text("kind") {
                    "category" => MenuEntry::Category(form_id(form, "id", CategoryId::parse)?),
                    "item" => MenuEntry::Item(form_id(form, "id", MenuItemId::parse)?),
                    _ => return Err(StoreError::NotFound),
                },
                up: match form.text("dir") {
                    "up" => true,
                    "down" => false,
                    _ => return Err(StoreError::NotFound),
                },
            },
            _ => return Err(StoreError::NotFound),
        })
    }

    /// Applies the change to the shop's menu.
    async fn apply(self, state: &AppState, shop: &ShopId) -> Result<(), StoreError> {
        match self {
            MenuOp::AddCategory { name } => add_category(state, shop, name).await,
            MenuOp::RenameCategory { id, name } => rename_category(state, shop, &id, name).await,
            MenuOp::DeleteCategory { id } => state.store.delete_category(shop, &id).await,
            MenuOp::AddItem { item } => add_item(state, shop, item).await,
            MenuOp::UpdateItem { id, item } => update_item(state, shop, &id, item).await,
            MenuOp::ToggleItem { id, sold_out } => toggle_item(state, shop, &id, sold_out).await,
            MenuOp::HideItem { id, hidden } => {
                let item = ItemInput {
                    hidden: Some(hidden),
                    ..ItemInput::default()
                };
                update_item(state, shop, &id, item).await
            }
            MenuOp::DeleteItem { id } => state.store.delete_item(shop, &id).await,
            MenuOp::AddGroup { item, group } => add_group(state, shop, &item, group).await,
            MenuOp::DeleteGroup { id } => state.store.delete_option_group(shop, &id).await,
            MenuOp::AddOption { group, option } => add_option(state, shop, &group, option).await,
            MenuOp::ToggleOption { id, sold_out } => {
                toggle_option(state, shop, &id, sold_out).await
            }
            MenuOp::DeleteOption { id } => state.store.delete_option(shop, &id).await,
            // At an end already: nothing to do, and nothing wrong.
            MenuOp::Move { entry, up } => state
                .store
                .move_menu_entry(shop, entry, up)
                .await
                .map(|_| ()),
            MenuOp::RemovePhoto { id } => state
                .store
                .set_item_photo(shop, &id, None, state.now())
                .await
                .map(|_| ()),
        }
    }
}

async fn add_category(
    state: &AppState,
    shop: &ShopId,
    name: Option<String>,
) -> Result<(), StoreError> {
    let id = state.new_id(CategoryId::from_parts);
    let change = CategoryInput {
        name,
        position: None,
    }
    .validate(true)?;
    state
        .store
        .create_category(shop, id, change, state.now())
        .await?;
    Ok(())
}

async fn rename_category(
    state: &AppState,
    shop: &ShopId,
    id: &CategoryId,
    name: Option<String>,
) -> Result<(), StoreError> {
    let change = CategoryInput {
        name,
        position: None,
    }
    .validate(false)?;
    state.store.update_category(shop, id, change).await?;
    Ok(())
}

async fn add_item(state: &AppState, shop: &ShopId, item: ItemInput) -> Result<(), StoreError> {
    let id = state.new_id(MenuItemId::from_parts);
    let change = item.validate(true)?;
    state
        .store
        .create_item(shop, id, change, state.now())
        .await?;
    Ok(())
}

async fn update_item(
    state: &AppState,
    shop: &ShopId,
    id: &MenuItemId,
    item: ItemInput,
) -> Result<(), StoreError> {
    let change = item.validate(false)?;
    state
        .store
        .update_item(shop, id, change, state.now())
        .await?;
    Ok(())
}

async fn toggle_item(
    state: &AppState,
    shop: &ShopId,
    id: &MenuItemId,
    sold_out: bool,
) -> Result<(), StoreError> {
    let item = ItemInput {
        sold_out: Some(sold_out),
        ..ItemInput::default()
    };
    update_item(state, shop, id, item).await
}

async fn add_group(
    state: &AppState,
    shop: &ShopId,
    item: &MenuItemId,
    group: OptionGroupInput,
) -> Result<(), StoreError> {
    let id = state.new_id(OptionGroupId::from_parts);
    let change = group.validate(true)?;
    state
        .store
        .create_option_group(shop, item, id, change)
        .await?;
    Ok(())
}

async fn add_option(
    state: &AppState,
    shop: &ShopId,
    group: &OptionGroupId,
    option: OptionInput,
) -> Result<(), StoreError> {
    let id = state.new_id(OptionId::from_parts);
    let change = option.validate(true)?;
    state.store.create_option(shop, group, id, change).await?;
    Ok(())
}

async fn toggle_option(
    state: &AppState,
    shop: &ShopId,
    id: &OptionId,
    sold_out: bool,
) -> Result<(), StoreError> {
    let change = OptionInput {
        sold_out: Some(sold_out),
        ..OptionInput::default()
    }
    .validate(false)?;
    state.store.update_option(shop, id, change).await?;
    Ok(())
}

/// `POST /dashboard/{slug}/menu`: one change (`op=…`), then back to the editor (at the anchor
/// the form names), or the editor again with what was wrong.
pub async fn save(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}/menu");
    let who = form_user(&state, &headers, &form, &path).await?;
    let (shop, role) = member_of(&state, &who, &slug).await?;
    if !role.may(Duty::Menu) && !staff_may(form.text("op")) {
        return Err(PageError::new(super::error::ErrorKind::Forbidden));
    }
    let op = MenuOp::parse(&form, shop.currency);
    let deleting_category = matches!(op, Ok(MenuOp::DeleteCategory { .. }));
    let result = match op {
        Ok(op) => op.apply(&state, &shop.id).await,
        Err(e) => Err(e),
    };
    answer(
        &state,
        &headers,
        &slug,
        &shop,
        &form,
        result,
        deleting_category,
    )
    .await
}

/// After a change: back to the editor at the anchor the form names, or the editor again with
/// what was wrong, in the page's language.
async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    shop: &orderbell_core::shop::Shop,
    form: &Form,
    result: Result<(), StoreError>,
    deleting_category: bool,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}/menu");
    let t = negotiate(headers, Some(&shop.locale)).texts();
    let anchor = form
        .optional("anchor")
        .filter(|a| a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    match result {
        Ok(()) => Ok(see_other(&match anchor {
            Some(a) => format!("{path}#{a}"),
            None => path,
        })),
        Err(StoreError::Validation(errors)) => {
            let messages = super::form::error_messages(errors.0, t);
            page(
                state,
                headers,
                slug,
                messages,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(StoreError::Conflict(_)) if deleting_category => {
            page(
                state,
                headers,
                slug,
                vec![t.empty_category_first.to_owned()],
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /dashboard/{slug}/menu/photo` (`multipart/form-data`: `csrf`, `id`, `anchor`, then the
/// file `photo`): an item's new photo (owners). The file comes last so that the other fields
/// are read even when the file is too large.
pub async fn save_photo(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}/menu");
    let mut multipart =
        multipart.map_err(|_| PageError::new(super::error::ErrorKind::BadRequest))?;
    let mut form = Form::default();
    let mut upload: Result<Option<axum::body::Bytes>, crate::photos::PhotoError> = Ok(None);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                upload = Err(crate::photos::PhotoError::TooLarge);
                break;
            }
            Err(_) => return Err(PageError::new(super::error::ErrorKind::BadRequest)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photo" {
            upload = match field.bytes().await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    Err(crate::photos::PhotoError::TooLarge)
                }
                Err(_) => return Err(PageError::new(super::error::ErrorKind::BadRequest)),
            };
        } else if form.0.len() < 16 {
            let value = field
                .text()
                .await
                .map_err(|_| PageError::new(super::error::ErrorKind::BadRequest))?;
            form.0.push((name, value));
        }
    }
    let who = form_user(&state, &headers, &form, &path).await?;
    let (shop, role) = member_of(&state, &who, &slug).await?;
    if !role.may(Duty::Menu) {
        return Err(PageError::new(super::error::ErrorKind::Forbidden));
    }
    let photo_error = |e: crate::photos::PhotoError| {
        StoreError::Validation(ValidationErrors::single("photo", e.code(), e.to_string()))
    };
    let result = match (form_id(&form, "id", MenuItemId::parse), upload) {
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(photo_error(e)),
        (Ok(id), Ok(Some(bytes))) if !bytes.is_empty() => {
            match crate::photos::store(&state, &shop.id, &id, bytes).await {
                Ok(_) => Ok(()),
                Err(crate::photos::PhotoStoreError::Photo(e)) => Err(photo_error(e)),
                Err(crate::photos::PhotoStoreError::Store(e)) => Err(e),
            }
        }
        (Ok(_), Ok(_)) => Err(StoreError::Validation(ValidationErrors::single(
            "photo",
            "required",
            "choose a photo",
        ))),
    };
    answer(&state, &headers, &slug, &shop, &form, result, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_follow_the_currency() {
        assert_eq!(Currency::KRW.parse("4,500"), Some(4500));
        assert_eq!(Currency::KRW.parse("4,500원"), Some(4500));
        assert_eq!(Currency::KRW.parse("4.5"), None);
        assert_eq!(Currency::USD.parse("4.5"), Some(450));
        assert_eq!(Currency::USD.parse("4.50"), Some(450));
        assert_eq!(Currency::USD.parse("4.505"), None);
        assert_eq!(Currency::USD.parse("-1"), None);
        assert_eq!(price_input(Currency::USD, 450), "4.50");
        assert_eq!(price_input(Currency::KRW, 4500), "4500");
    }
}
