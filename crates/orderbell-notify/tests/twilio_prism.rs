//! Sends WhatsApp messages to a mock of api.twilio.com that enforces Twilio's own OpenAPI
//! description (twilio-oai's `twilio_api_v2010.json`, served by `@stoplight/prism-cli@5.14.2`).
//! Prism checks Basic auth presence, required fields, types, enums and the AccountSid pattern
//! and answers 201 with the spec's example only for a valid request.
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

use orderbell_notify::SecretString;
use orderbell_notify::twilio::{TwilioClient, TwilioConfig, WhatsAppContent, WhatsAppMessage};
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
    let deadline = Instant::now() + Duration::from_secs(180);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("prism exited early: {status}"));
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
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
        },
    )
}

#[tokio::test]
async fn messages_api_accepts_text_and_template_messages() {
    let Some(spec) = spec_path() else {
        skip_or_fail("spec not found (set ORDERBELL_TWILIO_SPEC)");
        return;
    };
    let (_prism, port) = match start_prism(&spec).await {
        Ok(p) => p,
        Err(e) => {
            skip_or_fail(&e);
            return;
        }
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
    assert!(
        matches!(bad, orderbell_notify::SendError::Permanent { .. }),
        "{bad:?}"
    );
}
