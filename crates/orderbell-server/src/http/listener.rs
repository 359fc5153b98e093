//! The listener: accepts connections and serves HTTP/1 on them with the limits `axum::serve`
//! does not set (docs/security.md):
//!
//! - a **header-read timeout** (hyper's), which also closes keep-alive connections idle for as
//!   long, so a client that sends half a request does not hold a connection for ever;
//! - a **body-read timeout** (`tower-http`), for bodies sent a byte at a time;
//! - a **cap on open connections per client IP** (the TCP peer; not behind a proxy, which
//!   limits its own clients), so one client cannot use up the server's file descriptors;
//! - an accept loop that **survives running out of file descriptors** (EMFILE/ENFILE): it
//!   backs off and says so once, instead of spinning or logging every attempt.
//!
//! Graceful shutdown: when `shutdown` completes, no new connection is taken and the ones
//! open finish their requests (live streams end by themselves, see `pages/live.rs`).

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tower::ServiceExt;

use crate::config::HttpLimits;

/// Open connections per client IP.
#[derive(Default, Clone)]
struct Connections(Arc<Mutex<HashMap<IpAddr, u32>>>);

/// One admitted connection; its count goes when it is dropped.
struct Admitted {
    connections: Connections,
    ip: IpAddr,
}

impl Connections {
    fn admit(&self, ip: IpAddr, cap: u32) -> Option<Admitted> {
        let mut open = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(ip).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(Admitted {
            connections: self.clone(),
            ip,
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self
            .connections
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open connections finish.
/// `per_client_cap`: whether the connection cap applies (not behind a proxy).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    per_client_cap: bool,
    shutdown: impl Future<Output = ()> + Send,
) {
    let router = router.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        limits.body_read_timeout,
    ));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    // Shutdown: `stop` tells every connection to finish; each holds a clone of `open` until it
    // has, so the loop knows when the last one is done.
    let (stop, stopped) = watch::channel(false);
    let (open, mut all_closed) = mpsc::channel::<()>(1);
    let connections = Connections::default();
    let mut refused_logged = false;
    let mut backoff = Duration::ZERO;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(a) => {
                if !backoff.is_zero() {
                    tracing::info!("accepting connections again");
                    backoff = Duration::ZERO;
                }
                a
            }
            Err(e) => {
                // Out of file descriptors (or another resource): wait for connections to close
                // instead of spinning; say so once per episode.
                if backoff.is_zero() {
                    tracing::warn!(error = %e, "cannot accept connections; backing off");
                    backoff = Duration::from_millis(10);
                } else {
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(backoff) => {}
                }
                continue;
            }
        };
        let admitted = if per_client_cap {
            match connections.admit(peer.ip(), limits.connections_per_client) {
                Some(a) => Some(a),
                None => {
                    if !refused_logged {
                        tracing::warn!(
                            cap = limits.connections_per_client,
                            "a client reached its open-connection cap; further connections are closed"
                        );
                        refused_logged = true;
                    }
                    drop(stream);
                    continue;
                }
            }
        } else {
            None
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(
            router
                .clone()
                .layer(axum::Extension(ConnectInfo::<SocketAddr>(peer)))
                .map_request(|req: hyper::Request<hyper::body::Incoming>| {
                    req.map(axum::body::Body::new)
                }),
        );
        let connection = http
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let (mut stopped, open) = (stopped.clone(), open.clone());
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            // A client that goes away mid-request is nothing to report.
            tokio::select! {
                _ = connection.as_mut() => {}
                () = async { let _ = stopped.wait_for(|s| *s).await; } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(admitted);
            drop(open);
        });
    }
    drop(listener);
    stop.send_replace(true);
    drop(open);
    // Returns when every connection has finished.
    let _ = all_closed.recv().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_counts_open_connections_per_address() {
        let c = Connections::default();
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        let first = c.admit(a, 2).unwrap();
        let _second = c.admit(a, 2).unwrap();
        assert!(c.admit(a, 2).is_none());
        assert!(c.admit(b, 2).is_some(), "other addresses are not affected");
        drop(first);
        assert!(
            c.admit(a, 2).is_some(),
            "a closed connection frees its place"
        );
    }
}
