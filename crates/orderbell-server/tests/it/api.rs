//! The JSON API end to end: a real server on port 0, real SQLite files, HTTP from outside.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use crate::support;
use crate::support::{As, TestApp, americano_order};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn tracking_token(order: &Value) -> String {
    order["tracking_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

async fn order_count(app: &TestApp, key: &As, slug: &str) -> usize {
    let res = app
        .get(&format!("/api/v1/shops/{slug}/orders?limit=100"), key)
        .await;
    res.body["orders"].as_array().unwrap().len()
}

/// The README's quick start: an API key posts an order, staff accept it with an ETA, mark it
/// ready and completed, and the guest follows it by its tracking token.
async fn quick_start(app: TestApp) {
    let (_, key) = app
        .shop_with_key("cafe", &["orders:write", "orders:read"])
        .await;
    let key = As::Key(key);
    let res = app
        .post("/api/v1/shops/cafe/orders", &key, americano_order())
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let order = res.body;
    assert_eq!(order["number"], 1001);
    assert_eq!(order["shop"], "cafe");
    assert_eq!(order["status"], "pending");
    assert_eq!(order["currency"], "KRW");
    assert_eq!(
        (order["subtotal"].as_i64(), order["total"].as_i64()),
        (Some(10000), Some(10000))
    );
    assert_eq!(order["items"][0]["line_total"], 10000);
    assert_eq!(
        order["items"][0]["options"][0],
        json!({"name":"Extra shot","price":500})
    );
    assert_eq!(
        order["customer"],
        json!({"name":"Kim","phone":"+821012345678"})
    );
    assert_eq!(order["fulfillment"], json!({"type":"pickup"}));
    assert_eq!(order["source"], "api");
    assert_eq!(order["note"], "less ice");
    assert_eq!(order["eta_minutes"], Value::Null);
    assert_eq!(order["acknowledged_at"], Value::Null);
    assert_eq!(order["print_jobs"], json!([]));
    assert!(
        order["tracking_url"]
            .as_str()
            .unwrap()
            .starts_with("http://orderbell.test/o/")
    );
    let id = order["id"].as_str().unwrap();
    let path = format!("/api/v1/shops/cafe/orders/{id}");

    let accepted = app
        .post(&format!("{path}/accept"), &key, json!({"eta_minutes": 15}))
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert_eq!(accepted.body["status"], "accepted");
    assert_eq!(accepted.body["eta_minutes"], 15);
    assert!(accepted.body["ready_at"].is_string());
    assert!(accepted.body["acknowledged_at"].is_string());
    let ready = app
        .call(Method::POST, &format!("{path}/ready"), &key, None)
        .await;
    assert_eq!(ready.body["status"], "ready");
    let done = app
        .call(Method::POST, &format!("{path}/complete"), &key, None)
        .await;
    assert_eq!(done.body["status"], "completed");

    let token = tracking_token(&order);
    let tracked = app
        .get(&format!("/api/v1/orders/{token}"), &As::Nobody)
        .await;
    assert_eq!(tracked.status, StatusCode::OK);
    assert_eq!(tracked.body["status"], "completed");
    assert_eq!(tracked.body["number"], 1001);
    assert_eq!(tracked.body["shop"]["slug"], "cafe");
    assert!(
        tracked.body.get("customer").is_none(),
        "the tracking view leaves out contact details"
    );

    let events = app.get(&format!("{path}/events"), &key).await;
    let kinds: Vec<&str> = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "accept", "ready", "complete"]);
    assert_eq!(events.body[1]["actor"]["kind"], "api_key");
}

#[tokio::test]
async fn quick_start_on_sqlite() {
    quick_start(TestApp::spawn().await).await;
}

#[tokio::test]
async fn quick_start_on_postgres() {
    if let Some(app) = TestApp::spawn_postgres().await {
        quick_start(app).await;
    }
}

#[tokio::test]
async fn guests_order_from_the_menu_at_server_prices() {
    let app = TestApp::spawn().await;
    orderbell_server::demo::ensure(&app.state).await.unwrap();
    let menu = app.get("/api/v1/shops/demo/menu", &As::Nobody).await.body;
    assert_eq!(menu["currency"], "KRW");
    let latte = &menu["categories"][0]["items"][1];
    assert_eq!(latte["name"], "카페라떼 Caffè Latte");
    let large = &latte["option_groups"][0]["options"][1];
    let order = json!({"items":[{"menu_item_id": latte["id"], "quantity": 2, "option_ids": [large["id"]]}],
                       "customer": {"name": "Lee", "phone": "+82 10 9876 5432"},
                       "fulfillment": {"type": "dine_in", "table": "4"}});
    let res = app
        .post("/api/v1/shops/demo/orders", &As::Nobody, order)
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["source"], "guest");
    assert_eq!(res.body["total"], (5000 + 700) * 2);
    assert_eq!(res.body["items"][0]["options"][0]["name"], "라지 Large");
    assert_eq!(res.body["customer"]["phone"], "+821098765432");

    // Guests cannot name their own prices.
    let free = json!({"items":[{"name":"Latte","quantity":1,"unit_price":1}]});
    let res = app
        .post("/api/v1/shops/demo/orders", &As::Nobody, free)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.body["error"]["fields"][0]["field"],
        "items[0].menu_item_id"
    );

    // A missing required option, a sold-out item and a closed shop are refused.
    let no_size = json!({"items":[{"menu_item_id": latte["id"], "quantity": 1}]});
    let res = app
        .post("/api/v1/shops/demo/orders", &As::Nobody, no_size)
        .await;
    assert_eq!(res.body["error"]["fields"][0]["code"], "too_few");
    let owner = app
        .login(
            orderbell_server::demo::DEMO_EMAIL,
            &app.state
                .store
                .setting("demo_password")
                .await
                .unwrap()
                .unwrap(),
        )
        .await;
    let owner = As::Session(owner);
    let cake = menu["categories"][1]["items"][0]["id"].as_str().unwrap();
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/shops/demo/menu/items/{cake}"),
            &owner,
            Some(json!({"sold_out": true})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = app
        .post(
            "/api/v1/shops/demo/orders",
            &As::Nobody,
            json!({"items":[{"menu_item_id": cake, "quantity": 1}]}),
        )
        .await;
    assert_eq!(res.body["error"]["fields"][0]["code"], "sold_out");
    let res = app
        .call(
            Method::PATCH,
            "/api/v1/shops/demo",
            &owner,
            Some(json!({"accepting_orders": false})),
        )
        .await;
    assert_eq!(res.body["accepting_orders"], false);
    let again = json!({"items":[{"menu_item_id": latte["id"], "quantity": 1, "option_ids": [large["id"]]}]});
    let res = app
        .post("/api/v1/shops/demo/orders", &As::Nobody, again)
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.body["error"]["fields"][0]["code"],
        "not_accepting_orders"
    );
    assert_eq!(order_count(&app, &owner, "demo").await, 1);

    // Guests order only what the shop offers, above its minimum.
    let res = app
        .call(
            Method::PATCH,
            "/api/v1/shops/demo",
            &owner,
            Some(json!({"accepting_orders": true,
                        "guest_ordering": {"pickup": true, "dine_in": false, "delivery": false, "min_order": 20000}})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["guest_ordering"]["min_order"], 20000);
    let line = json!({"menu_item_id": latte["id"], "quantity": 1, "option_ids": [large["id"]]});
    let res = app
        .post(
            "/api/v1/shops/demo/orders",
            &As::Nobody,
            json!({"items": [line], "fulfillment": {"type": "dine_in", "table": "2"}}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let codes: Vec<(&str, &str)> = res.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            ("fulfillment.type", "not_offered"),
            ("items", "below_minimum")
        ]
    );
    let res = app
        .call(
            Method::PATCH,
            "/api/v1/shops/demo",
            &owner,
            Some(json!({"guest_ordering": {"pickup": false, "dine_in": false, "delivery": false}})),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert_eq!(order_count(&app, &owner, "demo").await, 1);

    // A guest's delivery order carries the shop's delivery fee; the minimum counts the items.
    let res = app
        .call(
            Method::PATCH,
            "/api/v1/shops/demo",
            &owner,
            Some(
                json!({"guest_ordering": {"delivery": true, "min_order": 20000,
                        "delivery_fee": 3000, "delivery_note": "  within 2 km  "}}),
            ),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["guest_ordering"]["delivery_note"], "within 2 km");
    let many = json!({"menu_item_id": latte["id"], "quantity": 5, "option_ids": [large["id"]]});
    let res = app
        .post(
            "/api/v1/shops/demo/orders",
            &As::Nobody,
            json!({"items": [many], "fulfillment": {"type": "delivery", "address": "1 Main St"}}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let subtotal = res.body["subtotal"].as_i64().unwrap();
    assert!(subtotal >= 20000, "{}", res.body);
    assert_eq!(res.body["delivery_fee"], 3000);
    assert_eq!(res.body["total"].as_i64(), Some(subtotal + 3000));
    let res = app
        .call(
            Method::PATCH,
            "/api/v1/shops/demo",
            &owner,
            Some(json!({"guest_ordering": {"delivery": true, "delivery_fee": -1}})),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert_eq!(
        res.body["error"]["fields"][0]["field"],
        "guest_ordering.delivery_fee"
    );
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .shop_with_key("bad", &["orders:write", "orders:read"])
        .await;
    let key = As::Key(key);
    let url = format!("{}/api/v1/shops/bad/orders", app.base);
    let raw = |body: &'static str, content_type: &'static str| {
        let (app, url, key) = (&app, url.clone(), key.clone());
        async move {
            let As::Key(k) = key else { unreachable!() };
            app.send(
                app.http
                    .post(url)
                    .bearer_auth(k)
                    .header("content-type", content_type)
                    .body(body),
            )
            .await
        }
    };

    let res = raw("{\"items\": [", "application/json").await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::BAD_REQUEST, "invalid_json")
    );
    let res = raw("{\"items\": \"many\"}", "application/json").await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    assert_eq!(res.body["error"]["fields"][0]["field"], "items");
    let res = raw(
        r#"{"items":[{"name":"A","quantity":"two","unit_price":1}]}"#,
        "application/json",
    )
    .await;
    assert_eq!(res.body["error"]["fields"][0]["field"], "items[0].quantity");
    assert_eq!(res.body["error"]["fields"][0]["code"], "invalid_type");
    let res = raw(
        r#"{"items":[{"name":"A","quantity":1,"unit_price":1}],"tip":500}"#,
        "application/json",
    )
    .await;
    assert_eq!(res.body["error"]["fields"][0]["code"], "unknown_field");
    let res = raw(r#"{"items":[]}"#, "text/plain").await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );

    let huge =
        json!({"items":[{"name":"A","quantity":1,"unit_price":1}], "note": "x".repeat(70 * 1024)});
    let res = app.post("/api/v1/shops/bad/orders", &key, huge).await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );

    for quantity in [0, -1, 1000] {
        let body = json!({"items":[{"name":"A","quantity":quantity,"unit_price":100}]});
        let res = app.post("/api/v1/shops/bad/orders", &key, body).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "quantity {quantity}"
        );
        assert_eq!(res.body["error"]["fields"][0]["field"], "items[0].quantity");
        assert_eq!(res.body["error"]["fields"][0]["code"], "out_of_range");
    }
    let unknown =
        json!({"items":[{"menu_item_id":"0123456789abcdef0123456789abcdef","quantity":1}]});
    let res = app.post("/api/v1/shops/bad/orders", &key, unknown).await;
    assert_eq!(res.body["error"]["fields"][0]["code"], "unknown");
    let res = app
        .post(
            "/api/v1/shops/bad/orders",
            &key,
            json!({"items":[{"name":"Gold","quantity":99,"unit_price":100000000}]}),
        )
        .await;
    assert_eq!(res.body["error"]["fields"][0]["field"], "items");

    assert_eq!(
        order_count(&app, &key, "bad").await,
        0,
        "nothing was half-written"
    );

    // Illegal transitions and odd bodies on actions.
    let order = app
        .post("/api/v1/shops/bad/orders", &key, americano_order())
        .await
        .body;
    let path = format!("/api/v1/shops/bad/orders/{}", order["id"].as_str().unwrap());
    let res = app
        .call(Method::POST, &format!("{path}/complete"), &key, None)
        .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::CONFLICT, "invalid_transition")
    );
    let res = app
        .post(&format!("{path}/accept"), &key, json!({"eta_minutes": 0}))
        .await;
    assert_eq!(res.body["error"]["fields"][0]["field"], "eta_minutes");
    let res = app.post(&format!("{path}/accept"), &key, json!({})).await;
    assert_eq!(res.body["error"]["fields"][0]["code"], "required");
    let res = app
        .post(
            &format!("{path}/reject"),
            &key,
            json!({"reason": "x".repeat(201)}),
        )
        .await;
    assert_eq!(res.body["error"]["fields"][0]["code"], "too_long");
    let res = app
        .post(&format!("{path}/ready"), &key, json!({"surprise": 1}))
        .await;
    assert_eq!(res.body["error"]["fields"][0]["code"], "unknown_field");
    let res = app.get("/api/v1/shops/bad/orders/not-an-id", &key).await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let res = app
        .get(
            "/api/v1/shops/bad/orders?status=lost&limit=1000&since=yesterday&cursor=x",
            &key,
        )
        .await;
    let fields: Vec<&str> = res.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["status", "since", "cursor", "limit"]);
    let res = app.get("/api/v1/orders/forged-token", &As::Nobody).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .get("/api/v1/shops/bad/orders", &As::Key("obk_wrong".into()))
        .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    let res = app
        .get("/api/v1/shops/bad/orders", &As::Key("not-a-key".into()))
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let res = app.get("/api/v1/shops/bad/orders", &As::Nobody).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn idempotency_keys_replay_or_conflict() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .shop_with_key("idem", &["orders:write", "orders:read"])
        .await;
    let As::Key(k) = As::Key(key.clone()) else {
        unreachable!()
    };
    let url = format!("{}/api/v1/shops/idem/orders", app.base);
    let post = |body: Value, idem: &'static str| {
        app.send(
            app.http
                .post(url.clone())
                .bearer_auth(k.clone())
                .header("idempotency-key", idem)
                .json(&body),
        )
    };
    let first = post(americano_order(), "abc-123").await;
    assert_eq!(first.status, StatusCode::CREATED);
    // The same body, laid out differently, is the same request.
    let reordered: Value = serde_json::from_str(&americano_order().to_string()).unwrap();
    let again = post(reordered, "abc-123").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let mut other = americano_order();
    other["note"] = json!("more ice");
    let conflict = post(other, "abc-123").await;
    assert_eq!(
        (conflict.status, conflict.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_conflict")
    );
    let bad = post(americano_order(), "has space").await;
    assert_eq!(bad.body["error"]["fields"][0]["field"], "Idempotency-Key");
    assert_eq!(order_count(&app, &As::Key(key), "idem").await, 1);
}

/// Errors from below the handlers are the API's JSON too: a path that is not UTF-8, a webhook
/// body over the limit.
#[tokio::test]
async fn every_api_error_is_json() {
    let app = TestApp::spawn().await;
    let res = app
        .send(
            app.http
                .get(format!("{}/api/v1/shops/%FF%FE/orders", app.base)),
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.code(), "bad_request");
    let res = app
        .send(
            app.http
                .post(format!("{}/webhooks/telegram", app.base))
                .header("content-type", "application/json")
                .body(vec![b' '; 200 * 1024]),
        )
        .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
}

/// Guests' keys are their own: another client with the same key and body gets its own order
/// (never the first guest's), and cannot make a later guest's order fail.
#[tokio::test]
async fn guest_idempotency_keys_belong_to_one_client() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::support::sqlite_config(dir.path());
    config.client_ip_header = Some("x-forwarded-for".into());
    let app = TestApp::spawn_with(config, Some(dir), None).await;
    crate::pages::demo(&app).await;
    let menu = app.get("/api/v1/shops/demo/menu", &As::Nobody).await;
    let item = menu.body["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["items"].as_array().unwrap())
        .find(|i| i["name"].as_str().unwrap().contains("Croissant"))
        .unwrap()["id"]
        .clone();
    let url = format!("{}/api/v1/shops/demo/orders", app.base);
    let post = |client: &'static str, idem: &'static str, name: &'static str| {
        app.send(
            app.http
                .post(url.clone())
                .header("x-forwarded-for", client)
                .header("idempotency-key", idem)
                .json(&json!({"items": [{"menu_item_id": item, "quantity": 1}],
                              "customer": {"name": name, "phone": "+821011112222"},
                              "fulfillment": {"type": "pickup"}})),
        )
    };
    let first = post("203.0.113.1", "order-1", "Kim").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    // The same client retrying gets its order back.
    let retry = post("203.0.113.1", "order-1", "Kim").await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.body["id"], first.body["id"]);
    // Another client with the same key and body makes its own order.
    let other = post("198.51.100.7", "order-1", "Kim").await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
    assert_ne!(other.body["id"], first.body["id"]);
    assert_ne!(other.body["tracking_url"], first.body["tracking_url"]);
    // A client that used a key first does not make a later guest's order fail.
    let squatter = post("198.51.100.9", "order-2", "Mallory").await;
    assert_eq!(squatter.status, StatusCode::CREATED);
    let victim = post("203.0.113.1", "order-2", "Lee").await;
    assert_eq!(victim.status, StatusCode::CREATED, "{}", victim.body);
    assert_eq!(victim.body["customer"]["name"], "Lee");
}

#[tokio::test]
async fn a_member_of_one_shop_never_sees_another() {
    let app = TestApp::spawn().await;
    let (owner_a, key_a) = app
        .shop_with_key("shop-a", &["orders:write", "orders:read", "manage"])
        .await;
    let (_, key_b) = app
        .shop_with_key("shop-b", &["orders:write", "orders:read"])
        .await;
    let order_b = app
        .post(
            "/api/v1/shops/shop-b/orders",
            &As::Key(key_b),
            americano_order(),
        )
        .await
        .body;
    let id_b = order_b["id"].as_str().unwrap();
    let a = As::Session(app.login(&owner_a.email, "a long password").await);
    let key_a = As::Key(key_a);

    for who in [&a, &key_a] {
        for path in [
            "/api/v1/shops/shop-b/orders".to_owned(),
            format!("/api/v1/shops/shop-b/orders/{id_b}"),
            format!("/api/v1/shops/shop-b/orders/{id_b}/events"),
        ] {
            let res = app.get(&path, who).await;
            assert_eq!(
                (res.status, res.code()),
                (StatusCode::NOT_FOUND, "not_found"),
                "{path} as {who:?}"
            );
        }
        let res = app
            .post(
                &format!("/api/v1/shops/shop-b/orders/{id_b}/accept"),
                who,
                json!({"eta_minutes": 5}),
            )
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        // Shop A's own routes with shop B's order id: still not found.
        let res = app
            .get(&format!("/api/v1/shops/shop-a/orders/{id_b}"), who)
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
    }
    let res = app.get("/api/v1/shops/shop-b/members", &a).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .post(
            "/api/v1/shops/shop-b/menu/categories",
            &key_a,
            json!({"name":"Mine"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    // Staff handle orders but cannot manage the shop; keys cannot manage members or keys.
    let staff = app.user("staff@shop-a.example", "a long password").await;
    let res = app
        .post(
            "/api/v1/shops/shop-a/members",
            &a,
            json!({"email": staff.email, "role": "staff"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let staff = As::Session(app.login("staff@shop-a.example", "a long password").await);
    let res = app
        .post(
            "/api/v1/shops/shop-a/menu/categories",
            &staff,
            json!({"name":"Tea"}),
        )
        .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let res = app
        .post("/api/v1/shops/shop-a/orders", &staff, americano_order())
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(res.body["source"], "staff");
    let res = app.get("/api/v1/shops/shop-a/apikeys", &key_a).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app
        .post(
            "/api/v1/shops/shop-a/menu/categories",
            &key_a,
            json!({"name":"Tea"}),
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::CREATED,
        "a manage key edits the menu"
    );
}

#[tokio::test]
async fn sessions_cookies_csrf_and_expiry() {
    let app = TestApp::spawn().await;
    let owner = app.user("kim@example.com", "a long password").await;
    app.shop("kim", &owner).await;

    let wrong = app
        .post(
            "/api/v1/session",
            &As::Nobody,
            json!({"email":"kim@example.com","password":"nope nope nope"}),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/session",
            &As::Nobody,
            json!({"email":"who@example.com","password":"nope nope nope"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.body, unknown.body,
        "the answer does not tell whether the e-mail exists"
    );

    let res = app
        .post(
            "/api/v1/session",
            &As::Nobody,
            json!({"email":"KIM@example.com","password":"a long password"}),
        )
        .await;
    let cookie = res.headers["set-cookie"].to_str().unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain-http public URL: no Secure flag"
    );
    let token = app.login("kim@example.com", "a long password").await;
    let stored = app
        .state
        .store
        .session(&token, app.state.now())
        .await
        .unwrap();
    assert!(stored.is_none(), "the token itself is not what is stored");
    let me = app.get("/api/v1/me", &As::Session(token.clone())).await;
    assert_eq!(me.body["user"]["email"], "kim@example.com");
    assert_eq!(me.body["shops"][0]["role"], "owner");

    // A cookie write without our Origin is refused.
    let no_origin = app
        .send(
            app.http
                .post(format!("{}/api/v1/shops/kim/menu/categories", app.base))
                .header("cookie", format!("orderbell_session={token}"))
                .json(&json!({"name":"Tea"})),
        )
        .await;
    assert_eq!(
        (no_origin.status, no_origin.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let evil = app
        .send(
            app.http
                .post(format!("{}/api/v1/shops/kim/menu/categories", app.base))
                .header("cookie", format!("orderbell_session={token}"))
                .header("origin", "https://evil.example")
                .json(&json!({"name":"Tea"})),
        )
        .await;
    assert_eq!(evil.status, StatusCode::FORBIDDEN);
    let ok = app
        .post(
            "/api/v1/shops/kim/menu/categories",
            &As::Session(token.clone()),
            json!({"name":"Tea"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);

    // Sessions expire, and the clock stepping back afterwards does not revive them.
    app.clock.advance(jiff::SignedDuration::from_hours(24 * 15));
    let me = app.get("/api/v1/me", &As::Session(token.clone())).await;
    assert_eq!(
        (me.status, me.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    app.clock
        .advance(jiff::SignedDuration::from_hours(-24 * 15));
    let me = app.get("/api/v1/me", &As::Session(token.clone())).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "revived: {}", me.body);

    let fresh = app.login("kim@example.com", "a long password").await;
    let res = app
        .call(
            Method::DELETE,
            "/api/v1/session",
            &As::Session(fresh.clone()),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert!(
        res.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        app.get("/api/v1/me", &As::Session(fresh)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn password_change_ends_other_sessions() {
    let app = TestApp::spawn().await;
    app.user("lee@example.com", "a long password").await;
    let a = app.login("lee@example.com", "a long password").await;
    let b = app.login("lee@example.com", "a long password").await;
    let res = app
        .call(
            Method::PUT,
            "/api/v1/me/password",
            &As::Session(a.clone()),
            Some(json!({"current_password":"wrong password!","new_password":"another long one"})),
        )
        .await;
    assert_eq!(res.body["error"]["fields"][0]["field"], "current_password");
    let res = app
        .call(
            Method::PUT,
            "/api/v1/me/password",
            &As::Session(a.clone()),
            Some(json!({"current_password":"a long password","new_password":"another long one"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", &As::Session(a)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/me", &As::Session(b)).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.login("lee@example.com", "another long one").await;
}

#[tokio::test]
async fn revoked_keys_stop_working_at_once() {
    let app = TestApp::spawn().await;
    let owner = app.user("o@example.com", "a long password").await;
    app.shop("keys", &owner).await;
    let session = As::Session(app.login("o@example.com", "a long password").await);
    let created = app
        .post(
            "/api/v1/shops/keys/apikeys",
            &session,
            json!({"name":"Website","scopes":["orders:write"]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let key = created.body["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("obk_"));
    let list = app.get("/api/v1/shops/keys/apikeys", &session).await;
    assert!(
        !list.body.to_string().contains(&key),
        "the key is shown only once"
    );
    assert_eq!(list.body[0]["scopes"], json!(["orders:write"]));

    let k = As::Key(key);
    assert_eq!(
        app.post("/api/v1/shops/keys/orders", &k, americano_order())
            .await
            .status,
        StatusCode::CREATED
    );
    let res = app.get("/api/v1/shops/keys/orders", &k).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "no orders:read scope");
    let res = app
        .post(
            "/api/v1/shops/keys/apikeys",
            &session,
            json!({"name":"X","scopes":["everything"]}),
        )
        .await;
    assert_eq!(res.body["error"]["fields"][0]["field"], "scopes[0]");

    let id = created.body["api_key"]["id"].as_str().unwrap();
    let res = app
        .call(
            Method::DELETE,
            &format!("/api/v1/shops/keys/apikeys/{id}"),
            &session,
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = app
        .post("/api/v1/shops/keys/orders", &k, americano_order())
        .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
}

#[tokio::test]
async fn orders_page_with_cursors_and_filters() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .shop_with_key("pages", &["orders:write", "orders:read"])
        .await;
    let key = As::Key(key);
    let mut ids = vec![];
    for _ in 0..5 {
        ids.push(
            app.post("/api/v1/shops/pages/orders", &key, americano_order())
                .await
                .body["id"]
                .clone(),
        );
    }
    app.post(
        &format!(
            "/api/v1/shops/pages/orders/{}/reject",
            ids[0].as_str().unwrap()
        ),
        &key,
        json!({"reason":"closed"}),
    )
    .await;
    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/shops/pages/orders?limit=2&cursor={c}"),
            None => "/api/v1/shops/pages/orders?limit=2".to_owned(),
        };
        let page = app.get(&path, &key).await.body;
        seen.extend(
            page["orders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["number"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, [1005, 1004, 1003, 1002, 1001]);
    let rejected = app
        .get("/api/v1/shops/pages/orders?status=rejected,cancelled", &key)
        .await
        .body;
    assert_eq!(rejected["orders"].as_array().unwrap().len(), 1);
    assert_eq!(rejected["orders"][0]["reason"], "closed");
}

#[tokio::test]
async fn menus_are_edited_through_the_api() {
    let app = TestApp::spawn().await;
    let owner = app.user("menu@example.com", "a long password").await;
    app.shop("menu", &owner).await;
    let s = As::Session(app.login("menu@example.com", "a long password").await);
    let cat = app
        .post(
            "/api/v1/shops/menu/menu/categories",
            &s,
            json!({"name":"음료 Drinks"}),
        )
        .await
        .body;
    let item = app
        .post(
            "/api/v1/shops/menu/menu/items",
            &s,
            json!({"category_id": cat["id"], "name":"Lemonade", "price": 4000}),
        )
        .await;
    assert_eq!(item.status, StatusCode::CREATED, "{}", item.body);
    let item_id = item.body["id"].as_str().unwrap();
    let group = app
        .post(
            &format!("/api/v1/shops/menu/menu/items/{item_id}/option-groups"),
            &s,
            json!({"name":"Ice","min":0,"max":1}),
        )
        .await
        .body;
    let option = app
        .post(
            &format!(
                "/api/v1/shops/menu/menu/option-groups/{}/options",
                group["id"].as_str().unwrap()
            ),
            &s,
            json!({"name":"No ice"}),
        )
        .await;
    assert_eq!(option.status, StatusCode::CREATED);
    assert_eq!(option.body["price"], 0);
    let bad = app
        .post(
            "/api/v1/shops/menu/menu/items",
            &s,
            json!({"category_id": cat["id"], "name":"", "price": -1}),
        )
        .await;
    let fields: Vec<&str> = bad.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "price"]);
    let res = app
        .call(
            Method::DELETE,
            &format!(
                "/api/v1/shops/menu/menu/categories/{}",
                cat["id"].as_str().unwrap()
            ),
            &s,
            None,
        )
        .await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "conflict"));
    let menu = app.get("/api/v1/shops/menu/menu", &As::Nobody).await.body;
    assert_eq!(
        menu["categories"][0]["items"][0]["option_groups"][0]["options"][0]["name"],
        "No ice"
    );
}

#[tokio::test]
async fn signup_creates_a_signed_in_account_that_can_open_a_shop() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            "/api/v1/users",
            &As::Nobody,
            json!({"email":"new@example.com","name":"New","password":"short"}),
        )
        .await;
    assert_eq!(res.body["error"]["fields"][0]["field"], "password");
    let res = app
        .post(
            "/api/v1/users",
            &As::Nobody,
            json!({"email":"new@example.com","name":"New","password":"long enough now"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let token = res.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("orderbell_session=")
        .to_owned();
    let s = As::Session(token);
    let res = app.post("/api/v1/shops", &s, json!({"slug":"new-cafe","name":"New Cafe","currency":"USD","time_zone":"America/New_York","locale":"en"})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["role"], "owner");
    let res = app
        .post(
            "/api/v1/shops",
            &s,
            json!({"slug":"new-cafe","name":"Again"}),
        )
        .await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "conflict"));
    let res = app
        .post(
            "/api/v1/users",
            &As::Nobody,
            json!({"email":"NEW@example.com","name":"Dup","password":"long enough now"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    let shops = app.get("/api/v1/shops", &s).await.body;
    assert_eq!(shops[0]["currency"], "USD");
}

#[tokio::test]
async fn logins_are_rate_limited_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = support::sqlite_config(dir.path());
    config.limits.logins_per_minute = 3;
    let app = TestApp::spawn_with(config, Some(dir), None).await;
    let mut statuses = vec![];
    for _ in 0..4 {
        let res = app
            .post(
                "/api/v1/session",
                &As::Nobody,
                json!({"email":"x@example.com","password":"whatever it is"}),
            )
            .await;
        statuses.push(res.status.as_u16());
        if res.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(res.code(), "rate_limited");
            assert!(
                res.headers["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
                    >= 1
            );
        }
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
}

/// Wrong passwords from other addresses do not lock the owner out: the lock is per account
/// and address, and the account-wide back-off needs far more attempts than a few addresses make.
#[tokio::test]
async fn wrong_passwords_from_elsewhere_do_not_lock_the_owner_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = support::sqlite_config(dir.path());
    config.client_ip_header = Some("x-forwarded-for".into());
    config.limits.logins_per_account_everywhere = 30;
    let app = TestApp::spawn_with(config, Some(dir), None).await;
    let owner = app.user("owner@lock.example", "the owners password").await;
    let login = |from: String, password: &'static str| {
        app.send(
            app.http
                .post(format!("{}/api/v1/session", app.base))
                .header("x-forwarded-for", from)
                .json(&json!({"email": owner.email, "password": password})),
        )
    };
    // One address: ten tries, then 429.
    let mut statuses = vec![];
    for _ in 0..11 {
        statuses.push(
            login("198.51.100.1".into(), "wrong guess")
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // Ten wrong passwords from ten other addresses…
    for i in 0..10 {
        let res = login(format!("198.51.100.{}", 10 + i), "wrong guess").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    // …and the owner still signs in from a fresh one.
    let res = login("203.0.113.5".into(), "the owners password").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // Far more attempts than any one address may make reach the account-wide back-off.
    let mut limited = false;
    for i in 0..20 {
        let res = login(format!("192.0.2.{i}"), "wrong guess").await;
        limited |= res.status == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(limited, "the account-wide limit holds many addresses back");
}

#[tokio::test]
async fn guest_orders_are_rate_limited_per_client() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = support::sqlite_config(dir.path());
    config.limits.guest_orders_per_minute = 2;
    let app = TestApp::spawn_with(config, Some(dir), None).await;
    orderbell_server::demo::ensure(&app.state).await.unwrap();
    let menu = app.get("/api/v1/shops/demo/menu", &As::Nobody).await.body;
    let cake = menu["categories"][1]["items"][0]["id"].clone();
    let order = json!({"items":[{"menu_item_id": cake, "quantity": 1}]});
    let mut statuses = vec![];
    for _ in 0..3 {
        statuses.push(
            app.post("/api/v1/shops/demo/orders", &As::Nobody, order.clone())
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses, [201, 201, 429]);
}

#[tokio::test]
async fn health_and_unknown_routes() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz", &As::Nobody).await.body["status"], "ok");
    let ready = app.get("/readyz", &As::Nobody).await;
    assert_eq!(ready.body, json!({"status":"ok","database":"sqlite"}));
    let res = app.get("/api/v1/nothing-here", &As::Nobody).await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let res = app
        .call(Method::DELETE, "/api/v1/me", &As::Nobody, None)
        .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    assert_eq!(res.headers["x-content-type-options"], "nosniff");
    assert_eq!(res.headers["cache-control"], "no-store");
}

/// What validators and client generators need: one id per operation, path parameters that are
/// in the path, and the error answers every JSON route can give.
#[tokio::test]
async fn the_openapi_document_is_well_formed() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/openapi.json", &As::Nobody).await.body;
    let mut ids = std::collections::HashSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(
                ids.insert(id.to_owned()),
                "operationId {id:?} repeats ({method} {path})"
            );
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "path" {
                    let name = p["name"].as_str().unwrap();
                    assert!(
                        path.contains(&format!("{{{name}}}")),
                        "{method} {path}: {name} is not in the path"
                    );
                }
            }
            let responses = op["responses"].as_object().unwrap();
            if op
                .get("requestBody")
                .is_some_and(|b| b["content"].get("application/json").is_some())
            {
                for status in ["400", "415"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} does not say {status}"
                    );
                }
            }
        }
    }
}

/// Every string a request body can hold has a stated shape (a `pattern`, an `enum` or a
/// `format`), so a client can check it before sending; the two push endpoints are judged by the
/// server alone (a URL of a push service, or any address to forget).
#[tokio::test]
async fn every_request_string_has_a_stated_shape() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/openapi.json", &As::Nobody).await.body;
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut pending: Vec<String> = vec![];
    for ops in doc["paths"].as_object().unwrap().values() {
        for op in ops.as_object().unwrap().values() {
            if let Some(r) =
                op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            {
                pending.push(r.rsplit('/').next().unwrap().to_owned());
            }
        }
    }
    fn walk(at: &str, s: &serde_json::Value, refs: &mut Vec<String>, bare: &mut Vec<String>) {
        if let Some(r) = s["$ref"].as_str() {
            refs.push(r.rsplit('/').next().unwrap().to_owned());
        }
        let is_string = s["type"] == "string"
            || s["type"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == "string"));
        if is_string
            && ["pattern", "enum", "format"]
                .iter()
                .all(|k| s.get(*k).is_none())
        {
            bare.push(at.to_owned());
        }
        for (name, p) in s["properties"].as_object().into_iter().flatten() {
            walk(&format!("{at}.{name}"), p, refs, bare);
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            for part in s[key].as_array().into_iter().flatten() {
                walk(at, part, refs, bare);
            }
        }
        if s.get("items").is_some() {
            walk(&format!("{at}[]"), &s["items"], refs, bare);
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut bare = vec![];
    while let Some(name) = pending.pop() {
        if seen.insert(name.clone()) {
            walk(&name, &schemas[&name], &mut pending, &mut bare);
        }
    }
    bare.retain(|f| f != "WebPushBody.endpoint" && f != "EndpointBody.endpoint");
    assert!(bare.is_empty(), "request strings without a shape: {bare:?}");
}

#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/openapi.json", &As::Nobody).await.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut doc = doc;
    doc["info"]["version"] = json!("[version]");
    insta::assert_json_snapshot!("openapi", doc);
}
