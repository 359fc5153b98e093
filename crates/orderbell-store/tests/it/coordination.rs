//! What several instances on one database agree on: shared rate-limit buckets, leases for
//! background work, dashboard presence, and (PostgreSQL) the LISTEN/NOTIFY relay between
//! instances, including the loss of its listening connection.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::sync::Arc;
use std::time::Duration;

use crate::support::{
    Backend, Guard, create_postgres_database, fresh, id, now, postgres_url, with_database,
};
use jiff::SignedDuration;
use orderbell_core::shop::NewShopRequest;
use orderbell_core::{ShopId, UserId};
use orderbell_store::pg_events::{self, Incoming};
use orderbell_store::{Bucket, NewUser, Store};

stories!(
    shared_buckets_allow_a_burst_then_one_per_period,
    a_lease_has_one_holder_until_it_lapses_or_is_given_back,
    dashboards_are_counted_across_instances,
);

dynamodb_stories!(dynamodb_coordination:
    shared_buckets_allow_a_burst_then_one_per_period,
    a_lease_has_one_holder_until_it_lapses_or_is_given_back,
    dashboards_are_counted_across_instances,
);

async fn shared_buckets_allow_a_burst_then_one_per_period(store: Arc<dyn Store>) {
    let t0 = now();
    let bucket = Bucket {
        burst: 3,
        period_ms: 1000,
    };
    for _ in 0..3 {
        assert_eq!(store.take_token("k", bucket, t0).await.unwrap(), None);
    }
    // Empty: the next token comes one period after the first.
    let ready = store.take_token("k", bucket, t0).await.unwrap().unwrap();
    assert_eq!(ready.duration_since(t0), SignedDuration::from_millis(1000));
    // Another key has its own bucket.
    assert_eq!(store.take_token("other", bucket, t0).await.unwrap(), None);
    // Refusals take nothing: at the ready time exactly one token is there.
    let later = t0.checked_add(SignedDuration::from_millis(1000)).unwrap();
    assert_eq!(store.take_token("k", bucket, later).await.unwrap(), None);
    assert!(
        store
            .take_token("k", bucket, later)
            .await
            .unwrap()
            .is_some()
    );
    // Full buckets are forgotten; others are kept.
    let much_later = t0.checked_add(SignedDuration::from_secs(10)).unwrap();
    assert_eq!(
        store.prune_tokens(later).await.unwrap(),
        1,
        "only `other` is full at +1 s"
    );
    assert_eq!(store.prune_tokens(much_later).await.unwrap(), 1);
    assert_eq!(
        store.take_token("k", bucket, much_later).await.unwrap(),
        None
    );
}

async fn a_lease_has_one_holder_until_it_lapses_or_is_given_back(store: Arc<dyn Store>) {
    let t0 = now();
    let at = |ms: i64| t0.checked_add(SignedDuration::from_millis(ms)).unwrap();
    assert!(store.take_lease("work", "a", 30_000, t0).await.unwrap());
    assert!(!store.take_lease("work", "b", 30_000, at(1)).await.unwrap());
    // Renewed by its holder, it lasts from the renewal.
    assert!(
        store
            .take_lease("work", "a", 30_000, at(20_000))
            .await
            .unwrap()
    );
    assert!(
        !store
            .take_lease("work", "b", 30_000, at(40_000))
            .await
            .unwrap()
    );
    // Lapsed: another takes it over, and the old holder is refused.
    assert!(
        store
            .take_lease("work", "b", 30_000, at(50_000))
            .await
            .unwrap()
    );
    assert!(
        !store
            .take_lease("work", "a", 30_000, at(50_001))
            .await
            .unwrap()
    );
    // Other work has its own lease.
    assert!(
        store
            .take_lease("other", "a", 30_000, at(50_001))
            .await
            .unwrap()
    );
    // Given back, it is free at once; giving back someone else's lease does nothing.
    store.release_lease("work", "a").await.unwrap();
    assert!(
        !store
            .take_lease("work", "a", 30_000, at(50_002))
            .await
            .unwrap()
    );
    store.release_lease("work", "b").await.unwrap();
    assert!(
        store
            .take_lease("work", "a", 30_000, at(50_003))
            .await
            .unwrap()
    );
}

async fn dashboards_are_counted_across_instances(store: Arc<dyn Store>) {
    let owner = store
        .create_user(NewUser {
            id: id(UserId::from_parts),
            email: "presence@example.com".into(),
            name: "Presence".into(),
            password_hash: Some("hash".into()),
            created_at: now(),
            email_verified_at: None,
        })
        .await
        .unwrap()
        .id;
    let mut shops = vec![];
    for slug in ["presence-a", "presence-b"] {
        let new = NewShopRequest {
            slug: slug.into(),
            name: slug.into(),
            currency: None,
            time_zone: None,
            locale: None,
            phone: None,
        }
        .validate()
        .unwrap();
        shops.push(
            store
                .create_shop(id(ShopId::from_parts), new, &owner, now())
                .await
                .unwrap()
                .id,
        );
    }
    let (a, b) = (&shops[0], &shops[1]);
    let t0 = now();
    let at = |s: i64| t0.checked_add(SignedDuration::from_secs(s)).unwrap();
    store
        .report_dashboards("one", vec![(a.clone(), 2), (b.clone(), 0)], t0, at(-60))
        .await
        .unwrap();
    store
        .report_dashboards("two", vec![(a.clone(), 1)], t0, at(-60))
        .await
        .unwrap();
    assert_eq!(
        store.dashboards_elsewhere(a, "one", at(-30)).await.unwrap(),
        1
    );
    assert_eq!(
        store.dashboards_elsewhere(a, "two", at(-30)).await.unwrap(),
        2
    );
    assert_eq!(
        store
            .dashboards_elsewhere(a, "three", at(-30))
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .dashboards_elsewhere(b, "three", at(-30))
            .await
            .unwrap(),
        0
    );
    // A new report replaces the instance's old one.
    store
        .report_dashboards("one", vec![(b.clone(), 1)], at(10), at(-50))
        .await
        .unwrap();
    assert_eq!(
        store
            .dashboards_elsewhere(a, "three", at(-30))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .dashboards_elsewhere(b, "three", at(-30))
            .await
            .unwrap(),
        1
    );
    // Reports not refreshed are not counted, and are forgotten by the next report.
    assert_eq!(
        store.dashboards_elsewhere(a, "three", at(5)).await.unwrap(),
        0
    );
    store
        .report_dashboards("one", vec![], at(100), at(50))
        .await
        .unwrap();
    assert_eq!(store.dashboards_elsewhere(a, "three", t0).await.unwrap(), 0);
}

/// Waits for the next hint that is not `Resync`.
async fn next_hint(incoming: &mut tokio::sync::mpsc::UnboundedReceiver<Incoming>) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), incoming.recv()).await {
            Ok(Some(Incoming::Hint(p))) => return p,
            Ok(Some(Incoming::Resync)) => continue,
            other => panic!("no hint: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_relays_hints_between_instances_and_survives_a_lost_listener() {
    let Some(admin) = postgres_url() else { return };
    let a2 = admin.clone();
    let (url, name) = tokio::task::spawn_blocking(move || create_postgres_database(&a2))
        .await
        .unwrap();
    let _guard = Guard::Postgres {
        admin_url: admin.clone(),
        name: name.clone(),
    };
    let u = url.clone();
    let (mut one, mut two) = tokio::task::spawn_blocking(move || {
        (pg_events::start(&u).unwrap(), pg_events::start(&u).unwrap())
    })
    .await
    .unwrap();
    one.publisher.publish("first".into());
    assert_eq!(next_hint(&mut two.incoming).await, "first");
    assert_eq!(
        next_hint(&mut one.incoming).await,
        "first",
        "the publisher hears itself too"
    );
    // Many at once arrive in order.
    for i in 0..300 {
        two.publisher.publish(format!("n{i}"));
    }
    for i in 0..300 {
        assert_eq!(next_hint(&mut one.incoming).await, format!("n{i}"));
        assert_eq!(next_hint(&mut two.incoming).await, format!("n{i}"));
    }
    // Too long for NOTIFY: dropped, and what follows still goes.
    one.publisher
        .publish("x".repeat(pg_events::MAX_PAYLOAD + 1));
    one.publisher.publish("after".into());
    assert_eq!(next_hint(&mut two.incoming).await, "after");
    assert_eq!(next_hint(&mut one.incoming).await, "after");

    // PostgreSQL ends the listening connections of this database.
    let db = with_database(&admin, &name);
    let killed = tokio::task::spawn_blocking(move || {
        let mut c = ::postgres::Client::connect(&db, ::postgres::NoTls).unwrap();
        c.query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
              WHERE application_name = $1 AND datname = current_database()",
            &[&pg_events::LISTEN_APPLICATION_NAME],
        )
        .unwrap()
        .get::<_, i64>(0)
    })
    .await
    .unwrap();
    assert_eq!(killed, 2);
    // Each listener says it is back (and may have missed hints), then hears again.
    for incoming in [&mut one.incoming, &mut two.incoming] {
        match tokio::time::timeout(Duration::from_secs(20), incoming.recv()).await {
            Ok(Some(Incoming::Resync)) => {}
            other => panic!("expected a resync after the lost connection: {other:?}"),
        }
    }
    two.publisher.publish("back".into());
    assert_eq!(next_hint(&mut one.incoming).await, "back");
    assert_eq!(next_hint(&mut two.incoming).await, "back");
    drop((one, two));
}

/// New orders are announced from inside their own transaction: every order committed is
/// heard once, an order that failed never is, and SQLite declines (one instance).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_announces_new_orders_with_their_commit() {
    let (lite, _lite_guard) = fresh(Backend::Sqlite).await.unwrap();
    assert!(!lite.announce_new_orders(Arc::new(|_| None)));

    let Some((store, guard)) = fresh(Backend::Postgres).await else {
        return;
    };
    let Guard::Postgres { admin_url, name } = &guard else {
        unreachable!()
    };
    let url = with_database(admin_url, name);
    let mut events = tokio::task::spawn_blocking(move || pg_events::start(&url).unwrap())
        .await
        .unwrap();
    assert!(store.announce_new_orders(Arc::new(|order| {
        Some(format!("order {} {}", order.id, order.number))
    })));
    let owner = crate::support::fixtures::user(&store, "kim@example.com").await;
    let shop = crate::support::fixtures::shop(&store, "cafe", &owner).await;
    let nowhere = id(ShopId::from_parts);

    // Orders taken together (one batch, or a few) and one for a shop that does not exist.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = store.clone();
        let shop = if i == 17 {
            nowhere.clone()
        } else {
            shop.clone()
        };
        tasks.push(tokio::spawn(async move {
            let new = crate::support::fixtures::new_order(&shop, now());
            store.create_order(new).await
        }));
    }
    let mut expected = std::collections::BTreeSet::new();
    let mut failed = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(orderbell_store::CreatedOrder::New(order, _)) => {
                expected.insert(format!("order {} {}", order.id, order.number));
            }
            Ok(other) => panic!("not a new order: {other:?}"),
            Err(_) => failed += 1,
        }
    }
    assert_eq!((expected.len(), failed), (39, 1));
    // A hint published after every answer arrives after every announcement.
    events.publisher.publish("end".into());
    let mut heard = std::collections::BTreeSet::new();
    loop {
        let hint = next_hint(&mut events.incoming).await;
        if hint == "end" {
            break;
        }
        assert!(heard.insert(hint.clone()), "heard twice: {hint}");
    }
    assert_eq!(heard, expected);
    drop(events);
}
