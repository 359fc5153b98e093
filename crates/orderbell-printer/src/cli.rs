//! Command-line flags. Every flag of the client also reads an `ORDERBELL_PRINTER_*`
//! variable; [`crate::config`] merges both with the TOML file and the defaults.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// The Orderbell printer client.
#[derive(Debug, Parser)]
#[command(
    name = "orderbell-printer",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Something else than running the client.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Running the client (the default).
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a sample of every text mode, each labelled, to pick `--text-mode`.
    TestPage(TestPageArgs),
}

/// Flags of the client.
#[derive(Debug, Default, Clone, Args)]
pub struct RunArgs {
    /// TOML config file (keys as the flags, with `_`: server, token, token_file, printer,
    /// profile, text_mode, spool, status_listen, …).
    #[arg(long, env = "ORDERBELL_PRINTER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Orderbell server, e.g. `https://orders.example.com` (http(s):// or ws(s)://).
    #[arg(long, env = "ORDERBELL_PRINTER_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// Device token from `orderbell printer add`. Prefer the variable or --token-file:
    /// command lines are visible to other users of the machine.
    #[arg(
        long,
        env = "ORDERBELL_PRINTER_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// File holding the device token (first line).
    #[arg(long, env = "ORDERBELL_PRINTER_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Where tickets go: tcp://HOST[:PORT] (raw, default port 9100), file:PATH,
    /// usb:DEVICE (e.g. usb:/dev/usb/lp0), cups:QUEUE, stdout.
    #[arg(long, env = "ORDERBELL_PRINTER_OUTPUT", value_name = "OUTPUT")]
    pub printer: Option<String>,
    /// Paper width: 80mm (48 columns) or 58mm (32 columns). Default 80mm.
    #[arg(long, env = "ORDERBELL_PRINTER_PROFILE", value_name = "80mm|58mm")]
    pub profile: Option<String>,
    /// ascii[:cp437|cp858|cp1252], ks_x_1001[:plain], utf8[:epson] or image (default).
    #[arg(long, env = "ORDERBELL_PRINTER_TEXT_MODE", value_name = "MODE")]
    pub text_mode: Option<String>,
    /// Spool directory. Default: $XDG_STATE_HOME/orderbell-printer, else ./spool.
    #[arg(long, env = "ORDERBELL_PRINTER_SPOOL", value_name = "DIR")]
    pub spool: Option<PathBuf>,
    /// Status page address (default 127.0.0.1:9181; `off` to disable).
    #[arg(long, env = "ORDERBELL_PRINTER_STATUS_LISTEN", value_name = "ADDR")]
    pub status_listen: Option<String>,
}

/// Flags of `test-page`.
#[derive(Debug, Default, Clone, Args)]
pub struct TestPageArgs {
    /// TOML config file (only `printer`, `profile` and the output settings are used).
    #[arg(long, env = "ORDERBELL_PRINTER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the page goes (as for the client).
    #[arg(long, env = "ORDERBELL_PRINTER_OUTPUT", value_name = "OUTPUT")]
    pub printer: Option<String>,
    /// Paper width: 80mm or 58mm.
    #[arg(long, env = "ORDERBELL_PRINTER_PROFILE", value_name = "80mm|58mm")]
    pub profile: Option<String>,
}
