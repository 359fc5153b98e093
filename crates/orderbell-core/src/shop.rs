//! Shops: the unit everything else belongs to.

use serde::{Deserialize, Serialize};

use crate::alerts::{AlertPolicy, AlertPolicyPatch};
use crate::hours::OpeningHours;
use crate::text::{is_supported_locale, is_valid_slug, is_valid_time_zone, normalize_phone};
use crate::{Currency, ShopId, Timestamp, ValidationErrors};

/// How guests may order: the fulfilment types the shop offers, the smallest order it takes and
/// what delivery costs. Orders through an API key are not bound by it (an integrator's own site
/// decides).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OrderingOptions {
    pub pickup: bool,
    pub dine_in: bool,
    pub delivery: bool,
    /// The smallest order total a guest may place, in minor units (items only, before the
    /// delivery fee); 0: any.
    pub min_order: i64,
    /// Added to a guest's delivery order, in minor units; 0: free delivery.
    pub delivery_fee: i64,
    /// Where the shop delivers, shown to guests as written ("within 2 km of the station").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_note: Option<String>,
}

impl Default for OrderingOptions {
    fn default() -> Self {
        OrderingOptions {
            pickup: true,
            dine_in: true,
            delivery: true,
            min_order: 0,
            delivery_fee: 0,
            delivery_note: None,
        }
    }
}

impl OrderingOptions {
    /// Largest minimum order and delivery fee, in minor units.
    pub const MAX_MIN_ORDER: i64 = 100_000_000;
    /// Longest delivery note, in characters.
    pub const MAX_NOTE_CHARS: usize = 200;

    /// Whether guests may choose this fulfilment type (`pickup`, `dine_in`, `delivery`).
    pub fn offers(&self, kind: &str) -> bool {
        match kind {
            "pickup" => self.pickup,
            "dine_in" => self.dine_in,
            "delivery" => self.delivery,
            _ => false,
        }
    }

    /// The fee a guest order with this fulfilment type adds to its items.
    pub fn fee_for(&self, kind: &str) -> i64 {
        if kind == "delivery" {
            self.delivery_fee
        } else {
            0
        }
    }

    /// At least one type is offered; the minimum and the fee are 0 to [`Self::MAX_MIN_ORDER`];
    /// the delivery note is trimmed (blank: none) and at most [`Self::MAX_NOTE_CHARS`].
    pub fn checked(mut self) -> Result<OrderingOptions, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if !(self.pickup || self.dine_in || self.delivery) {
            errors.add(
                "guest_ordering",
                "required",
                "guest_ordering must offer at least one of pickup, dine_in and delivery",
            );
        }
        errors.range(
            "guest_ordering.min_order",
            self.min_order,
            0,
            Self::MAX_MIN_ORDER,
        );
        errors.range(
            "guest_ordering.delivery_fee",
            self.delivery_fee,
            0,
            Self::MAX_MIN_ORDER,
        );
        self.delivery_note = errors.text(
            "guest_ordering.delivery_note",
            self.delivery_note.as_deref(),
            false,
            Self::MAX_NOTE_CHARS,
        );
        errors.into_result()?;
        Ok(self)
    }
}

/// The shop's own lines on its tickets: under its name (address, business number…) and at the
/// end (thanks, Wi-Fi…). Printed as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReceiptText {
    pub header: Option<String>,
    pub footer: Option<String>,
}

impl ReceiptText {
    /// The JSON Schema `pattern` of the line rule: at most [`Self::MAX_LINES`] lines between the
    /// first and the last character that is not whitespace.
    pub fn lines_pattern() -> String {
        let space = crate::validation::char_class(crate::validation::WHITESPACE);
        let breaks = Self::MAX_LINES - 1;
        format!(
            "^[{space}]*(?:[^{space}]|[^{space}](?:[^\\n]*\\n){{0,{breaks}}}[^\\n]*[^{space}])?[{space}]*$"
        )
    }

    /// At most this many characters in each part…
    pub const MAX_CHARS: usize = 300;
    /// …and this many lines.
    pub const MAX_LINES: usize = 6;

    /// Each part a text field ([`ValidationErrors::text`]) of at most [`Self::MAX_CHARS`], on at
    /// most [`Self::MAX_LINES`] once trimmed; blank parts become `None`.
    pub fn checked(self) -> Result<ReceiptText, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mut part = |field: &str, text: Option<String>| {
            let text = errors.text(field, text.as_deref(), false, Self::MAX_CHARS)?;
            if text.lines().count() > Self::MAX_LINES {
                errors.add(
                    field,
                    "too_long",
                    format!(
                        "{field} may have at most {} characters on {} lines",
                        Self::MAX_CHARS,
                        Self::MAX_LINES
                    ),
                );
            }
            Some(text)
        };
        let header = part("receipt.header", self.header);
        let footer = part("receipt.footer", self.footer);
        errors.into_result()?;
        Ok(ReceiptText { header, footer })
    }
}

/// A shop as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Shop {
    pub id: ShopId,
    pub slug: String,
    pub name: String,
    pub currency: Currency,
    /// IANA time zone, e.g. `Asia/Seoul`.
    pub time_zone: String,
    /// `en` or `ko`.
    pub locale: String,
    pub phone: Option<String>,
    /// When false, guest orders are refused with `not_accepting_orders`.
    pub accepting_orders: bool,
    /// How an unanswered order escalates (repeats, a call, missed).
    pub alerts: AlertPolicy,
    /// When guests may order, in the shop's time zone; `None`: always.
    pub opening_hours: Option<OpeningHours>,
    /// Guest ordering is paused until then.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paused_until: Option<Timestamp>,
    /// The ETA an order accepted from a phone keypad gets.
    pub default_eta_minutes: u32,
    /// How guests may order.
    pub guest_ordering: OrderingOptions,
    /// The shop's own lines on its tickets.
    pub receipt: ReceiptText,
    /// Owners must have two-step sign-in on to act for the shop.
    pub require_mfa_for_owners: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// Whether guests can order now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    Open,
    /// Closed by the opening hours or a pause; `reopens_at` is when it opens again, if known.
    Closed {
        reopens_at: Option<Timestamp>,
        paused: bool,
    },
}

/// Longest shop name, in characters.
pub const SHOP_NAME_MAX: usize = 100;
/// The time zone of a shop created without one.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Seoul";

/// A request to create a shop.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShopRequest {
    /// 2 to 40 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`.
    pub slug: String,
    pub name: String,
    /// ISO 4217 code; default KRW.
    pub currency: Option<String>,
    /// Default `Asia/Seoul`.
    pub time_zone: Option<String>,
    /// Default `ko`.
    pub locale: Option<String>,
    pub phone: Option<String>,
}

/// A checked request to create a shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShop {
    pub slug: String,
    pub name: String,
    pub currency: Currency,
    pub time_zone: String,
    pub locale: String,
    pub phone: Option<String>,
    /// The alert policy a new shop starts with (the server's configured default).
    pub alerts: AlertPolicy,
}

impl NewShopRequest {
    pub fn validate(self) -> Result<NewShop, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let slug = self.slug;
        if !is_valid_slug(&slug) {
            errors.add(
                "slug",
                "invalid",
                "slug must be 2 to 40 characters of a-z, 0-9 and '-'",
            );
        }
        let name = errors.text("name", Some(&self.name), true, SHOP_NAME_MAX);
        let currency = Currency::from_code(self.currency.as_deref().unwrap_or("KRW"));
        if currency.is_none() {
            errors.add(
                "currency",
                "invalid",
                "currency must be a known ISO 4217 code",
            );
        }
        let time_zone = check_time_zone(
            &mut errors,
            self.time_zone.as_deref().unwrap_or(DEFAULT_TIME_ZONE),
        );
        let locale = check_locale(&mut errors, self.locale.as_deref().unwrap_or("ko"));
        let phone = check_phone(&mut errors, "phone", self.phone.as_deref());
        errors.into_result()?;
        match (name, currency) {
            (Some(name), Some(currency)) => Ok(NewShop {
                slug,
                name,
                currency,
                time_zone,
                locale,
                phone,
                alerts: AlertPolicy::default(),
            }),
            _ => Err(ValidationErrors::single(
                "name",
                "required",
                "name is required",
            )),
        }
    }
}

/// A change to a shop's profile. The currency cannot change once prices exist in it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShopPatchRequest {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
    /// An empty string removes the phone number.
    pub phone: Option<String>,
    pub accepting_orders: Option<bool>,
    /// A change to the alert policy: fields left out stay as they are.
    pub alerts: Option<AlertPolicyPatch>,
    /// How guests may order (the whole object; fields left out take their defaults).
    pub guest_ordering: Option<OrderingOptions>,
    /// The shop's own lines on its tickets (the whole object; a blank part removes it).
    pub receipt: Option<ReceiptText>,
    /// `null` removes the hours (always open).
    #[serde(default, deserialize_with = "crate::alerts::nullable")]
    #[schema(value_type = Option<OpeningHours>)]
    pub opening_hours: Option<Option<serde_json::Value>>,
    /// RFC 3339; `null` ends a pause.
    #[serde(default, deserialize_with = "crate::alerts::nullable")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paused_until: Option<Option<String>>,
    /// 1 to 240 minutes.
    pub default_eta_minutes: Option<i64>,
    /// Owners must have two-step sign-in on (turning it on needs it on one's own account).
    pub require_mfa_for_owners: Option<bool>,
}

impl ShopPatchRequest {
    /// Whether it changes only what a manager keeps: opening hours, a pause, taking orders on
    /// or off, the default ETA.
    pub fn is_hours_only(&self) -> bool {
        let ShopPatchRequest {
            name,
            time_zone,
            locale,
            phone,
            accepting_orders: _,
            alerts,
            guest_ordering,
            receipt,
            opening_hours: _,
            paused_until: _,
            default_eta_minutes: _,
            require_mfa_for_owners,
        } = self;
        name.is_none()
            && time_zone.is_none()
            && locale.is_none()
            && phone.is_none()
            && alerts.is_none()
            && guest_ordering.is_none()
            && receipt.is_none()
            && require_mfa_for_owners.is_none()
    }
}

/// A checked change to a shop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShopPatch {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
    pub phone: Option<Option<String>>,
    pub accepting_orders: Option<bool>,
    pub alerts: Option<AlertPolicy>,
    pub opening_hours: Option<Option<OpeningHours>>,
    pub paused_until: Option<Option<Timestamp>>,
    pub default_eta_minutes: Option<u32>,
    pub guest_ordering: Option<OrderingOptions>,
    pub receipt: Option<ReceiptText>,
    pub require_mfa_for_owners: Option<bool>,
}

impl ShopPatchRequest {
    pub fn validate(self) -> Result<ShopPatch, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = match &self.name {
            Some(n) => errors.text("name", Some(n), true, SHOP_NAME_MAX),
            None => None,
        };
        let time_zone = self
            .time_zone
            .as_deref()
            .map(|tz| check_time_zone(&mut errors, tz));
        let locale = self.locale.as_deref().map(|l| check_locale(&mut errors, l));
        let phone = self.phone.as_deref().map(|p| {
            if p.trim().is_empty() {
                None
            } else {
                check_phone(&mut errors, "phone", Some(p))
            }
        });
        let guest_ordering = self.guest_ordering.and_then(|o| errors.absorb(o.checked()));
        let receipt = self.receipt.and_then(|r| errors.absorb(r.checked()));
        errors.into_result()?;
        Ok(ShopPatch {
            name,
            time_zone,
            locale,
            phone,
            accepting_orders: self.accepting_orders,
            guest_ordering,
            receipt,
            require_mfa_for_owners: self.require_mfa_for_owners,
            ..ShopPatch::default()
        })
    }

    /// Checks the change against the shop as it is (the alert policy is merged into the current
    /// one).
    pub fn validate_for(self, shop: &Shop) -> Result<ShopPatch, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let alerts = match &self.alerts {
            Some(patch) => match shop.alerts.apply(patch) {
                Ok(p) => Some(p),
                Err(e) => {
                    errors.0.extend(e.0);
                    None
                }
            },
            None => None,
        };
        let opening_hours = match &self.opening_hours {
            None => None,
            Some(None) => Some(None),
            Some(Some(value)) => match OpeningHours::from_json(value) {
                Ok(h) => Some(Some(h)),
                Err(e) => {
                    errors.0.extend(e.0);
                    None
                }
            },
        };
        let paused_until = match &self.paused_until {
            None => None,
            Some(None) => Some(None),
            Some(Some(text)) => match text.trim().parse::<Timestamp>() {
                Ok(t) => Some(Some(crate::to_millis(t))),
                Err(_) => {
                    errors.add(
                        "paused_until",
                        "invalid",
                        "paused_until must be an RFC 3339 time such as 2026-12-01T12:30:00+09:00",
                    );
                    None
                }
            },
        };
        let default_eta_minutes =
            self.default_eta_minutes
                .and_then(|m| match crate::order::check_eta(m) {
                    Ok(m) => Some(m),
                    Err(e) => {
                        for mut f in e.0 {
                            f.field = "default_eta_minutes".into();
                            f.message = f.message.replace("eta_minutes", "default_eta_minutes");
                            errors.0.push(f);
                        }
                        None
                    }
                });
        let basic = ShopPatchRequest {
            alerts: None,
            opening_hours: None,
            paused_until: None,
            default_eta_minutes: None,
            ..self
        }
        .validate();
        let mut patch = match basic {
            Ok(p) => p,
            Err(e) => {
                errors.0.extend(e.0);
                ShopPatch::default()
            }
        };
        errors.into_result()?;
        patch.alerts = alerts;
        patch.opening_hours = opening_hours;
        patch.paused_until = paused_until;
        patch.default_eta_minutes = default_eta_minutes;
        Ok(patch)
    }
}

impl Shop {
    /// Applies a checked change.
    pub fn apply(&mut self, patch: &ShopPatch) {
        if let Some(name) = &patch.name {
            self.name.clone_from(name);
        }
        if let Some(tz) = &patch.time_zone {
            self.time_zone.clone_from(tz);
        }
        if let Some(locale) = &patch.locale {
            self.locale.clone_from(locale);
        }
        if let Some(phone) = &patch.phone {
            self.phone.clone_from(phone);
        }
        if let Some(accepting) = patch.accepting_orders {
            self.accepting_orders = accepting;
        }
        if let Some(required) = patch.require_mfa_for_owners {
            self.require_mfa_for_owners = required;
        }
        if let Some(alerts) = &patch.alerts {
            self.alerts = alerts.clone();
        }
        if let Some(hours) = &patch.opening_hours {
            self.opening_hours.clone_from(hours);
        }
        if let Some(paused) = patch.paused_until {
            self.paused_until = paused;
        }
        if let Some(receipt) = &patch.receipt {
            self.receipt = receipt.clone();
        }
        if let Some(ordering) = &patch.guest_ordering {
            self.guest_ordering = ordering.clone();
        }
        if let Some(eta) = patch.default_eta_minutes {
            self.default_eta_minutes = eta;
        }
    }

    /// The shop's time zone (UTC if the stored name is unknown to this build).
    pub fn tz(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.time_zone).unwrap_or(jiff::tz::TimeZone::UTC)
    }

    /// Whether guests can order at `now`: the pause first, then the opening hours. (Turning
    /// online orders off, `accepting_orders`, is a separate switch with its own answer.)
    pub fn ordering(&self, now: Timestamp) -> Ordering {
        let tz = self.tz();
        let paused = self.paused_until.filter(|until| *until > now);
        let from = paused.unwrap_or(now);
        let reopens_at = match &self.opening_hours {
            None => Some(from),
            Some(hours) => hours.next_open(from, &tz),
        };
        if paused.is_none() && reopens_at == Some(now) {
            return Ordering::Open;
        }
        Ordering::Closed {
            reopens_at,
            paused: paused.is_some(),
        }
    }
}

/// A time zone, spelled as in [`crate::text::time_zone_names`] (the document lists them).
fn check_time_zone(errors: &mut ValidationErrors, tz: &str) -> String {
    if !is_valid_time_zone(tz) {
        errors.add(
            "time_zone",
            "invalid",
            "time_zone must be an IANA time zone such as Asia/Seoul",
        );
    }
    tz.to_owned()
}

/// One of [`crate::text::LOCALES`], as written.
fn check_locale(errors: &mut ValidationErrors, locale: &str) -> String {
    if !is_supported_locale(locale) {
        errors.add("locale", "invalid", "locale must be en or ko");
    }
    locale.to_owned()
}

/// Checks an optional E.164 phone number, recording an error under `field`.
pub fn check_phone(
    errors: &mut ValidationErrors,
    field: &str,
    phone: Option<&str>,
) -> Option<String> {
    let raw = phone.map(str::trim).filter(|p| !p.is_empty())?;
    let normalized = normalize_phone(raw);
    if normalized.is_none() {
        errors.add(
            field,
            "invalid",
            format!("{field} must be in international form, e.g. +821012345678"),
        );
    }
    normalized
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_shop_defaults_to_korea() {
        let shop = NewShopRequest {
            slug: "demo".into(),
            name: "Demo".into(),
            currency: None,
            time_zone: None,
            locale: None,
            phone: None,
        }
        .validate()
        .unwrap();
        assert_eq!(shop.currency, Currency::KRW);
        assert_eq!(shop.time_zone, "Asia/Seoul");
        assert_eq!(shop.locale, "ko");
    }

    #[test]
    fn bad_shop_lists_every_field() {
        let errors = NewShopRequest {
            slug: "Bad Slug".into(),
            name: " ".into(),
            currency: Some("XYZ".into()),
            time_zone: Some("Nowhere/Town".into()),
            locale: Some("fr".into()),
            phone: Some("12345".into()),
        }
        .validate()
        .unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["slug", "name", "currency", "time_zone", "locale", "phone"]
        );
    }
}
