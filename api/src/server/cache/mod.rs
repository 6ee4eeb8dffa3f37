//! Responses to anonymous (public) GraphQL queries, kept for as long as the read models
//! they were computed from are unchanged.
//!
//! The public asks the same few questions many times ("how much went to Hull?"); each
//! answer is a function of the read models, and the read models change only when the
//! projector commits a batch, which moves its watermark (`ReadModelsVersion::watermark`,
//! the checkpoint in the log's order: every batch moves it, also one that projects only
//! positions below some already projected), or when the reference
//! geography is imported (names, parents, population, roll-ups), which adds a row to
//! `geography_imports`. So an answer computed at read-models version `V` (both together,
//! `ReadModelsVersion`) stays right until `V` moves. Entries are keyed by the exact request
//! body and tagged with `V`; the whole cache is dropped when it moves.
//!
//! `MAX_RESPONSE_AGE_MS` bounds what nothing versions: the calendar (nothing public
//! defaults to "today" now, but a bound costs little) and hand edits of the store. An
//! answer past that age is recomputed by the first request that finds it; requests that
//! come while that one runs are given the old answer (for at most `REFRESH_GRACE_MS`), so
//! expiry never sends every reader of a popular question to the store at once. Each
//! answer's age limit is shortened by up to a quarter, by a hash of its body, so answers
//! stored together (after a version change, say) do not all expire together either
//! (measured: with 317 areas asked in turn and one age limit, their common expiry put the
//! p99 of that run at 26–100 ms instead of 5).
//! A version change is different: it says the answer is out of date, so nothing computed
//! at an older version is ever served.
//!
//! Only anonymous requests use the cache (a signed-in viewer may see more, per role) and
//! only documents that are queries: a mutation (`castBallot` is anonymous) is never
//! stored, so a repeated body always reaches the ledger. Responses with errors are not
//! stored either.
//!
//! A first miss is computed once (`fetch`, `in_flight.rs`): requests for the same body
//! that arrive while it is computed wait for its answer (at most `REFRESH_GRACE_MS`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::parser::types::OperationType;
use axum::body::Bytes;
use infrastructure::LogCursor;
use projections::{ProjectorHandle, ReadModelsVersion};

mod in_flight;

pub use in_flight::Computing;
use in_flight::InFlight;

/// How often each process re-reads the read-models version (the read models may be
/// written by another server process, so this is polled, not pushed).
pub const PROJECTED_POSITION_POLL_MS: u64 = 10;
/// The age past which a stored answer is recomputed, whatever the version. Only the
/// unversioned (hand edits of the store) waits for it; each recomputation is a query on
/// the store, so with many areas asked a short limit is a steady load (317 areas at 10 s:
/// 36 recomputations a second, measured in the p99 of the cached path).
pub const MAX_RESPONSE_AGE_MS: u64 = 30_000;
/// How long past `MAX_RESPONSE_AGE_MS` the old answer may be given to others while one
/// request recomputes it. After it (the recomputing request failed or is stuck: the
/// request timeout is 10 s) the next request recomputes, and the old answer is not used.
pub const REFRESH_GRACE_MS: u64 = 12_000;
/// The most answers kept at once; past it, new answers are not stored until the next
/// position change or expiry empties the cache.
pub const MAX_CACHED_RESPONSES: usize = 10_000;
/// Larger request bodies are not cached (keys stay small).
pub const MAX_CACHED_REQUEST_BYTES: usize = 4 * 1024;
/// Larger responses are not cached (memory stays bounded: at most
/// `MAX_CACHED_RESPONSES × MAX_CACHED_RESPONSE_BYTES`).
pub const MAX_CACHED_RESPONSE_BYTES: usize = 64 * 1024;
/// The public pages' cache (`PublicQueryCache::for_pages`): a page with a map weighs
/// 50–400 KB, so pages have their own bounds: at most this much of them in all…
pub const MAX_CACHED_PAGE_BYTES_IN_ALL: usize = 128 * 1024 * 1024;
/// …and none larger than this.
pub const MAX_CACHED_PAGE_BYTES: usize = 2 * 1024 * 1024;

/// What one cache may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    pub max_entries: usize,
    pub max_response_bytes: usize,
    pub max_bytes_in_all: usize,
}

impl CacheLimits {
    /// GraphQL answers: many small ones.
    pub const QUERIES: CacheLimits = CacheLimits {
        max_entries: MAX_CACHED_RESPONSES,
        max_response_bytes: MAX_CACHED_RESPONSE_BYTES,
        max_bytes_in_all: MAX_CACHED_RESPONSES * MAX_CACHED_RESPONSE_BYTES,
    };
    /// Public pages (`web::public`): fewer, larger.
    pub const PAGES: CacheLimits = CacheLimits {
        max_entries: MAX_CACHED_RESPONSES,
        max_response_bytes: MAX_CACHED_PAGE_BYTES,
        max_bytes_in_all: MAX_CACHED_PAGE_BYTES_IN_ALL,
    };
}

struct Entry {
    stored_at: Instant,
    /// `max_age` less this entry's share of the spread (see the module documentation).
    max_age: Duration,
    response: Bytes,
    /// When a request took on recomputing this expired answer.
    refresh_claimed_at: Option<Instant>,
}

/// What a request does, from `PublicQueryCache::fetch`.
pub enum Fetch<'a> {
    /// Send this answer.
    Answer(Bytes),
    /// Compute the answer (and `put` it), holding the claim (if it got one) until then:
    /// the requests waiting for it wake when it is dropped.
    Compute(Option<Computing<'a>>),
}

/// What the cache has for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// An answer to send: fresh, or expired while another request recomputes it.
    Answer(Bytes),
    /// Nothing usable: run the query (and `put` the answer).
    Miss,
}

struct Entries {
    /// The version every entry was computed at; `None` before the first.
    version: Option<ReadModelsVersion>,
    by_body: HashMap<Bytes, Entry>,
    /// Σ the stored responses' lengths.
    bytes: usize,
}

impl Entries {
    fn clear(&mut self) {
        self.by_body.clear();
        self.bytes = 0;
    }

    fn drop_expired(&mut self) {
        self.by_body
            .retain(|_, entry| entry.stored_at.elapsed() < entry.max_age);
        self.bytes = self
            .by_body
            .values()
            .map(|entry| entry.response.len())
            .sum();
    }
}

/// See the module documentation.
pub struct PublicQueryCache {
    /// The read-models version as last read from the store; `None` until the first read
    /// (and after a failed one), so nothing is served while the cache does not know it.
    observed: Mutex<Option<ReadModelsVersion>>,
    entries: Mutex<Entries>,
    /// `MAX_RESPONSE_AGE_MS` and `REFRESH_GRACE_MS` (shorter in tests).
    max_age: Duration,
    refresh_grace: Duration,
    limits: CacheLimits,
    /// Spreads entries' age limits (see `entry_max_age`).
    spread: std::collections::hash_map::RandomState,
    /// First misses being computed (single flight).
    in_flight: InFlight,
    hits: AtomicU64,
    stale_hits: AtomicU64,
    misses: AtomicU64,
}

impl Default for PublicQueryCache {
    fn default() -> Self {
        PublicQueryCache::with_ages(
            Duration::from_millis(MAX_RESPONSE_AGE_MS),
            Duration::from_millis(REFRESH_GRACE_MS),
        )
    }
}

impl PublicQueryCache {
    /// A cache whose answers are recomputed past `max_age`, the old answer given to others
    /// meanwhile for at most `refresh_grace`.
    pub fn with_ages(max_age: Duration, refresh_grace: Duration) -> Self {
        PublicQueryCache::with_limits(max_age, refresh_grace, CacheLimits::QUERIES)
    }

    /// The public pages' cache: `CacheLimits::PAGES`, the usual ages.
    pub fn for_pages() -> Self {
        PublicQueryCache::with_limits(
            Duration::from_millis(MAX_RESPONSE_AGE_MS),
            Duration::from_millis(REFRESH_GRACE_MS),
            CacheLimits::PAGES,
        )
    }

    pub fn with_limits(max_age: Duration, refresh_grace: Duration, limits: CacheLimits) -> Self {
        PublicQueryCache {
            max_age,
            refresh_grace,
            limits,
            spread: std::collections::hash_map::RandomState::new(),
            observed: Mutex::new(None),
            entries: Mutex::new(Entries {
                version: None,
                by_body: HashMap::new(),
                bytes: 0,
            }),
            in_flight: InFlight::default(),
            hits: AtomicU64::new(0),
            stale_hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// `get`, with a single flight: a request that finds no answer while another request
    /// computes the same body waits for that one (at most `refresh_grace`), then takes
    /// its answer. It waits once: when the other stored nothing (an error is not stored),
    /// it computes the answer itself rather than queue behind the next attempt.
    pub async fn fetch(&self, body: &Bytes, version: ReadModelsVersion) -> Fetch<'_> {
        if let Lookup::Answer(answer) = self.get(body, version) {
            return Fetch::Answer(answer);
        }
        if body.len() > MAX_CACHED_REQUEST_BYTES {
            return Fetch::Compute(None); // never stored, so nothing to wait for
        }
        let mut waiting = match self.in_flight.claim(body) {
            Ok(claim) => return Fetch::Compute(Some(claim)),
            Err(waiting) => waiting,
        };
        // Closed (`Err`) when the computing request ends, whatever became of it.
        let _ = tokio::time::timeout(self.refresh_grace, waiting.changed()).await;
        match self.get(body, version) {
            Lookup::Answer(answer) => Fetch::Answer(answer),
            Lookup::Miss => Fetch::Compute(self.in_flight.claim(body).ok()),
        }
    }

    /// The version answers stored now are tagged with, if known. A request that needs
    /// the event at `min_place` (its place in the log's order, from
    /// `ProjectorHandle::wait_for_place`) gets `None` while the observed watermark is
    /// before it: an answer stored at that version may have been computed without it.
    pub fn usable_version(&self, min_place: Option<LogCursor>) -> Option<ReadModelsVersion> {
        let version = (*self.observed.lock().expect("cache lock never poisoned"))?;
        if min_place.is_some_and(|wanted| wanted > version.watermark) {
            return None;
        }
        Some(version)
    }

    /// The stored answer to `body` at `version`: fresh; or expired, while another request
    /// recomputes it (within `REFRESH_GRACE_MS`). The first request to find an answer
    /// expired gets `Miss` and recomputes it.
    pub fn get(&self, body: &Bytes, version: ReadModelsVersion) -> Lookup {
        let (lookup, counter) = {
            let mut entries = self.entries.lock().expect("cache lock never poisoned");
            let current = entries.version == Some(version);
            match entries.by_body.get_mut(body).filter(|_| current) {
                None => (Lookup::Miss, &self.misses),
                Some(entry) => {
                    let now = Instant::now();
                    let expired = now.duration_since(entry.stored_at) >= entry.max_age;
                    let grace = self.refresh_grace;
                    match entry.refresh_claimed_at {
                        _ if !expired => (Lookup::Answer(entry.response.clone()), &self.hits),
                        Some(claimed) if now.duration_since(claimed) < grace => {
                            (Lookup::Answer(entry.response.clone()), &self.stale_hits)
                        }
                        _ => {
                            entry.refresh_claimed_at = Some(now);
                            (Lookup::Miss, &self.misses)
                        }
                    }
                }
            }
        };
        counter.fetch_add(1, Ordering::Relaxed);
        lookup
    }

    /// Stores the answer to `body` computed at `version` (the version read before the
    /// query ran: the answer reflects at least that much of the log and the geography).
    pub fn put(&self, body: Bytes, version: ReadModelsVersion, response: Bytes) {
        let limits = self.limits;
        if body.len() > MAX_CACHED_REQUEST_BYTES || response.len() > limits.max_response_bytes {
            return;
        }
        let mut entries = self.entries.lock().expect("cache lock never poisoned");
        if entries.version != Some(version) {
            if entries.version.is_some_and(|current| version < current) {
                return; // computed before the read models moved on: already superseded.
            }
            entries.version = Some(version);
            entries.clear();
        }
        let full = |entries: &Entries| {
            entries.by_body.len() >= limits.max_entries
                || entries.bytes + response.len() > limits.max_bytes_in_all
        };
        if full(&entries) {
            entries.drop_expired();
            if full(&entries) {
                return;
            }
        }
        let max_age = self.entry_max_age(&body);
        entries.bytes += response.len();
        let replaced = entries.by_body.insert(
            body,
            Entry {
                stored_at: Instant::now(),
                max_age,
                response,
                refresh_claimed_at: None,
            },
        );
        if let Some(replaced) = replaced {
            entries.bytes -= replaced.response.len();
        }
    }

    /// `max_age` shortened by up to a quarter, by the body's hash: the same body always
    /// gets the same limit in this process, and different bodies spread evenly.
    fn entry_max_age(&self, body: &Bytes) -> Duration {
        use std::hash::BuildHasher;
        let quarter = self.max_age / 4;
        let spread_nanos = u64::try_from(quarter.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.max_age - Duration::from_nanos(self.spread.hash_one(body) % spread_nanos)
    }

    /// Requests answered and not since start, for `/metrics`.
    pub fn counts(&self) -> CacheCounts {
        CacheCounts {
            hits: self.hits.load(Ordering::Relaxed),
            stale_hits: self.stale_hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    fn observe(&self, version: Option<ReadModelsVersion>) {
        let previous = std::mem::replace(
            &mut *self.observed.lock().expect("cache lock never poisoned"),
            version,
        );
        if previous != version {
            let mut entries = self.entries.lock().expect("cache lock never poisoned");
            if entries.version != version {
                entries.clear();
            }
        }
    }

    /// Follows the read-models version for `caches` until `stop` fires (one poll serves
    /// them all). A store error forgets it (nothing is served from the caches) until the
    /// store answers again.
    pub async fn follow_projector(
        caches: Vec<Arc<Self>>,
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
                Ok(version) => caches.iter().for_each(|cache| cache.observe(Some(version))),
                Err(error) => {
                    tracing::warn!(%error, "the public query cache could not read the read-models version");
                    caches.iter().for_each(|cache| cache.observe(None));
                }
            }
        }
    }
}

/// Requests by how the cache served them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheCounts {
    /// Answered with a fresh answer.
    pub hits: u64,
    /// Answered with an expired answer while another request recomputed it.
    pub stale_hits: u64,
    /// Not answered: the query ran.
    pub misses: u64,
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

    fn place(txid: i64, position: i64) -> LogCursor {
        LogCursor {
            epoch: 0,
            txid,
            position,
        }
    }

    fn at(position: i64) -> ReadModelsVersion {
        ReadModelsVersion {
            watermark: place(0, position),
            geography: 1,
        }
    }

    #[test]
    fn an_answer_is_served_only_at_the_position_it_was_computed_at() {
        let cache = PublicQueryCache::default();
        cache.observe(Some(at(7)));
        cache.put(body("q"), at(7), body("seven"));
        assert_eq!(cache.get(&body("q"), at(7)), Lookup::Answer(body("seven")));
        cache.observe(Some(at(8)));
        assert_eq!(cache.get(&body("q"), at(8)), Lookup::Miss);
        assert_eq!(
            cache.get(&body("q"), at(7)),
            Lookup::Miss,
            "moving on drops old answers"
        );
    }

    #[test]
    fn a_geography_import_drops_answers_at_the_same_position() {
        let cache = PublicQueryCache::default();
        cache.observe(Some(at(7)));
        cache.put(body("q"), at(7), body("before"));
        let imported = ReadModelsVersion {
            watermark: place(0, 7),
            geography: 2,
        };
        cache.observe(Some(imported));
        assert_eq!(cache.get(&body("q"), imported), Lookup::Miss);
        assert_eq!(cache.get(&body("q"), at(7)), Lookup::Miss);
    }

    #[test]
    fn nothing_is_usable_before_the_position_is_known_or_while_behind_a_minimum() {
        let cache = PublicQueryCache::default();
        assert_eq!(cache.usable_version(None), None);
        cache.observe(Some(at(5)));
        assert_eq!(cache.usable_version(None), Some(at(5)));
        assert_eq!(cache.usable_version(Some(place(0, 5))), Some(at(5)));
        assert_eq!(cache.usable_version(Some(place(0, 6))), None);
    }

    #[test]
    fn a_lower_position_committed_later_is_not_covered_by_a_higher_one() {
        // PostgreSQL: the projected event at position 52 (transaction 10) is before the
        // event at position 50 (transaction 11) in the log's order.
        let cache = PublicQueryCache::default();
        let projected = ReadModelsVersion {
            watermark: place(10, 52),
            geography: 1,
        };
        cache.observe(Some(projected));
        assert_eq!(cache.usable_version(Some(place(11, 50))), None);
        assert_eq!(cache.usable_version(Some(place(9, 60))), Some(projected));
        cache.put(body("q"), projected, body("without 50"));
        let moved = ReadModelsVersion {
            watermark: place(11, 50),
            geography: 1,
        };
        cache.observe(Some(moved));
        assert_eq!(
            cache.get(&body("q"), moved),
            Lookup::Miss,
            "projecting 50 drops it"
        );
    }

    #[test]
    fn an_answer_computed_before_the_position_moved_is_not_stored() {
        let cache = PublicQueryCache::default();
        cache.observe(Some(at(9)));
        cache.put(body("q"), at(9), body("nine"));
        cache.put(body("q"), at(8), body("eight"));
        assert_eq!(cache.get(&body("q"), at(9)), Lookup::Answer(body("nine")));
    }

    #[test]
    fn an_expired_answer_is_recomputed_by_one_request_while_others_get_it() {
        let cache =
            PublicQueryCache::with_ages(Duration::from_millis(30), Duration::from_millis(200));
        cache.observe(Some(at(3)));
        cache.put(body("q"), at(3), body("old"));
        assert_eq!(cache.get(&body("q"), at(3)), Lookup::Answer(body("old")));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(
            cache.get(&body("q"), at(3)),
            Lookup::Miss,
            "the first request after expiry recomputes"
        );
        assert_eq!(
            cache.get(&body("q"), at(3)),
            Lookup::Answer(body("old")),
            "others meanwhile get the old answer"
        );
        cache.put(body("q"), at(3), body("new"));
        assert_eq!(cache.get(&body("q"), at(3)), Lookup::Answer(body("new")));
        let counts = cache.counts();
        assert_eq!((counts.hits, counts.stale_hits, counts.misses), (2, 1, 1));
    }

    #[test]
    fn an_expired_answer_whose_recomputation_never_came_back_is_not_served_past_the_grace() {
        let cache =
            PublicQueryCache::with_ages(Duration::from_millis(20), Duration::from_millis(40));
        cache.observe(Some(at(3)));
        cache.put(body("q"), at(3), body("old"));
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(cache.get(&body("q"), at(3)), Lookup::Miss);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            cache.get(&body("q"), at(3)),
            Lookup::Miss,
            "past the grace the next request recomputes"
        );
    }

    /// A second request for a body whose first miss is being computed.
    fn second_request(
        cache: &Arc<PublicQueryCache>,
        version: ReadModelsVersion,
    ) -> tokio::task::JoinHandle<Option<Bytes>> {
        let cache = cache.clone();
        tokio::spawn(async move {
            match cache.fetch(&body("q"), version).await {
                Fetch::Answer(answer) => Some(answer),
                Fetch::Compute(_) => None,
            }
        })
    }

    /// The claim of the first request for "q" at version 4, which computes it.
    async fn first_claim(cache: &PublicQueryCache) -> Computing<'_> {
        cache.observe(Some(at(4)));
        match cache.fetch(&body("q"), at(4)).await {
            Fetch::Compute(Some(claim)) => claim,
            _ => panic!("the first request computes"),
        }
    }

    #[tokio::test]
    async fn a_first_miss_is_computed_once_while_the_others_wait_for_it() {
        let cache = Arc::new(PublicQueryCache::default());
        let claim = first_claim(&cache).await;
        let waiting = second_request(&cache, at(4));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the second waits for the first");
        cache.put(body("q"), at(4), body("four"));
        drop(claim);
        assert_eq!(waiting.await.unwrap(), Some(body("four")));
        assert_eq!(cache.in_flight.len(), 0);
    }

    #[tokio::test]
    async fn a_waiter_whose_first_request_stored_nothing_computes_it_itself() {
        let cache = Arc::new(PublicQueryCache::default());
        let claim = first_claim(&cache).await;
        let waiting = second_request(&cache, at(4));
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(claim); // an error answer: nothing stored
        assert_eq!(waiting.await.unwrap(), None, "it computes");
    }

    #[tokio::test]
    async fn a_waiter_computes_it_itself_past_the_grace() {
        let cache = Arc::new(PublicQueryCache::with_ages(
            Duration::from_secs(30),
            Duration::from_millis(60),
        ));
        cache.observe(Some(at(4)));
        let _stuck = cache.fetch(&body("q"), at(4)).await;
        let started = Instant::now();
        assert_eq!(second_request(&cache, at(4)).await.unwrap(), None);
        assert!(started.elapsed() >= Duration::from_millis(60));
    }

    #[test]
    fn oversized_bodies_and_answers_are_not_stored() {
        let cache = PublicQueryCache::default();
        cache.observe(Some(at(1)));
        let big = "x".repeat(MAX_CACHED_REQUEST_BYTES + 1);
        cache.put(body(&big), at(1), body("a"));
        assert_eq!(cache.get(&body(&big), at(1)), Lookup::Miss);
        let huge = "y".repeat(MAX_CACHED_RESPONSE_BYTES + 1);
        cache.put(body("q"), at(1), body(&huge));
        assert_eq!(cache.get(&body("q"), at(1)), Lookup::Miss);
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
