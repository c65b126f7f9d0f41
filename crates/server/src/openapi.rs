//! The hub's OpenAPI 3.1 document (`GET /openapi.json`), built from the code rather than
//! written beside it.
//!
//! Every route is registered with `utoipa_axum::routes!(handler)` ([`crate::routes::router`]):
//! the method and path in the handler's `#[utoipa::path(...)]` attribute make both the axum
//! route and its operation in the document, so a route cannot be added without its
//! description. `tests/openapi.rs` walks the built router and fails on any route the document
//! lacks (a route added with a plain `.route(...)`), and calls every documented operation.
//!
//! Request and response schemas are the `ToSchema` of the very types the handlers read and
//! write; only answers written byte by byte (`/actions/rpc`) or by another crate (`/mcp`) are
//! described by hand. Every error answer is StackOne's [`ErrorBody`].

use std::sync::{Arc, OnceLock};

use axum::Extension;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use maud::Markup;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi as _};

use crate::error::{ApiError, ErrorBody};

/// The security scheme of the platform routes: the API key as HTTP Basic user name.
pub const API_KEY: &str = "api_key";
/// The security scheme of `/hub/*`: a connect session's token in `x-hub-session-token`.
pub const HUB_SESSION: &str = "hub_session";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "actionhub",
        description = "A self-hosted integration hub for Front with StackOne's API: run Front actions for linked accounts (`/actions/rpc`), browse the catalogue, link accounts through connect sessions and the Hub, and serve the same actions to agents over MCP.\n\nPlatform routes authenticate with an API key as the HTTP Basic user name and an empty password (`Authorization: Basic base64(KEY + \":\")`); the Hub API with a connect session's token in `x-hub-session-token`. Every error answer is StackOne's body `{statusCode, message, timestamp}`, with `provider_errors` when Front refused the call.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "Actions", description = "Run Front actions and browse the catalogue (StackOne's Actions API)."),
        (name = "Accounts", description = "Linked Front accounts (StackOne's `LinkedAccount`; credentials are never returned)."),
        (name = "Connect sessions", description = "Short-lived, single-use tokens with which an end user links an account in the Hub."),
        (name = "Hub", description = "The API behind the Hub pages, authenticated by a connect session (`x-hub-session-token`); shaped like StackOne's so that `@stackone/hub` can use it."),
        (name = "MCP", description = "Model Context Protocol over streamable HTTP, for agents."),
        (name = "Approvals", description = "Policies that allow, deny or hold calls for a person's approval, and the held calls (approvals) with their decisions and answers."),
        (name = "Webhooks", description = "Endpoints that receive Front's events and the hub's own as signed Standard Webhooks messages, and their delivery log."),
        (name = "Runs", description = "The run log: every action run, without bodies or secrets."),
        (name = "Operations", description = "Health, metrics and this document."),
        (name = "Pages", description = "HTML pages for people (end users, developers) and the files they load."),
    ),
    components(schemas(ErrorBody)),
    modifiers(&SecuritySchemes),
)]
struct ApiDoc;

/// The document's fixed parts (info, tags, security schemes), which the routes then fill.
pub fn base() -> OpenApi {
    ApiDoc::openapi()
}

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            API_KEY,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "An API key (`actionhub keys create`) as the user name, the password empty.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            HUB_SESSION,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-hub-session-token",
                "A connect session's token (`POST /connect_sessions` answers it).",
            ))),
        );
    }
}

/// The document as served: built with the router, serialized and rendered once.
#[derive(Debug)]
pub struct Published {
    pub json: Bytes,
    /// The reference page (`/docs/api`), rendered from the same document.
    pub reference: Markup,
}

impl Published {
    pub fn new(document: &OpenApi) -> Result<Published, serde_json::Error> {
        let value = serde_json::to_value(document)?;
        let json = Bytes::from(serde_json::to_vec(&value)?);
        let reference = actionhub_pages::api_reference(&value);
        Ok(Published { json, reference })
    }
}

/// Where the document's handlers find it: the routes are registered before the document they
/// make exists, so the router fills this once it is built.
pub type PublishedCell = Arc<OnceLock<Published>>;

/// The published document, or an internal error if the router was built without one.
pub fn published(cell: &PublishedCell) -> Result<&Published, ApiError> {
    cell.get().ok_or_else(|| {
        tracing::error!("the OpenAPI document was not published");
        ApiError::Internal
    })
}

/// This OpenAPI document
///
/// Every route of the hub: its parameters, bodies, answers, examples and authentication.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi_document",
    tag = "Operations",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of every route of this hub", body = Object, content_type = "application/json"),
        (status = "default", description = "Any error", body = ErrorBody),
    ),
)]
pub async fn document(Extension(cell): Extension<PublishedCell>) -> Response {
    match published(&cell) {
        Ok(published) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            published.json.clone(),
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}
