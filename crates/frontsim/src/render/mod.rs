//! Resources as Front's API shows them (`components.schemas.*Response` in core-api.json),
//! with absolute `_links` under the simulator's base URL.
//!
//! Views borrow from the world and serialise straight to bytes: no intermediate JSON tree,
//! and links are written piecewise rather than built as strings, which keeps a page of 100
//! conversations cheap to answer (the simulator is the baseline of the hub's benchmarks).

mod shapes;

use shapes::*;
pub use shapes::{paged_list, plain_list};

use crate::world::{
    Account, Channel, Comment, Contact, ContactList, Conversation, Event, EventSource, EventTarget,
    Handle, Inbox, Message, Note, Recipient, Tag, Teammate, World,
};

/// Renders resources of one world for one base URL.
pub struct View<'a> {
    pub world: &'a World,
    pub base: &'a str,
}

impl<'a> View<'a> {
    fn url(&self, collection: &'static str, id: &'a str, tail: &'static str) -> Url<'a> {
        Url {
            base: self.base,
            collection,
            id,
            tail,
        }
    }

    fn company_url(&self) -> Url<'a> {
        self.url("/companies/", &self.world.company.id, "")
    }

    pub fn identity(&self) -> IdentityView<'a> {
        IdentityView {
            links: SelfLink {
                this: self.url("/me", "", ""),
            },
            id: &self.world.company.id,
            name: &self.world.company.name,
        }
    }

    pub fn teammate(&self, teammate: &'a Teammate) -> TeammateView<'a> {
        let id = teammate.id.as_str();
        TeammateView {
            links: Links {
                this: self.url("/teammates/", id, ""),
                related: TeammateRelated {
                    inboxes: self.url("/teammates/", id, "/inboxes"),
                    conversations: self.url("/teammates/", id, "/conversations"),
                },
            },
            id,
            email: &teammate.email,
            username: &teammate.username,
            first_name: &teammate.first_name,
            last_name: &teammate.last_name,
            is_admin: teammate.is_admin,
            is_available: teammate.is_available,
            is_blocked: teammate.is_blocked,
            kind: teammate.kind,
            custom_fields: &teammate.custom_fields,
        }
    }

    /// A teammate by id, or `None` when it no longer exists.
    pub fn teammate_by_id(&self, id: &str) -> Option<TeammateView<'a>> {
        self.world.teammates.get(id).map(|t| self.teammate(t))
    }

    pub fn inbox(&self, inbox: &'a Inbox) -> InboxView<'a> {
        let id = inbox.id.as_str();
        InboxView {
            links: Links {
                this: self.url("/inboxes/", id, ""),
                related: InboxRelated {
                    teammates: self.url("/inboxes/", id, "/teammates"),
                    conversations: self.url("/inboxes/", id, "/conversations"),
                    channels: self.url("/inboxes/", id, "/channels"),
                    owner: self.company_url(),
                },
            },
            id,
            name: &inbox.name,
            is_private: inbox.is_private,
            is_public: inbox.is_public,
            custom_fields: &inbox.custom_fields,
        }
    }

    pub fn channel(&self, channel: &'a Channel) -> ChannelView<'a> {
        let id = channel.id.as_str();
        ChannelView {
            links: Links {
                this: self.url("/channels/", id, ""),
                related: ChannelRelated {
                    inbox: channel
                        .inbox_id
                        .as_deref()
                        .map(|inbox| self.url("/inboxes/", inbox, "")),
                    owner: self.company_url(),
                },
            },
            id,
            name: &channel.name,
            address: &channel.address,
            kind: channel.kind,
            send_as: &channel.send_as,
            settings: ChannelSettings {
                undo_send_time: channel.undo_send_time,
                all_teammates_can_reply: channel.all_teammates_can_reply,
            },
            is_private: channel.is_private,
            is_valid: channel.is_valid,
        }
    }

    pub fn tag(&self, tag: &'a Tag) -> TagView<'a> {
        let id = tag.id.as_str();
        let has_children = self
            .world
            .tags
            .values()
            .any(|t| t.parent_id.as_deref() == Some(id));
        TagView {
            links: Links {
                this: self.url("/tags/", id, ""),
                related: TagRelated {
                    conversations: self.url("/tags/", id, "/conversations"),
                    owner: self.company_url(),
                    parent_tag: tag
                        .parent_id
                        .as_deref()
                        .map(|parent| self.url("/tags/", parent, "")),
                    children: has_children.then(|| self.url("/tags/", id, "/children")),
                },
            },
            id,
            name: &tag.name,
            description: tag.description.as_deref(),
            highlight: tag.highlight.as_deref(),
            is_private: tag.is_private,
            is_visible_in_conversation_lists: tag.is_visible_in_conversation_lists,
            created_at: tag.created_at,
            updated_at: tag.updated_at,
        }
    }

    pub fn contact_list(&self, list: &'a ContactList) -> ContactListView<'a> {
        ContactListView {
            links: Links {
                this: self.url("/contact_lists/", &list.id, ""),
                related: ListRelated {
                    contacts: self.url("/contact_lists/", &list.id, "/contacts"),
                },
            },
            id: &list.id,
            name: &list.name,
            is_private: false,
        }
    }

    pub fn contact(&self, contact: &'a Contact) -> ContactView<'a> {
        let id = contact.id.as_str();
        let lists = || {
            contact
                .list_ids
                .iter()
                .filter_map(|list_id| self.world.contact_lists.get(list_id))
                .map(|list| self.contact_list(list))
                .collect::<Vec<_>>()
        };
        ContactView {
            links: Links {
                this: self.url("/contacts/", id, ""),
                related: ContactRelated {
                    notes: self.url("/contacts/", id, "/notes"),
                    conversations: self.url("/contacts/", id, "/conversations"),
                },
            },
            id,
            name: contact.name.as_deref(),
            description: contact.description.as_deref(),
            avatar_url: contact.avatar_url.as_deref(),
            urls: &contact.links,
            groups: lists(),
            lists: lists(),
            handles: contact.handles.iter().map(handle_view).collect(),
            custom_fields: &contact.custom_fields,
            is_private: contact.is_private,
        }
    }

    pub fn note(&self, contact: &'a Contact, note: &'a Note) -> NoteView<'a> {
        NoteView {
            links: NoteLinks {
                related: NoteRelated {
                    author: self.url("/teammates/", &note.author_id, ""),
                    owner: self.url("/contacts/", &contact.id, ""),
                },
            },
            author: self.teammate_by_id(&note.author_id),
            body: &note.body,
            created_at: note.created_at,
        }
    }

    pub fn account(&self, account: &'a Account) -> AccountView<'a> {
        let id = account.id.as_str();
        AccountView {
            links: Links {
                this: self.url("/accounts/", id, ""),
                related: AccountRelated {
                    contacts: self.url("/accounts/", id, "/contacts"),
                },
            },
            id,
            name: &account.name,
            logo_url: account.logo_url.as_deref(),
            description: account.description.as_deref(),
            domains: &account.domains,
            external_id: account.external_id.as_deref(),
            custom_fields: &account.custom_fields,
            created_at: account.created_at,
            updated_at: account.updated_at,
        }
    }

    pub fn recipient(&self, recipient: &'a Recipient) -> RecipientView<'a> {
        RecipientView {
            links: RelatedOnly {
                related: RecipientRelated {
                    contact: recipient
                        .contact_id
                        .as_deref()
                        .map(|contact| self.url("/contacts/", contact, "")),
                },
            },
            name: recipient.name.as_deref(),
            handle: &recipient.handle,
            role: recipient.role,
        }
    }

    pub fn conversation(&self, conversation: &'a Conversation) -> ConversationView<'a> {
        let id = conversation.id.as_str();
        let last_message = conversation
            .message_ids
            .last()
            .and_then(|m| self.world.messages.get(m));
        let waiting_since = last_message
            .filter(|m| m.is_inbound && m.draft_mode.is_none())
            .map(|m| m.created_at);
        ConversationView {
            links: Links {
                this: self.url("/conversations/", id, ""),
                related: ConversationRelated {
                    events: self.url("/conversations/", id, "/events"),
                    followers: self.url("/conversations/", id, "/followers"),
                    messages: self.url("/conversations/", id, "/messages"),
                    comments: self.url("/conversations/", id, "/comments"),
                    inboxes: self.url("/conversations/", id, "/inboxes"),
                    last_message: last_message.map(|m| self.url("/messages/", &m.id, "")),
                },
            },
            id,
            kind: "conversation",
            subject: &conversation.subject,
            status: conversation.status(),
            ticket_ids: EmptyList,
            assignee: conversation
                .assignee_id
                .as_deref()
                .and_then(|a| self.teammate_by_id(a)),
            recipient: conversation.recipient.as_ref().map(|r| self.recipient(r)),
            tags: conversation
                .tag_ids
                .iter()
                .filter_map(|tag_id| self.world.tags.get(tag_id))
                .map(|tag| self.tag(tag))
                .collect(),
            link_objects: self.conversation_links(&conversation.id),
            custom_fields: &conversation.custom_fields,
            created_at: conversation.created_at,
            updated_at: conversation.updated_at,
            waiting_since,
            is_private: false,
            scheduled_reminders: EmptyList,
            metadata: EmptyObject,
        }
    }

    /// The links (`top_…`, kept in the world's store) a conversation is linked to.
    fn conversation_links(&self, conversation_id: &str) -> Vec<serde_json::Value> {
        self.world
            .store
            .children(conversation_id)
            .iter()
            .filter_map(|id| self.world.store.get(id, "link"))
            .map(|link| {
                let mut fields = link.fields.clone();
                fields.insert(
                    "_links".into(),
                    serde_json::json!({"self": format!("{}/links/{}", self.base, link.id)}),
                );
                serde_json::Value::Object(fields)
            })
            .collect()
    }

    pub fn message(&self, message: &'a Message) -> MessageView<'a> {
        let id = message.id.as_str();
        let mut blurb = String::with_capacity(100);
        for word in message.text.split_whitespace() {
            if !blurb.is_empty() {
                blurb.push(' ');
            }
            blurb.push_str(word);
            if blurb.len() >= 100 {
                break;
            }
        }
        let blurb = blurb.chars().take(100).collect();
        MessageView {
            links: Links {
                this: self.url("/messages/", id, ""),
                related: MessageRelated {
                    conversation: self.url("/conversations/", &message.conversation_id, ""),
                    message_seen: self.url("/messages/", id, "/seen"),
                },
            },
            id,
            message_uid: &message.uid,
            kind: message.kind,
            is_inbound: message.is_inbound,
            draft_mode: message.draft_mode,
            created_at: message.created_at,
            subject: &message.subject,
            blurb,
            author: message
                .author_id
                .as_deref()
                .and_then(|a| self.teammate_by_id(a)),
            recipients: message
                .recipients
                .iter()
                .map(|r| self.recipient(r))
                .collect(),
            body: &message.body,
            text: &message.text,
            attachments: self.attachments(id),
            metadata: EmptyObject,
        }
    }

    /// The attachments of a message, comment, template or article, downloadable at
    /// `/download/{id}`.
    pub fn attachments(&self, owner: &'a str) -> Vec<AttachmentView<'a>> {
        self.world
            .attachments_of(owner)
            .map(|attachment| AttachmentView {
                id: &attachment.id,
                filename: &attachment.filename,
                url: self.url("/download/", &attachment.id, ""),
                content_type: &attachment.content_type,
                size: attachment.bytes.len(),
                metadata: AttachmentMetadata { is_inline: false },
            })
            .collect()
    }

    pub fn comment(&self, comment: &'a Comment) -> CommentView<'a> {
        let id = comment.id.as_str();
        CommentView {
            links: Links {
                this: self.url("/comments/", id, ""),
                related: CommentRelated {
                    conversation: self.url("/conversations/", &comment.conversation_id, ""),
                    mentions: self.url("/comments/", id, "/mentions"),
                    comment_replied_to: None,
                },
            },
            id,
            author: self.teammate_by_id(&comment.author_id),
            body: &comment.body,
            posted_at: comment.posted_at,
            attachments: self.attachments(id),
            is_pinned: comment.is_pinned,
        }
    }

    pub fn event(&self, event: &'a Event) -> EventView<'a> {
        let world = self.world;
        let part = |kind: &'static str, data: Option<EventData<'a>>| EventPart {
            meta: Meta { kind },
            data,
        };
        let source = match &event.source {
            EventSource::Api => part("api", None),
            EventSource::Teammate(id) => {
                part("teammate", self.teammate_by_id(id).map(EventData::Teammate))
            }
            EventSource::Inbox(id) => part(
                "inboxes",
                world
                    .inboxes
                    .get(id)
                    .map(|inbox| EventData::Inboxes([self.inbox(inbox)])),
            ),
        };
        let target = match &event.target {
            EventTarget::Nothing => None,
            EventTarget::Teammate(id) => Some(part(
                "teammate",
                self.teammate_by_id(id).map(EventData::Teammate),
            )),
            EventTarget::Inbox(id) => Some(part(
                "inboxes",
                world
                    .inboxes
                    .get(id)
                    .map(|i| EventData::Inbox(self.inbox(i))),
            )),
            EventTarget::Tag(id) => Some(part(
                "tag",
                world.tags.get(id).map(|t| EventData::Tag(self.tag(t))),
            )),
            EventTarget::Comment(id) => Some(part(
                "comment",
                world
                    .comments
                    .get(id)
                    .map(|c| EventData::Comment(Box::new(self.comment(c)))),
            )),
            EventTarget::Message(id) => Some(part(
                "message",
                world
                    .messages
                    .get(id)
                    .map(|m| EventData::Message(Box::new(self.message(m)))),
            )),
            EventTarget::CustomFields => Some(part("custom_field", None)),
        };
        EventView {
            links: SelfLink {
                this: self.url("/events/", &event.id, ""),
            },
            id: &event.id,
            kind: event.kind,
            emitted_at: event.emitted_at,
            source,
            target,
            conversation: world
                .conversations
                .get(&event.conversation_id)
                .map(|c| Box::new(self.conversation(c))),
        }
    }
}

fn handle_view(handle: &Handle) -> HandleView<'_> {
    HandleView {
        handle: &handle.handle,
        source: &handle.source,
    }
}
