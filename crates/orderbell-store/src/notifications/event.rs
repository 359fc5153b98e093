//! What a notification is about ([`NotifyEvent`]): the events members choose per channel and
//! those the server sends on its own.

use std::str::FromStr;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NotifyEvent {
    NewOrder,
    Accepted,
    Ready,
    Rejected,
    Cancelled,
    Completed,
    Missed,
    /// Telegram: edit a member's new-order message to show the order's new status.
    StatusEdit,
    /// Escalation: the order is still unanswered (a new message, so the phone buzzes again).
    Reminder,
    /// Escalation: a phone call about the unanswered order.
    Call,
    /// To the owners: ordering paused itself after orders went unanswered.
    Paused,
    /// To the owners: nobody would hear a new order now.
    Unheard,
    /// Account mail: the link that proves the address.
    VerifyEmail,
    /// Account mail: the link that sets a new password.
    PasswordReset,
    /// Account mail: someone tried to sign up with an address that has an account.
    AccountExists,
    /// Mail to an address invited to join a shop (no account yet, perhaps).
    Invitation,
    /// Account mail: a sign-in from a device the account had not used.
    NewSignIn,
}

impl NotifyEvent {
    /// Events members can choose per channel in the shop's settings.
    pub const MEMBER_CHOICES: [NotifyEvent; 7] = [
        NotifyEvent::NewOrder,
        NotifyEvent::Accepted,
        NotifyEvent::Ready,
        NotifyEvent::Rejected,
        NotifyEvent::Cancelled,
        NotifyEvent::Completed,
        NotifyEvent::Missed,
    ];

    /// Events the server sends on its own (edits, escalation, notices, account mail).
    pub const SYSTEM: [NotifyEvent; 10] = [
        NotifyEvent::StatusEdit,
        NotifyEvent::Reminder,
        NotifyEvent::Call,
        NotifyEvent::Paused,
        NotifyEvent::Unheard,
        NotifyEvent::VerifyEmail,
        NotifyEvent::PasswordReset,
        NotifyEvent::AccountExists,
        NotifyEvent::Invitation,
        NotifyEvent::NewSignIn,
    ];

    /// Escalation events: cancelled, while still queued, when the order is acknowledged.
    pub const ESCALATION: [NotifyEvent; 2] = [NotifyEvent::Reminder, NotifyEvent::Call];

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyEvent::NewOrder => "new_order",
            NotifyEvent::Accepted => "accepted",
            NotifyEvent::Ready => "ready",
            NotifyEvent::Rejected => "rejected",
            NotifyEvent::Cancelled => "cancelled",
            NotifyEvent::Completed => "completed",
            NotifyEvent::Missed => "missed",
            NotifyEvent::StatusEdit => "status_edit",
            NotifyEvent::Reminder => "reminder",
            NotifyEvent::Call => "call",
            NotifyEvent::Paused => "paused",
            NotifyEvent::Unheard => "unheard",
            NotifyEvent::VerifyEmail => "verify_email",
            NotifyEvent::PasswordReset => "password_reset",
            NotifyEvent::AccountExists => "account_exists",
            NotifyEvent::Invitation => "invitation",
            NotifyEvent::NewSignIn => "new_sign_in",
        }
    }
}

impl FromStr for NotifyEvent {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NotifyEvent::MEMBER_CHOICES
            .into_iter()
            .chain(NotifyEvent::SYSTEM)
            .find(|e| e.as_str() == s)
            .ok_or_else(|| format!("unknown notification event {s:?}"))
    }
}
