//! TwiML documents for escalation phone calls: when nobody answers a new order on screen,
//! Orderbell rings the shop owner, reads the order out, and takes the answer from the keypad
//! (1 accept, 2 reject).
//!
//! How Twilio runs [`alert_call`]: the order and the prompt are read inside `<Gather>`, and a
//! key pressed while they play cuts them short. One key ends the `<Gather>` and Twilio POSTs
//! it as `Digits` to the action URL; the rest of the document is not run. When the owner
//! presses nothing for [`GATHER_TIMEOUT_SECS`] seconds, Twilio does *not* call the action
//! URL: it goes on with the next verb, here a `<Redirect>` to the same URL, without
//! `Digits`. So every way out reaches the server at one URL, and
//! [`KeypadChoice::from_digits`] reads what was chosen: the server answers [`say_and_hang_up`]
//! for 1 or 2, and [`alert_call`] again for anything else. The server bounds the repeats
//! (for example with a `tries` query parameter in the URL it passes here) and the call's
//! `TimeLimit` bounds the whole call.
//!
//! The documents are written by hand (no XML dependency): a few fixed elements, and text and
//! attribute values passed through [`escape`].

/// Seconds of silence after the prompt before `<Gather>` gives up and the call moves on to
/// the `<Redirect>`.
pub const GATHER_TIMEOUT_SECS: u32 = 8;

const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// What the person on the phone chose, from the `Digits` Twilio posted (none after silence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeypadChoice {
    /// `1`: accept the order.
    Accept,
    /// `2`: reject the order.
    Reject,
    /// Silence, or any other key: read the order and the prompt again.
    Repeat,
}

impl KeypadChoice {
    /// Reads the `Digits` parameter of the request Twilio makes to the action URL.
    pub fn from_digits(digits: Option<&str>) -> Self {
        match digits.map(str::trim) {
            Some("1") => KeypadChoice::Accept,
            Some("2") => KeypadChoice::Reject,
            _ => KeypadChoice::Repeat,
        }
    }
}

/// The text-to-speech voice for a language Orderbell speaks, if it needs one.
///
/// Twilio's default voice (`man`) does not speak Korean, so Korean gets Amazon Polly's
/// `Polly.Seoyeon`; English gets `Polly.Joanna` to sound the same family. Any other language
/// is left to Twilio's default for it (no `voice` attribute).
pub fn voice_for(language: &str) -> Option<&'static str> {
    match language {
        "ko-KR" => Some("Polly.Seoyeon"),
        "en-US" => Some("Polly.Joanna"),
        _ => None,
    }
}

/// The call that announces an order and asks for a key.
///
/// `say` is the announcement ("New order 1042 from Café Mimi: two americanos"), `prompt` the
/// question ("Press 1 to accept, 2 to reject"), `language` a BCP-47 tag Twilio's `<Say>`
/// knows (`ko-KR`, `en-US`). `gather_action_url` must be absolute (`https://…`): a document
/// sent inline with the call has no URL of its own to resolve a relative one against. It is
/// used both for the key pressed and, after silence, for the `<Redirect>`.
pub fn alert_call(say: &str, language: &str, gather_action_url: &str, prompt: &str) -> String {
    let url = escape(gather_action_url);
    let mut doc = String::with_capacity(512 + 2 * (say.len() + prompt.len()));
    doc.push_str(XML_DECLARATION);
    doc.push_str("<Response>");
    doc.push_str(&format!(
        r#"<Gather input="dtmf" numDigits="1" timeout="{GATHER_TIMEOUT_SECS}" action="{url}" method="POST">"#
    ));
    push_say(&mut doc, say, language);
    push_say(&mut doc, prompt, language);
    doc.push_str("</Gather>");
    doc.push_str(&format!(r#"<Redirect method="POST">{url}</Redirect>"#));
    doc.push_str("</Response>");
    doc
}

/// Says `text` ("Order 1042 accepted, ready in 15 minutes") and ends the call.
pub fn say_and_hang_up(text: &str, language: &str) -> String {
    let mut doc = String::with_capacity(160 + text.len());
    doc.push_str(XML_DECLARATION);
    doc.push_str("<Response>");
    push_say(&mut doc, text, language);
    doc.push_str("<Hangup/></Response>");
    doc
}

fn push_say(doc: &mut String, text: &str, language: &str) {
    doc.push_str(r#"<Say language=""#);
    doc.push_str(&escape(language));
    doc.push('"');
    if let Some(voice) = voice_for(language) {
        doc.push_str(r#" voice=""#);
        doc.push_str(voice);
        doc.push('"');
    }
    doc.push('>');
    doc.push_str(&escape(text));
    doc.push_str("</Say>");
}

/// Makes `s` safe as XML character data and as a double- or single-quoted attribute value.
///
/// The five characters XML gives meaning to become entities (`&` first of all, so shop names
/// like "Kim & Lee" and URLs with `?a=1&b=2` stay well-formed; `<` and `>` so text cannot
/// open or close a tag, nor end a CDATA-like `]]>`; both quotes so an attribute cannot be
/// closed early). Characters XML 1.0 forbids outright (C0 controls other than tab, line feed
/// and carriage return, and U+FFFE/U+FFFF) cannot be written even as references, so they are
/// dropped: one stray control byte in a shop name would otherwise make Twilio reject the
/// whole document and the call. Everything else, Korean included, is written as is (UTF-8).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://orderbell.example/webhooks/twilio/call/1042?tries=1&shop=7";

    #[test]
    fn escapes_markup_quotes_and_keeps_korean() {
        assert_eq!(
            escape(r#"Kim & Lee's <Café> "Mimi""#),
            "Kim &amp; Lee&apos;s &lt;Café&gt; &quot;Mimi&quot;"
        );
        assert_eq!(escape("새 주문 #1042 — ₩10,000"), "새 주문 #1042 — ₩10,000");
        assert_eq!(escape("]]>"), "]]&gt;");
        assert_eq!(escape("a\u{0}b\u{7}c\u{1b}d\u{FFFF}"), "abcd");
        assert_eq!(escape("line\nnext\tcol\r"), "line\nnext\tcol\r");
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }

    #[test]
    fn alert_call_gathers_one_key_then_redirects_after_silence() {
        let doc = alert_call(
            "Kim & Lee's <Café>: new order 1042",
            "en-US",
            URL,
            "Press 1 to accept, 2 to reject.",
        );
        let escaped_url = "https://orderbell.example/webhooks/twilio/call/1042?tries=1&amp;shop=7";
        assert_eq!(
            doc,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
                 <Gather input=\"dtmf\" numDigits=\"1\" timeout=\"8\" action=\"{escaped_url}\" method=\"POST\">\
                 <Say language=\"en-US\" voice=\"Polly.Joanna\">Kim &amp; Lee&apos;s &lt;Café&gt;: new order 1042</Say>\
                 <Say language=\"en-US\" voice=\"Polly.Joanna\">Press 1 to accept, 2 to reject.</Say>\
                 </Gather><Redirect method=\"POST\">{escaped_url}</Redirect></Response>"
            )
        );
        // The redirect goes where the key would: one handler sees every way out.
        assert_eq!(doc.matches(escaped_url).count(), 2);
        assert!(!doc.contains("tries=1&shop"), "a raw & would be ill-formed");
    }

    #[test]
    fn korean_call_uses_a_korean_voice() {
        let doc = alert_call(
            "새 주문 1042번: 아메리카노 2잔",
            "ko-KR",
            URL,
            "수락은 1번, 거절은 2번을 누르세요.",
        );
        assert!(doc.contains(
            r#"<Say language="ko-KR" voice="Polly.Seoyeon">새 주문 1042번: 아메리카노 2잔</Say>"#
        ));
        assert!(doc.contains(
            r#"<Say language="ko-KR" voice="Polly.Seoyeon">수락은 1번, 거절은 2번을 누르세요.</Say>"#
        ));
        // A language we have no voice for is left to Twilio's default.
        let ja = say_and_hang_up("ok", "ja-JP");
        assert!(ja.contains(r#"<Say language="ja-JP">ok</Say>"#), "{ja}");
    }

    #[test]
    fn say_and_hang_up_ends_the_call() {
        assert_eq!(
            say_and_hang_up("Order 1042 accepted, ready in 15 minutes", "en-US"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
             <Say language=\"en-US\" voice=\"Polly.Joanna\">Order 1042 accepted, ready in 15 minutes</Say>\
             <Hangup/></Response>"
        );
        let hostile = say_and_hang_up("</Say><Dial>+15550000000</Dial>", "\"en-US");
        assert!(!hostile.contains("<Dial>"), "{hostile}");
        assert!(hostile.contains(r#"language="&quot;en-US">"#), "{hostile}");
    }

    #[test]
    fn digits_map_to_choices() {
        assert_eq!(KeypadChoice::from_digits(Some("1")), KeypadChoice::Accept);
        assert_eq!(KeypadChoice::from_digits(Some("2")), KeypadChoice::Reject);
        for other in [None, Some(""), Some("3"), Some("#"), Some("*"), Some("12")] {
            assert_eq!(KeypadChoice::from_digits(other), KeypadChoice::Repeat);
        }
    }
}
