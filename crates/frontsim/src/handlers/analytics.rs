//! Analytics exports and reports: created `running`, and `done` from the next read on
//! (Front computes them in the background; the simulator lets a caller see both states).

use hyper::StatusCode;
use serde_json::{Map, Value, json};

use super::{Outcome, generic, json};
use crate::error::ApiError;
use crate::kinds;
use crate::request::Call;
use crate::world::World;

/// `filters` as given when it names something to filter on, else Front's "no filter".
fn filters(call: &Call<'_>) -> Value {
    match call.body_field("filters").and_then(Value::as_object) {
        Some(given) if !given.is_empty() => Value::Object(given.clone()),
        _ => json!({"tag_ids": []}),
    }
}

fn period(call: &Call<'_>) -> Result<(f64, f64), ApiError> {
    let start = call
        .body_field("start")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let end = call
        .body_field("end")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    if end < start {
        return Err(ApiError::invalid_field(
            "body.end",
            "must not be before body.start",
        ));
    }
    Ok((start, end))
}

fn show(world: &World, call: &Call<'_>, resource: &str, id: &str, status: StatusCode) -> Outcome {
    let kind = kinds::kind(resource).ok_or_else(|| ApiError::internal("unknown kind"))?;
    let value = generic::render(world, &call.view(world), kind, id, None)
        .ok_or_else(|| ApiError::not_found(kind.label, id))?;
    json(status, &value)
}

/// `POST /analytics/exports` (201, `running`).
pub fn create_export(world: &mut World, call: &Call<'_>) -> Outcome {
    let (start, end) = period(call)?;
    let kind = call.body_str("type").unwrap_or("messages").to_owned();
    let id = world.new_stored_id("analytics_export");
    let fields = Map::from_iter([
        ("status".to_owned(), json!("running")),
        ("progress".to_owned(), json!(0)),
        ("created_at".to_owned(), json!(call.now)),
        ("filters".to_owned(), filters(call)),
        (
            "filename".to_owned(),
            json!(format!("{kind}-{start}-{end}.csv")),
        ),
    ]);
    let id = world.put_object("analytics_export", id, call.now, fields);
    show(world, call, "analytics_export", &id, StatusCode::CREATED)
}

/// `POST /analytics/reports` (201, `running`); its metrics are counted from the company's
/// messages in the period.
pub fn create_report(world: &mut World, call: &Call<'_>) -> Outcome {
    let (start, end) = period(call)?;
    let in_period = |at: f64| at >= start && at < end;
    let received = world
        .messages
        .values()
        .filter(|m| m.is_inbound && in_period(m.created_at))
        .count();
    let sent = world
        .messages
        .values()
        .filter(|m| !m.is_inbound && m.draft_mode.is_none() && in_period(m.created_at))
        .count();
    let metrics: Vec<Value> = call
        .body_strings("metrics")
        .unwrap_or_default()
        .into_iter()
        .map(|metric| {
            let (kind, value) = match metric.as_str() {
                "num_messages_received" => ("number", received),
                "num_messages_sent" => ("number", sent),
                other if other.starts_with("pct_") => ("percentage", 0),
                other if other.starts_with("avg_") && other.ends_with("_time") => ("duration", 0),
                _ => ("number", 0),
            };
            json!({"id": metric, "type": kind, "value": value})
        })
        .collect();
    let uid = world.new_stored_id("analytics_report");
    let fields = Map::from_iter([
        ("status".to_owned(), json!("running")),
        ("progress".to_owned(), json!(0)),
        // Kept aside until the report is done.
        ("_pending_metrics".to_owned(), Value::Array(metrics)),
        ("metrics".to_owned(), json!([])),
    ]);
    let uid = world.put_object("analytics_report", uid, call.now, fields);
    show(world, call, "analytics_report", &uid, StatusCode::CREATED)
}

/// Reading an export or report: the first read after creation sees it `running` half way,
/// any later one `done`.
fn advance(world: &mut World, call: &Call<'_>, resource: &str, id: &str) -> Result<(), ApiError> {
    let kind = kinds::kind(resource).ok_or_else(|| ApiError::internal("unknown kind"))?;
    let base = call.base.to_owned();
    let stored = world
        .store
        .objects
        .get_mut(id)
        .filter(|s| s.resource == resource)
        .ok_or_else(|| ApiError::not_found(kind.label, id))?;
    stored.reads += 1;
    if stored.fields.get("status") != Some(&json!("running")) {
        return Ok(());
    }
    if stored.reads < 2 {
        stored.fields.insert("progress".into(), json!(50));
        return Ok(());
    }
    stored.fields.insert("status".into(), json!("done"));
    stored.fields.insert("progress".into(), json!(100));
    if resource == "analytics_export" {
        stored.fields.insert(
            "url".into(),
            json!(format!("{base}/analytics/exports/{id}/file.csv")),
        );
        stored.fields.insert("size".into(), json!(4096));
    } else if let Some(metrics) = stored.fields.remove("_pending_metrics") {
        stored.fields.insert("metrics".into(), metrics);
    }
    Ok(())
}

pub fn get_export(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = call.param("export_id").to_owned();
    advance(world, call, "analytics_export", &id)?;
    show(world, call, "analytics_export", &id, StatusCode::OK)
}

pub fn get_report(world: &mut World, call: &Call<'_>) -> Outcome {
    let uid = call.param("report_uid").to_owned();
    advance(world, call, "analytics_report", &uid)?;
    show(world, call, "analytics_report", &uid, StatusCode::OK)
}
