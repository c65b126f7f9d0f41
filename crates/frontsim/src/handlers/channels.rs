//! `/channels` (reading and updating; sending is in `messages`).

use serde_json::Value;

use super::{Outcome, Reply, inbox_id, ok};
use crate::error::ApiError;
use crate::render::plain_list;
use crate::request::Call;
use crate::world::{Channel, World};

/// The channel named by the path (`cha_` id or `alt:address:`), or 404.
pub fn find<'w>(world: &'w World, call: &Call<'_>) -> Result<&'w Channel, ApiError> {
    let reference = call.param("channel_id");
    world
        .channel(reference)
        .ok_or_else(|| ApiError::not_found("Channel", reference))
}

pub fn list(world: &World, call: &Call<'_>) -> Outcome {
    let view = call.view(world);
    ok(plain_list(
        call.self_url(),
        world.channels.values().map(|c| view.channel(c)).collect(),
    ))
}

pub fn get(world: &World, call: &Call<'_>) -> Outcome {
    let channel = find(world, call)?;
    ok(call.view(world).channel(channel))
}

pub fn update(world: &mut World, call: &Call<'_>) -> Outcome {
    let channel = find(world, call)?;
    let id = channel.id.clone();
    let settings = call.body_field("settings").and_then(Value::as_object);
    // Front: "for non-custom channels only undo_send_time and all_teammates_can_reply".
    if settings.is_some_and(|s| s.contains_key("webhook_url")) && channel.kind != "custom" {
        return Err(ApiError::invalid_field(
            "body.settings.webhook_url",
            "can only be set on custom channels",
        ));
    }
    let inbox = call
        .body_str("inbox_id")
        .map(|inbox| inbox_id(world, inbox, "body.inbox_id"))
        .transpose()?;
    let Some(channel) = world.channels.get_mut(&id) else {
        return Err(ApiError::not_found("Channel", &id));
    };
    if let Some(name) = call.body_str("name") {
        channel.name = name.to_owned();
    }
    if let Some(inbox) = inbox {
        channel.inbox_id = Some(inbox);
    }
    if let Some(settings) = settings {
        if let Some(undo) = settings.get("undo_send_time").and_then(Value::as_i64) {
            channel.undo_send_time = undo;
        }
        if let Some(all) = settings
            .get("all_teammates_can_reply")
            .and_then(Value::as_bool)
        {
            channel.all_teammates_can_reply = all;
        }
    }
    Ok(Reply::NoContent)
}
