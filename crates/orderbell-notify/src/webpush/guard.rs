//! The server-side request forgery guard for user-registered push endpoints.
//!
//! A Web Push endpoint comes from a browser, i.e. from anyone. It must be `https` and must not
//! lead to loopback, private, link-local, unique-local or otherwise non-public addresses,
//! unless the `allow_http_endpoints` dev flag is set (`ORDERBELL_DEV_ALLOW_HTTP_ENDPOINTS`,
//! for loopback stand-ins in tests). [`check_endpoint`] is for registration time; the
//! [`GuardedResolver`] inside [`guarded_http_client`] re-checks every address actually
//! connected to, so DNS rebinding after the check gains nothing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// What the guard lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EndpointPolicy {
    /// Dev/test only: allow `http` and non-public addresses.
    pub allow_http_endpoints: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    #[error("endpoint is not a valid URL")]
    NotAUrl,
    #[error("endpoint must use https")]
    NotHttps,
    #[error("endpoint must not carry credentials")]
    HasCredentials,
    #[error("endpoint host does not resolve")]
    Unresolvable,
    #[error("endpoint leads to a non-public address ({0})")]
    ForbiddenAddress(IpAddr),
}

/// Is this an address on the public internet (not loopback, private, link-local,
/// unique-local, shared/CGNAT, multicast, documentation, reserved or unspecified)?
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 shared address space
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24 IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15 benchmarking
        || o[0] >= 240) // 240.0.0.0/4 reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    // 64:ff9b::/96 NAT64 carries an IPv4 address too.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // fc00::/7 unique local
        || (s[0] & 0xffc0) == 0xfe80 // fe80::/10 link-local
        || (s[0] & 0xffc0) == 0xfec0 // fec0::/10 site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || s[0..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated) and other ::/96
}

/// Checks a push endpoint: parses it, requires https without credentials, and resolves the
/// host to make sure every address is public. Returns the parsed URL.
pub async fn check_endpoint(endpoint: &str, policy: EndpointPolicy) -> Result<Url, EndpointError> {
    let url = Url::parse(endpoint.trim()).map_err(|_| EndpointError::NotAUrl)?;
    if policy.allow_http_endpoints {
        return match url.scheme() {
            "https" | "http" if url.host().is_some() => Ok(url),
            _ => Err(EndpointError::NotAUrl),
        };
    }
    if url.scheme() != "https" {
        return Err(EndpointError::NotHttps);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointError::HasCredentials);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<IpAddr> = match url.host() {
        None => return Err(EndpointError::NotAUrl),
        Some(Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(Host::Domain(d)) => tokio::net::lookup_host((d, port))
            .await
            .map_err(|_| EndpointError::Unresolvable)?
            .map(|sa| sa.ip())
            .collect(),
    };
    if addrs.is_empty() {
        return Err(EndpointError::Unresolvable);
    }
    if let Some(bad) = addrs.into_iter().find(|ip| !is_public_ip(*ip)) {
        return Err(EndpointError::ForbiddenAddress(bad));
    }
    Ok(url)
}

/// A DNS resolver for reqwest that drops non-public addresses (and fails when none is left).
#[derive(Debug, Clone, Default)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|sa| is_public_ip(sa.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(EndpointError::ForbiddenAddress(IpAddr::V4(
                    Ipv4Addr::UNSPECIFIED,
                )))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// An HTTP client for push endpoints: no redirects, short timeouts, and (unless the dev flag
/// is set) the [`GuardedResolver`]. IP-literal hosts skip DNS, so callers must still run
/// [`check_endpoint`] (which [`super::WebPushClient::send`] does).
pub fn guarded_http_client(
    policy: EndpointPolicy,
    timeout: Duration,
) -> Result<reqwest::Client, reqwest::Error> {
    let builder = crate::http::client_builder(timeout);
    let builder = if policy.allow_http_endpoints {
        builder
    } else {
        builder.dns_resolver(Arc::new(GuardedResolver))
    };
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: EndpointPolicy = EndpointPolicy {
        allow_http_endpoints: false,
    };
    const DEV: EndpointPolicy = EndpointPolicy {
        allow_http_endpoints: true,
    };

    #[test]
    fn classifies_addresses() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
            "ff02::1",
        ] {
            assert!(
                !is_public_ip(bad.parse().unwrap()),
                "{bad} should be refused"
            );
        }
        for good in [
            "8.8.8.8",
            "172.32.0.1",
            "142.250.1.1",
            "2607:f8b0:4004::200e",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public_ip(good.parse().unwrap()), "{good} should pass");
        }
    }

    #[tokio::test]
    async fn refuses_http_loopback_and_private_literals() {
        assert_eq!(
            check_endpoint("http://push.example/x", STRICT).await,
            Err(EndpointError::NotHttps)
        );
        assert_eq!(
            check_endpoint("not a url", STRICT).await,
            Err(EndpointError::NotAUrl)
        );
        assert_eq!(
            check_endpoint("https://u:p@push.example/x", STRICT).await,
            Err(EndpointError::HasCredentials)
        );
        assert_eq!(
            check_endpoint("https://127.0.0.1:8443/x", STRICT).await,
            Err(EndpointError::ForbiddenAddress(
                "127.0.0.1".parse().unwrap()
            ))
        );
        assert_eq!(
            check_endpoint("https://[::1]/x", STRICT).await,
            Err(EndpointError::ForbiddenAddress("::1".parse().unwrap()))
        );
        assert!(matches!(
            check_endpoint("https://192.168.0.10/x", STRICT).await,
            Err(EndpointError::ForbiddenAddress(_))
        ));
        // `localhost` resolves (from /etc/hosts, no network needed) to loopback only.
        assert!(matches!(
            check_endpoint("https://localhost/x", STRICT).await,
            Err(EndpointError::ForbiddenAddress(_))
        ));
    }

    #[tokio::test]
    async fn public_literal_passes() {
        assert!(
            check_endpoint("https://8.8.8.8/push/abc", STRICT)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn dev_flag_allows_http_loopback() {
        assert!(check_endpoint("http://127.0.0.1:9/x", DEV).await.is_ok());
        assert!(check_endpoint("https://localhost/x", DEV).await.is_ok());
        assert_eq!(
            check_endpoint("ftp://127.0.0.1/x", DEV).await,
            Err(EndpointError::NotAUrl)
        );
    }

    #[tokio::test]
    async fn guarded_resolver_drops_loopback() {
        let r = GuardedResolver.resolve("localhost".parse().unwrap()).await;
        assert!(r.is_err());
    }
}
