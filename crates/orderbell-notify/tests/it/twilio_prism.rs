//! Sends WhatsApp messages and creates escalation calls against a mock of api.twilio.com that
//! enforces Twilio's own OpenAPI description (twilio-oai's `twilio_api_v2010.json`, served by
//! `@stoplight/prism-cli@5.14.2`). Prism checks Basic auth presence, required fields, types,
//! formats, enums and the AccountSid pattern and answers 201 with the spec's example only for
//! a valid request.
//!
//! Calls never send `StatusCallbackEvent`: the spec types it as an array, which Prism cannot
//! match with form fields (the shared copy widens only `MediaUrl` and `PersistentAction`), and
//! Twilio's default (the `completed` event, whose `CallStatus` says answered, busy, no-answer
//! or failed) is all an escalation needs.
//!
//! Spec: `$ORDERBELL_TWILIO_SPEC`, else `<crate>/../../../shared/testdata/twilio_api_v2010.prism.json`.
//! Prism: `$ORDERBELL_PRISM_BIN` (a `prism` executable), else `npx --yes @stoplight/prism-cli@5.14.2`.
//! When Prism cannot start the test is skipped loudly, or fails with `ORDERBELL_REQUIRE_PRISM=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use orderbell_notify::twilio::{
    TwilioClient, TwilioConfig, VoiceCall, WhatsAppContent, WhatsAppMessage, twiml,
};
use orderbell_notify::{SecretString, SendError};
use tokio::process::{Child, Command};

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";

fn spec_path() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("ORDERBELL_TWILIO_SPEC") {
        return Some(PathBuf::from(p));
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/twilio_api_v2010.prism.json");
    p.exists().then_some(p)
}

fn skip_or_fail(why: &str) {
    if std::env::var("ORDERBELL_REQUIRE_PRISM").as_deref() == Ok("1") {
        panic!("ORDERBELL_REQUIRE_PRISM=1 but Prism is unavailable: {why}");
    }
    eprintln!(
        "\n!!!!! SKIPPED twilio_prism: {why} (set ORDERBELL_REQUIRE_PRISM=1 to make this fail) !!!!!\n"
    );
}

async fn start_prism(spec: &PathBuf) -> Result<(Child, u16), String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| e.to_string())?
        .local_addr()
        .map_err(|e| e.to_string())?
        .port();
    let mut cmd = match std::env::var("ORDERBELL_PRISM_BIN") {
        Ok(bin) => Command::new(bin),
        Err(_) => {
            let mut c = Command::new("npx");
            c.args(["--yes", "@stoplight/prism-cli@5.14.2"]);
            c
        }
    };
    cmd.args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
        .arg(spec)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| format!("cannot run prism: {e}"))?;
    // Ready means an HTTP answer (any status), not just a TCP connect: the port came from the
    // ephemeral range, and a connect to it while nothing listens can land on the probe's own
    // socket (a TCP self-connect), which looked like a ready Prism and failed the first call.
    let probe = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(180);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("prism exited early: {status}"));
        }
        if probe
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .is_ok()
        {
            return Ok((child, port));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err("prism did not listen within 180 s".into())
}

fn client(port: u16, account_sid: &str) -> TwilioClient {
    TwilioClient::new(
        orderbell_notify::default_http_client().unwrap(),
        TwilioConfig {
            api_url: format!("http://127.0.0.1:{port}").parse().unwrap(),
            account_sid: account_sid.into(),
            auth_token: SecretString::from("test-auth-token".to_owned()),
            whatsapp_from: "+14155238886".into(),
            status_callback: Some("https://orderbell.example/webhooks/twilio/status".into()),
            voice_from: Some("+15005550006".into()),
        },
    )
}

/// Starts Prism, or says why the test is skipped (`None`).
async fn prism() -> Option<(Child, u16)> {
    let Some(spec) = spec_path() else {
        skip_or_fail("spec not found (set ORDERBELL_TWILIO_SPEC)");
        return None;
    };
    match start_prism(&spec).await {
        Ok(p) => Some(p),
        Err(e) => {
            skip_or_fail(&e);
            None
        }
    }
}

#[tokio::test]
async fn messages_api_accepts_text_and_template_messages() {
    let Some((_prism, port)) = prism().await else {
        return;
    };
    let c = client(port, ACCOUNT_SID);

    let text = WhatsAppMessage {
        to: "+821012345678".into(),
        content: WhatsAppContent::Text("New order #1042: 2× Americano — ₩10,000".into()),
        status_callback: None,
    };
    let sent = c
        .send_whatsapp(&text)
        .await
        .expect("Body message must get 201 from the spec mock");
    assert!(
        sent.sid.starts_with("SM") || sent.sid.starts_with("MM"),
        "{sent:?}"
    );
    assert!(!sent.status.is_empty());

    let template = WhatsAppMessage {
        to: "whatsapp:+821012345678".into(),
        content: WhatsAppContent::Template {
            content_sid: "HXb5b62575e6e4ff6129ad7c8efe1f983e".into(),
            variables: BTreeMap::from([("1".into(), "1042".into()), ("2".into(), "15".into())]),
        },
        status_callback: None,
    };
    c.send_whatsapp(&template)
        .await
        .expect("ContentSid message must get 201 from the spec mock");

    // The mock really validates: an AccountSid outside the spec's pattern is refused, and our
    // client reports a permanent (not retryable) failure.
    let bad = client(port, "AC123")
        .send_whatsapp(&text)
        .await
        .unwrap_err();
    assert!(matches!(bad, SendError::Permanent { .. }), "{bad:?}");
}

fn escalation_call() -> VoiceCall {
    let url = "https://orderbell.example/webhooks/twilio/call/1042?tries=1&shop=7";
    VoiceCall {
        to: "+821012345678".into(),
        twiml: twiml::alert_call(
            "새 주문 1042번, Kim & Lee's <Café>: 아메리카노 2잔",
            "ko-KR",
            url,
            "수락은 1번, 거절은 2번을 누르세요.",
        ),
        ring_timeout_secs: Some(30),
        time_limit_secs: Some(180),
        status_callback: Some("https://orderbell.example/webhooks/twilio/call-status".into()),
    }
}

#[tokio::test]
async fn calls_api_accepts_an_escalation_call() {
    let Some((_prism, port)) = prism().await else {
        return;
    };
    let c = client(port, ACCOUNT_SID);
    let created = c
        .create_call(&escalation_call())
        .await
        .expect("a Twiml call must get 201 from the spec mock");
    assert!(created.sid.starts_with("CA"), "{created:?}");
    assert!(!created.status.is_empty());

    let bare = VoiceCall {
        twiml: twiml::say_and_hang_up("Order 1042 accepted, ready in 15 minutes", "en-US"),
        ring_timeout_secs: None,
        time_limit_secs: None,
        status_callback: None,
        ..escalation_call()
    };
    c.create_call(&bare)
        .await
        .expect("To, From and Twiml alone must get 201 from the spec mock");

    let bad = client(port, "AC123")
        .create_call(&escalation_call())
        .await
        .unwrap_err();
    assert!(matches!(bad, SendError::Permanent { .. }), "{bad:?}");
}

/// The mock checks the Calls body itself, so the 201 above means something: our exact form
/// is accepted, and the same form without `To`, with a non-integer `Timeout`, or with a
/// `StatusCallback` that is not a URI is refused with 422.
#[tokio::test]
async fn calls_api_refuses_a_missing_or_mistyped_field() {
    let Some((_prism, port)) = prism().await else {
        return;
    };
    let c = client(port, ACCOUNT_SID);
    let form = c.call_form_fields(&escalation_call()).unwrap();
    let url = format!("http://127.0.0.1:{port}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json");
    let http = orderbell_notify::default_http_client().unwrap();
    let post = |form: Vec<(&'static str, String)>| {
        http.post(&url)
            .basic_auth(ACCOUNT_SID, Some("test-auth-token"))
            .form(&form)
            .send()
    };
    let with = |name: &str, value: &str| {
        form.iter()
            .map(|(k, v)| {
                (
                    *k,
                    if *k == name {
                        value.to_owned()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect::<Vec<_>>()
    };

    let ok = post(form.clone()).await.unwrap();
    assert_eq!(ok.status().as_u16(), 201, "{}", ok.text().await.unwrap());

    let no_to: Vec<_> = form.iter().filter(|(k, _)| *k != "To").cloned().collect();
    for (what, bad) in [
        ("no To", no_to),
        ("Timeout not an integer", with("Timeout", "thirty")),
        (
            "StatusCallback not a URI",
            with("StatusCallback", "call me back"),
        ),
    ] {
        let resp = post(bad).await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap();
        assert_eq!(status, 422, "{what}: {body}");
    }

    // Through the client such a refusal is permanent: ringing again with the same request
    // cannot help.
    let refused = c
        .create_call(&VoiceCall {
            status_callback: Some("call me back".into()),
            ..escalation_call()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(refused, SendError::Permanent { .. }),
        "{refused:?}"
    );
    assert_eq!(refused.code(), Some("422"), "{refused:?}");

    // And without Basic auth nothing is created.
    let no_auth = reqwest::Client::new()
        .post(&url)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(no_auth.status().as_u16(), 401);
}
