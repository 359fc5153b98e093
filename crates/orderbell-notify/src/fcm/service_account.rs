//! The service-account key file Google hands out (`ORDERBELL_FCM_SERVICE_ACCOUNT_FILE`).

use std::fmt;
use std::sync::Arc;

use ring::signature::RsaKeyPair;
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ServiceAccountError {
    #[error("service account file is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("key file type is {0:?}, expected \"service_account\"")]
    WrongType(String),
    #[error("service account private_key is not a PKCS#8 PEM RSA key")]
    BadKey,
    #[error("service account field {0} is empty")]
    Missing(&'static str),
}

#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "type")]
    kind: String,
    project_id: String,
    private_key: SecretString,
    client_email: String,
    #[serde(default = "default_token_uri")]
    token_uri: String,
}

fn default_token_uri() -> String {
    "https://oauth2.googleapis.com/token".into()
}

/// A parsed service account with its signing key ready.
#[derive(Clone)]
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
    pub token_uri: String,
    key: Arc<RsaKeyPair>,
}

impl fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .field("private_key", &"[REDACTED]")
            .finish()
    }
}

impl ServiceAccount {
    pub fn from_json(json: &str) -> Result<Self, ServiceAccountError> {
        let raw: Raw = serde_json::from_str(json)?;
        if raw.kind != "service_account" {
            return Err(ServiceAccountError::WrongType(raw.kind));
        }
        for (name, v) in [
            ("project_id", &raw.project_id),
            ("client_email", &raw.client_email),
            ("token_uri", &raw.token_uri),
        ] {
            if v.trim().is_empty() {
                return Err(ServiceAccountError::Missing(name));
            }
        }
        let der = PrivatePkcs8KeyDer::from_pem_slice(raw.private_key.expose_secret().as_bytes())
            .map_err(|_| ServiceAccountError::BadKey)?;
        let key = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
            .map_err(|_| ServiceAccountError::BadKey)?;
        Ok(Self {
            project_id: raw.project_id,
            client_email: raw.client_email,
            token_uri: raw.token_uri,
            key: Arc::new(key),
        })
    }

    pub(crate) fn key(&self) -> &RsaKeyPair {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_wrong_type_and_bad_key() {
        let j = r#"{"type":"authorized_user","project_id":"p","private_key":"x","client_email":"a@b","token_uri":"https://t"}"#;
        assert!(matches!(
            ServiceAccount::from_json(j),
            Err(ServiceAccountError::WrongType(_))
        ));
        let j = r#"{"type":"service_account","project_id":"p","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n","client_email":"a@b","token_uri":"https://t"}"#;
        let e = ServiceAccount::from_json(j).unwrap_err();
        assert!(matches!(e, ServiceAccountError::BadKey));
        assert!(!e.to_string().contains("AAAA"));
    }
}
