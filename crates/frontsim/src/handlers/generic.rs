//! The long tail of Front's operations, served from their path and their response schema
//! rather than by a function each.
//!
//! An operation's path says what it does: `GET /teams/{team_id}/tags` lists the tags related
//! to a team, `POST` there creates one related to it, `POST /teams/{team_id}/teammates` with
//! `teammate_ids` adds members, `PATCH /shifts/{shift_id}` merges the body into the shift,
//! `…/content` and `…/locales/{locale}/content` read and write an object's content. The spec
//! says the status and the answer's shape ([`crate::spec`]). Objects of the generic kinds are
//! JSON in the world's store, built from their schemas (required fields filled, the request's
//! matching fields laid over them); objects of the typed kinds (tags, inboxes, contacts…) are
//! read and created through the world, as the core operations do.
//!
//! Every id in the path must exist (404); ids in the body must exist too (400 naming the field;
//! 404 for the members added or removed, which are what the request is about).

use actionhub_catalog::Action;
use hyper::StatusCode;
use serde_json::{Map, Value};

use super::{Outcome, Reply, json};
use crate::error::ApiError;
use crate::kinds::{self, Kind};
use crate::paging::paginate;
use crate::render::{View, paged_list, plain_list};
use crate::request::{Call, DEFAULT_LIMIT};
use crate::spec::{self, Answer, Body, Seed};
use crate::world::{ContactList, IdKind, Stored, World};

/// A path parameter naming an object of a kind.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub param: &'static str,
    pub kind: &'static Kind,
}

/// What a list or a new object belongs to.
#[derive(Debug, Clone, Copy)]
enum Owner {
    Nobody,
    /// A literal path segment: `company` in `/company/tags`, `contacts` in
    /// `/contacts/custom_fields`.
    Literal(&'static str),
    Param(Target),
}

#[derive(Debug, Clone, Copy)]
enum Op {
    List {
        kind: &'static Kind,
        owner: Owner,
    },
    Show {
        target: Target,
    },
    Create {
        kind: &'static Kind,
        owner: Owner,
    },
    Update {
        target: Target,
    },
    Delete {
        target: Target,
    },
    /// Adds (or removes) the objects listed in the body field `field` to the owner's members.
    Members {
        owner: Target,
        field: &'static str,
        member: &'static Kind,
        add: bool,
    },
    /// An action on one object that changes nothing the simulator keeps (validate a channel,
    /// mark a message seen, set a reminder): the object must exist.
    Act {
        target: Target,
    },
}

/// How one operation is served.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    answer: Answer,
    op: Op,
}

impl Plan {
    pub fn writes(&self) -> bool {
        !matches!(self.op, Op::List { .. } | Op::Show { .. })
    }
}

/// The plan of an operation, or `None` when its path does not read as one of the shapes above.
pub fn plan(action: &'static Action) -> Option<Plan> {
    let answer = spec::answer(action.method.as_str(), &action.path)?;
    let segments: Vec<&'static str> = action
        .path
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let targets: Vec<Target> = segments
        .iter()
        .filter_map(|segment| {
            let name = segment.strip_prefix('{')?.strip_suffix('}')?;
            let kind = kinds::kind(action.inputs.path.get(name)?.id_of.as_deref()?)?;
            Some(Target { param: name, kind })
        })
        .collect();
    let last = *segments.last()?;
    let method = action.method.as_str();
    let op = if last == "content" || last.starts_with('{') {
        let target = *targets.last()?;
        match method {
            "GET" => Op::Show { target },
            "PATCH" => Op::Update { target },
            "DELETE" => Op::Delete { target },
            _ => return None,
        }
    } else if let Some(kind) = kinds::kind_of_segment(last) {
        let owner = match targets.last() {
            Some(target) => Owner::Param(*target),
            None if segments.len() >= 2 => Owner::Literal(segments[segments.len() - 2]),
            None => Owner::Nobody,
        };
        let members = format!("{}_ids", kind.resource);
        let field = action
            .inputs
            .body
            .get_key_value(members.as_str())
            .map(|(name, _)| name.as_str());
        match (method, owner, field) {
            ("GET", _, _) => Op::List { kind, owner },
            ("POST" | "DELETE", Owner::Param(owner), Some(field)) => Op::Members {
                owner,
                field,
                member: kind,
                add: method == "POST",
            },
            ("POST", _, _) => Op::Create { kind, owner },
            _ => return None,
        }
    } else {
        Op::Act {
            target: *targets.last()?,
        }
    };
    Some(Plan { answer, op })
}

pub fn read(plan: &Plan, world: &World, call: &Call<'_>) -> Outcome {
    match plan.op {
        Op::List { kind, owner } => list(world, call, plan.answer, kind, owner),
        Op::Show { target } => {
            let id = resolve(world, target, call)?;
            answer_with(world, call, plan.answer, target.kind, &id)
        }
        _ => Err(ApiError::internal("a write was planned as a read")),
    }
}

pub fn write(plan: &Plan, world: &mut World, call: &Call<'_>) -> Outcome {
    match plan.op {
        Op::Create { kind, owner } => create(world, call, plan.answer, kind, owner),
        Op::Update { target } => update(world, call, plan.answer, target),
        Op::Delete { target } => delete(world, call, plan.answer, target),
        Op::Members {
            owner,
            field,
            member,
            add,
        } => members(world, call, owner, field, member, add),
        Op::Act { target } => {
            let id = resolve(world, target, call)?;
            answer_with(world, call, plan.answer, target.kind, &id)
        }
        Op::List { .. } | Op::Show { .. } => read(plan, world, call),
    }
}

/// The canonical id of an object of `kind` that `reference` names (aliases resolved).
pub fn find_id(world: &World, kind: &Kind, reference: &str) -> Option<String> {
    let found = match kind.resource {
        "teammate" => world.teammate(reference).map(|t| &t.id),
        "inbox" => world.inboxes.get(reference).map(|i| &i.id),
        "channel" => world.channel(reference).map(|c| &c.id),
        "tag" => world.tags.get(reference).map(|t| &t.id),
        "contact" => world.contact(reference).map(|c| &c.id),
        "contact_list" => world.contact_lists.get(reference).map(|l| &l.id),
        "account" => world.account(reference).map(|a| &a.id),
        "conversation" => world.conversations.get(reference).map(|c| &c.id),
        "message" => world.message(reference).map(|m| &m.id),
        "comment" => world.comments.get(reference).map(|c| &c.id),
        "event" => world.events.get(reference).map(|e| &e.id),
        "attachment" => world.attachments.get(reference).map(|a| &a.id),
        resource => world.store.get(reference, resource).map(|s| &s.id),
    };
    found.cloned()
}

/// The object a path parameter names, or Front's 404.
pub fn resolve(world: &World, target: Target, call: &Call<'_>) -> Result<String, ApiError> {
    let reference = call.param(target.param);
    find_id(world, target.kind, reference)
        .ok_or_else(|| ApiError::not_found(target.kind.label, reference))
}

/// An object as Front shows it; `locale` selects the content of that locale.
pub fn render(
    world: &World,
    view: &View<'_>,
    kind: &Kind,
    id: &str,
    locale: Option<&str>,
) -> Option<Value> {
    let typed = match kind.resource {
        "teammate" => world.teammates.get(id).map(|t| to_value(view.teammate(t))),
        "inbox" => world.inboxes.get(id).map(|i| to_value(view.inbox(i))),
        "channel" => world.channels.get(id).map(|c| to_value(view.channel(c))),
        "tag" => world.tags.get(id).map(|t| to_value(view.tag(t))),
        "contact" => world.contacts.get(id).map(|c| to_value(view.contact(c))),
        "contact_list" => world
            .contact_lists
            .get(id)
            .map(|l| to_value(view.contact_list(l))),
        "account" => world.accounts.get(id).map(|a| to_value(view.account(a))),
        "conversation" => world
            .conversations
            .get(id)
            .map(|c| to_value(view.conversation(c))),
        "message" => world.messages.get(id).map(|m| to_value(view.message(m))),
        "comment" => world.comments.get(id).map(|c| to_value(view.comment(c))),
        "event" => world.events.get(id).map(|e| to_value(view.event(e))),
        _ => None,
    };
    match typed {
        Some(value) => Some(value),
        None => world
            .store
            .get(id, kind.resource)
            .map(|stored| render_stored(world, view, stored, locale)),
    }
}

fn to_value(view: impl serde::Serialize) -> Value {
    serde_json::to_value(view).unwrap_or(Value::Null)
}

fn render_stored(world: &World, view: &View<'_>, stored: &Stored, locale: Option<&str>) -> Value {
    let mut fields = stored.fields.clone();
    // Fields named `_…` are the simulator's own bookkeeping (a report's pending metrics).
    fields.retain(|name, _| !name.starts_with('_'));
    if let Some(locale) = locale {
        if let Some(content) = stored.locales.get(locale) {
            fields.extend(content.clone());
        }
        fields.insert("locale".into(), locale.into());
    }
    if fields.contains_key("locales") {
        let own = stored
            .fields
            .get("locale")
            .and_then(Value::as_str)
            .unwrap_or("en");
        let mut locales = vec![own.to_owned()];
        locales.extend(stored.locales.keys().filter(|l| *l != own).cloned());
        fields.insert("locales".into(), locales.into());
    }
    if fields.contains_key("attachments") {
        fields.insert("attachments".into(), to_value(view.attachments(&stored.id)));
    }
    if stored.resource == "team" {
        for (field, member) in [("inboxes", "inbox"), ("members", "teammate")] {
            let Some(kind) = kinds::kind(member) else {
                continue;
            };
            let members: Vec<Value> = related(world, &stored.id, kinds::kind("team"), kind)
                .iter()
                .filter_map(|id| render(world, view, kind, id, None))
                .collect();
            fields.insert(field.into(), members.into());
        }
    }
    let collection = kinds::kind(stored.resource).map_or("", |k| k.collection);
    let mut links = Map::new();
    links.insert(
        "self".into(),
        format!("{}/{collection}/{}", view.base, stored.id).into(),
    );
    fields.insert("_links".into(), links.into());
    Value::Object(fields)
}

/// Every object of a kind.
fn all_ids(world: &World, kind: &Kind) -> Vec<String> {
    match kind.resource {
        "teammate" => world
            .teammates
            .values()
            .filter(|t| t.kind == "user")
            .map(|t| t.id.clone())
            .collect(),
        "inbox" => world.inboxes.keys().cloned().collect(),
        "channel" => world.channels.keys().cloned().collect(),
        "tag" => world.tags.keys().cloned().collect(),
        "contact" => world.contacts.keys().cloned().collect(),
        "contact_list" => world.contact_lists.keys().cloned().collect(),
        "account" => world.accounts.keys().cloned().collect(),
        "conversation" => world.conversations.keys().cloned().collect(),
        resource => world
            .store
            .objects
            .values()
            .filter(|s| s.resource == resource)
            .map(|s| s.id.clone())
            .collect(),
    }
}

/// The objects of `kind` related to `owner`. Some relations are fields of typed resources
/// (a contact's lists, an account's contacts, a channel's inbox, a conversation's followers);
/// the rest are the store's.
pub fn related(world: &World, owner: &str, owner_kind: Option<&Kind>, kind: &Kind) -> Vec<String> {
    let owner_resource = owner_kind.map_or("", |k| k.resource);
    match (owner_resource, kind.resource) {
        ("contact_list", "contact") => world
            .contacts
            .values()
            .filter(|c| c.list_ids.iter().any(|l| l == owner))
            .map(|c| c.id.clone())
            .collect(),
        ("account", "contact") => world
            .accounts
            .get(owner)
            .map(|a| a.contact_ids.clone())
            .unwrap_or_default(),
        ("inbox", "channel") => world
            .channels
            .values()
            .filter(|c| c.inbox_id.as_deref() == Some(owner))
            .map(|c| c.id.clone())
            .collect(),
        ("conversation", "inbox") => world
            .conversations
            .get(owner)
            .map(|c| vec![c.inbox_id.clone()])
            .unwrap_or_default(),
        ("conversation", "teammate") => world
            .conversations
            .get(owner)
            .map(|c| c.follower_ids.clone())
            .unwrap_or_default(),
        ("teammate", "conversation") => world
            .conversations
            .values()
            .filter(|c| c.assignee_id.as_deref() == Some(owner))
            .map(|c| c.id.clone())
            .collect(),
        ("team" | "teammate", "channel") => {
            let inbox = kinds::kind("inbox");
            let inboxes = inbox.map(|i| related(world, owner, owner_kind, i));
            world
                .channels
                .values()
                .filter(|c| {
                    c.inbox_id
                        .as_ref()
                        .is_some_and(|i| inboxes.as_ref().is_some_and(|all| all.contains(i)))
                })
                .map(|c| c.id.clone())
                .collect()
        }
        _ => {
            let same_kind = owner_resource == kind.resource;
            let parents = world.store.parents(owner).iter().filter(|_| !same_kind);
            world
                .store
                .children(owner)
                .iter()
                .chain(parents)
                .filter(|id| kinds::kind_of_id(id).is_some_and(|k| k.resource == kind.resource))
                .cloned()
                .collect()
        }
    }
}

/// Makes `child` belong to `parent`, in the typed field where the relation is one.
fn attach(world: &mut World, parent: &str, parent_kind: &Kind, child: &str, child_kind: &Kind) {
    match (parent_kind.resource, child_kind.resource) {
        ("contact_list", "contact") => {
            if let Some(contact) = world.contacts.get_mut(child)
                && !contact.list_ids.iter().any(|l| l == parent)
            {
                contact.list_ids.push(parent.to_owned());
            }
        }
        ("account", "contact") => {
            if let Some(account) = world.accounts.get_mut(parent)
                && !account.contact_ids.iter().any(|c| c == child)
            {
                account.contact_ids.push(child.to_owned());
            }
        }
        ("conversation", "teammate") => {
            if let Some(conversation) = world.conversations.get_mut(parent)
                && !conversation.follower_ids.iter().any(|f| f == child)
            {
                conversation.follower_ids.push(child.to_owned());
            }
        }
        ("inbox", "channel") => {
            if let Some(channel) = world.channels.get_mut(child) {
                channel.inbox_id = Some(parent.to_owned());
            }
        }
        _ => world.store.relate(parent, child),
    }
}

fn detach(world: &mut World, parent: &str, parent_kind: &Kind, child: &str, child_kind: &Kind) {
    match (parent_kind.resource, child_kind.resource) {
        ("contact_list", "contact") => {
            if let Some(contact) = world.contacts.get_mut(child) {
                contact.list_ids.retain(|l| l != parent);
            }
        }
        ("account", "contact") => {
            if let Some(account) = world.accounts.get_mut(parent) {
                account.contact_ids.retain(|c| c != child);
            }
        }
        ("conversation", "teammate") => {
            if let Some(conversation) = world.conversations.get_mut(parent) {
                conversation.follower_ids.retain(|f| f != child);
            }
        }
        _ => {
            world.store.unrelate(parent, child);
        }
    }
}

fn list(world: &World, call: &Call<'_>, answer: Answer, kind: &Kind, owner: Owner) -> Outcome {
    let Body::List { paged, .. } = answer.body else {
        return Err(ApiError::internal(
            "a list was planned without a list answer",
        ));
    };
    let ids = match owner {
        Owner::Nobody => all_ids(world, kind),
        Owner::Literal(literal) => related(world, literal, None, kind),
        Owner::Param(target) => {
            let owner = resolve(world, target, call)?;
            related(world, &owner, Some(target.kind), kind)
        }
    };
    let view = call.view(world);
    // Conversations read newest first, as everywhere in Front; other kinds oldest first.
    let newest_first = kind.resource == "conversation";
    let items: Vec<(f64, String, Value)> = ids
        .into_iter()
        .filter_map(|id| {
            let value = render(world, &view, kind, &id, None)?;
            let key = match kind.resource {
                "conversation" => world.conversations.get(&id).map(|c| c.updated_at),
                "contact" => world.contacts.get(&id).map(|c| c.created_at),
                _ => world.store.objects.get(&id).map(|s| s.created_at),
            };
            Some((key.unwrap_or(0.0), id, value))
        })
        .collect();
    if !paged {
        return json(
            answer.status,
            &plain_list(
                call.self_url(),
                items.into_iter().map(|(_, _, v)| v).collect(),
            ),
        );
    }
    let request = call.page_request(DEFAULT_LIMIT, newest_first)?;
    let page = paginate(items.iter().collect(), |(key, id, _)| (*key, id), &request);
    json(
        answer.status,
        &paged_list(
            call.self_url(),
            page.next.map(|cursor| call.next_url(&cursor)),
            page.items.iter().map(|(_, _, v)| v).collect::<Vec<_>>(),
            None,
        ),
    )
}

/// The kind a body field refers to: `folder_id` to a template folder, `teammate_ids` to
/// teammates, `parent_category_id` to a category…
fn referenced_kind(field: &str) -> Option<&'static Kind> {
    let name = field
        .strip_suffix("_ids")
        .or_else(|| field.strip_suffix("_id"))?;
    let name = name.strip_prefix("parent_").unwrap_or(name);
    match name {
        "folder" => kinds::kind("message_template_folder"),
        "category" => kinds::kind("knowledge_base_category"),
        "author" | "assignee" | "not_assignee" => kinds::kind("teammate"),
        "not_tag" => kinds::kind("tag"),
        "status" => kinds::kind("ticket_status"),
        other => kinds::kind(other),
    }
}

/// The ids a request body refers to, checked: `(field, kind, ids)`.
type References = Vec<(String, &'static Kind, Vec<String>)>;

fn body_references(world: &World, call: &Call<'_>) -> Result<References, ApiError> {
    let mut references = Vec::new();
    for (field, value) in &call.body {
        let Some(kind) = referenced_kind(field) else {
            continue;
        };
        let given: Vec<(String, &str)> = match value {
            Value::String(id) => vec![(format!("body.{field}"), id.as_str())],
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| Some((format!("body.{field}[{i}]"), v.as_str()?)))
                .collect(),
            _ => continue,
        };
        let mut ids = Vec::new();
        for (name, reference) in given {
            let id = find_id(world, kind, reference).ok_or_else(|| {
                ApiError::invalid_field(
                    &name,
                    format!("{} `{reference}` does not exist", kind.label),
                )
            })?;
            ids.push(id);
        }
        references.push((field.clone(), kind, ids));
    }
    Ok(references)
}

/// The body's fields that the kind's schemas declare, of the declared types; `subject` names
/// the object where the kind has no subject (knowledge base articles).
fn declared_fields(kind: &Kind, call: &Call<'_>) -> Map<String, Value> {
    let declared = spec::kind_properties(kind);
    let has = |name: &str| declared.iter().any(|(n, _)| *n == name);
    let mut fields = Map::new();
    for (name, value) in &call.body {
        if let Some((_, schema)) = declared.iter().find(|(n, _)| *n == name.as_str())
            && spec::accepts(schema, value)
        {
            fields.insert(name.clone(), value.clone());
        }
    }
    if !has("subject")
        && has("name")
        && let Some(subject) = call.body_str("subject")
    {
        fields.insert("name".into(), subject.into());
    }
    fields
}

/// The `{locale}` of the path, checked against what the kind's schema allows.
fn locale<'c>(kind: &Kind, call: &'c Call<'_>) -> Result<Option<&'c str>, ApiError> {
    let locale = call.param("locale");
    if locale.is_empty() {
        return Ok(None);
    }
    let allowed = spec::kind_properties(kind)
        .into_iter()
        .find(|(name, _)| *name == "locale")
        .is_none_or(|(_, schema)| spec::accepts(schema, &Value::String(locale.to_owned())));
    if allowed {
        Ok(Some(locale))
    } else {
        Err(ApiError::invalid_field(
            "path.locale",
            format!("`{locale}` is not a locale of this {}", kind.label),
        ))
    }
}

fn owner_id(
    world: &World,
    call: &Call<'_>,
    owner: Owner,
) -> Result<Option<(String, Option<&'static Kind>)>, ApiError> {
    Ok(match owner {
        Owner::Nobody => None,
        Owner::Literal(literal) => Some((literal.to_owned(), None)),
        Owner::Param(target) => Some((resolve(world, target, call)?, Some(target.kind))),
    })
}

fn create(
    world: &mut World,
    call: &Call<'_>,
    answer: Answer,
    kind: &'static Kind,
    owner: Owner,
) -> Outcome {
    let owner = owner_id(world, call, owner)?;
    let references = body_references(world, call)?;
    let locale = locale(kind, call)?;
    let id = if kind.typed {
        create_typed(world, call, kind, owner.as_ref())?
    } else {
        let mut fields = declared_fields(kind, call);
        if let Some(locale) = locale {
            fields.insert("locale".into(), locale.into());
        }
        let id = world.new_stored_id(kind.resource);
        world.put_object(kind.resource, id, call.now, fields)
    };
    if let Some((owner, owner_kind)) = &owner {
        match owner_kind {
            Some(owner_kind) => attach(world, owner, owner_kind, &id, kind),
            None => world.store.relate(owner, &id),
        }
    }
    relate_references(world, kind, &id, &references, false);
    answer_with(world, call, answer, kind, &id)
}

/// Relates a new or updated object to what its body names: it goes into the containers named
/// by a single id (`folder_id`, `category_id`), and lists not shown in its schema
/// (`teammate_ids` of a shift) become its members; with `replace`, those replace the old.
fn relate_references(
    world: &mut World,
    kind: &Kind,
    id: &str,
    references: &References,
    replace: bool,
) {
    let declared = spec::kind_properties(kind);
    for (field, referenced, ids) in references {
        let shown = declared.iter().any(|(name, _)| name == field);
        if shown || (referenced.typed && !field.ends_with("_ids")) {
            continue;
        }
        if field.ends_with("_ids") {
            if replace {
                for old in related(world, id, Some(kind), referenced) {
                    detach(world, id, kind, &old, referenced);
                }
            }
            for member in ids {
                attach(world, id, kind, member, referenced);
            }
        } else {
            for container in ids {
                if replace {
                    for old in related(world, id, Some(kind), referenced) {
                        world.store.unrelate(&old, id);
                    }
                }
                world.store.relate(container, id);
            }
        }
    }
}

/// Creates an object of a typed kind through the world, as the core operations do.
fn create_typed(
    world: &mut World,
    call: &Call<'_>,
    kind: &Kind,
    owner: Option<&(String, Option<&'static Kind>)>,
) -> Result<String, ApiError> {
    match kind.resource {
        "tag" => Ok(super::tags::insert(world, call, None)),
        "inbox" => super::inboxes::insert(world, call),
        "contact" => super::contacts::insert(world, call),
        "channel" => super::channels::insert(world, call, owner.map(|(id, _)| id.clone())),
        "contact_list" => {
            let id = world.ids.mint(IdKind::ContactList);
            let name = call.body_str("name").unwrap_or_default().to_owned();
            world.contact_lists.insert(
                id.clone(),
                ContactList {
                    id: id.clone(),
                    name,
                },
            );
            Ok(id)
        }
        other => Err(ApiError::internal(format!(
            "creating a {other} this way is not simulated"
        ))),
    }
}

fn update(world: &mut World, call: &Call<'_>, answer: Answer, target: Target) -> Outcome {
    let id = resolve(world, target, call)?;
    if target.kind.typed {
        return Err(ApiError::internal(format!(
            "updating a {} this way is not simulated",
            target.kind.resource
        )));
    }
    let references = body_references(world, call)?;
    let locale = locale(target.kind, call)?;
    let fields = declared_fields(target.kind, call);
    let has_updated_at = spec::kind_properties(target.kind)
        .iter()
        .any(|(name, _)| *name == "updated_at");
    if let Some(stored) = world.store.objects.get_mut(&id) {
        let own_locale = stored.fields.get("locale").and_then(Value::as_str);
        match locale {
            Some(locale) if own_locale != Some(locale) => stored
                .locales
                .entry(locale.to_owned())
                .or_default()
                .extend(fields),
            _ => stored.fields.extend(fields),
        }
        if has_updated_at {
            stored.fields.insert("updated_at".into(), call.now.into());
        }
    }
    relate_references(world, target.kind, &id, &references, true);
    answer_with(world, call, answer, target.kind, &id)
}

fn delete(world: &mut World, call: &Call<'_>, answer: Answer, target: Target) -> Outcome {
    let id = resolve(world, target, call)?;
    // What Front answers with is shown as it was before the delete.
    let reply = answer_with(world, call, answer, target.kind, &id)?;
    match target.kind.resource {
        "contact_list" => {
            world.contact_lists.shift_remove(&id);
            for contact in world.contacts.values_mut() {
                contact.list_ids.retain(|l| l != &id);
            }
            world.store.forget(&id);
        }
        "message_template_folder" => {
            // A folder goes with its templates and the folders inside it.
            let mut doomed = vec![id];
            while let Some(folder) = doomed.pop() {
                doomed.extend(
                    world
                        .store
                        .children(&folder)
                        .iter()
                        .filter(|child| child.starts_with(kinds::prefix(target.kind)))
                        .cloned(),
                );
                let templates: Vec<String> = world.store.children(&folder).to_vec();
                for template in templates {
                    if world.store.get(&template, "message_template").is_some() {
                        world.store.remove(&template);
                    }
                }
                world.store.remove(&folder);
            }
        }
        _ if !target.kind.typed => {
            world.store.remove(&id);
        }
        other => {
            return Err(ApiError::internal(format!(
                "deleting a {other} this way is not simulated"
            )));
        }
    }
    Ok(reply)
}

fn members(
    world: &mut World,
    call: &Call<'_>,
    owner: Target,
    field: &str,
    member: &'static Kind,
    add: bool,
) -> Outcome {
    let owner_id = resolve(world, owner, call)?;
    let mut ids = Vec::new();
    for reference in call.body_strings(field).unwrap_or_default() {
        let id = find_id(world, member, &reference)
            .ok_or_else(|| ApiError::not_found(member.label, &reference))?;
        ids.push(id);
    }
    for id in ids {
        if add {
            attach(world, &owner_id, owner.kind, &id, member);
        } else {
            detach(world, &owner_id, owner.kind, &id, member);
        }
    }
    Ok(Reply::NoContent)
}

/// The documented answer about one object: the object (in the path's locale), a small
/// acknowledgement (`{"status": "accepted", …}`) or nothing.
pub fn answer_with(
    world: &World,
    call: &Call<'_>,
    answer: Answer,
    kind: &Kind,
    id: &str,
) -> Outcome {
    match answer.body {
        Body::Empty if answer.status == StatusCode::NO_CONTENT => Ok(Reply::NoContent),
        Body::Empty => Ok(Reply::Json(answer.status, b"{}".to_vec())),
        Body::Object(schema) if spec::schema_name(schema).is_some() => {
            let locale = locale(kind, call)?;
            let view = call.view(world);
            let value = render(world, &view, kind, id, locale)
                .ok_or_else(|| ApiError::not_found(kind.label, id))?;
            json(answer.status, &value)
        }
        Body::Object(schema) => {
            let mut value = spec::fill_object(
                schema,
                &Seed {
                    id,
                    label: kind.label,
                    now: call.now,
                },
                true,
            );
            for (name, field) in value.iter_mut() {
                if name.ends_with("_id") {
                    *field = id.into();
                }
            }
            json(answer.status, &value)
        }
        Body::List { .. } => Err(ApiError::internal("one object was planned as a list")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(action: &str) -> Op {
        let action = actionhub_catalog::Catalog::builtin()
            .action(action)
            .expect("a catalogued action");
        plan(action).expect("a plan").op
    }

    #[test]
    fn paths_read_as_operations() {
        assert!(matches!(
            op("front_list_team_tags"),
            Op::List { kind, owner: Owner::Param(Target { param: "team_id", .. }) }
                if kind.resource == "tag"
        ));
        assert!(matches!(
            op("front_list_company_tags"),
            Op::List {
                owner: Owner::Literal("company"),
                ..
            }
        ));
        assert!(matches!(
            op("front_list_shifts"),
            Op::List {
                owner: Owner::Nobody,
                ..
            }
        ));
        assert!(matches!(
            op("front_create_message_template_in_folder"),
            Op::Create { kind, owner: Owner::Param(owner) }
                if kind.resource == "message_template"
                    && owner.kind.resource == "message_template_folder"
        ));
        assert!(matches!(
            op("front_add_teammates_to_team"),
            Op::Members {
                field: "teammate_ids",
                add: true,
                ..
            }
        ));
        assert!(matches!(
            op("front_remove_contact_list_contacts"),
            Op::Members {
                field: "contact_ids",
                add: false,
                ..
            }
        ));
        assert!(matches!(
            op("front_get_knowledge_base_article_locale_content"),
            Op::Show { target } if target.kind.resource == "knowledge_base_article"
        ));
        assert!(matches!(op("front_update_shift"), Op::Update { .. }));
        assert!(matches!(op("front_delete_time_off"), Op::Delete { .. }));
        assert!(matches!(op("front_validate_channel"), Op::Act { .. }));
    }

    #[test]
    fn body_fields_name_the_kinds_they_refer_to() {
        let resource = |field| referenced_kind(field).map(|k| k.resource);
        assert_eq!(resource("folder_id"), Some("message_template_folder"));
        assert_eq!(
            resource("parent_category_id"),
            Some("knowledge_base_category")
        );
        assert_eq!(resource("teammate_ids"), Some("teammate"));
        assert_eq!(resource("author_id"), Some("teammate"));
        assert_eq!(resource("external_id"), None);
        assert_eq!(resource("name"), None);
    }
}
