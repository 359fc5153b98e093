//! HTML form bodies (`application/x-www-form-urlencoded`), with repeated names (checkboxes).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};

use super::error::{ErrorKind, PageError};

/// The fields of a posted form, in order.
#[derive(Debug, Default, Clone)]
pub struct Form(pub Vec<(String, String)>);

impl Form {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A field's value, or "" when it is missing.
    pub fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// A field's value trimmed, `None` when empty.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }

    /// Every value of a repeated field.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| PageError::new(ErrorKind::BadRequest))?;
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .map(|fields| {
                Form(
                    fields
                        .into_iter()
                        .map(|(k, v)| (k, one_line_break(v)))
                        .collect(),
                )
            })
            .map_err(|_| PageError::new(ErrorKind::BadRequest))
    }
}

/// Browsers send every line break of a form (a `<textarea>`) as `\r\n`; the text rules take
/// `\n` only, so a multi-line note or receipt line is read with `\n`.
fn one_line_break(value: String) -> String {
    if value.contains('\r') {
        value.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        value
    }
}

/// Validation errors as a person reads them, in the page's language (the table's words for each
/// field and code, never the API's English `message`), each message once.
pub fn error_messages(
    errors: impl IntoIterator<Item = orderbell_core::FieldError>,
    t: &super::i18n::Texts,
) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for e in errors {
        let message = t.field_message(&e.field, e.code);
        if !out.iter().any(|m| m == message) {
            out.push(message.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_are_read_as_newlines() {
        assert_eq!(one_line_break("a\r\nb\rc\nd".into()), "a\nb\nc\nd");
        assert_eq!(one_line_break("plain".into()), "plain");
    }
}
