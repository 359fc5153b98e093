//! Every failure of the JSON API, mapped to HTTP in one place:
//! `{"error":{"code":"…","message":"…","fields":[…]}}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orderbell_core::{FieldError, ValidationErrors};
use orderbell_store::StoreError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldError>,
    pub retry_after: Option<u64>,
    /// `shop_closed`: when guests can order again, if known.
    pub reopens_at: Option<orderbell_core::Timestamp>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// `shop_closed`: when guests can order again (RFC 3339), if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reopens_at: Option<orderbell_core::Timestamp>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: vec![],
            retry_after: None,
            reopens_at: None,
        }
    }

    /// 409 `shop_closed`: guests cannot order now (opening hours or a pause).
    pub fn shop_closed(reopens_at: Option<orderbell_core::Timestamp>) -> ApiError {
        ApiError {
            reopens_at,
            ..ApiError::new(
                StatusCode::CONFLICT,
                "shop_closed",
                match reopens_at {
                    Some(t) => format!("the shop is closed; it opens again at {t}"),
                    None => "the shop is not taking orders right now".to_owned(),
                },
            )
        }
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "not found")
    }

    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    /// 403 `email_unverified`: the address must be confirmed first.
    pub fn email_unverified() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "email_unverified",
            "confirm the e-mail address first: open the link sent to it (POST /api/v1/me/email-verification sends a new one)",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn invalid_json(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", message)
    }

    pub fn validation(errors: ValidationErrors) -> ApiError {
        let message = match errors.0.as_slice() {
            [one] => one.message.clone(),
            many => format!("{} fields are not valid", many.len()),
        };
        ApiError {
            fields: errors.0,
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                message,
            )
        }
    }

    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::validation(ValidationErrors::single(field, code, message))
    }

    pub fn rate_limited(retry_after_secs: u64) -> ApiError {
        ApiError {
            retry_after: Some(retry_after_secs.max(1)),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests; try again shortly",
            )
        }
    }

    pub fn internal(context: &str, error: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %error, "{context}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong on our side",
        )
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> ApiError {
        ApiError::validation(errors)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict(message) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message)
            }
            StoreError::IdempotencyConflict => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_conflict",
                "this Idempotency-Key was used with another request body",
            ),
            StoreError::InvalidTransition(t) => {
                ApiError::new(StatusCode::CONFLICT, "invalid_transition", t.to_string())
            }
            StoreError::Validation(v) => ApiError::validation(v),
            StoreError::Unavailable(message) => {
                tracing::error!(error = %message, "storage unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "storage is unavailable; try again",
                )
            }
            StoreError::Backend(message) => ApiError::internal("storage error", &message),
            e @ StoreError::UnknownValue(_) => ApiError::internal("storage error", &e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                fields: self.fields,
                reopens_at: self.reopens_at,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
