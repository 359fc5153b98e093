//! The conformance suite: the same stories against SQLite (always) and PostgreSQL (when
//! `ORDERBELL_TEST_POSTGRES_URL` is set; CI sets it and checks that these tests ran).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::sync::Arc;

use crate::support::{Backend, fresh, id, now};
use orderbell_core::menu::{CategoryInput, ItemInput, MenuEntry, OptionGroupInput, OptionInput};
use orderbell_core::order::{
    Actor, CustomerInfo, Fulfillment, OrderAction, OrderItem, OrderSource, OrderStatus,
};
use orderbell_core::pricing::PricedOrder;
use orderbell_core::shop::{NewShopRequest, ShopPatchRequest};
use orderbell_core::user::Role;
use orderbell_core::{
    ApiKeyId, CategoryId, Currency, CustomerId, MenuItemId, OptionGroupId, OptionId, OrderId,
    PasskeyId, ShopId, UserId,
};
use orderbell_store::{
    ChallengePurpose, CreatedOrder, IdempotencyKey, ItemPhoto, NewApiKey, NewOrder, NewPasskey,
    NewSession, NewUser, OrderFilter, Scope, Store, StoreError,
};

async fn user(store: &Arc<dyn Store>, email: &str) -> UserId {
    store
        .create_user(NewUser {
            id: id(UserId::from_parts),
            email: email.into(),
            name: "Someone".into(),
            password_hash: Some("hash".into()),
            created_at: now(),
            email_verified_at: None,
        })
        .await
        .unwrap()
        .id
}

async fn shop(store: &Arc<dyn Store>, slug: &str, owner: &UserId) -> ShopId {
    let new = NewShopRequest {
        slug: slug.into(),
        name: format!("Shop {slug}"),
        currency: None,
        time_zone: None,
        locale: None,
        phone: None,
    }
    .validate()
    .unwrap();
    store
        .create_shop(id(ShopId::from_parts), new, owner, now())
        .await
        .unwrap()
        .id
}

fn new_order(shop: &ShopId, phone: Option<&str>, key: Option<(&str, &str)>) -> NewOrder {
    let items = vec![OrderItem {
        menu_item_id: None,
        name: "아메리카노 Americano".into(),
        quantity: 2,
        unit_price: 4500,
        options: vec![orderbell_core::order::ItemOption {
            name: "Extra shot".into(),
            price: 500,
        }],
        line_total: 10000,
    }];
    NewOrder {
        id: id(OrderId::from_parts),
        shop_id: shop.clone(),
        currency: Currency::KRW,
        priced: PricedOrder {
            items,
            subtotal: 10000,
            total: 10000,
            customer: CustomerInfo {
                name: Some("Kim".into()),
                phone: phone.map(str::to_owned),
                email: None,
            },
            fulfillment: Fulfillment::DineIn {
                table: Some("7".into()),
            },
            note: Some("less ice".into()),
        },
        source: OrderSource::Api,
        actor: Actor {
            kind: "api_key".into(),
            id: Some("k".into()),
            name: Some("till".into()),
        },
        new_customer_id: id(CustomerId::from_parts),
        created_at: now(),
        idempotency: key.map(|(k, h)| IdempotencyKey {
            key: k.into(),
            request_hash: h.into(),
        }),
    }
}

fn created(c: CreatedOrder) -> orderbell_core::order::Order {
    match c {
        CreatedOrder::New(o, _) => o,
        CreatedOrder::Replayed(o) => panic!("unexpected replay of #{}", o.number),
    }
}

stories!(
    accounts_and_sessions,
    account_links_are_single_use,
    invitations_are_single_use,
    sign_in_devices_are_remembered,
    passkeys_belong_to_one_user,
    webauthn_challenges_are_single_use,
    external_identities_and_oidc_flows,
    shops_and_members,
    api_keys,
    menu_editing,
    menu_is_scoped_to_its_shop,
    menu_photos,
    orders_are_numbered_per_shop,
    order_lifecycle_and_events,
    order_listing,
    idempotency_keys,
    concurrent_orders_are_group_committed,
    concurrent_retries_with_one_key_make_one_order,
    a_failing_job_leaves_its_batch_alone,
    settings_keep_their_first_value,
    expired_rows_are_purged,
);

dynamodb_stories!(dynamodb_shops: shops_and_members, api_keys, invitations_are_single_use);
dynamodb_stories!(dynamodb_menu: menu_editing, menu_is_scoped_to_its_shop, menu_photos);
dynamodb_stories!(dynamodb_orders:
    orders_are_numbered_per_shop,
    order_lifecycle_and_events,
    order_listing,
    idempotency_keys,
    concurrent_orders_are_group_committed,
    concurrent_retries_with_one_key_make_one_order,
    a_failing_job_leaves_its_batch_alone,
);
dynamodb_stories!(dynamodb_accounts:
    accounts_and_sessions,
    account_links_are_single_use,
    sign_in_devices_are_remembered,
    passkeys_belong_to_one_user,
    webauthn_challenges_are_single_use,
    external_identities_and_oidc_flows,
    settings_keep_their_first_value,
    expired_rows_are_purged,
);

async fn accounts_and_sessions(store: Arc<dyn Store>) {
    let u = user(&store, "kim@example.com").await;
    let dup = store
        .create_user(NewUser {
            id: id(UserId::from_parts),
            email: "kim@example.com".into(),
            name: "Other".into(),
            password_hash: None,
            created_at: now(),
            email_verified_at: None,
        })
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");

    let creds = store.credentials("kim@example.com").await.unwrap().unwrap();
    assert_eq!(creds.user.id, u);
    assert_eq!(creds.password_hash.as_deref(), Some("hash"));
    assert!(
        store
            .credentials("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
    store.set_password(&u, "new-hash").await.unwrap();
    assert_eq!(
        store
            .credentials("kim@example.com")
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("new-hash")
    );

    let t = now();
    for (hash, expires) in [("a", 3600), ("b", 3600), ("old", -1)] {
        store
            .create_session(NewSession {
                token_hash: hash.into(),
                user_id: u.clone(),
                auth_method: "password".into(),
                user_agent: None,
                ip: None,
                created_at: t,
                expires_at: t
                    .checked_add(jiff::SignedDuration::from_secs(expires))
                    .unwrap(),
            })
            .await
            .unwrap();
    }
    let s = store.session("a", t).await.unwrap().unwrap();
    assert_eq!(s.user.id, u);
    assert_eq!(s.auth_method, "password");
    assert_eq!(s.created_at, t);
    assert!(
        store.session("old", t).await.unwrap().is_none(),
        "expired sessions are not live"
    );
    assert!(store.session("nope", t).await.unwrap().is_none());

    store.delete_other_sessions(&u, "a").await.unwrap();
    assert!(store.session("b", t).await.unwrap().is_none());
    assert!(store.session("a", t).await.unwrap().is_some());
    store.delete_session("a").await.unwrap();
    assert!(store.session("a", t).await.unwrap().is_none());
    assert_eq!(
        store.user(&u).await.unwrap().unwrap().email,
        "kim@example.com"
    );
}

async fn invitations_are_single_use(store: Arc<dyn Store>) {
    use orderbell_core::InvitationId;
    use orderbell_core::user::Role;
    use orderbell_store::notifications::{Channel, NewNotification, NotifyEvent, Recipient};
    use orderbell_store::{NewInvitation, StoreError};
    let owner = user(&store, "owner@inv.example").await;
    let cafe = shop(&store, "inv-cafe", &owner).await;
    let other = shop(&store, "inv-other", &owner).await;
    let t = now();
    let later = |s: i64| t.checked_add(jiff::SignedDuration::from_secs(s)).unwrap();
    let invite = |hash: &str, role, expires| NewInvitation {
        id: id(InvitationId::from_parts),
        shop_id: cafe.clone(),
        token_hash: hash.into(),
        role,
        email: None,
        invited_by: Some(owner.clone()),
        created_at: t,
        expires_at: later(expires),
    };
    // An invitation and its mail are written together (the mail names the shop, no account).
    let mail = NewNotification {
        shop_id: Some(cafe.clone()),
        order_id: None,
        link_id: None,
        channel: Channel::Email,
        destination: "new@inv.example".into(),
        recipient: Recipient::Account,
        user_id: None,
        event: NotifyEvent::Invitation,
        locale: "ko".into(),
        payload: r#"{"name":"","link":"https://x/invite/i1","facts":{"shop":"Cafe"}}"#.into(),
        run_at: t,
        now: t,
    };
    let made = store
        .create_invitation(invite("i1", Role::Manager, 600), Some(mail))
        .await
        .unwrap();
    assert_eq!(made.role, Role::Manager);
    assert_eq!(made.invited_by.as_deref(), Some("Someone"));
    assert!(store.next_notification_at().await.unwrap().is_some());
    assert!(store.audit_outbox().await.unwrap().is_empty());
    store
        .create_invitation(invite("i2", Role::Staff, 600), None)
        .await
        .unwrap();
    let old = store
        .create_invitation(invite("i3", Role::Owner, 10), None)
        .await
        .unwrap();
    assert_eq!(store.open_invitations(&cafe, t).await.unwrap().len(), 3);
    // Expired, revoked, of another shop: gone.
    assert_eq!(
        store
            .open_invitations(&cafe, later(60))
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(store.invitation("i3", later(60)).await.unwrap().is_none());
    assert!(matches!(
        store.revoke_invitation(&other, &made.id, t).await,
        Err(StoreError::NotFound)
    ));
    store.revoke_invitation(&cafe, &old.id, t).await.unwrap();
    assert!(matches!(
        store.revoke_invitation(&cafe, &old.id, t).await,
        Err(StoreError::NotFound)
    ));
    // Accepting makes a manager, once.
    let joiner = user(&store, "new@inv.example").await;
    let (found, shop_of) = store.invitation("i1", t).await.unwrap().unwrap();
    assert_eq!(
        (found.id.clone(), shop_of.id.clone()),
        (made.id.clone(), cafe.clone())
    );
    let (joined, member) = store.accept_invitation("i1", &joiner, t).await.unwrap();
    assert_eq!((joined.id, member.role), (cafe.clone(), Role::Manager));
    assert_eq!(
        store.role(&cafe, &joiner).await.unwrap(),
        Some(Role::Manager)
    );
    assert!(matches!(
        store.accept_invitation("i1", &joiner, t).await,
        Err(StoreError::NotFound)
    ));
    // A member already: refused, and the link stays open.
    assert!(matches!(
        store.accept_invitation("i2", &joiner, t).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(store.invitation("i2", t).await.unwrap().is_some());
    assert_eq!(store.open_invitations(&cafe, t).await.unwrap().len(), 1);
}

async fn sign_in_devices_are_remembered(store: Arc<dyn Store>) {
    let u = user(&store, "devices@example.com").await;
    let t = now();
    // The first device is only recorded; a second one is news; a known one is not.
    assert!(
        !store
            .note_sign_in_device(&u, "phone", t, None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .note_sign_in_device(&u, "phone", t, None)
            .await
            .unwrap()
    );
    assert!(
        store
            .note_sign_in_device(&u, "laptop", t, None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .note_sign_in_device(&u, "laptop", t, None)
            .await
            .unwrap()
    );
    assert!(store.sign_in_mail(&u).await.unwrap());
    store.set_sign_in_mail(&u, false).await.unwrap();
    assert!(!store.sign_in_mail(&u).await.unwrap());
    assert!(
        !store
            .note_sign_in_device(&u, "tablet", t, None)
            .await
            .unwrap()
    );
}

fn new_passkey(user: &UserId, credential_id: &str) -> NewPasskey {
    NewPasskey {
        id: id(PasskeyId::from_parts),
        user_id: user.clone(),
        credential_id: credential_id.into(),
        public_key: vec![0xa5, 0x01, 0x02],
        alg: -7,
        sign_count: 0,
        name: "Phone".into(),
        transports: vec!["internal".into(), "hybrid".into()],
        created_at: now(),
    }
}

async fn passkeys_belong_to_one_user(store: Arc<dyn Store>) {
    let ann = user(&store, "ann-passkeys@example.com").await;
    let bob = user(&store, "bob-passkeys@example.com").await;
    assert!(!store.has_passkey(&ann).await.unwrap());
    let first = store
        .create_passkey(new_passkey(&ann, "cred-1"))
        .await
        .unwrap();
    assert_eq!(first.public_key, vec![0xa5, 0x01, 0x02]);
    assert_eq!(first.transports, vec!["internal", "hybrid"]);
    assert_eq!(first.last_used_at, None);
    store
        .create_passkey(new_passkey(&ann, "cred-2"))
        .await
        .unwrap();
    // A credential id is registered once, to one account.
    assert!(matches!(
        store.create_passkey(new_passkey(&bob, "cred-1")).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(store.has_passkey(&ann).await.unwrap());
    assert!(!store.has_passkey(&bob).await.unwrap());
    assert_eq!(store.passkeys_of(&ann).await.unwrap().len(), 2);
    let found = store
        .passkey_by_credential("cred-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, first);
    assert!(
        store
            .passkey_by_credential("cred-9")
            .await
            .unwrap()
            .is_none()
    );

    // The counter moves only from the value that was read (a race loses).
    let t = now();
    assert!(store.use_passkey(&first.id, 0, 5, t).await.unwrap());
    assert!(!store.use_passkey(&first.id, 0, 6, t).await.unwrap());
    let used = store
        .passkey_by_credential("cred-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((used.sign_count, used.last_used_at), (5, Some(t)));

    // Only the owner renames and removes it.
    assert!(matches!(
        store.rename_passkey(&bob, &first.id, "Mine").await,
        Err(StoreError::NotFound)
    ));
    let renamed = store
        .rename_passkey(&ann, &first.id, "Laptop")
        .await
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.sign_count), ("Laptop", 5));
    assert!(matches!(
        store.delete_passkey(&bob, &first.id).await,
        Err(StoreError::NotFound)
    ));
    store.delete_passkey(&ann, &first.id).await.unwrap();
    assert!(matches!(
        store.delete_passkey(&ann, &first.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .passkey_by_credential("cred-1")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.passkeys_of(&ann).await.unwrap().len(), 1);
}

async fn webauthn_challenges_are_single_use(store: Arc<dyn Store>) {
    let ann = user(&store, "ann-challenges@example.com").await;
    let t = now();
    let later = t.checked_add(jiff::SignedDuration::from_mins(5)).unwrap();
    store
        .create_webauthn_challenge("reg", Some(&ann), ChallengePurpose::Register, later, t)
        .await
        .unwrap();
    store
        .create_webauthn_challenge("sign", None, ChallengePurpose::SignIn, later, t)
        .await
        .unwrap();
    // A challenge answers only its own purpose.
    assert_eq!(
        store
            .take_webauthn_challenge("reg", ChallengePurpose::SignIn, t)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .take_webauthn_challenge("reg", ChallengePurpose::Register, t)
            .await
            .unwrap(),
        Some(Some(ann.clone()))
    );
    // Once.
    assert_eq!(
        store
            .take_webauthn_challenge("reg", ChallengePurpose::Register, t)
            .await
            .unwrap(),
        None
    );
    // Not after it expired.
    assert_eq!(
        store
            .take_webauthn_challenge("sign", ChallengePurpose::SignIn, later)
            .await
            .unwrap(),
        None
    );
    store
        .create_webauthn_challenge("sign-2", None, ChallengePurpose::SignIn, later, t)
        .await
        .unwrap();
    assert_eq!(
        store
            .take_webauthn_challenge("sign-2", ChallengePurpose::SignIn, t)
            .await
            .unwrap(),
        Some(None)
    );
    assert_eq!(
        store
            .take_webauthn_challenge("unknown", ChallengePurpose::SignIn, t)
            .await
            .unwrap(),
        None
    );
}

async fn account_links_are_single_use(store: Arc<dyn Store>) {
    use orderbell_store::notifications::{Channel, NewNotification, NotifyEvent, Recipient};
    use orderbell_store::records::{NewAccountToken, TokenPurpose};
    let u = user(&store, "lee@example.com").await;
    assert!(!store.user(&u).await.unwrap().unwrap().email_verified);
    let t = now();
    let later = |s: i64| t.checked_add(jiff::SignedDuration::from_secs(s)).unwrap();
    let link = |hash: &str, purpose, expires| NewAccountToken {
        token_hash: hash.into(),
        user_id: u.clone(),
        purpose,
        created_at: t,
        expires_at: later(expires),
    };
    let mail = NewNotification {
        shop_id: None,
        order_id: None,
        link_id: None,
        channel: Channel::Email,
        destination: "lee@example.com".into(),
        recipient: Recipient::Account,
        user_id: Some(u.clone()),
        event: NotifyEvent::VerifyEmail,
        locale: "ko".into(),
        payload: r#"{"name":"Lee","link":"https://x/verify/v1"}"#.into(),
        run_at: t,
        now: t,
    };
    // The link and its mail are written together; the mail waits in the outbox.
    store
        .issue_account_token(link("v1", TokenPurpose::VerifyEmail, 600), Some(mail))
        .await
        .unwrap();
    let due = store.next_notification_at().await.unwrap();
    assert_eq!(due, Some(t), "the mail is queued");
    // A link is for its purpose only, once.
    assert_eq!(
        store
            .redeem_account_token("v1", TokenPurpose::ResetPassword, t)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .account_token_user("v1", TokenPurpose::VerifyEmail, t)
            .await
            .unwrap()
            .map(|u| u.email),
        Some("lee@example.com".to_owned())
    );
    assert_eq!(
        store
            .redeem_account_token("v1", TokenPurpose::VerifyEmail, t)
            .await
            .unwrap(),
        Some(u.clone())
    );
    assert!(store.user(&u).await.unwrap().unwrap().email_verified);
    assert_eq!(
        store
            .redeem_account_token("v1", TokenPurpose::VerifyEmail, t)
            .await
            .unwrap(),
        None,
        "used once"
    );
    // An expired reset link does nothing; a valid one sets the password and ends every
    // session, and the older links of the same purpose end with it.
    for (hash, expires) in [("r-old", -1), ("r1", 1800), ("r2", 1800)] {
        store
            .issue_account_token(link(hash, TokenPurpose::ResetPassword, expires), None)
            .await
            .unwrap();
    }
    store
        .create_session(NewSession {
            token_hash: "s1".into(),
            user_id: u.clone(),
            auth_method: "password".into(),
            user_agent: None,
            ip: None,
            created_at: t,
            expires_at: later(3600),
        })
        .await
        .unwrap();
    assert_eq!(store.reset_password("r-old", "h2", t).await.unwrap(), None);
    assert_eq!(
        store.reset_password("r2", "h2", t).await.unwrap(),
        Some(u.clone())
    );
    assert!(
        store.session("s1", t).await.unwrap().is_none(),
        "signed out"
    );
    assert_eq!(
        store
            .credentials("lee@example.com")
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("h2")
    );
    assert_eq!(store.reset_password("r1", "h3", t).await.unwrap(), None);
    // Ended links are purged with the other expired rows.
    assert!(store.delete_expired(later(3600), t).await.unwrap() >= 3);
}

async fn shops_and_members(store: Arc<dyn Store>) {
    let owner = user(&store, "owner@example.com").await;
    let staff = user(&store, "staff@example.com").await;
    let s = shop(&store, "cafe", &owner).await;

    let again = NewShopRequest {
        slug: "cafe".into(),
        name: "Again".into(),
        currency: None,
        time_zone: None,
        locale: None,
        phone: None,
    }
    .validate()
    .unwrap();
    assert!(matches!(
        store
            .create_shop(id(ShopId::from_parts), again, &owner, now())
            .await,
        Err(StoreError::Conflict(_))
    ));

    let stored = store.shop_by_slug("cafe").await.unwrap().unwrap();
    assert_eq!(stored.id, s);
    assert_eq!(stored.currency, Currency::KRW);
    assert_eq!(stored.time_zone, "Asia/Seoul");
    assert!(stored.accepting_orders);
    assert_eq!(store.shop(&s).await.unwrap().unwrap(), stored);

    let patch = ShopPatchRequest {
        name: Some("Cafe Seoul".into()),
        phone: Some("+82 2 123 4567".into()),
        accepting_orders: Some(false),
        ..Default::default()
    }
    .validate()
    .unwrap();
    let updated = store.update_shop(&s, patch, now()).await.unwrap();
    assert_eq!(updated.name, "Cafe Seoul");
    assert_eq!(updated.phone.as_deref(), Some("+8221234567"));
    assert!(!updated.accepting_orders);
    assert_eq!(store.shop(&s).await.unwrap().unwrap(), updated);
    // How guests may order: everything by default, then pickup only above a minimum.
    assert_eq!(
        updated.guest_ordering,
        orderbell_core::shop::OrderingOptions::default()
    );
    let pickup_and_delivery = orderbell_core::shop::OrderingOptions {
        pickup: true,
        dine_in: false,
        delivery: true,
        min_order: 12_000,
        delivery_fee: 2_500,
        delivery_note: Some("within 2 km".into()),
    };
    let patch = ShopPatchRequest {
        guest_ordering: Some(pickup_and_delivery.clone()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    let updated = store.update_shop(&s, patch, now()).await.unwrap();
    assert_eq!(updated.guest_ordering, pickup_and_delivery);
    assert_eq!(store.shop(&s).await.unwrap().unwrap(), updated);
    assert!(
        ShopPatchRequest {
            guest_ordering: Some(orderbell_core::shop::OrderingOptions {
                pickup: false,
                dine_in: false,
                delivery: false,
                ..Default::default()
            }),
            ..Default::default()
        }
        .validate()
        .is_err(),
        "a shop offers at least one way"
    );

    assert_eq!(store.role(&s, &owner).await.unwrap(), Some(Role::Owner));
    assert_eq!(store.role(&s, &staff).await.unwrap(), None);
    let m = store
        .set_member(&s, &staff, Role::Staff, now())
        .await
        .unwrap();
    assert_eq!(
        (m.email.as_str(), m.role),
        ("staff@example.com", Role::Staff)
    );
    assert_eq!(store.members(&s).await.unwrap().len(), 2);
    let mine = store.shops_of(&staff).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].1, Role::Staff);

    // A shop never loses its last owner.
    assert!(matches!(
        store.set_member(&s, &owner, Role::Staff, now()).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.remove_member(&s, &owner).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .set_member(&s, &staff, Role::Owner, now())
        .await
        .unwrap();
    store
        .set_member(&s, &owner, Role::Staff, now())
        .await
        .unwrap();
    store.remove_member(&s, &owner).await.unwrap();
    assert!(matches!(
        store.remove_member(&s, &owner).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.shops_of(&owner).await.unwrap().is_empty());
}

async fn api_keys(store: Arc<dyn Store>) {
    let owner = user(&store, "o@example.com").await;
    let a = shop(&store, "aa", &owner).await;
    let b = shop(&store, "bb", &owner).await;
    let key = store
        .create_api_key(NewApiKey {
            id: id(ApiKeyId::from_parts),
            shop_id: a.clone(),
            name: "till".into(),
            scopes: vec![Scope::OrdersWrite, Scope::OrdersRead],
            token_hash: "h1".into(),
            prefix: "ob_12345".into(),
            created_at: now(),
        })
        .await
        .unwrap();
    let found = store.api_key("h1").await.unwrap().unwrap();
    assert_eq!(found, key);
    assert_eq!(found.scopes, [Scope::OrdersWrite, Scope::OrdersRead]);
    store.touch_api_key(&key.id, now()).await.unwrap();
    assert!(store.api_keys(&a).await.unwrap()[0].last_used_at.is_some());
    assert!(store.api_keys(&b).await.unwrap().is_empty());
    // Another shop cannot revoke it.
    assert!(matches!(
        store.revoke_api_key(&b, &key.id, now()).await,
        Err(StoreError::NotFound)
    ));
    store.revoke_api_key(&a, &key.id, now()).await.unwrap();
    assert!(store.api_key("h1").await.unwrap().is_none());
    assert!(store.api_keys(&a).await.unwrap()[0].revoked_at.is_some());
    assert!(matches!(
        store.revoke_api_key(&a, &key.id, now()).await,
        Err(StoreError::NotFound)
    ));
}

async fn menu_editing(store: Arc<dyn Store>) {
    let owner = user(&store, "o@example.com").await;
    let s = shop(&store, "menu", &owner).await;
    let coffee = store
        .create_category(
            &s,
            id(CategoryId::from_parts),
            CategoryInput {
                name: Some("Coffee".into()),
                position: None,
            }
            .validate(true)
            .unwrap(),
            now(),
        )
        .await
        .unwrap();
    let tea = store
        .create_category(
            &s,
            id(CategoryId::from_parts),
            CategoryInput {
                name: Some("Tea".into()),
                position: None,
            }
            .validate(true)
            .unwrap(),
            now(),
        )
        .await
        .unwrap();
    assert_eq!((coffee.position, tea.position), (0, 1));

    let item_input = |cat: &CategoryId, name: &str, price: i64| ItemInput {
        category_id: Some(cat.to_string()),
        name: Some(name.into()),
        description: Some("hot".into()),
        price: Some(price),
        sold_out: None,
        hidden: None,
        position: None,
    };
    let latte = store
        .create_item(
            &s,
            id(MenuItemId::from_parts),
            item_input(&coffee.id, "카페라떼 Latte", 5000)
                .validate(true)
                .unwrap(),
            now(),
        )
        .await
        .unwrap();
    let americano = store
        .create_item(
            &s,
            id(MenuItemId::from_parts),
            item_input(&coffee.id, "Americano", 4500)
                .validate(true)
                .unwrap(),
            now(),
        )
        .await
        .unwrap();
    assert_eq!((latte.position, americano.position), (0, 1));
    // Moving: one place among its siblings, nothing past either end, other shops untouched.
    let names = |menu: &orderbell_core::menu::Menu| -> Vec<String> {
        menu.categories
            .iter()
            .flat_map(|c| {
                std::iter::once(c.name.clone()).chain(c.items.iter().map(|i| i.name.clone()))
            })
            .collect()
    };
    let up = |e: MenuEntry| {
        let (store, s) = (store.clone(), s.clone());
        async move { store.move_menu_entry(&s, e, true).await.unwrap() }
    };
    assert!(up(MenuEntry::Item(americano.id.clone())).await);
    assert!(
        !up(MenuEntry::Item(americano.id.clone())).await,
        "already first"
    );
    assert!(up(MenuEntry::Category(tea.id.clone())).await);
    assert_eq!(
        names(&store.menu(&s).await.unwrap()),
        ["Tea", "Coffee", "Americano", "카페라떼 Latte"]
    );
    assert!(
        store
            .move_menu_entry(&s, MenuEntry::Category(tea.id.clone()), false)
            .await
            .unwrap()
    );
    let moved = store
        .move_menu_entry(&s, MenuEntry::Item(latte.id.clone()), false)
        .await
        .unwrap();
    assert!(!moved, "already last");
    assert_eq!(
        names(&store.menu(&s).await.unwrap()),
        ["Coffee", "Americano", "카페라떼 Latte", "Tea"]
    );
    let moved = store
        .move_menu_entry(&s, MenuEntry::Item(americano.id.clone()), false)
        .await
        .unwrap();
    assert!(moved);
    let other = shop(&store, "menu-other", &owner).await;
    assert!(matches!(
        store
            .move_menu_entry(&other, MenuEntry::Item(latte.id.clone()), true)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .move_menu_entry(&other, MenuEntry::Category(tea.id.clone()), true)
            .await,
        Err(StoreError::NotFound)
    ));
    let size = store
        .create_option_group(
            &s,
            &latte.id,
            id(OptionGroupId::from_parts),
            OptionGroupInput {
                name: Some("Size".into()),
                min: Some(1),
                max: Some(1),
                position: None,
            }
            .validate(true)
            .unwrap(),
        )
        .await
        .unwrap();
    let large = store
        .create_option(
            &s,
            &size.id,
            id(OptionId::from_parts),
            OptionInput {
                name: Some("Large".into()),
                price: Some(700),
                sold_out: None,
                position: None,
            }
            .validate(true)
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(large.price, 700);

    let menu = store.menu(&s).await.unwrap();
    assert_eq!(menu.categories.len(), 2);
    assert_eq!(menu.categories[0].items.len(), 2);
    assert_eq!(menu.categories[0].items[0].name, "카페라떼 Latte");
    assert_eq!(
        menu.categories[0].items[0].option_groups[0].options[0],
        large
    );
    assert!(menu.categories[1].items.is_empty());

    // Move the americano to tea, mark it sold out, drop its description.
    let moved = store
        .update_item(
            &s,
            &americano.id,
            ItemInput {
                category_id: Some(tea.id.to_string()),
                sold_out: Some(true),
                description: Some(String::new()),
                ..Default::default()
            }
            .validate(false)
            .unwrap(),
            now(),
        )
        .await
        .unwrap();
    assert!(moved.sold_out);
    assert_eq!(moved.description, None);
    assert_eq!(moved.category_id, tea.id);
    let menu = store.menu(&s).await.unwrap();
    assert_eq!(menu.categories[1].items[0].id, americano.id);
    assert!(!menu.categories[1].items[0].hidden);
    // Hidden from guests, kept for later: stored and read back as hidden, shown again after.
    for hidden in [true, false] {
        let changed = store
            .update_item(
                &s,
                &americano.id,
                ItemInput {
                    hidden: Some(hidden),
                    ..Default::default()
                }
                .validate(false)
                .unwrap(),
                now(),
            )
            .await
            .unwrap();
        assert_eq!(changed.hidden, hidden);
        assert!(changed.sold_out, "the other switches stay");
        let menu = store.menu(&s).await.unwrap();
        assert_eq!(menu.categories[1].items[0].hidden, hidden);
    }

    let opt = store
        .update_option(
            &s,
            &large.id,
            OptionInput {
                sold_out: Some(true),
                ..Default::default()
            }
            .validate(false)
            .unwrap(),
        )
        .await
        .unwrap();
    assert!(opt.sold_out);
    assert_eq!(opt.price, 700);

    // min > max after merging with the stored group is refused.
    let bad = store
        .update_option_group(
            &s,
            &size.id,
            OptionGroupInput {
                min: Some(3),
                ..Default::default()
            }
            .validate(false)
            .unwrap(),
        )
        .await;
    assert!(matches!(bad, Err(StoreError::Validation(_))), "{bad:?}");
    let group = store
        .update_option_group(
            &s,
            &size.id,
            OptionGroupInput {
                max: Some(2),
                ..Default::default()
            }
            .validate(false)
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!((group.min, group.max), (1, 2));

    let cat = store
        .update_category(
            &s,
            &tea.id,
            CategoryInput {
                name: Some("Teas".into()),
                position: Some(5),
            }
            .validate(false)
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        (cat.name.as_str(), cat.position, cat.items.len()),
        ("Teas", 5, 1)
    );

    assert!(matches!(
        store.delete_category(&s, &tea.id).await,
        Err(StoreError::Conflict(_))
    ));
    store.delete_item(&s, &americano.id).await.unwrap();
    store.delete_category(&s, &tea.id).await.unwrap();
    store.delete_option(&s, &large.id).await.unwrap();
    store.delete_option_group(&s, &size.id).await.unwrap();
    let menu = store.menu(&s).await.unwrap();
    assert_eq!(menu.categories.len(), 1);
    assert!(menu.categories[0].items[0].option_groups.is_empty());
    // Deleting an item takes its groups and options with it.
    let g = store
        .create_option_group(
            &s,
            &latte.id,
            id(OptionGroupId::from_parts),
            OptionGroupInput {
                name: Some("Milk".into()),
                ..Default::default()
            }
            .validate(true)
            .unwrap(),
        )
        .await
        .unwrap();
    store
        .create_option(
            &s,
            &g.id,
            id(OptionId::from_parts),
            OptionInput {
                name: Some("Oat".into()),
                ..Default::default()
            }
            .validate(true)
            .unwrap(),
        )
        .await
        .unwrap();
    store.delete_item(&s, &latte.id).await.unwrap();
    assert!(store.menu(&s).await.unwrap().categories[0].items.is_empty());
}

/// A category `category` holding one item `item` at `price`, in `shop`.
async fn one_item(
    store: &Arc<dyn Store>,
    shop: &ShopId,
    category: &str,
    item: &str,
    price: i64,
) -> (
    orderbell_core::menu::Category,
    orderbell_core::menu::MenuItem,
) {
    let cat = store
        .create_category(
            shop,
            id(CategoryId::from_parts),
            CategoryInput {
                name: Some(category.into()),
                position: None,
            }
            .validate(true)
            .unwrap(),
            now(),
        )
        .await
        .unwrap();
    let item = store
        .create_item(
            shop,
            id(MenuItemId::from_parts),
            ItemInput {
                category_id: Some(cat.id.to_string()),
                name: Some(item.into()),
                price: Some(price),
                ..Default::default()
            }
            .validate(true)
            .unwrap(),
            now(),
        )
        .await
        .unwrap();
    (cat, item)
}

async fn menu_photos(store: Arc<dyn Store>) {
    let owner = user(&store, "photo@example.com").await;
    let s = shop(&store, "photos", &owner).await;
    let (_, item) = one_item(&store, &s, "Cakes", "Cheesecake", 6000).await;
    assert_eq!(item.photo_url, None);
    // Bytes that are not UTF-8 survive the round trip exactly.
    let photo = |digest: &str, bytes: Vec<u8>| ItemPhoto {
        digest: digest.into(),
        content_type: "image/jpeg".into(),
        width: 800,
        height: 600,
        bytes,
    };
    let first = photo("d1", vec![0xFF, 0xD8, 0x00, 0x80, 0xFE, 0xFF, 0xD9]);
    let with = store
        .set_item_photo(&s, &item.id, Some(first.clone()), now())
        .await
        .unwrap();
    let url = format!("/media/items/{}/d1.jpg", item.id);
    assert_eq!(with.photo_url.as_deref(), Some(url.as_str()));
    let menu = store.menu(&s).await.unwrap();
    assert_eq!(
        menu.categories[0].items[0].photo_url.as_deref(),
        Some(url.as_str())
    );
    assert_eq!(store.item_photo(&item.id).await.unwrap(), Some(first));
    // A new photo replaces the old one under a new address.
    let second = photo("d2", vec![1, 2, 3]);
    store
        .set_item_photo(&s, &item.id, Some(second.clone()), now())
        .await
        .unwrap();
    assert_eq!(
        store.item_photo(&item.id).await.unwrap(),
        Some(second.clone())
    );
    // Another shop cannot set or remove it.
    let other = shop(&store, "photos-other", &owner).await;
    assert!(matches!(
        store.set_item_photo(&other, &item.id, None, now()).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.item_photo(&item.id).await.unwrap(), Some(second));
    // Removed, and gone with its item.
    let without = store
        .set_item_photo(&s, &item.id, None, now())
        .await
        .unwrap();
    assert_eq!(without.photo_url, None);
    assert_eq!(store.item_photo(&item.id).await.unwrap(), None);
    store
        .set_item_photo(&s, &item.id, Some(photo("d3", vec![9])), now())
        .await
        .unwrap();
    store.delete_item(&s, &item.id).await.unwrap();
    assert_eq!(store.item_photo(&item.id).await.unwrap(), None);
}

async fn menu_is_scoped_to_its_shop(store: Arc<dyn Store>) {
    let owner = user(&store, "o@example.com").await;
    let a = shop(&store, "shop-a", &owner).await;
    let b = shop(&store, "shop-b", &owner).await;
    let (cat, item) = one_item(&store, &a, "A", "X", 1).await;
    // Shop B cannot see, change, delete or build on shop A's menu.
    assert!(store.menu(&b).await.unwrap().categories.is_empty());
    let rename = CategoryInput {
        name: Some("mine".into()),
        position: None,
    }
    .validate(false)
    .unwrap();
    assert!(matches!(
        store.update_category(&b, &cat.id, rename).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_category(&b, &cat.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_item(&b, &item.id).await,
        Err(StoreError::NotFound)
    ));
    let into_a = ItemInput {
        category_id: Some(cat.id.to_string()),
        name: Some("Y".into()),
        price: Some(1),
        ..Default::default()
    }
    .validate(true)
    .unwrap();
    assert!(matches!(
        store
            .create_item(&b, id(MenuItemId::from_parts), into_a, now())
            .await,
        Err(StoreError::Validation(_))
    ));
    let group = OptionGroupInput {
        name: Some("G".into()),
        ..Default::default()
    }
    .validate(true)
    .unwrap();
    assert!(matches!(
        store
            .create_option_group(&b, &item.id, id(OptionGroupId::from_parts), group)
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.menu(&a).await.unwrap().categories[0].items[0].name,
        "X"
    );
}

async fn orders_are_numbered_per_shop(store: Arc<dyn Store>) {
    let owner = user(&store, "o@example.com").await;
    let a = shop(&store, "num-a", &owner).await;
    let b = shop(&store, "num-b", &owner).await;
    let a1 = created(
        store
            .create_order(new_order(&a, Some("+821012345678"), None))
            .await
            .unwrap(),
    );
    let a2 = created(
        store
            .create_order(new_order(&a, Some("+821012345678"), None))
            .await
            .unwrap(),
    );
    let b1 = created(store.create_order(new_order(&b, None, None)).await.unwrap());
    assert_eq!((a1.number, a2.number, b1.number), (1001, 1002, 1001));
    // The same phone is the same customer of the shop.
    assert!(a1.customer_id.is_some());
    assert_eq!(a1.customer_id, a2.customer_id);
    assert_eq!(b1.customer_id, None);

    let stored = store.order(&a, &a1.id).await.unwrap().unwrap();
    assert_eq!(stored, a1, "what was answered is what was stored");
    assert_eq!(stored.items[0].options[0].name, "Extra shot");
    assert_eq!(
        stored.fulfillment,
        Fulfillment::DineIn {
            table: Some("7".into())
        }
    );
    assert!(
        store.order(&b, &a1.id).await.unwrap().is_none(),
        "another shop's order is not found"
    );
    assert_eq!(
        store.order_by_id(&a1.id).await.unwrap().unwrap().number,
        1001
    );
    let missing = new_order(&id(ShopId::from_parts), None, None);
    assert!(matches!(
        store.create_order(missing).await,
        Err(StoreError::NotFound)
    ));
}

async fn order_lifecycle_and_events(store: Arc<dyn Store>) {
    let owner = user(&store, "o@example.com").await;
    let s = shop(&store, "life", &owner).await;
    let o = created(store.create_order(new_order(&s, None, None)).await.unwrap());
    let staff = Actor {
        kind: "user".into(),
        id: Some(owner.to_string()),
        name: Some("Owner".into()),
    };
    let t = now();
    let acked = store
        .apply_order_action(&s, &o.id, OrderAction::Acknowledge, staff.clone(), t)
        .await
        .unwrap();
    assert_eq!(acked.acknowledged_at, Some(t));
    let again = store
        .apply_order_action(&s, &o.id, OrderAction::Acknowledge, staff.clone(), now())
        .await
        .unwrap();
    assert_eq!(
        again.acknowledged_at,
        Some(t),
        "acknowledging twice keeps the first time"
    );

    let bad = store
        .apply_order_action(&s, &o.id, OrderAction::Complete, staff.clone(), now())
        .await;
    assert!(
        matches!(bad, Err(StoreError::InvalidTransition(_))),
        "{bad:?}"
    );
    let accepted = store
        .apply_order_action(
            &s,
            &o.id,
            OrderAction::Accept { eta_minutes: 15 },
            staff.clone(),
            now(),
        )
        .await
        .unwrap();
    assert_eq!(
        (accepted.status, accepted.eta_minutes),
        (OrderStatus::Accepted, Some(15))
    );
    store
        .apply_order_action(&s, &o.id, OrderAction::Ready, staff.clone(), now())
        .await
        .unwrap();
    let done = store
        .apply_order_action(&s, &o.id, OrderAction::Complete, staff.clone(), now())
        .await
        .unwrap();
    assert_eq!(done.status, OrderStatus::Completed);
    assert!(done.closed_at.is_some());
    assert_eq!(store.order(&s, &o.id).await.unwrap().unwrap(), done);

    let events = store.order_events(&s, &o.id).await.unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["created", "acknowledge", "accept", "ready", "complete"]
    );
    assert_eq!(events[0].actor.kind, "api_key");
    assert_eq!(events[2].detail.as_deref(), Some("eta 15 min"));
    assert_eq!(events[4].actor, staff);

    let other = shop(&store, "life-b", &owner).await;
    assert!(matches!(
        store
            .apply_order_action(
                &other,
                &o.id,
                OrderAction::Acknowledge,
                staff.clone(),
                now()
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(store.order_events(&other, &o.id).await.unwrap().is_empty());

    let o2 = created(store.create_order(new_order(&s, None, None)).await.unwrap());
    let rejected = store
        .apply_order_action(
            &s,
            &o2.id,
            OrderAction::Reject {
                reason: Some("sold out".into()),
            },
            staff,
            now(),
        )
        .await
        .unwrap();
    assert_eq!(
        (rejected.status, rejected.reason.as_deref()),
        (OrderStatus::Rejected, Some("sold out"))
    );
}

async fn order_listing(store: Arc<dyn Store>) {
    let owner = user(&store, "o@example.com").await;
    let s = shop(&store, "list", &owner).await;
    let mut ids = vec![];
    for _ in 0..7 {
        ids.push(created(store.create_order(new_order(&s, None, None)).await.unwrap()).id);
    }
    let cutoff = now();
    let actor = Actor::system();
    store
        .apply_order_action(
            &s,
            &ids[0],
            OrderAction::Accept { eta_minutes: 5 },
            actor.clone(),
            now(),
        )
        .await
        .unwrap();
    store
        .apply_order_action(
            &s,
            &ids[1],
            OrderAction::Reject { reason: None },
            actor,
            now(),
        )
        .await
        .unwrap();

    let page1 = store
        .orders(
            &s,
            OrderFilter {
                limit: 3,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let numbers: Vec<_> = page1.orders.iter().map(|o| o.number).collect();
    assert_eq!(numbers, [1007, 1006, 1005]);
    assert_eq!(page1.next_before_number, Some(1005));
    let page3 = store
        .orders(
            &s,
            OrderFilter {
                limit: 3,
                before_number: Some(1002),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        page3.orders.iter().map(|o| o.number).collect::<Vec<_>>(),
        [1001]
    );
    assert_eq!(page3.next_before_number, None);

    let pending = store
        .orders(
            &s,
            OrderFilter {
                statuses: vec![OrderStatus::Pending],
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(pending.orders.len(), 5);
    let closed = store
        .orders(
            &s,
            OrderFilter {
                statuses: vec![OrderStatus::Accepted, OrderStatus::Rejected],
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        closed.orders.iter().map(|o| o.number).collect::<Vec<_>>(),
        [1002, 1001]
    );
    let future = cutoff
        .checked_add(jiff::SignedDuration::from_hours(1))
        .unwrap();
    let none = store
        .orders(
            &s,
            OrderFilter {
                since: Some(future),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(none.orders.is_empty());
    let past = cutoff
        .checked_sub(jiff::SignedDuration::from_hours(1))
        .unwrap();
    let all = store
        .orders(
            &s,
            OrderFilter {
                since: Some(past),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.orders.len(), 7);
}

async fn idempotency_keys(store: Arc<dyn Store>) {
    let owner = user(&store, "o@example.com").await;
    let a = shop(&store, "idem-a", &owner).await;
    let b = shop(&store, "idem-b", &owner).await;
    let first = created(
        store
            .create_order(new_order(&a, None, Some(("k1", "hash-1"))))
            .await
            .unwrap(),
    );
    match store
        .create_order(new_order(&a, None, Some(("k1", "hash-1"))))
        .await
        .unwrap()
    {
        CreatedOrder::Replayed(o) => assert_eq!(o, first),
        CreatedOrder::New(o, _) => panic!("a second order #{} was stored", o.number),
    }
    let conflict = store
        .create_order(new_order(&a, None, Some(("k1", "hash-2"))))
        .await;
    assert!(
        matches!(conflict, Err(StoreError::IdempotencyConflict)),
        "{conflict:?}"
    );
    // Keys belong to a shop.
    let other = created(
        store
            .create_order(new_order(&b, None, Some(("k1", "hash-2"))))
            .await
            .unwrap(),
    );
    assert_eq!(other.number, 1001);
    let next = created(store.create_order(new_order(&a, None, None)).await.unwrap());
    assert_eq!(
        next.number, 1002,
        "a refused or replayed request uses no number"
    );
}

async fn concurrent_orders_are_group_committed(store: Arc<dyn Store>) {
    let owner = user(&store, "o@example.com").await;
    let s = shop(&store, "busy", &owner).await;
    let mut tasks = vec![];
    for i in 0..300 {
        let store = store.clone();
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let phone = format!("+8210{:08}", i % 50);
            created(
                store
                    .create_order(new_order(&s, Some(&phone), None))
                    .await
                    .unwrap(),
            )
            .number
        }));
    }
    let mut numbers = vec![];
    for t in tasks {
        numbers.push(t.await.unwrap());
    }
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1001..1301).collect::<Vec<_>>(),
        "every order got its own number, none lost"
    );
    let page = store
        .orders(
            &s,
            OrderFilter {
                limit: 200,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.orders.len(), 200);
    assert_eq!(page.next_before_number, Some(1101));
}

async fn concurrent_retries_with_one_key_make_one_order(store: Arc<dyn Store>) {
    let owner = user(&store, "o@example.com").await;
    let s = shop(&store, "retry", &owner).await;
    let mut tasks = vec![];
    for _ in 0..60 {
        let store = store.clone();
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            store
                .create_order(new_order(&s, Some("+821055554444"), Some(("same", "h"))))
                .await
                .unwrap()
        }));
    }
    let mut new = vec![];
    let mut replayed = vec![];
    for t in tasks {
        match t.await.unwrap() {
            CreatedOrder::New(o, _) => new.push(o),
            CreatedOrder::Replayed(o) => replayed.push(o),
        }
    }
    assert_eq!(new.len(), 1, "one order for one key");
    assert_eq!(replayed.len(), 59);
    assert!(replayed.iter().all(|o| *o == new[0]));
    let page = store
        .orders(
            &s,
            OrderFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.orders.len(), 1);
    // Customers by phone: many orders, one customer.
    let mut tasks = vec![];
    for _ in 0..40 {
        let store = store.clone();
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            created(
                store
                    .create_order(new_order(&s, Some("+821055554444"), None))
                    .await
                    .unwrap(),
            )
            .customer_id
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), new[0].customer_id);
    }
}

async fn a_failing_job_leaves_its_batch_alone(store: Arc<dyn Store>) {
    let owner = user(&store, "o@example.com").await;
    let s = shop(&store, "mixed", &owner).await;
    created(
        store
            .create_order(new_order(&s, None, Some(("taken", "h"))))
            .await
            .unwrap(),
    );
    let mut tasks = vec![];
    for i in 0..100 {
        let store = store.clone();
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            // Every third request reuses the key with another body and must fail alone.
            let key = (i % 3 == 0).then_some(("taken", "other"));
            (i, store.create_order(new_order(&s, None, key)).await)
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (i, result) = t.await.unwrap();
        if i % 3 == 0 {
            assert!(
                matches!(result, Err(StoreError::IdempotencyConflict)),
                "{result:?}"
            );
        } else {
            created(result.unwrap());
            ok += 1;
        }
    }
    let page = store
        .orders(
            &s,
            OrderFilter {
                limit: 200,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.orders.len(), ok + 1);
    assert_eq!(page.orders[0].number, 1001 + i64::try_from(ok).unwrap());
}

async fn settings_keep_their_first_value(store: Arc<dyn Store>) {
    assert_eq!(store.setting("tracking_key").await.unwrap(), None);
    assert_eq!(
        store.setting_init("tracking_key", "first").await.unwrap(),
        "first"
    );
    assert_eq!(
        store.setting_init("tracking_key", "second").await.unwrap(),
        "first"
    );
    assert_eq!(
        store.setting("tracking_key").await.unwrap().as_deref(),
        Some("first")
    );
    store.ping().await.unwrap();
}

async fn expired_rows_are_purged(store: Arc<dyn Store>) {
    let owner = user(&store, "o@example.com").await;
    let s = shop(&store, "purge", &owner).await;
    let t = now();
    store
        .create_session(NewSession {
            token_hash: "gone".into(),
            user_id: owner.clone(),
            auth_method: "password".into(),
            user_agent: None,
            ip: None,
            created_at: t,
            expires_at: t,
        })
        .await
        .unwrap();
    created(
        store
            .create_order(new_order(&s, None, Some(("old-key", "h"))))
            .await
            .unwrap(),
    );
    let later = t.checked_add(jiff::SignedDuration::from_secs(1)).unwrap();
    assert_eq!(store.delete_expired(later, later).await.unwrap(), 2);
    // The key is gone, so the same key now makes a new order.
    let again = created(
        store
            .create_order(new_order(&s, None, Some(("old-key", "other"))))
            .await
            .unwrap(),
    );
    assert_eq!(again.number, 1002);
}

#[tokio::test]
async fn sqlite_data_survives_reopening_and_migrations_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/orderbell.db", dir.path().display());
    assert_eq!(
        orderbell_store::migrate(&url).await.unwrap(),
        orderbell_store::sqlite::MIGRATIONS.len()
    );
    assert_eq!(orderbell_store::migrate(&url).await.unwrap(), 0);
    let order = {
        let store = orderbell_store::open(&url).await.unwrap();
        let owner = user(&store, "o@example.com").await;
        let s = shop(&store, "keep", &owner).await;
        created(store.create_order(new_order(&s, None, None)).await.unwrap())
    };
    let store = orderbell_store::open(&url).await.unwrap();
    assert_eq!(store.order_by_id(&order.id).await.unwrap().unwrap(), order);
    assert_eq!(store.backend(), "sqlite");
}

/// SQLite's migration 13 copies the tables every order writes into the same shape with their
/// CHECKs as comparisons: run again over a database with an order, it keeps every row and
/// every rule (a status outside the list is still refused).
#[tokio::test]
async fn sqlite_check_lists_keep_rows_and_rules() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orderbell.db");
    let url = format!("sqlite://{}", path.display());
    let order = {
        let store = orderbell_store::open(&url).await.unwrap();
        let owner = user(&store, "c@example.com").await;
        let s = shop(&store, "checks", &owner).await;
        created(store.create_order(new_order(&s, None, None)).await.unwrap())
    };
    let (_, name, sql) = orderbell_store::sqlite::MIGRATIONS
        .iter()
        .find(|m| m.0 == 13)
        .unwrap();
    assert_eq!(*name, "check_lists");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let timers = |conn: &rusqlite::Connection| -> Vec<(String, String, String)> {
        let mut stmt = conn
            .prepare("SELECT order_id, status, next_step FROM order_alerts ORDER BY order_id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let before = timers(&conn);
    assert_eq!(before.len(), 1, "the new order's escalation timer");
    assert_eq!(before[0].0, order.id.as_str());
    conn.execute_batch(&format!("BEGIN; {sql} COMMIT;"))
        .unwrap();
    assert_eq!(timers(&conn), before);
    let update = |column: &str, value: &str| {
        conn.execute(&format!("UPDATE order_alerts SET {column} = ?1"), [value])
    };
    assert!(update("status", "snoozed").is_err());
    assert!(update("next_step", "dance").is_err());
    update("status", "answered").unwrap();
    update("next_step", "miss").unwrap();
    for (table, column) in [
        ("print_jobs", "status"),
        ("notifications", "status"),
        ("notifications", "recipient"),
    ] {
        let check: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        assert!(check.contains(&format!("{column} = ")), "{table}: {check}");
        assert!(!check.contains(&format!("{column} IN")), "{table}: {check}");
    }
}

#[tokio::test]
async fn bad_urls_are_refused() {
    assert!(matches!(
        orderbell_store::open("mysql://x").await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        orderbell_store::open("sqlite://").await,
        Err(StoreError::Unavailable(_))
    ));
}

async fn external_identities_and_oidc_flows(store: Arc<dyn Store>) {
    use orderbell_store::{NewIdentity, OidcFlow};
    let t = now();
    let later = t.checked_add(jiff::SignedDuration::from_mins(10)).unwrap();
    let flow = |hash: &str, link: Option<UserId>| OidcFlow {
        state_hash: hash.into(),
        provider: "google".into(),
        nonce: "n".into(),
        pkce_verifier: "v".into(),
        next: "/account".into(),
        link_user_id: link,
        created_at: t,
        expires_at: later,
    };
    // A flow is taken once; an expired one is not given back.
    let u = user(&store, "oidc@example.com").await;
    store
        .create_oidc_flow(flow("s1", Some(u.clone())))
        .await
        .unwrap();
    let taken = store.take_oidc_flow("s1", t).await.unwrap().unwrap();
    assert_eq!(taken, flow("s1", Some(u.clone())));
    assert!(store.take_oidc_flow("s1", t).await.unwrap().is_none());
    store.create_oidc_flow(flow("s2", None)).await.unwrap();
    assert!(store.take_oidc_flow("s2", later).await.unwrap().is_none());

    let identity = |id: &str, user: &UserId, sub: &str| NewIdentity {
        id: id.into(),
        user_id: user.clone(),
        provider: "google".into(),
        issuer: "https://accounts.google.com".into(),
        subject: sub.into(),
        email: Some("oidc@example.com".into()),
        created_at: t,
    };
    assert!(
        store
            .identity_user("https://accounts.google.com", "1", t)
            .await
            .unwrap()
            .is_none()
    );
    let linked = store.link_identity(identity("i1", &u, "1")).await.unwrap();
    assert_eq!(linked.user_id, u);
    assert_eq!(linked.last_used_at, t);
    let found = store
        .identity_user("https://accounts.google.com", "1", later)
        .await
        .unwrap();
    assert_eq!(found.unwrap().id, u);
    assert_eq!(
        store.identities_of(&u).await.unwrap()[0].last_used_at,
        later
    );
    // One account per identity.
    let other = user(&store, "other@example.com").await;
    assert!(matches!(
        store.link_identity(identity("i2", &other, "1")).await,
        Err(StoreError::Conflict(_))
    ));
    // An account made with its identity, in one transaction: a taken e-mail makes neither.
    let new = |email: &str| NewUser {
        id: id(UserId::from_parts),
        email: email.into(),
        name: "New".into(),
        password_hash: None,
        created_at: t,
        email_verified_at: Some(t),
    };
    let n = new("fresh@example.com");
    let (made, ident) = store
        .create_user_with_identity(n.clone(), identity("i3", &n.id, "3"))
        .await
        .unwrap();
    assert_eq!(ident.user_id, made.id);
    let n = new("other@example.com");
    assert!(matches!(
        store
            .create_user_with_identity(n.clone(), identity("i4", &n.id, "4"))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store
            .identity_user("https://accounts.google.com", "4", t)
            .await
            .unwrap()
            .is_none()
    );
    // Unlinking: only one's own.
    assert!(matches!(
        store.unlink_identity(&other, "i1").await,
        Err(StoreError::NotFound)
    ));
    store.unlink_identity(&u, "i1").await.unwrap();
    assert!(store.identities_of(&u).await.unwrap().is_empty());
}
