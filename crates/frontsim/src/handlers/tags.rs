//! `/tags`, their children and the conversations carrying them.

use serde_json::Value;

use super::{Outcome, Reply, conversation_page, created, ok};
use crate::error::ApiError;
use crate::paging::paginate;
use crate::render::{paged_list, plain_list};
use crate::request::{Call, DEFAULT_LIMIT};
use crate::world::{IdKind, Tag, World};

fn find<'w>(world: &'w World, call: &Call<'_>) -> Result<&'w Tag, ApiError> {
    let id = call.param("tag_id");
    world
        .tags
        .get(id)
        .ok_or_else(|| ApiError::not_found("Tag", id))
}

/// Paginated although the spec's `listOfTags` has no `_pagination`: the operation takes
/// `limit` and `page_token`, so clients following `_pagination.next` get every tag.
pub fn list(world: &World, call: &Call<'_>) -> Outcome {
    let request = call.page_request(DEFAULT_LIMIT, false)?;
    let page = paginate(
        world.tags.values().collect(),
        |t| (0.0, t.id.as_str()),
        &request,
    );
    let view = call.view(world);
    ok(paged_list(
        call.self_url(),
        page.next.map(|cursor| call.next_url(&cursor)),
        page.items.iter().map(|t| view.tag(t)).collect(),
        None,
    ))
}

pub fn get(world: &World, call: &Call<'_>) -> Outcome {
    let tag = find(world, call)?;
    ok(call.view(world).tag(tag))
}

fn new_tag(world: &mut World, call: &Call<'_>, parent_id: Option<String>) -> Outcome {
    let id = insert(world, call, parent_id);
    match world.tags.get(&id) {
        Some(tag) => created(call.view(world).tag(tag)),
        None => Err(ApiError::not_found("Tag", &id)),
    }
}

/// Creates the tag the body describes; returns its id.
pub fn insert(world: &mut World, call: &Call<'_>, parent_id: Option<String>) -> String {
    let id = world.ids.mint(IdKind::Tag);
    let tag = Tag {
        id: id.clone(),
        name: call.body_str("name").unwrap_or_default().to_owned(),
        description: call.body_str("description").map(str::to_owned),
        highlight: call.body_str("highlight").map(str::to_owned),
        parent_id,
        is_private: false,
        is_visible_in_conversation_lists: call
            .body_bool("is_visible_in_conversation_lists")
            .unwrap_or(false),
        created_at: call.now,
        updated_at: call.now,
    };
    world.tags.insert(id.clone(), tag);
    id
}

pub fn create(world: &mut World, call: &Call<'_>) -> Outcome {
    new_tag(world, call, None)
}

pub fn create_child(world: &mut World, call: &Call<'_>) -> Outcome {
    let parent = find(world, call)?.id.clone();
    new_tag(world, call, Some(parent))
}

/// Whether `ancestor` is `tag` or above it.
fn is_ancestor(world: &World, ancestor: &str, tag: &str) -> bool {
    let mut current = Some(tag.to_owned());
    // Bounded by the number of tags, so a corrupt chain cannot loop forever.
    for _ in 0..=world.tags.len() {
        match current {
            Some(id) if id == ancestor => return true,
            Some(id) => current = world.tags.get(&id).and_then(|t| t.parent_id.clone()),
            None => return false,
        }
    }
    false
}

pub fn update(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.clone();
    let parent = match call.body_field("parent_tag_id") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(value) => {
            let parent = value.as_str().unwrap_or_default();
            if !world.tags.contains_key(parent) {
                return Err(ApiError::invalid_field(
                    "body.parent_tag_id",
                    format!("tag `{parent}` does not exist"),
                ));
            }
            if is_ancestor(world, &id, parent) {
                return Err(ApiError::invalid_field(
                    "body.parent_tag_id",
                    "would nest the tag under itself",
                ));
            }
            Some(Some(parent.to_owned()))
        }
    };
    let Some(tag) = world.tags.get_mut(&id) else {
        return Err(ApiError::not_found("Tag", &id));
    };
    if let Some(name) = call.body_str("name") {
        tag.name = name.to_owned();
    }
    if let Some(description) = call.body_str("description") {
        tag.description = Some(description.to_owned());
    }
    if let Some(highlight) = call.body_str("highlight") {
        tag.highlight = Some(highlight.to_owned());
    }
    if let Some(visible) = call.body_bool("is_visible_in_conversation_lists") {
        tag.is_visible_in_conversation_lists = visible;
    }
    if let Some(parent) = parent {
        tag.parent_id = parent;
    }
    tag.updated_at = call.now;
    Ok(Reply::NoContent)
}

/// Deletes the tag, takes it off every conversation, and makes its children top-level.
pub fn delete(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.clone();
    world.tags.shift_remove(&id);
    for tag in world.tags.values_mut() {
        if tag.parent_id.as_deref() == Some(id.as_str()) {
            tag.parent_id = None;
        }
    }
    for conversation in world.conversations.values_mut() {
        conversation.tag_ids.retain(|t| t != &id);
    }
    world.store.forget(&id);
    Ok(Reply::NoContent)
}

pub fn list_conversations(world: &World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.as_str();
    conversation_page(world, call, |c| c.tag_ids.iter().any(|t| t == id))
}

pub fn list_children(world: &World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.as_str();
    let view = call.view(world);
    ok(plain_list(
        call.self_url(),
        world
            .tags
            .values()
            .filter(|t| t.parent_id.as_deref() == Some(id))
            .map(|t| view.tag(t))
            .collect(),
    ))
}
