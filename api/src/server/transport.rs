//! The server's own accept loop, in place of `axum::serve` (which has no timeouts and no
//! connection cap): each connection is HTTP/1.1 served by hyper with a header read
//! timeout, which also closes a kept-alive connection left idle; connections are counted
//! overall and per client address, and one past either cap is closed at once. The client's
//! address reaches handlers as `ConnectInfo<SocketAddr>` (the WebSocket endpoint counts by
//! it too).

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// Most connections open at once, from everyone.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1_024;
/// Most connections open at once from one client address (a reverse proxy is one address:
/// raise this behind one).
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 256;
/// How long a client may take to send a request's headers, counted from when the server
/// is ready to read them: so also how long a kept-alive connection may sit idle.
pub const DEFAULT_HEADER_TIMEOUT_MS: u64 = 15_000;
/// How long a client may take to send a whole request body (at most
/// `MAX_REQUEST_BODY_BYTES`).
pub const DEFAULT_BODY_TIMEOUT_MS: u64 = 15_000;
/// How long the accept loop pauses after an accept error that is not the client's (out of
/// file descriptors, say), so it does not spin.
const ACCEPT_ERROR_PAUSE_MS: u64 = 100;

/// The transport's limits: flags of `serve` (see `cli.rs`).
#[derive(Debug, Clone)]
pub struct TransportLimits {
    pub max_connections: usize,
    pub max_connections_per_address: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub max_ws_connections: usize,
    pub max_ws_connections_per_address: usize,
    /// Heavy GraphQL operations running at once (admission.rs).
    pub max_heavy_operations: usize,
    /// How long a heavy operation waits for its turn.
    pub heavy_wait: Duration,
}

impl Default for TransportLimits {
    fn default() -> Self {
        TransportLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            header_timeout: Duration::from_millis(DEFAULT_HEADER_TIMEOUT_MS),
            body_timeout: Duration::from_millis(DEFAULT_BODY_TIMEOUT_MS),
            max_ws_connections: super::websocket::DEFAULT_MAX_WS_CONNECTIONS,
            max_ws_connections_per_address:
                super::websocket::DEFAULT_MAX_WS_CONNECTIONS_PER_ADDRESS,
            max_heavy_operations: super::admission::DEFAULT_MAX_HEAVY_OPERATIONS,
            heavy_wait: Duration::from_millis(super::admission::DEFAULT_HEAVY_QUERY_WAIT_MS),
        }
    }
}

/// Why a connection was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{open} connections are open, the most the server takes")]
    Total { open: usize },
    #[error("{open} connections are open from {address}, the most one address may hold")]
    PerAddress { address: IpAddr, open: usize },
}

/// Counts open connections overall and per client address, within caps.
#[derive(Debug, Clone)]
pub struct ConnectionLimiter {
    max_total: usize,
    max_per_address: usize,
    open: Arc<Mutex<OpenConnections>>,
}

#[derive(Debug, Default)]
struct OpenConnections {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// One connection's place under the caps, given back when dropped.
#[derive(Debug)]
pub struct ConnectionSlot {
    open: Arc<Mutex<OpenConnections>>,
    address: IpAddr,
}

impl ConnectionLimiter {
    pub fn new(max_total: usize, max_per_address: usize) -> ConnectionLimiter {
        ConnectionLimiter {
            max_total,
            max_per_address,
            open: Arc::default(),
        }
    }

    /// A slot for one more connection from `address`, unless a cap is reached.
    pub fn try_acquire(&self, address: IpAddr) -> Result<ConnectionSlot, Refusal> {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if open.total >= self.max_total {
            return Err(Refusal::Total { open: open.total });
        }
        let from_address = open.by_address.get(&address).copied().unwrap_or(0);
        if from_address >= self.max_per_address {
            return Err(Refusal::PerAddress {
                address,
                open: from_address,
            });
        }
        open.total += 1;
        open.by_address.insert(address, from_address + 1);
        Ok(ConnectionSlot {
            open: self.open.clone(),
            address,
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(count) = open.by_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.by_address.remove(&self.address);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting, asks
/// each open connection to finish its request in flight and close, and returns once all
/// have (the caller bounds that wait).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &TransportLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limiter =
        ConnectionLimiter::new(limits.max_connections, limits.max_connections_per_address);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    // Dropped by each connection's task when it ends: `closed()` tells when all have.
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(ACCEPT_ERROR_PAUSE_MS)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let slot = match limiter.try_acquire(peer.ip()) {
            Ok(slot) => slot,
            Err(refusal) => {
                tracing::warn!(%peer, "connection refused: {refusal}");
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.map(Body::new)
            });
        let connection = http
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .with_upgrades();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => log_connection_end(peer, result),
                _ = async { drop(stop.wait_for(|stop| *stop).await) } => {
                    connection.as_mut().graceful_shutdown();
                    log_connection_end(peer, connection.await);
                }
            }
            drop(slot);
            drop(stop);
        });
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(true);
    stop_tx.closed().await;
    Ok(())
}

fn log_connection_end(peer: SocketAddr, result: Result<(), hyper::Error>) {
    if let Err(error) = result {
        // Timeouts and resets are the client's doing: worth a debug line, not a warning.
        tracing::debug!(%peer, %error, "connection ended with an error");
    }
}
