//! What the company has besides its conversations: teams, teammate groups, shifts, time off,
//! rules, views, signatures, message templates in folders, a knowledge base, links, ticket
//! statuses, custom fields and a shared attachment. Each kind's first object takes the
//! connector's example id, and the examples are linked as the actions' examples expect (the
//! example template is in the example folder, the example article in the example category…).
//!
//! Templates and articles answer the questions customers ask most (refunds, password resets,
//! late deliveries), so that an agent can find the template and the article for a request.

use serde_json::{Map, Value, json};

use super::generate::{DATA_ENDS_AT, people};
use super::*;

/// The connector's example id of a resource.
pub fn example(resource: &str) -> Option<&'static str> {
    actionhub_catalog::Catalog::builtin()
        .connector("front")?
        .resources
        .get(resource)
        .map(|r| r.example.as_str())
}

/// A value the example input of `action` holds at `pointer` (e.g. `/path/report_uid`): for the
/// objects an example names that are not its resource's example (a finished report, a
/// conversation already in the trash).
pub fn example_input(action: &str, pointer: &str) -> Option<&'static str> {
    actionhub_catalog::Catalog::builtin()
        .action(action)
        .ok()?
        .example
        .pointer(pointer)?
        .as_str()
}

/// The example id of `resource` when no object has it yet, else a fresh id.
fn id_for(world: &mut World, resource: &'static str) -> String {
    match example(resource) {
        Some(id) if !world.ids.used.contains(id) => id.to_owned(),
        _ => world.new_stored_id(resource),
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Stores an object of `resource` (the example id first) and relates it to `parents`.
fn add(world: &mut World, resource: &'static str, parents: &[&str], given: Value) -> String {
    let id = id_for(world, resource);
    let id = world.put_object(resource, id, DATA_ENDS_AT - 86_400.0, object(given));
    for parent in parents {
        world.store.relate(parent, &id);
    }
    id
}

/// The phone handle of the example contact (in a range no generated contact uses).
pub const EXAMPLE_CONTACT_PHONE: &str = "+442079460100";

/// Templates: (name, subject, body).
const TEMPLATES: &[(&str, &str, &str)] = &[
    (
        "Refund approved",
        "Your refund is on its way",
        "<p>Hi {{recipient.first_name}},</p><p>We have approved your refund. The money goes back \
         to the card you paid with and shows on your statement within 5 to 10 business days. \
         You don't need to send the item back.</p><p>Sorry for the trouble,</p>",
    ),
    (
        "Password reset",
        "Resetting your password",
        "<p>Hi {{recipient.first_name}},</p><p>Use the \"Forgot password?\" link on the sign-in \
         page and we will email you a reset link that works for one hour. If the email does not \
         arrive, check your spam folder or reply here and we will reset it for you.</p>",
    ),
    (
        "Shipping delay",
        "An update on your delivery",
        "<p>Hi {{recipient.first_name}},</p><p>Your order left our warehouse but the carrier is \
         running 2 to 3 days behind. Your tracking link updates as soon as the parcel moves. If \
         it has not arrived in 7 days, we will send a replacement at no cost.</p>",
    ),
    (
        "Order status",
        "Where is my order?",
        "<p>Hi {{recipient.first_name}},</p><p>You can follow your order from the link in your \
         shipping confirmation email. Orders ship within 2 business days.</p>",
    ),
    (
        "Cancel subscription",
        "Your subscription",
        "<p>Hi {{recipient.first_name}},</p><p>You can cancel at any time from Settings > \
         Billing. You keep access until the end of the period you paid for.</p>",
    ),
];

/// Articles: (category index, name, keywords, content).
const ARTICLES: &[(usize, &str, &[&str], &str)] = &[
    (
        0,
        "How to request a refund",
        &["refund", "money back", "return"],
        "<p>You can ask for a refund within 30 days of delivery. Write to support with your \
         order number; once approved, the refund reaches your card in 5 to 10 business days.</p>",
    ),
    (
        0,
        "Returning an item",
        &["return", "exchange"],
        "<p>Print the prepaid label from your order page, pack the item and drop it at any \
         carrier point. We email you when it arrives.</p>",
    ),
    (
        1,
        "Resetting your password",
        &["password", "login", "sign in", "reset"],
        "<p>Click \"Forgot password?\" on the sign-in page and follow the link we email you. The \
         link expires after one hour. Still locked out? Contact support.</p>",
    ),
    (
        1,
        "Turning on two-factor authentication",
        &["2fa", "security", "login"],
        "<p>Go to Settings > Security and choose an authenticator app.</p>",
    ),
    (
        2,
        "What to do when a delivery is late",
        &["shipping", "delay", "late", "tracking"],
        "<p>Carriers sometimes run a few days behind. Check your tracking link first; if your \
         parcel has not moved for 7 days, contact support and we will send a replacement.</p>",
    ),
];

const CATEGORIES: &[(&str, &str)] = &[
    ("Orders and refunds", "Refunds, returns and exchanges"),
    ("Account and security", "Signing in, passwords and security"),
    ("Shipping", "Delivery times, tracking and delays"),
];

/// Adds everything this module describes, after the generated people and conversations.
pub fn add_library(world: &mut World, rng: &mut Rng) {
    let people = people(world);
    let inboxes: Vec<String> = world.inboxes.keys().cloned().collect();
    let tags: Vec<String> = world.tags.keys().cloned().collect();
    let teammate = people.first().cloned().unwrap_or_default();
    let some_people = |count: usize| people.iter().take(count).cloned().collect::<Vec<_>>();

    // Teams: the example team holds the example teammate, Support and Billing.
    let support_team = add(world, "team", &[], json!({"name": "Customer Support"}));
    let sales_team = add(world, "team", &[], json!({"name": "Sales"}));
    for (index, person) in people.iter().enumerate() {
        let team = if index % 3 == 2 {
            &sales_team
        } else {
            &support_team
        };
        world.store.relate(team, person);
    }
    for (index, inbox) in inboxes.iter().enumerate() {
        let team = if index == 1 {
            &sales_team
        } else {
            &support_team
        };
        world.store.relate(team, inbox);
        for person in people.iter().skip(index % 2).step_by(2) {
            world.store.relate(inbox, person);
        }
    }
    for tag in tags.iter().take(3) {
        world.store.relate("company", tag);
    }
    if let Some(tag) = tags.get(3) {
        world.store.relate(&support_team, tag);
    }

    let group = add(
        world,
        "teammate_group",
        &[],
        json!({"name": "Tier 2 agents", "description": "Teammates who handle escalations"}),
    );
    for person in some_people(3) {
        world.store.relate(&group, &person);
    }
    world.store.relate(&group, &support_team);
    if let Some(inbox) = inboxes.first() {
        world.store.relate(&group, inbox);
    }

    let times = json!({
        "mon": {"start": "08:00", "end": "16:00"}, "tue": {"start": "08:00", "end": "16:00"},
        "wed": {"start": "08:00", "end": "16:00"}, "thu": {"start": "08:00", "end": "16:00"},
        "fri": {"start": "08:00", "end": "16:00"}
    });
    let shift = add(
        world,
        "shift",
        &[&support_team],
        json!({"name": "EMEA weekdays", "color": "blue", "timezone": "Europe/Paris", "times": times}),
    );
    for person in some_people(4) {
        world.store.relate(&shift, &person);
    }
    add(
        world,
        "time_off",
        &[&teammate, &support_team],
        json!({
            "name": "Summer holiday",
            "start_at": DATA_ENDS_AT + 30.0 * 86_400.0,
            "end_at": DATA_ENDS_AT + 44.0 * 86_400.0,
            "auto_responder": {"is_enabled": true, "channel_ids": [], "is_contacts_only": true,
                "body": "I am away until the 15th; the team will answer you."}
        }),
    );

    add(
        world,
        "rule",
        &["company", &support_team],
        json!({"name": "Route refund requests to Billing",
               "actions": ["Move to inbox Billing", "Add tag Refund request"], "is_private": false}),
    );
    add(
        world,
        "rule",
        &["company"],
        json!({"name": "Auto-reply outside business hours",
               "actions": ["Send auto-reply"], "is_private": false}),
    );
    add(
        world,
        "rule",
        &[&teammate],
        json!({"name": "Star messages from VIP accounts", "actions": ["Star"], "is_private": true}),
    );

    add(
        world,
        "view",
        &[&support_team],
        json!({"name": "Urgent refunds", "highlight": "red",
               "inbox_ids": inboxes.iter().take(1).collect::<Vec<_>>(),
               "tag_ids": tags.iter().take(1).collect::<Vec<_>>()}),
    );

    let company = world.company.name.clone();
    add(
        world,
        "signature",
        &[&teammate],
        json!({"name": "Personal", "body": format!("<p>Best,<br>{company} Support</p>"),
               "sender_info": format!("{company} Support"), "is_default": true, "channel_ids": []}),
    );
    add(
        world,
        "signature",
        &[&support_team],
        json!({"name": "Support team", "body": format!("<p>The {company} Support team</p>"),
               "sender_info": format!("{company} Support"), "channel_ids": []}),
    );

    // Message templates: the example folder holds the example template (the refund answer).
    let folder = add(
        world,
        "message_template_folder",
        &[],
        json!({"name": "Customer support"}),
    );
    add(
        world,
        "message_template_folder",
        &[&support_team],
        json!({"name": "Team macros"}),
    );
    add(
        world,
        "message_template_folder",
        &[&teammate],
        json!({"name": "My snippets"}),
    );
    let mut template_ids = Vec::new();
    for (index, (name, subject, body)) in TEMPLATES.iter().enumerate() {
        let owner = if index < 3 { &support_team } else { &teammate };
        let id = add(
            world,
            "message_template",
            &[&folder, owner],
            json!({"name": name, "subject": subject, "body": body,
                   "is_available_for_all_inboxes": true, "inbox_ids": null}),
        );
        template_ids.push(id);
    }

    // The knowledge base, its categories and articles.
    let base = add(
        world,
        "knowledge_base",
        &[],
        json!({"name": "Help Center", "status": "published", "type": "external", "locale": "en"}),
    );
    let mut categories = Vec::new();
    for (name, description) in CATEGORIES {
        let id = add(
            world,
            "knowledge_base_category",
            &[&base],
            json!({"name": name, "description": description, "is_hidden": false, "locale": "en"}),
        );
        categories.push(id);
    }
    let mut article_ids = Vec::new();
    for (category, name, keywords, content) in ARTICLES {
        let category = categories.get(*category).cloned().unwrap_or_default();
        let slug = name.to_lowercase().replace(' ', "-");
        let id = add(
            world,
            "knowledge_base_article",
            &[&base, &category],
            json!({"name": name, "slug": slug, "status": "published", "keywords": keywords,
                   "content": content, "locale": "en", "locales": ["en"],
                   "last_edited_at": DATA_ENDS_AT - 86_400.0}),
        );
        article_ids.push(id);
    }

    // A link attached to the example conversation.
    let link = add(
        world,
        "link",
        &[],
        json!({"name": "Order #4821", "type": "web",
               "external_url": "https://shop.example.com/orders/4821", "custom_fields": {}}),
    );
    if let Some(conversation) = example("conversation") {
        world.store.relate(conversation, &link);
    }

    for (name, category, description) in [
        ("Open", "open", "Waiting on us"),
        (
            "Waiting on customer",
            "waiting",
            "Waiting for the customer to answer",
        ),
        ("Resolved", "resolved", "Nothing left to do"),
    ] {
        add(
            world,
            "ticket_status",
            &["company"],
            json!({"name": name, "category": category, "description": description}),
        );
    }

    for (owner, name, kind) in [
        ("contacts", "Plan", "enum"),
        ("contacts", "Lifetime value", "number"),
        ("accounts", "Tier", "enum"),
        ("conversations", "Order number", "string"),
        ("conversations", "Urgent", "boolean"),
        ("inboxes", "Region", "string"),
        ("links", "Order total", "number"),
        ("teammates", "Shift", "string"),
    ] {
        add(
            world,
            "custom_field",
            &[owner],
            json!({"name": name, "type": kind, "description": format!("{name} ({owner})")}),
        );
    }

    add(
        world,
        "analytics_export",
        &[],
        json!({"status": "done", "progress": 100,
               "url": "https://exports.example.com/messages-2025.csv",
               "filename": "messages-2025.csv", "size": 48_213,
               "created_at": DATA_ENDS_AT - 86_400.0, "filters": {"tag_ids": []}}),
    );

    // The finished report the example of Get Analytics Report reads.
    if let Some(uid) = example_input("front_get_analytics_report", "/path/report_uid") {
        world.put_object(
            "analytics_report",
            uid.to_owned(),
            DATA_ENDS_AT - 86_400.0,
            object(json!({"status": "done", "progress": 100,
                          "metrics": [{"id": "num_messages_received", "type": "number", "value": 412}]})),
        );
    }

    add_shared_attachment(world, &template_ids, &article_ids);
    // A handle the example contact always has, whatever the seed (examples can remove it).
    if let Some(contact) = example("contact").and_then(|id| world.contacts.get_mut(id)) {
        let handle = Handle {
            handle: EXAMPLE_CONTACT_PHONE.to_owned(),
            source: "phone".to_owned(),
        };
        contact.handles.push(handle);
        let id = contact.id.clone();
        world
            .contact_by_handle
            .insert(handle_key("phone", EXAMPLE_CONTACT_PHONE), id);
    }
    if let Some(contact) = example("contact") {
        let at = DATA_ENDS_AT - 2.0 * 86_400.0;
        let body = (*rng.pick(&[
            "Prefers to be contacted by email.",
            "Key contact for renewals.",
        ]))
        .to_owned();
        world
            .notes
            .entry(contact.to_owned())
            .or_default()
            .push(Note {
                author_id: teammate.clone(),
                body,
                created_at: at,
            });
    }
}

/// The refund policy PDF, attached to the example message, comment, template and article.
fn add_shared_attachment(world: &mut World, templates: &[String], articles: &[String]) {
    let id = match example("attachment") {
        Some(id) if world.ids.claim(id) => id.to_owned(),
        _ => world.ids.mint_prefixed("fil_", 6),
    };
    let owners: Vec<String> = [example("message"), example("comment")]
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .chain(templates.first().cloned())
        .chain(articles.first().cloned())
        .collect();
    world.attachments.insert(
        id.clone(),
        Attachment {
            id,
            owners,
            filename: "refund-policy.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.4\n% Refund policy: refunds within 30 days of delivery.\n%%EOF\n"
                .to_vec(),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_id_exists_and_is_linked_as_the_examples_expect() {
        let world = generate::generate(1);
        let front = actionhub_catalog::Catalog::builtin()
            .connector("front")
            .expect("the Front connector");
        for (resource, definition) in &front.resources {
            let kind = crate::kinds::kind(resource).expect("a known kind");
            let id = &definition.example;
            let exists = match kind.resource {
                "teammate" => world.teammates.contains_key(id),
                "inbox" => world.inboxes.contains_key(id),
                "channel" => world.channels.contains_key(id),
                "tag" => world.tags.contains_key(id),
                "contact" => world.contacts.contains_key(id),
                "contact_list" => world.contact_lists.contains_key(id),
                "account" => world.accounts.contains_key(id),
                "conversation" => world.conversations.contains_key(id),
                "message" => world.messages.contains_key(id),
                "comment" => world.comments.contains_key(id),
                "event" => world.events.contains_key(id),
                "attachment" => world.attachments.contains_key(id),
                other => world.store.get(id, other).is_some(),
            };
            assert!(exists, "{resource} {id} is missing");
        }
        let conversation = &world.conversations["cnv_yo1kg5q"];
        assert!(conversation.message_ids.iter().any(|m| m == "msg_1q15qmtq"));
        assert!(conversation.comment_ids.iter().any(|c| c == "com_1r5v8"));
        assert!(world.messages["msg_1q15qmtq"].draft_mode.is_some());
        let owners = &world.attachments["fil_3q8rx1"].owners;
        for owner in ["msg_1q15qmtq", "com_1r5v8", "rsp_2hd4", "kba_4f2n"] {
            assert!(owners.iter().any(|o| o == owner), "{owner}");
        }
        assert!(
            world
                .store
                .children("rsf_1xq8")
                .iter()
                .any(|c| c == "rsp_2hd4")
        );
        assert!(
            world
                .store
                .children("kbc_2b7d")
                .iter()
                .any(|c| c == "kba_4f2n")
        );
        assert!(
            world
                .store
                .children("knb_1k4p")
                .iter()
                .any(|c| c == "kbc_2b7d")
        );
        assert!(
            world
                .store
                .children("tim_3kq")
                .iter()
                .any(|c| c == "tea_6r55a")
        );
        assert_eq!(world.teammates["tea_6r55a"].kind, "user");
        assert_eq!(
            world
                .contact(&format!("alt:phone:{EXAMPLE_CONTACT_PHONE}"))
                .map(|c| c.id.as_str()),
            Some("crd_3cgz4ge")
        );
        let mentioned = format!("@{}", world.teammates["tea_6r55a"].username);
        assert!(world.comments["com_1r5v8"].body.starts_with(&mentioned));
    }
}
