//! Reading and writing DynamoDB items: attribute values from and to Orderbell's types, and the
//! key shapes of docs/design/serverless-plan.md §5.
//!
//! Times are kept two ways: as a number of milliseconds (`n_ts`) where a condition or a filter
//! compares them, and as a fixed-width decimal (`sort_ts`) inside sort keys, so that the string
//! order of a key is the order of time.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use orderbell_core::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Result, StoreError};

/// One item, as the SDK passes it.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// A string attribute.
pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A number attribute.
pub(crate) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// A boolean attribute.
pub(crate) fn b(v: bool) -> AttributeValue {
    AttributeValue::Bool(v)
}

/// A time as milliseconds since the epoch (for conditions and filters).
pub(crate) fn n_ts(t: Timestamp) -> AttributeValue {
    n(t.as_millisecond())
}

/// A time as 15 decimal digits of milliseconds (inside sort keys: string order is time order
/// for every time after 1970).
pub(crate) fn sort_ts(t: Timestamp) -> String {
    format!("{:015}", t.as_millisecond().max(0))
}

/// A number as 12 decimal digits (order numbers, positions inside sort keys).
pub(crate) fn sort_n(v: i64) -> String {
    format!("{:012}", v.max(0))
}

/// A value kept as JSON text (records whose inner shape DynamoDB never looks at).
pub(crate) fn json<T: Serialize + ?Sized>(v: &T) -> Result<AttributeValue> {
    serde_json::to_string(v)
        .map(AttributeValue::S)
        .map_err(|e| StoreError::Backend(format!("could not encode a record: {e}")))
}

/// The key of an item.
pub(crate) fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

/// An item from its attributes.
pub(crate) fn item<const N: usize>(attrs: [(&str, AttributeValue); N]) -> Item {
    attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Expression attribute values (`:name` → value).
pub(crate) fn values<const N: usize>(attrs: [(&str, AttributeValue); N]) -> Item {
    item(attrs)
}

fn missing(name: &str) -> StoreError {
    StoreError::Backend(format!("a stored item lacks its attribute {name:?}"))
}

fn wrong(name: &str) -> StoreError {
    StoreError::Backend(format!(
        "a stored item's attribute {name:?} has another type"
    ))
}

/// Typed reads of an item's attributes; a missing or mistyped required attribute is a
/// [`StoreError::Backend`] naming it.
pub(crate) trait Read {
    fn opt_s(&self, name: &str) -> Result<Option<&str>>;
    fn opt_n(&self, name: &str) -> Result<Option<i64>>;
    fn opt_b(&self, name: &str) -> Result<Option<bool>>;

    fn get_s(&self, name: &str) -> Result<&str> {
        self.opt_s(name)?.ok_or_else(|| missing(name))
    }
    fn get_n(&self, name: &str) -> Result<i64> {
        self.opt_n(name)?.ok_or_else(|| missing(name))
    }
    fn get_b(&self, name: &str) -> Result<bool> {
        self.opt_b(name)?.ok_or_else(|| missing(name))
    }
    /// A time written with [`n_ts`].
    fn get_ts(&self, name: &str) -> Result<Timestamp> {
        millis(self.get_n(name)?)
    }
    fn opt_ts(&self, name: &str) -> Result<Option<Timestamp>> {
        self.opt_n(name)?.map(millis).transpose()
    }
    /// A value written with [`json`].
    fn get_json<T: DeserializeOwned>(&self, name: &str) -> Result<T> {
        serde_json::from_str(self.get_s(name)?).map_err(|e| {
            StoreError::Backend(format!(
                "a stored item's attribute {name:?} is not valid: {e}"
            ))
        })
    }
    fn opt_json<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        match self.opt_s(name)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(text).map(Some).map_err(|e| {
                StoreError::Backend(format!(
                    "a stored item's attribute {name:?} is not valid: {e}"
                ))
            }),
        }
    }
    /// A value kept as its text (ids, stored_text enums): `FromStr`.
    fn get_parsed<T: std::str::FromStr>(&self, name: &str) -> Result<T>
    where
        StoreError: From<T::Err>,
    {
        Ok(self.get_s(name)?.parse::<T>()?)
    }
}

impl Read for Item {
    fn opt_s(&self, name: &str) -> Result<Option<&str>> {
        match self.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v)),
            Some(_) => Err(wrong(name)),
        }
    }
    fn opt_n(&self, name: &str) -> Result<Option<i64>> {
        match self.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(v)) => v.parse().map(Some).map_err(|_| wrong(name)),
            Some(_) => Err(wrong(name)),
        }
    }
    fn opt_b(&self, name: &str) -> Result<Option<bool>> {
        match self.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::Bool(v)) => Ok(Some(*v)),
            Some(_) => Err(wrong(name)),
        }
    }
}

fn millis(ms: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::Backend(format!("a stored time is out of range: {e}")))
}

/// A new 63-bit id that grows with time: the millisecond in the high bits, 22 random bits
/// below. DynamoDB has no sequences; writers put these behind `attribute_not_exists(pk)`, so
/// the one-in-four-million collision within a millisecond is a retry, never an overwrite.
pub(crate) fn time_ordered_id(now: Timestamp) -> i64 {
    let mut r = [0u8; 4];
    // The low bits only keep ids apart; the clock alone still orders them.
    let _ = getrandom::fill(&mut r);
    let low = i64::from(u32::from_le_bytes(r) & 0x3F_FFFF);
    (now.as_millisecond().max(0) << 22) | low
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn sort_keys_order_like_their_values() {
        let a = Timestamp::from_millisecond(999).unwrap();
        let b = Timestamp::from_millisecond(1_000).unwrap();
        assert!(sort_ts(a) < sort_ts(b));
        assert!(sort_n(99) < sort_n(100));
    }

    #[test]
    fn reads_name_what_is_missing_or_mistyped() {
        let it = item([("a", s("x")), ("b", n(7)), ("c", b(true))]);
        assert_eq!(it.get_s("a").unwrap(), "x");
        assert_eq!(it.get_n("b").unwrap(), 7);
        assert!(it.get_b("c").unwrap());
        assert_eq!(it.opt_s("zz").unwrap(), None);
        let e = it.get_s("zz").unwrap_err().to_string();
        assert!(e.contains("\"zz\""), "{e}");
        let e = it.get_n("a").unwrap_err().to_string();
        assert!(e.contains("\"a\""), "{e}");
    }

    #[test]
    fn time_ordered_ids_follow_the_clock() {
        let a = time_ordered_id(Timestamp::from_millisecond(1_800_000_000_000).unwrap());
        let b = time_ordered_id(Timestamp::from_millisecond(1_800_000_000_001).unwrap());
        assert!(a > 0 && b > a);
    }
}
