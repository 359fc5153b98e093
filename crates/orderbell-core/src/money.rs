//! Currencies and amounts. Money is always an integer count of the currency's minor unit
//! (KRW has no minor unit, so 4500 means ₩4,500; USD has cents, so 450 means $4.50).

use std::fmt;

use serde::{Deserialize, Serialize};

/// An ISO 4217 currency that Orderbell knows the minor-unit exponent of.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency {
    code: &'static str,
    exponent: u8,
    symbol: &'static str,
}

/// (code, minor-unit exponent, symbol) from ISO 4217.
const CURRENCIES: &[(&str, u8, &str)] = &[
    ("KRW", 0, "₩"),
    ("JPY", 0, "¥"),
    ("USD", 2, "$"),
    ("EUR", 2, "€"),
    ("GBP", 2, "£"),
    ("CNY", 2, "¥"),
    ("TWD", 2, "NT$"),
    ("HKD", 2, "HK$"),
    ("SGD", 2, "S$"),
    ("AUD", 2, "A$"),
    ("CAD", 2, "C$"),
    ("NZD", 2, "NZ$"),
    ("CHF", 2, "CHF "),
    ("THB", 2, "฿"),
    ("VND", 0, "₫"),
    ("IDR", 2, "Rp"),
    ("PHP", 2, "₱"),
    ("MYR", 2, "RM"),
    ("INR", 2, "₹"),
    ("MXN", 2, "MX$"),
    ("BRL", 2, "R$"),
    ("SEK", 2, "kr "),
    ("NOK", 2, "kr "),
    ("DKK", 2, "kr "),
    ("PLN", 2, "zł "),
    ("CZK", 2, "Kč "),
    ("HUF", 2, "Ft "),
    ("TRY", 2, "₺"),
    ("ZAR", 2, "R"),
    ("AED", 2, "AED "),
    ("KWD", 3, "KD "),
    ("BHD", 3, "BD "),
    ("CLP", 0, "CLP$"),
    ("ISK", 0, "kr "),
];

impl Currency {
    pub const KRW: Currency = Currency {
        code: "KRW",
        exponent: 0,
        symbol: "₩",
    };
    pub const USD: Currency = Currency {
        code: "USD",
        exponent: 2,
        symbol: "$",
    };

    /// Looks a currency up by its ISO 4217 code (upper case).
    pub fn from_code(code: &str) -> Option<Currency> {
        CURRENCIES
            .iter()
            .find(|(c, _, _)| *c == code)
            .map(|&(code, exponent, symbol)| Currency {
                code,
                exponent,
                symbol,
            })
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// How many decimal digits the minor unit has (KRW 0, USD 2, KWD 3).
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Formats an amount of minor units for people: `₩12,000`, `$12.50`, `-$0.05`.
    pub fn format(&self, minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        let scale = 10u64.pow(u32::from(self.exponent));
        let whole = group_thousands(abs / scale);
        if self.exponent == 0 {
            format!("{sign}{}{whole}", self.symbol)
        } else {
            let frac = abs % scale;
            let width = usize::from(self.exponent);
            format!("{sign}{}{whole}.{frac:0width$}", self.symbol)
        }
    }

    /// A price as people type it, in minor units: `4500`, `4,500`, `4,500원`, `₩4500`,
    /// `KRW 4500`; `4.50`, `$4.50`, and `4,50` where the currency has cents. Thousands
    /// separators (`,`, spaces, `'`) are dropped; a comma followed by fewer than three digits at
    /// the end is a decimal comma. `None` for anything else (negative, too many decimals, words).
    pub fn parse(&self, text: &str) -> Option<i64> {
        let mut t = text.trim();
        for affix in [self.symbol, self.code, "원", "₩", "$", "€", "£", "¥"] {
            t = t.strip_prefix(affix).unwrap_or(t).trim();
            t = t.strip_suffix(affix).unwrap_or(t).trim();
        }
        let decimal_comma = self.exponent > 0
            && !t.contains('.')
            && t.rsplit_once(',').is_some_and(|(_, tail)| {
                (1..3).contains(&tail.len()) && tail.bytes().all(|b| b.is_ascii_digit())
            });
        let text: String = t
            .chars()
            .filter(|c| !matches!(c, ' ' | '\'' | '\u{a0}'))
            .map(|c| if decimal_comma && c == ',' { '.' } else { c })
            .filter(|c| *c != ',')
            .collect();
        let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
        let exp = usize::from(self.exponent);
        if whole.is_empty() && frac.is_empty()
            || frac.len() > exp
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || whole.len() > 12
        {
            return None;
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let frac: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<exp$}").parse().ok()?
        };
        whole
            .checked_mul(10i64.pow(u32::from(self.exponent)))?
            .checked_add(frac)
    }

    /// Every currency Orderbell knows.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES.iter().map(|&(code, exponent, symbol)| Currency {
            code,
            exponent,
            symbol,
        })
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("ISO 4217 currency code"))
            .examples([serde_json::json!("KRW")])
            .into()
    }
}

impl utoipa::ToSchema for Currency {}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// A currency code that Orderbell does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown currency code {0:?}")]
pub struct UnknownCurrency(pub String);

impl TryFrom<String> for Currency {
    type Error = UnknownCurrency;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::from_code(&value).ok_or(UnknownCurrency(value))
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_as_people_type_them() {
        let krw = Currency::KRW;
        for typed in [
            "4500", "4,500", "4,500원", "4500 원", "₩4500", "₩4,500", "KRW 4500", " 4 500 ",
        ] {
            assert_eq!(krw.parse(typed), Some(4500), "{typed}");
        }
        assert_eq!(krw.parse("4.5"), None);
        assert_eq!(krw.parse("-1"), None);
        assert_eq!(krw.parse("원"), None);
        assert_eq!(krw.parse("four"), None);
        let eur = Currency::from_code("EUR").unwrap();
        assert_eq!(eur.parse("4.50"), Some(450));
        assert_eq!(eur.parse("4,50"), Some(450));
        assert_eq!(eur.parse("€4,5"), Some(450));
        assert_eq!(eur.parse("1,250"), Some(125_000), "a thousands comma");
        assert_eq!(
            eur.parse("1.250,00"),
            None,
            "mixed separators are refused, not guessed"
        );
        assert_eq!(Currency::USD.parse("$4.50"), Some(450));
        assert_eq!(Currency::USD.parse("4.505"), None);
    }

    #[test]
    fn formats_with_the_minor_unit_exponent() {
        assert_eq!(Currency::KRW.format(12000), "₩12,000");
        assert_eq!(Currency::KRW.format(0), "₩0");
        assert_eq!(Currency::USD.format(1250), "$12.50");
        assert_eq!(Currency::USD.format(5), "$0.05");
        assert_eq!(Currency::USD.format(-5), "-$0.05");
        assert_eq!(Currency::USD.format(123_456_789), "$1,234,567.89");
        let kwd = Currency::from_code("KWD").unwrap();
        assert_eq!(kwd.format(1500), "KD 1.500");
        assert_eq!(Currency::from_code("JPY").unwrap().format(1200), "¥1,200");
    }

    #[test]
    fn unknown_codes_are_refused() {
        assert!(Currency::from_code("krw").is_none());
        assert!(Currency::from_code("XXX").is_none());
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
        assert_eq!(
            serde_json::from_str::<Currency>("\"USD\"").unwrap(),
            Currency::USD
        );
    }
}
