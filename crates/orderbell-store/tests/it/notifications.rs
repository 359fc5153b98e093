//! Notification stories on SQLite (always) and PostgreSQL (with `ORDERBELL_TEST_POSTGRES_URL`):
//! the outbox rows an order writes in its own transaction, claims with a lease, retries, rate
//! limit deferrals, dead destinations, delivery reports, link codes and the webhook log.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::sync::Arc;

use crate::support::fixtures::{member_link, order, shop, user};
use crate::support::{Backend, fresh, now, rand10};
use jiff::SignedDuration;
use orderbell_core::order::{Actor, OrderAction};
use orderbell_core::user::Role;
use orderbell_store::Store;
use orderbell_store::notifications::{
    Channel, DeliveryReport, Finish, LinkCode, MemberSettings, NewLink, NotifyEvent, Outcome,
    Recipient,
};

fn claim_token() -> String {
    format!("test-{}", hex(&rand10()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

stories!(
    orders_queue_notifications_in_their_transaction,
    claims_are_leased_and_retried,
    dead_destinations_are_not_used_again,
    delivery_reports_only_move_forward,
    link_codes_are_one_time,
    webhook_log_is_bounded,
);

dynamodb_stories!(dynamodb_notifications:
    orders_queue_notifications_in_their_transaction,
    claims_are_leased_and_retried,
    dead_destinations_are_not_used_again,
    delivery_reports_only_move_forward,
    link_codes_are_one_time,
    webhook_log_is_bounded,
);

async fn orders_queue_notifications_in_their_transaction(store: Arc<dyn Store>) {
    let owner = user(&store, "owner@a.example").await;
    let staff = user(&store, "staff@a.example").await;
    let stranger = user(&store, "other@b.example").await;
    let a = shop(&store, "a", &owner).await;
    let b = shop(&store, "b", &stranger).await;
    store
        .set_member(&a, &staff, Role::Staff, now())
        .await
        .unwrap();
    // The owner: Telegram for shop a only, Web Push everywhere; staff: WhatsApp and FCM.
    store
        .upsert_link(member_link(&owner, Some(&a), Channel::Telegram, "4242"))
        .await
        .unwrap();
    let mut push = member_link(&owner, None, Channel::Webpush, "https://push.example/1");
    push.keys = Some(r#"{"p256dh":"BP","auth":"AA"}"#.into());
    store.upsert_link(push).await.unwrap();
    store
        .upsert_link(member_link(
            &staff,
            None,
            Channel::Whatsapp,
            "+821011112222",
        ))
        .await
        .unwrap();
    store
        .upsert_link(member_link(&staff, None, Channel::Fcm, "fcm-token-1"))
        .await
        .unwrap();
    // Someone else's shop with a link that must not hear about shop a.
    store
        .upsert_link(member_link(&stranger, None, Channel::Telegram, "999"))
        .await
        .unwrap();
    // Shop a does not want FCM for new orders.
    let mut settings = MemberSettings::default();
    settings.new_order.retain(|c| *c != Channel::Fcm);
    store
        .set_member_settings(&a, settings.clone(), now())
        .await
        .unwrap();
    assert_eq!(store.member_settings(&a).await.unwrap(), settings);
    assert_eq!(
        store.member_settings(&b).await.unwrap(),
        MemberSettings::default()
    );

    let t0 = now();
    let o = order(&store, &a, t0).await;
    let log = store.order_notifications(&a, &o.id).await.unwrap();
    let mut got: Vec<(Channel, String)> = log
        .iter()
        .map(|n| (n.channel, n.destination.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (Channel::Telegram, "4242".into()),
            (Channel::Whatsapp, "+821011112222".into()),
            (Channel::Webpush, "https://push.example/1".into()),
        ]
    );
    for n in &log {
        assert_eq!(n.status, "queued");
        assert_eq!(n.event, NotifyEvent::NewOrder);
        assert_eq!(n.recipient, Recipient::Member);
        assert_eq!(n.locale, "ko", "the shop's locale when the link has none");
        assert_eq!(n.attempts, 0);
        assert_eq!(n.run_at, t0);
        let p: serde_json::Value = serde_json::from_str(&n.payload).unwrap();
        assert_eq!(p["number"], o.number);
        assert_eq!(p["shop"], "shop-a");
        assert_eq!(p["items"][0]["name"], "Americano");
    }
    // Nothing for shop b's order from shop a's links, and the other way round.
    let ob = order(&store, &b, t0).await;
    let log_b = store.order_notifications(&b, &ob.id).await.unwrap();
    assert_eq!(log_b.len(), 1);
    assert_eq!(log_b[0].destination, "999");

    // A customer links a chat to the order; the Telegram message was sent (message id 77).
    store
        .upsert_link(NewLink {
            channel: Channel::Telegram,
            address: "5555".into(),
            keys: None,
            user_id: None,
            shop_id: Some(a.clone()),
            order_id: Some(o.id.clone()),
            locale: Some("en".into()),
            label: None,
            inbound: true,
            now: now(),
        })
        .await
        .unwrap();
    let claimed = store
        .claim_notifications(now(), now() + SignedDuration::from_secs(30), "c1", 10)
        .await
        .unwrap();
    let tg = claimed.iter().find(|n| n.destination == "4242").unwrap();
    let finishes: Vec<Finish> = claimed
        .iter()
        .map(|n| Finish {
            id: n.id,
            claim: "c1".into(),
            now: now(),
            outcome: Outcome::Sent {
                provider_message_id: (n.id == tg.id).then(|| "77".to_owned()),
                provider_status: None,
            },
        })
        .collect();
    assert_eq!(
        store.finish_notifications(finishes).await.unwrap(),
        claimed.len() as u64
    );

    let accepter = Actor {
        kind: "user".into(),
        id: Some(staff.to_string()),
        name: Some("Park".into()),
    };
    store
        .apply_order_action(
            &a,
            &o.id,
            OrderAction::Accept { eta_minutes: 20 },
            accepter,
            now(),
        )
        .await
        .unwrap();
    let log = store.order_notifications(&a, &o.id).await.unwrap();
    let customer: Vec<_> = log
        .iter()
        .filter(|n| n.recipient == Recipient::Customer)
        .collect();
    assert_eq!(customer.len(), 1);
    assert_eq!(customer[0].event, NotifyEvent::Accepted);
    assert_eq!(customer[0].locale, "en");
    let edit: Vec<_> = log
        .iter()
        .filter(|n| n.event == NotifyEvent::StatusEdit)
        .collect();
    assert_eq!(edit.len(), 1, "the member's Telegram message gets edited");
    let p: serde_json::Value = serde_json::from_str(&edit[0].payload).unwrap();
    assert_eq!(p["message_id"], 77);
    assert_eq!(p["actor"], "Park");
    assert_eq!(p["status"], "accepted");
    assert_eq!(p["eta_minutes"], 20);
    // Members hear about acceptance only if the settings say so (default: no).
    assert!(
        !log.iter()
            .any(|n| n.event == NotifyEvent::Accepted && n.recipient == Recipient::Member)
    );
    // Acknowledging queues nothing.
    let before = log.len();
    store
        .apply_order_action(&a, &o.id, OrderAction::Acknowledge, Actor::guest(), now())
        .await
        .unwrap();
    assert_eq!(
        store.order_notifications(&a, &o.id).await.unwrap().len(),
        before
    );
}

async fn claims_are_leased_and_retried(store: Arc<dyn Store>) {
    let owner = user(&store, "owner@c.example").await;
    let c = shop(&store, "c", &owner).await;
    for i in 0..5 {
        store
            .upsert_link(member_link(&owner, None, Channel::Fcm, &format!("tok-{i}")))
            .await
            .unwrap();
    }
    let t0 = now();
    let o = order(&store, &c, t0).await;
    assert_eq!(store.next_notification_at().await.unwrap(), Some(t0));
    let lease = t0 + SignedDuration::from_secs(30);

    // Two claimers never get the same row.
    let (k1, k2) = (claim_token(), claim_token());
    let first = store.claim_notifications(t0, lease, &k1, 3).await.unwrap();
    let long_lease = t0 + SignedDuration::from_secs(120);
    let second = store
        .claim_notifications(t0, long_lease, &k2, 3)
        .await
        .unwrap();
    assert_eq!((first.len(), second.len()), (3, 2));
    assert!(
        first
            .iter()
            .all(|n| n.status == "sending" && n.attempts == 1)
    );
    assert!(first.iter().all(|a| second.iter().all(|b| a.id != b.id)));
    assert!(
        store
            .claim_notifications(t0, lease, &claim_token(), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // The first claimer "crashes"; after its lease the rows come back, with the attempt counted.
    let later = lease + SignedDuration::from_millis(1);
    let k3 = claim_token();
    let again = store
        .claim_notifications(later, later + SignedDuration::from_secs(30), &k3, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 3);
    assert!(again.iter().all(|n| n.attempts == 2));
    // The crashed claimer's late finish is ignored: it no longer holds the claim.
    let stale = store
        .finish_notifications(vec![Finish {
            id: again[0].id,
            claim: k1.clone(),
            now: later,
            outcome: Outcome::Sent {
                provider_message_id: Some("late".into()),
                provider_status: None,
            },
        }])
        .await
        .unwrap();
    assert_eq!(stale, 0);

    // Retry: back to queued, not due before run_at; Defer: same but the attempt is not counted.
    let retry_at = later + SignedDuration::from_secs(60);
    store
        .finish_notifications(vec![
            Finish {
                id: again[0].id,
                claim: k3.clone(),
                now: later,
                outcome: Outcome::Retry {
                    run_at: retry_at,
                    code: Some("500".into()),
                    error: "fcm: temporary failure".into(),
                },
            },
            Finish {
                id: again[1].id,
                claim: k3.clone(),
                now: later,
                outcome: Outcome::Defer { run_at: retry_at },
            },
            Finish {
                id: again[2].id,
                claim: k3.clone(),
                now: later,
                outcome: Outcome::Failed {
                    code: Some("INVALID_ARGUMENT".into()),
                    error: "fcm: refused".into(),
                    dead_link: false,
                },
            },
        ])
        .await
        .unwrap();
    let row = store.notification(again[0].id).await.unwrap().unwrap();
    assert_eq!(
        (row.status.as_str(), row.attempts, row.error_code.as_deref()),
        ("queued", 2, Some("500"))
    );
    assert_eq!(row.last_error.as_deref(), Some("fcm: temporary failure"));
    let deferred = store.notification(again[1].id).await.unwrap().unwrap();
    assert_eq!((deferred.status.as_str(), deferred.attempts), ("queued", 1));
    let failed = store.notification(again[2].id).await.unwrap().unwrap();
    assert_eq!(failed.status, "failed");
    // Second claimer's rows are still leased until `lease`; so the next due time is the retry.
    for n in &second {
        store
            .finish_notifications(vec![Finish {
                id: n.id,
                claim: k2.clone(),
                now: later,
                outcome: Outcome::Sent {
                    provider_message_id: Some(format!("projects/p/messages/{}", n.id)),
                    provider_status: None,
                },
            }])
            .await
            .unwrap();
    }
    assert_eq!(store.next_notification_at().await.unwrap(), Some(retry_at));
    assert!(
        store
            .claim_notifications(
                later,
                later + SignedDuration::from_secs(30),
                &claim_token(),
                10
            )
            .await
            .unwrap()
            .is_empty()
    );
    let k4 = claim_token();
    let due = store
        .claim_notifications(retry_at, retry_at + SignedDuration::from_secs(30), &k4, 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 2);

    // Cancelling waiting rows (an escalation timer once someone acknowledged).
    let cancelled = store
        .cancel_notifications(&o.id, &[NotifyEvent::NewOrder], retry_at)
        .await
        .unwrap();
    assert_eq!(cancelled, 0, "rows being sent are left to finish");
    store
        .finish_notifications(
            due.iter()
                .map(|n| Finish {
                    id: n.id,
                    claim: k4.clone(),
                    now: retry_at,
                    outcome: Outcome::Defer {
                        run_at: retry_at + SignedDuration::from_secs(5),
                    },
                })
                .collect(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .cancel_notifications(&o.id, &[NotifyEvent::NewOrder], retry_at)
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.next_notification_at().await.unwrap(), None);
    let log = store.order_notifications(&c, &o.id).await.unwrap();
    let mut statuses: Vec<&str> = log.iter().map(|n| n.status.as_str()).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        vec!["cancelled", "cancelled", "failed", "sent", "sent"]
    );
}

async fn dead_destinations_are_not_used_again(store: Arc<dyn Store>) {
    let owner = user(&store, "owner@d.example").await;
    let d = shop(&store, "d", &owner).await;
    store
        .upsert_link(member_link(&owner, None, Channel::Telegram, "403"))
        .await
        .unwrap();
    let t0 = now();
    order(&store, &d, t0).await;
    let k = claim_token();
    let rows = store
        .claim_notifications(t0, t0 + SignedDuration::from_secs(30), &k, 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    store
        .finish_notifications(vec![Finish {
            id: rows[0].id,
            claim: k,
            now: t0,
            outcome: Outcome::Failed {
                code: Some("403".into()),
                error:
                    "telegram: destination is gone (403): Forbidden: bot was blocked by the user"
                        .into(),
                dead_link: true,
            },
        }])
        .await
        .unwrap();
    let links = store.links_of_user(&owner).await.unwrap();
    assert_eq!(links[0].status, "dead");
    assert!(
        links[0]
            .status_reason
            .as_deref()
            .unwrap()
            .contains("blocked")
    );
    assert!(
        store
            .links_by_address(Channel::Telegram, "403")
            .await
            .unwrap()
            .is_empty()
    );
    let o2 = order(&store, &d, t0).await;
    assert!(
        store
            .order_notifications(&d, &o2.id)
            .await
            .unwrap()
            .is_empty()
    );
    // Linking again (/start with a new code) brings it back.
    store
        .upsert_link(member_link(&owner, None, Channel::Telegram, "403"))
        .await
        .unwrap();
    assert_eq!(
        store.links_of_user(&owner).await.unwrap()[0].status,
        "active"
    );
    assert_eq!(store.links_of_user(&owner).await.unwrap().len(), 1);
    // /stop unlinks.
    assert_eq!(
        store
            .unlink_address(Channel::Telegram, "403", None, now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store.links_of_user(&owner).await.unwrap()[0].status,
        "unlinked"
    );
}

async fn delivery_reports_only_move_forward(store: Arc<dyn Store>) {
    let owner = user(&store, "owner@e.example").await;
    let e = shop(&store, "e", &owner).await;
    store
        .upsert_link(member_link(
            &owner,
            None,
            Channel::Whatsapp,
            "+821012345678",
        ))
        .await
        .unwrap();
    store
        .upsert_link(member_link(
            &owner,
            None,
            Channel::Whatsapp,
            "+821099999999",
        ))
        .await
        .unwrap();
    let t0 = now();
    let o = order(&store, &e, t0).await;
    let k = claim_token();
    let rows = store
        .claim_notifications(t0, t0 + SignedDuration::from_secs(30), &k, 10)
        .await
        .unwrap();
    store
        .finish_notifications(
            rows.iter()
                .map(|n| Finish {
                    id: n.id,
                    claim: k.clone(),
                    now: t0,
                    outcome: Outcome::Sent {
                        provider_message_id: Some(format!("SM{:032}", n.id)),
                        provider_status: Some("queued".into()),
                    },
                })
                .collect(),
        )
        .await
        .unwrap();
    let report = |sid: String, status: &str, code: Option<&str>, dead: bool| DeliveryReport {
        channel: Channel::Whatsapp,
        provider_message_id: sid,
        provider_status: status.into(),
        error_code: code.map(str::to_owned),
        dead_link: dead,
        now: now(),
    };
    let sid0 = format!("SM{:032}", rows[0].id);
    let sid1 = format!("SM{:032}", rows[1].id);
    for status in ["sent", "read", "delivered"] {
        assert!(
            store
                .report_delivery(report(sid0.clone(), status, None, false))
                .await
                .unwrap()
        );
    }
    let n = store.notification(rows[0].id).await.unwrap().unwrap();
    assert_eq!(n.status, "read", "a late 'delivered' does not undo 'read'");
    assert!(
        store
            .report_delivery(report(sid1.clone(), "undelivered", Some("63024"), true))
            .await
            .unwrap()
    );
    let n = store.notification(rows[1].id).await.unwrap().unwrap();
    assert_eq!(
        (n.status.as_str(), n.error_code.as_deref()),
        ("failed", Some("63024"))
    );
    let links = store.links_of_user(&owner).await.unwrap();
    assert_eq!(
        links.iter().map(|l| l.status.as_str()).collect::<Vec<_>>(),
        vec!["active", "dead"]
    );
    assert!(
        !store
            .report_delivery(report("SMunknown".into(), "read", None, false))
            .await
            .unwrap()
    );
    // The WhatsApp session window: inbound messages are recorded on the link.
    store
        .touch_inbound(Channel::Whatsapp, "+821012345678", t0)
        .await
        .unwrap();
    let o2 = order(&store, &e, t0).await;
    let log = store.order_notifications(&e, &o2.id).await.unwrap();
    assert_eq!(log.len(), 1);
    let k = claim_token();
    let rows = store
        .claim_notifications(t0, t0 + SignedDuration::from_secs(30), &k, 10)
        .await
        .unwrap();
    assert_eq!(rows[0].link_last_inbound_at, Some(t0));
    let _ = o;
}

async fn link_codes_are_one_time(store: Arc<dyn Store>) {
    let owner = user(&store, "owner@f.example").await;
    let f = shop(&store, "f", &owner).await;
    let t0 = now();
    let code = LinkCode {
        channel: Some(Channel::Telegram),
        user_id: owner.clone(),
        shop_id: f.clone(),
        expires_at: t0 + SignedDuration::from_mins(30),
    };
    store
        .create_link_code("hash-1", code.clone(), t0)
        .await
        .unwrap();
    assert_eq!(store.take_link_code("hash-2", t0).await.unwrap(), None);
    assert_eq!(
        store.take_link_code("hash-1", t0).await.unwrap(),
        Some(code.clone())
    );
    assert_eq!(
        store.take_link_code("hash-1", t0).await.unwrap(),
        None,
        "used once"
    );
    store.create_link_code("hash-3", code, t0).await.unwrap();
    assert_eq!(
        store
            .take_link_code("hash-3", t0 + SignedDuration::from_mins(31))
            .await
            .unwrap(),
        None,
        "expired"
    );
}

async fn webhook_log_is_bounded(store: Arc<dyn Store>) {
    let t0 = now();
    for i in 0..10 {
        store
            .log_webhook(
                "telegram",
                "message",
                &format!("{{\"update_id\":{i}}}"),
                Some("linked"),
                t0 + SignedDuration::from_secs(i),
            )
            .await
            .unwrap();
    }
    store
        .log_webhook("twilio", "status", "MessageStatus=read", None, t0)
        .await
        .unwrap();
    let log = store.webhook_log("telegram", 100).await.unwrap();
    assert_eq!(log.len(), 10);
    assert_eq!(log[0].body, "{\"update_id\":9}");
    // Older than t0+2s go; of the rest at most 5 newest stay.
    let gone = store
        .purge_notification_logs(t0 + SignedDuration::from_secs(2), 5, t0)
        .await
        .unwrap();
    assert!(gone >= 6, "{gone}");
    let log = store.webhook_log("telegram", 100).await.unwrap();
    assert_eq!(log.len(), 5);
    assert_eq!(log[4].body, "{\"update_id\":5}");
}
