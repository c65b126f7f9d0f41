//! The shapes of Front's responses (`components.schemas.*Response` in core-api.json) as
//! borrowed, directly serialisable structs. `View` in the parent module fills them.

use std::fmt;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

/// An absolute URL, `base` + `collection` + `id` + `tail`, serialised without allocating.
#[derive(Debug, Clone, Copy)]
pub struct Url<'a> {
    pub(super) base: &'a str,
    pub(super) collection: &'static str,
    pub(super) id: &'a str,
    pub(super) tail: &'static str,
}

impl fmt::Display for Url<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base)?;
        f.write_str(self.collection)?;
        f.write_str(self.id)?;
        f.write_str(self.tail)
    }
}

impl Serialize for Url<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `[]`, for lists the simulator never fills (reminders, ticket ids).
pub struct EmptyList;

impl Serialize for EmptyList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(std::iter::empty::<()>())
    }
}

/// `{}`.
pub struct EmptyObject;

impl Serialize for EmptyObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}

#[derive(Serialize)]
pub struct SelfLink<'a> {
    #[serde(rename = "self")]
    pub(super) this: Url<'a>,
}

#[derive(Serialize)]
pub struct Links<'a, R: Serialize> {
    #[serde(rename = "self")]
    pub(super) this: Url<'a>,
    pub(super) related: R,
}

#[derive(Serialize)]
pub struct IdentityView<'a> {
    #[serde(rename = "_links")]
    pub(super) links: SelfLink<'a>,
    pub(super) id: &'a str,
    pub(super) name: &'a str,
}

#[derive(Serialize)]
pub struct TeammateRelated<'a> {
    pub(super) inboxes: Url<'a>,
    pub(super) conversations: Url<'a>,
}

#[derive(Serialize)]
pub struct TeammateView<'a> {
    #[serde(rename = "_links")]
    pub(super) links: Links<'a, TeammateRelated<'a>>,
    pub(super) id: &'a str,
    pub(super) email: &'a str,
    pub(super) username: &'a str,
    pub(super) first_name: &'a str,
    pub(super) last_name: &'a str,
    pub(super) is_admin: bool,
    pub(super) is_available: bool,
    pub(super) is_blocked: bool,
    #[serde(rename = "type")]
    pub(super) kind: &'a str,
    pub(super) custom_fields: &'a Map<String, Value>,
}

#[derive(Serialize)]
pub struct InboxRelated<'a> {
    pub(super) teammates: Url<'a>,
    pub(super) conversations: Url<'a>,
    pub(super) channels: Url<'a>,
    pub(super) owner: Url<'a>,
}

#[derive(Serialize)]
pub struct InboxView<'a> {
    #[serde(rename = "_links")]
    pub(super) links: Links<'a, InboxRelated<'a>>,
    pub(super) id: &'a str,
    pub(super) name: &'a str,
    pub(super) is_private: bool,
    pub(super) is_public: bool,
    pub(super) custom_fields: &'a Map<String, Value>,
}

#[derive(Serialize)]
pub struct ChannelRelated<'a> {
    pub(super) inbox: Option<Url<'a>>,
    pub(super) owner: Url<'a>,
}

#[derive(Serialize)]
pub struct ChannelSettings {
    pub(super) undo_send_time: i64,
    pub(super) all_teammates_can_reply: bool,
}

#[derive(Serialize)]
pub struct ChannelView<'a> {
    #[serde(rename = "_links")]
    pub(super) links: Links<'a, ChannelRelated<'a>>,
    pub(super) id: &'a str,
    pub(super) name: &'a str,
    pub(super) address: &'a str,
    #[serde(rename = "type")]
    pub(super) kind: &'a str,
    pub(super) send_as: &'a str,
    pub(super) settings: ChannelSettings,
    pub(super) is_private: bool,
    pub(super) is_valid: bool,
}

#[derive(Serialize)]
pub struct TagRelated<'a> {
    pub(super) conversations: Url<'a>,
    pub(super) owner: Url<'a>,
    pub(super) parent_tag: Option<Url<'a>>,
    pub(super) children: Option<Url<'a>>,
}

#[derive(Serialize)]
pub struct TagView<'a> {
    #[serde(rename = "_links")]
    pub(super) links: Links<'a, TagRelated<'a>>,
    pub(super) id: &'a str,
    pub(super) name: &'a str,
    pub(super) description: Option<&'a str>,
    pub(super) highlight: Option<&'a str>,
    pub(super) is_private: bool,
    pub(super) is_visible_in_conversation_lists: bool,
    pub(super) created_at: f64,
    pub(super) updated_at: f64,
}

#[derive(Serialize)]
pub struct ListRelated<'a> {
    pub(super) contacts: Url<'a>,
}

#[derive(Serialize)]
pub struct ContactListView<'a> {
    #[serde(rename = "_links")]
    pub(super) links: Links<'a, ListRelated<'a>>,
    pub(super) id: &'a str,
    pub(super) name: &'a str,
    pub(super) is_private: bool,
}

#[derive(Serialize)]
pub struct HandleView<'a> {
    pub(super) handle: &'a str,
    pub(super) source: &'a str,
}

#[derive(Serialize)]
pub struct ContactRelated<'a> {
    pub(super) notes: Url<'a>,
    pub(super) conversations: Url<'a>,
}

#[derive(Serialize)]
pub struct ContactView<'a> {
    #[serde(rename = "_links")]
    pub(super) links: Links<'a, ContactRelated<'a>>,
    pub(super) id: &'a str,
    // The spec declares these as plain strings (not nullable): absent stays absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) avatar_url: Option<&'a str>,
    #[serde(rename = "links")]
    pub(super) urls: &'a [String],
    /// The deprecated name of `lists`; Front still sends both.
    pub(super) groups: Vec<ContactListView<'a>>,
    pub(super) lists: Vec<ContactListView<'a>>,
    pub(super) handles: Vec<HandleView<'a>>,
    pub(super) custom_fields: &'a Map<String, Value>,
    pub(super) is_private: bool,
}

#[derive(Serialize)]
pub struct NoteRelated<'a> {
    pub(super) author: Url<'a>,
    pub(super) owner: Url<'a>,
}

#[derive(Serialize)]
pub struct NoteLinks<'a> {
    pub(super) related: NoteRelated<'a>,
}

#[derive(Serialize)]
pub struct NoteView<'a> {
    #[serde(rename = "_links")]
    pub(super) links: NoteLinks<'a>,
    pub(super) author: Option<TeammateView<'a>>,
    pub(super) body: &'a str,
    pub(super) created_at: f64,
}

#[derive(Serialize)]
pub struct AccountRelated<'a> {
    pub(super) contacts: Url<'a>,
}

#[derive(Serialize)]
pub struct AccountView<'a> {
    #[serde(rename = "_links")]
    pub(super) links: Links<'a, AccountRelated<'a>>,
    pub(super) id: &'a str,
    pub(super) name: &'a str,
    pub(super) logo_url: Option<&'a str>,
    pub(super) description: Option<&'a str>,
    pub(super) domains: &'a [String],
    pub(super) external_id: Option<&'a str>,
    pub(super) custom_fields: &'a Map<String, Value>,
    pub(super) created_at: f64,
    pub(super) updated_at: f64,
}

#[derive(Serialize)]
pub struct RecipientRelated<'a> {
    pub(super) contact: Option<Url<'a>>,
}

#[derive(Serialize)]
pub struct RelatedOnly<R: Serialize> {
    pub(super) related: R,
}

#[derive(Serialize)]
pub struct RecipientView<'a> {
    #[serde(rename = "_links")]
    pub(super) links: RelatedOnly<RecipientRelated<'a>>,
    pub(super) name: Option<&'a str>,
    pub(super) handle: &'a str,
    pub(super) role: &'a str,
}

#[derive(Serialize)]
pub struct ConversationRelated<'a> {
    pub(super) events: Url<'a>,
    pub(super) followers: Url<'a>,
    pub(super) messages: Url<'a>,
    pub(super) comments: Url<'a>,
    pub(super) inboxes: Url<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) last_message: Option<Url<'a>>,
}

#[derive(Serialize)]
pub struct ConversationView<'a> {
    #[serde(rename = "_links")]
    pub(super) links: Links<'a, ConversationRelated<'a>>,
    pub(super) id: &'a str,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) subject: &'a str,
    pub(super) status: &'static str,
    pub(super) ticket_ids: EmptyList,
    pub(super) assignee: Option<TeammateView<'a>>,
    pub(super) recipient: Option<RecipientView<'a>>,
    pub(super) tags: Vec<TagView<'a>>,
    #[serde(rename = "links")]
    pub(super) link_objects: Vec<Value>,
    pub(super) custom_fields: &'a Map<String, Value>,
    pub(super) created_at: f64,
    pub(super) updated_at: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) waiting_since: Option<f64>,
    pub(super) is_private: bool,
    pub(super) scheduled_reminders: EmptyList,
    pub(super) metadata: EmptyObject,
}

#[derive(Serialize)]
pub struct MessageRelated<'a> {
    pub(super) conversation: Url<'a>,
    pub(super) message_seen: Url<'a>,
}

#[derive(Serialize)]
pub struct MessageView<'a> {
    #[serde(rename = "_links")]
    pub(super) links: Links<'a, MessageRelated<'a>>,
    pub(super) id: &'a str,
    pub(super) message_uid: &'a str,
    #[serde(rename = "type")]
    pub(super) kind: &'a str,
    pub(super) is_inbound: bool,
    pub(super) draft_mode: Option<&'a str>,
    pub(super) created_at: f64,
    pub(super) subject: &'a str,
    pub(super) blurb: String,
    /// A teammate object, not nullable: messages from customers have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) author: Option<TeammateView<'a>>,
    pub(super) recipients: Vec<RecipientView<'a>>,
    pub(super) body: &'a str,
    pub(super) text: &'a str,
    pub(super) attachments: Vec<AttachmentView<'a>>,
    pub(super) metadata: EmptyObject,
}

/// `Attachment`: a file and where to download it.
#[derive(Serialize)]
pub struct AttachmentView<'a> {
    pub(super) id: &'a str,
    pub(super) filename: &'a str,
    pub(super) url: Url<'a>,
    pub(super) content_type: &'a str,
    pub(super) size: usize,
    pub(super) metadata: AttachmentMetadata,
}

#[derive(Serialize)]
pub struct AttachmentMetadata {
    pub(super) is_inline: bool,
}

#[derive(Serialize)]
pub struct CommentRelated<'a> {
    pub(super) conversation: Url<'a>,
    pub(super) mentions: Url<'a>,
    pub(super) comment_replied_to: Option<Url<'a>>,
}

#[derive(Serialize)]
pub struct CommentView<'a> {
    #[serde(rename = "_links")]
    pub(super) links: Links<'a, CommentRelated<'a>>,
    pub(super) id: &'a str,
    pub(super) author: Option<TeammateView<'a>>,
    pub(super) body: &'a str,
    pub(super) posted_at: f64,
    pub(super) attachments: Vec<AttachmentView<'a>>,
    pub(super) is_pinned: bool,
}

#[derive(Serialize)]
pub struct Meta {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
}

/// What an event's source or target carries in `data`.
#[derive(Serialize)]
#[serde(untagged)]
pub enum EventData<'a> {
    Teammate(TeammateView<'a>),
    Inbox(InboxView<'a>),
    Inboxes([InboxView<'a>; 1]),
    Tag(TagView<'a>),
    Comment(Box<CommentView<'a>>),
    Message(Box<MessageView<'a>>),
}

/// `{_meta: {type}, data}`; `data` is left out when there is none (an API token has no
/// object in Front's schema) or the object no longer exists.
#[derive(Serialize)]
pub struct EventPart<'a> {
    #[serde(rename = "_meta")]
    pub(super) meta: Meta,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) data: Option<EventData<'a>>,
}

#[derive(Serialize)]
pub struct EventView<'a> {
    #[serde(rename = "_links")]
    pub(super) links: SelfLink<'a>,
    pub(super) id: &'a str,
    #[serde(rename = "type")]
    pub(super) kind: &'a str,
    pub(super) emitted_at: f64,
    pub(super) source: EventPart<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) target: Option<EventPart<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) conversation: Option<Box<ConversationView<'a>>>,
}

#[derive(Serialize)]
pub struct SelfUrl {
    #[serde(rename = "self")]
    pub(super) this: String,
}

/// Every item, unpaginated (`{_links, _results}`).
#[derive(Serialize)]
pub struct PlainList<T: Serialize> {
    #[serde(rename = "_links")]
    pub(super) links: SelfUrl,
    #[serde(rename = "_results")]
    pub(super) results: Vec<T>,
}

pub fn plain_list<T: Serialize>(self_url: String, results: Vec<T>) -> PlainList<T> {
    PlainList {
        links: SelfUrl { this: self_url },
        results,
    }
}

#[derive(Serialize)]
pub struct Pagination {
    pub(super) next: Option<String>,
}

/// One page of a paginated list (`{_pagination, _links, _results}`, and `_total` for search).
#[derive(Serialize)]
pub struct PagedList<T: Serialize> {
    #[serde(rename = "_pagination")]
    pub(super) pagination: Pagination,
    #[serde(rename = "_links")]
    pub(super) links: SelfUrl,
    #[serde(rename = "_total", skip_serializing_if = "Option::is_none")]
    pub(super) total: Option<usize>,
    #[serde(rename = "_results")]
    pub(super) results: Vec<T>,
}

pub fn paged_list<T: Serialize>(
    self_url: String,
    next: Option<String>,
    results: Vec<T>,
    total: Option<usize>,
) -> PagedList<T> {
    PagedList {
        pagination: Pagination { next },
        links: SelfUrl { this: self_url },
        total,
        results,
    }
}
