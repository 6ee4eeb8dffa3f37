//! Hostile input at the transport (issue 12 §2): slow and idle clients are cut off,
//! connections are capped per address, `/graphql/ws` has the limits HTTP has, lists
//! without pages count in the complexity estimate and by their real length, queries must
//! be JSON, every response carries the security headers, GraphiQL loads nothing from
//! another site, `/metrics` can be kept off the public port, a malformed award cursor
//! is refused, and operations near the complexity cap take turns while cheap ones do not
//! wait. Each refusal is a clear error and writes nothing (the log's head is
//! unchanged).

mod common;

use std::time::{Duration, Instant};

use common::*;
use fundledger_tests::{mutate, spawn_app_with_args, Store, TestApp};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// The header and body timeouts the transport tests start the server with.
const SHORT_TIMEOUT_MS: u64 = 1_500;
/// Slack for a timeout to fire and the close to reach the client on a busy machine.
const CLOSE_SLACK_MS: u64 = 2_500;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .expect("a TCP connection to the server")
}

/// Reads until the server closes the connection (or resets it), within `limit`; returns
/// what it sent.
async fn read_until_closed(reader: &mut (impl AsyncReadExt + Unpin), limit: Duration) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    tokio::time::timeout(limit, async {
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => received.extend_from_slice(&buffer[..read]),
            }
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "the server kept the connection open for {limit:?}; it sent {:?}",
            String::from_utf8_lossy(&received)
        )
    });
    String::from_utf8_lossy(&received).into_owned()
}

/// Writes `bytes` one at a time, `every` apart, until done or the server hangs up.
fn trickle(
    mut writer: tokio::net::tcp::OwnedWriteHalf,
    bytes: Vec<u8>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for byte in bytes {
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(every).await;
        }
    })
}

fn assert_closed_in_time(started: Instant, what: &str) {
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(SHORT_TIMEOUT_MS / 2),
        "{what}: closed after {elapsed:?}, before the timeout could fire"
    );
    assert!(
        elapsed <= Duration::from_millis(SHORT_TIMEOUT_MS + CLOSE_SLACK_MS),
        "{what}: closed only after {elapsed:?}"
    );
}

async fn slow_and_idle_clients_are_cut_off(store: Store) {
    let timeout = SHORT_TIMEOUT_MS.to_string();
    let app = spawn_app_with_args(
        PROGRAM,
        store,
        &[
            "--header-timeout-ms",
            &timeout,
            "--body-timeout-ms",
            &timeout,
        ],
    )
    .await;
    let head = app.head().await;
    let limit = Duration::from_millis(SHORT_TIMEOUT_MS + CLOSE_SLACK_MS);

    // Headers a byte every 200 ms: never finished, so cut off at the header timeout.
    let (mut reader, writer) = connect(&app).await.into_split();
    let started = Instant::now();
    let slow_headers = trickle(
        writer,
        format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: {}",
            "a".repeat(200)
        )
        .into_bytes(),
        Duration::from_millis(200),
    );
    read_until_closed(&mut reader, limit).await;
    assert_closed_in_time(started, "headers sent a byte at a time");
    slow_headers.abort();

    // Nothing sent at all.
    let mut silent = connect(&app).await;
    let started = Instant::now();
    read_until_closed(&mut silent, limit).await;
    assert_closed_in_time(started, "a connection that says nothing");

    // Kept alive after an answer, then idle.
    let mut idle = connect(&app).await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("request");
    let mut first = [0u8; 512];
    let read = idle.read(&mut first).await.expect("an answer");
    assert!(
        String::from_utf8_lossy(&first[..read]).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&first[..read])
    );
    let started = Instant::now();
    read_until_closed(&mut idle, limit).await;
    assert_closed_in_time(started, "an idle kept-alive connection");

    // A whole mutation's headers, then its body a byte every 200 ms: 408, then closed.
    let body = json!({ "query": "mutation { establishFund(input: {name: \"Slow\", funderOrgId: \"GB-CHC-1\", funderName: \"S\"}) { position } }" }).to_string();
    let (mut reader, mut writer) = connect(&app).await.into_split();
    writer
        .write_all(
            format!(
                "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                 Authorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
                app.admin(),
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("headers");
    let started = Instant::now();
    let slow_body = trickle(writer, body.into_bytes(), Duration::from_millis(200));
    let answer = read_until_closed(&mut reader, limit).await;
    assert_closed_in_time(started, "a body sent a byte at a time");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within"), "{answer}");
    slow_body.abort();

    assert_eq!(app.head().await, head, "nothing was written");
    // The server still answers everyone else.
    assert_eq!(app.get("/healthz").await.0, 200);
}

async fn connections_past_the_per_address_cap_are_closed(store: Store) {
    let app = spawn_app_with_args(
        PROGRAM,
        store,
        &[
            "--max-connections-per-address",
            "3",
            "--header-timeout-ms",
            "10000",
        ],
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect(&app).await);
    }
    // The kernel completes the handshake; the server closes it at once.
    let mut refused = connect(&app).await;
    let _ = refused
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let answer = read_until_closed(&mut refused, Duration::from_secs(3)).await;
    assert!(answer.is_empty(), "a 4th connection was served: {answer}");
    // One closed: a place is free again.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut next = connect(&app).await;
    next.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("request");
    let answer = read_until_closed(&mut next, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

fn ws_request(app: &TestApp) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let url = format!("{}/graphql/ws", app.base.replacen("http", "ws", 1));
    let mut request = url.into_client_request().expect("ws request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    request
}

async fn open_socket(app: &TestApp) -> Socket {
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_request(app))
        .await
        .expect("ws connect");
    socket
        .send(Message::text(
            json!({ "type": "connection_init" }).to_string(),
        ))
        .await
        .expect("init");
    assert_eq!(next_message(&mut socket).await["type"], "connection_ack");
    socket
}

/// The next protocol message other than ping/pong; a close frame as
/// `{"type": "close", "code": …, "reason": …}`.
async fn next_message(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message in time");
        match message {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(text.as_str()).expect("json");
                if value["type"] != "ping" && value["type"] != "pong" {
                    return value;
                }
            }
            Some(Ok(Message::Close(frame))) => {
                return json!({
                    "type": "close",
                    "code": frame.as_ref().map(|frame| u16::from(frame.code)),
                    "reason": frame.as_ref().map(|frame| frame.reason.as_str().to_string()),
                })
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return json!({ "type": "error", "error": error.to_string() }),
            None => return json!({ "type": "end" }),
        }
    }
}

async fn subscribe(socket: &mut Socket, id: &str, query: &str) {
    socket
        .send(Message::text(
            json!({ "id": id, "type": "subscribe", "payload": { "query": query } }).to_string(),
        ))
        .await
        .expect("subscribe");
}

/// The next message for operation `id` (others are skipped).
async fn message_for(socket: &mut Socket, id: &str) -> Value {
    loop {
        let message = next_message(socket).await;
        if message["id"] == id || message.get("id").is_none() {
            return message;
        }
    }
}

const FEED: &str = "subscription { feed { __typename } }";

/// 560 aliases of funds → rounds → applications: 36 KB, 7 MB of answer in issue 12.
fn aliased_lists_query() -> String {
    let aliases: String = (0..560)
        .map(|index| {
            format!("a{index}: funds {{ id rounds {{ id applications {{ id title amountRequested }} }} }} ")
        })
        .collect();
    format!("{{ {aliases} }}")
}

async fn the_websocket_has_the_limits_http_has(store: Store) {
    let app = spawn_app_with_args(PROGRAM, store, &["--max-ws-connections-per-address", "2"]).await;
    let (_, round) = fund_and_round(&app).await;
    submit(&app, ORG, &round, "Socket test", "3000.00").await;
    let head = app.head().await;

    // A message over 64 KiB: closed with 1009 "message too big", not run.
    let mut socket = open_socket(&app).await;
    let padded = format!("{{ ledger {{ position }} }}{}", " ".repeat(100 * 1024));
    subscribe(&mut socket, "big", &padded).await;
    let closed = next_message(&mut socket).await;
    assert_eq!(closed["type"], "close", "{closed}");
    assert_eq!(closed["code"], 1009, "{closed}");
    drop(socket);

    // The complexity cap, as over HTTP.
    let mut socket = open_socket(&app).await;
    let started = Instant::now();
    subscribe(&mut socket, "wide", &aliased_lists_query()).await;
    let answer = message_for(&mut socket, "wide").await;
    assert_eq!(answer["type"], "next", "{answer}");
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"], "BAD_INPUT",
        "{answer}"
    );
    let message = answer["payload"]["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("complex"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // At most 20 operations at once on one socket; a place frees when one completes.
    for id in 0..20 {
        subscribe(&mut socket, &format!("s{id}"), FEED).await;
    }
    subscribe(&mut socket, "q1", "{ ledger { position } }").await;
    let refused = message_for(&mut socket, "q1").await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "BAD_INPUT",
        "{refused}"
    );
    let message = refused["payload"]["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("20 operations"), "{message}");
    socket
        .send(Message::text(
            json!({ "id": "s0", "type": "complete" }).to_string(),
        ))
        .await
        .expect("complete");
    tokio::time::sleep(Duration::from_millis(200)).await;
    subscribe(&mut socket, "q2", "{ ledger { position } }").await;
    let answered = message_for(&mut socket, "q2").await;
    assert!(
        answered["payload"]["data"]["ledger"]["position"].is_i64(),
        "{answered}"
    );

    // Two sockets per address (as started): a third is refused with 429.
    let _second = open_socket(&app).await;
    match tokio_tungstenite::connect_async(ws_request(&app)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 429);
        }
        Err(other) => panic!("a third socket failed otherwise: {other}"),
        Ok(_) => panic!("a third socket from one address was accepted"),
    }
    assert_eq!(app.head().await, head, "nothing was written");
}

async fn unpaged_lists_count_in_the_complexity_cap(store: Store) {
    let app = spawn(store).await;
    let (_, round) = fund_and_round(&app).await;
    submit(&app, ORG, &round, "Lists test", "3000.00").await;
    let head = app.head().await;
    // Refused before running, quickly.
    let started = Instant::now();
    let reply = app
        .gql(None, &aliased_lists_query(), json!({}))
        .await
        .expect_code("BAD_INPUT");
    assert!(reply.message().contains("complex"), "{}", reply.message());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // A real query over the same lists still runs.
    let reply = app
        .gql_now(
            None,
            "{ funds { id name rounds { id name applications { id title } } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(reply.data()["funds"].as_array().map(Vec::len), Some(1));
    assert_eq!(app.head().await, head, "nothing was written");
}

async fn lists_longer_than_estimated_are_held_to_the_resolve_budget(store: Store) {
    let app = spawn(store).await;
    // 60 funds: the estimate counts each `funds { id }` as 2, so 800 aliases of it pass the
    // complexity cap (1,600), but they would resolve 800 × (1 + 60 × 2) = 96,800 values.
    for index in 0..60 {
        mutate(
            &app,
            &app.admin(),
            "establishFund",
            json!({ "name": format!("Fund {index}"), "funderOrgId": "GB-CHC-0000001", "funderName": "Funder" }),
            "",
        )
        .await;
    }
    let head = app.head().await;
    let aliases: String = (0..800)
        .map(|index| format!("f{index}: funds {{ id }} "))
        .collect();
    let started = Instant::now();
    let reply = app
        .gql_now(None, &format!("{{ {aliases} }}"), json!({}))
        .await
        .expect_code("BAD_INPUT");
    assert!(
        reply.message().contains("50000 values"),
        "{}",
        reply.message()
    );
    assert_eq!(
        reply.body["errors"].as_array().map(Vec::len),
        Some(1),
        "one clear error, not one per field"
    );
    assert!(reply.body["data"].is_null(), "{}", reply.body["data"]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // The same list, asked for once, is answered whole.
    let reply = app.gql(None, "{ funds { id } }", json!({})).await.ok();
    assert_eq!(reply.data()["funds"].as_array().map(Vec::len), Some(60));
    assert_eq!(app.head().await, head, "nothing was written");
}

async fn post(
    app: &TestApp,
    content_type: Option<&str>,
    token: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let mut request = app.client.post(app.graphql_url()).body(body.to_string());
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("POST /graphql");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text })),
    )
}

async fn queries_must_be_json(store: Store) {
    let app = spawn(store).await;
    let head = app.head().await;
    let mutation = json!({ "query": "mutation { establishFund(input: {name: \"CSRF\", funderOrgId: \"GB-CHC-1\", funderName: \"F\"}) { position } }" }).to_string();
    let admin = app.admin();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/graphql"),
        None,
    ] {
        let (status, body) = post(&app, content_type, Some(&admin), &mutation).await;
        assert_eq!(status, 415, "{content_type:?}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_INPUT",
            "{body}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("application/json"), "{message}");
    }
    assert_eq!(app.head().await, head, "nothing was written");
    let query = json!({ "query": "{ ledger { position } }" }).to_string();
    let (status, body) = post(&app, Some("application/json; charset=utf-8"), None, &query).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["ledger"]["position"].is_i64(), "{body}");
}

/// `src="…"` and `<link … href="…">` values in `html`.
fn loaded_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for (marker, only_in_link) in [("src=\"", false), ("href=\"", true)] {
        let mut rest = html;
        while let Some(at) = rest.find(marker) {
            let before = &rest[..at];
            let tag_start = before.rfind('<').map_or("", |start| &before[start..]);
            rest = &rest[at + marker.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            if !only_in_link || tag_start.starts_with("<link") {
                urls.push(rest[..end].to_string());
            }
        }
    }
    urls
}

async fn pages_carry_security_headers_and_load_nothing_from_elsewhere(store: Store) {
    let app = spawn(store).await;
    establish_fund(&app).await;
    for path in [
        "/",
        "/graphql",
        "/healthz",
        "/readyz",
        "/assets/graphiql/graphiql.min.js",
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .expect("GET");
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(headers.contains_key("referrer-policy"), "{path}");
        let policy = headers["content-security-policy"].to_str().expect("text");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
    }
    let (status, body) = post(
        &app,
        Some("application/json"),
        None,
        "{\"query\": \"{ ledger { position } }\"}",
    )
    .await;
    assert_eq!(status, 200, "{body}");

    for path in ["/", "/graphql"] {
        let (status, html) = app.get(path).await;
        assert_eq!(status, 200, "{path}");
        let urls = loaded_urls(&html);
        if path == "/graphql" {
            assert!(urls.len() >= 5, "GraphiQL's scripts and styles: {urls:?}");
        }
        for url in urls {
            assert!(
                url.starts_with('/') && !url.starts_with("//"),
                "{path} loads {url} from another site"
            );
            let (status, asset) = app.get(&url).await;
            assert_eq!(status, 200, "{url}");
            assert!(!asset.is_empty(), "{url}");
        }
    }
    let response = app
        .client
        .get(format!("{}/graphql", app.base))
        .send()
        .await
        .expect("GET");
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .expect("text")
        .to_string();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(!policy.contains("http"), "{policy}");
}

async fn metrics_can_be_kept_off_the_public_port(store: Store) {
    // Today's behaviour by default: on the public port.
    let app = spawn(store).await;
    assert_eq!(app.get("/metrics").await.0, 200);
    drop(app);
    let port = {
        let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        free.local_addr().expect("address").port()
    };
    let metrics_listen = format!("127.0.0.1:{port}");
    let app = spawn_app_with_args(PROGRAM, store, &["--metrics-listen", &metrics_listen]).await;
    let (status, _) = app.get("/metrics").await;
    assert_eq!(status, 404, "the public port no longer serves /metrics");
    let response = app
        .client
        .get(format!("http://{metrics_listen}/metrics"))
        .send()
        .await
        .expect("GET metrics");
    assert_eq!(response.status().as_u16(), 200);
    let text = response.text().await.expect("text");
    assert!(text.contains("# TYPE"), "{text}");
    assert_eq!(app.get("/healthz").await.0, 200);
}

async fn a_malformed_award_cursor_is_bad_input(store: Store) {
    let app = spawn(store).await;
    let world = world(&app).await;
    let head = app.head().await;
    let page = "query($after: String) { awards(first: 1, after: $after) { edges { node { id } } pageInfo { endCursor } } }";
    let long = "x".repeat(300);
    for cursor in ["garbage", "", "AW-does-not-exist", long.as_str()] {
        let reply = app
            .gql_now(None, page, json!({ "after": cursor }))
            .await
            .expect_code("BAD_INPUT");
        assert!(reply.message().contains("endCursor"), "{}", reply.message());
    }
    // A real cursor pages on.
    let first = app.gql_now(None, page, json!({ "after": null })).await.ok();
    let cursor = s(&first.data()["awards"]["pageInfo"]["endCursor"]);
    assert_eq!(cursor, world.award);
    let next = app.gql(None, page, json!({ "after": cursor })).await.ok();
    assert_eq!(next.data()["awards"]["edges"], json!([]));
    assert_eq!(app.head().await, head, "nothing was written");
}

/// `aliases` aliases of funds → rounds → applications, each alias named after `tag` so
/// that no two requests share a body (the public cache would answer a repeat).
fn heavy_query(tag: &str, aliases: usize) -> String {
    let fields: String = (0..aliases)
        .map(|index| {
            format!("{tag}{index}: funds {{ id rounds {{ id applications {{ id title amountRequested }} }} }} ")
        })
        .collect();
    format!("{{ {fields} }}")
}

async fn heavy_operations_take_turns_and_cheap_ones_do_not_wait(store: Store) {
    // One permit and no wait: a heavy operation that finds the permit taken is refused at
    // once, so overlapping heavy operations show as TIMEOUT answers (with the default
    // 2 s wait they would queue instead).
    let app = spawn_app_with_args(
        PROGRAM,
        store,
        &["--max-heavy-operations", "1", "--heavy-wait-ms", "0"],
    )
    .await;
    let (_, round) = fund_and_round(&app).await;
    for index in 0..10 {
        submit(&app, ORG, &round, &format!("Heavy {index}"), "3000.00").await;
    }
    let head = app.head().await;
    // 100 aliases: under the complexity cap of 5,000, far over the heavy mark of 500.
    let heavy: Vec<String> = (0..8)
        .map(|n| heavy_query(&format!("h{n}_"), 100))
        .collect();
    let cheap = "{ ledger { position } }";
    let heavy_replies = futures::future::join_all(
        heavy
            .iter()
            .map(|query| app.gql_now(None, query, json!({}))),
    );
    let cheap_replies = async {
        // Cheap queries asked while the heavy ones run are answered, never refused.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut replies = Vec::new();
        for _ in 0..3 {
            replies.push(app.gql_now(None, cheap, json!({})).await);
        }
        replies
    };
    let (heavy_replies, cheap_replies) = tokio::join!(heavy_replies, cheap_replies);
    for reply in cheap_replies {
        assert!(reply.ok().data()["ledger"]["position"].is_i64());
    }
    let refused: Vec<_> = heavy_replies
        .iter()
        .filter(|reply| reply.code() == Some("TIMEOUT"))
        .collect();
    let answered = heavy_replies
        .iter()
        .filter(|reply| reply.body.get("errors").is_none())
        .count();
    assert_eq!(
        answered + refused.len(),
        8,
        "every heavy answer is data or TIMEOUT"
    );
    assert!(answered >= 1, "the first heavy operation runs");
    assert!(
        !refused.is_empty(),
        "8 heavy operations at once with 1 permit and no wait: some are refused"
    );
    let message = refused[0].message();
    assert!(
        message.contains("busy") && message.contains("1 heavy operations"),
        "{message}"
    );
    // The permit is given back: a heavy operation alone runs.
    let reply = app
        .gql_now(None, &heavy_query("again", 100), json!({}))
        .await
        .ok();
    assert_eq!(reply.data()["again0"].as_array().map(Vec::len), Some(1));
    assert_eq!(app.head().await, head, "nothing was written");
}

/// Store-independent rules run on SQLite only (they test the transport, not the store).
mod sqlite_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn slow_and_idle_clients_are_cut_off() {
        super::slow_and_idle_clients_are_cut_off(Store::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connections_past_the_per_address_cap_are_closed() {
        super::connections_past_the_per_address_cap_are_closed(Store::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_websocket_has_the_limits_http_has() {
        super::the_websocket_has_the_limits_http_has(Store::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queries_must_be_json() {
        super::queries_must_be_json(Store::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pages_carry_security_headers_and_load_nothing_from_elsewhere() {
        super::pages_carry_security_headers_and_load_nothing_from_elsewhere(Store::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn metrics_can_be_kept_off_the_public_port() {
        super::metrics_can_be_kept_off_the_public_port(Store::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn heavy_operations_take_turns_and_cheap_ones_do_not_wait() {
        super::heavy_operations_take_turns_and_cheap_ones_do_not_wait(Store::Sqlite).await
    }
}

// Rules whose answer reads the store, on both.
on_both_stores!(
    unpaged_lists_count_in_the_complexity_cap,
    lists_longer_than_estimated_are_held_to_the_resolve_budget,
    a_malformed_award_cursor_is_bad_input,
);
