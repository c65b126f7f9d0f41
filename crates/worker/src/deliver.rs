//! Delivering webhooks: claiming due deliveries, signing and POSTing them, recording every
//! attempt and scheduling the next.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actionhub_store::{
    AttemptOutcome, AttemptRecord, DueDelivery, FRONT_EVENT_PREFIX, StoreError, Timestamp,
};
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::security::{self, AddressRefused, GuardedResolver};
use crate::{Context, WorkerConfig, pause};

/// Longest excerpt of a receiver's answer kept with an attempt, in characters.
const EXCERPT_CHARS: usize = 200;

/// The HTTP client of deliveries: no redirects, a timeout, and the guarded resolver.
pub(crate) fn client(config: &WorkerConfig) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.delivery_timeout)
        .connect_timeout(config.delivery_timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("actionhub-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(GuardedResolver::shared(config.address_policy))
        .build()
}

/// Claims and sends due deliveries until stopped; attempts in flight are finished and recorded
/// before it returns.
pub(crate) async fn run(context: Arc<Context>, mut stop: watch::Receiver<bool>) {
    let batch = context.config.concurrency.max(1);
    // Twice the attempt's timeout and a second: the claim cannot lapse while the attempt is in
    // flight and being recorded, and a killed hub's claims are taken over soon after.
    let claim_for = context.config.delivery_timeout * 2 + Duration::from_secs(1);
    loop {
        let due = match context
            .store
            .claim_deliveries(&context.holder, batch, claim_for)
            .await
        {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "cannot claim webhook deliveries");
                Vec::new()
            }
        };
        if due.is_empty() {
            let queued = context.queued.notified();
            tokio::select! {
                () = queued => {}
                stopped = pause(context.config.delivery_poll, &mut stop) => if stopped { return },
            }
            continue;
        }
        let mut in_flight = JoinSet::new();
        for delivery in due {
            let context = context.clone();
            in_flight.spawn(async move {
                if let Err(error) = attempt(&context, &delivery).await {
                    tracing::warn!(
                        delivery_id = %delivery.id,
                        endpoint_id = %delivery.endpoint_id,
                        %error,
                        "cannot record a webhook attempt; it will be retried when its claim lapses"
                    );
                }
            });
        }
        while in_flight.join_next().await.is_some() {}
        if *stop.borrow() {
            return;
        }
    }
}

/// The message's body: `{"type", "timestamp", "data"}`; a Front event's `data` carries the
/// account and the event exactly as Front wrote it.
fn body(delivery: &DueDelivery) -> String {
    let quoted = |text: &str| serde_json::Value::from(text).to_string();
    let data = if delivery.event_type.starts_with(FRONT_EVENT_PREFIX) {
        format!(
            r#"{{"account_id":{},"event":{}}}"#,
            quoted(&delivery.account_id),
            delivery.payload
        )
    } else {
        delivery.payload.clone()
    };
    format!(
        r#"{{"type":{},"timestamp":{},"data":{data}}}"#,
        quoted(&delivery.event_type),
        quoted(&delivery.occurred_at.to_string()),
    )
}

/// Sends one delivery and records the attempt.
async fn attempt(context: &Context, delivery: &DueDelivery) -> Result<(), StoreError> {
    let secrets = context
        .store
        .signing_secrets(&delivery.project_id, &delivery.endpoint_id)
        .await?;
    let body = body(delivery);
    let attempted_at = Timestamp::now();
    let timestamp = attempted_at.millis() / 1000;
    let signature = security::signature_header(&secrets, &delivery.id, timestamp, body.as_bytes());
    let started = Instant::now();
    let answer = match security::check_url(&delivery.url, context.config.address_policy) {
        Ok(url) => {
            context
                .http
                .post(url)
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .header("webhook-id", &delivery.id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signature)
                .body(body)
                .send()
                .await
        }
        Err(_) => {
            return settle(
                context,
                delivery,
                failure(attempted_at, started, None, "refused_address", None),
                false,
            )
            .await;
        }
    };
    let (record, abort) = match answer {
        Ok(response) => {
            let status = response.status();
            // A receiver may ask for no more attempts of this message (as Svix's receivers do).
            let abort = response
                .headers()
                .get("webhook-delivery")
                .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"abort-message"));
            if status.is_success() {
                let record = AttemptRecord {
                    attempted_at,
                    status_code: Some(status.as_u16()),
                    latency_ms: millis(started),
                    error_kind: None,
                    excerpt: None,
                };
                (record, false)
            } else {
                let kind = if status.is_redirection() {
                    "redirect"
                } else {
                    "status"
                };
                let excerpt = excerpt(&answer_start(response).await);
                (
                    failure(attempted_at, started, Some(status.as_u16()), kind, excerpt),
                    abort,
                )
            }
        }
        Err(error) => {
            let kind = error_kind(&error);
            (failure(attempted_at, started, None, kind, None), false)
        }
    };
    settle(context, delivery, record, abort).await
}

/// Records an attempt with what follows it: delivered, retried on the schedule, or failed.
async fn settle(
    context: &Context,
    delivery: &DueDelivery,
    record: AttemptRecord,
    abort: bool,
) -> Result<(), StoreError> {
    let outcome = if record.error_kind.is_none() {
        AttemptOutcome::Delivered
    } else {
        let schedule = &context.config.retry_schedule.0;
        match schedule.get(delivery.attempts as usize) {
            Some(delay) if !abort => AttemptOutcome::RetryAt(Timestamp(
                Timestamp::now()
                    .millis()
                    .saturating_add(jittered_millis(*delay)),
            )),
            _ => AttemptOutcome::Failed,
        }
    };
    let disabled = context
        .store
        .record_attempt(delivery, &record, outcome, context.config.disable_after)
        .await?;
    let counted = match outcome {
        AttemptOutcome::Delivered => "delivered",
        AttemptOutcome::RetryAt(_) => "retrying",
        AttemptOutcome::Failed => "failed",
    };
    context.observer.delivery_attempt(
        counted,
        Duration::from_millis(u64::try_from(record.latency_ms).unwrap_or(0)),
    );
    tracing::info!(
        target: "actionhub::webhooks",
        delivery_id = %delivery.id,
        endpoint_id = %delivery.endpoint_id,
        event_type = %delivery.event_type,
        status = record.status_code,
        error = record.error_kind.as_deref(),
        outcome = ?outcome,
        "webhook attempt"
    );
    if disabled {
        tracing::warn!(
            endpoint_id = %delivery.endpoint_id,
            "webhook endpoint disabled: every attempt has failed for too long"
        );
    }
    Ok(())
}

fn failure(
    attempted_at: Timestamp,
    started: Instant,
    status_code: Option<u16>,
    kind: &str,
    excerpt: Option<String>,
) -> AttemptRecord {
    AttemptRecord {
        attempted_at,
        status_code,
        latency_ms: millis(started),
        error_kind: Some(kind.to_owned()),
        excerpt,
    }
}

fn millis(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// The first kilobyte or so of an answer's body (the rest is never read).
async fn answer_start(mut response: reqwest::Response) -> String {
    let mut start = Vec::new();
    while start.len() < 1024 {
        match response.chunk().await {
            Ok(Some(chunk)) => start.extend_from_slice(&chunk),
            _ => break,
        }
    }
    String::from_utf8_lossy(&start).into_owned()
}

/// The start of a receiver's answer, on one line, control characters dropped, cut short.
fn excerpt(text: &str) -> Option<String> {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(EXCERPT_CHARS)
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    (!cleaned.is_empty()).then_some(cleaned)
}

/// What kind of failure a request error was.
fn error_kind(error: &reqwest::Error) -> &'static str {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.is::<AddressRefused>() {
            return "refused_address";
        }
        source = cause.source();
    }
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else {
        "request"
    }
}

/// `delay` give or take a fifth, so that messages failed together do not retry together.
fn jittered_millis(delay: Duration) -> i64 {
    let base = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    let mut byte = [0u8; 2];
    let spread = if getrandom::fill(&mut byte).is_ok() {
        i64::from(u16::from_le_bytes(byte)) - 32_768
    } else {
        0
    };
    base.saturating_add(base / 5 * spread / 32_768)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt(" \n"), None);
        assert_eq!(excerpt("a\r\n\tb\0c").as_deref(), Some("a b c"));
        assert_eq!(excerpt(&"x".repeat(1000)).unwrap().len(), EXCERPT_CHARS);
    }

    #[test]
    fn jitter_stays_within_a_fifth() {
        for _ in 0..100 {
            let millis = jittered_millis(Duration::from_secs(10));
            assert!((8_000..=12_000).contains(&millis), "{millis}");
        }
    }
}
