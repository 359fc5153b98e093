//! Shared HTTP plumbing: the default client and `Retry-After` parsing.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How long a provider may take to answer a request, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// A client suitable for every provider here: rustls, short timeouts, and **no redirects**
/// (a push endpoint must not bounce us to an address the SSRF guard would refuse).
pub fn default_http_client() -> Result<reqwest::Client, reqwest::Error> {
    http_client(DEFAULT_TIMEOUT)
}

/// [`default_http_client`] with another limit on the whole request (connect, send, answer).
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    client_builder(timeout).build()
}

/// The settings every provider client shares: no redirects, a 5 s connect timeout.
pub(crate) fn client_builder(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5).min(timeout))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("orderbell/", env!("CARGO_PKG_VERSION")))
}

/// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), relative to `now`.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// At most `max` characters of a response body, for error details.
pub(crate) fn snippet(body: &str, max: usize) -> String {
    let mut s: String = body.chars().take(max).collect();
    if body.chars().count() > max {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_seconds_and_date() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(
            retry_after(&h, SystemTime::now()),
            Some(Duration::from_secs(120))
        );
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:50:37 GMT"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(60)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
    }
}
