//! actionhub's HTTP server: the StackOne-compatible platform API (API keys over HTTP Basic) and
//! the API behind the Hub pages (connect-session tokens), thin over the store and the engine.
//!
//! Handlers only extract, call the store, the engine or [`linking`], and shape the response.
//! Every error leaves as StackOne's body `{"statusCode", "message", "timestamp"}` with a message
//! that names the field at fault ([`ApiError`]); internal detail is logged, never returned.
//! Every platform route runs under the project of the caller's API key.
//!
//! Whatever refuses a request (an extractor, a timeout, `rmcp`) answers with a JSON body: a
//! last layer gives StackOne's body to any error answer that has none (JSON-RPC's on `/mcp`;
//! HTML pages keep theirs). Values headed for the store never carry a NUL (refused by the
//! extractors), and messages quote a caller's value only cut short. [`serve_with`] bounds slow
//! and greedy clients: header, body and request timeouts, and a number of connections.
//!
//! It must never return or log a credential, an API key or a session token (request logs carry
//! the method, the path without its query, the status and the time taken), never save an
//! account that Front has not verified, and never answer with axum's plain-text rejections.

pub mod approvals;
mod cors;
mod error;
pub mod execution;
mod extract;
pub mod janitor;
pub mod linking;
pub mod mcp;
mod metrics;
mod openapi;
mod routes;
mod runlog;
mod views;
mod web_session;
pub mod webhooks;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actionhub_engine::FrontClient;
use actionhub_store::Store;
use actionhub_worker::AddressPolicy;
use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

pub use approvals::ApprovalSettings;
pub use cors::CorsOrigin;
pub use error::ApiError;
pub use metrics::Metrics;
pub use runlog::RunLog;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub front: FrontClient,
    /// Where end users reach this hub (`ACTIONHUB_PUBLIC_URL`), without a trailing slash; the
    /// base of `auth_link_url`.
    pub public_url: String,
    /// Where executions are recorded (written in the background; flushed by [`serve`]).
    pub run_log: RunLog,
    pub metrics: Arc<Metrics>,
    pub webhooks: WebhookSettings,
    pub approvals: ApprovalSettings,
}

/// How the webhook routes check endpoints (the worker is configured alike).
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// Whether endpoint URLs may point at private and loopback addresses
    /// (`ACTIONHUB_WEBHOOK_ALLOW_PRIVATE`).
    pub address_policy: AddressPolicy,
    /// How long a rotated secret keeps signing beside its successor.
    pub rotation_grace: Duration,
}

impl Default for WebhookSettings {
    fn default() -> WebhookSettings {
        WebhookSettings {
            address_policy: AddressPolicy::PublicOnly,
            rotation_grace: Duration::from_secs(24 * 60 * 60),
        }
    }
}

impl AppState {
    pub fn new(store: Store, front: FrontClient, public_url: &str) -> AppState {
        AppState {
            run_log: RunLog::new(store.clone()),
            store,
            front,
            public_url: public_url.trim_end_matches('/').to_owned(),
            metrics: Arc::new(Metrics::default()),
            webhooks: WebhookSettings::default(),
            approvals: ApprovalSettings::default(),
        }
    }
}

/// How the hub treats slow or greedy clients (`actionhub serve` flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// How long a client has to send a request's headers once its connection is open (or idle
    /// between keep-alive requests); the connection is closed after that.
    pub header_timeout: Duration,
    /// How long the request body may stall between two pieces; then 408.
    pub body_timeout: Duration,
    /// How long a whole request may take, answer included; then 503. Must exceed the engine's
    /// 30 s per-call deadline, or slow Front calls would be cut before they can answer.
    pub request_timeout: Duration,
    /// Connections served at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// Origins (`scheme://host[:port]`) whose pages may call the platform API from a browser
    /// (`ACTIONHUB_CORS_ORIGINS`); none keeps it same-origin. The Hub API answers any origin.
    pub cors_origins: Vec<CorsOrigin>,
}

impl Default for ServeConfig {
    fn default() -> ServeConfig {
        ServeConfig {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            max_connections: 1024,
            cors_origins: Vec::new(),
        }
    }
}

/// The hub's routes with request logging, CORS, JSON error bodies, and `config`'s body and
/// request timeouts. The error-body layer sits outside the timeouts so that their empty 408 and
/// 503 answers get StackOne's body too, and CORS outside both so that every answer carries its
/// headers.
pub fn app(state: AppState, config: &ServeConfig) -> Router {
    let cross_origin = Arc::new(cors::CrossOrigin::new(&config.cors_origins));
    routes::router(state)
        .layer(RequestBodyTimeoutLayer::new(config.body_timeout))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        .layer(middleware::from_fn(error::json_error_bodies))
        .layer(middleware::from_fn_with_state(
            cross_origin,
            cors::cross_origin,
        ))
        .layer(middleware::from_fn(log_request))
}

/// Serves the hub on `listener` with the default [`ServeConfig`] until `shutdown`
/// resolves; see [`serve_with`].
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, ServeConfig::default(), shutdown).await
}

/// Serves the hub on `listener` until `shutdown` resolves, then finishes the requests in
/// flight (and the runs whose callers have gone) and writes the run log's last entries.
///
/// The accept loop is hyper's own rather than `axum::serve`, which has neither a header-read
/// timeout nor a bound on connections: at most `max_connections` are served at once (a
/// semaphore permit per connection), each with `header_timeout` to send its headers.
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let run_log = state.run_log.clone();
    let app = app(state, &config);
    let capacity = u32::try_from(config.max_connections)
        .unwrap_or(u32::MAX)
        .max(1);
    let slots = Arc::new(Semaphore::new(capacity as usize));
    let (stop, stopped) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of descriptors and the like: wait a little rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        tokio::spawn(serve_connection(
            stream,
            app.clone(),
            config.header_timeout,
            stopped.clone(),
            permit,
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit until it ends: having them all back means the requests
    // in flight have been answered.
    let _ = slots.acquire_many(capacity).await;
    // Runs whose callers went away go on in their own tasks: wait for them too.
    run_log.finish().await;
    Ok(())
}

/// One connection, until the client closes it, it times out, or the hub stops (then the
/// request in flight is finished and the connection closed).
async fn serve_connection(
    stream: TcpStream,
    app: Router,
    header_timeout: Duration,
    mut stopped: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    tokio::pin!(connection);
    tokio::select! {
        served = connection.as_mut() => {
            if let Err(error) = served {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        _ = stopped.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Logs one line per request. The query string is left out: `/link?token=…` carries a secret.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        target: "actionhub::http",
        %method,
        path,
        status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}
