//! `/teammates`.

use super::{Outcome, Reply, custom_fields, ok};
use crate::error::ApiError;
use crate::render::plain_list;
use crate::request::Call;
use crate::world::{Teammate, World};

fn find<'w>(world: &'w World, call: &Call<'_>) -> Result<&'w Teammate, ApiError> {
    let reference = call.param("teammate_id");
    world
        .teammate(reference)
        .ok_or_else(|| ApiError::not_found("Teammate", reference))
}

/// The people of the company; the API token's own identity is not among them.
pub fn list(world: &World, call: &Call<'_>) -> Outcome {
    let view = call.view(world);
    ok(plain_list(
        call.self_url(),
        world
            .teammates
            .values()
            .filter(|t| t.kind == "user")
            .map(|t| view.teammate(t))
            .collect(),
    ))
}

pub fn get(world: &World, call: &Call<'_>) -> Outcome {
    let teammate = find(world, call)?;
    ok(call.view(world).teammate(teammate))
}

pub fn update(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.clone();
    if let Some(username) = call.body_str("username") {
        let well_formed = !username.is_empty()
            && username
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !well_formed {
            return Err(ApiError::invalid_field(
                "body.username",
                "may only contain lowercase letters, digits and underscores",
            ));
        }
        if let Some(other) = world
            .teammates
            .values()
            .find(|t| t.username == username && t.id != id)
        {
            return Err(ApiError::conflict(format!(
                "The username {username} is already taken by {}",
                other.id
            )));
        }
    }
    let fields = custom_fields(call, "custom_fields")?;
    let Some(teammate) = world.teammates.get_mut(&id) else {
        return Err(ApiError::not_found("Teammate", &id));
    };
    if let Some(username) = call.body_str("username") {
        teammate.username = username.to_owned();
    }
    if let Some(first_name) = call.body_str("first_name") {
        teammate.first_name = first_name.to_owned();
    }
    if let Some(last_name) = call.body_str("last_name") {
        teammate.last_name = last_name.to_owned();
    }
    if let Some(available) = call.body_bool("is_available") {
        teammate.is_available = available;
    }
    if let Some(fields) = fields {
        teammate.custom_fields = fields;
    }
    Ok(Reply::NoContent)
}
