//! `actionhub listen`: a temporary webhook endpoint on this machine that prints (or forwards)
//! the events a running hub delivers, for trying webhooks out.
//!
//! It binds a receiver on 127.0.0.1, creates an endpoint pointing at it in the hub's database
//! (through `server::webhooks`, like `webhooks create`), verifies each message's signature with
//! the endpoint's secret (which it never shows), prints it as one JSON line, and removes the
//! endpoint on Ctrl-C or SIGTERM.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actionhub_server::webhooks::{self, EndpointError, EndpointRequest};
use actionhub_worker::security::{self, AddressPolicy};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use clap::Args;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::config::{self, DatabaseArgs};
use crate::error::CliError;
use crate::keys::{DEFAULT_PROJECT, non_empty};
use crate::output::write_line;
use crate::webhooks::AddressArgs;

/// The description that marks listen's endpoints in `webhooks list`.
const DESCRIPTION: &str = "actionhub listen (temporary)";
/// Where the receiver listens: this machine only, on a free port.
const RECEIVER_BIND: &str = "127.0.0.1:0";
/// How long the forward target has to answer; below the hub's default delivery timeout (15 s).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(10);
/// The headers passed on to the forward target as received.
const FORWARDED_HEADERS: [&str; 4] = [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-type",
];

/// Receive a running hub's webhooks on this machine: print each event as a JSON line on stdout,
/// or forward it to your app.
///
/// Binds a receiver on 127.0.0.1 (a free port) and creates a temporary webhook endpoint
/// pointing at it (described "actionhub listen (temporary)") in the hub's database
/// (--database / ACTIONHUB_DATABASE_URL, the same as the hub's). The running hub delivers to it;
/// each message's Standard Webhooks signature is checked with the endpoint's secret (never
/// shown), then one line {"type", "webhook_id", "timestamp", "account_id", "event"} is printed
/// on stdout and a short note on stderr. The endpoint is on this machine, so the hub must allow
/// private addresses (ACTIONHUB_WEBHOOK_ALLOW_PRIVATE=1 for the hub and for listen; the demo
/// allows them). Ctrl-C or SIGTERM removes the endpoint; if listen is killed outright, it
/// stays: `actionhub webhooks list` shows it, `actionhub webhooks remove ID` removes it.
///
/// With the demo: run `actionhub demo`, then in another terminal the command its banner prints,
/// for instance (the directory differs every time):
///
/// actionhub listen --database sqlite:///tmp/actionhub-demo-XXXX/actionhub.db --webhook-allow-private
///
/// and link an account or run a write action (front_add_conversation_tag, …) to see events.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// The event types to receive (comma-separated; default: every event, *). See `webhooks
    /// create --help` for the types.
    #[arg(long, value_name = "T,T", value_delimiter = ',')]
    events: Option<Vec<String>>,
    /// Also POST each verified message (its raw body and webhook-* headers) to URL, and answer
    /// the hub with URL's status, so the hub retries what URL fails.
    #[arg(long, value_name = "URL")]
    forward_to: Option<String>,
    /// Only events of this account (repeatable; default: every account of the project).
    #[arg(long = "account", value_name = "ID")]
    accounts: Vec<String>,
    /// The project (tenant) whose events to receive.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_PROJECT)]
    project: String,
    #[command(flatten)]
    address: AddressArgs,
    #[command(flatten)]
    database: DatabaseArgs,
}

/// What the receiver's requests share.
#[derive(Debug)]
struct Receiver {
    secret: SecretString,
    forward: Option<Forward>,
    /// Why printing failed (the reader of stdout went away, …); listening stops then.
    output_failed: Mutex<Option<io::Error>>,
    stop: Notify,
}

#[derive(Debug)]
struct Forward {
    client: reqwest::Client,
    url: String,
}

pub fn run(args: &ListenArgs) -> Result<(), CliError> {
    config::init_logging("warn");
    config::runtime()?.block_on(async {
        let forward = args.forward_to.as_deref().map(forward_target).transpose()?;
        let store = config::open_store(&args.database).await?;
        let project = store.project(&non_empty("--project", &args.project)?).await?;
        let listener = TcpListener::bind(RECEIVER_BIND)
            .await
            .map_err(|source| CliError::Bind {
                addr: RECEIVER_BIND.to_owned(),
                source,
            })?;
        let url = format!(
            "http://{}/",
            listener.local_addr().map_err(CliError::Serve)?
        );
        let policy = args.address.policy();
        let request = EndpointRequest {
            url: url.clone(),
            events: args.events.clone(),
            account_ids: (!args.accounts.is_empty()).then(|| args.accounts.clone()),
            description: Some(DESCRIPTION.to_owned()),
        };
        let (endpoint, secret) = webhooks::create_endpoint(&store, policy, &project.id, request)
            .await
            .map_err(|error| refused(error, policy))?;
        eprintln!(
            "listen: receiving {} of project {} at {url} (temporary endpoint {}){}; Ctrl-C stops and removes it",
            endpoint.event_types.join(","),
            project.name,
            endpoint.id,
            forward
                .as_ref()
                .map(|forward| format!(", forwarding to {}", forward.url))
                .unwrap_or_default(),
        );
        let receiver = Arc::new(Receiver {
            secret,
            forward,
            output_failed: Mutex::new(None),
            stop: Notify::new(),
        });
        let app = Router::new()
            .route("/", post(receive))
            .with_state(receiver.clone());
        let stopping = receiver.clone();
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                tokio::select! {
                    () = crate::serve::shutdown_signal() => {}
                    () = stopping.stop.notified() => {}
                }
            })
            .await;
        // Work that must finish however listening ended (a signal, a closed stdout, an error).
        let removed = store.delete_endpoint(&project.id, &endpoint.id).await;
        store.close().await;
        removed.map_err(|error| {
            CliError::Config(format!(
                "cannot remove the temporary endpoint {} ({error}); remove it with `actionhub webhooks remove {}`",
                endpoint.id, endpoint.id
            ))
        })?;
        eprintln!("listen: removed the temporary endpoint {}", endpoint.id);
        served.map_err(CliError::Serve)?;
        let output_failed = receiver
            .output_failed
            .lock()
            .map_or(None, |mut failed| failed.take());
        output_failed.map_or(Ok(()), |error| Err(CliError::Output(error)))
    })
}

/// `--forward-to`: an http or https URL (any address: it is the developer's own app).
fn forward_target(url: &str) -> Result<Forward, CliError> {
    let url = security::check_url(url.trim(), AddressPolicy::AllowPrivate)
        .map_err(|refused| CliError::Config(format!("--forward-to {refused}")))?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FORWARD_TIMEOUT)
        .build()
        .map_err(|error| CliError::Config(format!("cannot build the HTTP client: {error}")))?;
    Ok(Forward {
        client,
        url: url.to_string(),
    })
}

/// A refused endpoint; the loopback refusal says what to set.
fn refused(error: EndpointError, policy: AddressPolicy) -> CliError {
    match error {
        EndpointError::Invalid(message)
            if policy == AddressPolicy::PublicOnly && message.starts_with("`url`") =>
        {
            CliError::Config(format!(
                "the temporary endpoint is on this machine ({RECEIVER_BIND}), which hubs refuse unless private addresses are allowed: run the hub with ACTIONHUB_WEBHOOK_ALLOW_PRIVATE=1 (actionhub demo allows them) and listen with --webhook-allow-private (or the same variable)"
            ))
        }
        other => other.into(),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

/// One message from the hub: verified, printed, forwarded when asked.
async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let (Some(id), Some(timestamp), Some(signature)) = (
        header("webhook-id"),
        header("webhook-timestamp").and_then(|stamp| stamp.parse::<i64>().ok()),
        header("webhook-signature"),
    ) else {
        eprintln!("listen: refused a request without Standard Webhooks headers");
        return StatusCode::BAD_REQUEST;
    };
    if !security::verify(
        &receiver.secret,
        id,
        timestamp,
        &body,
        signature,
        unix_now(),
    ) {
        eprintln!(
            "listen: refused a message whose signature does not match the endpoint's secret, or whose timestamp is more than 5 minutes off"
        );
        return StatusCode::UNAUTHORIZED;
    }
    let message: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let data = &message["data"];
    let event = data
        .get("event")
        .or_else(|| data.get("account"))
        .unwrap_or(data);
    let line = json!({
        "type": message["type"],
        "webhook_id": id,
        "timestamp": message["timestamp"],
        "account_id": data["account_id"],
        "event": event,
    });
    if let Err(error) = write_line(&line.to_string()) {
        if let Ok(mut failed) = receiver.output_failed.lock() {
            failed.get_or_insert(error);
        }
        receiver.stop.notify_one();
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let kind = message["type"].as_str().unwrap_or("(no type)");
    let Some(forward) = &receiver.forward else {
        eprintln!("listen: {kind} {id}");
        return StatusCode::NO_CONTENT;
    };
    let mut request = forward.client.post(&forward.url).body(body);
    for name in FORWARDED_HEADERS {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value.clone());
        }
    }
    match request.send().await {
        Ok(answer) => {
            eprintln!(
                "listen: {kind} {id} -> {}: {}",
                forward.url,
                answer.status()
            );
            answer.status()
        }
        Err(error) => {
            eprintln!(
                "listen: {kind} {id} -> {}: {} (answered 502; the hub will retry)",
                forward.url,
                if error.is_timeout() {
                    "no answer in time".to_owned()
                } else {
                    error.without_url().to_string()
                }
            );
            StatusCode::BAD_GATEWAY
        }
    }
}
