//! Account mail through a real SMTP server: aiosmtpd (PyPI, `tests/accounts/smtp_sink.py`) on
//! loopback, requiring STARTTLS on a certificate made here and AUTH before it takes a message.
//! The tests follow the links in the mails as a person would: sign-up → confirmation, and a
//! forgotten password → a new one. Skipped loudly without aiosmtpd, unless
//! `ORDERBELL_REQUIRE_SMTP=1` (CI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::process::Stdio;
use std::time::Duration;

use orderbell_notify::mail::SmtpUrl;
use orderbell_server::notifications::config::MailSettings;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

use crate::support::{As, TestApp};

const USER: &str = "orderbell";
const PASSWORD: &str = "relay-secret-2026";

struct Sink {
    _child: tokio::process::Child,
    _dir: tempfile::TempDir,
    mails: mpsc::UnboundedReceiver<Value>,
}

impl Sink {
    /// The next mail the server received (within 20 s).
    async fn next(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(20), self.mails.recv())
            .await
            .expect("a mail within 20 s")
            .expect("the SMTP server is running")
    }

    /// Nothing more arrives for a while.
    async fn quiet(&mut self) {
        if let Ok(Some(mail)) =
            tokio::time::timeout(Duration::from_millis(1500), self.mails.recv()).await
        {
            panic!("no mail expected, got {mail}");
        }
    }
}

fn openssl(args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts the SMTP server; `None` (skipped) without aiosmtpd.
async fn sink() -> Option<(Sink, MailSettings)> {
    let dir = tempfile::tempdir().unwrap();
    // A private CA and the relay's certificate for `localhost`, signed by it.
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (ca, ca_key, cert, key, csr, ext) = (
        path("ca.pem"),
        path("ca.key"),
        path("cert.pem"),
        path("key.pem"),
        path("leaf.csr"),
        path("leaf.ext"),
    );
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Orderbell test CA",
        "-keyout",
        &ca_key,
        "-out",
        &ca,
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &key,
        "-out",
        &csr,
    ]);
    std::fs::write(
        &ext,
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &ext,
        "-out",
        &cert,
    ]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/accounts/smtp_sink.py"
    );
    let mut child = tokio::process::Command::new("python3")
        .args([script, &port.to_string(), &cert, &key, USER, PASSWORD])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
    if !matches!(&first, Ok(Ok(Some(l))) if l == "ready") {
        let why = "aiosmtpd is not installed (pip install -r tests/accounts/requirements.txt)";
        assert!(
            std::env::var("ORDERBELL_REQUIRE_SMTP").as_deref() != Ok("1"),
            "ORDERBELL_REQUIRE_SMTP=1 but the SMTP server did not start: {why}"
        );
        eprintln!("\n!!!!! SKIPPED account mail over SMTP: {why} !!!!!\n");
        return None;
    }
    let (tx, mails) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let relay = SmtpUrl::parse(&format!(
        "smtp://{USER}:{PASSWORD}@localhost:{port}?tls=starttls"
    ))
    .unwrap();
    let settings = MailSettings {
        relay,
        from: "Orderbell <bell@orderbell.test>".into(),
        ca_pem: vec![std::fs::read(&ca).unwrap()],
    };
    Some((
        Sink {
            _child: child,
            _dir: dir,
            mails,
        },
        settings,
    ))
}

async fn app_with_mail() -> Option<(TestApp, Sink)> {
    let (sink, mail) = sink().await?;
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::support::sqlite_config(dir.path());
    config.notifications.mail = Some(mail);
    Some((TestApp::spawn_with(config, Some(dir), None).await, sink))
}

/// The path of the link in a mail (`/verify/…`, `/reset/…`), checked against the public URL.
fn link_in(mail: &Value, path: &str) -> String {
    let text = mail["text"].as_str().unwrap();
    let prefix = format!("http://orderbell.test{path}");
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    assert!(
        mail["html"].as_str().unwrap().contains(link),
        "the HTML part carries the same link"
    );
    link.trim_start_matches("http://orderbell.test").to_owned()
}

async fn post_ko(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let res = app
        .http
        .post(format!("{}{path}", app.base))
        .header("accept-language", "ko-KR,ko;q=0.9")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_confirms_the_address_through_the_mail() {
    let Some((app, mut sink)) = app_with_mail().await else {
        return;
    };
    let body =
        json!({"email": "Minji@Cafe.kr", "name": "김민지", "password": "보리차 한 잔과 호두과자"});
    let (status, answer) = post_ko(&app, "/api/v1/users", body.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer, json!({"email": "minji@cafe.kr", "mail": "sent"}));

    let mail = sink.next().await;
    assert_eq!(mail["to"], json!(["minji@cafe.kr"]));
    assert_eq!(mail["from"], "bell@orderbell.test");
    assert_eq!(
        (mail["tls"].as_bool(), mail["authenticated"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(mail["content_type"], "multipart/alternative");
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .starts_with("이메일 주소를 확인해 주세요"),
        "{mail}"
    );
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .starts_with("김민지님, 안녕하세요."),
        "{mail}"
    );
    let verify = link_in(&mail, "/verify/");

    // Unconfirmed: signing in works, creating a shop does not.
    let cookie = As::Session(app.login("minji@cafe.kr", "보리차 한 잔과 호두과자").await);
    let me = app.get("/api/v1/me", &cookie).await;
    assert_eq!(me.body["user"]["email_verified"], false);
    let shop =
        json!({"slug": "minji", "name": "민지네", "currency": "KRW", "time_zone": "Asia/Seoul"});
    let refused = app.post("/api/v1/shops", &cookie, shop.clone()).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "email_unverified")
    );

    // Signing up again with the same address answers the same; the mailbox gets a notice,
    // not a second account.
    let (status, again) = post_ko(&app, "/api/v1/users", body).await;
    assert_eq!((status, &again), (StatusCode::ACCEPTED, &answer));
    let notice = sink.next().await;
    assert!(
        notice["subject"].as_str().unwrap().starts_with("계정 안내"),
        "{notice}"
    );
    link_in(&notice, "/reset");

    // The link's page only shows a button (a mail scanner opening it uses nothing up).
    let page = app
        .http
        .get(format!("{}{verify}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let token = verify.trim_start_matches("/verify/");
    let confirmed = app
        .post(
            &format!("/api/v1/email-verification/{token}"),
            &As::Nobody,
            json!({}),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    assert_eq!(confirmed.body["user"]["email_verified"], true);
    assert!(
        confirmed.headers["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("orderbell_session=")
    );
    let created = app.post("/api/v1/shops", &cookie, shop).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    // Used once.
    let reused = app
        .post(
            &format!("/api/v1/email-verification/{token}"),
            &As::Nobody,
            json!({}),
        )
        .await;
    assert_eq!(reused.status, StatusCode::NOT_FOUND);
    let resend = app
        .post("/api/v1/me/email-verification", &cookie, json!({}))
        .await;
    assert_eq!(resend.status, StatusCode::CONFLICT, "confirmed already");
    sink.quiet().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_through_the_mail() {
    let Some((app, mut sink)) = app_with_mail().await else {
        return;
    };
    let (owner, _) = app.shop_with_key("cafe", &["orders:read"]).await;
    let old_session = As::Session(app.login(&owner.email, "a long password").await);

    // Unknown addresses get the same answer and no mail.
    let (status, answer) = post_ko(
        &app,
        "/api/v1/password-reset",
        json!({"email": "nobody@cafe.kr"}),
    )
    .await;
    assert_eq!(
        (status, answer["mail"].as_str()),
        (StatusCode::ACCEPTED, Some("sent"))
    );
    sink.quiet().await;

    let res = app
        .post(
            "/api/v1/password-reset",
            &As::Nobody,
            json!({"email": owner.email}),
        )
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.body);
    let mail = sink.next().await;
    assert_eq!(mail["to"], json!([owner.email]));
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .starts_with("Set a new password"),
        "{mail}"
    );
    let reset = link_in(&mail, "/reset/");
    let token = reset.trim_start_matches("/reset/").to_owned();
    let page = app
        .http
        .get(format!("{}{reset}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    // A guessable password is refused and the link still works.
    let path = format!("/api/v1/password-reset/{token}");
    for weak in ["password1234", &owner.email] {
        let r = app
            .post(&path, &As::Nobody, json!({"password": weak}))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            "{}",
            r.body
        );
        assert_eq!(r.body["error"]["fields"][0]["code"], "weak_password");
    }
    let r = app
        .post(
            &path,
            &As::Nobody,
            json!({"password": "seven green tea leaves"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    // Once only; every session ended; the new password signs in.
    let again = app
        .post(
            &path,
            &As::Nobody,
            json!({"password": "eight green tea leaves"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/me", &old_session).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.login(&owner.email, "seven green tea leaves").await;
    let page = app
        .http
        .get(format!("{}{reset}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        StatusCode::NOT_FOUND,
        "the used link's page says so"
    );

    // Mail to one address is limited, whoever asks (the same answer for every address).
    let mut limited = false;
    for _ in 0..8 {
        let r = app
            .post(
                "/api/v1/password-reset",
                &As::Nobody,
                json!({"email": owner.email}),
            )
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "account mail to one address is rate-limited");
}

/// Without `[mail]`, sign-up signs in at once (201) and reset says mail is not set up.
#[tokio::test]
async fn without_mail_sign_up_signs_in_and_reset_says_what_to_configure() {
    let app = TestApp::spawn().await;
    let r = app
        .post(
            "/api/v1/users",
            &As::Nobody,
            json!({"email": "a@cafe.kr", "name": "A", "password": "a long password"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["user"]["email_verified"], true);
    let weak = app
        .post(
            "/api/v1/users",
            &As::Nobody,
            json!({"email": "b@cafe.kr", "name": "B", "password": "qwertyuiop"}),
        )
        .await;
    assert_eq!(
        weak.body["error"]["fields"][0]["code"], "weak_password",
        "{}",
        weak.body
    );
    let reset = app
        .post(
            "/api/v1/password-reset",
            &As::Nobody,
            json!({"email": "a@cafe.kr"}),
        )
        .await;
    assert_eq!(
        (reset.status, reset.code()),
        (StatusCode::CONFLICT, "not_configured")
    );
}

/// The pages: sign-up ends on "check your mail", the link's page confirms with a button and
/// signs in; a forgotten password from the login page to a new one — every page in the
/// reader's language only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_follow_the_mail_in_korean_and_english() {
    use crate::pages_support::{EN, KO, english_only, korean_only};
    let Some((app, mut sink)) = app_with_mail().await else {
        return;
    };
    let login = app.page("/login", &[KO]).await;
    assert!(
        login.body.contains("href=\"/reset\""),
        "a way back in from the login page"
    );

    let signed_up = app
        .form(
            "/signup",
            &[KO],
            &[
                ("name", "박서준"),
                ("email", "seojun@cafe.kr"),
                ("password", "오늘은 호떡을 굽는 날"),
            ],
        )
        .await;
    assert_eq!(signed_up.status, StatusCode::ACCEPTED, "{}", signed_up.body);
    korean_only(&signed_up.body, &["seojun@cafe.kr"]);
    assert!(
        signed_up
            .cookies()
            .iter()
            .all(|c| !c.starts_with("orderbell_session="))
    );
    let verify = link_in(&sink.next().await, "/verify/");
    let page = app.page(&verify, &[KO]).await;
    assert_eq!(page.status, StatusCode::OK);
    korean_only(&page.body, &[]);
    let confirmed = app.form(&verify, &[KO], &[]).await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
    assert_eq!(confirmed.location(), "/dashboard");
    assert!(
        confirmed
            .cookies()
            .iter()
            .any(|c| c.starts_with("orderbell_session="))
    );
    let used = app.page(&verify, &[EN]).await;
    assert_eq!(used.status, StatusCode::NOT_FOUND);
    english_only(&used.body, &[]);

    // A forgotten password, in English.
    let form = app.page("/reset", &[EN]).await;
    assert_eq!(form.status, StatusCode::OK);
    english_only(&form.body, &[]);
    let sent = app
        .form("/reset", &[EN], &[("email", "seojun@cafe.kr")])
        .await;
    assert_eq!(sent.status, StatusCode::ACCEPTED);
    english_only(&sent.body, &["seojun@cafe.kr"]);
    let reset = link_in(&sink.next().await, "/reset/");
    let page = app.page(&reset, &[KO]).await;
    korean_only(&page.body, &["seojun@cafe.kr"]);
    let weak = app
        .form(&reset, &[KO], &[("password", "qwerty123456")])
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    korean_only(&weak.body, &[]);
    assert!(
        weak.body.contains("추측하기 쉬운 비밀번호"),
        "{}",
        weak.body
    );
    let done = app
        .form(&reset, &[KO], &[("password", "바다가 보이는 작은 카페")])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    korean_only(&done.body, &[]);
    assert!(
        app.page_login("seojun@cafe.kr", "바다가 보이는 작은 카페")
            .await
            .len()
            > 10
    );
    // Forms from elsewhere are refused.
    let forged = app
        .form_from(
            "/reset",
            &[EN],
            &[("email", "seojun@cafe.kr")],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

async fn login_from(app: &TestApp, email: &str, password: &str, browser: &str) -> As {
    let res = app
        .http
        .post(format!("{}/api/v1/session", app.base))
        .header("user-agent", browser)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    As::Session(
        cookie
            .trim_start_matches("orderbell_session=")
            .split(';')
            .next()
            .unwrap()
            .to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_goes_by_mail_and_its_link_joins_the_shop() {
    let Some((app, mut sink)) = app_with_mail().await else {
        return;
    };
    let (owner, _) = app.shop_with_key("cafe", &["orders:read"]).await;
    let boss = As::Session(app.login(&owner.email, "a long password").await);
    let made = app
        .post(
            "/api/v1/shops/cafe/invitations",
            &boss,
            json!({"role": "manager", "email": "Jisoo@Cafe.kr"}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.body["email"], "jisoo@cafe.kr");
    assert_eq!(made.body["role"], "manager");
    let url = made.body["url"].as_str().unwrap().to_owned();
    let mail = sink.next().await;
    assert_eq!(mail["to"], json!(["jisoo@cafe.kr"]));
    let subject = mail["subject"].as_str().unwrap();
    assert!(
        subject.contains("Shop cafe") && !subject.contains('{'),
        "{mail}"
    );
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains("Test User") && !text.contains('{'), "{mail}");
    let link = link_in(&mail, "/invite/");
    assert_eq!(format!("http://orderbell.test{link}"), url);
    let token = link.trim_start_matches("/invite/");

    // The invited person has (or makes) an account, signs in and accepts.
    let jisoo = app.user("jisoo@cafe.kr", "a long password").await;
    let guest = app
        .get(&format!("/api/v1/invitations/{token}"), &As::Nobody)
        .await;
    assert_eq!(guest.status, StatusCode::OK, "{}", guest.body);
    assert_eq!(
        (guest.body["shop"].as_str(), guest.body["role"].as_str()),
        (Some("cafe"), Some("manager"))
    );
    let anonymous = app
        .post(
            &format!("/api/v1/invitations/{token}"),
            &As::Nobody,
            json!({}),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let session = As::Session(app.login(&jisoo.email, "a long password").await);
    let joined = app
        .post(&format!("/api/v1/invitations/{token}"), &session, json!({}))
        .await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
    assert_eq!(joined.body["member"]["role"], "manager");
    let me = app.get("/api/v1/me", &session).await;
    assert_eq!(me.body["shops"][0]["role"], "manager", "{}", me.body);
    // Single use; the owner's list no longer shows it.
    let again = app
        .post(&format!("/api/v1/invitations/{token}"), &session, json!({}))
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let open = app.get("/api/v1/shops/cafe/invitations", &boss).await;
    assert_eq!(open.body, json!([]));
    sink.quiet().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_from_a_new_device_is_mailed_unless_turned_off() {
    let Some((app, mut sink)) = app_with_mail().await else {
        return;
    };
    let owner = app.user("minji@cafe.kr", "a long password").await;
    let phone = "Mozilla/5.0 (Linux; Android 14) Chrome/131.0.0.0 Mobile";
    // The first sign-in ever is no news; the same browser, a version later, neither.
    let session = login_from(&app, &owner.email, "a long password", phone).await;
    login_from(
        &app,
        &owner.email,
        "a long password",
        "Mozilla/5.0 (Linux; Android 14) Chrome/132.0.0.0 Mobile",
    )
    .await;
    sink.quiet().await;
    // Another browser is.
    let laptop = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0";
    login_from(&app, &owner.email, "a long password", laptop).await;
    let mail = sink.next().await;
    assert_eq!(mail["to"], json!(["minji@cafe.kr"]));
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .starts_with("A sign-in from a new device"),
        "{mail}"
    );
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains(laptop) && text.contains("127.0.0.1"),
        "{text}"
    );
    link_in(&mail, "/reset");
    // Known now.
    login_from(&app, &owner.email, "a long password", laptop).await;
    sink.quiet().await;
    // Turned off on the account: no more mail.
    let me = app.get("/api/v1/me", &session).await;
    assert_eq!(me.body["sign_in_mail"], true);
    let off = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/me",
            &session,
            Some(json!({"sign_in_mail": false})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_eq!(off.body["sign_in_mail"], false);
    login_from(
        &app,
        &owner.email,
        "a long password",
        "Safari/17 (Macintosh)",
    )
    .await;
    sink.quiet().await;
}
