//! The routes, one module per resource. Handlers stay thin: extract, call the store, the engine
//! or [`crate::linking`], shape the response.

mod accounts;
mod health;
mod hub;
mod sessions;

use axum::Router;
use axum::http::{Method, Uri};
use axum::routing::{get, post};

use crate::AppState;
use crate::error::ApiError;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route(
            "/accounts/{id}",
            get(accounts::show)
                .patch(accounts::update)
                .delete(accounts::remove),
        )
        .route("/connect_sessions", post(sessions::create))
        .route(
            "/connect_sessions/authenticate",
            post(sessions::authenticate),
        )
        .route("/hub/accounts", post(hub::link))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()))
}
