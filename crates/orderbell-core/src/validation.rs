//! Field-level validation errors, reported to clients as
//! `{"field":"items[0].quantity","code":"out_of_range","message":"…"}`.

use serde::Serialize;

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Path of the field, e.g. `items[0].quantity`.
    pub field: String,
    /// Stable machine-readable code: `required`, `too_long`, `out_of_range`, `invalid`,
    /// `unknown`, `sold_out`, `too_few`, `too_many`, `duplicate`, `not_accepting_orders`.
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
}

/// Every problem found in a request (never empty when returned as an error).
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{} field(s) failed validation", .0.len())]
pub struct ValidationErrors(pub Vec<FieldError>);

/// The bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): text
/// with them can show something else than it says (a name that reads backwards on a ticket).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character no text field may hold: a control character (`char::is_control`) other than
/// `\n` and `\t`, or a bidirectional control ([`is_bidi_control`]).
pub fn is_forbidden_in_text(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)
}

/// [`is_forbidden_in_text`], as ranges of characters (the unit tests hold the two together).
pub const FORBIDDEN_IN_TEXT: &[(char, char)] = &[
    ('\u{0}', '\u{8}'),
    ('\u{b}', '\u{1f}'),
    ('\u{7f}', '\u{9f}'),
    ('\u{202a}', '\u{202e}'),
    ('\u{2066}', '\u{2069}'),
];

/// `char::is_whitespace` (what `str::trim` removes), as ranges of characters: spelled out
/// because the `\s` of ECMA-262, Python and Rust regular expressions differ.
pub const WHITESPACE: &[(char, char)] = &[
    ('\u{9}', '\u{d}'),
    (' ', ' '),
    ('\u{85}', '\u{85}'),
    ('\u{a0}', '\u{a0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200a}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202f}', '\u{202f}'),
    ('\u{205f}', '\u{205f}'),
    ('\u{3000}', '\u{3000}'),
];

/// The inside of a regular-expression character class holding these ranges, as `\uXXXX`
/// escapes (read alike by ECMA-262, Python and Rust).
pub fn char_class(ranges: &[(char, char)]) -> String {
    let mut class = String::new();
    for &(from, to) in ranges {
        class.push_str(&format!("\\u{:04X}", u32::from(from)));
        if to != from {
            class.push_str(&format!("-\\u{:04X}", u32::from(to)));
        }
    }
    class
}

/// The JSON Schema `pattern` of [`ValidationErrors::text`]: no forbidden character and, for a
/// required field, at least one that is not whitespace.
pub fn text_pattern(required: bool) -> String {
    let forbidden = char_class(FORBIDDEN_IN_TEXT);
    if required {
        let space = char_class(WHITESPACE);
        format!("^[^{forbidden}]*[^{forbidden}{space}][^{forbidden}]*$")
    } else {
        format!("^[^{forbidden}]*$")
    }
}

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        let mut errors = Self::new();
        errors.add(field, code, message);
        errors
    }

    pub fn add(
        &mut self,
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) {
        self.0.push(FieldError {
            field: field.into(),
            code,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of a check that succeeded; the errors of one that did not join these.
    pub fn absorb<T>(&mut self, checked: Result<T, ValidationErrors>) -> Option<T> {
        match checked {
            Ok(value) => Some(value),
            Err(e) => {
                self.0.extend(e.0);
                None
            }
        }
    }

    /// `Ok(())` when nothing was found, else the errors.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Checks a text field. The value as sent may have at most `max` characters and no
    /// forbidden character ([`is_forbidden_in_text`]); it is stored trimmed, and a blank one is
    /// missing: `required` reports it, else it is `None`. Every part of this rule is stated in
    /// the OpenAPI document as `maxLength` and [`text_pattern`].
    pub fn text(
        &mut self,
        field: &str,
        value: Option<&str>,
        required: bool,
        max: usize,
    ) -> Option<String> {
        let raw = value.unwrap_or("");
        if raw.chars().count() > max {
            self.add(
                field,
                "too_long",
                format!("{field} is longer than {max} characters"),
            );
            return None;
        }
        if raw.chars().any(is_forbidden_in_text) {
            self.add(
                field,
                "invalid",
                format!("{field} contains control characters"),
            );
            return None;
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            if required {
                self.add(field, "required", format!("{field} is required"));
            }
            return None;
        }
        Some(trimmed.to_owned())
    }

    /// Checks that an integer is within `min..=max`.
    pub fn range(&mut self, field: &str, value: i64, min: i64, max: i64) -> bool {
        if value < min || value > max {
            self.add(
                field,
                "out_of_range",
                format!("{field} must be between {min} and {max}"),
            );
            false
        } else {
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_are_refused_in_text() {
        let mut errors = ValidationErrors::new();
        assert_eq!(
            errors.text("name", Some("Kim\u{202E}gnp.exe"), true, 100),
            None
        );
        assert_eq!(errors.0[0].code, "invalid");
        let mut errors = ValidationErrors::new();
        assert_eq!(
            errors.text("name", Some("김밥 Café"), true, 100).as_deref(),
            Some("김밥 Café")
        );
        assert!(errors.is_empty());
    }

    #[test]
    fn the_rule_is_checked_on_the_text_as_sent_and_stored_trimmed() {
        let mut errors = ValidationErrors::new();
        assert_eq!(
            errors.text("name", Some(" Kim "), true, 5).as_deref(),
            Some("Kim")
        );
        assert!(errors.is_empty());
        // The length counts what was sent, spaces too.
        assert_eq!(errors.text("name", Some(" Kim  "), true, 5), None);
        assert_eq!(errors.0[0].code, "too_long");
        // A control character is refused even where trimming would drop it.
        let mut errors = ValidationErrors::new();
        assert_eq!(errors.text("name", Some("Kim\r"), true, 100), None);
        assert_eq!(errors.0[0].code, "invalid");
        // Lines and tabs are text.
        let mut errors = ValidationErrors::new();
        assert_eq!(
            errors.text("note", Some("a\n\tb\n"), false, 100).as_deref(),
            Some("a\n\tb")
        );
        // Blank: missing.
        assert_eq!(errors.text("note", Some(" \n\u{3000}"), false, 100), None);
        assert!(errors.is_empty());
        assert_eq!(errors.text("name", Some("\u{a0}"), true, 100), None);
        assert_eq!(errors.0[0].code, "required");
    }

    fn in_ranges(ranges: &[(char, char)], c: char) -> bool {
        ranges.iter().any(|&(from, to)| (from..=to).contains(&c))
    }

    #[test]
    fn the_ranges_are_the_rust_rules() {
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            assert_eq!(
                in_ranges(FORBIDDEN_IN_TEXT, c),
                is_forbidden_in_text(c),
                "{c:?}"
            );
            assert_eq!(in_ranges(WHITESPACE, c), c.is_whitespace(), "{c:?}");
        }
    }

    #[test]
    fn text_patterns() {
        assert_eq!(
            text_pattern(false),
            "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069]*$"
        );
        assert!(text_pattern(true).contains("\\u0009-\\u000D\\u0020\\u0085\\u00A0"));
    }
}
