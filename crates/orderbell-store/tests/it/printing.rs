//! Printing stories on both backends: printers, print jobs written with the order, delivery
//! acknowledgements, reprints, revocation and expiry.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::sync::Arc;

use crate::support::{Backend, fresh, id, now};
use orderbell_core::menu::{CategoryInput, ItemInput};
use orderbell_core::order::{
    Actor, CustomerInfo, Fulfillment, OrderAction, OrderItem, OrderSource,
};
use orderbell_core::pricing::PricedOrder;
use orderbell_core::shop::NewShopRequest;
use orderbell_core::{
    CategoryId, Currency, CustomerId, MenuItemId, OrderId, PrintJobId, PrinterId, ShopId, UserId,
};
use orderbell_store::printing::{AutoPrint, JobAck, JobStatus, NewPrinter, PrinterChange};
use orderbell_store::{CreatedOrder, NewOrder, NewUser, Store};

async fn shop(store: &Arc<dyn Store>) -> ShopId {
    let owner = store
        .create_user(NewUser {
            id: id(UserId::from_parts),
            email: "o@example.com".into(),
            name: "O".into(),
            password_hash: None,
            created_at: now(),
            email_verified_at: None,
        })
        .await
        .unwrap();
    let new = NewShopRequest {
        slug: "print".into(),
        name: "Print".into(),
        currency: None,
        time_zone: None,
        locale: None,
        phone: None,
    }
    .validate()
    .unwrap();
    store
        .create_shop(id(ShopId::from_parts), new, &owner.id, now())
        .await
        .unwrap()
        .id
}

async fn printer(
    store: &Arc<dyn Store>,
    shop: &ShopId,
    name: &str,
    auto: AutoPrint,
    copies: i64,
    categories: Option<Vec<CategoryId>>,
) -> PrinterId {
    store
        .create_printer(NewPrinter {
            id: id(PrinterId::from_parts),
            shop_id: shop.clone(),
            name: name.into(),
            token_hash: format!("hash-{name}"),
            token_prefix: "obd_x".into(),
            auto_print: auto,
            copies,
            category_ids: categories,
            created_at: now(),
            api_key_id: None,
        })
        .await
        .unwrap()
        .id
}

fn order(shop: &ShopId, menu_item: Option<&MenuItemId>) -> NewOrder {
    NewOrder {
        id: id(OrderId::from_parts),
        shop_id: shop.clone(),
        currency: Currency::KRW,
        priced: PricedOrder {
            items: vec![OrderItem {
                menu_item_id: menu_item.map(ToString::to_string),
                name: "Latte".into(),
                quantity: 1,
                unit_price: 5000,
                options: vec![],
                line_total: 5000,
            }],
            subtotal: 5000,
            total: 5000,
            customer: CustomerInfo::default(),
            fulfillment: Fulfillment::Pickup,
            note: None,
        },
        source: OrderSource::Api,
        actor: Actor::guest(),
        new_customer_id: id(CustomerId::from_parts),
        created_at: now(),
        idempotency: None,
    }
}

/// Places an order; the print jobs it answers with are the ones stored (one order alone, or
/// in a batch of many).
async fn place(store: &Arc<dyn Store>, o: NewOrder) -> orderbell_core::order::Order {
    let (order, jobs) = match store.create_order(o).await.unwrap() {
        CreatedOrder::New(o, jobs) => (o, jobs),
        CreatedOrder::Replayed(_) => panic!("replayed"),
    };
    let key = |j: &orderbell_store::printing::PrintJob| {
        (
            j.id.clone(),
            j.order_id.clone(),
            j.printer_id.clone(),
            j.printer_name.clone(),
            (j.copy, j.copies, j.reprint, j.status.as_str(), j.attempts),
        )
    };
    let mut answered: Vec<_> = jobs.iter().map(key).collect();
    let mut stored: Vec<_> = store
        .print_jobs_of(vec![order.id.clone()])
        .await
        .unwrap()
        .iter()
        .map(key)
        .collect();
    answered.sort();
    stored.sort();
    assert_eq!(answered, stored, "the jobs answered are the jobs stored");
    order
}

stories!(
    jobs_follow_the_order_and_its_acknowledgements,
    acknowledgements_recorded_together,
    auto_print_modes_and_categories,
    batches_queue_jobs_too,
    revoke_and_expire,
    a_waking_session_reads_its_work_at_once
);

async fn jobs_follow_the_order_and_its_acknowledgements(store: Arc<dyn Store>) {
    let s = shop(&store).await;
    let counter = printer(&store, &s, "Counter", AutoPrint::OnCreate, 2, None).await;
    assert_eq!(
        store
            .printer_by_token("hash-Counter")
            .await
            .unwrap()
            .unwrap()
            .id,
        counter
    );
    let o = place(&store, order(&s, None)).await;
    let owed = store.owed_jobs(&counter, 10).await.unwrap();
    assert_eq!(owed.len(), 2, "one job per copy");
    assert_eq!((owed[0].copy, owed[1].copy, owed[0].copies), (1, 2, 2));
    assert!(
        owed.iter()
            .all(|j| j.status == JobStatus::Queued && j.order_id == o.id && !j.reprint)
    );

    store
        .jobs_sent(&counter, vec![owed[0].id.clone()], now())
        .await
        .unwrap();
    let received = store
        .ack_job(&counter, &owed[0].id, JobAck::Received, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (received.status, received.attempts),
        (JobStatus::Delivered, 1)
    );
    assert_eq!(
        store.owed_jobs(&counter, 10).await.unwrap().len(),
        2,
        "delivered is still owed until final"
    );
    // The metrics endpoint's sample: open jobs by state.
    let open = |g: orderbell_store::Gauges| g.open_print_jobs;
    assert_eq!(
        open(store.gauges(now()).await.unwrap()),
        [("delivered".to_owned(), 1), ("queued".to_owned(), 1)]
    );
    let printed = store
        .ack_job(&counter, &owed[0].id, JobAck::Printed, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(printed.status, JobStatus::Printed);
    assert_eq!(
        open(store.gauges(now()).await.unwrap()),
        [("queued".to_owned(), 1)]
    );
    let late = store
        .ack_job(&counter, &owed[0].id, JobAck::Received, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        late.status,
        JobStatus::Printed,
        "final states never go back"
    );
    let failed = store
        .ack_job(
            &counter,
            &owed[1].id,
            JobAck::Failed("cutter jam".into()),
            now(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (failed.status, failed.error.as_deref()),
        (JobStatus::Failed, Some("cutter jam"))
    );
    assert!(store.owed_jobs(&counter, 10).await.unwrap().is_empty());

    // Another printer cannot acknowledge these jobs.
    let other = printer(&store, &s, "Other", AutoPrint::Manual, 1, None).await;
    assert!(
        store
            .ack_job(&other, &owed[0].id, JobAck::Printed, now())
            .await
            .unwrap()
            .is_none()
    );

    // A reprint is one copy on every active printer, marked.
    let again = store.reprint(&s, &o.id, None, now()).await.unwrap();
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|j| j.reprint && j.copies == 1));
    let only = store
        .reprint(&s, &o.id, Some(other.clone()), now())
        .await
        .unwrap();
    assert_eq!(only.len(), 1);
    let jobs = store.print_jobs_of(vec![o.id.clone()]).await.unwrap();
    assert_eq!(jobs.len(), 5);
    let events = store.order_events(&s, &o.id).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["created", "print_printed", "print_failed"]);
}

/// What a printer session reads when it wakes: nothing (and no shop) while nothing is owed;
/// then the owed jobs as `owed_jobs` lists them, the shop as it is now, and the orders of the
/// jobs never sent, each once however many copies it has.
async fn a_waking_session_reads_its_work_at_once(store: Arc<dyn Store>) {
    let s = shop(&store).await;
    let counter = printer(&store, &s, "Counter", AutoPrint::OnCreate, 2, None).await;
    let idle = store.owed_work(&s, &counter, 10).await.unwrap();
    assert!(idle.jobs.is_empty() && idle.shop.is_none() && idle.orders.is_empty());

    let first = place(&store, order(&s, None)).await;
    let second = place(&store, order(&s, None)).await;
    let work = store.owed_work(&s, &counter, 10).await.unwrap();
    let listed = store.owed_jobs(&counter, 10).await.unwrap();
    let ids = |jobs: &[orderbell_store::printing::PrintJob]| {
        jobs.iter().map(|j| j.id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&work.jobs), ids(&listed));
    assert_eq!(work.jobs.len(), 4, "two orders, two copies each");
    assert_eq!(work.shop.as_ref().map(|x| &x.id), Some(&s));
    let mut orders: Vec<OrderId> = work.orders.iter().map(|o| o.id.clone()).collect();
    orders.sort();
    let mut placed = vec![first.id.clone(), second.id.clone()];
    placed.sort();
    assert_eq!(orders, placed, "each order once");
    assert_eq!(work.orders[0].items[0].name, "Latte");

    // Both copies of the first order were sent: only the second order is read again.
    let sent: Vec<PrintJobId> = work
        .jobs
        .iter()
        .filter(|j| j.order_id == first.id)
        .map(|j| j.id.clone())
        .collect();
    store.jobs_sent(&counter, sent, now()).await.unwrap();
    let work = store.owed_work(&s, &counter, 10).await.unwrap();
    assert_eq!(work.jobs.len(), 4, "sent is still owed until final");
    let orders: Vec<&OrderId> = work.orders.iter().map(|o| &o.id).collect();
    assert_eq!(orders, [&second.id]);

    // A limit cuts the jobs, oldest first, as `owed_jobs` does.
    let work = store.owed_work(&s, &counter, 1).await.unwrap();
    assert_eq!(ids(&work.jobs), ids(&listed[..1]));
    assert!(work.orders.is_empty(), "the first order's jobs were sent");
}

/// What a fast printer's session records in one write: more jobs than one statement names
/// (64), each `received` then `printed`, a late duplicate, a job of another printer and an
/// unknown id: one answer per acknowledgement, in order, and one event per final job.
async fn acknowledgements_recorded_together(store: Arc<dyn Store>) {
    let s = shop(&store).await;
    let counter = printer(&store, &s, "Counter", AutoPrint::OnCreate, 1, None).await;
    let other = printer(&store, &s, "Other", AutoPrint::Manual, 1, None).await;
    let mut orders = vec![];
    for _ in 0..70 {
        orders.push(place(&store, order(&s, None)).await);
    }
    let foreign = store
        .reprint(&s, &orders[0].id, Some(other.clone()), now())
        .await
        .unwrap();
    let owed = store.owed_jobs(&counter, 100).await.unwrap();
    assert_eq!(owed.len(), 70);
    // The session reads their orders at once (more than one statement names); unknown ids
    // are left out.
    let mut wanted: Vec<OrderId> = owed.iter().map(|j| j.order_id.clone()).collect();
    wanted.push(id(OrderId::from_parts));
    let mut found: Vec<OrderId> = store
        .orders_by_ids(wanted.clone())
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    found.sort();
    wanted.pop();
    wanted.sort();
    assert_eq!(found, wanted);
    let ids: Vec<PrintJobId> = owed.iter().map(|j| j.id.clone()).collect();
    store.jobs_sent(&counter, ids.clone(), now()).await.unwrap();

    let mut acks = vec![];
    for id in &ids[..69] {
        acks.push((id.clone(), JobAck::Received));
        acks.push((id.clone(), JobAck::Printed));
    }
    acks.push((ids[0].clone(), JobAck::Received));
    acks.push((ids[69].clone(), JobAck::Failed("paper out".into())));
    acks.push((foreign[0].id.clone(), JobAck::Printed));
    acks.push((id(PrintJobId::from_parts), JobAck::Printed));
    let answers = store.ack_jobs(&counter, acks, now()).await.unwrap();
    assert_eq!(answers.len(), 2 * 69 + 4);
    let status = |i: usize| answers[i].as_ref().map(|j| (j.status, j.attempts));
    assert_eq!(
        status(0),
        Some((JobStatus::Delivered, 1)),
        "in the order they came"
    );
    assert_eq!(status(1), Some((JobStatus::Printed, 1)));
    assert_eq!(
        status(138),
        Some((JobStatus::Printed, 1)),
        "a late received changes nothing"
    );
    assert_eq!(status(139), Some((JobStatus::Failed, 1)));
    assert_eq!(
        answers[139].as_ref().unwrap().error.as_deref(),
        Some("paper out")
    );
    assert!(answers[140].is_none(), "another printer's job");
    assert!(answers[141].is_none(), "an unknown job");
    assert!(store.owed_jobs(&counter, 100).await.unwrap().is_empty());
    assert_eq!(store.owed_jobs(&other, 10).await.unwrap().len(), 1);

    for (i, o) in orders.iter().enumerate() {
        let kinds: Vec<String> = store
            .order_events(&s, &o.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .filter(|k| k.starts_with("print_"))
            .collect();
        let want = if owed[69].order_id == o.id {
            "print_failed"
        } else {
            "print_printed"
        };
        assert_eq!(kinds, [want], "order {i}");
    }
}

async fn auto_print_modes_and_categories(store: Arc<dyn Store>) {
    let s = shop(&store).await;
    let drinks = store
        .create_category(
            &s,
            id(CategoryId::from_parts),
            CategoryInput {
                name: Some("Drinks".into()),
                position: None,
            }
            .validate(true)
            .unwrap(),
            now(),
        )
        .await
        .unwrap();
    let food = store
        .create_category(
            &s,
            id(CategoryId::from_parts),
            CategoryInput {
                name: Some("Food".into()),
                position: None,
            }
            .validate(true)
            .unwrap(),
            now(),
        )
        .await
        .unwrap();
    let item = |c: &CategoryId| ItemInput {
        category_id: Some(c.to_string()),
        name: Some("X".into()),
        price: Some(1),
        ..Default::default()
    };
    let latte = store
        .create_item(
            &s,
            id(MenuItemId::from_parts),
            item(&drinks.id).validate(true).unwrap(),
            now(),
        )
        .await
        .unwrap();
    let on_accept = printer(&store, &s, "Bar", AutoPrint::OnAccept, 1, None).await;
    let manual = printer(&store, &s, "Office", AutoPrint::Manual, 1, None).await;
    let kitchen = printer(
        &store,
        &s,
        "Kitchen",
        AutoPrint::OnCreate,
        1,
        Some(vec![food.id.clone()]),
    )
    .await;
    let o = place(&store, order(&s, Some(&latte.id))).await;
    for p in [&on_accept, &manual, &kitchen] {
        assert!(
            store.owed_jobs(p, 10).await.unwrap().is_empty(),
            "nothing yet"
        );
    }
    store
        .apply_order_action(
            &s,
            &o.id,
            OrderAction::Accept { eta_minutes: 10 },
            Actor::system(),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.owed_jobs(&on_accept, 10).await.unwrap().len(),
        1,
        "printed on acceptance"
    );
    assert!(store.owed_jobs(&manual, 10).await.unwrap().is_empty());
    assert!(
        store.owed_jobs(&kitchen, 10).await.unwrap().is_empty(),
        "no food in this order"
    );
    // The kitchen printer takes drinks too once its filter says so.
    store
        .update_printer(
            &s,
            &kitchen,
            PrinterChange {
                category_ids: Some(Some(vec![drinks.id.clone()])),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    place(&store, order(&s, Some(&latte.id))).await;
    assert_eq!(store.owed_jobs(&kitchen, 10).await.unwrap().len(), 1);
    let p = store.printer(&s, &kitchen).await.unwrap().unwrap();
    assert_eq!(p.category_ids, Some(vec![drinks.id.clone()]));
}

async fn batches_queue_jobs_too(store: Arc<dyn Store>) {
    let s = shop(&store).await;
    let counter = printer(&store, &s, "Counter", AutoPrint::OnCreate, 1, None).await;
    let mut tasks = vec![];
    for _ in 0..100 {
        let (store, s) = (store.clone(), s.clone());
        tasks.push(tokio::spawn(async move {
            place(&store, order(&s, None)).await.id
        }));
    }
    let mut ids = vec![];
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    let owed = store.owed_jobs(&counter, 500).await.unwrap();
    assert_eq!(owed.len(), 100, "every order of every batch has its job");
    let jobs = store.print_jobs_of(ids).await.unwrap();
    assert_eq!(jobs.len(), 100);
}

async fn revoke_and_expire(store: Arc<dyn Store>) {
    let s = shop(&store).await;
    let a = printer(&store, &s, "A", AutoPrint::OnCreate, 1, None).await;
    let b = printer(&store, &s, "B", AutoPrint::OnCreate, 1, None).await;
    place(&store, order(&s, None)).await;
    store
        .printer_connection(&a, true, None, now())
        .await
        .unwrap();
    store
        .printer_state(&a, "paper_out", Some("roll empty"), now())
        .await
        .unwrap();
    let pa = store.printer(&s, &a).await.unwrap().unwrap();
    assert!(pa.connected);
    assert_eq!(
        (pa.state.as_deref(), pa.state_detail.as_deref()),
        (Some("paper_out"), Some("roll empty"))
    );

    store.revoke_printer(&s, &a, now()).await.unwrap();
    assert!(store.printer_by_token("hash-A").await.unwrap().is_none());
    let jobs = store
        .print_jobs_of(
            store
                .owed_jobs(&b, 10)
                .await
                .unwrap()
                .iter()
                .map(|j| j.order_id.clone())
                .collect(),
        )
        .await
        .unwrap();
    let of_a: Vec<_> = jobs.iter().filter(|j| j.printer_id == a).collect();
    assert_eq!(of_a[0].status, JobStatus::Failed);
    assert!(matches!(
        store.revoke_printer(&s, &a, now()).await,
        Err(orderbell_store::StoreError::NotFound)
    ));

    let later = now()
        .checked_add(jiff::SignedDuration::from_hours(13))
        .unwrap();
    let cutoff = later
        .checked_sub(jiff::SignedDuration::from_hours(12))
        .unwrap();
    let expired = store.expire_jobs(cutoff, later).await.unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!(
        (expired[0].printer_id.clone(), expired[0].status),
        (b.clone(), JobStatus::Expired)
    );
    assert!(store.owed_jobs(&b, 10).await.unwrap().is_empty());
}

dynamodb_stories!(dynamodb_printing:
    jobs_follow_the_order_and_its_acknowledgements,
    acknowledgements_recorded_together,
    auto_print_modes_and_categories,
    batches_queue_jobs_too,
    revoke_and_expire,
    a_waking_session_reads_its_work_at_once
);
