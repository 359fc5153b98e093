//! What the webhook log keeps: the provider's request as received, except the one-time linking
//! codes (`/start <code>`, `link <code>`), which are credentials until used.

/// Replaces the code after `/start ` and `link ` (also form-encoded as `link+` / `link%20`).
pub fn link_codes(body: &str) -> String {
    const MARKERS: [&str; 4] = ["/start ", "link ", "link+", "link%20"];
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    'outer: while !rest.is_empty() {
        for marker in MARKERS {
            let starts = rest
                .get(..marker.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(marker));
            if starts {
                out.push_str(&rest[..marker.len()]);
                rest = &rest[marker.len()..];
                let code_len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(rest.len());
                if code_len > 0 {
                    out.push_str("[redacted]");
                }
                rest = &rest[code_len..];
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_replaced_and_everything_else_kept() {
        assert_eq!(
            link_codes(r#"{"message":{"text":"/start AbC_12-x","chat":{"id":42}}}"#),
            r#"{"message":{"text":"/start [redacted]","chat":{"id":42}}}"#
        );
        assert_eq!(
            link_codes("Body=link+o_AaIgu8fMhq6dsiOA&From=whatsapp%3A%2B821012345678"),
            "Body=link+[redacted]&From=whatsapp%3A%2B821012345678"
        );
        assert_eq!(link_codes("Body=LINK%20XyZ9"), "Body=LINK%20[redacted]");
        assert_eq!(link_codes("accept 1042 20 — 주문"), "accept 1042 20 — 주문");
        assert_eq!(link_codes("/stop"), "/stop");
    }
}
