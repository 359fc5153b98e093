//! Pages over HTTP, as a browser without JavaScript uses them: forms, redirects, escaping,
//! CSRF, security headers, languages.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use crate::pages_support;
use crate::support::TestApp;
use orderbell_core::menu::{CategoryInput, ItemInput};
use orderbell_core::shop::NewShopRequest;
use orderbell_core::{CategoryId, MenuItemId, ShopId};
use reqwest::StatusCode;

const EVIL: &str = "<script>alert(1)</script> \"double\" 'single'";

pub(crate) async fn demo(app: &TestApp) -> (String, String, String) {
    let login = orderbell_server::demo::ensure(&app.state).await.unwrap();
    let shop = app.state.store.shop_by_slug("demo").await.unwrap().unwrap();
    let menu = app.state.store.menu(&shop.id).await.unwrap();
    let latte = menu
        .categories
        .iter()
        .flat_map(|c| &c.items)
        .find(|i| i.name.contains("Latte"))
        .unwrap();
    let group = &latte.option_groups[0];
    let large = group
        .options
        .iter()
        .find(|o| o.name.contains("Large"))
        .unwrap();
    let _ = login;
    (
        latte.id.to_string(),
        format!("opt_{}", group.id),
        large.id.to_string(),
    )
}

fn cart_cookie(res: &pages_support::Page) -> String {
    res.cookies()
        .into_iter()
        .find(|c| c.starts_with("orderbell_cart_"))
        .unwrap()
}

#[tokio::test]
async fn a_guest_orders_with_plain_forms() {
    let app = TestApp::spawn().await;
    let (latte, group, large) = demo(&app).await;
    let page = app.page("/s/demo", &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Caffè Latte"));
    assert!(
        page.body.contains("₩5,000"),
        "prices in the shop's currency"
    );

    let added = app
        .form(
            "/s/demo/cart",
            &[],
            &[("item", &latte), ("quantity", "2"), (&group, &large)],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert!(added.location().starts_with("/s/demo?added=1"));
    let cart = cart_cookie(&added);
    let page = app.page("/s/demo", &[&cart]).await;
    assert!(page.body.contains("data-count=\"2\""), "{}", page.body);
    assert!(page.body.contains("₩11,400"), "2 × (5,000 + 700)");

    let key = page.input("key");
    let placed = app
        .form(
            "/s/demo/order",
            &[&cart],
            &[
                ("key", &key),
                ("name", "Kim"),
                ("phone", "010-1234-5678"),
                ("fulfillment", "dine_in"),
                ("table", "7"),
                // A textarea's line break, as browsers send it.
                ("note", "less ice\r\nno straw"),
            ],
        )
        .await;
    assert_eq!(placed.status, StatusCode::SEE_OTHER, "{}", placed.body);
    let tracking = placed.location().to_owned();
    assert!(tracking.starts_with("/o/"));
    assert!(
        placed.cookies().iter().any(|c| c == "orderbell_cart_demo="),
        "the cart is emptied"
    );
    // The same form sent twice makes one order.
    let again = app
        .form(
            "/s/demo/order",
            &[&cart],
            &[
                ("key", &key),
                ("name", "Kim"),
                ("phone", "010-1234-5678"),
                ("fulfillment", "dine_in"),
                ("table", "7"),
                ("note", "less ice\r\nno straw"),
            ],
        )
        .await;
    assert_eq!(again.location(), tracking);

    let page = app.page(&tracking, &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("#1001"));
    assert!(page.body.contains("data-status=\"pending\""));
    assert!(page.body.contains("tel:+82212345678"), "the shop's phone");
    let shop = app.state.store.shop_by_slug("demo").await.unwrap().unwrap();
    let orders = app
        .state
        .store
        .orders(
            &shop.id,
            orderbell_store::OrderFilter {
                statuses: vec![],
                since: None,
                before_number: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(orders.orders.len(), 1);
    assert_eq!(orders.orders[0].note.as_deref(), Some("less ice\nno straw"));
    let order = &orders.orders[0];
    assert_eq!(order.customer.phone.as_deref(), Some("+821012345678"));
    assert_eq!(order.total, 11_400);
    assert_eq!(order.source, orderbell_core::order::OrderSource::Guest);
}

#[tokio::test]
async fn option_limits_and_closed_shops_are_enforced_by_the_server() {
    let app = TestApp::spawn().await;
    let (latte, _, _) = demo(&app).await;
    let res = app
        .form(
            "/s/demo/cart",
            &["orderbell_lang=en"],
            &[("item", &latte), ("quantity", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Choose more options."), "{}", res.body);

    let shop = app.state.store.shop_by_slug("demo").await.unwrap().unwrap();
    let patch = orderbell_core::shop::ShopPatchRequest {
        accepting_orders: Some(false),
        ..Default::default()
    };
    app.state
        .store
        .update_shop(&shop.id, patch.validate().unwrap(), app.state.now())
        .await
        .unwrap();
    let page = app.page("/s/demo", &["orderbell_lang=en"]).await;
    assert!(page.body.contains("not taking online orders"));
    assert!(!page.body.contains("id=\"checkout\""));
}

#[tokio::test]
async fn every_text_is_escaped() {
    let app = TestApp::spawn().await;
    let owner = app.user("evil@example.com", "a long password").await;
    let new = NewShopRequest {
        slug: "evil".into(),
        name: EVIL.into(),
        currency: None,
        time_zone: None,
        locale: Some("en".into()),
        phone: None,
    }
    .validate()
    .unwrap();
    let shop = app
        .state
        .store
        .create_shop(
            app.state.new_id(ShopId::from_parts),
            new,
            &owner.id,
            app.state.now(),
        )
        .await
        .unwrap();
    let category = app
        .state
        .store
        .create_category(
            &shop.id,
            app.state.new_id(CategoryId::from_parts),
            CategoryInput {
                name: Some(EVIL.into()),
                position: None,
            }
            .validate(true)
            .unwrap(),
            app.state.now(),
        )
        .await
        .unwrap();
    let item = app
        .state
        .store
        .create_item(
            &shop.id,
            app.state.new_id(MenuItemId::from_parts),
            ItemInput {
                category_id: Some(category.id.to_string()),
                name: Some(EVIL.into()),
                description: Some(EVIL.into()),
                price: Some(1000),
                sold_out: None,
                hidden: None,
                position: None,
            }
            .validate(true)
            .unwrap(),
            app.state.now(),
        )
        .await
        .unwrap();
    let check = |body: &str| {
        assert!(!body.contains("<script>alert"), "unescaped: {body}");
        assert!(!body.contains("\"double\""), "unescaped quotes");
        assert!(!body.contains("'single'"), "unescaped quotes");
        assert!(body.contains(
            "&#60;script&#62;alert(1)&#60;/script&#62; &#34;double&#34; &#39;single&#39;"
        ));
    };
    let page = app.page("/s/evil", &[]).await;
    check(&page.body);

    let added = app
        .form(
            "/s/evil/cart",
            &[],
            &[("item", item.id.as_str()), ("quantity", "1")],
        )
        .await;
    let cart = cart_cookie(&added);
    let page = app.page("/s/evil", &[&cart]).await;
    let placed = app
        .form(
            "/s/evil/order",
            &[&cart],
            &[
                ("key", &page.input("key")),
                ("name", EVIL),
                ("note", EVIL),
                ("table", EVIL),
                ("fulfillment", "dine_in"),
            ],
        )
        .await;
    assert_eq!(
        placed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the table is too long"
    );
    check(&placed.body);
    let placed = app
        .form(
            "/s/evil/order",
            &[&cart],
            &[
                ("key", &page.input("key")),
                ("name", EVIL),
                ("note", EVIL),
                ("fulfillment", "pickup"),
            ],
        )
        .await;
    assert_eq!(placed.status, StatusCode::SEE_OTHER, "{}", placed.body);
    check(&app.page(placed.location(), &[]).await.body);

    let session = app.page_login("evil@example.com", "a long password").await;
    for path in [
        "/dashboard/evil",
        "/dashboard/evil/board",
        "/dashboard/evil/menu",
        "/dashboard/evil/settings",
        "/dashboard",
    ] {
        let page = app.page(path, &[&session]).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        check(&page.body);
    }
}

#[tokio::test]
async fn forms_need_our_origin_and_members_need_their_token() {
    let app = TestApp::spawn().await;
    let (latte, group, large) = demo(&app).await;
    let fields = [
        ("item", latte.as_str()),
        ("quantity", "1"),
        (group.as_str(), large.as_str()),
    ];
    let none = app.form_from("/s/demo/cart", &[], &fields, None).await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    assert!(none.body.contains("came from another site"));
    let foreign = app
        .form_from("/s/demo/cart", &[], &fields, Some("https://evil.example"))
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    let login = app
        .form_from(
            "/login",
            &[],
            &[("email", "a@b.example"), ("password", "x")],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(login.status, StatusCode::FORBIDDEN);

    let password = app
        .state
        .store
        .setting("demo_password")
        .await
        .unwrap()
        .unwrap();
    let session = app
        .page_login(orderbell_server::demo::DEMO_EMAIL, &password)
        .await;
    let settings = app.page("/dashboard/demo/settings", &[&session]).await;
    let token = settings.input("csrf");
    let pause = [("op", "accepting"), ("accepting", "off")];
    let missing = app
        .form("/dashboard/demo/settings", &[&session], &pause)
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = app
        .form(
            "/dashboard/demo/settings",
            &[&session],
            &[("csrf", "0000"), ("op", "accepting"), ("accepting", "off")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let cross = app
        .form_from(
            "/dashboard/demo/settings",
            &[&session],
            &[("csrf", &token), ("op", "accepting"), ("accepting", "off")],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let ok = app
        .form(
            "/dashboard/demo/settings",
            &[&session],
            &[("csrf", &token), ("op", "accepting"), ("accepting", "off")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let shop = app.state.store.shop_by_slug("demo").await.unwrap().unwrap();
    assert!(!shop.accepting_orders);
}

#[tokio::test]
async fn accounts_sign_in_without_telling_who_exists() {
    let app = TestApp::spawn().await;
    app.user("kim@example.com", "a long password").await;
    let wrong = app
        .form(
            "/login",
            &[],
            &[
                ("email", "kim@example.com"),
                ("password", "not the password"),
            ],
        )
        .await;
    let unknown = app
        .form(
            "/login",
            &[],
            &[
                ("email", "nobody@example.com"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let message = |b: &str| {
        b.split("id=\"login-error\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(message(&wrong.body), message(&unknown.body));

    let session = app.page_login("kim@example.com", "a long password").await;
    let cookie = app
        .form(
            "/login",
            &[],
            &[
                ("email", "kim@example.com"),
                ("password", "a long password"),
            ],
        )
        .await
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    // Not a member: the shop's dashboard does not exist for you.
    let other = app.user("owner@x.example", "a long password").await;
    app.shop("other", &other).await;
    assert_eq!(
        app.page("/dashboard/other", &[&session]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.page("/dashboard/other/live", &[&session]).await.status,
        StatusCode::NOT_FOUND
    );
    // Not signed in: to the login page and back.
    let res = app.page("/dashboard/other", &[]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/login?next=/dashboard/other");

    // Sign-up signs in; change password keeps this session.
    let signup = app
        .form(
            "/signup",
            &[],
            &[
                ("email", "new@example.com"),
                ("name", "New"),
                ("password", "another long one"),
            ],
        )
        .await;
    assert_eq!(signup.status, StatusCode::SEE_OTHER, "{}", signup.body);
    let mine = signup
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("orderbell_session="))
        .unwrap();
    let account = app.page("/account", &[&mine]).await;
    let token = account.input("csrf");
    let changed = app
        .form(
            "/account/password",
            &[&mine],
            &[
                ("csrf", &token),
                ("current_password", "another long one"),
                ("new_password", "a newer long one"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    app.page_login("new@example.com", "a newer long one").await;
}

#[tokio::test]
async fn pages_send_a_strict_policy_and_the_usual_headers() {
    let app = TestApp::spawn().await;
    demo(&app).await;
    for path in ["/", "/s/demo", "/login", "/offline", "/s/nope"] {
        let page = app.page(path, &[]).await;
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(page.headers["x-frame-options"], "DENY");
        assert_eq!(page.headers["x-content-type-options"], "nosniff");
        assert!(
            page.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(!page.body.contains("<script>"), "{path}: no inline scripts");
        assert!(!page.body.contains(" style="), "{path}: no inline styles");
    }
    assert_eq!(app.page("/s/nope", &[]).await.status, StatusCode::NOT_FOUND);
    let sw = app.page("/sw.js", &[]).await;
    assert_eq!(sw.headers["cache-control"], "no-cache");
    assert!(sw.body.contains("addEventListener('push'"));
    let manifest: serde_json::Value =
        serde_json::from_str(&app.page("/manifest.webmanifest", &[]).await.body).unwrap();
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["start_url"], "/dashboard");
    let icons = manifest["icons"].as_array().unwrap();
    assert!(
        icons
            .iter()
            .any(|i| i["sizes"] == "512x512" && i["purpose"] == "maskable")
    );
    for icon in icons {
        let res = app.page(icon["src"].as_str().unwrap(), &[]).await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(
            res.headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert!(res.headers.contains_key("etag"));
    }
}

#[tokio::test]
async fn english_and_korean() {
    let app = TestApp::spawn().await;
    demo(&app).await;
    let ko = pages_support::browser()
        .get(format!("{}/s/demo", app.base))
        .header("accept-language", "ko-KR,ko;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(ko.contains("<html lang=\"ko\">") && ko.contains("담기"));
    let en = app.page("/s/demo", &["orderbell_lang=en"]).await;
    assert!(en.body.contains("<html lang=\"en\">") && en.body.contains("Add to order"));
    // The demo shop is Korean: without any preference its page is in Korean.
    let default = app.page("/s/demo", &[]).await;
    assert!(default.body.contains("<html lang=\"ko\">"));

    let switch = app.page("/lang?to=en&next=/s/demo", &[]).await;
    assert_eq!(switch.status, StatusCode::SEE_OTHER);
    assert_eq!(switch.location(), "/s/demo");
    assert!(switch.cookies().contains(&"orderbell_lang=en".to_owned()));
    let open_redirect = app.page("/lang?to=en&next=//evil.example", &[]).await;
    assert_eq!(open_redirect.location(), "/");
}
