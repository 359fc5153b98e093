//! Printers (devices): the printers API, the device WebSocket and print-job delivery (issue 3).

use axum::Router;

use crate::state::AppState;

/// Printing settings (`[printing]` in the TOML file).
#[derive(Debug, Clone, Default)]
pub struct PrintingConfig {}

impl PrintingConfig {
    pub fn load(_section: Option<&toml::Value>) -> anyhow::Result<PrintingConfig> {
        Ok(PrintingConfig {})
    }
}

/// Routes of this module (full paths).
pub fn routes() -> Router<AppState> {
    Router::new()
}

/// Background work of this module, started with the server.
pub fn spawn(_state: &AppState) {}
