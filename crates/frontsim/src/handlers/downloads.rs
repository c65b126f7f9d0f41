//! Attachment downloads: `GET /download/{id}` and the same under the message, comment,
//! message template or knowledge base article that the file is attached to.

use super::{Outcome, Reply};
use crate::error::ApiError;
use crate::kinds;
use crate::request::Call;
use crate::world::World;

/// The attachment's bytes, with its media type and file name. Under an owner, the file must
/// be attached to that owner (which must exist).
pub fn download(world: &World, call: &Call<'_>) -> Outcome {
    let mut attachment_id = "";
    let mut owner = None;
    for (name, value) in &call.params {
        if name.starts_with("attachment") {
            attachment_id = value.as_str();
        } else {
            owner = Some(value.as_str());
        }
    }
    let attachment = world
        .attachments
        .get(attachment_id)
        .ok_or_else(|| ApiError::not_found("Attachment", attachment_id))?;
    if let Some(reference) = owner {
        let kind = kinds::kind_of_id(reference).or_else(|| kinds::kind("message"));
        let id = kind
            .and_then(|kind| super::generic::find_id(world, kind, reference))
            .ok_or_else(|| ApiError::not_found(kind.map_or("Resource", |k| k.label), reference))?;
        if !attachment.owners.contains(&id) {
            return Err(ApiError::not_found("Attachment", attachment_id));
        }
    }
    Ok(Reply::File {
        content_type: attachment.content_type.clone(),
        filename: attachment.filename.clone(),
        bytes: attachment.bytes.clone(),
    })
}
