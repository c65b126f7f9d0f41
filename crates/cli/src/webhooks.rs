//! `actionhub webhooks create|list|remove|rotate`: webhook endpoints from the command line, and
//! the flags of the background work that follows Front's events and delivers them
//! ([`WorkerArgs`], shared by `serve` and `demo`).

use std::time::Duration;

use actionhub_catalog::echo;
use actionhub_server::webhooks::{self, EndpointError, EndpointRequest};
use actionhub_worker::{AddressPolicy, RetrySchedule, WorkerConfig};
use clap::{Args, Subcommand};
use secrecy::ExposeSecret;

use crate::config::{self, DatabaseArgs};
use crate::error::CliError;
use crate::keys::{DEFAULT_PROJECT, non_empty};
use crate::output::{emit, table};

/// How long a rotated secret keeps signing beside the new one.
const ROTATION_GRACE: Duration = Duration::from_secs(24 * 60 * 60);

#[derive(Debug, Args)]
pub struct WebhooksArgs {
    #[command(subcommand)]
    command: WebhooksCommand,
    /// The project (tenant) the endpoints belong to.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_PROJECT, global = true)]
    project: String,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Let endpoints point at private and loopback addresses (development and tests).
    #[arg(long, env = "ACTIONHUB_WEBHOOK_ALLOW_PRIVATE", global = true,
          value_parser = clap::builder::BoolishValueParser::new())]
    webhook_allow_private: bool,
}

#[derive(Debug, Subcommand)]
enum WebhooksCommand {
    /// Create an endpoint and print its id alone on stdout; its signing secret (whsec_…) is
    /// printed once, on stderr.
    ///
    /// The hub POSTs each event to URL as a Standard Webhooks message (headers webhook-id,
    /// webhook-timestamp, webhook-signature), retrying failures for about a day. Events:
    /// front.<Front event type> (front.tag, front.comment, …), account.created,
    /// account.updated, account.deleted, account.error, or the wildcards front.*, account.*
    /// and * (the default). See docs/webhooks.md.
    Create {
        /// Where to send events: an http or https URL (public addresses only unless
        /// ACTIONHUB_WEBHOOK_ALLOW_PRIVATE is set).
        #[arg(long, value_name = "URL")]
        url: String,
        /// The event types to send (comma-separated; default: every event).
        #[arg(long, value_name = "T,T", value_delimiter = ',')]
        events: Option<Vec<String>>,
        /// Only events of this account (repeatable; default: every account of the project).
        #[arg(long = "account", value_name = "ID")]
        accounts: Vec<String>,
        /// A note shown with the endpoint.
        #[arg(long, value_name = "TEXT")]
        description: Option<String>,
    },
    /// List the project's endpoints: id, URL, events, status (disabled after failing for
    /// days), creation and description (`actionhub listen (temporary)` for one that a killed
    /// `listen` left behind).
    List,
    /// Remove an endpoint with its delivery log; nothing more is sent to it.
    Remove {
        /// The endpoint id (whe_…).
        id: String,
    },
    /// Give an endpoint a new signing secret and print it alone on stdout, once. The previous
    /// secret keeps signing alongside it for 24 hours, so receivers can switch without a gap.
    Rotate {
        /// The endpoint id (whe_…).
        id: String,
    },
}

impl From<EndpointError> for CliError {
    fn from(error: EndpointError) -> CliError {
        match error {
            EndpointError::Invalid(message) => CliError::Config(message),
            EndpointError::Store(error) => CliError::Store(error),
            EndpointError::Entropy => {
                CliError::Config("the operating system's random number generator failed".into())
            }
        }
    }
}

fn address_policy(allow_private: bool) -> AddressPolicy {
    if allow_private {
        AddressPolicy::AllowPrivate
    } else {
        AddressPolicy::PublicOnly
    }
}

pub fn run(args: &WebhooksArgs) -> Result<(), CliError> {
    config::init_logging("warn");
    config::runtime()?.block_on(async {
        let store = config::open_store(&args.database).await?;
        let project = store.project(&non_empty("--project", &args.project)?).await?;
        let what = |id: &str| format!("webhook endpoint {id}");
        match &args.command {
            WebhooksCommand::Create {
                url,
                events,
                accounts,
                description,
            } => {
                let request = EndpointRequest {
                    url: url.clone(),
                    events: events.clone(),
                    account_ids: (!accounts.is_empty()).then(|| accounts.clone()),
                    description: description.clone(),
                };
                let (endpoint, secret) = webhooks::create_endpoint(
                    &store,
                    address_policy(args.webhook_allow_private),
                    &project.id,
                    request,
                )
                .await?;
                eprintln!(
                    "created webhook endpoint {} in project {}; its signing secret, shown only now:\n{}",
                    endpoint.id,
                    project.name,
                    secret.expose_secret()
                );
                emit(&endpoint.id)?;
            }
            WebhooksCommand::List => {
                let rows: Vec<Vec<String>> = store
                    .list_endpoints(&project.id)
                    .await?
                    .into_iter()
                    .map(|endpoint| {
                        vec![
                            endpoint.id,
                            endpoint.url,
                            endpoint.event_types.join(","),
                            if endpoint.disabled_at.is_some() {
                                "disabled".to_owned()
                            } else {
                                "enabled".to_owned()
                            },
                            endpoint.created_at.to_string(),
                            endpoint
                                .description
                                .as_deref()
                                .map(|text| echo(text).into_owned())
                                .unwrap_or_default(),
                        ]
                    })
                    .collect();
                emit(&table(&["ID", "URL", "EVENTS", "STATUS", "CREATED", "DESCRIPTION"], &rows))?;
            }
            WebhooksCommand::Remove { id } => {
                let endpoint = store
                    .delete_endpoint(&project.id, id)
                    .await
                    .map_err(|error| CliError::not_found(error, &what(id)))?;
                eprintln!("removed webhook endpoint {} ({})", endpoint.id, endpoint.url);
            }
            WebhooksCommand::Rotate { id } => {
                let secret = webhooks::new_secret()?;
                store
                    .rotate_endpoint_secret(&project.id, id, &secret, ROTATION_GRACE)
                    .await
                    .map_err(|error| CliError::not_found(error, &what(id)))?;
                eprintln!(
                    "new signing secret for {id}, shown only now; the previous one signs too for 24 hours"
                );
                emit(secret.expose_secret())?;
            }
        }
        store.close().await;
        Ok(())
    })
}

/// The background work's settings (`serve`; `demo` uses the defaults with private addresses
/// allowed).
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// Seconds between two reads of an idle Front company's events (sooner while events
    /// flow).
    #[arg(long, value_name = "SECS", env = "ACTIONHUB_EVENTS_POLL_SECS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..))]
    events_poll_secs: u64,
    /// The share of a Front company's rate budget that following its events may use (twice
    /// that while events wait and the budget is less than half booked, at most half); actions
    /// keep the rest.
    #[arg(long, value_name = "SHARE", env = "ACTIONHUB_EVENTS_BUDGET_SHARE", default_value_t = 0.1,
          value_parser = budget_share)]
    events_budget_share: f64,
    /// Delays between a failed webhook attempt and the next (comma-separated, units ms, s, m,
    /// h); after the last, the message fails.
    #[arg(
        long,
        value_name = "DELAYS",
        env = "ACTIONHUB_WEBHOOK_RETRY_SCHEDULE",
        default_value = "5s,5m,30m,2h,5h,10h,10h"
    )]
    webhook_retry_schedule: RetrySchedule,
    /// Seconds a receiver has to answer one attempt.
    #[arg(long, value_name = "SECS", env = "ACTIONHUB_WEBHOOK_TIMEOUT_SECS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    webhook_timeout_secs: u64,
    /// Hours an endpoint may fail every attempt before it is disabled (its GET says so).
    #[arg(long, value_name = "HOURS", env = "ACTIONHUB_WEBHOOK_DISABLE_AFTER_HOURS",
          default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    webhook_disable_after_hours: u64,
    /// Seconds between two sweeps that mark pending approvals past their expiry `expired`.
    #[arg(long, value_name = "SECS", env = "ACTIONHUB_APPROVAL_SWEEP_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    approval_sweep_secs: u64,
    #[command(flatten)]
    address: AddressArgs,
}

/// `--webhook-allow-private` (`serve`, `listen`).
#[derive(Debug, Clone, Args)]
pub struct AddressArgs {
    /// Let endpoints point at private and loopback addresses (development and tests).
    #[arg(long, env = "ACTIONHUB_WEBHOOK_ALLOW_PRIVATE",
          value_parser = clap::builder::BoolishValueParser::new())]
    webhook_allow_private: bool,
}

impl AddressArgs {
    pub fn policy(&self) -> AddressPolicy {
        address_policy(self.webhook_allow_private)
    }
}

impl WorkerArgs {
    pub fn address_policy(&self) -> AddressPolicy {
        self.address.policy()
    }

    pub fn worker_config(&self) -> WorkerConfig {
        WorkerConfig {
            poll_interval: Duration::from_secs(self.events_poll_secs),
            budget_share: self.events_budget_share,
            retry_schedule: self.webhook_retry_schedule.clone(),
            delivery_timeout: Duration::from_secs(self.webhook_timeout_secs),
            disable_after: Duration::from_secs(self.webhook_disable_after_hours * 60 * 60),
            address_policy: self.address_policy(),
            approval_sweep: Duration::from_secs(self.approval_sweep_secs),
            ..WorkerConfig::default()
        }
    }
}

/// A share of a budget: a number above 0 and at most 1.
fn budget_share(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|share| *share > 0.0 && *share <= 1.0)
        .ok_or_else(|| "must be a number above 0 and at most 1 (0.1 is a tenth)".to_owned())
}
