use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Sim, encode, start_unlimited};

/// The newest events of a conversation, newest first.
async fn conversation_events(sim: &Sim, conversation: &str) -> Vec<Value> {
    sim.get(&format!("/conversations/{conversation}/events?limit=20"))
        .await
        .body["_results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Whether the company's event stream has a `kind` event on `conversation`, looking at the
/// newest events of that type.
async fn stream_has(sim: &Sim, kind: &str, conversation: &str) -> bool {
    let events = sim.get(&format!("/events?q[types][]={kind}")).await;
    events.body["_results"]
        .as_array()
        .is_some_and(|all| all.iter().any(|e| e["conversation"]["id"] == conversation))
}

async fn open_conversation(sim: &Sim) -> String {
    sim.first_id("/conversations?q[statuses][]=unassigned&limit=1")
        .await
}

#[tokio::test]
async fn tagging_is_visible_and_leaves_tag_and_untag_events() {
    let sim = start_unlimited().await;
    let conversation = open_conversation(&sim).await;
    let url = format!("/conversations/{conversation}");
    let current: Vec<String> = sim.get(&url).await.body["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    let tag = sim
        .get("/tags?limit=100")
        .await
        .ids()
        .into_iter()
        .find(|t| !current.contains(t))
        .unwrap();

    let tagged = sim
        .call(
            Method::POST,
            &format!("{url}/tags"),
            Some(json!({"tag_ids": [tag]})),
        )
        .await;
    assert_eq!(tagged.status, 204);
    assert!(tagged.raw.is_empty());
    let after = sim.get(&url).await;
    assert!(
        after.body["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == tag.as_str())
    );
    let newest = &conversation_events(&sim, &conversation).await[0];
    assert_eq!(newest["type"], "tag");
    assert_eq!(newest["target"]["data"]["id"], tag.as_str());
    assert_eq!(newest["source"]["_meta"]["type"], "api");
    assert!(stream_has(&sim, "tag", &conversation).await);
    let tagged_list = sim
        .all_ids(&format!("/tags/{tag}/conversations?limit=100"))
        .await;
    assert!(tagged_list.contains(&conversation));

    let untagged = sim
        .call(
            Method::DELETE,
            &format!("{url}/tags"),
            Some(json!({"tag_ids": [tag]})),
        )
        .await;
    assert_eq!(untagged.status, 204);
    assert!(
        !sim.get(&url).await.body["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == tag.as_str())
    );
    assert_eq!(
        conversation_events(&sim, &conversation).await[0]["type"],
        "untag"
    );
    assert!(stream_has(&sim, "untag", &conversation).await);
}

#[tokio::test]
async fn assigning_archiving_and_trashing_change_status_with_events() {
    let sim = start_unlimited().await;
    let conversation = open_conversation(&sim).await;
    let url = format!("/conversations/{conversation}");
    let teammate = sim.get("/teammates").await.body["_results"][0].clone();
    let email = teammate["email"].as_str().unwrap();

    // Assign by email alias, as Front allows.
    let assigned = sim
        .call(
            Method::PUT,
            &format!("{url}/assignee"),
            Some(json!({"assignee_id": format!("alt:email:{email}")})),
        )
        .await;
    assert_eq!(assigned.status, 204, "{}", assigned.body);
    let body = sim.get(&url).await.body;
    assert_eq!(body["status"], "assigned");
    assert_eq!(body["assignee"]["id"], teammate["id"]);
    assert_eq!(
        conversation_events(&sim, &conversation).await[0]["type"],
        "assign"
    );
    assert!(stream_has(&sim, "assign", &conversation).await);
    let query = encode(&format!(
        "assignee:{} is:open",
        teammate["id"].as_str().unwrap()
    ));
    let found = sim
        .all_ids(&format!("/conversations/search/{query}?limit=100"))
        .await;
    assert!(
        found.contains(&conversation),
        "search sees the new assignee"
    );

    let unassigned = sim
        .call(
            Method::PUT,
            &format!("{url}/assignee"),
            Some(json!({"assignee_id": null})),
        )
        .await;
    assert_eq!(unassigned.status, 204);
    assert_eq!(sim.get(&url).await.body["status"], "unassigned");
    assert_eq!(
        conversation_events(&sim, &conversation).await[0]["type"],
        "unassign"
    );

    for (status, shown, event) in [
        ("archived", "archived", "archive"),
        ("open", "unassigned", "reopen"),
        ("deleted", "deleted", "trash"),
        ("open", "unassigned", "restore"),
    ] {
        let answer = sim
            .call(Method::PATCH, &url, Some(json!({"status": status})))
            .await;
        assert_eq!(answer.status, 204, "{}", answer.body);
        assert_eq!(sim.get(&url).await.body["status"], shown);
        assert_eq!(
            conversation_events(&sim, &conversation).await[0]["type"],
            event
        );
        assert!(
            stream_has(&sim, event, &conversation).await,
            "{event} in /events"
        );
    }
}

#[tokio::test]
async fn comments_followers_and_custom_fields_are_kept() {
    let sim = start_unlimited().await;
    let conversation = open_conversation(&sim).await;
    let url = format!("/conversations/{conversation}");
    let comment = sim
        .call(
            Method::POST,
            &format!("{url}/comments"),
            Some(json!({"body": "Looking into it"})),
        )
        .await;
    assert_eq!(comment.status, 201);
    assert_eq!(
        comment.body["author"]["type"], "api",
        "comments without author_id come from the token"
    );
    let comments = sim.get(&format!("{url}/comments")).await;
    assert_eq!(comments.ids()[0], comment.body["id"].as_str().unwrap());
    let newest = &conversation_events(&sim, &conversation).await[0];
    assert_eq!(newest["type"], "comment");
    assert_eq!(newest["target"]["data"]["body"], "Looking into it");
    assert!(stream_has(&sim, "comment", &conversation).await);

    let teammates = sim.get("/teammates").await.ids();
    let added = sim
        .call(
            Method::POST,
            &format!("{url}/followers"),
            Some(json!({"teammate_ids": [teammates[3], teammates[4]]})),
        )
        .await;
    assert_eq!(added.status, 204);
    let followers = sim.get(&format!("{url}/followers")).await.ids();
    assert!(followers.contains(&teammates[3]) && followers.contains(&teammates[4]));
    let unknown = sim
        .call(
            Method::POST,
            &format!("{url}/followers"),
            Some(json!({"teammate_ids": ["tea_nobody"]})),
        )
        .await;
    assert!(
        unknown.expect_error(400)["details"][0]
            .as_str()
            .unwrap()
            .starts_with("body.teammate_ids[0]")
    );
    let ignored = sim
        .call(
            Method::POST,
            &format!("{url}/followers?ignore_errors=true"),
            Some(json!({"teammate_ids": ["tea_nobody"]})),
        )
        .await;
    assert_eq!(ignored.status, 204);

    let patched = sim
        .call(
            Method::PATCH,
            &url,
            Some(json!({"custom_fields": {"Priority": "High", "Order": 1234}})),
        )
        .await;
    assert_eq!(patched.status, 204);
    assert_eq!(
        sim.get(&url).await.body["custom_fields"],
        json!({"Priority": "High", "Order": 1234})
    );
    assert_eq!(
        conversation_events(&sim, &conversation).await[0]["type"],
        "custom_field_updated"
    );
}

#[tokio::test]
async fn a_refused_write_changes_nothing() {
    let sim = start_unlimited().await;
    let conversation = open_conversation(&sim).await;
    let url = format!("/conversations/{conversation}");
    let before = sim.get(&url).await.body;
    let events_before = sim.get(&format!("{url}/events")).await.ids();
    let tag = sim.first_id("/tags?limit=1").await;
    let refused = sim
        .call(
            Method::PATCH,
            &url,
            Some(json!({"status": "archived", "tag_ids": [tag, "tag_missing"]})),
        )
        .await;
    let error = refused.expect_error(400);
    assert_eq!(
        error["details"][0],
        "body.tag_ids[1]: tag `tag_missing` does not exist"
    );
    assert_eq!(sim.get(&url).await.body, before);
    assert_eq!(sim.get(&format!("{url}/events")).await.ids(), events_before);
}

#[tokio::test]
async fn contacts_accounts_tags_teammates_and_channels_keep_their_writes() {
    let sim = start_unlimited().await;
    let created = sim
        .call(Method::POST, "/contacts", Some(json!({"name": "Ada Lovelace", "handles": [{"handle": "ada@example.com", "source": "email"}]})))
        .await;
    assert_eq!(created.status, 201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("crd_"));
    let by_alias = sim
        .get(&format!(
            "/contacts/{}",
            encode("alt:email:ada@example.com")
        ))
        .await;
    assert_eq!(by_alias.body["id"], id.as_str());
    let duplicate = sim
        .call(
            Method::POST,
            "/contacts",
            Some(json!({"handles": [{"handle": "ADA@example.com", "source": "email"}]})),
        )
        .await;
    duplicate.expect_error(409);
    assert_eq!(
        sim.call(
            Method::PATCH,
            &format!("/contacts/{id}"),
            Some(json!({"description": "Analyst"}))
        )
        .await
        .status,
        204
    );
    assert_eq!(
        sim.get(&format!("/contacts/{id}")).await.body["description"],
        "Analyst"
    );
    assert_eq!(
        sim.call(
            Method::POST,
            &format!("/contacts/{id}/handles"),
            Some(json!({"handle": "@ada", "source": "twitter"}))
        )
        .await
        .status,
        204
    );
    assert_eq!(
        sim.get(&format!("/contacts/{}", encode("alt:twitter:@ada")))
            .await
            .body["id"],
        id.as_str()
    );
    assert_eq!(
        sim.call(Method::DELETE, &format!("/contacts/{id}"), None)
            .await
            .status,
        204
    );
    sim.get(&format!("/contacts/{id}")).await.expect_error(404);

    let account = sim
        .call(Method::POST, "/accounts", Some(json!({"name": "Analytical Engines", "domains": ["engines.example.com"], "external_id": "ext-1"})))
        .await;
    assert_eq!(account.status, 201);
    let account_id = account.body["id"].as_str().unwrap().to_owned();
    let updated = sim
        .call(
            Method::PATCH,
            &format!("/accounts/{}", encode("alt:ext_id:ext-1")),
            Some(json!({"name": "Engines Ltd"})),
        )
        .await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.body["name"], "Engines Ltd");
    assert_eq!(
        sim.get(&format!(
            "/accounts/{}",
            encode("alt:domain:engines.example.com")
        ))
        .await
        .body["id"],
        account_id.as_str()
    );

    let tag = sim
        .call(
            Method::POST,
            "/tags",
            Some(json!({"name": "Escalated twice"})),
        )
        .await;
    let tag_id = tag.body["id"].as_str().unwrap().to_owned();
    let child = sim
        .call(
            Method::POST,
            &format!("/tags/{tag_id}/children"),
            Some(json!({"name": "By phone"})),
        )
        .await;
    assert_eq!(child.status, 201);
    let child_id = child.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        sim.get(&format!("/tags/{tag_id}/children")).await.ids(),
        [child_id.as_str()]
    );
    let cycle = sim
        .call(
            Method::PATCH,
            &format!("/tags/{tag_id}"),
            Some(json!({"parent_tag_id": child_id})),
        )
        .await;
    cycle.expect_error(400);
    assert_eq!(
        sim.call(
            Method::PATCH,
            &format!("/tags/{child_id}"),
            Some(json!({"parent_tag_id": null, "highlight": "red"}))
        )
        .await
        .status,
        204
    );
    assert!(
        sim.get(&format!("/tags/{tag_id}/children"))
            .await
            .ids()
            .is_empty()
    );
    assert_eq!(
        sim.get(&format!("/tags/{child_id}")).await.body["highlight"],
        "red"
    );

    let teammate = sim.get("/teammates").await.body["_results"][0].clone();
    let alias = encode(&format!(
        "alt:email:{}",
        teammate["email"].as_str().unwrap()
    ));
    assert_eq!(
        sim.call(
            Method::PATCH,
            &format!("/teammates/{alias}"),
            Some(json!({"is_available": false, "username": "on_leave"}))
        )
        .await
        .status,
        204
    );
    let after = sim.get(&format!("/teammates/{alias}")).await.body;
    assert_eq!(
        (after["is_available"].clone(), after["username"].clone()),
        (json!(false), json!("on_leave"))
    );

    let channel = sim.first_id("/channels").await;
    assert_eq!(
        sim.call(
            Method::PATCH,
            &format!("/channels/{channel}"),
            Some(json!({"settings": {"undo_send_time": 30}}))
        )
        .await
        .status,
        204
    );
    assert_eq!(
        sim.get(&format!("/channels/{channel}")).await.body["settings"]["undo_send_time"],
        30
    );
    let inbox = sim
        .call(Method::POST, "/inboxes", Some(json!({"name": "VIP"})))
        .await;
    assert_eq!(inbox.status, 201);
    assert!(
        sim.get("/inboxes")
            .await
            .ids()
            .contains(&inbox.body["id"].as_str().unwrap().to_owned())
    );
}
