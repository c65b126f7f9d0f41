//! `/events` and `/conversations/{id}/events`: the activity that writes leave behind.

use serde_json::Value;

use super::{Outcome, conversations, ok};
use crate::error::ApiError;
use crate::paging::paginate;
use crate::render::paged_list;
use crate::request::{Call, DEFAULT_LIMIT};
use crate::world::{Event, World};

/// Front's page size for `/events` (also its maximum).
const EVENTS_LIMIT: usize = 15;

fn page(world: &World, call: &Call<'_>, events: Vec<&Event>, default_limit: usize) -> Outcome {
    // Newest first unless `sort_order=asc`; `sort_by` only knows `created_at`.
    let request = call.page_request(default_limit, true)?;
    let page = paginate(events, |e| (e.emitted_at, e.id.as_str()), &request);
    let view = call.view(world);
    ok(paged_list(
        call.self_url(),
        page.next.map(|cursor| call.next_url(&cursor)),
        page.items.iter().map(|e| view.event(e)).collect(),
        None,
    ))
}

pub fn list(world: &World, call: &Call<'_>) -> Outcome {
    let types = call.q_strings("types");
    let inboxes = call.q_strings("inboxes");
    let after = call.q("after").and_then(Value::as_f64);
    let before = call.q("before").and_then(Value::as_f64);
    let events = world
        .events
        .values()
        .filter(|e| types.is_empty() || types.binary_search(&e.kind).is_ok())
        .filter(|e| inboxes.is_empty() || inboxes.binary_search(&e.inbox_id.as_str()).is_ok())
        .filter(|e| after.is_none_or(|a| e.emitted_at > a))
        .filter(|e| before.is_none_or(|b| e.emitted_at < b))
        .collect();
    page(world, call, events, EVENTS_LIMIT)
}

pub fn get(world: &World, call: &Call<'_>) -> Outcome {
    let id = call.param("event_id");
    let event = world
        .events
        .get(id)
        .ok_or_else(|| ApiError::not_found("Event", id))?;
    ok(call.view(world).event(event))
}

pub fn list_for_conversation(world: &World, call: &Call<'_>) -> Outcome {
    let conversation = conversations::find(world, call)?;
    let events = conversation
        .event_ids
        .iter()
        .filter_map(|id| world.events.get(id))
        .collect();
    page(world, call, events, DEFAULT_LIMIT)
}
