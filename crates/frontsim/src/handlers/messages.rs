//! Sending a message, creating a draft (both start a new conversation) and reading a message.

use hyper::StatusCode;
use serde_json::{Value, json};

use super::{Outcome, channels, ok, tag_ids, teammate_id};
use crate::error::ApiError;
use crate::request::Call;
use crate::world::{
    Channel, ConversationState, EventSource, EventTarget, IdKind, Message, NewConversation,
    Recipient, World,
};

pub fn get(world: &World, call: &Call<'_>) -> Outcome {
    let reference = call.param("message_id");
    let message = world
        .message(reference)
        .ok_or_else(|| ApiError::not_found("Message", reference))?;
    ok(call.view(world).message(message))
}

/// Front refuses a signature on channels that cannot carry one (403), and one that does not
/// exist (400).
pub(super) fn check_signature(
    world: &World,
    channel: &Channel,
    call: &Call<'_>,
) -> Result<(), ApiError> {
    match call.body_str("signature_id") {
        Some(_) if !channel.is_email() => Err(ApiError::forbidden(format!(
            "signature_id can only be used on email channels; {} is a {} channel",
            channel.id, channel.kind
        ))),
        Some(signature) if world.store.get(signature, "signature").is_none() => {
            Err(ApiError::invalid_field(
                "body.signature_id",
                format!("signature `{signature}` does not exist"),
            ))
        }
        _ => Ok(()),
    }
}

/// Plain text of an HTML body (tags dropped), for `text` and search.
pub(super) fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a new outbound message or draft is made of, checked before anything is created.
struct Outgoing {
    channel: Channel,
    author_id: Option<String>,
    to: Vec<String>,
    cc: Vec<String>,
    bcc: Vec<String>,
}

impl Outgoing {
    fn check(
        world: &World,
        call: &Call<'_>,
        default_author: Option<&str>,
    ) -> Result<Outgoing, ApiError> {
        let channel = channels::find(world, call)?.clone();
        check_signature(world, &channel, call)?;
        let author_id = match call.body_str("author_id") {
            Some(reference) => Some(teammate_id(world, reference, "body.author_id")?),
            None => default_author.map(str::to_owned),
        };
        Ok(Outgoing {
            channel,
            author_id,
            to: call.body_strings("to").unwrap_or_default(),
            cc: call.body_strings("cc").unwrap_or_default(),
            bcc: call.body_strings("bcc").unwrap_or_default(),
        })
    }

    /// Creates the conversation and its first message; returns both ids.
    fn create(
        self,
        world: &mut World,
        call: &Call<'_>,
        draft_mode: Option<&'static str>,
    ) -> (String, String) {
        let now = call.now;
        let mut recipients = vec![Recipient {
            name: call
                .body_str("sender_name")
                .map(str::to_owned)
                .or_else(|| Some(self.channel.name.clone())),
            handle: self.channel.address.clone(),
            role: "from",
            contact_id: None,
        }];
        for (role, handles) in [("to", &self.to), ("cc", &self.cc), ("bcc", &self.bcc)] {
            for handle in handles {
                let contact_id = world.contact_for(&self.channel, handle, now);
                recipients.push(Recipient {
                    name: world.contacts.get(&contact_id).and_then(|c| c.name.clone()),
                    handle: handle.clone(),
                    role,
                    contact_id: Some(contact_id),
                });
            }
        }
        let customer = recipients
            .iter()
            .find(|r| r.role != "from")
            .map(|r| Recipient {
                role: "to",
                ..r.clone()
            });
        let subject = call.body_str("subject").unwrap_or_default().to_owned();
        let conversation_id = world.open_conversation(
            NewConversation {
                subject: subject.clone(),
                inbox_id: world.inbox_of(&self.channel),
                recipient: customer,
                // Front assigns a conversation a teammate starts to that teammate.
                assignee_id: self.author_id.clone().filter(|_| draft_mode.is_none()),
            },
            now,
        );
        let body = call.body_str("body").unwrap_or_default().to_owned();
        let text = call
            .body_str("text")
            .map_or_else(|| plain_text(&body), str::to_owned);
        let message_id = world.ids.mint(IdKind::Message);
        let uid = world.ids.uid();
        world.add_message(Message {
            id: message_id.clone(),
            uid: uid.clone(),
            conversation_id: conversation_id.clone(),
            kind: self.channel.message_type(),
            is_inbound: false,
            draft_mode,
            created_at: now,
            subject,
            author_id: self.author_id,
            recipients,
            body,
            text,
        });
        (conversation_id, message_id)
    }
}

/// Answers 202 with the message uid; the message is readable at once at
/// `GET /messages/alt:uid:{uid}` (Front creates it asynchronously; the simulator does not
/// make callers wait).
/// A send's `options`: the tags to add (checked to exist) and whether to archive the
/// conversation afterwards (the spec's default: yes).
pub fn send_options(world: &World, call: &Call<'_>) -> Result<(Vec<String>, bool), ApiError> {
    let options = call.body_field("options").and_then(Value::as_object);
    let tags = options
        .and_then(|o| o.get("tag_ids"))
        .and_then(Value::as_array)
        .map(|ids| {
            let ids: Vec<String> = ids
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            tag_ids(world, &ids, "body.options.tag_ids")
        })
        .transpose()?
        .unwrap_or_default();
    let archive = options
        .and_then(|o| o.get("archive"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    Ok((tags, archive))
}

pub fn send(world: &mut World, call: &Call<'_>) -> Outcome {
    let outgoing = Outgoing::check(world, call, None)?;
    if outgoing.to.is_empty() && outgoing.cc.is_empty() && outgoing.bcc.is_empty() {
        return Err(ApiError::invalid_field(
            "body.to",
            "one of to, cc or bcc must name a recipient",
        ));
    }
    let (tags, archive) = send_options(world, call)?;

    let (conversation_id, message_id) = outgoing.create(world, call, None);
    let now = call.now;
    world.emit(
        "outbound",
        &conversation_id,
        EventSource::Api,
        EventTarget::Message(message_id.clone()),
        now,
    );
    for tag in tags {
        world.tag(&conversation_id, tag, EventSource::Api, now);
    }
    if archive {
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
    let uid = world
        .messages
        .get(&message_id)
        .map(|m| m.uid.clone())
        .unwrap_or_default();
    super::json(
        StatusCode::ACCEPTED,
        &json!({ "status": "accepted", "message_uid": uid }),
    )
}

/// Answers 200 (not 201) with the draft, as Front does.
pub fn create_draft(world: &mut World, call: &Call<'_>) -> Outcome {
    let api_identity = world.api_teammate_id.clone();
    let outgoing = Outgoing::check(world, call, Some(&api_identity))?;
    let mode = match call.body_str("mode") {
        Some("shared") => "shared",
        _ => "private",
    };
    let (_, message_id) = outgoing.create(world, call, Some(mode));
    let message = world
        .messages
        .get(&message_id)
        .ok_or_else(|| ApiError::not_found("Message", &message_id))?;
    ok(call.view(world).message(message))
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn html_becomes_plain_text() {
        assert_eq!(
            plain_text("<p>Hi Jane,</p><p>It shipped.</p>"),
            "Hi Jane, It shipped."
        );
        assert_eq!(plain_text("no tags"), "no tags");
    }
}
