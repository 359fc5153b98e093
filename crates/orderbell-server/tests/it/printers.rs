//! The device WebSocket: authentication before the upgrade, the hello/welcome handshake, jobs
//! for new orders, acknowledgements, bad and oversized frames, heartbeats, revocation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::time::Duration;

use crate::support::{As, TestApp, americano_order};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const GUARD: Duration = Duration::from_secs(30);

async fn connect(app: &TestApp, token: &str) -> Socket {
    let url = format!("{}/api/v1/devices/ws", app.base.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.status(), 101);
    socket
}

async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(GUARD, socket.next())
            .await
            .expect("a frame in time")
            .unwrap()
            .unwrap();
        match message {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

async fn send(socket: &mut Socket, frame: Value) {
    socket
        .send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
}

fn hello() -> Value {
    json!({"type":"hello","protocol":1,"client_version":"test/1","capabilities":{"paper":"80mm","text_mode":"ks_x_1001","cutter":true,"drawer":false}})
}

async fn printer(app: &TestApp, key: &As, body: Value) -> (String, String) {
    let res = app.post("/api/v1/shops/dev/printers", key, body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    (
        res.body["printer"]["id"].as_str().unwrap().to_owned(),
        res.body["token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn tokens_are_checked_before_the_upgrade() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .shop_with_key("dev", &["orders:write", "orders:read", "manage"])
        .await;
    let (id, token) = printer(&app, &As::Key(key.clone()), json!({"name":"Counter"})).await;
    let url = format!("{}/api/v1/devices/ws", app.base);
    for bad in [None, Some("obd_wrong"), Some(key.as_str())] {
        let mut req = app.http.get(&url);
        if let Some(t) = bad {
            req = req.bearer_auth(t);
        }
        let res = app.send(req).await;
        assert_eq!(
            (res.status, res.code()),
            (StatusCode::UNAUTHORIZED, "unauthenticated"),
            "{bad:?}"
        );
    }
    // The right token without a WebSocket upgrade is told to upgrade.
    let res = app.send(app.http.get(&url).bearer_auth(&token)).await;
    assert_eq!(res.status, StatusCode::UPGRADE_REQUIRED);
    let res = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/shops/dev/printers/{id}"),
            &As::Key(key),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = app.send(app.http.get(&url).bearer_auth(&token)).await;
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "a revoked token is refused"
    );
}

/// A printer receives every ticket, so only a caller that may read orders manages printers; a
/// key's printers go when the key goes, and a connected one is cut off at once.
#[tokio::test]
async fn printers_are_for_callers_that_may_read_orders() {
    let app = TestApp::spawn().await;
    let (owner, full) = app
        .shop_with_key("dev", &["orders:write", "orders:read", "manage"])
        .await;
    let shop = app.state.store.shop_by_slug("dev").await.unwrap().unwrap();
    let key = |scopes: &[&str]| {
        let (app, shop) = (&app, shop.clone());
        let scopes: Vec<_> = scopes
            .iter()
            .map(|s| orderbell_store::Scope::parse(s).unwrap())
            .collect();
        async move {
            let k = orderbell_server::api::shops::issue_api_key(&app.state, &shop.id, "k", scopes)
                .await
                .unwrap();
            (k.api_key.id, k.key)
        }
    };
    let (_, manage_only) = key(&["manage"]).await;
    let (owners_printer, _) =
        printer(&app, &As::Key(full.clone()), json!({"name":"Counter"})).await;
    let manage_only = As::Key(manage_only);
    let res = app
        .post(
            "/api/v1/shops/dev/printers",
            &manage_only,
            json!({"name":"Sneaky"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("orders:read")
    );
    for (method, body) in [
        (reqwest::Method::PATCH, Some(json!({"name":"Mine"}))),
        (reqwest::Method::DELETE, None),
    ] {
        let res = app
            .call(
                method,
                &format!("/api/v1/shops/dev/printers/{owners_printer}"),
                &manage_only,
                body,
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    }

    // A key that may read orders adds one; revoking the key revokes it and cuts it off.
    let (key_id, reader) = key(&["manage", "orders:read"]).await;
    let (_, token) = printer(&app, &As::Key(reader), json!({"name":"Kitchen"})).await;
    let mut ws = connect(&app, &token).await;
    send(&mut ws, hello()).await;
    assert_eq!(next_json(&mut ws).await["type"], "welcome");
    let cookie = As::Session(app.login(&owner.email, "a long password").await);
    let res = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/shops/dev/apikeys/{key_id}"),
            &cookie,
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let closed = tokio::time::timeout(GUARD, async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the key's printer was cut off");
    let url = format!("{}/api/v1/devices/ws", app.base);
    let res = app.send(app.http.get(&url).bearer_auth(&token)).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    // The owner's own printer stays.
    let list = app.get("/api/v1/shops/dev/printers", &As::Key(full)).await;
    let live: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["revoked_at"].is_null())
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(live, ["Counter"], "{}", list.body);
}

/// A client that reports its state in a loop costs neither writes nor events: a repeat is
/// recorded once, a change at most once a second and never lost.
#[tokio::test]
async fn repeated_status_reports_are_recorded_once() {
    use orderbell_server::events::EventKind;
    let app = TestApp::spawn().await;
    let (_, key) = app
        .shop_with_key("dev", &["orders:write", "orders:read", "manage"])
        .await;
    let (id, token) = printer(&app, &As::Key(key.clone()), json!({"name":"Counter"})).await;
    let mut ws = connect(&app, &token).await;
    send(&mut ws, hello()).await;
    assert_eq!(next_json(&mut ws).await["type"], "welcome");
    let mut events = app.state.events.subscribe();
    for _ in 0..300 {
        send(&mut ws, json!({"type":"status","state":"paper_out"})).await;
    }
    // Then a change right away: it waits for the gap, and is recorded.
    send(&mut ws, json!({"type":"status","state":"online"})).await;
    let mut seen = vec![];
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.last().map(String::as_str) != Some("online") {
        let event = tokio::time::timeout_at(until, events.recv())
            .await
            .expect("the change is recorded")
            .unwrap();
        if event.kind == EventKind::PrinterStatus {
            let list = app
                .get("/api/v1/shops/dev/printers", &As::Key(key.clone()))
                .await;
            let mine = list
                .body
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["id"] == id.as_str())
                .unwrap()["status"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            // (The connection's own event may come first, before any report.)
            if !mine.is_empty() {
                seen.push(mine);
            }
        }
    }
    assert!(
        seen.len() <= 3,
        "one event per change, not per report: {seen:?}"
    );
    assert_eq!(seen.first().map(String::as_str), Some("paper_out"));
}

#[tokio::test]
async fn jobs_flow_and_bad_frames_get_error_frames() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .shop_with_key("dev", &["orders:write", "orders:read", "manage"])
        .await;
    let key = As::Key(key);
    let (id, token) = printer(&app, &key, json!({"name":"Counter","copies":2})).await;
    let mut ws = connect(&app, &token).await;

    // Anything before hello is refused, and the connection stays usable.
    send(
        &mut ws,
        json!({"type":"ack","job_id":"x","stage":"printed"}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["code"], "unexpected_frame");
    send(&mut ws, hello()).await;
    let welcome = next_json(&mut ws).await;
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["printer_id"], id.as_str());
    assert_eq!(welcome["printer_name"], "Counter");
    assert_eq!(welcome["shop"]["slug"], "dev");

    // The shop's own lines travel with every ticket.
    let patched = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/shops/dev",
            &key,
            Some(json!({"receipt": {"header": "1 Main St", "footer": "Thank you!"}})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["receipt"]["footer"], "Thank you!");
    let order = app
        .post("/api/v1/shops/dev/orders", &key, americano_order())
        .await
        .body;
    let first = next_json(&mut ws).await;
    let second = next_json(&mut ws).await;
    assert_eq!(
        (
            first["type"].as_str(),
            first["copy"].as_i64(),
            second["copy"].as_i64()
        ),
        (Some("job"), Some(1), Some(2))
    );
    assert_eq!(first["copies"], 2);
    assert_eq!(first["order_number"], 1001);
    assert_eq!(first["reprint"], false);
    assert_eq!(first["document"]["items"][0]["name"], "Americano");
    assert_eq!(first["document"]["total"], 10000);
    assert_eq!(first["document"]["currency"], "KRW");
    assert_eq!(first["document"]["header"], "1 Main St");
    assert_eq!(first["document"]["footer"], "Thank you!");
    assert_eq!(first["document"]["labels"]["total"], "합계");
    assert_eq!(first["document"]["tracking_url"], order["tracking_url"]);

    for frame in ["not json", "{\"type\":\"teleport\"}", "{\"type\":\"ack\"}"] {
        ws.send(Message::Text(frame.into())).await.unwrap();
        let error = next_json(&mut ws).await;
        assert_eq!(error["type"], "error", "{frame}");
    }
    ws.send(Message::Text("{\"type\":\"teleport\"}".into()))
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await["code"], "unknown_type");
    send(
        &mut ws,
        json!({"type":"ack","job_id":"0123456789abcdef0123456789abcdef","stage":"printed"}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["code"], "unknown_job");
    send(&mut ws, json!({"type":"ping","nonce":7})).await;
    assert_eq!(next_json(&mut ws).await, json!({"type":"pong","nonce":7}));

    // Acknowledgements move the jobs, visible in the order.
    for job in [&first, &second] {
        send(
            &mut ws,
            json!({"type":"ack","job_id":job["job_id"],"stage":"received"}),
        )
        .await;
    }
    send(
        &mut ws,
        json!({"type":"ack","job_id":first["job_id"],"stage":"printed"}),
    )
    .await;
    send(
        &mut ws,
        json!({"type":"status","state":"paper_out","detail":"roll empty"}),
    )
    .await;
    let path = format!("/api/v1/shops/dev/orders/{}", order["id"].as_str().unwrap());
    let deadline = tokio::time::Instant::now() + GUARD;
    loop {
        let o = app.get(&path, &key).await.body;
        let statuses: Vec<&str> = o["print_jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["status"].as_str().unwrap())
            .collect();
        let p = app.get("/api/v1/shops/dev/printers", &key).await.body;
        if statuses == ["printed", "delivered"] && p[0]["status"] == "paper_out" {
            assert_eq!(p[0]["connection"], "online");
            assert_eq!(p[0]["status_detail"], "roll empty");
            assert_eq!(p[0]["client_version"], "test/1");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{statuses:?} {p}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // After a reconnect the unfinished copy is sent again; the printed one is not.
    drop(ws);
    let mut ws = connect(&app, &token).await;
    send(&mut ws, hello()).await;
    assert_eq!(next_json(&mut ws).await["type"], "welcome");
    let again = next_json(&mut ws).await;
    assert_eq!(again["job_id"], second["job_id"]);

    // A frame over 64 KiB closes the connection with 1009; the server stays healthy.
    let big = json!({"type":"status","state":"online","detail":"x".repeat(70 * 1024)});
    ws.send(Message::Text(big.to_string().into()))
        .await
        .unwrap();
    let closed = loop {
        match tokio::time::timeout(GUARD, ws.next()).await.unwrap() {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(u16::from(closed.unwrap().code), 1009);
    assert_eq!(
        app.get("/healthz", &As::Nobody).await.status,
        StatusCode::OK
    );
    // So does one over what the socket reads at all (1 MiB).
    let mut ws = connect(&app, &token).await;
    send(&mut ws, hello()).await;
    assert_eq!(next_json(&mut ws).await["type"], "welcome");
    let huge = json!({"type":"status","state":"online","detail":"x".repeat(2 << 20)});
    let _ = ws.send(Message::Text(huge.to_string().into())).await;
    let closed = loop {
        match tokio::time::timeout(GUARD, ws.next()).await.unwrap() {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(u16::from(closed.unwrap().code), 1009);
}

#[tokio::test]
async fn revoking_a_connected_printer_disconnects_it_and_reprints_are_marked() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .shop_with_key("dev", &["orders:write", "orders:read", "manage"])
        .await;
    let key = As::Key(key);
    let (id, token) = printer(&app, &key, json!({"name":"Kitchen","auto_print":"manual"})).await;
    let mut ws = connect(&app, &token).await;
    send(&mut ws, hello()).await;
    next_json(&mut ws).await;
    let order = app
        .post("/api/v1/shops/dev/orders", &key, americano_order())
        .await
        .body;
    let print = format!(
        "/api/v1/shops/dev/orders/{}/print",
        order["id"].as_str().unwrap()
    );
    let res = app.call(reqwest::Method::POST, &print, &key, None).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let job = next_json(&mut ws).await;
    assert_eq!(
        (job["type"].as_str(), job["reprint"].as_bool()),
        (Some("job"), Some(true)),
        "manual printers print on request only"
    );

    let res = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/shops/dev/printers/{id}"),
            &key,
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let closed = loop {
        match tokio::time::timeout(GUARD, ws.next()).await.unwrap() {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(u16::from(closed.unwrap().code), 1008);
    let o = app
        .get(
            &format!("/api/v1/shops/dev/orders/{}", order["id"].as_str().unwrap()),
            &key,
        )
        .await
        .body;
    assert_eq!(o["print_jobs"][0]["status"], "failed");
    assert_eq!(o["print_jobs"][0]["error"], "printer removed");
    let res = app
        .post(
            "/api/v1/shops/dev/printers",
            &key,
            json!({"name":"X","copies":9,"auto_print":"sometimes"}),
        )
        .await;
    let fields: Vec<&str> = res.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["auto_print", "copies"]);
}

/// Print jobs expire by the time that really passed: the system clock stepping forward 13
/// hours (NTP correcting a box that booted with a stale clock) does not expire a job queued a
/// moment before; time passing afterwards does; stepping back changes nothing for new jobs.
async fn print_jobs_expire_by_real_time_across_clock_steps(app: TestApp) {
    let (_, key) = app
        .shop_with_key("dev", &["orders:write", "orders:read", "manage"])
        .await;
    let key = As::Key(key);
    // Never connected: its jobs wait.
    printer(&app, &key, json!({"name": "Kitchen"})).await;
    let new_order = async || {
        let order = app
            .post("/api/v1/shops/dev/orders", &key, americano_order())
            .await;
        assert_eq!(order.status, StatusCode::CREATED, "{}", order.body);
        order.body["id"].as_str().unwrap().to_owned()
    };
    let job_status = async |id: &str| {
        let order = app
            .get(&format!("/api/v1/shops/dev/orders/{id}"), &key)
            .await
            .body;
        order["print_jobs"][0]["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Time passing on the test clock, a second per expiry check: not a step.
    let pass = async |seconds: i64| {
        for _ in 0..seconds {
            app.clock.advance(jiff::SignedDuration::from_secs(1));
            tokio::time::sleep(Duration::from_millis(120)).await;
        }
    };
    let first = new_order().await;
    assert_eq!(job_status(&first).await, "queued");
    pass(1).await;
    app.clock.advance(jiff::SignedDuration::from_hours(13));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        job_status(&first).await,
        "queued",
        "a clock step is not time that passed"
    );
    pass(4).await;
    assert_eq!(job_status(&first).await, "expired");

    app.clock.advance(jiff::SignedDuration::from_hours(-13));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = new_order().await;
    pass(1).await;
    assert_eq!(job_status(&second).await, "queued");
    pass(4).await;
    assert_eq!(job_status(&second).await, "expired");
}

fn short_expiry(config: &mut orderbell_server::config::Config) {
    config.printing.job_expiry = Duration::from_secs(3);
    config.printing.expiry_check = Duration::from_millis(50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_job_expiry_survives_clock_steps_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::support::sqlite_config(dir.path());
    short_expiry(&mut config);
    print_jobs_expire_by_real_time_across_clock_steps(
        TestApp::spawn_with(config, Some(dir), None).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_job_expiry_survives_clock_steps_on_postgres() {
    if let Some(app) = TestApp::spawn_postgres_with(short_expiry).await {
        print_jobs_expire_by_real_time_across_clock_steps(app).await;
    }
}
