//! E-mail over SMTP ([`lettre`]): STARTTLS or implicit TLS, plain text only to a relay on
//! this machine.
//!
//! The relay is one URL: `smtp://user:pass@host:587?tls=starttls` (the default for `smtp://`),
//! `smtps://user:pass@host:465` (TLS from the first byte), `smtp://127.0.0.1:2525` (a relay on
//! loopback, plain). A message is plain text and HTML together (`multipart/alternative`).

use std::net::IpAddr;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::{Provider, SendError};

const P: Provider = Provider::Smtp;

/// A relay URL or sender that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("the SMTP URL is not a URL: {0}")]
    Url(#[from] url::ParseError),
    #[error("the SMTP URL must start with smtp:// or smtps://, not {0}://")]
    Scheme(String),
    #[error("the SMTP URL has no host")]
    NoHost,
    #[error("tls={0} is not one of starttls, tls, none")]
    TlsMode(String),
    #[error(
        "plain SMTP (tls=none) is only for a relay on this machine; {0} is not a loopback address"
    )]
    PlainRemote(String),
    #[error("the sender {0:?} is not an e-mail address")]
    From(String),
    #[error("a certificate for the relay is not valid PEM: {0}")]
    Certificate(String),
    #[error("TLS settings for the relay: {0}")]
    Tls(String),
}

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain first, then `STARTTLS`, which must succeed.
    StartTls,
    /// TLS from the first byte (`smtps://`, port 465).
    Tls,
    /// No encryption: loopback only.
    Plain,
}

/// A parsed relay URL (the password stays secret).
#[derive(Clone)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: Option<String>,
    pub password: Option<SecretString>,
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `%XX` escapes in the user and password of a URL (`@` in a user name is `%40`).
fn decoded(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

impl SmtpUrl {
    pub fn parse(s: &str) -> Result<SmtpUrl, MailConfigError> {
        let url = Url::parse(s)?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(MailConfigError::NoHost)?
            .to_owned();
        let mode = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_ascii_lowercase());
        let security = match (url.scheme(), mode.as_deref()) {
            ("smtps", None | Some("tls")) => Security::Tls,
            ("smtp", Some("starttls")) => Security::StartTls,
            ("smtp", Some("tls")) => Security::Tls,
            ("smtp", Some("none")) => Security::Plain,
            ("smtp", None) if is_loopback(&host) => Security::Plain,
            ("smtp", None) => Security::StartTls,
            ("smtp" | "smtps", Some(other)) => {
                return Err(MailConfigError::TlsMode(other.to_owned()));
            }
            (other, _) => return Err(MailConfigError::Scheme(other.to_owned())),
        };
        if security == Security::Plain && !is_loopback(&host) {
            return Err(MailConfigError::PlainRemote(host));
        }
        let port = url.port().unwrap_or(match security {
            Security::Tls => 465,
            Security::StartTls => 587,
            Security::Plain => 25,
        });
        let user = (!url.username().is_empty()).then(|| decoded(url.username()));
        let password = url.password().map(|p| SecretString::from(decoded(p)));
        Ok(SmtpUrl {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            security,
            user,
            password,
        })
    }
}

/// One message: the same words as plain text and as HTML.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Sends mail through one relay.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `relay`, sending as `from` (`Shop <bell@example.com>` or a bare address).
    /// `roots` are extra CA certificates (PEM) to trust, for a relay with a private CA.
    pub fn new(
        relay: &SmtpUrl,
        from: &str,
        roots: &[Vec<u8>],
        timeout: Duration,
    ) -> Result<Mailer, MailConfigError> {
        let from: Mailbox = from
            .parse()
            .map_err(|_| MailConfigError::From(from.to_owned()))?;
        let tls = || -> Result<TlsParameters, MailConfigError> {
            let mut builder = TlsParameters::builder(relay.host.clone());
            for pem in roots {
                let cert = Certificate::from_pem(pem)
                    .map_err(|e| MailConfigError::Certificate(e.to_string()))?;
                builder = builder.add_root_certificate(cert);
            }
            builder
                .build_rustls()
                .map_err(|e| MailConfigError::Tls(e.to_string()))
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&relay.host)
            .port(relay.port)
            .timeout(Some(timeout))
            .tls(match relay.security {
                Security::StartTls => Tls::Required(tls()?),
                Security::Tls => Tls::Wrapper(tls()?),
                Security::Plain => Tls::None,
            });
        if let Some(user) = &relay.user {
            let password = relay
                .password
                .as_ref()
                .map(|p| p.expose_secret().to_owned())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    /// The sender every message carries.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Hands one message to the relay. Returns the relay's answer (its queue id, usually).
    pub async fn send(&self, mail: &Mail) -> Result<String, SendError> {
        let to: Mailbox = mail.to.parse().map_err(|_| {
            SendError::permanent(P, None, format!("{:?} is not an e-mail address", mail.to))
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| SendError::permanent(P, None, format!("building the message: {e}")))?;
        match self.transport.send(message).await {
            Ok(response) => Ok(response.message().collect::<Vec<_>>().join(" ")),
            Err(e) => Err(classify(&e)),
        }
    }
}

/// A relay's refusal: 4xx (and anything that never reached an answer: a timeout, a lost
/// connection, a TLS failure) is tried again; 5xx is final, and 550/551/553 mean the mailbox
/// does not exist.
fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let code = e.status().map(|c| c.to_string());
    let detail = e.to_string();
    if e.is_permanent() {
        let gone = matches!(code.as_deref(), Some("550" | "551" | "553"));
        if gone {
            SendError::DestinationDead {
                provider: P,
                code,
                detail,
            }
        } else {
            SendError::permanent(P, code, detail)
        }
    } else {
        SendError::retryable(P, None, code, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls() {
        let u = SmtpUrl::parse("smtp://bell%40shop.kr:p%40ss@mail.example.com:587?tls=starttls")
            .unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.security, u.user.as_deref()),
            (
                "mail.example.com",
                587,
                Security::StartTls,
                Some("bell@shop.kr")
            )
        );
        assert_eq!(u.password.unwrap().expose_secret(), "p@ss");
        let u = SmtpUrl::parse("smtps://u:p@mail.example.com").unwrap();
        assert_eq!((u.port, u.security), (465, Security::Tls));
        let u = SmtpUrl::parse("smtp://mail.example.com").unwrap();
        assert_eq!((u.port, u.security), (587, Security::StartTls));
        let u = SmtpUrl::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((u.port, u.security), (2525, Security::Plain));
        let u = SmtpUrl::parse("smtp://[::1]:2525?tls=starttls").unwrap();
        assert_eq!((u.host.as_str(), u.security), ("::1", Security::StartTls));
        assert!(matches!(
            SmtpUrl::parse("smtp://mail.example.com?tls=none"),
            Err(MailConfigError::PlainRemote(_))
        ));
        assert!(matches!(
            SmtpUrl::parse("http://mail.example.com"),
            Err(MailConfigError::Scheme(_))
        ));
        assert!(matches!(
            SmtpUrl::parse("smtp://mail.example.com?tls=maybe"),
            Err(MailConfigError::TlsMode(_))
        ));
    }

    #[test]
    fn the_password_is_not_in_debug_output() {
        let u = SmtpUrl::parse("smtp://user:hunter2hunter2@mail.example.com").unwrap();
        assert!(!format!("{u:?}").contains("hunter2"));
    }
}
