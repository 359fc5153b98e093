//! A shop's alert policy: how an order nobody answers escalates, and when ordering pauses itself.
//!
//! An unanswered order is announced again after `repeat_after_seconds`, then every
//! `repeat_every_seconds`; the members' phones are called once at `call_after_seconds`; the order
//! becomes `missed` at `miss_after_seconds`. All of these count from when the order was created.
//! The policy is stored per shop as JSON; a new shop starts with the server's configured default
//! (TOML, where every field left out takes its [`Default`] value).
//!
//! The only rules are the ranges of the fields ([`SECONDS`], [`PAUSE_AFTER_MISSED`]). There is no
//! rule between fields: a call or a repeat due at or after the miss simply never happens, because
//! the order is missed first (so a shop that wants no call before the miss may set the call later
//! than the miss, or turn it off).

use std::ops::RangeInclusive;

use jiff::SignedDuration;
use serde::{Deserialize, Deserializer, Serialize};

use crate::{Timestamp, ValidationErrors};

/// The allowed range of every `*_seconds` field: 10 seconds to a day.
pub const SECONDS: RangeInclusive<u32> = 10..=86_400;
/// The allowed range of `pause_after_missed`.
pub const PAUSE_AFTER_MISSED: RangeInclusive<u32> = 1..=100;

/// How a shop is alerted about an order nobody has answered yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AlertPolicy {
    /// Seconds after the order until it is announced again (10 to 86400).
    #[schema(required = true, minimum = 10, maximum = 86400)]
    pub repeat_after_seconds: u32,
    /// Seconds between later announcements (10 to 86400).
    #[schema(required = true, minimum = 10, maximum = 86400)]
    pub repeat_every_seconds: u32,
    /// Seconds after the order until the members' phones are called (10 to 86400); `null`: no
    /// call. A call due at or after the miss never happens.
    #[schema(required = true, minimum = 10, maximum = 86400)]
    pub call_after_seconds: Option<u32>,
    /// Seconds after the order until it becomes `missed` (10 to 86400); `null`: never, the
    /// announcements go on until someone answers.
    #[schema(required = true, minimum = 10, maximum = 86400)]
    pub miss_after_seconds: Option<u32>,
    /// Seconds the shop may go with nobody who would hear a new order before the owners are told
    /// (10 to 86400).
    #[schema(required = true, minimum = 10, maximum = 86400)]
    pub unheard_after_seconds: u32,
    /// Whether guest ordering also pauses itself while nobody would hear a new order.
    #[schema(required = true)]
    pub pause_when_unheard: bool,
    /// Guest ordering pauses itself after this many orders in a row were missed (1 to 100);
    /// `null`: never.
    #[schema(required = true, minimum = 1, maximum = 100)]
    pub pause_after_missed: Option<u32>,
}

impl Default for AlertPolicy {
    fn default() -> Self {
        AlertPolicy {
            repeat_after_seconds: 60,
            repeat_every_seconds: 60,
            call_after_seconds: Some(120),
            miss_after_seconds: Some(600),
            unheard_after_seconds: 120,
            pause_when_unheard: false,
            pause_after_missed: Some(3),
        }
    }
}

/// A change to an alert policy (`PATCH /api/v1/shops/{slug}`, under `alerts`). A field left out
/// stays as it is; for `call_after_seconds`, `miss_after_seconds` and `pause_after_missed` an
/// explicit `null` turns the step off. Numbers are taken as sent and range-checked when the
/// change is applied, so a negative or huge value is reported as `out_of_range`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertPolicyPatch {
    /// 10 to 86400.
    pub repeat_after_seconds: Option<i64>,
    /// 10 to 86400.
    pub repeat_every_seconds: Option<i64>,
    /// 10 to 86400; `null` turns the call off.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, nullable)]
    pub call_after_seconds: Option<Option<i64>>,
    /// 10 to 86400; `null`: orders are never missed.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, nullable)]
    pub miss_after_seconds: Option<Option<i64>>,
    /// 10 to 86400.
    pub unheard_after_seconds: Option<i64>,
    /// Whether guest ordering also pauses itself while nobody would hear a new order.
    pub pause_when_unheard: Option<bool>,
    /// 1 to 100; `null`: never pause after missed orders.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, nullable)]
    pub pause_after_missed: Option<Option<i64>>,
}

/// For `#[serde(default, deserialize_with = "nullable")]` on an `Option<Option<T>>` field: a
/// field left out is `None` (leave as is), an explicit `null` is `Some(None)` (remove or turn
/// off), a value is `Some(Some(value))`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Checks `value` against `range`, recording `out_of_range` under `alerts.<name>`.
fn check(
    errors: &mut ValidationErrors,
    name: &str,
    value: i64,
    range: &RangeInclusive<u32>,
    unit: &str,
) -> Option<u32> {
    match u32::try_from(value) {
        Ok(v) if range.contains(&v) => Some(v),
        _ => {
            let field = format!("alerts.{name}");
            let message = format!(
                "{field} must be between {} and {}{unit}",
                range.start(),
                range.end()
            );
            errors.add(field, "out_of_range", message);
            None
        }
    }
}

fn seconds(errors: &mut ValidationErrors, name: &str, value: i64) -> Option<u32> {
    check(errors, name, value, &SECONDS, " seconds")
}

/// `t` plus `seconds`, or the latest representable time.
fn after(t: Timestamp, seconds: u32) -> Timestamp {
    t.checked_add(SignedDuration::from_secs(i64::from(seconds)))
        .unwrap_or(Timestamp::MAX)
}

impl AlertPolicy {
    /// Checks every field's range (e.g. the configured default for new shops). Fields are
    /// reported as `alerts.<field>` with the code `out_of_range`.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        seconds(
            &mut errors,
            "repeat_after_seconds",
            self.repeat_after_seconds.into(),
        );
        seconds(
            &mut errors,
            "repeat_every_seconds",
            self.repeat_every_seconds.into(),
        );
        if let Some(s) = self.call_after_seconds {
            seconds(&mut errors, "call_after_seconds", s.into());
        }
        if let Some(s) = self.miss_after_seconds {
            seconds(&mut errors, "miss_after_seconds", s.into());
        }
        seconds(
            &mut errors,
            "unheard_after_seconds",
            self.unheard_after_seconds.into(),
        );
        if let Some(n) = self.pause_after_missed {
            check(
                &mut errors,
                "pause_after_missed",
                n.into(),
                &PAUSE_AFTER_MISSED,
                "",
            );
        }
        errors.into_result()
    }

    /// This policy with `patch` applied, checked; every bad field of the patch is reported.
    pub fn apply(&self, patch: &AlertPolicyPatch) -> Result<AlertPolicy, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mut next = self.clone();
        let mut set = |name: &str, value: Option<i64>, target: &mut u32| {
            if let Some(v) = value.and_then(|v| seconds(&mut errors, name, v)) {
                *target = v;
            }
        };
        set(
            "repeat_after_seconds",
            patch.repeat_after_seconds,
            &mut next.repeat_after_seconds,
        );
        set(
            "repeat_every_seconds",
            patch.repeat_every_seconds,
            &mut next.repeat_every_seconds,
        );
        set(
            "unheard_after_seconds",
            patch.unheard_after_seconds,
            &mut next.unheard_after_seconds,
        );
        let mut set_optional =
            |name: &str, value: Option<Option<i64>>, range, unit, target: &mut Option<u32>| {
                match value {
                    None => {}
                    Some(None) => *target = None,
                    Some(Some(v)) => {
                        if let Some(v) = check(&mut errors, name, v, range, unit) {
                            *target = Some(v);
                        }
                    }
                }
            };
        set_optional(
            "call_after_seconds",
            patch.call_after_seconds,
            &SECONDS,
            " seconds",
            &mut next.call_after_seconds,
        );
        set_optional(
            "miss_after_seconds",
            patch.miss_after_seconds,
            &SECONDS,
            " seconds",
            &mut next.miss_after_seconds,
        );
        set_optional(
            "pause_after_missed",
            patch.pause_after_missed,
            &PAUSE_AFTER_MISSED,
            "",
            &mut next.pause_after_missed,
        );
        if let Some(pause) = patch.pause_when_unheard {
            next.pause_when_unheard = pause;
        }
        errors.into_result()?;
        next.validate()?;
        Ok(next)
    }

    /// When an order created at `created` is first announced again.
    pub fn first_repeat_at(&self, created: Timestamp) -> Timestamp {
        after(created, self.repeat_after_seconds)
    }

    /// When the announcement after one made at `previous` is due.
    pub fn next_repeat_after(&self, previous: Timestamp) -> Timestamp {
        after(previous, self.repeat_every_seconds)
    }

    /// When the members' phones are called about an order created at `created`, if they are.
    /// (A call at or after [`AlertPolicy::miss_at`] never happens.)
    pub fn call_at(&self, created: Timestamp) -> Option<Timestamp> {
        self.call_after_seconds.map(|s| after(created, s))
    }

    /// When an order created at `created` becomes `missed`, if ever.
    pub fn miss_at(&self, created: Timestamp) -> Option<Timestamp> {
        self.miss_after_seconds.map(|s| after(created, s))
    }

    /// Whether a step due at `at`, for an order created at `created`, still comes before the
    /// miss. Repeats (and the call) stop once the order is missed: one due at or after the miss
    /// is not sent.
    pub fn repeats_before(&self, at: Timestamp, created: Timestamp) -> bool {
        self.miss_at(created).is_none_or(|miss| at < miss)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn patch(json: serde_json::Value) -> AlertPolicyPatch {
        serde_json::from_value(json).unwrap()
    }

    fn fields(errors: &ValidationErrors) -> Vec<(&str, &str)> {
        errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect()
    }

    #[test]
    fn the_default_policy() {
        let p = AlertPolicy::default();
        assert_eq!(p.repeat_after_seconds, 60);
        assert_eq!(p.repeat_every_seconds, 60);
        assert_eq!(p.call_after_seconds, Some(120));
        assert_eq!(p.miss_after_seconds, Some(600));
        assert_eq!(p.unheard_after_seconds, 120);
        assert!(!p.pause_when_unheard);
        assert_eq!(p.pause_after_missed, Some(3));
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn every_field_is_written_with_null_for_off() {
        let p = AlertPolicy {
            call_after_seconds: None,
            miss_after_seconds: None,
            pause_after_missed: None,
            ..AlertPolicy::default()
        };
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({
                "repeat_after_seconds": 60,
                "repeat_every_seconds": 60,
                "call_after_seconds": null,
                "miss_after_seconds": null,
                "unheard_after_seconds": 120,
                "pause_when_unheard": false,
                "pause_after_missed": null,
            })
        );
        let back: AlertPolicy = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn missing_fields_take_the_defaults() {
        let p: AlertPolicy =
            serde_json::from_str(r#"{"miss_after_seconds": 900, "pause_when_unheard": true}"#)
                .unwrap();
        assert_eq!(
            p,
            AlertPolicy {
                miss_after_seconds: Some(900),
                pause_when_unheard: true,
                ..AlertPolicy::default()
            }
        );
        let empty: AlertPolicy = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, AlertPolicy::default());
        // An explicit null turns a step off.
        let off: AlertPolicy = serde_json::from_str(r#"{"call_after_seconds": null}"#).unwrap();
        assert_eq!(off.call_after_seconds, None);
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<AlertPolicy>(r#"{"repeat_afer_seconds": 30}"#).is_err());
        assert!(
            serde_json::from_str::<AlertPolicyPatch>(r#"{"repeat_afer_seconds": 30}"#).is_err()
        );
    }

    #[test]
    fn validate_reports_every_field_out_of_range() {
        let p = AlertPolicy {
            repeat_after_seconds: 9,
            repeat_every_seconds: 86_401,
            call_after_seconds: Some(0),
            miss_after_seconds: Some(100_000),
            unheard_after_seconds: 5,
            pause_when_unheard: true,
            pause_after_missed: Some(0),
        };
        let errors = p.validate().unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                ("alerts.repeat_after_seconds", "out_of_range"),
                ("alerts.repeat_every_seconds", "out_of_range"),
                ("alerts.call_after_seconds", "out_of_range"),
                ("alerts.miss_after_seconds", "out_of_range"),
                ("alerts.unheard_after_seconds", "out_of_range"),
                ("alerts.pause_after_missed", "out_of_range"),
            ]
        );
        assert_eq!(
            errors.0[0].message,
            "alerts.repeat_after_seconds must be between 10 and 86400 seconds"
        );
        assert_eq!(
            errors.0[5].message,
            "alerts.pause_after_missed must be between 1 and 100"
        );
    }

    #[test]
    fn the_bounds_themselves_are_allowed() {
        let low = AlertPolicy {
            repeat_after_seconds: 10,
            repeat_every_seconds: 10,
            call_after_seconds: Some(10),
            miss_after_seconds: Some(10),
            unheard_after_seconds: 10,
            pause_when_unheard: false,
            pause_after_missed: Some(1),
        };
        assert_eq!(low.validate(), Ok(()));
        let high = AlertPolicy {
            repeat_after_seconds: 86_400,
            repeat_every_seconds: 86_400,
            call_after_seconds: Some(86_400),
            miss_after_seconds: Some(86_400),
            unheard_after_seconds: 86_400,
            pause_when_unheard: true,
            pause_after_missed: Some(100),
        };
        assert_eq!(high.validate(), Ok(()));
        let off = AlertPolicy {
            call_after_seconds: None,
            miss_after_seconds: None,
            pause_after_missed: None,
            ..AlertPolicy::default()
        };
        assert_eq!(off.validate(), Ok(()));
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let current = AlertPolicy::default();
        let next = current
            .apply(&patch(serde_json::json!({
                "repeat_every_seconds": 30,
                "pause_when_unheard": true,
            })))
            .unwrap();
        assert_eq!(
            next,
            AlertPolicy {
                repeat_every_seconds: 30,
                pause_when_unheard: true,
                ..current.clone()
            }
        );
        assert_eq!(current.apply(&AlertPolicyPatch::default()), Ok(current));
    }

    #[test]
    fn null_turns_a_step_off_and_absent_leaves_it() {
        let p = patch(serde_json::json!({
            "call_after_seconds": null,
            "pause_after_missed": null,
        }));
        assert_eq!(p.call_after_seconds, Some(None));
        assert_eq!(p.miss_after_seconds, None);
        assert_eq!(p.pause_after_missed, Some(None));
        let next = AlertPolicy::default().apply(&p).unwrap();
        assert_eq!(next.call_after_seconds, None);
        assert_eq!(next.miss_after_seconds, Some(600));
        assert_eq!(next.pause_after_missed, None);
        // And a value turns it back on.
        let on = next
            .apply(&patch(serde_json::json!({"call_after_seconds": 300})))
            .unwrap();
        assert_eq!(on.call_after_seconds, Some(300));
    }

    #[test]
    fn a_bad_patch_lists_every_field_and_changes_nothing() {
        let errors = AlertPolicy::default()
            .apply(&patch(serde_json::json!({
                "repeat_after_seconds": 5,
                "repeat_every_seconds": -60,
                "call_after_seconds": 86_401,
                "miss_after_seconds": 10_000_000_000_i64,
                "unheard_after_seconds": 60,
                "pause_after_missed": 101,
            })))
            .unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                ("alerts.repeat_after_seconds", "out_of_range"),
                ("alerts.repeat_every_seconds", "out_of_range"),
                ("alerts.call_after_seconds", "out_of_range"),
                ("alerts.miss_after_seconds", "out_of_range"),
                ("alerts.pause_after_missed", "out_of_range"),
            ]
        );
    }

    #[test]
    fn a_call_after_the_miss_is_allowed() {
        let next = AlertPolicy::default()
            .apply(&patch(serde_json::json!({
                "call_after_seconds": 900,
                "miss_after_seconds": 300,
            })))
            .unwrap();
        assert_eq!(next.call_after_seconds, Some(900));
        assert_eq!(next.miss_after_seconds, Some(300));
        // The call would come after the miss, so it never happens.
        let call = next.call_at(t(0)).unwrap();
        assert!(!next.repeats_before(call, t(0)));
    }

    #[test]
    fn step_times_count_from_the_order() {
        let p = AlertPolicy {
            repeat_after_seconds: 45,
            repeat_every_seconds: 30,
            call_after_seconds: Some(120),
            miss_after_seconds: Some(600),
            ..AlertPolicy::default()
        };
        assert_eq!(p.first_repeat_at(t(0)), t(45));
        assert_eq!(p.next_repeat_after(t(45)), t(75));
        assert_eq!(p.call_at(t(0)), Some(t(120)));
        assert_eq!(p.miss_at(t(0)), Some(t(600)));
        let off = AlertPolicy {
            call_after_seconds: None,
            miss_after_seconds: None,
            ..p
        };
        assert_eq!(off.call_at(t(0)), None);
        assert_eq!(off.miss_at(t(0)), None);
    }

    #[test]
    fn repeats_stop_at_the_miss() {
        let p = AlertPolicy::default();
        assert!(p.repeats_before(t(540), t(0)));
        assert!(p.repeats_before(t(599), t(0)));
        assert!(!p.repeats_before(t(600), t(0)), "due at the miss: not sent");
        assert!(!p.repeats_before(t(660), t(0)));
        let never_missed = AlertPolicy {
            miss_after_seconds: None,
            ..p
        };
        assert!(never_missed.repeats_before(t(1_000_000), t(0)));
    }

    #[test]
    fn step_times_do_not_overflow() {
        let p = AlertPolicy::default();
        assert_eq!(p.first_repeat_at(Timestamp::MAX), Timestamp::MAX);
        assert_eq!(p.miss_at(Timestamp::MAX), Some(Timestamp::MAX));
    }

    #[test]
    fn nullable_tells_absent_from_null() {
        #[derive(Deserialize)]
        struct Probe {
            #[serde(default, deserialize_with = "nullable")]
            value: Option<Option<String>>,
        }
        let read = |json: &str| serde_json::from_str::<Probe>(json).unwrap().value;
        assert_eq!(read("{}"), None);
        assert_eq!(read(r#"{"value": null}"#), Some(None));
        assert_eq!(read(r#"{"value": "x"}"#), Some(Some("x".into())));
    }

    #[test]
    fn the_schema_documents_the_nullable_steps() {
        use utoipa::PartialSchema;
        let policy = serde_json::to_value(AlertPolicy::schema()).unwrap();
        assert_eq!(policy["type"], "object");
        // Every field is always written, `null` included.
        assert_eq!(policy["required"].as_array().map(Vec::len), Some(7));
        assert_eq!(
            policy["properties"]["call_after_seconds"]["type"],
            serde_json::json!(["integer", "null"])
        );
        let patch = serde_json::to_value(AlertPolicyPatch::schema()).unwrap();
        let call = &patch["properties"]["call_after_seconds"];
        assert!(
            call.to_string().contains("null"),
            "call_after_seconds may be null: {call}"
        );
    }
}
