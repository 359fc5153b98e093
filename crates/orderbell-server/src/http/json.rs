//! Request bodies and query strings with errors in the API's format: a body that is not JSON is
//! 400 `invalid_json`; JSON of the wrong shape (types, unknown fields) is 422
//! `validation_failed` naming the field; over 64 KiB is 413; another content type is 415.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// A JSON body, parsed strictly.
pub struct ApiJson<T>(pub T);

/// The raw JSON body as well, for idempotency hashing.
pub struct ApiJsonWithBytes<T>(pub T, pub Bytes);

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        })
        .unwrap_or(false)
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    if !is_json(&req) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ));
    }
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body must be at most {} KiB", MAX_BODY / 1024),
            )
        } else {
            ApiError::invalid_json(format!("could not read the body: {rejection}"))
        }
    })
}

/// Parses JSON, telling syntax errors (400) from shape errors (422 with the field's path).
/// A number written with a zero fraction (`15.0`) is that integer, as JSON Schema says.
/// Every request body is a JSON object: serde would also fill a struct from an array of its
/// fields in order (`[null, null]`), which the OpenAPI document does not allow.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Some(parsed) = parse_direct(bytes) {
        return Ok(parsed);
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_json(format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::field(
            "body",
            "invalid_type",
            "the body must be a JSON object",
        ));
    }
    integral_floats_to_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." { "body".to_owned() } else { path };
        let message = inner.to_string();
        let code = if message.starts_with("unknown field") {
            "unknown_field"
        } else if message.starts_with("missing field") {
            "required"
        } else {
            "invalid_type"
        };
        ApiError::field(&field, code, strip_position(&message))
    })
}

/// The common case in one pass: an object with no number written with a fraction or an
/// exponent (so [`integral_floats_to_integers`] would change nothing) that fits `T`. `None`
/// sends the body through the two-step path above, which also words every error; a body that
/// parses here parses there to the same value.
fn parse_direct<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' || has_fraction_or_exponent(bytes) {
        return None;
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = T::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(parsed)
}

/// Whether a number outside the strings has a `.` or an exponent (`e` right after a digit;
/// `true` and `false` have their `e` after a letter).
fn has_fraction_or_exponent(bytes: &[u8]) -> bool {
    let (mut in_string, mut escaped, mut previous) = (false, false, 0u8);
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'.' => return true,
                b'e' | b'E' if previous.is_ascii_digit() => return true,
                _ => {}
            }
        }
        previous = b;
    }
    false
}

/// `15.0` → `15` wherever it stands (within i64), so integer fields take what JSON Schema
/// calls an integer; other numbers stay as they are.
fn integral_floats_to_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && (-9.007_199_254_740_992e15..=9.007_199_254_740_992e15).contains(&f)
            {
                #[expect(
                    clippy::cast_possible_truncation,
                    reason = "integral and within ±2^53, so exact"
                )]
                let i = f as i64;
                *n = serde_json::Number::from(i);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        serde_json::Value::Object(fields) => {
            fields.values_mut().for_each(integral_floats_to_integers)
        }
        _ => {}
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        parse(&bytes).map(ApiJson)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJsonWithBytes<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        let value = parse(&bytes)?;
        Ok(ApiJsonWithBytes(value, bytes))
    }
}

/// An optional JSON body: empty (or no content type with an empty body) means `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let declared_empty = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() == b"0");
        if declared_empty || (!is_json(&req) && req.headers().get(CONTENT_TYPE).is_none()) {
            let bytes = Bytes::from_request(req, state)
                .await
                .map_err(|e| ApiError::invalid_json(e.to_string()))?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJson(T::default()));
            }
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        parse(&bytes).map(OptionalJson)
    }
}

/// A query string, with errors in the API's format.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|e| ApiError::field("query", "invalid", e.to_string()))
    }
}

#[cfg(test)]
mod json_number_tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Eta {
        eta_minutes: i64,
    }

    #[test]
    fn integral_floats_are_integers() {
        let eta: Eta = parse(br#"{"eta_minutes": 15.0}"#).unwrap();
        assert_eq!(eta.eta_minutes, 15);
        let err = parse::<Eta>(br#"{"eta_minutes": 15.5}"#).unwrap_err();
        assert_eq!(
            (err.status, err.code),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
        );
        let err = parse::<Eta>(br#"{"eta_minutes": 1e300}"#).unwrap_err();
        assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
        let err = parse::<Eta>(b"{").unwrap_err();
        assert_eq!(err.code, "invalid_json");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Thing {
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        quantity: i64,
    }

    #[test]
    fn syntax_and_shape_errors_differ() {
        let e = parse::<Thing>(b"{\"items\": [").unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (400, "invalid_json"));
        let e = parse::<Thing>(b"{\"items\": [{\"quantity\": \"two\"}]}").unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (422, "validation_failed"));
        assert_eq!(e.fields[0].field, "items[0].quantity");
        assert_eq!(e.fields[0].code, "invalid_type");
        let e = parse::<Thing>(b"{\"items\": [], \"extra\": 1}").unwrap_err();
        assert_eq!(e.fields[0].code, "unknown_field");
        // serde alone would take an array of the fields in order.
        let e = parse::<Thing>(b"[[]]").unwrap_err();
        assert_eq!(
            (e.status.as_u16(), e.fields[0].field.as_str()),
            (422, "body")
        );
        let e = parse::<Thing>(b"{}").unwrap_err();
        assert_eq!(e.fields[0].code, "required");
        let e = parse::<Thing>(b"{\"items\": []} trailing").unwrap_err();
        assert_eq!(e.code, "invalid_json");
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Loose {
        quantity: i64,
        extra: Option<serde_json::Value>,
    }

    #[test]
    fn one_pass_and_two_steps_agree() {
        let two_steps = |body: &[u8]| -> Loose {
            let value: serde_json::Value = serde_json::from_slice(body).unwrap();
            serde_json::from_value(value).unwrap()
        };
        for body in [
            &br#"{"quantity": 2, "extra": {"note": "1.5 e5", "q": "say \"2.0\""}}"#[..],
            br#" {"quantity": -3, "extra": [true, false, null, 7]}"#,
        ] {
            assert!(!has_fraction_or_exponent(body));
            let direct: Loose = parse_direct(body).unwrap();
            assert_eq!(direct, two_steps(body));
            assert_eq!(parse::<Loose>(body).unwrap(), direct);
        }
        // Numbers with a fraction or an exponent take the two steps: 15.0 is the integer 15
        // wherever it stands, even inside free-form JSON.
        for body in [
            &br#"{"quantity": 15.0}"#[..],
            br#"{"quantity": 1, "extra": {"n": 2.0}}"#,
            br#"{"quantity": 1, "extra": 1E3}"#,
        ] {
            assert!(has_fraction_or_exponent(body));
            assert!(parse_direct::<Loose>(body).is_none());
        }
        assert_eq!(
            parse::<Loose>(br#"{"quantity": 1, "extra": {"n": 2.0}}"#).unwrap(),
            Loose {
                quantity: 1,
                extra: Some(serde_json::json!({"n": 2}))
            }
        );
        // A repeated key is refused by the one pass and settled by the two steps (the last
        // one wins), as before.
        let repeated = br#"{"quantity": 1, "quantity": 2}"#;
        assert!(parse_direct::<Loose>(repeated).is_none());
        assert_eq!(parse::<Loose>(repeated).unwrap().quantity, 2);
    }
}
