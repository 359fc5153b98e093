//! What Telegram and Twilio send us: any bytes as a Telegram update (or a batch of them), and
//! any URL, form and signature through the Twilio signature checks. Never a panic; a
//! signature this code computes is accepted, one for other parameters is not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderbell_notify::SecretString;
use orderbell_notify::telegram::{Update, verify_webhook_secret};
use orderbell_notify::twilio::RequestValidator;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<Update>(data);
    let _ = serde_json::from_slice::<Vec<Update>>(data);
    let secret = SecretString::from("s3cret-token".to_owned());
    let _ = verify_webhook_secret(&secret, Some(data));

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // url \n form \n signature
    let mut parts = text.splitn(3, '\n');
    let (url, form, signature) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let params: Vec<(&str, &str)> = form
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    let validator = RequestValidator::new(SecretString::from("twilio-auth-token".to_owned()));
    let _ = validator.validate(url, &params, signature);
    let _ = validator.validate_json_body(url, form, signature);
    let good = validator.compute_signature(url, &params);
    assert!(validator.validate(url, &params, &good));
    let mut other = params.clone();
    other.push(("Injected", "1"));
    assert!(!validator.validate(url, &other, &good));
});
