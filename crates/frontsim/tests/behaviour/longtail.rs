//! The operations beyond the core 52: replies and drafts in a conversation, message templates
//! and their folders, the knowledge base, analytics, memberships, downloads, and the refusals
//! they share with the rest (404 for unknown ids, 403 without the scope).

use frontsim::{SimConfig, TokenGrant};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{start, start_unlimited};

/// The connector's example ids, which the generated world is built around.
const CONVERSATION: &str = "cnv_yo1kg5q";
const TEAMMATE: &str = "tea_6r55a";
const TEAM: &str = "tim_3kq";
const FOLDER: &str = "rsf_1xq8";
const TEMPLATE: &str = "rsp_2hd4";
const ARTICLE: &str = "kba_4f2n";
const CATEGORY: &str = "kbc_2b7d";
const KNOWLEDGE_BASE: &str = "knb_1k4p";
const ATTACHMENT: &str = "fil_3q8rx1";

fn ids(list: &Value) -> Vec<String> {
    list["_results"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_reply_joins_the_conversation_and_leaves_an_out_reply_event() {
    let sim = start_unlimited().await;
    let answer = sim
        .call(
            Method::POST,
            &format!("/conversations/{CONVERSATION}/messages"),
            Some(
                json!({"body": "<p>Your refund is on its way.</p>", "author_id": TEAMMATE,
                        "options": {"archive": false}}),
            ),
        )
        .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.body["status"], "accepted");
    let uid = answer.body["message_uid"].as_str().expect("a message uid");

    let message = sim.get(&format!("/messages/alt:uid:{uid}")).await;
    assert_eq!(message.status, 200, "{}", message.body);
    assert_eq!(message.body["is_inbound"], false);
    assert_eq!(message.body["text"], "Your refund is on its way.");
    assert_eq!(message.body["author"]["id"], TEAMMATE);
    let id = message.body["id"].as_str().expect("an id").to_owned();

    let messages = sim
        .get(&format!("/conversations/{CONVERSATION}/messages?limit=100"))
        .await;
    assert!(ids(&messages.body).contains(&id));

    let events = sim
        .get(&format!("/conversations/{CONVERSATION}/events?limit=100"))
        .await;
    assert_eq!(events.status, 200, "{}", events.body);
    let event = events.body["_results"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["type"] == "out_reply"))
        .expect("an out_reply event");
    assert_eq!(event["type"], "out_reply");
    assert_eq!(event["target"]["data"]["id"], id.as_str());
    assert_eq!(event["source"]["_meta"]["type"], "api");

    let missing = sim
        .call(
            Method::POST,
            "/conversations/cnv_nothere/messages",
            Some(json!({"body": "Hi"})),
        )
        .await;
    missing.expect_error(404);
}

#[tokio::test]
async fn a_draft_is_created_edited_and_deleted() {
    let sim = start_unlimited().await;
    let channel = sim.first_id("/channels").await;
    let drafts = format!("/conversations/{CONVERSATION}/drafts");
    let before = ids(&sim.get(&drafts).await.body);

    let created = sim
        .call(
            Method::POST,
            &drafts,
            Some(json!({"body": "Draft one", "channel_id": channel, "mode": "shared"})),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["draft_mode"], "shared");
    let id = created.body["id"].as_str().expect("an id").to_owned();
    assert!(ids(&sim.get(&drafts).await.body).contains(&id));

    let edited = sim
        .call(
            Method::PATCH,
            &format!("/drafts/{id}/"),
            Some(json!({"body": "Draft two", "channel_id": channel})),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["text"], "Draft two");
    assert_eq!(
        sim.get(&format!("/messages/{id}")).await.body["body"],
        "Draft two"
    );

    let deleted = sim
        .call(
            Method::DELETE,
            &format!("/drafts/{id}"),
            Some(json!({"version": "1"})),
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(ids(&sim.get(&drafts).await.body), before);
    sim.get(&format!("/messages/{id}")).await.expect_error(404);

    // A message that is not a draft cannot be edited as one.
    let sent = sim
        .get(&format!("/conversations/{CONVERSATION}/messages"))
        .await;
    let sent = sent.body["_results"]
        .as_array()
        .and_then(|all| all.iter().find(|m| m["draft_mode"].is_null()))
        .and_then(|m| m["id"].as_str())
        .expect("a sent message")
        .to_owned();
    sim.call(
        Method::PATCH,
        &format!("/drafts/{sent}/"),
        Some(json!({"body": "x", "channel_id": channel})),
    )
    .await
    .expect_error(404);
}

#[tokio::test]
async fn a_template_created_in_a_folder_is_listed_in_it() {
    let sim = start_unlimited().await;
    let in_folder = format!("/message_template_folders/{FOLDER}/message_templates");
    let listed = sim.get(&in_folder).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert!(ids(&listed.body).contains(&TEMPLATE.to_owned()));

    let created = sim
        .call(
            Method::POST,
            &in_folder,
            Some(json!({"name": "Exchange", "subject": "Your exchange",
                        "body": "<p>We will send the new size today.</p>"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().expect("an id").to_owned();
    assert!(id.starts_with("rsp_"), "{id}");
    assert_eq!(created.body["name"], "Exchange");
    assert_eq!(created.body["subject"], "Your exchange");
    assert_eq!(
        created.body["_links"]["self"],
        sim.url(&format!("/message_templates/{id}"))
    );
    assert!(ids(&sim.get(&in_folder).await.body).contains(&id));

    let renamed = sim
        .call(
            Method::PATCH,
            &format!("/message_template_folders/{FOLDER}"),
            Some(json!({"name": "Support answers"})),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "Support answers");
    assert_eq!(renamed.body["id"], FOLDER);

    let deleted = sim
        .call(Method::DELETE, &format!("/message_templates/{id}"), None)
        .await;
    assert_eq!(deleted.status, 204);
    assert!(!ids(&sim.get(&in_folder).await.body).contains(&id));
}

/// The scenario the seeded library is for: a customer asks for a refund, and the agent finds
/// the template that answers it and the article that explains it.
#[tokio::test]
async fn a_refund_question_finds_its_template_and_article() {
    let sim = start_unlimited().await;
    let templates = sim.get("/message_templates").await;
    let refund = templates.body["_results"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|t| t["body"].as_str().is_some_and(|b| b.contains("refund")))
        })
        .expect("a refund template");
    assert_eq!(refund["id"], TEMPLATE);
    assert_eq!(refund["attachments"][0]["id"], ATTACHMENT);

    let articles = sim
        .get(&format!("/knowledge_base_categories/{CATEGORY}/articles"))
        .await;
    assert!(ids(&articles.body).contains(&ARTICLE.to_owned()));
    let content = sim
        .get(&format!("/knowledge_base_articles/{ARTICLE}/content"))
        .await;
    assert_eq!(content.status, 200, "{}", content.body);
    assert!(
        content.body["content"]
            .as_str()
            .unwrap_or_default()
            .contains("refund")
    );
    assert_eq!(content.body["locale"], "en");

    // Content in another locale is kept apart from the default one.
    let french = format!("/knowledge_base_articles/{ARTICLE}/locales/fr/content");
    let written = sim
        .call(
            Method::PATCH,
            &french,
            Some(
                json!({"subject": "Demander un remboursement", "content": "<p>Sous 30 jours.</p>"}),
            ),
        )
        .await;
    assert_eq!(written.status, 200, "{}", written.body);
    assert_eq!(written.body["locale"], "fr");
    assert_eq!(written.body["name"], "Demander un remboursement");
    let default = sim
        .get(&format!("/knowledge_base_articles/{ARTICLE}/content"))
        .await;
    assert_eq!(default.body["name"], "How to request a refund");
    let slim = sim
        .get(&format!("/knowledge_base_articles/{ARTICLE}"))
        .await;
    assert_eq!(slim.body["locales"], json!(["en", "fr"]));

    let categories = sim
        .get(&format!("/knowledge_bases/{KNOWLEDGE_BASE}/categories"))
        .await;
    assert!(ids(&categories.body).contains(&CATEGORY.to_owned()));
}

#[tokio::test]
async fn an_analytics_export_runs_then_is_done() {
    let sim = start_unlimited().await;
    let created = sim
        .call(
            Method::POST,
            "/analytics/exports",
            Some(json!({"type": "messages", "start": 1_735_689_600, "end": 1_767_225_600})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["status"], "running");
    let id = created.body["id"].as_str().expect("an id").to_owned();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let read = sim.get(&format!("/analytics/exports/{id}")).await;
        assert_eq!(read.status, 200, "{}", read.body);
        let status = read.body["status"].as_str().unwrap_or_default().to_owned();
        if status == "done" {
            assert_eq!(read.body["progress"], 100);
            assert!(
                read.body["url"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("http"))
            );
        }
        statuses.push(status);
    }
    assert_eq!(statuses.first().map(String::as_str), Some("running"));
    assert_eq!(statuses.last().map(String::as_str), Some("done"));

    let report = sim
        .call(
            Method::POST,
            "/analytics/reports",
            Some(json!({"start": 1_735_689_600, "end": 1_767_225_600,
                        "metrics": ["num_messages_received"]})),
        )
        .await;
    assert_eq!(report.status, 201, "{}", report.body);
    let uid = report.body["uid"].as_str().expect("a uid").to_owned();
    let mut done = Value::Null;
    for _ in 0..3 {
        done = sim.get(&format!("/analytics/reports/{uid}")).await.body;
    }
    assert_eq!(done["status"], "done");
    assert_eq!(done["metrics"][0]["id"], "num_messages_received");
    assert!(done["metrics"][0]["value"].as_u64().is_some_and(|n| n > 0));
}

#[tokio::test]
async fn members_are_added_and_removed_and_unknown_ones_refused() {
    let sim = start_unlimited().await;
    let members = format!("/teams/{TEAM}/teammates");
    let team = sim.get(&format!("/teams/{TEAM}")).await;
    assert_eq!(team.status, 200, "{}", team.body);
    let in_team: Vec<String> = team.body["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect();
    assert!(in_team.contains(&TEAMMATE.to_owned()));
    let outsider = sim
        .get("/teammates")
        .await
        .ids()
        .into_iter()
        .find(|id| !in_team.contains(id))
        .expect("a teammate outside the team");

    let added = sim
        .call(
            Method::POST,
            &members,
            Some(json!({"teammate_ids": [outsider]})),
        )
        .await;
    assert_eq!(added.status, 204, "{}", added.body);
    let team = sim.get(&format!("/teams/{TEAM}")).await;
    assert!(team.body["members"].to_string().contains(&outsider));

    let removed = sim
        .call(
            Method::DELETE,
            &members,
            Some(json!({"teammate_ids": [outsider, TEAMMATE]})),
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    let team = sim.get(&format!("/teams/{TEAM}")).await;
    assert!(!team.body["members"].to_string().contains(&outsider));
    assert!(!team.body["members"].to_string().contains(TEAMMATE));

    // A refused request changes nothing.
    let refused = sim
        .call(
            Method::POST,
            &members,
            Some(json!({"teammate_ids": [outsider, "tea_nobody"]})),
        )
        .await;
    refused.expect_error(404);
    let team = sim.get(&format!("/teams/{TEAM}")).await;
    assert!(!team.body["members"].to_string().contains(&outsider));

    // Shift members are teammates too, listed both ways.
    let shift = sim.first_id("/shifts").await;
    sim.call(
        Method::POST,
        &format!("/shifts/{shift}/teammates"),
        Some(json!({"teammate_ids": [outsider]})),
    )
    .await;
    let shifts = sim.get(&format!("/teammates/{outsider}/shifts")).await;
    assert!(shifts.ids().contains(&shift));
}

#[tokio::test]
async fn unknown_ids_are_404_and_missing_scopes_403() {
    let sim = start(SimConfig {
        tokens: vec![
            TokenGrant::parse("templates:message_templates:read").unwrap(),
            TokenGrant::parse("all:").unwrap(),
        ],
        ..SimConfig::unlimited()
    })
    .await;
    let templates = Some("templates");
    for path in [
        "/message_templates/rsp_nothere",
        "/message_template_folders/rsf_nothere/message_templates",
        "/teammates/tea_nothere/message_templates",
    ] {
        sim.send(Method::GET, path, templates, None)
            .await
            .expect_error(404);
    }
    let listed = sim
        .send(Method::GET, "/message_templates", templates, None)
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let error = sim
        .send(Method::GET, "/shifts", templates, None)
        .await
        .expect_error(403)
        .clone();
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("shifts:read")
    );
    sim.send(
        Method::POST,
        "/message_templates",
        templates,
        Some(br#"{"name": "x", "body": "y"}"#),
    )
    .await
    .expect_error(403);
}

#[tokio::test]
async fn attachments_download_as_files() {
    let sim = start_unlimited().await;
    for path in [
        format!("/download/{ATTACHMENT}"),
        format!("/messages/msg_1q15qmtq/download/{ATTACHMENT}"),
        format!("/comments/com_1r5v8/download/{ATTACHMENT}"),
        format!("/message_templates/{TEMPLATE}/download/{ATTACHMENT}"),
        format!("/knowledge_base_articles/{ARTICLE}/download/{ATTACHMENT}"),
    ] {
        let file = sim.get(&path).await;
        assert_eq!(file.status, 200, "{path}");
        assert_eq!(file.header("content-type"), Some("application/pdf"));
        assert_eq!(
            file.header("content-disposition"),
            Some("attachment; filename=\"refund-policy.pdf\"")
        );
        assert!(file.raw.starts_with(b"%PDF"));
    }
    sim.get("/download/fil_nothere").await.expect_error(404);
    // The file exists, but is not attached to that template.
    let other = sim.get("/message_templates").await.ids();
    let other = other
        .iter()
        .find(|id| *id != TEMPLATE)
        .expect("another template");
    sim.get(&format!("/message_templates/{other}/download/{ATTACHMENT}"))
        .await
        .expect_error(404);
    let message = sim.get("/messages/msg_1q15qmtq").await;
    assert_eq!(
        message.body["attachments"][0]["url"],
        sim.url(&format!("/download/{ATTACHMENT}"))
    );
}

#[tokio::test]
async fn conversations_link_to_known_links_and_to_new_external_urls() {
    let sim = start_unlimited().await;
    let conversation = sim.first_id("/conversations").await;
    let url = "https://shop.example.com/orders/9001";
    let linked = sim
        .call(
            Method::POST,
            &format!("/conversations/{conversation}/links"),
            Some(json!({"link_ids": ["top_3b7c"], "link_external_urls": [url]})),
        )
        .await;
    assert_eq!(linked.status, 204, "{}", linked.body);
    let links = sim.get("/links").await;
    let created = links.body["_results"]
        .as_array()
        .and_then(|all| all.iter().find(|l| l["external_url"] == url))
        .and_then(|l| l["id"].as_str())
        .expect("a link for the URL")
        .to_owned();
    let shown = sim.get(&format!("/conversations/{conversation}")).await;
    assert!(
        shown.body["links"].to_string().contains(&created),
        "{}",
        shown.body
    );
    for link in ["top_3b7c", created.as_str()] {
        let conversations = sim.get(&format!("/links/{link}/conversations")).await;
        assert!(conversations.ids().contains(&conversation), "{link}");
    }
    sim.call(
        Method::POST,
        &format!("/conversations/{conversation}/links"),
        Some(json!({"link_ids": ["top_nothere"]})),
    )
    .await
    .expect_error(404);
    let unlinked = sim
        .call(
            Method::DELETE,
            &format!("/conversations/{conversation}/links"),
            Some(json!({"link_ids": [created]})),
        )
        .await;
    assert_eq!(unlinked.status, 204, "{}", unlinked.body);
    let conversations = sim.get(&format!("/links/{created}/conversations")).await;
    assert!(!conversations.ids().contains(&conversation));
}
