//! Account mail: the links that prove an address and set a new password, and the notice to an
//! address that already has an account. Each is a row in the notification outbox (channel
//! `email`, recipient `account`), written in the same transaction as the link it carries, so
//! it is retried and logged like every other message (docs/accounts.md), and sent over SMTP by
//! the dispatcher.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use orderbell_core::i18n::{Lang, Texts, fill};
use orderbell_core::shop::Shop;
use orderbell_core::user::{Role, User};
use orderbell_notify::SendError;
use orderbell_notify::mail::Mail;
use orderbell_notify::templates::escape_html;
use orderbell_store::notifications::{
    AccountMailPayload, Channel, NewNotification, Notification, NotifyEvent, Recipient,
};
use orderbell_store::records::{NewAccountToken, TokenPurpose};

use crate::http::client::Device;
use crate::http::error::{ApiError, ApiResult};
use crate::notifications::runtime::Notifier;
use crate::notifications::send::Accepted;
use crate::security::token;
use crate::state::AppState;

/// A verification link works this long.
pub const VERIFY_VALID: SignedDuration = SignedDuration::from_hours(24 * 7);
/// A reset link works this long.
pub const RESET_VALID: SignedDuration = SignedDuration::from_mins(30);

/// Whether this server sends account mail (`[mail]` is set up).
pub fn enabled(state: &AppState) -> bool {
    state.notifier.as_ref().is_ok_and(|n| n.mailer.is_some())
}

fn row(
    state: &AppState,
    user: &User,
    event: NotifyEvent,
    lang: Lang,
    link: String,
) -> ApiResult<NewNotification> {
    let mut mail = mail_row(
        state,
        &user.email,
        event,
        lang,
        &user.name,
        link,
        Facts::new(),
    )?;
    mail.user_id = Some(user.id.clone());
    Ok(mail)
}

/// What a mail's words name besides the greeting and the link.
type Facts = BTreeMap<String, String>;

/// An account-mail row to `to` (no account named: the caller sets `user_id` or `shop_id`).
fn mail_row(
    state: &AppState,
    to: &str,
    event: NotifyEvent,
    lang: Lang,
    name: &str,
    link: String,
    facts: Facts,
) -> ApiResult<NewNotification> {
    // The link the mail carries (the reset page for a notice about an existing account).
    let payload = serde_json::to_string(&AccountMailPayload {
        name: name.to_owned(),
        link,
        facts,
    })
    .map_err(|e| ApiError::internal("mail payload", &e))?;
    let now = state.now();
    Ok(NewNotification {
        shop_id: None,
        order_id: None,
        link_id: None,
        channel: Channel::Email,
        destination: to.to_owned(),
        recipient: Recipient::Account,
        user_id: None,
        event,
        locale: lang.code().to_owned(),
        payload,
        run_at: now,
        now,
    })
}

/// The mail that carries an invitation to `shop` (its row names the shop and no account: the
/// address may have none yet). The caller stores it with the invitation.
pub fn invitation(
    state: &AppState,
    to: &str,
    shop: &Shop,
    role: Role,
    inviter: &str,
    link: String,
    lang: Lang,
) -> ApiResult<NewNotification> {
    let t = lang.texts();
    let facts = Facts::from([
        ("shop".to_owned(), shop.name.clone()),
        ("role".to_owned(), role_name(t, role).to_owned()),
        ("inviter".to_owned(), inviter.to_owned()),
    ]);
    let mut mail = mail_row(state, to, NotifyEvent::Invitation, lang, "", link, facts)?;
    mail.shop_id = Some(shop.id.clone());
    Ok(mail)
}

/// A role's name in the reader's language.
pub fn role_name(t: &Texts, role: Role) -> &'static str {
    match role {
        Role::Owner => t.role_owner,
        Role::Manager => t.role_manager,
        Role::Staff => t.role_staff,
    }
}

/// After a sign-in: records the device, and when the account has used others but not this one
/// (and wants to hear of it), mails it where it was signed in from, with a link to set a new
/// password. A failure only costs the mail (it is logged); the sign-in stands.
pub async fn note_sign_in(state: &AppState, user: &User, device: &Device, lang: Lang) {
    let name = device.user_agent.as_deref();
    let mail = if enabled(state) {
        let t = lang.texts();
        let now = state.now();
        let facts = Facts::from([
            (
                "device".to_owned(),
                name.unwrap_or(t.unknown_device).to_owned(),
            ),
            ("ip".to_owned(), device.ip.to_string()),
            (
                "time".to_owned(),
                now.strftime("%Y-%m-%d %H:%M UTC").to_string(),
            ),
        ]);
        let link = format!("{}/reset", state.config.public_url);
        match mail_row(
            state,
            &user.email,
            NotifyEvent::NewSignIn,
            lang,
            &user.name,
            link,
            facts,
        ) {
            Ok(mut mail) => {
                mail.user_id = Some(user.id.clone());
                Some(mail)
            }
            Err(_) => None,
        }
    } else {
        None
    };
    let sent = mail.is_some();
    match state
        .store
        .note_sign_in_device(&user.id, &device_key(name), state.now(), mail)
        .await
    {
        Ok(true) if sent => wake(state),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not record the device of a sign-in"),
    }
}

/// What names a device: the SHA-256 of its browser's `User-Agent` with the digits left out, so
/// that a browser update is no new device while another browser or system is.
fn device_key(user_agent: Option<&str>) -> String {
    let coarse: String = user_agent
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_ascii_digit())
        .collect();
    token::hash(&coarse)
}

/// Makes a single-use link for `user` and queues the mail that carries it; returns nothing
/// the caller may show (the link goes only to the mailbox).
pub async fn send_link(
    state: &AppState,
    user: &User,
    purpose: TokenPurpose,
    lang: Lang,
) -> ApiResult<()> {
    let secret = token::new_token();
    let now = state.now();
    let (valid, event, path) = match purpose {
        TokenPurpose::VerifyEmail => (VERIFY_VALID, NotifyEvent::VerifyEmail, "verify"),
        TokenPurpose::ResetPassword => (RESET_VALID, NotifyEvent::PasswordReset, "reset"),
    };
    let expires_at = now
        .checked_add(valid)
        .map_err(|e| ApiError::internal("link expiry", &e))?;
    let link = format!("{}/{path}/{secret}", state.config.public_url);
    let mail = row(state, user, event, lang, link)?;
    state
        .store
        .issue_account_token(
            NewAccountToken {
                token_hash: token::hash(&secret),
                user_id: user.id.clone(),
                purpose,
                created_at: now,
                expires_at,
            },
            Some(mail),
        )
        .await?;
    wake(state);
    Ok(())
}

/// Tells the holder of an address that has an account that someone tried to sign up with it.
pub async fn send_account_exists(state: &AppState, user: &User, lang: Lang) -> ApiResult<()> {
    let link = format!("{}/reset", state.config.public_url);
    let mail = row(state, user, NotifyEvent::AccountExists, lang, link)?;
    state.store.queue_account_mail(mail).await?;
    wake(state);
    Ok(())
}

fn wake(state: &AppState) {
    if let Ok(n) = &state.notifier {
        n.wake.notify_one();
    }
}

/// The words of one account mail, plain and HTML, in its language.
pub fn compose(
    event: NotifyEvent,
    lang: Lang,
    to: &str,
    name: &str,
    link: &str,
    facts: &Facts,
) -> Option<Mail> {
    let t = lang.texts();
    let (subject, intro, outro) = match event {
        NotifyEvent::VerifyEmail => (
            t.mail_verify_subject,
            t.mail_verify_intro,
            t.mail_verify_outro,
        ),
        NotifyEvent::PasswordReset => {
            (t.mail_reset_subject, t.mail_reset_intro, t.mail_reset_outro)
        }
        NotifyEvent::AccountExists => (
            t.mail_exists_subject,
            t.mail_exists_intro,
            t.mail_exists_outro,
        ),
        NotifyEvent::Invitation => (
            t.mail_invite_subject,
            t.mail_invite_intro,
            t.mail_invite_outro,
        ),
        NotifyEvent::NewSignIn => (
            t.mail_new_sign_in_subject,
            t.mail_new_sign_in_intro,
            t.mail_new_sign_in_outro,
        ),
        _ => return None,
    };
    let vars: Vec<(&str, &dyn std::fmt::Display)> = facts
        .iter()
        .map(|(k, v)| (k.as_str(), v as &dyn std::fmt::Display))
        .collect();
    let subject = &fill(subject, &vars);
    let intro = &fill(intro, &vars);
    let hello = if name.is_empty() {
        t.mail_hello_plain.to_owned()
    } else {
        fill(t.mail_hello, &[("name", &name)])
    };
    let text = format!(
        "{hello}\n\n{intro}\n\n{link}\n\n{outro}\n\n-- \n{}\n",
        t.app_name
    );
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><meta charset=\"utf-8\"><title>{subject}</title>\
         <body style=\"font-family:sans-serif;line-height:1.5\"><p>{hello}</p><p>{intro}</p>\
         <p><a href=\"{link}\" style=\"display:inline-block;padding:.6em 1.2em;background:#b45309;color:#fff;text-decoration:none;border-radius:.4em\">{open}</a></p>\
         <p style=\"word-break:break-all;color:#555\">{link}</p><p>{outro}</p><p>— {app}</p></body></html>",
        lang = lang.code(),
        subject = escape_html(subject),
        hello = escape_html(&hello),
        intro = escape_html(intro),
        link = escape_html(link),
        open = escape_html(t.mail_open_link),
        outro = escape_html(outro),
        app = escape_html(t.app_name),
    );
    Some(Mail {
        to: to.to_owned(),
        subject: format!("{} — {}", subject, t.app_name),
        text,
        html,
    })
}

/// Sends one claimed account mail (the dispatcher's `email` channel).
pub async fn send(notifier: &Notifier, n: &Notification) -> Result<Accepted, SendError> {
    let refuse = |detail: &str| SendError::Permanent {
        provider: orderbell_notify::Provider::Smtp,
        code: None,
        detail: detail.to_owned(),
    };
    let mailer = notifier
        .mailer
        .as_ref()
        .ok_or_else(|| refuse("mail is not configured ([mail] smtp_url)"))?;
    let p = AccountMailPayload::parse(&n.payload)
        .map_err(|_| refuse("the mail's payload is not readable"))?;
    let mail = compose(
        n.event,
        Lang::from_tag(&n.locale),
        &n.destination,
        &p.name,
        &p.link,
        &p.facts,
    )
    .ok_or_else(|| refuse("not an account mail"))?;
    let answer = mailer.send(&mail).await?;
    Ok(Accepted {
        message_id: None,
        provider_status: Some(answer.chars().take(200).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mails_are_in_their_language_and_escape_the_name() {
        let mail = compose(
            NotifyEvent::PasswordReset,
            Lang::Ko,
            "kim@example.com",
            "<b>김</b>",
            "https://bell.example/reset/abc",
            &Facts::new(),
        )
        .unwrap();
        assert!(mail.subject.starts_with("새 비밀번호 설정"));
        assert!(mail.text.contains("https://bell.example/reset/abc"));
        assert!(mail.html.contains("&lt;b&gt;김&lt;/b&gt;"));
        assert!(!mail.html.contains("<b>김"));
        let en = compose(
            NotifyEvent::VerifyEmail,
            Lang::En,
            "a@b.kr",
            "Kim",
            "https://x/verify/t",
            &Facts::new(),
        )
        .unwrap();
        assert!(en.text.starts_with("Hello Kim,"));
        assert!(
            compose(
                NotifyEvent::NewOrder,
                Lang::En,
                "a@b.kr",
                "Kim",
                "x",
                &Facts::new()
            )
            .is_none()
        );
    }
}
