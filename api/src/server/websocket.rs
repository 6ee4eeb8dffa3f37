//! `/graphql/ws` (graphql-transport-ws and graphql-ws) with the limits HTTP has: the
//! schema's depth and complexity caps (they apply to every operation however it arrives),
//! a message at most `MAX_WS_MESSAGE_BYTES` (as a request body), a query or mutation
//! stopped after `REQUEST_TIMEOUT_MS`, an answer at most `MAX_RESPONSE_BYTES`; and what
//! only a socket needs: at most `MAX_OPERATIONS_PER_WS_CONNECTION` running at once,
//! sockets capped overall and per client address, and a socket with nothing running and
//! nothing said for `WS_IDLE_TIMEOUT_MS` closed.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::http::{WebSocketProtocols, WsMessage, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Data, Executor, Request as GqlRequest, Response as GqlResponse, ServerError};
use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{ConnectInfo, FromRequestParts, State, WebSocketUpgrade};
use axum::http::{header, Request, StatusCode};
use axum::response::Response;
use futures::stream::BoxStream;
use futures::{SinkExt, StreamExt};

use super::errors::{BAD_INPUT, TIMEOUT};
use super::http::{
    refuse, with_codes, App, MAX_REQUEST_BODY_BYTES, MAX_RESPONSE_BYTES, REQUEST_TIMEOUT_MS,
};
use super::schema::AppSchema;

/// The largest message (and frame) a client may send: the HTTP body limit.
pub const MAX_WS_MESSAGE_BYTES: usize = MAX_REQUEST_BODY_BYTES;
/// Most operations (subscriptions, queries) one socket may have running at once.
pub const MAX_OPERATIONS_PER_WS_CONNECTION: usize = 20;
/// Most sockets open at once, from everyone.
pub const DEFAULT_MAX_WS_CONNECTIONS: usize = 256;
/// Most sockets open at once from one client address.
pub const DEFAULT_MAX_WS_CONNECTIONS_PER_ADDRESS: usize = 16;
/// A socket with no operation running and no message from the client for this long is
/// closed (a subscriber is never idle: its subscription runs).
pub const WS_IDLE_TIMEOUT_MS: u64 = 60_000;
/// The close code for a message over `MAX_WS_MESSAGE_BYTES` (RFC 6455 "message too big").
const CLOSE_MESSAGE_TOO_BIG: u16 = 1009;
/// The close code for an idle socket (RFC 6455 "normal closure").
const CLOSE_NORMAL: u16 = 1000;

/// Upgrades to a GraphQL socket, unless the caps on sockets are reached (429).
pub async fn graphql_ws(State(app): State<App>, request: Request<Body>) -> Response {
    let (mut parts, _) = request.into_parts();
    let protocol = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|protocols| {
            protocols
                .split(',')
                .find_map(|protocol| WebSocketProtocols::from_str(protocol.trim()).ok())
        });
    let Some(protocol) = protocol else {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "/graphql/ws needs Sec-WebSocket-Protocol: one of {}",
                ALL_WEBSOCKET_PROTOCOLS.join(", ")
            ),
            BAD_INPUT,
        );
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return refuse(rejection.status(), rejection.body_text(), BAD_INPUT),
    };
    let address = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    let slot = match app.ws_connections.try_acquire(address) {
        Ok(slot) => slot,
        Err(refusal) => {
            return refuse(
                StatusCode::TOO_MANY_REQUESTS,
                format!("no more sockets: {refusal}; close one first"),
                BAD_INPUT,
            )
        }
    };
    let executor = LimitedExecutor::new(app.schema.clone());
    upgrade
        .max_message_size(MAX_WS_MESSAGE_BYTES)
        .max_frame_size(MAX_WS_MESSAGE_BYTES)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            serve_socket(socket, executor, protocol).await;
            drop(slot);
        })
}

/// Runs the GraphQL protocol over `socket` until either side closes it or it is idle.
async fn serve_socket(socket: WebSocket, executor: LimitedExecutor, protocol: WebSocketProtocols) {
    let (mut sink, stream) = socket.split();
    let last_heard = Arc::new(Mutex::new(Instant::now()));
    // Why the client's side ended, when it was a broken rule (a message too big).
    let broken = Arc::new(Mutex::new(None::<String>));
    let input = {
        let last_heard = last_heard.clone();
        let broken = broken.clone();
        stream
            .take_while(move |message| {
                if let Err(error) = message {
                    *lock(&broken) = Some(error.to_string());
                }
                futures::future::ready(message.is_ok())
            })
            .filter_map(move |message| {
                *lock(&last_heard) = Instant::now();
                futures::future::ready(match message {
                    Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                        Some(message.into_data())
                    }
                    _ => None,
                })
            })
    };
    let messages =
        async_graphql::http::WebSocket::new(executor.clone(), input, protocol).map(|message| {
            match message {
                WsMessage::Text(text) => Message::Text(text.into()),
                WsMessage::Close(code, reason) => Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })),
            }
        });
    futures::pin_mut!(messages);
    let idle_limit = Duration::from_millis(WS_IDLE_TIMEOUT_MS);
    let mut idle_check = tokio::time::interval(idle_limit / 4);
    loop {
        tokio::select! {
            message = messages.next() => match message {
                Some(message) => {
                    if sink.send(message).await.is_err() {
                        return;
                    }
                }
                None => break,
            },
            _ = idle_check.tick() => {
                if executor.running() == 0 && lock(&last_heard).elapsed() >= idle_limit {
                    let reason = format!(
                        "closed after {WS_IDLE_TIMEOUT_MS} ms with nothing running and nothing said"
                    );
                    let _ = sink.send(close(CLOSE_NORMAL, reason)).await;
                    return;
                }
            }
        }
    }
    let broken = lock(&broken).take();
    if let Some(error) = broken {
        tracing::debug!(%error, "a socket's client broke the protocol");
        let reason = format!("messages are limited to {MAX_WS_MESSAGE_BYTES} bytes ({error})");
        let _ = sink.send(close(CLOSE_MESSAGE_TOO_BIG, reason)).await;
    }
}

fn close(code: u16, reason: String) -> Message {
    // A close frame's reason is at most 123 bytes.
    let mut reason = reason;
    while reason.len() > 123 {
        reason.pop();
    }
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The schema, for one socket: counts the operations it runs and holds them to the caps.
#[derive(Clone)]
struct LimitedExecutor {
    schema: AppSchema,
    running: Arc<AtomicUsize>,
}

/// One running operation; counted until dropped (the protocol drops a stream when it
/// ends or the client completes it).
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl LimitedExecutor {
    fn new(schema: AppSchema) -> LimitedExecutor {
        LimitedExecutor {
            schema,
            running: Arc::default(),
        }
    }

    fn running(&self) -> usize {
        self.running.load(Ordering::Acquire)
    }

    /// A place for one more operation, unless the socket runs the most it may.
    fn start(&self) -> Option<Running> {
        let previous = self
            .running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |running| {
                (running < MAX_OPERATIONS_PER_WS_CONNECTION).then_some(running + 1)
            });
        previous.ok().map(|_| Running(self.running.clone()))
    }
}

impl Executor for LimitedExecutor {
    fn execute(
        &self,
        request: GqlRequest,
    ) -> impl std::future::Future<Output = GqlResponse> + Send {
        let schema = self.schema.clone();
        async move { schema.execute(request).await }
    }

    fn execute_stream(
        &self,
        request: GqlRequest,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, GqlResponse> {
        let Some(running) = self.start() else {
            return futures::stream::once(futures::future::ready(refusal(format!(
                "this socket already runs {MAX_OPERATIONS_PER_WS_CONNECTION} operations, the most one may; complete one first"
            ), BAD_INPUT)))
            .boxed();
        };
        let subscription = is_subscription(&request);
        let stream = Executor::execute_stream(&self.schema, request, session_data);
        if subscription {
            // A subscription runs as long as its client wants; each item is a few public
            // fields of one event (see `subscriptions`).
            return stream
                .map(move |mut response| {
                    let _ = &running;
                    with_codes(&mut response);
                    response
                })
                .boxed();
        }
        futures::stream::once(async move {
            let mut stream = stream;
            let answered =
                tokio::time::timeout(Duration::from_millis(REQUEST_TIMEOUT_MS), stream.next())
                    .await;
            drop(running);
            match answered {
                Ok(Some(mut response)) => {
                    with_codes(&mut response);
                    within_size(response)
                }
                Ok(None) => refusal("the operation gave no answer".to_string(), BAD_INPUT),
                Err(_) => refusal(
                    format!(
                        "the operation took longer than {REQUEST_TIMEOUT_MS} ms and was stopped"
                    ),
                    TIMEOUT,
                ),
            }
        })
        .boxed()
    }
}

/// `response`, or a refusal if its JSON would be over `MAX_RESPONSE_BYTES`.
fn within_size(response: GqlResponse) -> GqlResponse {
    match serde_json::to_vec(&response) {
        Ok(encoded) if encoded.len() > MAX_RESPONSE_BYTES => refusal(
            format!(
                "the answer is {} bytes, more than the {MAX_RESPONSE_BYTES} allowed; ask for fewer fields or pages",
                encoded.len()
            ),
            BAD_INPUT,
        ),
        _ => response,
    }
}

fn refusal(message: String, code: &'static str) -> GqlResponse {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    GqlResponse::from_errors(vec![error])
}

/// Whether the operation `request` runs is a subscription (false if it does not parse:
/// the schema then answers with the parse error).
fn is_subscription(request: &GqlRequest) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let operation = match &document.operations {
        DocumentOperations::Single(operation) => Some(operation),
        DocumentOperations::Multiple(operations) => match &request.operation_name {
            Some(name) => operations.get(name.as_str()),
            None => operations.values().next(),
        },
    };
    operation.is_some_and(|operation| operation.node.ty == OperationType::Subscription)
}
