//! The Hub's web pages: the scope guide, the end user's link page, the developer's dashboard,
//! and the files they use. The HTML comes from `actionhub-pages`; this module only finds the
//! data, checks who is asking, and sets the security headers.
//!
//! Who may see what: the guide is public documentation; `/link` needs a live connect-session
//! token; the dashboard needs a sign-in with an API key, and shows only that key's project.

use actionhub_catalog::{Action, Catalog, Connector};
use actionhub_pages::{
    AccountRow, AccountsPage, CONTENT_SECURITY_POLICY, DeliveryRow, EndpointRow, GuideSelection,
    LinkOutcome, LinkPage, LinkUnavailable, WebhooksPage, accounts_page, asset, link_page,
    link_unavailable_page, scope_guide, sign_in_page, webhooks_page,
};
use actionhub_store::{
    AccountFilter, ApiKey, AttemptRecord, ConnectSession, Delivery, Endpoint, StoreError,
};
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
use crate::error::ApiError;
use crate::extract::{PathId, PathIds, refuse_nul};
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

fn redirect(to: &'static str, headers: HeaderMap) -> Response {
    let mut response = (StatusCode::SEE_OTHER, headers).into_response();
    response
        .headers_mut()
        .insert(LOCATION, HeaderValue::from_static(to));
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

/// `GET /assets/{name}`: an embedded file, or StackOne's 404 body.
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

/// `GET /connectors/{key}/guides/link-account/api-token?actions=ID,ID`: the scope guide. With no
/// `actions` it covers every action; `actions=` (empty) selects none. The form the page falls
/// back to without scripts sends `action=ID` once per action, which is accepted too.
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
        None => GuideSelection::Everything,
    };
    page(
        StatusCode::OK,
        scope_guide(connector, selection, &state.public_url),
        Framing::Anywhere,
    )
}

/// `GET /link?token=…`: the page an end user opens from a connect link.
pub async fn link(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = pairs(query.unwrap_or_default().as_bytes());
    let token = first(&query, "token").unwrap_or_default();
    match live_session(&state, token).await {
        Ok(session) => render_link_page(&session, token, None),
        Err(response) => response,
    }
}

/// `POST /link` (form: `token`, `api_token`): links without scripts and shows the outcome.
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

/// `GET /dashboard`: the Accounts page, or the way to sign in.
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
    let csrf = Signer::new(&state.store, &state.public_url).csrf_token(&session.nonce);
    let view = AccountsPage {
        connector,
        project: &key.project_name,
        accounts: &rows,
        csrf_token: &csrf,
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

/// `GET /dashboard/sign-in`
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

/// `POST /dashboard/sign-in` (form: `api_key`, `csrf`)
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

/// `POST /dashboard/sign-out` (form: `csrf`): ends the session on the hub too, so that a
/// copy of the cookie (and its CSRF token) no longer works either.
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

/// `POST /dashboard/accounts/{id}/remove` (form: `csrf`)
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

/// `POST /dashboard/connect-links` (form: `owner_id`, `owner_name`, `action`…, `csrf`)
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

/// `GET /dashboard/webhooks`: the project's webhook endpoints with their recent deliveries.
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
    let csrf = Signer::new(&state.store, &state.public_url).csrf_token(&session.nonce);
    let view = WebhooksPage {
        project: &key.project_name,
        endpoints: &rows,
        csrf_token: &csrf,
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

/// `POST /dashboard/webhooks/{id}/deliveries/{delivery_id}/retry` (form: `csrf`): the same
/// retry as `POST /webhooks/{id}/deliveries/{delivery_id}/retry`, then back to the page.
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
