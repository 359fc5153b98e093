//! Firebase Cloud Messaging HTTP v1, authenticated with a Google service account
//! (OAuth 2.0 JWT-bearer grant, RFC 7523, signed RS256).

mod client;
mod service_account;
mod token;

pub use client::{FcmClient, FcmConfig, FcmMessage, classify_fcm_error};
pub use service_account::{ServiceAccount, ServiceAccountError};
pub use token::{Clock, FCM_SCOPE, SystemClock, TokenProvider};
