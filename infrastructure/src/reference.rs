//! England's reference geography, shipped in the binary (`infrastructure/reference/`: how
//! it was derived, its licence and attribution) and loaded into a store that has no
//! geography yet, so a fresh install names places, knows their populations, deciles and
//! hierarchy without a manual `import geography`.
//!
//! A store that already holds a geography (the shipped one, or a user's own import) is
//! left as it is: the reference never overwrites an imported area. `import geography`
//! stays for other vintages and nations; it adds to or replaces what is there, code by
//! code, like any import.

use std::time::{Duration, Instant};

use crate::database::{Database, StoreError};
use crate::geography::{
    read_areas, Area, GeographyError, GeographyIndex, GEOGRAPHY_IMPORT_BATCH_ROWS,
};

/// The shipped reference geography: England, 2019 (country, regions, local authority
/// districts, wards of December 2019, LSOAs 2011 with mid-2015 population and IMD 2019
/// decile), in the CSV format of API.md.
pub const ENGLAND_2019_CSV: &str = include_str!("../reference/england-2019.csv");

/// What must be shown wherever the shipped geography's names, figures or lookups are
/// used (Open Government Licence v3.0; see `infrastructure/reference/LICENCE.md`).
pub const REFERENCE_GEOGRAPHY_ATTRIBUTION: [&str; 2] = [
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0",
    "Contains OS data © Crown copyright and database right 2019",
];

/// The shipped areas, read and checked like any import.
pub fn england_2019() -> Result<Vec<Area>, GeographyError> {
    read_areas(
        ENGLAND_2019_CSV.as_bytes(),
        "the shipped reference geography",
    )
}

/// Areas per transaction when the shipped geography is loaded into an empty store.
pub const REFERENCE_LOAD_CHUNK_AREAS: usize = 4_000;

/// Loads `areas` (parents before children) in short transactions of
/// `REFERENCE_LOAD_CHUNK_AREAS` areas with their ancestor rows, rather than one import
/// transaction: on PostgreSQL an open writing transaction holds the whole cluster's event
/// log back (readers stop below the oldest running one), and one transaction of the whole
/// geography took seconds. Each committed prefix is a whole hierarchy (every area's
/// ancestors came earlier); the import is recorded with the last chunk.
async fn load_in_chunks(database: &Database, areas: &[Area]) -> Result<(), StoreError> {
    let rows = crate::geography::ancestor_rows(areas);
    let mut by_code: std::collections::HashMap<String, Vec<(String, String, i16)>> =
        std::collections::HashMap::new();
    for row in rows {
        by_code.entry(row.1.clone()).or_default().push(row);
    }
    let chunks: Vec<&[Area]> = areas.chunks(REFERENCE_LOAD_CHUNK_AREAS).collect();
    for (index, chunk) in chunks.iter().enumerate() {
        let ancestors: Vec<(String, String, i16)> = chunk
            .iter()
            .flat_map(|area| by_code.remove(area.code.as_str()).unwrap_or_default())
            .collect();
        let last = index + 1 == chunks.len();
        let record = last.then_some(areas.len() as i64);
        database.append_areas(chunk, &ancestors, record).await?;
    }
    Ok(())
}

/// What `load_reference_if_empty` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceLoad {
    /// The store had no geography: the shipped one was loaded.
    Loaded { areas: usize, elapsed: Duration },
    /// The store already had a geography (shipped or imported): nothing was written.
    AlreadyHasGeography,
}

impl Database {
    /// Whether any area of any geography is loaded.
    pub async fn has_geography(&self) -> Result<bool, StoreError> {
        const SQL: &str =
            "SELECT CAST(count(*) AS BIGINT) FROM (SELECT 1 FROM geography LIMIT 1) AS one";
        let count: i64 = match self {
            Database::Postgres(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await?,
            Database::Sqlite(pool) => sqlx::query_scalar(SQL).fetch_one(pool).await?,
        };
        Ok(count > 0)
    }

    /// Which of `codes` the geography knows (looked up in chunks, within SQLite's limit
    /// on bound parameters).
    pub async fn known_area_codes(
        &self,
        codes: &[&str],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut known = std::collections::HashSet::new();
        for chunk in codes.chunks(GEOGRAPHY_IMPORT_BATCH_ROWS) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let sql = format!(
                "SELECT code FROM geography WHERE code IN ({})",
                placeholders.join(", ")
            );
            let found: Vec<String> = match self {
                Database::Postgres(pool) => {
                    let mut query = sqlx::query_scalar(&sql);
                    for code in chunk {
                        query = query.bind(*code);
                    }
                    query.fetch_all(pool).await?
                }
                Database::Sqlite(pool) => {
                    let mut query = sqlx::query_scalar(&sql);
                    for code in chunk {
                        query = query.bind(*code);
                    }
                    query.fetch_all(pool).await?
                }
            };
            known.extend(found);
        }
        Ok(known)
    }
}

impl GeographyIndex {
    /// Loads the shipped reference geography if the store has no geography at all, and
    /// refreshes the index. Idempotent: once any geography is there, it writes nothing.
    /// Two processes starting together on an empty PostgreSQL store may both load it; the
    /// import is an upsert of the same rows, so the result is the same.
    pub async fn load_reference_if_empty(
        &self,
        database: &Database,
    ) -> Result<ReferenceLoad, GeographyError> {
        if database.has_geography().await? {
            return Ok(ReferenceLoad::AlreadyHasGeography);
        }
        let started = Instant::now();
        let areas = england_2019()?;
        load_in_chunks(database, &areas).await?;
        if let Database::Postgres(pool) = database {
            sqlx::query("VACUUM (ANALYZE) geography, geography_parents, geography_ancestors")
                .execute(pool)
                .await
                .map_err(StoreError::from)?;
        }
        self.reload(database).await?;
        let elapsed = started.elapsed();
        tracing::info!(
            areas = areas.len(),
            elapsed_ms = elapsed.as_millis() as u64,
            "loaded the shipped reference geography (England 2019)"
        );
        Ok(ReferenceLoad::Loaded {
            areas: areas.len(),
            elapsed,
        })
    }
}
