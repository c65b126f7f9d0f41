use frontsim::{SimConfig, TokenGrant};
use reqwest::Method;

use crate::common::{start, start_unlimited};

#[tokio::test]
async fn a_missing_or_unknown_token_gets_401_with_front_error_body() {
    let sim = start_unlimited().await;
    for token in [None, Some("not-a-token"), Some("")] {
        let answer = sim.send(Method::GET, "/conversations", token, None).await;
        answer.expect_error(401);
    }
    let wrong_scheme = sim
        .client
        .get(sim.url("/me"))
        .header("authorization", format!("Basic {}", sim.token))
        .send()
        .await
        .expect("an answer");
    assert_eq!(wrong_scheme.status(), 401);
    assert_eq!(sim.get("/me").await.status, 200);
}

#[tokio::test]
async fn a_token_without_the_operation_scope_gets_403_naming_it() {
    let sim = start(SimConfig {
        tokens: vec![
            TokenGrant::parse("reader:conversations:read,tags:read").unwrap(),
            TokenGrant::parse("nothing:").unwrap(),
        ],
        ..SimConfig::unlimited()
    })
    .await;
    assert!(
        sim.running.demo_token().is_none(),
        "configured tokens replace the demo token"
    );
    let reader = Some("reader");
    assert_eq!(
        sim.send(Method::GET, "/conversations?limit=1", reader, None)
            .await
            .status,
        200
    );
    assert_eq!(
        sim.send(Method::GET, "/tags?limit=1", reader, None)
            .await
            .status,
        200
    );
    let refused = sim.send(Method::GET, "/contacts", reader, None).await;
    let error = refused.expect_error(403);
    assert!(
        error["message"].as_str().unwrap().contains("contacts:read"),
        "{error}"
    );
    assert_eq!(error["details"][0], "scope contacts:read: is required");

    let id = sim
        .send(Method::GET, "/conversations?limit=1", reader, None)
        .await
        .ids()[0]
        .clone();
    let delete = sim
        .send(
            Method::DELETE,
            &format!("/conversations/{id}"),
            reader,
            None,
        )
        .await;
    assert!(
        delete.expect_error(403)["message"]
            .as_str()
            .unwrap()
            .contains("conversations:delete")
    );

    // /me needs no scope at all.
    let me = sim.send(Method::GET, "/me", Some("nothing"), None).await;
    assert_eq!(me.status, 200);
    assert!(me.body["id"].as_str().unwrap().starts_with("cmp_"));
    sim.send(Method::GET, "/teammates", Some("nothing"), None)
        .await
        .expect_error(403);
}

#[tokio::test]
async fn a_revoked_token_gets_401_from_then_on_and_others_keep_working() {
    let sim = start(SimConfig {
        tokens: vec![
            TokenGrant::with_every_scope("doomed"),
            TokenGrant::with_every_scope("kept"),
        ],
        ..SimConfig::unlimited()
    })
    .await;
    let me = |token| sim.send(Method::GET, "/me", Some(token), None);
    assert_eq!(me("doomed").await.status, 200);
    assert!(sim.running.revoke_token("doomed"));
    me("doomed").await.expect_error(401);
    assert_eq!(me("kept").await.status, 200);
    assert!(!sim.running.revoke_token("doomed"), "already revoked");
    assert!(!sim.running.revoke_token("never-known"));
}
