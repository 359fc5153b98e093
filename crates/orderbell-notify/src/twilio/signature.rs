//! `X-Twilio-Signature` verification, as Twilio's own helper libraries do it.
//!
//! signature = base64(HMAC-SHA1(auth token, URL + every POST parameter name followed by its
//! value, names sorted, and for a repeated name its values sorted)). Twilio's back end is not
//! consistent about the port in the URL, so — like twilio-python's `RequestValidator.validate` —
//! the URL is checked both without and with the explicit port (443/80). For JSON bodies Twilio
//! signs the URL alone and puts the body's SHA-256 (hex) in the `bodySHA256` query parameter.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Verifies webhook requests signed with one account's auth token.
#[derive(Debug, Clone)]
pub struct RequestValidator {
    auth_token: SecretString,
}

impl RequestValidator {
    pub fn new(auth_token: SecretString) -> Self {
        Self { auth_token }
    }

    /// The signature Twilio would send for `url` and form `params` (exactly this URL).
    pub fn compute_signature<K: AsRef<str>, V: AsRef<str>>(
        &self,
        url: &str,
        params: &[(K, V)],
    ) -> String {
        STANDARD.encode(self.mac(url, params))
    }

    /// Is `signature` (the `X-Twilio-Signature` header) right for a form-encoded request to
    /// `url` (the full public URL Twilio called, query included) with these POST parameters?
    pub fn validate<K: AsRef<str>, V: AsRef<str>>(
        &self,
        url: &str,
        params: &[(K, V)],
        signature: &str,
    ) -> bool {
        let Ok(given) = STANDARD.decode(signature.trim()) else {
            return false;
        };
        let (without_port, with_port) = url_port_variants(url);
        let a = self.mac(&without_port, params).ct_eq(&given);
        let b = self.mac(&with_port, params).ct_eq(&given);
        bool::from(a | b)
    }

    /// The JSON-body variant: `url` carries `bodySHA256=<hex sha256 of body>`, the signature
    /// covers the URL alone. Both must match.
    pub fn validate_json_body(&self, url: &str, body: &str, signature: &str) -> bool {
        let Some(claimed) = query_param(url, "bodySHA256") else {
            return false;
        };
        let actual = hex_lower(&Sha256::digest(body.as_bytes()));
        let hash_ok = actual.as_bytes().ct_eq(claimed.as_bytes());
        let no_params: &[(&str, &str)] = &[];
        let sig_ok = self.validate(url, no_params, signature);
        bool::from(hash_ok) && sig_ok
    }

    fn mac<K: AsRef<str>, V: AsRef<str>>(&self, url: &str, params: &[(K, V)]) -> Vec<u8> {
        let mut sorted: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        // Names sorted, then values of a repeated name sorted; duplicates of the same pair
        // count once (twilio-python iterates `sorted(set(values))`).
        sorted.sort_unstable();
        sorted.dedup();
        // HMAC accepts keys of any length, so this cannot fail; fall back to an empty MAC
        // (which then matches nothing) rather than panic.
        let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(self.auth_token.expose_secret().as_bytes())
        else {
            return Vec::new();
        };
        mac.update(url.as_bytes());
        for (k, v) in sorted {
            mac.update(k.as_bytes());
            mac.update(v.as_bytes());
        }
        mac.finalize().into_bytes().to_vec()
    }
}

/// The URL as given without its port, and with the scheme's default port added when none was
/// given — string surgery on the authority, no normalisation (the signed bytes must match).
fn url_port_variants(url: &str) -> (String, String) {
    let Some(scheme_end) = url.find("://") else {
        return (url.to_owned(), url.to_owned());
    };
    let scheme = &url[..scheme_end];
    let rest = &url[scheme_end + 3..];
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (netloc, tail) = rest.split_at(auth_end);
    let host_start = netloc.rfind('@').map_or(0, |i| i + 1);
    let hostport = &netloc[host_start..];
    let port_colon = if hostport.starts_with('[') {
        hostport.find("]:").map(|i| i + 1)
    } else {
        hostport.rfind(':')
    };
    match port_colon {
        Some(i)
            if hostport[i + 1..].chars().all(|c| c.is_ascii_digit()) && i + 1 < hostport.len() =>
        {
            let without = format!(
                "{scheme}://{}{}{tail}",
                &netloc[..host_start],
                &hostport[..i]
            );
            (without, url.to_owned())
        }
        _ => {
            let port = if scheme.eq_ignore_ascii_case("https") {
                443
            } else {
                80
            };
            (url.to_owned(), format!("{scheme}://{netloc}:{port}{tail}"))
        }
    }
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn hex_lower(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    //! Vectors from twilio-python's tests/unit/test_request_validator.py.
    use super::*;

    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const EXPECTED: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

    fn params() -> Vec<(&'static str, &'static str)> {
        vec![
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
    }

    fn validator(token: &str) -> RequestValidator {
        RequestValidator::new(SecretString::from(token.to_owned()))
    }

    #[test]
    fn computes_twilios_published_signature() {
        assert_eq!(
            validator("12345").compute_signature(URL, &params()),
            EXPECTED
        );
        // order of the given params does not matter
        let mut reversed = params();
        reversed.reverse();
        assert_eq!(
            validator("12345").compute_signature(URL, &reversed),
            EXPECTED
        );
    }

    #[test]
    fn validates_and_rejects_alterations() {
        let v = validator("12345");
        assert!(v.validate(URL, &params(), EXPECTED));
        let mut altered = params();
        altered[2].1 = "1235";
        assert!(!v.validate(URL, &altered, EXPECTED), "altered param value");
        let mut extra = params();
        extra.push(("Body", "hi"));
        assert!(!v.validate(URL, &extra, EXPECTED), "added param");
        assert!(!v.validate(URL, &params()[1..], EXPECTED), "removed param");
        assert!(
            !v.validate(
                "https://mycompany.com/myapp.php?foo=1&bar=3",
                &params(),
                EXPECTED
            ),
            "altered url"
        );
        assert!(
            !v.validate(
                "http://mycompany.com/myapp.php?foo=1&bar=2",
                &params(),
                EXPECTED
            ),
            "scheme"
        );
        assert!(
            !validator("12346").validate(URL, &params(), EXPECTED),
            "other token"
        );
        assert!(
            !v.validate(URL, &params(), "RSOYDt4T1cUTdK1PDd93/VVr8B9="),
            "altered signature"
        );
        assert!(!v.validate(URL, &params(), ""), "empty signature");
        assert!(
            !v.validate(URL, &params(), "not base64!"),
            "garbage signature"
        );
    }

    #[test]
    fn duplicate_params_sorted_by_value() {
        let p = [
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
        ];
        assert_eq!(
            validator("12345").compute_signature(URL, &p),
            "IK+Dwps556ElfBT0I3Rgjkr1wJU="
        );
    }

    #[test]
    fn removes_port_on_https_and_http() {
        let v = validator("12345");
        assert!(v.validate(
            "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
            &params(),
            EXPECTED
        ));
        assert!(v.validate(
            "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
            &params(),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        ));
    }

    #[test]
    fn adds_port_on_https_and_http() {
        let v = validator("12345");
        assert!(v.validate(URL, &params(), "kvajT1Ptam85bY51eRf/AJRuM3w="));
        assert!(v.validate(
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            &params(),
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        ));
    }

    #[test]
    fn json_body_variant() {
        let v = validator("12345");
        let body = "{\"property\": \"value\", \"boolean\": true}";
        let hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        assert_eq!(hex_lower(&Sha256::digest(body.as_bytes())), hash);
        let url = format!("{URL}&bodySHA256={hash}");
        assert!(v.validate_json_body(&url, body, "a9nBmqA0ju/hNViExpshrM61xv4="));
        assert!(!v.validate_json_body(
            &url,
            "{\"property\": \"value\", \"boolean\": false}",
            "a9nBmqA0ju/hNViExpshrM61xv4="
        ));
        assert!(
            !v.validate_json_body(URL, body, "a9nBmqA0ju/hNViExpshrM61xv4="),
            "no bodySHA256"
        );
    }

    #[test]
    fn port_variants() {
        assert_eq!(
            url_port_variants("https://a.com:8443/x?y"),
            ("https://a.com/x?y".into(), "https://a.com:8443/x?y".into())
        );
        assert_eq!(
            url_port_variants("https://a.com"),
            ("https://a.com".into(), "https://a.com:443".into())
        );
        assert_eq!(
            url_port_variants("http://[::1]:80/p"),
            ("http://[::1]/p".into(), "http://[::1]:80/p".into())
        );
    }

    #[test]
    fn debug_hides_token() {
        let s = format!("{:?}", validator("supersecret"));
        assert!(!s.contains("supersecret"), "{s}");
    }
}
