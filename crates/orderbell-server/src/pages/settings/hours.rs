//! Opening hours as the alerts form types them: one field a day (`09:00-14:00, 17:00-21:00`)
//! and a list of closed dates, shown from the shop's opening-hours JSON and read back into it
//! (the core checks what was typed).

use orderbell_core::hours::DAY_KEYS;
use serde_json::{Map, Value};

use crate::pages::form::Form;
use crate::pages::i18n::Texts;

/// One day of the opening hours as typed: `09:00-14:00, 17:00-21:00`.
pub struct DayInput {
    /// `mon` … `sun`.
    pub key: &'static str,
    /// The form field: `hours_mon` …
    pub name: String,
    pub label: &'static str,
    pub value: String,
}

impl DayInput {
    fn new(key: &'static str, t: &Texts, value: String) -> DayInput {
        DayInput {
            key,
            name: format!("hours_{key}"),
            label: t.day(key),
            value,
        }
    }
}

/// The days of stored opening hours, as typed.
pub fn days_of(hours: Option<&Value>, t: &Texts) -> Vec<DayInput> {
    DAY_KEYS
        .iter()
        .map(|key| {
            let value = hours
                .and_then(|h| h.get(*key))
                .and_then(Value::as_array)
                .map(|spans| {
                    spans
                        .iter()
                        .filter_map(|span| match span.as_array().map(Vec::as_slice) {
                            Some([Value::String(open), Value::String(close)]) => {
                                Some(format!("{open}-{close}"))
                            }
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            DayInput::new(key, t, value)
        })
        .collect()
}

/// The closed dates of stored opening hours, as typed.
pub fn closed_dates_of(hours: Option<&Value>) -> String {
    hours
        .and_then(|h| h.get("closed_dates"))
        .and_then(Value::as_array)
        .map(|dates| {
            dates
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The days as the posted form has them.
pub fn days_from(form: &Form, t: &Texts) -> Vec<DayInput> {
    DAY_KEYS
        .iter()
        .map(|key| {
            let value = form.text(&format!("hours_{key}")).trim().to_owned();
            DayInput::new(key, t, value)
        })
        .collect()
}

/// The opening-hours JSON that typed days and closed dates stand for, not yet checked.
pub fn to_json(days: &[DayInput], closed_dates: &str) -> Value {
    let mut map = Map::new();
    for day in days {
        let spans: Vec<Value> = day
            .value
            .split(',')
            .map(str::trim)
            .filter(|span| !span.is_empty())
            .map(|span| {
                let (open, close) = span.split_once(['-', '~', '–']).unwrap_or((span, ""));
                Value::from(vec![open.trim(), close.trim()])
            })
            .collect();
        map.insert(day.key.to_owned(), Value::Array(spans));
    }
    let dates: Vec<Value> = closed_dates
        .split([',', '\n', ' '])
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(Value::from)
        .collect();
    map.insert("closed_dates".to_owned(), Value::Array(dates));
    Value::Object(map)
}

/// The form field of a core error about the opening hours, given what follows
/// `opening_hours` in its name: `.mon[0]` → `hours_mon`, `.closed_dates[2]` →
/// `closed_dates`, anything else → `hours_on`.
pub fn field_of(rest: &str) -> String {
    let key = rest
        .trim_start_matches('.')
        .split('[')
        .next()
        .unwrap_or_default();
    match key {
        "closed_dates" => "closed_dates".to_owned(),
        k if DAY_KEYS.contains(&k) => format!("hours_{k}"),
        _ => "hours_on".to_owned(),
    }
}
