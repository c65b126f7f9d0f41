//! `actionhub serve`: the hub's HTTP API, in the foreground until Ctrl-C or SIGTERM.

use std::time::Duration;

use actionhub_server::{AppState, CorsOrigin, ServeConfig};
use actionhub_worker::Worker;
use clap::Args;
use tokio::net::TcpListener;

use crate::config::{self, DatabaseArgs};
use crate::error::CliError;
use crate::webhooks::WorkerArgs;

/// Run the hub: the HTTP API (actions, accounts, connect sessions, runs, MCP, the Hub pages)
/// and the background work (following Front's events, delivering webhooks, expiring
/// approvals).
///
/// Opens (and migrates) the database, then serves until interrupted (Ctrl-C or SIGTERM),
/// finishing the requests in flight. With SQLite and no ACTIONHUB_MASTER_KEY or
/// ACTIONHUB_MASTER_KEY_FILE, a master key file is created beside the database on first start.
/// Tokens are checked and actions run against ACTIONHUB_FRONT_BASE_URL (default Front's API),
/// paced per Front company in this process, or across hubs through ACTIONHUB_REDIS_URL (key
/// prefix ACTIONHUB_REDIS_PREFIX, default actionhub). Connect links
/// point at ACTIONHUB_PUBLIC_URL (default http://<bind>). Slow or greedy clients are bounded by
/// the timeouts and connection limit below. Logs go to stderr, filtered by RUST_LOG (default
/// info).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080] (port 0 picks a free one; the address
    /// is logged).
    #[arg(long, value_name = "ADDR", env = "ACTIONHUB_BIND")]
    bind: Option<String>,
    /// Days a run stays in the run log; an hourly janitor deletes older runs, and connect
    /// sessions 7 days after they expire. 0 keeps every run.
    #[arg(
        long,
        value_name = "DAYS",
        env = "ACTIONHUB_RUN_RETENTION_DAYS",
        default_value_t = 30
    )]
    run_retention_days: u32,
    /// Seconds a client has to send a request's headers (from the connection's opening, or
    /// between keep-alive requests); the connection is then closed.
    #[arg(long, value_name = "SECS", env = "ACTIONHUB_HEADER_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_secs: u64,
    /// Seconds a request body may stall between two pieces; then 408.
    #[arg(long, value_name = "SECS", env = "ACTIONHUB_BODY_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout_secs: u64,
    /// Seconds a whole request may take, answer included; then 503. Keep it above the 30 s
    /// deadline of a call to Front.
    #[arg(long, value_name = "SECS", env = "ACTIONHUB_REQUEST_TIMEOUT_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    request_timeout_secs: u64,
    /// Connections served at once; more clients wait in the listen backlog.
    #[arg(long, value_name = "N", env = "ACTIONHUB_MAX_CONNECTIONS", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
    /// Largest answer read from Front, in MiB: a larger one is refused (502) while it is read,
    /// before it is held in memory or stored.
    #[arg(long, value_name = "MB", env = config::MAX_ANSWER_MB_VAR,
          default_value_t = actionhub_engine::DEFAULT_MAX_ANSWER_MB,
          value_parser = clap::value_parser!(u64).range(1..=config::MAX_ANSWER_MB_CEILING))]
    max_answer_mb: u64,
    /// Origins (scheme://host[:port], comma-separated) whose pages may call the platform API
    /// (API keys) from a browser; by default it is same-origin. The Hub API (/hub/*) answers
    /// every origin.
    #[arg(
        long,
        value_name = "ORIGINS",
        env = "ACTIONHUB_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Vec<CorsOrigin>,
    /// Seconds a call held for approval (by a policy rule `…=approve`) waits for a person's
    /// decision before it expires and never runs.
    #[arg(long, value_name = "SECS", env = "ACTIONHUB_APPROVAL_EXPIRY_SECS", default_value_t = 900,
          value_parser = clap::value_parser!(u64).range(1..=7 * 24 * 60 * 60))]
    approval_expiry_secs: u64,
    #[command(flatten)]
    worker: WorkerArgs,
    #[command(flatten)]
    database: DatabaseArgs,
}

/// Below this, a request timeout cuts calls that Front may still answer in time.
const FRONT_CALL_DEADLINE_SECS: u64 = 30;

impl ServeArgs {
    fn serve_config(&self) -> ServeConfig {
        if self.request_timeout_secs <= FRONT_CALL_DEADLINE_SECS {
            tracing::warn!(
                request_timeout_secs = self.request_timeout_secs,
                "the request timeout is not above the 30 s deadline of a Front call: slow calls will answer 503"
            );
        }
        ServeConfig {
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            body_timeout: Duration::from_secs(self.body_timeout_secs),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            cors_origins: self.cors_origins.clone(),
        }
    }
}

pub fn run(args: &ServeArgs) -> Result<(), CliError> {
    config::init_logging("info");
    config::runtime()?.block_on(async {
        let bind = config::bind(args.bind.as_deref());
        let store = config::open_store(&args.database).await?;
        let front = config::front_client(args.max_answer_mb).await?;
        let listener = TcpListener::bind(&bind)
            .await
            .map_err(|source| CliError::Bind {
                addr: bind.clone(),
                source,
            })?;
        let local = listener.local_addr().map_err(CliError::Serve)?;
        // A port-0 bind only learns its port now; links must carry the real one.
        let public_url = config::public_url(&local.to_string());
        tracing::info!(
            address = %local,
            public_url = %public_url,
            backend = ?store.backend(),
            front = %front.base_url(),
            "actionhub serving"
        );
        let retention = (args.run_retention_days > 0)
            .then(|| Duration::from_secs(u64::from(args.run_retention_days) * 24 * 60 * 60));
        let janitor = actionhub_server::janitor::spawn(store.clone(), retention);
        let mut state = AppState::new(store.clone(), front.clone(), &public_url);
        state.webhooks.address_policy = args.worker.address_policy();
        state.approvals.expiry = Duration::from_secs(args.approval_expiry_secs);
        let worker = Worker::spawn(
            store.clone(),
            front,
            args.worker.worker_config(),
            state.metrics.clone(),
        )
        .map_err(|error| CliError::Config(error.to_string()))?;
        let served =
            actionhub_server::serve_with(listener, state, args.serve_config(), shutdown_signal())
                .await;
        janitor.abort();
        worker.shutdown().await;
        served.map_err(CliError::Serve)?;
        store.close().await;
        tracing::info!("actionhub stopped");
        Ok(())
    })
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM (what service managers send).
pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = interrupt => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await;
}
