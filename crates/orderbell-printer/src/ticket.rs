//! A protocol `job` → ESC/POS bytes: the protocol's [`Receipt`] becomes an
//! [`orderbell_escpos::receipt::ReceiptData`], rendered for the configured profile.

use orderbell_escpos::receipt::{self, ReceiptData, ReceiptItem};
use orderbell_escpos::{Block, DrawerKick, Profile, Style};
use orderbell_protocol::{Amount, Job, Labels, Receipt};

/// The ticket data for a job (the job's `reprint` flag decides the REPRINT banner).
#[must_use]
pub fn receipt_data(job: &Job) -> ReceiptData {
    let doc: &Receipt = &job.document;
    let labels = match &doc.labels {
        Some(labels) => convert_labels(labels),
        None => receipt::Labels::for_locale(doc.locale.as_deref().unwrap_or("en")),
    };
    ReceiptData {
        shop_name: doc.shop_name.clone(),
        header: doc.header.clone(),
        footer: doc.footer.clone(),
        order_number: doc.order_number.clone(),
        fulfillment: doc.fulfillment.clone(),
        eta: doc.eta.clone(),
        items: doc
            .items
            .iter()
            .map(|item| ReceiptItem {
                quantity: item.quantity,
                name: item.name.clone(),
                options: item.options.clone(),
                line_total: convert_amount(&item.line_total),
            })
            .collect(),
        note: doc.note.clone(),
        subtotal: doc.subtotal.as_ref().map(convert_amount),
        charges: doc
            .charges
            .iter()
            .map(|c| (c.label.clone(), convert_amount(&c.amount)))
            .collect(),
        total: convert_amount(&doc.total),
        currency: doc.currency.clone(),
        customer: doc.customer.clone(),
        ordered_at: doc.ordered_at.clone(),
        tracking_url: doc.tracking_url.clone(),
        reprint: job.reprint,
        labels,
    }
}

fn convert_amount(amount: &Amount) -> receipt::Amount {
    match amount {
        Amount::Minor(units) => receipt::Amount::Minor(*units),
        Amount::Formatted(text) => receipt::Amount::Formatted(text.clone()),
    }
}

fn convert_labels(labels: &Labels) -> receipt::Labels {
    receipt::Labels {
        order: labels.order.clone(),
        reprint: labels.reprint.clone(),
        eta: labels.eta.clone(),
        note: labels.note.clone(),
        subtotal: labels.subtotal.clone(),
        total: labels.total.clone(),
        customer: labels.customer.clone(),
        ordered_at: labels.ordered_at.clone(),
        track: labels.track.clone(),
    }
}

/// The bytes of one job: the ticket, `(copy/copies)` above the cut when there are several
/// copies, and a drawer kick after it when asked for and a drawer is connected.
///
/// # Errors
/// The document cannot be rendered (e.g. a QR payload too long): the job fails.
pub fn render(
    job: &Job,
    profile: &Profile,
    drawer: bool,
) -> Result<Vec<u8>, orderbell_escpos::Error> {
    let mut doc = receipt_data(job).to_document();
    if job.copies > 1 {
        let cut_at = doc
            .blocks
            .iter()
            .rposition(|block| matches!(block, Block::Cut(_)))
            .unwrap_or(doc.blocks.len());
        doc.blocks.insert(
            cut_at,
            Block::Text {
                text: format!("({}/{})", job.copy, job.copies),
                style: Style::PLAIN.center(),
            },
        );
    }
    if job.kick_drawer && drawer {
        doc.drawer_kick(DrawerKick::PIN2);
    }
    orderbell_escpos::render(&doc, profile)
}

#[cfg(test)]
mod tests {
    use orderbell_escpos::{CodePage, Paper, TextMode};
    use orderbell_protocol::ReceiptItem as Item;

    use super::*;
    use crate::spool::tests_support::job;

    #[test]
    fn receipts_convert_and_render() {
        let mut job = job("pj_1");
        job.document.items.push(Item {
            quantity: 2,
            name: "Americano".into(),
            options: vec!["Iced".into()],
            line_total: Amount::Minor(9_000),
        });
        job.document.subtotal = Some(Amount::Minor(9_000));
        job.document.charges.push(orderbell_protocol::Charge {
            label: "Delivery fee".into(),
            amount: Amount::Formatted("W3,000".into()),
        });
        job.document.total = Amount::Formatted("W12,000".into());
        job.copies = 2;
        job.copy = 2;
        job.reprint = true;
        job.kick_drawer = true;
        let data = receipt_data(&job);
        assert!(data.reprint);
        assert_eq!(data.labels, receipt::Labels::en());
        assert_eq!(data.items[0].line_total, receipt::Amount::Minor(9_000));

        let profile = Profile::new(Paper::Mm80, TextMode::Ascii(CodePage::Cp437));
        let bytes = render(&job, &profile, true).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("2 x Americano"), "{text}");
        assert!(text.contains("W9,000"));
        // The delivery fee between the subtotal and the total.
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle}: {text}"))
        };
        assert!(at("Subtotal") < at("Delivery fee") && at("W3,000") < at("W12,000"));
        assert!(text.contains("REPRINT"));
        assert!(text.contains("(2/2)"));
        assert!(
            bytes.ends_with(&[0x1B, b'p', 0, 50, 50]),
            "drawer kick last"
        );
        let no_drawer = render(&job, &profile, false).unwrap();
        assert!(!no_drawer.windows(3).any(|w| w == [0x1B, b'p', 0]));

        job.document.locale = Some("ko-KR".into());
        assert_eq!(receipt_data(&job).labels, receipt::Labels::ko());
    }
}
