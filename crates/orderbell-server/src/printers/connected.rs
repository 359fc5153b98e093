//! Which printers are connected to this process, so they can be woken (new jobs for their
//! shop) or disconnected (revoked). What a printer is owed is always read from the store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use orderbell_core::{PrinterId, ShopId};
use orderbell_store::printing::AutoPrint;
use tokio::sync::Notify;

/// One connected session.
pub struct Connection {
    pub id: u64,
    pub printer: PrinterId,
    /// When the printer prints on its own: only events that can owe it a job wake it.
    pub auto_print: AutoPrint,
    /// New jobs may be owed.
    pub wake: Arc<Notify>,
    /// The printer was revoked: close now.
    pub close: Arc<Notify>,
}

#[derive(Default)]
pub struct ConnectedPrinters {
    next: AtomicU64,
    shops: Mutex<HashMap<ShopId, Vec<Connection>>>,
}

/// What a session keeps to hear from [`ConnectedPrinters`].
pub struct Registration {
    pub id: u64,
    pub wake: Arc<Notify>,
    pub close: Arc<Notify>,
}

impl ConnectedPrinters {
    pub fn register(
        &self,
        shop: &ShopId,
        printer: &PrinterId,
        auto_print: AutoPrint,
    ) -> Registration {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (wake, close) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let mut shops = self.shops.lock().unwrap_or_else(PoisonError::into_inner);
        shops.entry(shop.clone()).or_default().push(Connection {
            id,
            printer: printer.clone(),
            auto_print,
            wake: wake.clone(),
            close: close.clone(),
        });
        Registration { id, wake, close }
    }

    /// Printer connections in this process (metrics).
    pub fn total(&self) -> usize {
        let shops = self.shops.lock().unwrap_or_else(PoisonError::into_inner);
        shops.values().map(Vec::len).sum()
    }

    pub fn unregister(&self, shop: &ShopId, id: u64) {
        let mut shops = self.shops.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(list) = shops.get_mut(shop) {
            list.retain(|c| c.id != id);
            if list.is_empty() {
                shops.remove(shop);
            }
        }
    }

    /// Tells the shop's connected printers that may be owed new jobs to look for them:
    /// `modes` are the auto-print modes concerned (`None`: every printer, e.g. a reprint).
    pub fn wake_shop(&self, shop: &ShopId, modes: Option<&[AutoPrint]>) {
        let shops = self.shops.lock().unwrap_or_else(PoisonError::into_inner);
        for c in shops.get(shop).into_iter().flatten() {
            if modes.is_none_or(|m| m.contains(&c.auto_print)) {
                c.wake.notify_one();
            }
        }
    }

    /// A printer's auto-print mode changed.
    pub fn set_mode(&self, printer: &PrinterId, auto_print: AutoPrint) {
        let mut shops = self.shops.lock().unwrap_or_else(PoisonError::into_inner);
        for c in shops
            .values_mut()
            .flatten()
            .filter(|c| &c.printer == printer)
        {
            c.auto_print = auto_print;
        }
    }

    /// After missed events: every connected printer looks.
    pub fn wake_all(&self) {
        let shops = self.shops.lock().unwrap_or_else(PoisonError::into_inner);
        for c in shops.values().flatten() {
            c.wake.notify_one();
        }
    }

    /// Closes every connection of a printer (revoked).
    pub fn disconnect(&self, printer: &PrinterId) {
        let shops = self.shops.lock().unwrap_or_else(PoisonError::into_inner);
        for c in shops.values().flatten().filter(|c| &c.printer == printer) {
            c.close.notify_one();
        }
    }

    /// How many printer connections this process holds.
    pub fn connections(&self) -> usize {
        let shops = self.shops.lock().unwrap_or_else(PoisonError::into_inner);
        shops.values().map(Vec::len).sum()
    }
}
