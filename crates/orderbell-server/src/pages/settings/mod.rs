//! Shop settings pages (`/dashboard/{slug}/…`), one module a page:
//!
//! - `profile`: `/settings`, the shop's profile and the accepting-orders switch; the same page
//!   holds the `alerts` form (alert policy, default ETA, opening hours as typed in `hours`);
//! - `members`: `/members`;
//! - `apikeys`: `/apikeys` (a new key is shown once);
//! - `printers`: `/printers` (a new device token is shown once);
//! - `channels`: `/channels`, the member's notification channels (Telegram and WhatsApp links
//!   with QR codes, push on this device, linked channels).
//!
//! This file holds what they share: the page guard with its chrome, and the guard of a posted
//! form.

mod alerts;
mod apikeys;
mod channels;
mod hours;
mod links;
mod members;
mod printers;
mod profile;

use std::convert::Infallible;

use axum::http::{HeaderMap, StatusCode};
use orderbell_core::shop::Shop;
use orderbell_core::user::{Duty, Role};

pub use apikeys::{api_keys, save_api_keys};
pub use channels::{channels, save_channels};
pub use links::qr_codes;
pub use members::{members, save_members};
pub use printers::{printers, save_printers};
pub use profile::{profile, save_profile};

use super::dashboard::nav;
use super::error::PageError;
use super::form::Form;
use super::render::Chrome;
use super::session::{SignedIn, form_user, may_in, member_of, require};
use crate::pages::i18n::negotiate;
use crate::state::AppState;

/// What a settings page shows besides its list, after a post.
enum Notice<T = Infallible> {
    /// Nothing more: the page as it is (`200 OK`).
    Nothing,
    /// What the post just made (a key, a device token, a link), shown this once
    /// (`201 Created`).
    Made(T),
    /// Why the post was not carried out, answered with this status.
    Refused(String, StatusCode),
}

impl<T> Notice<T> {
    /// The answer's status, what was made and why not.
    fn into_parts(self) -> (StatusCode, Option<T>, Option<String>) {
        match self {
            Notice::Nothing => (StatusCode::OK, None, None),
            Notice::Made(made) => (StatusCode::CREATED, Some(made), None),
            Notice::Refused(message, status) => (status, None, Some(message)),
        }
    }
}

/// The guard of a settings page: the signed-in member (else to sign-in) of the shop (else not
/// found), their role, and the page's chrome with the `tab` selected.
async fn chrome(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    tab: &'static str,
) -> Result<(SignedIn, Shop, Role, Chrome), PageError> {
    let path = format!("/dashboard/{slug}/{tab}");
    let who = require(state, headers, &path).await?;
    let (shop, role) = member_of(state, &who, slug).await?;
    let lang = negotiate(headers, Some(&shop.locale));
    let t = lang.texts();
    let title = match tab {
        "menu" => t.menu_editor,
        "printers" => t.printers,
        "channels" => t.channels,
        "members" => t.members,
        "apikeys" => t.api_keys,
        "qr" => t.shop_link_page,
        _ => t.settings,
    };
    let page = Chrome::new(lang, format!("{title} · {}", shop.name), &path, "settings")
        .user(Some(&who))
        .nav(nav(&shop, role, tab));
    Ok((who, shop, role, page))
}

/// The guard of a form posted to the settings page `tab`: the page's address and who posted
/// it (signed in, with the session's form token).
async fn posted(
    state: &AppState,
    headers: &HeaderMap,
    form: &Form,
    slug: &str,
    tab: &str,
) -> Result<(String, SignedIn), PageError> {
    let path = format!("/dashboard/{slug}/{tab}");
    let who = form_user(state, headers, form, &path).await?;
    Ok((path, who))
}

/// [`posted`] for a change the member's role must allow (`duty`): the page's address and the
/// shop.
async fn posted_for(
    state: &AppState,
    headers: &HeaderMap,
    form: &Form,
    slug: &str,
    tab: &str,
    duty: Duty,
) -> Result<(String, Shop), PageError> {
    let (path, who) = posted(state, headers, form, slug, tab).await?;
    let shop = may_in(state, &who, slug, duty).await?;
    Ok((path, shop))
}
