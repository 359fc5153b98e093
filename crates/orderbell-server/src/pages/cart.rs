//! The guest's cart, kept in a cookie scoped to the shop's page (`Path=/s/{slug}`), so it
//! works without JavaScript: "add" and "remove" are form posts. It holds menu ids only; prices
//! always come from the current menu.

use axum::http::HeaderMap;
use orderbell_core::pricing::{MAX_QUANTITY, OrderLineRequest};

use crate::http::auth::cookie;

/// Most lines a cart holds (the cookie stays well under 4 KiB).
pub const MAX_LINES: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    pub item: String,
    pub quantity: i64,
    pub options: Vec<String>,
}

fn is_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl CartLine {
    pub fn request(&self) -> OrderLineRequest {
        OrderLineRequest {
            menu_item_id: Some(self.item.clone()),
            option_ids: Some(self.options.clone()),
            name: None,
            unit_price: None,
            options: None,
            quantity: Some(self.quantity),
        }
    }

    fn encode(&self) -> String {
        format!("{}-{}-{}", self.item, self.quantity, self.options.join("_"))
    }

    fn decode(s: &str) -> Option<CartLine> {
        let mut parts = s.splitn(3, '-');
        let item = parts.next().filter(|i| is_id(i))?.to_owned();
        let quantity = parts.next()?.parse::<i64>().ok()?;
        let options: Vec<String> = parts
            .next()
            .unwrap_or("")
            .split('_')
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect();
        let ok = (1..=MAX_QUANTITY).contains(&quantity) && options.iter().all(|o| is_id(o));
        ok.then_some(CartLine {
            item,
            quantity,
            options,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cart {
    pub lines: Vec<CartLine>,
}

pub fn cookie_name(slug: &str) -> String {
    format!("orderbell_cart_{slug}")
}

impl Cart {
    pub fn read(headers: &HeaderMap, slug: &str) -> Cart {
        let lines = cookie(headers, &cookie_name(slug))
            .unwrap_or("")
            .split('.')
            .filter_map(CartLine::decode)
            .take(MAX_LINES)
            .collect();
        Cart { lines }
    }

    /// Adds a line, or more of the same line. `false` when the cart is full.
    pub fn add(&mut self, mut line: CartLine) -> bool {
        line.options.sort();
        if let Some(same) = self
            .lines
            .iter_mut()
            .find(|l| l.item == line.item && l.options == line.options)
        {
            same.quantity = (same.quantity + line.quantity).min(MAX_QUANTITY);
            return true;
        }
        if self.lines.len() >= MAX_LINES {
            return false;
        }
        self.lines.push(line);
        true
    }

    pub fn remove(&mut self, index: usize) {
        if index < self.lines.len() {
            self.lines.remove(index);
        }
    }

    /// The `Set-Cookie` value that stores this cart (or clears it when empty).
    pub fn set_cookie(&self, slug: &str, secure: bool) -> String {
        let value = self
            .lines
            .iter()
            .map(CartLine::encode)
            .collect::<Vec<_>>()
            .join(".");
        let max_age = if value.is_empty() { 0 } else { 86_400 };
        let secure = if secure { "; Secure" } else { "" };
        format!(
            "{}={value}; Path=/s/{slug}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
            cookie_name(slug)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderValue, header};

    fn id(c: char) -> String {
        std::iter::repeat_n(c, 32).collect()
    }

    #[test]
    fn round_trips_through_the_cookie_and_merges_lines() {
        let mut cart = Cart::default();
        let line = CartLine {
            item: id('a'),
            quantity: 2,
            options: vec![id('c'), id('b')],
        };
        assert!(cart.add(line.clone()));
        assert!(cart.add(line));
        assert_eq!(cart.lines.len(), 1);
        assert_eq!(cart.lines[0].quantity, 4);
        let set = cart.set_cookie("demo", false);
        let value = set.split(';').next().unwrap();
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(value).unwrap());
        assert_eq!(Cart::read(&h, "demo"), cart);
    }

    #[test]
    fn ignores_tampered_lines() {
        assert_eq!(CartLine::decode("zz-1-"), None);
        assert_eq!(CartLine::decode(&format!("{}-0-", id('a'))), None);
        assert_eq!(CartLine::decode(&format!("{}-1-<script>", id('a'))), None);
    }
}
