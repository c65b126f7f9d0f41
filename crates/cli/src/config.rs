//! Where the hub's settings come from, resolved in one place for every command: flags override
//! environment variables, which override defaults.
//!
//! | setting | flag | environment | default |
//! |---|---|---|---|
//! | data directory | | `ACTIONHUB_DATA_DIR` | `$XDG_DATA_HOME/actionhub`, else `~/.local/share/actionhub` |
//! | database | `--database` | `ACTIONHUB_DATABASE_URL` | `sqlite://<data dir>/actionhub.db` |
//! | master keyring | | `ACTIONHUB_MASTER_KEY`, `ACTIONHUB_MASTER_KEY_FILE` | SQLite: `<database file>.master-key`, created on first use; Postgres: required |
//! | listen address | `--bind` | `ACTIONHUB_BIND` | `127.0.0.1:8080` |
//! | header-read timeout (`serve`) | `--header-timeout-secs` | `ACTIONHUB_HEADER_TIMEOUT_SECS` | 10 |
//! | request-body stall timeout (`serve`) | `--body-timeout-secs` | `ACTIONHUB_BODY_TIMEOUT_SECS` | 30 |
//! | whole-request timeout (`serve`) | `--request-timeout-secs` | `ACTIONHUB_REQUEST_TIMEOUT_SECS` | 60 |
//! | connections served at once (`serve`) | `--max-connections` | `ACTIONHUB_MAX_CONNECTIONS` | 1024 |
//! | public URL | | `ACTIONHUB_PUBLIC_URL` | `http://<listen address>` |
//! | Front API | | `ACTIONHUB_FRONT_BASE_URL` | `https://api2.frontapp.com` |
//! | largest answer read from Front | `--max-answer-mb` (`serve`) | `ACTIONHUB_MAX_ANSWER_MB` | 64 (MiB) |
//! | shared rate budget | | `ACTIONHUB_REDIS_URL`, `ACTIONHUB_REDIS_PREFIX` | in-process; prefix `actionhub` |
//! | events and webhooks (`serve`; [`crate::webhooks::WorkerArgs`]) | `--events-poll-secs`, `--events-budget-share`, `--webhook-retry-schedule`, `--webhook-timeout-secs`, `--webhook-disable-after-hours`, `--webhook-allow-private` | `ACTIONHUB_EVENTS_POLL_SECS`, `ACTIONHUB_EVENTS_BUDGET_SHARE`, `ACTIONHUB_WEBHOOK_RETRY_SCHEDULE`, `ACTIONHUB_WEBHOOK_TIMEOUT_SECS`, `ACTIONHUB_WEBHOOK_DISABLE_AFTER_HOURS`, `ACTIONHUB_WEBHOOK_ALLOW_PRIVATE` | 15, 0.1, `5s,5m,30m,2h,5h,10h,10h`, 15, 120, off |
//!
//! The master keyring is read from the environment here rather than through clap, so that no
//! `--help` output can ever show its value.

use std::path::PathBuf;

use actionhub_store::{Backend, Keyring, Store, VaultError, backend_of, sqlite_file};
use clap::Args;

use crate::error::CliError;

/// Default listen address of `serve`.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// The `--database` flag, shared by every command that opens the database.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: sqlite://PATH (the default, a file in the data directory) or
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (several hubs may share one).
    #[arg(
        long,
        value_name = "URL",
        env = "ACTIONHUB_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub database: Option<String>,
}

/// The directory for the default SQLite database and its key file.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = non_empty_env("ACTIONHUB_DATA_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = non_empty_env("XDG_DATA_HOME") {
        return PathBuf::from(dir).join("actionhub");
    }
    match non_empty_env("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/actionhub"),
        None => PathBuf::from(".actionhub"),
    }
}

/// The database URL: `--database`, else `ACTIONHUB_DATABASE_URL` (clap reads both), else the
/// SQLite file in the data directory.
pub fn database_url(args: &DatabaseArgs) -> String {
    match &args.database {
        Some(url) if !url.trim().is_empty() => url.trim().to_owned(),
        _ => format!("sqlite://{}", data_dir().join("actionhub.db").display()),
    }
}

/// The master keyring for `database_url`: `ACTIONHUB_MASTER_KEY`, else the file named by
/// `ACTIONHUB_MASTER_KEY_FILE`, else (SQLite only) the key file beside the database, created
/// with a new random key on first use and announced once on stderr (never beside a database
/// that already holds sealed secrets: that key file is lost, which is an error).
pub async fn keyring(database_url: &str) -> Result<Keyring, CliError> {
    if let Some(keys) = non_empty_env("ACTIONHUB_MASTER_KEY") {
        return Ok(Keyring::parse(&keys)?);
    }
    if let Some(path) = non_empty_env("ACTIONHUB_MASTER_KEY_FILE") {
        return Ok(Keyring::read_file(std::path::Path::new(&path))?);
    }
    match backend_of(database_url)? {
        Backend::Postgres => Err(CliError::Config(
            "a master key is required with Postgres: set ACTIONHUB_MASTER_KEY (e.g. `1:$(openssl rand -base64 32)`) or ACTIONHUB_MASTER_KEY_FILE, the same on every hub sharing the database".to_owned(),
        )),
        Backend::Sqlite => {
            let Some(database) = sqlite_file(database_url)? else {
                return Err(CliError::Config(
                    "an in-memory SQLite database has no place for a key file: set ACTIONHUB_MASTER_KEY".to_owned(),
                ));
            };
            let mut path = database.clone().into_os_string();
            path.push(".master-key");
            let path = PathBuf::from(path);
            // A new key cannot open what the lost one sealed: say so rather than create one.
            if !path.exists() && actionhub_store::sqlite_holds_sealed_data(&database).await? {
                return Err(VaultError::MissingKeyFile {
                    path: path.display().to_string(),
                }
                .into());
            }
            let (keyring, created) = Keyring::read_or_create_file(&path)?;
            if created {
                eprintln!(
                    "actionhub: created the master key file {} (mode 0600); back it up, since the stored credentials cannot be decrypted without it",
                    path.display()
                );
            }
            Ok(keyring)
        }
    }
}

/// Opens the store the command line points at.
pub async fn open_store(args: &DatabaseArgs) -> Result<Store, CliError> {
    let url = database_url(args);
    let keyring = keyring(&url).await?;
    Ok(Store::open(&url, keyring).await?)
}

/// The address `serve` listens on: `--bind`, else `ACTIONHUB_BIND` (clap reads both), else
/// [`DEFAULT_BIND`].
pub fn bind(flag: Option<&str>) -> String {
    flag.map(str::trim)
        .filter(|bind| !bind.is_empty())
        .unwrap_or(DEFAULT_BIND)
        .to_owned()
}

/// Where end users reach the hub (the base of connect links): `ACTIONHUB_PUBLIC_URL`, else
/// `http://<bind>`.
pub fn public_url(bind: &str) -> String {
    non_empty_env("ACTIONHUB_PUBLIC_URL")
        .unwrap_or_else(|| format!("http://{bind}"))
        .trim_end_matches('/')
        .to_owned()
}

/// The public URL for commands without a `--bind` of their own (`connect-link`): from
/// `ACTIONHUB_PUBLIC_URL`, else `http://` + `ACTIONHUB_BIND` or its default.
pub fn configured_public_url() -> String {
    public_url(&bind(non_empty_env("ACTIONHUB_BIND").as_deref()))
}

/// Front's API base URL: `ACTIONHUB_FRONT_BASE_URL` (the simulator, in tests and the demo),
/// else `None` for the catalogue's (Front's production API).
pub fn front_base_url() -> Option<String> {
    non_empty_env("ACTIONHUB_FRONT_BASE_URL")
}

/// The variable bounding the size of Front's answers, in MiB (`serve --max-answer-mb`).
pub const MAX_ANSWER_MB_VAR: &str = "ACTIONHUB_MAX_ANSWER_MB";
/// Largest bound accepted, in MiB (64 GiB): beyond it the setting is surely a mistake.
pub const MAX_ANSWER_MB_CEILING: u64 = 64 * 1024;

/// The bound on Front's answers for commands without a `--max-answer-mb` of their own:
/// `ACTIONHUB_MAX_ANSWER_MB`, else the default (64 MiB).
pub fn max_answer_mb() -> Result<u64, CliError> {
    let Some(text) = non_empty_env(MAX_ANSWER_MB_VAR) else {
        return Ok(actionhub_engine::DEFAULT_MAX_ANSWER_MB);
    };
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|mb| (1..=MAX_ANSWER_MB_CEILING).contains(mb))
        .ok_or_else(|| {
            CliError::Config(format!(
                "{MAX_ANSWER_MB_VAR} must be a whole number of MiB from 1 to {MAX_ANSWER_MB_CEILING} (it is {text:?})"
            ))
        })
}

/// The Front client every command uses: `ACTIONHUB_FRONT_BASE_URL`, reading at most
/// `max_answer_mb` MiB of each answer, with company budgets kept in Redis when
/// `ACTIONHUB_REDIS_URL` is set (shared by every hub using it; keys start with
/// `ACTIONHUB_REDIS_PREFIX`, default `actionhub`), else in this process. A Redis that cannot be
/// reached at start is an error naming its address and the cause, so that a wrong URL is noticed
/// at once; once running, an outage falls back to in-process pacing until Redis answers again.
pub async fn front_client(max_answer_mb: u64) -> Result<actionhub_engine::FrontClient, CliError> {
    let front = actionhub_engine::FrontClient::new(front_base_url().as_deref())?
        .with_max_answer_mb(max_answer_mb);
    let Some(url) = non_empty_env("ACTIONHUB_REDIS_URL") else {
        return Ok(front);
    };
    let prefix = non_empty_env("ACTIONHUB_REDIS_PREFIX").unwrap_or_else(|| "actionhub".to_owned());
    let pacer = actionhub_engine::RedisPacer::connect(&url, &prefix)
        .await
        .map_err(|error| CliError::Config(format!("ACTIONHUB_REDIS_URL: {error}")))?;
    Ok(front.with_shared_pacer(std::sync::Arc::new(pacer)))
}

/// The variable tokio reads for its number of runtime threads.
const WORKER_THREADS_VAR: &str = "TOKIO_WORKER_THREADS";

/// A multi-threaded runtime for a command's async work: one thread per usable CPU, or
/// `TOKIO_WORKER_THREADS`, checked here because tokio panics on a value it cannot use.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(text) = std::env::var_os(WORKER_THREADS_VAR) {
        let threads = text
            .to_str()
            .and_then(|text| text.trim().parse::<usize>().ok())
            .filter(|threads| *threads > 0)
            .ok_or_else(|| {
                CliError::Config(format!(
                    "{WORKER_THREADS_VAR} must be a whole number of threads, 1 or more (it is {text:?})"
                ))
            })?;
        builder.worker_threads(threads);
    }
    builder.enable_all().build().map_err(CliError::Runtime)
}

/// Logs to stderr, filtered by `RUST_LOG` (default: `default_filter`).
pub fn init_logging(default_filter: &str) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    // rmcp logs each tool call's arguments and result at debug, whole messages at trace:
    // customer data, and secrets when a caller passes any. Its lines below info are dropped
    // whatever RUST_LOG says (a more specific directive such as `rmcp::service=trace` included,
    // which a directive added to the EnvFilter would not override).
    let quiet_rmcp = tracing_subscriber::filter::filter_fn(|metadata| {
        !(is_rmcp(metadata.target()) && *metadata.level() > tracing::Level::INFO)
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .finish()
        .with(quiet_rmcp)
        .try_init();
}

fn is_rmcp(target: &str) -> bool {
    target == "rmcp" || target.starts_with("rmcp::")
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}
