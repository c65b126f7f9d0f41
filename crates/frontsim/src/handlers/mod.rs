//! The handlers of the catalogued operations: one function each where Front's behaviour is
//! more than storing what it is given (conversations, messages, replies and drafts, contacts,
//! tags, events, analytics, downloads…), grouped by resource, and the generic machinery of
//! [`generic`] for the rest (teams, shifts, templates, knowledge bases, views…).
//!
//! Handlers see checked input (types, required fields and enums were validated against the
//! spec before they run) and do what Front does beyond the schema: resolve ids and aliases,
//! refuse references to missing resources, change state and emit the events Front emits.
//! A handler that writes validates everything first, so a refused request changes nothing.

mod accounts;
mod analytics;
mod channels;
mod comments;
mod contacts;
mod conversations;
mod downloads;
mod events;
mod generic;
mod inboxes;
mod messages;
mod replies;
mod search;
mod tags;
mod teammates;

use actionhub_catalog::Action;

use hyper::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::paging::paginate;
use crate::render::paged_list;
use crate::request::{Call, DEFAULT_LIMIT};
use crate::world::{Conversation, ConversationState, World};

/// What a handler answers: a status and the serialised JSON body, 204, or a file.
#[derive(Debug)]
pub enum Reply {
    Json(StatusCode, Vec<u8>),
    NoContent,
    /// An attachment's bytes (200), sent with its media type and as a download of its name.
    File {
        content_type: String,
        filename: String,
        bytes: Vec<u8>,
    },
}

pub type Outcome = Result<Reply, ApiError>;
type ReadFn = fn(&World, &Call<'_>) -> Outcome;
type WriteFn = fn(&mut World, &Call<'_>) -> Outcome;

/// Reads share the world's lock; writes hold it alone.
#[derive(Clone, Copy)]
pub enum Handler {
    Read(ReadFn),
    Write(WriteFn),
    /// Served by [`generic`] from the operation's path and response schema.
    Generic(generic::Plan),
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Handler::Read(_) => f.write_str("Handler::Read"),
            Handler::Write(_) => f.write_str("Handler::Write"),
            Handler::Generic(plan) => write!(f, "Handler::Generic({plan:?})"),
        }
    }
}

impl Handler {
    /// Whether it needs the world's lock alone.
    pub fn writes(&self) -> bool {
        match self {
            Handler::Read(_) => false,
            Handler::Write(_) => true,
            Handler::Generic(plan) => plan.writes(),
        }
    }

    pub fn read(&self, world: &World, call: &Call<'_>) -> Outcome {
        match self {
            Handler::Read(read) => read(world, call),
            Handler::Generic(plan) => generic::read(plan, world, call),
            Handler::Write(_) => Err(ApiError::internal("a write was run as a read")),
        }
    }

    pub fn write(&self, world: &mut World, call: &Call<'_>) -> Outcome {
        match self {
            Handler::Read(read) => read(world, call),
            Handler::Write(write) => write(world, call),
            Handler::Generic(plan) => generic::write(plan, world, call),
        }
    }
}

/// The handler of a catalogued action: its own function, else a generic plan; `None` (a bug
/// the simulator refuses to start with) when neither fits.
pub fn for_action(action: &'static Action) -> Option<Handler> {
    own_handler(&action.id).or_else(|| generic::plan(action).map(Handler::Generic))
}

fn own_handler(action_id: &str) -> Option<Handler> {
    use Handler::{Read, Write};
    Some(match action_id {
        "front_list_conversations" => Read(conversations::list),
        "front_get_conversation" => Read(conversations::get),
        "front_update_conversation" => Write(conversations::update),
        "front_update_conversation_assignee" => Write(conversations::update_assignee),
        "front_list_conversation_messages" => Read(conversations::list_messages),
        "front_list_conversation_comments" => Read(conversations::list_comments),
        "front_add_conversation_comment" => Write(conversations::add_comment),
        "front_add_conversation_tag" => Write(conversations::add_tags),
        "front_remove_conversation_tag" => Write(conversations::remove_tags),
        "front_list_conversation_followers" => Read(conversations::list_followers),
        "front_add_conversation_followers" => Write(conversations::add_followers),
        "front_delete_conversation" => Write(conversations::delete),
        "front_search_conversations" => Read(search::search),
        "front_list_contacts" => Read(contacts::list),
        "front_get_contact" => Read(contacts::get),
        "front_create_contact" => Write(contacts::create),
        "front_update_contact" => Write(contacts::update),
        "front_delete_contact" => Write(contacts::delete),
        "front_list_contact_conversations" => Read(contacts::list_conversations),
        "front_add_contact_handle" => Write(contacts::add_handle),
        "front_add_contact_note" => Write(contacts::add_note),
        "front_list_teammates" => Read(teammates::list),
        "front_get_teammate" => Read(teammates::get),
        "front_update_teammate" => Write(teammates::update),
        "front_list_inboxes" => Read(inboxes::list),
        "front_get_inbox" => Read(inboxes::get),
        "front_list_inbox_conversations" => Read(inboxes::list_conversations),
        "front_list_inbox_channels" => Read(inboxes::list_channels),
        "front_create_inbox" => Write(inboxes::create),
        "front_list_channels" => Read(channels::list),
        "front_get_channel" => Read(channels::get),
        "front_update_channel" => Write(channels::update),
        "front_send_message" => Write(messages::send),
        "front_create_draft" => Write(messages::create_draft),
        "front_get_message" => Read(messages::get),
        "front_list_tags" => Read(tags::list),
        "front_get_tag" => Read(tags::get),
        "front_create_tag" => Write(tags::create),
        "front_update_tag" => Write(tags::update),
        "front_delete_tag" => Write(tags::delete),
        "front_list_tagged_conversations" => Read(tags::list_conversations),
        "front_list_child_tags" => Read(tags::list_children),
        "front_create_child_tag" => Write(tags::create_child),
        "front_list_accounts" => Read(accounts::list),
        "front_get_account" => Read(accounts::get),
        "front_create_account" => Write(accounts::create),
        "front_update_account" => Write(accounts::update),
        "front_delete_account" => Write(accounts::delete),
        "front_list_account_contacts" => Read(accounts::list_contacts),
        "front_list_events" => Read(events::list),
        "front_get_event" => Read(events::get),
        "front_list_conversation_events" => Read(events::list_for_conversation),
        "front_get_token_identity" => Read(identity),
        "front_create_conversation" => Write(conversations::create),
        "front_add_conversation_links" => Write(conversations::add_links),
        "front_reply_to_conversation" => Write(replies::reply),
        "front_create_draft_reply" => Write(replies::create_draft),
        "front_list_conversation_drafts" => Read(replies::list_drafts),
        "front_update_draft" => Write(replies::update_draft),
        "front_delete_draft" => Write(replies::delete_draft),
        "front_receive_custom_message" => Write(replies::receive),
        "front_import_message" => Write(replies::import),
        "front_get_message_seen_status" => Read(replies::seen_status),
        "front_mark_message_seen" => Write(replies::mark_seen),
        "front_update_comment" => Write(comments::update),
        "front_add_comment_reply" => Write(comments::reply),
        "front_list_comment_mentions" => Read(comments::mentions),
        "front_list_contact_notes" => Read(contacts::list_notes),
        "front_delete_contact_handle" => Write(contacts::delete_handle),
        "front_merge_contacts" => Write(contacts::merge),
        "front_create_analytics_export" => Write(analytics::create_export),
        "front_get_analytics_export" => Write(analytics::get_export),
        "front_create_analytics_report" => Write(analytics::create_report),
        "front_get_analytics_report" => Write(analytics::get_report),
        "front_download_attachment"
        | "front_download_message_attachment"
        | "front_download_comment_attachment"
        | "front_download_message_template_attachment"
        | "front_download_knowledge_base_article_attachment" => Read(downloads::download),
        _ => return None,
    })
}

/// `GET /me`: the company behind the token.
fn identity(world: &World, call: &Call<'_>) -> Outcome {
    ok(call.view(world).identity())
}

/// Serialises a body while the handler still holds the world (views borrow from it).
pub fn json(status: StatusCode, body: &impl Serialize) -> Outcome {
    serde_json::to_vec(body)
        .map(|bytes| Reply::Json(status, bytes))
        .map_err(|error| ApiError::internal(format!("the response could not be written: {error}")))
}

pub fn ok(body: impl Serialize) -> Outcome {
    json(StatusCode::OK, &body)
}

pub fn created(body: impl Serialize) -> Outcome {
    json(StatusCode::CREATED, &body)
}

/// The simulated company's conversations have no ticket statuses (the statuses themselves are
/// listed), so ticket status filters and fields are refused as Front refuses them for a company
/// without ticketing.
fn ticketing_disabled(field: &str) -> ApiError {
    ApiError::invalid_field(field, "ticketing is not enabled for this company")
}

/// A page of conversations among those `keep` selects, filtered by `q[statuses]` and sorted
/// by last activity (newest first unless `sort_order=asc`).
pub fn conversation_page(
    world: &World,
    call: &Call<'_>,
    keep: impl Fn(&Conversation) -> bool,
) -> Outcome {
    if call.q("status_categories").is_some() {
        return Err(ticketing_disabled("query.q.status_categories"));
    }
    if call.q("status_ids").is_some() {
        return Err(ticketing_disabled("query.q.status_ids"));
    }
    let statuses = call.q_strings("statuses");
    let request = call.page_request(DEFAULT_LIMIT, true)?;
    let matching: Vec<&Conversation> = world
        .conversations
        .values()
        .filter(|c| keep(c))
        .filter(|c| {
            if statuses.is_empty() {
                // Without a filter, lists show what Front's views show: not trash or spam.
                matches!(
                    c.state,
                    ConversationState::Open | ConversationState::Archived
                )
            } else {
                statuses.iter().any(|s| c.has_list_status(s))
            }
        })
        .collect();
    let page = paginate(matching, |c| (c.updated_at, c.id.as_str()), &request);
    let view = call.view(world);
    let results = page
        .items
        .iter()
        .map(|c| view.conversation(c))
        .collect::<Vec<_>>();
    ok(paged_list(
        call.self_url(),
        page.next.map(|cursor| call.next_url(&cursor)),
        results,
        None,
    ))
}

/// Checks a `custom_fields` object: Front's custom field values are single values.
pub fn custom_fields(call: &Call<'_>, field: &str) -> Result<Option<Map<String, Value>>, ApiError> {
    let Some(value) = call.body_field(field) else {
        return Ok(None);
    };
    let Some(fields) = value.as_object() else {
        return Err(ApiError::invalid_field(
            &format!("body.{field}"),
            "must be an object",
        ));
    };
    if let Some((name, _)) = fields.iter().find(|(_, v)| v.is_array() || v.is_object()) {
        return Err(ApiError::invalid_field(
            &format!("body.{field}.{name}"),
            "must be a string, number, boolean or null",
        ));
    }
    Ok(Some(fields.clone()))
}

/// Resolves a teammate reference (`tea_` id or `alt:email:`) given in the body.
pub fn teammate_id(world: &World, reference: &str, field: &str) -> Result<String, ApiError> {
    world
        .teammate(reference)
        .map(|t| t.id.clone())
        .ok_or_else(|| {
            ApiError::invalid_field(field, format!("teammate `{reference}` does not exist"))
        })
}

/// Resolves a list of tag ids given in the body, refusing unknown ones by position.
pub fn tag_ids(world: &World, ids: &[String], field: &str) -> Result<Vec<String>, ApiError> {
    let unknown: Vec<String> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !world.tags.contains_key(id.as_str()))
        .map(|(i, id)| format!("{field}[{i}]: tag `{id}` does not exist"))
        .collect();
    if unknown.is_empty() {
        let mut unique: Vec<String> = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.contains(id) {
                unique.push(id.clone());
            }
        }
        Ok(unique)
    } else {
        Err(ApiError::invalid_request(unknown))
    }
}

/// Resolves an inbox id given in the body.
pub fn inbox_id(world: &World, id: &str, field: &str) -> Result<String, ApiError> {
    world
        .inboxes
        .get(id)
        .map(|i| i.id.clone())
        .ok_or_else(|| ApiError::invalid_field(field, format!("inbox `{id}` does not exist")))
}
