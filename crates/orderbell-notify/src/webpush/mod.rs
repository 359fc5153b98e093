//! Web Push (RFC 8030) with message encryption (RFC 8291, `aes128gcm`) and VAPID (RFC 8292).

mod client;
mod encrypt;
mod guard;
mod keys;
mod vapid;

pub use client::{
    PushOptions, PushReceipt, Subscription, SubscriptionKeys, Urgency, WebPushClient, WebPushConfig,
};
pub use encrypt::{EncryptError, MAX_PLAINTEXT_LEN, RECORD_SIZE, encrypt, encrypt_with};
pub use guard::{
    EndpointError, EndpointPolicy, GuardedResolver, check_endpoint, guarded_http_client,
    is_public_ip,
};
pub use keys::{KeyError, VapidKeyPair};
pub use vapid::{VapidError, vapid_authorization, vapid_jwt};
