//! Sign-in with OpenID Connect: providers from `[[oidc]]`, their discovery documents and keys
//! (cached; an unknown `kid` fetches the keys again, at most every 30 s), the code exchange
//! and the ID token checks. The pages and API are in [`flow`].

pub mod config;
pub mod flow;
pub mod jws;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use orderbell_core::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

pub use config::{Preset, ProviderConfig};
use jws::{Jwk, JwkSet, JwsError};

/// How long a provider may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Clock skew allowed on `exp` and `iat`.
const SKEW_SECONDS: i64 = 60;
/// The keys are fetched again for an unknown `kid` at most this often.
const JWKS_REFETCH_SECONDS: i64 = 30;
/// The discovery document is kept this long.
const METADATA_SECONDS: i64 = 3600;

/// What went wrong; [`OidcError::code`] is shown on the error page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    #[error("the provider cannot be reached or answered badly: {0}")]
    Unreachable(String),
    #[error("the provider's discovery document names another issuer")]
    IssuerMismatch,
    #[error("ID token: {0}")]
    Token(#[from] JwsError),
    #[error("the ID token's issuer is wrong")]
    BadIssuer,
    #[error("the ID token is not for this client")]
    BadAudience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token's nonce is wrong")]
    BadNonce,
    #[error("the ID token lacks a claim: {0}")]
    MissingClaim(&'static str),
    #[error("the code was refused by the provider: {0}")]
    CodeRefused(String),
}

impl OidcError {
    pub fn code(&self) -> &'static str {
        match self {
            OidcError::Unreachable(_) => "oidc_unreachable",
            OidcError::IssuerMismatch => "oidc_issuer_mismatch",
            OidcError::Token(JwsError::Malformed) => "oidc_malformed_token",
            OidcError::Token(JwsError::BadAlg) => "oidc_bad_alg",
            OidcError::Token(JwsError::UnknownKey) => "oidc_unknown_key",
            OidcError::Token(JwsError::BadSignature) => "oidc_bad_signature",
            OidcError::BadIssuer => "oidc_bad_issuer",
            OidcError::BadAudience => "oidc_bad_audience",
            OidcError::Expired => "oidc_expired",
            OidcError::BadNonce => "oidc_bad_nonce",
            OidcError::MissingClaim(_) => "oidc_missing_claim",
            OidcError::CodeRefused(_) => "oidc_code_refused",
        }
    }
}

/// The parts of a discovery document used here.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Option<Vec<String>>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

#[derive(Default)]
struct Cache {
    metadata: Option<(Metadata, Timestamp)>,
    keys: Vec<Jwk>,
    keys_fetched: Option<Timestamp>,
    /// Apple's client secret and when it stops being used.
    apple_secret: Option<(String, i64)>,
}

/// A provider and what is known of it.
pub struct Provider {
    pub config: ProviderConfig,
    cache: Mutex<Cache>,
}

/// What an ID token says, once checked.
#[derive(Debug, Clone)]
pub struct Claims {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    /// `amr` lists a second factor (`mfa`, `otp`, `hwk`).
    pub mfa: bool,
}

/// Every configured provider.
#[derive(Clone)]
pub struct Providers {
    list: Arc<Vec<Arc<Provider>>>,
    by_name: Arc<HashMap<String, Arc<Provider>>>,
    http: reqwest::Client,
}

impl Providers {
    pub fn new(configs: &[ProviderConfig]) -> Providers {
        let list: Vec<Arc<Provider>> = configs
            .iter()
            .map(|c| {
                Arc::new(Provider {
                    config: c.clone(),
                    cache: Mutex::new(Cache::default()),
                })
            })
            .collect();
        let by_name = list
            .iter()
            .map(|p| (p.config.name.clone(), p.clone()))
            .collect();
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Providers {
            list: Arc::new(list),
            by_name: Arc::new(by_name),
            http,
        }
    }

    pub fn all(&self) -> &[Arc<Provider>] {
        &self.list
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Provider>> {
        self.by_name.get(name)
    }

    async fn get_json(&self, url: &str) -> Result<Value, OidcError> {
        let response = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| OidcError::Unreachable(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(OidcError::Unreachable(format!(
                "{url} answered {}",
                response.status()
            )));
        }
        response
            .json()
            .await
            .map_err(|e| OidcError::Unreachable(e.without_url().to_string()))
    }

    /// The discovery document (cached for an hour). Its issuer must be the configured one,
    /// except Microsoft's multi-tenant `{tenantid}` template.
    pub async fn metadata(&self, p: &Provider, now: Timestamp) -> Result<Metadata, OidcError> {
        if let Some((m, at)) = lock(&p.cache).metadata.clone() {
            if now.as_second() - at.as_second() < METADATA_SECONDS {
                return Ok(m);
            }
        }
        let url = format!("{}/.well-known/openid-configuration", p.config.issuer);
        let m: Metadata = serde_json::from_value(self.get_json(&url).await?)
            .map_err(|e| OidcError::Unreachable(format!("discovery document: {e}")))?;
        let templated = p.config.preset == Preset::Microsoft && m.issuer.contains("{tenantid}");
        if m.issuer.trim_end_matches('/') != p.config.issuer && !templated {
            return Err(OidcError::IssuerMismatch);
        }
        lock(&p.cache).metadata = Some((m.clone(), now));
        Ok(m)
    }

    async fn fetch_keys(
        &self,
        p: &Provider,
        m: &Metadata,
        now: Timestamp,
    ) -> Result<Vec<Jwk>, OidcError> {
        let set: JwkSet = serde_json::from_value(self.get_json(&m.jwks_uri).await?)
            .map_err(|e| OidcError::Unreachable(format!("JWKS: {e}")))?;
        let mut cache = lock(&p.cache);
        cache.keys = set.keys.clone();
        cache.keys_fetched = Some(now);
        Ok(set.keys)
    }

    /// Checks an ID token: signature (key by `kid`, fetched again once if unknown), `iss`,
    /// `aud`, `azp`, `exp`, `iat` and `nonce`.
    pub async fn check_id_token(
        &self,
        p: &Provider,
        m: &Metadata,
        token: &str,
        nonce: &str,
        now: Timestamp,
    ) -> Result<Claims, OidcError> {
        let allowed = m
            .id_token_signing_alg_values_supported
            .clone()
            .unwrap_or_else(|| vec!["RS256".to_owned()]);
        let parsed = jws::parse(token, &allowed)?;
        let (cached, fetched) = {
            let c = lock(&p.cache);
            (c.keys.clone(), c.keys_fetched)
        };
        let keys = if fetched.is_none() {
            self.fetch_keys(p, m, now).await?
        } else {
            cached
        };
        let key = match jws::find_key(&parsed, &keys) {
            Some(k) => k.clone(),
            None => {
                let recent = fetched
                    .is_some_and(|at| now.as_second() - at.as_second() < JWKS_REFETCH_SECONDS);
                if recent {
                    return Err(JwsError::UnknownKey.into());
                }
                let keys = self.fetch_keys(p, m, now).await?;
                jws::find_key(&parsed, &keys)
                    .cloned()
                    .ok_or(JwsError::UnknownKey)?
            }
        };
        jws::verify(&parsed, &key)?;
        check_claims(&p.config, m, &parsed.claims, nonce, now)
    }

    /// Exchanges the code at the token endpoint (with the PKCE verifier) for the ID token.
    pub async fn exchange(
        &self,
        p: &Provider,
        m: &Metadata,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
        now: Timestamp,
    ) -> Result<String, OidcError> {
        let secret = self.client_secret(p, now)?;
        let methods = m
            .token_endpoint_auth_methods_supported
            .clone()
            .unwrap_or_else(|| vec!["client_secret_basic".to_owned()]);
        let basic = p.config.apple.is_none() && methods.iter().any(|s| s == "client_secret_basic");
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", redirect_uri.to_owned()),
            ("code_verifier", verifier.to_owned()),
        ];
        let mut req = self
            .http
            .post(&m.token_endpoint)
            .header("accept", "application/json");
        if basic {
            // RFC 6749 §2.3.1: both parts form-encoded before Base64.
            let pair = format!(
                "{}:{}",
                form_encode(&p.config.client_id),
                form_encode(&secret)
            );
            req = req.header("authorization", format!("Basic {}", STANDARD.encode(pair)));
        } else {
            form.push(("client_id", p.config.client_id.clone()));
            form.push(("client_secret", secret));
        }
        let body = serde_urlencoded::to_string(&form)
            .map_err(|e| OidcError::Unreachable(e.to_string()))?;
        let response = req
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| OidcError::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .map_err(|e| OidcError::Unreachable(e.without_url().to_string()))?;
        if !status.is_success() {
            let error = answer
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(64)
                .collect();
            return Err(OidcError::CodeRefused(error));
        }
        answer
            .get("id_token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(OidcError::MissingClaim("id_token"))
    }

    /// The client secret: as configured, or (Apple) an ES256 JWT signed here, made again a
    /// day before it expires (it lives 30 days; Apple allows up to six months).
    fn client_secret(&self, p: &Provider, now: Timestamp) -> Result<String, OidcError> {
        let Some(apple) = &p.config.apple else {
            return p
                .config
                .client_secret
                .clone()
                .ok_or(OidcError::MissingClaim("client_secret"));
        };
        let now_s = now.as_second();
        let mut cache = lock(&p.cache);
        if let Some((secret, exp)) = &cache.apple_secret {
            if *exp - now_s > 86_400 {
                return Ok(secret.clone());
            }
        }
        let exp = now_s + 30 * 86_400;
        let secret = jws::sign_es256(
            &apple.key,
            &json!({"alg": "ES256", "kid": apple.key_id}),
            &json!({
                "iss": apple.team_id,
                "iat": now_s,
                "exp": exp,
                "aud": "https://appleid.apple.com",
                "sub": p.config.client_id,
            }),
        );
        cache.apple_secret = Some((secret.clone(), exp));
        Ok(secret)
    }
}

fn lock(m: &Mutex<Cache>) -> std::sync::MutexGuard<'_, Cache> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn form_encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// `true`, or the string `"true"` (Apple and Cognito send it as a string).
fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

fn check_claims(
    c: &ProviderConfig,
    m: &Metadata,
    claims: &Value,
    nonce: &str,
    now: Timestamp,
) -> Result<Claims, OidcError> {
    let s = |name: &str| claims.get(name).and_then(Value::as_str);
    let iss = s("iss").ok_or(OidcError::MissingClaim("iss"))?;
    let expected = if m.issuer.contains("{tenantid}") {
        let tid = s("tid").ok_or(OidcError::BadIssuer)?;
        m.issuer.replace("{tenantid}", tid)
    } else {
        m.issuer.clone()
    };
    // Google's older tokens name their issuer without the scheme (its documentation allows both).
    let google_alias = c.preset == Preset::Google && iss == "accounts.google.com";
    if iss != expected && !google_alias {
        return Err(OidcError::BadIssuer);
    }
    let aud: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !aud.contains(&c.client_id.as_str()) {
        return Err(OidcError::BadAudience);
    }
    let azp = s("azp");
    if (aud.len() > 1 || azp.is_some()) && azp != Some(c.client_id.as_str()) {
        return Err(OidcError::BadAudience);
    }
    let now_s = now.as_second();
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(OidcError::MissingClaim("exp"))?;
    if exp + SKEW_SECONDS <= now_s {
        return Err(OidcError::Expired);
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(OidcError::MissingClaim("iat"))?;
    if iat > now_s + SKEW_SECONDS || iat < now_s - 86_400 {
        return Err(OidcError::Expired);
    }
    let given = s("nonce").ok_or(OidcError::BadNonce)?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        given.as_bytes(),
        nonce.as_bytes(),
    )) {
        return Err(OidcError::BadNonce);
    }
    let subject = s("sub").ok_or(OidcError::MissingClaim("sub"))?;
    let mfa = claims
        .get("amr")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .any(|m| matches!(m, "mfa" | "otp" | "hwk"))
        });
    Ok(Claims {
        // One name per issuer, so the identity is the same whichever form the token used.
        issuer: if google_alias {
            expected
        } else {
            iss.to_owned()
        },
        subject: subject.to_owned(),
        email: s("email").map(str::to_owned),
        email_verified: truthy(claims.get("email_verified")),
        name: s("name").map(str::to_owned),
        mfa,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(preset: Preset, issuer: &str) -> ProviderConfig {
        ProviderConfig {
            name: "p".into(),
            label: "P".into(),
            preset,
            issuer: issuer.into(),
            client_id: "client".into(),
            client_secret: Some("s".into()),
            apple: None,
            scopes: "openid".into(),
            form_post: false,
            logout_url: None,
        }
    }

    fn metadata(issuer: &str) -> Metadata {
        Metadata {
            issuer: issuer.into(),
            authorization_endpoint: String::new(),
            token_endpoint: String::new(),
            jwks_uri: String::new(),
            id_token_signing_alg_values_supported: None,
            token_endpoint_auth_methods_supported: None,
            end_session_endpoint: None,
        }
    }

    #[test]
    fn apples_client_secret_is_kept_and_made_again_before_it_ends() {
        let mut c = provider(Preset::Apple, "https://appleid.apple.com");
        c.client_secret = None;
        c.apple = Some(config::AppleKey {
            team_id: "TEAM".into(),
            key_id: "KID".into(),
            key: p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap(),
        });
        let providers = Providers::new(&[c]);
        let p = providers.get("p").unwrap();
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let first = providers.client_secret(p, t0).unwrap();
        let day = jiff::SignedDuration::from_hours(24);
        let same = providers
            .client_secret(p, t0.checked_add(day).unwrap())
            .unwrap();
        assert_eq!(first, same);
        let late = providers
            .client_secret(p, t0.checked_add(day * 29 + day / 2).unwrap())
            .unwrap();
        assert_ne!(first, late);
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(late.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["iss"], "TEAM");
        assert_eq!(claims["aud"], "https://appleid.apple.com");
    }

    #[test]
    fn a_microsoft_multi_tenant_issuer_takes_the_tokens_tenant() {
        let c = provider(
            Preset::Microsoft,
            "https://login.microsoftonline.com/common/v2.0",
        );
        let m = metadata("https://login.microsoftonline.com/{tenantid}/v2.0");
        let now = Timestamp::now();
        let claims = |iss: &str, tid: &str| {
            json!({"iss": iss, "tid": tid, "aud": "client", "sub": "s", "nonce": "n",
                   "iat": now.as_second(), "exp": now.as_second() + 60, "amr": ["pwd", "mfa"],
                   "email": "a@example.com", "email_verified": "true"})
        };
        let tenant = "9188040d-6c67-4c5b-b112-36a304b66dad";
        let ok = check_claims(
            &c,
            &m,
            &claims(
                &format!("https://login.microsoftonline.com/{tenant}/v2.0"),
                tenant,
            ),
            "n",
            now,
        )
        .unwrap();
        assert!(ok.mfa && ok.email_verified);
        assert_eq!(
            ok.issuer,
            format!("https://login.microsoftonline.com/{tenant}/v2.0")
        );
        let other = check_claims(
            &c,
            &m,
            &claims("https://login.microsoftonline.com/another/v2.0", tenant),
            "n",
            now,
        );
        assert_eq!(other.unwrap_err(), OidcError::BadIssuer);
    }
}
