//! Builds the simulated company from a seed: the same seed always gives the same world.
//!
//! Sizes follow the issue: about 10 teammates, 5 inboxes with their channels, 50 tags (some
//! nested), 500 contacts with handles, 50 accounts and 2,000 conversations with messages,
//! comments, followers and the events that produced them. Timestamps fall in the year before
//! [`DATA_ENDS_AT`], so anything written at run time is newer than the generated data.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use serde_json::{Map, json};

use super::words::*;
use super::*;

/// 2026-01-01T00:00:00Z: generated activity ends here.
pub const DATA_ENDS_AT: f64 = 1_767_225_600.0;
const DAY: f64 = 86_400.0;

const TEAMMATES: usize = 10;
const CONTACTS: usize = 500;
const ACCOUNTS: usize = 50;
const CONVERSATIONS: usize = 2_000;

/// An inbox to generate: its name, its share of conversations (percent) and its channels.
struct InboxSeed {
    name: &'static str,
    share: u64,
    channels: &'static [ChannelSeed],
}

/// A channel to generate. In `address`, `{d}` is the company domain and `{s}` its short name.
struct ChannelSeed {
    kind: &'static str,
    name: &'static str,
    address: &'static str,
}

const INBOXES: &[InboxSeed] = &[
    InboxSeed {
        name: "Support",
        share: 45,
        channels: &[
            ChannelSeed {
                kind: "gmail",
                name: "Support email",
                address: "support@{d}",
            },
            ChannelSeed {
                kind: "front_chat",
                name: "Website chat",
                address: "chat.{d}",
            },
        ],
    },
    InboxSeed {
        name: "Sales",
        share: 15,
        channels: &[ChannelSeed {
            kind: "office365",
            name: "Sales email",
            address: "sales@{d}",
        }],
    },
    InboxSeed {
        name: "Billing",
        share: 20,
        channels: &[
            ChannelSeed {
                kind: "smtp",
                name: "Billing email",
                address: "billing@{d}",
            },
            ChannelSeed {
                kind: "twilio",
                name: "Billing SMS",
                address: "+14155550123",
            },
        ],
    },
    InboxSeed {
        name: "Partnerships",
        share: 5,
        channels: &[ChannelSeed {
            kind: "gmail",
            name: "Partners email",
            address: "partners@{d}",
        }],
    },
    InboxSeed {
        name: "Social",
        share: 15,
        channels: &[ChannelSeed {
            kind: "twitter",
            name: "Twitter",
            address: "@{s}",
        }],
    },
];

/// Generates the world for `seed`.
pub fn generate(seed: u64) -> World {
    let mut rng = Rng::derive(seed, "world");
    let mut ids = IdMint::new(Rng::derive(seed, "ids"));
    let company_name = *rng.pick(COMPANY_NAMES);
    let short = slug(
        company_name
            .split_whitespace()
            .next()
            .unwrap_or(company_name),
    );
    let company = Company {
        id: ids.mint(IdKind::Company),
        name: company_name.to_owned(),
        domain: format!("{}.example.com", slug(company_name)),
    };
    let mut world = World {
        api_teammate_id: ids.mint(IdKind::Teammate),
        company,
        teammates: IndexMap::new(),
        inboxes: IndexMap::new(),
        channels: IndexMap::new(),
        tags: IndexMap::new(),
        contact_lists: IndexMap::new(),
        contacts: IndexMap::new(),
        contact_by_handle: HashMap::new(),
        accounts: IndexMap::new(),
        conversations: IndexMap::new(),
        messages: IndexMap::new(),
        message_by_uid: HashMap::new(),
        comments: IndexMap::new(),
        events: IndexMap::new(),
        notes: HashMap::new(),
        attachments: IndexMap::new(),
        seen: HashMap::new(),
        store: Store::default(),
        ids,
    };
    // The first object of each kind takes the connector's example id (the API identity was
    // minted above, so the first person is the example teammate).
    for resource in [
        "teammate",
        "inbox",
        "channel",
        "tag",
        "contact_list",
        "contact_group",
        "contact",
        "account",
        "conversation",
        "event",
    ] {
        if let Some(id) = library::example(resource) {
            world.ids.expect(id);
        }
    }
    add_teammates(&mut world, &mut rng);
    add_inboxes_and_channels(&mut world, &mut rng, &short);
    add_tags(&mut world, &mut rng);
    for name in CONTACT_LIST_NAMES {
        world.contact_list_named(name);
    }
    add_accounts(&mut world, &mut rng);
    add_contacts(&mut world, &mut rng);
    add_conversations(&mut world, &mut rng);
    add_example_comment(&mut world, &mut rng);
    add_example_draft(&mut world);
    library::add_library(&mut world, &mut rng);
    // Lists default to newest first; keeping storage in time order lets their sort run over
    // data that is already (nearly) sorted.
    world
        .conversations
        .sort_by(|_, a, _, b| a.updated_at.total_cmp(&b.updated_at));
    world
        .events
        .sort_by(|_, a, _, b| a.emitted_at.total_cmp(&b.emitted_at));
    world
}

fn add_teammates(world: &mut World, rng: &mut Rng) {
    let api_id = world.api_teammate_id.clone();
    world.teammates.insert(
        api_id.clone(),
        Teammate {
            id: api_id,
            email: format!("api@{}", world.company.domain),
            username: "api".into(),
            first_name: "API".into(),
            last_name: "Token".into(),
            is_admin: false,
            is_available: true,
            is_blocked: false,
            kind: "api",
            custom_fields: Map::new(),
        },
    );
    let mut names = HashSet::new();
    while names.len() < TEAMMATES {
        names.insert((*rng.pick(FIRST_NAMES), *rng.pick(LAST_NAMES)));
    }
    let mut names: Vec<_> = names.into_iter().collect();
    names.sort_unstable();
    let mut usernames = HashSet::new();
    for (index, (first, last)) in names.into_iter().enumerate() {
        let mut username = slug(first).replace('-', "_");
        if !usernames.insert(username.clone()) {
            username = format!("{username}_{}", slug(last).replace('-', "_"));
            usernames.insert(username.clone());
        }
        let id = world.ids.mint(IdKind::Teammate);
        let shift = *rng.pick(&["EMEA", "Americas", "APAC"]);
        world.teammates.insert(
            id.clone(),
            Teammate {
                id,
                email: format!("{}.{}@{}", slug(first), slug(last), world.company.domain),
                username,
                first_name: first.to_owned(),
                last_name: last.to_owned(),
                is_admin: index < 2,
                is_available: rng.chance(0.8),
                is_blocked: false,
                kind: "user",
                custom_fields: Map::from_iter([("Shift".to_owned(), json!(shift))]),
            },
        );
    }
}

fn add_inboxes_and_channels(world: &mut World, rng: &mut Rng, short: &str) {
    for seed in INBOXES {
        let inbox_id = world.ids.mint(IdKind::Inbox);
        world.inboxes.insert(
            inbox_id.clone(),
            Inbox {
                id: inbox_id.clone(),
                name: seed.name.to_owned(),
                is_private: false,
                is_public: true,
                custom_fields: Map::new(),
            },
        );
        for channel in seed.channels {
            let address = channel
                .address
                .replace("{d}", &world.company.domain)
                .replace("{s}", short);
            let id = world.ids.mint(IdKind::Channel);
            let send_as = if address.contains('@') && !address.starts_with('@') {
                format!("{} <{address}>", world.company.name)
            } else {
                address.clone()
            };
            world.channels.insert(
                id.clone(),
                Channel {
                    id,
                    name: channel.name.to_owned(),
                    address,
                    kind: channel.kind,
                    send_as,
                    inbox_id: Some(inbox_id.clone()),
                    undo_send_time: *rng.pick(&[0, 5, 10, 15, 30, 60]),
                    all_teammates_can_reply: true,
                    is_private: false,
                    is_valid: true,
                },
            );
        }
    }
}

fn add_tags(world: &mut World, rng: &mut Rng) {
    for (name, children) in TAG_TREE {
        let parent_id = add_tag(world, rng, name, None);
        for child in children.iter() {
            add_tag(world, rng, child, Some(parent_id.clone()));
        }
    }
}

fn add_tag(world: &mut World, rng: &mut Rng, name: &str, parent_id: Option<String>) -> String {
    let id = world.ids.mint(IdKind::Tag);
    let created_at = past(rng, 400.0, 300.0);
    world.tags.insert(
        id.clone(),
        Tag {
            id: id.clone(),
            name: name.to_owned(),
            description: rng
                .chance(0.5)
                .then(|| format!("Conversations about {}", name.to_lowercase())),
            highlight: rng.chance(0.7).then(|| (*rng.pick(HIGHLIGHTS)).to_owned()),
            parent_id,
            is_private: false,
            is_visible_in_conversation_lists: rng.chance(0.6),
            created_at,
            updated_at: timestamp(created_at + rng.below(60) as f64 * DAY),
        },
    );
    id
}

fn add_accounts(world: &mut World, rng: &mut Rng) {
    let mut names = HashSet::new();
    let mut external_ids = HashSet::new();
    while world.accounts.len() < ACCOUNTS {
        let stem = *rng.pick(ACCOUNT_STEMS);
        let suffix = *rng.pick(ACCOUNT_SUFFIXES);
        if !names.insert((stem, suffix)) {
            continue;
        }
        let mut domains = vec![format!("{}-{}.example.com", slug(stem), slug(suffix))];
        if rng.chance(0.2) {
            domains.push(format!("{}{}.example.org", slug(stem), slug(suffix)));
        }
        let external_id = rng.chance(0.7).then(|| {
            loop {
                let candidate = format!("crm-{}", rng.between(1000, 9999));
                if external_ids.insert(candidate.clone()) {
                    break candidate;
                }
            }
        });
        let created_at = past(rng, 365.0, 0.0);
        let id = world.ids.mint(IdKind::Account);
        world.accounts.insert(
            id.clone(),
            Account {
                id,
                name: format!("{stem} {suffix}"),
                logo_url: rng
                    .chance(0.5)
                    .then(|| format!("https://logos.example.com/{}.png", slug(stem))),
                description: rng
                    .chance(0.6)
                    .then(|| (*rng.pick(ACCOUNT_DESCRIPTIONS)).to_owned()),
                domains,
                external_id,
                custom_fields: Map::from_iter([
                    (
                        "Plan".to_owned(),
                        json!(rng.pick(&["Starter", "Pro", "Enterprise"])),
                    ),
                    ("Seats".to_owned(), json!(rng.between(3, 400))),
                ]),
                created_at,
                updated_at: later(rng, created_at, 30.0),
                contact_ids: Vec::new(),
            },
        );
    }
}

fn add_contacts(world: &mut World, rng: &mut Rng) {
    let account_ids: Vec<String> = world.accounts.keys().cloned().collect();
    let list_ids: Vec<String> = world.contact_lists.keys().cloned().collect();
    while world.contacts.len() < CONTACTS {
        let first = *rng.pick(FIRST_NAMES);
        let last = *rng.pick(LAST_NAMES);
        let account_id = rng.chance(0.6).then(|| rng.pick(&account_ids).clone());
        let domain = match &account_id {
            Some(id) => world.accounts[id].domains[0].clone(),
            None => (*rng.pick(FREE_MAIL_DOMAINS)).to_owned(),
        };
        let id = world.ids.mint(IdKind::Contact);
        let mut handles = Vec::new();
        let local = format!("{}.{}", slug(first), slug(last));
        let mut email = format!("{local}@{domain}");
        let mut n = 2;
        while world
            .contact_by_handle
            .contains_key(&handle_key("email", &email))
        {
            email = format!("{local}{n}@{domain}");
            n += 1;
        }
        handles.push(("email", email));
        if rng.chance(0.35) {
            handles.push(("phone", format!("+1415555{:04}", rng.below(10_000))));
        }
        if rng.chance(0.12) {
            handles.push((
                "twitter",
                format!("@{}{}{}", slug(first), slug(last), rng.below(100)),
            ));
        }
        let handles: Vec<Handle> = handles
            .into_iter()
            .filter(|(source, handle)| {
                world
                    .contact_by_handle
                    .insert(handle_key(source, handle), id.clone())
                    .is_none()
            })
            .map(|(source, handle)| Handle {
                handle,
                source: source.to_owned(),
            })
            .collect();
        let mut custom_fields = Map::new();
        if rng.chance(0.5) {
            custom_fields.insert("Job Title".into(), json!(rng.pick(JOB_TITLES)));
        }
        if rng.chance(0.5) {
            custom_fields.insert("city".into(), json!(rng.pick(CITIES)));
        }
        let created_at = past(rng, 365.0, 0.0);
        let list_count = rng.below(3) as usize;
        let lists = rng
            .distinct_indexes(list_ids.len(), list_count)
            .into_iter()
            .map(|i| list_ids[i].clone())
            .collect();
        if let Some(account_id) = &account_id
            && let Some(account) = world.accounts.get_mut(account_id)
        {
            account.contact_ids.push(id.clone());
        }
        world.contacts.insert(
            id.clone(),
            Contact {
                name: Some(format!("{first} {last}")),
                description: rng.chance(0.3).then(|| (*rng.pick(JOB_TITLES)).to_owned()),
                avatar_url: rng
                    .chance(0.3)
                    .then(|| format!("https://avatars.example.com/{id}.png")),
                links: if rng.chance(0.2) {
                    vec![format!(
                        "https://social.example.com/in/{}-{}",
                        slug(first),
                        slug(last)
                    )]
                } else {
                    Vec::new()
                },
                list_ids: lists,
                handles,
                custom_fields,
                is_private: false,
                created_at,
                updated_at: later(rng, created_at, 60.0),
                id,
            },
        );
    }
}

fn add_conversations(world: &mut World, rng: &mut Rng) {
    let people = people(world);
    let tag_ids: Vec<String> = world.tags.keys().cloned().collect();
    let inbox_ids: Vec<String> = world.inboxes.keys().cloned().collect();
    let contact_ids: Vec<String> = world.contacts.keys().cloned().collect();
    // Front deletes only what is in the trash: the first trashed conversation is the one the
    // example of Delete Conversation names.
    let mut trashed_example =
        library::example_input("front_delete_conversation", "/path/conversation_id");
    for _ in 0..CONVERSATIONS {
        let inbox_index = weighted_inbox(rng);
        let inbox_id = inbox_ids[inbox_index].clone();
        let channel = world
            .channels
            .values()
            .filter(|c| c.inbox_id.as_deref() == Some(inbox_id.as_str()))
            .collect::<Vec<_>>();
        let channel = (*rng.pick(&channel)).clone();
        let source = match channel.message_type() {
            "sms" => "phone",
            "tweet" => "twitter",
            _ => "email",
        };
        // Pick a customer reachable through this channel (every contact has an email, and
        // after enough tries any handle will do, so this always ends).
        let (contact_id, handle) = (0..)
            .find_map(|attempt| {
                let contact = &world.contacts[rng.pick(&contact_ids)];
                let wanted = if attempt < 1_000 { source } else { "email" };
                contact
                    .handles
                    .iter()
                    .find(|h| h.source == wanted || attempt >= 2_000)
                    .map(|h| (contact.id.clone(), h.handle.clone()))
            })
            .unwrap_or_default();
        let contact_name = world.contacts[&contact_id].name.clone();
        let first_name = contact_name
            .as_deref()
            .and_then(|n| n.split_whitespace().next())
            .unwrap_or("there")
            .to_owned();
        let template = *rng.pick(SUBJECTS);
        let subject = fill(template, rng);
        let created_at = past(rng, 365.0, 1.0);
        let assignee_id = rng.chance(0.7).then(|| rng.pick(&people).clone());
        // No generated spam: every generated conversation is in exactly one of the four
        // `q[statuses]` groups, so lists filtered by all four add up to the whole company.
        let state = match rng.below(100) {
            0..58 => ConversationState::Open,
            58..94 => ConversationState::Archived,
            _ => ConversationState::Trashed,
        };
        let id = match trashed_example {
            Some(example) if state == ConversationState::Trashed && world.ids.claim(example) => {
                trashed_example = None;
                example.to_owned()
            }
            _ => world.ids.mint(IdKind::Conversation),
        };
        let customer = Recipient {
            name: contact_name.clone(),
            handle: handle.clone(),
            role: "from",
            contact_id: Some(contact_id.clone()),
        };
        let mut followers: Vec<String> = Vec::new();
        if let Some(assignee) = &assignee_id
            && rng.chance(0.6)
        {
            followers.push(assignee.clone());
        }
        if rng.chance(0.3) {
            let extra = rng.pick(&people).clone();
            if !followers.contains(&extra) {
                followers.push(extra);
            }
        }
        let custom_fields = if rng.chance(0.5) {
            Map::from_iter([(
                "Priority".to_owned(),
                json!(rng.pick(&["Low", "Normal", "High"])),
            )])
        } else {
            Map::new()
        };
        world.conversations.insert(
            id.clone(),
            Conversation {
                id: id.clone(),
                subject: subject.clone(),
                state,
                assignee_id: assignee_id.clone(),
                inbox_id: inbox_id.clone(),
                recipient: Some(customer.clone()),
                tag_ids: Vec::new(),
                follower_ids: followers,
                custom_fields,
                created_at,
                updated_at: created_at,
                message_ids: Vec::new(),
                comment_ids: Vec::new(),
                event_ids: Vec::new(),
            },
        );

        let mut at = created_at;
        let message_count = *rng.pick(&[1, 1, 2, 2, 2, 3, 3, 4, 5]);
        for index in 0..message_count {
            let inbound = index % 2 == 0;
            let author_id = (!inbound).then(|| {
                assignee_id
                    .clone()
                    .unwrap_or_else(|| rng.pick(&people).clone())
            });
            let channel_party = Recipient {
                name: Some(world.inboxes[&inbox_id].name.clone()),
                handle: channel.address.clone(),
                role: if inbound { "to" } else { "from" },
                contact_id: None,
            };
            let customer_party = Recipient {
                role: if inbound { "from" } else { "to" },
                ..customer.clone()
            };
            let signer = match &author_id {
                Some(author) => world.teammates[author].first_name.clone(),
                None => contact_name.clone().unwrap_or_default(),
            };
            let greeting = if inbound {
                "Hello,".to_owned()
            } else {
                format!("Hi {first_name},")
            };
            let lines = if inbound {
                INBOUND_LINES
            } else {
                OUTBOUND_LINES
            };
            let (text, body) = letter_text(rng, lines, &greeting, &signer);
            let message_id = world.ids.mint(IdKind::Message);
            let uid = world.ids.uid();
            let subject = if index == 0 {
                subject.clone()
            } else {
                format!("Re: {subject}")
            };
            world.add_message(Message {
                id: message_id.clone(),
                uid,
                conversation_id: id.clone(),
                kind: channel.message_type(),
                is_inbound: inbound,
                draft_mode: None,
                created_at: at,
                subject,
                author_id: author_id.clone(),
                recipients: vec![
                    if inbound {
                        customer_party.clone()
                    } else {
                        channel_party.clone()
                    },
                    if inbound {
                        channel_party
                    } else {
                        customer_party
                    },
                ],
                body,
                text,
            });
            let (kind, source) = match &author_id {
                None => ("inbound", EventSource::Inbox(inbox_id.clone())),
                Some(author) => ("out_reply", EventSource::Teammate(author.clone())),
            };
            world.emit(kind, &id, source, EventTarget::Message(message_id), at);

            if index == 0 {
                if let Some(assignee) = &assignee_id {
                    at = later(rng, at, 0.02);
                    world.emit(
                        "assign",
                        &id,
                        EventSource::Teammate(rng.pick(&people[..2]).clone()),
                        EventTarget::Teammate(assignee.clone()),
                        at,
                    );
                }
                let tag_count = rng.below(4) as usize;
                for tag_index in rng.distinct_indexes(tag_ids.len(), tag_count) {
                    at = later(rng, at, 0.01);
                    let tag_id = tag_ids[tag_index].clone();
                    if let Some(conversation) = world.conversations.get_mut(&id) {
                        conversation.tag_ids.push(tag_id.clone());
                    }
                    world.emit(
                        "tag",
                        &id,
                        EventSource::Teammate(rng.pick(&people).clone()),
                        EventTarget::Tag(tag_id),
                        at,
                    );
                }
                if rng.chance(0.35) {
                    at = later(rng, at, 0.1);
                    add_comment(world, rng, &id, &people, at);
                }
            }
            at = later(rng, at, 2.0);
        }
        if rng.chance(0.15) {
            add_comment(world, rng, &id, &people, at);
        }
        match state {
            ConversationState::Archived => {
                at = later(rng, at, 1.0);
                let by = assignee_id
                    .clone()
                    .unwrap_or_else(|| rng.pick(&people).clone());
                world.emit(
                    "archive",
                    &id,
                    EventSource::Teammate(by),
                    EventTarget::Nothing,
                    at,
                );
            }
            ConversationState::Trashed => {
                at = later(rng, at, 1.0);
                let by = rng.pick(&people).clone();
                world.emit(
                    "trash",
                    &id,
                    EventSource::Teammate(by),
                    EventTarget::Nothing,
                    at,
                );
            }
            ConversationState::Open | ConversationState::Spam => {}
        }
        if let Some(conversation) = world.conversations.get_mut(&id) {
            conversation.updated_at = conversation.updated_at.max(at);
        }
    }
}

fn add_comment(
    world: &mut World,
    rng: &mut Rng,
    conversation_id: &str,
    people: &[String],
    at: f64,
) {
    let id = world.ids.mint(IdKind::Comment);
    let author_id = rng.pick(people).clone();
    world.comments.insert(
        id.clone(),
        Comment {
            id: id.clone(),
            conversation_id: conversation_id.to_owned(),
            author_id: author_id.clone(),
            body: (*rng.pick(COMMENT_LINES)).to_owned(),
            posted_at: at,
            is_pinned: rng.chance(0.1),
        },
    );
    if let Some(conversation) = world.conversations.get_mut(conversation_id) {
        conversation.comment_ids.push(id.clone());
    }
    world.emit(
        "comment",
        conversation_id,
        EventSource::Teammate(author_id),
        EventTarget::Comment(id),
        at,
    );
}

/// The example comment, on the example conversation (the first one generated).
fn add_example_comment(world: &mut World, rng: &mut Rng) {
    let (Some(comment), Some(conversation)) = (
        library::example("comment"),
        library::example("conversation"),
    ) else {
        return;
    };
    let Some(at) = world.conversations.get(conversation).map(|c| c.updated_at) else {
        return;
    };
    let people = people(world);
    if people.is_empty() {
        return;
    }
    world.ids.expect(comment);
    add_comment(world, rng, conversation, &people, at);
    // It mentions the example teammate, so that its mentions are not empty.
    let username = people
        .first()
        .and_then(|id| world.teammates.get(id))
        .map(|t| t.username.clone());
    if let (Some(username), Some(posted)) = (username, world.comments.get_mut(comment)) {
        posted.body =
            format!("@{username} the customer sent the receipt; can you approve the refund?");
    }
}

/// The example message: a reply draft in the example conversation, so that the examples of
/// the draft operations (edit, delete) have a draft to work on.
fn add_example_draft(world: &mut World) {
    let (Some(message), Some(conversation)) = (
        library::example("message"),
        library::example("conversation"),
    ) else {
        return;
    };
    let Some((at, subject, inbox)) = world
        .conversations
        .get(conversation)
        .map(|c| (c.updated_at, c.subject.clone(), c.inbox_id.clone()))
    else {
        return;
    };
    let Some(channel) = world
        .channels
        .values()
        .find(|c| c.inbox_id.as_deref() == Some(inbox.as_str()))
        .cloned()
    else {
        return;
    };
    let author_id = people(world).first().cloned();
    world.ids.expect(message);
    let id = world.ids.mint(IdKind::Message);
    let uid = world.ids.uid();
    let text = "Thanks for your patience. Your refund has been approved; see the attached policy.";
    world.add_message(Message {
        id,
        uid,
        conversation_id: conversation.to_owned(),
        kind: channel.message_type(),
        is_inbound: false,
        draft_mode: Some("shared"),
        created_at: at,
        subject: format!("Re: {subject}"),
        author_id,
        recipients: vec![Recipient {
            name: Some(channel.name.clone()),
            handle: channel.address.clone(),
            role: "from",
            contact_id: None,
        }],
        body: format!("<p>{text}</p>"),
        text: text.to_owned(),
    });
}

/// The ids of the human teammates (not the API identity).
pub(super) fn people(world: &World) -> Vec<String> {
    world
        .teammates
        .values()
        .filter(|t| t.kind == "user")
        .map(|t| t.id.clone())
        .collect()
}

fn weighted_inbox(rng: &mut Rng) -> usize {
    let mut roll = rng.below(INBOXES.iter().map(|inbox| inbox.share).sum());
    for (index, inbox) in INBOXES.iter().enumerate() {
        if roll < inbox.share {
            return index;
        }
        roll -= inbox.share;
    }
    0
}

/// A moment between `oldest_days` and `newest_days` days before the data ends.
fn past(rng: &mut Rng, oldest_days: f64, newest_days: f64) -> f64 {
    let span = ((oldest_days - newest_days) * DAY) as u64;
    timestamp(DATA_ENDS_AT - newest_days * DAY - rng.below(span.max(1)) as f64 - rng.unit())
}

/// A moment up to `max_days` after `after`, never past the end of the data.
fn later(rng: &mut Rng, after: f64, max_days: f64) -> f64 {
    let step = 60.0 + rng.below((max_days * DAY) as u64).max(1) as f64 + rng.unit();
    timestamp((after + step).min(DATA_ENDS_AT - rng.unit())).max(after)
}

/// A message's plain text and HTML body: the greeting, a line drawn from `lines`, a sign-off
/// and the signer.
pub(super) fn letter_text(
    rng: &mut Rng,
    lines: &[&str],
    greeting: &str,
    signer: &str,
) -> (String, String) {
    let template = *rng.pick(lines);
    let line = fill(template, rng);
    let sign_off = *rng.pick(SIGN_OFFS);
    let text = format!("{greeting}\n\n{line}\n\n{sign_off}\n{signer}");
    let body = format!(
        "<p>{greeting}</p><p>{line}</p><p>{sign_off}<br>{signer}</p>",
        line = escape_html(&line)
    );
    (text, body)
}

/// Fills `{n}` and `{product}` in a template.
pub(super) fn fill(template: &str, rng: &mut Rng) -> String {
    let number = rng.between(10_000, 99_999).to_string();
    let product = *rng.pick(PRODUCTS);
    template
        .replace("{n}", &number)
        .replace("{product}", product)
}

/// Lower-case ASCII with dashes, for email local parts and domains.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        };
        if folded.is_ascii_alphanumeric() {
            out.push(folded);
        } else if !out.is_empty() && !out.ends_with('-') && folded != '\'' {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_world() {
        let a = generate(5);
        let b = generate(5);
        assert_eq!(a.company.id, b.company.id);
        assert_eq!(
            a.conversations.keys().take(50).collect::<Vec<_>>(),
            b.conversations.keys().take(50).collect::<Vec<_>>()
        );
        assert_ne!(generate(6).company.id, a.company.id);
    }

    #[test]
    fn the_world_has_the_promised_size_and_shape() {
        let world = generate(1);
        assert_eq!(
            world
                .teammates
                .values()
                .filter(|t| t.kind == "user")
                .count(),
            TEAMMATES
        );
        assert_eq!(world.inboxes.len(), 5);
        assert_eq!(world.tags.len(), 50);
        assert!(world.tags.values().any(|t| t.parent_id.is_some()));
        assert_eq!(world.contacts.len(), CONTACTS);
        assert_eq!(world.accounts.len(), ACCOUNTS);
        assert_eq!(world.conversations.len(), CONVERSATIONS);
        assert!(world.messages.len() >= CONVERSATIONS);
        assert!(world.comments.len() > 100);
        let mut previous = 0.0;
        for event in world.events.values() {
            assert!(
                event.emitted_at >= previous,
                "events are stored in time order"
            );
            assert!(event.emitted_at <= DATA_ENDS_AT);
            previous = event.emitted_at;
        }
        for conversation in world.conversations.values() {
            assert!(!conversation.message_ids.is_empty());
            assert!(conversation.event_ids.len() >= conversation.message_ids.len());
        }
    }

    #[test]
    fn slugs_are_plain_ascii() {
        assert_eq!(slug("Maple & Moss Skincare"), "maple-moss-skincare");
        assert_eq!(slug("García"), "garcia");
        assert_eq!(slug("O'Brien"), "obrien");
    }
}
