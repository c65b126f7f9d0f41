//! A minimal HTTP/1.1 client on a raw socket, so that the corpus controls every byte it sends
//! (dot segments and invalid UTF-8 in the request target, huge or malformed headers) and sees
//! every byte of the answer, including a reset where a client library would retry or hide it.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A header as sent: a name and whatever bytes the corpus wants as its value.
pub type Header = (String, Vec<u8>);

/// A request exactly as it goes on the wire (`Connection: close` and `Content-Length` are added).
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    /// The request target as bytes: whatever the corpus wants, valid or not.
    pub target: Vec<u8>,
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
}

impl RawRequest {
    pub fn new(method: &str, target: Vec<u8>, headers: Vec<Header>, body: Vec<u8>) -> RawRequest {
        RawRequest {
            method: method.to_owned(),
            target,
            headers,
            body,
        }
    }
}

#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    /// Names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How a request failed to get an answer.
#[derive(Debug)]
pub enum WireError {
    Connection(String),
    Timeout,
    Malformed(String),
}

pub async fn send(
    addr: &str,
    request: &RawRequest,
    timeout: Duration,
) -> Result<RawResponse, WireError> {
    match tokio::time::timeout(timeout, exchange(addr, request)).await {
        Ok(result) => result,
        Err(_) => Err(WireError::Timeout),
    }
}

async fn exchange(addr: &str, request: &RawRequest) -> Result<RawResponse, WireError> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| WireError::Connection(format!("connect: {e}")))?;
    let (mut reader, mut writer) = stream.into_split();
    let mut head = Vec::with_capacity(256 + request.target.len());
    head.extend_from_slice(request.method.as_bytes());
    head.push(b' ');
    head.extend_from_slice(&request.target);
    head.extend_from_slice(b" HTTP/1.1\r\nhost: hub.test\r\nconnection: close\r\n");
    for (name, value) in &request.headers {
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    if !request.body.is_empty() || ["POST", "PATCH", "PUT"].contains(&request.method.as_str()) {
        head.extend_from_slice(format!("content-length: {}\r\n", request.body.len()).as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    let body = request.body.clone();
    // Written beside the read: a server may answer (413) before it has read everything, and
    // the answer is what counts.
    let writing = tokio::spawn(async move {
        writer.write_all(&head).await?;
        writer.write_all(&body).await?;
        writer.flush().await?;
        // Keep the write half open: shutting it down would tell the server we left.
        Ok::<_, std::io::Error>(writer)
    });
    let mut received = Vec::new();
    let read = reader.read_to_end(&mut received).await;
    let written = writing.await.expect("the writer task");
    drop(written);
    if let Err(error) = read
        && received.is_empty()
    {
        return Err(WireError::Connection(format!("read: {error}")));
    }
    if received.is_empty() {
        return Err(WireError::Connection(
            "the connection closed without an answer".to_owned(),
        ));
    }
    parse(&received)
}

fn parse(received: &[u8]) -> Result<RawResponse, WireError> {
    let end = received
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| WireError::Malformed("no end of headers".to_owned()))?;
    let head = String::from_utf8_lossy(&received[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| WireError::Malformed(format!("status line {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let rest = &received[end + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| WireError::Malformed("truncated chunk size".to_owned()))?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| WireError::Malformed(format!("chunk size {size_text:?}")))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if rest.len() < size {
            return Err(WireError::Malformed("truncated chunk".to_owned()));
        }
        body.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
}
