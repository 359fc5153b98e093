//! Words chosen by a value (a status, a code, a number of minutes) rather than by a key.

use super::{Texts, fill};
use crate::order::{Fulfillment, OrderStatus};

impl Texts {
    pub fn status(&self, status: OrderStatus) -> &'static str {
        match status {
            OrderStatus::Pending => self.status_pending,
            OrderStatus::Accepted => self.status_accepted,
            OrderStatus::Ready => self.status_ready,
            OrderStatus::Completed => self.status_completed,
            OrderStatus::Rejected => self.status_rejected,
            OrderStatus::Cancelled => self.status_cancelled,
            OrderStatus::Missed => self.status_missed,
        }
    }

    pub fn fulfillment(&self, kind: &str) -> &'static str {
        match kind {
            "dine_in" => self.dine_in,
            "delivery" => self.delivery,
            _ => self.pickup,
        }
    }

    /// An event of an order's history (`created`, `accept`…).
    pub fn action(&self, kind: &str) -> &'static str {
        match kind {
            "created" => self.action_created,
            "acknowledge" => self.action_acknowledge,
            "accept" => self.action_accept,
            "reject" => self.action_reject,
            "ready" => self.action_ready,
            "complete" => self.action_complete,
            "cancel" => self.action_cancel,
            "miss" => self.action_miss,
            "print_expired" => self.action_print_expired,
            _ => "",
        }
    }

    /// A notification channel (`telegram`, `whatsapp`, `webpush`, `fcm`) in words.
    pub fn channel_label(&self, channel: &str) -> &'static str {
        match channel {
            "telegram" => self.channel_telegram,
            "whatsapp" => self.channel_whatsapp,
            "webpush" => self.channel_webpush,
            _ => self.channel_fcm,
        }
    }

    /// A channel link's state (`active`, `dead`, `unlinked`) in words.
    pub fn link_status(&self, status: &str) -> &'static str {
        match status {
            "active" => self.link_active,
            "dead" => self.link_dead,
            _ => self.link_unlinked,
        }
    }

    /// A notification's delivery state in words.
    pub fn delivery(&self, status: &str) -> &'static str {
        match status {
            "queued" => self.delivery_queued,
            "sending" => self.delivery_sending,
            "sent" => self.delivery_sent,
            "delivered" => self.delivery_delivered,
            "read" => self.delivery_read,
            "cancelled" => self.delivery_cancelled,
            _ => self.delivery_failed,
        }
    }

    /// A field error's code in words.
    pub fn field_error(&self, code: &str, field: &str) -> &'static str {
        match code {
            "required" => self.err_required,
            "too_long" => self.err_too_long,
            "invalid" if field.ends_with("phone") => self.err_phone,
            "sold_out" => self.err_sold_out,
            "too_few" => self.err_too_few,
            "too_many" => self.err_too_many,
            "out_of_range" => self.err_out_of_range,
            "unknown" => self.err_unknown,
            "not_accepting_orders" => self.not_accepting,
            "shop_closed" => self.shop_closed_now,
            _ => self.err_invalid,
        }
    }

    /// A readiness problem (`no_dashboard_with_sound`, `printer_offline`…) in words.
    pub fn problem(&self, code: &str) -> &'static str {
        match code {
            "no_dashboard_with_sound" => self.problem_no_dashboard_with_sound,
            "printer_offline" => self.problem_printer_offline,
            "printer_paper_out" => self.problem_printer_paper_out,
            "channel_dead" => self.problem_channel_dead,
            "no_listener" => self.problem_no_listener,
            _ => self.problem_other,
        }
    }

    /// Every readiness problem code with its words (the dashboard's script reads them).
    pub fn problems(&self) -> [(&'static str, &'static str); 6] {
        [
            "no_dashboard_with_sound",
            "printer_offline",
            "printer_paper_out",
            "channel_dead",
            "no_listener",
            "other",
        ]
        .map(|code| (code, self.problem(code)))
    }

    /// A weekday by its opening-hours key (`mon` … `sun`).
    pub fn day(&self, key: &str) -> &'static str {
        match key {
            "mon" => self.day_mon,
            "tue" => self.day_tue,
            "wed" => self.day_wed,
            "thu" => self.day_thu,
            "fri" => self.day_fri,
            "sat" => self.day_sat,
            _ => self.day_sun,
        }
    }

    /// How long an order has waited: `just now`, `3 min`, `1 h 5 min`.
    pub fn age(&self, millis: i64) -> String {
        let minutes = millis.max(0) / 60_000;
        if minutes < 1 {
            self.age_just_now.to_owned()
        } else if minutes < 60 {
            self.n_minutes.replace("{n}", &minutes.to_string())
        } else {
            self.age_hours
                .replace("{h}", &(minutes / 60).to_string())
                .replace("{m}", &(minutes % 60).to_string())
        }
    }

    /// How many options a group takes, in words.
    pub fn choose(&self, min: i64, max: i64) -> String {
        if min == max {
            self.choose_exactly.replace("{n}", &max.to_string())
        } else if min == 0 {
            self.choose_up_to.replace("{n}", &max.to_string())
        } else {
            self.choose_between
                .replace("{min}", &min.to_string())
                .replace("{max}", &max.to_string())
        }
    }
}

impl Texts {
    /// A notification event a member can choose (`new_order`, `ready`…) in words.
    pub fn notify_event(&self, event: &str) -> &'static str {
        match event {
            "new_order" => self.notify_new_order,
            "accepted" => self.notify_accepted,
            "ready" => self.notify_ready,
            "rejected" => self.notify_rejected,
            "cancelled" => self.notify_cancelled,
            "completed" => self.notify_completed,
            _ => self.notify_missed,
        }
    }

    /// A printer's reported state (`online`, `paper_out`…) in words.
    pub fn printer_state(&self, state: &str) -> &'static str {
        match state {
            "online" => self.printer_online,
            "paper_near_end" => self.printer_paper_near_end,
            "paper_out" => self.printer_paper_out,
            "cover_open" => self.printer_cover_open,
            "error" => self.printer_error,
            _ => self.printer_offline,
        }
    }

    /// A validation error of a form field in words: specific where the field says more than
    /// its code (`slug`, `currency`, `price`…), else the code's words ([`Texts::field_error`]).
    pub fn field_message(&self, field: &str, code: &str) -> &'static str {
        // `items[2].price` → `price`, `customer.phone` → `phone`.
        let name = field.rsplit('.').next().unwrap_or(field);
        let name = name.split('[').next().unwrap_or(name);
        match (name, code) {
            ("slug", "invalid") => self.err_slug,
            ("currency", "invalid") => self.err_currency,
            ("time_zone", "invalid") => self.err_time_zone,
            ("locale", "invalid") => self.err_locale,
            ("email", "invalid") => self.err_email,
            (n, "invalid") if n.ends_with("price") => self.err_price,
            ("min_order" | "delivery_fee", _) => self.err_price,
            ("photo", "too_large") => self.err_photo_too_large,
            ("photo", _) => self.err_photo,
            (_, "not_offered") => self.err_not_offered,
            (_, "below_minimum") => self.err_below_minimum,
            (_, "duplicate") => self.err_duplicate,
            (_, "forbidden") => self.err_forbidden,
            _ => self.field_error(code, field),
        }
    }

    /// An order's state inside a sentence (`Order #1042 is now accepted.`).
    pub fn state(&self, status: OrderStatus) -> &'static str {
        match status {
            OrderStatus::Pending => self.state_pending,
            OrderStatus::Accepted => self.state_accepted,
            OrderStatus::Ready => self.state_ready,
            OrderStatus::Completed => self.state_completed,
            OrderStatus::Rejected => self.state_rejected,
            OrderStatus::Cancelled => self.state_cancelled,
            OrderStatus::Missed => self.state_missed,
        }
    }

    /// How an order is fulfilled, with its table or address: `Dine in, table 7`, `배달: …`.
    pub fn fulfillment_line(&self, kind: &str, detail: Option<&str>) -> String {
        let detail = detail.map(str::trim).filter(|d| !d.is_empty());
        match (kind, detail) {
            ("dine_in", Some(table)) => fill(self.dine_in_table, &[("table", &table)]),
            ("delivery", Some(address)) => fill(self.delivery_to, &[("address", &address)]),
            (kind, _) => self.fulfillment(kind).to_owned(),
        }
    }

    /// [`Texts::fulfillment_line`] of an order's fulfilment.
    pub fn fulfillment_of(&self, f: &Fulfillment) -> String {
        self.fulfillment_line(f.kind(), f.detail())
    }
}
