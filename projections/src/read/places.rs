//! The reference geography's places, for choosing one by name (the work screens' place
//! chooser): every named area with its level, parent and IMD decile, and the
//! geography's version (the chooser's index is rebuilt when it changes).

use infrastructure::Database;

use super::Result;
use crate::on_pool;

/// One area of the reference geography with what the place chooser shows beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferencePlace {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub imd_decile: Option<i64>,
}

/// A row of the query below: code, name, level, parent code, IMD decile.
type ReferenceRow = (String, String, String, Option<String>, Option<i64>);

/// Every named area of the reference geography, by code (the place chooser builds its
/// in-memory index from these once per [`geography_version`]).
pub async fn reference_places(db: &Database) -> Result<Vec<ReferencePlace>> {
    let rows: Vec<ReferenceRow> = on_pool!(db, |pool| sqlx::query_as(
        "SELECT code, name, level, parent_code, CAST(imd_decile AS BIGINT) \
             FROM geography WHERE name IS NOT NULL ORDER BY code"
    )
    .fetch_all(pool)
    .await?);
    Ok(rows
        .into_iter()
        .map(
            |(code, name, level, parent_code, imd_decile)| ReferencePlace {
                code,
                name,
                level,
                parent_code,
                imd_decile,
            },
        )
        .collect())
}

/// The latest import of the reference geography (0 before any): areas change only with a
/// new import, so what is built from them stays right until this moves.
pub async fn geography_version(db: &Database) -> Result<i64> {
    let (version,): (Option<i64>,) = on_pool!(db, |pool| sqlx::query_as(
        "SELECT CAST(max(import_id) AS BIGINT) FROM geography_imports"
    )
    .fetch_one(pool)
    .await?);
    Ok(version.unwrap_or(0))
}
