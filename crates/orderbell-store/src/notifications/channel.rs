//! The ways to reach a person ([`Channel`]).

use std::fmt;
use std::str::FromStr;

/// A way to reach a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Telegram,
    Whatsapp,
    Webpush,
    Fcm,
    /// A phone call (escalation); never a linked channel, the number comes from the account or
    /// the shop.
    Voice,
    /// E-mail to the account's address (account mail only, not a linked channel).
    Email,
}

impl Channel {
    /// The channels people link (and shops choose per event).
    pub const ALL: [Channel; 4] = [
        Channel::Telegram,
        Channel::Whatsapp,
        Channel::Webpush,
        Channel::Fcm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Telegram => "telegram",
            Channel::Whatsapp => "whatsapp",
            Channel::Webpush => "webpush",
            Channel::Fcm => "fcm",
            Channel::Voice => "voice",
            Channel::Email => "email",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .chain([Channel::Voice, Channel::Email])
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown channel {s:?}"))
    }
}
