//! The server connection: WebSocket to `{server}/api/v1/devices/ws` with
//! `Authorization: Bearer <token>`, `hello` → `welcome`, jobs into the spool, acks and
//! status out, pings both ways; reconnects with exponential backoff and full jitter
//! (cap 30 s); a refused token (HTTP 401) is reported and retried about once a minute.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use futures_util::{SinkExt, StreamExt};
use orderbell_protocol::{
    Ack, AckStage, Capabilities, ClientFrame, DEAD_AFTER_SECS, DEFAULT_HEARTBEAT_SECS, ErrorCode,
    Hello, Job, MAX_FRAME_BYTES, PROTOCOL_VERSION, Paper, Ping, Pong, ServerFrame,
    parse_server_frame,
};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::backoff::Backoff;
use crate::board::{Board, Connection as ConnState, JobLine};
use crate::config::{Config, Secret};
use crate::spool::{Accepted, SharedSpool};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a connection attempt (TCP, TLS, upgrade) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// Wait after a 401: the token may be re-issued, but there is no hurry.
const UNAUTHORIZED_WAIT: Duration = Duration::from_secs(60);

/// What the connection needs.
#[derive(Debug)]
pub struct Link {
    /// The device socket URL.
    pub ws_url: String,
    /// The device token.
    pub token: Secret,
    /// Sent in `hello`.
    pub capabilities: Capabilities,
    /// The spool.
    pub spool: SharedSpool,
    /// The status board.
    pub board: Arc<Board>,
    /// Acks and status from the worker.
    pub outbox: mpsc::UnboundedReceiver<ClientFrame>,
    /// Wakes the worker when a job is spooled.
    pub wake: Arc<Notify>,
    /// Becomes true on shutdown.
    pub shutdown: watch::Receiver<bool>,
}

/// The `hello` capabilities for a configuration.
#[must_use]
pub fn capabilities(config: &Config) -> Capabilities {
    let profile = &config.print.profile;
    Capabilities {
        paper: match profile.paper {
            orderbell_escpos::Paper::Mm58 => Paper::Mm58,
            orderbell_escpos::Paper::Mm80 => Paper::Mm80,
        },
        text_mode: profile.text_mode.name(),
        cutter: profile.cutter,
        drawer: config.print.drawer,
    }
}

enum Failure {
    Unauthorized,
    Other(anyhow::Error),
}

enum End {
    Shutdown,
    Lost(String),
}

impl Link {
    /// Stay connected until shutdown.
    pub async fn run(mut self) {
        let tls = match tls_config() {
            Ok(tls) => Some(tls),
            Err(error) => {
                tracing::error!(%error, "TLS setup failed; only ws:// servers will work");
                None
            }
        };
        let mut backoff = Backoff::reconnect();
        loop {
            if *self.shutdown.borrow() {
                return;
            }
            self.board.set_connection(ConnState::Connecting);
            let wait = match self.connect(tls.clone()).await {
                Ok(socket) => {
                    tracing::info!(url = %self.ws_url, "connected");
                    let (end, welcomed) = self.session(socket).await;
                    if welcomed {
                        backoff.reset();
                    }
                    match end {
                        End::Shutdown => return,
                        End::Lost(why) => {
                            tracing::warn!(reason = why, "connection lost");
                            self.board.set_connection(ConnState::Disconnected(why));
                        }
                    }
                    backoff.next_wait()
                }
                Err(Failure::Unauthorized) => {
                    tracing::error!(
                        url = %self.ws_url,
                        "the server refused the device token (HTTP 401): it is wrong or was revoked. \
                         Get a new one with `orderbell printer add` and restart with it; retrying in about a minute"
                    );
                    self.board.set_connection(ConnState::Unauthorized);
                    UNAUTHORIZED_WAIT + Duration::from_millis(fastrand::u64(0..=30_000))
                }
                Err(Failure::Other(error)) => {
                    let wait = backoff.next_wait();
                    tracing::warn!(
                        error = format!("{error:#}"),
                        retry_in_ms = wait.as_millis(),
                        "cannot connect to the server"
                    );
                    self.board
                        .set_connection(ConnState::Disconnected(format!("{error:#}")));
                    wait
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = self.shutdown.changed() => return,
            }
        }
    }

    async fn connect(&self, tls: Option<Arc<rustls::ClientConfig>>) -> Result<Socket, Failure> {
        let request = request(&self.ws_url, &self.token).map_err(Failure::Other)?;
        let ws_config = WebSocketConfig::default()
            .max_message_size(Some(MAX_FRAME_BYTES))
            .max_frame_size(Some(MAX_FRAME_BYTES));
        let connector = tls.map(Connector::Rustls);
        let attempt = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(ws_config),
            true,
            connector,
        );
        match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
            Err(_) => Err(Failure::Other(anyhow::anyhow!(
                "timed out connecting to {}",
                self.ws_url
            ))),
            Ok(Ok((socket, _response))) => Ok(socket),
            Ok(Err(WsError::Http(response))) if response.status() == StatusCode::UNAUTHORIZED => {
                Err(Failure::Unauthorized)
            }
            Ok(Err(WsError::Http(response))) => Err(Failure::Other(anyhow::anyhow!(
                "the server answered HTTP {} instead of a WebSocket upgrade",
                response.status()
            ))),
            // Display only: tungstenite's IO error repeats its source in the chain.
            Ok(Err(error)) => Err(Failure::Other(anyhow::anyhow!(
                "connecting to {}: {error}",
                self.ws_url
            ))),
        }
    }

    /// One connected session. Returns how it ended and whether `welcome` arrived.
    async fn session(&mut self, mut socket: Socket) -> (End, bool) {
        let hello = ClientFrame::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            client_version: format!("orderbell-printer/{}", env!("CARGO_PKG_VERSION")),
            capabilities: self.capabilities_clone(),
        });
        if let Err(error) = send(&mut socket, &hello).await {
            return (End::Lost(error), false);
        }
        let mut welcomed = false;
        let mut heartbeat = Duration::from_secs(u64::from(DEFAULT_HEARTBEAT_SECS));
        let dead_after = Duration::from_secs(u64::from(DEAD_AFTER_SECS));
        let mut last_received = Instant::now();
        let mut last_ping = Instant::now();
        let mut nonce = 0u64;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);

        loop {
            tokio::select! {
                message = socket.next() => {
                    last_received = Instant::now();
                    let text = match message {
                        None => return (End::Lost("the server closed the connection".into()), welcomed),
                        Some(Err(WsError::Capacity(error))) => {
                            close(&mut socket, CloseCode::Size, "frame over 64 KiB").await;
                            return (End::Lost(format!("the server sent a frame too big: {error}")), welcomed);
                        }
                        Some(Err(error)) => return (End::Lost(error.to_string()), welcomed),
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Close(frame))) => {
                            let why = frame.map_or_else(
                                || "closed by the server".to_owned(),
                                |f| format!("closed by the server: {} {}", u16::from(f.code), f.reason),
                            );
                            return (End::Lost(why), welcomed);
                        }
                        Some(Ok(Message::Binary(_))) => {
                            let error = orderbell_protocol::ProtocolError::Malformed {
                                detail: "binary frames are not used; frames are JSON text".into(),
                            };
                            if let Err(e) = send(&mut socket, &ClientFrame::from(error)).await {
                                return (End::Lost(e), welcomed);
                            }
                            continue;
                        }
                        // WebSocket-level pings are answered by tungstenite.
                        Some(Ok(_)) => continue,
                    };
                    let frame = match parse_server_frame(&text) {
                        Ok(frame) => frame,
                        Err(error) if error.close_code().is_some() => {
                            close(&mut socket, CloseCode::Size, "frame over 64 KiB").await;
                            return (End::Lost(error.to_string()), welcomed);
                        }
                        Err(error) => {
                            tracing::warn!(%error, "unusable frame from the server");
                            if let Err(e) = send(&mut socket, &ClientFrame::from(error)).await {
                                return (End::Lost(e), welcomed);
                            }
                            continue;
                        }
                    };
                    let result = match frame {
                        ServerFrame::Welcome(welcome) => {
                            welcomed = true;
                            heartbeat = Duration::from_secs(u64::from(welcome.heartbeat_secs.clamp(1, DEAD_AFTER_SECS / 2)));
                            tracing::info!(printer = welcome.printer_name, shop = welcome.shop.name, "welcomed by the server");
                            self.board.set_connection(ConnState::Connected {
                                printer_name: welcome.printer_name,
                                shop: welcome.shop.name,
                            });
                            self.after_welcome(&mut socket).await
                        }
                        ServerFrame::Job(job) => self.on_job(&mut socket, job).await,
                        ServerFrame::Ping(ping) => {
                            send(&mut socket, &ClientFrame::Pong(Pong { nonce: ping.nonce })).await
                        }
                        ServerFrame::Pong(_) => Ok(()),
                        ServerFrame::Error(error) => {
                            if error.code == ErrorCode::UnsupportedProtocol {
                                tracing::error!(message = error.message, "the server does not speak this client's protocol version: update orderbell-printer");
                            } else {
                                tracing::warn!(code = %error.code, message = error.message, "error from the server");
                            }
                            Ok(())
                        }
                    };
                    if let Err(error) = result {
                        return (End::Lost(error), welcomed);
                    }
                }
                frame = self.outbox.recv(), if welcomed => {
                    let Some(frame) = frame else {
                        return (End::Shutdown, welcomed);
                    };
                    if let Err(error) = send(&mut socket, &frame).await {
                        return (End::Lost(error), welcomed);
                    }
                }
                _ = tick.tick() => {
                    if last_received.elapsed() >= dead_after {
                        return (End::Lost(format!("no frame from the server for {DEAD_AFTER_SECS} s")), welcomed);
                    }
                    if last_received.elapsed() >= heartbeat && last_ping.elapsed() >= heartbeat {
                        nonce += 1;
                        last_ping = Instant::now();
                        if let Err(error) = send(&mut socket, &ClientFrame::Ping(Ping { nonce: Some(nonce) })).await {
                            return (End::Lost(error), welcomed);
                        }
                    }
                }
                _ = self.shutdown.changed() => {
                    close(&mut socket, CloseCode::Away, "client shutting down").await;
                    return (End::Shutdown, welcomed);
                }
            }
        }
    }

    fn capabilities_clone(&self) -> Capabilities {
        self.capabilities.clone()
    }

    /// After `welcome`: acks queued while disconnected (stale `status` frames are dropped),
    /// then the printer's current status.
    async fn after_welcome(&mut self, socket: &mut Socket) -> Result<(), String> {
        while let Ok(frame) = self.outbox.try_recv() {
            if matches!(frame, ClientFrame::Ack(_)) {
                send(socket, &frame).await?;
            }
        }
        let status = self.board.printer();
        send(socket, &ClientFrame::Status(status)).await
    }

    async fn on_job(&mut self, socket: &mut Socket, job: Job) -> Result<(), String> {
        let job_id = job.job_id.clone();
        let line = |stage: &str, detail: Option<String>| JobLine {
            job_id: job.job_id.clone(),
            order_number: job.order_number,
            copy: (job.copy, job.copies),
            stage: stage.to_owned(),
            detail,
        };
        let accepted = {
            let job = job.clone();
            self.spool.call(move |spool| spool.accept(&job)).await
        };
        let ack = match accepted {
            Ok(Ok(Accepted::New)) => {
                tracing::info!(
                    job_id,
                    order = job.order_number,
                    copy = job.copy,
                    "job spooled"
                );
                self.board.job(line("received", None));
                Ack {
                    job_id,
                    stage: AckStage::Received,
                    reason: None,
                }
            }
            Ok(Ok(Accepted::AlreadySpooled)) => {
                tracing::debug!(job_id, "job delivered again; already spooled");
                Ack {
                    job_id,
                    stage: AckStage::Received,
                    reason: None,
                }
            }
            Ok(Ok(Accepted::Done(record))) => {
                tracing::info!(
                    job_id,
                    stage = record.stage.as_str(),
                    "job delivered again; answered from the spool, not printed again"
                );
                Ack {
                    job_id,
                    stage: record.stage,
                    reason: record.reason,
                }
            }
            Ok(Err(error)) | Err(error) => {
                // Not acknowledged: the server sends it again after the next reconnect.
                tracing::error!(job_id, %error, "cannot spool the job");
                self.board.job(line("not spooled", Some(error.to_string())));
                return Ok(());
            }
        };
        send(socket, &ClientFrame::Ack(ack)).await?;
        self.wake.notify_one();
        Ok(())
    }
}

fn request(
    url: &str,
    token: &Secret,
) -> Result<tokio_tungstenite::tungstenite::handshake::client::Request> {
    let mut request = url
        .into_client_request()
        .with_context(|| format!("invalid server URL {url}"))?;
    let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .context("the device token is not a valid header value")?;
    auth.set_sensitive(true);
    let headers = request.headers_mut();
    headers.insert(header::AUTHORIZATION, auth);
    headers.insert(
        header::USER_AGENT,
        HeaderValue::from_static(concat!("orderbell-printer/", env!("CARGO_PKG_VERSION"))),
    );
    Ok(request)
}

/// rustls with the `ring` provider and Mozilla's roots (webpki-roots).
fn tls_config() -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS protocol versions")?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

async fn send(socket: &mut Socket, frame: &ClientFrame) -> Result<(), String> {
    let text = frame.to_json().map_err(|e| e.to_string())?;
    socket
        .send(Message::text(text))
        .await
        .map_err(|e| format!("sending {}: {e}", frame.type_name()))
}

async fn close(socket: &mut Socket, code: CloseCode, reason: &'static str) {
    let _ = socket
        .close(Some(CloseFrame {
            code,
            reason: reason.into(),
        }))
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_and_the_request_are_set_up_without_leaking_the_token() {
        let tls = tls_config().unwrap();
        assert!(!tls.alpn_protocols.iter().any(|p| p == b"h2"));
        let token = Secret::new("s3cr3t".into());
        let request = request("wss://orders.example.com/api/v1/devices/ws", &token).unwrap();
        let auth = request.headers().get(header::AUTHORIZATION).unwrap();
        assert_eq!(auth.to_str().unwrap(), "Bearer s3cr3t");
        assert!(auth.is_sensitive());
        assert!(!format!("{auth:?}").contains("s3cr3t"));
        assert_eq!(request.uri().path(), "/api/v1/devices/ws");
    }
}
