//! Users and their memberships in shops.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{ShopId, Timestamp, UserId};

/// A person who can log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// E.164; escalation calls about unanswered orders ring it.
    pub phone: Option<String>,
    /// Whether the e-mail address was shown to be theirs (a link sent there was opened).
    pub email_verified: bool,
}

/// What a member may do in a shop.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Takes and handles orders (and marks items sold out).
    Staff,
    /// Everything staff can, plus the menu, the printers and the opening hours (pauses, the
    /// default ETA).
    Manager,
    /// Everything: also the shop's profile, alerts, notification settings, members,
    /// invitations and API keys.
    Owner,
}

/// What a member may be asked to do in a shop; [`Role::may`] says who may.
/// docs/accounts.md ("Roles") lists every route under one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    /// Read, place and act on orders; sold-out switches; one's own channels.
    Orders,
    /// The menu: items, categories, options, photos, prices.
    Menu,
    /// Printers: add, change, remove.
    Printers,
    /// Opening hours, pauses, taking orders on or off, the default ETA.
    Hours,
    /// The shop's profile, alerts, notification settings, ordering options, receipts.
    Settings,
    /// Members, invitations, API keys.
    People,
}

impl Role {
    /// Every role, least to most.
    pub const ALL: [Role; 3] = [Role::Staff, Role::Manager, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Staff => "staff",
        }
    }

    /// Whether this role may do `duty`.
    pub fn may(self, duty: Duty) -> bool {
        match duty {
            Duty::Orders => true,
            Duty::Menu | Duty::Printers | Duty::Hours => self >= Role::Manager,
            Duty::Settings | Duty::People => self == Role::Owner,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owner" => Ok(Role::Owner),
            "manager" => Ok(Role::Manager),
            "staff" => Ok(Role::Staff),
            other => Err(format!("unknown role {other:?}")),
        }
    }
}

/// A user's place in a shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    #[schema(value_type = String, format = DateTime)]
    pub added_at: Timestamp,
}

/// A membership seen from the user's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub shop_id: ShopId,
    pub role: Role,
}

/// Passwords: at least 10 characters, at most 1024 (argon2 input stays bounded, 4 KiB at most).
pub fn check_password(password: &str) -> Result<(), &'static str> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        Err("password must be at least 10 characters")
    } else if chars > PASSWORD_MAX_CHARS {
        Err("password must be at most 1024 characters")
    } else {
        Ok(())
    }
}

/// Shortest new password, in characters.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// Longest password, in characters (a longer one is not even hashed).
pub const PASSWORD_MAX_CHARS: usize = 1024;
/// Longest name of a person, in characters.
pub const USER_NAME_MAX: usize = 100;
