//! actionhub's HTTP server: the StackOne-compatible platform API (API keys over HTTP Basic) and
//! the API behind the Hub pages (connect-session tokens), thin over the store and the engine.
//!
//! Handlers only extract, call the store, the engine or [`linking`], and shape the response.
//! Every error leaves as StackOne's body `{"statusCode", "message", "timestamp"}` with a message
//! that names the field at fault ([`ApiError`]); internal detail is logged, never returned.
//! Every platform route runs under the project of the caller's API key.
//!
//! It must never return or log a credential, an API key or a session token (request logs carry
//! the method, the path without its query, the status and the time taken), never save an
//! account that Front has not verified, and never answer with axum's plain-text rejections.

mod error;
pub mod execution;
mod extract;
pub mod janitor;
pub mod linking;
pub mod mcp;
mod metrics;
mod routes;
mod runlog;
mod views;
mod web_session;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use actionhub_engine::FrontClient;
use actionhub_store::Store;
use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use tokio::net::TcpListener;

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
}

impl AppState {
    pub fn new(store: Store, front: FrontClient, public_url: &str) -> AppState {
        AppState {
            run_log: RunLog::new(store.clone()),
            store,
            front,
            public_url: public_url.trim_end_matches('/').to_owned(),
            metrics: Arc::new(Metrics::default()),
        }
    }
}

/// The hub's routes with request logging.
pub fn app(state: AppState) -> Router {
    routes::router(state).layer(middleware::from_fn(log_request))
}

/// Serves `app(state)` on `listener` until `shutdown` resolves, then finishes the requests in
/// flight (and the runs whose callers have gone) and writes the run log's last entries.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let run_log = state.run_log.clone();
    let served = axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await;
    run_log.finish().await;
    served
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
