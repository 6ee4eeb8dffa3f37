//! A full rebuild: the whole log folded again in one pass, then written in one transaction.
//!
//! The log is streamed by one query (`Database::stream_log`) on a task of the runtime,
//! in chunks over a bounded channel, to a blocking thread that parses, decodes, chains
//! and folds. Reading (mostly the store's work and the socket) and folding (CPU here) so
//! overlap, and neither waits for the other's round trips. The write is one transaction:
//! on PostgreSQL `TRUNCATE` and `COPY … FREEZE` into the emptied tables (no conflicts are
//! possible: every row comes from a map keyed like the table), on SQLite the same
//! multi-row inserts as a live batch.

use std::time::{Duration, Instant};

use futures::StreamExt;
use infrastructure::{Database, LogCursor, LoggedEvent, StoreError, StoredEvent};
use tokio::sync::mpsc;

use crate::chain::{next_hash, parse_hash, GENESIS_HASH};
use crate::fold::{decode, Batch, Decoded};
use crate::ProjectionError;

/// Events per chunk handed from the reading task to the folding thread.
pub const REBUILD_CHUNK_EVENTS: usize = 1_024;
/// Chunks the reader may be ahead of the fold: bounds the memory of a rebuild's reading
/// to about this many times `REBUILD_CHUNK_EVENTS` events.
pub const REBUILD_CHUNKS_AHEAD: usize = 32;

/// Where a rebuild spent its time (for `fundledger rebuild` and the benchmark).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RebuildPhases {
    /// Reading and folding the whole log (a pipeline: wall time).
    pub fold: Duration,
    /// Of which the folding thread waited for rows from the store.
    pub waiting_for_rows: Duration,
    /// Of which the folding thread parsed JSON, decoded events, hashed the chain, and
    /// applied events to the read-model rows.
    pub parse: Duration,
    pub decode: Duration,
    pub hash: Duration,
    pub apply: Duration,
    /// Turning the folded rows into COPY data or statements.
    pub encode: Duration,
    /// The transaction that replaces the read models and the chain.
    pub write: Duration,
    /// Projecting what was written to the log during the rebuild.
    pub catch_up: Duration,
}

/// One chain row: ordinal, position, hash.
pub(crate) type Link = (i64, i64, [u8; 32]);

/// The whole log folded in memory.
pub(crate) struct Folded {
    pub batch: Batch,
    pub links: Vec<Link>,
    pub cursor: LogCursor,
    pub events: u64,
    pub phases: RebuildPhases,
}

/// Streams the whole readable log and folds it into one batch and the chain.
pub(crate) async fn fold_log(db: &Database) -> Result<Folded, ProjectionError> {
    let started = Instant::now();
    let (sender, receiver) = mpsc::channel(REBUILD_CHUNKS_AHEAD);
    let reader = {
        let db = db.clone();
        tokio::spawn(async move { read_chunks(&db, sender).await })
    };
    let folded = tokio::task::spawn_blocking(move || fold_chunks(receiver))
        .await
        .map_err(|error| ProjectionError::Task(error.to_string()));
    // The reader ends on its own once the folding thread is gone (its sends fail).
    reader
        .await
        .map_err(|error| ProjectionError::Task(error.to_string()))?;
    let mut folded = folded??;
    folded.phases.fold = started.elapsed();
    Ok(folded)
}

async fn read_chunks(db: &Database, sender: mpsc::Sender<Result<Vec<StoredEvent>, StoreError>>) {
    let mut rows = db.stream_log();
    let mut chunk = Vec::with_capacity(REBUILD_CHUNK_EVENTS);
    while let Some(row) = rows.next().await {
        match row {
            Ok(event) => {
                chunk.push(event);
                if chunk.len() == REBUILD_CHUNK_EVENTS {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(REBUILD_CHUNK_EVENTS));
                    if sender.send(Ok(full)).await.is_err() {
                        return;
                    }
                }
            }
            Err(error) => {
                let _ = sender.send(Err(error)).await;
                return;
            }
        }
    }
    if !chunk.is_empty() {
        let _ = sender.send(Ok(chunk)).await;
    }
}

/// The folding thread: parse, decode, chain and apply each chunk, in log order.
fn fold_chunks(
    mut receiver: mpsc::Receiver<Result<Vec<StoredEvent>, StoreError>>,
) -> Result<Folded, ProjectionError> {
    let mut phases = RebuildPhases::default();
    let mut batch = Batch::default();
    let mut links: Vec<Link> = Vec::new();
    let mut hash = parse_hash(GENESIS_HASH).expect("genesis is a hash");
    let mut cursor = LogCursor::START;
    let mut decoded: Vec<Decoded> = Vec::with_capacity(REBUILD_CHUNK_EVENTS);
    loop {
        let waiting = Instant::now();
        let Some(chunk) = receiver.blocking_recv() else {
            break;
        };
        let parsing = Instant::now();
        phases.waiting_for_rows += parsing - waiting;
        let events = chunk?
            .into_iter()
            .map(StoredEvent::parse)
            .collect::<Result<Vec<LoggedEvent>, StoreError>>()?;
        let decoding = Instant::now();
        phases.parse += decoding - parsing;
        decoded.clear();
        for event in &events {
            decoded.push(decode(event)?);
        }
        let hashing = Instant::now();
        phases.decode += hashing - decoding;
        links.reserve(events.len());
        for event in &events {
            hash = next_hash(&hash, event);
            links.push((links.len() as i64 + 1, event.position, hash));
        }
        let applying = Instant::now();
        phases.hash += applying - hashing;
        for (event, kind) in events.iter().zip(&decoded) {
            batch.apply(event, kind)?;
        }
        phases.apply += applying.elapsed();
        if let Some(last) = events.last() {
            cursor = last.cursor();
        }
    }
    Ok(Folded {
        batch,
        events: links.len() as u64,
        links,
        cursor,
        phases,
    })
}
