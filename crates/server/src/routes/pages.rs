//! The Hub's web pages: the scope guide, the end user's link page, the developer's dashboard,
//! and the files they use. The HTML comes from `actionhub-pages`; this module only finds the
//! data, checks who is asking, and sets the security headers.
//!
//! Who may see what: the guide is public documentation; `/link` needs a live connect-session
//! token; the dashboard needs a sign-in with an API key, and shows only that key's project.

use std::time::Duration;

use actionhub_catalog::{Action, Catalog, Connector};
use actionhub_pages::{
    AccountPolicy, AccountRow, AccountsPage, ApprovalDecision, ApprovalOutcome, ApprovalPage,
    ApprovalRow, ApprovalsPage, CONTENT_SECURITY_POLICY, DeliveryRow, EndpointRow, GuideSelection,
    LinkOutcome, LinkPage, LinkUnavailable, Moment, PolicyPage, RefusedEdit, RuleRow, SignedIn,
    WebhooksPage, accounts_page, approval_page, approvals_page, asset, link_page,
    link_unavailable_page, policy_page, scope_guide, sign_in_page, webhooks_page,
};
use actionhub_store::{
    AccountFilter, ApiKey, Approval, ApprovalFilter, ApprovalStatus, ApprovalVerdict,
    AttemptRecord, ConnectSession, Delivery, Endpoint, MAX_APPROVALS_LISTED, Policy, PolicyRule,
    StoreError, Timestamp,
};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY as CSP, CONTENT_TYPE, LOCATION, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::Markup;
use secrecy::SecretString;

use crate::AppState;
use crate::approvals;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{PathId, PathIds, refuse_nul};
use crate::openapi::{PublishedCell, published};
use crate::routes::hub::{for_end_user, link_with_session};
use crate::routes::sessions::{CreateSession, auth_link_url};
use crate::web_session::{SESSION_COOKIE, SIGN_IN_COOKIE, SessionCookie, Signer, set_cookie};

/// The most accounts the dashboard lists on one page.
const DASHBOARD_PAGE_SIZE: u32 = 100;

/// The most recent deliveries the Webhooks page shows per endpoint.
const DASHBOARD_DELIVERIES_SHOWN: u32 = 10;

/// Who may put a page in a frame.
#[derive(Clone, Copy)]
enum Framing {
    /// The guide and the link page are meant to be embedded in the developer's app.
    Anywhere,
    /// The dashboard acts on a signed-in session: never framed (clickjacking).
    Nowhere,
}

/// An HTML page with the headers every page gets.
fn page(status: StatusCode, markup: Markup, framing: Framing) -> Response {
    let frame_ancestors = match framing {
        Framing::Anywhere => "frame-ancestors *",
        Framing::Nowhere => "frame-ancestors 'none'",
    };
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(policy) =
        HeaderValue::from_str(&format!("{CONTENT_SECURITY_POLICY}; {frame_ancestors}"))
    {
        headers.insert(CSP, policy);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // Pages carry tokens, CSRF tokens or account data: never keep them in a shared cache.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn redirect(to: &str, headers: HeaderMap) -> Response {
    let Ok(location) = HeaderValue::from_str(to) else {
        return internal_error_page();
    };
    let mut response = (StatusCode::SEE_OTHER, headers).into_response();
    response.headers_mut().insert(LOCATION, location);
    response
}

/// Name → values of a query string or a form body, keys repeated for several values.
fn pairs(encoded: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(encoded).into_owned().collect()
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// A file the pages load
///
/// An embedded stylesheet, script or icon, or StackOne's 404 body.
#[utoipa::path(
    get,
    path = "/assets/{name}",
    operation_id = "asset_file",
    tag = "Pages",
    params(("name" = String, Path, description = "The file's name", example = "hub.css")),
    responses(
        (status = 200, description = "The file", content(
            (String = "text/css"),
            (String = "text/javascript"),
            (String = "image/svg+xml"),
        )),
        (status = 404, description = "No such file", body = ErrorBody),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn asset_file(PathId(name): PathId) -> Response {
    match asset(&format!("/assets/{name}")) {
        Some(file) => {
            let mut response = file.body.into_response();
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(file.content_type));
            headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            headers.insert(
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            response
        }
        None => ApiError::NotFound(format!("no asset `{}`", actionhub_catalog::echo(&name)))
            .into_response(),
    }
}

/// The scope guide (HTML)
///
/// Pick actions, see the Front token scopes they need, copy them or a URL that reopens the
/// guide with the same selection; then the steps to create the token. With no `actions` it
/// covers every action; `actions=` (empty) selects none. The form the page falls back to
/// without scripts sends `action=ID` once per action, which is accepted too.
#[utoipa::path(
    get,
    path = "/connectors/{key}/guides/link-account/api-token",
    operation_id = "scope_guide_page",
    tag = "Pages",
    params(
        ("key" = String, Path, description = "The connector's key", example = "front"),
        ("actions" = Option<String>, Query, description = "The selected actions, comma-separated", example = "front_list_conversations,front_add_conversation_tag"),
        ("action" = Option<Vec<String>>, Query, explode, description = "The selected actions, one per parameter (the form without scripts)"),
    ),
    responses(
        (status = 200, description = "The guide", body = String, content_type = "text/html"),
        (status = 404, description = "No such connector", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn guide(
    State(state): State<AppState>,
    PathId(key): PathId,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(connector) = Catalog::builtin().connector(&key) else {
        return not_found_page("There is no guide for this connector.");
    };
    let query = pairs(query.unwrap_or_default().as_bytes());
    let listed = first(&query, "actions").map(actionhub_catalog::parse_guide_selection);
    let ticked: Vec<String> = query
        .iter()
        .filter(|(key, _)| key == "action")
        .map(|(_, id)| id.clone())
        .collect();
    // Unknown ids in a shared URL are skipped rather than failing the whole page.
    let known = |ids: Vec<String>| -> Vec<&Action> {
        ids.iter()
            .filter_map(|id| connector.action(id).ok())
            .collect()
    };
    let selection = match (listed, ticked.is_empty()) {
        (Some(listed), _) => Some(known(listed)),
        (None, false) => Some(known(ticked)),
        (None, true) => None,
    };
    let selection = match &selection {
        Some(actions) => GuideSelection::Only(actions),
        None => GuideSelection::Core,
    };
    page(
        StatusCode::OK,
        scope_guide(connector, selection, &state.public_url),
        Framing::Anywhere,
    )
}

/// The Hub's link page (HTML)
///
/// The page an end user opens from a connect session's `auth_link_url`: the actions they are
/// asked to allow, the scope guide, and the form where they paste their Front API token.
#[utoipa::path(
    get,
    path = "/link",
    operation_id = "link_page",
    tag = "Pages",
    params(("token" = String, Query, description = "The connect session's token", example = "ahs_7Hk2pQ9vX4mN1bR8tY6wE3zL")),
    responses(
        (status = 200, description = "The link page", body = String, content_type = "text/html"),
        (status = 404, description = "The token is unknown", body = String, content_type = "text/html"),
        (status = 410, description = "The link expired or was used", body = String, content_type = "text/html"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn link(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = pairs(query.unwrap_or_default().as_bytes());
    let token = first(&query, "token").unwrap_or_default();
    match live_session(&state, token).await {
        Ok(session) => render_link_page(&session, token, None),
        Err(response) => response,
    }
}

/// Link from the link page's form (HTML)
///
/// Links without scripts (form fields `token`, `api_token`) and shows the outcome.
#[utoipa::path(
    post,
    path = "/link",
    operation_id = "link_page_submit",
    tag = "Pages",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`token`: the connect session's token; `api_token`: the Front API token"),
    responses(
        (status = 200, description = "Linked", body = String, content_type = "text/html"),
        (status = 422, description = "Refused, with the reason beside the token field", body = String, content_type = "text/html"),
        (status = 404, description = "The session token is unknown", body = String, content_type = "text/html"),
        (status = 410, description = "The link expired or was used", body = String, content_type = "text/html"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn link_submit(State(state): State<AppState>, body: Bytes) -> Response {
    let form = pairs(&body);
    let token = first(&form, "token").unwrap_or_default();
    let session = match live_session(&state, token).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let api_token = SecretString::from(first(&form, "api_token").unwrap_or_default());
    match link_with_session(&state, &session, api_token).await {
        Ok(linked) => {
            let outcome = LinkOutcome::Linked {
                account_id: &linked.account.id,
                company_name: &linked.account.provider_account_name,
                redirect_url: session.redirect_url.as_deref(),
            };
            render_link_page(&session, token, Some(outcome))
        }
        Err(error) => {
            let reason = for_end_user(&error);
            render_link_page(
                &session,
                token,
                Some(LinkOutcome::Refused { reason: &reason }),
            )
        }
    }
}

/// The session a link token opens, or the page explaining why it cannot be used.
async fn live_session(state: &AppState, token: &str) -> Result<ConnectSession, Response> {
    let (status, reason) = match state.store.session_by_token(token.trim(), None).await {
        Ok(session) => return Ok(session),
        Err(StoreError::SessionExpired) => (StatusCode::GONE, LinkUnavailable::Expired),
        Err(StoreError::SessionSpent) => (StatusCode::GONE, LinkUnavailable::AlreadyUsed),
        Err(StoreError::SessionUnknown) => (StatusCode::NOT_FOUND, LinkUnavailable::Unknown),
        Err(error) => {
            tracing::error!(%error, "cannot read a connect session");
            return Err(internal_error_page());
        }
    };
    Err(page(
        status,
        link_unavailable_page(reason),
        Framing::Anywhere,
    ))
}

fn render_link_page(
    session: &ConnectSession,
    token: &str,
    outcome: Option<LinkOutcome<'_>>,
) -> Response {
    let Some(connector) = session_connector(session) else {
        return internal_error_page();
    };
    let actions: Vec<&Action> = session
        .actions
        .iter()
        .flatten()
        .filter_map(|id| connector.action(id).ok())
        .collect();
    let status = match outcome {
        Some(LinkOutcome::Refused { .. }) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let view = LinkPage {
        connector,
        session_token: token,
        owner_name: &session.origin_owner_name,
        actions: &actions,
        editing_account: session.account_id.as_deref(),
        redirect_url: session.redirect_url.as_deref(),
        outcome,
    };
    page(status, link_page(&view), Framing::Anywhere)
}

fn session_connector(session: &ConnectSession) -> Option<&'static Connector> {
    Catalog::builtin().connector(session.provider.as_deref().unwrap_or("front"))
}

fn not_found_page(message: &'static str) -> Response {
    page(
        StatusCode::NOT_FOUND,
        actionhub_pages::message_page("Not found", message),
        Framing::Anywhere,
    )
}

fn internal_error_page() -> Response {
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        actionhub_pages::message_page(
            "Something went wrong",
            "The hub could not show this page. Try again in a moment.",
        ),
        Framing::Nowhere,
    )
}

/// The signed-in developer, from the session cookie, if the API key is still valid and the
/// session was not signed out.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Option<(SessionCookie, ApiKey)> {
    let session = Signer::new(&state.store, &state.public_url).session(headers)?;
    match state.store.dashboard_session_ended(&session.nonce).await {
        Ok(false) => {}
        Ok(true) => return None,
        Err(error) => {
            tracing::error!(%error, "cannot check whether a dashboard session was signed out");
            return None;
        }
    }
    let key = state.store.api_key(&session.key_id).await.ok()?;
    key.revoked_at.is_none().then_some((session, key))
}

/// What every dashboard page shows of its session: the CSRF token of its forms and the number
/// of approvals waiting for a decision.
struct Frame {
    csrf_token: String,
    pending_approvals: usize,
}

impl Frame {
    async fn of(
        state: &AppState,
        session: &SessionCookie,
        key: &ApiKey,
    ) -> Result<Frame, Response> {
        let filter = ApprovalFilter {
            status: Some(ApprovalStatus::Pending),
            before: None,
            limit: MAX_APPROVALS_LISTED,
        };
        let pending = match state.store.list_approvals(&key.project_id, &filter).await {
            Ok(pending) => pending,
            Err(error) => {
                tracing::error!(%error, "cannot count pending approvals for the dashboard");
                return Err(internal_error_page());
            }
        };
        let now = Timestamp::now();
        let decidable = pending
            .iter()
            .filter(|approval| shown_status(approval, now) == ApprovalStatus::Pending);
        Ok(Frame {
            csrf_token: Signer::new(&state.store, &state.public_url).csrf_token(&session.nonce),
            pending_approvals: decidable.count(),
        })
    }

    fn signed_in<'a>(&'a self, key: &'a ApiKey) -> SignedIn<'a> {
        SignedIn {
            project: &key.project_name,
            csrf_token: &self.csrf_token,
            pending_approvals: self.pending_approvals,
        }
    }
}

/// The developer's dashboard (HTML)
///
/// The project's linked accounts and a form for new connect links, once signed in with an API
/// key (`/dashboard/sign-in`); otherwise a redirect there.
#[utoipa::path(
    get,
    path = "/dashboard",
    operation_id = "dashboard_page",
    tag = "Pages",
    responses(
        (status = 200, description = "The Accounts page", body = String, content_type = "text/html"),
        (status = 303, description = "Not signed in: to `/dashboard/sign-in`"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn dashboard(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match signed_in(&state, &headers).await {
        Some((session, key)) => accounts(&state, &session, &key, None, None).await,
        None => redirect("/dashboard/sign-in", HeaderMap::new()),
    }
}

async fn accounts(
    state: &AppState,
    session: &SessionCookie,
    key: &ApiKey,
    new_link: Option<&str>,
    form_error: Option<&str>,
) -> Response {
    let filter = AccountFilter {
        page_size: DASHBOARD_PAGE_SIZE,
        ..AccountFilter::default()
    };
    let accounts = match state.store.list_accounts(&key.project_id, &filter).await {
        Ok(accounts) => accounts,
        Err(error) => {
            tracing::error!(%error, "cannot list accounts for the dashboard");
            return internal_error_page();
        }
    };
    let Some(connector) = Catalog::builtin().connector("front") else {
        return internal_error_page();
    };
    let linked_at: Vec<String> = accounts.iter().map(|a| a.created_at.to_string()).collect();
    let rows: Vec<AccountRow<'_>> = accounts
        .iter()
        .zip(&linked_at)
        .map(|(account, linked_at)| AccountRow {
            id: &account.id,
            owner_id: &account.origin_owner_id,
            owner_name: &account.origin_owner_name,
            company_name: Some(account.provider_account_name.as_str()),
            status: account.status.as_str(),
            status_reason: account
                .status_reasons
                .last()
                .map(|r| r.description.as_str()),
            linked_at,
            allowed_actions: account.allowed_actions.as_deref().unwrap_or_default(),
        })
        .collect();
    let frame = match Frame::of(state, session, key).await {
        Ok(frame) => frame,
        Err(response) => return response,
    };
    let view = AccountsPage {
        connector,
        signed_in: frame.signed_in(key),
        accounts: &rows,
        new_link,
        form_error,
    };
    let status = if form_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(status, accounts_page(&view), Framing::Nowhere)
}

/// The dashboard's sign-in page (HTML)
#[utoipa::path(
    get,
    path = "/dashboard/sign-in",
    operation_id = "dashboard_sign_in_page",
    tag = "Pages",
    responses(
        (status = 200, description = "The sign-in form", body = String, content_type = "text/html"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn sign_in_form(State(state): State<AppState>) -> Response {
    sign_in_response(&state, StatusCode::OK, None)
}

fn sign_in_response(state: &AppState, status: StatusCode, error: Option<&str>) -> Response {
    let signer = Signer::new(&state.store, &state.public_url);
    let Ok(nonce) = Signer::nonce() else {
        return internal_error_page();
    };
    let mut response = page(
        status,
        sign_in_page(&signer.csrf_token(&nonce), error),
        Framing::Nowhere,
    );
    set_cookie(response.headers_mut(), &signer.sign_in_cookie(&nonce));
    response
}

/// Sign in to the dashboard (form)
///
/// With an API key (form fields `api_key`, `csrf`); sets the session cookie.
#[utoipa::path(
    post,
    path = "/dashboard/sign-in",
    operation_id = "dashboard_sign_in",
    tag = "Pages",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`api_key`: an API key; `csrf`: the form's token"),
    responses(
        (status = 303, description = "Signed in: to `/dashboard`"),
        (status = 401, description = "Not a valid API key", body = String, content_type = "text/html"),
        (status = 403, description = "The form expired (CSRF)", body = String, content_type = "text/html"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn sign_in(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = pairs(&body);
    let signer = Signer::new(&state.store, &state.public_url);
    let csrf_ok = Signer::sign_in_nonce(&headers)
        .is_some_and(|nonce| signer.csrf_matches(&nonce, first(&form, "csrf").unwrap_or_default()));
    if !csrf_ok {
        return sign_in_response(
            &state,
            StatusCode::FORBIDDEN,
            Some("The sign-in form expired. Try again."),
        );
    }
    let presented = first(&form, "api_key").unwrap_or_default().trim();
    let principal = match state.store.authenticate(presented).await {
        Ok(principal) => principal,
        Err(StoreError::RevokedApiKey) => {
            return sign_in_response(
                &state,
                StatusCode::UNAUTHORIZED,
                Some("This API key has been revoked."),
            );
        }
        Err(StoreError::InvalidApiKey) => {
            return sign_in_response(
                &state,
                StatusCode::UNAUTHORIZED,
                Some("This is not a valid API key for this hub."),
            );
        }
        Err(error) => {
            tracing::error!(%error, "cannot check an API key");
            return internal_error_page();
        }
    };
    let Ok(nonce) = Signer::nonce() else {
        return internal_error_page();
    };
    let mut cookies = HeaderMap::new();
    set_cookie(
        &mut cookies,
        &signer.session_cookie(&principal.key_id, &nonce),
    );
    set_cookie(&mut cookies, &signer.removal(SIGN_IN_COOKIE));
    redirect("/dashboard", cookies)
}

/// A dashboard form's session, if it is signed in and its CSRF token matches.
async fn form_session(
    state: &AppState,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<(SessionCookie, ApiKey), Response> {
    let Some((session, key)) = signed_in(state, headers).await else {
        return Err(redirect("/dashboard/sign-in", HeaderMap::new()));
    };
    let signer = Signer::new(&state.store, &state.public_url);
    if !signer.csrf_matches(&session.nonce, first(form, "csrf").unwrap_or_default()) {
        return Err(page(
            StatusCode::FORBIDDEN,
            actionhub_pages::message_page(
                "Form expired",
                "This form is no longer valid. Go back, reload the page and try again.",
            ),
            Framing::Nowhere,
        ));
    }
    Ok((session, key))
}

/// Sign out of the dashboard (form)
///
/// Form field `csrf`. Ends the session on the hub too, so that a copy of the cookie (and its
/// CSRF token) no longer works either.
#[utoipa::path(
    post,
    path = "/dashboard/sign-out",
    operation_id = "dashboard_sign_out",
    tag = "Pages",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`csrf`: the form's token"),
    responses(
        (status = 303, description = "Signed out (or not signed in): to `/dashboard/sign-in`"),
        (status = 403, description = "The form expired (CSRF)", body = String, content_type = "text/html"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let session = match form_session(&state, &headers, &pairs(&body)).await {
        Ok((session, _)) => session,
        Err(response) => return response,
    };
    if let Err(error) = state
        .store
        .end_dashboard_session(&session.nonce, session.expires_at)
        .await
    {
        tracing::error!(%error, "cannot end a dashboard session");
        return internal_error_page();
    }
    let mut cookies = HeaderMap::new();
    set_cookie(
        &mut cookies,
        &Signer::new(&state.store, &state.public_url).removal(SESSION_COOKIE),
    );
    redirect("/dashboard/sign-in", cookies)
}

/// Remove an account from the dashboard (form)
#[utoipa::path(
    post,
    path = "/dashboard/accounts/{id}/remove",
    operation_id = "dashboard_remove_account",
    tag = "Pages",
    params(("id" = String, Path, description = "The account's id", example = "acc_4Zp0qL8sT2vX6nB1cR9e")),
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`csrf`: the form's token"),
    responses(
        (status = 303, description = "Removed (or not signed in): to the dashboard"),
        (status = 403, description = "The form expired (CSRF)", body = String, content_type = "text/html"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn remove_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathId(id): PathId,
    body: Bytes,
) -> Response {
    let key = match form_session(&state, &headers, &pairs(&body)).await {
        Ok((_, key)) => key,
        Err(response) => return response,
    };
    match state.store.delete_account(&key.project_id, &id).await {
        Ok(_) | Err(StoreError::NotFound) => redirect("/dashboard", HeaderMap::new()),
        Err(error) => {
            tracing::error!(%error, "cannot remove an account");
            internal_error_page()
        }
    }
}

/// Make a connect link from the dashboard (form)
///
/// Form fields `owner_id`, `owner_name`, `action` (once per allowed action), `csrf`; shows the
/// Accounts page with the new link.
#[utoipa::path(
    post,
    path = "/dashboard/connect-links",
    operation_id = "dashboard_new_connect_link",
    tag = "Pages",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`owner_id`, `owner_name`, `action` (repeated), `csrf`"),
    responses(
        (status = 200, description = "The Accounts page with the new link", body = String, content_type = "text/html"),
        (status = 303, description = "Not signed in: to `/dashboard/sign-in`"),
        (status = 403, description = "The form expired (CSRF)", body = String, content_type = "text/html"),
        (status = 422, description = "The form is invalid; the page says why", body = String, content_type = "text/html"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn new_connect_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let (session, key) = match form_session(&state, &headers, &form).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    if let Some(refused) = form
        .iter()
        .find_map(|(name, value)| refuse_nul(name, value).err())
    {
        return accounts(&state, &session, &key, None, Some(&refused.to_string())).await;
    }
    let actions: Vec<String> = form
        .iter()
        .filter(|(name, _)| name == "action")
        .map(|(_, id)| id.clone())
        .collect();
    let request = CreateSession {
        origin_owner_id: first(&form, "owner_id").unwrap_or_default().to_owned(),
        origin_owner_name: first(&form, "owner_name").unwrap_or_default().to_owned(),
        actions: (!actions.is_empty()).then_some(actions),
        ..CreateSession::default()
    };
    let new = match request.validate() {
        Ok(new) => new,
        Err(error) => {
            return accounts(&state, &session, &key, None, Some(&error.to_string())).await;
        }
    };
    match state.store.create_session(&key.project_id, new).await {
        Ok((_, token)) => {
            let link = auth_link_url(&state.public_url, &token);
            accounts(&state, &session, &key, Some(&link), None).await
        }
        Err(error) => {
            tracing::error!(%error, "cannot create a connect session from the dashboard");
            internal_error_page()
        }
    }
}

/// This API's reference (HTML)
///
/// `/openapi.json` made readable: the operations by tag, their parameters, bodies, answers and
/// examples.
#[utoipa::path(
    get,
    path = "/docs/api",
    operation_id = "api_reference_page",
    tag = "Pages",
    responses(
        (status = 200, description = "The reference", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn api_reference(Extension(cell): Extension<PublishedCell>) -> Response {
    match published(&cell) {
        Ok(document) => page(
            StatusCode::OK,
            document.reference.clone(),
            Framing::Anywhere,
        ),
        Err(error) => error.into_response(),
    }
}

/// The dashboard's Webhooks page (HTML)
///
/// The project's webhook endpoints with their recent deliveries, each with a Retry button.
#[utoipa::path(
    get,
    path = "/dashboard/webhooks",
    operation_id = "dashboard_webhooks",
    tag = "Pages",
    responses(
        (status = 200, description = "The Webhooks page", body = String, content_type = "text/html"),
        (status = 303, description = "Not signed in: to `/dashboard/sign-in`"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn webhooks(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some((session, key)) = signed_in(&state, &headers).await else {
        return redirect("/dashboard/sign-in", HeaderMap::new());
    };
    let endpoints = match state.store.list_endpoints(&key.project_id).await {
        Ok(endpoints) => endpoints,
        Err(error) => {
            tracing::error!(%error, "cannot list webhook endpoints for the dashboard");
            return internal_error_page();
        }
    };
    let mut listed: Vec<(Endpoint, Vec<Delivery>)> = Vec::with_capacity(endpoints.len());
    for endpoint in endpoints {
        match state
            .store
            .list_deliveries(&key.project_id, &endpoint.id, DASHBOARD_DELIVERIES_SHOWN)
            .await
        {
            Ok(deliveries) => listed.push((endpoint, deliveries)),
            // Removed since it was listed: nothing to show.
            Err(StoreError::NotFound) => {}
            Err(error) => {
                tracing::error!(%error, "cannot list webhook deliveries for the dashboard");
                return internal_error_page();
            }
        }
    }
    let rows: Vec<EndpointRow<'_>> = listed
        .iter()
        .map(|(endpoint, deliveries)| EndpointRow {
            id: &endpoint.id,
            url: &endpoint.url,
            events: &endpoint.event_types,
            description: endpoint.description.as_deref(),
            disabled_at: endpoint.disabled_at.map(|at| at.to_string()),
            failing_since: endpoint.failing_since.map(|at| at.to_string()),
            deliveries: deliveries
                .iter()
                .map(|delivery| DeliveryRow {
                    id: &delivery.id,
                    event_type: &delivery.event_type,
                    status: &delivery.status,
                    created_at: delivery.created_at.to_string(),
                    next_attempt_at: delivery.next_attempt_at.map(|at| at.to_string()),
                    attempts: delivery.attempts.len(),
                    last_outcome: delivery.attempts.last().map(attempt_outcome),
                })
                .collect(),
        })
        .collect();
    let frame = match Frame::of(&state, &session, &key).await {
        Ok(frame) => frame,
        Err(response) => return response,
    };
    let view = WebhooksPage {
        signed_in: frame.signed_in(&key),
        endpoints: &rows,
    };
    page(StatusCode::OK, webhooks_page(&view), Framing::Nowhere)
}

/// What an attempt gave, in a few words: the receiver's status code, or what went wrong.
fn attempt_outcome(attempt: &AttemptRecord) -> String {
    match (attempt.status_code, attempt.error_kind.as_deref()) {
        (Some(code), _) => format!("HTTP {code}"),
        (None, Some(kind)) => kind.replace('_', " "),
        (None, None) => "no answer".to_owned(),
    }
}

/// Send a webhook delivery again from the dashboard (form)
///
/// Form field `csrf`; the same retry as `POST /webhooks/{id}/deliveries/{delivery_id}/retry`,
/// then back to the Webhooks page.
#[utoipa::path(
    post,
    path = "/dashboard/webhooks/{id}/deliveries/{delivery_id}/retry",
    operation_id = "dashboard_retry_webhook_delivery",
    tag = "Pages",
    params(
        ("id" = String, Path, description = "The endpoint's id", example = "whe_2Yq9mK4tB8rN1cX7"),
        ("delivery_id" = String, Path, description = "The delivery's id", example = "msg_2Yq9mK4tB8rN1cX7"),
    ),
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`csrf`: the form's token"),
    responses(
        (status = 303, description = "Queued again (or not signed in): to the Webhooks page"),
        (status = 403, description = "The form expired (CSRF)", body = String, content_type = "text/html"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn retry_delivery(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathIds(endpoint_id, delivery_id): PathIds,
    body: Bytes,
) -> Response {
    let key = match form_session(&state, &headers, &pairs(&body)).await {
        Ok((_, key)) => key,
        Err(response) => return response,
    };
    match state
        .store
        .retry_delivery(&key.project_id, &endpoint_id, &delivery_id)
        .await
    {
        // A delivery removed meanwhile (with its endpoint) is simply gone from the page.
        Ok(()) | Err(StoreError::NotFound) => redirect("/dashboard/webhooks", HeaderMap::new()),
        Err(error) => {
            tracing::error!(%error, "cannot retry a webhook delivery from the dashboard");
            internal_error_page()
        }
    }
}

/// The most recently decided approvals the Approvals page lists below the pending ones.
const DASHBOARD_DECIDED_SHOWN: u32 = 25;

/// `at` for the pages: absolute, and relative to `now`.
fn moment(at: Timestamp, now: Timestamp) -> Moment {
    Moment {
        at: at.to_string(),
        seconds_from_now: (at.millis() - now.millis()) / 1000,
    }
}

/// The dashboard's page for a path that names nothing of the signed-in project.
fn dashboard_not_found_page() -> Response {
    page(
        StatusCode::NOT_FOUND,
        actionhub_pages::message_page(
            "Not found",
            "The project of this session has nothing at this address.",
        ),
        Framing::Nowhere,
    )
}

/// The dashboard's Approvals page (HTML)
///
/// The calls the project's policy holds for a person's decision, the pending ones first, then
/// the most recently decided; each links to its page.
#[utoipa::path(
    get,
    path = "/dashboard/approvals",
    operation_id = "dashboard_approvals",
    tag = "Pages",
    responses(
        (status = 200, description = "The Approvals page", body = String, content_type = "text/html"),
        (status = 303, description = "Not signed in: to `/dashboard/sign-in`"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn approvals(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some((session, key)) = signed_in(&state, &headers).await else {
        return redirect("/dashboard/sign-in", HeaderMap::new());
    };
    let pending_filter = ApprovalFilter {
        status: Some(ApprovalStatus::Pending),
        before: None,
        limit: MAX_APPROVALS_LISTED,
    };
    let recent_filter = ApprovalFilter {
        status: None,
        before: None,
        limit: DASHBOARD_DECIDED_SHOWN,
    };
    let (pending, recent) = match tokio::try_join!(
        state.store.list_approvals(&key.project_id, &pending_filter),
        state.store.list_approvals(&key.project_id, &recent_filter),
    ) {
        Ok(lists) => lists,
        Err(error) => {
            tracing::error!(%error, "cannot list approvals for the dashboard");
            return internal_error_page();
        }
    };
    let frame = match Frame::of(&state, &session, &key).await {
        Ok(frame) => frame,
        Err(response) => return response,
    };
    let now = Timestamp::now();
    let pending: Vec<ApprovalRow<'_>> = pending
        .iter()
        .filter(|approval| shown_status(approval, now) == ApprovalStatus::Pending)
        .map(|approval| approval_row(approval, now))
        .collect();
    let decided: Vec<ApprovalRow<'_>> = recent
        .iter()
        .filter(|approval| shown_status(approval, now) != ApprovalStatus::Pending)
        .map(|approval| approval_row(approval, now))
        .collect();
    let view = ApprovalsPage {
        signed_in: frame.signed_in(&key),
        pending: &pending,
        decided: &decided,
    };
    page(StatusCode::OK, approvals_page(&view), Framing::Nowhere)
}

fn approval_row(approval: &Approval, now: Timestamp) -> ApprovalRow<'_> {
    ApprovalRow {
        id: &approval.id,
        action_id: &approval.action_id,
        action_label: Catalog::builtin()
            .action(&approval.action_id)
            .ok()
            .map(|action| action.label.as_str()),
        account_id: &approval.account_id,
        requested_by: &approval.requested_by,
        status: shown_status(approval, now).as_str(),
        expires: moment(approval.expires_at, now),
        created: moment(approval.created_at, now),
    }
}

/// An approval's status as a person deciding should read it: a pending approval past its
/// expiry is `expired` (the worker's sweep may not have come by yet; no decision can win).
fn shown_status(approval: &Approval, now: Timestamp) -> ApprovalStatus {
    match approval.status {
        ApprovalStatus::Pending if approval.expires_at <= now => ApprovalStatus::Expired,
        status => status,
    }
}

/// An approval's page on the dashboard (HTML)
///
/// The held call (action, exact input, the Front request it makes, its hints), who asked and
/// when it expires, Approve and Reject buttons while it is pending; then the decision and, once
/// the call ran, its result. This is the `approve_url` of a held call's answer.
#[utoipa::path(
    get,
    path = "/dashboard/approvals/{id}",
    operation_id = "dashboard_approval",
    tag = "Pages",
    params(("id" = String, Path, description = "The approval's id", example = "apr_7Hk2pQ9vX4mN1bR8tY6w")),
    responses(
        (status = 200, description = "The approval's page", body = String, content_type = "text/html"),
        (status = 303, description = "Not signed in: to `/dashboard/sign-in`"),
        (status = 404, description = "The project has no such approval", body = String, content_type = "text/html"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn approval(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathId(id): PathId,
) -> Response {
    let Some((session, key)) = signed_in(&state, &headers).await else {
        return redirect("/dashboard/sign-in", HeaderMap::new());
    };
    show_approval(&state, &session, &key, &id, StatusCode::OK, None).await
}

/// The page of approval `id` of the session's project, with `status` and `notice` (why a
/// decision was refused).
async fn show_approval(
    state: &AppState,
    session: &SessionCookie,
    key: &ApiKey,
    id: &str,
    status: StatusCode,
    notice: Option<&str>,
) -> Response {
    let approval = match state.store.approval(&key.project_id, id).await {
        Ok(approval) => approval,
        Err(StoreError::NotFound) => return dashboard_not_found_page(),
        Err(error) => {
            tracing::error!(%error, "cannot read an approval for the dashboard");
            return internal_error_page();
        }
    };
    let frame = match Frame::of(state, session, key).await {
        Ok(frame) => frame,
        Err(response) => return response,
    };
    let now = Timestamp::now();
    let action = Catalog::builtin().action(&approval.action_id).ok();
    // Path parameters filled in exactly as the engine sends them.
    let front_request = action.and_then(|action| {
        actionhub_engine::request::build("", action, &approval.input)
            .ok()
            .map(|request| format!("{} {}", request.method, request.url))
    });
    let decision = match (&approval.decided_by, approval.decided_at) {
        (Some(decided_by), Some(decided_at)) => Some(ApprovalDecision {
            decided_by,
            decided_at: moment(decided_at, now),
            reason: approval.reason.as_deref(),
        }),
        _ => None,
    };
    let view = ApprovalPage {
        signed_in: frame.signed_in(key),
        id: &approval.id,
        action_id: &approval.action_id,
        action,
        front_request: front_request.as_deref(),
        account_id: &approval.account_id,
        input: &approval.input,
        requested_by: &approval.requested_by,
        status: shown_status(&approval, now).as_str(),
        expires: moment(approval.expires_at, now),
        created: moment(approval.created_at, now),
        decision,
        outcome: approval.result.as_ref().map(|result| ApprovalOutcome {
            status: result.status,
            body: &result.body,
        }),
        notice,
    };
    page(status, approval_page(&view), Framing::Nowhere)
}

/// How long an Approve waits for the call to finish before showing the approval's page, so
/// that the approver usually sees the result at once (the page reloads itself while it runs).
const APPROVED_RUN_WAIT: Duration = Duration::from_secs(5);

/// Approve a held call from the dashboard (form)
///
/// Form field `csrf`. The same compare-and-set as `POST /approvals/{id}/approve`: the call
/// runs once, exactly as held; then back to the approval's page, with its result when the call
/// finished within a few seconds.
#[utoipa::path(
    post,
    path = "/dashboard/approvals/{id}/approve",
    operation_id = "dashboard_approve",
    tag = "Pages",
    params(("id" = String, Path, description = "The approval's id", example = "apr_7Hk2pQ9vX4mN1bR8tY6w")),
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`csrf`: the form's token"),
    responses(
        (status = 303, description = "Approved (or not signed in): to the approval's page (or the sign-in)"),
        (status = 403, description = "The form expired (CSRF)", body = String, content_type = "text/html"),
        (status = 404, description = "The project has no such approval", body = String, content_type = "text/html"),
        (status = 409, description = "Already decided or expired: the approval's page says so", body = String, content_type = "text/html"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn approve(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathId(id): PathId,
    body: Bytes,
) -> Response {
    decide_from_form(
        &state,
        &headers,
        &id,
        &pairs(&body),
        ApprovalVerdict::Approve,
    )
    .await
}

/// Reject a held call from the dashboard (form)
///
/// Form fields `csrf` and `reason` (optional). The same compare-and-set as
/// `POST /approvals/{id}/reject`; then back to the approval's page.
#[utoipa::path(
    post,
    path = "/dashboard/approvals/{id}/reject",
    operation_id = "dashboard_reject",
    tag = "Pages",
    params(("id" = String, Path, description = "The approval's id", example = "apr_7Hk2pQ9vX4mN1bR8tY6w")),
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`csrf`: the form's token; `reason`: why (optional)"),
    responses(
        (status = 303, description = "Rejected (or not signed in): to the approval's page (or the sign-in)"),
        (status = 403, description = "The form expired (CSRF)", body = String, content_type = "text/html"),
        (status = 404, description = "The project has no such approval", body = String, content_type = "text/html"),
        (status = 409, description = "Already decided or expired: the approval's page says so", body = String, content_type = "text/html"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn reject(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathId(id): PathId,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let reason = first(&form, "reason")
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
        .map(str::to_owned);
    decide_from_form(
        &state,
        &headers,
        &id,
        &form,
        ApprovalVerdict::Reject { reason },
    )
    .await
}

/// Decides approval `id` through the approvals service (so that an approved call runs), then
/// shows where it stands: a redirect to its page, or the page itself saying why the decision
/// was refused.
async fn decide_from_form(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    form: &[(String, String)],
    verdict: ApprovalVerdict,
) -> Response {
    let (session, key) = match form_session(state, headers, form).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let decided_by = format!("dashboard (API key {} ({}))", key.id, key.name);
    let approving = verdict == ApprovalVerdict::Approve;
    match approvals::decide(state, &key.project_id, id, verdict, &decided_by).await {
        Ok(decided) => {
            if approving {
                // Whatever the wait gives, the page shows the approval as it then is.
                let _ = approvals::wait_for_outcome(
                    state,
                    &key.project_id,
                    &decided.id,
                    APPROVED_RUN_WAIT,
                )
                .await;
            }
            redirect(
                &format!("/dashboard/approvals/{}", decided.id),
                HeaderMap::new(),
            )
        }
        Err(ApiError::NotFound(_)) => dashboard_not_found_page(),
        Err(ApiError::Conflict(message)) => {
            let notice = format!("This decision was not taken: {message}.");
            show_approval(
                state,
                &session,
                &key,
                id,
                StatusCode::CONFLICT,
                Some(&notice),
            )
            .await
        }
        Err(error) => {
            tracing::error!(%error, "cannot decide an approval from the dashboard");
            internal_error_page()
        }
    }
}

/// The dashboard's Policy page (HTML)
///
/// The project's policy and each account's own, rule by rule, with the rule of precedence,
/// and a form to edit the project's rules as text (accounts' own are changed through the API).
#[utoipa::path(
    get,
    path = "/dashboard/policy",
    operation_id = "dashboard_policy",
    tag = "Pages",
    responses(
        (status = 200, description = "The Policy page", body = String, content_type = "text/html"),
        (status = 303, description = "Not signed in: to `/dashboard/sign-in`"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn policy(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some((session, key)) = signed_in(&state, &headers).await else {
        return redirect("/dashboard/sign-in", HeaderMap::new());
    };
    show_policy(&state, &session, &key, None).await
}

/// The Policy page, with a refused edit shown again with its errors (422).
async fn show_policy(
    state: &AppState,
    session: &SessionCookie,
    key: &ApiKey,
    refused_edit: Option<RefusedEdit<'_>>,
) -> Response {
    let project_policy = match state.store.project_policy(&key.project_id).await {
        Ok(policy) => policy,
        Err(error) => {
            tracing::error!(%error, "cannot read the project policy for the dashboard");
            return internal_error_page();
        }
    };
    let filter = AccountFilter {
        page_size: DASHBOARD_PAGE_SIZE,
        ..AccountFilter::default()
    };
    let accounts = match state.store.list_accounts(&key.project_id, &filter).await {
        Ok(accounts) => accounts,
        Err(error) => {
            tracing::error!(%error, "cannot list accounts for the dashboard");
            return internal_error_page();
        }
    };
    let mut account_rules = Vec::new();
    for account in &accounts {
        match state
            .store
            .account_policy(&key.project_id, &account.id)
            .await
        {
            Ok(Some(policy)) => account_rules.push((account, rule_rows(&policy))),
            // No policy of its own, or removed since it was listed.
            Ok(None) | Err(StoreError::NotFound) => {}
            Err(error) => {
                tracing::error!(%error, "cannot read an account policy for the dashboard");
                return internal_error_page();
            }
        }
    }
    let frame = match Frame::of(state, session, key).await {
        Ok(frame) => frame,
        Err(response) => return response,
    };
    let project_rules = project_policy.as_ref().map(rule_rows);
    let account_policies: Vec<AccountPolicy<'_>> = account_rules
        .iter()
        .map(|(account, rules)| AccountPolicy {
            account_id: &account.id,
            owner_name: &account.origin_owner_name,
            rules,
        })
        .collect();
    let status = if refused_edit.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let view = PolicyPage {
        signed_in: frame.signed_in(key),
        project_rules: project_rules.as_deref(),
        accounts: &account_policies,
        refused_edit,
    };
    page(status, policy_page(&view), Framing::Nowhere)
}

/// Set the project policy from the dashboard (form)
///
/// Form fields `csrf` and `rules`: one `SELECTOR=DECISION` per line (blank lines skipped; none
/// at all removes the project's policy). A refused text is shown again with what is wrong, line
/// by line.
#[utoipa::path(
    post,
    path = "/dashboard/policy",
    operation_id = "dashboard_set_policy",
    tag = "Pages",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`csrf`: the form's token; `rules`: one `SELECTOR=DECISION` per line"),
    responses(
        (status = 303, description = "Saved (or not signed in): to the Policy page (or the sign-in)"),
        (status = 403, description = "The form expired (CSRF)", body = String, content_type = "text/html"),
        (status = 422, description = "A rule is invalid; the page says which line and why", body = String, content_type = "text/html"),
        (status = 500, description = "The page cannot be shown", body = String, content_type = "text/html"),
        (status = "default", description = "Any other error", body = ErrorBody),
    ),
)]
pub async fn set_policy(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let (session, key) = match form_session(&state, &headers, &form).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let text = first(&form, "rules").unwrap_or_default();
    let policy = match parse_policy_lines(text) {
        Ok(policy) => policy,
        Err(errors) => {
            let edit = RefusedEdit {
                text,
                errors: &errors,
            };
            return show_policy(&state, &session, &key, Some(edit)).await;
        }
    };
    let saved = if policy.rules.is_empty() {
        state
            .store
            .delete_project_policy(&key.project_id)
            .await
            .map(|_| ())
    } else {
        state
            .store
            .put_project_policy(&key.project_id, &policy)
            .await
    };
    match saved {
        Ok(()) => redirect("/dashboard/policy", HeaderMap::new()),
        Err(StoreError::Policy(refused)) => {
            let errors = [refused.to_string()];
            let edit = RefusedEdit {
                text,
                errors: &errors,
            };
            show_policy(&state, &session, &key, Some(edit)).await
        }
        Err(error) => {
            tracing::error!(%error, "cannot save the project policy from the dashboard");
            internal_error_page()
        }
    }
}

/// A policy from its text form, one rule per line (blank lines skipped), or what is wrong with
/// each line that is not a rule (`line 2: …`).
fn parse_policy_lines(text: &str) -> Result<Policy, Vec<String>> {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match line.parse::<PolicyRule>() {
            Ok(rule) => rules.push(rule),
            Err(error) => errors.push(format!("line {}: {error}", number + 1)),
        }
    }
    if errors.is_empty() {
        Ok(Policy { rules })
    } else {
        Err(errors)
    }
}

fn rule_rows(policy: &Policy) -> Vec<RuleRow> {
    policy
        .rules
        .iter()
        .map(|rule| RuleRow {
            selector: rule.selector.to_string(),
            decision: rule.decision.to_string(),
        })
        .collect()
}
