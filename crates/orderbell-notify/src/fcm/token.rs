//! OAuth 2.0 access tokens for FCM: a self-signed RS256 JWT exchanged at the key file's
//! `token_uri` (grant type `urn:ietf:params:oauth:grant-type:jwt-bearer`), cached until
//! 60 s before it expires.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use ring::rand::SystemRandom;
use ring::signature::RSA_PKCS1_SHA256;
use secrecy::SecretString;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::service_account::ServiceAccount;
use crate::error::{Provider, SendError};
use crate::http::{retry_after, snippet};

const P: Provider = Provider::Fcm;
pub const FCM_SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
const ASSERTION_LIFETIME: u64 = 3600;
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Wall-clock time, injectable for tests.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> SystemTime;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

#[derive(Debug, Clone)]
struct Cached {
    token: SecretString,
    expires_at: SystemTime,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: SecretString,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Hands out a valid access token, fetching a new one only when needed.
#[derive(Debug, Clone)]
pub struct TokenProvider {
    http: reqwest::Client,
    account: ServiceAccount,
    clock: Arc<dyn Clock>,
    cache: Arc<Mutex<Option<Cached>>>,
}

impl TokenProvider {
    pub fn new(http: reqwest::Client, account: ServiceAccount, clock: Arc<dyn Clock>) -> Self {
        Self {
            http,
            account,
            clock,
            cache: Arc::new(Mutex::new(None)),
        }
    }

    pub fn account(&self) -> &ServiceAccount {
        &self.account
    }

    /// A token valid for at least another 60 s.
    pub async fn access_token(&self) -> Result<SecretString, SendError> {
        let mut cache = self.cache.lock().await;
        let now = self.clock.now();
        if let Some(c) = cache.as_ref() {
            if c.expires_at
                .duration_since(now)
                .is_ok_and(|left| left > REFRESH_MARGIN)
            {
                return Ok(c.token.clone());
            }
        }
        let fresh = self.fetch(now).await?;
        let token = fresh.token.clone();
        *cache = Some(fresh);
        Ok(token)
    }

    /// Forget the cached token (after a 401 from FCM).
    pub async fn invalidate(&self) {
        *self.cache.lock().await = None;
    }

    /// The signed JWT-bearer assertion for `now`.
    pub fn assertion(&self, now: SystemTime) -> Result<String, SendError> {
        let iat = now
            .duration_since(UNIX_EPOCH)
            .map_err(|_| SendError::permanent(P, None, "clock before 1970"))?
            .as_secs();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "iss": self.account.client_email,
            "scope": FCM_SCOPE,
            "aud": self.account.token_uri,
            "iat": iat,
            "exp": iat + ASSERTION_LIFETIME,
        });
        let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        let key = self.account.key();
        let mut sig = vec![0u8; key.public().modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            signing_input.as_bytes(),
            &mut sig,
        )
        .map_err(|_| {
            SendError::permanent(P, None, "could not sign the service-account assertion")
        })?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }

    async fn fetch(&self, now: SystemTime) -> Result<Cached, SendError> {
        let assertion = self.assertion(now)?;
        let resp = self
            .http
            .post(&self.account.token_uri)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(|e| SendError::transport(P, e))?;
        let status = resp.status();
        let after = retry_after(resp.headers(), SystemTime::now());
        let text = resp.text().await.map_err(|e| SendError::transport(P, e))?;
        if !status.is_success() {
            let detail = format!("token endpoint: HTTP {status}: {}", snippet(&text, 200));
            let code = Some(format!("token_{}", status.as_u16()));
            return Err(
                if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                    SendError::retryable(P, after, code, detail)
                } else {
                    SendError::permanent(P, code, detail)
                },
            );
        }
        let parsed: TokenResponse = serde_json::from_str(&text).map_err(|_| {
            SendError::retryable(
                P,
                None,
                None,
                "token endpoint answered without an access_token",
            )
        })?;
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
        Ok(Cached {
            token: parsed.access_token,
            expires_at: now + lifetime,
        })
    }
}
