//! The plumbing every read model's part of a batch shares: its rows by key with the keys
//! it changed ([`Table`], [`Dirty`]), loading rows by key ([`load_rows`]), and the error
//! for an event about a row the read models do not have.

use std::collections::BTreeSet;
use std::hash::Hash;

use domain::Money;
use foldhash::HashMap;
use infrastructure::{Database, LoggedEvent};

use crate::sql::Sql;
use crate::{on_pool, to_pence, ProjectionError};

/// An amount in pence (the read models' unit).
pub(crate) fn p(money: &Money) -> i64 {
    to_pence(money.amount())
}

pub(crate) fn json_list<T: serde::Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).expect("a list of strings serializes")
}

/// One read model table's rows in a batch. Hash maps with foldhash (a rebuild does
/// several lookups per event; SipHash was a visible share of them). foldhash is seeded
/// per process, so ids chosen by users (report ids, drawdown ids) cannot be crafted to
/// collide. Rows are written back in key order.
pub(crate) struct Table<K, V> {
    pub rows: HashMap<K, V>,
    pub dirty: Dirty<K>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            rows: HashMap::default(),
            dirty: Dirty::default(),
        }
    }
}

impl<K: Ord + Hash + Eq + Clone, V> Table<K, V> {
    /// A table for a rebuild: it starts empty and every row it holds is written.
    pub(crate) fn for_rebuild() -> Self {
        Table {
            rows: HashMap::default(),
            dirty: Dirty::All,
        }
    }

    /// Adds a new row (an aggregate's first event), marked as changed.
    pub(crate) fn insert(&mut self, key: K, row: V) {
        self.dirty.insert(key.clone());
        self.rows.insert(key, row);
    }

    /// Marks the row at `key` as changed and gives it, or the error naming `what` is missing.
    pub(crate) fn row_mut_by(
        &mut self,
        event: &LoggedEvent,
        what: &str,
        key: K,
        id: &str,
    ) -> Result<&mut V, ProjectionError> {
        self.dirty.insert(key.clone());
        self.rows
            .get_mut(&key)
            .ok_or_else(|| missing(event, what, id))
    }

    /// The changed rows, in key order.
    pub(crate) fn changed(&self) -> Vec<&V> {
        self.dirty.rows(&self.rows)
    }
}

impl<V> Table<String, V> {
    /// Marks the row `id` as changed and gives it, or the error naming `what` is missing.
    pub(crate) fn row_mut(
        &mut self,
        event: &LoggedEvent,
        what: &str,
        id: &str,
    ) -> Result<&mut V, ProjectionError> {
        self.dirty.mark(id);
        self.rows
            .get_mut(id)
            .ok_or_else(|| missing(event, what, id))
    }
}

/// The keys of the rows a batch changed, so only those are written back. A rebuild's
/// batch starts empty, so every row it holds is changed: it keeps no list (`All`), which
/// spares a sorted-set lookup per event.
pub(crate) enum Dirty<K> {
    Keys(BTreeSet<K>),
    All,
}

impl<K> Default for Dirty<K> {
    fn default() -> Self {
        Dirty::Keys(BTreeSet::new())
    }
}

impl<K: Ord> Dirty<K> {
    pub(crate) fn insert(&mut self, key: K) {
        if let Dirty::Keys(keys) = self {
            keys.insert(key);
        }
    }

    /// The changed rows of `rows`, in key order.
    pub(crate) fn rows<'a, V>(&self, rows: &'a HashMap<K, V>) -> Vec<&'a V>
    where
        K: Hash + Eq,
    {
        match self {
            Dirty::Keys(keys) => keys.iter().filter_map(|key| rows.get(key)).collect(),
            Dirty::All => in_key_order(rows).into_iter().map(|(_, row)| row).collect(),
        }
    }
}

impl Dirty<String> {
    /// Marks a row as changed, allocating its key only the first time (most events touch
    /// rows already marked).
    pub(crate) fn mark(&mut self, id: &str) {
        if let Dirty::Keys(keys) = self {
            if !keys.contains(id) {
                keys.insert(id.to_string());
            }
        }
    }
}

/// A map's entries sorted by key.
pub(crate) fn in_key_order<K: Ord, V>(map: &HashMap<K, V>) -> Vec<(&K, &V)> {
    let mut entries: Vec<(&K, &V)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    entries
}

pub(crate) fn missing(event: &LoggedEvent, what: &str, id: &str) -> ProjectionError {
    ProjectionError::BadEvent {
        position: event.position,
        event_type: event.event_type.clone(),
        message: format!("refers to {what} {id}, which the read models do not have"),
    }
}

/// `SELECT {columns} FROM {table} WHERE {key} IN (…)`, in chunks.
pub(crate) async fn load_rows<T>(
    db: &Database,
    table: &str,
    columns: &str,
    key: &str,
    ids: &BTreeSet<String>,
) -> Result<Vec<T>, ProjectionError>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
{
    let ids: Vec<&String> = ids.iter().collect();
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(5_000) {
        let mut sql = Sql::default();
        sql.push(&format!("SELECT {columns} FROM {table} WHERE {key} IN ("));
        for (index, id) in chunk.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind_text(id.as_str());
        }
        sql.push(")");
        let mut found: Vec<T> = on_pool!(db, |pool| crate::sql::bind_all!(
            sqlx::query_as(&sql.text),
            &sql.params
        )
        .fetch_all(pool)
        .await?);
        rows.append(&mut found);
    }
    Ok(rows)
}
