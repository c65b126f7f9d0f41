//! `/comments/{id}`: editing a comment, replying to it and who it mentions.

use super::{Outcome, conversations, ok};
use crate::error::ApiError;
use crate::render::plain_list;
use crate::request::Call;
use crate::world::World;

fn find_id(world: &World, call: &Call<'_>) -> Result<String, ApiError> {
    let id = call.param("comment_id");
    world
        .comments
        .get(id)
        .map(|c| c.id.clone())
        .ok_or_else(|| ApiError::not_found("Comment", id))
}

/// `PATCH /comments/{id}/`: a new body and pin state.
pub fn update(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find_id(world, call)?;
    if let Some(comment) = world.comments.get_mut(&id) {
        if let Some(body) = call.body_str("body") {
            comment.body = body.to_owned();
        }
        if let Some(pinned) = call.body_bool("is_pinned") {
            comment.is_pinned = pinned;
        }
    }
    match world.comments.get(&id) {
        Some(comment) => ok(call.view(world).comment(comment)),
        None => Err(ApiError::not_found("Comment", &id)),
    }
}

/// `POST /comments/{id}/replies`: a comment in the same conversation (201).
pub fn reply(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find_id(world, call)?;
    let conversation = world
        .comments
        .get(&id)
        .map(|c| c.conversation_id.clone())
        .unwrap_or_default();
    conversations::comment_on(world, call, conversation)
}

/// `GET /comments/{id}/mentions`: the teammates whose `@username` the comment contains.
pub fn mentions(world: &World, call: &Call<'_>) -> Outcome {
    let id = find_id(world, call)?;
    let body = world
        .comments
        .get(&id)
        .map(|c| c.body.to_lowercase())
        .unwrap_or_default();
    let view = call.view(world);
    ok(plain_list(
        call.self_url(),
        world
            .teammates
            .values()
            .filter(|t| {
                t.kind == "user" && body.contains(&format!("@{}", t.username.to_lowercase()))
            })
            .map(|t| view.teammate(t))
            .collect(),
    ))
}
