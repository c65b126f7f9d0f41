use reqwest::Method;
use serde_json::json;

use crate::common::{Sim, encode, start_unlimited};

async fn channel_of_type(sim: &Sim, kind: &str) -> String {
    let channels = sim.get("/channels").await;
    channels.body["_results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == kind)
        .and_then(|c| c["id"].as_str())
        .unwrap_or_else(|| panic!("a {kind} channel"))
        .to_owned()
}

#[tokio::test]
async fn a_sent_message_is_accepted_then_readable_by_its_uid() {
    let sim = start_unlimited().await;
    let channel = channel_of_type(&sim, "gmail").await;
    let author = sim.first_id("/teammates").await;
    let sent = sim
        .call(
            Method::POST,
            &format!("/channels/{channel}/messages"),
            Some(json!({"to": ["grace@example.com"], "subject": "Your order", "body": "<p>It shipped!</p>", "author_id": author, "options": {"archive": false}})),
        )
        .await;
    assert_eq!(sent.status, 202, "{}", sent.body);
    assert_eq!(sent.body["status"], "accepted");
    let uid = sent.body["message_uid"].as_str().expect("a message uid");

    let message = sim
        .get(&format!("/messages/{}", encode(&format!("alt:uid:{uid}"))))
        .await;
    assert_eq!(message.status, 200, "{}", message.body);
    assert_eq!(message.body["message_uid"], uid);
    assert_eq!(message.body["is_inbound"], false);
    assert_eq!(message.body["body"], "<p>It shipped!</p>");
    assert_eq!(message.body["text"], "It shipped!");
    assert_eq!(message.body["author"]["id"], author.as_str());
    assert!(
        message.body["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["handle"] == "grace@example.com" && r["role"] == "to")
    );
    let by_id = sim
        .get(&format!(
            "/messages/{}",
            message.body["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(by_id.body, message.body);

    let conversation_url = message.body["_links"]["related"]["conversation"]
        .as_str()
        .unwrap();
    let conversation = sim.get(conversation_url).await;
    assert_eq!(
        conversation.body["status"], "assigned",
        "sending assigns the author"
    );
    assert_eq!(conversation.body["subject"], "Your order");
    let contact = sim
        .get(&format!(
            "/contacts/{}",
            encode("alt:email:grace@example.com")
        ))
        .await;
    assert_eq!(contact.status, 200, "a new recipient becomes a contact");
    let outbound = sim.get("/events?q[types][]=outbound").await;
    assert_eq!(
        outbound.body["_results"][0]["target"]["data"]["message_uid"],
        uid
    );

    sim.get(&format!("/messages/{}", encode("alt:uid:nope")))
        .await
        .expect_error(404);
}

#[tokio::test]
async fn sending_archives_by_default_and_checks_its_input() {
    let sim = start_unlimited().await;
    let channel = channel_of_type(&sim, "gmail").await;
    let tag = sim.first_id("/tags?limit=1").await;
    let sent = sim
        .call(
            Method::POST,
            &format!("/channels/{channel}/messages"),
            Some(json!({"to": ["lin@example.com"], "body": "Hi", "options": {"tag_ids": [tag]}})),
        )
        .await;
    assert_eq!(sent.status, 202);
    let uid = sent.body["message_uid"].as_str().unwrap();
    let message = sim.get(&format!("/messages/alt:uid:{uid}")).await;
    let conversation = sim
        .get(
            message.body["_links"]["related"]["conversation"]
                .as_str()
                .unwrap(),
        )
        .await;
    assert_eq!(conversation.body["status"], "archived");
    assert_eq!(conversation.body["tags"][0]["id"], tag.as_str());

    let missing_body = sim
        .call(
            Method::POST,
            &format!("/channels/{channel}/messages"),
            Some(json!({"to": ["a@example.com"]})),
        )
        .await;
    assert_eq!(
        missing_body.expect_error(400)["details"][0],
        "body.body: is required"
    );
    let nobody = sim
        .call(
            Method::POST,
            &format!("/channels/{channel}/messages"),
            Some(json!({"to": [], "body": "x"})),
        )
        .await;
    nobody.expect_error(400);
    let sms = channel_of_type(&sim, "twilio").await;
    let signature = sim
        .call(
            Method::POST,
            &format!("/channels/{sms}/messages"),
            Some(json!({"to": ["+14155550000"], "body": "x", "signature_id": "sig_1"})),
        )
        .await;
    signature.expect_error(403);
    sim.call(
        Method::POST,
        "/channels/cha_missing/messages",
        Some(json!({"to": ["a@example.com"], "body": "x"})),
    )
    .await
    .expect_error(404);
}

#[tokio::test]
async fn a_draft_answers_200_with_the_message() {
    let sim = start_unlimited().await;
    let channel = channel_of_type(&sim, "gmail").await;
    let address = sim.get(&format!("/channels/{channel}")).await.body["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let draft = sim
        .call(
            Method::POST,
            &format!(
                "/channels/{}/drafts",
                encode(&format!("alt:address:{address}"))
            ),
            Some(json!({"body": "Draft", "to": ["x@example.com"]})),
        )
        .await;
    assert_eq!(draft.status, 200, "{}", draft.body);
    assert!(draft.body["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(draft.body["draft_mode"], "private");
}

#[tokio::test]
async fn deleting_a_conversation_needs_it_in_the_trash() {
    let sim = start_unlimited().await;
    let conversation = sim
        .first_id("/conversations?q[statuses][]=assigned&limit=1")
        .await;
    let url = format!("/conversations/{conversation}");
    let refused = sim.call(Method::DELETE, &url, None).await;
    assert!(
        refused.expect_error(400)["message"]
            .as_str()
            .unwrap()
            .contains("trashed")
    );
    assert_eq!(sim.get(&url).await.status, 200);
    assert_eq!(
        sim.call(Method::PATCH, &url, Some(json!({"status": "deleted"})))
            .await
            .status,
        204
    );
    let deleted = sim.call(Method::DELETE, &url, None).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.raw.is_empty());
    sim.get(&url).await.expect_error(404);
    sim.get(&format!("{url}/events")).await.expect_error(404);
    // Its events went with it.
    let mut next = Some("/events?q[types][]=trash".to_owned());
    while let Some(url) = next {
        let page = sim.get(&url).await;
        for event in page.body["_results"].as_array().unwrap() {
            assert_ne!(event["conversation"]["id"], conversation.as_str());
        }
        next = page.next();
    }
}
