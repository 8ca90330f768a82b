//! A scripted HTTP/1.1 server for tests that need exact control of each answer: it answers
//! each request with the next canned [`Reply`] and records what it saw ([`Seen`]).
//!
//! Every reply closes the connection, so each request is one connection and one entry in
//! [`Server::seen`]. When the script runs out it answers `599 script exhausted`, which no client
//! treats as success. Use the emulator instead when a test needs Atlas's behaviour rather
//! than a fixed sequence of answers.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One received request, as it arrived on the wire.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The method, such as `GET`.
    pub method: String,
    /// The request target: path and query, such as `/api/atlas/v2/orgs?pageNum=2`.
    pub target: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The `Accept` header, if any.
    pub accept: Option<String>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
    /// The body (`Content-Length` bytes), lossily decoded as UTF-8.
    pub body: String,
}

/// What to do with a request.
pub enum Reply {
    /// Send this raw response.
    Raw(String),
    /// Close the connection without answering.
    Close,
    /// Never answer.
    Hang,
    /// Send this raw response after a (Tokio) delay.
    Delayed(std::time::Duration, String),
}

/// A complete response with `status`, a JSON content type, the extra `headers` and `body`.
pub fn json(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
    raw(status, "application/json", headers, body)
}

/// A complete response with `status`, `content_type`, the extra `headers` and `body`.
pub fn raw(status: u16, content_type: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut text = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    Reply::Raw(text)
}

/// A running server; it stops with the test's runtime.
pub struct Server {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// The requests received so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|seen| seen.clone()).unwrap_or_default()
    }
}

/// Listens on `127.0.0.1:0` and answers the requests with `replies` in turn.
pub async fn start(replies: Vec<Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let addr = listener.local_addr().unwrap_or_else(|err| panic!("{err}"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let replies = Arc::new(Mutex::new(VecDeque::from(replies)));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let record = record.clone();
            let replies = replies.clone();
            tokio::spawn(async move {
                let Some(request) = read_request(&mut socket).await else {
                    return;
                };
                if let Ok(mut seen) = record.lock() {
                    seen.push(request);
                }
                let reply = replies.lock().ok().and_then(|mut replies| replies.pop_front());
                match reply {
                    Some(Reply::Raw(text)) => {
                        let _ = socket.write_all(text.as_bytes()).await;
                        let _ = socket.shutdown().await;
                    }
                    Some(Reply::Close) => drop(socket),
                    Some(Reply::Hang) => {
                        std::future::pending::<()>().await;
                    }
                    Some(Reply::Delayed(delay, text)) => {
                        tokio::time::sleep(delay).await;
                        let _ = socket.write_all(text.as_bytes()).await;
                        let _ = socket.shutdown().await;
                    }
                    None => {
                        let body = "script exhausted";
                        let text = format!(
                            "HTTP/1.1 599 X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = socket.write_all(text.as_bytes()).await;
                    }
                }
            });
        }
    });
    Server {
        base_url: format!("http://{addr}"),
        seen,
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(position) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break position + 4;
        }
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let mut headers = Vec::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while buffer.len() < header_end + length {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body_end = (header_end + length).min(buffer.len());
    Some(Seen {
        method,
        target,
        authorization: header("authorization"),
        accept: header("accept"),
        content_type: header("content-type"),
        user_agent: header("user-agent"),
        body: String::from_utf8_lossy(&buffer[header_end..body_end]).to_string(),
    })
}
