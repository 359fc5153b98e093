//! What Twilio's error codes mean for a dispatcher (https://www.twilio.com/docs/api/errors).
//!
//! Used for API error bodies and for the `ErrorCode` of failed/undelivered status callbacks.

/// 63016: free-form WhatsApp message outside the 24-hour customer service window; send an
/// approved template (`ContentSid` + `ContentVariables`) instead. Classified as permanent:
/// the same request will never pass, but a template message to the same number may.
pub const OUTSIDE_SESSION_WINDOW: u32 = 63016;

/// How a dispatcher should treat a Twilio error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeClass {
    Retryable,
    Permanent,
    DestinationDead,
}

/// Classifies a Twilio error code; `None` when the code alone does not say (then the HTTP
/// status decides).
pub fn classify_error_code(code: u32) -> Option<CodeClass> {
    Some(match code {
        // 20429 too many requests; 30001 queue overflow; 63018 channel rate limit;
        // 20500/20503 internal / service unavailable; 30008 unknown error.
        20429 | 30001 | 63018 | 20500 | 20503 => CodeClass::Retryable,
        // 21211 invalid 'To'; 21610 recipient unsubscribed (STOP); 21614 not a mobile number;
        // 63003 channel could not find the To address; 63024 invalid message recipient;
        // 30005 unknown destination handset; 30006 landline or unreachable carrier.
        21211 | 21610 | 21614 | 63003 | 63024 | 30005 | 30006 => CodeClass::DestinationDead,
        // 20003 authentication; 21606/21659 'From' not usable; 63007 no channel for 'From';
        // 63016 outside session window; 63021 content refused; 21408 region not enabled;
        // 30007 carrier filtered; 63038 daily limit (not retryable within the window).
        20003 | 21606 | 21659 | 63007 | 63016 | 63021 | 21408 | 30007 | 63038 => {
            CodeClass::Permanent
        }
        _ => return None,
    })
}
