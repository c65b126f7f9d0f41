//! The HTTP side: accepting connections, and taking each request through Front's checks in
//! Front's order — authentication (401), rate limits (429), route (404/405), scopes (403),
//! input (400) — before its handler runs.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::http::request::Parts;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::SimConfig;
use crate::error::{ApiError, SimError};
use crate::faults::{Cutoff, CutoffIo, Faults};
use crate::handlers::{self, Handler, Outcome, Reply};
use crate::limits::{RateHeaders, RateLimiter, RequestKind};
use crate::render::View;
use crate::request::{Call, check_input};
use crate::routes::{Matched, Routes};
use crate::world::{self, Activity, World};

/// Request bodies above this are refused (Front's JSON bodies are small; attachments,
/// which would need multipart, are not simulated).
const MAX_BODY_BYTES: usize = 1024 * 1024;
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
const JSON: &str = "application/json; charset=utf-8";

/// One simulator's shared state.
struct Sim {
    routes: Routes,
    world: RwLock<World>,
    /// Token → the scopes it was given; a token can be revoked while the simulator runs.
    grants: RwLock<HashMap<String, Arc<[String]>>>,
    limiter: RateLimiter,
    faults: Faults,
    public_url: Option<String>,
    /// Used when the request has no usable `Host` header.
    listen_url: String,
}

/// A simulator serving in the background. Dropping it stops it too.
pub struct RunningSim {
    base_url: String,
    local_addr: SocketAddr,
    demo_token: Option<String>,
    sim: Arc<Sim>,
    stop: watch::Sender<bool>,
    /// The accept loop, and the company's activity when it has any.
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSim")
            .field("base_url", &self.base_url)
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl RunningSim {
    /// Where the simulator is reached, e.g. `http://127.0.0.1:8081` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The token that works with every scope, when no tokens were configured.
    pub fn demo_token(&self) -> Option<&str> {
        self.demo_token.as_deref()
    }

    /// Stops accepting `token`: from now on it gets Front's 401, as a token deleted in Front's
    /// settings does (requests already past authentication finish). Returns whether the token
    /// was accepted until now. Meant for tests of what callers do when a token stops working.
    pub fn revoke_token(&self, token: &str) -> bool {
        self.sim
            .grants
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(token)
            .is_some()
    }

    /// Stops accepting connections and the company's activity, lets open connections finish
    /// their current request, and waits.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Binds `addr` (e.g. `127.0.0.1:0` for a free port) and serves there.
pub async fn bind(config: SimConfig, addr: &str) -> Result<RunningSim, SimError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind {
            addr: addr.to_owned(),
            source,
        })?;
    spawn(config, listener).await
}

/// Serves on an already bound listener, in a background task of the current runtime.
pub async fn spawn(config: SimConfig, listener: TcpListener) -> Result<RunningSim, SimError> {
    let front = actionhub_catalog::Catalog::builtin()
        .connector("front")
        .ok_or(SimError::NoFrontConnector)?;
    let grants = config.grants(front)?;
    let routes = Routes::build(front)?;
    let local_addr = listener.local_addr().map_err(SimError::LocalAddr)?;
    let listen_url = format!("http://{local_addr}");
    let base_url = config.public_url.as_deref().map_or_else(
        || listen_url.clone(),
        |url| url.trim_end_matches('/').to_owned(),
    );
    let demo_token = config.tokens.is_empty().then(|| config.demo_token());
    let sim = Arc::new(Sim {
        routes,
        world: RwLock::new(world::generate(config.seed)),
        grants: RwLock::new(
            grants
                .into_iter()
                .map(|g| (g.token, g.scopes.into()))
                .collect(),
        ),
        limiter: RateLimiter::new(&config),
        faults: Faults::new(&config),
        public_url: config
            .public_url
            .as_deref()
            .map(|url| url.trim_end_matches('/').to_owned()),
        listen_url,
    });
    let (stop, stopped) = watch::channel(false);
    let mut tasks = vec![tokio::spawn(accept_loop(
        listener,
        Arc::clone(&sim),
        stopped.clone(),
    ))];
    if config.activity_per_minute > 0 {
        tasks.push(tokio::spawn(live(
            Arc::clone(&sim),
            Activity::new(config.seed),
            config.activity_per_minute,
            stopped,
        )));
    }
    Ok(RunningSim {
        base_url,
        local_addr,
        demo_token,
        sim,
        stop,
        tasks,
    })
}

/// The company's own activity: `per_minute` actions a minute until the simulator stops. Each
/// action runs whole under the world's lock, so stopping between two leaves nothing half done.
async fn live(
    sim: Arc<Sim>,
    mut activity: Activity,
    per_minute: u32,
    mut stopped: watch::Receiver<bool>,
) {
    let mut due = Instant::now();
    loop {
        due += Duration::from_secs_f64(activity.next_delay(per_minute));
        // Waits shorter than the timer's resolution are caught up on the next turn, which
        // keeps high rates; a long stall (a suspended laptop) is not made up in a burst.
        let now = Instant::now();
        if now.saturating_duration_since(due) > Duration::from_secs(1) {
            due = now;
        }
        tokio::select! {
            () = tokio::time::sleep_until(due) => {}
            _ = stopped.changed() => return,
        }
        let mut world = sim.world.write().unwrap_or_else(PoisonError::into_inner);
        let at = world.write_time(unix_now());
        activity.step(&mut world, at);
    }
}

async fn accept_loop(listener: TcpListener, sim: Arc<Sim>, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, Arc::clone(&sim), stopped.clone()));
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            _ = stopped.changed() => return,
        }
    }
}

async fn serve_connection(stream: TcpStream, sim: Arc<Sim>, mut stopped: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let cutoff = Cutoff::default();
    let io = TokioIo::new(CutoffIo::new(stream, cutoff.clone()));
    let service = service_fn(move |request| {
        let sim = Arc::clone(&sim);
        let cutoff = cutoff.clone();
        async move { Ok::<_, Infallible>(sim.respond(request, &cutoff).await) }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stopped.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

impl Sim {
    async fn respond(&self, request: Request<Incoming>, cutoff: &Cutoff) -> Response<Full<Bytes>> {
        if !self.faults.latency.is_zero() {
            tokio::time::sleep(self.faults.latency).await;
        }
        let plan = self.faults.draw();
        let (parts, body) = request.into_parts();
        let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) => {
                let refusal = if error.downcast_ref::<LengthLimitError>().is_some() {
                    ApiError::payload_too_large(MAX_BODY_BYTES)
                } else {
                    ApiError::bad_request("The request body could not be read")
                };
                return error_response(&refusal, self.limiter.snapshot());
            }
        };
        let response = if plan.fail {
            error_response(&ApiError::unavailable(), self.limiter.snapshot())
        } else {
            self.handle(&parts, &body)
        };
        if plan.drop {
            cutoff.arm();
        }
        response
    }

    fn handle(&self, parts: &Parts, body: &[u8]) -> Response<Full<Bytes>> {
        let scopes = match self.authenticate(&parts.headers) {
            Ok(scopes) => scopes,
            Err(refusal) => return error_response(&refusal, self.limiter.snapshot()),
        };
        let path = parts.uri.path();
        let method = parts.method.as_str();
        // `None` is `/me`, the one operation that is not a catalogued action.
        let matched = if path == "/me" {
            None
        } else {
            Some(self.routes.find(method, path))
        };
        let kind = match &matched {
            Some(Matched::Route(route, _)) => RequestKind {
                resource: Some(route.resource),
                is_search: route.is_search,
            },
            _ => RequestKind {
                resource: None,
                is_search: false,
            },
        };
        let (rate, admitted) = self.limiter.admit(kind);
        if let Err(refusal) = admitted {
            return error_response(&refusal, rate);
        }
        let base = self.base_url(&parts.headers);
        let raw_query: Vec<(String, String)> =
            form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let outcome = match matched {
            None => self.me(method, &raw_query, &base),
            Some(Matched::Nothing) => Err(ApiError::no_route(method, path)),
            Some(Matched::WrongMethod(allowed)) => {
                Err(ApiError::method_not_allowed(method, path, &allowed))
            }
            Some(Matched::Route(route, params)) => {
                let missing: Vec<&str> = route
                    .action
                    .scopes
                    .iter()
                    .filter(|needed| !scopes.contains(needed))
                    .map(String::as_str)
                    .collect();
                if missing.is_empty() {
                    check_input(route.action, &params, &raw_query, body).and_then(|input| {
                        let call = Call {
                            params,
                            query: input.query,
                            body: input.body,
                            base: &base,
                            raw_path: path,
                            raw_query: &raw_query,
                            now: unix_now(),
                        };
                        self.run(&route.handler, call)
                    })
                } else {
                    Err(ApiError::missing_scopes(&missing))
                }
            }
        };
        match outcome {
            Ok(reply) => reply_response(reply, rate),
            Err(refusal) => error_response(&refusal, rate),
        }
    }

    fn run(&self, handler: &Handler, mut call: Call<'_>) -> Outcome {
        if handler.writes() {
            let mut world = self.world.write().unwrap_or_else(PoisonError::into_inner);
            // Read under the lock: see `World::write_time`.
            call.now = world.write_time(unix_now());
            handler.write(&mut world, &call)
        } else {
            handler.read(
                &self.world.read().unwrap_or_else(PoisonError::into_inner),
                &call,
            )
        }
    }

    /// `GET /me`: the company behind the token. It needs no scope (the only such operation).
    fn me(&self, method: &str, raw_query: &[(String, String)], base: &str) -> Outcome {
        if method != "GET" {
            return Err(ApiError::method_not_allowed(method, "/me", &["GET"]));
        }
        if let Some((key, _)) = raw_query.first() {
            return Err(ApiError::invalid_field(
                &format!("query.{key}"),
                "is not a known parameter; this operation takes no query parameters",
            ));
        }
        let world = self.world.read().unwrap_or_else(PoisonError::into_inner);
        handlers::ok(
            View {
                world: &world,
                base,
            }
            .identity(),
        )
    }

    /// The scopes of the request's bearer token.
    fn authenticate(&self, headers: &HeaderMap) -> Result<Arc<[String]>, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::unauthenticated(
                "The Authorization header is missing; send `Authorization: Bearer <API token>`",
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let Some(token) = token else {
            return Err(ApiError::unauthenticated(
                "The Authorization header must be `Bearer <API token>`",
            ));
        };
        self.grants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
            .ok_or_else(|| ApiError::unauthenticated("The API token is not valid"))
    }

    /// The base of absolute URLs: the configured one, else the host the client called.
    fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        headers
            .get(header::HOST)
            .and_then(|host| host.to_str().ok())
            .filter(|host| !host.is_empty() && host.bytes().all(|b| b.is_ascii_graphic()))
            .map_or_else(|| self.listen_url.clone(), |host| format!("http://{host}"))
    }
}

fn unix_now() -> f64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    world::timestamp(now)
}

fn reply_response(reply: Reply, rate: Option<RateHeaders>) -> Response<Full<Bytes>> {
    match reply {
        Reply::Json(status, body) => json_response(status, body, rate),
        Reply::NoContent => {
            with_rate_headers(Response::builder().status(StatusCode::NO_CONTENT), rate)
                .body(Full::new(Bytes::new()))
                .unwrap_or_default()
        }
        Reply::File {
            content_type,
            filename,
            bytes,
        } => {
            // Quotes and backslashes would end the quoted file name early.
            let filename: String = filename
                .chars()
                .filter(|c| !matches!(c, '"' | '\\') && !c.is_control())
                .collect();
            with_rate_headers(Response::builder().status(StatusCode::OK), rate)
                .header(header::CONTENT_TYPE, content_type)
                .header(
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                )
                .body(Full::new(Bytes::from(bytes)))
                .unwrap_or_default()
        }
    }
}

fn error_response(error: &ApiError, rate: Option<RateHeaders>) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec(&error.body()).unwrap_or_default();
    let mut response = json_response(error.status, body, rate);
    if let Some(throttle) = error.throttle {
        let headers = response.headers_mut();
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from(throttle.retry_after_secs),
        );
        if let Some(tier) = throttle.tier {
            headers.insert("x-front-tier", HeaderValue::from_static(tier));
        }
    }
    response
}

fn json_response(
    status: StatusCode,
    body: Vec<u8>,
    rate: Option<RateHeaders>,
) -> Response<Full<Bytes>> {
    with_rate_headers(Response::builder().status(status), rate)
        .header(header::CONTENT_TYPE, JSON)
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}

fn with_rate_headers(
    builder: hyper::http::response::Builder,
    rate: Option<RateHeaders>,
) -> hyper::http::response::Builder {
    match rate {
        Some(rate) => builder
            .header("x-ratelimit-limit", rate.limit)
            .header("x-ratelimit-remaining", rate.remaining)
            .header("x-ratelimit-reset", rate.reset_at),
        None => builder,
    }
}
