//! A full rebuild: the whole log folded again in one pass, then written in one transaction.
//!
//! A pipeline of three stages joined by bounded channels, a chunk of events at a time:
//! the log streamed by one query (`Database::stream_log`) on a task of the runtime; a
//! blocking thread that parses the JSON and decodes the events (no state needed); and a
//! blocking thread that extends the hash chain and folds, in log order. The store's
//! work, the parsing and the fold so overlap, and none waits for another's round trips. The write is one transaction:
//! on PostgreSQL `TRUNCATE` and `COPY … FREEZE` into the emptied tables (no conflicts are
//! possible: every row comes from a map keyed like the table), on SQLite the same
//! multi-row inserts as a live batch.

use std::time::{Duration, Instant};

use futures::StreamExt;
use infrastructure::{Database, LogCursor, LoggedEvent, StoreError, StoredEvent};
use tokio::sync::mpsc;

use crate::chain::{
    append_canonical_bytes, append_canonical_bytes_of_stored, next_hash_of_bytes, parse_hash,
    GENESIS_HASH,
};
use crate::decode::{decode, decode_text, Decoded};
use crate::models::Batch;
use crate::ProjectionError;

/// Events per chunk handed from the reading task to the folding thread.
pub const REBUILD_CHUNK_EVENTS: usize = 1_024;
/// Threads parsing and decoding beside the fold thread. Parsing is the heaviest stage
/// (about twice the fold's work per event), but on the 2-core machine measured, shared
/// with the store, a second parser made no measurable difference: one. Raise it on
/// machines with cores to spare.
pub const REBUILD_PARSE_THREADS: usize = 1;
/// Chunks the reader may be ahead of each parser, and each parser of the fold: bounds
/// the events in flight to about 2 × `REBUILD_PARSE_THREADS` × this × `REBUILD_CHUNK_EVENTS`.
pub const REBUILD_CHUNKS_AHEAD: usize = 8;

/// Where a rebuild spent its time (for `fundledger rebuild` and the benchmark).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RebuildPhases {
    /// Reading and folding the whole log (a pipeline: wall time).
    pub fold: Duration,
    /// Of which the parsing threads (together) parsed JSON, decoded events and wrote their
    /// canonical bytes (beside the fold).
    pub parse_and_decode: Duration,
    /// Of which the folding thread waited for parsed events, hashed the chain, and
    /// applied events to the read-model rows.
    pub waiting_for_events: Duration,
    pub hash: Duration,
    pub apply: Duration,
    /// Turning the folded rows into COPY data or statements. On PostgreSQL a thread's
    /// busy time beside the write (it overlaps `copy`); on SQLite before the write, and
    /// inside `write`.
    pub encode: Duration,
    /// The transaction that replaces the read models and the chain.
    pub write: Duration,
    /// Of which: emptying the tables and dropping their indexes; the COPYs (or inserts);
    /// building the indexes again; fresh planner statistics; the commit.
    pub truncate: Duration,
    pub copy: Duration,
    pub index_builds: Duration,
    pub analyze: Duration,
    pub commit: Duration,
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
    let mut to_parsers = Vec::with_capacity(REBUILD_PARSE_THREADS);
    let mut from_parsers = Vec::with_capacity(REBUILD_PARSE_THREADS);
    let mut parsers = Vec::with_capacity(REBUILD_PARSE_THREADS);
    for _ in 0..REBUILD_PARSE_THREADS {
        let (rows, rows_received) = mpsc::channel(REBUILD_CHUNKS_AHEAD);
        let (parsed, parsed_received) = mpsc::channel(REBUILD_CHUNKS_AHEAD);
        to_parsers.push(rows);
        from_parsers.push(parsed_received);
        parsers.push(tokio::task::spawn_blocking(move || {
            parse_chunks(rows_received, parsed)
        }));
    }
    let reader = {
        let db = db.clone();
        tokio::spawn(async move { read_chunks(&db, to_parsers).await })
    };
    let folded = tokio::task::spawn_blocking(move || fold_chunks(from_parsers))
        .await
        .map_err(task_failed);
    // The earlier stages end on their own once a later one is gone (their sends fail).
    let mut parse_time = Duration::ZERO;
    for parser in parsers {
        parse_time += parser.await.map_err(task_failed)?;
    }
    reader.await.map_err(task_failed)?;
    let mut folded = folded??;
    folded.phases.parse_and_decode = parse_time;
    folded.phases.fold = started.elapsed();
    Ok(folded)
}

fn task_failed(error: tokio::task::JoinError) -> ProjectionError {
    ProjectionError::Task(error.to_string())
}

/// Streams the log in chunks, chunk `n` to parser `n % parsers` (the fold takes them back
/// in the same turn, so the log's order is kept). An error goes to the parser whose turn
/// it is, so it reaches the fold in order too.
async fn read_chunks(
    db: &Database,
    parsers: Vec<mpsc::Sender<Result<Vec<StoredEvent>, StoreError>>>,
) {
    let mut rows = db.stream_log();
    let mut chunk = Vec::with_capacity(REBUILD_CHUNK_EVENTS);
    let mut turn = 0;
    while let Some(row) = rows.next().await {
        match row {
            Ok(event) => {
                chunk.push(event);
                if chunk.len() == REBUILD_CHUNK_EVENTS {
                    let full =
                        std::mem::replace(&mut chunk, Vec::with_capacity(REBUILD_CHUNK_EVENTS));
                    if parsers[turn].send(Ok(full)).await.is_err() {
                        return;
                    }
                    turn = (turn + 1) % parsers.len();
                }
            }
            Err(error) => {
                let _ = parsers[turn].send(Err(error)).await;
                return;
            }
        }
    }
    if !chunk.is_empty() {
        let _ = parsers[turn].send(Ok(chunk)).await;
    }
}

/// A chunk of events parsed and decoded, in log order, with their canonical bytes (for
/// the chain) one after another in `canonical`, event `i`'s ending at `ends[i]`.
struct ParsedChunk {
    events: Vec<(LoggedEvent, Decoded)>,
    canonical: Vec<u8>,
    ends: Vec<usize>,
}

type Parsed = Result<ParsedChunk, ProjectionError>;

/// The parsing thread: JSON text to values to domain events and canonical bytes, a chunk
/// at a time. Needs no state, so it runs beside the fold, which is left only the SHA-256
/// of each link and the apply. Returns the time it spent working.
fn parse_chunks(
    mut receiver: mpsc::Receiver<Result<Vec<StoredEvent>, StoreError>>,
    sender: mpsc::Sender<Parsed>,
) -> Duration {
    let mut busy = Duration::ZERO;
    while let Some(chunk) = receiver.blocking_recv() {
        let parsing = Instant::now();
        let parsed: Parsed = chunk.map_err(ProjectionError::from).and_then(|chunk| {
            let mut parsed = ParsedChunk {
                events: Vec::with_capacity(chunk.len()),
                canonical: Vec::with_capacity(chunk.len() * 640),
                ends: Vec::with_capacity(chunk.len()),
            };
            for stored in chunk {
                let (event, kind) = parse_stored(stored, &mut parsed.canonical)?;
                parsed.ends.push(parsed.canonical.len());
                parsed.events.push((event, kind));
            }
            Ok(parsed)
        });
        busy += parsing.elapsed();
        let failed = parsed.is_err();
        if sender.blocking_send(parsed).is_err() || failed {
            break;
        }
    }
    busy
}

/// One stored event decoded, with its canonical bytes appended to `canonical`. Straight
/// from the JSON text when it can be (no `Value` is built: the fold needs only the
/// event's place and ids, so the event it gets carries `Value::Null` for its JSON);
/// otherwise parsed as `read_log` parses it, which gives the same bytes and event, or the
/// same error.
fn parse_stored(
    stored: StoredEvent,
    canonical: &mut Vec<u8>,
) -> Result<(LoggedEvent, Decoded), ProjectionError> {
    let start = canonical.len();
    let from_text = append_canonical_bytes_of_stored(&stored, canonical);
    let (event, payload, metadata) = stored.into_parts();
    if from_text {
        match decode_text(&event, &payload) {
            Ok(kind) => return Ok((event, kind)),
            Err(_) => canonical.truncate(start),
        }
    }
    let event = event.with_json_text(&payload, &metadata)?;
    let kind = decode(&event)?;
    append_canonical_bytes(&event, canonical);
    Ok((event, kind))
}

/// The folding thread: chain and apply each chunk, taking them from the parsers in turn
/// (the log's order); done when the parser in turn has no more.
fn fold_chunks(mut parsers: Vec<mpsc::Receiver<Parsed>>) -> Result<Folded, ProjectionError> {
    let mut phases = RebuildPhases::default();
    let mut batch = Batch::for_rebuild();
    let mut links: Vec<Link> = Vec::new();
    let mut hash = parse_hash(GENESIS_HASH).expect("genesis is a hash");
    let mut cursor = LogCursor::START;
    for turn in (0..parsers.len()).cycle() {
        let waiting = Instant::now();
        let Some(chunk) = parsers[turn].blocking_recv() else {
            break;
        };
        let hashing = Instant::now();
        phases.waiting_for_events += hashing - waiting;
        let ParsedChunk {
            events,
            canonical,
            ends,
        } = chunk?;
        links.reserve(events.len());
        let mut start = 0;
        for ((event, _), end) in events.iter().zip(ends) {
            hash = next_hash_of_bytes(&hash, &canonical[start..end]);
            start = end;
            links.push((links.len() as i64 + 1, event.position, hash));
        }
        let applying = Instant::now();
        phases.hash += applying - hashing;
        for (event, kind) in &events {
            batch.apply(event, kind)?;
        }
        phases.apply += applying.elapsed();
        if let Some((last, _)) = events.last() {
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
