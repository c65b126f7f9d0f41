//! The contract test: every catalogued operation is called with its documented example (and
//! the 52 core ones and `GET /me` also on a walk through generated data), and each answer's
//! status and body are checked against the response schema that Front's OpenAPI spec gives for
//! that operation (read as `actionhub_testkit::front_spec` says).
//!
//! The spec is OpenAPI 3.0, whose schemas are close to, but not, JSON Schema:
//! `actionhub_testkit::front_spec` converts them (with two narrow, explained allowances for
//! quirks of the spec) and validates with the `jsonschema` crate.

mod common;

use std::collections::{BTreeSet, HashMap};

use actionhub_catalog::Catalog;
use actionhub_testkit::front_spec::{SchemaBook, load_spec};
use common::{Answer, GENERATED_DATA_ENDS_AT, Sim, encode, query_string, start, start_unlimited};
use frontsim::SimConfig;
use reqwest::Method;
use serde_json::{Value, json};

/// Checks each answer against the spec and remembers which operations were exercised.
struct Contract {
    spec: Value,
    book: SchemaBook,
    validators: HashMap<String, jsonschema::Validator>,
    exercised: BTreeSet<String>,
}

impl Contract {
    fn new() -> Contract {
        let spec = load_spec();
        let book = SchemaBook::new(&spec);
        Contract {
            spec,
            book,
            validators: HashMap::new(),
            exercised: BTreeSet::new(),
        }
    }

    /// Checks `answer` as the answer of `action` (`"me"` for `GET /me`).
    fn check(&mut self, action: &str, answer: &Answer) {
        if let Err(problem) = self.verdict(action, answer) {
            panic!("{problem}");
        }
    }

    /// Whether `answer` is what the spec documents for `action`; why not, otherwise.
    fn verdict(&mut self, action: &str, answer: &Answer) -> Result<(), String> {
        let (method, template, returns_file) = if action == "me" {
            ("get".to_owned(), "/me".to_owned(), false)
        } else {
            let catalogued = Catalog::builtin()
                .action(action)
                .map_err(|e| e.to_string())?;
            (
                catalogued.method.as_str().to_lowercase(),
                catalogued.path.clone(),
                !catalogued.returns.is_json(),
            )
        };
        let operation = &self.spec["paths"][&template][&method];
        if !operation.is_object() {
            return Err(format!("{method} {template} is not in the spec"));
        }
        let responses = operation["responses"].as_object().ok_or("no responses")?;
        let success: Vec<&String> = responses.keys().filter(|c| c.starts_with('2')).collect();
        if success.len() != 1 {
            return Err(format!("{action}: expected one documented success code"));
        }
        let code = success[0];
        if answer.status.as_str() != code {
            return Err(format!(
                "{action} ({method} {template}) answered {} instead of {code}: {}",
                answer.status,
                if answer.body.is_null() {
                    String::from_utf8_lossy(&answer.raw).into_owned()
                } else {
                    answer.body.to_string()
                }
            ));
        }
        if returns_file {
            let disposition = answer.header("content-disposition").unwrap_or_default();
            if answer.raw.is_empty()
                || answer.header("content-type").is_none()
                || !disposition.starts_with("attachment; filename=\"")
            {
                return Err(format!(
                    "{action}: a download needs bytes, a content-type and an attachment \
                     content-disposition, got {:?} ({} bytes)",
                    answer.headers,
                    answer.raw.len()
                ));
            }
            self.exercised.insert(action.to_owned());
            return Ok(());
        }
        let mut response = &responses[code];
        if let Some(reference) = response["$ref"].as_str() {
            let name = reference.trim_start_matches("#/components/responses/");
            response = &self.spec["components"]["responses"][name];
        }
        match response["content"]["application/json"].get("schema") {
            Some(schema) => {
                let key = format!("{method} {template} {code}");
                let validator = self
                    .validators
                    .entry(key)
                    .or_insert_with(|| self.book.validator(schema));
                let problems: Vec<String> = validator
                    .iter_errors(&answer.body)
                    .take(10)
                    .map(|e| format!("at {}: {e}", e.instance_path()))
                    .collect();
                if !problems.is_empty() {
                    return Err(format!(
                        "{action}: the body does not match the spec:\n  {}\nbody: {}",
                        problems.join("\n  "),
                        answer.body
                    ));
                }
            }
            None => {
                if !answer.raw.is_empty() {
                    return Err(format!(
                        "{action}: {code} must have no body, got {}",
                        String::from_utf8_lossy(&answer.raw)
                    ));
                }
            }
        }
        self.exercised.insert(action.to_owned());
        Ok(())
    }
}

/// Calls an operation and checks the answer.
async fn exercise(
    contract: &mut Contract,
    sim: &Sim,
    action: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let answer = sim.call(method, path, body).await;
    contract.check(action, &answer);
    answer
}

#[tokio::test]
async fn every_operation_answers_as_the_spec_says() {
    let mut contract = Contract::new();
    let sim = start_unlimited().await;
    let c = &mut contract;
    let s = &sim;
    use Method as M;

    exercise(c, s, "me", M::GET, "/me", None).await;

    let teammates = exercise(c, s, "front_list_teammates", M::GET, "/teammates", None).await;
    let teammate_ids = teammates.ids();
    let (t1, t2) = (&teammate_ids[0], &teammate_ids[1]);
    exercise(
        c,
        s,
        "front_get_teammate",
        M::GET,
        &format!("/teammates/{t1}"),
        None,
    )
    .await;
    exercise(
        c,
        s,
        "front_update_teammate",
        M::PATCH,
        &format!("/teammates/{t1}"),
        Some(json!({"is_available": false, "first_name": "Sam"})),
    )
    .await;

    let inboxes = exercise(c, s, "front_list_inboxes", M::GET, "/inboxes", None).await;
    let inbox = &inboxes.ids()[0];
    exercise(
        c,
        s,
        "front_get_inbox",
        M::GET,
        &format!("/inboxes/{inbox}"),
        None,
    )
    .await;
    exercise(
        c,
        s,
        "front_list_inbox_channels",
        M::GET,
        &format!("/inboxes/{inbox}/channels"),
        None,
    )
    .await;
    exercise(
        c,
        s,
        "front_list_inbox_conversations",
        M::GET,
        &format!("/inboxes/{inbox}/conversations?limit=5"),
        None,
    )
    .await;
    exercise(
        c,
        s,
        "front_create_inbox",
        M::POST,
        "/inboxes",
        Some(json!({"name": "Escalations", "teammate_ids": [t1], "is_public": true})),
    )
    .await;

    let channels = exercise(c, s, "front_list_channels", M::GET, "/channels", None).await;
    let email_channel = channels.body["_results"]
        .as_array()
        .and_then(|all| all.iter().find(|ch| ch["type"] == "gmail"))
        .and_then(|ch| ch["id"].as_str())
        .expect("an email channel")
        .to_owned();
    exercise(
        c,
        s,
        "front_get_channel",
        M::GET,
        &format!("/channels/{email_channel}"),
        None,
    )
    .await;
    exercise(
        c,
        s,
        "front_update_channel",
        M::PATCH,
        &format!("/channels/{email_channel}"),
        Some(json!({"name": "Support email", "settings": {"undo_send_time": 10}})),
    )
    .await;

    let tags = exercise(c, s, "front_list_tags", M::GET, "/tags?limit=100", None).await;
    let parent = tags.body["_results"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|t| t["_links"]["related"]["children"].is_string())
        })
        .and_then(|t| t["id"].as_str())
        .expect("a tag with children")
        .to_owned();
    exercise(
        c,
        s,
        "front_get_tag",
        M::GET,
        &format!("/tags/{parent}"),
        None,
    )
    .await;
    let created_tag = exercise(
        c,
        s,
        "front_create_tag",
        M::POST,
        "/tags",
        Some(json!({"name": "Contract test", "highlight": "blue"})),
    )
    .await;
    let new_tag = created_tag.body["id"]
        .as_str()
        .expect("the new tag's id")
        .to_owned();
    exercise(
        c,
        s,
        "front_update_tag",
        M::PATCH,
        &format!("/tags/{new_tag}"),
        Some(json!({"description": "Made by the contract test", "parent_tag_id": null})),
    )
    .await;
    exercise(
        c,
        s,
        "front_create_child_tag",
        M::POST,
        &format!("/tags/{parent}/children"),
        Some(json!({"name": "Contract child"})),
    )
    .await;
    exercise(
        c,
        s,
        "front_list_child_tags",
        M::GET,
        &format!("/tags/{parent}/children"),
        None,
    )
    .await;
    exercise(
        c,
        s,
        "front_list_tagged_conversations",
        M::GET,
        &format!("/tags/{parent}/conversations?limit=5"),
        None,
    )
    .await;

    let conversations = exercise(
        c,
        s,
        "front_list_conversations",
        M::GET,
        "/conversations?limit=10",
        None,
    )
    .await;
    let conversation = conversations.ids()[0].clone();
    let conv = format!("/conversations/{conversation}");
    exercise(c, s, "front_get_conversation", M::GET, &conv, None).await;
    exercise(
        c,
        s,
        "front_update_conversation",
        M::PATCH,
        &conv,
        Some(
            json!({"assignee_id": t1, "tag_ids": [parent], "custom_fields": {"Priority": "High"}}),
        ),
    )
    .await;
    exercise(
        c,
        s,
        "front_update_conversation_assignee",
        M::PUT,
        &format!("{conv}/assignee"),
        Some(json!({"assignee_id": t2})),
    )
    .await;
    let messages = exercise(
        c,
        s,
        "front_list_conversation_messages",
        M::GET,
        &format!("{conv}/messages"),
        None,
    )
    .await;
    let message = messages.ids()[0].clone();
    exercise(
        c,
        s,
        "front_add_conversation_comment",
        M::POST,
        &format!("{conv}/comments"),
        Some(json!({"body": "Checked by the contract test", "is_pinned": true})),
    )
    .await;
    exercise(
        c,
        s,
        "front_list_conversation_comments",
        M::GET,
        &format!("{conv}/comments"),
        None,
    )
    .await;
    exercise(
        c,
        s,
        "front_add_conversation_tag",
        M::POST,
        &format!("{conv}/tags"),
        Some(json!({"tag_ids": [new_tag]})),
    )
    .await;
    exercise(
        c,
        s,
        "front_remove_conversation_tag",
        M::DELETE,
        &format!("{conv}/tags"),
        Some(json!({"tag_ids": [new_tag]})),
    )
    .await;
    exercise(
        c,
        s,
        "front_add_conversation_followers",
        M::POST,
        &format!("{conv}/followers"),
        Some(json!({"teammate_ids": [t1]})),
    )
    .await;
    exercise(
        c,
        s,
        "front_list_conversation_followers",
        M::GET,
        &format!("{conv}/followers"),
        None,
    )
    .await;
    exercise(
        c,
        s,
        "front_search_conversations",
        M::GET,
        &format!("/conversations/search/{}?limit=20", encode("is:open order")),
        None,
    )
    .await;
    exercise(
        c,
        s,
        "front_get_message",
        M::GET,
        &format!("/messages/{message}"),
        None,
    )
    .await;
    exercise(c, s, "front_send_message", M::POST, &format!("/channels/{email_channel}/messages"), Some(json!({"to": ["new.customer@example.com"], "subject": "Welcome", "body": "<p>Hello!</p>", "author_id": t1, "options": {"tag_ids": [parent], "archive": false}}))).await;
    exercise(
        c,
        s,
        "front_create_draft",
        M::POST,
        &format!("/channels/{email_channel}/drafts"),
        Some(json!({"body": "Draft body", "to": ["draft@example.com"], "mode": "shared"})),
    )
    .await;
    // After the writes above, so that events of every kind they emit are checked too.
    exercise(
        c,
        s,
        "front_list_conversation_events",
        M::GET,
        &format!("{conv}/events"),
        None,
    )
    .await;
    let events = exercise(c, s, "front_list_events", M::GET, "/events", None).await;
    let event = events.ids()[0].clone();
    exercise(
        c,
        s,
        "front_get_event",
        M::GET,
        &format!("/events/{event}"),
        None,
    )
    .await;

    let contacts = exercise(
        c,
        s,
        "front_list_contacts",
        M::GET,
        "/contacts?limit=5&sort_by=updated_at",
        None,
    )
    .await;
    let contact = contacts.ids()[0].clone();
    exercise(
        c,
        s,
        "front_get_contact",
        M::GET,
        &format!("/contacts/{contact}"),
        None,
    )
    .await;
    let new_contact = exercise(c, s, "front_create_contact", M::POST, "/contacts", Some(json!({"name": "Contract Tester", "handles": [{"handle": "contract.tester@example.com", "source": "email"}], "list_names": ["Contract testers"], "custom_fields": {"city": "Lisbon"}}))).await;
    let new_contact = new_contact.body["id"]
        .as_str()
        .expect("the new contact's id")
        .to_owned();
    exercise(
        c,
        s,
        "front_update_contact",
        M::PATCH,
        &format!("/contacts/{new_contact}"),
        Some(json!({"description": "Edited"})),
    )
    .await;
    exercise(
        c,
        s,
        "front_list_contact_conversations",
        M::GET,
        &format!("/contacts/{contact}/conversations"),
        None,
    )
    .await;
    exercise(
        c,
        s,
        "front_add_contact_handle",
        M::POST,
        &format!("/contacts/{new_contact}/handles"),
        Some(json!({"handle": "+14155559999", "source": "phone"})),
    )
    .await;
    exercise(
        c,
        s,
        "front_add_contact_note",
        M::POST,
        &format!("/contacts/{new_contact}/notes"),
        Some(json!({"author_id": t1, "body": "Prefers phone calls"})),
    )
    .await;
    exercise(
        c,
        s,
        "front_delete_contact",
        M::DELETE,
        &format!("/contacts/{new_contact}"),
        None,
    )
    .await;

    let accounts = exercise(
        c,
        s,
        "front_list_accounts",
        M::GET,
        "/accounts?limit=5",
        None,
    )
    .await;
    let account = accounts.ids()[0].clone();
    exercise(
        c,
        s,
        "front_get_account",
        M::GET,
        &format!("/accounts/{account}"),
        None,
    )
    .await;
    exercise(
        c,
        s,
        "front_list_account_contacts",
        M::GET,
        &format!("/accounts/{account}/contacts"),
        None,
    )
    .await;
    let new_account = exercise(c, s, "front_create_account", M::POST, "/accounts", Some(json!({"name": "Contract Co", "domains": ["contract.example.com"], "external_id": "contract-1"}))).await;
    let new_account = new_account.body["id"]
        .as_str()
        .expect("the new account's id")
        .to_owned();
    exercise(
        c,
        s,
        "front_update_account",
        M::PATCH,
        &format!("/accounts/{new_account}"),
        Some(json!({"description": "Edited"})),
    )
    .await;
    exercise(
        c,
        s,
        "front_delete_account",
        M::DELETE,
        &format!("/accounts/{new_account}"),
        None,
    )
    .await;

    exercise(
        c,
        s,
        "front_delete_tag",
        M::DELETE,
        &format!("/tags/{new_tag}"),
        None,
    )
    .await;
    // Front only deletes a conversation that is in the trash.
    let trashed = s
        .call(M::PATCH, &conv, Some(json!({"status": "deleted"})))
        .await;
    assert_eq!(trashed.status, 204, "{}", trashed.body);
    exercise(c, s, "front_delete_conversation", M::DELETE, &conv, None).await;

    let mut expected: BTreeSet<String> = Catalog::builtin()
        .connector("front")
        .expect("the Front connector")
        .actions()
        .iter()
        .filter(|a| a.core)
        .map(|a| a.id.clone())
        .collect();
    expected.insert("me".into());
    assert_eq!(expected.len(), 53);
    let missing: Vec<&String> = expected.difference(&contract.exercised).collect();
    assert!(
        missing.is_empty(),
        "operations never exercised: {missing:?}"
    );
}

/// The event stream beyond its first page: each filter, both orders, pages of every size, the
/// generated history (sources `teammate` and `inboxes`, targets of every kind) and the events
/// of the company's own activity, every page checked against `listOfEvents`.
#[tokio::test]
async fn event_pages_answer_as_the_spec_says_whatever_the_filters() {
    let mut contract = Contract::new();
    let sim = start(SimConfig {
        activity_per_minute: 6_000,
        ..SimConfig::unlimited()
    })
    .await;
    let inbox = sim.first_id("/inboxes").await;
    let generated_end = GENERATED_DATA_ENDS_AT;
    let live = format!(
        "q[after]={generated_end}&q[before]={}",
        sim.wait_for_activity().await
    );
    let every_type = [
        "inbound",
        "out_reply",
        "assign",
        "tag",
        "comment",
        "archive",
        "trash",
    ]
    .map(|kind| format!("q[types][]={kind}"))
    .join("&");
    for first in [
        format!("/events?{live}&sort_order=asc"),
        format!("/events?{live}&limit=4&sort_by=created_at"),
        format!("/events?q[before]={generated_end}&{every_type}&limit=15"),
        format!("/events?q[before]={generated_end}&q[inboxes][]={inbox}&sort_order=desc"),
        format!(
            "/events?q[after]={}&q[before]={generated_end}&sort_order=asc",
            generated_end - 86_400.0
        ),
    ] {
        let mut next = Some(first);
        // Enough pages to meet every kind of event; a whole year of history would be slow.
        for _ in 0..30 {
            let Some(url) = next.take() else { break };
            let page = sim.get(&url).await;
            contract.check("front_list_events", &page);
            next = page.next();
        }
    }
}

/// Calls `action` with its catalogued example.
async fn call_example(sim: &Sim, action: &actionhub_catalog::Action) -> Answer {
    let example = &action.example;
    let mut path = action.path.clone();
    if let Some(params) = example["path"].as_object() {
        for (name, value) in params {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            path = path.replace(&format!("{{{name}}}"), &encode(&value));
        }
    }
    let query = query_string(&example["query"]);
    if !query.is_empty() {
        path = format!("{path}?{query}");
    }
    let method = Method::from_bytes(action.method.as_str().as_bytes()).expect("a method");
    sim.call(method, &path, example.get("body").cloned()).await
}

/// Every catalogued action, called with its example input, answers 2xx as the spec says.
/// Destructive actions each run on a fresh simulator, so that what they delete is there.
#[tokio::test]
async fn every_action_answers_its_example_as_the_spec_says() {
    let mut contract = Contract::new();
    let shared = start_unlimited().await;
    let mut failures = Vec::new();
    let actions = Catalog::builtin()
        .connector("front")
        .expect("the Front connector")
        .actions();
    let destructive_last = actions
        .iter()
        .filter(|a| !a.hints.destructive)
        .chain(actions.iter().filter(|a| a.hints.destructive));
    for action in destructive_last {
        let fresh;
        let sim = if action.hints.destructive {
            fresh = start_unlimited().await;
            &fresh
        } else {
            &shared
        };
        let answer = call_example(sim, action).await;
        if let Err(problem) = contract.verdict(&action.id, &answer) {
            failures.push(problem);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples failed:\n{}",
        failures.len(),
        actions.len(),
        failures.join("\n")
    );
}
