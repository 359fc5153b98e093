//! Shops and API keys are kept for a second after they are read (`lookup_cache`): a change
//! made through the same store is seen at once, a change made by another instance on the same
//! database within the second.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::sync::Arc;
use std::time::Duration;

use orderbell_core::shop::ShopPatch;
use orderbell_core::{ApiKeyId, ShopId};
use orderbell_store::{ApiKey, NewApiKey, Scope, Store};

use crate::support::fixtures::{shop, user};
use crate::support::{Backend, fresh, id, now, second};

/// How long an instance may keep a key or shop it read (one second), with a margin.
const AFTER_THE_CACHE_PERIOD: Duration = Duration::from_millis(1_100);

async fn key(store: &Arc<dyn Store>, shop: &ShopId, hash: &str) -> ApiKey {
    store
        .create_api_key(NewApiKey {
            id: id(ApiKeyId::from_parts),
            shop_id: shop.clone(),
            name: hash.into(),
            scopes: vec![Scope::OrdersWrite],
            token_hash: hash.into(),
            prefix: "obk_1234".into(),
            created_at: now(),
        })
        .await
        .unwrap()
}

async fn revoked_keys_are_refused(backend: Backend) {
    let Some((one, guard)) = fresh(backend).await else {
        return;
    };
    let two = second(&guard).await;
    let owner = user(&one, "o@example.com").await;
    let s = shop(&one, "kept", &owner).await;
    let here = key(&one, &s, "revoked-here").await;
    let there = key(&one, &s, "revoked-there").await;
    // Both instances have read both keys (and keep them).
    for store in [&one, &two] {
        for hash in ["revoked-here", "revoked-there"] {
            assert!(store.api_key(hash).await.unwrap().is_some());
        }
    }

    // Revoked through this store: refused by it at once.
    one.revoke_api_key(&s, &here.id, now()).await.unwrap();
    assert!(one.api_key("revoked-here").await.unwrap().is_none());

    // Revoked through another instance: refused here once the cache period is over.
    two.revoke_api_key(&s, &there.id, now()).await.unwrap();
    assert!(two.api_key("revoked-there").await.unwrap().is_none());
    tokio::time::sleep(AFTER_THE_CACHE_PERIOD).await;
    assert!(one.api_key("revoked-there").await.unwrap().is_none());
    assert!(two.api_key("revoked-here").await.unwrap().is_none());
}

async fn shop_changes_are_seen(backend: Backend) {
    let Some((one, guard)) = fresh(backend).await else {
        return;
    };
    let two = second(&guard).await;
    let owner = user(&one, "o@example.com").await;
    // The fixture's slugs start with `shop-`.
    let s = shop(&one, "kept", &owner).await;
    for store in [&one, &two] {
        assert!(
            store
                .shop_by_slug("shop-kept")
                .await
                .unwrap()
                .unwrap()
                .accepting_orders
        );
    }
    let closed = ShopPatch {
        accepting_orders: Some(false),
        ..ShopPatch::default()
    };
    one.update_shop(&s, closed, now()).await.unwrap();
    // At once through the store that changed it, within a second through the other.
    assert!(
        !one.shop_by_slug("shop-kept")
            .await
            .unwrap()
            .unwrap()
            .accepting_orders
    );
    tokio::time::sleep(AFTER_THE_CACHE_PERIOD).await;
    assert!(
        !two.shop_by_slug("shop-kept")
            .await
            .unwrap()
            .unwrap()
            .accepting_orders
    );
    // An unknown slug is not remembered as unknown.
    assert!(one.shop_by_slug("shop-later").await.unwrap().is_none());
    shop(&two, "later", &owner).await;
    assert!(one.shop_by_slug("shop-later").await.unwrap().is_some());
}

mod sqlite {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn revoked_keys_are_refused() {
        super::revoked_keys_are_refused(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shop_changes_are_seen() {
        super::shop_changes_are_seen(Backend::Sqlite).await;
    }
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn revoked_keys_are_refused() {
        super::revoked_keys_are_refused(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shop_changes_are_seen() {
        super::shop_changes_are_seen(Backend::Postgres).await;
    }
}

#[cfg(feature = "dynamodb")]
mod dynamodb {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn revoked_keys_are_refused() {
        super::revoked_keys_are_refused(Backend::Dynamodb).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shop_changes_are_seen() {
        super::shop_changes_are_seen(Backend::Dynamodb).await;
    }
}
