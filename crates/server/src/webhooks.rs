//! Webhook endpoints: the one path by which an endpoint is created or changed (`POST` and
//! `PATCH /webhooks`, CLI `webhooks create`). Checks every field as a hostile input (the URL
//! against the address policy, event types against the catalogue, accounts against the
//! project, bounded counts and lengths), then saves through the store. Sending is the worker's.

use actionhub_catalog::{Catalog, echo};
use actionhub_store::{
    ACCOUNT_EVENT_PREFIX, APPROVAL_EVENT_PREFIX, Endpoint, EndpointPatch, FRONT_EVENT_PREFIX,
    NewEndpoint, Store, StoreError,
};
use actionhub_worker::security::{self, AddressPolicy};
use secrecy::SecretString;

/// Most event types (and wildcards) one endpoint may list.
pub const MAX_EVENT_TYPES: usize = 100;
/// Most accounts one endpoint may be limited to.
pub const MAX_ACCOUNT_IDS: usize = 100;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// The hub's own events about a linked account.
pub const ACCOUNT_EVENTS: [&str; 4] = ["created", "updated", "deleted", "error"];
/// The hub's own events about a held call: asked for, then approved, rejected or expired.
pub const APPROVAL_EVENTS: [&str; 2] = ["requested", "decided"];

/// Why an endpoint was not saved. `Invalid` names the field at fault.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the operating system's random number generator failed")]
    Entropy,
}

/// An endpoint as asked for (`POST /webhooks`, `webhooks create`).
#[derive(Debug, Clone)]
pub struct EndpointRequest {
    pub url: String,
    /// Event types and wildcards; every event (`*`) when `None`.
    pub events: Option<Vec<String>>,
    pub account_ids: Option<Vec<String>>,
    pub description: Option<String>,
}

/// A change asked for (`PATCH /webhooks/{id}`); see [`EndpointPatch`].
#[derive(Debug, Clone, Default)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub account_ids: Option<Option<Vec<String>>>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
}

/// Every event type an endpoint can name: `front.<type>` for each of Front's (declared in the
/// connector), and the hub's `account.*` and `approval.*` events.
pub fn event_types() -> Vec<String> {
    let front = Catalog::builtin()
        .connector("front")
        .and_then(|front| front.events.as_ref())
        .map(|events| events.types())
        .unwrap_or_default();
    front
        .iter()
        .map(|t| format!("{FRONT_EVENT_PREFIX}{t}"))
        .chain(
            ACCOUNT_EVENTS
                .iter()
                .map(|t| format!("{ACCOUNT_EVENT_PREFIX}{t}")),
        )
        .chain(
            APPROVAL_EVENTS
                .iter()
                .map(|t| format!("{APPROVAL_EVENT_PREFIX}{t}")),
        )
        .collect()
}

/// Checks `events`: each an event type, `front.*`, `account.*`, `approval.*` or `*`; repeats
/// dropped.
fn check_event_types(given: &[String]) -> Result<Vec<String>, EndpointError> {
    if given.is_empty() {
        return Err(EndpointError::Invalid(
            "`events` must name at least one event type (`*` for every event)".to_owned(),
        ));
    }
    if given.len() > MAX_EVENT_TYPES {
        return Err(EndpointError::Invalid(format!(
            "`events` may list at most {MAX_EVENT_TYPES} event types"
        )));
    }
    let known = event_types();
    let wildcards = [
        "*".to_owned(),
        format!("{FRONT_EVENT_PREFIX}*"),
        format!("{ACCOUNT_EVENT_PREFIX}*"),
        format!("{APPROVAL_EVENT_PREFIX}*"),
    ];
    let mut checked: Vec<String> = Vec::new();
    for (index, pattern) in given.iter().enumerate() {
        if !known.contains(pattern) && !wildcards.contains(pattern) {
            // Suggestions only for short ASCII text: distances over huge input cost time.
            let nearest = (pattern.is_ascii() && pattern.len() <= 64)
                .then(|| {
                    known
                        .iter()
                        .chain(&wildcards)
                        .map(|t| (strsim::levenshtein(t, pattern), t))
                        .min()
                })
                .flatten()
                .filter(|(distance, _)| *distance <= 3)
                .map_or_else(
                    || {
                        "; the types are front.<Front event type> (front.tag, front.comment, …), account.created, account.updated, account.deleted, account.error, approval.requested, approval.decided, and the wildcards front.*, account.*, approval.* and *".to_owned()
                    },
                    |(_, t)| format!("; did you mean `{t}`?"),
                );
            return Err(EndpointError::Invalid(format!(
                "`events[{index}]` is not an event type (`{}`){nearest}",
                echo(pattern)
            )));
        }
        if !checked.contains(pattern) {
            checked.push(pattern.clone());
        }
    }
    Ok(checked)
}

/// Checks the URL's form and, unless private addresses are allowed, where it resolves.
async fn check_url(url: &str, policy: AddressPolicy) -> Result<String, EndpointError> {
    security::check_resolved(url.trim(), policy)
        .await
        .map(|url| url.to_string())
        .map_err(|refused| EndpointError::Invalid(format!("`url` {refused}")))
}

/// Checks `account_ids`: accounts of this project, at most [`MAX_ACCOUNT_IDS`].
async fn check_account_ids(
    store: &Store,
    project_id: &str,
    ids: &[String],
) -> Result<Vec<String>, EndpointError> {
    if ids.is_empty() {
        return Err(EndpointError::Invalid(
            "`account_ids` must name at least one account (leave it out for every account)"
                .to_owned(),
        ));
    }
    if ids.len() > MAX_ACCOUNT_IDS {
        return Err(EndpointError::Invalid(format!(
            "`account_ids` may list at most {MAX_ACCOUNT_IDS} accounts"
        )));
    }
    let mut checked: Vec<String> = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        match store.account(project_id, id).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(EndpointError::Invalid(format!(
                    "`account_ids[{index}]`: no account `{}` in this project",
                    echo(id)
                )));
            }
            Err(other) => return Err(other.into()),
        }
        if !checked.contains(id) {
            checked.push(id.clone());
        }
    }
    Ok(checked)
}

fn check_description(description: Option<String>) -> Result<Option<String>, EndpointError> {
    match description {
        Some(text) if text.chars().count() > MAX_DESCRIPTION_CHARS => Err(EndpointError::Invalid(
            format!("`description` must be at most {MAX_DESCRIPTION_CHARS} characters"),
        )),
        other => Ok(other),
    }
}

/// A fresh signing secret (`whsec_…`).
pub fn new_secret() -> Result<SecretString, EndpointError> {
    security::new_secret().map_err(|_| EndpointError::Entropy)
}

/// Checks and creates an endpoint; returns it with its signing secret, to be shown once.
pub async fn create_endpoint(
    store: &Store,
    policy: AddressPolicy,
    project_id: &str,
    request: EndpointRequest,
) -> Result<(Endpoint, SecretString), EndpointError> {
    let new = NewEndpoint {
        url: check_url(&request.url, policy).await?,
        event_types: check_event_types(&request.events.unwrap_or_else(|| vec!["*".into()]))?,
        account_ids: match request.account_ids {
            Some(ids) => Some(check_account_ids(store, project_id, &ids).await?),
            None => None,
        },
        description: check_description(request.description)?,
    };
    let secret = new_secret()?;
    let endpoint = store.create_endpoint(project_id, &new, &secret).await?;
    tracing::info!(project_id, endpoint_id = %endpoint.id, "webhook endpoint created");
    Ok((endpoint, secret))
}

/// Checks and applies a change to endpoint `id` (which must exist in the project).
pub async fn update_endpoint(
    store: &Store,
    policy: AddressPolicy,
    project_id: &str,
    id: &str,
    change: EndpointChange,
) -> Result<Endpoint, EndpointError> {
    store.endpoint(project_id, id).await?;
    let patch = EndpointPatch {
        url: match change.url {
            Some(url) => Some(check_url(&url, policy).await?),
            None => None,
        },
        event_types: change
            .events
            .map(|events| check_event_types(&events))
            .transpose()?,
        account_ids: match change.account_ids {
            Some(Some(ids)) => Some(Some(check_account_ids(store, project_id, &ids).await?)),
            other => other,
        },
        description: change.description.map(check_description).transpose()?,
        enabled: change.enabled,
    };
    Ok(store.update_endpoint(project_id, id, &patch).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_fronts_and_the_hubs() {
        let types = event_types();
        assert_eq!(types.len(), 37 + 4 + 2);
        assert!(types.contains(&"front.tag".to_owned()));
        assert!(types.contains(&"account.error".to_owned()));
        assert!(types.contains(&"approval.decided".to_owned()));
    }

    #[test]
    fn unknown_event_types_name_their_index_and_a_neighbour() {
        let given = ["front.tag".to_owned(), "front.tga".to_owned()];
        let EndpointError::Invalid(message) = check_event_types(&given).unwrap_err() else {
            panic!("not a field error");
        };
        assert!(
            message.starts_with("`events[1]` is not an event type"),
            "{message}"
        );
        assert!(message.contains("did you mean `front.tag`?"), "{message}");
        let many = vec!["*".to_owned(); MAX_EVENT_TYPES + 1];
        assert!(check_event_types(&many).is_err());
        assert_eq!(
            check_event_types(&["*".to_owned(), "*".to_owned()]).unwrap(),
            ["*"]
        );
    }
}
