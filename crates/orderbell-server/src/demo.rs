//! `serve --demo`: a ready-to-try shop `demo` ("Orderbell Demo Cafe", KRW, Asia/Seoul) with a
//! small Korean/English menu and a ₩3,000 delivery fee, and its owner. Created once; later starts reuse it.
//!
//! The demo owner's password is generated at first start and kept in the settings table so it
//! can be shown at every `--demo` start. That is for the demo account only: every other
//! password exists solely as an argon2id hash.

use anyhow::Context;
use orderbell_core::menu::{CategoryInput, ItemInput, OptionGroupInput, OptionInput};
use orderbell_core::shop::NewShopRequest;
use orderbell_core::{CategoryId, MenuItemId, OptionGroupId, OptionId, ShopId, UserId};
use orderbell_store::NewUser;

use crate::security::{password, random_bytes};
use crate::state::AppState;

pub const DEMO_SLUG: &str = "demo";
pub const DEMO_EMAIL: &str = "owner@demo.orderbell.example";

pub struct DemoLogin {
    pub email: &'static str,
    pub password: String,
}

fn readable_password() -> String {
    // 16 characters from an alphabet without look-alikes: about 80 bits.
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    random_bytes::<16>()
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// Makes sure the demo shop and owner exist; returns the owner's login.
pub async fn ensure(state: &AppState) -> anyhow::Result<DemoLogin> {
    let store = &state.store;
    let password = store
        .setting_init("demo_password", &readable_password())
        .await?;
    let owner = match store.user_by_email(DEMO_EMAIL).await? {
        Some(user) => user,
        None => {
            let hash = password::hash_blocking(password.clone()).await?;
            store
                .create_user(NewUser {
                    id: state.new_id(UserId::from_parts),
                    email: DEMO_EMAIL.into(),
                    name: "Demo Owner".into(),
                    password_hash: Some(hash),
                    created_at: state.now(),
                    email_verified_at: Some(state.now()),
                })
                .await?
        }
    };
    if store.shop_by_slug(DEMO_SLUG).await?.is_none() {
        let new = NewShopRequest {
            slug: DEMO_SLUG.into(),
            name: "Orderbell Demo Cafe".into(),
            currency: Some("KRW".into()),
            time_zone: Some("Asia/Seoul".into()),
            locale: Some("ko".into()),
            phone: Some("+82212345678".into()),
        }
        .validate()
        .map_err(|e| anyhow::anyhow!("demo shop: {e:?}"))?;
        let shop = store
            .create_shop(
                state.new_id(ShopId::from_parts),
                new,
                &owner.id,
                state.now(),
            )
            .await?;
        fill_menu(state, &shop.id)
            .await
            .context("creating the demo menu")?;
        // Delivery costs something, as it does in most shops.
        let delivery = orderbell_core::shop::ShopPatchRequest {
            guest_ordering: Some(orderbell_core::shop::OrderingOptions {
                delivery_fee: 3_000,
                delivery_note: Some("2km 이내 · within 2 km".into()),
                ..Default::default()
            }),
            ..Default::default()
        }
        .validate()
        .map_err(|e| anyhow::anyhow!("demo shop: {e:?}"))?;
        store.update_shop(&shop.id, delivery, state.now()).await?;
        tracing::info!("created the demo shop");
    }
    Ok(DemoLogin {
        email: DEMO_EMAIL,
        password,
    })
}

fn invalid(e: orderbell_core::ValidationErrors) -> anyhow::Error {
    anyhow::anyhow!("demo menu: {e:?}")
}

async fn fill_menu(state: &AppState, shop: &ShopId) -> anyhow::Result<()> {
    let store = &state.store;
    let category = |name: &str| CategoryInput {
        name: Some(name.into()),
        position: None,
    };
    let coffee = store
        .create_category(
            shop,
            state.new_id(CategoryId::from_parts),
            category("커피 Coffee").validate(true).map_err(invalid)?,
            state.now(),
        )
        .await?;
    let dessert = store
        .create_category(
            shop,
            state.new_id(CategoryId::from_parts),
            category("디저트 Dessert").validate(true).map_err(invalid)?,
            state.now(),
        )
        .await?;
    let items: [(&CategoryId, &str, &str, i64, bool); 6] = [
        (
            &coffee.id,
            "아메리카노 Americano",
            "진한 에스프레소와 물 · Espresso and hot water",
            4500,
            true,
        ),
        (
            &coffee.id,
            "카페라떼 Caffè Latte",
            "에스프레소와 스팀 우유 · Espresso with steamed milk",
            5000,
            true,
        ),
        (
            &coffee.id,
            "바닐라라떼 Vanilla Latte",
            "바닐라 시럽을 넣은 라떼 · Latte with vanilla syrup",
            5500,
            true,
        ),
        (
            &coffee.id,
            "녹차라떼 Green Tea Latte",
            "제주 말차 · Jeju matcha with milk",
            5500,
            false,
        ),
        (
            &dessert.id,
            "치즈케이크 Cheesecake",
            "뉴욕 스타일 · New York style",
            6500,
            false,
        ),
        (
            &dessert.id,
            "크루아상 Croissant",
            "버터 크루아상 · Butter croissant",
            3800,
            false,
        ),
    ];
    for (category_id, name, description, price, coffee_options) in items {
        let input = ItemInput {
            category_id: Some(category_id.to_string()),
            name: Some(name.into()),
            description: Some(description.into()),
            price: Some(price),
            sold_out: None,
            hidden: None,
            position: None,
        };
        let item = store
            .create_item(
                shop,
                state.new_id(MenuItemId::from_parts),
                input.validate(true).map_err(invalid)?,
                state.now(),
            )
            .await?;
        if !coffee_options {
            continue;
        }
        let size = OptionGroupInput {
            name: Some("사이즈 Size".into()),
            min: Some(1),
            max: Some(1),
            position: None,
        };
        let size = store
            .create_option_group(
                shop,
                &item.id,
                state.new_id(OptionGroupId::from_parts),
                size.validate(true).map_err(invalid)?,
            )
            .await?;
        for (name, price) in [("레귤러 Regular", 0), ("라지 Large", 700)] {
            let option = OptionInput {
                name: Some(name.into()),
                price: Some(price),
                sold_out: None,
                position: None,
            };
            store
                .create_option(
                    shop,
                    &size.id,
                    state.new_id(OptionId::from_parts),
                    option.validate(true).map_err(invalid)?,
                )
                .await?;
        }
    }
    Ok(())
}
