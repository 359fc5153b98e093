//! A shop's opening hours: when guests may order, in the shop's own time zone.
//!
//! Sent and stored as JSON:
//!
//! ```json
//! {"mon": [["09:00", "14:00"], ["17:00", "21:00"]], "tue": [], "fri": [["18:00", "02:00"]],
//!  "closed_dates": ["2026-12-25"]}
//! ```
//!
//! - The days are `mon` to `sun`; each holds up to [`MAX_SPANS_PER_DAY`] `[open, close]` pairs of
//!   local `HH:MM` times (`00:00` to `23:59`; a close may also be `24:00`). A day left out, `null`
//!   or `[]` is closed all day.
//! - A span whose close is not after its open (`["22:00", "02:00"]`, or `["09:00", "09:00"]` for
//!   a whole day) runs past midnight into the next day.
//! - `closed_dates` (up to [`MAX_CLOSED_DATES`] local `YYYY-MM-DD` dates) drop the spans that
//!   start on them; a span that started the evening before still runs until its close.
//! - Spans may touch or overlap: the shop is open while any of them is.
//!
//! Local times become instants with jiff's compatible rule: a time the clocks skip (spring
//! forward) is moved forward by the length of the gap (02:30 becomes 03:30), and a time that
//! happens twice (fall back) is the earlier of the two. A span that ends up empty that way (it
//! lies in the skipped hour, or its close lands before its open) is closed that day.

use std::collections::BTreeSet;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{Timestamp, ValidationErrors};

/// The most spans one day may have.
pub const MAX_SPANS_PER_DAY: usize = 8;
/// The most closed dates a shop may list.
pub const MAX_CLOSED_DATES: usize = 366;
/// How many days ahead [`OpeningHours::next_open`] and [`OpeningHours::closes_at`] look.
pub const SEARCH_DAYS: usize = 400;
/// The JSON keys of the days, Monday first.
pub const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const FIELD: &str = "opening_hours";
const MINUTES_PER_DAY: u16 = 24 * 60;

/// The time zone called `name` (IANA, e.g. `Asia/Seoul`), if Orderbell knows it. Accepts the
/// same names as [`crate::text::is_valid_time_zone`].
pub fn time_zone(name: &str) -> Option<TimeZone> {
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    TimeZone::get(name).ok()
}

/// One opening span of a day, in minutes after local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    open: u16,
    close: u16,
}

impl Span {
    /// A span from `open` (0 to 1439) to `close` (0 to 1440) minutes after midnight; a close not
    /// after the open runs past midnight.
    pub fn new(open: u16, close: u16) -> Option<Span> {
        (open < MINUTES_PER_DAY && close <= MINUTES_PER_DAY).then_some(Span { open, close })
    }

    /// A span from two `HH:MM` texts (the close may be `24:00`).
    pub fn parse(open: &str, close: &str) -> Option<Span> {
        Span::new(parse_minute(open)?, parse_minute(close)?)
    }

    /// Minutes after local midnight when it opens.
    pub fn open(self) -> u16 {
        self.open
    }

    /// Minutes after local midnight when it closes (1440 is `24:00`).
    pub fn close(self) -> u16 {
        self.close
    }

    /// Whether it closes on the next day.
    pub fn runs_past_midnight(self) -> bool {
        self.close <= self.open
    }

    /// Minutes from the start of the day it opens on to its close (up to 2880).
    fn end_minute(self) -> u16 {
        if self.runs_past_midnight() {
            self.close + MINUTES_PER_DAY
        } else {
            self.close
        }
    }
}

/// `HH:MM`, 00:00 to 23:59, or 24:00: minutes after midnight.
fn parse_minute(text: &str) -> Option<u16> {
    let bytes = text.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return None;
    }
    let digit = |i: usize| {
        bytes
            .get(i)
            .filter(|b| b.is_ascii_digit())
            .map(|b| u16::from(b - b'0'))
    };
    let hour = digit(0)? * 10 + digit(1)?;
    let minute = digit(3)? * 10 + digit(4)?;
    match (hour, minute) {
        (24, 0) => Some(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Some(hour * 60 + minute),
        _ => None,
    }
}

fn minute_text(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// `YYYY-MM-DD`, a real calendar date.
fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i16> {
        let part = text.get(range)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let year = number(0..4)?;
    let month = i8::try_from(number(5..7)?).ok()?;
    let day = i8::try_from(number(8..10)?).ok()?;
    Date::new(year, month, day).ok()
}

fn date_text(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

/// A shop's weekly opening hours and the dates it stays closed. Built from JSON with
/// [`OpeningHours::from_json`] (or serde, which checks the same way).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpeningHours {
    /// Monday first.
    week: [Vec<Span>; 7],
    closed_dates: BTreeSet<Date>,
}

impl OpeningHours {
    /// Checks opening hours sent as JSON, reporting every problem under `opening_hours.…`.
    pub fn from_json(value: &Value) -> Result<OpeningHours, ValidationErrors> {
        let Some(map) = value.as_object() else {
            return Err(ValidationErrors::single(
                FIELD,
                "invalid",
                "opening_hours must be an object with the days mon to sun and closed_dates",
            ));
        };
        let mut errors = ValidationErrors::new();
        let mut hours = OpeningHours::default();
        for (key, value) in map {
            if let Some(day) = DAY_KEYS.iter().position(|k| k == key) {
                if let Some(spans) = hours.week.get_mut(day) {
                    *spans = parse_day(&mut errors, key, value);
                }
            } else if key == "closed_dates" {
                hours.closed_dates = parse_closed_dates(&mut errors, value);
            } else {
                errors.add(
                    format!("{FIELD}.{key}"),
                    "unknown_field",
                    format!("{FIELD} has no field {key:?}; use mon to sun and closed_dates"),
                );
            }
        }
        errors.into_result()?;
        Ok(hours)
    }

    /// The JSON form: every day (`[]` when closed) and `closed_dates`, in date order.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        for (key, spans) in DAY_KEYS.iter().zip(&self.week) {
            let pairs = spans
                .iter()
                .map(|s| {
                    Value::Array(vec![
                        Value::String(minute_text(s.open)),
                        Value::String(minute_text(s.close)),
                    ])
                })
                .collect();
            map.insert((*key).to_owned(), Value::Array(pairs));
        }
        let dates = self
            .closed_dates
            .iter()
            .map(|d| Value::String(date_text(*d)))
            .collect();
        map.insert("closed_dates".to_owned(), Value::Array(dates));
        Value::Object(map)
    }

    /// The spans of a weekday, as given.
    pub fn spans(&self, day: Weekday) -> &[Span] {
        self.week
            .get(day_index(day))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The dates the shop stays closed, in order.
    pub fn closed_dates(&self) -> impl Iterator<Item = Date> + '_ {
        self.closed_dates.iter().copied()
    }

    /// Whether no day has any span (such a shop never opens).
    pub fn is_never_open(&self) -> bool {
        self.week.iter().all(Vec::is_empty)
    }

    /// Whether the shop is open at `now`.
    pub fn is_open(&self, now: Timestamp, tz: &TimeZone) -> bool {
        // A span lasts at most a day, so only spans starting in the last two days can hold `now`
        // (one more day is kept for clock changes around midnight).
        let today = tz.to_datetime(now).date();
        days_from(
            today
                .yesterday()
                .and_then(|d| d.yesterday())
                .unwrap_or(today),
        )
        .take(3)
        .flat_map(|date| self.intervals_on(date, tz))
        .any(|(start, end)| start <= now && now < end)
    }

    /// When the shop next opens: `now` while it is open, else the first opening within
    /// [`SEARCH_DAYS`] days (past any closed dates); `None` if it does not open in that time.
    pub fn next_open(&self, now: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        if self.is_never_open() {
            return None;
        }
        if self.is_open(now, tz) {
            return Some(now);
        }
        let today = tz.to_datetime(now).date();
        let mut found: Option<Timestamp> = None;
        for date in days_from(today.yesterday().unwrap_or(today)).take(SEARCH_DAYS + 2) {
            let first = self
                .intervals_on(date, tz)
                .into_iter()
                .map(|(start, _)| start)
                .filter(|start| *start > now)
                .min();
            match (found, first) {
                // The day after the first one with an opening is checked too: clock changes can
                // (rarely) move an opening just after midnight before one late the evening before.
                (Some(best), first) => return Some(first.map_or(best, |f| f.min(best))),
                (None, Some(first)) => found = Some(first),
                (None, None) => {}
            }
        }
        found
    }

    /// While the shop is open at `now`, when it closes: the end of the current span, following
    /// spans that touch or overlap it (also across midnight). `None` when it is closed, or when it
    /// stays open for all of the next [`SEARCH_DAYS`] days.
    pub fn closes_at(&self, now: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let today = tz.to_datetime(now).date();
        let start = today
            .yesterday()
            .and_then(|d| d.yesterday())
            .unwrap_or(today);
        let mut end: Option<Timestamp> = None;
        let mut waiting: Vec<(Timestamp, Timestamp)> = Vec::new();
        for date in days_from(start).take(SEARCH_DAYS + 3) {
            waiting.extend(self.intervals_on(date, tz));
            if end.is_none() {
                end = waiting
                    .iter()
                    .filter(|(s, e)| *s <= now && now < *e)
                    .map(|(_, e)| *e)
                    .max();
            }
            let Some(mut until) = end else {
                if date >= today {
                    return None;
                }
                continue;
            };
            // Extend through every span that starts before (or right when) the current one ends.
            loop {
                let next = waiting
                    .iter()
                    .filter(|(s, e)| *s <= until && *e > until)
                    .map(|(_, e)| *e)
                    .max();
                match next {
                    Some(later) => until = later,
                    None => break,
                }
            }
            waiting.retain(|(_, e)| *e > until);
            end = Some(until);
            // Spans of later days start at or after the next local midnight: once that is past
            // the end, nothing can extend it.
            let next_midnight = date.tomorrow().ok().and_then(|d| local_instant(tz, d, 0));
            if date >= today && next_midnight.is_none_or(|m| m > until) {
                return Some(until);
            }
        }
        None
    }

    /// The instants the spans starting on `date` cover (none on a closed date), by start.
    fn intervals_on(&self, date: Date, tz: &TimeZone) -> Vec<(Timestamp, Timestamp)> {
        if self.closed_dates.contains(&date) {
            return Vec::new();
        }
        let mut intervals: Vec<_> = self
            .spans(date.weekday())
            .iter()
            .filter_map(|span| {
                let start = local_instant(tz, date, span.open)?;
                let end = local_instant(tz, date, span.end_minute())?;
                (start < end).then_some((start, end))
            })
            .collect();
        intervals.sort_unstable();
        intervals
    }
}

fn day_index(day: Weekday) -> usize {
    usize::try_from(day.to_monday_zero_offset()).unwrap_or(0)
}

/// `date`, the day after, and so on.
fn days_from(date: Date) -> impl Iterator<Item = Date> {
    std::iter::successors(Some(date), |d| d.tomorrow().ok())
}

/// The instant of `minute` minutes (up to two days) after local midnight starting `date`, by
/// the compatible rule.
fn local_instant(tz: &TimeZone, date: Date, minute: u16) -> Option<Timestamp> {
    let mut date = date;
    for _ in 0..minute / MINUTES_PER_DAY {
        date = date.tomorrow().ok()?;
    }
    let minute = minute % MINUTES_PER_DAY;
    let hour = i8::try_from(minute / 60).ok()?;
    let minute = i8::try_from(minute % 60).ok()?;
    let time = Time::new(hour, minute, 0, 0).ok()?;
    tz.to_ambiguous_timestamp(date.to_datetime(time))
        .compatible()
        .ok()
}

fn parse_day(errors: &mut ValidationErrors, key: &str, value: &Value) -> Vec<Span> {
    let field = format!("{FIELD}.{key}");
    let items = match value {
        Value::Null => return Vec::new(),
        Value::Array(items) => items,
        _ => {
            errors.add(
                &field,
                "invalid",
                format!(
                    "{field} must be a list of [open, close] pairs such as [\"09:00\", \"14:00\"]"
                ),
            );
            return Vec::new();
        }
    };
    if items.len() > MAX_SPANS_PER_DAY {
        errors.add(
            &field,
            "too_many",
            format!("{field} has more than {MAX_SPANS_PER_DAY} spans"),
        );
        return Vec::new();
    }
    let mut spans = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let span = match item.as_array().map(Vec::as_slice) {
            Some([Value::String(open), Value::String(close)]) => Span::parse(open, close),
            _ => None,
        };
        match span {
            Some(span) => spans.push(span),
            None => errors.add(
                format!("{field}[{i}]"),
                "invalid",
                format!(
                    "{field}[{i}] must be a pair of times such as [\"09:00\", \"14:00\"] \
                     (00:00 to 23:59; the close may be 24:00)"
                ),
            ),
        }
    }
    spans
}

fn parse_closed_dates(errors: &mut ValidationErrors, value: &Value) -> BTreeSet<Date> {
    let field = format!("{FIELD}.closed_dates");
    let items = match value {
        Value::Null => return BTreeSet::new(),
        Value::Array(items) => items,
        _ => {
            errors.add(
                &field,
                "invalid",
                format!("{field} must be a list of dates such as \"2026-12-25\""),
            );
            return BTreeSet::new();
        }
    };
    if items.len() > MAX_CLOSED_DATES {
        errors.add(
            &field,
            "too_many",
            format!("{field} has more than {MAX_CLOSED_DATES} dates"),
        );
        return BTreeSet::new();
    }
    let mut dates = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str().and_then(parse_date) {
            Some(date) => {
                dates.insert(date);
            }
            None => errors.add(
                format!("{field}[{i}]"),
                "invalid",
                format!("{field}[{i}] must be a date such as \"2026-12-25\""),
            ),
        }
    }
    dates
}

impl Serialize for OpeningHours {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for OpeningHours {
    /// Checks like [`OpeningHours::from_json`]; the error names the first bad field.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        OpeningHours::from_json(&value).map_err(|errors| {
            let first = errors
                .0
                .first()
                .map(|e| e.message.clone())
                .unwrap_or_else(|| errors.to_string());
            serde::de::Error::custom(first)
        })
    }
}

impl utoipa::PartialSchema for OpeningHours {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};

        let time = || {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"))
        };
        let day = || {
            ArrayBuilder::new()
                .items(
                    ArrayBuilder::new()
                        .items(time())
                        .min_items(Some(2))
                        .max_items(Some(2))
                        .description(Some("[open, close], local HH:MM; a close not after the open is on the next day")),
                )
                .max_items(Some(MAX_SPANS_PER_DAY))
        };
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "Opening hours in the shop's time zone. A day left out or [] is closed all day; \
                 closed_dates drop the spans that start on them.",
            ))
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ));
        for key in DAY_KEYS {
            object = object.property(key, day());
        }
        object = object
            .property(
                "closed_dates",
                ArrayBuilder::new()
                    .items(ObjectBuilder::new().schema_type(Type::String).format(Some(
                        utoipa::openapi::SchemaFormat::KnownFormat(
                            utoipa::openapi::KnownFormat::Date,
                        ),
                    )))
                    .max_items(Some(MAX_CLOSED_DATES)),
            )
            .examples([serde_json::json!({
                "mon": [["09:00", "14:00"], ["17:00", "21:00"]],
                "fri": [["18:00", "02:00"]],
                "closed_dates": ["2026-12-25"],
            })]);
        object.into()
    }
}

impl utoipa::ToSchema for OpeningHours {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use jiff::SignedDuration;
    use serde_json::json;

    use super::*;

    fn hours(value: Value) -> OpeningHours {
        OpeningHours::from_json(&value).unwrap()
    }

    fn tz(name: &str) -> TimeZone {
        time_zone(name).unwrap()
    }

    /// The instant of a local time in `zone`, e.g. `at("Europe/Berlin", "2026-03-29T01:30")`
    /// (compatible rule).
    fn at(zone: &str, local: &str) -> Timestamp {
        let dt: jiff::civil::DateTime = local.parse().unwrap();
        tz(zone).to_ambiguous_timestamp(dt).compatible().unwrap()
    }

    fn utc(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn errors(value: Value) -> Vec<(String, &'static str)> {
        OpeningHours::from_json(&value)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    fn every_day(spans: Value) -> Value {
        let mut map = Map::new();
        for key in DAY_KEYS {
            map.insert(key.to_owned(), spans.clone());
        }
        Value::Object(map)
    }

    #[test]
    fn reads_the_documented_shape_and_writes_it_back() {
        let input = json!({
            "mon": [["09:00", "14:00"], ["17:00", "21:00"]],
            "tue": [],
            "wed": [["00:00", "24:00"]],
            "thu": [["10:00", "10:00"]],
            "fri": [["18:00", "02:00"]],
            "sat": [["22:00", "00:00"]],
            "sun": [["23:59", "24:00"]],
            "closed_dates": ["2026-12-25", "2026-01-01"],
        });
        let h = hours(input.clone());
        let mut expected = input;
        expected["closed_dates"] = json!(["2026-01-01", "2026-12-25"]);
        assert_eq!(h.to_json(), expected);
        assert_eq!(serde_json::to_value(&h).unwrap(), expected);
        assert_eq!(hours(h.to_json()), h);
        let back: OpeningHours = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
        assert_eq!(back, h);
        assert_eq!(
            h.spans(Weekday::Monday),
            [Span::new(540, 840).unwrap(), Span::new(1020, 1260).unwrap()]
        );
        assert_eq!(
            h.closed_dates().collect::<Vec<_>>(),
            [
                jiff::civil::date(2026, 1, 1),
                jiff::civil::date(2026, 12, 25)
            ]
        );
    }

    #[test]
    fn days_left_out_empty_or_null_are_closed() {
        let h = hours(json!({"mon": [["09:00", "17:00"]], "tue": [], "wed": null}));
        for day in [Weekday::Tuesday, Weekday::Wednesday, Weekday::Sunday] {
            assert!(h.spans(day).is_empty(), "{day:?}");
        }
        assert_eq!(
            h.to_json(),
            json!({
                "mon": [["09:00", "17:00"]], "tue": [], "wed": [], "thu": [], "fri": [],
                "sat": [], "sun": [], "closed_dates": [],
            })
        );
        assert_eq!(hours(json!({})), OpeningHours::default());
        assert!(hours(json!({})).is_never_open());
        assert!(!h.is_never_open());
    }

    #[test]
    fn times_are_strict() {
        assert_eq!(parse_minute("00:00"), Some(0));
        assert_eq!(parse_minute("23:59"), Some(1439));
        assert_eq!(parse_minute("24:00"), Some(1440));
        for bad in [
            "24:01", "25:00", "9:00", "09:0", "09:60", "0900", "09-00", "+9:00", "", "ab:cd",
            "09:00 ",
        ] {
            assert_eq!(parse_minute(bad), None, "{bad}");
        }
        assert_eq!(
            Span::parse("24:00", "02:00"),
            None,
            "a span cannot open at 24:00"
        );
        assert!(Span::parse("22:00", "02:00").unwrap().runs_past_midnight());
        assert!(Span::parse("09:00", "09:00").unwrap().runs_past_midnight());
        assert!(!Span::parse("09:00", "24:00").unwrap().runs_past_midnight());
        assert_eq!(
            parse_date("2028-02-29"),
            Some(jiff::civil::date(2028, 2, 29))
        );
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026-01-01T00:00",
            "2026/01/01",
            "+2026-01-1",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_bad_field_is_reported_with_its_path() {
        let found = errors(json!({
            "mon": [["09:00", "14:00"], ["17:00", "25:00"], ["9:00", "10:00"]],
            "tue": "09:00-17:00",
            "wed": [["09:00"], ["09:00", "10:00", "11:00"], "09:00", [9, 10], ["24:00", "02:00"]],
            "closed_dates": ["2026-12-25", "Christmas", 20261225],
            "holidays": [],
        }));
        let expected = [
            ("opening_hours.closed_dates[1]", "invalid"),
            ("opening_hours.closed_dates[2]", "invalid"),
            ("opening_hours.holidays", "unknown_field"),
            ("opening_hours.mon[1]", "invalid"),
            ("opening_hours.mon[2]", "invalid"),
            ("opening_hours.tue", "invalid"),
            ("opening_hours.wed[0]", "invalid"),
            ("opening_hours.wed[1]", "invalid"),
            ("opening_hours.wed[2]", "invalid"),
            ("opening_hours.wed[3]", "invalid"),
            ("opening_hours.wed[4]", "invalid"),
        ];
        let mut found: Vec<_> = found.iter().map(|(f, c)| (f.as_str(), *c)).collect();
        found.sort_unstable();
        assert_eq!(found, expected);
        let e = OpeningHours::from_json(&json!({"mon": [["9:00", "14:00"]]})).unwrap_err();
        assert_eq!(
            e.0[0].message,
            "opening_hours.mon[0] must be a pair of times such as [\"09:00\", \"14:00\"] \
             (00:00 to 23:59; the close may be 24:00)"
        );
    }

    #[test]
    fn the_whole_value_must_be_an_object() {
        for bad in [json!([]), json!("09:00"), json!(null), json!(1)] {
            assert_eq!(errors(bad), [("opening_hours".to_owned(), "invalid")]);
        }
        assert_eq!(
            errors(json!({"closed_dates": "2026-12-25"})),
            [("opening_hours.closed_dates".to_owned(), "invalid")]
        );
    }

    #[test]
    fn at_most_8_spans_a_day_and_366_closed_dates() {
        let eight: Vec<_> = (0..8)
            .map(|h| json!([format!("{h:02}:00"), format!("{h:02}:30")]))
            .collect();
        let nine: Vec<_> = (0..9)
            .map(|h| json!([format!("{h:02}:00"), format!("{h:02}:30")]))
            .collect();
        assert_eq!(hours(json!({"mon": eight})).spans(Weekday::Monday).len(), 8);
        assert_eq!(
            errors(json!({"mon": nine})),
            [("opening_hours.mon".to_owned(), "too_many")]
        );
        let start = jiff::civil::date(2026, 1, 1);
        let dates = |n: usize| -> Vec<String> { days_from(start).take(n).map(date_text).collect() };
        assert_eq!(
            hours(json!({"closed_dates": dates(366)}))
                .closed_dates()
                .count(),
            366
        );
        assert_eq!(
            errors(json!({"closed_dates": dates(367)})),
            [("opening_hours.closed_dates".to_owned(), "too_many")]
        );
        // The same date twice is kept once.
        let twice = hours(json!({"closed_dates": ["2026-12-25", "2026-12-25"]}));
        assert_eq!(twice.closed_dates().count(), 1);
    }

    #[test]
    fn serde_checks_like_from_json() {
        let bad =
            serde_json::from_str::<OpeningHours>(r#"{"mon": [["09:00", "25:00"]]}"#).unwrap_err();
        assert!(bad.to_string().contains("opening_hours.mon[0]"), "{bad}");
        assert!(serde_json::from_str::<OpeningHours>(r#"{"monday": []}"#).is_err());
        let good: OpeningHours = serde_json::from_str(r#"{"mon": [["09:00", "17:00"]]}"#).unwrap();
        assert_eq!(good.spans(Weekday::Monday).len(), 1);
    }

    #[test]
    fn time_zones_by_name() {
        assert!(time_zone("Asia/Seoul").is_some());
        assert!(time_zone("UTC").is_some());
        assert!(time_zone("Mars/Olympus").is_none());
        assert!(time_zone("").is_none());
        assert!(time_zone(&"A".repeat(65)).is_none());
    }

    #[test]
    fn seoul_has_no_clock_changes() {
        let h = hours(every_day(json!([["09:00", "21:00"]])));
        let seoul = tz("Asia/Seoul");
        // 09:00 KST is 00:00 UTC, all year.
        for day in ["2026-01-15", "2026-07-15"] {
            let open = utc(&format!("{day}T00:00:00Z"));
            let close = utc(&format!("{day}T12:00:00Z"));
            assert!(!h.is_open(open - SignedDuration::from_secs(1), &seoul));
            assert!(h.is_open(open, &seoul));
            assert!(h.is_open(close - SignedDuration::from_secs(1), &seoul));
            assert!(!h.is_open(close, &seoul), "the close itself is closed");
            assert_eq!(h.closes_at(open, &seoul), Some(close));
            assert_eq!(
                h.next_open(close, &seoul),
                Some(open + SignedDuration::from_hours(24))
            );
        }
    }

    #[test]
    fn next_open_is_now_while_open() {
        let h = hours(every_day(json!([["09:00", "21:00"]])));
        let now = at("Asia/Seoul", "2026-05-05T12:34:56");
        assert_eq!(h.next_open(now, &tz("Asia/Seoul")), Some(now));
        let night = at("Asia/Seoul", "2026-05-05T22:00");
        assert_eq!(
            h.next_open(night, &tz("Asia/Seoul")),
            Some(at("Asia/Seoul", "2026-05-06T09:00"))
        );
        let morning = at("Asia/Seoul", "2026-05-06T08:00");
        assert_eq!(
            h.next_open(morning, &tz("Asia/Seoul")),
            Some(at("Asia/Seoul", "2026-05-06T09:00"))
        );
    }

    #[test]
    fn a_friday_night_span_runs_into_saturday() {
        // 2026-05-08 is a Friday.
        let h = hours(json!({"fri": [["18:00", "02:00"]]}));
        let z = tz("Asia/Seoul");
        let at = |local: &str| at("Asia/Seoul", local);
        assert!(!h.is_open(at("2026-05-08T17:59"), &z));
        assert!(h.is_open(at("2026-05-08T18:00"), &z));
        assert!(h.is_open(at("2026-05-09T01:00"), &z), "Saturday 01:00");
        assert!(!h.is_open(at("2026-05-09T02:00"), &z));
        assert!(!h.is_open(at("2026-05-09T03:00"), &z), "Saturday 03:00");
        assert_eq!(
            h.closes_at(at("2026-05-09T01:00"), &z),
            Some(at("2026-05-09T02:00"))
        );
        assert_eq!(
            h.closes_at(at("2026-05-08T20:00"), &z),
            Some(at("2026-05-09T02:00"))
        );
        assert_eq!(
            h.next_open(at("2026-05-09T03:00"), &z),
            Some(at("2026-05-15T18:00"))
        );
        // Thursday night is closed: the span belongs to Friday only.
        assert!(!h.is_open(at("2026-05-08T01:00"), &z));
    }

    #[test]
    fn twenty_four_hundred_and_midnight_close_at_the_same_instant() {
        let z = tz("Asia/Seoul");
        let a = hours(json!({"fri": [["18:00", "24:00"]]}));
        let b = hours(json!({"fri": [["18:00", "00:00"]]}));
        let now = at("Asia/Seoul", "2026-05-08T23:59");
        let midnight = at("Asia/Seoul", "2026-05-09T00:00");
        for h in [&a, &b] {
            assert!(h.is_open(now, &z));
            assert!(!h.is_open(midnight, &z));
            assert_eq!(h.closes_at(now, &z), Some(midnight));
        }
        assert_ne!(a, b, "each keeps the close it was given");
        assert_eq!(a.to_json()["fri"], json!([["18:00", "24:00"]]));
        assert_eq!(b.to_json()["fri"], json!([["18:00", "00:00"]]));
    }

    #[test]
    fn closes_at_follows_spans_that_touch_or_overlap() {
        let z = tz("Asia/Seoul");
        let at = |local: &str| at("Asia/Seoul", local);
        // Friday 18:00-24:00 then Saturday 00:00-02:00: one evening.
        let touching = hours(json!({"fri": [["18:00", "24:00"]], "sat": [["00:00", "02:00"]]}));
        assert_eq!(
            touching.closes_at(at("2026-05-08T19:00"), &z),
            Some(at("2026-05-09T02:00"))
        );
        assert!(touching.is_open(at("2026-05-09T00:00"), &z));
        // Overlapping spans, given out of order.
        let overlapping = hours(
            json!({"mon": [["12:00", "15:00"], ["09:00", "13:00"], ["15:00", "16:00"], ["17:00", "18:00"]]}),
        );
        // 2026-05-11 is a Monday.
        assert_eq!(
            overlapping.closes_at(at("2026-05-11T09:30"), &z),
            Some(at("2026-05-11T16:00"))
        );
        assert_eq!(
            overlapping.closes_at(at("2026-05-11T14:00"), &z),
            Some(at("2026-05-11T16:00"))
        );
        assert_eq!(
            overlapping.closes_at(at("2026-05-11T16:30"), &z),
            None,
            "closed then"
        );
        assert_eq!(
            overlapping.next_open(at("2026-05-11T16:30"), &z),
            Some(at("2026-05-11T17:00"))
        );
        // A night span overlapped by the next morning's span.
        let night = hours(json!({"sun": [["20:00", "03:00"]], "mon": [["02:00", "05:00"]]}));
        assert_eq!(
            night.closes_at(at("2026-05-10T21:00"), &z),
            Some(at("2026-05-11T05:00"))
        );
        assert_eq!(
            night.closes_at(at("2026-05-11T04:00"), &z),
            Some(at("2026-05-11T05:00"))
        );
    }

    #[test]
    fn open_around_the_clock_never_closes() {
        let z = tz("Asia/Seoul");
        let now = at("Asia/Seoul", "2026-05-08T12:00");
        for h in [
            hours(every_day(json!([["00:00", "24:00"]]))),
            hours(every_day(json!([["06:00", "06:00"]]))),
        ] {
            assert!(h.is_open(now, &z));
            assert_eq!(h.next_open(now, &z), Some(now));
            assert_eq!(h.closes_at(now, &z), None);
        }
        // A closed date ends the stretch: Saturday's 24-hour span is dropped.
        let mut with_holiday = every_day(json!([["00:00", "24:00"]]));
        with_holiday["closed_dates"] = json!(["2026-05-09"]);
        let h = hours(with_holiday);
        assert_eq!(
            h.closes_at(now, &z),
            Some(at("Asia/Seoul", "2026-05-09T00:00"))
        );
        assert_eq!(
            h.next_open(at("Asia/Seoul", "2026-05-09T12:00"), &z),
            Some(at("Asia/Seoul", "2026-05-10T00:00"))
        );
    }

    #[test]
    fn a_closed_date_drops_the_spans_starting_on_it() {
        let z = tz("Asia/Seoul");
        let at = |local: &str| at("Asia/Seoul", local);
        // Fri 2026-12-25 closed; Thursday's night span runs into it until its close.
        let h = hours(json!({
            "thu": [["18:00", "02:00"]],
            "fri": [["11:00", "15:00"], ["18:00", "02:00"]],
            "sat": [["11:00", "15:00"]],
            "closed_dates": ["2026-12-25"],
        }));
        assert!(
            h.is_open(at("2026-12-25T01:00"), &z),
            "Thursday's night still runs"
        );
        assert_eq!(
            h.closes_at(at("2026-12-25T01:00"), &z),
            Some(at("2026-12-25T02:00"))
        );
        assert!(!h.is_open(at("2026-12-25T12:00"), &z));
        assert!(!h.is_open(at("2026-12-25T19:00"), &z));
        assert!(
            !h.is_open(at("2026-12-26T01:00"), &z),
            "Friday's night span is dropped too"
        );
        assert_eq!(
            h.next_open(at("2026-12-25T02:00"), &z),
            Some(at("2026-12-26T11:00"))
        );
        // The Friday before is an ordinary Friday.
        assert!(h.is_open(at("2026-12-19T01:00"), &z));
        assert!(h.is_open(at("2026-12-18T12:00"), &z));
    }

    #[test]
    fn next_open_skips_a_run_of_closed_dates() {
        let z = tz("Asia/Seoul");
        let mut value = every_day(json!([["10:00", "20:00"]]));
        let start = jiff::civil::date(2026, 12, 24);
        value["closed_dates"] = json!(days_from(start).take(10).map(date_text).collect::<Vec<_>>());
        let h = hours(value);
        assert_eq!(
            h.next_open(at("Asia/Seoul", "2026-12-23T21:00"), &z),
            Some(at("Asia/Seoul", "2027-01-03T10:00"))
        );
    }

    #[test]
    fn next_open_looks_more_than_a_year_ahead() {
        // Open on Mondays only, and every Monday of the next 366 days is closed.
        let z = tz("Asia/Seoul");
        let first_monday = jiff::civil::date(2026, 1, 5);
        assert_eq!(first_monday.weekday(), Weekday::Monday);
        let mondays: Vec<String> = std::iter::successors(Some(first_monday), |d| {
            d.checked_add(jiff::Span::new().days(7)).ok()
        })
        .take(53)
        .map(date_text)
        .collect();
        let h = hours(json!({"mon": [["09:00", "10:00"]], "closed_dates": mondays}));
        let now = at("Asia/Seoul", "2026-01-01T00:00");
        // 53 Mondays later: 2027-01-11.
        assert_eq!(
            h.next_open(now, &z),
            Some(at("Asia/Seoul", "2027-01-11T09:00"))
        );
    }

    #[test]
    fn an_empty_week_never_opens() {
        let z = tz("Europe/Berlin");
        let now = at("Europe/Berlin", "2026-05-08T12:00");
        for h in [
            hours(json!({})),
            hours(json!({"closed_dates": ["2026-05-08"]})),
            hours(every_day(json!([]))),
        ] {
            assert!(!h.is_open(now, &z));
            assert_eq!(h.next_open(now, &z), None);
            assert_eq!(h.closes_at(now, &z), None);
        }
    }

    #[test]
    fn berlin_spring_forward() {
        // 2026-03-29, a Sunday: 02:00 CET becomes 03:00 CEST (01:00 UTC).
        let z = tz("Europe/Berlin");
        assert_eq!(jiff::civil::date(2026, 3, 29).weekday(), Weekday::Sunday);
        let h = hours(json!({"sun": [["01:30", "03:30"]]}));
        // 01:30 CET is 00:30 UTC; 03:30 CEST is 01:30 UTC: one hour of real time.
        assert!(!h.is_open(utc("2026-03-29T00:29:59Z"), &z));
        assert!(h.is_open(utc("2026-03-29T00:30:00Z"), &z));
        assert!(h.is_open(utc("2026-03-29T01:29:59Z"), &z));
        assert!(!h.is_open(utc("2026-03-29T01:30:00Z"), &z));
        assert_eq!(
            h.closes_at(utc("2026-03-29T00:45:00Z"), &z),
            Some(utc("2026-03-29T01:30:00Z"))
        );
        assert_eq!(
            h.next_open(utc("2026-03-28T23:00:00Z"), &z),
            Some(utc("2026-03-29T00:30:00Z"))
        );

        // 02:30 does not exist that day: it moves forward to 03:30 CEST (01:30 UTC).
        let gap = hours(json!({"sun": [["02:30", "04:00"]]}));
        assert_eq!(
            gap.next_open(utc("2026-03-29T00:00:00Z"), &z),
            Some(utc("2026-03-29T01:30:00Z"))
        );
        assert!(
            !gap.is_open(utc("2026-03-29T01:00:00Z"), &z),
            "03:00 CEST is before the opening"
        );
        assert!(gap.is_open(utc("2026-03-29T01:30:00Z"), &z));
        assert_eq!(
            gap.closes_at(utc("2026-03-29T01:30:00Z"), &z),
            Some(utc("2026-03-29T02:00:00Z"))
        );
        // The Sunday after, the same span is 02:30-04:00 CEST (00:30-02:00 UTC).
        assert_eq!(
            gap.next_open(utc("2026-03-29T02:00:00Z"), &z),
            Some(utc("2026-04-05T00:30:00Z"))
        );

        // A span wholly inside the skipped hour, 02:10-02:50, moves to 03:10-03:50 CEST.
        let inside = hours(json!({"sun": [["02:10", "02:50"]]}));
        assert_eq!(
            inside.next_open(utc("2026-03-29T00:00:00Z"), &z),
            Some(utc("2026-03-29T01:10:00Z"))
        );
        assert_eq!(
            inside.closes_at(utc("2026-03-29T01:10:00Z"), &z),
            Some(utc("2026-03-29T01:50:00Z"))
        );
        // 02:30-03:15: the open moves to 03:30 CEST, after the close at 03:15: closed that day.
        let inverted = hours(json!({"sun": [["02:30", "03:15"]]}));
        assert_eq!(
            inverted.next_open(utc("2026-03-29T00:00:00Z"), &z),
            Some(utc("2026-04-05T00:30:00Z"))
        );
    }

    #[test]
    fn berlin_fall_back() {
        // 2026-10-25, a Sunday: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:00-03:00 happens
        // twice and the earlier one counts.
        let z = tz("Europe/Berlin");
        assert_eq!(jiff::civil::date(2026, 10, 25).weekday(), Weekday::Sunday);
        let h = hours(json!({"sun": [["01:30", "03:30"]]}));
        // 01:30 CEST is 23:30 UTC the day before; 03:30 CET is 02:30 UTC: three hours.
        assert!(!h.is_open(utc("2026-10-24T23:29:59Z"), &z));
        assert!(h.is_open(utc("2026-10-24T23:30:00Z"), &z));
        assert!(
            h.is_open(utc("2026-10-25T01:30:00Z"), &z),
            "02:30 CET, the second time round"
        );
        assert!(!h.is_open(utc("2026-10-25T02:30:00Z"), &z));
        assert_eq!(
            h.closes_at(utc("2026-10-25T00:00:00Z"), &z),
            Some(utc("2026-10-25T02:30:00Z"))
        );

        // 02:30 happens twice: the span opens at the first, 02:30 CEST (00:30 UTC).
        let fold = hours(json!({"sun": [["02:30", "04:00"]]}));
        assert_eq!(
            fold.next_open(utc("2026-10-24T22:00:00Z"), &z),
            Some(utc("2026-10-25T00:30:00Z"))
        );
        assert!(fold.is_open(utc("2026-10-25T01:15:00Z"), &z), "02:15 CET");
        assert_eq!(
            fold.closes_at(utc("2026-10-25T00:30:00Z"), &z),
            Some(utc("2026-10-25T03:00:00Z"))
        );
        assert!(!fold.is_open(utc("2026-10-25T03:00:00Z"), &z));
    }

    #[test]
    fn a_night_span_across_the_clock_change() {
        // Saturday 22:00 to Sunday 04:00 on both change nights in Berlin.
        let z = tz("Europe/Berlin");
        let h = hours(json!({"sat": [["22:00", "04:00"]]}));
        // Spring: 22:00 CET (21:00 UTC) to 04:00 CEST (02:00 UTC), five hours.
        assert_eq!(
            h.closes_at(utc("2026-03-28T21:00:00Z"), &z),
            Some(utc("2026-03-29T02:00:00Z"))
        );
        assert!(h.is_open(utc("2026-03-29T01:00:00Z"), &z), "03:00 CEST");
        // Autumn: 22:00 CEST (20:00 UTC) to 04:00 CET (03:00 UTC), seven hours.
        assert_eq!(
            h.closes_at(utc("2026-10-24T20:00:00Z"), &z),
            Some(utc("2026-10-25T03:00:00Z"))
        );
        assert!(h.is_open(utc("2026-10-25T02:30:00Z"), &z), "03:30 CET");
    }

    #[test]
    fn new_york_local_hours_follow_daylight_saving() {
        // Daylight saving in 2026 starts on Sunday 8 March and ends on Sunday 1 November.
        let z = tz("America/New_York");
        let weekdays = json!([["09:00", "17:00"]]);
        let h = hours(json!({
            "mon": weekdays, "tue": weekdays, "wed": weekdays, "thu": weekdays, "fri": weekdays,
        }));
        // Friday 6 March: 09:00 EST is 14:00 UTC.
        assert!(h.is_open(utc("2026-03-06T14:00:00Z"), &z));
        assert!(!h.is_open(utc("2026-03-06T13:59:59Z"), &z));
        assert_eq!(
            h.closes_at(utc("2026-03-06T15:00:00Z"), &z),
            Some(utc("2026-03-06T22:00:00Z"))
        );
        // From Friday evening the next opening is Monday 9 March, 09:00 EDT: 13:00 UTC.
        assert_eq!(
            h.next_open(utc("2026-03-06T22:00:00Z"), &z),
            Some(utc("2026-03-09T13:00:00Z"))
        );
        assert_eq!(
            h.closes_at(utc("2026-03-09T13:00:00Z"), &z),
            Some(utc("2026-03-09T21:00:00Z"))
        );
        // And back in November: Monday 2 November, 09:00 EST is 14:00 UTC.
        assert_eq!(
            h.next_open(utc("2026-10-31T00:00:00Z"), &z),
            Some(utc("2026-11-02T14:00:00Z"))
        );
        // The local date decides the day: Friday 23:00 EST is already Saturday in UTC.
        let late = hours(json!({"fri": [["22:00", "23:30"]]}));
        assert!(late.is_open(utc("2026-03-07T04:00:00Z"), &z));
    }

    #[test]
    fn the_schema_lists_the_days_and_closed_dates() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(OpeningHours::schema()).unwrap();
        assert_eq!(schema["type"], "object");
        for key in DAY_KEYS.iter().chain(&["closed_dates"]) {
            assert_eq!(schema["properties"][key]["type"], "array", "{key}");
        }
        assert_eq!(schema["properties"]["mon"]["maxItems"], 8);
        assert_eq!(
            schema["properties"]["closed_dates"]["items"]["format"],
            "date"
        );
        assert_eq!(<OpeningHours as utoipa::ToSchema>::name(), "OpeningHours");
    }
}
