//! What happens to unanswered orders, as a form on the settings page (`op=alerts`): the alert
//! policy, the default ETA and the opening hours, shown as typed and checked against the shop.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use orderbell_core::alerts::AlertPolicyPatch;
use orderbell_core::shop::{Shop, ShopPatchRequest};
use orderbell_core::user::{Duty, Role};
use orderbell_core::{FieldError, ValidationErrors};

use super::hours::{self, DayInput};
use super::profile::ProfilePage;
use crate::pages::error::PageError;
use crate::pages::form::Form;
use crate::pages::i18n::Texts;
use crate::pages::i18n::negotiate;
use crate::pages::render::{Cache, render, see_other};
use crate::state::AppState;

/// The alert policy, default ETA and opening hours as the form shows them (numbers as typed,
/// so a wrong one is shown again as it was).
pub struct AlertsForm {
    pub repeat_after: String,
    pub repeat_every: String,
    pub call_after: String,
    pub miss_after: String,
    pub unheard_after: String,
    pub pause_when_unheard: bool,
    pub pause_after_missed: String,
    pub default_eta: String,
    /// Opening hours apply (else guests may order at any time).
    pub hours_on: bool,
    pub days: Vec<DayInput>,
    pub closed_dates: String,
    /// (form field, message), in the page's language.
    pub errors: Vec<(String, &'static str)>,
    pub saved: bool,
}

impl AlertsForm {
    /// The form for the shop as stored.
    pub fn of(shop: &Shop, t: &Texts) -> AlertsForm {
        let a = &shop.alerts;
        let text = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
        let stored = shop.opening_hours.as_ref().map(|h| h.to_json());
        AlertsForm {
            repeat_after: a.repeat_after_seconds.to_string(),
            repeat_every: a.repeat_every_seconds.to_string(),
            call_after: text(a.call_after_seconds),
            miss_after: text(a.miss_after_seconds),
            unheard_after: a.unheard_after_seconds.to_string(),
            pause_when_unheard: a.pause_when_unheard,
            pause_after_missed: text(a.pause_after_missed),
            default_eta: shop.default_eta_minutes.to_string(),
            hours_on: shop.opening_hours.is_some(),
            days: hours::days_of(stored.as_ref(), t),
            closed_dates: hours::closed_dates_of(stored.as_ref()),
            errors: vec![],
            saved: false,
        }
    }

    /// The form as posted.
    fn from_form(form: &Form, t: &Texts) -> AlertsForm {
        AlertsForm {
            repeat_after: form.text("repeat_after_seconds").trim().to_owned(),
            repeat_every: form.text("repeat_every_seconds").trim().to_owned(),
            call_after: form.text("call_after_seconds").trim().to_owned(),
            miss_after: form.text("miss_after_seconds").trim().to_owned(),
            unheard_after: form.text("unheard_after_seconds").trim().to_owned(),
            pause_when_unheard: form.checked("pause_when_unheard"),
            pause_after_missed: form.text("pause_after_missed").trim().to_owned(),
            default_eta: form.text("default_eta_minutes").trim().to_owned(),
            hours_on: form.checked("hours_on"),
            days: hours::days_from(form, t),
            closed_dates: form.text("closed_dates").trim().to_owned(),
            errors: vec![],
            saved: false,
        }
    }

    /// The message for a form field, if it has one.
    pub fn error(&self, field: &str) -> Option<&'static str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| *m)
    }

    /// The change this form asks for; fields it could not read are reported in `errors` (as
    /// the core would name them) and left out of the change.
    fn request(&self, errors: &mut ValidationErrors, with_alerts: bool) -> ShopPatchRequest {
        let mut number = |field: &str, text: &str, required: bool| -> Option<Option<i64>> {
            if text.is_empty() {
                if required {
                    errors.add(field, "required", format!("{field} is required"));
                    return None;
                }
                return Some(None);
            }
            match text.parse::<i64>() {
                Ok(n) => Some(Some(n)),
                Err(_) => {
                    errors.add(field, "invalid", format!("{field} must be a whole number"));
                    None
                }
            }
        };
        let alerts = if with_alerts {
            let repeat_after = number("alerts.repeat_after_seconds", &self.repeat_after, true);
            let repeat_every = number("alerts.repeat_every_seconds", &self.repeat_every, true);
            let call_after = number("alerts.call_after_seconds", &self.call_after, false);
            let miss_after = number("alerts.miss_after_seconds", &self.miss_after, false);
            let unheard_after = number("alerts.unheard_after_seconds", &self.unheard_after, true);
            let pause_after_missed =
                number("alerts.pause_after_missed", &self.pause_after_missed, false);
            Some(AlertPolicyPatch {
                repeat_after_seconds: repeat_after.flatten(),
                repeat_every_seconds: repeat_every.flatten(),
                call_after_seconds: call_after,
                miss_after_seconds: miss_after,
                unheard_after_seconds: unheard_after.flatten(),
                pause_when_unheard: Some(self.pause_when_unheard),
                pause_after_missed,
            })
        } else {
            None
        };
        let default_eta = number("default_eta_minutes", &self.default_eta, true);
        let opening_hours = if self.hours_on {
            Some(Some(hours::to_json(&self.days, &self.closed_dates)))
        } else {
            Some(None)
        };
        ShopPatchRequest {
            alerts,
            opening_hours,
            default_eta_minutes: default_eta.flatten(),
            ..ShopPatchRequest::default()
        }
    }
}

/// Where a core field error belongs in the alerts form: `alerts.call_after_seconds` →
/// `call_after_seconds`, `opening_hours.mon[0]` → `hours_mon`,
/// `opening_hours.closed_dates[2]` → `closed_dates`.
fn alerts_field(field: &str) -> String {
    if let Some(name) = field.strip_prefix("alerts.") {
        return name.to_owned();
    }
    if let Some(rest) = field.strip_prefix("opening_hours") {
        return hours::field_of(rest);
    }
    field.to_owned()
}

fn alerts_errors(errors: Vec<FieldError>, t: &Texts) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = vec![];
    for FieldError { field, code, .. } in errors {
        let place = alerts_field(&field);
        if !out.iter().any(|(f, _)| *f == place) {
            out.push((place, t.field_error(code, &field)));
        }
    }
    out
}

/// `op=alerts`: the alert policy, default ETA and opening hours, checked against the shop.
pub async fn save_alerts(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    shop: &Shop,
    role: Role,
    form: &Form,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/{slug}/settings");
    let t = negotiate(headers, Some(&shop.locale)).texts();
    let mut typed = AlertsForm::from_form(form, t);
    let mut unread = ValidationErrors::new();
    // A manager keeps the hours and the default ETA; the alert policy is the owners'.
    let request = typed.request(&mut unread, role.may(Duty::Settings));
    let checked = request.validate_for(shop);
    let mut problems = unread.0;
    if let Err(e) = &checked {
        problems.extend(e.0.iter().cloned());
    }
    match checked {
        Ok(patch) if problems.is_empty() => {
            let now = state.now();
            state.store.update_shop(&shop.id, patch, now).await?;
            state.events.publish(crate::events::ShopEvent::of_shop(
                shop.id.clone(),
                crate::events::EventKind::ShopUpdated,
                now,
            ));
            Ok(see_other(&format!("{path}?alerts=1#alerts")))
        }
        _ => {
            typed.errors = alerts_errors(problems, t);
            let (_, shop, role, page) = super::chrome(state, headers, slug, "settings").await?;
            let view = ProfilePage::new(page, shop, role, typed);
            render(&view, StatusCode::UNPROCESSABLE_ENTITY, Cache::Private)
        }
    }
}
