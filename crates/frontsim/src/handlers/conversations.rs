//! `/conversations` and its sub-resources: messages, comments, tags, followers, assignee.

use serde_json::Value;

use super::{
    Outcome, Reply, conversation_page, created, custom_fields, inbox_id, ok, tag_ids, teammate_id,
};
use crate::error::ApiError;
use crate::paging::paginate;
use crate::render::{paged_list, plain_list};
use crate::request::{Call, DEFAULT_LIMIT};
use crate::world::{
    Comment, Conversation, ConversationState, EventSource, EventTarget, IdKind, Message, World,
};

/// The conversation named by the path, or 404.
pub fn find<'w>(world: &'w World, call: &Call<'_>) -> Result<&'w Conversation, ApiError> {
    let id = call.param("conversation_id");
    world
        .conversations
        .get(id)
        .ok_or_else(|| ApiError::not_found("Conversation", id))
}

fn find_id(world: &World, call: &Call<'_>) -> Result<String, ApiError> {
    find(world, call).map(|c| c.id.clone())
}

pub fn list(world: &World, call: &Call<'_>) -> Outcome {
    conversation_page(world, call, |_| true)
}

pub fn get(world: &World, call: &Call<'_>) -> Outcome {
    let conversation = find(world, call)?;
    ok(call.view(world).conversation(conversation))
}

/// What a status in `UpdateConversation` changes, and the event Front records for it.
fn transition(
    from: ConversationState,
    to: &str,
) -> Option<(ConversationState, Option<&'static str>)> {
    use ConversationState::*;
    match (from, to) {
        (Archived, "archived") | (Open, "open") | (Trashed, "deleted") | (Spam, "spam") => None,
        (_, "archived") => Some((Archived, Some("archive"))),
        (Archived, "open") => Some((Open, Some("reopen"))),
        (_, "open") => Some((Open, Some("restore"))),
        (_, "deleted") => Some((Trashed, Some("trash"))),
        // Front has no event type for marking spam.
        (_, "spam") => Some((Spam, None)),
        _ => None,
    }
}

pub fn update(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find_id(world, call)?;
    if call.body_field("status_id").is_some() {
        return Err(super::ticketing_disabled("body.status_id"));
    }
    for task_only in ["description", "due_at"] {
        if call.body_field(task_only).is_some() {
            return Err(ApiError::invalid_field(
                &format!("body.{task_only}"),
                "is only allowed on task conversations",
            ));
        }
    }
    // Resolve everything before changing anything.
    let assignee = match call.body_field("assignee_id") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(value) => Some(Some(teammate_id(
            world,
            value.as_str().unwrap_or_default(),
            "body.assignee_id",
        )?)),
    };
    let inbox = call
        .body_str("inbox_id")
        .map(|inbox| inbox_id(world, inbox, "body.inbox_id"))
        .transpose()?;
    let tags = call
        .body_strings("tag_ids")
        .map(|ids| tag_ids(world, &ids, "body.tag_ids"))
        .transpose()?;
    let fields = custom_fields(call, "custom_fields")?;

    if let Some(assignee) = assignee {
        world.assign(&id, assignee, EventSource::Api, call.now);
    }
    if let Some(inbox) = inbox {
        let moved = world
            .conversations
            .get_mut(&id)
            .filter(|c| c.inbox_id != inbox)
            .map(|c| c.inbox_id = inbox.clone())
            .is_some();
        if moved {
            world.emit(
                "move",
                &id,
                EventSource::Api,
                EventTarget::Inbox(inbox),
                call.now,
            );
        }
    }
    if let Some(status) = call.body_str("status") {
        let from = world.conversations.get(&id).map(|c| c.state);
        if let Some((state, event)) = from.and_then(|from| transition(from, status)) {
            if let Some(conversation) = world.conversations.get_mut(&id) {
                conversation.state = state;
            }
            if let Some(kind) = event {
                world.emit(kind, &id, EventSource::Api, EventTarget::Nothing, call.now);
            }
        }
    }
    if let Some(tags) = tags {
        let current = world
            .conversations
            .get(&id)
            .map(|c| c.tag_ids.clone())
            .unwrap_or_default();
        let removed: Vec<String> = current
            .iter()
            .filter(|t| !tags.contains(t))
            .cloned()
            .collect();
        let added: Vec<String> = tags
            .iter()
            .filter(|t| !current.contains(t))
            .cloned()
            .collect();
        for tag in removed {
            world.untag(&id, tag, EventSource::Api, call.now);
        }
        for tag in added {
            world.tag(&id, tag, EventSource::Api, call.now);
        }
        // Keep the order the caller gave.
        if let Some(conversation) = world.conversations.get_mut(&id) {
            conversation.tag_ids = tags;
        }
    }
    if let Some(fields) = fields {
        if let Some(conversation) = world.conversations.get_mut(&id) {
            conversation.custom_fields = fields;
        }
        world.emit(
            "custom_field_updated",
            &id,
            EventSource::Api,
            EventTarget::CustomFields,
            call.now,
        );
    }
    world.touch(&id, call.now);
    Ok(Reply::NoContent)
}

pub fn update_assignee(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find_id(world, call)?;
    let assignee = match call.body_field("assignee_id") {
        Some(Value::String(reference)) => Some(teammate_id(world, reference, "body.assignee_id")?),
        _ => None,
    };
    world.assign(&id, assignee, EventSource::Api, call.now);
    world.touch(&id, call.now);
    Ok(Reply::NoContent)
}

pub fn list_messages(world: &World, call: &Call<'_>) -> Outcome {
    let conversation = find(world, call)?;
    let request = call.page_request(DEFAULT_LIMIT, true)?;
    let messages: Vec<&Message> = conversation
        .message_ids
        .iter()
        .filter_map(|id| world.messages.get(id))
        .collect();
    let page = paginate(messages, |m| (m.created_at, m.id.as_str()), &request);
    let view = call.view(world);
    ok(paged_list(
        call.self_url(),
        page.next.map(|cursor| call.next_url(&cursor)),
        page.items.iter().map(|m| view.message(m)).collect(),
        None,
    ))
}

pub fn list_comments(world: &World, call: &Call<'_>) -> Outcome {
    let conversation = find(world, call)?;
    let mut comments: Vec<&Comment> = conversation
        .comment_ids
        .iter()
        .filter_map(|id| world.comments.get(id))
        .collect();
    comments.sort_by(|a, b| {
        b.posted_at
            .total_cmp(&a.posted_at)
            .then_with(|| b.id.cmp(&a.id))
    });
    let view = call.view(world);
    ok(plain_list(
        call.self_url(),
        comments.iter().map(|c| view.comment(c)).collect(),
    ))
}

pub fn add_comment(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find_id(world, call)?;
    comment_on(world, call, id)
}

/// Posts the body's comment on conversation `id` (201 with the comment), with Front's
/// `comment` event. Shared with replies to a comment, which join the same conversation.
pub fn comment_on(world: &mut World, call: &Call<'_>, id: String) -> Outcome {
    let author_id = match call.body_str("author_id") {
        Some(reference) => teammate_id(world, reference, "body.author_id")?,
        // "If omitted, will post as the API Token".
        None => world.api_teammate_id.clone(),
    };
    let comment_id = world.ids.mint(IdKind::Comment);
    let comment = Comment {
        id: comment_id.clone(),
        conversation_id: id.clone(),
        author_id,
        body: call.body_str("body").unwrap_or_default().to_owned(),
        posted_at: call.now,
        is_pinned: call.body_bool("is_pinned").unwrap_or(false),
    };
    world.comments.insert(comment_id.clone(), comment);
    if let Some(conversation) = world.conversations.get_mut(&id) {
        conversation.comment_ids.push(comment_id.clone());
    }
    world.emit(
        "comment",
        &id,
        EventSource::Api,
        EventTarget::Comment(comment_id.clone()),
        call.now,
    );
    world.touch(&id, call.now);
    let view = call.view(world);
    match world.comments.get(&comment_id) {
        Some(comment) => created(view.comment(comment)),
        None => Err(ApiError::not_found("Comment", &comment_id)),
    }
}

pub fn add_tags(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find_id(world, call)?;
    let tags = tag_ids(
        world,
        &call.body_strings("tag_ids").unwrap_or_default(),
        "body.tag_ids",
    )?;
    for tag in tags {
        world.tag(&id, tag, EventSource::Api, call.now);
    }
    world.touch(&id, call.now);
    Ok(Reply::NoContent)
}

pub fn remove_tags(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find_id(world, call)?;
    let tags = tag_ids(
        world,
        &call.body_strings("tag_ids").unwrap_or_default(),
        "body.tag_ids",
    )?;
    for tag in tags {
        world.untag(&id, tag, EventSource::Api, call.now);
    }
    world.touch(&id, call.now);
    Ok(Reply::NoContent)
}

pub fn list_followers(world: &World, call: &Call<'_>) -> Outcome {
    let conversation = find(world, call)?;
    let view = call.view(world);
    ok(plain_list(
        call.self_url(),
        conversation
            .follower_ids
            .iter()
            .filter_map(|id| world.teammates.get(id))
            .map(|t| view.teammate(t))
            .collect(),
    ))
}

pub fn add_followers(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find_id(world, call)?;
    let ignore_errors = call.query_bool("ignore_errors").unwrap_or(false);
    let mut followers = Vec::new();
    let mut problems = Vec::new();
    for (index, reference) in call
        .body_strings("teammate_ids")
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        match world.teammate(reference) {
            Some(teammate) => followers.push(teammate.id.clone()),
            None => problems.push(format!(
                "body.teammate_ids[{index}]: teammate `{reference}` does not exist"
            )),
        }
    }
    if !problems.is_empty() && !ignore_errors {
        return Err(ApiError::invalid_request(problems));
    }
    if let Some(conversation) = world.conversations.get_mut(&id) {
        for follower in followers {
            if !conversation.follower_ids.contains(&follower) {
                conversation.follower_ids.push(follower);
            }
        }
    }
    Ok(Reply::NoContent)
}

pub fn delete(world: &mut World, call: &Call<'_>) -> Outcome {
    let conversation = find(world, call)?;
    if conversation.state != ConversationState::Trashed {
        return Err(ApiError::bad_request(format!(
            "Conversation must have status trashed before it can be permanently deleted; {} is {}",
            conversation.id,
            conversation.status()
        )));
    }
    let id = conversation.id.clone();
    world.purge_conversation(&id);
    Ok(Reply::NoContent)
}

/// `POST /conversations`: a discussion (a conversation without messages) among teammates,
/// with an optional first comment. Answers 201 with the conversation.
pub fn create(world: &mut World, call: &Call<'_>) -> Outcome {
    if call.body_str("type") != Some("discussion") {
        return Err(ApiError::invalid_field(
            "body.type",
            "only `discussion` conversations can be created this way",
        ));
    }
    let inbox = match call.body_str("inbox_id") {
        Some(reference) => inbox_id(world, reference, "body.inbox_id")?,
        None => world.inboxes.keys().next().cloned().unwrap_or_default(),
    };
    let mut followers = Vec::new();
    for (index, reference) in call
        .body_strings("teammate_ids")
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        followers.push(teammate_id(
            world,
            reference,
            &format!("body.teammate_ids[{index}]"),
        )?);
    }
    let comment = call.body_field("comment").and_then(Value::as_object);
    let comment_author = comment
        .and_then(|c| c.get("author_id"))
        .and_then(Value::as_str)
        .map(|reference| teammate_id(world, reference, "body.comment.author_id"))
        .transpose()?;
    let fields = custom_fields(call, "custom_fields")?;
    let id = world.open_conversation(
        crate::world::NewConversation {
            subject: call.body_str("subject").unwrap_or_default().to_owned(),
            inbox_id: inbox,
            recipient: None,
            assignee_id: None,
        },
        call.now,
    );
    if let Some(conversation) = world.conversations.get_mut(&id) {
        conversation.follower_ids = followers;
        if let Some(fields) = fields {
            conversation.custom_fields = fields;
        }
    }
    if let Some(body) = comment.and_then(|c| c.get("body")).and_then(Value::as_str) {
        let comment_id = world.ids.mint(IdKind::Comment);
        let author_id = comment_author.unwrap_or_else(|| world.api_teammate_id.clone());
        world.comments.insert(
            comment_id.clone(),
            Comment {
                id: comment_id.clone(),
                conversation_id: id.clone(),
                author_id,
                body: body.to_owned(),
                posted_at: call.now,
                is_pinned: false,
            },
        );
        if let Some(conversation) = world.conversations.get_mut(&id) {
            conversation.comment_ids.push(comment_id.clone());
        }
        world.emit(
            "comment",
            &id,
            EventSource::Api,
            EventTarget::Comment(comment_id),
            call.now,
        );
    }
    match world.conversations.get(&id) {
        Some(conversation) => created(call.view(world).conversation(conversation)),
        None => Err(ApiError::not_found("Conversation", &id)),
    }
}

/// `POST /conversations/{id}/links`: links the conversation to existing links (`link_ids`, 404
/// for an unknown one) and to the links of external URLs (`link_external_urls`), creating a
/// link for a URL that has none yet, as Front does.
pub fn add_links(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find_id(world, call)?;
    let mut links = Vec::new();
    for reference in call.body_strings("link_ids").unwrap_or_default() {
        if world.store.get(&reference, "link").is_none() {
            return Err(ApiError::not_found("Link", &reference));
        }
        links.push(reference);
    }
    for url in call.body_strings("link_external_urls").unwrap_or_default() {
        let known = world
            .store
            .objects
            .values()
            .find(|s| {
                s.resource == "link"
                    && s.fields.get("external_url") == Some(&Value::from(url.as_str()))
            })
            .map(|s| s.id.clone());
        let link = match known {
            Some(link) => link,
            None => {
                let link = world.new_stored_id("link");
                let fields = serde_json::Map::from_iter([
                    ("name".to_owned(), Value::from(url.as_str())),
                    ("type".to_owned(), Value::from("web")),
                    ("external_url".to_owned(), Value::from(url.as_str())),
                ]);
                world.put_object("link", link, call.now, fields)
            }
        };
        links.push(link);
    }
    for link in links {
        world.store.relate(&id, &link);
    }
    Ok(Reply::NoContent)
}
