//! The printers API: list, add (token shown once), change, revoke (disconnects at once), and
//! printing an order again.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use orderbell_core::{CategoryId, OrderId, PrinterId, Timestamp, ValidationErrors};
use orderbell_store::printing::{AutoPrint, NewPrinter, PrintJob, Printer, PrinterChange};
use serde::{Deserialize, Serialize};

use super::session::DEVICE_TOKEN_PREFIX;
use crate::api::views::PrintJobView;
use crate::events::{EventKind, ShopEvent};
use crate::http::auth::{Caller, Need, shop_access};
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::json::{ApiJson, OptionalJson};
use crate::security::token;
use crate::state::AppState;

/// A printer as the shop sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PrinterView {
    pub id: String,
    pub name: String,
    /// The device token's first characters.
    pub token_prefix: String,
    /// `on_create`, `on_accept` or `manual`.
    pub auto_print: String,
    pub copies: i64,
    /// Only items of these menu categories; absent for every item.
    pub category_ids: Option<Vec<String>>,
    /// `online` while its client is connected, else `offline`.
    pub connection: &'static str,

    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen_at: Option<Timestamp>,
    /// What the printer last reported: `online`, `paper_near_end`, `paper_out`, `cover_open`,
    /// `offline`, `error`.
    pub status: Option<String>,
    pub status_detail: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub status_at: Option<Timestamp>,
    pub client_version: Option<String>,
    pub paper: Option<String>,
    pub text_mode: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
}

impl PrinterView {
    pub fn new(state: &AppState, p: Printer) -> PrinterView {
        // A connection flag left behind by a crashed instance goes stale: online needs a
        // heartbeat within the last minute.
        let fresh = p
            .last_seen_at
            .is_some_and(|t| state.now().duration_since(t).as_secs() <= 60);
        PrinterView {
            id: p.id.to_string(),
            name: p.name,
            token_prefix: p.token_prefix,
            auto_print: p.auto_print.as_str().to_owned(),
            copies: p.copies,
            category_ids: p
                .category_ids
                .map(|c| c.iter().map(ToString::to_string).collect()),
            connection: if p.connected && fresh && p.revoked_at.is_none() {
                "online"
            } else {
                "offline"
            },
            last_seen_at: p.last_seen_at,
            status: p.state,
            status_detail: p.state_detail,
            status_at: p.state_at,
            client_version: p.client_version,
            paper: p.paper,
            text_mode: p.text_mode,
            created_at: p.created_at,
            revoked_at: p.revoked_at,
        }
    }
}

impl From<PrintJob> for PrintJobView {
    fn from(j: PrintJob) -> PrintJobView {
        PrintJobView {
            id: j.id.to_string(),
            printer: j.printer_name,
            status: j.status.as_str().to_owned(),
            attempts: j.attempts,
            updated_at: j.updated_at,
            error: j.error,
        }
    }
}

/// Longest printer name, in characters.
pub const PRINTER_NAME_MAX: usize = 100;
/// Copies of each ticket a printer may print.
pub const COPIES: std::ops::RangeInclusive<i64> = 1..=5;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrinterRequest {
    pub name: Option<String>,
    /// `on_create` (default), `on_accept` or `manual`.
    pub auto_print: Option<String>,
    /// Copies of each ticket, 1 to 5 (default 1).
    pub copies: Option<i64>,
    /// Only items of these menu categories (a kitchen printer); `[]` or null for every item.
    pub category_ids: Option<Vec<String>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewPrinterView {
    pub printer: PrinterView,
    /// The device token for `orderbell-printer --token`. Shown only now.
    pub token: String,
}

/// Checks a printer request; `creating` makes the name required.
pub fn check(req: &PrinterRequest, creating: bool) -> Result<PrinterChange, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let name = match (&req.name, creating) {
        (None, false) => None,
        (name, _) => errors.text("name", name.as_deref(), true, PRINTER_NAME_MAX),
    };
    let auto_print = match req.auto_print.as_deref() {
        None => None,
        Some(s) => match s.parse::<AutoPrint>() {
            Ok(a) => Some(a),
            Err(m) => {
                errors.add("auto_print", "invalid", m);
                None
            }
        },
    };
    if let Some(c) = req.copies {
        errors.range("copies", c, *COPIES.start(), *COPIES.end());
    }
    let category_ids = match &req.category_ids {
        None => None,
        Some(ids) if ids.is_empty() => Some(None),
        Some(ids) => {
            let mut parsed = vec![];
            for (i, id) in ids.iter().enumerate() {
                match CategoryId::parse(id) {
                    Some(c) => parsed.push(c),
                    None => errors.add(format!("category_ids[{i}]"), "unknown", "no such category"),
                }
            }
            Some(Some(parsed))
        }
    };
    errors.into_result()?;
    Ok(PrinterChange {
        name,
        auto_print,
        copies: req.copies,
        category_ids,
    })
}

/// Makes a printer and its device token (shown once).
/// Adds a printer; `api_key`: the key that asked (its printers are revoked with it).
pub async fn add_printer(
    state: &AppState,
    shop: &orderbell_core::shop::Shop,
    change: PrinterChange,
    api_key: Option<orderbell_core::ApiKeyId>,
) -> ApiResult<NewPrinterView> {
    if let Some(Some(ids)) = &change.category_ids {
        let menu = state.store.menu(&shop.id).await?;
        for (i, id) in ids.iter().enumerate() {
            if menu.category(id.as_str()).is_none() {
                return Err(ApiError::field(
                    &format!("category_ids[{i}]"),
                    "unknown",
                    "no such category in this shop",
                ));
            }
        }
    }
    let token = format!("{DEVICE_TOKEN_PREFIX}{}", token::new_token());
    let printer = state
        .store
        .create_printer(NewPrinter {
            id: state.new_id(PrinterId::from_parts),
            shop_id: shop.id.clone(),
            name: change.name.unwrap_or_else(|| "Printer".into()),
            token_hash: token::hash(&token),
            token_prefix: token.chars().take(10).collect(),
            auto_print: change.auto_print.unwrap_or(AutoPrint::OnCreate),
            copies: change.copies.unwrap_or(1),
            category_ids: change.category_ids.flatten(),
            created_at: state.now(),
            api_key_id: api_key,
        })
        .await?;
    Ok(NewPrinterView {
        printer: PrinterView::new(state, printer),
        token,
    })
}

/// The shop's printers with their connection and paper state.
#[utoipa::path(get, operation_id = "list_printers", path = "/api/v1/shops/{slug}/printers", tag = "printers", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<PrinterView>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
) -> ApiResult<Json<Vec<PrinterView>>> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::ReadOrders).await?;
    let printers = state.store.printers(&shop.id).await?;
    Ok(Json(
        printers
            .into_iter()
            .map(|p| PrinterView::new(&state, p))
            .collect(),
    ))
}

/// Adds a printer; the answer holds its device token, shown only once.
#[utoipa::path(post, operation_id = "create_printer", path = "/api/v1/shops/{slug}/printers", tag = "printers", params(("slug" = String, Path)),
    request_body = PrinterRequest,
    responses((status = 201, body = NewPrinterView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
    ApiJson(body): ApiJson<PrinterRequest>,
) -> ApiResult<(StatusCode, Json<NewPrinterView>)> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::Printers).await?;
    let change = check(&body, true)?;
    Ok((
        StatusCode::CREATED,
        Json(add_printer(&state, &shop, change, caller.api_key_id()).await?),
    ))
}

/// Changes a printer's name, auto-print mode, copies or categories.
#[utoipa::path(patch, operation_id = "update_printer", path = "/api/v1/shops/{slug}/printers/{id}", tag = "printers",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = PrinterRequest,
    responses((status = 200, body = PrinterView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
    ApiJson(body): ApiJson<PrinterRequest>,
) -> ApiResult<Json<PrinterView>> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::Printers).await?;
    let id = PrinterId::parse(&id).ok_or_else(ApiError::not_found)?;
    let change = check(&body, false)?;
    let printer = state.store.update_printer(&shop.id, &id, change).await?;
    state.printers.set_mode(&printer.id, printer.auto_print);
    super::changed(&state, &shop.id, &printer.id);
    Ok(Json(PrinterView::new(&state, printer)))
}

/// Revokes a printer: its token stops working and a connected client is disconnected at once.
#[utoipa::path(delete, path = "/api/v1/shops/{slug}/printers/{id}", tag = "printers",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult<StatusCode> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::Printers).await?;
    let id = PrinterId::parse(&id).ok_or_else(ApiError::not_found)?;
    state
        .store
        .revoke_printer(&shop.id, &id, state.now())
        .await?;
    state.printers.disconnect(&id);
    super::changed(&state, &shop.id, &id);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrintRequest {
    /// Only this printer; default every active printer of the shop.
    pub printer_id: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PrintJobsView {
    pub print_jobs: Vec<PrintJobView>,
}

/// Prints the order again: one ticket marked REPRINT on each active printer (or the one given).
#[utoipa::path(post, path = "/api/v1/shops/{slug}/orders/{id}/print", tag = "printers",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = PrintRequest,
    responses((status = 201, body = PrintJobsView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn print(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
    OptionalJson(body): OptionalJson<PrintRequest>,
) -> ApiResult<(StatusCode, Json<PrintJobsView>)> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::WriteOrders).await?;
    let order = OrderId::parse(&id).ok_or_else(ApiError::not_found)?;
    let only = match body.printer_id.as_deref() {
        None => None,
        Some(p) => Some(
            PrinterId::parse(p)
                .ok_or_else(|| ApiError::field("printer_id", "unknown", "no such printer"))?,
        ),
    };
    let jobs = state
        .store
        .reprint(&shop.id, &order, only, state.now())
        .await?;
    if jobs.is_empty() {
        return Err(ApiError::field(
            "printer_id",
            "required",
            "the shop has no active printer",
        ));
    }
    state.events.publish(ShopEvent::of_print_jobs(
        shop.id.clone(),
        EventKind::PrintJobsQueued,
        order,
        state.now(),
    ));
    Ok((
        StatusCode::CREATED,
        Json(PrintJobsView {
            print_jobs: jobs.into_iter().map(PrintJobView::from).collect(),
        }),
    ))
}
