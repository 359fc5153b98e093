//! Twilio: WhatsApp with the Messages API, escalation phone calls with the Calls API and
//! their TwiML, and verifying Twilio's webhooks.

mod client;
mod codes;
mod signature;
pub mod twiml;

pub use client::{
    CallCreated, MAX_TWIML_CHARS, SentMessage, TwilioClient, TwilioConfig, VoiceCall,
    WhatsAppContent, WhatsAppMessage, whatsapp_address,
};
pub use codes::{CodeClass, OUTSIDE_SESSION_WINDOW, classify_error_code};
pub use signature::RequestValidator;
