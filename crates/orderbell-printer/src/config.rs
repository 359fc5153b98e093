//! The client's settings: flags > `ORDERBELL_PRINTER_*` env (both through clap) > TOML
//! file > defaults. Unknown keys in the file are an error. The token can come from a file
//! and is kept in a [`Secret`] that never prints.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use orderbell_escpos::{Paper, Profile, TextMode};
use serde::Deserialize;

use crate::cli::{RunArgs, TestPageArgs};
use crate::output::OutputSpec;

/// Default status page address.
pub const DEFAULT_STATUS_LISTEN: &str = "127.0.0.1:9181";
/// Default text mode: raster prints on every ESC/POS printer, Hangul included.
pub const DEFAULT_TEXT_MODE: &str = "image";

/// The TOML file. Every key is optional; unknown keys are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// As `--server`.
    pub server: Option<String>,
    /// As `--token` (prefer `token_file`).
    pub token: Option<String>,
    /// As `--token-file`.
    pub token_file: Option<PathBuf>,
    /// As `--printer`.
    pub printer: Option<String>,
    /// As `--profile`.
    pub profile: Option<String>,
    /// As `--text-mode`.
    pub text_mode: Option<String>,
    /// As `--spool`.
    pub spool: Option<PathBuf>,
    /// As `--status-listen`.
    pub status_listen: Option<String>,
    /// The printer has a cutter (default true).
    pub cutter: Option<bool>,
    /// A cash drawer is connected to the printer (default false).
    pub drawer: Option<bool>,
    /// The printer draws QR codes itself, GS ( k (default true).
    pub native_qr: Option<bool>,
    /// Send FS . before single-byte text, for Asian models that default to multi-byte.
    pub cancel_kanji: Option<bool>,
    /// TCP connect / write / status-read timeout in seconds (default 10).
    pub tcp_timeout_secs: Option<u64>,
    /// How often a held job polls the printer's status, in milliseconds (default 2000).
    pub status_poll_ms: Option<u64>,
    /// Command used for `cups:` outputs (default `lp`).
    pub lp_command: Option<String>,
}

impl FileConfig {
    /// Read and parse a TOML file.
    ///
    /// # Errors
    /// The file cannot be read, is not TOML, or has an unknown key.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }
}

/// A secret string: `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret.
    #[must_use]
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    /// The secret itself, for the one place that sends it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How tickets are printed: the output and the ESC/POS profile.
#[derive(Debug, Clone)]
pub struct PrintSettings {
    /// Where bytes go.
    pub output: OutputSpec,
    /// Paper, text mode and features.
    pub profile: Profile,
    /// A cash drawer is connected.
    pub drawer: bool,
    /// TCP timeouts.
    pub tcp_timeout: Duration,
    /// Poll interval while a job is held.
    pub status_poll: Duration,
    /// `lp` command for CUPS.
    pub lp_command: String,
}

/// Everything the client needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// `ws(s)://…/api/v1/devices/ws`.
    pub ws_url: String,
    /// The device token.
    pub token: Secret,
    /// Printing.
    pub print: PrintSettings,
    /// Spool directory.
    pub spool: PathBuf,
    /// Status page address, `None` when disabled.
    pub status_listen: Option<SocketAddr>,
}

/// Where environment values come from (the process environment, or a map in tests).
pub trait Env {
    /// The variable's value, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Config {
    /// Merge flags/env (already in `args`) with the config file and the defaults.
    ///
    /// # Errors
    /// A missing server, token or printer, an unreadable token file, or a bad value.
    pub fn load(args: &RunArgs, env: &dyn Env) -> Result<Self> {
        let file = match &args.config {
            Some(path) => FileConfig::load(path)?,
            None => FileConfig::default(),
        };
        let server = args.server.clone().or(file.server.clone()).ok_or_else(|| {
            anyhow!("no server: pass --server URL or set ORDERBELL_PRINTER_SERVER")
        })?;
        let ws_url = device_ws_url(&server)?;
        let token = resolve_token(args, &file)?;
        let print = print_settings(
            args.printer.as_deref(),
            args.profile.as_deref(),
            args.text_mode.as_deref(),
            &file,
        )?;
        let spool = args
            .spool
            .clone()
            .or(file.spool.clone())
            .unwrap_or_else(|| default_spool(env));
        let listen = args
            .status_listen
            .clone()
            .or(file.status_listen.clone())
            .unwrap_or_else(|| DEFAULT_STATUS_LISTEN.to_owned());
        let status_listen = parse_listen(&listen)?;
        Ok(Config {
            ws_url,
            token,
            print,
            spool,
            status_listen,
        })
    }
}

/// Settings for `test-page`.
///
/// # Errors
/// A missing printer or a bad value.
pub fn test_page_settings(args: &TestPageArgs) -> Result<PrintSettings> {
    let file = match &args.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    print_settings(
        args.printer.as_deref(),
        args.profile.as_deref(),
        None,
        &file,
    )
}

fn print_settings(
    printer: Option<&str>,
    profile: Option<&str>,
    text_mode: Option<&str>,
    file: &FileConfig,
) -> Result<PrintSettings> {
    let output = printer.or(file.printer.as_deref()).ok_or_else(|| {
        anyhow!("no printer: pass --printer tcp://HOST:PORT|file:PATH|usb:DEVICE|cups:QUEUE|stdout")
    })?;
    let output: OutputSpec = output.parse()?;
    let paper: Paper = profile
        .or(file.profile.as_deref())
        .unwrap_or("80mm")
        .parse()
        .map_err(|e| anyhow!("--profile: {e} (use 80mm or 58mm)"))?;
    let text_mode: TextMode = text_mode
        .or(file.text_mode.as_deref())
        .unwrap_or(DEFAULT_TEXT_MODE)
        .parse()
        .map_err(|e| anyhow!("--text-mode: {e} (use ascii, ks_x_1001, utf8 or image)"))?;
    let mut profile = Profile::new(paper, text_mode);
    profile.cutter = file.cutter.unwrap_or(true);
    profile.native_qr = file.native_qr.unwrap_or(true);
    profile.cancel_kanji = file.cancel_kanji.unwrap_or(false);
    Ok(PrintSettings {
        output,
        profile,
        drawer: file.drawer.unwrap_or(false),
        tcp_timeout: Duration::from_secs(file.tcp_timeout_secs.unwrap_or(10).max(1)),
        status_poll: Duration::from_millis(file.status_poll_ms.unwrap_or(2000).max(50)),
        lp_command: file.lp_command.clone().unwrap_or_else(|| "lp".to_owned()),
    })
}

fn resolve_token(args: &RunArgs, file: &FileConfig) -> Result<Secret> {
    let token = if let Some(token) = &args.token {
        token.clone()
    } else if let Some(path) = &args.token_file {
        read_token_file(path)?
    } else if let Some(token) = &file.token {
        token.clone()
    } else if let Some(path) = &file.token_file {
        read_token_file(path)?
    } else {
        bail!(
            "no device token: set ORDERBELL_PRINTER_TOKEN or ORDERBELL_PRINTER_TOKEN_FILE \
             (from `orderbell printer add`)"
        );
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        bail!("the device token is empty");
    }
    if token.chars().any(|c| c.is_control() || c == ' ') {
        bail!("the device token contains spaces or control characters");
    }
    Ok(Secret::new(token))
}

fn read_token_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read token file {}", path.display()))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

fn default_spool(env: &dyn Env) -> PathBuf {
    match env.var("XDG_STATE_HOME") {
        Some(state) => Path::new(&state).join("orderbell-printer"),
        None => PathBuf::from("spool"),
    }
}

fn parse_listen(listen: &str) -> Result<Option<SocketAddr>> {
    if listen.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("--status-listen {listen:?} is not an IP:PORT (or `off`)"))?;
    Ok(Some(addr))
}

/// The device WebSocket URL for a server URL: `http(s)://` becomes `ws(s)://`, and
/// `/api/v1/devices/ws` is appended to the path (unless already there).
///
/// # Errors
/// Another scheme, or no host.
pub fn device_ws_url(server: &str) -> Result<String> {
    let server = server.trim();
    let (scheme, rest) = server
        .split_once("://")
        .ok_or_else(|| anyhow!("server URL {server:?} has no scheme (use https://…)"))?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => "ws",
        "https" | "wss" => "wss",
        other => bail!("server URL scheme {other:?} is not http(s) or ws(s)"),
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    if host.is_empty() || host.contains('@') {
        bail!("server URL {server:?} has no host (or has credentials in it)");
    }
    let ws_path = orderbell_protocol::DEVICE_WS_PATH;
    let path = if path.ends_with(ws_path) {
        path.to_owned()
    } else {
        format!("{path}{ws_path}")
    };
    Ok(format!("{scheme}://{host}{path}"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::io::Write;

    use super::*;

    struct MapEnv(HashMap<&'static str, &'static str>);

    impl Env for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| (*v).to_owned())
        }
    }

    #[test]
    fn server_urls_map_to_the_device_socket() {
        let cases = [
            (
                "http://127.0.0.1:8080",
                "ws://127.0.0.1:8080/api/v1/devices/ws",
            ),
            (
                "https://orders.example.com/",
                "wss://orders.example.com/api/v1/devices/ws",
            ),
            (
                "https://example.com/orderbell",
                "wss://example.com/orderbell/api/v1/devices/ws",
            ),
            (
                "wss://example.com/api/v1/devices/ws",
                "wss://example.com/api/v1/devices/ws",
            ),
            ("HTTP://[::1]:80?x=1", "ws://[::1]:80/api/v1/devices/ws"),
        ];
        for (server, expected) in cases {
            assert_eq!(device_ws_url(server).unwrap(), expected, "{server}");
        }
        for bad in [
            "example.com",
            "ftp://example.com",
            "https://",
            "https://u:p@host",
        ] {
            assert!(device_ws_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn flags_and_env_win_over_the_file_which_wins_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("printer.toml");
        let mut file = std::fs::File::create(&path).unwrap();
        writeln!(
            file,
            "server = \"https://file.example\"\ntoken = \"file-token\"\nprinter = \"stdout\"\n\
             profile = \"58mm\"\ntext_mode = \"ks_x_1001\"\ndrawer = true\nstatus_listen = \"off\""
        )
        .unwrap();
        let env = MapEnv(HashMap::from([("XDG_STATE_HOME", "/state")]));

        let from_file = Config::load(
            &RunArgs {
                config: Some(path.clone()),
                ..RunArgs::default()
            },
            &env,
        )
        .unwrap();
        assert_eq!(from_file.ws_url, "wss://file.example/api/v1/devices/ws");
        assert_eq!(from_file.token.expose(), "file-token");
        assert_eq!(from_file.print.profile.paper, Paper::Mm58);
        assert_eq!(from_file.print.profile.text_mode.name(), "ks_x_1001");
        assert!(from_file.print.drawer);
        assert_eq!(from_file.status_listen, None);
        assert_eq!(from_file.spool, PathBuf::from("/state/orderbell-printer"));

        let flags = Config::load(
            &RunArgs {
                config: Some(path),
                server: Some("http://flag.example".into()),
                token: Some("flag-token".into()),
                printer: Some("tcp://10.0.0.9".into()),
                profile: Some("80mm".into()),
                text_mode: Some("utf8".into()),
                spool: Some("/spool".into()),
                status_listen: Some("127.0.0.1:9999".into()),
                ..RunArgs::default()
            },
            &env,
        )
        .unwrap();
        assert_eq!(flags.ws_url, "ws://flag.example/api/v1/devices/ws");
        assert_eq!(flags.token.expose(), "flag-token");
        assert_eq!(flags.print.profile.paper, Paper::Mm80);
        assert_eq!(flags.print.profile.text_mode.name(), "utf8");
        assert_eq!(flags.spool, PathBuf::from("/spool"));
        assert_eq!(flags.status_listen, Some("127.0.0.1:9999".parse().unwrap()));
        assert!(matches!(
            flags.print.output,
            OutputSpec::Tcp { port: 9100, .. }
        ));

        let defaults = Config::load(
            &RunArgs {
                server: Some("http://x".into()),
                token: Some("t".into()),
                printer: Some("stdout".into()),
                ..RunArgs::default()
            },
            &MapEnv(HashMap::new()),
        )
        .unwrap();
        assert_eq!(defaults.print.profile.paper, Paper::Mm80);
        assert_eq!(defaults.print.profile.text_mode, TextMode::Image);
        assert_eq!(defaults.spool, PathBuf::from("spool"));
        assert_eq!(
            defaults.status_listen,
            Some(DEFAULT_STATUS_LISTEN.parse().unwrap())
        );
    }

    #[test]
    fn unknown_keys_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("printer.toml");
        std::fs::write(&path, "server = \"http://x\"\nprinterr = \"stdout\"\n").unwrap();
        let err = FileConfig::load(&path).unwrap_err();
        assert!(format!("{err:#}").contains("printerr"), "{err:#}");
    }

    #[test]
    fn token_file_is_read_and_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "s3cr3t-token\n").unwrap();
        let config = Config::load(
            &RunArgs {
                server: Some("http://x".into()),
                token_file: Some(path),
                printer: Some("stdout".into()),
                ..RunArgs::default()
            },
            &MapEnv(HashMap::new()),
        )
        .unwrap();
        assert_eq!(config.token.expose(), "s3cr3t-token");
        assert!(!format!("{config:?}").contains("s3cr3t"));
        let missing = Config::load(
            &RunArgs {
                server: Some("http://x".into()),
                printer: Some("stdout".into()),
                ..RunArgs::default()
            },
            &MapEnv(HashMap::new()),
        );
        assert!(format!("{:#}", missing.unwrap_err()).contains("TOKEN"));
    }
}
