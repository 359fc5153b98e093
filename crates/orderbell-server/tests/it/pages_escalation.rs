//! The pages of "never miss an order", over HTTP as a browser without JavaScript sees them: each
//! unanswered order's age and next escalation step on the board, the readiness strip and the red
//! banner, pausing and resuming guest ordering; the alert policy, default ETA and opening hours in
//! the settings; a closed shop's guest page; a missed order on the tracking page; the member's
//! phone for escalation calls. Every page in English and in Korean, with no sentence of the other
//! language on it (see `pages_support::english_only` and `korean_only`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use crate::pages_support::{self, EN, KO, PASSWORD, english_only, korean_only};
use std::time::Duration;

use crate::support::{As, TestApp};
use jiff::SignedDuration;
use jiff::tz::TimeZone;
use orderbell_core::Timestamp;
use orderbell_core::shop::ShopPatchRequest;
use reqwest::StatusCode;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Helpers

fn seoul() -> TimeZone {
    TimeZone::get("Asia/Seoul").unwrap()
}

fn hhmm(ts: Timestamp) -> String {
    ts.to_zoned(seoul()).strftime("%H:%M").to_string()
}

/// The shop `cafe` (Korean, Asia/Seoul), its owner signed in on the pages, and an API key.
async fn cafe(app: &TestApp) -> (String, String) {
    let (owner, key) = app
        .shop_with_key("cafe", &["orders:write", "orders:read", "manage"])
        .await;
    let cookie = app.page_login(&owner.email, PASSWORD).await;
    (cookie, key)
}

async fn patch_shop(app: &TestApp, body: Value) {
    let shop = app.state.store.shop_by_slug("cafe").await.unwrap().unwrap();
    let request: ShopPatchRequest = serde_json::from_value(body).unwrap();
    let patch = request.validate_for(&shop).unwrap();
    app.state
        .store
        .update_shop(&shop.id, patch, app.state.now())
        .await
        .unwrap();
}

/// Places an order through the API; returns its id and tracking path.
async fn place(app: &TestApp, key: &str) -> (String, String) {
    let r = app
        .post(
            "/api/v1/shops/cafe/orders",
            &As::Key(key.to_owned()),
            json!({"items": [{"name": "Americano", "quantity": 1, "unit_price": 4500}],
                   "customer": {"name": "Kim"}, "fulfillment": {"type": "pickup"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let url = r.body["tracking_url"].as_str().unwrap();
    let path = &url[url.find("/o/").unwrap()..];
    (r.body["id"].as_str().unwrap().to_owned(), path.to_owned())
}

/// The element with this id, from its start tag to the end of the line it is on.
fn line_of<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let start = html[..at].rfind('<').unwrap();
    let end = html[at..].find('\n').map_or(html.len(), |e| at + e);
    &html[start..end]
}

fn shown(html: &str, id: &str) -> bool {
    let line = line_of(html, id);
    let tag = &line[..line.find('>').unwrap()];
    !tag.contains(" hidden")
}

async fn readiness(app: &TestApp, cookie: &str) -> Value {
    let value = cookie.strip_prefix("orderbell_session=").unwrap();
    let r = app
        .get(
            "/api/v1/shops/cafe/readiness",
            &As::Session(value.to_owned()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

// ---------------------------------------------------------------------------------------------
// The board

#[tokio::test]
async fn the_board_shows_each_unanswered_orders_age_next_step_and_readiness() {
    let app = TestApp::spawn().await;
    let (cookie, key) = cafe(&app).await;
    // Nothing due in the next few minutes, so the escalation loop leaves the timer alone.
    patch_shop(
        &app,
        json!({"alerts": {"repeat_after_seconds": 300, "repeat_every_seconds": 300,
                          "call_after_seconds": null, "miss_after_seconds": 900}}),
    )
    .await;
    let created = app.state.now();
    let (id, _) = place(&app, &key).await;
    app.clock.advance(SignedDuration::from_secs(3 * 60 + 5));
    let repeat = hhmm(created + SignedDuration::from_secs(300));
    let miss = hhmm(created + SignedDuration::from_secs(900));

    let en = app.page("/dashboard/cafe", &[&cookie, EN]).await;
    assert_eq!(en.status, StatusCode::OK);
    let b = &en.body;
    assert!(
        b.contains(&format!(
            "<span class=\"age\" data-created=\"{}\">",
            created.as_millisecond()
        )),
        "the card carries its creation time: {b}"
    );
    assert!(b.contains("<span class=\"age-value\">3 min</span>"), "{b}");
    assert!(b.contains(&format!(
        "<span class=\"next-step\" data-step=\"repeat\" data-due=\"{}\">Reminder at {repeat}</span>",
        (created + SignedDuration::from_secs(300)).as_millisecond()
    )));
    assert!(b.contains(&format!("<span class=\"deadline\">Missed at {miss}</span>")));
    // The words the page's script needs to count on.
    assert!(b.contains("data-age-minutes=\"{n} min\""));
    // Open, and no dashboard with sound: the red banner is up, the strip says why.
    assert!(shown(b, "unheard-banner"), "the red banner shows");
    assert!(line_of(b, "unheard-banner").contains("role=\"alert\""));
    assert!(line_of(b, "ready-state").contains("Open for orders"));
    assert!(line_of(b, "ready-hearing").contains("Nobody would hear a new order"));
    assert!(b.contains("No dashboard with its sound on is open."));
    assert!(line_of(b, "ready-dashboards").contains(">0<"));
    assert!(b.contains("data-url=\"/api/v1/shops/cafe/readiness\""));
    english_only(b, &[]);

    let ko = app.page("/dashboard/cafe", &[&cookie, KO]).await;
    let b = &ko.body;
    assert!(b.contains("<span class=\"age-value\">3분</span>"), "{b}");
    assert!(b.contains(&format!("{repeat}에 다시 알림</span>")));
    assert!(b.contains(&format!("{miss}에 응답 없음 처리</span>")));
    assert!(line_of(b, "ready-state").contains("주문 받는 중"));
    assert!(b.contains("소리가 켜진 대시보드가 없습니다."));
    korean_only(b, &[]);

    // The fragment the page re-reads carries the same, with the server's clock.
    let part = app.page("/dashboard/cafe/board", &[&cookie, EN]).await;
    assert!(part.body.contains("<span class=\"age-value\">3 min</span>"));
    assert!(part.body.contains(&format!(
        "data-now=\"{}\"",
        app.state.now().as_millisecond()
    )));

    // Once seen, the order no longer escalates: no age, no next step.
    let csrf = en.input("csrf");
    let seen = app
        .form(
            &format!("/dashboard/cafe/orders/{id}/acknowledge"),
            &[&cookie],
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(seen.status, StatusCode::SEE_OTHER, "{}", seen.body);
    let after = app.page("/dashboard/cafe", &[&cookie, EN]).await;
    assert!(!after.body.contains("class=\"escalation\""));
}

#[tokio::test]
async fn a_dashboard_with_its_sound_on_is_a_listener_and_the_banner_goes() {
    let app = TestApp::spawn().await;
    let (cookie, _) = cafe(&app).await;
    let live = |sound: bool| {
        let url = format!(
            "{}/dashboard/cafe/live{}",
            app.base,
            if sound { "?sound=1" } else { "" }
        );
        pages_support::browser()
            .get(url)
            .header("cookie", cookie.as_str())
            .send()
    };
    // Without `?sound=1` a dashboard does not count.
    let quiet = live(false).await.unwrap();
    assert_eq!(quiet.status(), StatusCode::OK);
    assert_eq!(readiness(&app, &cookie).await["listeners"]["dashboards"], 0);
    let mut loud = live(true).await.unwrap();
    let hello = loud.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&hello).contains("hello"));
    let r = readiness(&app, &cookie).await;
    assert_eq!(r["listeners"]["dashboards"], 1);
    assert_eq!(r["hearing"], true);

    for (lang, hearing) in [
        (EN, "New orders will be heard"),
        (KO, "새 주문 알림이 울립니다"),
    ] {
        let page = app.page("/dashboard/cafe", &[&cookie, lang]).await;
        assert!(
            !shown(&page.body, "unheard-banner"),
            "no banner while heard"
        );
        assert!(line_of(&page.body, "ready-hearing").contains(hearing));
        assert!(line_of(&page.body, "ready-dashboards").contains(">1<"));
        assert!(!shown(&page.body, "ready-problems"));
    }

    // The last dashboard with sound goes: nobody would hear a new order.
    drop(loud);
    let mut gone = false;
    for _ in 0..50 {
        let r = readiness(&app, &cookie).await;
        if r["listeners"]["dashboards"] == 0 {
            assert_eq!(r["hearing"], false);
            assert!(
                r["problems"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["code"] == "no_dashboard_with_sound")
            );
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "the closed stream stopped counting");
    let page = app.page("/dashboard/cafe", &[&cookie, EN]).await;
    assert!(shown(&page.body, "unheard-banner"));
    drop(quiet);
}

/// A dashboard's live stream ends with its session: after logout (and after the member is
/// removed) it delivers nothing more of the shop.
#[tokio::test]
async fn live_streams_end_when_their_session_ends() {
    let app = TestApp::spawn().await;
    let (cookie, key) = cafe(&app).await;
    let open = |cookie: String| {
        let url = format!("{}/dashboard/cafe/live", app.base);
        async move {
            let mut res = pages_support::browser()
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let hello = res.chunk().await.unwrap().unwrap();
            assert!(String::from_utf8_lossy(&hello).contains("hello"));
            res
        }
    };
    /// Reads until the stream ends; what it delivered meanwhile.
    async fn drain(mut res: reqwest::Response) -> String {
        let mut seen = String::new();
        let ended = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(chunk)) = res.chunk().await {
                seen.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await;
        assert!(ended.is_ok(), "the stream ended; it had: {seen}");
        seen
    }
    let stream = open(cookie.clone()).await;
    let logout = app
        .form(
            "/logout",
            &[&cookie],
            &[(
                "csrf",
                &app.page("/dashboard/cafe", &[&cookie]).await.input("csrf"),
            )],
        )
        .await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER, "{}", logout.body);
    let ended = tokio::spawn(drain(stream));
    tokio::time::sleep(Duration::from_secs(6)).await;
    place(&app, &key).await;
    let seen = ended.await.unwrap();
    assert!(
        !seen.contains("event: change"),
        "nothing after logout: {seen}"
    );

    // A member who is removed stops hearing the shop too.
    let staff = app
        .member_cookie(
            "cafe",
            "staff@cafe.example",
            orderbell_core::user::Role::Staff,
        )
        .await;
    let stream = open(staff).await;
    let shop = app.state.store.shop_by_slug("cafe").await.unwrap().unwrap();
    let member = app
        .state
        .store
        .user_by_email("staff@cafe.example")
        .await
        .unwrap()
        .unwrap();
    app.state
        .store
        .remove_member(&shop.id, &member.id)
        .await
        .unwrap();
    drain(stream).await;
}

#[tokio::test]
async fn members_pause_and_resume_guest_ordering_from_the_board() {
    let app = TestApp::spawn().await;
    let (cookie, _) = cafe(&app).await;
    let board = app.page("/dashboard/cafe", &[&cookie, EN]).await;
    let csrf = board.input("csrf");
    assert!(shown(&board.body, "pause-buttons") && !shown(&board.body, "resume-form"));
    for minutes in ["15", "30", "60"] {
        assert!(
            board
                .body
                .contains(&format!("name=\"minutes\" value=\"{minutes}\""))
        );
        assert!(
            board
                .body
                .contains(&format!(">Pause {minutes} min</button>"))
        );
    }

    // A form without the page's token is refused; a wrong number too.
    let refused = app
        .form("/dashboard/cafe/pause", &[&cookie], &[("minutes", "15")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let wrong = app
        .form(
            "/dashboard/cafe/pause",
            &[&cookie],
            &[("csrf", &csrf), ("minutes", "100000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);

    // Staff may pause too (a busy kitchen cannot wait for the owner).
    let staff_cookie = app
        .member_cookie(
            "cafe",
            "staff@cafe.example",
            orderbell_core::user::Role::Staff,
        )
        .await;
    let staff_csrf = app
        .page("/dashboard/cafe", &[&staff_cookie])
        .await
        .input("csrf");
    let paused = app
        .form(
            "/dashboard/cafe/pause",
            &[&staff_cookie],
            &[("csrf", &staff_csrf), ("minutes", "15")],
        )
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER, "{}", paused.body);
    assert_eq!(paused.location(), "/dashboard/cafe");
    let until = app
        .state
        .store
        .shop_by_slug("cafe")
        .await
        .unwrap()
        .unwrap()
        .paused_until
        .unwrap();
    assert_eq!(until, app.state.now() + SignedDuration::from_mins(15));
    let at = hhmm(until);

    let en = app.page("/dashboard/cafe", &[&cookie, EN]).await;
    assert!(line_of(&en.body, "ready-state").contains(&format!("Paused until {at}")));
    assert!(!shown(&en.body, "pause-buttons") && shown(&en.body, "resume-form"));
    assert!(!shown(&en.body, "unheard-banner"), "closed: no banner");
    english_only(&en.body, &[]);
    let ko = app.page("/dashboard/cafe", &[&cookie, KO]).await;
    assert!(line_of(&ko.body, "ready-state").contains(&format!("{at}까지 주문 일시 중지")));
    korean_only(&ko.body, &[]);

    // The guest page says until when and offers no checkout; a stale checkout is refused.
    let guest = app.page("/s/cafe", &[EN]).await;
    assert!(
        line_of(&guest.body, "closed")
            .contains(&format!("This shop has paused online orders until {at}."))
    );
    assert!(!guest.body.contains("id=\"checkout\""));
    english_only(&guest.body, &[]);
    let guest_ko = app.page("/s/cafe", &[KO]).await;
    assert!(
        line_of(&guest_ko.body, "closed")
            .contains(&format!("가게가 {at}까지 온라인 주문을 잠시 멈췄습니다."))
    );
    korean_only(&guest_ko.body, &[]);
    let stale = app
        .form(
            "/s/cafe/order",
            &[EN],
            &[("name", "Kim"), ("fulfillment", "pickup")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(
        stale
            .body
            .contains("This shop has paused online orders until")
    );

    // Resume.
    let resumed = app
        .form(
            "/dashboard/cafe/pause",
            &[&cookie],
            &[("csrf", &csrf), ("minutes", "0")],
        )
        .await;
    assert_eq!(resumed.status, StatusCode::SEE_OTHER);
    let shop = app.state.store.shop_by_slug("cafe").await.unwrap().unwrap();
    assert_eq!(shop.paused_until, None);
    let en = app.page("/dashboard/cafe", &[&cookie, EN]).await;
    assert!(line_of(&en.body, "ready-state").contains("Open for orders"));
    assert!(
        !app.page("/s/cafe", &[EN])
            .await
            .body
            .contains("id=\"closed\"")
    );
}

// ---------------------------------------------------------------------------------------------
// Settings

fn alert_fields<'a>(overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("op", "alerts"),
        ("repeat_after_seconds", "30"),
        ("repeat_every_seconds", "45"),
        ("call_after_seconds", ""),
        ("miss_after_seconds", "900"),
        ("unheard_after_seconds", "60"),
        ("pause_when_unheard", "on"),
        ("pause_after_missed", ""),
        ("default_eta_minutes", "20"),
        ("hours_on", "on"),
        ("hours_mon", "09:00-14:00, 17:00-21:00"),
        ("hours_tue", ""),
        ("hours_wed", "09:00-14:00"),
        ("hours_thu", "09:00-14:00"),
        ("hours_fri", "18:00~02:00"),
        ("hours_sat", ""),
        ("hours_sun", ""),
        ("closed_dates", "2026-12-25, 2027-01-01"),
    ];
    for (name, value) in overrides {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(f) => f.1 = value,
            None => fields.push((name, value)),
        }
    }
    fields
}

#[tokio::test]
async fn owners_set_the_alert_policy_default_eta_and_opening_hours() {
    let app = TestApp::spawn().await;
    let (cookie, _) = cafe(&app).await;
    let page = app.page("/dashboard/cafe/settings", &[&cookie, EN]).await;
    assert_eq!(page.status, StatusCode::OK);
    let b = &page.body;
    // The defaults of a new shop.
    for (name, value) in [
        ("repeat_after_seconds", "60"),
        ("call_after_seconds", "120"),
        ("miss_after_seconds", "600"),
        ("pause_after_missed", "3"),
        ("default_eta_minutes", "15"),
    ] {
        assert!(
            line_of(b, &format!("f-{name}")).contains(&format!("value=\"{value}\"")),
            "{name}"
        );
    }
    assert!(b.contains("Remind again after (seconds)"));
    assert!(b.contains("10 to 86400 seconds; empty: off."));
    assert!(
        line_of(b, "f-hours_mon").contains("value=\"\""),
        "always open"
    );
    english_only(b, &[]);
    let ko = app.page("/dashboard/cafe/settings", &[&cookie, KO]).await;
    assert!(ko.body.contains("다시 알림까지 (초)") && ko.body.contains("영업시간"));
    korean_only(&ko.body, &[]);
    let csrf = page.input("csrf");

    let mut fields = alert_fields(&[]);
    fields.push(("csrf", &csrf));
    let saved = app
        .form("/dashboard/cafe/settings", &[&cookie], &fields)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), "/dashboard/cafe/settings?alerts=1#alerts");
    let shop = app.state.store.shop_by_slug("cafe").await.unwrap().unwrap();
    assert_eq!(shop.alerts.repeat_after_seconds, 30);
    assert_eq!(shop.alerts.repeat_every_seconds, 45);
    assert_eq!(shop.alerts.call_after_seconds, None, "empty: off");
    assert_eq!(shop.alerts.miss_after_seconds, Some(900));
    assert_eq!(shop.alerts.unheard_after_seconds, 60);
    assert!(shop.alerts.pause_when_unheard);
    assert_eq!(shop.alerts.pause_after_missed, None);
    assert_eq!(shop.default_eta_minutes, 20);
    assert_eq!(
        shop.opening_hours.as_ref().unwrap().to_json(),
        json!({"mon": [["09:00", "14:00"], ["17:00", "21:00"]], "tue": [],
               "wed": [["09:00", "14:00"]], "thu": [["09:00", "14:00"]],
               "fri": [["18:00", "02:00"]], "sat": [], "sun": [],
               "closed_dates": ["2026-12-25", "2027-01-01"]})
    );
    let again = app
        .page("/dashboard/cafe/settings?alerts=1", &[&cookie, EN])
        .await;
    assert!(line_of(&again.body, "f-hours_mon").contains("value=\"09:00-14:00, 17:00-21:00\""));
    assert!(line_of(&again.body, "f-hours_fri").contains("value=\"18:00-02:00\""));
    assert!(line_of(&again.body, "f-call_after_seconds").contains("value=\"\""));
    assert!(again.body.contains("Saved."));

    // Wrong values: shown again as typed, each with its message; nothing changes.
    let bad = [
        ("repeat_after_seconds", "5"),
        ("repeat_every_seconds", "often"),
        ("miss_after_seconds", "100000"),
        ("default_eta_minutes", "0"),
        ("hours_tue", "25:00-26:00"),
        ("closed_dates", "2026-02-30"),
    ];
    for (lang, out_of_range, invalid) in [
        (EN, "This value is out of range.", "This is not valid."),
        (KO, "허용 범위를 벗어났습니다.", "올바르지 않습니다."),
    ] {
        let mut fields = alert_fields(&bad);
        fields.push(("csrf", &csrf));
        let refused = app
            .form("/dashboard/cafe/settings", &[&cookie, lang], &fields)
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let b = &refused.body;
        let error = |name: &str| line_of(b, &format!("f-{name}-err")).to_owned();
        assert!(error("repeat_after_seconds").contains(out_of_range), "{b}");
        assert!(error("repeat_every_seconds").contains(invalid));
        assert!(error("miss_after_seconds").contains(out_of_range));
        assert!(error("default_eta_minutes").contains(out_of_range));
        assert!(error("hours_tue").contains(invalid));
        assert!(error("closed_dates").contains(invalid));
        assert!(line_of(b, "f-repeat_every_seconds").contains("value=\"often\""));
        assert!(line_of(b, "f-repeat_every_seconds").contains("aria-invalid=\"true\""));
        assert!(line_of(b, "f-hours_tue").contains("value=\"25:00-26:00\""));
        if lang == EN {
            english_only(b, &[]);
        } else {
            korean_only(b, &[]);
        }
    }
    let unchanged = app.state.store.shop_by_slug("cafe").await.unwrap().unwrap();
    assert_eq!(unchanged.alerts, shop.alerts);
    assert_eq!(unchanged.default_eta_minutes, 20);

    // Without opening hours the shop is always open; staff may not change any of it.
    let mut fields = alert_fields(&[]);
    fields.retain(|(n, _)| *n != "hours_on");
    fields.push(("csrf", &csrf));
    let always = app
        .form("/dashboard/cafe/settings", &[&cookie], &fields)
        .await;
    assert_eq!(always.status, StatusCode::SEE_OTHER, "{}", always.body);
    let shop = app.state.store.shop_by_slug("cafe").await.unwrap().unwrap();
    assert_eq!(shop.opening_hours, None);
    let staff_cookie = app
        .member_cookie(
            "cafe",
            "staff@cafe.example",
            orderbell_core::user::Role::Staff,
        )
        .await;
    let staff_page = app
        .page("/dashboard/cafe/settings", &[&staff_cookie, EN])
        .await;
    let mut fields = alert_fields(&[]);
    let staff_csrf = staff_page.input("csrf");
    fields.push(("csrf", &staff_csrf));
    let forbidden = app
        .form("/dashboard/cafe/settings", &[&staff_cookie], &fields)
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------------
// Guests

#[tokio::test]
async fn a_closed_shop_says_until_when_and_offers_no_checkout() {
    let app = TestApp::spawn().await;
    let (owner, _) = cafe(&app).await;
    // Open one hour a day, starting two hours from now (Seoul time).
    let now = app.state.now();
    let opens = now + SignedDuration::from_hours(2);
    let span = json!([[hhmm(opens), hhmm(opens + SignedDuration::from_hours(1))]]);
    patch_shop(
        &app,
        json!({"opening_hours": {"mon": span, "tue": span, "wed": span, "thu": span,
                                 "fri": span, "sat": span, "sun": span}}),
    )
    .await;
    let same_day = opens.to_zoned(seoul()).date() == now.to_zoned(seoul()).date();
    let (en_time, ko_time) = if same_day {
        (hhmm(opens), hhmm(opens))
    } else {
        (
            format!("tomorrow {}", hhmm(opens)),
            format!("내일 {}", hhmm(opens)),
        )
    };
    let en = app.page("/s/cafe", &[EN]).await;
    assert_eq!(en.status, StatusCode::OK);
    assert!(
        line_of(&en.body, "closed").contains(&format!("This shop is closed until {en_time}.")),
        "{}",
        en.body
    );
    assert!(line_of(&en.body, "closed").contains("role=\"status\""));
    assert!(!en.body.contains("id=\"checkout\""));
    english_only(&en.body, &[]);
    let ko = app.page("/s/cafe", &[KO]).await;
    assert!(line_of(&ko.body, "closed").contains(&format!("{ko_time}까지 주문을 받지 않습니다.")));
    assert!(!ko.body.contains("id=\"checkout\""));
    korean_only(&ko.body, &[]);
    // The board says so too, and shows no red banner while closed.
    let board = app.page("/dashboard/cafe", &[&owner, EN]).await;
    assert!(line_of(&board.body, "ready-state").contains(&format!("Closed until {en_time}")));
    assert!(!shown(&board.body, "unheard-banner"));

    // Once open, the page takes orders again.
    app.clock.advance(SignedDuration::from_mins(121));
    let open = app.page("/s/cafe", &[EN]).await;
    assert!(!open.body.contains("id=\"closed\""));
    assert!(open.body.contains("id=\"checkout\""));
}

#[tokio::test]
async fn a_missed_order_tells_the_guest_kindly_to_call_the_shop() {
    let app = TestApp::spawn().await;
    let (_, key) = cafe(&app).await;
    patch_shop(
        &app,
        json!({"phone": "+82212345678",
               "alerts": {"repeat_after_seconds": 60, "call_after_seconds": null,
                          "miss_after_seconds": 10}}),
    )
    .await;
    let (id, tracking) = place(&app, &key).await;
    app.clock.advance(SignedDuration::from_secs(11));
    orderbell_server::escalation::fire_due(&app.state)
        .await
        .unwrap();
    let order = app
        .state
        .store
        .order_by_id(&orderbell_core::OrderId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.status, orderbell_core::order::OrderStatus::Missed);

    let en = app.page(&tracking, &[EN]).await;
    let b = &en.body;
    assert!(b.contains("data-status=\"missed\""));
    assert!(b.contains("Not answered"));
    assert!(
        b.contains("Sorry — the shop could not answer your order in time, so it will not be made.")
    );
    assert!(line_of(b, "missed-call").contains("class=\"missed-call\""));
    assert!(b.contains("Please call the shop:"));
    assert!(b.contains("<a class=\"button primary\" href=\"tel:+82212345678\">"));
    english_only(b, &[]);
    let ko = app.page(&tracking, &[KO]).await;
    assert!(ko.body.contains("응답 없음"));
    assert!(ko.body.contains("가게에서 제시간에 주문을 확인하지 못해"));
    assert!(ko.body.contains("가게로 전화해 주세요:"));
    korean_only(&ko.body, &[]);
    // The part the page re-reads live says the same.
    let status = app.page(&format!("{tracking}/status"), &[EN]).await;
    assert!(status.body.contains("href=\"tel:+82212345678\""));
    assert!(status.body.contains("Please call the shop:"));

    // Without a shop phone: ask to contact the shop.
    patch_shop(&app, json!({"phone": ""})).await;
    let none = app.page(&format!("{tracking}/status"), &[EN]).await;
    assert!(none.body.contains("Please contact the shop directly."));
    assert!(!none.body.contains("tel:"));
}

// ---------------------------------------------------------------------------------------------
// Account

#[tokio::test]
async fn members_keep_a_phone_for_escalation_calls() {
    let app = TestApp::spawn().await;
    let (cookie, _) = cafe(&app).await;
    let page = app.page("/account", &[&cookie, EN]).await;
    assert!(page.body.contains("Phone for urgent calls"));
    assert!(
        page.body
            .contains("When an order goes unanswered, Orderbell calls this number.")
    );
    assert!(line_of(&page.body, "a-phone").contains("aria-describedby=\"a-phone-hint\""));
    english_only(&page.body, &[]);
    let ko = app.page("/account", &[&cookie, KO]).await;
    assert!(ko.body.contains("긴급 전화 받을 번호"));
    korean_only(&ko.body, &[]);
    let csrf = page.input("csrf");

    let missing = app
        .form("/account/phone", &[&cookie], &[("phone", "+821012345678")])
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    for (lang, words) in [
        (EN, "Enter the number in international form"),
        (KO, "국제 형식으로 입력하세요"),
    ] {
        let wrong = app
            .form(
                "/account/phone",
                &[&cookie, lang],
                &[("csrf", &csrf), ("phone", "010-1234")],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(line_of(&wrong.body, "a-phone-err").contains(words));
        assert!(line_of(&wrong.body, "a-phone").contains("value=\"010-1234\""));
        if lang == EN {
            english_only(&wrong.body, &[]);
        } else {
            korean_only(&wrong.body, &[]);
        }
    }
    let saved = app
        .form(
            "/account/phone",
            &[&cookie],
            &[("csrf", &csrf), ("phone", "+82 10-1234-5678")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), "/account?phone=1#phone");
    let owner = app
        .state
        .store
        .user_by_email("owner@cafe.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.phone.as_deref(), Some("+821012345678"));
    let shown_again = app.page("/account?phone=1", &[&cookie, EN]).await;
    assert!(line_of(&shown_again.body, "a-phone").contains("value=\"+821012345678\""));
    assert!(shown_again.body.contains("Phone number saved."));

    let removed = app
        .form(
            "/account/phone",
            &[&cookie],
            &[("csrf", &csrf), ("phone", "")],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let owner = app
        .state
        .store
        .user_by_email("owner@cafe.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.phone, None);
}
