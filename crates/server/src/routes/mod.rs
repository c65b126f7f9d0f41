//! The routes, one module per resource. Handlers stay thin: extract, call the store, the engine
//! or [`crate::linking`], shape the response.

mod accounts;
mod actions;
mod health;
mod hub;
mod pages;
mod runs;
mod sessions;
mod webhooks;

use axum::Router;
use axum::http::{Method, Uri};
use axum::routing::{get, post};

use crate::AppState;
use crate::error::ApiError;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route(crate::mcp::PATH, crate::mcp::route(&state))
        .route("/metrics", get(runs::metrics))
        .route("/actions", get(actions::meta))
        .route("/actions/rpc", post(actions::rpc))
        .route("/actions/search", post(actions::search))
        .route("/runs", get(runs::list))
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route(
            "/accounts/{id}",
            get(accounts::show)
                .patch(accounts::update)
                .delete(accounts::remove),
        )
        .route("/accounts/{id}/meta", get(accounts::meta))
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route(
            "/webhooks/{id}",
            get(webhooks::show)
                .patch(webhooks::update)
                .delete(webhooks::remove),
        )
        .route(
            "/webhooks/{id}/rotate-secret",
            post(webhooks::rotate_secret),
        )
        .route("/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route(
            "/webhooks/{id}/deliveries/{delivery_id}/retry",
            post(webhooks::retry),
        )
        .route("/webhooks/{id}/replay", post(webhooks::replay))
        .route("/connect_sessions", post(sessions::create))
        .route(
            "/connect_sessions/authenticate",
            post(sessions::authenticate),
        )
        .route("/assets/{name}", get(pages::asset_file))
        .route(
            "/connectors/{key}/guides/link-account/api-token",
            get(pages::guide),
        )
        .route("/link", get(pages::link).post(pages::link_submit))
        .route("/dashboard", get(pages::dashboard))
        .route(
            "/dashboard/sign-in",
            get(pages::sign_in_form).post(pages::sign_in),
        )
        .route("/dashboard/sign-out", post(pages::sign_out))
        .route(
            "/dashboard/accounts/{id}/remove",
            post(pages::remove_account),
        )
        .route("/dashboard/connect-links", post(pages::new_connect_link))
        .route("/dashboard/webhooks", get(pages::webhooks))
        .route(
            "/dashboard/webhooks/{id}/deliveries/{delivery_id}/retry",
            post(pages::retry_delivery),
        )
        .route("/hub/settings", get(hub::settings))
        .route("/hub/connectors", get(hub::connectors))
        .route("/hub/connectors/{id}", get(hub::connector_config))
        .route("/hub/accounts", post(hub::link))
        .route("/hub/accounts/{id}", get(hub::show).patch(hub::update))
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
