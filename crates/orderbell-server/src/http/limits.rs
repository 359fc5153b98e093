//! Per-client request limits (guest orders, logins, other anonymous POSTs), kept in memory.
//! Over a limit the answer is 429 `rate_limited` with `Retry-After`.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use orderbell_core::rate_limit::{KeyedLimiter, Quota};

use super::error::ApiError;
use crate::config::Limits;

pub struct RateLimits {
    guest_orders: Mutex<KeyedLimiter<IpAddr>>,
    phones: Mutex<KeyedLimiter<String>>,
    logins: Mutex<KeyedLimiter<IpAddr>>,
    /// Per (account, address): what one address may try on one account.
    accounts: Mutex<KeyedLimiter<(String, IpAddr)>>,
    /// Per account, every address together: a slower back-off.
    accounts_everywhere: Mutex<KeyedLimiter<String>>,
    anonymous: Mutex<KeyedLimiter<IpAddr>>,
    /// Passkey sign-in steps per address: as many as password sign-ins, in a bucket of their
    /// own, so asking for passkey options never locks out a password.
    passkeys: Mutex<KeyedLimiter<IpAddr>>,
    /// Account mail per e-mail address (verification, reset, notices), whoever asks.
    mails: Mutex<KeyedLimiter<String>>,
}

/// Account mails one address gets at most in an hour.
pub const ACCOUNT_MAILS_PER_HOUR: u32 = 5;

fn per(n: u32, window: Duration) -> Quota {
    let n = n.max(1);
    Quota {
        burst: n,
        period: window / n,
    }
}

fn take<K: std::hash::Hash + Eq + Clone>(
    limiter: &Mutex<KeyedLimiter<K>>,
    key: &K,
) -> Result<(), ApiError> {
    let now = Instant::now();
    let mut l = limiter
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    l.try_acquire(key, now).map_err(|ready| {
        let wait = ready.saturating_duration_since(now);
        ApiError::rate_limited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
    })
}

impl RateLimits {
    pub fn new(limits: &Limits) -> RateLimits {
        let minute = Duration::from_secs(60);
        RateLimits {
            guest_orders: Mutex::new(KeyedLimiter::new(per(
                limits.guest_orders_per_minute,
                minute,
            ))),
            phones: Mutex::new(KeyedLimiter::new(per(
                limits.orders_per_phone_per_hour,
                60 * minute,
            ))),
            logins: Mutex::new(KeyedLimiter::new(per(limits.logins_per_minute, minute))),
            accounts: Mutex::new(KeyedLimiter::new(per(
                limits.logins_per_account,
                15 * minute,
            ))),
            accounts_everywhere: Mutex::new(KeyedLimiter::new(per(
                limits.logins_per_account_everywhere,
                60 * minute,
            ))),
            anonymous: Mutex::new(KeyedLimiter::new(per(
                limits.anonymous_posts_per_minute,
                minute,
            ))),
            mails: Mutex::new(KeyedLimiter::new(per(ACCOUNT_MAILS_PER_HOUR, 60 * minute))),
            passkeys: Mutex::new(KeyedLimiter::new(per(limits.logins_per_minute, minute))),
        }
    }

    pub fn guest_order(&self, ip: IpAddr) -> Result<(), ApiError> {
        take(&self.guest_orders, &ip)
    }

    pub fn order_phone(&self, phone: &str) -> Result<(), ApiError> {
        take(&self.phones, &phone.to_owned())
    }

    /// One login attempt: per address, per (account, address), and per account from every
    /// address. Locking out is per (account, address), so wrong passwords from other addresses
    /// do not lock the owner out; only far more attempts than one address may make reach the
    /// account-wide limit.
    pub fn login(&self, ip: IpAddr, email: &str) -> Result<(), ApiError> {
        let account = email.to_lowercase();
        take(&self.logins, &ip)?;
        take(&self.accounts, &(account.clone(), ip))?;
        take(&self.accounts_everywhere, &account)
    }

    /// One step of a passkey sign-in (options or answer): per address, `logins_per_minute`
    /// like password sign-ins (there is no account to count against before the signature).
    pub fn passkey_sign_in(&self, ip: IpAddr) -> Result<(), ApiError> {
        take(&self.passkeys, &ip)
    }

    pub fn anonymous_post(&self, ip: IpAddr) -> Result<(), ApiError> {
        take(&self.anonymous, &ip)
    }

    /// One account mail to `email` (the same for addresses with and without an account).
    pub fn account_mail(&self, email: &str) -> Result<(), ApiError> {
        take(&self.mails, &email.to_lowercase())
    }

    /// Forgets clients whose buckets are full again.
    pub fn prune(&self) {
        let now = Instant::now();
        for l in [
            &self.guest_orders,
            &self.logins,
            &self.anonymous,
            &self.passkeys,
        ] {
            l.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .prune(now);
        }
        self.accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .prune(now);
        for l in [&self.phones, &self.accounts_everywhere, &self.mails] {
            l.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .prune(now);
        }
    }
}
