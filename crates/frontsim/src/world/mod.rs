//! The simulated company: every resource the catalogued operations read and write, held in
//! memory.
//!
//! Resources refer to each other by id (a conversation keeps its tag ids, not tag copies), so a
//! change to one resource is seen everywhere it is referenced, as in Front. Collections are
//! `IndexMap`s keyed by id: lookups are O(1) and iteration order is stable, which keeps output
//! deterministic for a seed.

mod activity;
mod generate;
mod library;
mod store;
mod words;
mod writes;

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::rng::Rng;

pub use activity::Activity;
pub use generate::generate;
pub use store::{Store, Stored};
pub use writes::{Letter, NewConversation};

/// A resource kind's id prefix and how many base-36 digits follow it.
#[derive(Debug, Clone, Copy)]
pub enum IdKind {
    Company,
    Teammate,
    Inbox,
    Channel,
    Tag,
    ContactList,
    Contact,
    Account,
    Conversation,
    Message,
    Comment,
    Event,
}

impl IdKind {
    fn prefix_and_width(self) -> (&'static str, u32) {
        match self {
            IdKind::Company => ("cmp_", 3),
            IdKind::Teammate => ("tea_", 5),
            IdKind::Inbox => ("inb_", 4),
            IdKind::Channel => ("cha_", 4),
            IdKind::Tag => ("tag_", 6),
            IdKind::ContactList => ("grp_", 5),
            IdKind::Contact => ("crd_", 7),
            IdKind::Account => ("acc_", 4),
            IdKind::Conversation => ("cnv_", 7),
            IdKind::Message => ("msg_", 8),
            IdKind::Comment => ("com_", 7),
            IdKind::Event => ("evt_", 8),
        }
    }
}

/// Hands out unique, random-looking ids, deterministically for a seed.
#[derive(Debug)]
pub struct IdMint {
    rng: Rng,
    used: HashSet<String>,
    /// Ids to hand out, in order, before random ones of the same prefix: the connector's
    /// example ids, so that every documented example names an object that exists.
    expected: Vec<String>,
}

impl IdMint {
    pub fn new(rng: Rng) -> IdMint {
        IdMint {
            rng,
            used: HashSet::new(),
            expected: Vec::new(),
        }
    }

    /// The next id minted with `id`'s prefix will be `id` (unless it is taken already).
    pub fn expect(&mut self, id: &str) {
        if !self.used.contains(id) {
            self.expected.push(id.to_owned());
        }
    }

    /// Marks an id chosen elsewhere as taken.
    pub fn claim(&mut self, id: &str) -> bool {
        self.used.insert(id.to_owned())
    }

    pub fn mint(&mut self, kind: IdKind) -> String {
        let (prefix, width) = kind.prefix_and_width();
        self.mint_prefixed(prefix, width)
    }

    /// An id of `width` base-36 digits after `prefix`, for kinds without an [`IdKind`].
    pub fn mint_prefixed(&mut self, prefix: &str, width: u32) -> String {
        if let Some(index) = self.expected.iter().position(|id| id.starts_with(prefix)) {
            let id = self.expected.remove(index);
            if self.used.insert(id.clone()) {
                return id;
            }
        }
        let low = 36u64.pow(width - 1);
        let high = 36u64.pow(width) - 1;
        loop {
            let id = format!("{prefix}{}", base36(self.rng.between(low, high)));
            if self.used.insert(id.clone()) {
                return id;
            }
        }
    }

    /// A message uid (Front's look like 32 hex digits).
    pub fn uid(&mut self) -> String {
        loop {
            let uid = format!("{:016x}{:016x}", self.rng.next_u64(), self.rng.next_u64());
            if self.used.insert(uid.clone()) {
                return uid;
            }
        }
    }
}

fn base36(mut value: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(value % 36) as usize]);
        value /= 36;
        if value == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[derive(Debug, Clone)]
pub struct Company {
    pub id: String,
    pub name: String,
    pub domain: String,
}

#[derive(Debug, Clone)]
pub struct Teammate {
    pub id: String,
    pub email: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub is_admin: bool,
    pub is_available: bool,
    pub is_blocked: bool,
    /// `user` for people; `api` for the identity that API-token writes are attributed to.
    pub kind: &'static str,
    pub custom_fields: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct Inbox {
    pub id: String,
    pub name: String,
    pub is_private: bool,
    pub is_public: bool,
    pub custom_fields: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub name: String,
    pub address: String,
    /// One of `ChannelResponse.type`'s values (`gmail`, `twilio`, …).
    pub kind: &'static str,
    pub send_as: String,
    pub inbox_id: Option<String>,
    pub undo_send_time: i64,
    pub all_teammates_can_reply: bool,
    pub is_private: bool,
    pub is_valid: bool,
}

impl Channel {
    /// The `MessageResponse.type` of messages through this channel.
    pub fn message_type(&self) -> &'static str {
        match self.kind {
            "gmail" | "office365" | "smtp" | "imap" | "front_mail" => "email",
            "twilio" => "sms",
            "twilio_whatsapp" => "whatsapp",
            "twitter" => "tweet",
            "twitter_dm" => "tweet_dm",
            "front_chat" => "front_chat",
            "intercom" => "intercom",
            "facebook" => "facebook",
            _ => "custom",
        }
    }

    pub fn is_email(&self) -> bool {
        self.message_type() == "email"
    }

    /// The handle source this channel reaches people by.
    pub fn handle_source(&self) -> &'static str {
        match self.message_type() {
            "email" => "email",
            "sms" | "whatsapp" => "phone",
            "tweet" | "tweet_dm" => "twitter",
            _ => "custom",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Tag {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub highlight: Option<String>,
    pub parent_id: Option<String>,
    pub is_private: bool,
    pub is_visible_in_conversation_lists: bool,
    pub created_at: f64,
    pub updated_at: f64,
}

/// A contact list (Front's former "contact groups"), created on first use by name.
#[derive(Debug, Clone)]
pub struct ContactList {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Handle {
    pub handle: String,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct Note {
    pub author_id: String,
    pub body: String,
    pub created_at: f64,
}

#[derive(Debug, Clone)]
pub struct Contact {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
    pub links: Vec<String>,
    pub list_ids: Vec<String>,
    pub handles: Vec<Handle>,
    pub custom_fields: Map<String, Value>,
    pub is_private: bool,
    pub created_at: f64,
    pub updated_at: f64,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub logo_url: Option<String>,
    pub description: Option<String>,
    pub domains: Vec<String>,
    pub external_id: Option<String>,
    pub custom_fields: Map<String, Value>,
    pub created_at: f64,
    pub updated_at: f64,
    pub contact_ids: Vec<String>,
}

/// Where a conversation is; the status Front shows also depends on the assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationState {
    Open,
    Archived,
    Trashed,
    Spam,
}

#[derive(Debug, Clone)]
pub struct Recipient {
    pub name: Option<String>,
    pub handle: String,
    /// `from`, `to`, `cc` or `bcc`.
    pub role: &'static str,
    pub contact_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: String,
    pub subject: String,
    pub state: ConversationState,
    pub assignee_id: Option<String>,
    pub inbox_id: String,
    pub recipient: Option<Recipient>,
    pub tag_ids: Vec<String>,
    pub follower_ids: Vec<String>,
    pub custom_fields: Map<String, Value>,
    pub created_at: f64,
    /// Last activity; what `sort_by=date` and search order by.
    pub updated_at: f64,
    pub message_ids: Vec<String>,
    pub comment_ids: Vec<String>,
    pub event_ids: Vec<String>,
}

impl Conversation {
    /// `ConversationResponse.status`.
    pub fn status(&self) -> &'static str {
        match self.state {
            ConversationState::Archived => "archived",
            ConversationState::Trashed | ConversationState::Spam => "deleted",
            ConversationState::Open if self.assignee_id.is_some() => "assigned",
            ConversationState::Open => "unassigned",
        }
    }

    /// Whether the `q[statuses]` value `filter` (assigned, unassigned, archived, trashed) selects it.
    pub fn has_list_status(&self, filter: &str) -> bool {
        match filter {
            "trashed" => self.state == ConversationState::Trashed,
            other => self.status() == other,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub uid: String,
    pub conversation_id: String,
    /// `MessageResponse.type` (`email`, `sms`, …).
    pub kind: &'static str,
    pub is_inbound: bool,
    pub draft_mode: Option<&'static str>,
    pub created_at: f64,
    pub subject: String,
    pub author_id: Option<String>,
    pub recipients: Vec<Recipient>,
    pub body: String,
    pub text: String,
}

/// A file attached to messages, comments, templates or articles: Front shows one attachment
/// link (`fil_…`) wherever the same file is attached.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub id: String,
    /// The ids of what it is attached to.
    pub owners: Vec<String>,
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: String,
    pub conversation_id: String,
    pub author_id: String,
    pub body: String,
    pub posted_at: f64,
    pub is_pinned: bool,
}

/// Who caused an event.
#[derive(Debug, Clone)]
pub enum EventSource {
    /// A call made with an API token (every write to the simulator).
    Api,
    Teammate(String),
    /// A message arriving through an inbox.
    Inbox(String),
}

/// What an event is about.
#[derive(Debug, Clone)]
pub enum EventTarget {
    Nothing,
    Teammate(String),
    Inbox(String),
    Tag(String),
    Comment(String),
    Message(String),
    CustomFields,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    /// One of `EventResponse.type`'s values.
    pub kind: &'static str,
    pub emitted_at: f64,
    pub source: EventSource,
    pub target: EventTarget,
    pub conversation_id: String,
    /// The conversation's inbox when the event happened (for `q[inboxes]`).
    pub inbox_id: String,
}

/// The whole simulated company.
#[derive(Debug)]
pub struct World {
    pub company: Company,
    pub teammates: IndexMap<String, Teammate>,
    /// The identity of API-token writes: a teammate of type `api`, not listed among teammates.
    pub api_teammate_id: String,
    pub inboxes: IndexMap<String, Inbox>,
    pub channels: IndexMap<String, Channel>,
    pub tags: IndexMap<String, Tag>,
    pub contact_lists: IndexMap<String, ContactList>,
    pub contacts: IndexMap<String, Contact>,
    /// `source:handle` (handle lower-cased) → contact id; a pair belongs to one contact.
    pub contact_by_handle: HashMap<String, String>,
    pub accounts: IndexMap<String, Account>,
    pub conversations: IndexMap<String, Conversation>,
    pub messages: IndexMap<String, Message>,
    pub message_by_uid: HashMap<String, String>,
    pub comments: IndexMap<String, Comment>,
    /// In order of emission.
    pub events: IndexMap<String, Event>,
    /// Contact notes by contact id, oldest first.
    pub notes: HashMap<String, Vec<Note>>,
    pub attachments: IndexMap<String, Attachment>,
    /// When each message was first seen, by message id.
    pub seen: HashMap<String, f64>,
    /// Resources without behaviour of their own, and the relations between any two.
    pub store: Store,
    pub ids: IdMint,
}

/// Splits `alt:NAME:VALUE` into its name and value.
pub fn parse_alias(reference: &str) -> Option<(&str, &str)> {
    reference.strip_prefix("alt:")?.split_once(':')
}

pub fn handle_key(source: &str, handle: &str) -> String {
    format!("{source}:{}", handle.to_lowercase())
}

impl World {
    /// A teammate by `tea_` id or `alt:email:` alias.
    pub fn teammate(&self, reference: &str) -> Option<&Teammate> {
        match parse_alias(reference) {
            Some(("email", email)) => self
                .teammates
                .values()
                .find(|t| t.email.eq_ignore_ascii_case(email)),
            Some(_) => None,
            None => self.teammates.get(reference),
        }
    }

    /// A contact by `crd_` id or handle alias `alt:SOURCE:HANDLE`.
    pub fn contact(&self, reference: &str) -> Option<&Contact> {
        match parse_alias(reference) {
            Some((source, handle)) => self
                .contact_by_handle
                .get(&handle_key(source, handle))
                .and_then(|id| self.contacts.get(id)),
            None => self.contacts.get(reference),
        }
    }

    /// A message by `msg_` id or `alt:uid:` alias.
    pub fn message(&self, reference: &str) -> Option<&Message> {
        match parse_alias(reference) {
            Some(("uid", uid)) => self
                .message_by_uid
                .get(uid)
                .and_then(|id| self.messages.get(id)),
            Some(_) => None,
            None => self.messages.get(reference),
        }
    }

    /// A channel by `cha_` id or `alt:address:` alias.
    pub fn channel(&self, reference: &str) -> Option<&Channel> {
        match parse_alias(reference) {
            Some(("address", address)) => self
                .channels
                .values()
                .find(|c| c.address.eq_ignore_ascii_case(address)),
            Some(_) => None,
            None => self.channels.get(reference),
        }
    }

    /// An account by `acc_` id, `alt:domain:` or `alt:ext_id:` alias.
    pub fn account(&self, reference: &str) -> Option<&Account> {
        match parse_alias(reference) {
            Some(("domain", domain)) => self
                .accounts
                .values()
                .find(|a| a.domains.iter().any(|d| d.eq_ignore_ascii_case(domain))),
            Some(("ext_id", external)) => self
                .accounts
                .values()
                .find(|a| a.external_id.as_deref() == Some(external)),
            Some(_) => None,
            None => self.accounts.get(reference),
        }
    }

    /// The contact list with this name, created if missing.
    pub fn contact_list_named(&mut self, name: &str) -> String {
        if let Some(list) = self.contact_lists.values().find(|l| l.name == name) {
            return list.id.clone();
        }
        let id = self.ids.mint(IdKind::ContactList);
        self.contact_lists.insert(
            id.clone(),
            ContactList {
                id: id.clone(),
                name: name.to_owned(),
            },
        );
        id
    }

    /// Records an event on a conversation and in the company's event stream.
    pub fn emit(
        &mut self,
        kind: &'static str,
        conversation_id: &str,
        source: EventSource,
        target: EventTarget,
        at: f64,
    ) {
        let Some(conversation) = self.conversations.get_mut(conversation_id) else {
            return;
        };
        let id = self.ids.mint(IdKind::Event);
        conversation.event_ids.push(id.clone());
        self.events.insert(
            id.clone(),
            Event {
                id,
                kind,
                emitted_at: at,
                source,
                target,
                conversation_id: conversation_id.to_owned(),
                inbox_id: conversation.inbox_id.clone(),
            },
        );
    }

    /// Removes a conversation with its messages, comments and events (a permanent delete).
    pub fn purge_conversation(&mut self, id: &str) {
        let Some(conversation) = self.conversations.shift_remove(id) else {
            return;
        };
        for message_id in &conversation.message_ids {
            if let Some(message) = self.messages.shift_remove(message_id) {
                self.message_by_uid.remove(&message.uid);
            }
        }
        for comment_id in &conversation.comment_ids {
            self.comments.shift_remove(comment_id);
        }
        for event_id in &conversation.event_ids {
            self.events.shift_remove(event_id);
        }
        self.store.forget(id);
    }

    /// The attachments of a message, comment, template or article.
    pub fn attachments_of<'a>(&'a self, owner: &'a str) -> impl Iterator<Item = &'a Attachment> {
        self.attachments
            .values()
            .filter(move |a| a.owners.iter().any(|o| o == owner))
    }

    /// Adds a message to a conversation and indexes its uid.
    pub fn add_message(&mut self, message: Message) {
        if let Some(conversation) = self.conversations.get_mut(&message.conversation_id) {
            conversation.message_ids.push(message.id.clone());
            conversation.updated_at = conversation.updated_at.max(message.created_at);
        }
        self.message_by_uid
            .insert(message.uid.clone(), message.id.clone());
        self.messages.insert(message.id.clone(), message);
    }

    /// The contact reached at `handle` (any source), if one is known.
    pub fn contact_with_handle(&self, handle: &str) -> Option<&Contact> {
        let wanted = handle.to_lowercase();
        self.contact_by_handle
            .iter()
            .find(|(key, _)| key.split_once(':').is_some_and(|(_, h)| h == wanted))
            .and_then(|(_, id)| self.contacts.get(id))
    }

    /// Whether a conversation's last message (drafts aside) came from the customer.
    pub fn is_unreplied(&self, conversation: &Conversation) -> bool {
        conversation
            .message_ids
            .iter()
            .rev()
            .filter_map(|id| self.messages.get(id))
            .find(|m| m.draft_mode.is_none())
            .is_some_and(|m| m.is_inbound)
    }
}

/// Rounds to Front's precision: seconds with up to 3 decimals.
pub fn timestamp(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_prefix_and_width_of_their_kind_and_never_repeat() {
        let mut mint = IdMint::new(Rng::new(3));
        let ids: Vec<String> = (0..500).map(|_| mint.mint(IdKind::Inbox)).collect();
        assert!(ids.iter().all(|id| id.starts_with("inb_") && id.len() == 8));
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
    }

    #[test]
    fn aliases_split_into_name_and_value() {
        assert_eq!(parse_alias("alt:email:a@b.c"), Some(("email", "a@b.c")));
        assert_eq!(parse_alias("alt:phone:+1:2"), Some(("phone", "+1:2")));
        assert_eq!(parse_alias("alt:nothing"), None);
        assert_eq!(parse_alias("tea_1"), None);
    }
}
