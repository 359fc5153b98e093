//! The cursor of a list of orders: an opaque token for "after this order number".

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The cursor that continues after the order `number`.
pub fn encode(number: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("n:{number}"))
}

/// The order number a cursor continues after; `None` for anything this server did not make.
pub fn decode(cursor: &str) -> Option<i64> {
    if cursor.len() > 64 {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    std::str::from_utf8(&raw)
        .ok()?
        .strip_prefix("n:")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_the_rest() {
        for n in [0, 1001, i64::MAX, i64::MIN] {
            assert_eq!(decode(&encode(n)), Some(n));
        }
        assert_eq!(decode("bjo"), None, "no digits");
        assert_eq!(decode("bjp4"), None, "not a number");
        assert_eq!(decode("!!"), None);
        assert_eq!(decode(&"A".repeat(100)), None);
    }
}
