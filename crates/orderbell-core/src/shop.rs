//! Shops: the unit everything else belongs to.

use serde::{Deserialize, Serialize};

use crate::text::{is_supported_locale, is_valid_slug, is_valid_time_zone, normalize_phone};
use crate::{Currency, ShopId, Timestamp, ValidationErrors};

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
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// A request to create a shop.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShopRequest {
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
}

impl NewShopRequest {
    pub fn validate(self) -> Result<NewShop, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let slug = self.slug.trim().to_owned();
        if !is_valid_slug(&slug) {
            errors.add(
                "slug",
                "invalid",
                "slug must be 2 to 40 characters of a-z, 0-9 and '-'",
            );
        }
        let name = errors.text("name", Some(&self.name), true, 100);
        let currency_code = self
            .currency
            .as_deref()
            .unwrap_or("KRW")
            .trim()
            .to_uppercase();
        let currency = Currency::from_code(&currency_code);
        if currency.is_none() {
            errors.add(
                "currency",
                "invalid",
                "currency must be a known ISO 4217 code",
            );
        }
        let time_zone = check_time_zone(
            &mut errors,
            self.time_zone.as_deref().unwrap_or("Asia/Seoul"),
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
}

/// A checked change to a shop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShopPatch {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub locale: Option<String>,
    pub phone: Option<Option<String>>,
    pub accepting_orders: Option<bool>,
}

impl ShopPatchRequest {
    pub fn validate(self) -> Result<ShopPatch, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = match &self.name {
            Some(n) => errors.text("name", Some(n), true, 100),
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
        errors.into_result()?;
        Ok(ShopPatch {
            name,
            time_zone,
            locale,
            phone,
            accepting_orders: self.accepting_orders,
        })
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
    }
}

fn check_time_zone(errors: &mut ValidationErrors, tz: &str) -> String {
    let tz = tz.trim();
    if !is_valid_time_zone(tz) {
        errors.add(
            "time_zone",
            "invalid",
            "time_zone must be an IANA time zone such as Asia/Seoul",
        );
    }
    tz.to_owned()
}

fn check_locale(errors: &mut ValidationErrors, locale: &str) -> String {
    let locale = locale.trim().to_lowercase();
    if !is_supported_locale(&locale) {
        errors.add("locale", "invalid", "locale must be en or ko");
    }
    locale
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
