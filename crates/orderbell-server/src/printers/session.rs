//! One printer's WebSocket session (docs/protocol.md): hello → welcome, then every owed job
//! oldest first, acknowledgements and status reports into the store, heartbeats both ways.
//! Unknown or malformed frames get an error frame and the connection stays usable; a frame
//! over 64 KiB closes it with 1009.

use std::collections::{HashMap, HashSet};

use orderbell_protocol::PrinterState;
use std::time::Instant;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use orderbell_core::order::Order;
use orderbell_core::printing::{CategoryFilter, ItemCategories};
use orderbell_core::shop::Shop;
use orderbell_core::{OrderId, PrintJobId};
use orderbell_protocol::{
    AckStage, ClientFrame, ErrorCode, ErrorFrame, Job, Pong, ServerFrame, ShopInfo, Welcome,
    parse_client_frame,
};
use orderbell_store::printing::{DeviceHello, JobAck, PrintJob, Printer};
use tokio::sync::mpsc;

use super::acks::Acks;
use crate::events::{EventKind, ShopEvent};
use crate::http::error::ApiError;
use crate::security::token;
use crate::state::AppState;

/// Device tokens start with this, so they are recognisable.
pub const DEVICE_TOKEN_PREFIX: &str = "obd_";

/// Jobs sent per look at the store.
const BATCH: i64 = 500;
/// Orders a session keeps for the tickets of their jobs (more: it forgets them all).
const ORDERS_HELD: usize = 1000;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// `GET /api/v1/devices/ws`: checks the device token before upgrading (401 otherwise).
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let Some(token) = bearer(&headers).filter(|t| t.starts_with(DEVICE_TOKEN_PREFIX)) else {
        return ApiError::unauthenticated("send the printer's device token as a Bearer token")
            .into_response();
    };
    let printer = match state.store.printer_by_token(&token::hash(token)).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return ApiError::unauthenticated("the device token is wrong or revoked")
                .into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let shop = match state.store.shop(&printer.shop_id).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return ApiError::unauthenticated("the device token is wrong or revoked")
                .into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Ok(ws) = ws else {
        return ApiError::new(
            axum::http::StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            "this endpoint speaks WebSocket",
        )
        .into_response();
    };
    // Oversized frames are read whole (up to 1 MiB) so they can be refused with 1009 here.
    // Small buffers: an idle printer should cost a few KiB (tungstenite's default read buffer
    // alone is 128 KiB per connection).
    ws.read_buffer_size(1024)
        .write_buffer_size(0)
        .max_message_size(1 << 20)
        .max_frame_size(1 << 20)
        .on_upgrade(move |socket| async move {
            let (notices, pending) = mpsc::unbounded_channel();
            Session::new(state, printer, shop, notices)
                .run(socket, pending)
                .await;
        })
}

/// A printer state repeated within this is not recorded again.
const STATUS_REPEAT: std::time::Duration = std::time::Duration::from_secs(60);
/// At most one recorded state change per this.
const STATUS_MIN_GAP: std::time::Duration = std::time::Duration::from_secs(1);

/// Whether a read failed because the frame was over the socket's limits.
fn too_big(e: &axum::Error) -> bool {
    std::error::Error::source(e)
        .and_then(|inner| inner.downcast_ref::<tungstenite::Error>())
        .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)))
}

struct Session {
    state: AppState,
    printer: Printer,
    shop: Shop,
    /// Jobs sent on this connection; resent only after a reconnect.
    sent: HashSet<PrintJobId>,
    orders: HashMap<OrderId, Order>,
    item_categories: Option<ItemCategories>,
    last_heard: Instant,
    last_seen_saved: Instant,
    /// The state last recorded (state, detail) and when: a report that repeats it within
    /// [`STATUS_REPEAT`] is not recorded again, and changes are recorded at most once per
    /// [`STATUS_MIN_GAP`] (a newer one waits for the next frame or heartbeat).
    status: Option<((PrinterState, Option<String>), Instant)>,
    status_waiting: Option<(PrinterState, Option<String>)>,
    /// Acknowledgements on their way into the store; sent jobs not final yet.
    acks: Acks,
}

enum Next {
    Continue,
    Close(Option<(u16, &'static str)>),
}

pub(super) fn error_frame(code: ErrorCode, message: impl Into<String>) -> ServerFrame {
    ServerFrame::Error(ErrorFrame {
        code,
        message: message.into(),
    })
}

async fn send(socket: &mut WebSocket, frame: &ServerFrame) -> bool {
    match frame.to_json() {
        Ok(text) => socket
            .send(Message::Text(Utf8Bytes::from(text)))
            .await
            .is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "could not encode a device frame");
            true
        }
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        })))
        .await;
}

impl Session {
    fn new(
        state: AppState,
        printer: Printer,
        shop: Shop,
        notices: mpsc::UnboundedSender<ServerFrame>,
    ) -> Session {
        let acks = Acks::start(state.clone(), printer.id.clone(), notices);
        Session {
            state,
            printer,
            shop,
            sent: HashSet::new(),
            orders: HashMap::new(),
            item_categories: None,
            last_heard: Instant::now(),
            last_seen_saved: Instant::now(),
            status: None,
            status_waiting: None,
            acks,
        }
    }

    async fn run(
        mut self,
        mut socket: WebSocket,
        mut pending: mpsc::UnboundedReceiver<ServerFrame>,
    ) {
        let printer_id = self.printer.id.clone();
        let Some(hello) = self.wait_for_hello(&mut socket).await else {
            return;
        };
        let now = self.state.now();
        if let Err(e) = self
            .state
            .store
            .printer_connection(&printer_id, true, Some(hello), now)
            .await
        {
            tracing::warn!(error = %e, "could not record a printer connection");
        }
        self.publish_status();
        let reg = self
            .state
            .printers
            .register(&self.shop.id, &printer_id, self.printer.auto_print);
        tracing::info!(printer = %self.printer.name, shop = %self.shop.slug, "printer connected");
        let heartbeat = self.state.config.printing.heartbeat;
        let dead_after = self.state.config.printing.dead_after;
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
        let mut nonce = 0u64;
        let mut stopping = self.state.stopping.subscribe();
        let mut recorded = false;
        let mut alive = self.send_owed(&mut socket).await;
        while alive {
            // A state change that had to wait for STATUS_MIN_GAP is recorded when it is up.
            let status_due = self
                .status_waiting
                .as_ref()
                .and(self.status.as_ref())
                .map(|(_, at)| tokio::time::Instant::from_std(*at + STATUS_MIN_GAP));
            tokio::select! {
                () = async {
                    match status_due {
                        Some(due) => tokio::time::sleep_until(due).await,
                        None => std::future::pending().await,
                    }
                } => {
                    self.record_status().await;
                }
                incoming = socket.recv() => {
                    match incoming {
                        Some(Ok(message)) => match self.on_message(&mut socket, message).await {
                            Next::Continue => {}
                            Next::Close(reason) => {
                                if let Some((code, why)) = reason {
                                    close(&mut socket, code, why).await;
                                }
                                break;
                            }
                        },
                        Some(Err(e)) if too_big(&e) => {
                            // Over what the socket reads at all (1 MiB): the same 1009 as over
                            // the protocol's own limit.
                            close(&mut socket, orderbell_protocol::CLOSE_MESSAGE_TOO_BIG, "frame too large").await;
                            break;
                        }
                        _ => break,
                    }
                }
                () = reg.wake.notified() => {
                    alive = self.send_owed(&mut socket).await;
                }
                Some(frame) = pending.recv() => {
                    alive = send(&mut socket, &frame).await;
                }
                () = reg.close.notified() => {
                    close(&mut socket, orderbell_protocol::CLOSE_POLICY_VIOLATION, "printer removed").await;
                    break;
                }
                () = async { let _ = stopping.wait_for(|s| *s).await; } => {
                    // The disconnection is recorded before the printer can reconnect to another
                    // instance, so it never overwrites that instance's "connected".
                    self.disconnected().await;
                    recorded = true;
                    close(&mut socket, orderbell_protocol::CLOSE_GOING_AWAY, "server stopping").await;
                    break;
                }
                _ = tick.tick() => {
                    if self.last_heard.elapsed() > dead_after {
                        tracing::info!(printer = %self.printer.name, "printer silent too long; closing");
                        break;
                    }
                    nonce += 1;
                    alive = send(&mut socket, &ServerFrame::Ping(orderbell_protocol::Ping { nonce: Some(nonce) })).await;
                    // A wake-up lost between instances (one killed between its commit and its
                    // hint) is caught here, one heartbeat later at most.
                    if alive {
                        alive = self.send_owed(&mut socket).await;
                    }
                    self.save_last_seen().await;
                    self.record_status().await;
                }
            }
        }
        self.state.printers.unregister(&self.shop.id, reg.id);
        if !recorded {
            self.disconnected().await;
        }
        tracing::info!(printer = %self.printer.name, shop = %self.shop.slug, "printer disconnected");
    }

    /// Records and publishes that the printer is no longer connected here.
    async fn disconnected(&self) {
        let now = self.state.now();
        if let Err(e) = self
            .state
            .store
            .printer_connection(&self.printer.id, false, None, now)
            .await
        {
            tracing::warn!(error = %e, "could not record a printer disconnection");
        }
        self.publish_status();
    }

    /// The first frame must be `hello` (within the heartbeat window).
    async fn wait_for_hello(&mut self, socket: &mut WebSocket) -> Option<DeviceHello> {
        let deadline = tokio::time::Instant::now() + self.state.config.printing.dead_after;
        loop {
            let message = tokio::time::timeout_at(deadline, socket.recv())
                .await
                .ok()??
                .ok()?;
            let text = match message {
                Message::Text(t) => t,
                Message::Close(_) => return None,
                Message::Ping(_) | Message::Pong(_) => continue,
                Message::Binary(_) => {
                    send(
                        socket,
                        &error_frame(ErrorCode::MalformedFrame, "frames are JSON text"),
                    )
                    .await;
                    continue;
                }
            };
            match parse_client_frame(text.as_str()) {
                Ok(ClientFrame::Hello(h)) => {
                    let welcome = ServerFrame::Welcome(Welcome {
                        protocol: orderbell_protocol::PROTOCOL_VERSION,
                        printer_id: self.printer.id.to_string(),
                        printer_name: self.printer.name.clone(),
                        shop: ShopInfo {
                            slug: self.shop.slug.clone(),
                            name: self.shop.name.clone(),
                        },
                        server_time: self.state.now().to_string(),
                        heartbeat_secs: u32::try_from(
                            self.state.config.printing.heartbeat.as_secs(),
                        )
                        .unwrap_or(15),
                    });
                    if !send(socket, &welcome).await {
                        return None;
                    }
                    self.last_heard = Instant::now();
                    return Some(DeviceHello {
                        client_version: h.client_version.chars().take(100).collect(),
                        paper: match h.capabilities.paper {
                            orderbell_protocol::Paper::Mm58 => "58mm".into(),
                            orderbell_protocol::Paper::Mm80 => "80mm".into(),
                        },
                        text_mode: h.capabilities.text_mode.chars().take(40).collect(),
                    });
                }
                Ok(ClientFrame::Ping(p)) => {
                    send(socket, &ServerFrame::Pong(Pong { nonce: p.nonce })).await;
                }
                Ok(other) => {
                    let message = format!("send hello first, not {}", other.type_name());
                    send(socket, &error_frame(ErrorCode::UnexpectedFrame, message)).await;
                }
                Err(e) => {
                    if let Some(code) = e.close_code() {
                        close(socket, code, "frame too big").await;
                        return None;
                    }
                    send(socket, &ServerFrame::Error(e.error_frame())).await;
                }
            }
        }
    }

    async fn on_message(&mut self, socket: &mut WebSocket, message: Message) -> Next {
        self.last_heard = Instant::now();
        let text = match message {
            Message::Text(t) => t,
            Message::Close(_) => return Next::Close(None),
            Message::Ping(_) | Message::Pong(_) => return Next::Continue,
            Message::Binary(_) => {
                send(
                    socket,
                    &error_frame(ErrorCode::MalformedFrame, "frames are JSON text"),
                )
                .await;
                return Next::Continue;
            }
        };
        let frame = match parse_client_frame(text.as_str()) {
            Ok(f) => f,
            Err(e) => {
                if let Some(code) = e.close_code() {
                    return Next::Close(Some((code, "frame too big")));
                }
                send(socket, &ServerFrame::Error(e.error_frame())).await;
                return Next::Continue;
            }
        };
        match frame {
            ClientFrame::Ack(ack) => {
                let Some(job_id) = PrintJobId::parse(&ack.job_id) else {
                    send(
                        socket,
                        &error_frame(ErrorCode::Other("unknown_job".into()), "no such job"),
                    )
                    .await;
                    return Next::Continue;
                };
                let stage = match ack.stage {
                    AckStage::Received => JobAck::Received,
                    AckStage::Printed => JobAck::Printed,
                    AckStage::Failed => JobAck::Failed(
                        ack.reason
                            .unwrap_or_else(|| "failed".into())
                            .chars()
                            .take(300)
                            .collect(),
                    ),
                    AckStage::Unconfirmed => JobAck::Unconfirmed,
                };
                self.acks.push(job_id, stage);
            }
            ClientFrame::Status(report) => {
                let detail: Option<String> = report.detail.map(|d| d.chars().take(300).collect());
                self.status_waiting = Some((report.state, detail));
                self.record_status().await;
            }
            ClientFrame::Ping(p) => {
                send(socket, &ServerFrame::Pong(Pong { nonce: p.nonce })).await;
            }
            ClientFrame::Pong(_) => {}
            ClientFrame::Hello(_) => {
                send(
                    socket,
                    &error_frame(ErrorCode::UnexpectedFrame, "hello was already received"),
                )
                .await;
            }
            ClientFrame::Error(e) => {
                tracing::warn!(printer = %self.printer.name, code = e.code.as_str(), message = %e.message, "the printer client refused a frame");
            }
        }
        Next::Continue
    }

    /// Sends every owed job not yet sent on this connection, oldest first. False when the
    /// connection is gone.
    async fn send_owed(&mut self, socket: &mut WebSocket) -> bool {
        loop {
            // Jobs sent and not final yet come first in the list: read past them.
            let limit = BATCH + i64::try_from(self.acks.unfinished()).unwrap_or(i64::MAX / 2);
            // One trip to the store: the owed jobs, the shop as it is now (its name, language
            // and ticket lines may have changed since the printer connected) and the orders of
            // the jobs never sent.
            let work = match self
                .state
                .store
                .owed_work(&self.shop.id, &self.printer.id, limit)
                .await
            {
                Ok(work) => work,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read owed print jobs");
                    return true;
                }
            };
            let owed = work.jobs;
            // A full page may hide more owed jobs: read again after sending. Otherwise this
            // read saw everything owed; a job committed since has woken the session again
            // (`Notify::notify_one` keeps the wake-up), so a second read would find nothing.
            let complete = i64::try_from(owed.len()).unwrap_or(i64::MAX) < limit;
            if complete {
                self.acks.keep_owed(&owed);
            }
            let fresh: Vec<PrintJob> = owed
                .into_iter()
                .filter(|j| !self.sent.contains(&j.id))
                .collect();
            if fresh.is_empty() {
                return true;
            }
            match work.shop {
                Some(shop) => self.shop = shop,
                None => return false,
            }
            self.hold_orders(work.orders);
            self.read_orders(&fresh).await;
            let mut sent_now = vec![];
            for job in fresh {
                let Some(frame) = self.job_frame(&job).await else {
                    continue;
                };
                if !send(socket, &ServerFrame::Job(frame)).await {
                    return false;
                }
                self.sent.insert(job.id.clone());
                sent_now.push(job.id);
            }
            self.acks.sent(&sent_now);
            let (state, printer, now) = (
                self.state.clone(),
                self.printer.id.clone(),
                self.state.now(),
            );
            tokio::spawn(async move {
                if let Err(e) = state.store.jobs_sent(&printer, sent_now, now).await {
                    tracing::warn!(error = %e, "could not count print job deliveries");
                }
            });
            if complete {
                return true;
            }
        }
    }

    /// Reads the orders of these jobs that the session does not hold yet, in one read (it
    /// keeps at most [`ORDERS_HELD`]).
    async fn read_orders(&mut self, jobs: &[PrintJob]) {
        let missing: HashSet<&OrderId> = jobs
            .iter()
            .map(|j| &j.order_id)
            .filter(|id| !self.orders.contains_key(*id))
            .collect();
        if missing.is_empty() {
            return;
        }
        let ids = missing.into_iter().cloned().collect();
        match self.state.store.orders_by_ids(ids).await {
            Ok(found) => self.hold_orders(found),
            // Each job's frame reads its order on its own below.
            Err(e) => tracing::warn!(error = %e, "could not read the orders of print jobs"),
        }
    }

    /// Keeps these orders for the frames of their jobs (at most [`ORDERS_HELD`]).
    fn hold_orders(&mut self, found: Vec<Order>) {
        if self.orders.len() + found.len() > ORDERS_HELD {
            self.orders.clear();
        }
        self.orders
            .extend(found.into_iter().map(|o| (o.id.clone(), o)));
    }

    async fn job_frame(&mut self, job: &PrintJob) -> Option<Job> {
        if !self.orders.contains_key(&job.order_id) {
            match self.state.store.order_by_id(&job.order_id).await {
                Ok(Some(order)) => {
                    self.orders.insert(job.order_id.clone(), order);
                }
                Ok(None) => return None,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the order of a print job");
                    return None;
                }
            }
        }
        if self.printer.category_ids.is_some() && self.item_categories.is_none() {
            let menu = self.state.store.menu(&self.shop.id).await.ok()?;
            self.item_categories = Some(ItemCategories::of_menu(&menu));
        }
        let order = self.orders.get(&job.order_id)?;
        let tracking_url = format!(
            "{}/o/{}",
            self.state.config.public_url,
            self.state.tracking.token(&order.id)
        );
        let empty = ItemCategories::default();
        let filter = CategoryFilter::new(
            self.printer.category_ids.as_deref(),
            self.item_categories.as_ref().unwrap_or(&empty),
        );
        let document =
            super::receipt::build(&self.shop, order, &tracking_url, |item| filter.prints(item));
        Some(Job {
            job_id: job.id.to_string(),
            order_number: order.number,
            created_at: job.created_at.to_string(),
            copy: u32::try_from(job.copy).unwrap_or(1),
            copies: u32::try_from(job.copies).unwrap_or(1),
            reprint: job.reprint,
            kick_drawer: false,
            document,
        })
    }

    /// Keeps `last_seen_at` fresh (at most every 30 s) so the API can tell live printers.
    async fn save_last_seen(&mut self) {
        if self.last_seen_saved.elapsed().as_secs() < 30 {
            return;
        }
        self.last_seen_saved = Instant::now();
        let now = self.state.now();
        if let Err(e) = self
            .state
            .store
            .printer_connection(&self.printer.id, true, None, now)
            .await
        {
            tracing::warn!(error = %e, "could not record a printer heartbeat");
        }
    }

    /// Records the state the printer reported last, unless it only repeats the recorded one
    /// or the last change was under [`STATUS_MIN_GAP`] ago (then it waits): a client that
    /// reports in a loop costs neither writes nor log lines.
    async fn record_status(&mut self) {
        let Some(report) = self.status_waiting.take() else {
            return;
        };
        if let Some((last, at)) = &self.status {
            let since = at.elapsed();
            if *last == report && since < STATUS_REPEAT {
                return;
            }
            if since < STATUS_MIN_GAP {
                self.status_waiting = Some(report);
                return;
            }
        }
        let changed = self.status.as_ref().is_none_or(|(last, _)| *last != report);
        let (state, detail) = &report;
        if let Err(e) = self
            .state
            .store
            .printer_state(
                &self.printer.id,
                state.as_str(),
                detail.as_deref(),
                self.state.now(),
            )
            .await
        {
            tracing::warn!(error = %e, "could not record a printer state");
        }
        if changed && !state.can_print() {
            tracing::warn!(printer = %self.printer.name, state = state.as_str(), "printer reports a problem");
        }
        self.status = Some((report, Instant::now()));
        self.publish_status();
    }

    fn publish_status(&self) {
        self.state.events.publish(ShopEvent::of_shop(
            self.shop.id.clone(),
            EventKind::PrinterStatus,
            self.state.now(),
        ));
    }
}
