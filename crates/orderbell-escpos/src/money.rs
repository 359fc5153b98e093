//! Money formatting for receipts: minor units and an ISO 4217 code → `₩12,000`,
//! `$12.50`, `¥1,200`, `€12.50`.

/// ISO 4217 code, minor-unit exponent, symbol (prefix).
const CURRENCIES: &[(&str, u8, &str)] = &[
    ("KRW", 0, "₩"),
    ("JPY", 0, "¥"),
    ("USD", 2, "$"),
    ("EUR", 2, "€"),
    ("GBP", 2, "£"),
    ("CNY", 2, "CN¥"),
    ("TWD", 2, "NT$"),
    ("HKD", 2, "HK$"),
    ("SGD", 2, "S$"),
    ("AUD", 2, "A$"),
    ("CAD", 2, "CA$"),
    ("NZD", 2, "NZ$"),
    ("CHF", 2, "CHF "),
    ("VND", 0, "₫"),
    ("ISK", 0, "ISK "),
    ("CLP", 0, "CLP "),
    ("PYG", 0, "PYG "),
    ("UGX", 0, "UGX "),
    ("XAF", 0, "FCFA "),
    ("XOF", 0, "CFA "),
    ("BHD", 3, "BHD "),
    ("JOD", 3, "JOD "),
    ("KWD", 3, "KWD "),
    ("OMR", 3, "OMR "),
    ("TND", 3, "TND "),
];

/// The ISO 4217 minor-unit exponent of `currency` (KRW 0, USD 2, JPY 0, EUR 2, KWD 3…),
/// or `None` for a code this crate does not know.
#[must_use]
pub fn currency_exponent(currency: &str) -> Option<u8> {
    find(currency).map(|&(_, exponent, _)| exponent)
}

fn find(currency: &str) -> Option<&'static (&'static str, u8, &'static str)> {
    CURRENCIES
        .iter()
        .find(|(code, _, _)| code.eq_ignore_ascii_case(currency.trim()))
}

/// Format `minor_units` of `currency`: symbol first, thousands separated by `,`,
/// decimals after `.` per the ISO 4217 exponent. Unknown codes print as
/// `"XYZ 12.34"` with two decimals.
///
/// ```
/// use orderbell_escpos::format_money;
/// assert_eq!(format_money(12_000, "KRW"), "₩12,000");
/// assert_eq!(format_money(1_250, "USD"), "$12.50");
/// assert_eq!(format_money(1_200, "JPY"), "¥1,200");
/// assert_eq!(format_money(-1_250, "EUR"), "-€12.50");
/// ```
#[must_use]
pub fn format_money(minor_units: i64, currency: &str) -> String {
    let (exponent, symbol) = match find(currency) {
        Some(&(_, exponent, symbol)) => (exponent, symbol.to_owned()),
        None => (2, format!("{} ", currency.trim().to_ascii_uppercase())),
    };
    let magnitude = minor_units.unsigned_abs();
    let scale = 10u64.pow(u32::from(exponent));
    let major = magnitude / scale;
    let minor = magnitude % scale;
    let mut out = String::new();
    if minor_units < 0 {
        out.push('-');
    }
    out.push_str(&symbol);
    out.push_str(&group_thousands(major));
    if exponent > 0 {
        out.push('.');
        out.push_str(&format!("{minor:0width$}", width = usize::from(exponent)));
    }
    out
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(format_money(12_000, "KRW"), "₩12,000");
        assert_eq!(format_money(1_250, "USD"), "$12.50");
        assert_eq!(format_money(1_200, "JPY"), "¥1,200");
        assert_eq!(format_money(1_250, "EUR"), "€12.50");
        assert_eq!(format_money(5, "usd"), "$0.05");
        assert_eq!(format_money(0, "KRW"), "₩0");
        assert_eq!(format_money(1_234_567_890, "KRW"), "₩1,234,567,890");
        assert_eq!(format_money(-900, "KRW"), "-₩900");
        assert_eq!(format_money(12_345, "KWD"), "KWD 12.345");
        assert_eq!(format_money(1_250, "XYZ"), "XYZ 12.50");
        assert_eq!(format_money(i64::MIN, "KRW"), "-₩9,223,372,036,854,775,808");
        assert_eq!(currency_exponent("KRW"), Some(0));
        assert_eq!(currency_exponent("USD"), Some(2));
        assert_eq!(currency_exponent("JPY"), Some(0));
        assert_eq!(currency_exponent("EUR"), Some(2));
        assert_eq!(currency_exponent("ABC"), None);
    }
}
