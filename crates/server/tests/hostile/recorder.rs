//! The recording stand-in for Front: a proxy in front of the simulator that notes the method and
//! the raw request target of every request, by the bearer token that sent it, before forwarding
//! it. It reads HTTP/1.1 off the socket itself rather than through an HTTP library, so that it
//! records any target the hub sends, however long or odd (hyper refuses targets over 64 KiB
//! before a service could see them).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::wire::Header;

/// Longer request targets are refused with 414 without being forwarded, as Front's edge does.
const MAX_TARGET_BYTES: usize = 16 * 1024;
/// A request head larger than this is not HTTP the hub would send.
const MAX_HEAD_BYTES: usize = 4 * 1024 * 1024;

/// An answer to pass back: status, headers, body.
type Answer = (u16, Vec<Header>, Vec<u8>);

/// One request Front received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// The request target exactly as sent: path and query.
    pub target: String,
}

type Log = Arc<Mutex<HashMap<String, Vec<Seen>>>>;

pub struct Recorder {
    url: String,
    log: Log,
}

impl Recorder {
    /// Listens on a random port; [`Recorder::forward`] starts serving once the simulator (which
    /// needs this URL for its `next` links) runs.
    pub async fn bind() -> (Recorder, TcpListener) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let recorder = Recorder {
            url,
            log: Log::default(),
        };
        (recorder, listener)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Serves `listener`, forwarding every request to `upstream` (the simulator).
    pub fn forward(&self, listener: TcpListener, upstream: String) {
        let log = self.log.clone();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, log.clone(), client.clone(), upstream.clone()));
            }
        });
    }

    /// Takes what the holder of `token` sent so far.
    pub fn take(&self, token: &str) -> Vec<Seen> {
        self.log.lock().unwrap().remove(token).unwrap_or_default()
    }

    /// Takes everything sent with a token other than the `known` ones (or none).
    pub fn take_strays(&self, known: &[String]) -> Vec<Seen> {
        let mut log = self.log.lock().unwrap();
        let strays: Vec<String> = log
            .keys()
            .filter(|token| !known.contains(token))
            .cloned()
            .collect();
        strays
            .iter()
            .flat_map(|token| log.remove(token).unwrap_or_default())
            .collect()
    }
}

/// One request as read off the socket.
struct Incoming {
    method: String,
    target: String,
    headers: Vec<Header>,
    body: Vec<u8>,
    close: bool,
}

/// Answers the requests of one connection in turn (the hub keeps connections alive).
async fn serve(mut stream: TcpStream, log: Log, client: reqwest::Client, upstream: String) {
    let mut buffer = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buffer).await {
        let token = request
            .headers
            .iter()
            .find(|(name, _)| name == "authorization")
            .and_then(|(_, value)| value.strip_prefix(b"Bearer "))
            .map(|token| String::from_utf8_lossy(token).into_owned())
            .unwrap_or_default();
        log.lock().unwrap().entry(token).or_default().push(Seen {
            method: request.method.clone(),
            target: request.target.clone(),
        });
        let (status, headers, body) = relay(&request, &client, &upstream).await;
        let mut head = format!("HTTP/1.1 {status} Answer\r\n").into_bytes();
        for (name, value) in headers {
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(&value);
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        if stream.write_all(&head).await.is_err() || stream.write_all(&body).await.is_err() {
            return;
        }
        if request.close {
            return;
        }
    }
}

/// The next request on the connection, or `None` once it closes (or sends what is not HTTP).
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Incoming> {
    let end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return None;
        }
        let mut chunk = [0u8; 16 * 1024];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head: Vec<u8> = buffer.drain(..end + 4).collect();
    let mut lines = head[..end].split(|&b| b == b'\n');
    let request_line = String::from_utf8_lossy(lines.next()?).trim_end().to_owned();
    let mut parts = request_line.splitn(3, ' ');
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let headers: Vec<Header> = lines
        .filter_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let colon = line.iter().position(|&b| b == b':')?;
            let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
            Some((name, line[colon + 1..].trim_ascii().to_vec()))
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| std::str::from_utf8(value).ok()?.parse().ok())
        .unwrap_or(0);
    while buffer.len() < length {
        let mut chunk = [0u8; 16 * 1024];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body: Vec<u8> = buffer.drain(..length).collect();
    let close = headers
        .iter()
        .any(|(name, value)| name == "connection" && value.eq_ignore_ascii_case(b"close"));
    Some(Incoming {
        method,
        target,
        headers,
        body,
        close,
    })
}

/// The simulator's answer to `request`: status, headers to pass on, body.
async fn relay(request: &Incoming, client: &reqwest::Client, upstream: &str) -> Answer {
    if request.target.len() > MAX_TARGET_BYTES {
        return front_error(414, "URI too long");
    }
    let Ok(method) = reqwest::Method::from_bytes(request.method.as_bytes()) else {
        return front_error(400, "bad method");
    };
    let mut forward = client.request(method, format!("{upstream}{}", request.target));
    for (name, value) in &request.headers {
        if !["host", "content-length", "connection", "transfer-encoding"].contains(&name.as_str()) {
            forward = forward.header(name.as_str(), value.as_slice());
        }
    }
    let answer = match forward.body(request.body.clone()).send().await {
        Ok(answer) => answer,
        Err(_) => return front_error(502, "the simulator failed"),
    };
    let status = answer.status().as_u16();
    let headers = answer
        .headers()
        .iter()
        .filter(|(name, _)| {
            !["content-length", "transfer-encoding", "connection"].contains(&name.as_str())
        })
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    let body = answer.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    (status, headers, body)
}

/// An answer in Front's error shape.
fn front_error(status: u16, message: &str) -> Answer {
    let body =
        serde_json::json!({"_error": {"status": status, "title": message, "message": message}});
    (
        status,
        vec![("content-type".to_owned(), b"application/json".to_vec())],
        body.to_string().into_bytes(),
    )
}
