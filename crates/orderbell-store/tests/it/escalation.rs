//! Escalation stories on SQLite (always) and PostgreSQL (with `ORDERBELL_TEST_POSTGRES_URL`):
//! the timer written with the order, repeats, the call, `missed` with the guest told, the
//! automatic pause, the acknowledgement that ends it all, and two instances firing at once.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use crate::support;
use std::sync::Arc;

use crate::support::fixtures::{member_link, order, shop, user};
use crate::support::{Backend, fresh, now, second};
use jiff::SignedDuration;
use orderbell_core::ShopId;
use orderbell_core::alerts::AlertPolicyPatch;
use orderbell_core::escalation::Step;
use orderbell_core::order::{Actor, OrderAction, OrderStatus};
use orderbell_core::shop::ShopPatchRequest;
use orderbell_store::Store;
use orderbell_store::notifications::{Channel, NewLink, NotifyEvent, Recipient};

fn secs(s: i64) -> SignedDuration {
    SignedDuration::from_secs(s)
}

/// Repeats from 60 s every 60 s, a call at 120 s, missed at 600 s, pause after `pause` misses.
async fn policy(store: &Arc<dyn Store>, shop: &ShopId, pause: Option<i64>) {
    let current = store.shop(shop).await.unwrap().unwrap();
    let patch = ShopPatchRequest {
        phone: Some("+8221234567".into()),
        alerts: Some(AlertPolicyPatch {
            repeat_after_seconds: Some(60),
            repeat_every_seconds: Some(60),
            call_after_seconds: Some(Some(120)),
            miss_after_seconds: Some(Some(600)),
            pause_after_missed: Some(pause),
            ..AlertPolicyPatch::default()
        }),
        ..ShopPatchRequest::default()
    }
    .validate_for(&current)
    .unwrap();
    store.update_shop(shop, patch, now()).await.unwrap();
}

stories!(
    the_timer_is_written_with_the_order_and_ended_by_the_acknowledgement,
    an_unanswered_order_is_called_then_missed_and_the_shop_pauses,
    two_instances_fire_each_step_once,
);

dynamodb_stories!(dynamodb_alerts:
    the_timer_is_written_with_the_order_and_ended_by_the_acknowledgement,
    an_unanswered_order_is_called_then_missed_and_the_shop_pauses,
    two_instances_fire_each_step_once,
);

async fn the_timer_is_written_with_the_order_and_ended_by_the_acknowledgement(
    store: Arc<dyn Store>,
) {
    let owner = user(&store, "owner@a.example").await;
    let a = shop(&store, "a", &owner).await;
    policy(&store, &a, None).await;
    store
        .upsert_link(member_link(&owner, None, Channel::Telegram, "4242"))
        .await
        .unwrap();
    let t0 = now();
    let o = order(&store, &a, t0).await;
    let timer = store.order_alert(&o.id).await.unwrap().unwrap();
    assert_eq!(
        (timer.status.as_str(), timer.next_step, timer.due_at),
        ("active", Step::Repeat, t0 + secs(60))
    );
    assert_eq!(store.next_alert_at().await.unwrap(), Some(t0 + secs(60)));

    // Nothing before its time.
    assert!(
        store
            .fire_due_alerts(t0 + secs(59), 100, true)
            .await
            .unwrap()
            .is_empty()
    );
    // At 60 s: one repeat to the owner's chat, as a new message.
    let fired = store
        .fire_due_alerts(t0 + secs(60), 100, true)
        .await
        .unwrap();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].steps, vec![Step::Repeat]);
    assert_eq!(fired[0].queued, 1);
    let log = store.order_notifications(&a, &o.id).await.unwrap();
    let reminders: Vec<_> = log
        .iter()
        .filter(|n| n.event == NotifyEvent::Reminder)
        .collect();
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0].run_at, t0 + secs(60));
    assert!(reminders[0].payload.contains("\"waited_seconds\":60"));
    let timer = store.order_alert(&o.id).await.unwrap().unwrap();
    assert_eq!(
        (timer.next_step, timer.due_at),
        (Step::Call, t0 + secs(120))
    );

    // A second repeat is queued but not sent yet when someone acknowledges: it is cancelled
    // in the same transaction, and nothing follows, ever.
    store
        .fire_due_alerts(t0 + secs(125), 100, true)
        .await
        .unwrap();
    store
        .apply_order_action(
            &a,
            &o.id,
            OrderAction::Acknowledge,
            Actor::system(),
            t0 + secs(130),
        )
        .await
        .unwrap();
    let timer = store.order_alert(&o.id).await.unwrap().unwrap();
    assert_eq!(timer.status, "answered");
    assert_eq!(store.next_alert_at().await.unwrap(), None);
    assert!(
        store
            .fire_due_alerts(t0 + secs(100_000), 100, true)
            .await
            .unwrap()
            .is_empty()
    );
    let log = store.order_notifications(&a, &o.id).await.unwrap();
    assert!(
        log.iter()
            .filter(|n| NotifyEvent::ESCALATION.contains(&n.event))
            .skip(1)
            .all(|n| n.status == "cancelled"),
        "{log:#?}"
    );
    assert!(!log.iter().any(|n| n.event == NotifyEvent::Missed));
    let order = store.order(&a, &o.id).await.unwrap().unwrap();
    assert_eq!(order.status, OrderStatus::Pending);
}

async fn an_unanswered_order_is_called_then_missed_and_the_shop_pauses(store: Arc<dyn Store>) {
    let owner = user(&store, "owner@b.example").await;
    let a = shop(&store, "b", &owner).await;
    policy(&store, &a, Some(2)).await;
    store
        .set_user_phone(&owner, Some("+821012345678".into()))
        .await
        .unwrap();
    store
        .upsert_link(member_link(&owner, None, Channel::Telegram, "77"))
        .await
        .unwrap();
    let t0 = now();
    let first = order(&store, &a, t0).await;
    let second_order = order(&store, &a, t0 + secs(1)).await;
    // The guest of the first order follows it on WhatsApp.
    store
        .upsert_link(NewLink::customer(
            Channel::Whatsapp,
            "+821099998888".into(),
            a.clone(),
            first.id.clone(),
            now(),
        ))
        .await
        .unwrap();

    // Calls off: the call step passes silently.
    let _ = store
        .fire_due_alerts(t0 + secs(121), 100, false)
        .await
        .unwrap();
    let calls = store
        .order_notifications(&a, &first.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.channel == Channel::Voice)
        .count();
    assert_eq!(calls, 0);

    // With calls on (a fresh order): the member's phone and the shop's phone, once each.
    let third = order(&store, &a, t0 + secs(2)).await;
    let _ = store
        .fire_due_alerts(t0 + secs(122), 100, true)
        .await
        .unwrap();
    let calls: Vec<_> = store
        .order_notifications(&a, &third.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.channel == Channel::Voice)
        .collect();
    let mut numbers: Vec<&str> = calls.iter().map(|n| n.destination.as_str()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, vec!["+821012345678", "+8221234567"]);
    assert!(calls.iter().all(|n| n.event == NotifyEvent::Call));

    // At 600 s: missed, by the system; the guest is told on WhatsApp; after two in a row the
    // shop pauses itself until its next midnight and the owner hears it.
    let fired = store
        .fire_due_alerts(t0 + secs(700), 100, true)
        .await
        .unwrap();
    assert_eq!(fired.len(), 3);
    assert!(fired.iter().all(|f| f.steps == vec![Step::Miss]));
    let missed = store.order(&a, &first.id).await.unwrap().unwrap();
    assert_eq!(missed.status, OrderStatus::Missed);
    assert_eq!(missed.acknowledged_at, None);
    let events = store.order_events(&a, &first.id).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(
        (last.kind.as_str(), last.actor.kind.as_str()),
        ("miss", "system")
    );
    let log = store.order_notifications(&a, &first.id).await.unwrap();
    let to_guest: Vec<_> = log
        .iter()
        .filter(|n| n.recipient == Recipient::Customer)
        .collect();
    assert_eq!(to_guest.len(), 1);
    assert_eq!(to_guest[0].event, NotifyEvent::Missed);
    assert!(
        to_guest[0].payload.contains("+8221234567"),
        "the shop's phone is in the payload"
    );
    assert!(fired.iter().any(|f| f.paused_until.is_some()));
    let shop_now = store.shop(&a).await.unwrap().unwrap();
    let until = shop_now.paused_until.unwrap();
    assert!(until > t0 + secs(700) && until <= t0 + secs(700 + 24 * 3600));
    let zoned = until.to_zoned(shop_now.tz());
    assert_eq!(
        (zoned.hour(), zoned.minute()),
        (0, 0),
        "midnight in the shop's zone"
    );
    assert!(
        store
            .fire_due_alerts(t0 + secs(100_000), 100, true)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .order_alert(&second_order.id)
            .await
            .unwrap()
            .unwrap()
            .status
            == "missed"
    );
}

async fn two_instances_fire_each_step_once(store: Arc<dyn Store>) {
    // The same database through two independent stores, as two servers would.
    let _ = store; // replaced below by a pair on one database
    let (one, guard) = match fresh_pair_backend().await {
        Some(x) => x,
        None => return,
    };
    let two = second(&guard).await;
    let owner = user(&one, "owner@c.example").await;
    let a = shop(&one, "c", &owner).await;
    policy(&one, &a, None).await;
    one.upsert_link(member_link(&owner, None, Channel::Telegram, "5"))
        .await
        .unwrap();
    let t0 = now();
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(
            order(&one, &a, t0 + SignedDuration::from_millis(i))
                .await
                .id,
        );
    }
    let at = t0 + secs(61);
    let (x, y) = tokio::join!(
        one.fire_due_alerts(at, 7, true),
        two.fire_due_alerts(at, 7, true)
    );
    let mut total = x.unwrap().len() + y.unwrap().len();
    loop {
        let (x, y) = tokio::join!(
            one.fire_due_alerts(at, 7, true),
            two.fire_due_alerts(at, 7, true)
        );
        let n = x.unwrap().len() + y.unwrap().len();
        if n == 0 {
            break;
        }
        total += n;
    }
    assert_eq!(total, 40, "every due step fired exactly once");
    let mut reminders = 0;
    for id in &ids {
        reminders += one
            .order_notifications(&a, id)
            .await
            .unwrap()
            .iter()
            .filter(|n| n.event == NotifyEvent::Reminder)
            .count();
    }
    assert_eq!(reminders, 40);
}

/// A fresh database of the same backend as the story runs on (told by the test's module).
async fn fresh_pair_backend() -> Option<(Arc<dyn Store>, support::Guard)> {
    let name = std::thread::current().name().unwrap_or_default().to_owned();
    #[cfg(feature = "dynamodb")]
    if name.contains("dynamodb") {
        return fresh(Backend::Dynamodb).await;
    }
    let backend = if name.contains("postgres") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    fresh(backend).await
}
