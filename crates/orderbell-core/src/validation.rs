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

    /// Checks a text field: trimmed, required or not, at most `max` characters.
    /// Returns the trimmed text (`None` for an empty optional field).
    pub fn text(
        &mut self,
        field: &str,
        value: Option<&str>,
        required: bool,
        max: usize,
    ) -> Option<String> {
        let trimmed = value.map(str::trim).unwrap_or("");
        if trimmed.is_empty() {
            if required {
                self.add(field, "required", format!("{field} is required"));
            }
            return None;
        }
        if trimmed.chars().count() > max {
            self.add(
                field,
                "too_long",
                format!("{field} is longer than {max} characters"),
            );
            return None;
        }
        if trimmed
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c))
        {
            self.add(
                field,
                "invalid",
                format!("{field} contains control characters"),
            );
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
}
