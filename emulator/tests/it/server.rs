//! The emulator as a server, over real sockets: idle keep-alive connections and slow request
//! heads are cut off, a request in progress is not, the connection cap makes later clients
//! wait, and oversized or stalled bodies get clean Atlas-shaped answers.

use std::time::Duration;

use atlas_emulator::{start, FaultKind, FaultPlan, FaultRule, Options, Running};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::{sleep, timeout, Instant};

use crate::support::{raw_http, raw_token, read_response, V2023};

const CONFIG: &[u8] = b"GET /__emulator/config HTTP/1.1\r\nHost: x\r\n\r\n";

async fn emulator(options: Options) -> Running {
    start(options).await.expect("start")
}

/// Waits until the server closes `stream` (EOF or reset) and returns how long that took;
/// fails if it answers anything or stays open for `patience`.
async fn closed_within(stream: &mut TcpStream, patience: Duration) -> Duration {
    let started = Instant::now();
    let mut byte = [0u8; 1];
    match timeout(patience, stream.read(&mut byte)).await {
        Ok(Ok(0)) | Ok(Err(_)) => started.elapsed(),
        Ok(Ok(_)) => panic!("the server answered instead of closing"),
        Err(_) => panic!("the connection was still open after {patience:?}"),
    }
}

fn post_config(body: &str, extra_headers: &str) -> String {
    format!(
        "POST /__emulator/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{extra_headers}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let idle = Duration::from_millis(400);
    let running = emulator(Options {
        idle_timeout: idle,
        header_read_timeout: Duration::from_secs(5),
        ..Options::default()
    })
    .await;
    let mut stream = TcpStream::connect(running.addr).await.expect("connect");
    stream.write_all(CONFIG).await.expect("write");
    assert_eq!(read_response(&mut stream).await.map(|r| r.0), Some(200));
    sleep(idle / 2).await;
    stream.write_all(CONFIG).await.expect("write");
    assert_eq!(
        read_response(&mut stream).await.map(|r| r.0),
        Some(200),
        "the connection is kept alive while it is used"
    );
    let waited = closed_within(&mut stream, Duration::from_secs(4)).await;
    assert!(
        waited >= idle - Duration::from_millis(50),
        "closed too early: {waited:?}"
    );
    running.shutdown();
}

#[tokio::test]
async fn a_client_sending_its_head_too_slowly_is_cut_off() {
    let header_timeout = Duration::from_millis(400);
    let running = emulator(Options {
        header_read_timeout: header_timeout,
        idle_timeout: Duration::from_secs(30),
        ..Options::default()
    })
    .await;
    let mut stream = TcpStream::connect(running.addr).await.expect("connect");
    stream
        .write_all(b"GET /__emulator/config HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let started = Instant::now();
    let mut byte = [0u8; 1];
    loop {
        assert!(started.elapsed() < Duration::from_secs(5), "never cut off");
        tokio::select! {
            read = stream.read(&mut byte) => {
                assert!(!matches!(read, Ok(n) if n > 0), "the server answered a partial head");
                break;
            }
            () = sleep(Duration::from_millis(100)) => {
                // One more header line every 100 ms: always active, never finished.
                let _ = stream.write_all(b"X-Slow: 1\r\n").await;
            }
        }
    }
    let waited = started.elapsed();
    assert!(waited >= header_timeout - Duration::from_millis(50), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");

    // A connection that never sends anything gets the same deadline.
    let mut silent = TcpStream::connect(running.addr).await.expect("connect");
    let waited = closed_within(&mut silent, Duration::from_secs(4)).await;
    assert!(waited >= header_timeout - Duration::from_millis(50), "{waited:?}");
    running.shutdown();
}

#[tokio::test]
async fn a_request_being_handled_outlives_both_timeouts() {
    let mut rule = FaultRule::new(FaultKind::Delay, 1);
    rule.delay_ms = Some(900);
    rule.path_contains = Some("/api/atlas/v2/orgs".into());
    let running = emulator(Options {
        header_read_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(300),
        faults: FaultPlan {
            latency_ms: 0,
            rules: vec![rule],
        },
        ..Options::default()
    })
    .await;
    let token = raw_token(&running).await;
    let request = format!(
        "GET /api/atlas/v2/orgs HTTP/1.1\r\nHost: x\r\nAccept: {V2023}\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    );
    let started = Instant::now();
    let answer = raw_http(running.addr, &request).await;
    assert_eq!(answer.map(|(status, _, _)| status), Some(200));
    assert!(started.elapsed() >= Duration::from_millis(900));
    running.shutdown();
}

#[tokio::test]
async fn beyond_the_connection_cap_clients_wait_for_a_free_slot() {
    let running = emulator(Options {
        max_connections: 2,
        ..Options::default()
    })
    .await;
    let first = TcpStream::connect(running.addr).await.expect("connect");
    let _second = TcpStream::connect(running.addr).await.expect("connect");
    sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(running.addr).await.expect("the backlog takes it");
    third.write_all(CONFIG).await.expect("write");
    let mut byte = [0u8; 1];
    let early = timeout(Duration::from_millis(500), third.read(&mut byte)).await;
    assert!(early.is_err(), "served while two connections were open: {early:?}");
    drop(first);
    assert_eq!(
        read_response(&mut third).await.map(|r| r.0),
        Some(200),
        "served once a slot is free"
    );
    running.shutdown();
}

#[tokio::test]
async fn an_oversized_body_gets_a_clean_413_and_a_body_under_the_limit_is_read() {
    let running = emulator(Options {
        max_body_bytes: 1024,
        ..Options::default()
    })
    .await;
    let padded = |size: usize| {
        let body = r#"{"token_ttl_secs": 60}"#;
        format!("{body}{}", " ".repeat(size - body.len()))
    };
    let (status, _, answer) = raw_http(running.addr, &post_config(&padded(1024), ""))
        .await
        .expect("an answer");
    assert_eq!(status, 200, "{answer}");

    let (status, head, answer) = raw_http(running.addr, &post_config(&padded(1025), ""))
        .await
        .expect("an answer, not a cut connection");
    assert_eq!(status, 413, "{answer}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let error: Value = serde_json::from_str(&answer).expect("a JSON error body");
    assert_eq!(error["error"], 413);
    assert_eq!(error["errorCode"], "PAYLOAD_TOO_LARGE");
    assert_eq!(error["reason"], "Payload Too Large");
    assert_eq!(error["parameters"], serde_json::json!([1024]));
    assert!(error["detail"].as_str().unwrap_or_default().contains("1024 bytes"));

    // With Expect: 100-continue the refusal comes before the body is sent.
    let mut stream = TcpStream::connect(running.addr).await.expect("connect");
    let head = "POST /__emulator/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                Expect: 100-continue\r\nContent-Length: 100000\r\n\r\n";
    stream.write_all(head.as_bytes()).await.expect("write");
    assert_eq!(read_response(&mut stream).await.map(|r| r.0), Some(413));
    running.shutdown();
}

#[tokio::test]
async fn a_stalled_body_gets_408_after_the_read_timeout() {
    let running = emulator(Options {
        header_read_timeout: Duration::from_millis(300),
        ..Options::default()
    })
    .await;
    let request = "POST /__emulator/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                   Content-Length: 50\r\n\r\n{\"token_ttl";
    let started = Instant::now();
    let (status, _, answer) = raw_http(running.addr, request).await.expect("an answer");
    assert_eq!(status, 408, "{answer}");
    assert!(answer.contains("REQUEST_TIMEOUT"), "{answer}");
    assert!(started.elapsed() >= Duration::from_millis(250));
    running.shutdown();
}

#[tokio::test]
async fn invalid_server_limits_are_refused_at_start() {
    for options in [
        Options {
            idle_timeout: Duration::ZERO,
            ..Options::default()
        },
        Options {
            header_read_timeout: Duration::ZERO,
            ..Options::default()
        },
        Options {
            max_connections: 0,
            ..Options::default()
        },
        Options {
            max_body_bytes: 0,
            ..Options::default()
        },
    ] {
        assert!(start(options).await.is_err());
    }
}
