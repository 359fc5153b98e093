//! Who may do what in a shop: every API route of a shop and every settings page, tried by
//! nobody, a member of another shop, staff, a manager and an owner, against the table in
//! docs/accounts.md ("Roles"). The table must name every shop route of the OpenAPI document, so
//! a new route cannot be added without deciding who may call it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::collections::BTreeSet;

use orderbell_core::user::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::pages_support::PASSWORD;
use crate::support::{As, TestApp, americano_order};

/// The least a caller must be for a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Least {
    /// Anyone, signed in or not.
    Anyone,
    /// Any member: staff, manager, owner.
    Staff,
    Manager,
    Owner,
}

/// Who tries.
#[derive(Debug, Clone, Copy)]
enum Who {
    Nobody,
    /// An owner of another shop.
    Stranger,
    Member(Role),
}

impl Who {
    const ALL: [Who; 5] = [
        Who::Nobody,
        Who::Stranger,
        Who::Member(Role::Staff),
        Who::Member(Role::Manager),
        Who::Member(Role::Owner),
    ];

    fn may(self, least: Least) -> bool {
        match (self, least) {
            (_, Least::Anyone) => true,
            (Who::Nobody | Who::Stranger, _) => false,
            (Who::Member(role), Least::Staff) => role >= Role::Staff,
            (Who::Member(role), Least::Manager) => role >= Role::Manager,
            (Who::Member(role), Least::Owner) => role == Role::Owner,
        }
    }

    /// What a refused caller gets: 401 without an identity, 404 from another shop (the shop
    /// does not exist for them), 403 for a member whose role does not allow it.
    fn refusal(self) -> StatusCode {
        match self {
            Who::Nobody => StatusCode::UNAUTHORIZED,
            Who::Stranger => StatusCode::NOT_FOUND,
            Who::Member(_) => StatusCode::FORBIDDEN,
        }
    }
}

struct People {
    nobody: As,
    stranger: As,
    staff: As,
    manager: As,
    owner: As,
}

impl People {
    fn of(&self, who: Who) -> &As {
        match who {
            Who::Nobody => &self.nobody,
            Who::Stranger => &self.stranger,
            Who::Member(Role::Staff) => &self.staff,
            Who::Member(Role::Manager) => &self.manager,
            Who::Member(Role::Owner) => &self.owner,
        }
    }
}

fn session_of(cookie: &str) -> As {
    As::Session(cookie.trim_start_matches("orderbell_session=").to_owned())
}

/// The operations of the OpenAPI document under `/api/v1/shops/{slug}`.
async fn shop_operations(app: &TestApp) -> BTreeSet<(String, String)> {
    let doc = app.get("/api/openapi.json", &As::Nobody).await.body;
    let mut out = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/shops/{slug}") {
            continue;
        }
        for method in ops.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shop_route_lets_in_exactly_the_roles_of_the_table() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner@cafe.example", PASSWORD).await;
    app.shop("cafe", &owner).await;
    let stranger = app.user("owner@bakery.example", PASSWORD).await;
    app.shop("bakery", &stranger).await;
    let people = People {
        nobody: As::Nobody,
        stranger: As::Session(app.login("owner@bakery.example", PASSWORD).await),
        staff: session_of(
            &app.member_cookie("cafe", "staff@cafe.example", Role::Staff)
                .await,
        ),
        manager: session_of(
            &app.member_cookie("cafe", "manager@cafe.example", Role::Manager)
                .await,
        ),
        owner: As::Session(app.login("owner@cafe.example", PASSWORD).await),
    };
    let spare = app.user("spare@cafe.example", PASSWORD).await;

    // What the routes name, made by the owner.
    let o = &people.owner;
    let category = app
        .post(
            "/api/v1/shops/cafe/menu/categories",
            o,
            json!({"name": "Coffee"}),
        )
        .await;
    assert_eq!(category.status, StatusCode::CREATED, "{}", category.body);
    let category = id(&category.body);
    let item = |name: &str| json!({"name": name, "price": 4500, "category_id": category});
    let item_id = id(&app
        .post("/api/v1/shops/cafe/menu/items", o, item("Latte"))
        .await
        .body);
    let group = app
        .post(
            &format!("/api/v1/shops/cafe/menu/items/{item_id}/option-groups"),
            o,
            json!({"name": "Size", "min": 0, "max": 1}),
        )
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.body);
    let group = id(&group.body);
    let option = app
        .post(
            &format!("/api/v1/shops/cafe/menu/option-groups/{group}/options"),
            o,
            json!({"name": "Large", "price": 500}),
        )
        .await;
    assert_eq!(option.status, StatusCode::CREATED, "{}", option.body);
    let option = id(&option.body);
    let order = app
        .post("/api/v1/shops/cafe/orders", o, americano_order())
        .await;
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.body);
    let order = id(&order.body);
    let printer = app
        .post("/api/v1/shops/cafe/printers", o, json!({"name": "Counter"}))
        .await;
    assert_eq!(printer.status, StatusCode::CREATED, "{}", printer.body);
    let printer = printer.body["printer"]["id"]
        .as_str()
        .or(printer.body["id"].as_str())
        .unwrap()
        .to_owned();
    let key = app
        .post(
            "/api/v1/shops/cafe/apikeys",
            o,
            json!({"name": "till", "scopes": ["orders:read"]}),
        )
        .await;
    assert_eq!(key.status, StatusCode::CREATED, "{}", key.body);
    let key = id(&key.body["api_key"]);
    let invitation = app
        .post(
            "/api/v1/shops/cafe/invitations",
            o,
            json!({"role": "staff"}),
        )
        .await;
    assert_eq!(
        invitation.status,
        StatusCode::CREATED,
        "{}",
        invitation.body
    );
    let invitation = id(&invitation.body);

    let s = "/api/v1/shops/cafe";
    let o_ = format!("{s}/orders/{order}");
    // (method, OpenAPI path, the path called, body, who may)
    let table: Vec<(Method, &str, String, Option<Value>, Least)> = vec![
        (
            Method::GET,
            "/api/v1/shops/{slug}",
            s.into(),
            None,
            Least::Anyone,
        ),
        // A manager keeps the hours, the pause and the default ETA …
        (
            Method::PATCH,
            "/api/v1/shops/{slug}",
            s.into(),
            Some(json!({"default_eta_minutes": 20, "paused_until": null})),
            Least::Manager,
        ),
        // … the rest of the profile is the owners'.
        (
            Method::PATCH,
            "/api/v1/shops/{slug}",
            s.into(),
            Some(json!({"name": "Cafe"})),
            Least::Owner,
        ),
        (
            Method::GET,
            "/api/v1/shops/{slug}/apikeys",
            format!("{s}/apikeys"),
            None,
            Least::Owner,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/apikeys",
            format!("{s}/apikeys"),
            Some(json!({"name": "pos"})),
            Least::Owner,
        ),
        (
            Method::DELETE,
            "/api/v1/shops/{slug}/apikeys/{id}",
            format!("{s}/apikeys/{key}"),
            None,
            Least::Owner,
        ),
        (
            Method::GET,
            "/api/v1/shops/{slug}/members",
            format!("{s}/members"),
            None,
            Least::Staff,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/members",
            format!("{s}/members"),
            Some(json!({"email": spare.email, "role": "staff"})),
            Least::Owner,
        ),
        (
            Method::DELETE,
            "/api/v1/shops/{slug}/members/{user_id}",
            format!("{s}/members/{}", spare.id),
            None,
            Least::Owner,
        ),
        (
            Method::GET,
            "/api/v1/shops/{slug}/invitations",
            format!("{s}/invitations"),
            None,
            Least::Owner,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/invitations",
            format!("{s}/invitations"),
            Some(json!({"role": "manager"})),
            Least::Owner,
        ),
        (
            Method::DELETE,
            "/api/v1/shops/{slug}/invitations/{id}",
            format!("{s}/invitations/{invitation}"),
            None,
            Least::Owner,
        ),
        (
            Method::GET,
            "/api/v1/shops/{slug}/menu",
            format!("{s}/menu"),
            None,
            Least::Anyone,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/menu/categories",
            format!("{s}/menu/categories"),
            Some(json!({"name": "Tea"})),
            Least::Manager,
        ),
        (
            Method::PATCH,
            "/api/v1/shops/{slug}/menu/categories/{id}",
            format!("{s}/menu/categories/{category}"),
            Some(json!({"name": "Coffees"})),
            Least::Manager,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/menu/items",
            format!("{s}/menu/items"),
            Some(item("Mocha")),
            Least::Manager,
        ),
        (
            Method::PATCH,
            "/api/v1/shops/{slug}/menu/items/{id}",
            format!("{s}/menu/items/{item_id}"),
            Some(json!({"price": 4800})),
            Least::Manager,
        ),
        (
            Method::PUT,
            "/api/v1/shops/{slug}/menu/items/{id}/photo",
            format!("{s}/menu/items/{item_id}/photo"),
            None,
            Least::Manager,
        ),
        (
            Method::DELETE,
            "/api/v1/shops/{slug}/menu/items/{id}/photo",
            format!("{s}/menu/items/{item_id}/photo"),
            None,
            Least::Manager,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/menu/items/{id}/option-groups",
            format!("{s}/menu/items/{item_id}/option-groups"),
            Some(json!({"name": "Milk", "min": 0, "max": 1})),
            Least::Manager,
        ),
        (
            Method::PATCH,
            "/api/v1/shops/{slug}/menu/option-groups/{id}",
            format!("{s}/menu/option-groups/{group}"),
            Some(json!({"name": "Sizes"})),
            Least::Manager,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/menu/option-groups/{id}/options",
            format!("{s}/menu/option-groups/{group}/options"),
            Some(json!({"name": "Small", "price": 0})),
            Least::Manager,
        ),
        (
            Method::PATCH,
            "/api/v1/shops/{slug}/menu/options/{id}",
            format!("{s}/menu/options/{option}"),
            Some(json!({"price": 600})),
            Least::Manager,
        ),
        (
            Method::DELETE,
            "/api/v1/shops/{slug}/menu/options/{id}",
            format!("{s}/menu/options/{option}"),
            None,
            Least::Manager,
        ),
        (
            Method::DELETE,
            "/api/v1/shops/{slug}/menu/option-groups/{id}",
            format!("{s}/menu/option-groups/{group}"),
            None,
            Least::Manager,
        ),
        (
            Method::GET,
            "/api/v1/shops/{slug}/notification-settings",
            format!("{s}/notification-settings"),
            None,
            Least::Staff,
        ),
        (
            Method::PUT,
            "/api/v1/shops/{slug}/notification-settings",
            format!("{s}/notification-settings"),
            Some(json!({"members": {}})),
            Least::Owner,
        ),
        (
            Method::GET,
            "/api/v1/shops/{slug}/orders",
            format!("{s}/orders"),
            None,
            Least::Staff,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/orders",
            format!("{s}/orders"),
            Some(americano_order()),
            // Guests order too (from the menu only: anyone else's free-form lines are refused).
            Least::Anyone,
        ),
        (
            Method::GET,
            "/api/v1/shops/{slug}/orders/{id}",
            o_.clone(),
            None,
            Least::Staff,
        ),
        (
            Method::GET,
            "/api/v1/shops/{slug}/orders/{id}/events",
            format!("{o_}/events"),
            None,
            Least::Staff,
        ),
        (
            Method::GET,
            "/api/v1/shops/{slug}/orders/{id}/notifications",
            format!("{o_}/notifications"),
            None,
            Least::Staff,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/orders/{id}/acknowledge",
            format!("{o_}/acknowledge"),
            None,
            Least::Staff,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/orders/{id}/print",
            format!("{o_}/print"),
            Some(json!({})),
            Least::Staff,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/orders/{id}/accept",
            format!("{o_}/accept"),
            Some(json!({"eta_minutes": 10})),
            Least::Staff,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/orders/{id}/ready",
            format!("{o_}/ready"),
            None,
            Least::Staff,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/orders/{id}/complete",
            format!("{o_}/complete"),
            None,
            Least::Staff,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/orders/{id}/reject",
            format!("{o_}/reject"),
            Some(json!({})),
            Least::Staff,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/orders/{id}/cancel",
            format!("{o_}/cancel"),
            Some(json!({})),
            Least::Staff,
        ),
        (
            Method::GET,
            "/api/v1/shops/{slug}/printers",
            format!("{s}/printers"),
            None,
            Least::Staff,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/printers",
            format!("{s}/printers"),
            Some(json!({"name": "Kitchen"})),
            Least::Manager,
        ),
        (
            Method::PATCH,
            "/api/v1/shops/{slug}/printers/{id}",
            format!("{s}/printers/{printer}"),
            Some(json!({"copies": 2})),
            Least::Manager,
        ),
        (
            Method::DELETE,
            "/api/v1/shops/{slug}/printers/{id}",
            format!("{s}/printers/{printer}"),
            None,
            Least::Manager,
        ),
        (
            Method::GET,
            "/api/v1/shops/{slug}/readiness",
            format!("{s}/readiness"),
            None,
            Least::Staff,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/telegram/link",
            format!("{s}/telegram/link"),
            None,
            Least::Staff,
        ),
        (
            Method::POST,
            "/api/v1/shops/{slug}/whatsapp/link",
            format!("{s}/whatsapp/link"),
            None,
            Least::Staff,
        ),
        (
            Method::DELETE,
            "/api/v1/shops/{slug}/menu/items/{id}",
            format!("{s}/menu/items/{item_id}"),
            None,
            Least::Manager,
        ),
        (
            Method::DELETE,
            "/api/v1/shops/{slug}/menu/categories/{id}",
            format!("{s}/menu/categories/{category}"),
            None,
            Least::Manager,
        ),
    ];

    let named: BTreeSet<(String, String)> = table
        .iter()
        .map(|(m, p, ..)| (m.as_str().to_owned(), (*p).to_owned()))
        .collect();
    let documented = shop_operations(&app).await;
    let missing: Vec<_> = documented.difference(&named).collect();
    assert!(
        missing.is_empty(),
        "shop routes without a row in the roles table: {missing:?}"
    );
    let unknown: Vec<_> = named.difference(&documented).collect();
    assert!(
        unknown.is_empty(),
        "rows for routes that do not exist: {unknown:?}"
    );

    let mut wrong = vec![];
    for (method, template, path, body, least) in &table {
        for who in Who::ALL {
            let res = if *method == Method::PUT && template.ends_with("/photo") {
                // Not a photo: whoever may gets past the door and is told what is wrong.
                let mut req = app
                    .http
                    .put(format!("{}{path}", app.base))
                    .header("content-type", "image/jpeg")
                    .body(b"not an image".to_vec());
                if let As::Session(cookie) = people.of(who) {
                    req = req
                        .header("cookie", format!("orderbell_session={cookie}"))
                        .header("origin", "http://orderbell.test");
                }
                app.send(req).await
            } else {
                app.call(method.clone(), path, people.of(who), body.clone())
                    .await
            };
            let ok = if who.may(*least) {
                // A 404 may only be the thing's a path names (gone by an earlier row), never
                // the shop's.
                let shop_missing =
                    res.status == StatusCode::NOT_FOUND && template.matches('{').count() < 2;
                let refused =
                    matches!(res.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
                !refused && !shop_missing && !res.status.is_server_error()
            } else {
                res.status == who.refusal()
            };
            if !ok {
                wrong.push(format!(
                    "{method} {path} by {who:?} (least {least:?}): {} {}",
                    res.status, res.body
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_pages_follow_the_same_table() {
    let app = TestApp::spawn().await;
    let owner = app.user("owner@cafe.example", PASSWORD).await;
    app.shop("cafe", &owner).await;
    let staff = app
        .member_cookie("cafe", "staff@cafe.example", Role::Staff)
        .await;
    let manager = app
        .member_cookie("cafe", "manager@cafe.example", Role::Manager)
        .await;
    let owner = app.page_login("owner@cafe.example", PASSWORD).await;
    let csrf_of = |cookie: String| {
        let app = &app;
        async move {
            app.page("/dashboard/cafe/settings", &[&cookie])
                .await
                .input("csrf")
        }
    };
    let people = [
        (Role::Staff, staff.clone(), csrf_of(staff).await),
        (Role::Manager, manager.clone(), csrf_of(manager).await),
        (Role::Owner, owner.clone(), csrf_of(owner).await),
    ];
    // (path, form fields, least role)
    type Post<'a> = (&'a str, Vec<(&'a str, &'a str)>, Role);
    let posts: Vec<Post> = vec![
        (
            "/dashboard/cafe/menu",
            vec![("op", "add_category"), ("name", "Tea")],
            Role::Manager,
        ),
        (
            "/dashboard/cafe/printers",
            vec![("op", "create"), ("name", "Bar")],
            Role::Manager,
        ),
        (
            "/dashboard/cafe/settings",
            vec![("op", "accepting"), ("accepting", "on")],
            Role::Manager,
        ),
        (
            "/dashboard/cafe/settings",
            vec![("op", "alerts"), ("default_eta_minutes", "25")],
            Role::Manager,
        ),
        (
            "/dashboard/cafe/settings",
            vec![
                ("op", "profile"),
                ("name", "Cafe"),
                ("time_zone", "Asia/Seoul"),
                ("locale", "ko"),
            ],
            Role::Owner,
        ),
        (
            "/dashboard/cafe/settings",
            vec![("op", "mfa"), ("require", "off")],
            Role::Owner,
        ),
        (
            "/dashboard/cafe/members",
            vec![("op", "invite"), ("role", "staff")],
            Role::Owner,
        ),
        (
            "/dashboard/cafe/apikeys",
            vec![("op", "create"), ("name", "till")],
            Role::Owner,
        ),
    ];
    let mut wrong = vec![];
    for (path, fields, least) in &posts {
        for (role, cookie, csrf) in &people {
            let mut fields = fields.clone();
            fields.push(("csrf", csrf));
            let res = app.form(path, &[cookie], &fields).await;
            let ok = if role >= least {
                res.status != StatusCode::FORBIDDEN && !res.status.is_server_error()
            } else {
                res.status == StatusCode::FORBIDDEN
            };
            if !ok {
                wrong.push(format!(
                    "POST {path} {fields:?} by {role:?}: {}",
                    res.status
                ));
            }
        }
    }
    // Pages each role may open.
    for (role, cookie, _) in &people {
        let keys = app.page("/dashboard/cafe/apikeys", &[cookie]).await;
        let expected = if *role == Role::Owner {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        if keys.status != expected {
            wrong.push(format!("GET apikeys by {role:?}: {}", keys.status));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // A manager's alerts form changes the default ETA and leaves the alert policy alone.
    let shop = app.state.store.shop_by_slug("cafe").await.unwrap().unwrap();
    assert_eq!(shop.default_eta_minutes, 25);
    // The owner's page shows the members' roles in the reader's language.
    let members = app
        .page(
            "/dashboard/cafe/members",
            &[&people[2].1, crate::pages_support::KO],
        )
        .await;
    assert!(members.body.contains("매니저"), "{}", members.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_link_made_on_the_members_page_joins_in_korean() {
    use crate::pages_support::{EN, KO, english_only, korean_only};
    let app = TestApp::spawn().await;
    let owner = app.user("owner@cafe.example", PASSWORD).await;
    app.shop("cafe", &owner).await;
    let boss = app.page_login("owner@cafe.example", PASSWORD).await;
    let members = app.page("/dashboard/cafe/members", &[&boss, KO]).await;
    assert_eq!(members.status, StatusCode::OK);
    korean_only(&members.body, &["owner@cafe.example"]);
    // Without mail on the server the form asks for no address: the link is handed out.
    assert!(
        !members
            .body
            .contains("name=\"email\" type=\"email\" maxlength")
    );
    let csrf = members.input("csrf");
    let made = app
        .form(
            "/dashboard/cafe/members",
            &[&boss, KO],
            &[("csrf", &csrf), ("op", "invite"), ("role", "manager")],
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let start = made.body.find("<code id=\"invite-link\">").unwrap() + 23;
    let url = made.body[start..].split('<').next().unwrap().to_owned();
    let path = url.trim_start_matches("http://orderbell.test").to_owned();
    assert!(path.starts_with("/invite/"), "{url}");
    // Listed as open (without its link); the link is in this answer only.
    let listed = app.page("/dashboard/cafe/members", &[&boss, KO]).await;
    assert!(listed.body.contains("매니저") && !listed.body.contains(&path));

    // Someone without a session is asked to sign in and come back.
    let anonymous = app.page(&path, &[KO]).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    korean_only(&anonymous.body, &[]);
    assert!(
        anonymous.body.contains("매니저(으)로 초대되었습니다"),
        "{}",
        anonymous.body
    );
    assert!(
        anonymous.body.contains("/login?next=/invite/"),
        "{}",
        anonymous.body
    );

    let new = app.user("new@cafe.example", PASSWORD).await;
    let cookie = app.page_login(&new.email, PASSWORD).await;
    let page = app.page(&path, &[&cookie, EN]).await;
    english_only(&page.body, &["new@cafe.example"]);
    let csrf = page.input("csrf");
    let joined = app.form(&path, &[&cookie], &[("csrf", &csrf)]).await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.body);
    assert_eq!(joined.location(), "/dashboard/cafe");
    let shop = app.state.store.shop_by_slug("cafe").await.unwrap().unwrap();
    assert_eq!(
        app.state.store.role(&shop.id, &new.id).await.unwrap(),
        Some(Role::Manager)
    );
    // Used: the page says so, in the reader's language.
    let gone = app.page(&path, &[&cookie, KO]).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    korean_only(&gone.body, &[]);
    assert!(gone.body.contains("만료된 초대"), "{}", gone.body);
    let again = app.form(&path, &[&cookie], &[("csrf", &csrf)]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}
