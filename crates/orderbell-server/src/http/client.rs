//! Who is asking: the client's IP address (the TCP peer, or a proxy's header when configured).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AppState;

/// The client's IP address.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.ip());
        let Some(header) = state.config.client_ip_header.as_deref() else {
            return Ok(ClientIp(peer));
        };
        // The right-most address is the one our own proxy added; earlier ones are the client's word.
        let from_header = parts
            .headers
            .get_all(header)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .next_back();
        Ok(ClientIp(from_header.unwrap_or(peer)))
    }
}

/// The client that signs in: its address and its browser's `User-Agent` (at most 200
/// characters, control characters dropped), kept with the session so people can recognise
/// their sessions.
#[derive(Debug, Clone)]
pub struct Device {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
    /// The language the client reads (for mail about this sign-in).
    pub lang: orderbell_core::i18n::Lang,
}

impl FromRequestParts<AppState> for Device {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await?;
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .map(|ua| {
                ua.chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect::<String>()
            })
            .filter(|ua| !ua.trim().is_empty());
        let lang = crate::pages::i18n::negotiate(&parts.headers, None);
        Ok(Device {
            ip,
            user_agent,
            lang,
        })
    }
}
