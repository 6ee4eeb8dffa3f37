//! Responses to anonymous (public) GraphQL queries, kept for as long as the read models
//! they were computed from are unchanged.
//!
//! The public asks the same few questions many times ("how much went to Hull?"); each
//! answer is a function of the read models, and the read models change only when the
//! projector commits a batch, which moves the projected position, or when the reference
//! geography is imported (names, parents, population, roll-ups), which adds a row to
//! `geography_imports`. So an answer computed at read-models version `V` (both together,
//! `ReadModelsVersion`) stays right until `V` moves. Entries are keyed by the exact request
//! body and tagged with `V`; the whole cache is dropped when it moves.
//!
//! `MAX_RESPONSE_AGE_MS` bounds what nothing versions: the calendar (nothing public
//! defaults to "today" now, but a bound costs little) and hand edits of the store.
//!
//! Only anonymous requests use the cache (a signed-in viewer may see more, per role) and
//! only documents that are queries: a mutation (`castBallot` is anonymous) is never
//! stored, so a repeated body always reaches the ledger. Responses with errors are not
//! stored either.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::parser::types::OperationType;
use axum::body::Bytes;
use projections::{ProjectorHandle, ReadModelsVersion};

/// How often each process re-reads the read-models version (the read models may be
/// written by another server process, so this is polled, not pushed).
pub const PROJECTED_POSITION_POLL_MS: u64 = 10;
/// The longest a stored answer is served, whatever the version.
pub const MAX_RESPONSE_AGE_MS: u64 = 10_000;
/// The most answers kept at once; past it, new answers are not stored until the next
/// position change or expiry empties the cache.
pub const MAX_CACHED_RESPONSES: usize = 10_000;
/// Larger request bodies are not cached (keys stay small).
pub const MAX_CACHED_REQUEST_BYTES: usize = 4 * 1024;
/// Larger responses are not cached (memory stays bounded: at most
/// `MAX_CACHED_RESPONSES × MAX_CACHED_RESPONSE_BYTES`).
pub const MAX_CACHED_RESPONSE_BYTES: usize = 64 * 1024;

struct Entry {
    stored_at: Instant,
    response: Bytes,
}

struct Entries {
    /// The version every entry was computed at; `None` before the first.
    version: Option<ReadModelsVersion>,
    by_body: HashMap<Bytes, Entry>,
}

/// See the module documentation.
pub struct PublicQueryCache {
    /// The read-models version as last read from the store; `None` until the first read
    /// (and after a failed one), so nothing is served while the cache does not know it.
    observed: Mutex<Option<ReadModelsVersion>>,
    entries: Mutex<Entries>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Default for PublicQueryCache {
    fn default() -> Self {
        PublicQueryCache {
            observed: Mutex::new(None),
            entries: Mutex::new(Entries {
                version: None,
                by_body: HashMap::new(),
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }
}

impl PublicQueryCache {
    /// The version answers stored now are tagged with, if known. A request that needs
    /// at least `min_position` gets `None` while the read models are behind it.
    pub fn usable_version(&self, min_position: Option<i64>) -> Option<ReadModelsVersion> {
        let version = (*self.observed.lock().expect("cache lock never poisoned"))?;
        if min_position.is_some_and(|wanted| wanted > version.position) {
            return None;
        }
        Some(version)
    }

    /// The stored answer to `body` at `version`, if any and still fresh.
    pub fn get(&self, body: &Bytes, version: ReadModelsVersion) -> Option<Bytes> {
        let found = {
            let entries = self.entries.lock().expect("cache lock never poisoned");
            (entries.version == Some(version))
                .then(|| entries.by_body.get(body))
                .flatten()
                .filter(|entry| {
                    entry.stored_at.elapsed() < Duration::from_millis(MAX_RESPONSE_AGE_MS)
                })
                .map(|entry| entry.response.clone())
        };
        match found {
            Some(_) => self.hits.fetch_add(1, Ordering::Relaxed),
            None => self.misses.fetch_add(1, Ordering::Relaxed),
        };
        found
    }

    /// Stores the answer to `body` computed at `version` (the version read before the
    /// query ran: the answer reflects at least that much of the log and the geography).
    pub fn put(&self, body: Bytes, version: ReadModelsVersion, response: Bytes) {
        if body.len() > MAX_CACHED_REQUEST_BYTES || response.len() > MAX_CACHED_RESPONSE_BYTES {
            return;
        }
        let mut entries = self.entries.lock().expect("cache lock never poisoned");
        if entries.version != Some(version) {
            if entries.version.is_some_and(|current| version < current) {
                return; // computed before the read models moved on: already superseded.
            }
            entries.version = Some(version);
            entries.by_body.clear();
        }
        if entries.by_body.len() >= MAX_CACHED_RESPONSES {
            let max_age = Duration::from_millis(MAX_RESPONSE_AGE_MS);
            entries
                .by_body
                .retain(|_, entry| entry.stored_at.elapsed() < max_age);
            if entries.by_body.len() >= MAX_CACHED_RESPONSES {
                return;
            }
        }
        entries.by_body.insert(
            body,
            Entry {
                stored_at: Instant::now(),
                response,
            },
        );
    }

    /// (hits, misses) since start, for `/metrics`.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    fn observe(&self, version: Option<ReadModelsVersion>) {
        let previous = std::mem::replace(
            &mut *self.observed.lock().expect("cache lock never poisoned"),
            version,
        );
        if previous != version {
            let mut entries = self.entries.lock().expect("cache lock never poisoned");
            if entries.version != version {
                entries.by_body.clear();
            }
        }
    }

    /// Follows the read-models version until `stop` fires. A store error forgets it
    /// (nothing is served from the cache) until the store answers again.
    pub async fn follow_projector(
        self: Arc<Self>,
        projector: ProjectorHandle,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut tick = tokio::time::interval(Duration::from_millis(PROJECTED_POSITION_POLL_MS));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => return,
            }
            match projector.read_models_version().await {
                Ok(version) => self.observe(Some(version)),
                Err(error) => {
                    tracing::warn!(%error, "the public query cache could not read the read-models version");
                    self.observe(None);
                }
            }
        }
    }
}

/// Whether every operation in a GraphQL document is a query (only those are cached).
/// Unparseable documents are not: their error answer is cheap to make again.
pub fn is_query_only(query: &str) -> bool {
    match async_graphql::parser::parse_query(query) {
        Ok(document) => document
            .operations
            .iter()
            .all(|(_, operation)| operation.node.ty == OperationType::Query),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Bytes {
        Bytes::from(text.to_string())
    }

    fn at(position: i64) -> ReadModelsVersion {
        ReadModelsVersion {
            position,
            geography: 1,
        }
    }

    #[test]
    fn an_answer_is_served_only_at_the_position_it_was_computed_at() {
        let cache = PublicQueryCache::default();
        cache.observe(Some(at(7)));
        cache.put(body("q"), at(7), body("seven"));
        assert_eq!(cache.get(&body("q"), at(7)), Some(body("seven")));
        cache.observe(Some(at(8)));
        assert_eq!(cache.get(&body("q"), at(8)), None);
        assert_eq!(
            cache.get(&body("q"), at(7)),
            None,
            "moving on drops old answers"
        );
    }

    #[test]
    fn a_geography_import_drops_answers_at_the_same_position() {
        let cache = PublicQueryCache::default();
        cache.observe(Some(at(7)));
        cache.put(body("q"), at(7), body("before"));
        let imported = ReadModelsVersion {
            position: 7,
            geography: 2,
        };
        cache.observe(Some(imported));
        assert_eq!(cache.get(&body("q"), imported), None);
        assert_eq!(cache.get(&body("q"), at(7)), None);
    }

    #[test]
    fn nothing_is_usable_before_the_position_is_known_or_while_behind_a_minimum() {
        let cache = PublicQueryCache::default();
        assert_eq!(cache.usable_version(None), None);
        cache.observe(Some(at(5)));
        assert_eq!(cache.usable_version(None), Some(at(5)));
        assert_eq!(cache.usable_version(Some(5)), Some(at(5)));
        assert_eq!(cache.usable_version(Some(6)), None);
    }

    #[test]
    fn an_answer_computed_before_the_position_moved_is_not_stored() {
        let cache = PublicQueryCache::default();
        cache.observe(Some(at(9)));
        cache.put(body("q"), at(9), body("nine"));
        cache.put(body("q"), at(8), body("eight"));
        assert_eq!(cache.get(&body("q"), at(9)), Some(body("nine")));
    }

    #[test]
    fn oversized_bodies_and_answers_are_not_stored() {
        let cache = PublicQueryCache::default();
        cache.observe(Some(at(1)));
        let big = "x".repeat(MAX_CACHED_REQUEST_BYTES + 1);
        cache.put(body(&big), at(1), body("a"));
        assert_eq!(cache.get(&body(&big), at(1)), None);
        let huge = "y".repeat(MAX_CACHED_RESPONSE_BYTES + 1);
        cache.put(body("q"), at(1), body(&huge));
        assert_eq!(cache.get(&body("q"), at(1)), None);
    }

    #[test]
    fn only_query_documents_are_cacheable() {
        assert!(is_query_only("{ funds { id } }"));
        assert!(is_query_only(
            "query A { funds { id } } query B { ledger { position } }"
        ));
        assert!(!is_query_only(
            "mutation { castBallot(input: {}) { position } }"
        ));
        assert!(!is_query_only("query A { funds { id } } mutation B { x }"));
        assert!(!is_query_only("subscription { feed { position } }"));
        assert!(!is_query_only("{ funds { "));
    }
}
