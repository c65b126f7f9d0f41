//! The changes Front makes to conversations, shared by the API's write handlers (source `api`)
//! and the simulated customers and teammates of `activity` (sources `inboxes` and `teammate`),
//! so that both leave the same state and the same events behind.

use serde_json::Map;

use super::*;

/// What a new conversation starts with; everything else starts empty.
pub struct NewConversation {
    pub subject: String,
    pub inbox_id: String,
    pub recipient: Option<Recipient>,
    pub assignee_id: Option<String>,
}

impl World {
    /// The time to stamp a write with: the wall clock, but never before the newest event.
    /// Writes run one at a time under the world's lock, so the event stream then only grows
    /// at its end, and a follower that polls `q[after]` with the newest `emitted_at` it has
    /// seen cannot miss a later write stamped earlier (the clock stepping back, or a request
    /// that read the clock before waiting for the lock).
    pub fn write_time(&self, wall: f64) -> f64 {
        let newest = self.events.last().map_or(f64::MIN, |(_, e)| e.emitted_at);
        timestamp(wall).max(newest)
    }

    /// Sets or clears the assignee, with Front's `assign` / `unassign` events.
    pub fn assign(
        &mut self,
        conversation_id: &str,
        assignee: Option<String>,
        by: EventSource,
        at: f64,
    ) {
        let Some(conversation) = self.conversations.get_mut(conversation_id) else {
            return;
        };
        let previous = std::mem::replace(&mut conversation.assignee_id, assignee.clone());
        if previous == assignee {
            return;
        }
        match (previous, assignee) {
            (_, Some(new)) => self.emit(
                "assign",
                conversation_id,
                by,
                EventTarget::Teammate(new),
                at,
            ),
            (Some(old), None) => self.emit(
                "unassign",
                conversation_id,
                by,
                EventTarget::Teammate(old),
                at,
            ),
            (None, None) => {}
        }
    }

    /// Adds a tag with a `tag` event; a tag the conversation already has changes nothing.
    pub fn tag(&mut self, conversation_id: &str, tag_id: String, by: EventSource, at: f64) {
        let added = self
            .conversations
            .get_mut(conversation_id)
            .filter(|c| !c.tag_ids.contains(&tag_id))
            .map(|c| c.tag_ids.push(tag_id.clone()))
            .is_some();
        if added {
            self.emit("tag", conversation_id, by, EventTarget::Tag(tag_id), at);
        }
    }

    /// Removes a tag with an `untag` event; a tag the conversation lacks changes nothing.
    pub fn untag(&mut self, conversation_id: &str, tag_id: String, by: EventSource, at: f64) {
        let removed = self
            .conversations
            .get_mut(conversation_id)
            .filter(|c| c.tag_ids.contains(&tag_id))
            .map(|c| c.tag_ids.retain(|t| t != &tag_id))
            .is_some();
        if removed {
            self.emit("untag", conversation_id, by, EventTarget::Tag(tag_id), at);
        }
    }

    /// Records activity on a conversation (what `sort_by=date` and search order by).
    pub fn touch(&mut self, conversation_id: &str, at: f64) {
        if let Some(conversation) = self.conversations.get_mut(conversation_id) {
            conversation.updated_at = conversation.updated_at.max(at);
        }
    }

    /// The contact reached at `handle` through `channel`, created on first contact as Front
    /// does.
    pub fn contact_for(&mut self, channel: &Channel, handle: &str, at: f64) -> String {
        if let Some(contact) = self.contact_with_handle(handle) {
            return contact.id.clone();
        }
        let id = self.ids.mint(IdKind::Contact);
        let source = channel.handle_source();
        self.contact_by_handle
            .insert(handle_key(source, handle), id.clone());
        self.contacts.insert(
            id.clone(),
            Contact {
                id: id.clone(),
                name: None,
                description: None,
                avatar_url: None,
                links: Vec::new(),
                list_ids: Vec::new(),
                handles: vec![Handle {
                    handle: handle.to_owned(),
                    source: source.to_owned(),
                }],
                custom_fields: Map::new(),
                is_private: false,
                created_at: at,
                updated_at: at,
            },
        );
        id
    }

    /// Starts an open conversation without messages; returns its id.
    pub fn open_conversation(&mut self, new: NewConversation, at: f64) -> String {
        let id = self.ids.mint(IdKind::Conversation);
        self.conversations.insert(
            id.clone(),
            Conversation {
                id: id.clone(),
                subject: new.subject,
                state: ConversationState::Open,
                assignee_id: new.assignee_id,
                inbox_id: new.inbox_id,
                recipient: new.recipient,
                tag_ids: Vec::new(),
                follower_ids: Vec::new(),
                custom_fields: Map::new(),
                created_at: at,
                updated_at: at,
                message_ids: Vec::new(),
                comment_ids: Vec::new(),
                event_ids: Vec::new(),
            },
        );
        id
    }

    /// The inbox a channel delivers to (a channel without one delivers to the first inbox).
    pub fn inbox_of(&self, channel: &Channel) -> String {
        channel
            .inbox_id
            .clone()
            .or_else(|| self.inboxes.keys().next().cloned())
            .unwrap_or_default()
    }

    /// A customer's message arriving through `channel` from `handle`: in `reply_to` when it
    /// answers that conversation (an archived one comes back open, as in Front), else in a new
    /// conversation of the channel's inbox, with Front's `inbound` event from that inbox.
    /// Returns the conversation's id.
    pub fn receive(
        &mut self,
        channel: &Channel,
        handle: &str,
        reply_to: Option<&str>,
        letter: Letter,
        at: f64,
    ) -> String {
        let contact_id = self.contact_for(channel, handle, at);
        let customer = Recipient {
            name: self.contacts.get(&contact_id).and_then(|c| c.name.clone()),
            handle: handle.to_owned(),
            role: "from",
            contact_id: Some(contact_id),
        };
        let conversation_id = match reply_to.and_then(|id| self.conversations.get_mut(id)) {
            Some(conversation) => {
                if conversation.state == ConversationState::Archived {
                    conversation.state = ConversationState::Open;
                }
                conversation.id.clone()
            }
            None => self.open_conversation(
                NewConversation {
                    subject: letter.subject.clone(),
                    inbox_id: self.inbox_of(channel),
                    recipient: Some(customer.clone()),
                    assignee_id: None,
                },
                at,
            ),
        };
        let message_id = self.ids.mint(IdKind::Message);
        let uid = self.ids.uid();
        let inbox_id = self
            .conversations
            .get(&conversation_id)
            .map(|c| c.inbox_id.clone())
            .unwrap_or_default();
        self.add_message(Message {
            id: message_id.clone(),
            uid,
            conversation_id: conversation_id.clone(),
            kind: channel.message_type(),
            is_inbound: true,
            draft_mode: None,
            created_at: at,
            subject: letter.subject,
            author_id: None,
            recipients: vec![
                customer,
                Recipient {
                    name: Some(channel.name.clone()),
                    handle: channel.address.clone(),
                    role: "to",
                    contact_id: None,
                },
            ],
            body: letter.body,
            text: letter.text,
        });
        self.emit(
            "inbound",
            &conversation_id,
            EventSource::Inbox(inbox_id),
            EventTarget::Message(message_id),
            at,
        );
        conversation_id
    }
}

/// A message's subject, HTML body and the plain text of that body.
pub struct Letter {
    pub subject: String,
    pub body: String,
    pub text: String,
}
