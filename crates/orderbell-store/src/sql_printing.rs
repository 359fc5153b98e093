//! [`PrintingStore`] on the SQL store.

use async_trait::async_trait;
use orderbell_core::{OrderId, PrintJobId, PrinterId, ShopId, Timestamp};

use crate::printing::{
    DeviceHello, JobAck, NewPrinter, OwedWork, PrintJob, Printer, PrinterChange, PrintingStore,
};
use crate::queries::printing as q;
use crate::{Result, SqlStore};

#[async_trait]
impl PrintingStore for SqlStore {
    async fn create_printer(&self, printer: NewPrinter) -> Result<Printer> {
        self.write(move |db| q::create_printer(db, &printer)).await
    }

    async fn printers(&self, shop: &ShopId) -> Result<Vec<Printer>> {
        let shop = shop.clone();
        self.read(move |db| q::printers(db, &shop)).await
    }

    async fn printer(&self, shop: &ShopId, id: &PrinterId) -> Result<Option<Printer>> {
        let (shop, id) = (shop.clone(), id.clone());
        self.read(move |db| q::printer(db, &shop, &id)).await
    }

    async fn printer_by_token(&self, token_hash: &str) -> Result<Option<Printer>> {
        let hash = token_hash.to_owned();
        self.read(move |db| q::printer_by_token(db, &hash)).await
    }

    async fn update_printer(
        &self,
        shop: &ShopId,
        id: &PrinterId,
        change: PrinterChange,
    ) -> Result<Printer> {
        let (shop, id) = (shop.clone(), id.clone());
        self.write(move |db| q::update_printer(db, &shop, &id, &change))
            .await
    }

    async fn revoke_printer(&self, shop: &ShopId, id: &PrinterId, now: Timestamp) -> Result<()> {
        let (shop, id) = (shop.clone(), id.clone());
        self.write(move |db| q::revoke_printer(db, &shop, &id, now))
            .await
    }

    async fn printer_connection(
        &self,
        id: &PrinterId,
        connected: bool,
        hello: Option<DeviceHello>,
        now: Timestamp,
    ) -> Result<()> {
        let id = id.clone();
        self.write(move |db| q::printer_connection(db, &id, connected, hello.as_ref(), now))
            .await
    }

    async fn printer_state(
        &self,
        id: &PrinterId,
        state: &str,
        detail: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        let (id, state, detail) = (id.clone(), state.to_owned(), detail.map(str::to_owned));
        self.write(move |db| q::printer_state(db, &id, &state, detail.as_deref(), now))
            .await
    }

    async fn owed_jobs(&self, printer: &PrinterId, limit: i64) -> Result<Vec<PrintJob>> {
        let printer = printer.clone();
        self.read(move |db| q::owed_jobs(db, &printer, limit)).await
    }

    async fn owed_work(&self, shop: &ShopId, printer: &PrinterId, limit: i64) -> Result<OwedWork> {
        let (shop, printer) = (shop.clone(), printer.clone());
        self.read(move |db| q::owed_work(db, &shop, &printer, limit))
            .await
    }

    async fn jobs_sent(
        &self,
        printer: &PrinterId,
        jobs: Vec<PrintJobId>,
        now: Timestamp,
    ) -> Result<()> {
        let printer = printer.clone();
        self.write(move |db| q::jobs_sent(db, &printer, &jobs, now))
            .await
    }

    async fn ack_jobs(
        &self,
        printer: &PrinterId,
        acks: Vec<(PrintJobId, JobAck)>,
        now: Timestamp,
    ) -> Result<Vec<Option<PrintJob>>> {
        let printer = printer.clone();
        self.write(move |db| q::ack_jobs(db, &printer, &acks, now))
            .await
    }

    async fn reprint(
        &self,
        shop: &ShopId,
        order: &OrderId,
        printer: Option<PrinterId>,
        now: Timestamp,
    ) -> Result<Vec<PrintJob>> {
        let (shop, order) = (shop.clone(), order.clone());
        self.write(move |db| q::reprint(db, &shop, &order, printer.as_ref(), now))
            .await
    }

    async fn expire_jobs(
        &self,
        created_before: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<PrintJob>> {
        self.write(move |db| q::expire_jobs(db, created_before, now))
            .await
    }

    async fn print_jobs_of(&self, orders: Vec<OrderId>) -> Result<Vec<PrintJob>> {
        self.read(move |db| q::print_jobs_of(db, &orders)).await
    }
}
