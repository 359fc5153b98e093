//! The owner's day, over HTTP as a browser without JavaScript sees it: signing in lands on the
//! board of one's only shop; form errors, history lines and printer words in the page's
//! language (no sentence of the other language, `pages_support::korean_only`); the Print button
//! only where a printer is; the checkout showing every error at once; the tracking page reloading
//! itself without JavaScript; the app manifest in the page's language.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use reqwest::StatusCode;
use serde_json::json;

use crate::pages_support::{EN, KO, PASSWORD, english_only, korean_only};
use crate::support::{As, TestApp};

fn session(res: &crate::pages_support::Page) -> String {
    res.cookies()
        .into_iter()
        .find(|c| c.starts_with("orderbell_session="))
        .unwrap()
}

/// A Korean guest's cart on the demo shop with one large latte: its cookie and the checkout key.
async fn latte_in_the_cart(app: &TestApp) -> (String, String) {
    let (latte, group, large) = crate::pages::demo(app).await;
    let added = app
        .form(
            "/s/demo/cart",
            &[KO],
            &[("item", &latte), ("quantity", "1"), (&group, &large)],
        )
        .await;
    let cart = added
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("orderbell_cart_"))
        .unwrap_or_else(|| panic!("{} {}", added.status, added.body));
    let page = app.page("/s/demo", &[&cart, KO]).await;
    let key = page.input("key");
    (cart, key)
}

/// Posts the checkout and expects it refused (422) with the form shown again: its page.
async fn refused_checkout(app: &TestApp, cart: &str, fields: &[(&str, &str)]) -> String {
    let refused = app.form("/s/demo/order", &[cart, KO], fields).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    refused.body
}

#[tokio::test]
async fn signing_in_goes_to_the_only_shops_board() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner@one.example", PASSWORD).await;
    let login = |next: &'static str| {
        let app = &app;
        async move {
            app.form(
                "/login",
                &[],
                &[
                    ("email", "owner@one.example"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await
        }
    };
    // No shop yet: the shop list, where one is made.
    assert_eq!(login("/dashboard").await.location(), "/dashboard");
    app.shop("one", &owner).await;
    assert_eq!(login("/dashboard").await.location(), "/dashboard/one");
    // A page asked for is where it goes.
    assert_eq!(login("/account").await.location(), "/account");
    // Two shops: the list again.
    app.shop("two", &owner).await;
    assert_eq!(login("/dashboard").await.location(), "/dashboard");
}

#[tokio::test]
async fn form_errors_are_in_the_pages_language() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner@one.example", PASSWORD).await;
    app.shop("one", &owner).await;
    app.shop("two", &owner).await;
    let cookie = session(
        &app.form(
            "/login",
            &[],
            &[("email", "owner@one.example"), ("password", PASSWORD)],
        )
        .await,
    );
    let allowed = &["Shop one", "Shop two", "owner@one.example"];
    for (lang, slug_words, taken_words) in [
        (
            KO,
            "영문 소문자 a-z, 숫자 0-9, -로 2~40자를 쓰세요.",
            "주소 이름 one은(는) 이미 쓰이고 있습니다.",
        ),
        (
            EN,
            "Use 2 to 40 characters: lowercase a-z, 0-9 and -.",
            "The address name one is taken.",
        ),
    ] {
        let list = app.page("/dashboard", &[&cookie, lang]).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let csrf = list.input("csrf");
        let bad = app
            .form(
                "/dashboard",
                &[&cookie, lang],
                &[("csrf", &csrf), ("slug", "a"), ("name", "Cafe")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert!(bad.body.contains(slug_words), "{}", bad.body);
        let taken = app
            .form(
                "/dashboard",
                &[&cookie, lang],
                &[("csrf", &csrf), ("slug", "one"), ("name", "Cafe")],
            )
            .await;
        assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
        assert!(taken.body.contains(taken_words), "{}", taken.body);
        // The API's English sentences never reach the page.
        for page in [&bad.body, &taken.body] {
            assert!(!page.contains("slug must be"), "{page}");
            assert!(!page.contains("the slug"), "{page}");
            if lang == KO {
                korean_only(page, allowed);
            } else {
                english_only(page, allowed);
            }
        }
    }
}

#[tokio::test]
async fn history_print_button_and_printer_words() {
    let app = TestApp::spawn().await;
    let (owner, key) = app
        .shop_with_key("cafe", &["orders:write", "orders:read", "manage"])
        .await;
    let cookie = app.page_login(&owner.email, PASSWORD).await;
    let key = As::Key(key);
    let order = app
        .post(
            "/api/v1/shops/cafe/orders",
            &key,
            json!({"items": [{"name": "Americano", "quantity": 1, "unit_price": 4500}],
                   "customer": {"name": "Kim"}, "fulfillment": {"type": "pickup"}}),
        )
        .await;
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.body);
    let id = order.body["id"].as_str().unwrap().to_owned();

    // No printer: no Print button to press for nothing.
    let board = app.page("/dashboard/cafe", &[&cookie, KO]).await;
    assert!(board.body.contains("data-order"), "{}", board.body);
    assert!(!board.body.contains("data-print"), "{}", board.body);

    let accepted = app
        .post(
            &format!("/api/v1/shops/cafe/orders/{id}/accept"),
            &key,
            json!({"eta_minutes": 12}),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    let history = app
        .page(&format!("/dashboard/cafe/orders/{id}"), &[&cookie, KO])
        .await;
    assert!(history.body.contains("12분 후 준비"), "{}", history.body);
    assert!(!history.body.contains("eta 12 min"), "{}", history.body);
    korean_only(&history.body, &["Americano", "Kim", "Test User"]);
    let history = app
        .page(&format!("/dashboard/cafe/orders/{id}"), &[&cookie, EN])
        .await;
    assert!(history.body.contains("ready in 12 min"), "{}", history.body);

    // A printer (never connected): the button, with what it says after a press, and the
    // printer's state in words.
    let printer = app
        .post(
            "/api/v1/shops/cafe/printers",
            &key,
            json!({"name": "Counter"}),
        )
        .await;
    assert_eq!(printer.status, StatusCode::CREATED, "{}", printer.body);
    let board = app.page("/dashboard/cafe", &[&cookie, KO]).await;
    assert!(board.body.contains("data-print="), "{}", board.body);
    assert!(
        board.body.contains("data-sent=\"프린터로 보냈습니다.\""),
        "{}",
        board.body
    );
    assert!(board.body.contains("Counter: 오프라인"), "{}", board.body);
    korean_only(&board.body, &["Americano", "Kim", "Counter"]);
}

#[tokio::test]
async fn checkout_shows_every_error_at_once() {
    let app = TestApp::spawn().await;
    let (cart, key) = latte_in_the_cart(&app).await;
    // No name (the page's own rule) and a phone that is not one (the intake's rule): both.
    let refused = refused_checkout(
        &app,
        &cart,
        &[
            ("key", &key),
            ("name", ""),
            ("phone", "12"),
            ("fulfillment", "pickup"),
        ],
    )
    .await;
    assert!(refused.contains("필수 항목입니다."), "{}", refused);
    assert!(refused.contains("전화번호를 입력하세요"), "{}", refused);
}

#[tokio::test]
async fn tracking_reloads_itself_without_javascript_until_the_order_is_done() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .shop_with_key("cafe", &["orders:write", "orders:read"])
        .await;
    let key = As::Key(key);
    let order = app
        .post(
            "/api/v1/shops/cafe/orders",
            &key,
            json!({"items": [{"name": "Americano", "quantity": 1, "unit_price": 4500}],
                   "customer": {"name": "Kim"}, "fulfillment": {"type": "pickup"}}),
        )
        .await;
    let url = order.body["tracking_url"].as_str().unwrap();
    let path = url[url.find("/o/").unwrap()..].to_owned();
    let refresh = "<noscript><meta http-equiv=\"refresh\" content=\"20\"></noscript>";
    let page = app.page(&path, &[]).await;
    assert!(page.body.contains(refresh), "{}", page.body);
    let id = order.body["id"].as_str().unwrap();
    let rejected = app
        .post(
            &format!("/api/v1/shops/cafe/orders/{id}/reject"),
            &key,
            json!({}),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.body);
    let page = app.page(&path, &[]).await;
    assert!(
        !page.body.contains("http-equiv=\"refresh\""),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn the_manifest_speaks_the_pages_language() {
    let app = TestApp::spawn().await;
    let login = app.page("/login", &[KO]).await;
    assert!(
        login
            .body
            .contains("<link rel=\"manifest\" href=\"/manifest.webmanifest?lang=ko\">"),
        "{}",
        login.body
    );
    // Fetched without cookies and with an English browser, as an install does.
    let res = reqwest::Client::new()
        .get(format!("{}/manifest.webmanifest?lang=ko", app.origin()))
        .header("accept-language", "en-US")
        .send()
        .await
        .unwrap();
    let manifest: serde_json::Value = res.json().await.unwrap();
    assert_eq!(manifest["lang"], "ko");
    assert_eq!(manifest["description"], "작은 가게를 위한 주문 접수·알림");
}

#[tokio::test]
async fn a_new_shop_from_the_form_and_its_checklist() {
    let app = TestApp::spawn().await;
    app.user("owner@new.example", PASSWORD).await;
    let cookie = session(
        &app.form(
            "/login",
            &[],
            &[("email", "owner@new.example"), ("password", PASSWORD)],
        )
        .await,
    );
    let list = app.page("/dashboard", &[&cookie, KO]).await;
    let csrf = list.input("csrf");
    // A Korean name, no slug, a Seoul number as people write it.
    let made = app
        .form(
            "/dashboard",
            &[&cookie, KO],
            &[
                ("csrf", &csrf),
                ("name", "김밥천국"),
                ("slug", ""),
                ("locale", "ko"),
                ("phone", "02-123-4567"),
                ("currency", "KRW"),
                ("time_zone", "Asia/Seoul"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let slug = made
        .location()
        .strip_prefix("/dashboard/")
        .unwrap()
        .to_owned();
    assert_eq!(slug, "gimbapcheonguk", "the Korean name, romanised");
    let shop = app.state.store.shop_by_slug(&slug).await.unwrap().unwrap();
    assert_eq!(shop.phone.as_deref(), Some("+8221234567"));
    assert_eq!(shop.locale, "ko");
    // An English name gives its words.
    let made = app
        .form(
            "/dashboard",
            &[&cookie, EN],
            &[
                ("csrf", &csrf),
                ("name", "Cafe Seoul"),
                ("slug", ""),
                ("locale", "en"),
            ],
        )
        .await;
    assert_eq!(made.location(), "/dashboard/cafe-seoul", "{}", made.body);
    // A name in a script with no romanisation here: shop- and four digits.
    let made = app
        .form(
            "/dashboard",
            &[&cookie, EN],
            &[
                ("csrf", &csrf),
                ("name", "東京"),
                ("slug", ""),
                ("locale", "en"),
            ],
        )
        .await;
    assert!(
        made.location().starts_with("/dashboard/shop-"),
        "{}",
        made.location()
    );

    // The new shop's board: every step still to do, in Korean; its guest page says the menu is
    // not ready instead of showing an empty cart; the phone shows as written locally.
    let board = app
        .page(&format!("/dashboard/{slug}"), &[&cookie, KO])
        .await;
    assert!(board.body.contains("id=\"checklist\""), "{}", board.body);
    assert_eq!(board.body.matches("<li class=\"todo\">").count(), 4);
    korean_only(&board.body, &["owner@new.example"]);
    let guest = app.page(&format!("/s/{slug}"), &[KO]).await;
    assert!(guest.body.contains("id=\"menu-empty\""), "{}", guest.body);
    assert!(
        guest.body.contains("<a href=\"tel:+8221234567\">"),
        "{}",
        guest.body
    );
    assert!(guest.body.contains("02-123-4567"), "{}", guest.body);

    // The demo shop has a menu and orders: those steps are done.
    crate::pages::demo(&app).await;
    let demo = app.state.store.shop_by_slug("demo").await.unwrap().unwrap();
    let owner = app
        .state
        .store
        .user_by_email("owner@new.example")
        .await
        .unwrap()
        .unwrap();
    app.state
        .store
        .set_member(
            &demo.id,
            &owner.id,
            orderbell_core::user::Role::Owner,
            app.state.now(),
        )
        .await
        .unwrap();
    let board = app.page("/dashboard/demo", &[&cookie, EN]).await;
    assert!(
        board
            .body
            .contains("<li class=\"done\"><a href=\"/dashboard/demo/menu\">"),
        "{}",
        board.body
    );
    // Deleting from the menu asks first (a second press), without a script or a dialog.
    let menu = app.page("/dashboard/demo/menu", &[&cookie, KO]).await;
    assert!(
        menu.body.contains("<details class=\"confirm-delete\">"),
        "{}",
        menu.body
    );
    assert!(
        menu.body.contains("을(를) 삭제할까요? 되돌릴 수 없습니다."),
        "{}",
        menu.body
    );
}

#[tokio::test]
async fn printable_qr_codes_open_the_order_page_at_the_table() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.shop_with_key("cafe", &["orders:read"]).await;
    let cookie = app.page_login(&owner.email, PASSWORD).await;
    let page = app
        .page("/dashboard/cafe/qr?tables=3", &[&cookie, KO])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.body.matches("<svg class=\"qr\"").count(), 4);
    assert!(page.body.contains("/s/cafe?table=3"), "{}", page.body);
    assert!(page.body.contains("3번 테이블"), "{}", page.body);
    korean_only(&page.body, &["Test User"]);
    let too_many = app.page("/dashboard/cafe/qr?tables=5000", &[&cookie]).await;
    assert_eq!(too_many.body.matches("<svg class=\"qr\"").count(), 61);

    // A table's code: dine-in at that table, already chosen.
    crate::pages::demo(&app).await;
    let guest = app.page("/s/demo?table=7", &[]).await;
    assert!(
        guest
            .body
            .contains("<input type=\"radio\" name=\"fulfillment\" value=\"dine_in\" checked>"),
        "{}",
        guest.body
    );
    assert!(
        guest
            .body
            .contains("name=\"table\" maxlength=\"20\" value=\"7\""),
        "{}",
        guest.body
    );
}

#[tokio::test]
async fn channels_the_server_lacks_say_what_the_operator_sets() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.shop_with_key("cafe", &["orders:read"]).await;
    let cookie = app.page_login(&owner.email, PASSWORD).await;
    let page = app.page("/dashboard/cafe/channels", &[&cookie, EN]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"telegram-off\""), "{}", page.body);
    assert!(
        page.body.contains("ORDERBELL_TELEGRAM_BOT_TOKEN"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("ORDERBELL_TWILIO_WHATSAPP_FROM"),
        "{}",
        page.body
    );
    let page = app.page("/dashboard/cafe/channels", &[&cookie, KO]).await;
    assert!(
        page.body.contains("텔레그램이 꺼져 있습니다"),
        "{}",
        page.body
    );
}

/// Every page a member or a guest sees, in Korean and in English, with an order on the board
/// and in the history: no sentence of the other language anywhere a person would see it.
#[tokio::test]
async fn every_page_speaks_one_language() {
    let app = TestApp::spawn().await;
    let (owner, key) = app
        .shop_with_key("cafe", &["orders:write", "orders:read", "manage"])
        .await;
    let cookie = app.page_login(&owner.email, PASSWORD).await;
    let key = As::Key(key);
    let order = app
        .post(
            "/api/v1/shops/cafe/orders",
            &key,
            json!({"items": [{"name": "Americano", "quantity": 1, "unit_price": 4500}],
                   "customer": {"name": "Kim", "phone": "+821012345678"},
                   "fulfillment": {"type": "dine_in", "table": "4"}}),
        )
        .await;
    let id = order.body["id"].as_str().unwrap().to_owned();
    let url = order.body["tracking_url"].as_str().unwrap();
    let tracking = url[url.find("/o/").unwrap()..].to_owned();
    app.post(
        &format!("/api/v1/shops/cafe/orders/{id}/accept"),
        &key,
        json!({"eta_minutes": 10}),
    )
    .await;
    app.post(
        "/api/v1/shops/cafe/printers",
        &key,
        json!({"name": "Counter"}),
    )
    .await;
    let data = &["Americano", "Kim", "Counter", "owner@cafe.example", "till"];
    let pages = [
        "/".to_owned(),
        "/login".to_owned(),
        "/signup".to_owned(),
        "/account".to_owned(),
        "/dashboard".to_owned(),
        "/dashboard/cafe".to_owned(),
        format!("/dashboard/cafe/orders/{id}"),
        "/dashboard/cafe/menu".to_owned(),
        "/dashboard/cafe/settings".to_owned(),
        "/dashboard/cafe/members".to_owned(),
        "/dashboard/cafe/apikeys".to_owned(),
        "/dashboard/cafe/printers".to_owned(),
        "/dashboard/cafe/channels".to_owned(),
        "/dashboard/cafe/qr?tables=2".to_owned(),
        "/s/cafe".to_owned(),
        tracking,
        "/offline".to_owned(),
        "/no/such/page".to_owned(),
    ];
    for path in &pages {
        for (lang, check) in [
            (KO, korean_only as fn(&str, &[&str])),
            (EN, english_only as fn(&str, &[&str])),
        ] {
            // Sign-in pages are seen signed out.
            let signed_out = matches!(path.as_str(), "/login" | "/signup");
            let cookies: &[&str] = if signed_out {
                &[lang]
            } else {
                &[&cookie, lang]
            };
            let page = app.page(path, cookies).await;
            assert!(
                page.status == StatusCode::OK || page.status == StatusCode::NOT_FOUND,
                "{path}: {}",
                page.status
            );
            let checked = std::panic::catch_unwind(|| check(&page.body, data));
            assert!(checked.is_ok(), "{path} in {lang}");
        }
    } // An unknown address under /api/ stays the API's JSON error, even for a browser.
    let api = app.page("/api/v1/nothing-here", &[KO]).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.body.contains("\"code\":\"not_found\""), "{}", api.body);
}

#[tokio::test]
async fn owners_choose_which_events_reach_the_members() {
    use orderbell_store::notifications::{Channel, NotifyEvent};
    let app = TestApp::spawn().await;
    let (owner, _) = app.shop_with_key("cafe", &["orders:read"]).await;
    let cookie = app.page_login(&owner.email, PASSWORD).await;
    let page = app.page("/dashboard/cafe/channels", &[&cookie, KO]).await;
    assert!(page.body.contains("id=\"notify\""), "{}", page.body);
    // The defaults: new orders on every channel.
    assert!(
        page.body.contains(
            "name=\"ev_new_order\" value=\"telegram\" aria-label=\"새 주문: 텔레그램\" checked"
        ),
        "{}",
        page.body
    );
    let csrf = page.input("csrf");
    let saved = app
        .form(
            "/dashboard/cafe/channels",
            &[&cookie],
            &[
                ("csrf", &csrf),
                ("op", "notify"),
                ("ev_new_order", "telegram"),
                ("ev_new_order", "webpush"),
                ("ev_ready", "fcm"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), "/dashboard/cafe/channels?saved=1#notify");
    let shop = app.state.store.shop_by_slug("cafe").await.unwrap().unwrap();
    let settings = app.state.store.member_settings(&shop.id).await.unwrap();
    assert_eq!(
        settings.channels(NotifyEvent::NewOrder),
        [Channel::Telegram, Channel::Webpush]
    );
    assert_eq!(settings.channels(NotifyEvent::Ready), [Channel::Fcm]);
    assert!(settings.channels(NotifyEvent::Missed).is_empty());
    let page = app
        .page("/dashboard/cafe/channels?saved=1", &[&cookie, EN])
        .await;
    assert!(
        page.body.contains("Notification settings saved."),
        "{}",
        page.body
    );

    // A forged channel saves nothing.
    let forged = app
        .form(
            "/dashboard/cafe/channels",
            &[&cookie],
            &[
                ("csrf", &csrf),
                ("op", "notify"),
                ("ev_new_order", "pigeon"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    let again = app.state.store.member_settings(&shop.id).await.unwrap();
    assert_eq!(again, settings);

    // Staff see the settings but may not change them.
    let staff_cookie = app
        .member_cookie(
            "cafe",
            "staff@cafe.example",
            orderbell_core::user::Role::Staff,
        )
        .await;
    let page = app.page("/dashboard/cafe/channels", &[&staff_cookie]).await;
    assert!(page.body.contains("disabled"), "{}", page.body);
    let csrf = page.input("csrf");
    let refused = app
        .form(
            "/dashboard/cafe/channels",
            &[&staff_cookie],
            &[("csrf", &csrf), ("op", "notify")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.state.store.member_settings(&shop.id).await.unwrap(),
        settings
    );
}

#[tokio::test]
async fn owners_choose_how_guests_order_and_guests_see_it() {
    let app = TestApp::spawn().await;
    crate::pages::demo(&app).await;
    let cookie = app
        .member_cookie(
            "demo",
            "owner@two.example",
            orderbell_core::user::Role::Owner,
        )
        .await;
    let settings = app.page("/dashboard/demo/settings", &[&cookie, KO]).await;
    let csrf = settings.input("csrf");
    let save = |min: &'static str, pickup: bool, delivery: bool| {
        let (app, cookie, csrf) = (&app, cookie.clone(), csrf.clone());
        async move {
            let mut fields = vec![
                ("csrf", csrf.as_str()),
                ("op", "profile"),
                ("name", "Orderbell Demo Cafe"),
                ("time_zone", "Asia/Seoul"),
                ("locale", "ko"),
                ("phone", "02-123-4567"),
                ("guest_ordering", "1"),
                ("dine_in", "on"),
                ("min_order", min),
                ("delivery_fee", "3,000원"),
                ("delivery_note", "역에서 2km 이내"),
                ("receipt_header", "서울시 중구 1\n사업자 123-45-67890"),
                ("receipt_footer", ""),
            ];
            if pickup {
                fields.push(("pickup", "on"));
            }
            if delivery {
                fields.push(("delivery", "on"));
            }
            app.form("/dashboard/demo/settings", &[&cookie, KO], &fields)
                .await
        }
    };
    // A minimum that is not a price: said in Korean, nothing saved.
    let bad = save("만원", true, false).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(
        bad.body.contains("4,500이나 4500 같은 가격을 입력하세요."),
        "{}",
        bad.body
    );
    let ok = save("10,000원", false, false).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let stored = app.state.store.shop_by_slug("demo").await.unwrap().unwrap();
    assert_eq!(
        stored.guest_ordering,
        orderbell_core::shop::OrderingOptions {
            pickup: false,
            dine_in: true,
            delivery: false,
            min_order: 10_000,
            delivery_fee: 3_000,
            delivery_note: Some("역에서 2km 이내".into()),
        }
    );
    assert_eq!(stored.phone.as_deref(), Some("+8221234567"));
    assert_eq!(
        stored.receipt,
        orderbell_core::shop::ReceiptText {
            header: Some("서울시 중구 1\n사업자 123-45-67890".into()),
            footer: None,
        }
    );
    let settings = app.page("/dashboard/demo/settings", &[&cookie, KO]).await;
    assert!(
        settings.body.contains("value=\"02-123-4567\""),
        "{}",
        settings.body
    );
    assert!(
        settings
            .body
            .contains("name=\"min_order\" inputmode=\"decimal\" maxlength=\"20\" value=\"10000\""),
        "{}",
        settings.body
    );

    // The guest page offers dine-in only and says the minimum; a small order is refused in
    // the guest's language.
    let shop = app.page("/s/demo", &[KO]).await;
    assert!(
        shop.body.contains("최소 주문 금액 ₩10,000"),
        "{}",
        shop.body
    );
    assert!(!shop.body.contains("value=\"pickup\""), "{}", shop.body);
    assert!(!shop.body.contains("value=\"delivery\""), "{}", shop.body);
    assert!(
        shop.body.contains("value=\"dine_in\" checked"),
        "{}",
        shop.body
    );
    let (cart, key) = latte_in_the_cart(&app).await;
    let refused = refused_checkout(
        &app,
        &cart,
        &[
            ("key", &key),
            ("name", "Kim"),
            ("fulfillment", "dine_in"),
            ("table", "3"),
        ],
    )
    .await;
    assert!(
        refused.contains("주문 금액이 가게의 최소 주문 금액보다 적습니다."),
        "{}",
        refused
    );

    // With delivery on, guests see its fee and area, and a delivery total with the fee in it.
    assert!(!shop.body.contains("배달비"), "{}", shop.body);
    let ok = save("10,000원", false, true).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let guest = app.page("/s/demo", &[KO]).await;
    assert!(
        guest.body.contains("배달비 ₩3,000이 합계에 더해집니다."),
        "{}",
        guest.body
    );
    assert!(guest.body.contains("역에서 2km 이내"));
    assert!(guest.body.contains(r#"data-total="delivery""#));
}

#[tokio::test]
async fn owners_hide_an_item_from_guests_and_show_it_again() {
    let app = TestApp::spawn().await;
    let (latte, _, _) = crate::pages::demo(&app).await;
    let cookie = app
        .member_cookie(
            "demo",
            "owner@three.example",
            orderbell_core::user::Role::Owner,
        )
        .await;
    let editor = app.page("/dashboard/demo/menu", &[&cookie, KO]).await;
    let csrf = editor.input("csrf");
    let hide = |hidden: &'static str| {
        let (app, cookie, csrf, latte) = (&app, cookie.clone(), csrf.clone(), latte.clone());
        async move {
            app.form(
                "/dashboard/demo/menu",
                &[&cookie],
                &[
                    ("csrf", csrf.as_str()),
                    ("op", "hide_item"),
                    ("id", latte.as_str()),
                    ("hidden", hidden),
                ],
            )
            .await
        }
    };
    assert_eq!(hide("true").await.status, StatusCode::SEE_OTHER);
    let editor = app.page("/dashboard/demo/menu", &[&cookie, KO]).await;
    assert!(editor.body.contains("손님에게 숨김"), "{}", editor.body);
    // Off the guest page and the public menu; a guest order by its id is refused.
    let guest = app.page("/s/demo", &[]).await;
    assert!(!guest.body.contains(&latte), "{}", guest.body);
    let public = app.get("/api/v1/shops/demo/menu", &As::Nobody).await;
    assert!(!public.body.to_string().contains(&latte), "{}", public.body);
    let order = app
        .post(
            "/api/v1/shops/demo/orders",
            &As::Nobody,
            json!({"items": [{"menu_item_id": latte, "quantity": 1}]}),
        )
        .await;
    assert_eq!(order.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(order.body["error"]["fields"][0]["code"], "unknown");
    // Members still see it, marked.
    let session = cookie
        .strip_prefix("orderbell_session=")
        .unwrap()
        .to_owned();
    let members = app
        .get("/api/v1/shops/demo/menu", &As::Session(session))
        .await;
    assert!(members.body.to_string().contains(&latte));
    assert!(members.body.to_string().contains("\"hidden\":true"));
    // Shown again.
    assert_eq!(hide("false").await.status, StatusCode::SEE_OTHER);
    let guest = app.page("/s/demo", &[]).await;
    assert!(guest.body.contains(&latte), "{}", guest.body);
}

#[tokio::test]
async fn owners_reorder_the_menu_with_up_and_down_buttons() {
    let app = TestApp::spawn().await;
    let (latte, _, _) = crate::pages::demo(&app).await;
    let shop = app.state.store.shop_by_slug("demo").await.unwrap().unwrap();
    let order = || async {
        let menu = app.state.store.menu(&shop.id).await.unwrap();
        menu.categories
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.items.iter().map(|i| i.id.to_string()).collect(),
                )
            })
            .collect::<Vec<(String, Vec<String>)>>()
    };
    let before = order().await;
    let (home, items) = before
        .iter()
        .find(|(_, items)| items.contains(&latte))
        .unwrap();
    assert!(items.len() > 1, "the demo's latte has neighbours");
    let at = items.iter().position(|i| *i == latte).unwrap();
    let dir = if at == 0 { "down" } else { "up" };
    let cookie = app
        .member_cookie(
            "demo",
            "owner@four.example",
            orderbell_core::user::Role::Owner,
        )
        .await;
    let editor = app.page("/dashboard/demo/menu", &[&cookie, KO]).await;
    // Buttons say what they move, in the page's language; the ends have none past them.
    assert!(editor.body.contains("위로 옮기기"), "{}", editor.body);
    let csrf = editor.input("csrf");
    let step = |kind: &'static str, id: String, dir: &'static str, cookie: String, csrf: String| {
        let app = &app;
        async move {
            app.form(
                "/dashboard/demo/menu",
                &[&cookie],
                &[
                    ("csrf", csrf.as_str()),
                    ("op", "move"),
                    ("kind", kind),
                    ("id", id.as_str()),
                    ("dir", dir),
                    ("anchor", "x"),
                ],
            )
            .await
        }
    };
    let moved = step("item", latte.clone(), dir, cookie.clone(), csrf.clone()).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    let after = order().await;
    let (_, now) = after.iter().find(|(name, _)| name == home).unwrap();
    let mut expected = items.clone();
    expected.swap(at, if at == 0 { 1 } else { at - 1 });
    assert_eq!(*now, expected);
    // The guest page follows the new order.
    let guest = app.page("/s/demo", &[]).await;
    let seen: Vec<usize> = expected
        .iter()
        .map(|id| guest.body.find(&format!("item-{id}")).unwrap())
        .collect();
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    // Categories move too; past the end nothing changes and nothing breaks.
    let first = after[0].0.clone();
    let category = app.state.store.menu(&shop.id).await.unwrap().categories[0]
        .id
        .to_string();
    let res = step(
        "category",
        category.clone(),
        "up",
        cookie.clone(),
        csrf.clone(),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(order().await[0].0, first);
    let res = step("category", category, "down", cookie.clone(), csrf.clone()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(order().await[1].0, first);
    // Staff may not reorder; a made-up id is not found.
    let staff = app
        .member_cookie(
            "demo",
            "staff@four.example",
            orderbell_core::user::Role::Staff,
        )
        .await;
    let staff_page = app.page("/dashboard/demo/menu", &[&staff]).await;
    assert!(!staff_page.body.contains("name=\"dir\""));
    let res = step("item", latte.clone(), "up", staff, staff_page.input("csrf")).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let res = step("item", "itm_nothing".into(), "up", cookie, csrf).await;
    assert_ne!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
}
