//! `/inboxes`.

use super::{Outcome, conversation_page, created, custom_fields, ok, teammate_id};
use crate::error::ApiError;
use crate::render::plain_list;
use crate::request::Call;
use crate::world::{IdKind, Inbox, World};

fn find<'w>(world: &'w World, call: &Call<'_>) -> Result<&'w Inbox, ApiError> {
    let id = call.param("inbox_id");
    world
        .inboxes
        .get(id)
        .ok_or_else(|| ApiError::not_found("Inbox", id))
}

pub fn list(world: &World, call: &Call<'_>) -> Outcome {
    let view = call.view(world);
    ok(plain_list(
        call.self_url(),
        world.inboxes.values().map(|i| view.inbox(i)).collect(),
    ))
}

pub fn get(world: &World, call: &Call<'_>) -> Outcome {
    let inbox = find(world, call)?;
    ok(call.view(world).inbox(inbox))
}

pub fn list_conversations(world: &World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.as_str();
    conversation_page(world, call, |c| c.inbox_id == id)
}

pub fn list_channels(world: &World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.as_str();
    let view = call.view(world);
    ok(plain_list(
        call.self_url(),
        world
            .channels
            .values()
            .filter(|c| c.inbox_id.as_deref() == Some(id))
            .map(|c| view.channel(c))
            .collect(),
    ))
}

pub fn create(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = insert(world, call)?;
    match world.inboxes.get(&id) {
        Some(inbox) => created(call.view(world).inbox(inbox)),
        None => Err(ApiError::not_found("Inbox", &id)),
    }
}

/// Creates the inbox the body describes; returns its id.
pub fn insert(world: &mut World, call: &Call<'_>) -> Result<String, ApiError> {
    // Teammates are checked even though the simulator does not model inbox access.
    for (index, reference) in call
        .body_strings("teammate_ids")
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        teammate_id(world, reference, &format!("body.teammate_ids[{index}]"))?;
    }
    let fields = custom_fields(call, "custom_fields")?.unwrap_or_default();
    let id = world.ids.mint(IdKind::Inbox);
    let is_public = call.body_bool("is_public").unwrap_or(false);
    let inbox = Inbox {
        id: id.clone(),
        name: call.body_str("name").unwrap_or_default().to_owned(),
        is_private: !is_public,
        is_public,
        custom_fields: fields,
    };
    world.inboxes.insert(id.clone(), inbox);
    Ok(id)
}
