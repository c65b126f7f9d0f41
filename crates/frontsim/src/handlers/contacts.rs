//! `/contacts`: contacts, their handles, notes and conversations.

use serde_json::Value;

use super::{Outcome, Reply, conversation_page, created, custom_fields, ok, teammate_id};
use crate::error::ApiError;
use crate::paging::paginate;
use crate::render::{paged_list, plain_list};
use crate::request::{Call, DEFAULT_LIMIT};
use crate::world::{Contact, Handle, IdKind, Note, World, handle_key};

pub fn find<'w>(world: &'w World, call: &Call<'_>) -> Result<&'w Contact, ApiError> {
    let reference = call.param("contact_id");
    world
        .contact(reference)
        .ok_or_else(|| ApiError::not_found("Contact", reference))
}

/// A page of `contacts`, sorted by `sort_by` (`created_at` by default), newest first unless
/// `sort_order=asc`. Shared with `GET /accounts/{id}/contacts`.
pub fn contact_page(world: &World, call: &Call<'_>, contacts: Vec<&Contact>) -> Outcome {
    let request = call.page_request(DEFAULT_LIMIT, true)?;
    let by_update = call.query_str("sort_by") == Some("updated_at");
    let page = paginate(
        contacts,
        |c| {
            let key = if by_update {
                c.updated_at
            } else {
                c.created_at
            };
            (key, c.id.as_str())
        },
        &request,
    );
    let view = call.view(world);
    ok(paged_list(
        call.self_url(),
        page.next.map(|cursor| call.next_url(&cursor)),
        page.items
            .iter()
            .map(|c| view.contact(c))
            .collect::<Vec<_>>(),
        None,
    ))
}

pub fn list(world: &World, call: &Call<'_>) -> Outcome {
    let after = call.q("updated_after").and_then(Value::as_f64);
    let before = call.q("updated_before").and_then(Value::as_f64);
    let contacts = world
        .contacts
        .values()
        .filter(|c| after.is_none_or(|a| c.updated_at > a))
        .filter(|c| before.is_none_or(|b| c.updated_at < b))
        .collect();
    contact_page(world, call, contacts)
}

pub fn get(world: &World, call: &Call<'_>) -> Outcome {
    let contact = find(world, call)?;
    ok(call.view(world).contact(contact))
}

/// `list_names` (or the deprecated `group_names`) as list ids, creating missing lists.
fn list_ids(world: &mut World, call: &Call<'_>) -> Option<Vec<String>> {
    let names = call
        .body_strings("list_names")
        .or_else(|| call.body_strings("group_names"))?;
    Some(
        names
            .iter()
            .map(|name| world.contact_list_named(name))
            .collect(),
    )
}

/// Refuses a handle already taken (each source/handle pair belongs to one contact).
fn check_handle_free(
    world: &World,
    source: &str,
    handle: &str,
    field: &str,
) -> Result<(), ApiError> {
    if handle.trim().is_empty() {
        return Err(ApiError::invalid_field(field, "must not be empty"));
    }
    match world.contact_by_handle.get(&handle_key(source, handle)) {
        Some(owner) => Err(ApiError::conflict(format!(
            "The {source} handle {handle} already belongs to contact {owner}"
        ))
        .with_details(vec![format!("{field}: is already used by contact {owner}")])),
        None => Ok(()),
    }
}

pub fn create(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = insert(world, call)?;
    match world.contacts.get(&id) {
        Some(contact) => created(call.view(world).contact(contact)),
        None => Err(ApiError::not_found("Contact", &id)),
    }
}

/// Creates the contact the body describes; returns its id.
pub fn insert(world: &mut World, call: &Call<'_>) -> Result<String, ApiError> {
    let handles: Vec<Handle> = call
        .body_field("handles")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|item| Handle {
                    handle: item["handle"].as_str().unwrap_or_default().to_owned(),
                    source: item["source"].as_str().unwrap_or_default().to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    if handles.is_empty() {
        return Err(ApiError::invalid_field(
            "body.handles",
            "must contain at least one handle",
        ));
    }
    for (index, handle) in handles.iter().enumerate() {
        check_handle_free(
            world,
            &handle.source,
            &handle.handle,
            &format!("body.handles[{index}]"),
        )?;
        let repeated = handles[..index].iter().any(|h| {
            handle_key(&h.source, &h.handle) == handle_key(&handle.source, &handle.handle)
        });
        if repeated {
            return Err(ApiError::invalid_field(
                &format!("body.handles[{index}]"),
                "is given twice",
            ));
        }
    }
    let fields = custom_fields(call, "custom_fields")?.unwrap_or_default();
    let id = world.ids.mint(IdKind::Contact);
    for handle in &handles {
        world
            .contact_by_handle
            .insert(handle_key(&handle.source, &handle.handle), id.clone());
    }
    let list_ids = list_ids(world, call).unwrap_or_default();
    let contact = Contact {
        id: id.clone(),
        name: call.body_str("name").map(str::to_owned),
        description: call.body_str("description").map(str::to_owned),
        avatar_url: None,
        links: call.body_strings("links").unwrap_or_default(),
        list_ids,
        handles,
        custom_fields: fields,
        is_private: false,
        created_at: call.now,
        updated_at: call.now,
    };
    world.contacts.insert(id.clone(), contact);
    Ok(id)
}

pub fn update(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.clone();
    let fields = custom_fields(call, "custom_fields")?;
    let lists = list_ids(world, call);
    let Some(contact) = world.contacts.get_mut(&id) else {
        return Err(ApiError::not_found("Contact", &id));
    };
    if let Some(name) = call.body_str("name") {
        contact.name = Some(name.to_owned());
    }
    if let Some(description) = call.body_str("description") {
        contact.description = Some(description.to_owned());
    }
    if let Some(links) = call.body_strings("links") {
        contact.links = links;
    }
    if let Some(lists) = lists {
        contact.list_ids = lists;
    }
    if let Some(fields) = fields {
        contact.custom_fields = fields;
    }
    contact.updated_at = call.now;
    Ok(Reply::NoContent)
}

pub fn delete(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.clone();
    if let Some(contact) = world.contacts.shift_remove(&id) {
        for handle in &contact.handles {
            world
                .contact_by_handle
                .remove(&handle_key(&handle.source, &handle.handle));
        }
    }
    for account in world.accounts.values_mut() {
        account.contact_ids.retain(|c| c != &id);
    }
    world.notes.remove(&id);
    world.store.forget(&id);
    Ok(Reply::NoContent)
}

pub fn list_conversations(world: &World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.as_str();
    conversation_page(world, call, |c| {
        c.recipient
            .as_ref()
            .is_some_and(|r| r.contact_id.as_deref() == Some(id))
    })
}

pub fn add_handle(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.clone();
    let handle = call.body_str("handle").unwrap_or_default().to_owned();
    let source = call.body_str("source").unwrap_or_default().to_owned();
    check_handle_free(world, &source, &handle, "body.handle")?;
    world
        .contact_by_handle
        .insert(handle_key(&source, &handle), id.clone());
    if let Some(contact) = world.contacts.get_mut(&id) {
        contact.handles.push(Handle { handle, source });
        contact.updated_at = call.now;
    }
    Ok(Reply::NoContent)
}

pub fn add_note(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.clone();
    let author_id = teammate_id(
        world,
        call.body_str("author_id").unwrap_or_default(),
        "body.author_id",
    )?;
    let note = Note {
        author_id,
        body: call.body_str("body").unwrap_or_default().to_owned(),
        created_at: call.now,
    };
    world.notes.entry(id.clone()).or_default().push(note);
    let contact = world
        .contacts
        .get(&id)
        .ok_or_else(|| ApiError::not_found("Contact", &id))?;
    match world.notes.get(&id).and_then(|notes| notes.last()) {
        Some(note) => created(call.view(world).note(contact, note)),
        None => Err(ApiError::not_found("Contact note", &id)),
    }
}

/// `GET /contacts/{id}/notes`: the contact's notes, oldest first (Front answers 202 here).
pub fn list_notes(world: &World, call: &Call<'_>) -> Outcome {
    let contact = find(world, call)?;
    let view = call.view(world);
    super::json(
        hyper::StatusCode::ACCEPTED,
        &plain_list(
            call.self_url(),
            world
                .notes
                .get(&contact.id)
                .into_iter()
                .flatten()
                .map(|note| view.note(contact, note))
                .collect(),
        ),
    )
}

/// `DELETE /contacts/{id}/handles`: removes one handle; a contact keeps at least one unless
/// `force` is set.
pub fn delete_handle(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.clone();
    let handle = call.body_str("handle").unwrap_or_default().to_owned();
    let source = call.body_str("source").unwrap_or_default().to_owned();
    let force = call.body_bool("force").unwrap_or(false);
    let contact = world
        .contacts
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("Contact", &id))?;
    let position = contact
        .handles
        .iter()
        .position(|h| h.source == source && h.handle.eq_ignore_ascii_case(&handle))
        .ok_or_else(|| {
            ApiError::invalid_field(
                "body.handle",
                format!("contact {id} has no {source} handle `{handle}`"),
            )
        })?;
    if contact.handles.len() == 1 && !force {
        return Err(ApiError::invalid_field(
            "body.handle",
            "is the contact's last handle; set `force` to delete it (and the contact)",
        ));
    }
    contact.handles.remove(position);
    contact.updated_at = call.now;
    let now_empty = contact.handles.is_empty();
    world
        .contact_by_handle
        .remove(&handle_key(&source, &handle));
    if now_empty {
        world.contacts.shift_remove(&id);
    }
    Ok(Reply::NoContent)
}

/// `POST /contacts/merge`: the other contacts' handles, lists and notes move to the target
/// (`target_contact_id`, else the first listed), and the others are deleted.
pub fn merge(world: &mut World, call: &Call<'_>) -> Outcome {
    let given = call.body_strings("contact_ids").unwrap_or_default();
    let mut ids = Vec::new();
    for (index, reference) in given.iter().enumerate() {
        let id = world
            .contact(reference)
            .map(|c| c.id.clone())
            .ok_or_else(|| {
                ApiError::invalid_field(
                    &format!("body.contact_ids[{index}]"),
                    format!("contact `{reference}` does not exist"),
                )
            })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let target = match call.body_str("target_contact_id") {
        Some(reference) => world
            .contact(reference)
            .map(|c| c.id.clone())
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "body.target_contact_id",
                    format!("contact `{reference}` does not exist"),
                )
            })?,
        None => ids.first().cloned().ok_or_else(|| {
            ApiError::invalid_field("body.contact_ids", "must name at least one contact")
        })?,
    };
    for other in ids.iter().filter(|id| **id != target) {
        let Some(merged) = world.contacts.shift_remove(other) else {
            continue;
        };
        for handle in &merged.handles {
            world
                .contact_by_handle
                .insert(handle_key(&handle.source, &handle.handle), target.clone());
        }
        let notes = world.notes.remove(other).unwrap_or_default();
        world.notes.entry(target.clone()).or_default().extend(notes);
        for account in world.accounts.values_mut() {
            if account.contact_ids.contains(other) {
                account.contact_ids.retain(|c| c != other);
                if !account.contact_ids.contains(&target) {
                    account.contact_ids.push(target.clone());
                }
            }
        }
        if let Some(contact) = world.contacts.get_mut(&target) {
            contact.handles.extend(merged.handles);
            for list in merged.list_ids {
                if !contact.list_ids.contains(&list) {
                    contact.list_ids.push(list);
                }
            }
            contact.updated_at = call.now;
        }
    }
    match world.contacts.get(&target) {
        Some(contact) => ok(call.view(world).contact(contact)),
        None => Err(ApiError::not_found("Contact", &target)),
    }
}
