//! Opaque identifiers.
//!
//! Every id is 16 bytes: 48 bits of Unix milliseconds followed by 80 random bits, written as
//! 32 lowercase hex characters. They sort by creation time, which keeps B-tree inserts cheap, and
//! they are unguessable. The bytes come from the caller (see `Id::from_parts`) so core stays pure.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
                pub struct $name(String);

        impl $name {
            /// Builds an id from a creation time (Unix ms) and 10 random bytes.
            pub fn from_parts(unix_ms: i64, random: [u8; 10]) -> Self {
                Self(encode_id(unix_ms, random))
            }

            /// Accepts an id given by a client or read from storage; `None` when it is malformed.
            pub fn parse(s: &str) -> Option<Self> {
                is_valid_id(s).then(|| Self(s.to_owned()))
            }

            /// Wraps a value read from storage without checking it.
            pub fn from_stored(s: String) -> Self {
                Self(s)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The 16 bytes behind the id.
            pub fn to_bytes(&self) -> Option<[u8; 16]> {
                decode_id(&self.0)
            }

            /// The id whose bytes these are.
            pub fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(hex_lower(&bytes))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    )*};
}

id_type! {
    /// A shop.
    ShopId;
    /// A user account.
    UserId;
    /// A menu category.
    CategoryId;
    /// A menu item.
    MenuItemId;
    /// An option group of a menu item.
    OptionGroupId;
    /// One option of an option group.
    OptionId;
    /// An order.
    OrderId;
    /// A customer of a shop.
    CustomerId;
    /// An API key.
    ApiKeyId;
    /// A session.
    SessionId;
    /// A receipt printer (device).
    PrinterId;
    /// One print job: one copy of one ticket for one printer.
    PrintJobId;
    /// An invitation to join a shop.
    InvitationId;
    /// A passkey (WebAuthn credential) of an account.
    PasskeyId;
}

fn encode_id(unix_ms: i64, random: [u8; 10]) -> String {
    let mut bytes = [0u8; 16];
    let ms = unix_ms.max(0).to_be_bytes();
    bytes[..6].copy_from_slice(&ms[2..]);
    bytes[6..].copy_from_slice(&random);
    hex_lower(&bytes)
}

fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

fn is_valid_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn decode_id(s: &str) -> Option<[u8; 16]> {
    if !is_valid_id(s) {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in s.as_bytes().chunks_exact(2).enumerate() {
        let hi = hex_val(pair[0])?;
        let lo = hex_val(pair[1])?;
        out[i] = (hi << 4) | lo;
    }
    Some(out)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_round_trip() {
        let a = OrderId::from_parts(1_700_000_000_000, [0xff; 10]);
        let b = OrderId::from_parts(1_700_000_000_001, [0; 10]);
        assert!(a < b);
        assert_eq!(a.as_str().len(), 32);
        let bytes = a.to_bytes().unwrap();
        assert_eq!(OrderId::from_bytes(bytes), a);
        assert_eq!(OrderId::parse(a.as_str()), Some(a));
    }

    #[test]
    fn malformed_ids_are_refused() {
        for bad in [
            "",
            "xyz",
            "0193A1B2C3D4E5F6A7B8C9D0E1F2A3B4",
            "0193a1b2c3d4e5f6a7b8c9d0e1f2a3b",
        ] {
            assert_eq!(ShopId::parse(bad), None, "{bad}");
        }
    }
}
