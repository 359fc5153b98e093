//! `[[oidc]]` in the TOML file: the OpenID providers people may sign in with.

use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

/// Which kind of provider, for defaults (label, issuer, scopes) and quirks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    #[default]
    Generic,
    Google,
    /// Sign in with Apple: `form_post` answers, a client secret signed from the `.p8` key.
    Apple,
    /// Microsoft Entra ID: a multi-tenant issuer names `{tenantid}`.
    Microsoft,
    /// Amazon Cognito user pools (hosted UI), with their logout endpoint.
    Cognito,
    Keycloak,
}

/// Apple's client secret is an ES256 JWT this server signs with the key Apple gave.
#[derive(Clone)]
pub struct AppleKey {
    pub team_id: String,
    pub key_id: String,
    pub key: p256::ecdsa::SigningKey,
}

impl std::fmt::Debug for AppleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppleKey")
            .field("team_id", &self.team_id)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// One provider, checked.
#[derive(Clone)]
pub struct ProviderConfig {
    /// A slug, unique: `/login/oidc/{name}`.
    pub name: String,
    /// The button says "Sign in with {label}".
    pub label: String,
    pub preset: Preset,
    /// Without a trailing slash; discovery is `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub apple: Option<AppleKey>,
    /// Space-separated.
    pub scopes: String,
    /// Answers come as a form POST (Apple).
    pub form_post: bool,
    /// Cognito's `/logout?client_id=…&logout_uri=…`: where sign-out sends a session from here.
    pub logout_url: Option<String>,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("name", &self.name)
            .field("preset", &self.preset)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileProvider {
    name: String,
    label: Option<String>,
    #[serde(default)]
    preset: Preset,
    issuer: Option<String>,
    client_id: String,
    client_secret: Option<String>,
    client_secret_file: Option<String>,
    scopes: Option<String>,
    team_id: Option<String>,
    key_id: Option<String>,
    private_key_file: Option<String>,
    logout_url: Option<String>,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
}

/// Reads the `[[oidc]]` array (absent: no providers).
pub fn load(value: Option<&toml::Value>) -> anyhow::Result<Vec<ProviderConfig>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let list: Vec<FileProvider> = value
        .clone()
        .try_into()
        .context("in [[oidc]]: expected an array of tables")?;
    let mut out: Vec<ProviderConfig> = Vec::new();
    for p in list {
        let name = p.name.clone();
        let provider = one(p).with_context(|| format!("in [[oidc]] {name:?}"))?;
        if out.iter().any(|o| o.name == provider.name) {
            bail!("[[oidc]] name {:?} is used twice", provider.name);
        }
        out.push(provider);
    }
    Ok(out)
}

fn one(p: FileProvider) -> anyhow::Result<ProviderConfig> {
    if !valid_name(&p.name) {
        bail!("name must be a slug: lowercase letters, digits and '-'");
    }
    let (default_label, default_issuer) = match p.preset {
        Preset::Google => ("Google", Some("https://accounts.google.com")),
        Preset::Apple => ("Apple", Some("https://appleid.apple.com")),
        Preset::Microsoft => ("Microsoft", None),
        Preset::Cognito => ("Amazon Cognito", None),
        Preset::Keycloak => ("Keycloak", None),
        Preset::Generic => ("", None),
    };
    let issuer = p
        .issuer
        .or(default_issuer.map(str::to_owned))
        .context("issuer is missing")?;
    let issuer = issuer.trim().trim_end_matches('/').to_owned();
    if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
        bail!("issuer must be an https:// URL");
    }
    let label = p.label.unwrap_or_else(|| {
        if default_label.is_empty() {
            p.name.clone()
        } else {
            default_label.to_owned()
        }
    });
    let client_secret = match (p.client_secret, p.client_secret_file) {
        (Some(_), Some(_)) => bail!("give client_secret or client_secret_file, not both"),
        (Some(s), None) => Some(s),
        (None, Some(path)) => Some(
            std::fs::read_to_string(&path)
                .with_context(|| format!("reading client_secret_file {path}"))?
                .trim()
                .to_owned(),
        ),
        (None, None) => None,
    };
    let apple = match (p.team_id, p.key_id, p.private_key_file) {
        (Some(team_id), Some(key_id), Some(file)) => Some(AppleKey {
            team_id,
            key_id,
            key: read_p8(Path::new(&file))?,
        }),
        (None, None, None) => None,
        _ => bail!("team_id, key_id and private_key_file go together"),
    };
    if p.preset == Preset::Apple && apple.is_none() && client_secret.is_none() {
        bail!("Apple needs team_id, key_id and private_key_file (the .p8 key)");
    }
    if p.preset != Preset::Apple && apple.is_none() && client_secret.is_none() {
        bail!("client_secret or client_secret_file is missing");
    }
    let scopes = p.scopes.unwrap_or_else(|| match p.preset {
        Preset::Apple => "openid email name".into(),
        _ => "openid email profile".into(),
    });
    if !scopes.split_whitespace().any(|s| s == "openid") {
        bail!("scopes must include openid");
    }
    if let Some(url) = &p.logout_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            bail!("logout_url must be an https:// URL");
        }
    }
    Ok(ProviderConfig {
        name: p.name,
        label,
        preset: p.preset,
        issuer,
        client_id: p.client_id,
        client_secret,
        apple,
        scopes,
        form_post: p.preset == Preset::Apple,
        logout_url: p.logout_url,
    })
}

/// A `.p8` file: a PKCS#8 P-256 private key in PEM.
fn read_p8(path: &Path) -> anyhow::Result<p256::ecdsa::SigningKey> {
    use p256::pkcs8::DecodePrivateKey;
    let pem = std::fs::read_to_string(path)
        .with_context(|| format!("reading private_key_file {}", path.display()))?;
    p256::ecdsa::SigningKey::from_pkcs8_pem(pem.trim()).map_err(|_| {
        anyhow::anyhow!(
            "private_key_file {} is not a PKCS#8 P-256 key (.p8)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<Vec<ProviderConfig>> {
        let v: toml::Table = toml::from_str(text)?;
        load(v.get("oidc"))
    }

    #[test]
    fn presets_fill_in_and_mistakes_are_refused() {
        let p = parse(
            "[[oidc]]\nname = \"google\"\npreset = \"google\"\nclient_id = \"a\"\nclient_secret = \"b\"\n",
        )
        .unwrap();
        assert_eq!(p[0].issuer, "https://accounts.google.com");
        assert_eq!(p[0].label, "Google");
        assert_eq!(p[0].scopes, "openid email profile");
        assert!(parse("[[oidc]]\nname = \"Bad Name\"\nissuer = \"https://x\"\nclient_id = \"a\"\nclient_secret = \"b\"\n").is_err());
        assert!(
            parse("[[oidc]]\nname = \"x\"\nissuer = \"https://x\"\nclient_id = \"a\"\n").is_err()
        );
        assert!(parse("[[oidc]]\nname = \"x\"\nissuer = \"https://x\"\nclient_id = \"a\"\nclient_secret = \"b\"\n[[oidc]]\nname = \"x\"\nissuer = \"https://y\"\nclient_id = \"a\"\nclient_secret = \"b\"\n").is_err());
        assert!(
            parse("[[oidc]]\nname = \"apple\"\npreset = \"apple\"\nclient_id = \"a\"\n").is_err()
        );
    }
}
