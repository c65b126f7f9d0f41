//! The routes, one module per resource. Handlers stay thin: extract, call the store, the engine
//! or [`crate::linking`], shape the response.
//!
//! Each route is registered with `routes!(handler, …)`, which reads the method and path from
//! the handler's `#[utoipa::path]` attribute: the router and the OpenAPI document
//! ([`crate::openapi`]) are made by the same call, so adding a route means writing that
//! attribute and one `.routes(routes!(…))` line here.

mod accounts;
mod actions;
mod approvals;
mod health;
mod hub;
mod pages;
mod policy;
mod runs;
mod sessions;
mod webhooks;

use std::sync::Arc;

use axum::http::{Method, Uri};
use axum::{Extension, Router};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt as _};
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::openapi::{self, Published, PublishedCell};

pub fn router(state: AppState) -> Router {
    let published = PublishedCell::default();
    let with_document = |route: utoipa_axum::router::UtoipaMethodRouter<AppState>| {
        route.layer(Extension(Arc::clone(&published)))
    };
    let (router, document) = OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(health::healthz))
        .routes(routes!(runs::metrics))
        .routes(with_document(routes!(openapi::document)))
        .routes(with_document(routes!(pages::api_reference)))
        .routes(crate::mcp::route(&state))
        .routes(routes!(actions::meta))
        .routes(routes!(actions::rpc))
        .routes(routes!(actions::search))
        .routes(routes!(runs::list))
        .routes(routes!(accounts::list, accounts::create))
        .routes(routes!(accounts::show, accounts::update, accounts::remove))
        .routes(routes!(accounts::meta))
        .routes(routes!(approvals::list))
        .routes(routes!(approvals::show))
        .routes(routes!(approvals::approve))
        .routes(routes!(approvals::reject))
        .routes(routes!(policy::show_project, policy::put_project))
        .routes(routes!(
            policy::show_account,
            policy::put_account,
            policy::remove_account
        ))
        .routes(routes!(policy::explain))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::show, webhooks::update, webhooks::remove))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::retry))
        .routes(routes!(webhooks::replay))
        .routes(routes!(sessions::create))
        .routes(routes!(sessions::authenticate))
        .routes(routes!(hub::settings))
        .routes(routes!(hub::connectors))
        .routes(routes!(hub::connector_config))
        .routes(routes!(hub::link))
        .routes(routes!(hub::show, hub::update))
        .routes(routes!(pages::asset_file))
        .routes(routes!(pages::guide))
        .routes(routes!(pages::link, pages::link_submit))
        .routes(routes!(pages::dashboard))
        .routes(routes!(pages::sign_in_form, pages::sign_in))
        .routes(routes!(pages::sign_out))
        .routes(routes!(pages::remove_account))
        .routes(routes!(pages::new_connect_link))
        .routes(routes!(pages::webhooks))
        .routes(routes!(pages::retry_delivery))
        .split_for_parts();
    match Published::new(&document) {
        Ok(document) => {
            let _ = published.set(document);
        }
        // The handlers answer "internal error" and log it; the rest of the hub still serves.
        Err(error) => tracing::error!(%error, "the OpenAPI document cannot be serialized"),
    }
    router
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
