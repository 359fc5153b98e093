//! The escalation call's TwiML against Twilio's own helper library: every document
//! `twilio::twiml` writes is rebuilt with PyPI `twilio`'s `VoiceResponse` from the same
//! arguments and compared as parsed XML by `tests/python/twiml_check.py` (hostile shop names,
//! Korean text, URLs with `&`, control characters). Without the `twilio` module the check is
//! skipped loudly, or fails with `ORDERBELL_REQUIRE_TWILIO_PY=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use crate::support;
use std::process::Output;

use orderbell_notify::twilio::twiml::{alert_call, say_and_hang_up};
use serde_json::{Value, json};

const URL: &str = "https://orderbell.example/webhooks/twilio/call/1042?tries=2&shop=7";

async fn python_has_twilio() -> Result<(), String> {
    let out = tokio::process::Command::new("python3")
        .args(["-c", "import twilio.twiml.voice_response"])
        .output()
        .await
        .map_err(|e| format!("python3 not runnable: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

async fn check(cases: &Value) -> Output {
    support::run_python("twiml_check.py", &cases.to_string()).await
}

fn alert(say: &str, language: &str, url: &str, prompt: &str) -> Value {
    json!({"kind": "alert_call", "say": say, "language": language, "url": url, "prompt": prompt,
           "twiml": alert_call(say, language, url, prompt)})
}

fn hang_up(text: &str, language: &str) -> Value {
    json!({"kind": "say_and_hang_up", "text": text, "language": language,
           "twiml": say_and_hang_up(text, language)})
}

#[tokio::test]
async fn call_twiml_matches_twilio_python_voice_response() {
    if let Err(why) = python_has_twilio().await {
        if std::env::var("ORDERBELL_REQUIRE_TWILIO_PY").as_deref() == Ok("1") {
            panic!(
                "ORDERBELL_REQUIRE_TWILIO_PY=1 but python3 cannot import twilio: {why} (pip install -r tests/python/requirements.txt)"
            );
        }
        eprintln!(
            "\n!!!!! SKIPPED TwiML check with twilio-python: {why} (pip install twilio; ORDERBELL_REQUIRE_TWILIO_PY=1 makes this fail) !!!!!\n"
        );
        return;
    }

    let cases = json!([
        alert(
            "New order 1042 from Kim & Lee's <Café> \"Mimi\": 2 americanos",
            "en-US",
            URL,
            "Press 1 to accept, 2 to reject.",
        ),
        alert(
            "새 주문 1042번, 김&리 <카페>: 아메리카노 2잔, ₩10,000",
            "ko-KR",
            URL,
            "수락은 1번, 거절은 2번을 누르세요.",
        ),
        // A language without a chosen voice, markup-looking text, and a stray control byte.
        alert(
            "</Say><Dial>+15550000000</Dial> ]]> tab\there\u{7}",
            "ja-JP",
            "https://orderbell.example/cb?a='1'&b=\"2\"",
            "1 / 2",
        ),
        hang_up("Order 1042 accepted, ready in 15 minutes", "en-US"),
        hang_up("주문 1042번을 거절했습니다.", "ko-KR"),
        hang_up("Kim & Lee's: 'rejected' <sold out>", "en-US"),
    ]);
    let out = check(&cases).await;
    assert!(
        out.status.success(),
        "twilio-python disagrees with our TwiML:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["checked"], 6);

    // The check can fail: a document that lost its silence fallback, one with a raw `&`, and
    // one whose Gather takes two digits are each caught.
    let good = alert_call("Order 1042", "en-US", URL, "Press 1 or 2");
    let tampered = [
        good.replace(
            &format!(
                r#"<Redirect method="POST">{}</Redirect>"#,
                URL.replace('&', "&amp;")
            ),
            "",
        ),
        good.replace("&amp;", "&"),
        good.replace(r#"numDigits="1""#, r#"numDigits="2""#),
    ];
    for doc in tampered {
        assert_ne!(doc, good);
        let mut case = alert("Order 1042", "en-US", URL, "Press 1 or 2");
        case["twiml"] = json!(doc);
        let out = check(&json!([case])).await;
        assert!(!out.status.success(), "not caught: {doc}");
    }
}
