use reqwest::Method;

use crate::common::{Sim, encode, start_unlimited};

/// Sends a bad request and checks it gets Front's error body with `status` (a 4xx).
async fn refused(sim: &Sim, method: Method, path: &str, body: Option<&[u8]>, status: u16) {
    let answer = sim.send(method.clone(), path, Some(&sim.token), body).await;
    assert!(
        answer.status.is_client_error(),
        "{method} {path} answered {}: {}",
        answer.status,
        answer.body
    );
    assert_eq!(
        answer.status.as_u16(),
        status,
        "{method} {path}: {}",
        answer.body
    );
    answer.expect_error(status);
    assert_eq!(
        answer.header("content-type"),
        Some("application/json; charset=utf-8")
    );
}

#[tokio::test]
async fn bad_input_gets_a_4xx_with_front_error_body_and_never_breaks_the_server() {
    let sim = start_unlimited().await;
    let conversation = sim.first_id("/conversations?limit=1").await;
    let conv = format!("/conversations/{conversation}");
    use Method as M;

    // Paths and methods.
    for path in [
        "/",
        "/nope",
        "/conversations/cnv_1/nope",
        "/v2/conversations",
        "/conversations/",
        "//",
    ] {
        refused(&sim, M::GET, path, None, 404).await;
    }
    refused(&sim, M::GET, &format!("/{}", "a/".repeat(5000)), None, 404).await;
    refused(&sim, M::PUT, "/tags", None, 405).await;
    refused(&sim, M::DELETE, "/me", None, 405).await;
    refused(&sim, M::GET, "/me?verbose=true", None, 400).await;

    // Ids and aliases that do not resolve.
    for path in [
        "/conversations/cnv_doesnotexist".to_owned(),
        format!("/teammates/{}", encode("alt:email:nobody@example.com")),
        format!("/accounts/{}", encode("alt:domain:nope.example")),
        "/events/evt_0".to_owned(),
        // Ids of another shape (the hub never sends them) are ids that do not exist.
        "/conversations/%FF%FE".to_owned(),
        "/conversations/tea_6r55a/messages".to_owned(),
        "/teammates/alt:bogus".to_owned(),
        format!("/teammates/{}", encode("alt:username:someone")),
        "/messages/alt:uid:".to_owned(),
        "/contacts/alt::".to_owned(),
        "/channels/alt:address:".to_owned(),
        "/tags/%00".to_owned(),
        format!("/inboxes/{}", "x".repeat(10_000)),
    ] {
        refused(&sim, M::GET, &path, None, 404).await;
    }

    // Query strings.
    for query in [
        "limit=100000",
        "limit=99999999999999999999999999",
        "limit=0",
        "limit=-5",
        "limit=ten",
        "limit=",
        "limit=1.5",
        "page_token=zzz",
        "page_token=00000000000000000",
        "q[statuses][]=nonsense",
        "q=open",
        "q[=1",
        "q[statuses]]=open",
        "%ZZ=1",
        "sort_by=name",
        "sort_order=sideways",
        "next=abc",
        "limit=1&limit=2",
        "status_ids=sts_1",
        "q[status_ids][]=sts_1",
    ] {
        refused(&sim, M::GET, &format!("/conversations?{query}"), None, 400).await;
    }
    refused(&sim, M::GET, "/events?limit=16", None, 400).await;
    refused(
        &sim,
        M::GET,
        "/contacts?q[updated_after]=yesterday",
        None,
        400,
    )
    .await;
    refused(&sim, M::GET, "/contacts?q[updated_after]=1e999", None, 400).await;
    refused(&sim, M::GET, &format!("{conv}/comments?limit=5"), None, 400).await;
    refused(
        &sim,
        M::GET,
        &format!("/conversations/search/{}", encode("before:yesterday")),
        None,
        400,
    )
    .await;
    let endless = encode(&"refund ".repeat(200));
    refused(
        &sim,
        M::GET,
        &format!("/conversations/search/{endless}"),
        None,
        400,
    )
    .await;

    // Long lists in the query are answered promptly, not refused.
    let many_inboxes: String = (0..2_000)
        .map(|i| format!("q[inboxes][]=inb_{i}&"))
        .collect();
    let started = std::time::Instant::now();
    assert_eq!(
        sim.get(&format!("/events?{many_inboxes}q[types][]=tag"))
            .await
            .status,
        200
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    // Bodies.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for body in [
        &b"{\"name\":"[..],
        b"not json",
        b"[]",
        b"\"a string\"",
        b"null null",
        b"{}",
        b"{\"name\": 7}",
        b"{\"name\": \"ok\", \"colour\": \"red\"}",
        b"{\"name\": \"ok\", \"highlight\": \"mauve\"}",
        deep.as_bytes(),
        &[0xff, 0xfe, 0x00],
    ] {
        refused(&sim, M::POST, "/tags", Some(body), 400).await;
    }
    let long_name = format!("{{\"name\": \"{}\"}}", "x".repeat(200));
    refused(&sim, M::POST, "/tags", Some(long_name.as_bytes()), 400).await;
    let huge = vec![b' '; 2 * 1024 * 1024];
    refused(&sim, M::POST, "/tags", Some(&huge), 413).await;
    for body in [
        &br#"{"status": "sleeping"}"#[..],
        br#"{"tag_ids": "tag_1"}"#,
        br#"{"assignee_id": "tea_nobody"}"#,
        br#"{"inbox_id": "inb_nowhere"}"#,
        br#"{"status_id": "sts_1"}"#,
        br#"{"due_at": 1}"#,
        br#"{"custom_fields": {"nested": {"no": 1}}}"#,
        br#"{"custom_fields": []}"#,
    ] {
        refused(&sim, M::PATCH, &conv, Some(body), 400).await;
    }
    refused(&sim, M::DELETE, &format!("{conv}/tags"), None, 400).await;
    refused(&sim, M::POST, "/contacts", Some(br#"{"handles": []}"#), 400).await;
    refused(
        &sim,
        M::POST,
        "/contacts",
        Some(br#"{"handles": [{"handle": "", "source": "email"}]}"#),
        400,
    )
    .await;
    refused(
        &sim,
        M::POST,
        "/contacts/crd_nobody/notes",
        Some(br#"{"author_id": "tea_x", "body": "x"}"#),
        404,
    )
    .await;
    refused(
        &sim,
        M::PATCH,
        "/teammates/tea_nobody",
        Some(br#"{"username": "x"}"#),
        404,
    )
    .await;

    // Still serving, with its data intact.
    assert_eq!(sim.get("/me").await.status, 200);
    assert_eq!(sim.get(&conv).await.status, 200);
}

#[tokio::test]
async fn malformed_http_gets_an_answer_or_a_closed_connection_but_no_crash() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sim = start_unlimited().await;
    for garbage in [
        &b"NOT HTTP AT ALL\r\n\r\n"[..],
        b"GET /me HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"GET /me HTTP/1.1\r\nHost: \x01\r\n\r\n",
        b"\x00\x01\x02\x03",
    ] {
        let mut stream = tokio::net::TcpStream::connect(sim.running.local_addr())
            .await
            .unwrap();
        stream.write_all(garbage).await.unwrap();
        let mut reply = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            stream.read_to_end(&mut reply),
        )
        .await;
    }
    // A request whose Host header is unusable still gets absolute links.
    let mut stream = tokio::net::TcpStream::connect(sim.running.local_addr())
        .await
        .unwrap();
    let request = format!(
        "GET /me HTTP/1.1\r\nHost: bad host\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        sim.token
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(
        reply.contains(&format!("\"self\":\"{}/me\"", sim.running.base_url())),
        "{reply}"
    );
    assert_eq!(sim.get("/me").await.status, 200);
}

#[tokio::test]
async fn a_null_body_is_refused_like_any_body_that_is_not_an_object() {
    let sim = start_unlimited().await;
    let mut writes = vec![(Method::POST, "/accounts".to_owned())];
    for list in [
        "/accounts",
        "/channels",
        "/contacts",
        "/conversations",
        "/tags",
        "/teammates",
    ] {
        let id = sim.first_id(list).await;
        writes.push((Method::PATCH, format!("{list}/{}", encode(&id))));
    }
    let accounts_before = sim.get("/accounts?limit=100").await.ids();
    for (method, path) in &writes {
        let array = sim
            .send(method.clone(), path, Some(&sim.token), Some(b"[]"))
            .await;
        for body in [&b"null"[..], b" null\n"] {
            refused(&sim, method.clone(), path, Some(body), 400).await;
            let answer = sim
                .send(method.clone(), path, Some(&sim.token), Some(body))
                .await;
            // The same refusal as an array body, but for the type named.
            assert_eq!(
                answer.body.to_string().replace("null", "an array"),
                array.body.to_string(),
                "{method} {path}"
            );
        }
    }
    assert_eq!(sim.get("/accounts?limit=100").await.ids(), accounts_before);
}
