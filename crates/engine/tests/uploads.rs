//! Files in an action's input (`"type": "file"`) go to Front as `multipart/form-data`: the other
//! body fields as form fields in Front's bracket notation, each file as a part of its own with
//! its name and media type; without files the body stays JSON. A dry run shows the form without
//! the files' bytes, and validation refuses a file that is not base64. The action is Front's
//! reply, given an `attachments` field here (a catalogue loaded with that one change).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use actionhub_catalog::{Action, BUILTIN, Catalog, ConnectorSource, ParamStyle, SourceFile};
use actionhub_engine::request::{Body, PartValue, build};
use actionhub_engine::{Call, FrontClient, SecretString, Stats};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const MESSAGES_FILE: &str = "connectors/front/actions/messages.json";
const REPLY: &str = "front_reply_to_conversation";
const BASE: &str = "https://api2.frontapp.com";

/// The reply action, with an `attachments` list of files.
fn reply() -> &'static Action {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    let catalog = CATALOG.get_or_init(|| {
        let builtin = &BUILTIN[0];
        let file = builtin
            .actions
            .iter()
            .find(|f| f.path == MESSAGES_FILE)
            .unwrap();
        let mut actions: Value = serde_json::from_str(file.text).unwrap();
        let reply = actions
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|a| a["id"] == REPLY)
            .unwrap();
        reply["inputs"]["body"]["attachments"] = json!({
            "type": "array",
            "description": "Files to attach.",
            "max_items": 10,
            "items": {"type": "file", "description": "One file."}
        });
        let text = actions.to_string();
        let files: Vec<SourceFile<'_>> = builtin
            .actions
            .iter()
            .map(|f| {
                if f.path == MESSAGES_FILE {
                    SourceFile {
                        path: MESSAGES_FILE,
                        text: &text,
                    }
                } else {
                    *f
                }
            })
            .collect();
        Catalog::load(&[ConnectorSource {
            connector: builtin.connector,
            actions: &files,
        }])
        .unwrap()
    });
    catalog.action(REPLY).unwrap()
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00--not-a-boundary\r\n";

fn input_with_files() -> Value {
    use base64::Engine as _;
    let base64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    json!({
        "path": {"conversation_id": "cnv_1"},
        "body": {
            "body": "See \"attached\"",
            "to": ["a@example.com", "b@example.com"],
            "options": {"archive": false},
            "attachments": [
                {"filename": "logo.png", "content_type": "image/png", "content_base64": base64(PNG)},
                {"filename": "notes \"v2\".txt", "content_base64": base64(b"plain")}
            ]
        }
    })
}

fn validated(input: &Value) -> Value {
    reply()
        .validate_input(ParamStyle::Nested, input)
        .unwrap_or_else(|invalid| panic!("{invalid:?}"))
}

#[test]
fn files_make_a_form_named_in_bracket_notation() {
    let request = build(BASE, reply(), &validated(&input_with_files())).unwrap();
    let Some(Body::Form(parts)) = &request.body else {
        panic!("not a form: {:?}", request.body);
    };
    let names: Vec<&str> = parts.iter().map(|part| part.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "body",
            "to[0]",
            "to[1]",
            "options[archive]",
            "attachments[0]",
            "attachments[1]"
        ]
    );
    assert_eq!(
        parts[3].value,
        PartValue::Text("false".to_owned()),
        "scalars as their JSON text"
    );
    let PartValue::File(second) = &parts[5].value else {
        panic!("not a file: {:?}", parts[5]);
    };
    assert_eq!(
        (second.content_type.as_str(), second.bytes.as_slice()),
        ("application/octet-stream", b"plain".as_slice())
    );

    // Without files, the same body is JSON.
    let mut input = input_with_files();
    input["body"].as_object_mut().unwrap().remove("attachments");
    let request = build(BASE, reply(), &validated(&input)).unwrap();
    assert!(
        matches!(&request.body, Some(Body::Json(body)) if body["to"][1] == "b@example.com"),
        "{:?}",
        request.body
    );
}

#[test]
fn a_dry_run_shows_the_form_without_the_bytes() {
    let client = FrontClient::new(Some(BASE)).unwrap();
    let shown = client
        .dry_run(reply(), "acc_uploads", &validated(&input_with_files()))
        .unwrap();
    let content_type = shown.headers["content-type"].as_str().unwrap();
    assert!(
        content_type.starts_with("multipart/form-data; boundary=actionhub-"),
        "{content_type}"
    );
    let body = shown.body.unwrap();
    assert_eq!(body["to[1]"], "b@example.com");
    assert_eq!(
        body["attachments[0]"],
        json!({"filename": "logo.png", "content_type": "image/png", "size": PNG.len()})
    );
    assert!(!body.to_string().contains("content_base64"), "{body}");
}

#[test]
fn a_file_that_is_not_base64_is_refused_where_it_is() {
    let mut input = input_with_files();
    input["body"]["attachments"][1]["content_base64"] = json!("not base64!");
    let invalid = reply()
        .validate_input(ParamStyle::Nested, &input)
        .unwrap_err();
    assert_eq!(invalid.violations.len(), 1, "{invalid:?}");
    assert_eq!(invalid.violations[0].pointer, "/body/attachments/1");
    assert!(
        invalid.violations[0].reason.contains("not base64"),
        "{invalid:?}"
    );
    // The schema bounds each file's size.
    let schema = reply().input_schema(ParamStyle::Nested);
    let content = &schema["properties"]["body"]["properties"]["attachments"]["items"]["properties"]
        ["content_base64"];
    assert!(content["maxLength"].as_u64().unwrap() > 0, "{schema}");
}

/// A stand-in Front that keeps the one request it receives (head and body) and answers 201.
async fn capturing_front() -> (String, Arc<Mutex<Option<(String, Vec<u8>)>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let captured = Arc::new(Mutex::new(None));
    let keep = captured.clone();
    tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let mut received = Vec::new();
        let mut buffer = [0u8; 8192];
        let (head, length) = loop {
            if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&received[..end + 4]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .and_then(|value| value.trim().parse().ok())
                    .unwrap_or(0);
                received.drain(..end + 4);
                break (head, length);
            }
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        };
        while received.len() < length {
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
        *keep.lock().unwrap() = Some((head, received));
        let body = br#"{"id":"msg_1"}"#;
        let answer = format!(
            "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let _ = socket.write_all(answer.as_bytes()).await;
        let _ = socket.write_all(body).await;
    });
    (base, captured)
}

#[tokio::test]
async fn the_form_is_sent_as_multipart_with_each_file_whole() {
    let (base, captured) = capturing_front().await;
    let client = FrontClient::new(Some(&base)).unwrap();
    let input = validated(&input_with_files());
    let token = SecretString::from("token");
    let call = Call {
        action: reply(),
        input: &input,
        token: &token,
        account_id: "acc_uploads",
        company_id: "cmp_uploads",
        idempotency_key: false,
        deadline: Instant::now() + Duration::from_secs(20),
    };
    let reply = client.execute(&call, &mut Stats::default()).await.unwrap();
    assert_eq!(reply.status, 201);

    let (head, body) = captured.lock().unwrap().take().unwrap();
    let boundary = head
        .lines()
        .find_map(|line| line.strip_prefix("content-type: multipart/form-data; boundary="))
        .unwrap_or_else(|| panic!("not multipart: {head}"))
        .trim()
        .to_owned();
    let mut expected = Vec::new();
    let text_part = |name: &str, value: &str| {
        format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
    };
    expected.extend_from_slice(text_part("body", "See \"attached\"").as_bytes());
    expected.extend_from_slice(text_part("to[0]", "a@example.com").as_bytes());
    expected.extend_from_slice(text_part("to[1]", "b@example.com").as_bytes());
    expected.extend_from_slice(text_part("options[archive]", "false").as_bytes());
    expected.extend_from_slice(
        format!("--{boundary}\r\ncontent-disposition: form-data; name=\"attachments[0]\"; filename=\"logo.png\"\r\ncontent-type: image/png\r\n\r\n").as_bytes(),
    );
    expected.extend_from_slice(PNG);
    expected.extend_from_slice(
        format!("\r\n--{boundary}\r\ncontent-disposition: form-data; name=\"attachments[1]\"; filename=\"notes %22v2%22.txt\"\r\ncontent-type: application/octet-stream\r\n\r\nplain\r\n--{boundary}--\r\n").as_bytes(),
    );
    assert_eq!(
        String::from_utf8_lossy(&body),
        String::from_utf8_lossy(&expected)
    );
}
