//! `/accounts` (customer organisations) and their contacts.

use super::{Outcome, Reply, created, custom_fields, ok};
use crate::error::ApiError;
use crate::paging::paginate;
use crate::render::paged_list;
use crate::request::{Call, DEFAULT_LIMIT};
use crate::world::{Account, IdKind, World};

/// The account named by the path (`acc_` id, `alt:domain:` or `alt:ext_id:`), or 404.
fn find<'w>(world: &'w World, call: &Call<'_>) -> Result<&'w Account, ApiError> {
    let reference = call.param("account_id");
    world
        .account(reference)
        .ok_or_else(|| ApiError::not_found("Account", reference))
}

pub fn list(world: &World, call: &Call<'_>) -> Outcome {
    let request = call.page_request(DEFAULT_LIMIT, true)?;
    let by_update = call.query_str("sort_by") == Some("updated_at");
    let page = paginate(
        world.accounts.values().collect(),
        |a| {
            let key = if by_update {
                a.updated_at
            } else {
                a.created_at
            };
            (key, a.id.as_str())
        },
        &request,
    );
    let view = call.view(world);
    ok(paged_list(
        call.self_url(),
        page.next.map(|cursor| call.next_url(&cursor)),
        page.items.iter().map(|a| view.account(a)).collect(),
        None,
    ))
}

pub fn get(world: &World, call: &Call<'_>) -> Outcome {
    let account = find(world, call)?;
    ok(call.view(world).account(account))
}

/// Domains and external ids identify one account each (they are its aliases).
fn check_unique(world: &World, call: &Call<'_>, except: Option<&str>) -> Result<(), ApiError> {
    let others = || {
        world
            .accounts
            .values()
            .filter(|a| Some(a.id.as_str()) != except)
    };
    for (index, domain) in call
        .body_strings("domains")
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if let Some(owner) =
            others().find(|a| a.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
        {
            return Err(ApiError::conflict(format!(
                "The domain {domain} already belongs to account {}",
                owner.id
            ))
            .with_details(vec![format!(
                "body.domains[{index}]: is already used by account {}",
                owner.id
            )]));
        }
    }
    if let Some(external) = call.body_str("external_id")
        && let Some(owner) = others().find(|a| a.external_id.as_deref() == Some(external))
    {
        return Err(ApiError::conflict(format!(
            "The external id {external} already belongs to account {}",
            owner.id
        ))
        .with_details(vec![format!(
            "body.external_id: is already used by account {}",
            owner.id
        )]));
    }
    Ok(())
}

pub fn create(world: &mut World, call: &Call<'_>) -> Outcome {
    check_unique(world, call, None)?;
    let fields = custom_fields(call, "custom_fields")?.unwrap_or_default();
    let id = world.ids.mint(IdKind::Account);
    let account = Account {
        id: id.clone(),
        // The spec requires no field; Front then names the account with an empty name.
        name: call.body_str("name").unwrap_or_default().to_owned(),
        logo_url: None,
        description: call.body_str("description").map(str::to_owned),
        domains: call.body_strings("domains").unwrap_or_default(),
        external_id: call.body_str("external_id").map(str::to_owned),
        custom_fields: fields,
        created_at: call.now,
        updated_at: call.now,
        contact_ids: Vec::new(),
    };
    let answer = created(call.view(world).account(&account));
    world.accounts.insert(id, account);
    answer
}

/// Unlike most updates, answers 200 with the account.
pub fn update(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.clone();
    check_unique(world, call, Some(&id))?;
    let fields = custom_fields(call, "custom_fields")?;
    let Some(account) = world.accounts.get_mut(&id) else {
        return Err(ApiError::not_found("Account", &id));
    };
    if let Some(name) = call.body_str("name") {
        account.name = name.to_owned();
    }
    if let Some(description) = call.body_str("description") {
        account.description = Some(description.to_owned());
    }
    if let Some(domains) = call.body_strings("domains") {
        account.domains = domains;
    }
    if let Some(fields) = fields {
        account.custom_fields = fields;
    }
    account.updated_at = call.now;
    match world.accounts.get(&id) {
        Some(account) => ok(call.view(world).account(account)),
        None => Err(ApiError::not_found("Account", &id)),
    }
}

pub fn delete(world: &mut World, call: &Call<'_>) -> Outcome {
    let id = find(world, call)?.id.clone();
    world.accounts.shift_remove(&id);
    world.store.forget(&id);
    Ok(Reply::NoContent)
}

pub fn list_contacts(world: &World, call: &Call<'_>) -> Outcome {
    let account = find(world, call)?;
    let contacts = account
        .contact_ids
        .iter()
        .filter_map(|id| world.contacts.get(id))
        .collect();
    super::contacts::contact_page(world, call, contacts)
}
