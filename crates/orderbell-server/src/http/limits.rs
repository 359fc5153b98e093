//! Per-client request limits (guest orders, logins, account mail, other anonymous POSTs). Over a
//! limit the answer is 429 `rate_limited` with `Retry-After`.
//!
//! Kept in memory on SQLite (one instance). On PostgreSQL, where several instances share the
//! database, every one of these limits is a bucket in the database
//! ([`orderbell_store::CoordinationStore::take_token`]), so three instances allow what one does
//! (docs/deploy.md). Buckets there are named by a SHA-256 of what they count: no address or
//! e-mail is stored. When the database cannot answer, the instance's own bucket decides.

use std::fmt::Debug;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use orderbell_core::Timestamp;
use orderbell_core::rate_limit::{KeyedLimiter, Quota};
use orderbell_store::{Bucket, Store};

use super::error::ApiError;
use crate::config::Limits;

/// One limit: its quota, its in-memory buckets, and its name among the shared ones.
struct Limit<K> {
    name: &'static str,
    quota: Quota,
    local: Mutex<KeyedLimiter<K>>,
}

impl<K: Hash + Eq + Clone + Debug> Limit<K> {
    fn new(name: &'static str, quota: Quota) -> Limit<K> {
        Limit {
            name,
            quota,
            local: Mutex::new(KeyedLimiter::new(quota)),
        }
    }

    fn take_local(&self, key: &K) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut l = self
            .local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        l.try_acquire(key, now)
            .map_err(|ready| refused(ready.saturating_duration_since(now)))
    }

    async fn take(&self, shared: Option<&Arc<dyn Store>>, key: &K) -> Result<(), ApiError> {
        let Some(store) = shared else {
            return self.take_local(key);
        };
        let bucket = Bucket {
            burst: self.quota.burst,
            period_ms: i64::try_from(self.quota.period.as_millis()).unwrap_or(i64::MAX),
        };
        let hashed = crate::security::token::hash(&format!("{}|{key:?}", self.name));
        let now = orderbell_core::to_millis(Timestamp::now());
        match store.take_token(&hashed, bucket, now).await {
            Ok(None) => Ok(()),
            Ok(Some(ready)) => Err(refused(now.duration_until(ready).unsigned_abs())),
            Err(e) => {
                tracing::warn!(error = %e, limit = self.name, "the shared limit is not answering; this instance's own decides");
                self.take_local(key)
            }
        }
    }

    fn prune(&self) {
        self.local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .prune(Instant::now());
    }
}

fn refused(wait: Duration) -> ApiError {
    ApiError::rate_limited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
}

pub struct RateLimits {
    /// The database that holds the shared buckets (PostgreSQL), else none.
    shared: Option<Arc<dyn Store>>,
    guest_orders: Limit<IpAddr>,
    phones: Limit<String>,
    logins: Limit<IpAddr>,
    /// Per (account, address): what one address may try on one account.
    accounts: Limit<(String, IpAddr)>,
    /// Per account, every address together: a slower back-off.
    accounts_everywhere: Limit<String>,
    anonymous: Limit<IpAddr>,
    /// Passkey sign-in steps per address: as many as password sign-ins, in a bucket of their
    /// own, so asking for passkey options never locks out a password.
    passkeys: Limit<IpAddr>,
    /// Account mail per e-mail address (verification, reset, notices), whoever asks.
    mails: Limit<String>,
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

impl RateLimits {
    /// Limits kept in memory (`shared: None`) or in the given database.
    pub fn new(limits: &Limits, shared: Option<Arc<dyn Store>>) -> RateLimits {
        let minute = Duration::from_secs(60);
        RateLimits {
            shared,
            guest_orders: Limit::new("guest_orders", per(limits.guest_orders_per_minute, minute)),
            phones: Limit::new("phones", per(limits.orders_per_phone_per_hour, 60 * minute)),
            logins: Limit::new("logins", per(limits.logins_per_minute, minute)),
            accounts: Limit::new("accounts", per(limits.logins_per_account, 15 * minute)),
            accounts_everywhere: Limit::new(
                "accounts_everywhere",
                per(limits.logins_per_account_everywhere, 60 * minute),
            ),
            anonymous: Limit::new("anonymous", per(limits.anonymous_posts_per_minute, minute)),
            mails: Limit::new("mails", per(ACCOUNT_MAILS_PER_HOUR, 60 * minute)),
            passkeys: Limit::new("passkeys", per(limits.logins_per_minute, minute)),
        }
    }

    /// Whether the limits are shared through the database.
    pub fn shared(&self) -> bool {
        self.shared.is_some()
    }

    pub async fn guest_order(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.guest_orders.take(self.shared.as_ref(), &ip).await
    }

    pub async fn order_phone(&self, phone: &str) -> Result<(), ApiError> {
        self.phones
            .take(self.shared.as_ref(), &phone.to_owned())
            .await
    }

    /// One login attempt: per address, per (account, address), and per account from every
    /// address. Locking out is per (account, address), so wrong passwords from other addresses
    /// do not lock the owner out; only far more attempts than one address may make reach the
    /// account-wide limit.
    pub async fn login(&self, ip: IpAddr, email: &str) -> Result<(), ApiError> {
        let account = email.to_lowercase();
        let shared = self.shared.as_ref();
        self.logins.take(shared, &ip).await?;
        self.accounts.take(shared, &(account.clone(), ip)).await?;
        self.accounts_everywhere.take(shared, &account).await
    }

    /// One step of a passkey sign-in (options or answer): per address, `logins_per_minute`
    /// like password sign-ins (there is no account to count against before the signature).
    pub async fn passkey_sign_in(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.passkeys.take(self.shared.as_ref(), &ip).await
    }

    pub async fn anonymous_post(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.anonymous.take(self.shared.as_ref(), &ip).await
    }

    /// One account mail to `email` (the same for addresses with and without an account).
    pub async fn account_mail(&self, email: &str) -> Result<(), ApiError> {
        self.mails
            .take(self.shared.as_ref(), &email.to_lowercase())
            .await
    }

    /// Forgets clients whose buckets are full again (in memory, and in the database when
    /// shared).
    pub async fn prune(&self) {
        self.guest_orders.prune();
        self.phones.prune();
        self.logins.prune();
        self.accounts.prune();
        self.accounts_everywhere.prune();
        self.anonymous.prune();
        self.passkeys.prune();
        self.mails.prune();
        if let Some(store) = &self.shared {
            match store.prune_tokens(Timestamp::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(rows = n, "forgot full shared rate-limit buckets"),
                Err(e) => tracing::warn!(error = %e, "could not prune shared rate-limit buckets"),
            }
        }
    }
}
