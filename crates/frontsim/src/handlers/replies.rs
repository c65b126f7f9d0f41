//! Writing in an existing conversation: replies, reply drafts (create, list, edit, delete),
//! messages arriving on custom channels or imported, and whether a message was seen.

use hyper::StatusCode;
use serde_json::{Value, json};

use super::messages::{check_signature, plain_text, send_options};
use super::{Outcome, Reply, conversations, ok, teammate_id};
use crate::error::ApiError;
use crate::paging::paginate;
use crate::render::paged_list;
use crate::request::{Call, DEFAULT_LIMIT};
use crate::world::{
    Channel, ConversationState, EventSource, EventTarget, IdKind, Letter, Message, Recipient,
    World, timestamp,
};

/// The channel a reply goes out on: `channel_id` when given, else the conversation's own
/// (the channel of its inbox that carries its kind of message), else any of its inbox's.
fn reply_channel(
    world: &World,
    conversation_id: &str,
    call: &Call<'_>,
) -> Result<Channel, ApiError> {
    if let Some(reference) = call.body_str("channel_id") {
        return world.channel(reference).cloned().ok_or_else(|| {
            ApiError::invalid_field(
                "body.channel_id",
                format!("channel `{reference}` does not exist"),
            )
        });
    }
    let conversation = world
        .conversations
        .get(conversation_id)
        .ok_or_else(|| ApiError::not_found("Conversation", conversation_id))?;
    let kind = conversation
        .message_ids
        .first()
        .and_then(|m| world.messages.get(m))
        .map(|m| m.kind);
    let of_inbox = |c: &&Channel| c.inbox_id.as_deref() == Some(conversation.inbox_id.as_str());
    world
        .channels
        .values()
        .filter(of_inbox)
        .find(|c| Some(c.message_type()) == kind)
        .or_else(|| world.channels.values().find(of_inbox))
        .or_else(|| world.channels.values().next())
        .cloned()
        .ok_or_else(|| ApiError::invalid_field("body.channel_id", "no channel can send this reply"))
}

/// An outbound message in a conversation (a reply, or a draft when `draft_mode` is set),
/// to the recipients given or else to the conversation's customer. Returns its id.
fn write_in(
    world: &mut World,
    conversation_id: &str,
    channel: &Channel,
    author_id: Option<String>,
    draft_mode: Option<&'static str>,
    call: &Call<'_>,
) -> String {
    let now = call.now;
    let mut recipients = vec![Recipient {
        name: call
            .body_str("sender_name")
            .map(str::to_owned)
            .or_else(|| Some(channel.name.clone())),
        handle: channel.address.clone(),
        role: "from",
        contact_id: None,
    }];
    let customer = world
        .conversations
        .get(conversation_id)
        .and_then(|c| c.recipient.clone());
    let to = call.body_strings("to").unwrap_or_default();
    if to.is_empty()
        && let Some(customer) = customer
    {
        recipients.push(Recipient {
            role: "to",
            ..customer
        });
    }
    for (role, handles) in [
        ("to", to),
        ("cc", call.body_strings("cc").unwrap_or_default()),
        ("bcc", call.body_strings("bcc").unwrap_or_default()),
    ] {
        for handle in handles {
            let contact_id = world.contact_for(channel, &handle, now);
            recipients.push(Recipient {
                name: world.contacts.get(&contact_id).and_then(|c| c.name.clone()),
                handle,
                role,
                contact_id: Some(contact_id),
            });
        }
    }
    let subject = call.body_str("subject").map_or_else(
        || {
            world
                .conversations
                .get(conversation_id)
                .map(|c| format!("Re: {}", c.subject))
                .unwrap_or_default()
        },
        str::to_owned,
    );
    let body = call.body_str("body").unwrap_or_default().to_owned();
    let text = call
        .body_str("text")
        .map_or_else(|| plain_text(&body), str::to_owned);
    let id = world.ids.mint(IdKind::Message);
    let uid = world.ids.uid();
    world.add_message(Message {
        id: id.clone(),
        uid,
        conversation_id: conversation_id.to_owned(),
        kind: channel.message_type(),
        is_inbound: false,
        draft_mode,
        created_at: now,
        subject,
        author_id,
        recipients,
        body,
        text,
    });
    id
}

fn author(world: &World, call: &Call<'_>) -> Result<Option<String>, ApiError> {
    call.body_str("author_id")
        .map(|reference| teammate_id(world, reference, "body.author_id"))
        .transpose()
}

/// `POST /conversations/{id}/messages`: answers 202 with the message uid; the reply is in the
/// conversation's messages at once, with Front's `out_reply` event.
pub fn reply(world: &mut World, call: &Call<'_>) -> Outcome {
    let conversation_id = conversations::find(world, call)?.id.clone();
    let channel = reply_channel(world, &conversation_id, call)?;
    check_signature(world, &channel, call)?;
    let author_id = author(world, call)?;
    let (tags, archive) = send_options(world, call)?;

    let message_id = write_in(world, &conversation_id, &channel, author_id, None, call);
    let now = call.now;
    world.emit(
        "out_reply",
        &conversation_id,
        EventSource::Api,
        EventTarget::Message(message_id.clone()),
        now,
    );
    for tag in tags {
        world.tag(&conversation_id, tag, EventSource::Api, now);
    }
    let open = world
        .conversations
        .get(&conversation_id)
        .is_some_and(|c| c.state == ConversationState::Open);
    if archive && open {
        if let Some(conversation) = world.conversations.get_mut(&conversation_id) {
            conversation.state = ConversationState::Archived;
        }
        world.emit(
            "archive",
            &conversation_id,
            EventSource::Api,
            EventTarget::Nothing,
            now,
        );
    }
    accepted(world, &message_id)
}

/// Front's 202 for a message it will deliver: `{"status": "accepted", "message_uid": …}`.
fn accepted(world: &World, message_id: &str) -> Outcome {
    let uid = world
        .messages
        .get(message_id)
        .map(|m| m.uid.clone())
        .unwrap_or_default();
    super::json(
        StatusCode::ACCEPTED,
        &json!({ "status": "accepted", "message_uid": uid }),
    )
}

fn draft_mode(call: &Call<'_>) -> &'static str {
    match call.body_str("mode") {
        Some("shared") => "shared",
        _ => "private",
    }
}

/// `POST /conversations/{id}/drafts`: a reply draft in the conversation (200, as Front).
pub fn create_draft(world: &mut World, call: &Call<'_>) -> Outcome {
    let conversation_id = conversations::find(world, call)?.id.clone();
    let channel = reply_channel(world, &conversation_id, call)?;
    check_signature(world, &channel, call)?;
    let author_id = author(world, call)?.or_else(|| Some(world.api_teammate_id.clone()));
    let id = write_in(
        world,
        &conversation_id,
        &channel,
        author_id,
        Some(draft_mode(call)),
        call,
    );
    show_message(world, call, &id)
}

fn show_message(world: &World, call: &Call<'_>, id: &str) -> Outcome {
    let message = world
        .messages
        .get(id)
        .ok_or_else(|| ApiError::not_found("Message", id))?;
    ok(call.view(world).message(message))
}

/// `GET /conversations/{id}/drafts`: the conversation's drafts, oldest first.
pub fn list_drafts(world: &World, call: &Call<'_>) -> Outcome {
    let conversation = conversations::find(world, call)?;
    let request = call.page_request(DEFAULT_LIMIT, false)?;
    let drafts: Vec<&Message> = conversation
        .message_ids
        .iter()
        .filter_map(|id| world.messages.get(id))
        .filter(|m| m.draft_mode.is_some())
        .collect();
    let page = paginate(drafts, |m| (m.created_at, m.id.as_str()), &request);
    let view = call.view(world);
    ok(paged_list(
        call.self_url(),
        page.next.map(|cursor| call.next_url(&cursor)),
        page.items.iter().map(|m| view.message(m)).collect(),
        None,
    ))
}

/// The draft a path parameter names: a message that is still a draft, or 404.
fn find_draft(world: &World, call: &Call<'_>, param: &str) -> Result<String, ApiError> {
    let reference = call.param(param);
    world
        .message(reference)
        .filter(|m| m.draft_mode.is_some())
        .map(|m| m.id.clone())
        .ok_or_else(|| ApiError::not_found("Draft", reference))
}

/// `PATCH /drafts/{message_id}/`: replaces the draft's body and whatever else is given.
pub fn update_draft(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find_draft(world, call, "message_id")?;
    let author_id = author(world, call)?;
    if let Some(reference) = call.body_str("channel_id")
        && world.channel(reference).is_none()
    {
        return Err(ApiError::invalid_field(
            "body.channel_id",
            format!("channel `{reference}` does not exist"),
        ));
    }
    let mode = call.body_str("mode").map(|_| draft_mode(call));
    if let Some(message) = world.messages.get_mut(&id) {
        if let Some(body) = call.body_str("body") {
            message.body = body.to_owned();
            message.text = call
                .body_str("text")
                .map_or_else(|| plain_text(body), str::to_owned);
        }
        if let Some(subject) = call.body_str("subject") {
            message.subject = subject.to_owned();
        }
        if author_id.is_some() {
            message.author_id = author_id;
        }
        if mode.is_some() {
            message.draft_mode = mode;
        }
        message.created_at = call.now;
    }
    show_message(world, call, &id)
}

/// `DELETE /drafts/{draft_id}`: the draft is gone from its conversation.
pub fn delete_draft(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find_draft(world, call, "draft_id")?;
    if let Some(message) = world.messages.shift_remove(&id) {
        world.message_by_uid.remove(&message.uid);
        if let Some(conversation) = world.conversations.get_mut(&message.conversation_id) {
            conversation.message_ids.retain(|m| m != &id);
        }
    }
    Ok(Reply::NoContent)
}

/// The `sender` object of an incoming or imported message.
fn sender(call: &Call<'_>) -> Result<String, ApiError> {
    call.body_field("sender")
        .and_then(|s| s.get("handle"))
        .and_then(Value::as_str)
        .filter(|h| !h.trim().is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ApiError::invalid_field("body.sender.handle", "is required"))
}

fn letter(call: &Call<'_>) -> Letter {
    let body = call.body_str("body").unwrap_or_default().to_owned();
    Letter {
        subject: call.body_str("subject").unwrap_or_default().to_owned(),
        text: plain_text(&body),
        body,
    }
}

/// The newest message of a conversation (the one just received).
fn newest_message(world: &World, conversation_id: &str) -> String {
    world
        .conversations
        .get(conversation_id)
        .and_then(|c| c.message_ids.last().cloned())
        .unwrap_or_default()
}

/// `POST /channels/{id}/incoming_messages`: a message from outside arrives on the channel,
/// in a new conversation of its inbox, with Front's `inbound` event.
pub fn receive(world: &mut World, call: &Call<'_>) -> Outcome {
    let channel = super::channels::find(world, call)?.clone();
    let handle = sender(call)?;
    let conversation_id = world.receive(&channel, &handle, None, letter(call), call.now);
    let message_id = newest_message(world, &conversation_id);
    accepted(world, &message_id)
}

/// `POST /inboxes/{id}/imported_messages`: a message from another system, in the inbox
/// (in `conversation_id` when given), as if received through the inbox's first channel.
pub fn import(world: &mut World, call: &Call<'_>) -> Outcome {
    let inbox_id = call.param("inbox_id").to_owned();
    if !world.inboxes.contains_key(&inbox_id) {
        return Err(ApiError::not_found("Inbox", &inbox_id));
    }
    let handle = sender(call)?;
    let reply_to = match call.body_str("conversation_id") {
        Some(id) if world.conversations.contains_key(id) => Some(id.to_owned()),
        Some(id) => {
            return Err(ApiError::invalid_field(
                "body.conversation_id",
                format!("conversation `{id}` does not exist"),
            ));
        }
        None => None,
    };
    let channel = world
        .channels
        .values()
        .find(|c| c.inbox_id.as_deref() == Some(inbox_id.as_str()))
        .cloned()
        // An inbox without channels still takes imports, as through a custom channel.
        .unwrap_or_else(|| Channel {
            id: String::new(),
            name: "Import".into(),
            address: "import".into(),
            kind: "custom",
            send_as: "import".into(),
            inbox_id: Some(inbox_id.clone()),
            undo_send_time: 0,
            all_teammates_can_reply: true,
            is_private: false,
            is_valid: true,
        });
    let conversation_id = world.receive(
        &channel,
        &handle,
        reply_to.as_deref(),
        letter(call),
        call.now,
    );
    let message_id = newest_message(world, &conversation_id);
    accepted(world, &message_id)
}

/// `GET /messages/{id}/seen`: one receipt once the message was marked seen, else none.
pub fn seen_status(world: &World, call: &Call<'_>) -> Outcome {
    let reference = call.param("message_id");
    let message = world
        .message(reference)
        .ok_or_else(|| ApiError::not_found("Message", reference))?;
    let url = format!("{}/messages/{}", call.base, message.id);
    let receipts: Vec<Value> = world
        .seen
        .get(&message.id)
        .map(|at| {
            json!({
                "_links": {"self": format!("{url}/seen"), "related": {"message": url}},
                "first_seen_at": iso8601(*at),
                "seen_by": null,
            })
        })
        .into_iter()
        .collect();
    ok(paged_list(call.self_url(), None, receipts, None))
}

/// `POST /messages/{id}/seen`: records when the message was first seen.
pub fn mark_seen(world: &mut World, call: &Call<'_>) -> Outcome {
    let reference = call.param("message_id");
    let id = world
        .message(reference)
        .map(|m| m.id.clone())
        .ok_or_else(|| ApiError::not_found("Message", reference))?;
    world.seen.entry(id).or_insert(timestamp(call.now));
    Ok(Reply::NoContent)
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn iso8601(seconds: f64) -> String {
    let millis = (seconds * 1000.0).round() as i64;
    let (days, in_day) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    // Days to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::iso8601;

    #[test]
    fn timestamps_read_as_utc_dates() {
        assert_eq!(iso8601(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_767_225_600.5), "2026-01-01T00:00:00.500Z");
        assert_eq!(iso8601(951_782_400.0), "2000-02-29T00:00:00.000Z");
    }
}
