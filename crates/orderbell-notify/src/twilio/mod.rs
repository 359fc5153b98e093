//! WhatsApp through Twilio: sending with the Messages API, and verifying Twilio's webhooks.

mod client;
mod codes;
mod signature;

pub use client::{
    SentMessage, TwilioClient, TwilioConfig, WhatsAppContent, WhatsAppMessage, whatsapp_address,
};
pub use codes::{CodeClass, OUTSIDE_SESSION_WINDOW, classify_error_code};
pub use signature::RequestValidator;
