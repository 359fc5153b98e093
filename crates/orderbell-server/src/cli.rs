//! The `orderbell` command line (README, "Command line").

use std::io::BufRead;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use orderbell_core::ShopId;
use orderbell_core::shop::NewShopRequest;
use orderbell_core::text::normalize_email;
use orderbell_store::StoreError;

use crate::config::{Config, Overrides};
use crate::state::{AppState, SystemClock};
use crate::{api, app, demo, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "orderbell",
    version,
    about = "Order intake and notifications for small shops"
)]
pub struct Cli {
    #[command(flatten)]
    pub overrides: Overrides,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve {
        /// Create (once) a demo shop with a menu and its owner, and print the owner's login.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Copy the SQLite database to a new file while the server runs, and check the copy.
    Backup {
        /// The new file (it must not exist).
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Replace the SQLite database with a checked backup (the server must be stopped).
    Restore {
        /// A file made by `orderbell backup`.
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage shops.
    #[command(subcommand)]
    Shop(ShopCommand),
    /// Manage API keys.
    #[command(subcommand, name = "apikey")]
    ApiKey(ApiKeyCommand),
    /// Manage receipt printers.
    #[command(subcommand)]
    Printer(PrinterCommand),
    /// Telegram: link a member's chat.
    #[command(subcommand)]
    Telegram(crate::notifications::cli::TelegramCommand),
}

#[derive(Debug, Subcommand)]
pub enum PrinterCommand {
    /// Add a printer to a shop; prints its device token, alone (it is shown only once).
    Add {
        #[arg(long)]
        shop: String,
        #[arg(long)]
        name: String,
        /// When it prints on its own: on_create, on_accept or manual.
        #[arg(long, default_value = "on_create")]
        auto_print: String,
        /// Copies of each ticket (1 to 5).
        #[arg(long, default_value_t = 1)]
        copies: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; the password is read from standard input (one line).
    Add {
        email: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Set a new password (read from standard input, one line); every session of the account
    /// ends. For servers that send no mail, where nobody can reset their own.
    Password { email: String },
}

#[derive(Debug, Subcommand)]
pub enum ShopCommand {
    /// Create a shop owned by an existing user.
    Add {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// E-mail of the owner's account.
        #[arg(long)]
        owner: String,
        #[arg(long, default_value = "KRW")]
        currency: String,
        #[arg(long, default_value = "Asia/Seoul")]
        timezone: String,
        #[arg(long, default_value = "ko")]
        locale: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key for a shop; prints the key, alone (it is shown only once).
    Add {
        #[arg(long)]
        shop: String,
        #[arg(long)]
        name: String,
        /// Comma-separated: orders:write, orders:read, manage.
        #[arg(long, default_value = "orders:write,orders:read")]
        scope: String,
    },
}

/// The whole of the `orderbell` binary's `main`: parses the arguments, runs them on a tokio
/// runtime and turns the result into the exit code. It lives here, not in `main.rs`, because
/// what a binary's `main` instantiates (the runtime's `block_on` over the whole program's
/// future, clap's parser) is compiled again, alone, in the binary's crate: with `#[tokio::main]`
/// in `main.rs` that crate took half a minute of a cold release build (docs/benchmarks.md,
/// "Cold release build").
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs the command line; the process exit code follows the result.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(&cli.overrides)?;
    let serving = matches!(cli.command, Command::Serve { .. });
    if !serving && cli.overrides.log.is_none() {
        // Admin commands print their result on stdout; keep the log to what matters.
        config.log = "warn".into();
    }
    telemetry::init(&config.log, config.log_format);
    match cli.command {
        Command::Serve { demo } => serve(config, demo).await,
        Command::Migrate => {
            let ran = orderbell_store::migrate(&config.database_url).await?;
            println!("{ran} migration(s) applied");
            Ok(())
        }
        Command::Backup { to } => {
            let db = sqlite_file(&config, "backup")?;
            let report = tokio::task::spawn_blocking(move || {
                orderbell_store::sqlite_backup::backup(&db, &to)
            })
            .await??;
            println!("backed up to {report}");
            Ok(())
        }
        Command::Restore { from } => {
            let db = sqlite_file(&config, "restore")?;
            let newest = orderbell_store::sqlite::MIGRATIONS
                .last()
                .map_or(0, |(version, _, _)| *version);
            let now = jiff::Timestamp::now().as_second();
            let (report, kept) = tokio::task::spawn_blocking(move || {
                orderbell_store::sqlite_backup::restore(&from, &db, newest, now)
            })
            .await??;
            println!("restored {report}");
            if let Some(kept) = kept {
                println!("the database it replaced is kept at {}", kept.display());
            }
            Ok(())
        }
        Command::User(UserCommand::Add { email, name }) => user_add(config, &email, name).await,
        Command::User(UserCommand::Password { email }) => user_password(config, &email).await,
        Command::Shop(ShopCommand::Add {
            slug,
            name,
            owner,
            currency,
            timezone,
            locale,
        }) => {
            let state = open(config).await?;
            let owner_email =
                normalize_email(&owner).context("--owner is not an e-mail address")?;
            let user = state
                .store
                .user_by_email(&owner_email)
                .await?
                .with_context(|| {
                    format!("no account {owner_email}; create it with `orderbell user add`")
                })?;
            let new = NewShopRequest {
                slug,
                name,
                currency: Some(currency.trim().to_ascii_uppercase()),
                time_zone: Some(timezone.trim().to_owned()),
                locale: Some(locale.trim().to_ascii_lowercase()),
                phone: None,
            }
            .validate()
            .map_err(describe)?;
            let shop = state
                .store
                .create_shop(state.new_id(ShopId::from_parts), new, &user.id, state.now())
                .await
                .map_err(store_error)?;
            println!("{}", shop.slug);
            Ok(())
        }
        Command::ApiKey(ApiKeyCommand::Add { shop, name, scope }) => {
            let state = open(config).await?;
            let shop = state
                .store
                .shop_by_slug(&shop)
                .await?
                .with_context(|| format!("no shop {shop}"))?;
            let names: Vec<String> = scope.split(',').map(str::to_owned).collect();
            let scopes = api::shops::parse_scopes(Some(&names)).map_err(describe)?;
            let created = api::shops::issue_api_key(&state, &shop.id, &name, scopes)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message))?;
            println!("{}", created.key);
            Ok(())
        }
        Command::Printer(PrinterCommand::Add {
            shop,
            name,
            auto_print,
            copies,
        }) => printer_add(config, &shop, &name, &auto_print, copies).await,
        Command::Telegram(cmd) => crate::notifications::cli::run(open(config).await?, cmd).await,
    }
}

async fn printer_add(
    config: Config,
    shop: &str,
    name: &str,
    auto_print: &str,
    copies: i64,
) -> anyhow::Result<()> {
    let state = open(config).await?;
    let shop = state
        .store
        .shop_by_slug(shop)
        .await?
        .with_context(|| format!("no shop {shop}"))?;
    let request = crate::printers::api::PrinterRequest {
        name: Some(name.to_owned()),
        auto_print: Some(auto_print.to_owned()),
        copies: Some(copies),
        category_ids: None,
    };
    let change = crate::printers::api::check(&request, true).map_err(describe)?;
    let created = crate::printers::api::add_printer(&state, &shop, change, None)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    println!("{}", created.token);
    Ok(())
}

fn describe(errors: orderbell_core::ValidationErrors) -> anyhow::Error {
    let lines: Vec<String> = errors
        .0
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    anyhow::anyhow!("{}", lines.join("; "))
}

fn store_error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Conflict(m) => anyhow::anyhow!("{m}"),
        other => other.into(),
    }
}

async fn open(config: Config) -> anyhow::Result<AppState> {
    let store = orderbell_store::open(&config.database_url)
        .await
        .with_context(|| format!("opening the database ({})", redact(&config.database_url)))?;
    app::state(config, store, Arc::new(SystemClock)).await
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

/// One line of standard input: the password for `orderbell user add|password`.
fn password_from_stdin(command: &str, email: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!(
            "give the password on standard input, e.g. `echo 'a long password' | orderbell user {command} {email}`"
        );
    }
    Ok(password)
}

async fn user_password(config: Config, email: &str) -> anyhow::Result<()> {
    let password = password_from_stdin("password", email)?;
    let state = open(config).await?;
    let address = orderbell_core::text::normalize_email(email).unwrap_or_else(|| email.to_owned());
    let Some(user) = state
        .store
        .user_by_email(&address)
        .await
        .map_err(store_error)?
    else {
        bail!("no account {address}");
    };
    if let Err(weak) = crate::security::password::check_new(&password, &[&user.email, &user.name]) {
        bail!("{}", weak.message());
    }
    let hash = crate::security::password::hash_blocking(password)
        .await
        .context("hashing the password")?;
    state
        .store
        .set_password(&user.id, &hash)
        .await
        .map_err(store_error)?;
    // Every session ends (no session has an empty token hash).
    state
        .store
        .delete_other_sessions(&user.id, "")
        .await
        .map_err(store_error)?;
    println!(
        "password set for {}; every session of the account ended",
        user.email
    );
    Ok(())
}

async fn user_add(config: Config, email: &str, name: Option<String>) -> anyhow::Result<()> {
    let password = password_from_stdin("add", email)?;
    let password = password.as_str();
    let state = open(config).await?;
    let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_owned());
    let new = api::accounts::new_user(&state, email, &name, password)
        .await
        .map_err(|e| {
            let fields: Vec<String> = e
                .fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            anyhow::anyhow!(
                "{}",
                if fields.is_empty() {
                    e.message
                } else {
                    fields.join("; ")
                }
            )
        })?;
    let user = state.store.create_user(new).await.map_err(store_error)?;
    println!("{}", user.id);
    Ok(())
}

/// The database file of a `sqlite:` URL; PostgreSQL has its own tools (docs/operations.md).
fn sqlite_file(config: &Config, what: &str) -> anyhow::Result<std::path::PathBuf> {
    match orderbell_store::sqlite::path_from_url(&config.database_url) {
        Some(path) => Ok(path),
        None => bail!(
            "`orderbell {what}` works on SQLite databases; back up PostgreSQL with pg_dump or \
             continuous archiving (docs/operations.md, \"Backup and restore\")"
        ),
    }
}

async fn serve(config: Config, with_demo: bool) -> anyhow::Result<()> {
    let listen = config.listen;
    // Held while serving: `orderbell restore` refuses to replace a database in use.
    let _serving = match orderbell_store::sqlite::path_from_url(&config.database_url) {
        Some(db) => Some(orderbell_store::sqlite_backup::lock_for_serving(&db)?),
        None => None,
    };
    let public_url = config.public_url.clone();
    tracing::info!(
        database = %redact(&config.database_url),
        public_url = %public_url,
        "starting Orderbell {}",
        env!("CARGO_PKG_VERSION")
    );
    let metrics = config.metrics.clone();
    if metrics.enabled {
        crate::metrics::enable();
    }
    let state = open(config).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    if let (true, Some(address)) = (metrics.enabled, metrics.listen) {
        let own = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address} ([metrics] listen)"))?;
        let router = crate::metrics::router(state.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(own, router).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
        println!("Metrics on http://{address}/metrics");
    }
    let bound = listener.local_addr()?;
    if with_demo {
        let login = demo::ensure(&state).await?;
        println!("Demo shop:   {public_url}/s/{}", demo::DEMO_SLUG);
        println!("Demo owner:  {}  password: {}", login.email, login.password);
    }
    tracing::info!(address = %bound, "listening");
    println!("Orderbell is listening on http://{bound}");
    app::serve(state, listener, app::shutdown_signal()).await
}
