//! `/channels` (reading and updating; sending is in `messages`).

use serde_json::Value;

use super::{Outcome, Reply, inbox_id, ok};
use crate::error::ApiError;
use crate::render::plain_list;
use crate::request::Call;
use crate::world::{Channel, IdKind, World};

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

/// Creates the channel the body describes in `inbox_id`; returns its id. Its type is one of
/// `ChannelResponse.type`'s values (the input's enum has the same ones).
pub fn insert(
    world: &mut World,
    call: &Call<'_>,
    inbox_id: Option<String>,
) -> Result<String, ApiError> {
    let wanted = call.body_str("type").unwrap_or("custom");
    let kind = crate::spec::component("ChannelResponse")
        .and_then(|schema| schema.pointer("/properties/type/enum"))
        .and_then(Value::as_array)
        .and_then(|kinds| {
            kinds
                .iter()
                .filter_map(Value::as_str)
                .find(|k| *k == wanted)
        })
        .ok_or_else(|| {
            ApiError::invalid_field("body.type", format!("`{wanted}` is not a channel type"))
        })?;
    let id = world.ids.mint(IdKind::Channel);
    let name = call.body_str("name").unwrap_or(wanted).to_owned();
    let address = call
        .body_str("send_as")
        .map_or_else(|| format!("{id}@channels.example.com"), str::to_owned);
    let undo_send_time = call
        .body_field("settings")
        .and_then(|s| s.get("undo_send_time"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    world.channels.insert(
        id.clone(),
        Channel {
            id: id.clone(),
            name,
            send_as: address.clone(),
            address,
            kind,
            inbox_id,
            undo_send_time,
            all_teammates_can_reply: true,
            is_private: false,
            is_valid: true,
        },
    );
    Ok(id)
}
